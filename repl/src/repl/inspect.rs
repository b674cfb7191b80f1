//! Reading the state: `show`, registers, the program listing, diffs, events, `:why`, `:explain`.

use super::*;
use svelab_core::explain;

impl Repl {
    pub(super) fn show(&mut self, w: &str) {
        let src = format!("show {w}");
        let (_, ds) = svelab_core::parse(&src);
        if !ds.is_empty() {
            self.diags(&src, &ds, None);
            return;
        }
        match self.session.show(w) {
            Ok(text) => self.print(&display::wrap_text(&text, self.width())),
            Err(ds) => self.diags(w, &ds, None),
        }
    }

    pub(super) fn regs(&mut self, target: &str, fmt: RegFormat) {
        let pos = self.session.position();
        let prev = pos.checked_sub(1).and_then(|p| self.session.machine_at(p));
        let m = self.session.machine();
        let w = self.width();
        if let Some(t) = m.task_id(target) {
            let Some(v) = m.user_view(t) else {
                self.note(format!("{target} has exited: it has no registers to read"));
                return;
            };
            let pv = prev
                .as_ref()
                .and_then(|p| p.task_id(target).and_then(|t| p.user_view(t)));
            let title = format!("{target} · user view (what its next instruction reads)");
            self.print(&display::regs(&title, &v, pv.as_ref(), fmt, self.st, w));
            return;
        }
        let cpu = target
            .strip_prefix("cpu")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|&n| usize::from(n) < m.cpus.len());
        if let Some(c) = cpu {
            let c = svelab_core::CpuId(c);
            let v = m.regs_view(c);
            let pv = prev
                .as_ref()
                .filter(|p| c.0 < p.cpus.len() as u8)
                .map(|p| p.regs_view(c));
            let whose = match m.reg_owner(c) {
                svelab_core::model::view::RegOwner::Nobody => "nobody's state".to_string(),
                svelab_core::model::view::RegOwner::Task { task, current } => format!(
                    "{}'s state, {}",
                    m.task(task).name,
                    if current { "fresh" } else { "stale" }
                ),
                svelab_core::model::view::RegOwner::Vcpu(v) => {
                    format!("guest {}'s state", m.vcpu(v).name)
                }
            };
            let title = format!("{target} · raw registers · {whose}");
            self.print(&display::regs(&title, &v, pv.as_ref(), fmt, self.st, w));
            return;
        }
        if m.vcpu_id(target).is_some() {
            self.note(format!("a vCPU's registers are in its buffers: `:show {target}`, or `:regs cpuN` while it runs"));
            return;
        }
        let mut names: Vec<String> = m.tasks.iter().map(|t| t.name.to_string()).collect();
        names.extend((0..m.cpus.len()).map(|i| format!("cpu{i}")));
        let line = format!(":regs {target}");
        let d = Diagnostic::error(
            &line,
            Span::new(6, line.len()),
            format!("no task or CPU named `{target}`"),
            if names.is_empty() {
                "there are no tasks yet; CPUs are cpu0, cpu1, …".to_string()
            } else {
                format!("one of: {}", names.join(", "))
            },
        );
        self.diags(&line, &[d], None);
    }

    pub(super) fn list(&self) {
        let src = self.session.source();
        if src.trim().is_empty() {
            self.note("(the program is empty: type a statement)");
            return;
        }
        let next = self.session.next_statement().map(|(_, l)| l);
        let mut out = String::new();
        for (i, l) in src.lines().enumerate() {
            let n = i as u32 + 1;
            let mark = if Some(n) == next {
                self.st.yellow("▶")
            } else {
                " ".into()
            };
            out.push_str(&format!(
                "{mark} {} {} {}\n",
                self.st.dim(format!("{n:>4}")),
                self.st.blue("│"),
                crate::helper::highlight_line(
                    l,
                    &Names::of_machine(self.session.machine()),
                    self.st
                )
            ));
        }
        out.push_str(&format!("{}\n", self.st.dim(self.where_line())));
        self.print(&out);
    }

    pub(super) fn diff(&mut self, a: u64, b: Option<u64>) {
        let b = b.unwrap_or(self.session.position());
        match self.session.diff(a, b) {
            None => self.error(
                format!("step {} is out of reach", a.max(b)),
                format!(
                    "the program has run {} steps",
                    self.session.history_stats().frontier
                ),
            ),
            Some(list) if list.is_empty() => {
                self.note(format!("steps {a} and {b}: no differences"))
            }
            Some(list) => {
                self.print(&format!(
                    "{}\n",
                    self.st.bold(format!(
                        "{} fields differ between step {a} and step {b}",
                        list.len()
                    ))
                ));
                self.print(&display::changes(&list, self.st, self.width(), usize::MAX));
            }
        }
    }

    pub(super) fn events(&mut self, n: Option<u64>) {
        let pos = self.session.position();
        let Some(n) = n.or_else(|| pos.checked_sub(1)) else {
            self.note("no step has run yet");
            return;
        };
        match self.report_of(n) {
            Some(r) => {
                self.print(&display::wrap_text(
                    &display::report(&r, true, self.st),
                    self.width(),
                ));
                if let Some(e) = r.events.first() {
                    self.note(format!(
                        "`:explain {}` says what a function does",
                        e.event.function()
                    ));
                }
            }
            None => self.error(
                format!("there is no step {n}"),
                format!(
                    "steps are numbered from 0; {} have run",
                    self.session.history_stats().frontier
                ),
            ),
        }
    }

    pub(super) fn why(&mut self, path: &str) {
        let path = path.replace(".user.", ".");
        let now = match self.session.eval(&path) {
            Ok(v) => v,
            Err(ds) => {
                self.diags(&path, &ds, None);
                return;
            }
        };
        let pos = self.session.position();
        let st = self.st;
        if pos == 0 {
            self.print(&format!("{} = {now}\n", st.bold(&path)));
            self.note("nothing has run yet");
            return;
        }
        let lo = pos.saturating_sub(WHY_WINDOW);
        let value_at = |s: &mut Session, k: u64| -> String {
            s.goto(k);
            s.eval(&path).unwrap_or_else(|_| "(absent)".into())
        };
        let mut prev = value_at(&mut self.session, lo);
        let mut last = None;
        let mut stopped = false;
        let mut progress = Progress::new(st);
        for k in lo + 1..=pos {
            if k % 512 == 0 {
                if self.interrupted() {
                    stopped = true;
                    break;
                }
                progress.tick("searching", k);
            }
            let v = value_at(&mut self.session, k);
            if v != prev {
                last = Some((k, prev.clone(), v.clone()));
            }
            prev = v;
        }
        progress.clear();
        self.session.goto(pos);
        self.print(&format!("{} = {}\n", st.bold(&path), st.changed(&now)));
        if stopped {
            self.print_interrupted();
            return;
        }
        let Some((k, was, became)) = last else {
            self.note(if lo == 0 {
                "  unchanged since the start".to_string()
            } else {
                format!("  unchanged in the last {WHY_WINDOW} steps")
            });
            return;
        };
        let Some(r) = self.report_of(k - 1) else {
            return;
        };
        // The counting function for a counter, the last possible writer for any other field.
        let by = explain::writer_of(&path, r.events.iter().map(|e| &e.event)).map(str::to_string);
        let mut out = format!(
            "  set by step {} (line {}): {}\n  {} {} {}\n",
            r.step,
            r.line,
            st.bold(&r.text),
            st.dim(&was),
            st.dim("→"),
            st.changed(&became)
        );
        if was == "(absent)" {
            out = format!(
                "  created by step {} (line {}): {}\n",
                r.step,
                r.line,
                st.bold(&r.text)
            );
            self.print(&out);
            return;
        }
        let user_op = [
            "sve-op",
            "fp-op",
            "guest-sve-op",
            "guest-fp-op",
            "guest-zcr",
        ]
        .iter()
        .any(|k| r.text.starts_with(k));
        match by {
            Some(f) => out.push_str(&format!(
                "  in {} {}\n",
                st.cyan(&f),
                st.dim(format!("(`:explain {f}`, `:events {}`)", r.step))
            )),
            None if user_op && display::is_register(&path) => {
                out.push_str("  written by the instruction itself\n")
            }
            None if r.events.is_empty() => {
                out.push_str("  by the statement itself (no kernel function ran)\n")
            }
            None => {
                let mut fs: Vec<String> = r
                    .events
                    .iter()
                    .map(|e| e.event.function().to_string())
                    .collect();
                fs.dedup();
                out.push_str(&format!("  during: {}\n", fs.join(", ")));
            }
        }
        self.print(&out);
    }

    pub(super) fn explain(&mut self, what: Option<&str>) {
        let st = self.st;
        let w = self.width().saturating_sub(4).max(40);
        let Some(what) = what else {
            let pos = self.session.position();
            let Some(r) = pos.checked_sub(1).and_then(|p| self.report_of(p)) else {
                self.note("no step has run yet; `:explain NAME` explains a function, invariant, bug or field");
                return;
            };
            let mut out = format!("{} {}\n", st.dim(format!("[{}]", r.step)), st.bold(&r.text));
            let mut seen = Vec::new();
            for e in &r.events {
                let f = e.event.function();
                if seen.contains(&f) {
                    continue;
                }
                seen.push(f);
                let text = explain::FUNCTIONS
                    .iter()
                    .find(|(n, _)| *n == f)
                    .map_or("", |(_, t)| t);
                let first = text.split(". ").next().unwrap_or("");
                out.push_str(&format!(
                    "  {} {}\n",
                    st.cyan(f),
                    first.trim_end_matches('.')
                ));
            }
            if r.events.is_empty() {
                out.push_str("  (no kernel function ran in this step)\n");
            }
            for v in &r.violations {
                out.push_str(&format!(
                    "  {} {}\n",
                    st.red(format!("[{}]", v.rule.code())),
                    v.rule.title()
                ));
            }
            self.print(&out);
            return;
        };
        let entries = explain::lookup(what);
        if entries.is_empty() {
            let s = explain::suggest(what);
            self.error(
                format!("nothing to explain for `{what}`"),
                if s.is_empty() {
                    "try a kernel function (fpsimd_save), an invariant (B1), a field (TIF_SVE) or a bug; Tab completes".to_string()
                } else {
                    format!("did you mean {}?", s.join(", "))
                },
            );
            return;
        }
        let mut out = String::new();
        for e in entries {
            out.push_str(&format!(
                "{} {}\n",
                st.dim(format!("{}:", e.kind)),
                st.heading(&e.name)
            ));
            for para in e.text.lines() {
                let indent = if para.starts_with("  ") { "  " } else { "" };
                for l in display::wrap(para.trim_start(), w - indent.len()) {
                    out.push_str(&format!("  {indent}{l}\n"));
                }
            }
        }
        self.print(&out);
    }
}
