//! Diagnostics as data, and one plain-text renderer every front end can reuse.
//!
//! A [`Diagnostic`] carries a span (byte range) with its line and column, a message, a
//! hint (always: this is a teaching tool) and optional secondary labels. The REPL prints
//! [`render`]'s caret style; the web playground underlines the span itself.

use super::ast::Span;
use serde::{Deserialize, Serialize};

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
pub fn render(source: &str, d: &Diagnostic) -> String {
    let mut out = String::new();
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    out.push_str(&format!("{kind}: {}\n", d.message));
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
        out.push_str(&format!("{pad} |\n"));
        out.push_str(&format!("{line} | {text}\n"));
        let end = floor_char_boundary(source, d.span.end.clamp(start, line_end));
        let lead = source[line_start..start].chars().count();
        let width = source[start..end].chars().count().max(1);
        out.push_str(&format!(
            "{pad} | {}{}\n",
            " ".repeat(lead),
            "^".repeat(width)
        ));
    }
    for l in &d.labels {
        let (ll, lc) = line_col(source, l.span.start);
        out.push_str(&format!("{pad} = note: {ll}:{lc}: {}\n", l.message));
    }
    if !d.hint.is_empty() {
        out.push_str(&format!("{pad} = hint: {}\n", d.hint));
    }
    out
}

/// Renders every diagnostic, separated by blank lines.
pub fn render_all(source: &str, ds: &[Diagnostic]) -> String {
    ds.iter()
        .map(|d| render(source, d))
        .collect::<Vec<_>>()
        .join("\n")
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
    fn spans_past_the_end_do_not_panic() {
        let src = "é";
        let d = Diagnostic::error(src, Span::new(1, 40), "x", "y");
        let _ = render(src, &d);
        let _ = line_col(src, 99);
    }
}
