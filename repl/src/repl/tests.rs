//! Unit tests of the REPL's rendering and helpers.

use super::kernels::{line_diff, render_comparison};
use super::*;

#[test]
fn line_diff_marks_both_sides() {
    let a: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
    let b: Vec<String> = ["x", "q", "z"].iter().map(|s| s.to_string()).collect();
    let d = line_diff(&a, &b);
    assert_eq!(d, vec![(' ', "x"), ('+', "q"), ('-', "y"), (' ', "z")]);
}

#[test]
fn collector_keeps_head_tail_and_notable() {
    let (mut s, _) = Session::from_source(
        "task A on=cpu0\nrepeat 50 { svc A getpid; expect A.traps == 0 }\nexpect A.traps == 1",
    );
    let mut c = Collector::default();
    s.run_with(&RunOptions::default(), &mut |r| c.push(r));
    assert_eq!(c.total, 102);
    assert_eq!(c.head.len(), HEAD);
    assert_eq!(c.tail.len(), TAIL);
    assert_eq!(c.failures, 1);
    let text = c.render(Style::PLAIN);
    assert!(text.contains("⋮ 94 more steps"), "{text}");
    assert!(text.contains("FAILED"), "{text}");
}

#[test]
fn comparison_renders_event_differences() {
    let c = compare(
        "task A vl=512 on=cpu0\nsve-op A z0=1\nsvc A getpid\nsve-op A z0=2",
        Kernel::V5_19Rc1,
        Kernel::V6_2,
        100,
    )
    .unwrap();
    let t = render_comparison(&c, Style::PLAIN, 100);
    assert!(t.contains("v5.19-rc1 vs v6.2"), "{t}");
    assert!(t.contains("- cpu0  A      sve_user_disable"), "{t}");
    assert!(t.contains("+ cpu0  A      sve_flush_live"), "{t}");
}
