//! The README's first script does what the README says, on v5.19 and on v6.2.
use svelab_core::kernel::Kernel;
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
