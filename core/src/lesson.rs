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
//!     exercises.toml           `[[exercise]]` tables in a small subset of TOML
//! ```
//!
//! # The API the front ends use
//!
//! ```
//! use svelab_core::lesson::{builtin_course, grade, Answer, Progress};
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
//! `known-bug NAME` (a violation attributed to that bug by [`crate::model::bugs::KnownBug::explain`]).
//! `forbid` lists statement keywords the script may not use.
//!
//! Every text of an exercise is a template: `{{name}}` is replaced by the variable drawn for
//! this student, `{{vl / 128}}` by a little integer arithmetic on them, `{{byte:hex}}` by
//! hexadecimal. Single braces are left alone (the DSL's `repeat N { … }`).

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
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n    hint: {}", self.hint)?;
        }
        Ok(())
    }
}

// =======================================================================================
// The course

/// A whole course: its lessons in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// The lessons, by number.
    pub lessons: Vec<Lesson>,
}

/// One lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Its number (the `NN` of the directory name).
    pub number: u32,
    /// Its id (the directory name without the number): stable, used in progress keys.
    pub id: String,
    /// The directory name (`03-first-sve-use`).
    pub dir: String,
    /// The title (the `# ` line of `lesson.md`, without the `#`).
    pub title: String,
    /// Prose and scripts, in reading order.
    pub blocks: Vec<Block>,
    /// The lesson's scripts (in order of first reference).
    pub scripts: Vec<Script>,
    /// The exercises, in file order.
    pub exercises: Vec<Exercise>,
    /// ```` ```svl ```` snippets quoted in the prose: (line in lesson.md, text). They must
    /// parse; they are not run (they may be fragments).
    pub snippets: Vec<(u32, String)>,
}

/// A piece of a lesson's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// Markdown, as written.
    Prose(String),
    /// A runnable script: an index into [`Lesson::scripts`].
    Script(usize),
}

/// A script of a lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// File name inside the lesson directory (`trap.svl`).
    pub name: String,
    /// Path relative to the course root (`03-first-sve-use/trap.svl`).
    pub path: String,
    /// The link text in `lesson.md` (`▶ The first trap`).
    pub label: String,
    /// The script.
    pub source: String,
}

impl Course {
    /// Reads a course from its files: `(path relative to the course root, text)`, with `/`
    /// separators. `README.md` at the root is documentation and is skipped. Every problem is
    /// reported, each with its file and line.
    pub fn parse<P: AsRef<str>, T: AsRef<str>>(
        files: &[(P, T)],
    ) -> Result<Course, Vec<LessonError>> {
        let mut errors = Vec::new();
        // dir -> (lesson.md, exercises.toml, scripts)
        let mut dirs: BTreeMap<String, DirFiles> = BTreeMap::new();
        for (p, t) in files {
            let path = p.as_ref().trim_start_matches("./");
            let text = t.as_ref();
            if path == "README.md" {
                continue;
            }
            let Some((dir, name)) = path.split_once('/') else {
                errors.push(LessonError::new(
                    path,
                    0,
                    "a file at the top of the course",
                    "every lesson lives in its own directory `NN-id/` (only README.md may sit at the top)",
                ));
                continue;
            };
            if name.contains('/') {
                errors.push(LessonError::new(
                    path,
                    0,
                    "lessons have no subdirectories",
                    "put lesson.md, exercises.toml and the .svl scripts directly in the lesson's directory",
                ));
                continue;
            }
            let d = dirs.entry(dir.to_string()).or_default();
            if name == LESSON_FILE {
                d.lesson = Some(text.to_string());
            } else if name == EXERCISES_FILE {
                d.exercises = Some(text.to_string());
            } else if name.ends_with(".svl") {
                d.scripts.insert(name.to_string(), text.to_string());
            } else {
                errors.push(LessonError::new(
                    path,
                    0,
                    format!("unexpected file `{name}`"),
                    "a lesson directory holds lesson.md, exercises.toml and .svl scripts",
                ));
            }
        }
        let mut lessons: Vec<Lesson> = Vec::new();
        for (dir, files) in dirs {
            match parse_lesson(&dir, files) {
                Ok(l) => {
                    if let Some(o) = lessons
                        .iter()
                        .find(|o| o.number == l.number || o.id == l.id)
                    {
                        errors.push(LessonError::new(
                            &format!("{dir}/{LESSON_FILE}"),
                            0,
                            format!("lesson {dir} has the same number or id as {}", o.dir),
                            "give each lesson its own number and name",
                        ));
                    }
                    lessons.push(l);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if lessons.is_empty() && errors.is_empty() {
            errors.push(LessonError::new(
                "",
                0,
                "the course has no lessons",
                "add a directory `01-first/` with a lesson.md",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        lessons.sort_by_key(|l| l.number);
        Ok(Course { lessons })
    }

    /// Finds a lesson by number (`3`, `03`), id (`first-sve-use`) or directory
    /// (`03-first-sve-use`).
    pub fn lesson(&self, query: &str) -> Option<&Lesson> {
        let q = query.trim().trim_end_matches('/');
        if let Ok(n) = q.parse::<u32>() {
            return self.lessons.iter().find(|l| l.number == n);
        }
        self.lessons
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(q) || l.dir.eq_ignore_ascii_case(q))
    }

    /// Finds an exercise by `LESSON/EXERCISE`, where LESSON is as in [`Course::lesson`] and
    /// EXERCISE an id or a 1-based number (`3/2`, `first-sve-use/two-traps`).
    pub fn exercise(&self, key: &str) -> Option<(&Lesson, &Exercise)> {
        let (l, e) = key.trim().split_once('/')?;
        let lesson = self.lesson(l)?;
        let ex = match e.parse::<usize>() {
            Ok(n) => lesson.exercises.get(n.checked_sub(1)?),
            Err(_) => lesson.exercises.iter().find(|x| x.id == e),
        }?;
        Some((lesson, ex))
    }

    /// Every exercise of the course, in order.
    pub fn exercises(&self) -> impl Iterator<Item = (&Lesson, &Exercise)> {
        self.lessons
            .iter()
            .flat_map(|l| l.exercises.iter().map(move |e| (l, e)))
    }
}

impl Lesson {
    /// The script with this file name.
    pub fn script(&self, name: &str) -> Option<&Script> {
        self.scripts.iter().find(|s| s.name == name)
    }

    /// The path of `lesson.md` relative to the course root.
    pub fn lesson_path(&self) -> String {
        format!("{}/{LESSON_FILE}", self.dir)
    }
}

#[derive(Default)]
struct DirFiles {
    lesson: Option<String>,
    exercises: Option<String>,
    scripts: BTreeMap<String, String>,
}

fn parse_lesson(dir: &str, files: DirFiles) -> Result<Lesson, Vec<LessonError>> {
    let mut errors = Vec::new();
    let lesson_path = format!("{dir}/{LESSON_FILE}");
    let (number, id) = match dir.split_once('-') {
        Some((n, id))
            if n.len() >= 2
                && n.bytes().all(|b| b.is_ascii_digit())
                && !id.is_empty()
                && id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                }) =>
        {
            (n.parse::<u32>().unwrap_or(0), id.to_string())
        }
        _ => {
            errors.push(LessonError::new(
                &lesson_path,
                0,
                format!("`{dir}` is not a lesson directory name"),
                "name it NN-id: two or more digits, a dash, then lower-case letters, digits and dashes (`03-first-sve-use`)",
            ));
            (0, dir.to_string())
        }
    };
    let Some(md) = files.lesson else {
        errors.push(LessonError::new(
            &lesson_path,
            0,
            "missing lesson.md",
            "every lesson directory needs a lesson.md starting with `# Title`",
        ));
        return Err(errors);
    };
    let mut lesson = Lesson {
        number,
        id,
        dir: dir.to_string(),
        title: String::new(),
        blocks: Vec::new(),
        scripts: Vec::new(),
        exercises: Vec::new(),
        snippets: Vec::new(),
    };
    parse_markdown(&md, &lesson_path, &files.scripts, &mut lesson, &mut errors);
    for name in files.scripts.keys() {
        if lesson.script(name).is_none() {
            errors.push(LessonError::new(
                &format!("{dir}/{name}"),
                0,
                format!("{name} is not used by lesson.md"),
                format!("add a line `[▶ Run it]({name})` where the learner should run it, or delete the file"),
            ));
        }
    }
    match files.exercises {
        Some(text) => {
            let path = format!("{dir}/{EXERCISES_FILE}");
            match parse_exercises(&text, &path, &lesson.id) {
                Ok(ex) => lesson.exercises = ex,
                Err(mut e) => errors.append(&mut e),
            }
        }
        None => errors.push(LessonError::new(
            &format!("{dir}/{EXERCISES_FILE}"),
            0,
            "missing exercises.toml",
            "every lesson ends with exercises: at least one `predict` and one `construct`",
        )),
    }
    if errors.is_empty() {
        Ok(lesson)
    } else {
        Err(errors)
    }
}

/// A line that is only a Markdown link to a `.svl` file: `(label, target)`.
fn script_link(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    let rest = t.strip_prefix('[')?;
    let (label, rest) = rest.split_once("](")?;
    let target = rest.strip_suffix(')')?;
    target
        .ends_with(".svl")
        .then_some((label.trim(), target.trim()))
}

fn parse_markdown(
    md: &str,
    path: &str,
    scripts: &BTreeMap<String, String>,
    lesson: &mut Lesson,
    errors: &mut Vec<LessonError>,
) {
    let mut prose = String::new();
    let mut fence: Option<(bool, u32, String)> = None; // (is svl, start line, text)
    let mut title_seen = false;
    let flush = |prose: &mut String, blocks: &mut Vec<Block>| {
        let p = prose.trim_matches('\n');
        if !p.trim().is_empty() {
            blocks.push(Block::Prose(p.to_string()));
        }
        prose.clear();
    };
    for (i, line) in md.lines().enumerate() {
        let n = i as u32 + 1;
        let trimmed = line.trim();
        if let Some((svl, start, text)) = &mut fence {
            if trimmed.starts_with("```") {
                if *svl {
                    lesson.snippets.push((*start, std::mem::take(text)));
                }
                fence = None;
            } else if *svl {
                text.push_str(line);
                text.push('\n');
            }
            prose.push_str(line);
            prose.push('\n');
            continue;
        }
        if !title_seen {
            if trimmed.is_empty() {
                continue;
            }
            match trimmed.strip_prefix("# ") {
                Some(t) if !t.trim().is_empty() => {
                    lesson.title = t.trim().to_string();
                    title_seen = true;
                    continue;
                }
                _ => {
                    errors.push(LessonError::new(
                        path,
                        n,
                        "a lesson starts with its title",
                        "make the first line `# The title`",
                    ));
                    return;
                }
            }
        }
        if let Some(info) = trimmed.strip_prefix("```") {
            fence = Some((info.trim() == "svl", n + 1, String::new()));
            prose.push_str(line);
            prose.push('\n');
            continue;
        }
        if let Some((label, target)) = script_link(line) {
            if target.contains('/') {
                errors.push(LessonError::new(
                    path,
                    n,
                    format!("script `{target}` is outside the lesson's directory"),
                    "link to a .svl file next to lesson.md: `[▶ Run it](name.svl)`",
                ));
                continue;
            }
            let Some(source) = scripts.get(target) else {
                errors.push(LessonError::new(
                    path,
                    n,
                    format!("no script `{target}` in {}", lesson.dir),
                    format!(
                        "scripts here: {}",
                        if scripts.is_empty() {
                            "none".to_string()
                        } else {
                            scripts.keys().cloned().collect::<Vec<_>>().join(", ")
                        }
                    ),
                ));
                continue;
            };
            flush(&mut prose, &mut lesson.blocks);
            let idx = match lesson.scripts.iter().position(|s| s.name == target) {
                Some(i) => i,
                None => {
                    lesson.scripts.push(Script {
                        name: target.to_string(),
                        path: format!("{}/{target}", lesson.dir),
                        label: label.to_string(),
                        source: source.clone(),
                    });
                    lesson.scripts.len() - 1
                }
            };
            lesson.blocks.push(Block::Script(idx));
            continue;
        }
        prose.push_str(line);
        prose.push('\n');
    }
    if !title_seen {
        errors.push(LessonError::new(
            path,
            1,
            "lesson.md is empty",
            "start it with `# The title`",
        ));
    }
    if let Some((_, start, _)) = fence {
        errors.push(LessonError::new(
            path,
            start - 1,
            "this code block is never closed",
            "end it with a line ```",
        ));
    }
    flush(&mut prose, &mut lesson.blocks);
}

// =======================================================================================
// Exercises

/// The two kinds of exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExerciseKind {
    /// Predict-then-reveal: say what a field will be, then see the model's answer.
    Predict,
    /// Write a script that reaches a goal, checked by predicates over the final state.
    Construct,
}

impl ExerciseKind {
    /// `predict` or `construct`.
    pub fn name(self) -> &'static str {
        match self {
            ExerciseKind::Predict => "predict",
            ExerciseKind::Construct => "construct",
        }
    }
}

/// A text of an exercise file that may hold `{{…}}` placeholders, and the line of the file
/// where its content starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Tpl {
    text: String,
    line: u32,
}

/// What a variable may take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Domain {
    Ints(Vec<i64>),
    Strs(Vec<String>),
    Range(i64, i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct VarDef {
    name: String,
    domain: Domain,
    line: u32,
}

/// A value drawn for a variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum VarValue {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for VarValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarValue::Int(i) => write!(f, "{i}"),
            VarValue::Str(s) => f.write_str(s),
        }
    }
}

/// One exercise, as written (its texts still hold placeholders). Use [`Exercise::variant`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    /// The lesson's id.
    pub lesson: String,
    /// The exercise's id (unique in its lesson).
    pub id: String,
    /// Predict or construct.
    pub kind: ExerciseKind,
    /// The file it is in (`03-first-sve-use/exercises.toml`).
    pub file: String,
    /// The line of its `[[exercise]]`.
    pub line: u32,
    title: Tpl,
    text: Tpl,
    kernel: Option<Tpl>,
    kernels: Vec<Tpl>,
    setup: Option<Tpl>,
    ask: Vec<Tpl>,
    answer: Vec<Tpl>,
    wrong: Vec<Tpl>,
    choices: Vec<Tpl>,
    starter: Option<Tpl>,
    check: Vec<Tpl>,
    forbid: Vec<Tpl>,
    reference: Option<Tpl>,
    wrong_script: Option<Tpl>,
    explanation: Tpl,
    hints: Vec<Tpl>,
    vars: Vec<VarDef>,
}

/// One blank of a predict exercise: the value of `path` after the setup, on `kernel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blank {
    /// What to show next to the input (`cpu0.CPACR_EL1.ZEN_EL0EN on v6.2`).
    pub label: String,
    /// The DSL path asked for.
    pub path: String,
    /// The kernel the setup runs on (`None`: whatever the setup says).
    pub kernel: Option<Kernel>,
}

/// An exercise with its variables drawn: everything a front end shows, and what grading
/// needs. The same exercise and seed always give the same instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseInstance {
    /// `lesson-id/exercise-id`: the key in [`Progress`].
    pub key: String,
    /// The lesson's id.
    pub lesson: String,
    /// The exercise's id.
    pub exercise: String,
    /// The seed it was drawn with.
    pub seed: u64,
    /// Predict or construct.
    pub kind: ExerciseKind,
    /// The title.
    pub title: String,
    /// The question (predict) or the goal (construct), Markdown.
    pub text: String,
    /// Predict: the script that runs before the question (show it; the learner may step
    /// through it only after answering, it would give the answer away).
    pub setup: Option<String>,
    /// Predict: the blanks to fill, one answer each.
    pub blanks: Vec<Blank>,
    /// Predict: the values to offer as buttons (empty: free input).
    pub choices: Vec<String>,
    /// Construct: the script the learner starts from.
    pub starter: Option<String>,
    /// Construct: the predicates the final state must satisfy (the precise goal).
    pub checks: Vec<String>,
    /// Construct: statement keywords the script may not use.
    pub forbid: Vec<String>,
    /// Construct: the kernel the learner's script runs on (its `kernel` lines are ignored).
    pub kernel: Option<Kernel>,
    /// Hints, to be revealed one at a time ([`Progress::reveal_hint`]).
    pub hints: Vec<String>,
    /// Why the answer is what it is (shown with the result).
    pub explanation: String,
    /// The variables drawn, `(name, value)`.
    pub vars: Vec<(String, String)>,
    /// The author's reference answer (a front end may offer it once the learner passed).
    pub reference: Answer,
    /// A wrong answer the grader must reject (used by the author check).
    pub wrong: Answer,
    #[serde(skip)]
    lines: InstanceLines,
}

/// Where each rendered text of an instance starts in the exercise file (for the author
/// check's file:line errors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct InstanceLines {
    file: String,
    exercise: u32,
    setup: u32,
    ask: Vec<u32>,
    answer: Vec<u32>,
    wrong: Vec<u32>,
    choices: u32,
    starter: u32,
    check: Vec<u32>,
    reference: u32,
    wrong_script: u32,
}

/// A learner's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Predict: one value per blank (`0`, `1`, `sve`, `fill(0xaa)`, `A`, `null`).
    Predict(Vec<String>),
    /// Construct: a whole script.
    Script(String),
}

impl Answer {
    /// Reads predicted values typed on one line: separated by commas, semicolons or spaces
    /// (`0, 1`). What the REPL's `:check 0 1` uses.
    pub fn predict_from_text(text: &str) -> Answer {
        Answer::Predict(
            text.split([',', ';', ' ', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// The answer as one line of text (for progress).
    pub fn summary(&self) -> String {
        match self {
            Answer::Predict(v) => v.join(", "),
            Answer::Script(s) => s.clone(),
        }
    }
}

/// The outcome of one check: a blank, or a predicate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// What was checked (`cpu0.CPACR_EL1.ZEN_EL0EN on v5.19`, `B.traps == 2`).
    pub label: String,
    /// Did it hold?
    pub passed: bool,
    /// What the model says (`you said 1; the model says 0`, `B.traps is 3`).
    pub detail: String,
}

/// The result of [`grade`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// Did the answer pass?
    pub passed: bool,
    /// One sentence.
    pub summary: String,
    /// Each blank or predicate.
    pub checks: Vec<CheckResult>,
    /// Predict: always (the reveal). Construct: once passed.
    pub explanation: Option<String>,
    /// Construct: parse and step errors of the learner's script (spans into that script).
    pub diagnostics: Vec<Diagnostic>,
}

const EXERCISE_KEYS: &[&str] = &[
    "id",
    "kind",
    "title",
    "question",
    "goal",
    "kernel",
    "kernels",
    "setup",
    "ask",
    "answer",
    "wrong",
    "choices",
    "starter",
    "check",
    "forbid",
    "reference",
    "explanation",
    "hints",
    "vars",
];

fn parse_exercises(
    text: &str,
    path: &str,
    lesson: &str,
) -> Result<Vec<Exercise>, Vec<LessonError>> {
    let doc = match toml::parse(text) {
        Ok(d) => d,
        Err(e) => return Err(vec![LessonError::new(path, e.line, e.message, e.hint)]),
    };
    let mut errors = Vec::new();
    let mut out: Vec<Exercise> = Vec::new();
    for (k, item) in &doc.entries {
        if k != "exercise" {
            errors.push(LessonError::new(
                path,
                item.line,
                format!("unknown key `{k}` at the top of the file"),
                "the file is a list of `[[exercise]]` tables",
            ));
        }
    }
    let tables: Vec<&toml::Table> = match doc.get("exercise") {
        Some(toml::Item {
            value: toml::Value::TableArray(ts),
            ..
        }) => ts.iter().collect(),
        Some(item) => {
            errors.push(LessonError::new(
                path,
                item.line,
                "`exercise` must be a list of tables",
                "start each exercise with a line `[[exercise]]`",
            ));
            Vec::new()
        }
        None => Vec::new(),
    };
    for t in tables {
        match parse_exercise(t, path, lesson) {
            Ok(ex) => {
                if out.iter().any(|o| o.id == ex.id) {
                    errors.push(LessonError::new(
                        path,
                        ex.line,
                        format!("two exercises are called `{}`", ex.id),
                        "ids must be unique within a lesson",
                    ));
                }
                out.push(ex);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    let has = |k| out.iter().any(|e| e.kind == k);
    if errors.is_empty() && !(has(ExerciseKind::Predict) && has(ExerciseKind::Construct)) {
        errors.push(LessonError::new(
            path,
            1,
            "a lesson needs at least one `predict` and one `construct` exercise",
            "add the missing kind (see lessons/README.md)",
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn parse_exercise(t: &toml::Table, path: &str, lesson: &str) -> Result<Exercise, Vec<LessonError>> {
    let mut errors = Vec::new();
    let line = t.line;
    let err = |errors: &mut Vec<LessonError>, l: u32, m: String, h: &str| {
        errors.push(LessonError::new(path, l, m, h));
    };
    for (k, item) in &t.entries {
        if !EXERCISE_KEYS.contains(&k.as_str()) {
            let near = EXERCISE_KEYS
                .iter()
                .min_by_key(|c| crate::dsl::edit_distance(c, k))
                .copied()
                .unwrap_or("id");
            err(
                &mut errors,
                item.line,
                format!("unknown key `{k}`"),
                &format!("did you mean `{near}`? keys: {}", EXERCISE_KEYS.join(", ")),
            );
        }
    }
    let string = |errors: &mut Vec<LessonError>, key: &str| -> Option<Tpl> {
        match t.get(key) {
            None => None,
            Some(toml::Item {
                value: toml::Value::Str(s),
                line,
            }) => Some(Tpl {
                text: s.clone(),
                line: *line,
            }),
            Some(toml::Item { line, .. }) => {
                err(
                    errors,
                    *line,
                    format!("`{key}` must be a string"),
                    "write it in quotes, or between \"\"\" for several lines",
                );
                None
            }
        }
    };
    let strings = |errors: &mut Vec<LessonError>, key: &str| -> Vec<Tpl> {
        match t.get(key) {
            None => Vec::new(),
            Some(toml::Item {
                value: toml::Value::Str(s),
                line,
            }) => vec![Tpl {
                text: s.clone(),
                line: *line,
            }],
            Some(toml::Item {
                value: toml::Value::Array(items),
                line,
            }) => {
                let mut v = Vec::new();
                for it in items {
                    match &it.value {
                        toml::Value::Str(s) => v.push(Tpl {
                            text: s.clone(),
                            line: it.line,
                        }),
                        toml::Value::Int(i) => v.push(Tpl {
                            text: i.to_string(),
                            line: it.line,
                        }),
                        _ => err(
                            errors,
                            it.line,
                            format!("`{key}` holds strings"),
                            "e.g. [\"0\", \"1\"]",
                        ),
                    }
                }
                if v.is_empty() {
                    err(
                        errors,
                        *line,
                        format!("`{key}` is empty"),
                        "give at least one",
                    );
                }
                v
            }
            Some(toml::Item {
                value: toml::Value::Int(i),
                line,
            }) => vec![Tpl {
                text: i.to_string(),
                line: *line,
            }],
            Some(toml::Item { line, .. }) => {
                err(
                    errors,
                    *line,
                    format!("`{key}` must be a string or a list of strings"),
                    "e.g. [\"0\", \"1\"]",
                );
                Vec::new()
            }
        }
    };
    let id = match t.get("id") {
        Some(toml::Item {
            value: toml::Value::Str(s),
            line,
        }) => {
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                err(
                    &mut errors,
                    *line,
                    format!("bad id `{s}`"),
                    "ids are lower-case letters, digits and dashes",
                );
            }
            s.clone()
        }
        _ => {
            err(
                &mut errors,
                line,
                "an exercise needs an `id`".into(),
                "e.g. id = \"two-traps\"",
            );
            String::new()
        }
    };
    let kind = match t.get("kind") {
        Some(toml::Item {
            value: toml::Value::Str(s),
            ..
        }) if s == "predict" => ExerciseKind::Predict,
        Some(toml::Item {
            value: toml::Value::Str(s),
            ..
        }) if s == "construct" => ExerciseKind::Construct,
        Some(item) => {
            err(
                &mut errors,
                item.line,
                "`kind` is \"predict\" or \"construct\"".into(),
                "see lessons/README.md",
            );
            ExerciseKind::Predict
        }
        None => {
            err(
                &mut errors,
                line,
                "an exercise needs a `kind`".into(),
                "kind = \"predict\" or kind = \"construct\"",
            );
            ExerciseKind::Predict
        }
    };
    let title = string(&mut errors, "title");
    let question = string(&mut errors, "question");
    let goal = string(&mut errors, "goal");
    let kernel = string(&mut errors, "kernel");
    let kernels = strings(&mut errors, "kernels");
    let setup = string(&mut errors, "setup");
    let ask = strings(&mut errors, "ask");
    let answer = strings(&mut errors, "answer");
    let choices = strings(&mut errors, "choices");
    let starter = string(&mut errors, "starter");
    let check = strings(&mut errors, "check");
    let reference = string(&mut errors, "reference");
    let explanation = string(&mut errors, "explanation");
    let hints = strings(&mut errors, "hints");
    let forbid = strings(&mut errors, "forbid");
    // `wrong` is a list of values (predict) or a script (construct).
    let (wrong, wrong_script) = match kind {
        ExerciseKind::Predict => (strings(&mut errors, "wrong"), None),
        ExerciseKind::Construct => (Vec::new(), string(&mut errors, "wrong")),
    };
    let need = |errors: &mut Vec<LessonError>, what: &str, ok: bool, hint: &str| {
        if !ok {
            err(
                errors,
                line,
                format!("a {} exercise needs `{what}`", kind.name()),
                hint,
            );
        }
    };
    let forbidden = |errors: &mut Vec<LessonError>, what: &str, present: bool| {
        if present {
            let l = t.get(what).map_or(line, |i| i.line);
            err(
                errors,
                l,
                format!("`{what}` does not belong in a {} exercise", kind.name()),
                "see lessons/README.md for the keys of each kind",
            );
        }
    };
    need(&mut errors, "title", title.is_some(), "title = \"…\"");
    need(
        &mut errors,
        "explanation",
        explanation.is_some(),
        "explanation = \"\"\"…\"\"\": why the answer is what it is, naming the kernel function",
    );
    need(
        &mut errors,
        "hints",
        !hints.is_empty(),
        "hints = [\"first nudge\", \"bigger nudge\"]",
    );
    let text = match kind {
        ExerciseKind::Predict => {
            need(
                &mut errors,
                "question",
                question.is_some(),
                "question = \"\"\"…\"\"\"",
            );
            need(
                &mut errors,
                "setup",
                setup.is_some(),
                "setup = \"\"\"a script\"\"\"",
            );
            need(
                &mut errors,
                "ask",
                !ask.is_empty(),
                "ask = \"cpu0.CPACR_EL1.ZEN_EL0EN\" (a DSL path)",
            );
            need(
                &mut errors,
                "answer",
                !answer.is_empty(),
                "answer = \"0\" (one value per blank)",
            );
            need(
                &mut errors,
                "wrong",
                !wrong.is_empty(),
                "wrong = \"1\" (an answer the grader must reject)",
            );
            for k in ["goal", "starter", "check", "reference", "forbid"] {
                forbidden(&mut errors, k, t.get(k).is_some());
            }
            if kernel.is_some() && !kernels.is_empty() {
                err(
                    &mut errors,
                    line,
                    "give `kernel` or `kernels`, not both".into(),
                    "`kernels` asks the question once per kernel",
                );
            }
            let blanks = ask.len() * kernels.len().max(1);
            for (what, v) in [("answer", &answer), ("wrong", &wrong)] {
                if !v.is_empty() && v.len() != blanks {
                    err(
                        &mut errors,
                        v[0].line,
                        format!("`{what}` has {} value(s) but the exercise has {blanks} blank(s)", v.len()),
                        "one value per kernel and per path asked, kernels first: for kernels [a, b] and ask [x, y]: a:x, a:y, b:x, b:y",
                    );
                }
            }
            question
        }
        ExerciseKind::Construct => {
            need(&mut errors, "goal", goal.is_some(), "goal = \"\"\"…\"\"\"");
            need(
                &mut errors,
                "check",
                !check.is_empty(),
                "check = [\"B.traps == 2\"] (conditions as in `expect`)",
            );
            need(
                &mut errors,
                "reference",
                reference.is_some(),
                "reference = \"\"\"a script that reaches the goal\"\"\"",
            );
            need(
                &mut errors,
                "wrong",
                wrong_script.is_some(),
                "wrong = \"\"\"a plausible script that misses the goal\"\"\"",
            );
            need(
                &mut errors,
                "kernel",
                kernel.is_some(),
                "kernel = \"v6.2\": the learner's script runs on it",
            );
            for k in ["question", "setup", "ask", "answer", "choices", "kernels"] {
                forbidden(&mut errors, k, t.get(k).is_some());
            }
            for c in &check {
                if c.text.contains("{{") {
                    continue;
                }
                if let Err(m) = check_predicate_syntax(&c.text) {
                    err(&mut errors, c.line, format!("check `{}`: {m}", c.text), "a check is an `expect` condition (`A.traps == 2`, `no-violations`, `violation B1`) or `known-bug NAME`");
                }
            }
            goal
        }
    };
    let vars = match t.get("vars") {
        None => Vec::new(),
        Some(toml::Item {
            value: toml::Value::Table(vt),
            ..
        }) => parse_vars(vt, path, &mut errors),
        Some(item) => {
            err(
                &mut errors,
                item.line,
                "`vars` must be a table".into(),
                "write `[exercise.vars]` after the exercise, then `name = [choices]`",
            );
            Vec::new()
        }
    };
    // Every placeholder must name a variable; found now rather than at grading time.
    let ex = Exercise {
        lesson: lesson.to_string(),
        id,
        kind,
        file: path.to_string(),
        line,
        title: title.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        text: text.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        kernel,
        kernels,
        setup,
        ask,
        answer,
        wrong,
        choices,
        starter,
        check,
        forbid,
        reference,
        wrong_script,
        explanation: explanation.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        hints,
        vars,
    };
    if errors.is_empty() {
        let probe: Vec<(String, VarValue)> = ex
            .vars
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    match &v.domain {
                        Domain::Ints(x) => VarValue::Int(x[0]),
                        Domain::Range(a, _) => VarValue::Int(*a),
                        Domain::Strs(x) => VarValue::Str(x[0].clone()),
                    },
                )
            })
            .collect();
        for tpl in ex.templates() {
            if let Err(e) = render(&tpl.text, &probe) {
                let l = tpl.line
                    + tpl.text[..e.offset.min(tpl.text.len())]
                        .matches('\n')
                        .count() as u32;
                err(&mut errors, l, e.message, "placeholders are {{name}}, {{expression}} or {{name:hex}}, with names from [exercise.vars]");
            }
        }
        let k = |tpl: &Tpl, errors: &mut Vec<LessonError>| {
            if let Ok(s) = render(&tpl.text, &probe) {
                if Kernel::parse(s.trim()).is_err() {
                    err(
                        errors,
                        tpl.line,
                        format!("unknown kernel `{s}`"),
                        "kernels: v5.19-rc1, series-v1/p1 … series-v1/p7, series-v1, v5.19, v6.1, v6.2, v6.12",
                    );
                }
            }
        };
        if let Some(kt) = &ex.kernel {
            k(kt, &mut errors);
        }
        for kt in &ex.kernels {
            k(kt, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(ex)
    } else {
        Err(errors)
    }
}

fn parse_vars(t: &toml::Table, path: &str, errors: &mut Vec<LessonError>) -> Vec<VarDef> {
    let mut out = Vec::new();
    for (name, item) in &t.entries {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || name.bytes().next().is_some_and(|b| b.is_ascii_digit())
        {
            errors.push(LessonError::new(
                path,
                item.line,
                format!("bad variable name `{name}`"),
                "letters, digits and _, not starting with a digit",
            ));
            continue;
        }
        let domain = match &item.value {
            toml::Value::Array(xs) if !xs.is_empty() => {
                if xs.iter().all(|x| matches!(x.value, toml::Value::Int(_))) {
                    Domain::Ints(
                        xs.iter()
                            .map(|x| match x.value {
                                toml::Value::Int(i) => i,
                                _ => 0,
                            })
                            .collect(),
                    )
                } else if xs.iter().all(|x| matches!(x.value, toml::Value::Str(_))) {
                    Domain::Strs(
                        xs.iter()
                            .map(|x| match &x.value {
                                toml::Value::Str(s) => s.clone(),
                                _ => String::new(),
                            })
                            .collect(),
                    )
                } else {
                    errors.push(LessonError::new(
                        path,
                        item.line,
                        format!("`{name}` mixes numbers and strings"),
                        "a variable is a list of numbers or a list of strings",
                    ));
                    continue;
                }
            }
            toml::Value::Table(r) => {
                let get = |k: &str| match r.get(k) {
                    Some(toml::Item {
                        value: toml::Value::Int(i),
                        ..
                    }) => Some(*i),
                    _ => None,
                };
                match (get("min"), get("max"), r.entries.len()) {
                    (Some(a), Some(b), 2) if a <= b => Domain::Range(a, b),
                    _ => {
                        errors.push(LessonError::new(
                            path,
                            item.line,
                            format!("`{name}`: a range is {{ min = A, max = B }} with A <= B"),
                            "e.g. n = { min = 2, max = 5 }",
                        ));
                        continue;
                    }
                }
            }
            _ => {
                errors.push(LessonError::new(
                    path,
                    item.line,
                    format!("`{name}` must be a list of choices or a range"),
                    "e.g. vl = [256, 512], task = [\"A\", \"T\"], n = { min = 2, max = 5 }",
                ));
                continue;
            }
        };
        out.push(VarDef {
            name: name.clone(),
            domain,
            line: item.line,
        });
    }
    out
}

fn check_predicate_syntax(p: &str) -> Result<(), String> {
    let p = p.trim();
    if let Some(name) = p.strip_prefix("known-bug ") {
        return match KnownBug::ALL.iter().find(|b| b.name() == name.trim()) {
            Some(_) => Ok(()),
            None => Err(format!(
                "unknown bug `{}`; known: {}",
                name.trim(),
                KnownBug::ALL
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
    }
    crate::dsl::parse_condition(p).map(|_| ()).map_err(|d| {
        d.first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "does not parse".into())
    })
}

impl Exercise {
    /// The title as written (it may hold placeholders; an instance has it rendered).
    pub fn raw_title(&self) -> &str {
        &self.title.text
    }

    /// How many hints it has.
    pub fn hint_count(&self) -> usize {
        self.hints.len()
    }

    /// `lesson-id/exercise-id`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.lesson, self.id)
    }

    fn templates(&self) -> Vec<&Tpl> {
        let mut v = vec![&self.title, &self.text, &self.explanation];
        v.extend(self.kernel.iter());
        v.extend(self.kernels.iter());
        v.extend(self.setup.iter());
        v.extend(self.ask.iter());
        v.extend(self.answer.iter());
        v.extend(self.wrong.iter());
        v.extend(self.choices.iter());
        v.extend(self.starter.iter());
        v.extend(self.check.iter());
        v.extend(self.forbid.iter());
        v.extend(self.reference.iter());
        v.extend(self.wrong_script.iter());
        v.extend(self.hints.iter());
        v
    }

    /// Draws the variables from `seed` and renders every text: this student's version of
    /// the exercise. Deterministic: the same seed gives the same instance.
    pub fn variant(&self, seed: u64) -> ExerciseInstance {
        let key = self.key();
        let mut rng = Rng(seed ^ fnv1a(key.as_bytes()));
        let vals: Vec<(String, VarValue)> = self
            .vars
            .iter()
            .map(|v| {
                let x = match &v.domain {
                    Domain::Ints(xs) => VarValue::Int(xs[rng.below(xs.len() as u64) as usize]),
                    Domain::Strs(xs) => {
                        VarValue::Str(xs[rng.below(xs.len() as u64) as usize].clone())
                    }
                    Domain::Range(a, b) => {
                        let span = (b - a) as u64 + 1;
                        VarValue::Int(a + rng.below(span) as i64)
                    }
                };
                (v.name.clone(), x)
            })
            .collect();
        // Parsing rendered every template with the first value of each variable; the others
        // are the same shape, so a failure here is a value the author did not expect (e.g.
        // arithmetic on a string): keep the raw text, and the author check reports it.
        let r = |t: &Tpl| render(&t.text, &vals).unwrap_or_else(|_| t.text.clone());
        let kernel_of = |t: &Tpl| Kernel::parse(r(t).trim()).ok();
        let mut blanks = Vec::new();
        let mut ask_lines = Vec::new();
        let kernels: Vec<Option<Kernel>> = if self.kernels.is_empty() {
            vec![self.kernel.as_ref().and_then(kernel_of)]
        } else {
            self.kernels.iter().map(kernel_of).collect()
        };
        if self.kind == ExerciseKind::Predict {
            for k in &kernels {
                for a in &self.ask {
                    let path = r(a).trim().to_string();
                    let label = match (k, self.kernels.len() > 1) {
                        (Some(k), true) => format!("{path} on {}", k.name()),
                        _ => path.clone(),
                    };
                    blanks.push(Blank {
                        label,
                        path,
                        kernel: *k,
                    });
                    ask_lines.push(a.line);
                }
            }
        }
        let (reference, wrong) = match self.kind {
            ExerciseKind::Predict => (
                Answer::Predict(
                    self.answer
                        .iter()
                        .map(|t| r(t).trim().to_string())
                        .collect(),
                ),
                Answer::Predict(self.wrong.iter().map(|t| r(t).trim().to_string()).collect()),
            ),
            ExerciseKind::Construct => (
                Answer::Script(self.reference.as_ref().map(&r).unwrap_or_default()),
                Answer::Script(self.wrong_script.as_ref().map(&r).unwrap_or_default()),
            ),
        };
        ExerciseInstance {
            key,
            lesson: self.lesson.clone(),
            exercise: self.id.clone(),
            seed,
            kind: self.kind,
            title: r(&self.title).trim().to_string(),
            text: r(&self.text).trim().to_string(),
            setup: self.setup.as_ref().map(&r),
            blanks,
            choices: self
                .choices
                .iter()
                .map(|t| r(t).trim().to_string())
                .collect(),
            starter: self.starter.as_ref().map(&r),
            checks: self.check.iter().map(|t| r(t).trim().to_string()).collect(),
            forbid: self
                .forbid
                .iter()
                .map(|t| r(t).trim().to_string())
                .collect(),
            kernel: if self.kind == ExerciseKind::Construct {
                kernels[0]
            } else {
                None
            },
            hints: self.hints.iter().map(|t| r(t).trim().to_string()).collect(),
            explanation: r(&self.explanation).trim().to_string(),
            vars: vals
                .iter()
                .map(|(n, v)| (n.clone(), v.to_string()))
                .collect(),
            reference,
            wrong,
            lines: InstanceLines {
                file: self.file.clone(),
                exercise: self.line,
                setup: self.setup.as_ref().map_or(self.line, |t| t.line),
                ask: ask_lines,
                answer: self.answer.iter().map(|t| t.line).collect(),
                wrong: self.wrong.iter().map(|t| t.line).collect(),
                choices: self.choices.first().map_or(self.line, |t| t.line),
                starter: self.starter.as_ref().map_or(self.line, |t| t.line),
                check: self.check.iter().map(|t| t.line).collect(),
                reference: self.reference.as_ref().map_or(self.line, |t| t.line),
                wrong_script: self.wrong_script.as_ref().map_or(self.line, |t| t.line),
            },
        }
    }
}

// =======================================================================================
// Seeds

/// splitmix64: a tiny deterministic generator (the core has no randomness source).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A student seed from any text (a user name, an e-mail address): the REPL can use it when
/// it has no random source of its own to seed [`Progress::new`].
pub fn seed_from_text(text: &str) -> u64 {
    Rng(fnv1a(text.as_bytes())).next()
}

// =======================================================================================
// Templates

struct TplError {
    offset: usize,
    message: String,
}

fn render(text: &str, vars: &[(String, VarValue)]) -> Result<String, TplError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut base = 0;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            return Err(TplError {
                offset: base + i,
                message: "`{{` is never closed by `}}`".into(),
            });
        };
        let inner = after[..j].trim();
        let (expr, fmt) = match inner.rsplit_once(':') {
            Some((e, f)) => (e.trim(), Some(f.trim())),
            None => (inner, None),
        };
        let v = eval_expr(expr, vars).map_err(|m| TplError {
            offset: base + i,
            message: format!("in `{{{{{inner}}}}}`: {m}"),
        })?;
        match (fmt, v) {
            (None, v) => out.push_str(&v.to_string()),
            (Some("hex"), VarValue::Int(n)) => out.push_str(&format!("0x{n:02x}")),
            (Some(f), _) => {
                return Err(TplError {
                    offset: base + i,
                    message: format!(
                        "unknown format `:{f}` (the only format is `:hex`, for numbers)"
                    ),
                })
            }
        }
        let consumed = i + 2 + j + 2;
        base += consumed;
        rest = &rest[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

fn eval_expr(e: &str, vars: &[(String, VarValue)]) -> Result<VarValue, String> {
    let toks = tokenize(e)?;
    if toks.is_empty() {
        return Err("empty placeholder".into());
    }
    if let [Tok::Name(n)] = toks.as_slice() {
        return lookup(n, vars);
    }
    let mut p = ExprParser { toks, pos: 0, vars };
    let v = p.sum()?;
    if p.pos != p.toks.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(VarValue::Int(v))
}

fn lookup(n: &str, vars: &[(String, VarValue)]) -> Result<VarValue, String> {
    vars.iter()
        .find(|(k, _)| k == n)
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            format!(
                "no variable `{n}`{}",
                if vars.is_empty() {
                    " (this exercise has no [exercise.vars])".to_string()
                } else {
                    format!(
                        "; variables: {}",
                        vars.iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )
        })
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(char),
}

fn tokenize(e: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = e.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            let s: String = cs[start..i].iter().filter(|&&c| c != '_').collect();
            let n = match s.strip_prefix("0x") {
                Some(h) => i64::from_str_radix(h, 16),
                None => s.parse::<i64>(),
            }
            .map_err(|_| format!("bad number `{s}`"))?;
            out.push(Tok::Num(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(cs[start..i].iter().collect()));
        } else if "+-*/%()".contains(c) {
            out.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(format!("unexpected `{c}`"));
        }
    }
    Ok(out)
}

struct ExprParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a [(String, VarValue)],
}

impl ExprParser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn sum(&mut self) -> Result<i64, String> {
        let mut v = self.product()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.product()?;
            v = if c == '+' {
                v.checked_add(r)
            } else {
                v.checked_sub(r)
            }
            .ok_or("overflow")?;
        }
        Ok(v)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut v = self.atom()?;
        while let Some(Tok::Op(c @ ('*' | '/' | '%'))) = self.peek().cloned() {
            self.pos += 1;
            let r = self.atom()?;
            v = match c {
                '*' => v.checked_mul(r),
                '/' => v.checked_div(r),
                _ => v.checked_rem(r),
            }
            .ok_or("division by zero or overflow")?;
        }
        Ok(v)
    }

    fn atom(&mut self) -> Result<i64, String> {
        match self.peek().cloned() {
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                match lookup(&n, self.vars)? {
                    VarValue::Int(i) => Ok(i),
                    VarValue::Str(s) => Err(format!("`{n}` is the name `{s}`, not a number")),
                }
            }
            Some(Tok::Op('-')) => {
                self.pos += 1;
                Ok(-self.atom()?)
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                let v = self.sum()?;
                if self.peek() != Some(&Tok::Op(')')) {
                    return Err("missing `)`".into());
                }
                self.pos += 1;
                Ok(v)
            }
            _ => Err("expected a number or a variable".into()),
        }
    }
}

// =======================================================================================
// Running scripts

/// What one run of a script produced.
struct Run {
    session: Session,
    parse_errors: Vec<Diagnostic>,
    step_error: Option<Diagnostic>,
    budget_exhausted: bool,
    failed_expects: Vec<(u32, String, String)>,
    violations: Vec<Violation>,
}

fn run_script(source: &str, kernel: Option<Kernel>, budget: u64) -> Run {
    let mut session = Session::new(SessionOptions {
        kernel,
        ..SessionOptions::default()
    });
    let parse_errors: Vec<Diagnostic> = session
        .load(source)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let mut run = Run {
        session,
        parse_errors,
        step_error: None,
        budget_exhausted: false,
        failed_expects: Vec::new(),
        violations: Vec::new(),
    };
    if !run.parse_errors.is_empty() {
        return run;
    }
    let opts = RunOptions {
        budget,
        stop_on_expect_failure: false,
        breakpoints: false,
    };
    let mut failed = Vec::new();
    let mut violations = Vec::new();
    let summary = run.session.run_with(&opts, &mut |r| {
        if let StepOutcome::Expect(c) = &r.outcome {
            if !c.passed {
                failed.push((r.line, r.text.clone(), c.actual.clone()));
            }
        }
        violations.extend(r.violations.iter().cloned());
    });
    run.failed_expects = failed;
    run.violations = violations;
    match summary.stop {
        StopReason::Error => run.step_error = summary.last.and_then(|r| r.error),
        StopReason::Budget => run.budget_exhausted = true,
        _ => {}
    }
    run
}

impl Run {
    /// The violation codes seen during the run, for `no-violations` / `violation X`.
    fn codes(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for x in &self.violations {
            let c = x.rule.code().to_string();
            if !v.contains(&c) {
                v.push(c);
            }
        }
        v
    }

    /// Evaluates a predicate on the final state: `(passed, what was found)`.
    fn predicate(&self, p: &str) -> Result<(bool, String), String> {
        let p = p.trim();
        let m = self.session.machine();
        if let Some(name) = p.strip_prefix("known-bug ") {
            let name = name.trim();
            let bug = KnownBug::ALL
                .iter()
                .find(|b| b.name() == name)
                .ok_or_else(|| format!("unknown bug `{name}`"))?;
            let k = m.kernel();
            let found: Vec<&'static str> = self
                .violations
                .iter()
                .filter_map(|v| KnownBug::explain(k, v))
                .map(|b| b.name())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let passed = found.contains(&bug.name());
            return Ok((
                passed,
                if found.is_empty() {
                    format!("no violation was attributed to a known bug on {}", k.name())
                } else {
                    format!("bugs found on {}: {}", k.name(), found.join(", "))
                },
            ));
        }
        let cond = crate::dsl::parse_condition(p).map_err(|d| {
            d.first()
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "does not parse".into())
        })?;
        let r = crate::dsl::eval::eval_condition(m, &cond, &self.codes())
            .map_err(|e| format!("{} ({})", e.message, e.hint))?;
        Ok((r.passed, r.actual))
    }
}

fn lhs_of(p: &str) -> &str {
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some((l, _)) = p.split_once(op) {
            return l.trim();
        }
    }
    p.trim()
}

// =======================================================================================
// Grading

/// Grades an answer. Predict: each value is compared with the model's value of the blank's
/// path after the setup (the DSL's comparison: `0x10` = `16`, `fill(0xaa)`, `sve` =
/// `FP_STATE_SVE`, `null` = `none`; `yes`/`no`/`true`/`false` are 1/0). Construct: the
/// script runs on the exercise's kernel and every predicate must hold at the end.
pub fn grade(inst: &ExerciseInstance, answer: &Answer) -> Grade {
    match (inst.kind, answer) {
        (ExerciseKind::Predict, Answer::Predict(values)) => grade_predict(inst, values),
        (ExerciseKind::Construct, Answer::Script(s)) => grade_construct(inst, s),
        (ExerciseKind::Predict, Answer::Script(_)) => Grade {
            passed: false,
            summary: format!(
                "This exercise asks for {} value(s), not a script.",
                inst.blanks.len()
            ),
            checks: Vec::new(),
            explanation: None,
            diagnostics: Vec::new(),
        },
        (ExerciseKind::Construct, Answer::Predict(_)) => Grade {
            passed: false,
            summary: "This exercise asks for a script.".into(),
            checks: Vec::new(),
            explanation: None,
            diagnostics: Vec::new(),
        },
    }
}

fn normalise_answer(a: &str) -> String {
    let t = a.trim().trim_end_matches('.').trim();
    match t.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "on" | "set" | "enabled" => "1".into(),
        "no" | "n" | "false" | "off" | "clear" | "cleared" | "disabled" => "0".into(),
        _ => t.to_string(),
    }
}

/// The model's value of each blank: `Ok(value)` or why it could not be computed.
fn truths(inst: &ExerciseInstance) -> Vec<Result<(Run, String), String>> {
    let setup = inst.setup.clone().unwrap_or_default();
    inst.blanks
        .iter()
        .map(|b| {
            let run = run_script(&setup, b.kernel, SCRIPT_BUDGET);
            if let Some(d) = run.parse_errors.first().or(run.step_error.as_ref()) {
                return Err(format!("the setup fails at line {}: {}", d.line, d.message));
            }
            let v = run.session.eval(&b.path).map_err(|d| {
                d.first()
                    .map(|d| format!("cannot read `{}`: {} ({})", b.path, d.message, d.hint))
                    .unwrap_or_default()
            })?;
            Ok((run, v))
        })
        .collect()
}

fn compare_answer(run: &Run, path: &str, given: &str) -> Result<bool, String> {
    let g = normalise_answer(given);
    if g.is_empty() {
        return Ok(false);
    }
    if g.contains(['\n', ';', '#', ' ']) {
        return Err("an answer is one value".into());
    }
    // A dotted word would be read as a path into the model (the question itself would
    // "answer" it); only kernel names may contain a dot.
    if g.contains('.') && Kernel::parse(&g).is_err() {
        return Err("an answer is a value, not a path".into());
    }
    run.predicate(&format!("{path} == {g}")).map(|(p, _)| p)
}

fn grade_predict(inst: &ExerciseInstance, values: &[String]) -> Grade {
    let mut checks = Vec::new();
    let mut all = true;
    for (i, (b, truth)) in inst.blanks.iter().zip(truths(inst)).enumerate() {
        let given = values
            .get(i)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let (passed, detail) = match truth {
            Err(e) => (false, format!("the exercise is broken: {e}")),
            Ok((run, truth)) => match compare_answer(&run, &b.path, &given) {
                _ if given.is_empty() => (false, format!("no answer; the model says {truth}")),
                Ok(true) => (true, format!("you said {given}; the model says {truth}")),
                Ok(false) => (false, format!("you said {given}; the model says {truth}")),
                Err(e) => (
                    false,
                    format!("your answer `{given}` is not a value I can compare ({e}); the model says {truth}. Answers are numbers (0, 3, 0x1f), names (sve, fpsimd, A, null) or register values (fill(0xaa), ones, 0)"),
                ),
            },
        };
        all &= passed;
        checks.push(CheckResult {
            label: b.label.clone(),
            passed,
            detail,
        });
    }
    let wrong = checks.iter().filter(|c| !c.passed).count();
    Grade {
        passed: all && !checks.is_empty(),
        summary: if all {
            "Correct.".into()
        } else if checks.len() == 1 {
            "Not quite.".into()
        } else {
            format!(
                "Not quite: {wrong} of {} blanks differ from the model.",
                checks.len()
            )
        },
        checks,
        explanation: Some(inst.explanation.clone()),
        diagnostics: Vec::new(),
    }
}

/// The statements of `script` that use a forbidden keyword: `(line, keyword)`.
fn forbidden_uses(script: &str, forbid: &[String]) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, line) in script.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("");
        for stmt in code.split(['\n', ';', '{', '}']) {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            for f in forbid {
                let fw: Vec<&str> = f.split_whitespace().collect();
                if !fw.is_empty() && words.windows(fw.len()).any(|w| w == fw.as_slice()) {
                    out.push((i as u32 + 1, f.clone()));
                }
            }
        }
    }
    out
}

fn grade_construct(inst: &ExerciseInstance, script: &str) -> Grade {
    let fail = |summary: String, diagnostics: Vec<Diagnostic>| Grade {
        passed: false,
        summary,
        checks: Vec::new(),
        explanation: None,
        diagnostics,
    };
    if let Some((line, word)) = forbidden_uses(script, &inst.forbid).first() {
        return fail(
            format!(
                "Line {line} uses `{word}`, which this exercise does not allow ({}).",
                inst.forbid.join(", ")
            ),
            Vec::new(),
        );
    }
    let run = run_script(script, inst.kernel, GRADE_BUDGET);
    if !run.parse_errors.is_empty() {
        return fail(
            format!(
                "Your script does not parse ({} error(s)); fix it and check again.",
                run.parse_errors.len()
            ),
            run.parse_errors,
        );
    }
    if let Some(d) = run.step_error.clone() {
        return fail(
            format!("Your script stops at line {}: {}", d.line, d.message),
            vec![d],
        );
    }
    if run.budget_exhausted {
        return fail(
            format!("Your script runs more than {GRADE_BUDGET} steps; use smaller repeat counts."),
            Vec::new(),
        );
    }
    let mut checks = Vec::new();
    for p in &inst.checks {
        let (passed, detail) = match run.predicate(p) {
            Ok((passed, actual)) => (
                passed,
                if p.starts_with("known-bug ")
                    || matches!(p.trim(), "no-violations")
                    || p.trim().starts_with("violation ")
                {
                    actual
                } else {
                    format!("{} is {actual}", lhs_of(p))
                },
            ),
            Err(e) => (false, e),
        };
        checks.push(CheckResult {
            label: p.clone(),
            passed,
            detail,
        });
    }
    let passed = checks.iter().all(|c| c.passed);
    let n_bad = checks.iter().filter(|c| !c.passed).count();
    Grade {
        passed,
        summary: if passed {
            "Goal reached.".into()
        } else {
            format!("Not yet: {n_bad} of {} check(s) fail.", checks.len())
        },
        checks,
        explanation: passed.then(|| inst.explanation.clone()),
        diagnostics: Vec::new(),
    }
}

// =======================================================================================
// Progress

/// One exercise's record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    /// Answers checked.
    pub attempts: u32,
    /// Passed at least once.
    pub passed: bool,
    /// Hints revealed so far.
    pub hints_revealed: u32,
    /// Which variant the student is on (0 = the first; [`Progress::new_variant`] counts up).
    pub variant: u32,
    /// The last answer checked (a predict's values joined with `, `, or the script).
    pub last_answer: Option<String>,
}

/// A student's progress through a course. The front ends persist it: the REPL in a file,
/// the playground in browser storage ([`Progress::to_json`], [`Progress::from_json`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The student's seed: their numbers differ from other students' (the front end draws it
    /// once, e.g. from the clock or `crypto.getRandomValues`, or [`seed_from_text`]).
    pub seed: u64,
    /// The lesson the student is on (its id).
    pub current_lesson: Option<String>,
    /// Lessons opened (ids).
    pub lessons_seen: BTreeSet<String>,
    /// Per exercise, by `lesson-id/exercise-id`.
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

/// A lesson's completion, for a course overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonStatus {
    /// Number.
    pub number: u32,
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Opened at least once.
    pub seen: bool,
    /// Exercises passed.
    pub passed: usize,
    /// Exercises in the lesson.
    pub total: usize,
}

impl Progress {
    /// A fresh record for a student with this seed.
    pub fn new(seed: u64) -> Progress {
        Progress {
            seed,
            ..Progress::default()
        }
    }

    /// The seed of this student's variant of an exercise.
    pub fn seed_for(&self, lesson: &str, exercise: &str) -> u64 {
        let key = format!("{lesson}/{exercise}");
        let variant = self.exercises.get(&key).map_or(0, |e| e.variant);
        let mut r = Rng(self.seed
            ^ fnv1a(key.as_bytes()).rotate_left(17)
            ^ u64::from(variant).wrapping_mul(0x2545_f491_4f6c_dd1d));
        r.next()
    }

    /// This student's instance of an exercise.
    pub fn instance(&self, lesson: &Lesson, exercise: &Exercise) -> ExerciseInstance {
        exercise.variant(self.seed_for(&lesson.id, &exercise.id))
    }

    /// Opens a lesson (it becomes the current one).
    pub fn open_lesson(&mut self, lesson: &Lesson) {
        self.current_lesson = Some(lesson.id.clone());
        self.lessons_seen.insert(lesson.id.clone());
    }

    /// Records a graded answer.
    pub fn record(&mut self, inst: &ExerciseInstance, answer: &Answer, grade: &Grade) {
        let e = self.exercises.entry(inst.key.clone()).or_default();
        e.attempts += 1;
        e.passed |= grade.passed;
        e.last_answer = Some(answer.summary());
    }

    /// Reveals the next hint; returns it, or `None` when all are shown.
    pub fn reveal_hint<'a>(&mut self, inst: &'a ExerciseInstance) -> Option<&'a str> {
        let e = self.exercises.entry(inst.key.clone()).or_default();
        let next = e.hints_revealed as usize;
        let h = inst.hints.get(next)?;
        e.hints_revealed += 1;
        Some(h)
    }

    /// The hints revealed so far for this instance.
    pub fn revealed_hints<'a>(&self, inst: &'a ExerciseInstance) -> &'a [String] {
        let n = self
            .exercises
            .get(&inst.key)
            .map_or(0, |e| e.hints_revealed as usize);
        &inst.hints[..n.min(inst.hints.len())]
    }

    /// Gives the student new numbers for an exercise (hints are hidden again).
    pub fn new_variant(&mut self, lesson: &str, exercise: &str) {
        let e = self
            .exercises
            .entry(format!("{lesson}/{exercise}"))
            .or_default();
        e.variant += 1;
        e.hints_revealed = 0;
    }

    /// Has the student passed this exercise?
    pub fn passed(&self, lesson: &str, exercise: &str) -> bool {
        self.exercises
            .get(&format!("{lesson}/{exercise}"))
            .is_some_and(|e| e.passed)
    }

    /// One line per lesson of `course`.
    pub fn status(&self, course: &Course) -> Vec<LessonStatus> {
        course
            .lessons
            .iter()
            .map(|l| LessonStatus {
                number: l.number,
                id: l.id.clone(),
                title: l.title.clone(),
                seen: self.lessons_seen.contains(&l.id),
                passed: l
                    .exercises
                    .iter()
                    .filter(|e| self.passed(&l.id, &e.id))
                    .count(),
                total: l.exercises.len(),
            })
            .collect()
    }

    /// The first exercise of `course` not passed yet.
    pub fn next_exercise<'c>(&self, course: &'c Course) -> Option<(&'c Lesson, &'c Exercise)> {
        course.exercises().find(|(l, e)| !self.passed(&l.id, &e.id))
    }

    /// As JSON: `{"format":"svelab-progress","version":1,"data":…}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&serde_json::json!({
            "format": "svelab-progress",
            "version": PROGRESS_VERSION,
            "data": self,
        }))
        .unwrap_or_default()
    }

    /// Reads what [`Progress::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Progress, LoadError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| LoadError::Damaged(e.to_string()))?;
        let found = v
            .get("format")
            .and_then(|f| f.as_str())
            .unwrap_or("unknown");
        if found != "svelab-progress" {
            return Err(LoadError::WrongKind {
                expected: "svelab-progress".into(),
                found: found.into(),
            });
        }
        let version = v
            .get("version")
            .and_then(|x| x.as_u64())
            .ok_or_else(|| LoadError::Damaged("no version".into()))?;
        if version != u64::from(PROGRESS_VERSION) {
            return Err(LoadError::Version {
                expected: PROGRESS_VERSION,
                found: version,
            });
        }
        let data = v
            .get("data")
            .ok_or_else(|| LoadError::Damaged("no data".into()))?;
        Progress::deserialize(data).map_err(|e| LoadError::Damaged(e.to_string()))
    }
}

/// Version of the progress JSON format.
pub const PROGRESS_VERSION: u32 = 1;

// =======================================================================================
// The author check

/// What [`author_check`] did and found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorReport {
    /// Lessons read.
    pub lessons: usize,
    /// Scripts run.
    pub scripts: usize,
    /// Exercises checked.
    pub exercises: usize,
    /// Exercise instances (exercise × seed) checked.
    pub variants: usize,
    /// Every problem, with file and line.
    pub errors: Vec<LessonError>,
}

impl AuthorReport {
    /// No problems?
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The author check (`cargo xtask lessons`): reads the course, runs every script (no parse or
/// step error, every `expect` passes), and for every exercise and the seeds
/// `0..AUTHOR_CHECK_SEEDS` checks that the reference answer passes and the wrong answer
/// fails. Errors point into the lesson files.
pub fn author_check<P: AsRef<str>, T: AsRef<str>>(files: &[(P, T)]) -> AuthorReport {
    let mut rep = AuthorReport::default();
    let course = match Course::parse(files) {
        Ok(c) => c,
        Err(e) => {
            rep.errors = e;
            return rep;
        }
    };
    rep.lessons = course.lessons.len();
    for l in &course.lessons {
        for (line, snippet) in &l.snippets {
            let (_, diags) = crate::dsl::parse(snippet);
            for d in diags.iter().filter(|d| d.severity == Severity::Error) {
                rep.errors.push(LessonError::new(
                    &l.lesson_path(),
                    line + d.line - 1,
                    format!("svl snippet: {}", d.message),
                    d.hint.clone(),
                ));
            }
        }
        for s in &l.scripts {
            rep.scripts += 1;
            check_script(&s.path, &s.source, 1, None, &mut rep.errors);
        }
        for ex in &l.exercises {
            rep.exercises += 1;
            let mut seen = BTreeSet::new();
            for seed in 0..AUTHOR_CHECK_SEEDS {
                let inst = ex.variant(seed);
                if !seen.insert(inst.vars.clone()) {
                    continue;
                }
                rep.variants += 1;
                let before = rep.errors.len();
                check_instance(&inst, &mut rep.errors);
                if rep.errors.len() > before {
                    break; // one failing variant per exercise is enough to read
                }
            }
        }
    }
    rep
}

fn vars_note(inst: &ExerciseInstance) -> String {
    if inst.vars.is_empty() {
        String::new()
    } else {
        format!(
            " [variant {}: {}]",
            inst.seed,
            inst.vars
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// Runs a script as the author check does; errors at `file`, lines offset by `first_line - 1`.
fn check_script(
    file: &str,
    source: &str,
    first_line: u32,
    kernel: Option<Kernel>,
    errors: &mut Vec<LessonError>,
) -> bool {
    let at = |l: u32| first_line + l.max(1) - 1;
    let run = run_script(source, kernel, SCRIPT_BUDGET);
    let n = errors.len();
    for d in &run.parse_errors {
        errors.push(LessonError::new(
            file,
            at(d.line),
            d.message.clone(),
            d.hint.clone(),
        ));
    }
    if let Some(d) = &run.step_error {
        errors.push(LessonError::new(
            file,
            at(d.line),
            format!("step error: {}", d.message),
            d.hint.clone(),
        ));
    }
    if run.budget_exhausted {
        errors.push(LessonError::new(
            file,
            first_line,
            format!("the script runs more than {SCRIPT_BUDGET} steps"),
            "use smaller repeat counts",
        ));
    }
    for (line, text, actual) in &run.failed_expects {
        errors.push(LessonError::new(file, at(*line), format!("`{text}` fails (actual {actual})"), "the model disagrees with the script: fix the expectation (and the prose that relies on it)"));
    }
    errors.len() == n
}

fn check_instance(inst: &ExerciseInstance, errors: &mut Vec<LessonError>) {
    let file = inst.lines.file.clone();
    let note = vars_note(inst);
    let push = |errors: &mut Vec<LessonError>, line: u32, m: String, h: &str| {
        errors.push(LessonError::new(&file, line, format!("{m}{note}"), h));
    };
    match inst.kind {
        ExerciseKind::Predict => {
            let setup = inst.setup.clone().unwrap_or_default();
            let mut kernels: Vec<Option<Kernel>> = inst.blanks.iter().map(|b| b.kernel).collect();
            kernels.dedup();
            for k in kernels {
                let n = errors.len();
                check_script(&file, &setup, inst.lines.setup, k, errors);
                if errors.len() > n {
                    let kn = k.map_or("its own kernel".to_string(), |k| k.name());
                    for e in &mut errors[n..] {
                        e.message = format!("setup on {kn}: {}{note}", e.message);
                    }
                    return;
                }
            }
            let ts = truths(inst);
            let ask_line = |i: usize| {
                inst.lines
                    .ask
                    .get(i)
                    .copied()
                    .unwrap_or(inst.lines.exercise)
            };
            for (i, t) in ts.iter().enumerate() {
                if let Err(e) = t {
                    push(
                        errors,
                        ask_line(i),
                        e.clone(),
                        "`ask` is a DSL path, as on the left of an `expect`",
                    );
                }
            }
            if ts.iter().any(Result::is_err) {
                return;
            }
            let Answer::Predict(reference) = &inst.reference else {
                return;
            };
            let Answer::Predict(wrong) = &inst.wrong else {
                return;
            };
            let g = grade(inst, &inst.reference);
            for (i, c) in g.checks.iter().enumerate() {
                if !c.passed {
                    let line = inst
                        .lines
                        .answer
                        .get(i)
                        .or(inst.lines.answer.first())
                        .copied()
                        .unwrap_or(inst.lines.exercise);
                    push(errors, line, format!("`answer` for {}: {}", c.label, c.detail), "the model disagrees with the author: fix `answer` (and the explanation that relies on it)");
                }
            }
            let gw = grade(inst, &inst.wrong);
            if gw.passed {
                let line = inst
                    .lines
                    .wrong
                    .first()
                    .copied()
                    .unwrap_or(inst.lines.exercise);
                push(
                    errors,
                    line,
                    format!("`wrong` ({}) is accepted by the grader", wrong.join(", ")),
                    "give an answer that differs from the model in at least one blank",
                );
            }
            if !inst.choices.is_empty() {
                for (i, (b, t)) in inst.blanks.iter().zip(&ts).enumerate() {
                    if let Ok((run, _)) = t {
                        let any = inst
                            .choices
                            .iter()
                            .any(|c| compare_answer(run, &b.path, c).unwrap_or(false));
                        if !any {
                            push(errors, inst.lines.choices, format!("none of the choices matches the model's value for {} (answer {})", b.label, reference.get(i).cloned().unwrap_or_default()), "add the right value to `choices`");
                        }
                    }
                }
            }
        }
        ExerciseKind::Construct => {
            if let Some(st) = &inst.starter {
                let n = errors.len();
                check_script(&file, st, inst.lines.starter, inst.kernel, errors);
                for e in &mut errors[n..] {
                    e.message = format!("starter: {}{note}", e.message);
                }
            }
            let g = grade(inst, &inst.reference);
            if !g.passed {
                let n = errors.len();
                for d in &g.diagnostics {
                    push(
                        errors,
                        inst.lines.reference + d.line - 1,
                        format!("reference: {}", d.message),
                        &d.hint,
                    );
                }
                for (i, c) in g.checks.iter().enumerate() {
                    if !c.passed {
                        let line = inst
                            .lines
                            .check
                            .get(i)
                            .copied()
                            .unwrap_or(inst.lines.exercise);
                        push(
                            errors,
                            line,
                            format!("the reference fails `{}`: {}", c.label, c.detail),
                            "fix the reference script or the check",
                        );
                    }
                }
                if errors.len() == n {
                    push(
                        errors,
                        inst.lines.reference,
                        format!("the reference does not pass: {}", g.summary),
                        "",
                    );
                }
            }
            let gw = grade(inst, &inst.wrong);
            if gw.passed {
                push(
                    errors,
                    inst.lines.wrong_script,
                    "the `wrong` script passes every check".into(),
                    "make it miss the goal (the author check proves the grader can fail)",
                );
            }
        }
    }
}

// =======================================================================================
// The built-in course

macro_rules! course_files {
    ($($p:literal),* $(,)?) => {
        &[$(($p, include_str!(concat!("../../lessons/", $p)))),*]
    };
}

/// Every file of the built-in course (`lessons/` minus its README), embedded at build time.
/// The author check and the test suite make sure this list and the directory agree.
pub const BUILTIN_FILES: &[(&str, &str)] = course_files![
    "01-registers/exercises.toml",
    "01-registers/lesson.md",
    "01-registers/registers.svl",
    "01-registers/sizes.svl",
    "02-lazy-restore/exercises.toml",
    "02-lazy-restore/kthread.svl",
    "02-lazy-restore/lesson.md",
    "02-lazy-restore/migrate.svl",
    "03-first-sve-use/exercises.toml",
    "03-first-sve-use/lesson.md",
    "03-first-sve-use/trap.svl",
    "03-first-sve-use/trap_preempted.svl",
    "04-syscalls-v5.19/exercises.toml",
    "04-syscalls-v5.19/getpid.svl",
    "04-syscalls-v5.19/lesson.md",
    "04-syscalls-v5.19/loop.svl",
    "05-patch6-keep-sve/exercises.toml",
    "05-patch6-keep-sve/keep.svl",
    "05-patch6-keep-sve/lesson.md",
    "05-patch6-keep-sve/neon_migrate.svl",
    "05-patch6-keep-sve/switch.svl",
    "06-patch7-abi/clear_regs.svl",
    "06-patch7-abi/exercises.toml",
    "06-patch7-abi/keep_bits.svl",
    "06-patch7-abi/lesson.md",
    "07-signals/bad_frames.svl",
    "07-signals/deliver.svl",
    "07-signals/exercises.toml",
    "07-signals/from_syscall.svl",
    "07-signals/lesson.md",
    "08-fork-exec-prctl/exercises.toml",
    "08-fork-exec-prctl/fork.svl",
    "08-fork-exec-prctl/lesson.md",
    "08-fork-exec-prctl/set_vl.svl",
    "09-ptrace/exercises.toml",
    "09-ptrace/lesson.md",
    "09-ptrace/regsets.svl",
    "09-ptrace/syscall_stop.svl",
    "10-kvm/borrow.svl",
    "10-kvm/exercises.toml",
    "10-kvm/lesson.md",
    "10-kvm/prepare.svl",
    "10-kvm/to_save.svl",
    "11-later-bugs/exercises.toml",
    "11-later-bugs/kvm_trap.svl",
    "11-later-bugs/lesson.md",
    "11-later-bugs/ptrace_header.svl",
    "11-later-bugs/signal_frame.svl",
    "12-explore/exercises.toml",
    "12-explore/lesson.md",
    "12-explore/real_check.svl",
    "12-explore/sticky.svl",
];

/// The course in `lessons/`, embedded in the binary (and the wasm bundle).
///
/// # Panics
/// Never in a build that passed the test suite: `tests/tests/lessons.rs` parses it.
pub fn builtin_course() -> Course {
    match Course::parse(BUILTIN_FILES) {
        Ok(c) => c,
        Err(e) => panic!(
            "the built-in course does not parse: {}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

// =======================================================================================
// A small subset of TOML

/// The subset of TOML the exercise files use: comments, `[table]` and `[[array]]` headers,
/// `key = value` with basic, literal and multi-line strings, integers, booleans, arrays and
/// inline tables. Every value remembers the line where its content starts.
mod toml {
    /// A value.
    #[derive(Clone, Debug, PartialEq)]
    pub enum Value {
        Str(String),
        Int(i64),
        Bool(bool),
        Array(Vec<Item>),
        Table(Table),
        TableArray(Vec<Table>),
    }

    /// A value and where its content starts.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Item {
        pub value: Value,
        pub line: u32,
    }

    /// A table, keys in file order.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct Table {
        pub entries: Vec<(String, Item)>,
        pub line: u32,
    }

    impl Table {
        pub fn get(&self, k: &str) -> Option<&Item> {
            self.entries.iter().find(|(n, _)| n == k).map(|(_, v)| v)
        }

        fn get_mut(&mut self, k: &str) -> Option<&mut Item> {
            self.entries
                .iter_mut()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v)
        }
    }

    /// A parse error.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Error {
        pub line: u32,
        pub message: String,
        pub hint: String,
    }

    struct P<'a> {
        s: &'a [u8],
        text: &'a str,
        pos: usize,
        line: u32,
    }

    type R<T> = Result<T, Error>;

    impl P<'_> {
        fn err<T>(&self, m: impl Into<String>, h: impl Into<String>) -> R<T> {
            Err(Error {
                line: self.line,
                message: m.into(),
                hint: h.into(),
            })
        }

        fn peek(&self) -> Option<u8> {
            self.s.get(self.pos).copied()
        }

        fn starts(&self, t: &str) -> bool {
            self.s[self.pos..].starts_with(t.as_bytes())
        }

        fn bump(&mut self) -> Option<u8> {
            let c = self.peek()?;
            self.pos += 1;
            if c == b'\n' {
                self.line += 1;
            }
            Some(c)
        }

        fn ws(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
        }

        /// Spaces, newlines and comments (inside arrays).
        fn ws_nl(&mut self) {
            loop {
                match self.peek() {
                    Some(b' ' | b'\t' | b'\r' | b'\n') => {
                        self.bump();
                    }
                    Some(b'#') => self.comment(),
                    _ => return,
                }
            }
        }

        fn comment(&mut self) {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.pos += 1;
            }
        }

        /// After a statement: spaces, an optional comment, then a newline or the end.
        fn eol(&mut self) -> R<()> {
            self.ws();
            if self.peek() == Some(b'#') {
                self.comment();
            }
            if self.peek() == Some(b'\r') {
                self.pos += 1;
            }
            match self.peek() {
                None => Ok(()),
                Some(b'\n') => {
                    self.bump();
                    Ok(())
                }
                Some(_) => self.err(
                    "unexpected text after the value",
                    "one `key = value` per line; a string that spans lines goes between \"\"\" and \"\"\"",
                ),
            }
        }

        fn bare_key(&mut self) -> R<String> {
            let start = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
            {
                self.pos += 1;
            }
            if start == self.pos {
                return match self.peek() {
                    Some(b'"' | b'\'') => self.err(
                        "quoted keys are not supported",
                        "write keys without quotes: letters, digits, _ and -",
                    ),
                    _ => self.err(
                        "expected a key",
                        "a line is `key = value`, `[table]`, `[[exercise]]` or a `# comment`",
                    ),
                };
            }
            Ok(self.text[start..self.pos].to_string())
        }

        fn key_path(&mut self) -> R<Vec<String>> {
            let mut v = vec![self.bare_key()?];
            loop {
                self.ws();
                if self.peek() == Some(b'.') {
                    self.pos += 1;
                    self.ws();
                    v.push(self.bare_key()?);
                } else {
                    return Ok(v);
                }
            }
        }

        fn value(&mut self) -> R<Item> {
            let line = self.line;
            if self.starts("\"\"\"") || self.starts("'''") {
                return self.ml_string();
            }
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    let s = self.basic_until(b"\"", false)?;
                    Ok(Item {
                        value: Value::Str(s),
                        line,
                    })
                }
                Some(b'\'') => {
                    self.pos += 1;
                    let start = self.pos;
                    while !matches!(self.peek(), None | Some(b'\'' | b'\n')) {
                        self.pos += 1;
                    }
                    if self.peek() != Some(b'\'') {
                        return self.err("this string is never closed", "close it with ' on the same line, or use ''' for several lines");
                    }
                    let s = self.text[start..self.pos].to_string();
                    self.pos += 1;
                    Ok(Item {
                        value: Value::Str(s),
                        line,
                    })
                }
                Some(b'[') => {
                    self.pos += 1;
                    let mut items = Vec::new();
                    loop {
                        self.ws_nl();
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            break;
                        }
                        items.push(self.value()?);
                        self.ws_nl();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                            }
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.err("expected `,` or `]` in the list", "separate values with commas: [\"a\", \"b\"]"),
                        }
                    }
                    Ok(Item {
                        value: Value::Array(items),
                        line,
                    })
                }
                Some(b'{') => {
                    self.pos += 1;
                    let mut t = Table {
                        entries: Vec::new(),
                        line,
                    };
                    loop {
                        self.ws();
                        if self.peek() == Some(b'}') {
                            self.pos += 1;
                            break;
                        }
                        let k = self.bare_key()?;
                        self.ws();
                        if self.peek() != Some(b'=') {
                            return self.err("expected `=`", "an inline table is { key = value, … }");
                        }
                        self.pos += 1;
                        self.ws();
                        let v = self.value()?;
                        if t.get(&k).is_some() {
                            return self.err(format!("`{k}` is given twice"), "");
                        }
                        t.entries.push((k, v));
                        self.ws();
                        match self.peek() {
                            Some(b',') => {
                                self.pos += 1;
                            }
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return self.err("expected `,` or `}`", "an inline table is { key = value, … } on one line"),
                        }
                    }
                    Ok(Item {
                        value: Value::Table(t),
                        line,
                    })
                }
                Some(b't') if self.starts("true") => {
                    self.pos += 4;
                    Ok(Item {
                        value: Value::Bool(true),
                        line,
                    })
                }
                Some(b'f') if self.starts("false") => {
                    self.pos += 5;
                    Ok(Item {
                        value: Value::Bool(false),
                        line,
                    })
                }
                Some(c) if c.is_ascii_digit() || c == b'-' || c == b'+' => {
                    let start = self.pos;
                    self.pos += 1;
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
                    {
                        self.pos += 1;
                    }
                    let raw: String = self.text[start..self.pos].chars().filter(|&c| c != '_').collect();
                    let (neg, body) = match raw.strip_prefix('-') {
                        Some(b) => (true, b),
                        None => (false, raw.strip_prefix('+').unwrap_or(&raw)),
                    };
                    let parsed = if let Some(h) = body.strip_prefix("0x") {
                        i64::from_str_radix(h, 16)
                    } else if let Some(b) = body.strip_prefix("0b") {
                        i64::from_str_radix(b, 2)
                    } else if let Some(o) = body.strip_prefix("0o") {
                        i64::from_str_radix(o, 8)
                    } else {
                        body.parse::<i64>()
                    };
                    match parsed {
                        Ok(n) => Ok(Item {
                            value: Value::Int(if neg { -n } else { n }),
                            line,
                        }),
                        Err(_) => self.err(format!("`{raw}` is not an integer"), "numbers are integers (42, 0x2a); dates and floats are not supported"),
                    }
                }
                _ => self.err("expected a value", "a value is \"a string\", \"\"\"several lines\"\"\", a number, true/false, [a, list] or { min = 1, max = 2 }"),
            }
        }

        /// A basic string body after the opening quote, up to `close`.
        fn basic_until(&mut self, close: &[u8], multiline: bool) -> R<String> {
            let mut out = String::new();
            loop {
                if self.s[self.pos..].starts_with(close) {
                    self.pos += close.len();
                    return Ok(out);
                }
                let Some(c) = self.peek() else {
                    return self.err(
                        "this string is never closed",
                        if multiline {
                            "close it with \"\"\""
                        } else {
                            "close it with \" on the same line"
                        },
                    );
                };
                if c == b'\n' && !multiline {
                    return self.err(
                        "this string is never closed on its line",
                        "close it with \", or use \"\"\" for several lines",
                    );
                }
                if c == b'\\' {
                    self.pos += 1;
                    match self.bump() {
                        Some(b'n') => out.push('\n'),
                        Some(b't') => out.push('\t'),
                        Some(b'r') => out.push('\r'),
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'u') => {
                            let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                            let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            match ch {
                                Some(ch) => {
                                    out.push(ch);
                                    self.pos += 4;
                                }
                                None => return self.err("bad \\u escape", "\\u is followed by 4 hex digits"),
                            }
                        }
                        Some(b'\n' | b' ' | b'\t' | b'\r') if multiline => {
                            // line-ending backslash: trim up to the next non-space
                            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                                self.bump();
                            }
                        }
                        _ => return self.err("unknown escape", "escapes are \\n \\t \\\" \\\\ \\uXXXX; write a backslash as \\\\, or use a '''literal string'''"),
                    }
                    continue;
                }
                // copy one UTF-8 character
                let start = self.pos;
                self.bump();
                while self.pos < self.s.len() && !self.text.is_char_boundary(self.pos) {
                    self.pos += 1;
                }
                out.push_str(&self.text[start..self.pos]);
            }
        }

        fn ml_string(&mut self) -> R<Item> {
            let literal = self.starts("'''");
            self.pos += 3;
            // A newline right after the opening delimiter is trimmed.
            if self.starts("\r\n") {
                self.pos += 1;
            }
            if self.peek() == Some(b'\n') {
                self.bump();
            }
            let line = self.line;
            if literal {
                let start = self.pos;
                while !self.starts("'''") {
                    if self.bump().is_none() {
                        return self.err("this string is never closed", "close it with '''");
                    }
                }
                let s = self.text[start..self.pos].to_string();
                self.pos += 3;
                Ok(Item {
                    value: Value::Str(s),
                    line,
                })
            } else {
                let s = self.basic_until(b"\"\"\"", true)?;
                Ok(Item {
                    value: Value::Str(s),
                    line,
                })
            }
        }
    }

    fn table_at<'t>(
        root: &'t mut Table,
        path: &[String],
        line: u32,
    ) -> Result<&'t mut Table, Error> {
        let mut t = root;
        for seg in path {
            if t.get(seg).is_none() {
                t.entries.push((
                    seg.clone(),
                    Item {
                        value: Value::Table(Table {
                            entries: Vec::new(),
                            line,
                        }),
                        line,
                    },
                ));
            }
            let item = t.get_mut(seg).ok_or_else(|| Error {
                line,
                message: "internal".into(),
                hint: String::new(),
            })?;
            t = match &mut item.value {
                Value::Table(x) => x,
                Value::TableArray(xs) if !xs.is_empty() => {
                    let n = xs.len() - 1;
                    &mut xs[n]
                }
                _ => {
                    return Err(Error {
                        line,
                        message: format!("`{seg}` is already a value, not a table"),
                        hint: "rename the key or the table".into(),
                    })
                }
            };
        }
        Ok(t)
    }

    /// Parses a document.
    pub fn parse(text: &str) -> Result<Table, Error> {
        let mut p = P {
            s: text.as_bytes(),
            text,
            pos: 0,
            line: 1,
        };
        let mut root = Table {
            entries: Vec::new(),
            line: 1,
        };
        let mut current: Vec<String> = Vec::new();
        loop {
            p.ws();
            match p.peek() {
                None => break,
                Some(b'\r' | b'\n') => {
                    p.bump();
                }
                Some(b'#') => p.comment(),
                Some(b'[') => {
                    let line = p.line;
                    let array = p.starts("[[");
                    p.pos += if array { 2 } else { 1 };
                    p.ws();
                    let path = p.key_path()?;
                    p.ws();
                    let close = if array { "]]" } else { "]" };
                    if !p.starts(close) {
                        return p.err(
                            format!("expected `{close}`"),
                            "a table header is [name] or [[name]] alone on its line",
                        );
                    }
                    p.pos += close.len();
                    p.eol()?;
                    let (last, parent) = path
                        .split_last()
                        .map(|(l, r)| (l.clone(), r.to_vec()))
                        .unwrap_or_default();
                    let t = table_at(&mut root, &parent, line)?;
                    if array {
                        let new = Table {
                            entries: Vec::new(),
                            line,
                        };
                        match t.get_mut(&last) {
                            None => t.entries.push((
                                last.clone(),
                                Item {
                                    value: Value::TableArray(vec![new]),
                                    line,
                                },
                            )),
                            Some(Item {
                                value: Value::TableArray(xs),
                                ..
                            }) => xs.push(new),
                            Some(_) => {
                                return p.err(
                                    format!("`{last}` is not a list of tables"),
                                    "use [[name]] for every element",
                                )
                            }
                        }
                    } else {
                        match t.get(&last) {
                            None => t.entries.push((
                                last.clone(),
                                Item {
                                    value: Value::Table(Table {
                                        entries: Vec::new(),
                                        line,
                                    }),
                                    line,
                                },
                            )),
                            Some(Item {
                                value: Value::Table(x),
                                ..
                            }) if x.entries.is_empty() => {}
                            Some(_) => {
                                return p.err(
                                    format!("[{}] is defined twice", path.join(".")),
                                    "each table header appears once (per exercise)",
                                )
                            }
                        }
                    }
                    current = path;
                }
                Some(_) => {
                    let line = p.line;
                    let path = p.key_path()?;
                    p.ws();
                    if p.peek() != Some(b'=') {
                        return p.err("expected `=` after the key", "a line is `key = value`");
                    }
                    p.pos += 1;
                    p.ws();
                    let v = p.value()?;
                    p.eol()?;
                    let (last, parent) = path
                        .split_last()
                        .map(|(l, r)| (l.clone(), r.to_vec()))
                        .unwrap_or_default();
                    let mut full = current.clone();
                    full.extend(parent);
                    let t = table_at(&mut root, &full, line)?;
                    if t.get(&last).is_some() {
                        return Err(Error {
                            line,
                            message: format!("`{last}` is given twice"),
                            hint: "each key appears once per table".into(),
                        });
                    }
                    t.entries.push((last, v));
                }
            }
        }
        Ok(root)
    }
}

// =======================================================================================

#[cfg(test)]
mod tests {
    use super::*;

    const MD: &str = "# Demo\n\nSome prose.\n\n[▶ Run it](a.svl)\n\nMore prose.\n";
    const SVL: &str = "task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\nexpect A.traps == 1\n";
    const EX: &str = r#"
# a comment
[[exercise]]
id = "zen"
kind = "predict"
title = "Who turns SVE off?"
kernels = ["v5.19", "v6.2"]
question = """
After `svc {{t}} getpid`, what is CPACR_EL1.ZEN_EL0EN?
"""
setup = """
task {{t}} vl={{vl}} on=cpu0
sve-op {{t}} z0=fill({{b:hex}})
svc {{t}} getpid
"""
ask = "cpu0.CPACR_EL1.ZEN_EL0EN"
answer = ["0", "1"]
wrong = ["1", "1"]
choices = ["0", "1"]
explanation = "fp_user_discard() clears it on v5.19; patch 6 keeps it."
hints = ["Look at fp_user_discard.", "Run it on both kernels."]

[exercise.vars]
t = ["A", "T"]
vl = [256, 512]
b = { min = 0x10, max = 0xfe }

[[exercise]]
id = "two-traps"
kind = "construct"
title = "Two traps"
kernel = "v5.19"
goal = "Make {{t}} take exactly {{n}} SVE traps."
starter = "task {{t}} on=cpu0\n"
check = ["{{t}}.traps == {{n}}", "no-violations"]
forbid = ["kernel-neon"]
reference = """
task {{t}} on=cpu0
repeat {{n}} { sve-op {{t}} z0=1; svc {{t}} getpid }
"""
wrong = """
task {{t}} on=cpu0
sve-op {{t}} z0=1
"""
explanation = "Each getpid disarms SVE on v5.19."
hints = ["A syscall disables SVE."]

[exercise.vars]
t = ["A", "B"]
n = { min = 2, max = 4 }
"#;

    fn demo() -> Vec<(&'static str, &'static str)> {
        vec![
            ("README.md", "ignored"),
            ("01-demo/lesson.md", MD),
            ("01-demo/a.svl", SVL),
            ("01-demo/exercises.toml", EX),
        ]
    }

    #[test]
    fn parses_a_course() {
        let c = Course::parse(&demo()).unwrap();
        let l = c.lesson("1").unwrap();
        assert_eq!(l.title, "Demo");
        assert_eq!(l.id, "demo");
        assert_eq!(l.blocks.len(), 3);
        assert_eq!(l.blocks[1], Block::Script(0));
        assert_eq!(l.scripts[0].label, "▶ Run it");
        assert_eq!(l.exercises.len(), 2);
        assert!(c.exercise("demo/two-traps").is_some());
        assert!(c.exercise("01/1").is_some());
        assert_eq!(c.lesson("01-demo").unwrap().number, 1);
    }

    #[test]
    fn variants_are_deterministic_and_differ() {
        let c = Course::parse(&demo()).unwrap();
        let ex = &c.lessons[0].exercises[0];
        assert_eq!(ex.variant(7), ex.variant(7));
        let all: BTreeSet<_> = (0..40).map(|s| ex.variant(s).vars).collect();
        assert!(all.len() > 10, "{all:?}");
        let i = ex.variant(3);
        assert!(!i.text.contains("{{"), "{}", i.text);
        assert_eq!(i.blanks.len(), 2);
        assert_eq!(i.blanks[1].label, "cpu0.CPACR_EL1.ZEN_EL0EN on v6.2");
        assert!(i.setup.as_ref().unwrap().contains("fill(0x"));
    }

    #[test]
    fn grades_predict_and_construct() {
        let c = Course::parse(&demo()).unwrap();
        let l = &c.lessons[0];
        let i = l.exercises[0].variant(1);
        assert!(grade(&i, &Answer::predict_from_text("0, 1")).passed);
        assert!(grade(&i, &Answer::predict_from_text("no yes")).passed);
        // The question's own path is not an answer.
        let g = grade(
            &i,
            &Answer::Predict(vec!["cpu0.CPACR_EL1.ZEN_EL0EN".into(); 2]),
        );
        assert!(!g.passed, "{g:?}");
        let g = grade(&i, &Answer::predict_from_text("1 1"));
        assert!(!g.passed);
        assert!(g.checks[0].detail.contains("the model says 0"), "{g:?}");
        assert!(g.explanation.is_some());
        let g = grade(&i, &Answer::predict_from_text("banana 1"));
        assert!(!g.passed);
        let i = l.exercises[1].variant(1);
        assert!(grade(&i, &i.reference).passed);
        let g = grade(&i, &i.wrong);
        assert!(!g.passed && g.explanation.is_none(), "{g:?}");
        let g = grade(
            &i,
            &Answer::Script("task A on=cpu0\nkernel-neon A\n".into()),
        );
        assert!(g.summary.contains("kernel-neon"), "{g:?}");
        let g = grade(
            &i,
            &Answer::Script("task A on=cpu0\nsve-op Q z0=1\n".into()),
        );
        assert!(!g.passed && !g.diagnostics.is_empty(), "{g:?}");
    }

    #[test]
    fn the_author_check_passes_and_reports_lines() {
        let rep = author_check(&demo());
        assert!(rep.ok(), "{:#?}", rep.errors);
        assert_eq!(rep.exercises, 2);
        // A wrong author answer is reported at its line.
        let bad = EX.replace("answer = [\"0\", \"1\"]", "answer = [\"1\", \"1\"]");
        let mut files = demo();
        files[3].1 = &bad;
        let rep = author_check(&files);
        let line = EX.lines().position(|l| l.starts_with("answer")).unwrap() as u32 + 1;
        assert!(
            rep.errors
                .iter()
                .any(|e| e.line == line && e.file == "01-demo/exercises.toml"),
            "{:#?}",
            rep.errors
        );
        // A failing expect in a script, at its line.
        let mut files = demo();
        files[2].1 = "task A on=cpu0\nexpect A.traps == 5\n";
        let rep = author_check(&files);
        assert_eq!(rep.errors[0].file, "01-demo/a.svl");
        assert_eq!(rep.errors[0].line, 2);
        // A parse error inside a setup string, at the file's line.
        let bad = EX.replace("svc {{t}} getpid\n\"\"\"", "svc {{t}} getpd\n\"\"\"");
        let mut files = demo();
        files[3].1 = &bad;
        let rep = author_check(&files);
        let line = EX.lines().position(|l| l == "svc {{t}} getpid").unwrap() as u32 + 1;
        assert!(
            rep.errors.iter().any(|e| e.line == line),
            "{:#?}",
            rep.errors
        );
    }

    #[test]
    fn format_errors_have_lines() {
        let mut files = demo();
        let bad = EX.replace(
            "hints = [\"A syscall disables SVE.\"]",
            "hint = [\"A syscall\"]",
        );
        files[3].1 = &bad;
        let e = Course::parse(&files).unwrap_err();
        assert!(
            e.iter().any(|e| e.message.contains("unknown key `hint`")),
            "{e:#?}"
        );
        let bad = EX.replace("{{t}}.traps", "{{task}}.traps");
        files[3].1 = &bad;
        let e = Course::parse(&files).unwrap_err();
        assert!(
            e.iter().any(|e| e.message.contains("no variable `task`")),
            "{e:#?}"
        );
        let mut files = demo();
        files[1].1 = "no title\n";
        assert!(Course::parse(&files).is_err());
        let mut files = demo();
        files.push(("01-demo/unused.svl", "task A\n"));
        let e = Course::parse(&files).unwrap_err();
        assert_eq!(e[0].file, "01-demo/unused.svl");
    }

    #[test]
    fn toml_subset() {
        let t = toml::parse("a = 1\nb = 'x'\nc = [1, 2,\n  3]\n[[e]]\nk = \"\"\"\nl1\nl2\"\"\"\n[e.v]\nx = { min = -1, max = 0x10 }\n").unwrap();
        assert_eq!(t.get("a").unwrap().value, toml::Value::Int(1));
        let toml::Value::TableArray(es) = &t.get("e").unwrap().value else {
            panic!()
        };
        let k = es[0].get("k").unwrap();
        assert_eq!(k.value, toml::Value::Str("l1\nl2".into()));
        assert_eq!(k.line, 7);
        assert!(es[0].get("v").is_some());
        assert_eq!(toml::parse("a = \n").unwrap_err().line, 1);
        assert_eq!(toml::parse("\n\nx = \"abc\n").unwrap_err().line, 3);
        assert!(toml::parse("a = 1\na = 2\n").is_err());
    }

    #[test]
    fn templates() {
        let vars = vec![
            ("vl".to_string(), VarValue::Int(512)),
            ("t".to_string(), VarValue::Str("A".into())),
        ];
        assert_eq!(
            render(
                "{{vl / 128 - 1}} {{t}} {{ 546 * vl / 128 }} { x } {{vl:hex}}",
                &vars
            )
            .ok()
            .unwrap(),
            "3 A 2184 { x } 0x200"
        );
        assert!(render("{{t + 1}}", &vars).is_err());
        assert!(render("{{nope}}", &vars).is_err());
        assert!(render("{{vl", &vars).is_err());
    }

    #[test]
    fn progress_round_trips_and_gives_students_different_numbers() {
        let c = Course::parse(&demo()).unwrap();
        let l = &c.lessons[0];
        let ex = &l.exercises[0];
        let a = Progress::new(1);
        let b = Progress::new(2);
        let distinct: BTreeSet<_> = (0..20)
            .map(|s| Progress::new(s).instance(l, ex).vars)
            .collect();
        assert!(distinct.len() > 5);
        assert_eq!(a.instance(l, ex), a.instance(l, ex));
        let _ = b;
        let mut p = Progress::new(9);
        p.open_lesson(l);
        let inst = p.instance(l, ex);
        assert_eq!(p.reveal_hint(&inst), Some(inst.hints[0].as_str()));
        assert_eq!(p.revealed_hints(&inst).len(), 1);
        let g = grade(&inst, &inst.reference);
        p.record(&inst, &inst.reference, &g);
        assert!(p.passed(&l.id, &ex.id));
        assert_eq!(p.status(&c)[0].passed, 1);
        let back = Progress::from_json(&p.to_json()).unwrap();
        assert_eq!(back, p);
        assert!(matches!(
            Progress::from_json("{}"),
            Err(LoadError::WrongKind { .. })
        ));
        let before = p.instance(l, ex).seed;
        p.new_variant(&l.id, &ex.id);
        assert_ne!(p.instance(l, ex).seed, before);
    }

    #[test]
    fn the_builtin_course_parses() {
        if BUILTIN_FILES.is_empty() {
            return;
        }
        let c = builtin_course();
        assert!(!c.lessons.is_empty());
    }
}
