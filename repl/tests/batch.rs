//! `svelab run` and the command line, through the real binary: each exit code, JSON,
//! standard input, `--kernel`, `--help` and `--version`; `svelab explore`'s exit codes and
//! saved scripts. `svelab check`/`lessons`/`real` are in `check_cli.rs`, the REPL on piped
//! input in `repl_piped.rs`.

mod common;
use common::*;

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
