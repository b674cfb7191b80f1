//! Stepping, time travel (checkpoints and replay) and runs with breakpoints.

use super::*;

impl Session {
    /// Executes one step. `None` when the program is finished.
    pub fn step(&mut self) -> Option<StepReport> {
        match self.exec(true) {
            Exec::Reported(r) => Some(*r),
            // Never with `want`; a finished program has no step.
            Exec::Done | Exec::Finished => None,
        }
    }

    /// One step back. Returns the new position, or `None` at position 0.
    pub fn step_back(&mut self) -> Option<u64> {
        let p = self.state.pos.checked_sub(1)?;
        Some(self.goto(p))
    }

    /// Goes to position `n` (back by checkpoint + replay, forward by running). Stops
    /// early at the end of the program or at a step error. Returns the position reached.
    pub fn goto(&mut self, n: u64) -> u64 {
        if n == self.state.pos {
            return n;
        }
        self.seek(n, false)
    }

    /// Moves to position `n`: from the nearest checkpoint at or before it when going back,
    /// when that checkpoint is ahead of the current state, or always with `rebuild`
    /// (the current state may hold a cursor into statements that are gone); otherwise by
    /// running on from here.
    pub(super) fn seek(&mut self, n: u64, rebuild: bool) -> u64 {
        let k = ((n / self.stride) as usize).min(self.checkpoints.len() - 1);
        let cp_pos = self.checkpoints[k].pos;
        if rebuild || n < self.state.pos || cp_pos > self.state.pos {
            self.state = self.checkpoints[k].clone();
        }
        while self.state.pos < n {
            match self.exec(false) {
                Exec::Reported(r) if r.error.is_some() => break,
                Exec::Finished => break,
                Exec::Reported(_) | Exec::Done => {}
            }
        }
        self.state.pos
    }

    /// Runs within `opts`; see [`Session::run_with`].
    pub fn run(&mut self, opts: &RunOptions) -> RunSummary {
        self.run_inner(opts, None)
    }

    /// Runs within `opts`, calling `on_step` with every step's report.
    pub fn run_with(
        &mut self,
        opts: &RunOptions,
        on_step: &mut dyn FnMut(&StepReport),
    ) -> RunSummary {
        self.run_inner(opts, Some(on_step))
    }

    pub(super) fn run_inner(
        &mut self,
        opts: &RunOptions,
        mut on_step: Option<&mut dyn FnMut(&StepReport)>,
    ) -> RunSummary {
        let mut steps = 0;
        let mut failures = 0;
        let mut last = None;
        let use_bps = opts.breakpoints && !self.breakpoints.is_empty();
        let mut cond_prev: Vec<bool> = if use_bps {
            self.breakpoints
                .iter()
                .map(|(_, b)| self.bp_holds(b))
                .collect()
        } else {
            Vec::new()
        };
        let line_bps: Vec<(BreakpointId, u32)> = self
            .breakpoints
            .iter()
            .filter_map(|(id, b)| match b {
                Breakpoint::Line(l) if use_bps => Some((*id, *l)),
                _ => None,
            })
            .collect();
        let want_report = on_step.is_some();
        loop {
            if steps >= opts.budget {
                return RunSummary {
                    steps,
                    stop: StopReason::Budget,
                    expect_failures: failures,
                    last,
                };
            }
            if steps > 0 && !line_bps.is_empty() {
                if let Some((_, line)) = self.next_statement() {
                    if let Some((id, _)) = line_bps.iter().find(|(_, l)| *l == line) {
                        return RunSummary {
                            steps,
                            stop: StopReason::Breakpoint(*id),
                            expect_failures: failures,
                            last,
                        };
                    }
                }
            }
            let r = match self.exec(want_report || opts.stop_on_expect_failure) {
                Exec::Finished => {
                    return RunSummary {
                        steps,
                        stop: StopReason::End,
                        expect_failures: failures,
                        last,
                    }
                }
                Exec::Done => None,
                Exec::Reported(r) => Some(*r),
            };
            match r {
                Some(r) => {
                    if r.error.is_some() {
                        if let Some(f) = on_step.as_mut() {
                            f(&r);
                        }
                        return RunSummary {
                            steps,
                            stop: StopReason::Error,
                            expect_failures: failures,
                            last: Some(r),
                        };
                    }
                    steps += 1;
                    let failed = r.expect_failed();
                    if failed {
                        failures += 1;
                    }
                    if let Some(f) = on_step.as_mut() {
                        f(&r);
                    }
                    last = Some(r);
                    if failed && opts.stop_on_expect_failure {
                        return RunSummary {
                            steps,
                            stop: StopReason::ExpectFailed,
                            expect_failures: failures,
                            last,
                        };
                    }
                }
                None => {
                    steps += 1;
                }
            }
            if use_bps {
                for (i, (id, b)) in self.breakpoints.iter().enumerate() {
                    if matches!(b, Breakpoint::When { .. }) {
                        let now = self.bp_holds(b);
                        let was = std::mem::replace(&mut cond_prev[i], now);
                        if now && !was {
                            let id = *id;
                            return RunSummary {
                                steps,
                                stop: StopReason::Breakpoint(id),
                                expect_failures: failures,
                                last,
                            };
                        }
                    }
                }
            }
        }
    }

    /// The violation codes a condition about violations sees: those seen since the last
    /// such check, plus the ABI oracle's findings now (a task that would read V values its
    /// history does not explain, and what the kernel breaks on its way back to user space).
    pub(super) fn seen_for(&self, cond: &Condition) -> Vec<String> {
        let mut seen = self.state.violations_seen.clone();
        if matches!(cond, Condition::NoViolations | Condition::Violation(_)) {
            for v in self.state.oracle.check(&self.state.machine) {
                let code = v.rule.code().to_string();
                if !seen.contains(&code) {
                    seen.push(code);
                }
            }
        }
        seen
    }

    pub(super) fn bp_holds(&self, b: &Breakpoint) -> bool {
        match b {
            Breakpoint::When { cond, .. } => {
                eval::eval_condition(&self.state.machine, cond, &self.seen_for(cond))
                    .map(|r| r.passed)
                    .unwrap_or(false)
            }
            Breakpoint::Line(_) => false,
        }
    }

    /// Stops [`Session::run`] before any statement on `line` (1-based).
    pub fn break_at_line(&mut self, line: u32) -> BreakpointId {
        self.add_breakpoint(Breakpoint::Line(line))
    }

    /// Stops [`Session::run`] after a step that makes `condition` true
    /// (e.g. `A.TIF_SVE == 0`, `cpu0.owner == B`, `violation B1`).
    pub fn break_when(&mut self, condition: &str) -> Result<BreakpointId, Vec<Diagnostic>> {
        let cond = crate::dsl::parse_condition(condition)?;
        Ok(self.add_breakpoint(Breakpoint::When {
            text: condition.trim().to_string(),
            cond,
        }))
    }

    /// Adds a breakpoint.
    pub fn add_breakpoint(&mut self, b: Breakpoint) -> BreakpointId {
        let id = BreakpointId(self.next_bp);
        self.next_bp += 1;
        self.breakpoints.push((id, b));
        id
    }

    /// Removes a breakpoint; `false` if there was none with this id.
    pub fn remove_breakpoint(&mut self, id: BreakpointId) -> bool {
        let n = self.breakpoints.len();
        self.breakpoints.retain(|(i, _)| *i != id);
        n != self.breakpoints.len()
    }

    /// The breakpoints.
    pub fn breakpoints(&self) -> &[(BreakpointId, Breakpoint)] {
        &self.breakpoints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOP: &str = "task A vl=512 on=cpu0\ntask B vl=256\nrepeat 25000 { sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; ctxsw cpu0 A }\n";

    fn session(src: &str, interval: u64, max: usize) -> Session {
        let mut s = Session::new(SessionOptions {
            checkpoint_interval: interval,
            max_checkpoints: max,
            ..SessionOptions::default()
        });
        assert!(s.load(src).is_empty());
        s
    }

    fn budget(n: u64) -> RunOptions {
        RunOptions {
            budget: n,
            ..RunOptions::default()
        }
    }

    #[test]
    fn history_stays_bounded_as_steps_grow() {
        let (interval, max) = (4, 16);
        let mut s = session(LOOP, interval, max);
        let mut unbounded = session(LOOP, 256, 0);
        let mut peak_bytes = 0;
        loop {
            let r = s.run(&budget(997));
            unbounded.run(&budget(997));
            let h = s.history_stats();
            assert!(h.checkpoints <= max, "{} checkpoints", h.checkpoints);
            // Thinning happens only when the spacing no longer fits the budget.
            assert!(s.stride == interval || s.stride * (max as u64 / 2) <= h.frontier);
            assert_eq!(s.checkpoints.len() as u64, h.frontier / s.stride + 1);
            for (k, c) in s.checkpoints.iter().enumerate() {
                assert_eq!(c.pos, k as u64 * s.stride);
            }
            peak_bytes = peak_bytes.max(h.bytes);
            if r.stop == StopReason::End {
                break;
            }
        }
        let h = s.history_stats();
        assert_eq!(h.frontier, 100_002);
        // The old behaviour, kept with `max_checkpoints: 0`, grows with the run.
        let u = unbounded.history_stats();
        assert_eq!(u.checkpoints as u64, 100_002 / 256 + 1);
        let per_checkpoint = u.bytes / u.checkpoints;
        assert!(peak_bytes <= max * per_checkpoint, "{peak_bytes} bytes");
        // `goto` replays less than one spacing: 2 × steps / max at most.
        assert!(s.stride <= 2 * h.frontier / max as u64);
        for n in [0, 1, 50_001, 99_999, 100_002, 7] {
            assert_eq!(s.goto(n), n);
            assert_eq!(unbounded.goto(n), n);
            assert_eq!(s.machine(), unbounded.machine());
        }
    }

    #[test]
    fn goto_across_thinned_regions_equals_a_straight_run() {
        let src = "task A vl=512 on=cpu0\ntask B vl=256\nrepeat 100 { sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; sve-op B z1=fill(0x11); ctxsw cpu0 A }\n";
        let mut straight = session(src, 256, 0);
        let mut want = vec![straight.machine().clone()];
        while straight.step().is_some() && straight.position() as usize == want.len() {
            want.push(straight.machine().clone());
        }
        assert_eq!(want.len(), 503);
        let mut s = session(src, 1, 8);
        s.run(&RunOptions::default());
        assert!(s.stride >= 64, "thinned to a spacing of {}", s.stride);
        assert!(s.history_stats().checkpoints <= 8);
        let mut x: u64 = 99;
        for _ in 0..60 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 11) % want.len() as u64;
            assert_eq!(s.goto(n), n);
            assert!(s.machine() == &want[n as usize], "goto {n} differs");
            if n > 0 {
                assert_eq!(s.step_back(), Some(n - 1));
                assert!(
                    s.machine() == &want[n as usize - 1],
                    "step back to {}",
                    n - 1
                );
            }
        }
        // Appending after a thinned history still runs on and travels back exactly.
        assert_eq!(s.goto(502), 502);
        s.append("sve-op A z2=fill(0x22)", 10).expect("append");
        assert_eq!(s.goto(250), 250);
        assert!(s.machine() == &want[250]);
        s.reset();
        assert_eq!(s.history_stats().checkpoints, 1);
        assert_eq!(s.stride, 1);
    }
}
