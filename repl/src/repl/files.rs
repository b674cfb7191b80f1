//! Files: `:load`, loading a program from any source, `:save`, `:export`.

use super::kernels::script_kernel;
use super::*;

impl Repl {
    pub(super) fn load(&mut self, path: &std::path::Path) {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    format!("cannot read `{name}`: {e}"),
                    "the path is relative to where svelab started",
                );
                return;
            }
        };
        // On the kernel chosen with `:kernel`/`--kernel` if any, else the script's own.
        self.load_source(&text, &name, self.sopts.kernel, true);
    }

    /// Replaces the session with `source` at step 0, on `kernel` (`None`: the script's own
    /// `kernel` line); runs it to the end if `run`.
    pub(super) fn load_source(
        &mut self,
        source: &str,
        name: &str,
        kernel: Option<Kernel>,
        run: bool,
    ) {
        let (prog, ds) = svelab_core::parse(source);
        if !ds.is_empty() {
            self.diags(source, &ds, Some(name));
        }
        if ds.iter().any(|d| d.severity == Severity::Error) {
            self.note("(nothing loaded: the session is unchanged)");
            return;
        }
        let own = script_kernel(&prog);
        if self.sopts.kernel.is_some() && self.sopts.kernel != kernel {
            self.note(format!(
                "(the session ran on {} chosen with `:kernel`/`--kernel`; {name} runs on {})",
                self.kernel().name(),
                kernel
                    .or(own)
                    .map_or_else(|| "its own kernel".to_string(), |k| k.name().to_string())
            ));
        }
        self.sopts.kernel = kernel;
        let mut s = Session::new(self.sopts.clone());
        s.load(source);
        self.stopped_at = None;
        // A new program: what it changes and counts is measured from a fresh start, not
        // from whatever ran before.
        let before = s.machine().clone();
        self.session = s;
        let on = match (kernel, own) {
            (Some(k), Some(o)) if k != o => format!(
                "{} (chosen with `:kernel`; the script says {})",
                k.name(),
                o.name()
            ),
            (Some(k), _) | (None, Some(k)) => k.name().to_string(),
            (None, None) => self.kernel().name().to_string(),
        };
        let steps = self.program_len();
        if !run {
            self.print(&course::script_text(source, 4, self.st));
            self.note(format!(
                "loaded {name} at step 0 of {steps}, on {on} · a new program · `:step` runs \
                 the next statement, `:run` the rest, `:list` shows the program"
            ));
            return;
        }
        self.note(format!(
            "loaded {name} on {on} · a new program (changes and counters count from a \
             fresh start)"
        ));
        let mut col = Collector::default();
        let end = self.run_rest(&mut col);
        self.print(&display::wrap_text(&col.render(self.st), self.width()));
        if let RunEnd::Error(d) = &end {
            self.diags(source, &[(**d).clone()], Some(name));
            self.note(format!("the script stops here; {}", self.where_line()));
        }
        self.after_run(&before, &col, &end);
    }

    pub(super) fn save(&self, path: &std::path::Path) {
        let mut src = self.session.source().to_string();
        if let Some(k) = self.sopts.kernel {
            // The session runs a forced kernel: make the script say so.
            let has_kernel = self
                .session
                .program()
                .stmts
                .iter()
                .any(|s| matches!(s.kind, svelab_core::dsl::StmtKind::Kernel(_)));
            if has_kernel {
                self.note(format!(
                    "(the script has its own `kernel` statement; this session ran it on {})",
                    k.name()
                ));
            } else {
                src = format!("kernel {}\n{src}", k.name());
            }
        }
        if !src.ends_with('\n') {
            src.push('\n');
        }
        match std::fs::write(path, &src) {
            Ok(()) => self.note(format!(
                "saved {} lines to {}",
                src.lines().count(),
                path.display()
            )),
            Err(e) => self.error(format!("cannot write `{}`: {e}", path.display()), ""),
        }
    }

    pub(super) fn export(&mut self, path: &std::path::Path) {
        let src = self.session.source().to_string();
        let budget = self
            .session
            .history_stats()
            .frontier
            .max(self.session.position());
        let mut s = Session::new(self.sopts.clone());
        s.load(&src);
        let mut reports = Vec::new();
        let mut stop = StopReason::End;
        let mut pace = Pacer::new();
        while s.position() < budget {
            if self.interrupted() {
                self.note("(interrupted; nothing written)");
                return;
            }
            let r = s.run_with(
                &RunOptions {
                    budget: pace.next(budget - s.position()),
                    stop_on_expect_failure: false,
                    breakpoints: false,
                },
                &mut |r| reports.push(r.clone()),
            );
            pace.done(r.steps);
            stop = r.stop;
            if matches!(stop, StopReason::End | StopReason::Error) {
                break;
            }
        }
        let steps = reports.iter().filter(|r| r.error.is_none()).count();
        let t = Trace {
            source: src,
            kernel: s.machine().kernel().name(),
            reports,
            stop,
            machine: s.machine().clone(),
        };
        match std::fs::write(path, trace_to_json(&t) + "\n") {
            Ok(()) => self.note(format!(
                "wrote a trace of {steps} steps to {}",
                path.display()
            )),
            Err(e) => self.error(format!("cannot write `{}`: {e}", path.display()), ""),
        }
    }
}
