//! Every ```svl block of docs/dsl.md parses, runs without step errors and passes its
//! `expect`s.
use svelab_core::dsl::render_diagnostics;
use svelab_core::session::{RunOptions, Session, StopReason};

#[test]
fn every_example_in_the_dsl_docs_runs() {
    let doc = include_str!("../../docs/dsl.md");
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in doc.lines() {
        match (&mut cur, line.trim()) {
            (None, "```svl") => cur = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(b.clone());
                cur = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 12, "found {} examples", blocks.len());
    for b in &blocks {
        let (mut s, d) = Session::from_source(b);
        assert!(d.is_empty(), "{}\n{}", b, render_diagnostics(b, &d));
        let r = s.run(&RunOptions {
            stop_on_expect_failure: true,
            ..RunOptions::default()
        });
        let last = r.last.clone();
        assert_eq!(
            r.stop,
            StopReason::End,
            "example:\n{b}\nstopped at {:?}",
            last.map(|l| (l.text, l.error, l.outcome))
        );
        assert_eq!(r.expect_failures, 0, "{b}");
    }
}
