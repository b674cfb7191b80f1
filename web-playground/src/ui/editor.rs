//! The script editor: a plain `<textarea>` (so typing, selection, undo and screen
//! readers work as everywhere) laid exactly over a coloured copy of the text, with a
//! gutter of line numbers and breakpoints, every diagnostic underlined where the parser
//! put it, its message in the right margin, and the full list with hints below.

use crate::vm::complete::{self, Completion, MenuKey};
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

/// The completion menu's id.
pub const MENU_ID: &str = "complete-menu";

/// Puts `text` in the textarea with the caret at byte `caret`, and reports it.
fn set_text(ta: &web_sys::HtmlTextAreaElement, text: &str, caret: usize, cb: &Callback<String>) {
    ta.set_value(text);
    let u = complete::utf16_offset(text, caret) as u32;
    let _ = ta.set_selection_range(u, u);
    cb.emit(text.to_string());
}

/// The editor.
#[function_component(Editor)]
pub fn editor(p: &EditorProps) -> Html {
    let menu = use_state(|| None::<Completion>);
    let oninput = {
        let cb = p.on_input.clone();
        let menu = menu.clone();
        Callback::from(move |e: InputEvent| {
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let text = ta.value();
            let caret = ta
                .selection_start()
                .ok()
                .flatten()
                .map_or(text.len(), |u| complete::byte_offset(&text, u as usize));
            // Typing offers completions; deleting does not.
            let typed = e.input_type().starts_with("insert") && e.input_type() != "insertLineBreak";
            menu.set(typed.then(|| complete::complete(&text, caret)).flatten());
            cb.emit(text);
        })
    };
    let onkeydown = {
        let cb = p.on_input.clone();
        let menu = menu.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(c) = (*menu).clone() else {
                return;
            };
            let ta: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            let text = ta.value();
            match c.key(&e.key(), &text) {
                MenuKey::Pass => {
                    if !e.key().starts_with("Shift") {
                        menu.set(None);
                    }
                    return;
                }
                MenuKey::Moved(i) => menu.set(Some(Completion { selected: i, ..c })),
                MenuKey::Close => menu.set(None),
                MenuKey::Accept(t, at) => {
                    menu.set(None);
                    set_text(&ta, &t, at, &cb);
                }
            }
            // The menu's keys are the menu's: not a newline, a focus move or a page key.
            e.prevent_default();
            e.stop_propagation();
        })
    };
    let onblur = {
        let menu = menu.clone();
        Callback::from(move |_: FocusEvent| menu.set(None))
    };
    let menu_html = (*menu).clone().map(|c| {
        let (line, col) = complete::line_col(&p.source, c.start);
        // One handler for the menu: the item clicked says its number.
        let onmousedown = {
            let cb = p.on_input.clone();
            let menu = menu.clone();
            let c = c.clone();
            let src = p.source.to_string();
            Callback::from(move |e: MouseEvent| {
                // Keep the focus in the textarea.
                e.prevent_default();
                use wasm_bindgen::JsCast;
                let i = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|t| t.get_attribute("data-i"))
                    .and_then(|i| i.parse().ok());
                let ta = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(EDITOR_ID))
                    .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok());
                if let (Some(i), Some(ta)) = (i, ta) {
                    let (t, at) = c.accept(&src, i);
                    menu.set(None);
                    set_text(&ta, &t, at, &cb);
                }
            })
        };
        let items = c.items.iter().enumerate().map(|(i, item)| {
            let on = i == c.selected;
            html! {
                <li id={format!("complete-{i}")} data-i={i.to_string()} role="option" aria-selected={on.to_string()}
                    class={classes!(on.then_some("on"))}>{item.clone()}</li>
            }
        });
        html! {
            <ul id={MENU_ID} class="complete" role="listbox" aria-label="completions" {onmousedown}
                style={format!("top:calc({} * var(--lh));left:calc({col}ch + .6rem)", line + 1)}>
                {for items}
            </ul>
        }
    });
    let active = (*menu).as_ref().map(|c| format!("complete-{}", c.selected));
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
                        aria-label="Script" aria-describedby="diags" value={p.source.clone()} {oninput} {onkeydown} {onblur}
                        aria-autocomplete="list"
                        aria-controls={menu.is_some().then_some(MENU_ID)} aria-activedescendant={active} />
                    // Always there, so the textarea keeps its place among its siblings (and
                    // its focus) when the menu comes and goes.
                    <div class="complete-slot">{for menu_html}</div>
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
