//! Running statements: chunks, Ctrl-C, breakpoints and watches, stepping and time travel.

use super::*;

impl Repl {
    // -------------------------------------------------------------------------------
    // Running.

    /// Runs the rest of the program in chunks, collecting reports.
    pub(super) fn run_rest(&mut self, col: &mut Collector) -> RunEnd {
        let mut progress = Progress::new(self.st);
        let end = self.run_rest_inner(col, &mut progress);
        progress.clear();
        end
    }

    pub(super) fn run_rest_inner(
        &mut self,
        col: &mut Collector,
        progress: &mut Progress,
    ) -> RunEnd {
        let mut pace = Pacer::new();
        let installed = self.install_breakpoints();
        let watches: Vec<(u32, String, String)> = self
            .stops
            .iter()
            .filter_map(|s| match &s.kind {
                StopKind::Watch(p) => Some((s.id, p.clone(), self.watch_value(p))),
                _ => None,
            })
            .collect();
        // A run that resumes leaves the breakpoint it stopped at; one from the start of a
        // program (`:load`, `:goto 0` then `:run`) stops before line 1 if asked to.
        let pos = self.session.position();
        let mut resuming = pos > 0 || self.stopped_at == Some(pos);
        self.stopped_at = None;
        loop {
            if self.session.is_finished() {
                return RunEnd::Finished;
            }
            if self.interrupted() {
                return RunEnd::Interrupted;
            }
            // The session checks line breakpoints inside a run call only (not before its
            // first step, so that a run can leave a breakpoint): check chunk boundaries.
            if !resuming {
                if let Some(stop) = self.line_stop_here() {
                    let what = format!("stopped at {}", stop.describe());
                    self.stopped_at = Some(self.session.position());
                    return RunEnd::Stopped(what);
                }
            }
            resuming = false;
            progress.tick("running", self.session.position());
            let opts = RunOptions {
                // Watches are checked after every step.
                budget: if watches.is_empty() {
                    pace.next(u64::MAX)
                } else {
                    1
                },
                stop_on_expect_failure: false,
                breakpoints: !installed.is_empty(),
            };
            let s = self.session.run_with(&opts, &mut |r| col.push(r));
            pace.done(s.steps);
            match s.stop {
                StopReason::End => return RunEnd::Finished,
                StopReason::Error => {
                    let d = s.last.and_then(|r| r.error).unwrap_or_else(|| {
                        Diagnostic::error("", Span::new(0, 0), "the step failed", "")
                    });
                    return RunEnd::Error(Box::new(d));
                }
                StopReason::Breakpoint(b) => {
                    let what = installed
                        .iter()
                        .find(|(id, _)| *id == b)
                        .and_then(|(_, ours)| self.stops.iter().find(|s| s.id == *ours))
                        .map_or_else(|| "a breakpoint".to_string(), Stop::describe);
                    // A condition became true in the last step; a line stops before it.
                    let at = match (&s.last, what.contains(" · when ")) {
                        (Some(r), true) => format!(", true after [{}] `{}`", r.step, r.text),
                        _ => String::new(),
                    };
                    return RunEnd::Stopped(format!("stopped at {what}{at}"));
                }
                _ => {}
            }
            for (id, path, old) in &watches {
                let now = self.watch_value(path);
                if now != *old {
                    let at = match &s.last {
                        Some(r) => format!(" in [{}] `{}`", r.step, r.text),
                        None => String::new(),
                    };
                    return RunEnd::Stopped(format!(
                        "stopped by watch {id}: {path} {old} → {now}{at}"
                    ));
                }
            }
        }
    }

    /// Puts the REPL's line and condition breakpoints into the session (replacing what it
    /// had); the pairs (session's id, ours).
    pub(super) fn install_breakpoints(&mut self) -> Vec<(svelab_core::session::BreakpointId, u32)> {
        let old: Vec<_> = self.session.breakpoints().iter().map(|(i, _)| *i).collect();
        for id in old {
            self.session.remove_breakpoint(id);
        }
        let mut out = Vec::new();
        for s in &self.stops {
            let b = match &s.kind {
                StopKind::Line(l) => Some(self.session.break_at_line(*l)),
                StopKind::When(c) => self.session.break_when(c).ok(),
                StopKind::Watch(_) => None,
            };
            if let Some(b) = b {
                out.push((b, s.id));
            }
        }
        out
    }

    /// The line breakpoint on the line of the next statement, if any.
    pub(super) fn line_stop_here(&self) -> Option<&Stop> {
        let (_, line) = self.session.next_statement()?;
        self.stops
            .iter()
            .find(|s| matches!(s.kind, StopKind::Line(l) if l == line))
    }

    /// A watched path's value now (or why it has none, e.g. before its task exists).
    pub(super) fn watch_value(&self, path: &str) -> String {
        match self.session.eval(path) {
            Ok(v) => v
                .strip_prefix(path)
                .and_then(|r| r.strip_prefix(" = "))
                .unwrap_or(&v)
                .to_string(),
            Err(_) => "(none)".to_string(),
        }
    }

    /// A fresh session with `opts`, running `source` up to step `pos` (in chunks).
    pub(super) fn replay(&self, opts: &SessionOptions, source: &str, pos: u64) -> Replay {
        self.replay_with(opts, source, pos, &mut |_| {})
    }

    /// [`Repl::replay`], calling `on_step` with every step's report.
    pub(super) fn replay_with(
        &self,
        opts: &SessionOptions,
        source: &str,
        pos: u64,
        on_step: &mut dyn FnMut(&StepReport),
    ) -> Replay {
        let mut progress = Progress::new(self.st);
        let r = self.replay_inner(opts, source, pos, &mut progress, on_step);
        progress.clear();
        r
    }

    pub(super) fn replay_inner(
        &self,
        opts: &SessionOptions,
        source: &str,
        pos: u64,
        progress: &mut Progress,
        on_step: &mut dyn FnMut(&StepReport),
    ) -> Replay {
        let mut s = Session::new(opts.clone());
        s.load(source);
        let mut pace = Pacer::new();
        while s.position() < pos {
            if self.interrupted() {
                return Replay::Interrupted;
            }
            progress.tick("replaying", s.position());
            let opts = RunOptions {
                budget: pace.next(pos - s.position()),
                stop_on_expect_failure: false,
                breakpoints: false,
            };
            let r = s.run_with(&opts, on_step);
            pace.done(r.steps);
            match r.stop {
                StopReason::Error => {
                    let d = r.last.and_then(|r| r.error).unwrap_or_else(|| {
                        Diagnostic::error("", Span::new(0, 0), "the step failed", "")
                    });
                    return Replay::Stopped(s, d);
                }
                StopReason::End => break,
                _ => {}
            }
        }
        Replay::Done(s)
    }

    /// Cuts the program after the current step, so that new statements continue from
    /// here. Returns the session as it was (to put back if the input fails), or `None` if
    /// interrupted (nothing changed).
    pub(super) fn fork_here(&mut self) -> Option<Session> {
        let pos = self.session.position();
        let src = program::prefix_source(self.session.program(), pos);
        match self.replay(&self.sopts, &src, pos) {
            Replay::Done(s) if s.position() == pos => Some(std::mem::replace(&mut self.session, s)),
            _ => {
                self.note("(interrupted; nothing changed)");
                None
            }
        }
    }

    /// Steps in the whole program: known once a run reached its end, else counted from
    /// the statements (an upper bound if a step fails).
    pub(super) fn program_len(&self) -> u64 {
        self.session.known_len().unwrap_or_else(|| {
            let n = self
                .session
                .program()
                .stmts
                .iter()
                .map(program::steps_of)
                .fold(0u128, u128::saturating_add);
            u64::try_from(n).unwrap_or(u64::MAX)
        })
    }

    pub(super) fn print_interrupted(&self) {
        let text = format!(
            "interrupted {} · `:run` continues, a new statement drops the rest",
            self.where_line()
        );
        let mut out = String::new();
        for (i, l) in display::wrap(&text, self.width().saturating_sub(4))
            .iter()
            .enumerate()
        {
            match (i, l.strip_prefix("interrupted")) {
                (0, Some(rest)) => out.push_str(&format!(
                    "{}{}\n",
                    self.st.yellow("interrupted"),
                    self.st.dim(rest)
                )),
                _ => out.push_str(&format!("  {}\n", self.st.dim(l))),
            }
        }
        self.print(&out);
    }

    pub(super) fn print_stopped(&self, what: &str) {
        let text = format!(
            "{what} · {} · `:run` goes on, `:step` steps, `:delete N` removes it",
            self.where_line()
        );
        let mut out = String::new();
        for (i, l) in display::wrap(&text, self.width().saturating_sub(4))
            .iter()
            .enumerate()
        {
            if i == 0 {
                out.push_str(&format!("{}\n", self.st.yellow(l)));
            } else {
                out.push_str(&format!("  {}\n", self.st.dim(l)));
            }
        }
        self.print(&out);
    }

    pub(super) fn show_panel(&self, before: Option<&Machine>) {
        if self.panel {
            self.print(&display::panel(
                before,
                self.session.machine(),
                self.st,
                self.width(),
            ));
        }
    }

    /// After a run: a summary for long runs, the interruption if any, then the panel if
    /// the state changed.
    pub(super) fn after_run(&self, before: &Machine, col: &Collector, end: &RunEnd) {
        let m = self.session.machine();
        if col.total > col.shown() {
            let d = m.total_counters().since(&before.total_counters());
            let mut s = format!("{} steps · counters: {}", col.total, counters_line(&d));
            if col.failures > 0 {
                s.push_str(&format!(" · {} failed expects", col.failures));
            }
            for l in display::wrap(&s, self.width().saturating_sub(4)) {
                self.note(l);
            }
        }
        match end {
            RunEnd::Interrupted => self.print_interrupted(),
            RunEnd::Stopped(what) => self.print_stopped(what),
            _ => {}
        }
        if m != before {
            self.show_panel(Some(before));
        }
    }

    /// DSL input: parse, append, run (interruptibly), show.
    pub(super) fn statements(&mut self, src: &str) {
        let (prog, ds) = svelab_core::parse(src);
        if !ds.is_empty() {
            self.diags(src, &ds, None);
        }
        if ds.iter().any(|d| d.severity == Severity::Error) || prog.stmts.is_empty() {
            return;
        }
        // `show` and `expect` typed in the middle of a program read the state there; they
        // must not drop the rest of the program as a new step would.
        let read_only = prog.stmts.iter().all(|s| {
            matches!(
                s.kind,
                svelab_core::dsl::StmtKind::Show(_) | svelab_core::dsl::StmtKind::Expect(_)
            )
        });
        if read_only && !self.session.is_finished() {
            for stmt in &prog.stmts {
                let text = src.get(stmt.span.start..stmt.span.end).unwrap_or("").trim();
                if let Some(target) = text.strip_prefix("show") {
                    self.show(target.trim());
                } else if let Some(cond) = text.strip_prefix("expect") {
                    match self.session.eval(cond.trim()) {
                        Ok(v) => self.print(&format!("{text}: {v}\n")),
                        Err(ds) => self.diags(cond.trim(), &ds, None),
                    }
                }
            }
            self.note(format!(
                "(read at step {}; the program is unchanged: `:step` goes on)",
                self.session.position()
            ));
            return;
        }
        let forked = if self.session.is_finished() {
            None
        } else {
            match self.fork_here() {
                Some(old) => Some(old),
                None => return,
            }
        };
        let before = self.session.machine().clone();
        let start = self.session.position();
        let old_len = self.session.source().len();
        let mut col = Collector::default();
        // With breakpoints or watches, every step goes through `run_rest`, which honours them.
        let first_chunk = if self.stops.is_empty() { CHUNK } else { 0 };
        match self.session.append(src, first_chunk) {
            Err(ds) => {
                if let Some(old) = forked {
                    self.session = old;
                }
                self.diags(src, &ds, None);
                return;
            }
            Ok(reports) => reports.iter().for_each(|r| col.push(r)),
        }
        if forked.is_some() {
            self.note(format!(
                "(continuing from step {start}; the old steps after it are dropped)"
            ));
        }
        let end = self.run_rest(&mut col);
        self.print(&display::wrap_text(&col.render(self.st), self.width()));
        match end {
            RunEnd::Finished | RunEnd::Interrupted | RunEnd::Stopped(_) => {}
            RunEnd::Error(ref d) => {
                // A step error after the first chunk: undo the whole input, as `append`
                // does for errors in its first chunk.
                let mut d = (**d).clone();
                let offset = if old_len == 0 { 0 } else { old_len + 1 };
                d.span = Span::new(
                    d.span.start.saturating_sub(offset),
                    d.span.end.saturating_sub(offset),
                );
                (d.line, d.column) = svelab_core::dsl::diag::line_col(src, d.span.start);
                self.diags(src, &[d], None);
                if let Some(old) = forked {
                    self.session = old;
                    self.note(format!(
                        "(nothing of this input was kept: back at step {start})"
                    ));
                    return;
                }
                let old = self.session.source()[..old_len].to_string();
                match self.replay(&self.sopts, &old, start) {
                    Replay::Done(s) if s.position() == start => {
                        self.session = s;
                        self.note(format!(
                            "(nothing of this input was kept: back at step {start})"
                        ));
                    }
                    _ => self.note(format!(
                        "(interrupted while undoing the input: {})",
                        self.where_line()
                    )),
                }
                return;
            }
        }
        self.after_run(&before, &col, &end);
    }

    /// The report of step `n` (replayed; the session does not move).
    pub(super) fn report_of(&mut self, n: u64) -> Option<StepReport> {
        let here = self.session.position();
        if self.session.goto(n) != n {
            self.session.goto(here);
            return None;
        }
        let r = self.session.step();
        self.session.goto(here);
        r.filter(|r| r.error.is_none())
    }

    /// Adds a breakpoint or watch after checking it: a condition must parse, a path must
    /// be one (its value may not exist yet: a watch on `B.TIF_SVE` before `task B`).
    pub(super) fn add_stop(&mut self, kind: StopKind) {
        match &kind {
            StopKind::When(c) => {
                if let Err(ds) = svelab_core::dsl::parse_condition(c) {
                    self.diags(c, &ds, None);
                    self.note("(no breakpoint set)");
                    return;
                }
            }
            StopKind::Watch(p) => {
                if let Err(ds) = svelab_core::dsl::parse_path(p) {
                    self.diags(p, &ds, None);
                    self.note("(no watch set)");
                    return;
                }
            }
            StopKind::Line(l) => {
                let lines = self.session.source().lines().count() as u32;
                if *l > lines {
                    self.note(format!(
                        "(the program has {lines} lines so far: the breakpoint waits for line {l})"
                    ));
                }
            }
        }
        let stop = Stop {
            id: self.next_stop,
            kind,
        };
        self.next_stop += 1;
        let mut msg = stop.describe();
        if let StopKind::Watch(p) = &stop.kind {
            msg.push_str(&format!(" = {} now", self.watch_value(p)));
        }
        self.stops.push(stop);
        self.print(&format!("{} {}\n", self.st.green("set"), self.st.bold(msg)));
    }

    pub(super) fn list_stops(&self) {
        if self.stops.is_empty() {
            self.note(
                "no breakpoints or watches: `:break line N`, `:break when COND`, `:watch PATH`",
            );
            return;
        }
        let mut out = String::new();
        for s in &self.stops {
            let mut line = s.describe();
            if let StopKind::Watch(p) = &s.kind {
                line.push_str(&format!(" = {}", self.watch_value(p)));
            }
            out.push_str(&format!("  {line}\n"));
        }
        self.print(&display::wrap_text(&out, self.width()));
        self.note("`:delete N` removes one, `:delete all` every one");
    }

    pub(super) fn delete_stop(&mut self, id: Option<u32>) {
        match id {
            None => {
                let n = self.stops.len();
                self.stops.clear();
                self.note(format!("removed {n} breakpoints and watches"));
            }
            Some(id) => match self.stops.iter().position(|s| s.id == id) {
                Some(i) => {
                    let s = self.stops.remove(i);
                    self.note(format!("removed {}", s.describe()));
                }
                None => self.error(
                    format!("there is no breakpoint or watch {id}"),
                    if self.stops.is_empty() {
                        "none is set".to_string()
                    } else {
                        format!(
                            "`:break` lists them: {}",
                            self.stops
                                .iter()
                                .map(|s| s.id.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                ),
            },
        }
    }

    pub(super) fn step(&mut self, n: u64) {
        if self.session.is_finished() {
            self.note(format!(
                "nothing to step: at the end of the program (step {}). Type a statement, or `:back`.",
                self.session.position()
            ));
            return;
        }
        let before = self.session.machine().clone();
        for _ in 0..n.max(1) {
            if self.interrupted() {
                self.print_interrupted();
                break;
            }
            match self.session.step() {
                None => break,
                Some(r) => {
                    if let Some(e) = &r.error {
                        self.diags(self.session.source(), std::slice::from_ref(e), None);
                        self.note(format!("the statement failed; {}", self.where_line()));
                        break;
                    }
                    self.print(&display::wrap_text(
                        &display::report(&r, true, self.st),
                        self.width(),
                    ));
                }
            }
        }
        if *self.session.machine() != before {
            self.show_panel(Some(&before));
        }
        self.note(self.where_line());
    }

    /// Goes to step `n` (`u64::MAX`: the end): back by replay from a checkpoint, forward
    /// in chunks.
    pub(super) fn travel(&mut self, n: u64) {
        let before = self.session.machine().clone();
        let pos = self.session.position();
        if n <= pos {
            self.session.goto(n);
        } else {
            let mut pace = Pacer::new();
            while self.session.position() < n && !self.session.is_finished() {
                if self.interrupted() {
                    self.print_interrupted();
                    break;
                }
                let r = self.session.run(&RunOptions {
                    budget: pace.next(n - self.session.position()),
                    stop_on_expect_failure: false,
                    breakpoints: false,
                });
                pace.done(r.steps);
                if r.stop == StopReason::Error {
                    if let Some(e) = r.last.and_then(|r| r.error) {
                        self.diags(self.session.source(), &[e], None);
                    }
                    break;
                }
            }
            if n != u64::MAX && self.session.position() < n {
                self.note(format!(
                    "the program ends at step {}",
                    self.session.position()
                ));
            }
        }
        let now = self.session.position();
        let arrow = if now < pos { "⟲" } else { "⟳" };
        self.print(&format!(
            "{} {}\n",
            self.st.yellow(arrow),
            self.st.bold(self.where_line())
        ));
        if *self.session.machine() != before {
            self.show_panel(Some(&before));
        }
    }

    pub(super) fn run(&mut self) {
        if self.session.is_finished() {
            self.note("nothing left to run: at the end of the program");
            return;
        }
        let before = self.session.machine().clone();
        let mut col = Collector::default();
        let end = self.run_rest(&mut col);
        self.print(&display::wrap_text(&col.render(self.st), self.width()));
        if let RunEnd::Error(d) = &end {
            self.diags(self.session.source(), &[(**d).clone()], None);
            self.note(format!("the statement failed; {}", self.where_line()));
        }
        self.after_run(&before, &col, &end);
    }
}
