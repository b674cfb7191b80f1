//! Golden transcripts: every `tests/golden/*.svl` runs on every kernel; kernels giving the
//! same transcript are grouped; the result must equal `*.out`. `UPDATE_GOLDEN=1`
//! regenerates the `.out` files (the bless step: review the diff before committing).
//!
//! On its own kernel (its `kernel` statement, or the default) a script's `expect`s must
//! pass, except on lines that declare the failure with a `# fails: WHY` comment; a
//! declaration on an `expect` that passes is stale and fails too. A transcript can then
//! never record a failure nobody meant.
use std::path::PathBuf;
use svelab_core::dsl::render_diagnostics;
use svelab_core::session::{render_report, RunOptions, Session, SessionOptions, StepOutcome};
use svelab_core::Kernel;

fn run_on(src: &str, k: Kernel) -> String {
    let mut s = Session::new(SessionOptions {
        kernel: Some(k),
        ..SessionOptions::default()
    });
    let d = s.load(src);
    let mut out = render_diagnostics(src, &d);
    let opts = RunOptions {
        budget: 100_000,
        ..RunOptions::default()
    };
    let r = s.run_with(&opts, &mut |r| out.push_str(&render_report(r)));
    out.push_str(&format!(
        "-- stopped: {:?}, {} failed expects\n",
        r.stop, r.expect_failures
    ));
    out
}

fn transcript(src: &str) -> String {
    let mut groups: Vec<(Vec<String>, String)> = Vec::new();
    for k in Kernel::ALL {
        let t = run_on(src, k);
        match groups.iter_mut().find(|(_, g)| *g == t) {
            Some((ks, _)) => ks.push(k.name()),
            None => groups.push((vec![k.name()], t)),
        }
    }
    groups
        .into_iter()
        .map(|(ks, t)| format!("=== {} ===\n{t}", ks.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lines (1-based) whose `expect` failed when `src` ran on its own kernel.
fn failing_expect_lines(src: &str) -> Vec<u32> {
    let (mut s, _) = Session::from_source(src);
    let opts = RunOptions {
        budget: 100_000,
        ..RunOptions::default()
    };
    let mut lines = Vec::new();
    s.run_with(&opts, &mut |r| {
        if matches!(&r.outcome, StepOutcome::Expect(c) if !c.passed) && !lines.contains(&r.line) {
            lines.push(r.line);
        }
    });
    lines
}

/// Lines (1-based) that declare a failing `expect` with `# fails:`.
fn declared_failures(src: &str) -> Vec<u32> {
    src.lines()
        .zip(1u32..)
        .filter(|(l, _)| l.contains("# fails:"))
        .map(|(_, n)| n)
        .collect()
}

/// What is wrong with `src`'s expects on its own kernel, if anything.
fn own_kernel_problems(src: &str) -> Vec<String> {
    let failing = failing_expect_lines(src);
    let declared = declared_failures(src);
    let mut out: Vec<String> = failing
        .iter()
        .filter(|l| !declared.contains(l))
        .map(|l| format!("line {l}: the expect fails on the script's own kernel (fix it, or declare it with `# fails: WHY`)"))
        .collect();
    out.extend(
        declared.iter().filter(|l| !failing.contains(l)).map(|l| {
            format!("line {l}: declared `# fails:` but it passes (remove the declaration)")
        }),
    );
    out
}

#[test]
fn the_own_kernel_check_catches_undeclared_and_stale_failures() {
    let wrong = "task A vl=256 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 0\n";
    assert_eq!(own_kernel_problems(wrong).len(), 1);
    let declared =
        "task A vl=256 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 0 # fails: the trap sets it\n";
    assert!(own_kernel_problems(declared).is_empty());
    let stale = "task A vl=256 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 1 # fails: no longer\n";
    assert_eq!(own_kernel_problems(stale).len(), 1);
}

#[test]
fn golden_scripts_pass_their_own_expects() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut problems = Vec::new();
    for e in std::fs::read_dir(&dir).expect("tests/golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "svl") {
            let src = std::fs::read_to_string(&p).expect("read");
            for m in own_kernel_problems(&src) {
                problems.push(format!("{}: {m}", p.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn golden_transcripts() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svl"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    let mut failures = Vec::new();
    for p in entries {
        let src = std::fs::read_to_string(&p).expect("read");
        let got = transcript(&src);
        let out = p.with_extension("out");
        if update {
            std::fs::write(&out, &got).expect("write");
            continue;
        }
        let want = std::fs::read_to_string(&out).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "{}: transcript differs (UPDATE_GOLDEN=1 to regenerate)",
                p.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
