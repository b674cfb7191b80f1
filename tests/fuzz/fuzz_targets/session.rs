//! A session on any script: loading, running under a budget, time travel and appending
//! never panic, and time travel is exact: going back and forward again gives the very
//! machine a straight run reached.
#![no_main]
use libfuzzer_sys::fuzz_target;
use svelab_core::session::{RunOptions, Session};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first part is the program, an optional second part (after a line `%%`) is typed
    // afterwards, as in the REPL.
    let (script, typed) = match text.split_once("\n%%\n") {
        Some((a, b)) => (a, Some(b)),
        None => (&*text, None),
    };
    let (mut s, _diags) = Session::from_source(script);
    let opts = RunOptions {
        budget: 400,
        ..RunOptions::default()
    };
    s.run(&opts);
    let end = s.position();
    let straight = s.machine().clone();
    if end > 0 {
        s.goto(end / 2);
        s.step_back();
        s.goto(end);
        assert_eq!(s.position(), end);
        assert!(
            s.machine() == &straight,
            "time travel to {end} differs from the straight run"
        );
    }
    if let Some(typed) = typed {
        let before = s.machine().clone();
        let pos = s.position();
        if s.append(typed, 400).is_err() {
            assert_eq!(s.position(), pos, "a refused append moved the session");
            assert!(
                s.machine() == &before,
                "a refused append changed the machine"
            );
        }
    }
});
