//! Checking and looking: `expect`, `show`, `repeat` (its block is split out by the statement
//! splitter), and the paths and conditions they take.

use super::lex::{trim_hex, Tok, Token};
use super::lex::{PResult, StmtParser};
use crate::dsl::ast::*;
use crate::model::kernel::Kernel;
use crate::model::op::Value;

/// `expect CONDITION`.
pub(super) fn expect(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    Ok(StmtKind::Expect(p.condition()?))
}

/// `show TARGET`.
pub(super) fn show(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let t = match p.peek() {
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
            p.pos += 1;
            Ok(StmtKind::Show(t))
        }
        None => Ok(StmtKind::Show(ShowTarget::Path(p.path()?))),
    }
}

/// `repeat` outside a block header: always an error.
pub(super) fn repeat(p: &mut StmtParser<'_>, kw: &Ident) -> PResult<StmtKind> {
    p.err(
        kw.span,
        "`repeat` needs a block",
        "write `repeat N { statements }`",
    );
    Err(())
}

impl StmtParser<'_> {
    pub(super) fn path(&mut self) -> PResult<Path> {
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

    pub(super) fn condition(&mut self) -> PResult<Condition> {
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
