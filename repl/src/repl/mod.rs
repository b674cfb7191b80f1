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
use crate::{diag, help, program};
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
            h.names = Names::of_machine(repl.session.machine());
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

mod files;
mod inspect;
mod kernels;
mod lessons;
mod run;
#[cfg(test)]
mod tests;

impl Repl {
    pub(super) fn print(&self, s: &str) {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(s.as_bytes());
        let _ = o.flush();
    }

    pub(super) fn note(&self, s: impl AsRef<str>) {
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

    pub(super) fn error(&self, msg: impl AsRef<str>, hint: impl AsRef<str>) {
        let mut s = format!("{} {}\n", self.st.error("error:"), msg.as_ref());
        if !hint.as_ref().is_empty() {
            s.push_str(&format!("  {} {}\n", self.st.cyan("hint:"), hint.as_ref()));
        }
        self.print(&s);
    }

    pub(super) fn diags(&self, source: &str, ds: &[Diagnostic], file: Option<&str>) {
        self.print(&diag::render_all(source, ds, file, self.st));
    }

    pub(super) fn width(&self) -> usize {
        style::term_width()
    }

    pub(super) fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub(super) fn kernel(&self) -> Kernel {
        self.session.machine().kernel()
    }

    pub(super) fn prompt(&self) -> String {
        let pos = self.session.position();
        let at = if self.session.is_finished() {
            pos.to_string()
        } else {
            format!("{pos}/{}", self.program_len())
        };
        format!("svelab {} [{at}]> ", self.kernel().name())
    }

    pub(super) fn banner(&self) -> String {
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
    pub(super) fn where_line(&self) -> String {
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

    pub(super) fn handle(&mut self, line: &str) -> Action {
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
    // Commands.

    pub(super) fn command(&mut self, c: Command) -> Action {
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
                        .filter(|a| {
                            svelab_core::dsl::edit_distance(a, &t) <= 2 || a.contains(t.as_str())
                        })
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
}
