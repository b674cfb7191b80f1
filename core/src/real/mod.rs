//! Real kernels as the referee: a script becomes a real program that the runner
//! (`tests/real/runner/`) carries out inside a real arm64 kernel, and what the kernel did is
//! compared with what the model predicts.
//!
//! * [`translate`]: script → [`RealProgram`] plus the model's prediction of each
//!   observation (a pure function; statements a real program cannot do are errors).
//! * [`program`]: the steps and the text the runner reads.
//! * [`observe`]: the runner's raw observations as model values.
//! * [`verdicts`] (here): the runner's console output against the predictions.
//!
//! Nothing here boots anything: `cargo xtask real` does, with the pinned kernels.

pub mod observe;
pub mod program;
pub mod translate;

pub use program::RealProgram;
pub use translate::{translate, Observation, Translation, COUNTED};

use crate::dsl::eval::Val;

/// What became of one observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The real kernel did what the model predicted.
    Match(Val),
    /// It did something else.
    Differs(Val),
    /// The kernel function it counts cannot be traced on this kernel.
    NotTraceable(String),
    /// The runner printed nothing for it (the program stopped early: see `error`).
    Missing,
    /// The runner's output could not be read.
    Unreadable(String),
}

/// One program's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramResult {
    /// The runner's error, if the program stopped early.
    pub error: Option<String>,
    /// One verdict per observation, in order.
    pub verdicts: Vec<Verdict>,
}

/// The lines the runner printed for program `name` (between `PROGRAM name` and `END name`).
pub fn program_output<'a>(console: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let mut lines = console.lines().map(|l| l.trim_end_matches('\r'));
    let start = format!("PROGRAM {name}");
    lines.by_ref().find(|l| l.trim() == start)?;
    let end = format!("END {name}");
    Some(lines.take_while(|l| l.trim() != end).collect())
}

/// Compares the runner's output for a program with the translation's predictions.
pub fn verdicts(t: &Translation, output: &[&str]) -> ProgramResult {
    let mut raw: std::collections::HashMap<u32, &str> = std::collections::HashMap::new();
    let mut nofunc = Vec::new();
    let mut error = None;
    for l in output {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("OBS ") {
            let (id, v) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Ok(id) = id.parse::<u32>() {
                raw.insert(id, v);
            }
        } else if let Some(f) = l.strip_prefix("NOFUNC ") {
            nofunc.push(f.to_string());
        } else if let Some(e) = l.strip_prefix("ERR ") {
            error.get_or_insert_with(|| e.to_string());
        }
    }
    let verdicts = t
        .observations
        .iter()
        .map(|o| {
            let counted = t
                .program
                .steps
                .iter()
                .find(|s| s.obs == Some(o.id))
                .and_then(|s| s.func);
            if let Some(f) = counted.filter(|f| nofunc.iter().any(|n| n == f)) {
                return Verdict::NotTraceable(f.to_string());
            }
            match raw.get(&o.id) {
                None => Verdict::Missing,
                Some(r) => match o.what.interpret(r) {
                    Ok(v) if v == o.predicted => Verdict::Match(v),
                    Ok(v) => Verdict::Differs(v),
                    Err(e) => Verdict::Unreadable(e),
                },
            }
        })
        .collect();
    ProgramResult { error, verdicts }
}
