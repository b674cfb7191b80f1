//! The course in the terminal: the built-in lessons, the student's progress file, and the
//! text the REPL (`:lesson`, `:exercise`, `:hint`, `:check`, `:reveal`, `:variant`) and the
//! command line (`svelab check`, `svelab lessons`) print.
//!
//! Everything about lessons (parsing, variants, grading, progress) is the core's
//! `svelab_core::course`; this module only stores progress in a file and renders.
//!
//! * Progress: `SVELAB_PROGRESS` (empty: not kept), else `<data dir>/svelab/progress.json`,
//!   the directory of the REPL's history.
//! * The student's seed: `SVELAB_SEED` (a number), else the stored progress's, else
//!   [`seed_from_text`] of the user name.

use crate::display::wrap;
use crate::style::{self, Style};
mod markdown;

pub use markdown::{markdown, paragraph, script_text};
use std::path::PathBuf;
use std::sync::OnceLock;
use svelab_core::course::{
    builtin_course, seed_from_text, Block, Course, Exercise, ExerciseInstance, ExerciseKind, Grade,
    Lesson, Progress,
};

static OWN_COURSE: OnceLock<Course> = OnceLock::new();

/// The course: the folder given by `--course` (or `SVELAB_COURSE`), else the built-in one,
/// parsed once.
pub fn course() -> &'static Course {
    static COURSE: OnceLock<Course> = OnceLock::new();
    if let Some(c) = OWN_COURSE.get() {
        return c;
    }
    COURSE.get_or_init(builtin_course)
}

/// Uses the course in `dir` from now on (every problem of the folder, with file:line, as
/// the error).
pub fn use_dir(dir: &str) -> Result<(), String> {
    let c = crate::class::load_course_dir(std::path::Path::new(dir))?;
    let _ = OWN_COURSE.set(c);
    Ok(())
}

/// Where progress is kept (`None`: not kept).
pub fn progress_path() -> Option<PathBuf> {
    match std::env::var_os("SVELAB_PROGRESS") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::data_dir().map(|d| d.join("svelab").join("progress.json")),
    }
}

/// `SVELAB_SEED`, decimal or `0x` hex.
pub fn env_seed() -> Option<u64> {
    let s = std::env::var("SVELAB_SEED").ok()?;
    parse_seed(&s)
}

/// A seed typed by a person: decimal or `0x` hex.
pub fn parse_seed(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn user_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "svelab".into())
}

/// The student's progress and where it is kept.
#[derive(Debug)]
pub struct Store {
    /// The record.
    pub progress: Progress,
    /// The file (`None`: not kept).
    pub path: Option<PathBuf>,
    /// A problem reading or writing the file, to tell the user once.
    pub problem: Option<String>,
}

impl Store {
    /// Loads the progress file (a missing file is a new student). `SVELAB_SEED` overrides
    /// the stored seed.
    pub fn load() -> Store {
        let path = progress_path();
        let mut problem = None;
        let stored = path
            .as_ref()
            .and_then(|p| match std::fs::read_to_string(p) {
                Ok(text) => match Progress::from_json(&text) {
                    Ok(pr) => Some(pr),
                    Err(e) => {
                        problem = Some(format!(
                        "cannot read the progress file {}: {e}; starting afresh (it is overwritten \
                         at the first change)",
                        p.display()
                    ));
                        None
                    }
                },
                Err(_) => None,
            });
        let mut progress = stored.unwrap_or_else(|| Progress::new(seed_from_text(&user_name())));
        if let Some(s) = env_seed() {
            progress.seed = s;
        }
        Store {
            progress,
            path,
            problem,
        }
    }

    /// A store that is not kept, for a given seed (`svelab check --seed`).
    pub fn ephemeral(seed: u64) -> Store {
        Store {
            progress: Progress::new(seed),
            path: None,
            problem: None,
        }
    }

    /// Writes the progress file; an error is kept in `problem`.
    pub fn save(&mut self) {
        let Some(p) = &self.path else { return };
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(p, self.progress.to_json()) {
            self.problem = Some(format!("cannot save progress to {}: {e}", p.display()));
        }
    }
}

/// `3/two-traps`: how the front end names an exercise (lesson number / exercise id).
pub fn short_key(lesson: &Lesson, ex: &Exercise) -> String {
    format!("{}/{}", lesson.number, ex.id)
}

/// Every exercise's short key, for completion.
pub fn exercise_keys() -> Vec<String> {
    course().exercises().map(|(l, e)| short_key(l, e)).collect()
}

/// Every lesson's number and id, for completion.
pub fn lesson_names() -> Vec<String> {
    let mut v: Vec<String> = course()
        .lessons
        .iter()
        .map(|l| l.number.to_string())
        .collect();
    v.extend(course().lessons.iter().map(|l| l.id.clone()));
    v
}

/// A script's name without `.svl`.
pub fn script_stem(name: &str) -> &str {
    name.strip_suffix(".svl").unwrap_or(name)
}

/// The script of `lesson` called `name` (with or without `.svl`, or its 1-based number).
pub fn find_script<'a>(lesson: &'a Lesson, name: &str) -> Option<&'a svelab_core::course::Script> {
    if let Ok(n) = name.parse::<usize>() {
        return lesson.scripts.get(n.checked_sub(1)?);
    }
    lesson
        .scripts
        .iter()
        .find(|s| s.name == name || script_stem(&s.name) == name)
}

// =======================================================================================
// Lessons

fn status_mark(passed: usize, total: usize, seen: bool, st: Style) -> String {
    if total > 0 && passed == total {
        st.green("✓")
    } else if passed > 0 || seen {
        st.yellow("●")
    } else {
        "·".to_string()
    }
}

/// The list of lessons with the student's marks.
pub fn lesson_list(progress: &Progress, st: Style, w: usize) -> String {
    let mut out = format!(
        "{} {}\n",
        st.heading("Lessons"),
        st.dim("(✓ every exercise passed · ● started · passed/total exercises)")
    );
    let current = progress.current_lesson.as_deref();
    for s in progress.status(course()) {
        let here = if current == Some(s.id.as_str()) {
            st.green("▶")
        } else {
            " ".into()
        };
        let right = format!("{}/{}", s.passed, s.total);
        let room = w.saturating_sub(right.len() + 2 + 6);
        let title = if s.title.chars().count() > room {
            let keep: String = s.title.chars().take(room.saturating_sub(1)).collect();
            format!("{keep}…")
        } else {
            s.title.clone()
        };
        let left = format!(
            "{here}{} {:>2}  {title}",
            status_mark(s.passed, s.total, s.seen, st),
            s.number,
        );
        let left = style::pad(&left, w.saturating_sub(right.len() + 2));
        out.push_str(&format!("{left}  {}\n", st.dim(right)));
    }
    let next = match progress.next_exercise(course()) {
        Some((l, e)) => format!(
            "`:lesson N` opens a lesson; `:exercise` shows the next exercise to do ({}).",
            short_key(l, e)
        ),
        None => "`:lesson N` opens a lesson. Every exercise is passed!".into(),
    };
    out.push_str(&crate::help::para(&next, 0, w));
    out
}

/// A lesson: its title, prose, scripts (with the command that loads each) and exercises.
pub fn lesson_page(lesson: &Lesson, progress: &Progress, st: Style, w: usize) -> String {
    let mut out = String::new();
    for l in wrap(&format!("Lesson {} · {}", lesson.number, lesson.title), w) {
        out.push_str(&format!("{}\n", st.heading(l)));
    }
    out.push('\n');
    for b in &lesson.blocks {
        match b {
            Block::Prose(md) => {
                let r = markdown(md, 0, st, w);
                if !r.trim().is_empty() {
                    out.push_str(r.trim_end_matches('\n'));
                    out.push_str("\n\n");
                }
            }
            Block::Script(i) => {
                let Some(s) = lesson.scripts.get(*i) else {
                    continue;
                };
                out.push_str(&format!(
                    "  {} {}\n",
                    st.green(&s.label),
                    st.dim(format!(
                        "({}, {} lines)",
                        s.name,
                        s.source.trim_end().lines().count()
                    ))
                ));
                out.push_str(&st.dim(crate::help::para(
                    &format!(
                        "`:lesson {} load {}` loads it at step 0: `:step` walks it, `:run` runs it",
                        lesson.number,
                        script_stem(&s.name)
                    ),
                    4,
                    w,
                )));
                out.push('\n');
            }
        }
    }
    out.push_str(&exercise_list(lesson, progress, st, w));
    out
}

/// A lesson's exercises with the student's marks.
pub fn exercise_list(lesson: &Lesson, progress: &Progress, st: Style, w: usize) -> String {
    let mut out = format!("{}\n", st.heading("Exercises"));
    let rows: Vec<(String, String)> = lesson
        .exercises
        .iter()
        .map(|e| {
            let mark = if progress.passed(&lesson.id, &e.id) {
                st.green("✓")
            } else {
                "·".into()
            };
            (
                format!("{mark} {}", st.cyan(short_key(lesson, e))),
                format!("{} ({})", progress.instance(lesson, e).title, e.kind.name()),
            )
        })
        .collect();
    out.push_str(&crate::help::columns(&rows, 26, w));
    out.push_str(&crate::help::para(
        &format!(
            "`:exercise {}/1` shows the first; `:exercise` the next not passed.",
            lesson.number
        ),
        2,
        w,
    ));
    out
}

/// An exercise instance as the student sees it (no answers).
pub fn exercise_page(
    lesson: &Lesson,
    ex: &Exercise,
    inst: &ExerciseInstance,
    progress: &Progress,
    st: Style,
    w: usize,
) -> String {
    let key = short_key(lesson, ex);
    let mut out = format!(
        "{} {}\n",
        st.heading(format!("Exercise {key} · {}", inst.title)),
        st.dim(format!(
            "({}{})",
            inst.kind.name(),
            if progress.passed(&lesson.id, &ex.id) {
                ", passed"
            } else {
                ""
            }
        ))
    );
    out.push('\n');
    out.push_str(&markdown(&inst.text, 2, st, w));
    out.push('\n');
    match inst.kind {
        ExerciseKind::Predict => {
            if let Some(setup) = &inst.setup {
                out.push_str(&format!(
                    "  {}\n",
                    st.bold(match inst.kernel {
                        Some(k) => format!("The setup (on {}):", k.name()),
                        None => "The setup:".into(),
                    })
                ));
                out.push_str(&script_text(setup, 4, st));
            }
            out.push('\n');
            out.push_str(&format!(
                "  {}\n",
                st.bold(if inst.blanks.len() == 1 {
                    "Predict:".to_string()
                } else {
                    format!("Predict, in this order ({} values):", inst.blanks.len())
                })
            ));
            for (i, b) in inst.blanks.iter().enumerate() {
                out.push_str(&format!("    {}. {}\n", i + 1, st.cyan(&b.label)));
            }
            if !inst.choices.is_empty() {
                out.push_str(&format!(
                    "  {} {}\n",
                    st.bold("Choose from:"),
                    inst.choices.join(" · ")
                ));
            }
            let example = if inst.blanks.len() > 1 {
                "`:check 0, 1` (one value per blank, in order)"
            } else {
                "`:check VALUE`"
            };
            out.push_str(&crate::help::para(
                &format!(
                    "Answer with {example}: numbers (16 or 0x10), fill(0xaa), ones, names (sve, \
                     fpsimd, null), yes/no. `:hint` gives a hint; `:exercise load` puts the \
                     setup in the session to step through once you have answered."
                ),
                2,
                w,
            ));
        }
        ExerciseKind::Construct => {
            if let Some(k) = inst.kernel {
                out.push_str(&crate::help::para(
                    &format!(
                        "Your script runs on {} (whatever its `kernel` line says).",
                        k.name()
                    ),
                    2,
                    w,
                ));
            }
            if !inst.checks.is_empty() {
                out.push_str(&format!("  {}\n", st.bold("At the end, all of:")));
                for c in &inst.checks {
                    out.push_str(&format!("    • {}\n", st.cyan(c)));
                }
            }
            if !inst.forbid.is_empty() {
                out.push_str(&format!(
                    "  {} {}\n",
                    st.bold("Not allowed:"),
                    inst.forbid
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if let Some(s) = &inst.starter {
                out.push('\n');
                out.push_str(&format!("  {}\n", st.bold("Starter script:")));
                out.push_str(&script_text(s, 4, st));
            }
            out.push_str(&crate::help::para(
                "`:exercise load` runs the starter in a new session (on the exercise's kernel); \
                 type statements to go on from there, `:list` shows it, and `:check` grades \
                 the session's program. `:hint` gives a hint.",
                2,
                w,
            ));
        }
    }
    let shown = progress.revealed_hints(inst);
    if !shown.is_empty() {
        out.push_str(&format!("  {}\n", st.bold("Hints so far:")));
        for (i, h) in shown.iter().enumerate() {
            let lead = format!("    {}. ", i + 1);
            out.push_str(&paragraph(&h.replace('\n', " "), &lead, lead.len(), st, w));
        }
    }
    out
}

/// A hint: `hint 1 of 2: …`.
pub fn hint_text(n: usize, total: usize, hint: &str, st: Style, w: usize) -> String {
    let lead = format!("hint {n} of {total}: ");
    let mut out = String::new();
    let body = markdown(hint, 0, st, w.saturating_sub(lead.len()));
    for (i, l) in body.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{}{l}\n", st.yellow(&lead)));
        } else {
            out.push_str(&format!("{}{l}\n", " ".repeat(lead.len())));
        }
    }
    out
}

/// A grade: the verdict, each check, the diagnostics of a script, and the explanation
/// (predict: always; construct: once passed).
/// What to say under a wrong prediction: the way on (another try and a hint before the
/// answer is shown; once it is, how to see why).
pub fn predict_retry_note(inst: &ExerciseInstance, progress: &Progress) -> String {
    if progress.revealed(inst) {
        "the model's values are above; `:exercise load` puts the setup in the session: \
         step through it to see why"
            .into()
    } else {
        let shown = progress.revealed_hints(inst).len();
        if shown < inst.hints.len() {
            format!(
                "`:check` again, `:hint` for a hint ({shown} of {} shown), or `:reveal` for the answer",
                inst.hints.len()
            )
        } else {
            "`:check` again, or `:reveal` for the answer".into()
        }
    }
}

pub fn grade_text(
    inst: &ExerciseInstance,
    g: &Grade,
    script: Option<&str>,
    st: Style,
    w: usize,
) -> String {
    let mut out = String::new();
    let verdict = if g.passed {
        st.paint("1;32", "✓")
    } else {
        st.error("✗")
    };
    out.push_str(&crate::help::para(
        &format!("{verdict} {}", g.summary),
        0,
        w,
    ));
    let rows: Vec<(String, String)> = g
        .checks
        .iter()
        .map(|c| {
            let mark = if c.passed {
                st.green("✓")
            } else {
                st.red("✗")
            };
            (format!("{mark} {}", c.label), c.detail.clone())
        })
        .collect();
    if !rows.is_empty() {
        let lw = rows
            .iter()
            .map(|(l, _)| style::width(l))
            .max()
            .unwrap_or(0)
            .min(36);
        out.push_str(&crate::help::columns(&rows, lw, w));
    }
    if !g.diagnostics.is_empty() {
        out.push_str(&crate::diag::render_all(
            script.unwrap_or(""),
            &g.diagnostics,
            Some("your script"),
            st,
        ));
    }
    if let Some(e) = &g.explanation {
        out.push('\n');
        out.push_str(&format!("{}\n", st.bold("Why:")));
        out.push_str(&markdown(e, 2, st, w));
        out.push('\n');
    }
    let _ = inst;
    out
}

/// The author's answer and the explanation (`:reveal`).
pub fn reveal_text(inst: &ExerciseInstance, st: Style, w: usize) -> String {
    let mut out = String::new();
    match &inst.reference {
        svelab_core::course::Answer::Predict(v) => {
            out.push_str(&format!("{}\n", st.bold("The answer:")));
            for (b, a) in inst.blanks.iter().zip(v) {
                out.push_str(&format!("  {} = {}\n", st.cyan(&b.label), st.green(a)));
            }
        }
        svelab_core::course::Answer::Script(s) => {
            out.push_str(&format!("{}\n", st.bold("A script that passes:")));
            out.push_str(&script_text(s, 4, st));
        }
    }
    out.push_str(&format!("{}\n", st.bold("Why:")));
    out.push_str(&markdown(&inst.explanation, 2, st, w));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_joins_wraps_and_styles() {
        let md = "A **bold** word and `code`\nacross lines.\n\n* one\n  more\n* two\n\n1. first\n2. *second*\n\n```svl\ntask A\n```\n";
        let r = markdown(md, 0, Style::PLAIN, 80);
        assert!(
            r.starts_with("A bold word and `code` across lines.\n\n"),
            "{r}"
        );
        assert!(r.contains("  • one more\n  • two\n"), "{r}");
        assert!(r.contains("  1. first\n  2. second\n"), "{r}");
        assert!(r.contains("    task A\n"), "{r}");
        let narrow = markdown(&"word ".repeat(40), 2, Style::PLAIN, 40);
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        let c = markdown("**a b**", 0, Style { color: true }, 80);
        assert!(c.contains("\x1b[1m"), "{c:?}");
    }

    #[test]
    fn markdown_is_commonmark() {
        let r = markdown(
            "Set ZCR_EL1.LEN and NT_ARM_SVE, see [sve.rst](https://x/sve.rst) and _this_.\n\n> quoted\n\n- a\n  - nested\n",
            0,
            Style::PLAIN,
            80,
        );
        assert!(
            r.contains("Set ZCR_EL1.LEN and NT_ARM_SVE, see sve.rst and this."),
            "{r}"
        );
        assert!(r.contains("│ quoted"), "{r}");
        assert!(r.contains("  • a\n") && r.contains("• nested"), "{r}");
        assert!(!r.contains("]("), "{r}");
    }

    #[test]
    fn every_lesson_and_exercise_renders() {
        let p = Progress::new(7);
        assert!(lesson_list(&p, Style::PLAIN, 80).contains("Lessons"));
        for l in &course().lessons {
            let page = lesson_page(l, &p, Style::PLAIN, 80);
            assert!(page.lines().all(|x| x.chars().count() <= 80), "{page}");
            for s in &l.scripts {
                assert!(page.contains(&format!("load {}", script_stem(&s.name))));
            }
            for e in &l.exercises {
                let inst = p.instance(l, e);
                let t = exercise_page(l, e, &inst, &p, Style::PLAIN, 80);
                assert!(t.contains(&inst.title), "{t}");
                assert!(!t.contains("{{"), "{t}");
            }
        }
    }

    #[test]
    fn seeds_parse() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed("0x2a"), Some(42));
        assert_eq!(parse_seed("x"), None);
    }
}
