//! The svelab DSL: scripts that drive the [`crate::Machine`].
//!
//! * [`parse`] turns a script into a [`Program`] plus every [`Diagnostic`] in it; it never
//!   panics and never stops at the first error.
//! * [`lower`] resolves a statement's names against the machine and turns it into an
//!   [`crate::Op`] (or a configuration change).
//! * [`eval`] evaluates `expect` paths and conditions, and renders `show`.
//! * [`diag`] holds diagnostics and their plain-text renderer.
//!
//! The grammar, with an example per statement, is in `docs/dsl.md`. The [`crate::session`]
//! module drives programs step by step.

pub mod ast;
pub mod complete;
pub mod diag;
pub mod eval;
pub mod lower;
pub(crate) mod parser;
pub mod render;
pub mod vocab;

pub use ast::{
    CmpOp, Condition, Ident, InterruptSpec, NextSpec, Operand, Path, Program, PtraceSpec,
    ShowTarget, Span, Stmt, StmtKind, SvcSpec, SvePayloadKind, Sysctl,
};
pub use diag::{
    edit_distance, render as render_diagnostic, render_all as render_diagnostics, Diagnostic,
    Label, Severity,
};
pub use parser::{is_incomplete, parse, parse_condition, parse_path};
pub use vocab::{KEYWORDS, SVC_CALLS};
