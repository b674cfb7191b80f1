//! Reading the state without changing it: `eval`, `show`, diffs between positions, the
//! ABI oracle's promises and whole traces.

use super::*;

impl Session {
    /// What the ABI (sve.rst) promises task `name` reads in V0–V31 now, from its own
    /// history (`None` for a register it leaves unspecified); `None` without such a task.
    pub fn promised_v(&self, name: &str) -> Option<[Option<u128>; 32]> {
        let t = self.state.machine.task_id(name)?;
        Some(self.state.oracle.expected_v(t))
    }

    /// Every violation now, with the ABI oracle's (for `show violations`).
    pub fn violations_now(&self) -> Vec<Violation> {
        let mut v = self.state.machine.check();
        v.extend(self.state.oracle.check(&self.state.machine));
        v
    }

    /// Evaluates a path (`A.z0[255:128]`) or a condition (`A.TIF_SVE == 1`) now.
    pub fn eval(&self, text: &str) -> Result<String, Vec<Diagnostic>> {
        let m = &self.state.machine;
        let to_diag = |e: eval::EvalError| {
            vec![Diagnostic::error(
                text,
                Span::new(0, text.len()),
                e.message,
                e.hint,
            )]
        };
        let t = text.trim();
        let is_condition = t == "no-violations" || t.starts_with("violation ");
        if let (false, Ok(p)) = (is_condition, crate::dsl::parse_path(text)) {
            return eval::eval_path(m, &p)
                .map(|v| v.to_string())
                .map_err(to_diag);
        }
        let c = crate::dsl::parse_condition(text)?;
        eval::eval_condition(m, &c, &self.seen_for(&c))
            .map(|r| {
                format!(
                    "{} (actual {})",
                    if r.passed { "true" } else { "false" },
                    r.actual
                )
            })
            .map_err(to_diag)
    }

    /// What `show TARGET` prints now (`A`, `cpu0`, `V0`, `counters`, `events`,
    /// `violations`, `config`, `machine`, or a path).
    pub fn show(&self, target: &str) -> Result<String, Vec<Diagnostic>> {
        let src = format!("show {target}");
        let (p, d) = crate::dsl::parse(&src);
        if !d.is_empty() {
            return Err(d);
        }
        match p.stmts.first().map(|s| &s.kind) {
            Some(StmtKind::Show(t)) => show_target(&self.state.machine, t).map_err(|e| {
                vec![Diagnostic::error(
                    target,
                    Span::new(0, target.len()),
                    e.message,
                    e.hint,
                )]
            }),
            _ => Err(vec![Diagnostic::error(
                target,
                Span::new(0, target.len()),
                "nothing to show",
                "e.g. `show A`",
            )]),
        }
    }

    /// The machine at position `n` (replayed on a copy; the session does not move).
    /// `None` if the program ends (or fails) before `n`.
    pub fn machine_at(&mut self, n: u64) -> Option<Machine> {
        let here = self.state.clone();
        let reached = self.goto(n);
        let m = (reached == n).then(|| self.state.machine.clone());
        self.state = here;
        m
    }

    /// What changed between positions `a` and `b`: every raw field, and each task's user
    /// view registers (`A.user.z0`). `None` if a position is out of reach.
    pub fn diff(&mut self, a: u64, b: u64) -> Option<Vec<FieldChange>> {
        let ma = self.machine_at(a)?;
        let mb = self.machine_at(b)?;
        Some(diff_machines(&ma, &mb))
    }

    /// Memory used by time travel.
    pub fn history_stats(&self) -> HistoryStats {
        HistoryStats {
            checkpoints: self.checkpoints.len(),
            bytes: self.checkpoints.iter().map(approx_size).sum(),
            frontier: self.frontier,
        }
    }

    /// Runs the whole program from position 0 (within `budget` steps) and returns the
    /// trace; the session is left at the end.
    pub fn trace(&mut self, budget: u64) -> Trace {
        self.reset();
        let mut reports = Vec::new();
        let opts = RunOptions {
            budget,
            stop_on_expect_failure: false,
            breakpoints: false,
        };
        let summary = self.run_with(&opts, &mut |r| reports.push(r.clone()));
        Trace {
            source: self.program.source.clone(),
            kernel: self.state.machine.kernel().name(),
            reports,
            stop: summary.stop,
            machine: self.state.machine.clone(),
        }
    }
}

/// `show` for a parsed target.
pub fn show_target(m: &Machine, t: &ShowTarget) -> Result<String, eval::EvalError> {
    Ok(match t {
        ShowTarget::Counters => render::show_counters(m),
        ShowTarget::Events => render::show_events(m),
        ShowTarget::Violations => render::show_violations(m),
        ShowTarget::Config => render::show_config(m),
        ShowTarget::Machine => render::show_machine(m),
        ShowTarget::Path(p) => {
            if p.segments.len() == 1 && p.slice.is_none() {
                let n = &p.segments[0];
                if let Some(t) = m.task_id(n) {
                    return Ok(render::show_task(m, t));
                }
                if let Some(v) = m.vcpu_id(n) {
                    return Ok(render::show_vcpu(m, v));
                }
                if let Some(c) = crate::model::types::cpu_index(n) {
                    if usize::from(c) < m.cpus.len() {
                        return Ok(render::show_cpu(m, CpuId(c)));
                    }
                }
            }
            format!("{} = {}\n", p.text(), eval::eval_path(m, p)?)
        }
    })
}

pub(super) fn user_regs(m: &Machine) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, t) in m.tasks.iter().enumerate() {
        if let Some(v) = m.user_view(TaskId(i as u16)) {
            for n in 0..32 {
                out.push((format!("{}.user.z{n}", t.name), eval::fmt_bytes(&v.z[n])));
            }
            for n in 0..16 {
                out.push((format!("{}.user.p{n}", t.name), eval::fmt_bytes(&v.p[n])));
            }
            out.push((format!("{}.user.ffr", t.name), eval::fmt_bytes(&v.ffr)));
            out.push((format!("{}.user.fpsr", t.name), v.fpsr.to_string()));
            out.push((format!("{}.user.fpcr", t.name), v.fpcr.to_string()));
            out.push((
                format!("{}.user.vl", t.name),
                (u32::from(v.vl) * 8).to_string(),
            ));
        }
    }
    out
}

/// Every field that differs between two machines (raw fields and user views).
pub fn diff_machines(a: &Machine, b: &Machine) -> Vec<FieldChange> {
    diff_fields(
        render::flatten(a).into_iter().chain(user_regs(a)).collect(),
        render::flatten(b).into_iter().chain(user_regs(b)).collect(),
    )
}

pub(super) fn diff_fields(a: Vec<(String, String)>, b: Vec<(String, String)>) -> Vec<FieldChange> {
    use std::collections::BTreeMap;
    let ma: BTreeMap<String, String> = a.iter().cloned().collect();
    let mb: BTreeMap<String, String> = b.iter().cloned().collect();
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in a.iter().chain(b.iter()) {
        if !seen.insert(k.clone()) {
            continue;
        }
        let x = ma.get(k);
        let y = mb.get(k);
        if x != y {
            out.push(FieldChange {
                path: k.clone(),
                before: x.cloned().unwrap_or_else(|| "absent".into()),
                after: y.cloned().unwrap_or_else(|| "absent".into()),
            });
        }
    }
    out
}
