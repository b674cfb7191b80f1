//! The teachers' tools on the binary: a course folder (`lessons --dir`, `lessons check`,
//! `lessons pack`), worksheets (`class sheet`), `:submit` in the REPL, and grading
//! (`class grade`) of right, wrong, missing and malformed submissions.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use svelab_core::course::class::{assignment_seed, Assignment, Submission};
use svelab_core::course::{builtin_course, grade, Answer, Progress, BUILTIN_FILES};

fn svelab(args: &[&str], stdin: Option<&str>, seed: Option<u64>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_svelab"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env("SVELAB_HISTORY", "")
        .env("SVELAB_PROGRESS", "")
        .env_remove("SVELAB_SEED")
        .env_remove("SVELAB_COURSE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(s) = seed {
        c.env("SVELAB_SEED", format!("{s:#x}"));
    }
    let mut child = c.spawn().expect("run svelab");
    let input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        let mut input = input;
        input.write_all(s.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait for svelab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn d(dir: &Path, rel: &str) -> String {
    dir.join(rel).display().to_string()
}

/// Copies lessons 1 and 3 of the built-in course into a folder of one's own.
fn own_course(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("my-course");
    for (p, t) in BUILTIN_FILES {
        if p.starts_with("01-") || p.starts_with("03-") {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
    }
    root
}

#[test]
fn a_course_folder_is_listed_checked_and_packed() {
    let t = tempfile::tempdir().unwrap();
    let root = own_course(t.path());
    let r = root.display().to_string();
    let o = svelab(&["lessons", "--dir", &r], None, Some(1));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("First SVE use: the access trap"), "{out}");
    assert!(
        !out.contains("Syscalls on v5.19"),
        "only the folder's lessons: {out}"
    );
    // The REPL on the folder's course, by flag and by environment.
    let o = svelab(&["--course", &r], Some(":lessons\n:lesson 3\n"), Some(1));
    let out = text(&o.stdout);
    assert!(out.contains("First SVE use: the access trap"), "{out}");
    assert!(!out.contains("Syscalls on v5.19"), "{out}");
    let o = Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["lessons"])
        .env("SVELAB_COURSE", &r)
        .env("SVELAB_PROGRESS", "")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = text(&o.stdout);
    assert!(out.contains("First SVE use: the access trap"), "{out}");
    assert!(!out.contains("Syscalls on v5.19"), "{out}");
    let o = svelab(&["lessons", "check", &r], None, None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("all good"));
    let out_file = d(t.path(), "my-course.json");
    let o = svelab(&["lessons", "pack", &r, "--out", &out_file], None, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("#course=my-course.json"));
    let json = std::fs::read_to_string(&out_file).unwrap();
    let b = svelab_core::course::class::CourseBundle::from_json(&json, "x").unwrap();
    assert_eq!(b.course.lessons.len(), 2);

    // A broken file: the author check and pack name it with line and column.
    let ex = root.join("03-first-sve-use/exercises.toml");
    let bad =
        std::fs::read_to_string(&ex)
            .unwrap()
            .replacen("kind = \"predict\"", "kind = predict", 1);
    std::fs::write(&ex, bad).unwrap();
    let o = svelab(&["lessons", "check", &r], None, None);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.contains("03-first-sve-use/exercises.toml:") && l.matches(':').count() >= 3),
        "{out}"
    );
    assert!(out.contains("hint:"), "{out}");
    let o = svelab(&["lessons", "pack", &r, "--out", &out_file], None, None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("exercises.toml:"),
        "{}",
        text(&o.stderr)
    );
    let o = svelab(&["--course", &r, "lessons"], None, None);
    assert_eq!(o.status.code(), Some(2));
    let o = svelab(&["lessons", "pack"], None, None);
    assert_eq!(o.status.code(), Some(2));
    // Without a folder: the built-in course.
    let o = svelab(&["lessons", "check"], None, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).starts_with("lessons: 12 lesson(s)"),
        "{}",
        text(&o.stdout)
    );
}

const ROSTER: &str = "id,name\nann,Ann Lee\nbob,\"Bob, Jr.\"\ncid,Cid\ndee,Dee\n";

#[test]
fn sheets_submissions_and_grades_for_a_class() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path();
    std::fs::write(p.join("roster.csv"), ROSTER).unwrap();
    let sheets = d(p, "week1");
    let args = [
        "class",
        "sheet",
        "--exercises",
        "1/zcr-len,1/shape-z",
        "--roster",
        &d(p, "roster.csv"),
        "--assignment",
        "week1",
        "--out",
        &sheets,
    ];
    let o = svelab(&args, None, None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let ann = std::fs::read_to_string(p.join("week1/ann.md")).unwrap();
    let ann_seed = assignment_seed("ann", "week1");
    assert!(ann.contains(&format!("SVELAB_SEED={ann_seed:#x}")), "{ann}");
    assert!(ann.contains("ZCR_EL1.LEN"), "{ann}");
    let html = std::fs::read_to_string(p.join("week1/bob.html")).unwrap();
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<code>"),
        "{html}"
    );
    let key = std::fs::read_to_string(p.join("week1/answer-key.md")).unwrap();
    for id in ["ann", "bob", "cid", "dee"] {
        assert!(key.contains(id), "{key}");
    }
    // Deterministic: the same sheets again.
    let o = svelab(&args, None, None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(p.join("week1/ann.md")).unwrap(),
        ann
    );

    // ann works in the REPL with her seed and submits right answers.
    let course = builtin_course();
    let a = Assignment::new(&course, "week1", &["1/zcr-len".into(), "1/shape-z".into()]).unwrap();
    let ap = a.progress("ann");
    let (l, e) = course.exercise("1/zcr-len").unwrap();
    let zcr = ap.instance(l, e);
    let Answer::Predict(v) = &zcr.reference else {
        panic!()
    };
    let (l2, e2) = course.exercise("1/shape-z").unwrap();
    let shape = ap.instance(l2, e2);
    let Answer::Script(s) = &shape.reference else {
        panic!()
    };
    let subs = p.join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    let mut input = format!(
        ":exercise 1/zcr-len\n:check {}\n:exercise 1/shape-z\n",
        v.join(", ")
    );
    input.push_str(s);
    input.push_str(&format!(
        ":check\n:submit {} ann week1\n",
        d(&subs, "ann.json")
    ));
    let o = svelab(&[], Some(&input), Some(ann_seed));
    let out = text(&o.stdout) + &text(&o.stderr);
    assert!(out.contains("wrote"), "{out}");
    // Submitting again replaces the submission, but never another file.
    std::fs::write(subs.join("mine.svl"), "task A\n").unwrap();
    let again = input.replace(&d(&subs, "ann.json"), &d(&subs, "mine.svl"));
    let o = svelab(&[], Some(&again), Some(ann_seed));
    let out = text(&o.stdout) + &text(&o.stderr);
    assert!(out.contains("not overwritten"), "{out}");
    assert_eq!(
        std::fs::read_to_string(subs.join("mine.svl")).unwrap(),
        "task A\n"
    );
    std::fs::remove_file(subs.join("mine.svl")).unwrap();
    let o = svelab(&[], Some(&input), Some(ann_seed));
    assert!((text(&o.stdout) + &text(&o.stderr)).contains("wrote"));
    // The wrong seed is refused with the command to use.
    let o = svelab(
        &[],
        Some(&format!(
            ":exercise 1/zcr-len\n:check 1\n:submit {} ann week1\n",
            d(&subs, "x.json")
        )),
        Some(5),
    );
    let out = text(&o.stdout) + &text(&o.stderr);
    assert!(out.contains(&format!("SVELAB_SEED={ann_seed:#x}")), "{out}");
    assert!(!subs.join("x.json").exists());

    // bob: a wrong prediction, after two tries and a hint (built with the core's API).
    let mut bp = a.progress("bob");
    let binst = bp.instance(l, e);
    let wrong = Answer::Predict(vec!["99".into()]);
    for _ in 0..2 {
        let g = grade(&binst, &wrong);
        bp.record(&binst, &wrong, &g);
    }
    let _ = bp.reveal_hint(&binst);
    let bob = Submission::from_progress(&course, &bp, "bob", &a, "0.1.0");
    std::fs::write(subs.join("bob.json"), bob.to_json()).unwrap();
    // cid hands in nothing. dee hands in bob's file renamed to hers, a file for another
    // assignment, and a file that is not a submission.
    let mut dee = bob.clone();
    dee.student = "dee".into();
    std::fs::write(subs.join("dee.json"), dee.to_json()).unwrap();
    let other = Assignment::new(&course, "week2", &["1/zcr-len".into()]).unwrap();
    let dp: Progress = other.progress("dee");
    let dee2 = Submission::from_progress(&course, &dp, "dee", &other, "0.1.0");
    std::fs::write(subs.join("dee-week2.json"), dee2.to_json()).unwrap();
    std::fs::write(subs.join("notes.txt"), "not a submission").unwrap();
    std::fs::write(
        subs.join("trunc.json"),
        "{\"format\": \"svelab-submission\", ",
    )
    .unwrap();

    let out_dir = d(p, "graded");
    let o = svelab(
        &[
            "class",
            "grade",
            "--roster",
            &d(p, "roster.csv"),
            &subs.display().to_string(),
            "--assignment",
            &d(p, "week1/assignment.json"),
            "--out",
            &out_dir,
        ],
        None,
        None,
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.lines().count(), 4, "one line per bad file: {err}");
    assert!(
        err.contains("dee.json") && err.contains("checksum"),
        "{err}"
    );
    assert!(
        err.contains("dee-week2.json") && err.contains("week2"),
        "{err}"
    );
    assert!(
        err.contains("notes.txt") && err.contains("not JSON"),
        "{err}"
    );
    assert!(err.contains("trunc.json"), "{err}");
    let csv = std::fs::read_to_string(p.join("graded/grades.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "student,name,exercise,result,attempts,hints_used");
    assert!(rows.contains(&"ann,Ann Lee,1/zcr-len,pass,1,0"), "{csv}");
    assert!(rows.contains(&"ann,Ann Lee,1/shape-z,pass,1,0"), "{csv}");
    assert!(
        rows.contains(&"bob,\"Bob, Jr.\",1/zcr-len,fail,2,1"),
        "{csv}"
    );
    assert!(
        rows.contains(&"bob,\"Bob, Jr.\",1/shape-z,missing,0,0"),
        "{csv}"
    );
    assert!(rows.contains(&"cid,Cid,1/zcr-len,missing,0,0"), "{csv}");
    assert!(rows.contains(&"dee,Dee,1/zcr-len,missing,0,0"), "{csv}");
    assert_eq!(rows.len(), 1 + 4 * 2, "{csv}");
    let summary = std::fs::read_to_string(p.join("graded/summary.md")).unwrap();
    assert!(
        summary.contains("## 1/zcr-len\n\n1 passed, 1 failed, 2 missing"),
        "{summary}"
    );
    assert!(summary.contains("1 × `99`"), "{summary}");
    assert!(summary.contains("Files not graded"), "{summary}");

    // A bad roster stops before anything is read.
    std::fs::write(p.join("bad.csv"), "name\nx\n").unwrap();
    let o = svelab(
        &[
            "class",
            "grade",
            "--roster",
            &d(p, "bad.csv"),
            &subs.display().to_string(),
        ],
        None,
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bad.csv:1"), "{}", text(&o.stderr));
}
