//! `svelab check` (grading exercises from the command line, progress), `svelab lessons`,
//! and the refusals of `svelab real`, `svelab run` and `explore --real` before anything
//! boots, through the real binary.

mod common;
use common::*;
use std::process::Command;
use svelab_core::course::{builtin_course, Answer, ExerciseInstance, Progress};

const SEED: u64 = 7;

fn instance(key: &str) -> ExerciseInstance {
    let course = builtin_course();
    let (l, e) = course.exercise(key).expect("exercise exists");
    Progress::new(SEED).instance(l, e)
}

fn values(a: &Answer) -> String {
    match a {
        Answer::Predict(v) => v.join(", "),
        Answer::Script(_) => panic!("a predict exercise"),
    }
}

fn script_of(a: &Answer) -> &str {
    match a {
        Answer::Script(s) => s,
        Answer::Predict(_) => panic!("a construct exercise"),
    }
}

#[test]
fn check_grades_a_construct_script_with_exit_0_or_1() {
    let d = tempfile::tempdir().unwrap();
    let inst = instance("1/shape-z");
    let seed = SEED.to_string();
    let good = script(&d, "good.svl", script_of(&inst.reference));
    let o = svelab(&["check", "1/shape-z", &good, "--seed", &seed], None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(out.contains("Exercise 1/shape-z"), "{out}");
    assert!(out.contains("✓"), "{out}");
    assert!(out.contains("Why:"), "the explanation once passed: {out}");

    let bad = script(&d, "bad.svl", script_of(&inst.wrong));
    let o = svelab(&["check", "registers/3", &bad, "--seed", &seed], None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(out.contains("✗"), "{out}");
    assert!(
        !out.contains("Why:"),
        "no explanation before passing: {out}"
    );

    // The script on standard input.
    let o = svelab(
        &["check", "1/shape-z", "-", "--seed", &seed],
        Some(script_of(&inst.reference)),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

#[test]
fn check_grades_predicted_values_with_exit_0_or_1() {
    let d = tempfile::tempdir().unwrap();
    let inst = instance("1/fp-write");
    let seed = SEED.to_string();
    let o = svelab(
        &[
            "check",
            "1/fp-write",
            "--answer",
            &values(&inst.reference),
            "--seed",
            &seed,
        ],
        None,
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(out.contains("Why:"), "a predict always explains: {out}");
    let f = script(&d, "answer.txt", &values(&inst.wrong));
    let o = svelab(&["check", "1/fp-write", &f, "--seed", &seed], None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(
        !out.contains("the model says"),
        "a wrong prediction keeps the answer: {out}"
    );
    assert!(!out.contains("Why:"), "{out}");
    assert!(out.contains("--reveal"), "{out}");
    let o = svelab(
        &["check", "1/fp-write", &f, "--seed", &seed, "--reveal"],
        None,
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(out.contains("the model says"), "{out}");
    assert!(out.contains("Why:"), "{out}");
}

#[test]
fn check_exits_2_when_it_cannot_grade() {
    let d = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["check", "99/1", "x.svl"], "no exercise `99/1`"),
        (&["check", "1/no-such", "x.svl"], "no exercise"),
        (&["check", "1/shape-z", "/nonexistent/x.svl"], "cannot read"),
        (&["check", "1/shape-z"], "needs a script file"),
        (&["check", "1/shape-z", "--answer", "0"], "grades a script"),
        (&["check", "1/fp-write"], "needs 2 value(s)"),
        (
            &["check", "1/fp-write", "--answer", "0"],
            "1 value(s) given",
        ),
        (&["check"], "EXERCISE"),
    ];
    for (args, want) in cases {
        let o = svelab(args, None);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let _ = d;
}

#[test]
fn check_records_progress_without_a_seed() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("progress.json");
    let inst = {
        let course = builtin_course();
        let (l, e) = course.exercise("1/zcr-len").unwrap();
        Progress::new(99).instance(l, e)
    };
    let o = Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["check", "1/zcr-len", "--answer", &values(&inst.reference)])
        .env("SVELAB_PROGRESS", &path)
        .env("SVELAB_SEED", "99")
        .env("SVELAB_HISTORY", "")
        .output()
        .expect("run svelab");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let p = Progress::from_json(&std::fs::read_to_string(&path).expect("progress written"))
        .expect("progress parses");
    assert!(p.passed("registers", "zcr-len"), "{p:?}");
    let o = Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["lessons"])
        .env("SVELAB_PROGRESS", &path)
        .output()
        .expect("run svelab");
    let out = text(&o.stdout);
    assert!(
        out.contains("1/3"),
        "lesson 1 shows one exercise of three passed: {out}"
    );
}

#[test]
fn lessons_lists_and_prints_lessons_and_exercises() {
    let o = svelab(&["lessons"], None);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    for l in &builtin_course().lessons {
        let head: String = l.title.chars().take(30).collect();
        assert!(out.contains(&head), "{out}");
    }
    let o = svelab(&["lessons", "3"], None);
    let out = text(&o.stdout);
    assert!(out.contains("Lesson 3 · "), "{out}");
    assert!(out.contains(":lesson 3 load trap"), "{out}");
    assert!(out.contains("3/what-the-trap-does"), "{out}");
    let o = svelab(&["lessons", "1/shape-z", "--seed", "7"], None);
    let out = text(&o.stdout);
    assert!(out.contains(&instance("1/shape-z").title), "{out}");
    assert!(out.contains("Starter script"), "{out}");
    let o = svelab(&["lessons", "42"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = svelab(&["check", "--help"], None);
    let h = text(&o.stdout);
    assert!(h.contains("Exit status") && h.contains("--answer"), "{h}");
}

/// `svelab real` refuses a statement a real program cannot do, at its line, before it
/// boots anything (so this test needs no QEMU).
#[test]
fn real_rejects_what_a_real_program_cannot_do_before_booting() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("hot.svl");
    std::fs::write(
        &f,
        "task A vl=512 on=cpu0\nsve-op A z0=0x1\ncpu-offline cpu1\nexpect A.z0 == 0x1\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["real", f.to_str().unwrap(), "--color", "never"])
        .env("SVELAB_REAL_CACHE", dir.path().join("cache"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("hot.svl:3:1"), "{err}");
    assert!(err.contains("not on a real kernel"), "{err}");
    assert!(err.contains("nothing was booted"), "{err}");
    assert!(
        !dir.path().join("cache").exists(),
        "nothing downloaded or built"
    );
}

/// `--kernel` names a real kernel only for `svelab real`.
#[test]
fn a_real_kernel_name_is_refused_by_run() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["run", "-", "--kernel", "6.12"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("v6.12"), "{err}");
}

/// `explore --real` needs a kernel that exists as a real one.
#[test]
fn explore_real_refuses_a_kernel_with_no_real_counterpart() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["explore", "--kernel", "v6.2", "--depth", "1", "--real"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--kernel v6.12"), "{err}");
}
