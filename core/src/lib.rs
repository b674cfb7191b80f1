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
//! Module map (each module's docs say which kernel file it models):
//! * [`kernel`] — the kernels and the named patch gates.
//! * [`regs`] — register file and buffers with real values and provenance.
//! * [`machine`] — CPUs, tasks, configuration (ground state only).
//! * [`fpsimd`] — `arch/arm64/kernel/fpsimd.c`.
//! * [`syscall`] — syscall entry (`fp_user_discard`), the syscalls, fork.
//! * [`signal`] — signal frames and sigreturn.
//! * [`ptrace`] — `NT_PRFPREG` / `NT_ARM_SVE`.
//! * [`kvm`] — vCPUs and the host/guest handover.
//! * [`ops`] — the operations and how they are carried out.
//! * [`invariants`] — the checker.
//! * [`bugs`] — the known kernel bugs the model reproduces, and their attribution.
//! * [`explore`] — explore mode: bounded exhaustive search with shortest counterexamples.
//! * [`course`] — lessons and exercises: the course format, seeded variants, grading, progress.
//! * [`oracle`] — the ABI oracle (what sve.rst promises a task, from its own history).
//! * [`share`] — share links for the playground (script, kernel, step in a URL fragment).
//! * [`view`] — derived views (ownership, user view, raw view).

pub mod bugs;
pub mod course;
pub mod dsl;
pub mod event;
pub mod explore;
pub mod fpsimd;
pub mod invariants;
pub mod kernel;
pub mod kvm;
pub mod machine;
pub mod ops;
pub mod oracle;
pub mod ptrace;
pub mod real;
pub mod regs;
pub mod session;
pub mod share;
pub mod signal;
pub mod syscall;
pub mod view;

pub use course::{builtin_course, grade, Answer, Course, ExerciseInstance, Grade, Progress};
pub use dsl::{parse, Diagnostic, Program};
pub use event::{Counter, Counters, Event, EventRecord, Format, Sig};
pub use invariants::{Rule, Violation};
pub use kernel::Kernel;
pub use machine::{Config, CpuId, Machine, TaskId, VcpuId};
pub use ops::{Op, Outcome, StepError};
pub use session::{RunOptions, Session, SessionOptions, StepReport, StopReason};
