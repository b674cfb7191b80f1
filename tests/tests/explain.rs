//! The core's explanations (`svelab_core::explain`) cover everything the model can say: every
//! kernel function an event names in any golden script on any kernel has an `:explain` text
//! and an event line, and every function the "who wrote this field" table names is one the
//! texts explain. A new event or writer without words fails here.
use std::path::Path;

use svelab_core::explain::{event_line, lookup, writers, FUNCTIONS, WARNS};
use svelab_core::session::{RunOptions, Session, SessionOptions};
use svelab_core::{Kernel, Rule};

fn explained(f: &str) -> bool {
    FUNCTIONS.iter().any(|(n, _)| *n == f)
}

fn golden_scripts() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut v: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svl"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a golden script");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_event_function_of_every_golden_script_is_explained() {
    let mut functions = std::collections::BTreeSet::new();
    for (name, src) in golden_scripts() {
        for k in Kernel::ALL {
            let mut s = Session::new(SessionOptions {
                kernel: Some(k),
                ..SessionOptions::default()
            });
            s.load(&src);
            let opts = RunOptions {
                budget: 100_000,
                ..RunOptions::default()
            };
            s.run_with(&opts, &mut |r| {
                for e in &r.events {
                    let f = e.event.function();
                    assert!(
                        explained(f),
                        "{name} on {}: `{}` runs {f}, which `:explain` does not know",
                        k.name(),
                        r.text
                    );
                    let line = event_line(&e.event);
                    assert!(!line.is_empty() && !line.contains('\n'), "{f}: {line:?}");
                    functions.insert(f.to_string());
                }
            });
        }
    }
    // The scripts reach the kernel's whole FP story, not a corner of it.
    assert!(
        functions.len() >= 40,
        "only {} functions ran: {functions:?}",
        functions.len()
    );
}

#[test]
fn every_writer_and_warn_site_is_explained() {
    let paths = [
        "A.TIF_SVE",
        "A.TIF_FOREIGN_FPSTATE",
        "cpu0.CPACR_EL1.ZEN_EL0EN",
        "cpu0.ZCR_EL1.LEN",
        "A.vl",
        "A.vl_onexec",
        "A.fp_type",
        "A.fpsimd_cpu",
        "cpu0.last.st",
        "cpu0.last.to_save",
        "A.sve_state",
        "A.in_syscall",
        "A.frames",
        "A.curr",
        "A.z0",
    ];
    for p in paths {
        assert!(!writers(p).is_empty(), "{p}");
        for f in writers(p) {
            assert!(explained(f), "{p}: writer {f} has no text");
        }
    }
    for w in WARNS {
        assert!(explained(w.function()), "WARN in {}", w.function());
    }
    for r in Rule::ALL {
        assert!(
            lookup(r.code()).iter().any(|e| e.kind == "invariant"),
            "{}",
            r.code()
        );
    }
}
