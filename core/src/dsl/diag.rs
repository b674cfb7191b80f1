//! Diagnostics as data, and one plain-text renderer every front end can reuse.
//!
//! A [`Diagnostic`] carries a span (byte range) with its line and column, a message, a
//! hint (always: this is a teaching tool) and optional secondary labels. The REPL prints
//! [`render`]'s caret style; the web playground underlines the span itself.

use super::ast::Span;
use serde::{Deserialize, Serialize};

/// At most this many diagnostics of one source are rendered; the rest are counted in one
/// line (`… and 12 more errors`), so a pathological input cannot print megabytes.
pub const MAX_DIAGNOSTICS: usize = 20;

/// A source line longer than this (in characters) is shown as a window of this many
/// characters around the span, with `…` where it was cut.
pub const MAX_LINE_CHARS: usize = 100;

/// Messages, hints and notes are cut to this many characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// How bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// The statement is not executed (syntax error, impossible operation).
    Error,
    /// Executed, but probably not what was meant.
    Warning,
}

/// A secondary span with a note.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it.
    pub message: String,
}

/// One problem in a script.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The primary span.
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: u32,
    /// 1-based column (in characters) of `span.start`.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Other places involved.
    pub labels: Vec<Label>,
}

impl Diagnostic {
    /// An error at `span` of `source`.
    pub fn error(
        source: &str,
        span: Span,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        let (line, column) = line_col(source, span.start);
        Diagnostic {
            severity: Severity::Error,
            span,
            line,
            column,
            message: message.into(),
            hint: hint.into(),
            labels: Vec::new(),
        }
    }

    /// A warning at `span` of `source`.
    pub fn warning(
        source: &str,
        span: Span,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(source, span, message, hint)
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte `offset` of `source`.
pub fn line_col(source: &str, offset: usize) -> (u32, u32) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() as u32 + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Renders a diagnostic in the caret style:
///
/// ```text
/// error: unknown register z32
///  --> 3:13
///   |
/// 3 | sve-op A z32=1
///   |          ^^^
///   = hint: Z registers are z0–z31
/// ```
///
/// The output is bounded whatever the input: a line longer than [`MAX_LINE_CHARS`] is
/// shown as a window around the span with `…` where it was cut (carets only under the
/// visible part), and messages longer than [`MAX_MESSAGE_CHARS`] are cut.
pub fn render(source: &str, d: &Diagnostic) -> String {
    let mut out = String::new();
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    out.push_str(&format!("{kind}: {}\n", cut(&d.message)));
    let (line, col) = (d.line, d.column);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    out.push_str(&format!("{pad}--> {line}:{col}\n"));
    let start = floor_char_boundary(source, d.span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let text = &source[line_start..line_end];
    if !text.is_empty() || d.span.start <= source.len() {
        let end = floor_char_boundary(source, d.span.end.clamp(start, line_end));
        let lead = source[line_start..start].chars().count();
        let width = source[start..end].chars().count().max(1);
        let w = window(text, lead, width);
        out.push_str(&format!("{pad} |\n"));
        out.push_str(&format!("{line} | {}\n", w.text));
        out.push_str(&format!(
            "{pad} | {}{}\n",
            " ".repeat(w.lead),
            "^".repeat(w.width)
        ));
    }
    for l in &d.labels {
        let (ll, lc) = line_col(source, l.span.start);
        out.push_str(&format!("{pad} = note: {ll}:{lc}: {}\n", cut(&l.message)));
    }
    if !d.hint.is_empty() {
        out.push_str(&format!("{pad} = hint: {}\n", cut(&d.hint)));
    }
    out
}

/// `s`, cut to [`MAX_MESSAGE_CHARS`] characters with `…` at the end.
fn cut(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => s.into(),
        Some((i, _)) => format!("{}…", &s[..i]).into(),
    }
}

/// The visible part of a source line: its text, and where the carets go in it.
#[derive(Debug, PartialEq, Eq)]
struct Window {
    text: String,
    /// Characters before the first caret.
    lead: usize,
    /// Carets.
    width: usize,
}

/// The window of at most [`MAX_LINE_CHARS`] characters of `line` that shows the span
/// starting `lead` characters in and `width` wide (its start a third of the way in), with
/// `…` marking each cut end.
fn window(line: &str, lead: usize, width: usize) -> Window {
    let n = line.chars().count();
    if n <= MAX_LINE_CHARS {
        return Window {
            text: line.to_string(),
            lead,
            width,
        };
    }
    let room = MAX_LINE_CHARS;
    let from = lead.saturating_sub(room / 3).min(n.saturating_sub(room));
    let to = (from + room).min(n);
    let mut text = String::new();
    if from > 0 {
        text.push('…');
    }
    text.extend(line.chars().skip(from).take(to - from));
    if to < n {
        text.push('…');
    }
    let shift = usize::from(from > 0);
    let first = lead.clamp(from, to) - from + shift;
    // At least one caret, under the text or just after its end.
    let last = (lead + width).clamp(from, to) - from + shift;
    Window {
        text,
        lead: first,
        width: last.saturating_sub(first).max(1),
    }
}

/// The line that stands for the diagnostics after the first [`MAX_DIAGNOSTICS`] of `ds`
/// (`None` if there are no more): `… and 12 more errors (and 3 warnings)`.
pub fn more_line(ds: &[Diagnostic]) -> Option<String> {
    let rest = ds.get(MAX_DIAGNOSTICS..).filter(|r| !r.is_empty())?;
    let errors = rest
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = rest.len() - errors;
    let plural = |n: usize, w: &str| format!("{n} more {w}{}", if n == 1 { "" } else { "s" });
    let what = match (errors, warnings) {
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    };
    Some(format!(
        "… and {what} (not shown: fix the first ones and run again)\n"
    ))
}

/// Renders the first [`MAX_DIAGNOSTICS`] diagnostics, separated by blank lines, then
/// [`more_line`] if there are more.
pub fn render_all(source: &str, ds: &[Diagnostic]) -> String {
    let mut out = ds
        .iter()
        .take(MAX_DIAGNOSTICS)
        .map(|d| render(source, d))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(more) = more_line(ds) {
        out.push('\n');
        out.push_str(&more);
    }
    out
}

/// Levenshtein distance, for "did you mean" hints (only the first 64 characters of `a`
/// count, so a pathological input stays cheap).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_under_the_span() {
        let src = "task A\nsve-op A z32=1\n";
        let d = Diagnostic::error(
            src,
            Span::new(16, 19),
            "unknown register z32",
            "Z registers are z0–z31",
        );
        assert_eq!((d.line, d.column), (2, 10));
        let r = render(src, &d);
        assert!(r.contains("2 | sve-op A z32=1\n  |          ^^^\n"), "{r}");
        assert!(r.contains("= hint: Z registers are z0–z31"));
    }

    #[test]
    fn thousands_of_errors_on_one_line_stay_small() {
        let src = "repeat 1 { ".repeat(8_000);
        let (_, ds) = crate::dsl::parse(&src);
        assert!(ds.len() > MAX_DIAGNOSTICS, "{}", ds.len());
        let out = render_all(&src, &ds);
        assert!(out.len() < 20_000, "{} bytes", out.len());
        let more = ds.len() - MAX_DIAGNOSTICS;
        assert!(out.contains(&format!("… and {more} more errors")), "{out}");
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_span() {
        let src = format!(
            "task A\nsve-op A {}z99=1 {}\n",
            "z0=1 ".repeat(2_000),
            "z1=2 ".repeat(2_000)
        );
        let at = src.find("z99").unwrap();
        let d = Diagnostic::error(
            &src,
            Span::new(at, at + 3),
            "unknown register z99",
            "z0–z31",
        );
        let out = render(&src, &d);
        assert!(out.len() < 1_000, "{} bytes:\n{out}", out.len());
        assert!(
            out.lines()
                .all(|l| l.chars().count() <= MAX_LINE_CHARS + 20),
            "{out}"
        );
        let lines: Vec<&str> = out.lines().collect();
        let text = lines.iter().find(|l| l.starts_with("2 | ")).unwrap();
        let carets = lines.iter().find(|l| l.contains('^')).unwrap();
        assert!(text.contains("…") && text.ends_with('…'), "{text}");
        // The carets sit under z99 in the window.
        let col = carets.chars().take_while(|&c| c != '^').count();
        let under: String = text.chars().skip(col).take(3).collect();
        assert_eq!(under, "z99", "{text}\n{carets}");
        assert_eq!(carets.matches('^').count(), 3);
        // A span running far past the window: carets only under the visible part.
        let d = Diagnostic::error(&src, Span::new(at, src.len() - 1), "x", "y");
        let out = render(&src, &d);
        let carets = out.lines().find(|l| l.contains('^')).unwrap();
        assert!(carets.chars().count() <= MAX_LINE_CHARS + 10, "{carets}");
    }

    #[test]
    fn long_messages_are_cut() {
        let word = "x".repeat(10_000);
        let d = Diagnostic::error(
            &word,
            Span::new(0, 10_000),
            format!("unknown word `{word}`"),
            format!("not `{word}`"),
        );
        let out = render(&word, &d);
        assert!(out.len() < 2_000, "{} bytes", out.len());
    }

    #[test]
    fn spans_past_the_end_do_not_panic() {
        let src = "é";
        let d = Diagnostic::error(src, Span::new(1, 40), "x", "y");
        let _ = render(src, &d);
        let _ = line_col(src, 99);
    }
}
