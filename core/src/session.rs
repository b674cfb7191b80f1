//! The session: the one façade the REPL, the web playground, lessons and tests drive.
//!
//! A [`Session`] holds a parsed program and a machine, and executes the program one
//! **step** at a time. A step is one executed statement: a configuration statement, an
//! operation, an `expect` or a `show`; inside `repeat N { … }` each iteration's
//! statements are steps (the `repeat` itself is not). Position `n` is the state after `n`
//! steps; position 0 is the state before the first.
//!
//! ```
//! use svelab_core::session::{RunOptions, Session, StopReason};
//! let (mut s, diags) = Session::from_source("task A on=cpu0\nsve-op A z0=fill(0xaa)\nexpect A.TIF_SVE == 1");
//! assert!(diags.is_empty());
//! let summary = s.run(&RunOptions::default());
//! assert_eq!(summary.stop, StopReason::End);
//! assert_eq!(summary.expect_failures, 0);
//! s.step_back();                       // time travel: back to position 2
//! assert_eq!(s.position(), 2);
//! ```
//!
//! What the API gives:
//! * loading: [`Session::from_source`], [`Session::load`] (replace the program),
//!   [`Session::append`] (the REPL: add statements and run them, atomically);
//! * stepping: [`Session::step`], [`Session::step_back`], [`Session::goto`],
//!   [`Session::run`] / [`Session::run_with`] (to the end, a breakpoint, a failed
//!   `expect` if asked, or a step budget), [`Session::reset`];
//! * breakpoints on a line ([`Session::break_at_line`]) or on a condition over the model
//!   ([`Session::break_when`], e.g. `A.TIF_SVE == 0`);
//! * every step returns a [`StepReport`]: the span it executed, its events, counter
//!   changes, invariant violations, and the outcome (an `expect` result, `show` text, a
//!   syscall's return value) or the error;
//! * inspection: [`Session::machine`], [`Session::eval`], [`Session::show`],
//!   [`Session::diff`] between any two positions;
//! * [`compare`]: one script on two kernels, side by side;
//! * JSON with a format version: [`machine_to_json`], [`report_to_json`],
//!   [`Trace`] ([`Session::trace`], [`trace_to_json`]) and the `*_from_json` loaders.
//!
//! Time travel keeps a checkpoint (a clone of the whole state) every
//! [`SessionOptions::checkpoint_interval`] steps and replays from the nearest one, so
//! memory stays small per step and `goto` costs at most one interval of replay.
//!
//! Errors: a statement that is legal syntax but impossible now (an `sve-op` on a task
//! that is not running at EL0, an unknown task) is a **step error**: the step's report
//! carries a [`Diagnostic`], the machine and the position are unchanged, and `run` stops.

use crate::dsl::ast::{Condition, Program, ShowTarget, Span, Stmt, StmtKind, Sysctl};
use crate::dsl::diag::Diagnostic;
use crate::dsl::eval::{self, CondResult};
use crate::dsl::lower::{self, Action};
use crate::dsl::render;
use crate::model::event::{Counters, EventRecord};
use crate::model::kernel::Kernel;
use crate::model::machine::{Config, Machine};
use crate::model::oracle::AbiOracle;
use crate::model::types::{CpuId, TaskId};
use crate::model::violation::Violation;
use serde::{Deserialize, Serialize};

/// What executing the next statement did.
enum Exec {
    /// The program is finished: nothing ran.
    Finished,
    /// The statement ran; no report was asked for.
    Done,
    /// The statement ran (or failed: the report carries the error).
    Reported(Box<StepReport>),
}

/// Version of every JSON format written by this module.
pub const FORMAT_VERSION: u32 = 2;

/// Default step budget of [`RunOptions`]: no front end hangs on a huge `repeat`.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

/// Options fixed for the life of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// Run on this kernel whatever the script's `kernel` statements say (used by
    /// [`compare`] and by "run this lesson on every kernel").
    pub kernel: Option<Kernel>,
    /// Steps between checkpoints (time travel). Smaller: faster `goto`, more memory.
    pub checkpoint_interval: u64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            kernel: None,
            checkpoint_interval: 256,
        }
    }
}

/// How far [`Session::run`] goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// At most this many steps in this call.
    pub budget: u64,
    /// Stop after an `expect` that fails.
    pub stop_on_expect_failure: bool,
    /// Honour breakpoints.
    pub breakpoints: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            budget: DEFAULT_BUDGET,
            stop_on_expect_failure: false,
            breakpoints: true,
        }
    }
}

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The program is finished.
    End,
    /// A breakpoint: before a statement on a line, or after a condition became true.
    Breakpoint(BreakpointId),
    /// The step budget ran out.
    Budget,
    /// A step error (the report says which); the position is before that statement.
    Error,
    /// An `expect` failed (with [`RunOptions::stop_on_expect_failure`]).
    ExpectFailed,
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Steps executed by this call.
    pub steps: u64,
    /// Why it stopped.
    pub stop: StopReason,
    /// Failed `expect`s during this call.
    pub expect_failures: u64,
    /// For [`StopReason::Error`], the failed step's report (with its error). Otherwise the
    /// report of the last step that produced one: every step does under
    /// [`Session::run_with`] or with [`RunOptions::stop_on_expect_failure`]; under plain
    /// [`Session::run`] only a failed `expect` does, so `None` unless one failed.
    pub last: Option<StepReport>,
}

/// Identifies a breakpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BreakpointId(pub u32);

/// A breakpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Breakpoint {
    /// Stop before executing a statement on this 1-based line.
    Line(u32),
    /// Stop after a step that makes the condition true (it was false before).
    When {
        /// The condition as written.
        text: String,
        /// The condition.
        cond: Condition,
    },
}

/// What a step produced besides events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepOutcome {
    /// A configuration statement (`kernel`, `cpus`, `vls`, `kvm-mode`, `sysctl`), described.
    Config(String),
    /// A task or vCPU was created.
    Created(String),
    /// An operation ran; a syscall's or ptrace's return value, if any.
    Op {
        /// `x0` as user space sees it.
        ret: Option<i64>,
    },
    /// An `expect`.
    Expect(CondResult),
    /// A `show`'s text.
    Show(String),
    /// Nothing happened: the step failed (see [`StepReport::error`]).
    Failed,
}

/// Everything one step did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Index of the step (0-based): it moved the session from `step` to `step + 1`.
    pub step: u64,
    /// The statement's span.
    pub span: Span,
    /// 1-based line of the statement.
    pub line: u32,
    /// The statement's text.
    pub text: String,
    /// The model's events, in order.
    pub events: Vec<EventRecord>,
    /// The events rendered as lines (names resolved at the time of the step).
    pub event_lines: Vec<String>,
    /// Change of the machine-wide counters (sum over CPUs).
    pub counters: Counters,
    /// Change of each task's counters (non-zero only), by task name.
    pub task_counters: Vec<(String, Counters)>,
    /// Invariant violations after the step (state invariants and what went wrong during
    /// it). Empty for `expect`/`show`/configuration steps.
    pub violations: Vec<Violation>,
    /// The outcome.
    pub outcome: StepOutcome,
    /// The step error, if the statement could not execute (the session is unchanged).
    pub error: Option<Diagnostic>,
}

impl StepReport {
    /// Did this step fail an `expect`?
    pub fn expect_failed(&self) -> bool {
        matches!(&self.outcome, StepOutcome::Expect(r) if !r.passed)
    }
}

/// One changed field between two positions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Path (`A.TIF_SVE`, `cpu0.z0`, `A.user.z0`).
    pub path: String,
    /// Value at the first position (`absent` if the object did not exist).
    pub before: String,
    /// Value at the second position.
    pub after: String,
}

/// Memory used by time travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryStats {
    /// Checkpoints held.
    pub checkpoints: usize,
    /// Approximate bytes held by them.
    pub bytes: usize,
    /// Furthest position executed.
    pub frontier: u64,
}

impl HistoryStats {
    /// Bytes per step executed.
    pub fn bytes_per_step(&self) -> f64 {
        self.bytes as f64 / self.frontier.max(1) as f64
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Frame {
    idx: usize,
    iter: u64,
}

/// Everything that changes as the program runs (a checkpoint is a clone of it).
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    machine: Machine,
    frames: Vec<Frame>,
    pos: u64,
    started: bool,
    requested_default_vl: i64,
    violations_seen: Vec<String>,
    /// What the ABI promises each task (V0–V31), from its own history; consulted by
    /// `expect no-violations`, `expect violation abi-v` and `show violations`.
    oracle: AbiOracle,
}

/// The façade. See the module documentation.
#[derive(Debug, Clone)]
pub struct Session {
    opts: SessionOptions,
    program: Program,
    diagnostics: Vec<Diagnostic>,
    state: State,
    checkpoints: Vec<State>,
    frontier: u64,
    end: Option<u64>,
    breakpoints: Vec<(BreakpointId, Breakpoint)>,
    next_bp: u32,
    /// Byte offset of the start of every line of the program's source after the first
    /// (so a step's line is a binary search, not a count from the start).
    line_starts: Vec<usize>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new(SessionOptions::default())
    }
}

fn initial_state(opts: &SessionOptions) -> State {
    let mut config = Config::default();
    if let Some(k) = opts.kernel {
        config.kernel = k;
    }
    State {
        machine: Machine::new(config),
        frames: vec![Frame { idx: 0, iter: 0 }],
        pos: 0,
        started: false,
        requested_default_vl: 64,
        violations_seen: Vec::new(),
        oracle: AbiOracle::default(),
    }
}

fn has_leaf(stmts: &[Stmt]) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Repeat { count, body } => *count > 0 && has_leaf(body),
        _ => true,
    })
}

fn approx_size(s: &State) -> usize {
    let m = &s.machine;
    let mut n = std::mem::size_of::<State>()
        + std::mem::size_of::<crate::model::machine::Cpu>() * m.cpus.len();
    for t in &m.tasks {
        n += std::mem::size_of::<crate::model::machine::Task>() + t.name.len();
        n += t.sve_state.as_ref().map_or(0, |b| {
            b.bytes.len() + std::mem::size_of::<crate::model::regs::SveBuf>()
        });
        n += t.frames.len() * 1200;
    }
    for v in &m.vcpus {
        n += std::mem::size_of::<crate::model::vcpu::Vcpu>();
        n += v.sve_state.as_ref().map_or(0, |b| b.bytes.len());
    }
    n + std::mem::size_of_val(m.events()) + s.frames.len() * 16
}

impl Session {
    /// An empty session (no program).
    pub fn new(opts: SessionOptions) -> Session {
        let opts = SessionOptions {
            checkpoint_interval: opts.checkpoint_interval.max(1),
            ..opts
        };
        let state = initial_state(&opts);
        Session {
            checkpoints: vec![state.clone()],
            state,
            opts,
            program: Program::default(),
            diagnostics: Vec::new(),
            frontier: 0,
            end: None,
            breakpoints: Vec::new(),
            next_bp: 1,
            line_starts: Vec::new(),
        }
    }

    /// A session with `source` loaded, and the parse diagnostics (the program holds every
    /// statement that parsed).
    pub fn from_source(source: &str) -> (Session, Vec<Diagnostic>) {
        let mut s = Session::default();
        let d = s.load(source);
        (s, d)
    }

    /// Replaces the program with `source` and goes back to position 0. Returns the parse
    /// diagnostics (also kept in [`Session::diagnostics`]). Breakpoints are kept.
    pub fn load(&mut self, source: &str) -> Vec<Diagnostic> {
        let (program, diags) = crate::dsl::parse(source);
        self.program = program;
        self.index_lines();
        self.diagnostics = diags.clone();
        self.reset();
        diags
    }

    /// The REPL's entry: parses `source`, appends its statements to the program and runs
    /// from the current position to the end (within `budget` steps). Atomic: on a parse
    /// error nothing is appended; on a step error the appended statements are removed
    /// again and the session goes back to where it was. Returns the reports of the steps
    /// run, or the diagnostics.
    pub fn append(
        &mut self,
        source: &str,
        budget: u64,
    ) -> Result<Vec<StepReport>, Vec<Diagnostic>> {
        let (mut prog, diags) = crate::dsl::parse(source);
        if diags
            .iter()
            .any(|d| d.severity == crate::dsl::Severity::Error)
        {
            return Err(diags);
        }
        let start_pos = self.state.pos;
        let old_len = self.program.stmts.len();
        let old_src_len = self.program.source.len();
        let offset = if self.program.source.is_empty() {
            0
        } else {
            self.program.source.push('\n');
            old_src_len + 1
        };
        self.program.source.push_str(source);
        self.index_lines();
        for s in &mut prog.stmts {
            shift(s, offset);
        }
        self.program.stmts.extend(prog.stmts);
        self.end = None;
        let mut reports = Vec::new();
        let opts = RunOptions {
            budget,
            stop_on_expect_failure: false,
            breakpoints: false,
        };
        let summary = self.run_with(&opts, &mut |r| reports.push(r.clone()));
        if summary.stop == StopReason::Error {
            let diag = summary
                .last
                .and_then(|r| r.error)
                .map(|mut d| {
                    // Re-anchor the diagnostic to the appended text.
                    d.span = Span::new(
                        d.span.start.saturating_sub(offset),
                        d.span.end.saturating_sub(offset),
                    );
                    let (l, c) = crate::dsl::diag::line_col(source, d.span.start);
                    d.line = l;
                    d.column = c;
                    d
                })
                .into_iter()
                .collect();
            self.program.stmts.truncate(old_len);
            self.program.source.truncate(old_src_len);
            self.index_lines();
            self.truncate_history(start_pos);
            // Rebuild the state at `start_pos` even when the failed step did not move the
            // position: its cursor may have entered a `repeat` that is gone now.
            self.seek(start_pos, true);
            self.end = None;
            return Err(diag);
        }
        Ok(reports)
    }

    fn truncate_history(&mut self, pos: u64) {
        let keep = (pos / self.opts.checkpoint_interval) as usize + 1;
        self.checkpoints.truncate(keep.max(1));
        self.frontier = self.frontier.min(pos);
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program's source.
    pub fn source(&self) -> &str {
        &self.program.source
    }

    /// The parse diagnostics of the loaded program.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The session options.
    pub fn options(&self) -> &SessionOptions {
        &self.opts
    }

    /// The machine at the current position.
    pub fn machine(&self) -> &Machine {
        &self.state.machine
    }

    /// Steps executed so far (the current position).
    pub fn position(&self) -> u64 {
        self.state.pos
    }

    /// The number of steps of the whole program, once a run has reached its end.
    pub fn known_len(&self) -> Option<u64> {
        self.end
    }

    /// Is there nothing left to execute?
    pub fn is_finished(&self) -> bool {
        let mut frames = self.state.frames.clone();
        self.normalize(&mut frames).is_none()
    }

    /// The span and line of the statement the next step executes.
    pub fn next_statement(&self) -> Option<(Span, u32)> {
        let mut frames = self.state.frames.clone();
        let s = self.normalize(&mut frames)?;
        Some((s.span, self.line_of(s.span.start)))
    }

    /// Back to position 0 (same program, same breakpoints).
    pub fn reset(&mut self) {
        self.state = initial_state(&self.opts);
        self.checkpoints = vec![self.state.clone()];
        self.frontier = 0;
        self.end = None;
    }

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
    fn seek(&mut self, n: u64, rebuild: bool) -> u64 {
        let k = ((n / self.opts.checkpoint_interval) as usize).min(self.checkpoints.len() - 1);
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

    /// Rebuilds [`Session::line_starts`] after the source changed.
    fn index_lines(&mut self) {
        self.line_starts = self
            .program
            .source
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
    }

    /// The 1-based line of byte `offset` of the program's source.
    fn line_of(&self, offset: usize) -> u32 {
        self.line_starts.partition_point(|&start| start <= offset) as u32 + 1
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

    fn run_inner(
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
    fn seen_for(&self, cond: &Condition) -> Vec<String> {
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

    fn bp_holds(&self, b: &Breakpoint) -> bool {
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

    // -----------------------------------------------------------------------------------

    /// Finds the next leaf statement from `frames`, entering and leaving `repeat`s.
    fn normalize<'p>(&'p self, frames: &mut Vec<Frame>) -> Option<&'p Stmt> {
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

    fn block(&self, frames: &[Frame], depth: usize) -> &[Stmt] {
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
    fn exec(&mut self, want: bool) -> Exec {
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
        let i = self.opts.checkpoint_interval;
        if self.state.pos % i == 0 && self.checkpoints.len() as u64 == self.state.pos / i {
            self.checkpoints.push(self.state.clone());
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

    fn report(
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
                        nonzero.then(|| (t.name.clone(), d))
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
    fn exec_stmt(&mut self, stmt: &Stmt, want: bool) -> Result<(StepOutcome, bool), Diagnostic> {
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
                            config.kernel = *kern;
                            if !kern.p7_syscall_clear_regs_sysctl() {
                                config.sve_syscall_clear_regs = false;
                            }
                            format!("kernel {}", kern.name())
                        }
                    },
                    StmtKind::Cpus(n) => {
                        config.cpus = usize::from(*n);
                        format!("{n} CPUs")
                    }
                    StmtKind::Vls(bits) => {
                        config.vls = bits.iter().map(|b| (b / 8) as u16).collect();
                        let req = self.state.requested_default_vl;
                        config.sve_default_vl = if req < 0 {
                            config.max_vl()
                        } else {
                            config.find_supported_vector_length(req as u32)
                        };
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
                let kern = self.state.machine.kernel();
                let config = &mut self.state.machine.config;
                let desc = match which {
                    Sysctl::SveDefaultVectorLength => {
                        // vec_proc_do_default_vl(): -1 = max; invalid -> -EINVAL; else clamp.
                        let vl = if *value == -1 {
                            config.max_vl()
                        } else if *value < 0
                            || *value > i64::from(u32::MAX)
                            || !crate::model::regs::sve_vl_valid(*value as u32)
                        {
                            return Err(e(
                                format!("write {value} to {}: Invalid argument (EINVAL)", which.name()),
                                "the file takes a vector length in BYTES: a multiple of 16 (16 = 128 bits … 256 = 2048 bits), or -1 for the maximum".into(),
                            ));
                        } else {
                            config.find_supported_vector_length(*value as u32)
                        };
                        config.sve_default_vl = vl;
                        self.state.requested_default_vl = *value;
                        format!(
                            "{} = {} bytes ({} bits; applies at the next exec)",
                            which.name(),
                            vl,
                            u32::from(vl) * 8
                        )
                    }
                    Sysctl::SveSyscallClearRegs => {
                        if !kern.p7_syscall_clear_regs_sysctl() {
                            return Err(e(
                                format!("no such sysctl on this kernel ({}): /proc/sys/{} does not exist", kern.name(), which.name().replace('.', "/")),
                                "abi.sve_syscall_clear_regs exists only with patch 7 of the series: `kernel series-v1/p7` (= series-v1)".into(),
                            ));
                        }
                        if !(0..=1).contains(value) {
                            return Err(e(
                                format!(
                                    "write {value} to {}: Invalid argument (EINVAL)",
                                    which.name()
                                ),
                                "the file takes 0 or 1".into(),
                            ));
                        }
                        config.sve_syscall_clear_regs = *value == 1;
                        format!("{} = {value}", which.name())
                    }
                };
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

fn shift(s: &mut Stmt, off: usize) {
    s.span = Span::new(s.span.start + off, s.span.end + off);
    if let StmtKind::Repeat { body, .. } = &mut s.kind {
        for b in body {
            shift(b, off);
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

fn user_regs(m: &Machine) -> Vec<(String, String)> {
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

fn diff_fields(a: Vec<(String, String)>, b: Vec<(String, String)>) -> Vec<FieldChange> {
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

// ---------------------------------------------------------------------------------------
// Two kernels side by side.

/// One step where the two kernels differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDifference {
    /// Step index.
    pub step: u64,
    /// Line of the statement.
    pub line: u32,
    /// The statement.
    pub text: String,
    /// Event lines on the first kernel.
    pub events_a: Vec<String>,
    /// Event lines on the second kernel.
    pub events_b: Vec<String>,
    /// Counter changes on each (non-zero, `name=value`).
    pub counters_a: String,
    /// Counter changes on the second kernel.
    pub counters_b: String,
    /// Outcome on each (return value, expect result, error).
    pub outcome_a: String,
    /// Outcome on the second kernel.
    pub outcome_b: String,
}

/// The result of [`compare`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// First kernel.
    pub kernel_a: String,
    /// Second kernel.
    pub kernel_b: String,
    /// Steps run on both.
    pub steps: u64,
    /// Steps whose events, counters or outcome differ.
    pub steps_differing: Vec<StepDifference>,
    /// Final user-visible registers and raw fields that differ.
    pub final_differences: Vec<FieldChange>,
    /// Final total counters on each.
    pub totals: (String, String),
}

fn outcome_text(r: &StepReport) -> String {
    if let Some(e) = &r.error {
        return format!("error: {}", e.message);
    }
    match &r.outcome {
        StepOutcome::Op { ret: Some(x) } => format!("ret {x}"),
        StepOutcome::Expect(c) => format!(
            "{} (actual {})",
            if c.passed { "pass" } else { "FAIL" },
            c.actual
        ),
        StepOutcome::Show(s) => s.clone(),
        _ => String::new(),
    }
}

fn strip_cpu(lines: &[String]) -> Vec<String> {
    lines.to_vec()
}

/// Runs `source` on kernels `a` and `b` in lockstep (at most `budget` steps each) and
/// reports every step whose events, counter changes or outcome differ, and the final
/// differences (user-visible registers, raw fields). Parse errors are returned as is.
pub fn compare(
    source: &str,
    a: Kernel,
    b: Kernel,
    budget: u64,
) -> Result<Comparison, Vec<Diagnostic>> {
    let (prog, diags) = crate::dsl::parse(source);
    if diags
        .iter()
        .any(|d| d.severity == crate::dsl::Severity::Error)
    {
        return Err(diags);
    }
    let mk = |k| {
        let mut s = Session::new(SessionOptions {
            kernel: Some(k),
            ..SessionOptions::default()
        });
        s.program = prog.clone();
        s.index_lines();
        s
    };
    let (mut sa, mut sb) = (mk(a), mk(b));
    let mut diffs = Vec::new();
    let mut steps = 0;
    while steps < budget {
        let ra = sa.step();
        let rb = sb.step();
        let (Some(ra), Some(rb)) = (ra, rb) else {
            break;
        };
        steps += 1;
        let (ea, eb) = (strip_cpu(&ra.event_lines), strip_cpu(&rb.event_lines));
        let (ca, cb) = (
            render::counters_line(&ra.counters),
            render::counters_line(&rb.counters),
        );
        let (oa, ob) = (outcome_text(&ra), outcome_text(&rb));
        if ea != eb || ca != cb || oa != ob {
            diffs.push(StepDifference {
                step: ra.step,
                line: ra.line,
                text: ra.text.clone(),
                events_a: ea,
                events_b: eb,
                counters_a: ca,
                counters_b: cb,
                outcome_a: oa,
                outcome_b: ob,
            });
        }
        if ra.error.is_some() || rb.error.is_some() {
            break;
        }
    }
    let (ma, mb) = (sa.machine(), sb.machine());
    let final_differences = diff_machines(ma, mb)
        .into_iter()
        .filter(|c| !c.path.starts_with("config.kernel"))
        .collect();
    Ok(Comparison {
        kernel_a: a.name(),
        kernel_b: b.name(),
        steps,
        steps_differing: diffs,
        final_differences,
        totals: (
            render::counters_line(&ma.total_counters()),
            render::counters_line(&mb.total_counters()),
        ),
    })
}

// ---------------------------------------------------------------------------------------
// JSON with a format version.

/// A whole run: the script, the kernel, every step's report, why it stopped, and the
/// final machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The script.
    pub source: String,
    /// The kernel it ran on.
    pub kernel: String,
    /// Every step.
    pub reports: Vec<StepReport>,
    /// Why it stopped.
    pub stop: StopReason,
    /// The final machine.
    pub machine: Machine,
}

/// Why a JSON document did not load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadError {
    /// Not JSON, or not the expected shape.
    Damaged(String),
    /// A document of another kind (`svelab-machine` where a trace was expected…).
    WrongKind {
        /// Kind expected.
        expected: String,
        /// Kind found.
        found: String,
    },
    /// Written by another version of the format.
    Version {
        /// Version this build reads.
        expected: u32,
        /// Version found.
        found: u64,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Damaged(m) => write!(f, "the file is damaged or not a svelab document: {m}"),
            LoadError::WrongKind { expected, found } => {
                write!(f, "this is a `{found}` document, expected `{expected}`")
            }
            LoadError::Version { expected, found } => write!(
                f,
                "format version {found} is not supported: this svelab reads version {expected}; re-create the file with this version"
            ),
        }
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'static str,
    version: u32,
    data: &'a T,
}

fn to_json<T: Serialize>(kind: &'static str, data: &T) -> String {
    serde_json::to_string(&EnvelopeOut {
        format: kind,
        version: FORMAT_VERSION,
        data,
    })
    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn from_json<T: for<'de> Deserialize<'de>>(kind: &str, text: &str) -> Result<T, LoadError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| LoadError::Damaged(e.to_string()))?;
    let found = v.get("format").and_then(|f| f.as_str()).unwrap_or("");
    if found != kind {
        return Err(LoadError::WrongKind {
            expected: kind.into(),
            found: if found.is_empty() {
                "unknown".into()
            } else {
                found.into()
            },
        });
    }
    let version = v
        .get("version")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| LoadError::Damaged("no version".into()))?;
    if version != u64::from(FORMAT_VERSION) {
        return Err(LoadError::Version {
            expected: FORMAT_VERSION,
            found: version,
        });
    }
    let data = v
        .get("data")
        .ok_or_else(|| LoadError::Damaged("no data".into()))?;
    T::deserialize(data).map_err(|e| LoadError::Damaged(e.to_string()))
}

/// The machine as JSON (`{"format":"svelab-machine","version":1,"data":…}`).
pub fn machine_to_json(m: &Machine) -> String {
    to_json("svelab-machine", m)
}

/// Loads a machine written by [`machine_to_json`].
pub fn machine_from_json(text: &str) -> Result<Machine, LoadError> {
    let m: Machine = from_json("svelab-machine", text)?;
    m.config
        .check()
        .map_err(|e| LoadError::Damaged(format!("impossible configuration: {e}")))?;
    if m.cpus.len() != m.config.cpus {
        return Err(LoadError::Damaged(format!(
            "the machine has {} CPUs but its configuration says {}",
            m.cpus.len(),
            m.config.cpus
        )));
    }
    Ok(m)
}

/// A step report as JSON.
pub fn report_to_json(r: &StepReport) -> String {
    to_json("svelab-step-report", r)
}

/// Loads a step report written by [`report_to_json`].
pub fn report_from_json(text: &str) -> Result<StepReport, LoadError> {
    from_json("svelab-step-report", text)
}

/// A trace as JSON.
pub fn trace_to_json(t: &Trace) -> String {
    to_json("svelab-trace", t)
}

/// Loads a trace written by [`trace_to_json`].
pub fn trace_from_json(text: &str) -> Result<Trace, LoadError> {
    from_json("svelab-trace", text)
}

/// Renders a step report as transcript text (what the REPL prints after a step and what
/// the golden tests compare): the statement, its events, counter changes, the outcome,
/// violations and the error.
pub fn render_report(r: &StepReport) -> String {
    let mut out = format!("[{}] {}:{}\n", r.step, r.line, r.text);
    for e in &r.event_lines {
        out.push_str(&format!("    {e}\n"));
    }
    match &r.outcome {
        StepOutcome::Config(d) if !d.is_empty() => out.push_str(&format!("    = {d}\n")),
        StepOutcome::Created(n) => out.push_str(&format!("    = created {n}\n")),
        StepOutcome::Op { ret: Some(x) } => out.push_str(&format!("    = ret {x}\n")),
        StepOutcome::Expect(c) => out.push_str(&format!(
            "    = {} (actual {}, expected {})\n",
            if c.passed { "ok" } else { "FAILED" },
            c.actual,
            c.expected
        )),
        StepOutcome::Show(t) => {
            for l in t.lines() {
                out.push_str(&format!("    | {l}\n"));
            }
        }
        _ => {}
    }
    if r.counters.nonzero().next().is_some() {
        out.push_str(&format!(
            "    counters: {}\n",
            render::counters_line(&r.counters)
        ));
    }
    for v in &r.violations {
        out.push_str(&format!("    !! [{}] {}\n", v.rule.code(), v.detail));
    }
    if let Some(e) = &r.error {
        out.push_str(&format!("    error: {}\n    hint: {}\n", e.message, e.hint));
    }
    out
}
