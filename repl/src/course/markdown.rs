//! Lesson Markdown and scripts for a terminal: the core's CommonMark blocks
//! ([`render_markdown`]), wrapped and styled.

use crate::display::wrap;
use crate::style::{self, Style};
use svelab_core::course::{plain_inlines, render_markdown, MdBlock, MdInline};

#[derive(Default, Clone, Copy)]
struct Inline {
    bold: bool,
    italic: bool,
    code: bool,
}

impl Inline {
    fn sgr(self) -> String {
        let mut codes = Vec::new();
        if self.bold {
            codes.push("1");
        }
        if self.italic {
            codes.push("3");
        }
        if self.code {
            codes.push("36");
        }
        if codes.is_empty() {
            String::new()
        } else {
            format!("\x1b[{}m", codes.join(";"))
        }
    }

    fn any(self) -> bool {
        self.bold || self.italic || self.code
    }
}

/// One wrapped line of prose with `**bold**`, `*italic*` and `` `code` `` rendered (the
/// state carries over from line to line). Plain text keeps the backticks and drops the
/// stars.
fn inline(line: &str, state: &mut Inline, st: Style) -> String {
    let mut out = String::new();
    if st.color {
        out.push_str(&state.sgr());
    }
    let mut chars = line.chars().peekable();
    let changed = |out: &mut String, s: Inline| {
        if st.color {
            out.push_str("\x1b[0m");
            out.push_str(&s.sgr());
        }
    };
    while let Some(c) = chars.next() {
        if c == '`' {
            state.code = !state.code;
            if st.color {
                changed(&mut out, *state);
            } else {
                out.push('`');
            }
            continue;
        }
        if c == '*' && !state.code {
            if chars.peek() == Some(&'*') {
                chars.next();
                state.bold = !state.bold;
                changed(&mut out, *state);
                continue;
            }
            let next = chars.peek().copied();
            if state.italic || next.is_some_and(|n| !n.is_whitespace()) {
                state.italic = !state.italic;
                changed(&mut out, *state);
                continue;
            }
        }
        out.push(c);
    }
    if st.color && state.any() {
        out.push_str("\x1b[0m");
    }
    out
}

/// Renders a paragraph (already joined into one line) wrapped to `w`, each line after a
/// first-line lead and an indent for the others.
pub fn paragraph(text: &str, first: &str, indent: usize, st: Style, w: usize) -> String {
    let lead_w = style::width(first).max(indent);
    let mut state = Inline::default();
    let mut out = String::new();
    for (i, l) in wrap(text, w.saturating_sub(lead_w).max(24))
        .iter()
        .enumerate()
    {
        let lead = if i == 0 {
            style::pad(first, lead_w)
        } else {
            " ".repeat(lead_w)
        };
        out.push_str(&format!("{lead}{}\n", inline(l, &mut state, st)));
    }
    out
}

/// Inline Markdown back as the markers [`inline`] styles: `**strong**`, `*em*`,
/// `` `code` ``; links as their text.
fn marked(v: &[MdInline]) -> String {
    v.iter()
        .map(|i| match i {
            MdInline::Text(t) => t.clone(),
            MdInline::Code(c) => format!("`{c}`"),
            MdInline::Strong(k) => format!("**{}**", marked(k)),
            MdInline::Em(k) => format!("*{}*", marked(k)),
            MdInline::Strike(k) | MdInline::Link(_, k) => marked(k),
            MdInline::Break => " ".into(),
        })
        .collect()
}

fn blocks(bs: &[MdBlock], pad: &str, st: Style, w: usize, out: &mut String) {
    for (n, b) in bs.iter().enumerate() {
        if n > 0 && !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        match b {
            MdBlock::Heading(_, v) => {
                out.push_str(&format!("{pad}{}\n", st.heading(plain_inlines(v))));
            }
            MdBlock::Para(v) => {
                out.push_str(&paragraph(marked(v).trim(), pad, pad.len(), st, w));
            }
            MdBlock::List(start, items) => {
                for (i, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(s) => format!("{}.", s + i as u64),
                        None => "•".into(),
                    };
                    let lead = format!("{pad}  {marker} ");
                    let inner = " ".repeat(style::width(&lead));
                    let mut body = String::new();
                    blocks(item, &inner, st, w, &mut body);
                    // The first line of the item takes the marker.
                    let body = body.trim_end_matches('\n');
                    let body = body.strip_prefix(inner.as_str()).unwrap_or(body);
                    out.push_str(&format!("{lead}{body}\n"));
                }
            }
            MdBlock::Code(_, c) => {
                for line in c.trim_end_matches('\n').lines() {
                    out.push_str(&format!("{pad}    {}\n", st.cyan(line)));
                }
            }
            MdBlock::Quote(q) => {
                let mut body = String::new();
                blocks(q, "", st, w.saturating_sub(pad.len() + 2), &mut body);
                for line in body.trim_end_matches('\n').lines() {
                    out.push_str(&format!("{pad}{} {line}\n", st.dim("│")));
                }
            }
            MdBlock::Table(head, rows) => {
                let row = |r: &Vec<Vec<MdInline>>| {
                    r.iter()
                        .map(|c| plain_inlines(c))
                        .collect::<Vec<_>>()
                        .join(" │ ")
                };
                out.push_str(&format!("{pad}{}\n", st.bold(row(head))));
                for r in rows {
                    out.push_str(&format!("{pad}{}\n", row(r)));
                }
            }
            MdBlock::Rule => out.push_str(&format!(
                "{pad}{}\n",
                "─".repeat(w.saturating_sub(pad.len()).min(40))
            )),
        }
    }
}

/// Markdown for a terminal, read by the core's CommonMark reader (the same one the
/// playground uses): paragraphs and list items wrapped to `w` columns (indented by
/// `indent`), `#` headings, code blocks indented as written, quotes with a bar.
pub fn markdown(md: &str, indent: usize, st: Style, w: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    blocks(&render_markdown(md), &pad, st, w, &mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A script, indented, highlighted as input.
pub fn script_text(src: &str, indent: usize, st: Style) -> String {
    let pad = " ".repeat(indent);
    let names = crate::lang::Names::default();
    src.trim_end()
        .lines()
        .map(|l| format!("{pad}{}\n", crate::helper::highlight_line(l, &names, st)))
        .collect()
}
