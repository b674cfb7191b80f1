//! The REPL on piped input (no terminal) and `svelab watch`, through the real binary: what
//! a user typing or piping statements relies on — surviving failed steps, `:why`,
//! read-only statements, loads, `:kernel`, breakpoints and watches.

mod common;
use common::*;
use std::process::{Command, Stdio};

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

/// `svelab watch FILE` runs the script, then again each time it is saved, until Ctrl-C —
/// also when it was started with SIGINT ignored, as a non-interactive shell starts a
/// background job (it used to run on, and this test to hang in `wait`).
#[test]
fn watch_reruns_the_script_when_it_is_saved_until_ctrl_c() {
    use std::io::BufRead;
    let d = tempfile::tempdir().unwrap();
    let f = script(&d, "w.svl", PASSING);
    let mut child = Command::new("sh")
        .args([
            "-c",
            "trap '' INT; exec \"$0\" watch \"$1\" --poll-ms 20 --color never",
            env!("CARGO_BIN_EXE_svelab"),
            &f,
        ])
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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("svelab watch did not stop on SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130), "{status:?}");
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
