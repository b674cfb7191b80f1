//! Golden transcripts: every `tests/golden/*.svl` runs on every kernel; kernels giving the
//! same transcript are grouped; the result must equal `*.out`. `UPDATE_GOLDEN=1`
//! regenerates the `.out` files (review the diff before committing).
use std::path::PathBuf;
use svelab_core::dsl::render_diagnostics;
use svelab_core::session::{render_report, RunOptions, Session, SessionOptions};
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
