//! Lessons and classroom exercises: the course format, seeded variants, grading, hints and
//! progress.
//!
//! Pure like the rest of the core: nothing here reads files. The front ends (the REPL, the
//! web playground, `cargo xtask lessons`, the tests) hand in the files of a course as
//! `(path, text)` pairs, or use [`builtin_course`], which embeds `lessons/` in the binary
//! and the wasm bundle. The format is documented for teachers in `lessons/README.md`.
//!
//! # The course on disk
//!
//! ```text
//! lessons/
//!   README.md                  the format (not part of the course)
//!   01-registers/              one directory per lesson: NN-id
//!     lesson.md                Markdown; starts with `# Title`; a line that is only a link
//!                              to a script, `[▶ Run it](regs.svl)`, is a runnable script
//!     regs.svl                 scripts in the svelab DSL (docs/dsl.md)
//!     exercises.toml           `[[exercise]]` tables (TOML)
//! ```
//!
//! # The API the front ends use
//!
//! ```
//! use svelab_core::course::{builtin_course, grade, Answer, Progress};
//! let course = builtin_course();                        // or Course::parse(&files)?
//! let mut progress = Progress::new(0x5eed);             // persist with to_json/from_json
//! let lesson = course.lesson("1").unwrap();             // "1", "01", "registers", "01-registers"
//! assert!(!lesson.blocks.is_empty());                   // prose and script blocks, in order
//! let ex = &lesson.exercises[0];
//! let inst = progress.instance(lesson, ex);             // this student's variant
//! let g = grade(&inst, &Answer::Predict(vec!["42".into(); inst.blanks.len()]));
//! progress.record(&inst, &Answer::Predict(vec!["42".into()]), &g);
//! let _first_hint = progress.reveal_hint(&inst);        // hints come one at a time
//! let saved = progress.to_json();
//! assert_eq!(Progress::from_json(&saved).unwrap(), progress);
//! ```
//!
//! * [`Course::parse`] reads a course (every problem, with `file:line`, as [`LessonError`]s);
//!   [`Course::lesson`] and [`Course::exercise`] find things by number or id.
//! * A [`Lesson`] is a title, [`Block`]s (prose and runnable [`Script`]s) and [`Exercise`]s.
//! * [`Exercise::variant`] turns a seed into an [`ExerciseInstance`]: the concrete question or
//!   goal, the numbers and names drawn for this student, the blanks to fill, the hints. The
//!   same seed always gives the same instance. [`Progress::instance`] derives the seed from
//!   the student's seed, so two students get different numbers and one student always gets
//!   the same ones (until [`Progress::new_variant`]).
//! * [`grade`] checks an [`Answer`]: the values predicted for each blank, or a script for a
//!   construct exercise. It runs the model; the REPL and the playground call the same
//!   function, so grading is identical in both.
//! * [`Progress`] (serde) records attempts, passes and revealed hints; the REPL keeps it in
//!   a file, the playground in browser storage.
//! * [`author_check`] is what `cargo xtask lessons` and the test suite run: every script runs
//!   with its `expect`s passing, every exercise's reference answer passes and its wrong
//!   answer fails, on several seeds.
//!
//! A front end's commands map onto it like this (the REPL's names; the playground's
//! buttons do the same):
//!
//! | command | calls |
//! |---|---|
//! | `:lessons` | [`Progress::status`] (number, title, seen, passed/total per lesson) |
//! | `:lesson N` | [`Course::lesson`], [`Progress::open_lesson`]; show [`Lesson::blocks`], load a [`Script`]'s `source` into a [`Session`] to run or step it |
//! | `:exercise N/E` | [`Course::exercise`], [`Progress::instance`]; show `title`, `text`, `setup` or `starter`, `blanks`, `choices` |
//! | `:hint` | [`Progress::reveal_hint`]; [`Progress::revealed_hints`] to show them again |
//! | `:check 0 1` / `:check` | [`grade`] with [`Answer::predict_from_text`] or [`Answer::Script`] (the session's source, [`Session::source`]), then [`Progress::record`] |
//! | `svelab check N/E FILE` | the same, with the file's text |
//! | `:next` | [`Progress::next_exercise`] |
//!
//! A new student's seed comes from the front end (the clock, `crypto.getRandomValues`, or
//! [`seed_from_text`] of a user name); the core has no randomness of its own.
//!
//! # Exercises
//!
//! A **predict** exercise runs a `setup` script (on one kernel or on each of `kernels`) and
//! asks for the value of one or more DSL paths (`ask`) afterwards: one blank per kernel and
//! path. The truth is whatever the model says; the author's `answer` is checked against it
//! by the author check, so a change in the model that makes the prose wrong fails CI.
//!
//! A **construct** exercise gives a goal and a starter script; the learner's script is run
//! (on the exercise's `kernel`, whatever the script says) and graded by `check` predicates:
//! DSL conditions as in `expect` (`B.traps == 2`, `no-violations`, `violation B1`), or
//! `known-bug NAME` (a violation attributed to that bug by [`crate::model::bugs::KnownBug::explain`]),
//! or `count KEYWORD [WORD…] OP N` (how many statements of that kind the script executed,
//! `repeat`s unrolled: `count sve-op A >= 4`, `count sve-op A z3 == 0`).
//! `forbid` lists statement keywords the script may not use.
//!
//! Every text of an exercise is a template: `{{name}}` is replaced by the variable drawn for
//! this student, `{{vl / 128}}` by a little integer arithmetic on them, `{{byte:hex}}` by
//! hexadecimal. Single braces are left alone (the DSL's `repeat N { … }`).

// Module map: `format` (the course on disk, lessons), `markdown` (lesson.md: blocks,
// scripts, and the CommonMark rendering the front ends show), `doc` (exercises.toml read with
// the `toml` crate, spans to line:column), `exercise_file` (the exercise keys and their
// checks), `exercise` (exercises, instances, answers, grades), `template` (seeds, `{{…}}`
// templates), `grade` (running and grading), `progress`, `author` (the author check),
// `builtin` (the embedded course).

mod author;
mod builtin;
pub mod class;
mod count;
mod doc;
mod exercise;
mod exercise_file;
mod format;
mod grade;
mod markdown;
mod progress;
mod template;
#[cfg(test)]
mod tests;

pub use author::{author_check, AuthorReport};
pub use builtin::{builtin_course, BUILTIN_FILES};
pub use exercise::{Answer, Blank, CheckResult, Exercise, ExerciseInstance, ExerciseKind, Grade};
pub use format::{Block, Course, Lesson, Script};
pub use grade::grade;
pub use markdown::{plain_blocks, plain_inlines, render_markdown, MdBlock, MdInline};
pub use progress::{ExerciseProgress, LessonStatus, Progress, PROGRESS_VERSION, REVEAL_AFTER};
pub use template::seed_from_text;

// Items the modules share among themselves.
use count::CountCheck;
use exercise::*;
use exercise_file::*;
use grade::*;
use markdown::*;
use template::*;

use crate::dsl::diag::Diagnostic;
use crate::dsl::Severity;
use crate::model::bugs::KnownBug;
use crate::model::kernel::Kernel;
use crate::model::violation::Violation;
use crate::session::{LoadError, RunOptions, Session, SessionOptions, StepOutcome, StopReason};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The lesson's prose file in each lesson directory.
pub const LESSON_FILE: &str = "lesson.md";
/// The exercises file in each lesson directory.
pub const EXERCISES_FILE: &str = "exercises.toml";
/// Step budget for one run of a learner's script (a huge `repeat` fails instead of hanging).
pub const GRADE_BUDGET: u64 = 50_000;
/// Step budget for one lesson script in the author check.
pub const SCRIPT_BUDGET: u64 = 200_000;
/// Seeds the author check tries for every exercise (0, 1, …).
pub const AUTHOR_CHECK_SEEDS: u64 = 12;

// =======================================================================================
// Errors

/// A problem in a lesson file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonError {
    /// Path relative to the course root (`03-first-sve-use/exercises.toml`).
    pub file: String,
    /// 1-based line (0 when the problem is the file as a whole, e.g. a missing file).
    pub line: u32,
    /// 1-based column (0 when only the line is known).
    #[serde(default)]
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it (may be empty).
    pub hint: String,
}

impl LessonError {
    fn new(file: &str, line: u32, message: impl Into<String>, hint: impl Into<String>) -> Self {
        LessonError {
            file: file.to_string(),
            line,
            column: 0,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The same error, at this column of its line.
    fn col(mut self, column: u32) -> Self {
        self.column = column;
        self
    }
}

/// Gives every error that knows its line but not its column the column where that line's
/// content starts (a key, a list item, a line of a script inside a multi-line string).
fn fill_columns<P: AsRef<str>, T: AsRef<str>>(errors: &mut [LessonError], files: &[(P, T)]) {
    for e in errors.iter_mut().filter(|e| e.column == 0 && e.line > 0) {
        let text = files
            .iter()
            .find(|(p, _)| p.as_ref().trim_start_matches("./") == e.file)
            .map(|(_, t)| t.as_ref());
        if let Some(line) = text.and_then(|t| t.lines().nth(e.line as usize - 1)) {
            let indent = line.chars().take_while(|c| c.is_whitespace()).count();
            if indent < line.chars().count() {
                e.column = indent as u32 + 1;
            }
        }
    }
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}:{}: ", self.file, self.line)?;
        }
        f.write_str(&self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n    hint: {}", self.hint)?;
        }
        Ok(())
    }
}
