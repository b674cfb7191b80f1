//! How state is shown: step reports, the state panel (CPU ownership boxes, the task and
//! vCPU tables, what changed), register views and field diffs, all folded to the terminal
//! width. Every function returns text; plain text when the [`Style`] has no colour.

use crate::style::{pad, width, Style};
use svelab_core::session::{render_report, FieldChange, StepReport};

mod panel;
mod regs;

pub use panel::{is_register, legend_text, panel};
pub use regs::{regs, RegFormat};

/// Colours a transcript as the core renders it (`render_report`): the same text, with the
/// kernel functions, outcomes, violations and errors picked out. `with_line` keeps the
/// `line:` prefix of the statement (batch mode); the REPL drops it.
pub fn report(r: &StepReport, with_line: bool, st: Style) -> String {
    let plain = render_report(r);
    let mut out = String::new();
    let mut ev = r.events.iter();
    for (i, line) in plain.lines().enumerate() {
        if i == 0 {
            let text = if with_line {
                format!("{}:{}", r.line, r.text)
            } else {
                r.text.clone()
            };
            out.push_str(&format!(
                "{} {}",
                st.dim(format!("[{}]", r.step)),
                st.bold(text)
            ));
        } else if let Some(rest) = line.strip_prefix("    = ") {
            let painted = if let Some(x) = rest.strip_prefix("ok ") {
                format!("{} {x}", st.green("ok"))
            } else if let Some(x) = rest.strip_prefix("FAILED ") {
                format!("{} {x}", st.error("FAILED"))
            } else {
                rest.to_string()
            };
            out.push_str(&format!("    {} {painted}", st.dim("=")));
        } else if line.starts_with("    !! ") {
            out.push_str(&st.red(line));
        } else if let Some(x) = line.strip_prefix("    error: ") {
            out.push_str(&format!("    {} {x}", st.error("error:")));
        } else if let Some(x) = line.strip_prefix("    hint: ") {
            out.push_str(&format!("    {} {x}", st.cyan("hint:")));
        } else if let Some(x) = line.strip_prefix("    counters: ") {
            out.push_str(&format!("    {}", st.dim(format!("counters: {x}"))));
        } else if line.starts_with("    | ") {
            out.push_str(line);
        } else if line.starts_with("    ") && !line.starts_with("    =") {
            // An event line: colour the kernel function.
            match ev.next().map(|e| e.event.function().to_string()) {
                Some(f) if line.contains(&format!(" {f}: ")) => {
                    let at = line.find(&format!(" {f}: ")).unwrap_or(0) + 1;
                    let (a, b) = line.split_at(at);
                    let b = &b[f.len()..];
                    out.push_str(&format!("{}{}{b}", st.dim(a), st.cyan(&f)));
                }
                _ => out.push_str(line),
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Splits `s` into pieces of at most `w` columns, preferring to cut after a `_` or a space.
pub fn fold(s: &str, w: usize) -> Vec<String> {
    let w = w.max(8);
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while chars.len() - i > w {
        let window = &chars[i..i + w];
        let cut = window
            .iter()
            .rposition(|&c| c == '_' || c == ' ')
            .filter(|&p| p >= w / 2)
            .map_or(w, |p| p + 1);
        out.push(
            chars[i..i + cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        i += cut;
    }
    out.push(chars[i..].iter().collect());
    out
}

/// Word-wraps prose to `w` columns (cuts at spaces; a word wider than a line is folded).
/// Escape sequences do not count.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let ww = width(word);
        if !line.is_empty() && width(&line) + 1 + ww > w {
            out.push(std::mem::take(&mut line));
        }
        if ww > w && !word.contains('\x1b') {
            let mut pieces = fold(word, w);
            let last = pieces.pop().unwrap_or_default();
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.extend(pieces);
            line = last;
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

/// Wraps every line of `text` wider than `w`: continuation lines keep the indentation (and
/// the `|` of `show` output) and indent two more.
pub fn wrap_text(text: &str, w: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if width(line) <= w {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        let (lead, body) = match body.strip_prefix("| ") {
            Some(b) => (format!("{}| ", " ".repeat(indent)), b),
            None => (" ".repeat(indent), body),
        };
        let inner = body.len() - body.trim_start_matches(' ').len();
        let cont = format!("{lead}{}  ", " ".repeat(inner));
        for (i, l) in wrap(body, w.saturating_sub(cont.len())).iter().enumerate() {
            out.push_str(if i == 0 { &lead } else { &cont });
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// Splits `A.sve_state.z12` into (`A.sve_state.z`, 12).
fn numbered(path: &str) -> Option<(&str, u32)> {
    let digits = path.len() - path.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (head, n) = path.split_at(path.len() - digits);
    if !head.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    n.parse().ok().map(|n| (head, n))
}

/// Merges runs of changes that differ only in a register number and have the same
/// values: `A.sve_state.z0` … `z31` `absent → 0` becomes `A.sve_state.z0–z31`.
pub fn group_changes(list: &[FieldChange]) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = Vec::new();
    let mut run: Option<(String, u32, u32)> = None; // head, first, last of the open run
    for c in list {
        let joined = match (&run, numbered(&c.path), out.last()) {
            (Some((head, _, last)), Some((h, n)), Some(prev))
                if h == head
                    && n == last + 1
                    && prev.before == c.before
                    && prev.after == c.after =>
            {
                Some(n)
            }
            _ => None,
        };
        match joined {
            Some(n) => {
                if let Some((head, first, last)) = run.as_mut() {
                    *last = n;
                    let reg = head.rsplit('.').next().unwrap_or("");
                    if let Some(prev) = out.last_mut() {
                        prev.path = format!("{head}{first}–{reg}{n}");
                    }
                }
            }
            None => {
                run = numbered(&c.path).map(|(h, n)| (h.to_string(), n, n));
                out.push(c.clone());
            }
        }
    }
    out
}

/// Renders field changes (`path  before → after`), folding long values under the path;
/// runs of registers with the same change are merged. At most `limit` lines are shown;
/// the rest are counted.
pub fn changes(list: &[FieldChange], st: Style, w: usize, limit: usize) -> String {
    let list = group_changes(list);
    let list = list.as_slice();
    let mut out = String::new();
    let name_w = list
        .iter()
        .take(limit)
        .map(|c| c.path.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for c in list.iter().take(limit) {
        let one = format!(
            "  {}  {} {} {}",
            pad(&c.path, name_w),
            c.before,
            "→",
            c.after
        );
        if width(&one) <= w {
            out.push_str(&format!(
                "  {}  {} {} {}\n",
                pad(&st.bold(&c.path), name_w),
                st.dim(&c.before),
                st.dim("→"),
                st.changed(&c.after)
            ));
        } else {
            out.push_str(&format!("  {}\n", st.bold(&c.path)));
            let room = w.saturating_sub(8);
            for (i, piece) in fold(&c.before, room).iter().enumerate() {
                let lead = if i == 0 { "- " } else { "  " };
                out.push_str(&format!("    {}{}\n", st.red(lead), st.dim(piece)));
            }
            for (i, piece) in fold(&c.after, room).iter().enumerate() {
                let lead = if i == 0 { "+ " } else { "  " };
                out.push_str(&format!("    {}{}\n", st.green(lead), st.changed(piece)));
            }
        }
    }
    if list.len() > limit {
        out.push_str(&format!(
            "  {}\n",
            st.dim(format!("… and {} more", list.len() - limit))
        ));
    }
    out
}

#[cfg(test)]
mod tests;
