//! `svelab run` and the command line, through the real binary: each exit code, JSON,
//! standard input, `--kernel`, `--help` and `--version`; `svelab check` and `svelab lessons`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn svelab(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_svelab"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("SVELAB_HISTORY", "")
        .env("SVELAB_PROGRESS", "")
        .env_remove("SVELAB_SEED")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run svelab");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("wait for svelab")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn script(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).expect("write script");
    p.to_string_lossy().into_owned()
}

const PASSING: &str = "\
task A vl=512 on=cpu0
sve-op A z0=fill(0xaa)
expect A.TIF_SVE == 1
svc A getpid
expect A.z0[127:0] == fill(0xaa)
";

/// Holds on v6.2 (patch 6 keeps TIF_SVE across a syscall), fails on v5.19.
const KERNEL_DEPENDENT: &str = "\
task A vl=512 on=cpu0
sve-op A z0=1
svc A getpid
expect A.TIF_SVE == 1
";

#[test]
fn exit_0_when_every_expect_holds() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "ok.svl", PASSING);
    let o = svelab(&["run", &f], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.starts_with("[0] 1:task A vl=512 on=cpu0\n"), "{out}");
    assert!(out.contains("do_sve_acc: SVE access trap"), "{out}");
    assert!(out.contains("= ok (actual 1, expected == 1)"), "{out}");
    assert!(!out.contains('\x1b'), "no colour in a pipe: {out:?}");
    assert!(text(&o.stderr).contains("all 2 expects hold"));
}

#[test]
fn exit_1_names_the_failed_expect_where_and_the_actual_value() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "k.svl", KERNEL_DEPENDENT);
    let o = svelab(&["run", &f, "--kernel", "v5.19"], None);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("expect failed: actual 0, expected == 1"),
        "{err}"
    );
    assert!(err.contains(&format!("--> {f}:4:1")), "{err}");
    assert!(err.contains("4 | expect A.TIF_SVE == 1"), "{err}");
    assert!(err.contains("1 of 1 expects failed"), "{err}");
    assert!(text(&o.stdout).contains("= FAILED (actual 0, expected == 1)"));
    // The same script holds on v6.2.
    let o = svelab(&["run", &f, "--kernel", "v6.2"], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn exit_2_on_parse_errors_before_anything_runs() {
    let d = tempfile::tempdir().unwrap();
    let good = script(&d, "good.svl", PASSING);
    let bad = script(
        &d,
        "bad.svl",
        "task A on=cpu0\nsve-op A z32=1\nfrobnicate\n",
    );
    let o = svelab(&["run", &good, &bad], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stdout).is_empty(),
        "nothing ran: {}",
        text(&o.stdout)
    );
    let err = text(&o.stderr);
    assert!(err.contains("unknown register z32"), "{err}");
    assert!(err.contains(&format!("--> {bad}:2:10")), "{err}");
    assert!(err.contains("^^^"), "{err}");
    assert!(err.contains("2 parse errors; nothing was run"), "{err}");
}

#[test]
fn exit_2_on_a_step_error() {
    let d = tempfile::tempdir().unwrap();
    let f = script(
        &d,
        "step.svl",
        "task A on=cpu0\nsve-op B z0=1\nexpect A.traps == 0\n",
    );
    let o = svelab(&["run", &f], None);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("unknown task"), "{err}");
    assert!(err.contains(&format!("{f}:2:")), "{err}");
    assert!(err.contains("could not run to the end"), "{err}");
}

#[test]
fn exit_2_on_usage_errors_and_unreadable_files() {
    for args in [
        vec!["run"],
        vec!["run", "x.svl", "--kernel", "v9.9"],
        vec!["--bogus"],
        vec!["frobnicate"],
    ] {
        let o = svelab(&args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(!text(&o.stderr).is_empty());
    }
    let o = svelab(&["run", "/nonexistent/x.svl"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read `/nonexistent/x.svl`"));
    let o = svelab(&["run", "x.svl", "--kernel", "v9.9"], None);
    assert!(text(&o.stderr).contains("unknown kernel `v9.9`"));
}

#[test]
fn scripts_come_from_stdin_with_a_dash() {
    let o = svelab(&["run", "-"], Some(PASSING));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("[4] 5:expect A.z0[127:0] == fill(0xaa)"));
    let o = svelab(&["run", "-"], Some("task A on=cpu0\nexpect A.traps == 5\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--> <stdin>:2:1"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn json_is_one_document_with_every_step() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "k.svl", KERNEL_DEPENDENT);
    let o = svelab(&["run", &f, "--json", "--kernel", "v5.19"], None);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["format"], "svelab-run");
    assert_eq!(v["exit"], 1);
    let file = &v["files"][0];
    assert_eq!(file["steps"], 4);
    assert_eq!(file["failures"][0]["line"], 4);
    assert_eq!(file["failures"][0]["actual"], "0");
    assert_eq!(file["trace"]["format"], "svelab-trace");
    assert_eq!(file["trace"]["data"]["kernel"], "v5.19");
    assert_eq!(
        file["trace"]["data"]["reports"].as_array().map(Vec::len),
        Some(4)
    );

    let bad = script(&d, "bad.svl", "sve-op A z32=1\n");
    let o = svelab(&["run", &bad, "--json"], None);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["files"][0]["diagnostics"][0]["line"], 1);
}

#[test]
fn quiet_prints_only_the_summary_and_failures() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "k.svl", KERNEL_DEPENDENT);
    let o = svelab(&["run", "-q", &f], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).is_empty());
    assert!(text(&o.stderr).contains("expect failed"));
}

#[test]
fn help_and_version_as_users_expect() {
    let o = svelab(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let h = text(&o.stdout);
    for want in [
        "Usage: svelab",
        "run",
        "--kernel",
        "--color",
        "Examples:",
        "svelab run -",
    ] {
        assert!(h.contains(want), "--help lacks {want:?}:\n{h}");
    }
    let o = svelab(&["run", "--help"], None);
    assert_eq!(o.status.code(), Some(0));
    let h = text(&o.stdout);
    assert!(h.contains("Exit status:") && h.contains("--json"), "{h}");
    let o = svelab(&["--version"], None);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        text(&o.stdout).trim(),
        format!("svelab {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_repl_reads_piped_input_too() {
    // Without a terminal the REPL still works line by line (no editing, no colour).
    let o = svelab(&[], Some("task A on=cpu0\nsve-op A z0=1\n:why A.TIF_SVE\n"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("do_sve_acc"), "{out}");
    assert!(out.contains("in do_sve_acc"), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn explore_reports_findings_with_exit_1_and_saves_replayable_scripts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("found");
    let o = svelab(
        &[
            "explore",
            "--kernel",
            "v6.2",
            "--depth",
            "3",
            "--out",
            &out.to_string_lossy(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("kvm-sve-untrapped-after-guest-exit"),
        "{stdout}"
    );
    // A share link that opens the same script in the playground.
    let link = stdout
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("playground: http://127.0.0.1:8000/#v=2&")
        })
        .expect("a share link");
    let fragment = link.split_once('#').expect("a fragment").1;
    let shared = svelab_core::share::decode(fragment)
        .expect("decodes")
        .expect("a link");
    assert!(shared.script.contains("kvm-enter"), "{}", shared.script);
    let saved = out.join("kvm-sve-untrapped-after-guest-exit.svl");
    assert!(saved.exists(), "{stdout}");
    // `svelab run` reproduces it: its final `expect no-violations` fails (exit 1).
    let r = svelab(&["run", &saved.to_string_lossy()], None);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r.stdout));
    assert!(text(&r.stdout).contains("B1"), "{}", text(&r.stdout));
}

#[test]
fn explore_exits_0_when_nothing_is_found_and_2_on_bad_usage() {
    // (With ptrace, depth 3 already finds v5.19's partial NT_ARM_SVE write bug.)
    let o = svelab(
        &[
            "explore",
            "--kernel",
            "v5.19",
            "--depth",
            "3",
            "--ops",
            "user,syscall,sched,signal,neon,prctl,kvm",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("no violation found"));
    let o = svelab(&["explore", "--ops", "user,bogus"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bogus"));
    let o = svelab(&["explore", "--cpus", "9"], None);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------
// `svelab check` and `svelab lessons`: answers written from the core's own instance of the
// exercise (its reference and wrong answers), for the seed given with --seed.

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

/// Runs the REPL with `input` on standard input (no terminal); its output and status.
fn repl_with_input(input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["--color", "never"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The REPL survives a step that fails inside a `repeat` (it used to panic and lose the
/// session) and keeps going with the next statement.
#[test]
fn the_repl_survives_a_failed_step_inside_repeat() {
    let out =
        repl_with_input("task A vl=512 on=cpu0\nrepeat 2 { svc B getpid }\nshow A.vl\n:quit\n");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.contains("unknown task B"), "{all}");
    assert!(all.contains("A.vl = 512"), "{all}");
    assert!(out.status.success(), "{all}");
}

/// `:why` on a counter names the kernel function that counts it: a trap is counted by
/// `do_sve_acc`, a bind by `fpsimd_bind_task_to_cpu`.
#[test]
fn why_names_the_function_that_counts_a_counter() {
    let out = repl_with_input(
        "task A vl=512 on=cpu0\nsve-op A z0=1\n:why A.traps\n:why A.binds\n:quit\n",
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let after = |what: &str| -> String {
        let i = text
            .find(what)
            .unwrap_or_else(|| panic!("{what} in {text}"));
        text[i..].lines().take(4).collect::<Vec<_>>().join("\n")
    };
    assert!(
        after("A.traps = 1").contains("in do_sve_acc"),
        "{}",
        after("A.traps = 1")
    );
    assert!(
        after("A.binds = 2").contains("in fpsimd_bind_task_to_cpu"),
        "{}",
        after("A.binds = 2")
    );
}

/// `show` and `expect` typed while stepping through a loaded script read the state there
/// and keep the rest of the program (they used to drop it, as a new step does).
#[test]
fn read_only_statements_do_not_cut_a_loaded_script() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("four.svl");
    std::fs::write(
        &f,
        "task A vl=512 on=cpu0\nsve-op A z0=1\nsvc A getpid\nsve-op A z0=2\n",
    )
    .unwrap();
    let out = repl_with_input(&format!(
        ":load {}\n:goto 2\nshow A.traps\nexpect A.traps == 1\n:list\n:quit\n",
        f.display()
    ));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("A.traps = 1"), "{text}");
    assert!(text.contains("expect A.traps == 1: true"), "{text}");
    assert!(
        text.contains("4 │ sve-op A z0=2"),
        "the rest of the script is kept:\n{text}"
    );
    assert!(!text.contains("dropped"), "{text}");
}

/// Runs the REPL on `input` with no history and no progress file; standard output.
fn repl_output(input: &str) -> String {
    let o = svelab(&["--color", "never"], Some(input));
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// The output from the first line containing `from` on.
fn from<'a>(out: &'a str, from: &str) -> &'a str {
    let i = out
        .find(from)
        .unwrap_or_else(|| panic!("`{from}` in:\n{out}"));
    &out[i..]
}

const BUSY: &str = "task A vl=512 on=cpu0\nrepeat 20 { sve-op A z0=1\nsvc A getpid }\n";

/// After `:load`, `:lesson … run` and `:exercise load`, the run summary and the list of
/// changes count from a fresh start: the output is the same whatever ran before (they
/// used to be differences with the previous program).
#[test]
fn a_loaded_program_is_compared_with_a_fresh_start() {
    let keep = "lessons/05-patch6-keep-sve/keep.svl";
    let path = format!("{}/../{keep}", env!("CARGO_MANIFEST_DIR"));
    for (cmd, mark) in [
        (format!(":load {path}\n"), "loaded"),
        (":lesson 5 run keep\n".to_string(), "loaded"),
        (":exercise 1/1 load\n".to_string(), "loaded"),
    ] {
        let fresh = repl_output(&format!("{cmd}:quit\n"));
        let busy = repl_output(&format!("{BUSY}{cmd}:quit\n"));
        assert_eq!(from(&busy, mark), from(&fresh, mark), "{cmd}");
        let words = from(&busy, mark).split_whitespace().collect::<Vec<_>>();
        assert!(words.join(" ").contains("a new program"), "{cmd}: {busy}");
    }
}

/// `:kernel NAME` reruns the session on NAME and reports the expects that fail there (it
/// used to rerun silently); an expect that holds again is reported as holding.
#[test]
fn switching_the_kernel_reports_failed_expects() {
    let out = repl_output(&format!(
        "{KERNEL_DEPENDENT}:kernel v6.2\n:kernel v5.19\n:quit\n"
    ));
    let on_62 = from(&out, "kernel v6.2 (");
    let on_62 = &on_62[..on_62.find("kernel v5.19 (").unwrap_or(on_62.len())];
    assert!(on_62.contains("every expect holds"), "{on_62}");
    let on_519 = from(&out, "kernel v5.19 (");
    assert!(on_519.contains("1 expect fails on v5.19"), "{on_519}");
    assert!(on_519.contains("[3] expect A.TIF_SVE == 1"), "{on_519}");
    assert!(on_519.contains("actual 0, expected == 1"), "{on_519}");
}

const FIVE: &str = "\
task A vl=512 on=cpu0
sve-op A z0=1
svc A getpid
sve-op A z0=2
svc A getpid
expect A.traps == 2
";

/// `:break line N`, `:break when COND` and `:watch PATH` stop `:load` and `:run` where
/// gdb users expect; `:break` lists them, `:delete` removes them.
#[test]
fn breakpoints_and_watches_stop_runs() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "five.svl", FIVE);
    let out = repl_output(&format!(
        ":break line 4\n:load {f}\n:run\n:delete 1\n:break when A.traps == 2\n:watch A.TIF_SVE\n\
         :break\n:goto 0\n:run\n:run\n:run\n:delete all\n:run\n:delete 7\n:quit\n"
    ));
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    // The line breakpoint stops the load before line 4; `:run` leaves it and ends.
    let load = from(&flat, "loaded ");
    let stop = load
        .find("stopped at breakpoint 1 · before line 4")
        .unwrap();
    assert!(!load[..stop].contains("[3] sve-op A z0=2"), "{load}");
    assert!(
        load[stop..].contains("next: line 4 `sve-op A z0=2`"),
        "{load}"
    );
    assert!(load[stop..].contains("[3] sve-op A z0=2"), "{load}");
    // The list.
    assert!(
        flat.contains("breakpoint 2 · when A.traps == 2 watch 3 · A.TIF_SVE = 0"),
        "{flat}"
    );
    // From step 0: the watch sees A created (none → 0), then TIF_SVE 0 → 1 at the trap.
    let again = from(&flat, "⟲ at step 0");
    let w1 = again
        .find("stopped by watch 3: A.TIF_SVE (none) → 0 in [0]")
        .unwrap();
    let w2 = again
        .find("stopped by watch 3: A.TIF_SVE 0 → 1 in [1] `sve-op A z0=1`")
        .unwrap();
    let w3 = again
        .find("stopped by watch 3: A.TIF_SVE 1 → 0 in [2] `svc A getpid`")
        .unwrap();
    assert!(w1 < w2 && w2 < w3, "{again}");
    assert!(from(again, "removed 2 breakpoints and watches").contains("[5] expect A.traps == 2"));
    assert!(flat.contains("there is no breakpoint or watch 7"), "{flat}");
    // A breakpoint on line 1 stops a load before anything runs; `:run` goes on.
    let out = repl_output(&format!(":break 1\n:load {f}\n:run\n:quit\n"));
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let load = from(&flat, "loaded ");
    let stop = load
        .find("stopped at breakpoint 1 · before line 1")
        .unwrap();
    assert!(!load[..stop].contains("[0] task A"), "{load}");
    assert!(load[stop..].contains("[5] expect A.traps == 2"), "{load}");
}

/// A condition breakpoint stops after the step that makes it true, also while typing.
#[test]
fn a_condition_breakpoint_stops_typed_statements() {
    let out = repl_output(&format!(
        ":break when A.traps == 2\n{}:list\n:run\n:quit\n",
        FIVE.replace('\n', "; ").trim_end_matches("; ").to_owned() + "\n"
    ));
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "stopped at breakpoint 1 · when A.traps == 2, true after [3] `sve-op A z0=2`"
        ),
        "{flat}"
    );
    let stop = from(&flat, "stopped at breakpoint 1");
    assert!(stop.contains("[5] expect A.traps == 2"), "{stop}");
    // Bad conditions and paths are refused with a diagnostic.
    let out = repl_output(":break when A.TIF_SVE =! 1\n:watch A..x\n:break\n:quit\n");
    assert!(
        out.contains("no breakpoint set") && out.contains("no watch set"),
        "{out}"
    );
    assert!(out.contains("no breakpoints or watches"), "{out}");
}

/// `svelab watch FILE` runs the script, then again each time it is saved, until Ctrl-C.
#[test]
fn watch_reruns_the_script_when_it_is_saved_until_ctrl_c() {
    use std::io::BufRead;
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "w.svl", PASSING);
    let mut child = Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["watch", &f, "--poll-ms", "20", "--color", "never"])
        .env("SVELAB_PROGRESS", "")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout).lines() {
            if tx.send(l.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let wait_for = |what: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(100)) {
                let done = l.contains(what);
                seen.push(l);
                if done {
                    return seen;
                }
            }
        }
        panic!("no `{what}` in {seen:?}");
    };
    let first = wait_for("save it to run again");
    assert!(first.iter().any(|l| l.contains("(run 1)")), "{first:?}");
    assert!(
        first.iter().any(|l| l.contains("= ok (actual 1")),
        "{first:?}"
    );
    std::fs::write(&f, KERNEL_DEPENDENT).unwrap();
    let second = wait_for("save it to run again");
    assert!(second.iter().any(|l| l.contains("(run 2)")), "{second:?}");
    assert!(second.iter().any(|l| l.contains("= FAILED")), "{second:?}");
    // Ctrl-C ends it.
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status:?}");
}

/// With --max-runs, the status is the last run's; a missing file is waited for.
#[test]
fn watch_grades_an_exercise_and_reports_a_missing_file() {
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "x.svl", "task A on=cpu0\n");
    let o = svelab(
        &[
            "watch",
            &f,
            "--exercise",
            "1/shape-z",
            "--max-runs",
            "1",
            "--poll-ms",
            "10",
        ],
        None,
    );
    let out = text(&o.stdout);
    assert!(out.contains("as exercise 1/shape-z (run 1)"), "{out}");
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    let missing = d.path().join("later.svl");
    let m = missing.to_string_lossy().into_owned();
    let child = Command::new(env!("CARGO_BIN_EXE_svelab"))
        .args(["watch", &m, "--max-runs", "1", "--poll-ms", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(&missing, PASSING).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        text(&o.stderr).contains("waiting for it"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
