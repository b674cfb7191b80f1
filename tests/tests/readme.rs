//! The README's first script does what the README says, on v5.19 and on v6.2.
use svelab_core::model::kernel::Kernel;
use svelab_core::session::{RunOptions, Session, SessionOptions};

fn readme_script() -> String {
    let readme = include_str!("../../README.md");
    let start = readme.find("```svl\n").expect("an svl block") + 7;
    let end = start + readme[start..].find("```").expect("closed");
    readme[start..end].to_string()
}

#[test]
fn the_first_script_passes_on_v5_19_and_traps_once_on_v6_2() {
    let src = readme_script();
    let (mut s, d) = Session::from_source(&src);
    assert!(d.is_empty(), "{d:?}");
    let r = s.run(&RunOptions::default());
    assert_eq!(r.expect_failures, 0, "the README's expects hold on v5.19");
    let mut s = Session::new(SessionOptions {
        kernel: Some(Kernel::V6_2),
        ..SessionOptions::default()
    });
    assert!(s.load(&src).is_empty());
    s.run(&RunOptions::default());
    assert_eq!(
        s.eval("A.traps").unwrap(),
        "1",
        "\"A.traps drops to 1\" on v6.2"
    );
}

/// The headline's real columns say what `cargo xtask real` measures in scenario 01, and
/// that run fails unless the real counts equal these predictions for `v6.1` and `v6.12`.
#[test]
fn the_headline_real_columns_are_the_predictions_checked_on_real_kernels() {
    let readme = include_str!("../../README.md");
    let header = readme
        .lines()
        .find(|l| l.starts_with("| | v5.19"))
        .expect("the headline table");
    let cols: Vec<&str> = header.split('|').map(str::trim).collect();
    let col = |name: &str| cols.iter().position(|c| *c == name).expect(name);
    let row = |name: &str| -> Vec<String> {
        let l = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .expect(name);
        l.split('|').map(|c| c.trim().to_string()).collect()
    };
    let src = include_str!("../real/scenarios/01_getpid_loop.svl");
    for (kernel, column) in [
        (Kernel::V6_1, "real 6.1.192"),
        (Kernel::V6_12, "real 6.12.118"),
    ] {
        let t = svelab_core::real::translate("01", src, kernel).expect("translates");
        let predicted = |text: &str| {
            t.observations
                .iter()
                .find(|o| o.text == text)
                .map(|o| o.predicted.to_string())
                .expect(text)
        };
        let traps = predicted("show A.traps");
        let allocs = predicted("show A.sve_alloc_calls");
        let c = col(column);
        let per_iter = |n: &str| if n == "1000" { "1" } else { "0" };
        assert_eq!(
            row("SVE access traps")[c],
            format!("{} ({traps} in 1000)", per_iter(&traps)),
            "{column}"
        );
        let calls = if allocs == "1" { "call" } else { "calls" };
        assert_eq!(
            row("`sve_alloc()` memsets")[c],
            format!("{} ({allocs} {calls})", per_iter(&allocs)),
            "{column}"
        );
    }
}

/// "`cargo run --release`" (the README's first command) builds the REPL alone: the binary's
/// package is the workspace's only default member.
#[test]
fn cargo_run_builds_only_the_repl() {
    let manifest = include_str!("../../Cargo.toml");
    let line = manifest
        .lines()
        .find(|l| l.trim_start().starts_with("default-members"))
        .expect("default-members in Cargo.toml");
    assert_eq!(line.trim(), r#"default-members = ["repl"]"#);
    assert!(include_str!("../../README.md").contains("cargo run --release"));
}
