//! The parser on any text: it never panics, every diagnostic points inside the input with
//! a line and column that match its span, and rendering the diagnostics stays bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use svelab_core::dsl::{parse, render_diagnostics};

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let (_prog, diags) = parse(&src);
    for d in &diags {
        assert!(
            d.span.start <= d.span.end && d.span.end <= src.len(),
            "{d:?}"
        );
        let line = src[..d.span.start].matches('\n').count() as u32 + 1;
        assert_eq!(d.line, line, "{d:?}");
    }
    // Bounded output whatever the input (at most 20 diagnostics, long lines windowed).
    let text = render_diagnostics(&src, &diags);
    assert!(
        text.len() <= 64 * 1024 + src.len().min(64 * 1024),
        "{} bytes",
        text.len()
    );
});
