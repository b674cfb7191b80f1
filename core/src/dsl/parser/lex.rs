//! The token level and the helpers every statement shares.
//!
//! nom is used here, at the token level only (words, numbers, hex literals, punctuation);
//! above it is a hand-written recursive descent over the tokens ([`StmtParser`]), because
//! nom's error type cannot carry our hints and per-statement recovery.

use crate::dsl::ast::*;
use crate::dsl::diag::Diagnostic;
use crate::model::op::{Reg, RegWrite, Value};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char as nchar, digit1};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, preceded};
use nom::IResult;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Int(u128, bool),
    Hex(Vec<u8>),
    Punct(&'static str),
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) span: Span,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-')
}

fn lex_word(i: &str) -> IResult<&str, &str> {
    // A word may contain `-` but not the arrow `->`.
    let (rest, w) = recognize(pair(take_while1(is_word_start), take_while(is_word_char)))(i)?;
    if let Some(pos) = w.find("->") {
        let cut = &i[..pos];
        return Ok((&i[pos..], cut));
    }
    Ok((rest, w))
}

fn lex_hex(i: &str) -> IResult<&str, &str> {
    preceded(
        alt((tag("0x"), tag("0X"))),
        take_while1(|c: char| c.is_ascii_hexdigit() || c == '_'),
    )(i)
}

fn lex_int(i: &str) -> IResult<&str, &str> {
    recognize(pair(opt(nchar('-')), digit1))(i)
}

fn lex_punct(i: &str) -> IResult<&str, &str> {
    alt((
        tag("=="),
        tag("!="),
        tag("<="),
        tag(">="),
        tag("->"),
        tag("="),
        tag("<"),
        tag(">"),
        tag("("),
        tag(")"),
        tag(","),
        tag("["),
        tag("]"),
        tag(":"),
    ))(i)
}

fn punct_static(p: &str) -> &'static str {
    match p {
        "==" => "==",
        "!=" => "!=",
        "<=" => "<=",
        ">=" => ">=",
        "->" => "->",
        "=" => "=",
        "<" => "<",
        ">" => ">",
        "(" => "(",
        ")" => ")",
        "," => ",",
        "[" => "[",
        "]" => "]",
        _ => ":",
    }
}

fn hex_bytes(digits: &str) -> Vec<u8> {
    let ds: Vec<u8> = digits
        .chars()
        .filter_map(|c| c.to_digit(16).map(|d| d as u8))
        .collect();
    let mut out = Vec::with_capacity(ds.len().div_ceil(2));
    let mut i = ds.len();
    while i > 0 {
        let lo = ds[i - 1];
        let hi = if i >= 2 { ds[i - 2] } else { 0 };
        out.push(hi << 4 | lo);
        i = i.saturating_sub(2);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Parsing one statement.

pub(super) struct StmtParser<'a> {
    pub(super) src: &'a str,
    pub(super) toks: Vec<Token>,
    pub(super) pos: usize,
    pub(super) span: Span,
    pub(super) errs: Vec<Diagnostic>,
}

pub(super) type PResult<T> = Result<T, ()>;

impl<'a> StmtParser<'a> {
    pub(super) fn new(src: &'a str, span: Span) -> StmtParser<'a> {
        let mut p = StmtParser {
            src,
            toks: Vec::new(),
            pos: 0,
            span,
            errs: Vec::new(),
        };
        p.lex();
        p
    }

    fn lex(&mut self) {
        let text = self.src.get(self.span.start..self.span.end).unwrap_or("");
        let mut i = text;
        loop {
            i = i.trim_start();
            if i.is_empty() {
                break;
            }
            let off = self.span.start + (text.len() - i.len());
            let (rest, tok) = if let Ok((rest, h)) = lex_hex(i) {
                (rest, Some(Tok::Hex(hex_bytes(h))))
            } else if let Ok((rest, n)) = lex_int(i) {
                let neg = n.starts_with('-');
                match n.trim_start_matches('-').parse::<u128>() {
                    Ok(v) => (rest, Some(Tok::Int(v, neg))),
                    Err(_) => {
                        self.err(
                            Span::new(off, off + n.len()),
                            "number too large",
                            "use a hex literal (0x…) for wide register values",
                        );
                        (rest, Some(Tok::Int(0, false)))
                    }
                }
            } else if let Ok((rest, w)) = lex_word(i) {
                (rest, Some(Tok::Word(w.to_string())))
            } else if let Ok((rest, p)) = lex_punct(i) {
                (rest, Some(Tok::Punct(punct_static(p))))
            } else {
                let c = i.chars().next().unwrap_or(' ');
                self.err(
                    Span::new(off, off + c.len_utf8()),
                    format!("unexpected character `{c}`"),
                    "statements use words, numbers, `=`, `->`, `( )`, `[ : ]` and comparison operators",
                );
                (&i[c.len_utf8()..], None)
            };
            let consumed = i.len() - rest.len();
            if let Some(tok) = tok {
                self.toks.push(Token {
                    tok,
                    span: Span::new(off, off + consumed),
                });
            }
            i = rest;
        }
    }

    pub(super) fn err(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.errs.push(Diagnostic::error(self.src, span, msg, hint));
    }

    pub(super) fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    pub(super) fn end_span(&self) -> Span {
        Span::new(self.span.end, self.span.end)
    }

    pub(super) fn here(&self) -> Span {
        self.peek().map_or(self.end_span(), |t| t.span)
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub(super) fn end(&mut self) -> PResult<()> {
        if let Some(t) = self.peek().cloned() {
            let last = self.toks.last().map_or(t.span, |l| l.span);
            self.err(
                t.span.join(last),
                "unexpected text at the end of the statement",
                "remove it, or separate statements with `;` or a new line",
            );
            return Err(());
        }
        Ok(())
    }

    pub(super) fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn word(&mut self, what: &str) -> PResult<Ident> {
        match self.next() {
            Some(Token {
                tok: Tok::Word(w),
                span,
            }) => Ok(Ident { name: w, span }),
            Some(t) => {
                self.err(
                    t.span,
                    format!("expected {what}"),
                    format!("write {what} here"),
                );
                Err(())
            }
            None => {
                let s = self.end_span();
                self.err(
                    s,
                    format!("expected {what}"),
                    format!("the statement ends too early: add {what}"),
                );
                Err(())
            }
        }
    }

    /// A name of a task or vCPU.
    pub(super) fn name(&mut self, what: &str) -> PResult<Ident> {
        let id = self.word(what)?;
        if id.name.contains(['.', '/']) || id.name.starts_with('-') {
            self.err(
                id.span,
                format!("`{}` is not a valid name", id.name),
                "names are letters, digits, `_` and `-`, e.g. `A`, `vmm`, `V0`",
            );
            return Err(());
        }
        Ok(id)
    }

    pub(super) fn cpu(&mut self) -> PResult<Ident> {
        let id = self.word("a CPU (`cpu0`…)")?;
        if crate::model::types::cpu_index(&id.name).is_none() {
            self.err(
                id.span,
                format!("`{}` is not a CPU", id.name),
                "CPUs are named cpu0, cpu1, … (at most 8, see `cpus N`)",
            );
            return Err(());
        }
        Ok(id)
    }

    pub(super) fn punct(&mut self, p: &'static str) -> PResult<Span> {
        match self.next() {
            Some(Token {
                tok: Tok::Punct(q),
                span,
            }) if q == p => Ok(span),
            Some(t) => {
                self.err(
                    t.span,
                    format!("expected `{p}`"),
                    format!("write `{p}` here"),
                );
                Err(())
            }
            None => {
                let s = self.end_span();
                self.err(s, format!("expected `{p}`"), "the statement ends too early");
                Err(())
            }
        }
    }

    pub(super) fn eat_punct(&mut self, p: &'static str) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(q), .. }) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn eat_word(&mut self, w: &str) -> Option<Span> {
        match self.peek() {
            Some(Token {
                tok: Tok::Word(x),
                span,
            }) if x == w => {
                let s = *span;
                self.pos += 1;
                Some(s)
            }
            _ => None,
        }
    }

    pub(super) fn uint(&mut self, what: &str) -> PResult<(u128, Span)> {
        match self.next() {
            Some(Token {
                tok: Tok::Int(v, false),
                span,
            }) => Ok((v, span)),
            Some(Token {
                tok: Tok::Hex(b),
                span,
            }) => {
                if b.len() > 16 {
                    self.err(span, "number too large", "at most 128 bits here");
                    return Err(());
                }
                let mut a = [0u8; 16];
                a[..b.len()].copy_from_slice(&b);
                Ok((u128::from_le_bytes(a), span))
            }
            Some(t) => {
                self.err(
                    t.span,
                    format!("expected {what}"),
                    "write a non-negative number",
                );
                Err(())
            }
            None => {
                let s = self.end_span();
                self.err(
                    s,
                    format!("expected {what}"),
                    "the statement ends too early",
                );
                Err(())
            }
        }
    }

    pub(super) fn int(&mut self, what: &str) -> PResult<(i128, Span)> {
        match self.peek().cloned() {
            Some(Token {
                tok: Tok::Int(v, true),
                span,
            }) => {
                self.pos += 1;
                if v > i128::MAX as u128 {
                    self.err(span, "number too large", "use a smaller number");
                    return Err(());
                }
                Ok((-(v as i128), span))
            }
            _ => {
                let (v, s) = self.uint(what)?;
                if v > i128::MAX as u128 {
                    self.err(s, "number too large", "use a smaller number");
                    return Err(());
                }
                Ok((v as i128, s))
            }
        }
    }

    /// A VL in bits: multiple of 128 in 128..=2048.
    pub(super) fn vl_bits(&mut self) -> PResult<u32> {
        let (v, s) = self.uint("a vector length in bits")?;
        if !(128..=2048).contains(&v) || v % 128 != 0 {
            self.err(
                s,
                format!("{v} is not a vector length"),
                "vector lengths are in bits: a multiple of 128 from 128 to 2048 (e.g. 128, 256, 512)",
            );
            return Err(());
        }
        Ok(v as u32)
    }

    /// `key=` where `key` is one of `keys`.
    pub(super) fn key_eq(&mut self, key: &str) -> bool {
        let save = self.pos;
        if self.eat_word(key).is_some() && self.eat_punct("=") {
            return true;
        }
        self.pos = save;
        false
    }

    pub(super) fn next_spec(&mut self) -> PResult<NextSpec> {
        let w = self.word("what runs next: a task, `idle` or `kthread`")?;
        Ok(match w.name.as_str() {
            "idle" => NextSpec::Idle,
            "kthread" => NextSpec::Kthread,
            _ => NextSpec::Task(w),
        })
    }

    /// `reg=value` pairs until the end or a non-register word.
    pub(super) fn writes(&mut self, set: WriteSet) -> PResult<Vec<RegWrite>> {
        let mut out = Vec::new();
        let mut bad = false;
        loop {
            let save = self.pos;
            let Some(Token {
                tok: Tok::Word(w),
                span,
            }) = self.peek().cloned()
            else {
                break;
            };
            if !matches!(
                self.toks.get(self.pos + 1),
                Some(Token {
                    tok: Tok::Punct("="),
                    ..
                })
            ) {
                break;
            }
            self.pos += 2;
            let reg = match parse_reg(&w) {
                Ok(r) => r,
                Err(hint) => {
                    self.err(span, format!("unknown register {w}"), hint);
                    bad = true;
                    let _ = self.value();
                    continue;
                }
            };
            if let Err(hint) = set.allows(reg) {
                self.err(span, format!("{reg} cannot be written here"), hint);
                bad = true;
            }
            match self.value() {
                Ok(value) => out.push(RegWrite { reg, value }),
                Err(()) => {
                    bad = true;
                    if self.pos == save + 2 {
                        // Nothing usable after `=`: stop, the error is reported.
                        break;
                    }
                }
            }
        }
        if bad {
            Err(())
        } else {
            Ok(out)
        }
    }

    /// A register value.
    pub(super) fn value(&mut self) -> PResult<Value> {
        match self.next() {
            Some(Token {
                tok: Tok::Hex(b), ..
            }) => Ok(Value::Hex(trim_hex(b))),
            Some(Token {
                tok: Tok::Int(v, false),
                ..
            }) => Ok(Value::Hex(int_bytes(v))),
            Some(Token {
                tok: Tok::Int(_, true),
                span,
            }) => {
                self.err(
                    span,
                    "register values are not signed",
                    "write the two's complement in hex, or use ones",
                );
                Err(())
            }
            Some(Token {
                tok: Tok::Word(w),
                span,
            }) => match w.as_str() {
                "ones" => Ok(Value::Ones),
                "zero" => Ok(Value::Zero),
                "fill" | "pattern" => {
                    self.punct("(")?;
                    let (b, s) = self.uint("a byte")?;
                    self.punct(")")?;
                    if b > 255 {
                        self.err(s, format!("{b} does not fit in a byte"), "use 0x00–0xff");
                        return Err(());
                    }
                    Ok(if w == "fill" {
                        Value::Fill(b as u8)
                    } else {
                        Value::Pattern(b as u8)
                    })
                }
                _ => {
                    self.err(
                        span,
                        format!("`{w}` is not a value"),
                        "values: 0x… (hex), decimal, fill(0xNN), ones, zero, pattern(N)",
                    );
                    Err(())
                }
            },
            Some(t) => {
                self.err(
                    t.span,
                    "expected a value",
                    "values: 0x… (hex), decimal, fill(0xNN), ones, zero, pattern(N)",
                );
                Err(())
            }
            None => {
                let s = self.end_span();
                self.err(
                    s,
                    "expected a value",
                    "values: 0x… (hex), decimal, fill(0xNN), ones, zero, pattern(N)",
                );
                Err(())
            }
        }
    }
}

/// Keeps significant bytes of a hex literal as written (its width is part of the literal).
pub(super) fn trim_hex(b: Vec<u8>) -> Vec<u8> {
    if b.is_empty() {
        vec![0]
    } else {
        b
    }
}

fn int_bytes(v: u128) -> Vec<u8> {
    let b = v.to_le_bytes();
    let n = 16 - (v.leading_zeros() as usize / 8);
    b[..n.max(1)].to_vec()
}

#[derive(Clone, Copy)]
pub(super) enum WriteSet {
    SveInsn,
    FpInsn,
    Fpsimd,
    SvePayload,
    Any,
    None,
}

impl WriteSet {
    pub(super) fn allows(self, r: Reg) -> Result<(), &'static str> {
        match (self, r) {
            (WriteSet::None, _) => Err("a header-only payload carries no registers"),
            (WriteSet::SveInsn | WriteSet::SvePayload, Reg::V(_)) => {
                Err("an SVE write names z registers (their low 128 bits are V); use `fp-op` for v")
            }
            (WriteSet::FpInsn, Reg::Z(_) | Reg::P(_) | Reg::Ffr) => {
                Err("an FP/AdvSIMD instruction cannot write SVE registers; use `sve-op`")
            }
            (WriteSet::Fpsimd, Reg::Z(_) | Reg::P(_) | Reg::Ffr) => {
                Err("an FPSIMD payload carries v0–v31, fpsr and fpcr only")
            }
            _ => Ok(()),
        }
    }
}

/// Parses a register name: `z0`–`z31`, `p0`–`p15`, `ffr`, `v0`–`v31`, `fpsr`, `fpcr`.
pub(crate) fn parse_reg(s: &str) -> Result<Reg, String> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "ffr" => return Ok(Reg::Ffr),
        "fpsr" => return Ok(Reg::Fpsr),
        "fpcr" => return Ok(Reg::Fpcr),
        _ => {}
    }
    let (kind, num) = lower.split_at(lower.chars().next().map_or(0, char::len_utf8));
    let n = num
        .parse::<u32>()
        .ok()
        .filter(|_| !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()));
    match (kind, n) {
        ("z", Some(n)) if n < 32 => Ok(Reg::Z(n as u8)),
        ("v", Some(n)) if n < 32 => Ok(Reg::V(n as u8)),
        ("p", Some(n)) if n < 16 => Ok(Reg::P(n as u8)),
        ("z", Some(_)) => Err("Z registers are z0–z31".into()),
        ("v", Some(_)) => Err("V registers are v0–v31".into()),
        ("p", Some(_)) => Err("P registers are p0–p15".into()),
        _ => Err("registers are z0–z31, p0–p15, ffr, v0–v31, fpsr, fpcr".into()),
    }
}

/// The closest candidate within edit distance 2.
pub(crate) fn suggest<'k>(word: &str, candidates: &[&'k str]) -> Option<&'k str> {
    candidates
        .iter()
        .map(|c| (crate::dsl::diag::edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
