//! The parser: a statement splitter (separators, comments, `{ }` blocks, here), a lexer per
//! statement (`lex.rs`: nom at the token level, a hand-written recursive descent above it,
//! because nom's error type cannot carry our hints and recovery), and one function per
//! statement, dispatched from [`STATEMENT_PARSERS`], a table keyed by the keywords of
//! [`crate::dsl::vocab::STATEMENTS`]. The statement functions are grouped by family:
//! `config.rs` (configuration), `user.rs` (user operations), `sched.rs` (scheduling and
//! CPUs), `kvm.rs`, `expect.rs` (`expect`, `show`, `repeat`, paths and conditions).
//!
//! Error recovery is by statement: a statement that does not parse gives one or more
//! diagnostics and is left out; parsing goes on with the next one. Nothing here panics on
//! any input (the parser is fuzzed, see `tests/tests/dsl_fuzz.rs`).

mod config;
mod expect;
mod kvm;
mod lex;
mod sched;
mod user;

use super::ast::*;
use super::diag::Diagnostic;
use super::vocab::{KEYWORDS, STATEMENTS};
pub(crate) use lex::{parse_reg, suggest};
use lex::{PResult, StmtParser};

/// Parses the rest of one statement after its keyword (given as the second argument).
type StmtFn = fn(&mut StmtParser<'_>, &Ident) -> PResult<StmtKind>;

/// One parsing function per statement, in [`STATEMENTS`] order (a unit test checks that the
/// keywords are the vocabulary's, one for one).
const STATEMENT_PARSERS: [(&str, StmtFn); STATEMENTS.len()] = [
    ("kernel", config::kernel),
    ("cpus", config::cpus),
    ("vls", config::vls),
    ("kvm-mode", config::kvm_mode),
    ("sysctl", config::sysctl),
    ("task", config::task),
    ("vcpu", config::vcpu),
    ("sve-op", user::user_op),
    ("fp-op", user::user_op),
    ("svc", user::svc),
    ("ctxsw", sched::ctxsw),
    ("migrate", sched::migrate),
    ("signal", user::signal),
    ("frame-write", user::frame_write),
    ("ptrace", user::ptrace),
    ("kernel-neon", user::kernel_neon),
    ("cpu-pm", sched::cpu_pm),
    ("cpu-offline", sched::cpu_offline),
    ("cpu-online", sched::cpu_online),
    ("kvm-enter", kvm::kvm_enter),
    ("guest-sve-op", kvm::guest_op),
    ("guest-fp-op", kvm::guest_op),
    ("guest-zcr", kvm::guest_zcr),
    ("kvm-exit", kvm::kvm_exit),
    ("expect", expect::expect),
    ("show", expect::show),
    ("repeat", expect::repeat),
];

/// One statement: its keyword, the statement's function, then nothing left over.
fn statement(p: &mut StmtParser<'_>) -> PResult<StmtKind> {
    let kw = p.word("a statement keyword")?;
    let Some((_, parse_stmt)) = STATEMENT_PARSERS.iter().find(|(k, _)| *k == kw.name) else {
        let other = kw.name.as_str();
        let hint = match suggest(other, &KEYWORDS) {
            Some(s) => format!("did you mean `{s}`? Statements: {}", KEYWORDS.join(", ")),
            None => format!("statements: {}", KEYWORDS.join(", ")),
        };
        p.err(kw.span, format!("unknown statement `{other}`"), hint);
        return Err(());
    };
    let kind = parse_stmt(p, &kw)?;
    p.end()?;
    if !p.errs.is_empty() {
        return Err(());
    }
    Ok(kind)
}

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
                let r = statement(&mut p);
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

#[cfg(test)]
mod tests;
