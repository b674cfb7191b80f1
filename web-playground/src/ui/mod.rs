//! The yew components. They hold no model logic: everything they draw comes from
//! [`crate::vm`], and everything they do goes through [`crate::vm::player::Player`].
//!
//! * [`app`] — the page: state, messages, keyboard, timers, layout.
//! * [`editor`] — the script editor (line numbers, colouring, errors, breakpoints).
//! * [`machine`] — CPUs, tasks and vCPUs of one snapshot, with their registers.
//! * [`diagram`] — the `fpsimd_last_state` binding arrows and the lazy-restore diagram.
//! * [`panels`] — events, counters, chart, compare summary, help.
//! * [`lessons`] — the lessons browser and exercises, with progress in the browser.

pub mod app;
pub mod diagram;
pub mod editor;
pub mod lessons;
pub mod machine;
pub mod panels;

use std::collections::HashSet;
use yew::prelude::*;

/// Marks for a field: changed in the last step (`Δ`), differs from the other kernel
/// (`≠`). Colour is never the only cue: each mark also has a glyph and a text for screen
/// readers.
pub fn cues(path: &str, changed: &HashSet<String>, differs: &HashSet<String>) -> (Classes, Html) {
    let ch = changed.contains(path);
    let df = differs.contains(path);
    let classes = classes!(ch.then_some("chg"), df.then_some("diff"));
    let glyphs = html! {
        <>
            if ch { <span class="cue cue-chg" title="changed in the last step">{"Δ"}<span class="sr">{" changed"}</span></span> }
            if df { <span class="cue cue-diff" title="differs from the other kernel">{"≠"}<span class="sr">{" differs"}</span></span> }
        </>
    };
    (classes, glyphs)
}

/// A labelled field of a card.
pub fn field(
    label: &str,
    path: &str,
    value: impl Into<Html>,
    changed: &HashSet<String>,
    differs: &HashSet<String>,
) -> Html {
    let (cls, glyphs) = cues(path, changed, differs);
    html! {
        <div class={classes!("field", cls)} data-path={path.to_string()} title={format!("path: {path}")}>
            <span class="k">{label}</span>
            <span class="v">{glyphs}{value.into()}</span>
        </div>
    }
}

/// `1`/`0` with a word, so a flag reads without its colour.
pub fn flag(b: bool) -> Html {
    html! { <span class={classes!("flag", if b { "on" } else { "off" })}>{ if b { "1 (set)" } else { "0 (clear)" } }</span> }
}
