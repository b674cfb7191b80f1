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
//! [`SessionOptions::checkpoint_interval`] steps and replays from the nearest one. At
//! [`SessionOptions::max_checkpoints`] every other checkpoint is dropped and the spacing
//! doubles, so memory is bounded whatever the length of the run and `goto` replays less
//! than one spacing.
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
    /// Steps between checkpoints (time travel) at first. Smaller: faster `goto`, more
    /// memory.
    pub checkpoint_interval: u64,
    /// At most this many checkpoints (0: no bound). When one more would exceed it, every
    /// other checkpoint is dropped and the spacing doubles, so memory stays bounded and
    /// `goto` replays fewer than `2 × steps / max_checkpoints` steps.
    pub max_checkpoints: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            kernel: None,
            checkpoint_interval: 256,
            max_checkpoints: 8192,
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
    /// `checkpoints[k]` is the state at position `k × stride`.
    checkpoints: Vec<State>,
    /// Current spacing of checkpoints: the interval, doubled at each thinning.
    stride: u64,
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

mod compare;
mod exec;
mod inspect;
mod json;
mod program;
mod run;

pub use compare::*;
pub use inspect::{diff_machines, show_target};
pub use json::*;

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
