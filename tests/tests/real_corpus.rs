//! The real-kernel corpus (`tests/real/scenarios/`) on the model alone: every scenario
//! translates into a real program for both mapped kernels, and every `expect` in it (an
//! ABI promise) holds on the model. `cargo xtask real` then checks the predictions on the
//! real kernels; these tests keep the corpus honest without booting anything.

use std::path::PathBuf;
use svelab_core::dsl::diag::render_all;
use svelab_core::model::kernel::Kernel;
use svelab_core::real::translate;
use svelab_core::session::{RunOptions, Session, SessionOptions, StopReason};

/// The model kernels the pinned real kernels are compared with (6.1 ↔ v6.1, 6.12 ↔ v6.12).
const MAPPED: [Kernel; 2] = [Kernel::V6_1, Kernel::V6_12];

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("real/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svl"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            (name, text)
        })
        .collect()
}

#[test]
fn the_corpus_has_at_least_40_scenarios_with_a_comment_saying_what_each_shows() {
    let c = corpus();
    assert!(c.len() >= 40, "only {} scenarios", c.len());
    for (name, text) in &c {
        assert!(
            text.starts_with("# "),
            "{name}: a scenario starts with a comment saying what it shows"
        );
    }
}

#[test]
fn every_scenario_translates_for_both_mapped_kernels_and_observes_something() {
    for (name, text) in corpus() {
        for k in MAPPED {
            match translate(&name, &text, k) {
                Ok(t) => {
                    assert!(
                        !t.observations.is_empty(),
                        "{name} on {k:?}: observes nothing"
                    );
                    assert!(!t.program.steps.is_empty(), "{name} on {k:?}: no steps");
                }
                Err(d) => panic!(
                    "{name} on {k:?} does not translate:\n{}",
                    render_all(&text, &d)
                ),
            }
        }
    }
}

#[test]
fn every_expect_in_the_corpus_holds_on_the_mapped_kernels() {
    for (name, text) in corpus() {
        for k in MAPPED {
            let mut s = Session::new(SessionOptions {
                kernel: Some(k),
                ..SessionOptions::default()
            });
            assert!(s.load(&text).is_empty(), "{name}: does not load");
            let expects = text
                .lines()
                .filter(|l| l.trim_start().starts_with("expect "))
                .count();
            let sum = s.run(&RunOptions {
                budget: u64::MAX,
                ..RunOptions::default()
            });
            assert_eq!(sum.stop, StopReason::End, "{name} on {k:?}: {:?}", sum.last);
            assert_eq!(
                sum.expect_failures, 0,
                "{name} on {k:?}: {} of {expects} expects fail on the model",
                sum.expect_failures
            );
        }
    }
}

/// The headline on the mapped kernels: 6.1 traps at every SVE instruction after a syscall,
/// 6.12 once. (The real kernels' counts are checked by `cargo xtask real`.)
#[test]
fn the_getpid_loop_predicts_one_trap_per_iteration_on_6_1_and_one_on_6_12() {
    let text = corpus()
        .into_iter()
        .find(|(n, _)| n == "01_getpid_loop")
        .expect("01_getpid_loop")
        .1;
    let count = |k: Kernel| {
        let t = translate("01", &text, k).unwrap();
        t.observations
            .iter()
            .find(|o| o.text == "show A.traps")
            .map(|o| o.predicted.clone())
            .unwrap()
    };
    assert_eq!(count(Kernel::V6_1).to_string(), "1000");
    assert_eq!(count(Kernel::V6_12).to_string(), "1");
}
