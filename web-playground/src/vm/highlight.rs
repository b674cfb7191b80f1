//! Syntax colouring for the editor, and the layout of parse diagnostics over it.
//!
//! The colouring is lexical only (the core's parser is the authority on what parses): a
//! word is classified by its spelling and by whether it starts a statement. [`lines`]
//! merges the tokens with the diagnostics' spans into per-line segments, so the editor
//! can underline every error exactly where the parser put it.

use svelab_core::dsl::{Diagnostic, Severity};

/// What a token is, for colouring. Each maps to a CSS class `t-…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Spaces.
    Space,
    /// `# …`.
    Comment,
    /// A statement keyword at the start of a statement (`task`, `sve-op`, `repeat`).
    Keyword,
    /// Another word of the language (`getpid`, `preempt`, `NT_ARM_SVE`, `no-violations`).
    Word,
    /// A kernel name (`v5.19`, `series-v1/p3`).
    Kernel,
    /// A register (`z0`, `p15`, `ffr`, `v3`, `fpsr`).
    Register,
    /// `cpuN`.
    Cpu,
    /// A number.
    Number,
    /// `fill`, `pattern`, `ones`, `zero`.
    Function,
    /// A signal name.
    Signal,
    /// A dotted path (`A.TIF_SVE`, `cpu0.ZCR_EL1.LEN`).
    Path,
    /// `=`, `==`, `->`, comparisons.
    Operator,
    /// `{ } ; ( ) [ ] :`.
    Punct,
    /// A name (task, vCPU).
    Name,
}

impl Class {
    /// The CSS class.
    pub fn css(self) -> &'static str {
        match self {
            Class::Space => "t-sp",
            Class::Comment => "t-com",
            Class::Keyword => "t-kw",
            Class::Word => "t-word",
            Class::Kernel => "t-kern",
            Class::Register => "t-reg",
            Class::Cpu => "t-cpu",
            Class::Number => "t-num",
            Class::Function => "t-fn",
            Class::Signal => "t-sig",
            Class::Path => "t-path",
            Class::Operator => "t-op",
            Class::Punct => "t-punct",
            Class::Name => "t-name",
        }
    }
}

/// Statement keywords (`docs/dsl.md`, "Grammar"), from the parser itself.
pub use svelab_core::dsl::KEYWORDS as STATEMENT_KEYWORDS;

/// A word of the language that is neither a keyword nor a name: an argument word, a
/// frame edit, a `show` target, a path head or a named value (the core's vocabularies).
fn is_language_word(word: &str) -> bool {
    use svelab_core::dsl::vocab;
    vocab::ARGUMENT_WORDS.contains(&word)
        || vocab::EDITS.contains(&word)
        || vocab::SHOW_WORDS.contains(&word)
        || vocab::PATH_HEADS.contains(&word)
        || ["vl", "sve", "fpsimd"].contains(&word)
        || vocab::comparison_words().any(|w| w == word)
}

const FUNCTIONS: [&str; 4] = ["fill", "pattern", "ones", "zero"];

/// A token: a byte range of the source and its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Class.
    pub class: Class,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/') || b >= 0x80
}

fn is_register(w: &str) -> bool {
    let num = |s: &str, max: u32| s.parse::<u32>().is_ok_and(|n| n <= max) && !s.starts_with('+');
    matches!(w, "ffr" | "fpsr" | "fpcr")
        || w.strip_prefix('z').is_some_and(|n| num(n, 31))
        || w.strip_prefix('v').is_some_and(|n| num(n, 31))
        || w.strip_prefix('p').is_some_and(|n| num(n, 15))
}

fn is_number(w: &str) -> bool {
    let w = w.strip_prefix('-').unwrap_or(w);
    if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        return !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit() || b == b'_');
    }
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn classify(word: &str, starts_statement: bool) -> Class {
    if starts_statement && STATEMENT_KEYWORDS.contains(&word) {
        Class::Keyword
    } else if is_number(word) {
        Class::Number
    } else if svelab_core::Kernel::parse(word).is_ok() {
        Class::Kernel
    } else if is_register(word) {
        Class::Register
    } else if word
        .strip_prefix("cpu")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        Class::Cpu
    } else if FUNCTIONS.contains(&word) {
        Class::Function
    } else if word.starts_with("SIG") {
        Class::Signal
    } else if is_language_word(word)
        || svelab_core::dsl::SVC_CALLS.contains(&word)
        || STATEMENT_KEYWORDS.contains(&word)
    {
        Class::Word
    } else if word.contains('.') {
        Class::Path
    } else {
        Class::Name
    }
}

/// Splits `source` into tokens covering every byte.
pub fn tokens(source: &str) -> Vec<Token> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut at_stmt_start = true;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let class = match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                Class::Comment
            }
            b'\n' | b';' | b'{' | b'}' => {
                i += 1;
                at_stmt_start = true;
                if c == b'\n' {
                    Class::Space
                } else {
                    Class::Punct
                }
            }
            _ if c.is_ascii_whitespace() => {
                while i < b.len() && b[i].is_ascii_whitespace() && b[i] != b'\n' {
                    i += 1;
                }
                Class::Space
            }
            b'-' if b.get(i + 1) == Some(&b'>') => {
                i += 2;
                Class::Operator
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if b.get(i) == Some(&b'=') {
                    i += 1;
                }
                Class::Operator
            }
            b'(' | b')' | b'[' | b']' | b':' | b',' => {
                i += 1;
                Class::Punct
            }
            _ if is_word_byte(c) => {
                while i < b.len() && is_word_byte(b[i]) {
                    // `->` ends a word (`preempt->B` is unusual but legal-looking).
                    if b[i] == b'-' && b.get(i + 1) == Some(&b'>') {
                        break;
                    }
                    i += 1;
                }
                // Keep char boundaries: extend over a partial UTF-8 sequence.
                while i < b.len() && !source.is_char_boundary(i) {
                    i += 1;
                }
                let class = classify(&source[start..i], at_stmt_start);
                at_stmt_start = false;
                class
            }
            _ => {
                i += 1;
                while i < b.len() && !source.is_char_boundary(i) {
                    i += 1;
                }
                Class::Punct
            }
        };
        out.push(Token {
            start,
            end: i,
            class,
        });
    }
    out
}

/// One run of text with one class, possibly inside a diagnostic's span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// Its class.
    pub class: Class,
    /// Index of the diagnostic whose span covers it, if any.
    pub diag: Option<usize>,
    /// Is that diagnostic an error (not a warning)?
    pub error: bool,
}

/// One line of the editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number.
    pub number: u32,
    /// The segments, in order.
    pub segments: Vec<Segment>,
    /// A diagnostic that points at the end of this line (nothing to underline).
    pub eol_diag: Option<usize>,
    /// The first diagnostic on this line (for the message in the margin).
    pub first_diag: Option<usize>,
}

/// Lays out `source` as lines of coloured segments, with every diagnostic's span marked.
pub fn lines(source: &str, diags: &[Diagnostic]) -> Vec<Line> {
    let toks = tokens(source);
    // Byte ranges of lines (without the '\n').
    let mut ranges = Vec::new();
    let mut s = 0;
    for (i, c) in source.bytes().enumerate() {
        if c == b'\n' {
            ranges.push((s, i));
            s = i + 1;
        }
    }
    ranges.push((s, source.len()));
    let mut out: Vec<Line> = ranges
        .iter()
        .enumerate()
        .map(|(n, _)| Line {
            number: n as u32 + 1,
            segments: Vec::new(),
            eol_diag: None,
            first_diag: None,
        })
        .collect();
    // Diagnostic ranges, widened to one character when empty and not at a line end.
    let dr: Vec<(usize, usize)> = diags
        .iter()
        .map(|d| {
            let st = d.span.start.min(source.len());
            let en = d.span.end.clamp(st, source.len());
            if en > st {
                (st, en)
            } else {
                let next = source[st..]
                    .chars()
                    .next()
                    .filter(|&c| c != '\n')
                    .map_or(st, |c| st + c.len_utf8());
                (st, next)
            }
        })
        .collect();
    for (di, d) in diags.iter().enumerate() {
        let (st, en) = dr[di];
        let li = (d.line as usize).saturating_sub(1).min(out.len() - 1);
        if out[li].first_diag.is_none() {
            out[li].first_diag = Some(di);
        }
        if st == en {
            let li = source[..st].bytes().filter(|&b| b == b'\n').count();
            if out[li].eol_diag.is_none() {
                out[li].eol_diag = Some(di);
            }
        }
    }
    for (li, &(ls, le)) in ranges.iter().enumerate() {
        // Cut points: token bounds and diagnostic bounds within the line.
        let mut cuts = vec![ls, le];
        let first = toks.partition_point(|t| t.end <= ls);
        let mut tj = first;
        while tj < toks.len() && toks[tj].start < le {
            cuts.push(toks[tj].start.max(ls));
            cuts.push(toks[tj].end.min(le));
            tj += 1;
        }
        for &(st, en) in &dr {
            if st < le && en > ls {
                cuts.push(st.max(ls));
                cuts.push(en.min(le));
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let segs = &mut out[li].segments;
        let mut k = first;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a >= b || !source.is_char_boundary(a) || !source.is_char_boundary(b) {
                continue;
            }
            while k < toks.len() && toks[k].end <= a {
                k += 1;
            }
            let class = toks.get(k).map_or(Class::Space, |t| t.class);
            let diag = dr
                .iter()
                .position(|&(st, en)| st <= a && b <= en && st < en);
            let error = diag.is_some_and(|i| diags[i].severity == Severity::Error);
            let text = &source[a..b];
            match segs.last_mut() {
                Some(last) if last.class == class && last.diag == diag => last.text.push_str(text),
                _ => segs.push(Segment {
                    text: text.to_string(),
                    class,
                    diag,
                    error,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use svelab_core::dsl::Span;

    fn classes(src: &str) -> Vec<(String, Class)> {
        tokens(src)
            .into_iter()
            .filter(|t| t.class != Class::Space)
            .map(|t| (src[t.start..t.end].to_string(), t.class))
            .collect()
    }

    #[test]
    fn statements_are_coloured_by_role() {
        let c = classes("kernel series-v1/p3\nsve-op A z0=fill(0xaa) p1=0x0f # hi\nexpect A.TIF_SVE == 1; svc A kill B SIGUSR1");
        let get = |w: &str| c.iter().find(|(t, _)| t == w).map(|x| x.1);
        assert_eq!(get("kernel"), Some(Class::Keyword));
        assert_eq!(get("series-v1/p3"), Some(Class::Kernel));
        assert_eq!(get("sve-op"), Some(Class::Keyword));
        assert_eq!(get("A"), Some(Class::Name));
        assert_eq!(get("z0"), Some(Class::Register));
        assert_eq!(get("fill"), Some(Class::Function));
        assert_eq!(get("0xaa"), Some(Class::Number));
        assert_eq!(get("# hi"), Some(Class::Comment));
        assert_eq!(get("A.TIF_SVE"), Some(Class::Path));
        assert_eq!(get("=="), Some(Class::Operator));
        assert_eq!(
            get("svc"),
            Some(Class::Keyword),
            "after `;` a statement starts"
        );
        assert_eq!(get("kill"), Some(Class::Word));
        assert_eq!(get("SIGUSR1"), Some(Class::Signal));
    }

    #[test]
    fn tokens_cover_every_byte_even_for_odd_input() {
        for src in [
            "",
            "é",
            "task é on=cpu0",
            "a\u{0}b{{}}->==!",
            "#",
            "\n\n",
            "x-",
            "-1",
        ] {
            let t = tokens(src);
            let mut pos = 0;
            for k in &t {
                assert_eq!(k.start, pos, "{src:?}");
                assert!(k.end > k.start);
                pos = k.end;
            }
            assert_eq!(pos, src.len(), "{src:?}");
        }
        assert_eq!(classes("sysctl x=-1")[3], ("-1".into(), Class::Number));
    }

    #[test]
    fn every_statement_in_the_docs_starts_with_a_keyword() {
        let doc = include_str!("../../../docs/dsl.md");
        let mut n = 0;
        for block in doc.split("```svl").skip(1) {
            let body = block.split("```").next().unwrap();
            for line in body.lines() {
                let t: Vec<_> = classes(line);
                if let Some((w, c)) = t.first() {
                    if *c != Class::Comment && *c != Class::Punct {
                        assert_eq!(*c, Class::Keyword, "{w} in {line}");
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 50);
    }

    fn diag(src: &str, start: usize, end: usize) -> Diagnostic {
        Diagnostic::error(src, Span::new(start, end), "bad", "fix it")
    }

    #[test]
    fn diagnostics_split_segments_exactly_at_their_span() {
        let src = "task A\nsve-op A z32=1\n";
        let d = vec![diag(src, 16, 19)];
        let l = lines(src, &d);
        assert_eq!(l.len(), 3);
        assert_eq!(l[1].first_diag, Some(0));
        let under: String = l[1]
            .segments
            .iter()
            .filter(|s| s.diag == Some(0))
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(under, "z32");
        assert!(l[1].segments.iter().any(|s| s.error));
        let all: String = l[1].segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(all, "sve-op A z32=1");
        assert!(l[0].segments.iter().all(|s| s.diag.is_none()));
    }

    #[test]
    fn empty_spans_widen_or_mark_the_line_end() {
        let src = "repeat 3 {\nsvc A";
        // At the end of the file: nothing to underline.
        let l = lines(src, &[diag(src, src.len(), src.len())]);
        assert_eq!(l[1].eol_diag, Some(0));
        // In the middle: one character.
        let l = lines(src, &[diag(src, 0, 0)]);
        assert_eq!(l[0].segments[0].text, "r");
        assert_eq!(l[0].segments[0].diag, Some(0));
        // Spans past the end and across lines do not panic.
        let l = lines(src, &[diag(src, 5, 400)]);
        assert!(l[1].segments.iter().all(|s| s.diag == Some(0)));
        let _ = lines("é\né", &[diag("é\né", 1, 2)]);
    }
}
