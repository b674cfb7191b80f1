//! Diagnostics for the terminal: the core's caret renderer, coloured, with the offending
//! text underlined and, in batch mode, the file name in the `-->` line.
//!
//! The text is exactly `svelab_core::dsl::render_diagnostic`'s (so the REPL, the batch
//! runner and the golden tests agree); colour only adds escape codes around its parts.

use crate::style::Style;
use svelab_core::dsl::diag::{more_line, MAX_DIAGNOSTICS};
use svelab_core::dsl::{render_diagnostic, Diagnostic};

/// Renders `d` (whose span refers to `source`) for the terminal. `file` is put in front of
/// `line:column` when given.
pub fn render(source: &str, d: &Diagnostic, file: Option<&str>, st: Style) -> String {
    let plain = render_diagnostic(source, d);
    let lines: Vec<&str> = plain.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let (gutter, rest) = split_gutter(line);
        if i == 0 {
            out.push_str(&head(line, st));
        } else if let Some(pos) = rest.strip_prefix("--> ") {
            let loc = match file {
                Some(f) => format!("{f}:{pos}"),
                None => pos.to_string(),
            };
            out.push_str(&format!("{gutter}{} {loc}", st.blue("-->")));
        } else if let Some(src) = rest
            .strip_prefix("| ")
            .filter(|_| !gutter.trim().is_empty())
        {
            // The source line; the caret line follows. Underline what the carets point at.
            let carets = lines
                .get(i + 1)
                .map(|l| split_gutter(l).1)
                .and_then(|r| r.strip_prefix("| "))
                .unwrap_or("");
            let lead = carets.chars().take_while(|&c| c == ' ').count();
            let n = carets.chars().filter(|&c| c == '^').count();
            let before: String = src.chars().take(lead).collect();
            let hit: String = src.chars().skip(lead).take(n).collect();
            let after: String = src.chars().skip(lead + n).collect();
            out.push_str(&format!(
                "{}{} {before}{}{after}",
                st.blue(gutter.trim_end()),
                st.blue(" |"),
                st.underline_red(&hit)
            ));
            if !carets.is_empty() {
                out.push('\n');
                let (g2, _) = split_gutter(lines[i + 1]);
                out.push_str(&format!(
                    "{g2}{} {}{}",
                    st.blue("|"),
                    " ".repeat(lead),
                    st.error("^".repeat(n))
                ));
                i += 1;
            }
        } else if rest.starts_with('|') {
            out.push_str(&format!("{gutter}{}", st.blue(rest)));
        } else if let Some(h) = rest.strip_prefix("= hint: ") {
            out.push_str(&format!(
                "{gutter}{} {h}",
                st.blue("= ") + &st.cyan("hint:")
            ));
        } else if let Some(h) = rest.strip_prefix("= note: ") {
            out.push_str(&format!("{gutter}{} {h}", st.blue("= note:")));
        } else {
            out.push_str(line);
        }
        out.push('\n');
        i += 1;
    }
    out
}

/// Renders the first [`MAX_DIAGNOSTICS`] diagnostics, separated by blank lines, and says
/// how many more there are.
pub fn render_all(source: &str, ds: &[Diagnostic], file: Option<&str>, st: Style) -> String {
    let mut out = ds
        .iter()
        .take(MAX_DIAGNOSTICS)
        .map(|d| render(source, d, file, st))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(more) = more_line(ds) {
        out.push('\n');
        out.push_str(&st.dim(more.trim_end()));
        out.push('\n');
    }
    out
}

fn head(line: &str, st: Style) -> String {
    for kind in ["error", "warning"] {
        if let Some(msg) = line.strip_prefix(kind).and_then(|r| r.strip_prefix(':')) {
            let k = if kind == "error" {
                st.error(kind)
            } else {
                st.paint("1;33", kind)
            };
            return format!("{k}{}{}", st.bold(":"), st.bold(msg));
        }
    }
    line.to_string()
}

/// Splits `"12 | text"` / `"   | text"` / `"  --> 3:4"` into the gutter (spaces and line
/// number, with the trailing space) and the rest.
fn split_gutter(line: &str) -> (&str, &str) {
    let n = line
        .char_indices()
        .find(|&(_, c)| !(c == ' ' || c.is_ascii_digit()))
        .map_or(line.len(), |(i, _)| i);
    line.split_at(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::strip;
    use svelab_core::dsl::Span;

    fn sample() -> (&'static str, Diagnostic) {
        let src = "task A\nsve-op A z32=1\n";
        let d = Diagnostic::error(src, Span::new(16, 19), "unknown register z32", "z0–z31");
        (src, d)
    }

    #[test]
    fn plain_is_the_core_text_with_the_file_name() {
        let (src, d) = sample();
        let ours = render(src, &d, None, Style::PLAIN);
        assert_eq!(ours, render_diagnostic(src, &d));
        let named = render(src, &d, Some("x.svl"), Style::PLAIN);
        assert!(named.contains("--> x.svl:2:10"), "{named}");
    }

    #[test]
    fn output_is_bounded_for_pathological_input() {
        let src = "repeat 1 { ".repeat(8_000);
        let (_, ds) = svelab_core::parse(&src);
        for color in [false, true] {
            let out = render_all(&src, &ds, Some("x.svl"), Style { color });
            assert!(out.len() < 30_000, "{} bytes", out.len());
            assert!(strip(&out).contains("more errors"), "{out}");
        }
        let long = format!("task A\nsve-op A {}z99=1\n", "z0=1 ".repeat(2_000));
        let (_, ds) = svelab_core::parse(&long);
        assert_eq!(ds.len(), 1, "{ds:?}");
        let out = render_all(&long, &ds, None, Style { color: true });
        assert!(out.len() < 1_500, "{} bytes: {out}", out.len());
        let plain = strip(&out);
        assert_eq!(plain, render_diagnostic(&long, &ds[0]));
        assert!(plain.lines().all(|l| l.chars().count() < 120), "{plain}");
    }

    #[test]
    fn colour_only_adds_escapes() {
        let (src, d) = sample();
        let c = render(src, &d, None, Style { color: true });
        assert!(c.contains("\x1b[4;31mz32\x1b[0m"), "{c:?}");
        assert_eq!(strip(&c), render_diagnostic(src, &d));
    }
}
