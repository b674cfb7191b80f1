//! Executing one statement: walking `repeat` frames, configuration, operations through
//! the DSL's lowering, `expect` and `show`, and the step's report.

use super::*;

impl Session {
    // -----------------------------------------------------------------------------------

    /// Finds the next leaf statement from `frames`, entering and leaving `repeat`s.
    pub(super) fn normalize<'p>(&'p self, frames: &mut Vec<Frame>) -> Option<&'p Stmt> {
        loop {
            let depth = frames.len() - 1;
            let list = self.block(frames, depth);
            let idx = frames[depth].idx;
            if idx >= list.len() {
                if depth == 0 {
                    return None;
                }
                let parent = self.block(frames, depth - 1);
                let StmtKind::Repeat { count, .. } = &parent[frames[depth - 1].idx].kind else {
                    return None;
                };
                let f = &mut frames[depth];
                if f.iter + 1 < *count {
                    f.iter += 1;
                    f.idx = 0;
                } else {
                    frames.pop();
                    frames[depth - 1].idx += 1;
                }
                continue;
            }
            match &list[idx].kind {
                StmtKind::Repeat { count, body } => {
                    if *count == 0 || !has_leaf(body) {
                        frames[depth].idx += 1;
                    } else {
                        frames.push(Frame { idx: 0, iter: 0 });
                    }
                }
                _ => return Some(&list[idx]),
            }
        }
    }

    pub(super) fn block(&self, frames: &[Frame], depth: usize) -> &[Stmt] {
        let mut list: &[Stmt] = &self.program.stmts;
        for f in &frames[..depth] {
            match list.get(f.idx).map(|s| &s.kind) {
                Some(StmtKind::Repeat { body, .. }) => list = body,
                _ => return &[],
            }
        }
        list
    }

    /// Executes the next statement; a report is built when `want`, for a step error and
    /// for a failed `expect`.
    pub(super) fn exec(&mut self, want: bool) -> Exec {
        let mut frames = std::mem::take(&mut self.state.frames);
        let stmt = match self.normalize(&mut frames) {
            Some(s) => s.clone(),
            None => {
                self.state.frames = frames;
                self.end = Some(self.state.pos);
                return Exec::Finished;
            }
        };
        self.state.frames = frames;
        let step = self.state.pos;
        let before = want.then(|| {
            (
                self.state.machine.total_counters(),
                self.state
                    .machine
                    .tasks
                    .iter()
                    .map(|t| t.counters)
                    .collect::<Vec<_>>(),
            )
        });
        let result = self.exec_stmt(&stmt, want);
        let (outcome, is_op) = match result {
            Ok(x) => x,
            Err(diag) => {
                // The session is unchanged: position and frames stay before the statement.
                return Exec::Reported(Box::new(self.report(
                    step,
                    &stmt,
                    StepOutcome::Failed,
                    Some(diag),
                    false,
                    None,
                )));
            }
        };
        let violations = if is_op {
            self.state.machine.check()
        } else {
            Vec::new()
        };
        for v in &violations {
            let code = v.rule.code().to_string();
            if !self.state.violations_seen.contains(&code) {
                self.state.violations_seen.push(code);
            }
        }
        // Advance.
        if let Some(f) = self.state.frames.last_mut() {
            f.idx += 1;
        }
        self.state.pos += 1;
        if self.state.pos > self.frontier {
            self.frontier = self.state.pos;
        }
        let i = self.stride;
        if self.state.pos % i == 0 && self.checkpoints.len() as u64 == self.state.pos / i {
            self.checkpoints.push(self.state.clone());
            let max = self.opts.max_checkpoints;
            if max > 0 && self.checkpoints.len() > max {
                // Thin: keep the states at even multiples of the spacing.
                let mut k = 0;
                self.checkpoints.retain(|_| {
                    k += 1;
                    k % 2 == 1
                });
                self.stride *= 2;
            }
        }
        // A failed expect is always reported, so `run` counts it without a callback.
        let failed_expect = matches!(&outcome, StepOutcome::Expect(c) if !c.passed);
        if !want && !failed_expect {
            return Exec::Done;
        }
        let mut r = self.report(step, &stmt, outcome, None, is_op, before);
        r.violations = violations;
        Exec::Reported(Box::new(r))
    }

    pub(super) fn report(
        &self,
        step: u64,
        stmt: &Stmt,
        outcome: StepOutcome,
        error: Option<Diagnostic>,
        is_op: bool,
        before: Option<(Counters, Vec<Counters>)>,
    ) -> StepReport {
        let m = &self.state.machine;
        let src = &self.program.source;
        let (events, event_lines) = if is_op && error.is_none() {
            let ev = m.events().to_vec();
            let lines = ev.iter().map(|e| render::event_line(m, e)).collect();
            (ev, lines)
        } else {
            (Vec::new(), Vec::new())
        };
        let (counters, task_counters) = match (before, is_op) {
            (Some((tot, tasks)), true) => {
                let d = m.total_counters().since(&tot);
                let tc = m
                    .tasks
                    .iter()
                    .enumerate()
                    .filter_map(|(i, t)| {
                        let base = tasks.get(i).copied().unwrap_or_default();
                        let d = t.counters.since(&base);
                        let nonzero = d.nonzero().next().is_some();
                        nonzero.then(|| (t.name.to_string(), d))
                    })
                    .collect();
                (d, tc)
            }
            _ => (Counters::default(), Vec::new()),
        };
        StepReport {
            step,
            span: stmt.span,
            line: self.line_of(stmt.span.start),
            text: src
                .get(stmt.span.start..stmt.span.end)
                .unwrap_or("")
                .to_string(),
            events,
            event_lines,
            counters,
            task_counters,
            violations: Vec::new(),
            outcome,
            error,
        }
    }

    /// Executes one statement against the state. `Ok((outcome, was_an_operation))`.
    pub(super) fn exec_stmt(
        &mut self,
        stmt: &Stmt,
        want: bool,
    ) -> Result<(StepOutcome, bool), Diagnostic> {
        let src = &self.program.source;
        let span = stmt.span;
        let e = |msg: String, hint: String| Diagnostic::error(src, span, msg, hint);
        match &stmt.kind {
            k if k.is_config() => {
                if self.state.started {
                    return Err(e(
                        format!("`{}` is configuration: it must come before the first task, vCPU or operation", k.keyword()),
                        "move it to the top of the script (or `reset` and start again)".into(),
                    ));
                }
                let mut config = self.state.machine.config.clone();
                let desc = match k {
                    StmtKind::Kernel(kern) => match self.opts.kernel {
                        Some(forced) if forced != *kern => {
                            format!(
                                "kernel {} ignored: this session runs {}",
                                kern.name(),
                                forced.name()
                            )
                        }
                        _ => {
                            config.set_kernel(*kern);
                            format!("kernel {}", kern.name())
                        }
                    },
                    StmtKind::Cpus(n) => {
                        config.cpus = usize::from(*n);
                        format!("{n} CPUs")
                    }
                    StmtKind::Vls(bits) => {
                        config.vls = bits.iter().map(|b| (b / 8) as u16).collect();
                        config.sve_default_vl =
                            config.default_vl_for(self.state.requested_default_vl);
                        format!(
                            "vector lengths {} bits (default {} bits)",
                            bits.iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                            u32::from(config.sve_default_vl) * 8
                        )
                    }
                    StmtKind::KvmMode(mode) => {
                        config.kvm_mode = *mode;
                        format!(
                            "KVM {}",
                            if *mode == crate::model::vcpu::KvmMode::Vhe {
                                "VHE"
                            } else {
                                "nVHE"
                            }
                        )
                    }
                    _ => String::new(),
                };
                if let Err(why) = config.check() {
                    return Err(e(
                        why.to_string(),
                        "see `show config` and docs/dsl.md, Configuration".into(),
                    ));
                }
                self.state.machine = Machine::new(config);
                Ok((StepOutcome::Config(desc), false))
            }
            StmtKind::Sysctl(which, value) => {
                let desc = self
                    .state
                    .machine
                    .config
                    .write_sysctl(*which, *value)
                    .map_err(|x| e(x.message, x.hint))?;
                if *which == Sysctl::SveDefaultVectorLength {
                    self.state.requested_default_vl = *value;
                }
                Ok((StepOutcome::Config(desc), false))
            }
            StmtKind::Expect(cond) => {
                let seen = self.seen_for(cond);
                let r = eval::eval_condition(&self.state.machine, cond, &seen)
                    .map_err(|x| e(format!("cannot evaluate: {}", x.message), x.hint))?;
                if matches!(cond, Condition::NoViolations | Condition::Violation(_)) {
                    self.state.violations_seen.clear();
                }
                Ok((StepOutcome::Expect(r), false))
            }
            StmtKind::Show(ShowTarget::Violations) => {
                let text = render::show_violation_list(&self.violations_now());
                Ok((StepOutcome::Show(text), false))
            }
            StmtKind::Show(t) => {
                let text = if want {
                    show_target(&self.state.machine, t).map_err(|x| e(x.message, x.hint))?
                } else {
                    String::new()
                };
                Ok((StepOutcome::Show(text), false))
            }
            StmtKind::Repeat { .. } => Ok((StepOutcome::Config(String::new()), false)),
            kind => {
                let m = &mut self.state.machine;
                let action = lower::lower(m, kind)
                    .map_err(|x| Diagnostic::error(src, x.span, x.message, x.hint))?;
                let outcome = match action {
                    Action::Op(op) => {
                        let out = m
                            .apply(&op)
                            .map_err(|x| Diagnostic::error(src, span, x.message, x.hint))?;
                        self.state.oracle.observe(&op, m);
                        StepOutcome::Op { ret: out.ret }
                    }
                    Action::AddTask { name, vl, on } => {
                        m.add_task(&name, vl, on)
                            .map_err(|x| Diagnostic::error(src, span, x.message, x.hint))?;
                        self.state.oracle.sync(m);
                        StepOutcome::Created(name)
                    }
                    Action::AddVcpu { name, sve, vl } => {
                        m.add_vcpu(&name, sve, vl)
                            .map_err(|x| Diagnostic::error(src, span, x.message, x.hint))?;
                        self.state.oracle.sync(m);
                        StepOutcome::Created(name)
                    }
                };
                self.state.started = true;
                Ok((outcome, true))
            }
        }
    }
}

pub(super) fn shift(s: &mut Stmt, off: usize) {
    s.span = Span::new(s.span.start + off, s.span.end + off);
    if let StmtKind::Repeat { body, .. } = &mut s.kind {
        for b in body {
            shift(b, off);
        }
    }
}
