//! # svelab-core
//!
//! A register-level model of how arm64 Linux keeps, saves, restores, traps and discards the
//! FPSIMD/SVE registers of user tasks and KVM guests, on v5.19, on each patch of Mark
//! Brown's series "arm64/sve: Clean up KVM integration and optimise syscalls" (v1), on
//! v6.2 where the series landed, and on Debian's 6.1.192 and 6.12.118 (the series
//! backported in part, and the fixes of 2024–2025).
//!
//! The crate is pure: no I/O, no clocks, no printing. Front ends (the `svelab` REPL, the
//! web playground, the tests) drive a [`Machine`] with [`Op`]s and render what comes back:
//! [`Event`]s named after kernel functions, [`Counters`], and [`Violation`]s from the
//! invariant checker.
//!
//! Layout (each module's docs say which kernel file it models); imports only go down:
//! * [`model`] — the state machine, one file per kernel source file: the kernels and their
//!   gates, ids, registers, events, violations, the state, the operations as data, then
//!   `fpsimd.c`, signals, syscalls, ptrace and KVM, then carrying out a step, then the
//!   invariant checker, the ABI oracle, the derived views and the known bugs.
//! * [`explain`] — the model's kernel knowledge in words: what each kernel function, field,
//!   invariant, WARN and known bug means, which functions write a field, one line per event.
//! * [`dsl`] — the language: its vocabularies (one table each), parser, lowering to
//!   operations, `expect` evaluation and rendering.
//! * [`session`] — a program on a machine, stepped, with time travel, compare and JSON.
//! * [`course`] — lessons and exercises: the course format, seeded variants, grading, progress.
//! * [`explore`] — bounded exhaustive search with shortest counterexamples.
//! * [`real`] — translating scripts into steps for real kernels, and reading their results.
//! * [`share`] — share links for the playground (script, kernel, step in a URL fragment).

pub mod course;
pub mod dsl;
pub mod explain;
pub mod explore;
pub mod model;
pub mod real;
pub mod session;
pub mod share;

pub use course::{builtin_course, grade, Answer, Course, ExerciseInstance, Grade, Progress};
pub use dsl::{parse, Diagnostic, Program};
pub use model::event::{Counter, Counters, Event, EventRecord, Sig};
pub use model::kernel::Kernel;
pub use model::machine::{Config, Machine};
pub use model::op::{Op, Outcome, StepError};
pub use model::types::{CpuId, Format, TaskId, VcpuId};
pub use model::violation::{Rule, Violation};
pub use session::{RunOptions, Session, SessionOptions, StepReport, StopReason};
