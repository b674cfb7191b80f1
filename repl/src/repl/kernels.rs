//! Other kernels: `:kernel`, `:compare` and `:real`, and the side-by-side rendering.

use super::*;

impl Repl {
    pub(super) fn switch_kernel(&mut self, k: Kernel) {
        let opts = SessionOptions {
            kernel: Some(k),
            ..self.sopts.clone()
        };
        let pos = self.session.position();
        let src = self.session.source().to_string();
        let before = self.session.machine().clone();
        // The expects are what a student reruns for: report the ones that fail on `k`.
        let mut expects = 0u64;
        let mut failed: Vec<StepReport> = Vec::new();
        let mut more = 0u64;
        let mut count = |r: &StepReport| {
            if matches!(r.outcome, StepOutcome::Expect(_)) {
                expects += 1;
            }
            if r.expect_failed() {
                if failed.len() < NOTABLE {
                    failed.push(r.clone());
                } else {
                    more += 1;
                }
            }
        };
        let replayed = self.replay_with(&opts, &src, pos, &mut count);
        match replayed {
            Replay::Interrupted => {
                self.note("(interrupted; still on the old kernel)");
                return;
            }
            Replay::Done(s) => {
                self.session = s;
                self.sopts = opts;
            }
            Replay::Stopped(s, d) => {
                self.session = s;
                self.sopts = opts;
                self.diags(self.session.source(), &[d], None);
                self.note(format!(
                    "on {} the program stops here with an error; statements typed now continue from step {}",
                    k.name(),
                    self.session.position()
                ));
            }
        }
        self.print(&format!(
            "{} {}\n",
            self.st.bold(format!("kernel {}", k.name())),
            self.st.dim(format!(
                "({}) · {}",
                help::kernel_line(k),
                self.where_line()
            ))
        ));
        let fails = failed.len() as u64 + more;
        if fails > 0 {
            let mut out = format!(
                "{}\n",
                self.st.error(format!(
                    "{fails} expect{} on {}:",
                    if fails == 1 { " fails" } else { "s fail" },
                    k.name()
                ))
            );
            for r in &failed {
                out.push_str(&display::report(r, false, self.st));
            }
            if more > 0 {
                out.push_str(&format!("{}\n", self.st.dim(format!("⋮ ({more} more)"))));
            }
            self.print(&display::wrap_text(&out, self.width()));
        } else if expects > 0 {
            self.note(format!(
                "every expect holds on {} ({expects} run so far)",
                k.name()
            ));
        }
        if !src.trim().is_empty() {
            self.show_panel(Some(&before));
        }
    }

    /// `:real`: the whole program on real kernels under QEMU, beside the model.
    pub(super) fn real(&mut self, labels: &[&str]) {
        let src = self.session.source().to_string();
        if src.trim().is_empty() {
            self.note("nothing to run yet: type some statements first");
            return;
        }
        let kernels: Vec<_> = labels
            .iter()
            .filter_map(|l| svelab_real::pinned(l))
            .collect();
        let inputs = [("this session".to_string(), "session".to_string(), src)];
        crate::realcmd::check(&inputs, &kernels, self.st, self.st);
    }

    pub(super) fn compare(&mut self, k: Kernel) {
        let a = self.kernel();
        let src = self.session.source().to_string();
        if src.trim().is_empty() {
            self.note("nothing to compare yet: type some statements first");
            return;
        }
        // The whole program (capped: `compare` cannot be interrupted), or at least as far
        // as this session has run.
        let budget = self
            .program_len()
            .min(1_000_000)
            .max(self.session.history_stats().frontier)
            .max(self.session.position());
        match compare(&src, a, k, budget) {
            Err(ds) => self.diags(&src, &ds, None),
            Ok(c) => self.print(&render_comparison(&c, self.st, self.width())),
        }
    }
}

/// The longest common subsequence diff of two line lists: (tag, line) with tag ' ', '-', '+'.
/// The kernel a script's first `kernel` statement names.
pub(super) fn script_kernel(p: &svelab_core::dsl::Program) -> Option<Kernel> {
    p.stmts.iter().find_map(|s| match s.kind {
        svelab_core::dsl::StmtKind::Kernel(k) => Some(k),
        _ => None,
    })
}

pub(super) fn line_diff<'a>(a: &'a [String], b: &'a [String]) -> Vec<(char, &'a str)> {
    let (n, m) = (a.len(), b.len());
    let mut l = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            l[i][j] = if a[i] == b[j] {
                l[i + 1][j + 1] + 1
            } else {
                l[i + 1][j].max(l[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push((' ', a[i].as_str()));
            i += 1;
            j += 1;
        } else if j < m && (i == n || l[i][j + 1] >= l[i + 1][j]) {
            out.push(('+', b[j].as_str()));
            j += 1;
        } else {
            out.push(('-', a[i].as_str()));
            i += 1;
        }
    }
    out
}

/// `:compare`: the steps that differ (events as a diff), then the final differences.
pub(super) fn render_comparison(c: &Comparison, st: Style, w: usize) -> String {
    let (ka, kb) = (&c.kernel_a, &c.kernel_b);
    let mut out = format!(
        "{} {}\n",
        st.heading(format!("{ka} vs {kb}")),
        st.dim(format!(
            "· {} step{}, {} differ · {} only on {ka}, {} only on {kb}",
            c.steps,
            if c.steps == 1 { "" } else { "s" },
            c.steps_differing.len(),
            st.red("-"),
            st.green("+")
        ))
    );
    const MAX: usize = 40;
    for d in c.steps_differing.iter().take(MAX) {
        out.push_str(&format!(
            "{} {}\n",
            st.dim(format!("[{}] {}:", d.step, d.line)),
            st.bold(&d.text)
        ));
        if d.events_a != d.events_b {
            for (tag, l) in line_diff(&d.events_a, &d.events_b) {
                let line = format!("  {tag} {l}");
                out.push_str(&match tag {
                    '-' => st.red(line),
                    '+' => st.green(line),
                    _ => st.dim(line),
                });
                out.push('\n');
            }
        }
        let width = ka.len().max(kb.len());
        if d.counters_a != d.counters_b {
            out.push_str(&format!(
                "    counters {}: {}\n    counters {}: {}\n",
                style::pad(ka, width),
                d.counters_a,
                style::pad(kb, width),
                d.counters_b
            ));
        }
        if d.outcome_a != d.outcome_b {
            out.push_str(&format!(
                "    outcome  {}: {}\n    outcome  {}: {}\n",
                style::pad(ka, width),
                d.outcome_a.trim_end(),
                style::pad(kb, width),
                d.outcome_b.trim_end()
            ));
        }
    }
    if c.steps_differing.len() > MAX {
        out.push_str(&format!(
            "{}\n",
            st.dim(format!(
                "⋮ {} more steps differ",
                c.steps_differing.len() - MAX
            ))
        ));
    }
    if c.steps_differing.is_empty() {
        out.push_str(&format!(
            "{}\n",
            st.green("every step does the same on both kernels")
        ));
    }
    if c.final_differences.is_empty() {
        out.push_str(&format!("{}\n", st.dim("the final states are the same")));
    } else {
        out.push_str(&format!(
            "{}\n",
            st.bold(format!(
                "final state: {} fields differ ({ka} → {kb})",
                c.final_differences.len()
            ))
        ));
        out.push_str(&display::changes(&c.final_differences, st, w, 30));
    }
    out.push_str(&format!("{}\n", st.dim("total counters")));
    for (k, t) in [(ka, &c.totals.0), (kb, &c.totals.1)] {
        let lines = display::wrap(t, w.saturating_sub(k.len() + 6).max(30));
        for (i, l) in lines.iter().enumerate() {
            let label = if i == 0 {
                format!("{k}:")
            } else {
                String::new()
            };
            out.push_str(&format!("  {} {l}\n", style::pad(&label, k.len() + 1)));
        }
    }
    out
}
