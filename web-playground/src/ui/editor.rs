//! The script editor: a plain `<textarea>` (so typing, selection, undo and screen
//! readers work as everywhere) laid exactly over a coloured copy of the text, with a
//! gutter of line numbers and breakpoints, every diagnostic underlined where the parser
//! put it, its message in the right margin, and the full list with hints below.

use crate::vm::highlight::Line;
use std::collections::BTreeSet;
use std::rc::Rc;
use svelab_core::dsl::Severity;
use svelab_core::Diagnostic;
use yew::prelude::*;

/// The textarea's id.
pub const EDITOR_ID: &str = "script";

/// Properties of [`Editor`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct EditorProps {
    /// The text.
    pub source: AttrValue,
    /// The text, coloured, with diagnostics placed.
    pub lines: Rc<Vec<Line>>,
    /// Parse diagnostics (and the step error, if any).
    pub diags: Rc<Vec<Diagnostic>>,
    /// Line of the step just executed.
    pub current_line: Option<u32>,
    /// Line of the statement the next step runs.
    pub next_line: Option<u32>,
    /// Lines with a breakpoint.
    pub breakpoints: Rc<BTreeSet<u32>>,
    /// Lines of the `expect`s that failed in this run.
    pub failed: Rc<BTreeSet<u32>>,
    /// The text was edited and the views do not show it (yet, or because of errors).
    pub stale: bool,
    /// The text changed.
    pub on_input: Callback<String>,
    /// Toggle a breakpoint on a line.
    pub on_toggle_bp: Callback<u32>,
    /// Put the caret at (line, column).
    pub on_jump: Callback<(u32, u32)>,
}

/// The editor.
#[function_component(Editor)]
pub fn editor(p: &EditorProps) -> Html {
    let oninput = {
        let cb = p.on_input.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            cb.emit(ta.value());
        })
    };
    let n = p.lines.len();
    let gutter = p.lines.iter().map(|l| {
        let num = l.number;
        let bp = p.breakpoints.contains(&num);
        let next = p.next_line == Some(num);
        let err = l.first_diag.is_some();
        let failed = p.failed.contains(&num);
        let onclick = {
            let cb = p.on_toggle_bp.clone();
            Callback::from(move |_| cb.emit(num))
        };
        let title = if failed {
            format!("line {num}: this expect failed in the run")
        } else if bp {
            format!("line {num}: breakpoint (click to remove)")
        } else {
            format!("line {num}: click to stop here when running")
        };
        html! {
            <div class={classes!("gl", bp.then_some("bp"), next.then_some("next"), err.then_some("err"), failed.then_some("failed"))} onclick={onclick} title={title}>
                <span class="bpmark" aria-hidden="true">{ if bp { "●" } else if failed { "✗" } else { "" } }</span>
                <span class="num">{num}</span>
                <span class="nextmark" aria-hidden="true">{ if next { "▶" } else { "" } }</span>
            </div>
        }
    });
    let code = p.lines.iter().map(|l| {
        let cur = p.current_line == Some(l.number);
        let next = p.next_line == Some(l.number);
        let failed = p.failed.contains(&l.number);
        let segs = l.segments.iter().map(|s| {
            let cls = classes!(
                s.class.css(),
                s.diag
                    .map(|_| if s.error { "diag-err" } else { "diag-warn" })
            );
            html! { <span class={cls}>{&s.text}</span> }
        });
        html! {
            <div class={classes!("ln", cur.then_some("cur"), next.then_some("next"), failed.then_some("failed"))}>
                {for segs}
                if l.eol_diag.is_some() { <span class="eol-diag" aria-hidden="true"></span> }
                {"\u{200b}"}
            </div>
        }
    });
    let margin = p.lines.iter().map(|l| match l.first_diag.and_then(|i| p.diags.get(i)) {
        None if p.failed.contains(&l.number) => html! {
            <div class="ml fail">{"✗ expect failed"}</div>
        },
        Some(d) => html! {
            <div class={classes!("ml", if d.severity == Severity::Error { "err" } else { "warn" })} title={format!("{} — hint: {}", d.message, d.hint)}>
                { if d.severity == Severity::Error { "✖ " } else { "⚠ " } }{&d.message}
            </div>
        },
        None => html! { <div class="ml"></div> },
    });
    // As in the terminal: the first ones, then how many more (a pathological paste must
    // not put thousands of items in the page).
    let more = svelab_core::dsl::diag::more_line(&p.diags);
    let list = p
        .diags
        .iter()
        .take(svelab_core::dsl::diag::MAX_DIAGNOSTICS)
        .map(|d| {
            let (line, col) = (d.line, d.column);
            let onclick = {
                let cb = p.on_jump.clone();
                Callback::from(move |_| cb.emit((line, col)))
            };
            let err = d.severity == Severity::Error;
            html! {
                <li class={if err { "err" } else { "warn" }}>
                    <button class="linkish" onclick={onclick} title="put the caret there">
                        { if err { "✖ error" } else { "⚠ warning" } }{format!(" {line}:{col}")}
                    </button>
                    {" "}<span class="msg">{&d.message}</span>
                    if !d.hint.is_empty() { <div class="hint">{"hint: "}{&d.hint}</div> }
                </li>
            }
        });
    let errors = p
        .diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    html! {
        <div class={classes!("editor", p.stale.then_some("stale"))}>
            <div class="editor-scroll">
                <div class="gutter" aria-hidden="true">{for gutter}</div>
                <div class="code" style={format!("--lines:{n}")}>
                    <pre class="hl" aria-hidden="true">{for code}</pre>
                    <textarea id={EDITOR_ID} spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"
                        aria-label="Script" aria-describedby="diags" value={p.source.clone()} {oninput} />
                </div>
                <div class="margin" aria-hidden="true">{for margin}</div>
            </div>
            <div id="diags" class="diags" aria-live="polite">
                if p.diags.is_empty() {
                    <p class="ok">{"✓ no errors"}</p>
                } else {
                    <p class="summary">{ match (errors, p.stale) {
                        (0, _) => "warnings".to_string(),
                        (n, true) => format!("{n} error{} — fix {} to run the script; the views show the last version that ran", if n == 1 { "" } else { "s" }, if n == 1 { "it" } else { "them" }),
                        (n, false) => format!("{n} error{}", if n == 1 { "" } else { "s" }),
                    } }</p>
                    <ul>{for list}</ul>
                    if let Some(m) = more { <p class="summary">{m.trim_end().to_string()}</p> }
                }
            </div>
        </div>
    }
}
