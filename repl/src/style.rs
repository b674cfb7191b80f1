//! Colour and terminal width, following the usual conventions.
//!
//! Colour is on when the output is a terminal, `NO_COLOR` is unset or empty and `TERM` is
//! not `dumb`; `CLICOLOR_FORCE` (non-zero) forces it on for pipes; `--color` overrides
//! everything. Every renderer in this crate takes a [`Style`] and produces the same text
//! with or without escape codes, so the plain output is what the tests compare.

use std::io::IsTerminal;

/// When to colour, as given by `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and the environment allows it.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Decides whether to colour a stream.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
            if set("NO_COLOR") {
                return false;
            }
            if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                return true;
            }
            is_terminal && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Whether standard output should be coloured.
pub fn stdout_color(choice: ColorChoice) -> bool {
    use_color(choice, std::io::stdout().is_terminal())
}

/// Whether standard error should be coloured.
pub fn stderr_color(choice: ColorChoice) -> bool {
    use_color(choice, std::io::stderr().is_terminal())
}

/// Width of the terminal in columns: the terminal's own, else `$COLUMNS`, else 80;
/// clamped to 40..=240 so that folding stays readable.
pub fn term_width() -> usize {
    let w = terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .filter(|&w| w > 0)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(80);
    w.clamp(40, 240)
}

/// How to paint text: with ANSI colours or plain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Emit escape codes.
    pub color: bool,
}

macro_rules! paint_fns {
    ($($(#[$m:meta])* $name:ident => $code:expr;)*) => {
        $(
            $(#[$m])*
            pub fn $name(&self, s: impl AsRef<str>) -> String {
                self.paint($code, s.as_ref())
            }
        )*
    };
}

impl Style {
    /// Plain text.
    pub const PLAIN: Style = Style { color: false };

    /// `s` wrapped in the SGR sequence `code` (when colouring).
    pub fn paint(&self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    paint_fns! {
        /// Bold.
        bold => "1";
        /// Dim (secondary information).
        dim => "2";
        /// Errors, failures, violations.
        red => "31";
        /// Success, fresh state.
        green => "32";
        /// Changes, warnings, stale state.
        yellow => "33";
        /// Structure (gutters, headings).
        blue => "34";
        /// vCPUs, values.
        magenta => "35";
        /// Kernel functions, commands.
        cyan => "36";
        /// Bold red.
        error => "1;31";
        /// Bold yellow: something changed in the last step.
        changed => "1;33";
        /// Bold cyan.
        heading => "1;36";
        /// Underlined red: the offending text of a diagnostic.
        underline_red => "4;31";
    }
}

/// Display width of `s` in columns, ignoring ANSI escape sequences (every other character
/// counts as one column, which holds for everything svelab prints).
pub fn width(s: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in s.chars() {
        if esc {
            if c.is_ascii_alphabetic() {
                esc = false;
            }
        } else if c == '\x1b' {
            esc = true;
        } else {
            n += 1;
        }
    }
    n
}

/// `s` padded with spaces to `w` columns (escape sequences do not count).
pub fn pad(s: &str, w: usize) -> String {
    let n = width(s);
    if n >= w {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

/// Removes ANSI escape sequences.
pub fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        if esc {
            if c.is_ascii_alphabetic() {
                esc = false;
            }
        } else if c == '\x1b' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_adds_nothing() {
        assert_eq!(Style::PLAIN.red("x"), "x");
        assert_eq!(Style { color: true }.red("x"), "\x1b[31mx\x1b[0m");
    }

    #[test]
    fn width_ignores_escapes() {
        let s = Style { color: true }.changed("abc");
        assert_eq!(width(&s), 3);
        assert_eq!(width(&pad(&s, 5)), 5);
        assert_eq!(strip(&s), "abc");
    }

    #[test]
    fn explicit_choice_wins() {
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Never, true));
    }
}
