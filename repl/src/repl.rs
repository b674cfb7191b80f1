//! The interactive REPL: a rustyline loop over a [`Session`].
//!
//! Every DSL statement typed is appended to the session's program and executed as steps
//! (`Session::append`); `:` commands inspect, travel in time and compare kernels. Long
//! runs go in chunks of [`CHUNK`] steps and check the Ctrl-C flag between chunks, so an
//! endless `repeat` stops and the session stays. Typing a statement after travelling back
//! (or after an interrupted run) continues from the current step and drops the old future.

use crate::commands::{self, BreakSpec, Command, LessonCmd, Setting, Target};
use crate::course::{self, Store};
use crate::display::{self, RegFormat};
use crate::helper::ReplHelper;
use crate::lang::Names;
use crate::style::{self, ColorChoice, Style};
use crate::{diag, explain, help, program};
use rustyline::config::Configurer;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{ColorMode, CompletionType, Config, EditMode, Editor};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use svelab_core::course::{grade, Answer, Exercise, ExerciseKind, Lesson};
use svelab_core::dsl::render::counters_line;
use svelab_core::dsl::{Diagnostic, Severity, Span};
use svelab_core::session::{
    compare, trace_to_json, Comparison, RunOptions, Session, SessionOptions, StepOutcome,
    StepReport, StopReason, Trace,
};
use svelab_core::{Kernel, Machine};

/// Steps per chunk of a run at first; the Ctrl-C flag is checked between chunks, and
/// [`Pacer`] adapts the size so that a chunk takes about [`CHUNK_TIME`].
pub const CHUNK: u64 = 2_000;
/// How long a chunk should take: the longest wait after Ctrl-C.
const CHUNK_TIME: Duration = Duration::from_millis(40);
/// How far back `:why` searches.
const WHY_WINDOW: u64 = 100_000;
/// Step reports shown in full at the start and at the end of a long run.
const HEAD: usize = 6;
const TAIL: usize = 2;
/// Reports with violations, failed expects or `show` output kept from the elided middle.
const NOTABLE: usize = 20;

/// How the REPL starts.
#[derive(Debug)]
pub struct Options {
    /// Run on this kernel whatever the program says.
    pub kernel: Option<Kernel>,
    /// Colour.
    pub color: ColorChoice,
    /// vi keys.
    pub vi: bool,
}

/// What the loop does after a line.
enum Action {
    Continue,
    Quit,
    EditMode(bool),
}

/// Sizes the chunks of a run so that each takes about [`CHUNK_TIME`].
#[derive(Debug)]
struct Pacer {
    chunk: u64,
    started: Instant,
}

impl Pacer {
    fn new() -> Pacer {
        Pacer {
            chunk: CHUNK,
            started: Instant::now(),
        }
    }

    /// The budget of the next chunk (at most `left`).
    fn next(&mut self, left: u64) -> u64 {
        self.started = Instant::now();
        self.chunk.min(left).max(1)
    }

    /// A chunk of `steps` steps just ended.
    fn done(&mut self, steps: u64) {
        let took = self.started.elapsed().as_secs_f64().max(1e-6);
        if steps >= self.chunk / 2 {
            let want = steps as f64 * CHUNK_TIME.as_secs_f64() / took;
            self.chunk = (want as u64).clamp(64, 1_000_000);
        }
    }
}

/// A status line for long runs (on a terminal only): `running: step 123456 · Ctrl-C
/// stops`, rewritten in place and erased at the end.
struct Progress {
    started: Instant,
    last: Instant,
    shown: bool,
    tty: bool,
    st: Style,
}

impl Progress {
    fn new(st: Style) -> Progress {
        use std::io::IsTerminal;
        Progress {
            started: Instant::now(),
            last: Instant::now(),
            shown: false,
            tty: std::io::stdout().is_terminal(),
            st,
        }
    }

    fn tick(&mut self, what: &str, step: u64) {
        if !self.tty || self.started.elapsed() < Duration::from_millis(300) {
            return;
        }
        if self.shown && self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let mut o = std::io::stdout().lock();
        let _ = write!(
            o,
            "\r{}",
            self.st.dim(format!("{what}: step {step} · Ctrl-C stops "))
        );
        let _ = o.flush();
    }

    fn clear(&mut self) {
        if self.shown {
            self.shown = false;
            let mut o = std::io::stdout().lock();
            let _ = write!(
                o,
                "\r{}\r",
                " ".repeat(style::term_width().saturating_sub(1))
            );
            let _ = o.flush();
        }
    }
}

/// How a chunked run ended.
enum RunEnd {
    Finished,
    Interrupted,
    Error(Box<Diagnostic>),
    /// A breakpoint or watch stopped it: what to say.
    Stopped(String),
}

/// A breakpoint or a watch of the REPL, numbered as `:break` lists them. The REPL keeps
/// them (sessions are replaced by `:load`, `:kernel` and forks) and installs the
/// breakpoints into the session for each run; watches it checks itself, step by step.
#[derive(Clone, Debug)]
struct Stop {
    id: u32,
    kind: StopKind,
}

#[derive(Clone, Debug)]
enum StopKind {
    Line(u32),
    When(String),
    Watch(String),
}

impl Stop {
    fn describe(&self) -> String {
        match &self.kind {
            StopKind::Line(l) => format!("breakpoint {} · before line {l}", self.id),
            StopKind::When(c) => format!("breakpoint {} · when {c}", self.id),
            StopKind::Watch(p) => format!("watch {} · {p}", self.id),
        }
    }
}

/// The reports of a run, bounded: the first [`HEAD`], the last [`TAIL`] and the notable
/// ones in between.
#[derive(Default)]
struct Collector {
    head: Vec<StepReport>,
    tail: VecDeque<StepReport>,
    notable: Vec<StepReport>,
    notable_dropped: u64,
    total: u64,
    failures: u64,
}

fn notable(r: &StepReport) -> bool {
    r.expect_failed() || !r.violations.is_empty() || matches!(r.outcome, StepOutcome::Show(_))
}

impl Collector {
    fn push(&mut self, r: &StepReport) {
        if r.error.is_some() {
            return;
        }
        self.total += 1;
        if r.expect_failed() {
            self.failures += 1;
        }
        if self.head.len() < HEAD {
            self.head.push(r.clone());
            return;
        }
        self.tail.push_back(r.clone());
        if self.tail.len() > TAIL {
            if let Some(old) = self.tail.pop_front() {
                if notable(&old) {
                    if self.notable.len() < NOTABLE {
                        self.notable.push(old);
                    } else {
                        self.notable_dropped += 1;
                    }
                }
            }
        }
    }

    fn shown(&self) -> u64 {
        (self.head.len() + self.tail.len() + self.notable.len()) as u64
    }

    fn render(&self, st: Style) -> String {
        let mut out = String::new();
        for r in &self.head {
            out.push_str(&display::report(r, false, st));
        }
        let elided = self.total - (self.head.len() + self.tail.len()) as u64;
        if elided > 0 {
            let mut note = format!("⋮ {elided} more steps");
            if !self.notable.is_empty() {
                note.push_str(&format!(
                    "; {} of them with violations, failed expects or output follow",
                    self.notable.len() as u64 + self.notable_dropped
                ));
            }
            out.push_str(&format!("{}\n", st.dim(note)));
            for r in &self.notable {
                out.push_str(&display::report(r, false, st));
            }
            if self.notable_dropped > 0 {
                out.push_str(&format!(
                    "{}\n",
                    st.dim(format!("⋮ ({} more not shown)", self.notable_dropped))
                ));
            }
        }
        for r in &self.tail {
            out.push_str(&display::report(r, false, st));
        }
        out
    }
}

fn history_path() -> Option<PathBuf> {
    match std::env::var_os("SVELAB_HISTORY") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::data_dir().map(|d| d.join("svelab").join("history.txt")),
    }
}

/// Runs the REPL until `:quit` or Ctrl-D.
pub fn main(opts: Options) -> ExitCode {
    let color = style::stdout_color(opts.color);
    let st = Style { color };
    let stop = Arc::new(AtomicBool::new(false));

    let vi = opts.vi || std::env::var("SVELAB_EDIT_MODE").is_ok_and(|m| m == "vi");
    let builder = Config::builder()
        .edit_mode(if vi { EditMode::Vi } else { EditMode::Emacs })
        .completion_type(CompletionType::List)
        .history_ignore_space(true)
        .auto_add_history(false)
        .color_mode(if color {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        });
    let config = match builder.max_history_size(2000) {
        Ok(b) => b.build(),
        Err(_) => Config::default(),
    };
    let mut rl: Editor<ReplHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(2);
        }
    };
    rl.set_helper(Some(ReplHelper::new(color)));
    // Ctrl-C during a run sets the flag; a second one while the flag is still set (a
    // command that does not check it) ends the program, as users expect. (At the prompt
    // the terminal is raw and Ctrl-C is a key.) Registered after the editor, which
    // installs a SIGINT handler of its own when it starts.
    let sigint = signal_hook::consts::SIGINT;
    let _ = signal_hook::flag::register_conditional_shutdown(sigint, 130, Arc::clone(&stop));
    let _ = signal_hook::flag::register(sigint, Arc::clone(&stop));
    let hist = history_path();
    if let Some(p) = &hist {
        let _ = rl.load_history(p);
    }

    let mut repl = Repl {
        session: Session::new(SessionOptions {
            kernel: opts.kernel,
            ..SessionOptions::default()
        }),
        sopts: SessionOptions {
            kernel: opts.kernel,
            ..SessionOptions::default()
        },
        st,
        panel: true,
        stop,
        told_ctrl_c: false,
        store: Store::load(),
        current: None,
        stops: Vec::new(),
        next_stop: 1,
        stopped_at: None,
    };
    repl.print(&repl.banner());
    repl.progress_problem();
    loop {
        repl.stop.store(false, Ordering::SeqCst);
        if let Some(h) = rl.helper_mut() {
            h.names = Names::of(repl.session.machine());
            h.stops = repl.stops.iter().map(|s| s.id.to_string()).collect();
        }
        let prompt = repl.prompt();
        match rl.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                // A bug in the model must not cost the user the session.
                let action =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| repl.handle(&line)))
                        .unwrap_or_else(|_| {
                            repl.print(&format!(
                        "{} svelab hit an internal error on this input (a bug: please report \
                         it with the input). The session is kept; `:back`, `:goto` or `:reset` \
                         if it looks wrong.\n",
                        st.error("internal error:")
                    ));
                            Action::Continue
                        });
                match action {
                    Action::Continue => {}
                    Action::Quit => break,
                    Action::EditMode(vi) => {
                        rl.set_edit_mode(if vi { EditMode::Vi } else { EditMode::Emacs })
                    }
                }
            }
            Err(ReadlineError::Interrupted) => {
                if !repl.told_ctrl_c {
                    repl.told_ctrl_c = true;
                    repl.print(&format!(
                        "{}\n",
                        st.dim("(Ctrl-C clears the line and stops runs; Ctrl-D or :quit leaves)")
                    ));
                }
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(p) = &hist {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(p);
    }
    ExitCode::SUCCESS
}

/// What a replay on a fresh session gave.
enum Replay {
    /// Reached the step asked for.
    Done(Session),
    /// A step error stopped it earlier.
    Stopped(Session, Diagnostic),
    /// Ctrl-C.
    Interrupted,
}

struct Repl {
    session: Session,
    sopts: SessionOptions,
    st: Style,
    panel: bool,
    stop: Arc<AtomicBool>,
    told_ctrl_c: bool,
    /// The student's lesson progress.
    store: Store,
    /// The exercise `:hint`, `:check`, `:reveal` and `:variant` act on: (lesson id,
    /// exercise id).
    current: Option<(String, String)>,
    /// Breakpoints and watches.
    stops: Vec<Stop>,
    next_stop: u32,
    /// Where the last run stopped at a line breakpoint (the next run leaves it).
    stopped_at: Option<u64>,
}

impl Repl {
    fn print(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(s.as_bytes());
        let _ = o.flush();
    }

    fn note(&self, s: impl AsRef<str>) {
        let w = self.width().saturating_sub(2);
        let mut out = String::new();
        for line in s.as_ref().lines() {
            let indent: String = line.chars().take_while(|c| *c == ' ').collect();
            for (i, l) in display::wrap(line.trim_start(), w - indent.len())
                .iter()
                .enumerate()
            {
                let lead = if i == 0 {
                    indent.clone()
                } else {
                    format!("{indent}  ")
                };
                out.push_str(&format!("{}\n", self.st.dim(format!("{lead}{l}"))));
            }
        }
        self.print(&out);
    }

    fn error(&self, msg: impl AsRef<str>, hint: impl AsRef<str>) {
        let mut s = format!("{} {}\n", self.st.error("error:"), msg.as_ref());
        if !hint.as_ref().is_empty() {
            s.push_str(&format!("  {} {}\n", self.st.cyan("hint:"), hint.as_ref()));
        }
        self.print(&s);
    }

    fn diags(&self, source: &str, ds: &[Diagnostic], file: Option<&str>) {
        self.print(&diag::render_all(source, ds, file, self.st));
    }

    fn width(&self) -> usize {
        style::term_width()
    }

    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn kernel(&self) -> Kernel {
        self.session.machine().kernel()
    }

    fn prompt(&self) -> String {
        let pos = self.session.position();
        let at = if self.session.is_finished() {
            pos.to_string()
        } else {
            format!("{pos}/{}", self.program_len())
        };
        format!("svelab {} [{at}]> ", self.kernel().name())
    }

    fn banner(&self) -> String {
        let st = self.st;
        format!(
            "{} {} · arm64 FPSIMD/SVE/KVM register lab · kernel {} ({} to change)\n\
             Statements run as steps; {} explains, Tab completes, Ctrl-D quits.\n\
             New here? {} starts the course ({} lists the lessons). Or try:\n\
             {}\n",
            st.heading("svelab"),
            env!("CARGO_PKG_VERSION"),
            st.cyan(self.kernel().name()),
            st.cyan(":kernel"),
            st.cyan(":help"),
            st.cyan(":lesson 1"),
            st.cyan(":lesson"),
            [
                "task A vl=512 on=cpu0",
                "sve-op A z0=fill(0xaa)",
                "svc A getpid",
                ":back"
            ]
            .iter()
            .map(|l| format!(
                "    {}",
                crate::helper::highlight_line(l, &Names::default(), st)
            ))
            .collect::<Vec<_>>()
            .join("\n")
        )
    }

    /// Where the session is: `step 3 · next: line 4 svc A getpid`.
    fn where_line(&self) -> String {
        let pos = self.session.position();
        match self.session.next_statement() {
            Some((span, line)) => format!(
                "at step {pos} · next: line {line} `{}`",
                self.session
                    .source()
                    .get(span.start..span.end)
                    .unwrap_or("")
            ),
            None => format!("at step {pos} · end of the program"),
        }
    }

    fn handle(&mut self, line: &str) -> Action {
        let t = line.trim();
        if t.starts_with(':') && !t.contains('\n') {
            match commands::parse(t) {
                Ok(c) => self.command(c),
                Err(d) => {
                    self.diags(t, &[d], None);
                    Action::Continue
                }
            }
        } else {
            self.statements(line);
            Action::Continue
        }
    }

    // -------------------------------------------------------------------------------
    // Running.

    /// Runs the rest of the program in chunks, collecting reports.
    fn run_rest(&mut self, col: &mut Collector) -> RunEnd {
        let mut progress = Progress::new(self.st);
        let end = self.run_rest_inner(col, &mut progress);
        progress.clear();
        end
    }

    fn run_rest_inner(&mut self, col: &mut Collector, progress: &mut Progress) -> RunEnd {
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
    fn install_breakpoints(&mut self) -> Vec<(svelab_core::session::BreakpointId, u32)> {
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
    fn line_stop_here(&self) -> Option<&Stop> {
        let (_, line) = self.session.next_statement()?;
        self.stops
            .iter()
            .find(|s| matches!(s.kind, StopKind::Line(l) if l == line))
    }

    /// A watched path's value now (or why it has none, e.g. before its task exists).
    fn watch_value(&self, path: &str) -> String {
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
    fn replay(&self, opts: &SessionOptions, source: &str, pos: u64) -> Replay {
        self.replay_with(opts, source, pos, &mut |_| {})
    }

    /// [`Repl::replay`], calling `on_step` with every step's report.
    fn replay_with(
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

    fn replay_inner(
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
    fn fork_here(&mut self) -> Option<Session> {
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
    fn program_len(&self) -> u64 {
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

    fn print_interrupted(&self) {
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

    fn print_stopped(&self, what: &str) {
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

    fn show_panel(&self, before: Option<&Machine>) {
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
    fn after_run(&self, before: &Machine, col: &Collector, end: &RunEnd) {
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
    fn statements(&mut self, src: &str) {
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
    fn report_of(&mut self, n: u64) -> Option<StepReport> {
        let here = self.session.position();
        if self.session.goto(n) != n {
            self.session.goto(here);
            return None;
        }
        let r = self.session.step();
        self.session.goto(here);
        r.filter(|r| r.error.is_none())
    }

    // -------------------------------------------------------------------------------
    // Commands.

    fn command(&mut self, c: Command) -> Action {
        match c {
            Command::Help(None) => self.print(&help::overview(self.st, self.width())),
            Command::Help(Some(t)) => match help::topic(&t, self.st, self.width()) {
                Some(p) => self.print(&p),
                None => {
                    let mut all: Vec<String> = crate::helper::TOPICS
                        .iter()
                        .map(|s| s.to_string())
                        .collect();
                    all.extend(
                        crate::lang::STATEMENTS
                            .iter()
                            .map(|s| s.keyword.to_string()),
                    );
                    all.extend(commands::COMMANDS.iter().map(|c| format!(":{}", c.name)));
                    let close: Vec<String> = all
                        .into_iter()
                        .filter(|a| explain::edit_distance(a, &t) <= 2 || a.contains(t.as_str()))
                        .collect();
                    self.error(
                        format!("no help on `{t}`"),
                        if close.is_empty() {
                            "`:help` lists the topics".to_string()
                        } else {
                            format!("try {}", close.join(", "))
                        },
                    )
                }
            },
            Command::Show(None) => {
                let pos = self.session.position();
                let before = pos.checked_sub(1).and_then(|p| self.session.machine_at(p));
                self.note(self.where_line());
                self.print(&display::panel(
                    before.as_ref(),
                    self.session.machine(),
                    self.st,
                    self.width(),
                ));
            }
            Command::Show(Some(w)) => self.show(&w),
            Command::Regs(t, f) => self.regs(&t, f),
            Command::Step(n) => self.step(n),
            Command::Back(n) => {
                let pos = self.session.position();
                if pos == 0 {
                    self.note("already at step 0 (the start)");
                } else {
                    self.travel(pos.saturating_sub(n));
                }
            }
            Command::Goto(Target::Step(n)) => self.travel(n),
            Command::Goto(Target::End) => self.travel(u64::MAX),
            Command::Run => self.run(),
            Command::List => self.list(),
            Command::Diff(a, b) => self.diff(a, b),
            Command::Events(n) => self.events(n),
            Command::Why(p) => self.why(&p),
            Command::Explain(w) => self.explain(w.as_deref()),
            Command::Kernel(None) => {
                let mut out = help::kernel_list(Some(self.kernel()), self.st, self.width());
                out.push_str(&format!(
                    "{}\n",
                    self.st.dim("`:kernel NAME` reruns the session on NAME; `:compare NAME` shows the differences")
                ));
                self.print(&out);
            }
            Command::Kernel(Some(k)) => self.switch_kernel(k),
            Command::Compare(k) => self.compare(k),
            Command::Real(labels) => self.real(&labels),
            Command::Break(None) | Command::Watch(None) => self.list_stops(),
            Command::Break(Some(BreakSpec::Line(l))) => self.add_stop(StopKind::Line(l)),
            Command::Break(Some(BreakSpec::When(c))) => self.add_stop(StopKind::When(c)),
            Command::Watch(Some(p)) => self.add_stop(StopKind::Watch(p)),
            Command::Delete(id) => self.delete_stop(id),
            Command::Legend => self.print(&display::legend_text(self.st, self.width())),
            Command::Load(p) => self.load(&p),
            Command::Save(p) => self.save(&p),
            Command::Export(p) => self.export(&p),
            Command::Set(Setting::Vi(vi)) => {
                self.note(format!("edit mode: {}", if vi { "vi" } else { "emacs" }));
                return Action::EditMode(vi);
            }
            Command::Set(Setting::Panel(on)) => {
                self.panel = on;
                self.note(format!("state panel {}", if on { "on" } else { "off" }));
            }
            Command::Lesson(l) => self.lesson(l),
            Command::Exercise(which, load) => self.exercise(which.as_deref(), load),
            Command::Hint => self.hint(),
            Command::Check(answer) => self.check(answer.as_deref()),
            Command::Reveal => self.reveal(),
            Command::Submit(a) => match crate::class::submit(&self.store, &a) {
                Ok(m) => self.note(m),
                Err((m, h)) => self.error(m, h),
            },
            Command::Variant => self.variant(),
            Command::Reset => {
                self.session = Session::new(self.sopts.clone());
                self.stopped_at = None;
                self.note(format!("new session on {}", self.kernel().name()));
            }
            Command::Quit => return Action::Quit,
        }
        Action::Continue
    }

    /// Adds a breakpoint or watch after checking it: a condition must parse, a path must
    /// be one (its value may not exist yet: a watch on `B.TIF_SVE` before `task B`).
    fn add_stop(&mut self, kind: StopKind) {
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

    fn list_stops(&self) {
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

    fn delete_stop(&mut self, id: Option<u32>) {
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

    fn show(&mut self, w: &str) {
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

    fn regs(&mut self, target: &str, fmt: RegFormat) {
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
        let mut names: Vec<String> = m.tasks.iter().map(|t| t.name.clone()).collect();
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

    fn step(&mut self, n: u64) {
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
    fn travel(&mut self, n: u64) {
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

    fn run(&mut self) {
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

    fn list(&self) {
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
                crate::helper::highlight_line(l, &Names::of(self.session.machine()), self.st)
            ));
        }
        out.push_str(&format!("{}\n", self.st.dim(self.where_line())));
        self.print(&out);
    }

    fn diff(&mut self, a: u64, b: Option<u64>) {
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

    fn events(&mut self, n: Option<u64>) {
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

    fn why(&mut self, path: &str) {
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
        // A counter is written by the function that counts it; any other field by the
        // last of the functions that can write it.
        let counter = path
            .rsplit('.')
            .next()
            .and_then(svelab_core::Counter::parse);
        let by = match counter {
            Some(c) => r
                .events
                .iter()
                .rev()
                .find(|e| e.event.counter() == Some(c))
                .map(|e| e.event.function().to_string()),
            None => {
                let writers = explain::writers(&path);
                r.events
                    .iter()
                    .rev()
                    .map(|e| e.event.function().to_string())
                    .find(|f| writers.contains(&f.as_str()))
            }
        };
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
        let user_op = ["sve-op", "fp-op", "guest-sve-op", "guest-fp-op"]
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

    fn explain(&mut self, what: Option<&str>) {
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

    fn switch_kernel(&mut self, k: Kernel) {
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
    fn real(&mut self, labels: &[&str]) {
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

    fn compare(&mut self, k: Kernel) {
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

    fn load(&mut self, path: &std::path::Path) {
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

    // -------------------------------------------------------------------------------
    // Lessons.

    /// Tells the user, once, that the progress file could not be read or written.
    fn progress_problem(&mut self) {
        if let Some(p) = self.store.problem.take() {
            self.note(format!("({p})"));
        }
    }

    fn save_progress(&mut self) {
        self.store.save();
        self.progress_problem();
    }

    /// Replaces the session with `source` at step 0, on `kernel` (`None`: the script's own
    /// `kernel` line); runs it to the end if `run`.
    fn load_source(&mut self, source: &str, name: &str, kernel: Option<Kernel>, run: bool) {
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

    fn find_lesson(&self, q: &str) -> Option<&'static Lesson> {
        let l = course::course().lesson(q);
        if l.is_none() {
            let names: Vec<String> = course::course()
                .lessons
                .iter()
                .map(|l| format!("{} {}", l.number, l.id))
                .collect();
            self.error(
                format!("no lesson `{q}`"),
                format!("`:lesson` lists them: {}", names.join(", ")),
            );
        }
        l
    }

    fn lesson(&mut self, c: LessonCmd) {
        match c {
            LessonCmd::List => {
                self.print(&course::lesson_list(
                    &self.store.progress,
                    self.st,
                    self.width(),
                ));
            }
            LessonCmd::Show(q) => {
                let Some(l) = self.find_lesson(&q) else {
                    return;
                };
                self.store.progress.open_lesson(l);
                self.save_progress();
                let page = course::lesson_page(l, &self.store.progress, self.st, self.width());
                self.print(&page);
            }
            LessonCmd::Load {
                lesson,
                script,
                run,
            } => {
                let Some(l) = self.find_lesson(&lesson) else {
                    return;
                };
                let Some(s) = course::find_script(l, &script) else {
                    let names: Vec<&str> = l
                        .scripts
                        .iter()
                        .map(|s| course::script_stem(&s.name))
                        .collect();
                    self.error(
                        format!("lesson {} has no script `{script}`", l.number),
                        format!("its scripts: {}", names.join(", ")),
                    );
                    return;
                };
                if self.store.progress.current_lesson.as_deref() != Some(l.id.as_str()) {
                    self.store.progress.open_lesson(l);
                    self.save_progress();
                }
                self.print(&format!(
                    "{} {}\n",
                    self.st.green(&s.label),
                    self.st.dim(format!("({})", s.path))
                ));
                self.load_source(&s.source, &s.name, None, run);
            }
        }
    }

    /// Finds an exercise: `3/2`, `3/two-traps`, `next`, or an id or number in the current
    /// lesson. Reports the error itself.
    fn find_exercise(&self, q: &str) -> Option<(&'static Lesson, &'static Exercise)> {
        let c = course::course();
        if q == "next" {
            let n = c.exercises().find(|(l, e)| {
                !self.store.progress.passed(&l.id, &e.id)
                    && self.current.as_ref() != Some(&(l.id.clone(), e.id.clone()))
            });
            if n.is_none() {
                self.note("every exercise is passed!");
            }
            return n;
        }
        let found = if q.contains('/') {
            c.exercise(q)
        } else {
            let lesson = self
                .current
                .as_ref()
                .map(|(l, _)| l.as_str())
                .or(self.store.progress.current_lesson.as_deref())
                .and_then(|l| c.lesson(l));
            lesson.and_then(|l| c.exercise(&format!("{}/{q}", l.id)))
        };
        if found.is_none() {
            self.error(
                format!("no exercise `{q}`"),
                "name it LESSON/EXERCISE: `:exercise 3/2`, `:exercise 3/two-traps` (Tab completes)",
            );
        }
        found
    }

    fn current_exercise(&self) -> Option<(&'static Lesson, &'static Exercise)> {
        let (l, e) = self.current.as_ref()?;
        course::course().exercise(&format!("{l}/{e}"))
    }

    /// The current exercise, or an error saying how to choose one.
    fn need_exercise(&self) -> Option<(&'static Lesson, &'static Exercise)> {
        let x = self.current_exercise();
        if x.is_none() {
            self.error(
                "no exercise chosen yet",
                "`:exercise` shows the next one; `:exercise 1/1` a given one",
            );
        }
        x
    }

    fn exercise(&mut self, which: Option<&str>, load: bool) {
        let found = match which {
            Some(q) => self.find_exercise(q),
            None => self.current_exercise().or_else(|| {
                // The next one not passed, in the current lesson first.
                let c = course::course();
                let p = &self.store.progress;
                let in_lesson = p.current_lesson.as_deref().and_then(|id| {
                    c.lesson(id).and_then(|l| {
                        l.exercises
                            .iter()
                            .find(|e| !p.passed(&l.id, &e.id))
                            .map(|e| (l, e))
                    })
                });
                let n = in_lesson.or_else(|| p.next_exercise(c));
                if n.is_none() {
                    self.note("every exercise is passed! `:exercise 1/1` shows one again");
                }
                n
            }),
        };
        let Some((l, e)) = found else { return };
        self.current = Some((l.id.clone(), e.id.clone()));
        if self.store.progress.current_lesson.as_deref() != Some(l.id.as_str()) {
            self.store.progress.open_lesson(l);
            self.save_progress();
        }
        let inst = self.store.progress.instance(l, e);
        if load {
            let (src, what) = match inst.kind {
                ExerciseKind::Construct => (inst.starter.clone().unwrap_or_default(), "starter"),
                ExerciseKind::Predict => (inst.setup.clone().unwrap_or_default(), "setup"),
            };
            let name = format!("the {what} of {}", course::short_key(l, e));
            // A starter is where the learner goes on typing: run it to its end. A setup is
            // there to be stepped through.
            let construct = inst.kind == ExerciseKind::Construct;
            self.load_source(&src, &name, inst.kernel, construct);
            if construct {
                self.note(
                    "type statements to go on from here; `:list` shows the program, `:check` \
                     grades it",
                );
            }
            return;
        }
        let page = course::exercise_page(l, e, &inst, &self.store.progress, self.st, self.width());
        self.print(&page);
    }

    fn hint(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let total = inst.hints.len();
        let shown = self.store.progress.revealed_hints(&inst).len();
        match self.store.progress.reveal_hint(&inst) {
            Some(h) => {
                let text = course::hint_text(shown + 1, total, h, self.st, self.width());
                self.save_progress();
                self.print(&text);
            }
            None => {
                self.note(format!(
                    "no more hints ({total} shown; `:exercise` lists them). `:reveal` shows the answer after a `:check`."
                ));
            }
        }
    }

    fn check(&mut self, answer: Option<&str>) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let key = course::short_key(l, e);
        let (ans, script) = match inst.kind {
            ExerciseKind::Predict => {
                let Some(text) = answer else {
                    self.error(
                        format!("exercise {key} asks for {} value(s)", inst.blanks.len()),
                        "type them after `:check`, in order: e.g. `:check 0, ones`",
                    );
                    return;
                };
                let a = Answer::predict_from_text(text);
                if let Answer::Predict(v) = &a {
                    if v.len() != inst.blanks.len() {
                        let labels: Vec<&str> =
                            inst.blanks.iter().map(|b| b.label.as_str()).collect();
                        self.error(
                            format!(
                                "{} value(s) given; exercise {key} has {} blank(s)",
                                v.len(),
                                inst.blanks.len()
                            ),
                            format!("one value each, in order: {}", labels.join(", ")),
                        );
                        return;
                    }
                }
                (a, None)
            }
            ExerciseKind::Construct => {
                if answer.is_some() {
                    self.error(
                        format!("exercise {key} is graded on a script, not on values"),
                        "build the script in the session (type statements, or `:exercise load` \
                         for the starter), then `:check` alone",
                    );
                    return;
                }
                let src = self.session.source().to_string();
                if src.trim().is_empty() {
                    self.error(
                        "the session has no program to grade",
                        "`:exercise load` loads the starter; type statements; then `:check`",
                    );
                    return;
                }
                if let Some(k) = inst.kernel {
                    if k != self.kernel() {
                        self.note(format!(
                            "(graded on {}, the exercise's kernel; this session runs {})",
                            k.name(),
                            self.kernel().name()
                        ));
                    }
                }
                (Answer::Script(src.clone()), Some(src))
            }
        };
        let g = grade(&inst, &ans);
        self.store.progress.record(&inst, &ans, &g);
        self.save_progress();
        // A wrong prediction shows no values until `:reveal` or the last try.
        let shown = self.store.progress.feedback(&inst, &g);
        let mut out = course::grade_text(&inst, &shown, script.as_deref(), self.st, self.width());
        let next = if g.passed {
            let c = course::course();
            let p = &self.store.progress;
            match c.exercises().find(|(nl, ne)| !p.passed(&nl.id, &ne.id)) {
                Some((nl, ne)) => {
                    format!("`:exercise next` goes on to {}", course::short_key(nl, ne))
                }
                None => "every exercise of the course is passed!".into(),
            }
        } else if inst.kind == ExerciseKind::Predict {
            course::predict_retry_note(&inst, &self.store.progress)
        } else {
            let shown = self.store.progress.revealed_hints(&inst).len();
            if shown < inst.hints.len() {
                format!(
                    "`:hint` gives a hint ({shown} of {} shown); `:reveal` shows the answer",
                    inst.hints.len()
                )
            } else {
                "`:reveal` shows the answer and why".into()
            }
        };
        for l in display::wrap(&next, self.width().saturating_sub(2)) {
            out.push_str(&format!("{}\n", self.st.dim(l)));
        }
        self.print(&out);
    }

    fn reveal(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let tried = self
            .store
            .progress
            .exercises
            .get(&inst.key)
            .is_some_and(|x| x.attempts > 0);
        if !tried {
            self.note(format!(
                "try it first: `:check` an answer to {} (`:hint` helps); `:reveal` works after that",
                course::short_key(l, e)
            ));
            return;
        }
        self.store.progress.reveal(&inst);
        self.save_progress();
        self.print(&course::reveal_text(&inst, self.st, self.width()));
    }

    fn variant(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        self.store.progress.new_variant(&l.id, &e.id);
        self.save_progress();
        self.note("new numbers (hints hidden again):");
        let inst = self.store.progress.instance(l, e);
        let page = course::exercise_page(l, e, &inst, &self.store.progress, self.st, self.width());
        self.print(&page);
    }

    fn save(&self, path: &std::path::Path) {
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

    fn export(&mut self, path: &std::path::Path) {
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

/// The longest common subsequence diff of two line lists: (tag, line) with tag ' ', '-', '+'.
/// The kernel a script's first `kernel` statement names.
fn script_kernel(p: &svelab_core::dsl::Program) -> Option<Kernel> {
    p.stmts.iter().find_map(|s| match s.kind {
        svelab_core::dsl::StmtKind::Kernel(k) => Some(k),
        _ => None,
    })
}

fn line_diff<'a>(a: &'a [String], b: &'a [String]) -> Vec<(char, &'a str)> {
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
fn render_comparison(c: &Comparison, st: Style, w: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_diff_marks_both_sides() {
        let a: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let b: Vec<String> = ["x", "q", "z"].iter().map(|s| s.to_string()).collect();
        let d = line_diff(&a, &b);
        assert_eq!(d, vec![(' ', "x"), ('+', "q"), ('-', "y"), (' ', "z")]);
    }

    #[test]
    fn collector_keeps_head_tail_and_notable() {
        let (mut s, _) = Session::from_source(
            "task A on=cpu0\nrepeat 50 { svc A getpid; expect A.traps == 0 }\nexpect A.traps == 1",
        );
        let mut c = Collector::default();
        s.run_with(&RunOptions::default(), &mut |r| c.push(r));
        assert_eq!(c.total, 102);
        assert_eq!(c.head.len(), HEAD);
        assert_eq!(c.tail.len(), TAIL);
        assert_eq!(c.failures, 1);
        let text = c.render(Style::PLAIN);
        assert!(text.contains("⋮ 94 more steps"), "{text}");
        assert!(text.contains("FAILED"), "{text}");
    }

    #[test]
    fn comparison_renders_event_differences() {
        let c = compare(
            "task A vl=512 on=cpu0\nsve-op A z0=1\nsvc A getpid\nsve-op A z0=2",
            Kernel::V5_19Rc1,
            Kernel::V6_2,
            100,
        )
        .unwrap();
        let t = render_comparison(&c, Style::PLAIN, 100);
        assert!(t.contains("v5.19-rc1 vs v6.2"), "{t}");
        assert!(t.contains("- cpu0  A      sve_user_disable"), "{t}");
        assert!(t.contains("+ cpu0  A      sve_flush_live"), "{t}");
    }
}
