//! `svelab check EXERCISE FILE` and `svelab lessons [WHAT]`: the course outside the REPL.
//!
//! `check` grades with the core's `grade`, exactly as the REPL's `:check` and the
//! playground do, and exits 0 when the answer passes, 1 when it does not, 2 when it could
//! not be graded (unknown exercise, unreadable file, no answer, wrong number of values).

use crate::cli::{CheckArgs, LessonsArgs};
use crate::course::{self, Store};
use crate::style::{self, ColorChoice, Style};
use std::io::Read;
use std::process::ExitCode;
use svelab_core::course::{grade, Answer, ExerciseKind};

const PASSED: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

fn usage_error(msg: impl AsRef<str>, hint: impl AsRef<str>, color: ColorChoice) -> ExitCode {
    let st = Style {
        color: style::stderr_color(color),
    };
    eprintln!("{} {}", st.error("error:"), msg.as_ref());
    if !hint.as_ref().is_empty() {
        eprintln!("  {} {}", st.cyan("hint:"), hint.as_ref());
    }
    ExitCode::from(USAGE)
}

fn read(file: &str) -> Result<String, String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(file).map_err(|e| format!("cannot read `{file}`: {e}"))
    }
}

/// `svelab check`.
pub fn check(args: &CheckArgs, color: ColorChoice) -> ExitCode {
    let st = Style {
        color: style::stdout_color(color),
    };
    let w = style::term_width();
    let Some((lesson, ex)) = course::course().exercise(&args.exercise) else {
        let hint = if args.exercise.contains('/') {
            "`svelab lessons N` lists the exercises of lesson N".to_string()
        } else {
            "name it LESSON/EXERCISE, e.g. `1/fp-write` or `3/2`; `svelab lessons` lists the lessons"
                .to_string()
        };
        return usage_error(format!("no exercise `{}`", args.exercise), hint, color);
    };
    let mut store = match args.seed {
        Some(s) => Store::ephemeral(s),
        None => Store::load(),
    };
    let inst = store.progress.instance(lesson, ex);
    let key = course::short_key(lesson, ex);
    let text = match &args.file {
        Some(f) => match read(f) {
            Ok(t) => Some(t),
            Err(e) => return usage_error(e, "", color),
        },
        None => None,
    };
    let (answer, script) = match inst.kind {
        ExerciseKind::Predict => {
            let values = match (&args.answer, &text) {
                (Some(_), Some(_)) => {
                    return usage_error(
                        "both --answer and a file: give the values one way",
                        "",
                        color,
                    )
                }
                (Some(a), None) => a.clone(),
                (None, Some(t)) => t.clone(),
                (None, None) => {
                    return usage_error(
                        format!(
                            "exercise {key} is a predict: it needs {} value(s)",
                            inst.blanks.len()
                        ),
                        format!(
                            "`svelab check {key} --answer 'V1, V2'` or a file of values; `svelab \
                             lessons {key}` shows the question"
                        ),
                        color,
                    )
                }
            };
            let a = Answer::predict_from_text(&values);
            if let Answer::Predict(v) = &a {
                if v.len() != inst.blanks.len() {
                    let labels: Vec<&str> = inst.blanks.iter().map(|b| b.label.as_str()).collect();
                    return usage_error(
                        format!(
                            "{} value(s) given; exercise {key} has {} blank(s)",
                            v.len(),
                            inst.blanks.len()
                        ),
                        format!("one value each, in order: {}", labels.join(", ")),
                        color,
                    );
                }
            }
            (a, None)
        }
        ExerciseKind::Construct => {
            if args.answer.is_some() {
                return usage_error(
                    format!("exercise {key} is a construct: it grades a script, not values"),
                    format!("`svelab check {key} FILE.svl`"),
                    color,
                );
            }
            let Some(t) = text else {
                return usage_error(
                    format!("exercise {key} is a construct: it needs a script file"),
                    format!(
                        "`svelab check {key} FILE.svl` (`-`: standard input); `svelab lessons \
                         {key}` shows the goal and the starter"
                    ),
                    color,
                );
            };
            (Answer::Script(t.clone()), Some(t))
        }
    };
    let g = grade(&inst, &answer);
    // An ephemeral store (--seed) records in memory only.
    store.progress.record(&inst, &answer, &g);
    if args.reveal {
        store.progress.reveal(&inst);
    }
    let shown = store.progress.feedback(&inst, &g);
    if args.seed.is_none() {
        store.save();
        if let Some(p) = store.problem.take() {
            eprintln!("warning: {p}");
        }
    }
    let mut out = format!(
        "{} {}\n",
        st.heading(format!("Exercise {key} · {}", inst.title)),
        st.dim(format!("({})", inst.kind.name()))
    );
    let mut body = course::grade_text(&inst, &shown, script.as_deref(), st, w);
    if !g.passed && inst.kind == ExerciseKind::Predict && !store.progress.revealed(&inst) {
        body.push_str(&format!(
            "{}\n",
            st.dim("check again, see `svelab lessons EXERCISE` for the hints, or add --reveal")
        ));
    }
    if args.quiet {
        out.push_str(body.lines().next().unwrap_or(""));
        out.push('\n');
    } else {
        out.push_str(&body);
    }
    print!("{out}");
    ExitCode::from(if g.passed { PASSED } else { FAILED })
}

/// `svelab lessons`.
pub fn lessons(args: &LessonsArgs, color: ColorChoice) -> ExitCode {
    let st = Style {
        color: style::stdout_color(color),
    };
    let w = style::term_width();
    match (args.what.as_deref(), args.dir_arg.as_deref()) {
        (Some("check"), Some(dir)) => return crate::class::lessons_check(dir),
        (Some("pack"), Some(dir)) => return crate::class::lessons_pack(dir, args.out.as_deref()),
        (Some("check"), None) => {
            return match &args.dir {
                Some(dir) => crate::class::lessons_check(dir),
                None => crate::class::builtin_check(),
            }
        }
        (Some(w @ "pack"), None) => {
            return usage_error(
                format!("`svelab lessons {w}` needs a course folder"),
                format!("`svelab lessons {w} my-course/`"),
                color,
            )
        }
        (_, Some(extra)) => {
            return usage_error(
                format!("unexpected `{extra}`"),
                "`svelab lessons [LESSON]`",
                color,
            )
        }
        _ => {}
    }
    if let Some(dir) = &args.dir {
        if let Err(e) = course::use_dir(dir) {
            return usage_error(
                e,
                format!("`svelab lessons check {dir}` runs the author check"),
                color,
            );
        }
    }
    let store = match args.seed {
        Some(s) => Store::ephemeral(s),
        None => Store::load(),
    };
    let p = &store.progress;
    let c = course::course();
    let out = match args.what.as_deref() {
        None => course::lesson_list(p, st, w).replace(
            "`:lesson N` opens a lesson",
            "`svelab lessons N` prints a lesson (in the REPL: `:lesson N`)",
        ),
        Some(q) if q.contains('/') => match c.exercise(q) {
            Some((l, e)) => course::exercise_page(l, e, &p.instance(l, e), p, st, w),
            None => {
                return usage_error(
                    format!("no exercise `{q}`"),
                    "`svelab lessons N` lists the exercises of lesson N",
                    color,
                )
            }
        },
        Some(q) => match c.lesson(q) {
            Some(l) => course::lesson_page(l, p, st, w),
            None => {
                return usage_error(
                    format!("no lesson `{q}`"),
                    "`svelab lessons` lists them",
                    color,
                )
            }
        },
    };
    print!("{out}");
    ExitCode::SUCCESS
}
