//! Evaluating paths into the model (`expect`, `break when`, `show`, diffs).
//!
//! A path starts with a task or vCPU name, `cpuN`, `total`, `config` or `tracer`, and
//! reaches every field of the model (see `docs/dsl.md` for the full list). Task register
//! names without a prefix (`A.z0`, `A.v3`, `A.fpsr`) are the **user view**
//! ([`Machine::user_view`]: what the task's next instruction would read); the raw buffers
//! are under `A.sve_state.*` and `A.fpsimd_state.*`, the raw CPU registers under `cpuN.*`.
//! Vector lengths are in bits, like everywhere in the DSL.

mod fields;

use crate::dsl::ast::{CmpOp, Condition, Operand, Path};
use crate::dsl::vocab::{canonical_value, CONFIG_FIELDS, CPU_FIELDS, TASK_FIELDS, VCPU_FIELDS};
use crate::model::event::{Counter, Counters};
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::{Reg, Value};
use crate::model::regs::{Origin, Origins, SveBuf, UserFpsimdState};
use crate::model::types::{CpuId, Format, FpType, Level, Owner, TaskId};
use crate::model::vcpu::FpOwner;
use crate::model::view::{RegOwner, StateHome};
pub use fields::resolve;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A value read from the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Val {
    /// A number (flags are 0/1).
    Int(i128),
    /// A register or a slice of one: bytes, least significant first.
    Bytes(Vec<u8>),
    /// A name or an enumerated value (`A`, `sve`, `null`, `running`).
    Word(String),
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Int(i) => write!(f, "{i}"),
            Val::Word(w) => f.write_str(w),
            Val::Bytes(b) => f.write_str(&fmt_bytes(b)),
        }
    }
}

/// Renders register bytes: `0`, `ones`, `fill(0xNN)`, or `0x…` (most significant first,
/// leading zeros dropped, `_` every 128 bits).
pub fn fmt_bytes(b: &[u8]) -> String {
    if b.iter().all(|&x| x == 0) {
        return "0".into();
    }
    if b.len() > 1 && b.iter().all(|&x| x == b[0]) {
        return if b[0] == 0xff {
            "ones".into()
        } else {
            format!("fill(0x{:02x})", b[0])
        };
    }
    let top = b.iter().rposition(|&x| x != 0).unwrap_or(0);
    let mut s = String::from("0x");
    for i in (0..=top).rev() {
        if i == top {
            s.push_str(&format!("{:x}", b[i]));
        } else {
            s.push_str(&format!("{:02x}", b[i]));
        }
        if i % 16 == 0 && i != 0 {
            s.push('_');
        }
    }
    s
}

/// Why a path could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

fn err<T>(message: impl Into<String>, hint: impl Into<String>) -> Result<T, EvalError> {
    Err(EvalError {
        message: message.into(),
        hint: hint.into(),
    })
}

/// Register names reachable under a register file.
pub fn reg_names() -> impl Iterator<Item = String> {
    (0..32)
        .map(|n| format!("z{n}"))
        .chain((0..16).map(|n| format!("p{n}")))
        .chain(["ffr".to_string(), "fpsr".to_string(), "fpcr".to_string()])
}

fn b(x: bool) -> Val {
    Val::Int(i128::from(x))
}

fn w(s: impl Into<String>) -> Val {
    Val::Word(s.into())
}

fn bits(bytes: u16) -> Val {
    Val::Int(i128::from(bytes) * 8)
}

/// `fp_type` exists from patch 2 on; before it the saved format follows `TIF_SVE`.
fn no_fp_type<T>(m: &Machine) -> Result<T, EvalError> {
    err(
        format!(
            "`fp_type` does not exist on {}: patch 2 of the series added it",
            m.kernel().name()
        ),
        "there the saved copy's format is TIF_SVE's: read `A.TIF_SVE`",
    )
}

fn fp_type_word(t: FpType) -> Val {
    w(match t {
        FpType::Current => "current",
        FpType::Fpsimd => "fpsimd",
        FpType::Sve => "sve",
    })
}

fn format_word(f: Format) -> Val {
    w(match f {
        Format::Fpsimd => "fpsimd",
        Format::Sve => "sve",
    })
}

/// The name of an owner (task or vCPU).
pub fn owner_name(m: &Machine, o: Owner) -> String {
    match o {
        Owner::Task(t) => m.task(t).name.to_string(),
        Owner::Vcpu(v) => m.vcpu(v).name.to_string(),
    }
}

fn origin_word(m: &Machine, o: Origin) -> Val {
    w(match o {
        Origin::Zero => "zero".to_string(),
        Origin::Task(t) => m.task(t).name.to_string(),
        Origin::Vcpu(v) => m.vcpu(v).name.to_string(),
        Origin::Kernel => "kernel".to_string(),
    })
}

/// Extracts bits `hi..=lo` of a value.
pub fn slice(v: Val, hi: u32, lo: u32) -> Result<Val, EvalError> {
    let bytes = match v {
        Val::Bytes(b) => b,
        Val::Int(i) if i >= 0 => (i as u128).to_le_bytes().to_vec(),
        Val::Int(_) => return err("cannot slice a negative number", "compare it whole"),
        Val::Word(w) => {
            return err(
                format!("cannot slice `{w}`"),
                "slices apply to registers and numbers",
            )
        }
    };
    let width = bytes.len() as u32 * 8;
    if hi >= width {
        return err(
            format!("bit {hi} is beyond the value's {width} bits"),
            format!(
                "this register has bits {}:0 here (vector length)",
                width.saturating_sub(1)
            ),
        );
    }
    let n = hi - lo + 1;
    let mut out = vec![0u8; n.div_ceil(8) as usize];
    for k in 0..n {
        let src = lo + k;
        if bytes[(src / 8) as usize] >> (src % 8) & 1 != 0 {
            out[(k / 8) as usize] |= 1 << (k % 8);
        }
    }
    Ok(Val::Bytes(out))
}

/// Reads a path, with its slice.
pub fn eval_path(m: &Machine, p: &Path) -> Result<Val, EvalError> {
    let v = resolve(m, &p.segments)?;
    match p.slice {
        Some((hi, lo)) => slice(v, hi, lo),
        None => Ok(v),
    }
}

/// The outcome of a condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CondResult {
    /// Did it hold?
    pub passed: bool,
    /// The value found (rendered).
    pub actual: String,
    /// The value asked for (rendered).
    pub expected: String,
}

fn norm(w: &str) -> String {
    canonical_value(w)
}

fn big_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().max(b.len());
    for i in (0..n).rev() {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

fn as_bytes(v: i128) -> Option<Vec<u8>> {
    (v >= 0).then(|| (v as u128).to_le_bytes().to_vec())
}

/// Evaluates a condition against the machine. `violations_seen` are the rule codes
/// reported since the start or the last violation check.
pub fn eval_condition(
    m: &Machine,
    c: &Condition,
    violations_seen: &[String],
) -> Result<CondResult, EvalError> {
    match c {
        Condition::NoViolations => {
            let now: Vec<String> = m
                .check()
                .iter()
                .map(|v| v.rule.code().to_string())
                .collect();
            let mut all: Vec<String> = violations_seen.to_vec();
            for r in now {
                if !all.contains(&r) {
                    all.push(r);
                }
            }
            Ok(CondResult {
                passed: all.is_empty(),
                actual: if all.is_empty() {
                    "none".into()
                } else {
                    all.join(", ")
                },
                expected: "no violations".into(),
            })
        }
        Condition::Violation(code) => {
            let Some(rule) = crate::Rule::from_code(code) else {
                return err(
                    format!("unknown rule `{code}`"),
                    format!("rules: {}", super::vocab::RULE_CODES.join(", ")),
                );
            };
            let mut all: Vec<String> = violations_seen.to_vec();
            for v in m.check() {
                let r = v.rule.code().to_string();
                if !all.contains(&r) {
                    all.push(r);
                }
            }
            Ok(CondResult {
                passed: all.iter().any(|r| r == rule.code()),
                actual: if all.is_empty() {
                    "none".into()
                } else {
                    all.join(", ")
                },
                expected: format!("violation {}", rule.code()),
            })
        }
        Condition::Compare { lhs, op, rhs, .. } => {
            let actual = eval_path(m, lhs)?;
            let expected: Val = match rhs {
                Operand::Int(i) => Val::Int(*i),
                Operand::Word(x) => Val::Word(x.clone()),
                Operand::Path(p) => eval_path(m, p)?,
                // Zero-extended to the register's width, so that it reads as written
                // (two bytes 0x22 0x22 alone would print as fill(0x22)).
                Operand::Value(Value::Hex(b)) => {
                    let mut b = b.clone();
                    if let Val::Bytes(a) = &actual {
                        if b.len() < a.len() {
                            b.resize(a.len(), 0);
                        }
                    }
                    Val::Bytes(b)
                }
                Operand::Value(v) => {
                    // Materialise at the width of the left-hand side's register.
                    let full = resolve(m, &lhs.segments)?;
                    let Val::Bytes(full) = full else {
                        return err(
                            "fill/ones/zero/pattern compare with registers",
                            "compare numbers with a number",
                        );
                    };
                    let mut buf = vec![0u8; full.len()];
                    let task = m.task_id(&lhs.segments[0]).unwrap_or(TaskId(0));
                    let reg = lhs
                        .segments
                        .last()
                        .and_then(|r| crate::dsl::parser::parse_reg(r).ok())
                        .unwrap_or(Reg::Z(0));
                    v.materialise(&mut buf, task, reg).map_err(|e| EvalError {
                        message: e,
                        hint: String::new(),
                    })?;
                    match lhs.slice {
                        Some((hi, lo)) => slice(Val::Bytes(buf), hi, lo)?,
                        None => Val::Bytes(buf),
                    }
                }
            };
            let ord: Option<Ordering> = match (&actual, &expected) {
                (Val::Int(a), Val::Int(b)) => Some(a.cmp(b)),
                (Val::Bytes(a), Val::Bytes(b)) => Some(big_cmp(a, b)),
                (Val::Bytes(a), Val::Int(i)) => Some(match as_bytes(*i) {
                    Some(b) => big_cmp(a, &b),
                    None => Ordering::Greater,
                }),
                (Val::Int(i), Val::Bytes(b)) => Some(match as_bytes(*i) {
                    Some(a) => big_cmp(&a, b),
                    None => Ordering::Less,
                }),
                (Val::Word(a), Val::Word(b)) => {
                    if norm(a) == norm(b) {
                        Some(Ordering::Equal)
                    } else if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                        None
                    } else {
                        return err(
                            format!("cannot order `{a}` and `{b}`"),
                            "names compare with == and != only",
                        );
                    }
                }
                (Val::Int(a), Val::Word(x)) if matches!(norm(x).as_str(), "0" | "1") => {
                    Some(a.cmp(&norm(x).parse::<i128>().unwrap_or(0)))
                }
                (Val::Word(a), other) | (other, Val::Word(a)) => {
                    return err(
                        format!(
                            "`{}` is `{a}`, which is not a number; cannot compare it with {other}",
                            lhs.text()
                        ),
                        "compare names with names, e.g. `== sve`, `== A`, `== null`",
                    )
                }
            };
            let passed = match (op, ord) {
                (CmpOp::Eq, o) => o == Some(Ordering::Equal),
                (CmpOp::Ne, o) => o != Some(Ordering::Equal),
                (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                (CmpOp::Ge, Some(o)) => o != Ordering::Less,
                (_, None) => false,
            };
            Ok(CondResult {
                passed,
                actual: actual.to_string(),
                expected: format!("{} {}", op.as_str(), expected),
            })
        }
    }
}
