//! The course in `lessons/`: every lesson and exercise goes through the author check
//! (`cargo xtask lessons` runs the same code: this file includes `xtask/src/lessons.rs`),
//! and a learner can walk from lesson 1 to the last through the API the front ends use.

#[allow(dead_code)]
#[path = "../../xtask/src/lessons.rs"]
mod xtask_lessons;

use std::path::{Path, PathBuf};
use svelab_core::course::{
    author_check, builtin_course, grade, Answer, Block, Course, ExerciseKind, Progress,
    AUTHOR_CHECK_SEEDS,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_author_check_passes_on_every_lesson() {
    match xtask_lessons::check(&root()) {
        Ok(rep) => {
            assert!(rep.lessons >= 11, "{rep:?}");
            assert!(rep.scripts >= 2 * rep.lessons, "{rep:?}");
            assert!(rep.variants >= rep.exercises, "{rep:?}");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_course_tells_the_story_in_order() {
    let course = builtin_course();
    let ids: Vec<&str> = course.lessons.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        &ids[..11],
        [
            "registers",
            "lazy-restore",
            "first-sve-use",
            "syscalls-v5.19",
            "patch6-keep-sve",
            "patch7-abi",
            "signals",
            "fork-exec-prctl",
            "ptrace",
            "kvm",
            "later-bugs",
        ]
    );
    for l in &course.lessons {
        let kinds = |k| l.exercises.iter().filter(|e| e.kind == k).count();
        assert!(kinds(ExerciseKind::Predict) >= 1, "{}", l.dir);
        assert!(kinds(ExerciseKind::Construct) >= 1, "{}", l.dir);
        assert!(
            l.blocks.iter().any(|b| matches!(b, Block::Script(_))),
            "{}: no runnable script",
            l.dir
        );
        for e in &l.exercises {
            assert!(e.hint_count() >= 1, "{}/{}", l.dir, e.id);
        }
    }
}

/// What a learner does in the REPL or the playground, lesson after lesson: open it, get
/// their variant of each exercise, reveal a hint, fail once, then pass.
#[test]
fn a_learner_can_go_from_the_first_lesson_to_the_last() {
    let course = builtin_course();
    let mut progress = Progress::new(0x5eed_cafe);
    for lesson in &course.lessons {
        progress.open_lesson(lesson);
        for ex in &lesson.exercises {
            let inst = progress.instance(lesson, ex);
            assert_eq!(inst, progress.instance(lesson, ex), "stable variant");
            assert!(!inst.text.contains("{{"), "{}: {}", inst.key, inst.text);
            assert!(progress.reveal_hint(&inst).is_some(), "{}", inst.key);
            let bad = grade(&inst, &inst.wrong);
            assert!(!bad.passed, "{}: the wrong answer passed", inst.key);
            progress.record(&inst, &inst.wrong, &bad);
            let good = grade(&inst, &inst.reference);
            assert!(good.passed, "{}: {:#?}", inst.key, good);
            assert!(good.explanation.is_some(), "{}", inst.key);
            progress.record(&inst, &inst.reference, &good);
        }
    }
    assert!(progress.next_exercise(&course).is_none());
    assert!(progress
        .status(&course)
        .iter()
        .all(|s| s.seen && s.passed == s.total));
    let saved = progress.to_json();
    assert_eq!(Progress::from_json(&saved).unwrap(), progress);
}

#[test]
fn students_get_different_numbers() {
    let course = builtin_course();
    let (lesson, ex) = course.exercise("first-sve-use/what-the-trap-does").unwrap();
    let variants: std::collections::BTreeSet<Vec<(String, String)>> = (0..16)
        .map(|s| Progress::new(s).instance(lesson, ex).vars)
        .collect();
    assert!(variants.len() >= 4, "{variants:?}");
}

#[test]
fn a_predict_answer_is_graded_blank_by_blank() {
    let course = builtin_course();
    let (lesson, ex) = course.exercise("5/zen-after-getpid").unwrap();
    let inst = Progress::new(1).instance(lesson, ex);
    assert_eq!(inst.blanks.len(), 4);
    let g = grade(&inst, &Answer::predict_from_text("0 0 1 1"));
    assert!(g.passed, "{g:#?}");
    let g = grade(&inst, &Answer::predict_from_text("no, no, yes, yes"));
    assert!(g.passed, "{g:#?}");
    let g = grade(&inst, &Answer::predict_from_text("0 0 0 0"));
    assert!(!g.passed);
    assert_eq!(g.checks.iter().filter(|c| !c.passed).count(), 2);
    assert!(g.checks[2].detail.contains("the model says 1"), "{g:#?}");
    assert!(g.explanation.unwrap().contains("fp_user_discard"));
}

#[test]
fn a_construct_answer_reports_step_errors_and_forbidden_words() {
    let course = builtin_course();
    let (lesson, ex) = course.exercise("syscalls-v5.19/exact-traps").unwrap();
    let inst = Progress::new(3).instance(lesson, ex);
    let g = grade(
        &inst,
        &Answer::Script("task A on=cpu0\nsve-op B z0=1\n".into()),
    );
    assert!(!g.passed);
    assert_eq!(g.diagnostics.len(), 1, "{g:#?}");
    assert_eq!(g.diagnostics[0].line, 2);
    let g = grade(
        &inst,
        &Answer::Script("task A on=cpu0\nctxsw cpu0 idle\n".into()),
    );
    assert!(!g.passed && g.summary.contains("ctxsw"), "{g:#?}");
}

/// The example in lessons/README.md passes the author check: blocks whose info string has
/// `file=PATH` are the files of a one-lesson course.
#[test]
fn the_readme_example_passes_the_author_check() {
    let readme = std::fs::read_to_string(root().join("lessons/README.md")).unwrap();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in readme.lines() {
        let t = line.trim_start();
        match &mut cur {
            None => {
                if let Some(info) = t.strip_prefix("```") {
                    if let Some(p) = info
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("file="))
                    {
                        cur = Some((p.to_string(), String::new()));
                    }
                }
            }
            Some(_) if t == "```" => files.extend(cur.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert_eq!(files.len(), 3, "{files:?}");
    let rep = author_check(&files);
    assert!(
        rep.ok(),
        "{}",
        rep.errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(rep.exercises, 2);
    assert!(rep.variants > 2 && rep.variants as u64 <= 2 * AUTHOR_CHECK_SEEDS);
}

/// The author check can fail, and says where.
#[test]
fn a_broken_lesson_is_reported_with_file_and_line() {
    let course_files = xtask_lessons::read_course(&root().join("lessons")).unwrap();
    let mut files: Vec<(String, String)> = course_files
        .into_iter()
        .filter(|(p, _)| p.starts_with("04-"))
        .collect();
    let ex = files
        .iter_mut()
        .find(|(p, _)| p.ends_with("exercises.toml"))
        .unwrap();
    let line =
        ex.1.lines()
            .position(|l| l == "answer = [\"{{n + 1}}\", \"{{n}}\"]")
            .unwrap() as u32
            + 1;
    ex.1 = ex.1.replace(
        "answer = [\"{{n + 1}}\", \"{{n}}\"]",
        "answer = [\"{{n}}\", \"{{n}}\"]",
    );
    let rep = author_check(&files);
    assert!(
        rep.errors
            .iter()
            .any(|e| e.file == "04-syscalls-v5.19/exercises.toml" && e.line == line),
        "{:#?}",
        rep.errors
    );
    assert!(Course::parse(&files).is_ok());
}
