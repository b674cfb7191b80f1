//! Golden transcripts: every `tests/golden/*.svl` runs on every kernel; kernels giving the
//! same transcript are grouped; the result must equal `*.out`. `UPDATE_GOLDEN=1`
//! regenerates the `.out` files (the bless step: review the diff before committing).
//!
//! Every `expect` that fails on some kernel must say so on its line: `# fails: WHY` for the
//! script's own kernel (its `kernel` statement, or the default), `# fails on K1 K2 …: WHY`
//! for a list of kernels; a declaration that does not hold (the expect passes there) fails
//! too. A transcript can then never record a failure the script does not declare.
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

/// Lines (1-based) whose `expect` failed when `src` ran on `kernel` (`None`: its own), and
/// the kernel it ran on.
fn failing_expect_lines(src: &str, kernel: Option<Kernel>) -> (Vec<u32>, Kernel) {
    let mut s = Session::new(SessionOptions {
        kernel,
        ..SessionOptions::default()
    });
    s.load(src);
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
    (lines, s.machine().kernel())
}

/// The declared failures: line (1-based) → the kernels it fails on. `# fails: WHY` names
/// the script's own kernel, `# fails on K1 K2 …: WHY` names kernels.
fn declared_failures(src: &str, own: Kernel) -> Result<Vec<(u32, Vec<Kernel>)>, String> {
    let mut out = Vec::new();
    for (l, n) in src.lines().zip(1u32..) {
        let Some((_, decl)) = l.split_once("# fails") else {
            continue;
        };
        let Some((kernels, _why)) = decl.split_once(':') else {
            return Err(format!(
                "line {n}: write `# fails: WHY` or `# fails on KERNEL …: WHY`"
            ));
        };
        let ks = match kernels.trim().strip_prefix("on ") {
            None if kernels.trim().is_empty() => vec![own],
            None => return Err(format!("line {n}: write `# fails on KERNEL …: WHY`")),
            Some(list) => list
                .split_whitespace()
                .map(|k| Kernel::parse(k).map_err(|e| format!("line {n}: {e}")))
                .collect::<Result<_, _>>()?,
        };
        out.push((n, ks));
    }
    Ok(out)
}

/// Every `expect` that fails on a kernel, undeclared, and every declaration that does not
/// hold: a transcript records no failure the script does not declare.
fn undeclared_failures(src: &str) -> Vec<String> {
    let (_, own) = failing_expect_lines(src, None);
    let declared = match declared_failures(src, own) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    let mut out = Vec::new();
    for k in Kernel::ALL {
        let (failing, _) = failing_expect_lines(src, Some(k));
        let says = |l: u32| declared.iter().any(|(n, ks)| *n == l && ks.contains(&k));
        for l in &failing {
            if !says(*l) {
                out.push(format!("line {l}: the expect fails on {k}, undeclared (fix it, or add `# fails on {k}: WHY`)"));
            }
        }
        for (l, ks) in &declared {
            if ks.contains(&k) && !failing.contains(l) {
                out.push(format!(
                    "line {l}: declared to fail on {k}, but it passes there"
                ));
            }
        }
    }
    out
}

#[test]
fn the_declaration_check_catches_undeclared_and_stale_failures() {
    let wrong = "kernel v6.2\ntask A vl=256 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 0\n";
    // Fails on every kernel, declared on none.
    assert_eq!(undeclared_failures(wrong).len(), Kernel::ALL.len());
    let own = "kernel v6.2\ntask A vl=256 on=cpu0\nsve-op A\nsvc A getpid\nexpect cpu0.CPACR_EL1.ZEN_EL0EN == 0 # fails: patch 6 keeps SVE enabled\n";
    // Declared for v6.2 only: the other kernels that keep SVE enabled are reported.
    let p = undeclared_failures(own);
    assert!(
        !p.is_empty()
            && p.iter()
                .all(|m| !m.contains("v6.2,") && !m.contains("on v6.2 ")),
        "{p:?}"
    );
    let listed = "kernel v6.2\ntask A vl=256 on=cpu0\nsve-op A\nsvc A getpid\nexpect cpu0.CPACR_EL1.ZEN_EL0EN == 0 # fails on series-v1/p6 series-v1/p7 v6.2 v6.12: patch 6 keeps SVE enabled\n";
    assert!(
        undeclared_failures(listed).is_empty(),
        "{:?}",
        undeclared_failures(listed)
    );
    let stale =
        "task A vl=256 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 1 # fails on v6.2: no longer\n";
    assert_eq!(undeclared_failures(stale).len(), 1);
    assert_eq!(
        undeclared_failures("expect A.x == 1 # fails on v9: x\n").len(),
        1
    );
}

#[test]
fn golden_scripts_declare_every_failing_expect() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut problems = Vec::new();
    for e in std::fs::read_dir(&dir).expect("tests/golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "svl") {
            let src = std::fs::read_to_string(&p).expect("read");
            for m in undeclared_failures(&src) {
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
