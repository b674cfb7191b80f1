//! The parser: a statement splitter (separators, comments, `{ }` blocks), a nom lexer per
//! statement, and one small function per statement kind over the tokens.
//!
//! Error recovery is by statement: a statement that does not parse gives one or more
//! diagnostics and is left out; parsing goes on with the next one. Nothing here panics on
//! any input (the parser is fuzzed, see `tests/tests/dsl_fuzz.rs`).

use super::ast::*;
use super::diag::Diagnostic;
use super::vocab::{KEYWORDS, SVC_CALLS};
use crate::model::event::Sig;
use crate::model::kernel::Kernel;
use crate::model::op::{FrameEdit, Reg, RegWrite, Value};
use crate::model::vcpu::KvmMode;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char as nchar, digit1};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, preceded};
use nom::IResult;

/// Largest `repeat` count accepted.
pub const MAX_REPEAT: u64 = 1 << 40;
/// Deepest `repeat` nesting accepted.
pub const MAX_DEPTH: usize = 16;

/// Parses a script. Never panics; returns what parsed and every error found.
pub fn parse(source: &str) -> (Program, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let segs = split(source, &mut diags);
    let stmts = lower_segs(source, &segs, 0, &mut diags);
    (
        Program {
            source: source.to_string(),
            stmts,
        },
        diags,
    )
}

/// Is `source` unfinished (an unclosed `{`)? The REPL keeps reading lines while it is.
pub fn is_incomplete(source: &str) -> bool {
    let mut depth = 0i64;
    let mut comment = false;
    for c in source.chars() {
        match c {
            '\n' => comment = false,
            '#' => comment = true,
            '{' if !comment => depth += 1,
            '}' if !comment => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Parses a condition as `expect` and `break when` take it (`A.TIF_SVE == 0`).
pub fn parse_condition(text: &str) -> Result<Condition, Vec<Diagnostic>> {
    let mut p = StmtParser::new(text, Span::new(0, text.len()));
    match p.condition() {
        Ok(c) if p.errs.is_empty() => match p.end() {
            Ok(()) => Ok(c),
            Err(()) => Err(p.errs),
        },
        _ => {
            if p.errs.is_empty() {
                p.err(
                    Span::new(0, text.len()),
                    "invalid condition",
                    "e.g. `A.TIF_SVE == 0`",
                );
            }
            Err(p.errs)
        }
    }
}

/// Parses a path (`cpu0.last.st`, `A.z0[255:128]`).
pub fn parse_path(text: &str) -> Result<Path, Vec<Diagnostic>> {
    let mut p = StmtParser::new(text, Span::new(0, text.len()));
    match p.path() {
        Ok(path) if p.end().is_ok() => Ok(path),
        _ => {
            if p.errs.is_empty() {
                p.err(
                    Span::new(0, text.len()),
                    "invalid path",
                    "e.g. `A.z0` or `cpu0.owner`",
                );
            }
            Err(p.errs)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Splitting into statements and blocks.

#[derive(Debug)]
enum Seg {
    Stmt(Span),
    Block {
        header: Span,
        open: Span,
        body: Vec<Seg>,
    },
}

fn split(src: &str, diags: &mut Vec<Diagnostic>) -> Vec<Seg> {
    // Stack of (header span, open span, segments so far).
    let mut stack: Vec<(Span, Span, Vec<Seg>)> = Vec::new();
    let mut top: Vec<Seg> = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_end = 0usize;
    let mut comment = false;
    let finish = |start: &mut Option<usize>, last_end: usize, out: &mut Vec<Seg>| {
        if let Some(s) = start.take() {
            out.push(Seg::Stmt(Span::new(s, last_end)));
        }
    };
    for (i, c) in src.char_indices() {
        let cur = if let Some(t) = stack.last_mut() {
            &mut t.2
        } else {
            &mut top
        };
        if comment {
            if c == '\n' {
                comment = false;
                finish(&mut start, last_end, cur);
            }
            continue;
        }
        match c {
            '#' => comment = true,
            '\n' | ';' => finish(&mut start, last_end, cur),
            '{' => {
                let header = match start.take() {
                    Some(s) => Span::new(s, last_end),
                    None => Span::new(i, i),
                };
                stack.push((header, Span::new(i, i + 1), Vec::new()));
            }
            '}' => {
                finish(&mut start, last_end, cur);
                match stack.pop() {
                    Some((header, open, body)) => {
                        let parent = if let Some(t) = stack.last_mut() {
                            &mut t.2
                        } else {
                            &mut top
                        };
                        parent.push(Seg::Block { header, open, body });
                    }
                    None => diags.push(Diagnostic::error(
                        src,
                        Span::new(i, i + 1),
                        "unmatched `}`",
                        "a block is `repeat N { … }`; remove this brace or add the opening one",
                    )),
                }
            }
            c if c.is_whitespace() => {}
            _ => {
                if start.is_none() {
                    start = Some(i);
                }
                last_end = i + c.len_utf8();
            }
        }
    }
    {
        let cur = if let Some(t) = stack.last_mut() {
            &mut t.2
        } else {
            &mut top
        };
        finish(&mut start, last_end, cur);
    }
    while let Some((header, open, body)) = stack.pop() {
        diags.push(Diagnostic::error(
            src,
            open,
            "unclosed `{`",
            "close the block with `}`",
        ));
        let parent = if let Some(t) = stack.last_mut() {
            &mut t.2
        } else {
            &mut top
        };
        parent.push(Seg::Block { header, open, body });
    }
    top
}

fn lower_segs(src: &str, segs: &[Seg], depth: usize, diags: &mut Vec<Diagnostic>) -> Vec<Stmt> {
    let mut out = Vec::new();
    for seg in segs {
        match seg {
            Seg::Stmt(span) => {
                let mut p = StmtParser::new(src, *span);
                let r = p.statement();
                diags.append(&mut p.errs);
                if let Ok(kind) = r {
                    out.push(Stmt { span: *span, kind });
                }
            }
            Seg::Block { header, open, body } => {
                let count = parse_repeat_header(src, *header, *open, diags);
                if depth + 1 > MAX_DEPTH {
                    diags.push(Diagnostic::error(
                        src,
                        *open,
                        format!("blocks nest deeper than {MAX_DEPTH}"),
                        "flatten the script",
                    ));
                    continue;
                }
                let body = lower_segs(src, body, depth + 1, diags);
                if let Some(count) = count {
                    out.push(Stmt {
                        span: header.join(*open),
                        kind: StmtKind::Repeat { count, body },
                    });
                }
            }
        }
    }
    out
}

fn parse_repeat_header(
    src: &str,
    header: Span,
    open: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<u64> {
    let mut p = StmtParser::new(src, header);
    let r = (|| {
        let kw = p.word("`repeat`")?;
        if kw.name != "repeat" {
            p.err(
                kw.span,
                format!("`{}` cannot open a block", kw.name),
                "only `repeat N { … }` takes a block",
            );
            return Err(());
        }
        let n = p.uint("a repeat count")?;
        if n.0 > u128::from(MAX_REPEAT) {
            p.err(
                n.1,
                "repeat count too large",
                format!("at most {MAX_REPEAT}"),
            );
            return Err(());
        }
        p.end()?;
        Ok(n.0 as u64)
    })();
    if header.start == header.end {
        diags.push(Diagnostic::error(
            src,
            open,
            "a block needs a header",
            "write `repeat N { … }`",
        ));
        return None;
    }
    diags.append(&mut p.errs);
    r.ok()
}

// ---------------------------------------------------------------------------------------
// Lexing one statement (nom).

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Int(u128, bool),
    Hex(Vec<u8>),
    Punct(&'static str),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
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

struct StmtParser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    span: Span,
    errs: Vec<Diagnostic>,
}

type PResult<T> = Result<T, ()>;

impl<'a> StmtParser<'a> {
    fn new(src: &'a str, span: Span) -> StmtParser<'a> {
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

    fn err(&mut self, span: Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.errs.push(Diagnostic::error(self.src, span, msg, hint));
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn end_span(&self) -> Span {
        Span::new(self.span.end, self.span.end)
    }

    fn here(&self) -> Span {
        self.peek().map_or(self.end_span(), |t| t.span)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn end(&mut self) -> PResult<()> {
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

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn word(&mut self, what: &str) -> PResult<Ident> {
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
    fn name(&mut self, what: &str) -> PResult<Ident> {
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

    fn cpu(&mut self) -> PResult<Ident> {
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

    fn punct(&mut self, p: &'static str) -> PResult<Span> {
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

    fn eat_punct(&mut self, p: &'static str) -> bool {
        if matches!(self.peek(), Some(Token { tok: Tok::Punct(q), .. }) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> Option<Span> {
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

    fn uint(&mut self, what: &str) -> PResult<(u128, Span)> {
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

    fn int(&mut self, what: &str) -> PResult<(i128, Span)> {
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
    fn vl_bits(&mut self) -> PResult<u32> {
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
    fn key_eq(&mut self, key: &str) -> bool {
        let save = self.pos;
        if self.eat_word(key).is_some() && self.eat_punct("=") {
            return true;
        }
        self.pos = save;
        false
    }

    fn next_spec(&mut self) -> PResult<NextSpec> {
        let w = self.word("what runs next: a task, `idle` or `kthread`")?;
        Ok(match w.name.as_str() {
            "idle" => NextSpec::Idle,
            "kthread" => NextSpec::Kthread,
            _ => NextSpec::Task(w),
        })
    }

    fn statement(&mut self) -> PResult<StmtKind> {
        let kw = self.word("a statement keyword")?;
        let kind = match kw.name.as_str() {
            "kernel" => {
                let w = self.word("a kernel name")?;
                match Kernel::parse(&w.name) {
                    Ok(k) => StmtKind::Kernel(k),
                    Err(e) => {
                        self.err(
                            w.span,
                            format!("unknown kernel `{}`", w.name),
                            e.to_string(),
                        );
                        return Err(());
                    }
                }
            }
            "cpus" => {
                let (n, s) = self.uint("a CPU count")?;
                if !(1..=crate::model::machine::Config::MAX_CPUS as u128).contains(&n) {
                    self.err(
                        s,
                        format!("{n} CPUs is out of range"),
                        format!(
                            "the model has 1 to {} CPUs",
                            crate::model::machine::Config::MAX_CPUS
                        ),
                    );
                    return Err(());
                }
                StmtKind::Cpus(n as u8)
            }
            "vls" => {
                let mut v = vec![self.vl_bits()?];
                while self.eat_punct(",") {
                    v.push(self.vl_bits()?);
                }
                v.sort_unstable();
                v.dedup();
                StmtKind::Vls(v)
            }
            "kvm-mode" => {
                let w = self.word("`vhe` or `nvhe`")?;
                match w.name.as_str() {
                    "vhe" => StmtKind::KvmMode(KvmMode::Vhe),
                    "nvhe" => StmtKind::KvmMode(KvmMode::Nvhe),
                    _ => {
                        self.err(
                            w.span,
                            format!("unknown KVM mode `{}`", w.name),
                            "write `vhe` or `nvhe`",
                        );
                        return Err(());
                    }
                }
            }
            "sysctl" => {
                let w = self.word("a sysctl name")?;
                let which = match w.name.as_str() {
                    "abi.sve_default_vector_length" => Sysctl::SveDefaultVectorLength,
                    "abi.sve_syscall_clear_regs" => Sysctl::SveSyscallClearRegs,
                    _ => {
                        self.err(
                            w.span,
                            format!("unknown sysctl `{}`", w.name),
                            "known: abi.sve_default_vector_length (bytes, -1 = max), abi.sve_syscall_clear_regs (0/1, series-v1/p7 only)",
                        );
                        return Err(());
                    }
                };
                self.punct("=")?;
                let (v, s) = self.int("a value")?;
                if v < i128::from(i64::MIN) || v > i128::from(i64::MAX) {
                    self.err(s, "value out of range", "sysctl values are integers");
                    return Err(());
                }
                StmtKind::Sysctl(which, v as i64)
            }
            "task" => {
                let name = self.name("a task name")?;
                let mut bits = None;
                let mut on = None;
                while !self.at_end() {
                    if self.key_eq("vl") {
                        bits = Some(self.vl_bits()?);
                    } else if self.key_eq("on") {
                        on = Some(self.cpu()?);
                    } else {
                        let s = self.here();
                        self.err(s, "unexpected argument", "`task NAME [vl=BITS] [on=cpuN]`");
                        return Err(());
                    }
                }
                StmtKind::Task { name, bits, on }
            }
            "vcpu" => {
                let name = self.name("a vCPU name")?;
                let w = self.word("`sve` or `nosve`")?;
                let sve = match w.name.as_str() {
                    "sve" => true,
                    "nosve" => false,
                    _ => {
                        self.err(
                            w.span,
                            "expected `sve` or `nosve`",
                            "`vcpu V0 sve vl=512` or `vcpu V1 nosve`",
                        );
                        return Err(());
                    }
                };
                let mut bits = None;
                if self.key_eq("vl") {
                    bits = Some(self.vl_bits()?);
                    if !sve {
                        self.err(
                            w.span,
                            "a vCPU without SVE has no vector length",
                            "drop `vl=`, or write `sve`",
                        );
                        return Err(());
                    }
                }
                StmtKind::Vcpu { name, sve, bits }
            }
            "sve-op" | "fp-op" => {
                let sve = kw.name == "sve-op";
                let task = self.name("a task name")?;
                let writes = self.writes(if sve {
                    WriteSet::SveInsn
                } else {
                    WriteSet::FpInsn
                })?;
                let mut interrupt = InterruptSpec::None;
                if let Some(s) = self.eat_word("preempt") {
                    if !sve {
                        self.err(
                            s,
                            "an FP instruction never traps",
                            "`preempt ->` only applies to `sve-op`",
                        );
                        return Err(());
                    }
                    self.punct("->")?;
                    interrupt = InterruptSpec::Preempt(self.next_spec()?);
                } else if let Some(s) = self.eat_word("softirq-neon") {
                    if !sve {
                        self.err(
                            s,
                            "an FP instruction never traps",
                            "`softirq-neon` only applies to `sve-op`",
                        );
                        return Err(());
                    }
                    interrupt = InterruptSpec::SoftirqNeon;
                }
                StmtKind::UserOp {
                    task,
                    sve,
                    writes,
                    interrupt,
                }
            }
            "svc" => {
                let task = self.name("a task name")?;
                let call = self.svc()?;
                StmtKind::Svc { task, call }
            }
            "ctxsw" => {
                let cpu = self.cpu()?;
                let next = self.next_spec()?;
                let point = if self.eat_word("preempt-before-restore").is_some() {
                    Some(crate::model::op::ReturnPoint::BeforeRestore)
                } else if self.eat_word("preempt-after-restore").is_some() {
                    Some(crate::model::op::ReturnPoint::AfterRestore)
                } else {
                    None
                };
                let on_return = match point {
                    Some(p) => {
                        let arrow = self.punct("->")?;
                        if !matches!(next, NextSpec::Task(_)) {
                            self.err(
                                arrow,
                                "only a task switched in returns to user space",
                                "`ctxsw CPU TASK preempt-before-restore -> NEXT`",
                            );
                            return Err(());
                        }
                        Some((p, self.next_spec()?))
                    }
                    None => None,
                };
                StmtKind::Ctxsw {
                    cpu,
                    next,
                    on_return,
                }
            }
            "migrate" => {
                let task = self.name("a task name")?;
                let cpu = self.cpu()?;
                StmtKind::Migrate { task, cpu }
            }
            "signal" => {
                let task = self.name("a task name")?;
                let sig = self.sig()?;
                StmtKind::Signal { task, sig }
            }
            "ptrace" => {
                let task = self.name("a task name")?;
                let req = self.ptrace()?;
                StmtKind::Ptrace { task, req }
            }
            "kernel-neon" => StmtKind::KernelNeon(self.name("a CPU or a task")?),
            "cpu-pm" => StmtKind::CpuPm(self.cpu()?),
            "cpu-offline" => StmtKind::CpuOffline(self.cpu()?),
            "cpu-online" => StmtKind::CpuOnline(self.cpu()?),
            "kvm-enter" => {
                let task = self.name("the VMM task")?;
                let vcpu = self.name("a vCPU")?;
                StmtKind::KvmEnter { task, vcpu }
            }
            "guest-sve-op" | "guest-fp-op" => {
                let sve = kw.name == "guest-sve-op";
                let vcpu = self.name("a vCPU")?;
                let writes = self.writes(if sve {
                    WriteSet::SveInsn
                } else {
                    WriteSet::FpInsn
                })?;
                StmtKind::GuestOp { vcpu, sve, writes }
            }
            "kvm-exit" => {
                let vcpu = self.name("a vCPU")?;
                let to_user = self.eat_word("to-user").is_some();
                StmtKind::KvmExit { vcpu, to_user }
            }
            "expect" => StmtKind::Expect(self.condition()?),
            "show" => {
                let t = match self.peek() {
                    Some(Token {
                        tok: Tok::Word(w), ..
                    }) => match w.as_str() {
                        "counters" => Some(ShowTarget::Counters),
                        "events" => Some(ShowTarget::Events),
                        "violations" => Some(ShowTarget::Violations),
                        "config" => Some(ShowTarget::Config),
                        "machine" => Some(ShowTarget::Machine),
                        _ => None,
                    },
                    _ => None,
                };
                match t {
                    Some(t) => {
                        self.pos += 1;
                        StmtKind::Show(t)
                    }
                    None => StmtKind::Show(ShowTarget::Path(self.path()?)),
                }
            }
            "repeat" => {
                self.err(
                    kw.span,
                    "`repeat` needs a block",
                    "write `repeat N { statements }`",
                );
                return Err(());
            }
            other => {
                let hint = match suggest(other, &KEYWORDS) {
                    Some(s) => format!("did you mean `{s}`? Statements: {}", KEYWORDS.join(", ")),
                    None => format!("statements: {}", KEYWORDS.join(", ")),
                };
                self.err(kw.span, format!("unknown statement `{other}`"), hint);
                return Err(());
            }
        };
        self.end()?;
        if !self.errs.is_empty() {
            return Err(());
        }
        Ok(kind)
    }

    fn sig(&mut self) -> PResult<Sig> {
        let w = self.word("a signal (SIGUSR1, SIGUSR2, SIGSEGV, SIGKILL, SIGILL)")?;
        match Sig::parse(&w.name) {
            Some(s) => Ok(s),
            None => {
                self.err(
                    w.span,
                    format!("unknown signal `{}`", w.name),
                    "the model knows SIGUSR1, SIGUSR2, SIGSEGV, SIGKILL, SIGILL",
                );
                Err(())
            }
        }
    }

    fn svc(&mut self) -> PResult<SvcSpec> {
        let w = self.word("a syscall")?;
        Ok(match w.name.as_str() {
            "getpid" => SvcSpec::Getpid,
            "yield" => {
                if self.eat_punct("->") {
                    SvcSpec::Yield(self.next_spec()?)
                } else {
                    SvcSpec::Yield(NextSpec::Idle)
                }
            }
            "prctl-set-vl" => {
                let (bits, s) = self.uint("a vector length in bits")?;
                if bits % 8 != 0 || bits > u128::from(u16::MAX) * 8 {
                    self.err(
                        s,
                        format!("{bits} bits is not a whole number of bytes"),
                        "the DSL takes VLs in bits (the kernel gets bits/8 bytes): e.g. 256",
                    );
                    return Err(());
                }
                let mut inherit = false;
                let mut onexec = false;
                loop {
                    if self.eat_word("inherit").is_some() {
                        inherit = true;
                    } else if self.eat_word("onexec").is_some() {
                        onexec = true;
                    } else {
                        break;
                    }
                }
                SvcSpec::PrctlSetVl {
                    bits: bits as u64,
                    inherit,
                    onexec,
                }
            }
            "prctl-get-vl" => SvcSpec::PrctlGetVl,
            "fork" => SvcSpec::Fork(self.name("the child's name")?),
            "exec" => SvcSpec::Exec,
            "sigreturn" => {
                let mut edit = FrameEdit::AsDelivered;
                if let Some(Token {
                    tok: Tok::Word(e),
                    span,
                }) = self.peek().cloned()
                {
                    match FrameEdit::ALL.iter().find(|f| f.keyword() == e) {
                        Some(f) => {
                            edit = *f;
                            self.pos += 1;
                        }
                        None => {
                            self.err(
                                span,
                                format!("unknown frame edit `{e}`"),
                                format!(
                                    "frame edits: {}",
                                    FrameEdit::ALL
                                        .iter()
                                        .map(|f| f.keyword())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            );
                            return Err(());
                        }
                    }
                }
                SvcSpec::Sigreturn(edit)
            }
            "kill" => {
                let t = self.name("the target task")?;
                let s = self.sig()?;
                SvcSpec::Kill(t, s)
            }
            "exit" => SvcSpec::Exit,
            "read-neon" => SvcSpec::ReadNeon,
            "kvm-run" => SvcSpec::KvmRun(self.name("a vCPU")?),
            other => {
                let hint = match suggest(other, &SVC_CALLS) {
                    Some(s) => format!("did you mean `{s}`? Syscalls: {}", SVC_CALLS.join(", ")),
                    None => format!("syscalls: {}", SVC_CALLS.join(", ")),
                };
                self.err(w.span, format!("unknown syscall `{other}`"), hint);
                return Err(());
            }
        })
    }

    fn ptrace(&mut self) -> PResult<PtraceSpec> {
        let dir = self.word("`get` or `set`")?;
        let set = match dir.name.as_str() {
            "get" => false,
            "set" => true,
            _ => {
                self.err(
                    dir.span,
                    "expected `get` or `set`",
                    "`ptrace A get NT_ARM_SVE`, `ptrace A set NT_PRFPREG v0=1`",
                );
                return Err(());
            }
        };
        let rs = self.word("a regset (NT_PRFPREG or NT_ARM_SVE)")?;
        let sve = match rs.name.as_str() {
            "NT_PRFPREG" => false,
            "NT_ARM_SVE" => true,
            _ => {
                self.err(
                    rs.span,
                    format!("unknown regset `{}`", rs.name),
                    "the model has NT_PRFPREG and NT_ARM_SVE",
                );
                return Err(());
            }
        };
        Ok(match (set, sve) {
            (false, false) => PtraceSpec::GetFpr,
            (false, true) => PtraceSpec::GetSve,
            (true, false) => PtraceSpec::SetFpr(self.writes(WriteSet::Fpsimd)?),
            (true, true) => {
                let mut bits = None;
                let mut kind = None;
                let (mut partial, mut inherit, mut onexec) = (false, false, false);
                loop {
                    if self.key_eq("vl") {
                        let (b, s) = self.uint("a vector length in bits")?;
                        if b % 8 != 0 || b > u128::from(u16::MAX) * 8 {
                            self.err(
                                s,
                                format!("{b} bits is not a whole number of bytes"),
                                "VLs are in bits, e.g. vl=256",
                            );
                            return Err(());
                        }
                        bits = Some(b as u32);
                    } else if self.eat_word("fpsimd").is_some() {
                        kind = Some(SvePayloadKind::Fpsimd);
                    } else if self.eat_word("sve").is_some() {
                        kind = Some(SvePayloadKind::Sve);
                    } else if self.eat_word("header").is_some() {
                        kind = Some(SvePayloadKind::Header);
                    } else if self.eat_word("partial").is_some() {
                        partial = true;
                    } else if self.eat_word("inherit").is_some() {
                        inherit = true;
                    } else if self.eat_word("onexec").is_some() {
                        onexec = true;
                    } else {
                        break;
                    }
                }
                let set = match kind {
                    Some(SvePayloadKind::Fpsimd) => WriteSet::Fpsimd,
                    Some(SvePayloadKind::Header) => WriteSet::None,
                    Some(SvePayloadKind::Sve) => WriteSet::SvePayload,
                    None => WriteSet::Any,
                };
                let writes = self.writes(set)?;
                PtraceSpec::SetSve {
                    bits,
                    kind,
                    partial,
                    inherit,
                    onexec,
                    writes,
                }
            }
        })
    }

    /// `reg=value` pairs until the end or a non-register word.
    fn writes(&mut self, set: WriteSet) -> PResult<Vec<RegWrite>> {
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
    fn value(&mut self) -> PResult<Value> {
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

    fn path(&mut self) -> PResult<Path> {
        let w = self.word("a path (e.g. `A.TIF_SVE`, `cpu0.owner`)")?;
        let segments: Vec<String> = w.name.split('.').map(str::to_string).collect();
        if segments.iter().any(|s| s.is_empty()) {
            self.err(
                w.span,
                format!("`{}` is not a path", w.name),
                "paths are dot-separated names, e.g. `A.sve_state.z0`",
            );
            return Err(());
        }
        let mut span = w.span;
        let mut slice = None;
        if self.eat_punct("[") {
            let (hi, hs) = self.uint("a bit number")?;
            let lo = if self.eat_punct(":") {
                self.uint("a bit number")?
            } else {
                (hi, hs)
            };
            let close = self.punct("]")?;
            span = span.join(close);
            if hi < lo.0 || hi > 16383 {
                self.err(
                    hs.join(lo.1),
                    format!("bad bit slice [{hi}:{}]", lo.0),
                    "a slice is [high:low] with high >= low, in bits, e.g. z0[255:128]",
                );
                return Err(());
            }
            slice = Some((hi as u32, lo.0 as u32));
        }
        Ok(Path {
            segments,
            slice,
            span,
        })
    }

    fn condition(&mut self) -> PResult<Condition> {
        if self.eat_word("no-violations").is_some() {
            return Ok(Condition::NoViolations);
        }
        if self.eat_word("violation").is_some() {
            let w = self.word("a rule code (see `show violations`)")?;
            return Ok(Condition::Violation(w.name));
        }
        let lhs = self.path()?;
        let op = match self.next() {
            Some(Token {
                tok: Tok::Punct(p),
                span,
            }) => match p {
                "==" => CmpOp::Eq,
                "!=" => CmpOp::Ne,
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                ">=" => CmpOp::Ge,
                "=" => {
                    self.err(span, "`=` is not a comparison", "write `==`");
                    return Err(());
                }
                _ => {
                    self.err(span, "expected a comparison", "==, !=, <, <=, >, >=");
                    return Err(());
                }
            },
            Some(t) => {
                self.err(t.span, "expected a comparison", "==, !=, <, <=, >, >=");
                return Err(());
            }
            None => {
                let s = self.end_span();
                self.err(s, "expected a comparison", "e.g. `expect A.TIF_SVE == 1`");
                return Err(());
            }
        };
        let start = self.here();
        let rhs = match self.peek().cloned() {
            Some(Token {
                tok: Tok::Int(v, neg),
                span,
            }) => {
                self.pos += 1;
                if v > i128::MAX as u128 {
                    self.err(span, "number too large", "use hex");
                    return Err(());
                }
                Operand::Int(if neg { -(v as i128) } else { v as i128 })
            }
            Some(Token {
                tok: Tok::Hex(b), ..
            }) => {
                self.pos += 1;
                Operand::Value(Value::Hex(trim_hex(b)))
            }
            Some(Token {
                tok: Tok::Word(w), ..
            }) => match w.as_str() {
                "ones" | "zero" | "fill" | "pattern" => Operand::Value(self.value()?),
                _ if w.contains('.') && Kernel::parse(&w).is_err() => Operand::Path(self.path()?),
                _ => {
                    self.pos += 1;
                    Operand::Word(w)
                }
            },
            Some(t) => {
                self.err(
                    t.span,
                    "expected a value",
                    "a number, 0x…, a name, or another path",
                );
                return Err(());
            }
            None => {
                let s = self.end_span();
                self.err(
                    s,
                    "expected a value after the comparison",
                    "e.g. `== 1`, `== sve`, `== A`",
                );
                return Err(());
            }
        };
        let end = self
            .toks
            .get(self.pos.saturating_sub(1))
            .map_or(start, |t| t.span);
        Ok(Condition::Compare {
            lhs,
            op,
            rhs,
            rhs_span: start.join(end),
        })
    }
}

/// Keeps significant bytes of a hex literal as written (its width is part of the literal).
fn trim_hex(b: Vec<u8>) -> Vec<u8> {
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

/// `cpuN` → N.

#[derive(Clone, Copy)]
enum WriteSet {
    SveInsn,
    FpInsn,
    Fpsimd,
    SvePayload,
    Any,
    None,
}

impl WriteSet {
    fn allows(self, r: Reg) -> Result<(), &'static str> {
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
        .map(|c| (super::diag::edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests;
