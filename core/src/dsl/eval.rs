//! Evaluating paths into the model (`expect`, `break when`, `show`, diffs).
//!
//! A path starts with a task or vCPU name, `cpuN`, `total`, `config` or `tracer`, and
//! reaches every field of the model (see `docs/dsl.md` for the full list). Task register
//! names without a prefix (`A.z0`, `A.v3`, `A.fpsr`) are the **user view**
//! ([`Machine::user_view`]: what the task's next instruction would read); the raw buffers
//! are under `A.sve_state.*` and `A.fpsimd_state.*`, the raw CPU registers under `cpuN.*`.
//! Vector lengths are in bits, like everywhere in the DSL.

use super::ast::{CmpOp, Condition, Operand, Path};
use super::vocab::{canonical_value, CONFIG_FIELDS, CPU_FIELDS, TASK_FIELDS, VCPU_FIELDS};
use crate::model::event::{Counter, Counters};
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::{Reg, Value};
use crate::model::regs::{Origin, Origins, SveBuf, UserFpsimdState};
use crate::model::types::{CpuId, Format, FpType, Level, Owner, TaskId};
use crate::model::vcpu::FpOwner;
use crate::model::view::{RegOwner, StateHome};
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
        Owner::Task(t) => m.task(t).name.clone(),
        Owner::Vcpu(v) => m.vcpu(v).name.clone(),
    }
}

fn origin_word(m: &Machine, o: Origin) -> Val {
    w(match o {
        Origin::Zero => "zero".to_string(),
        Origin::Task(t) => m.task(t).name.clone(),
        Origin::Vcpu(v) => m.vcpu(v).name.clone(),
        Origin::Kernel => "kernel".to_string(),
    })
}

fn origins_field(m: &Machine, o: &Origins, reg: &str) -> Result<Val, EvalError> {
    let (name, hi) = match reg.strip_suffix("_hi") {
        Some(r) => (r, true),
        None => (reg, false),
    };
    match super::parser::parse_reg(name) {
        Ok(Reg::Z(n) | Reg::V(n)) => Ok(origin_word(
            m,
            if hi {
                o.z_hi[usize::from(n)]
            } else {
                o.z_lo[usize::from(n)]
            },
        )),
        Ok(Reg::P(n)) if !hi => Ok(origin_word(m, o.p[usize::from(n)])),
        Ok(Reg::Ffr) if !hi => Ok(origin_word(m, o.ffr)),
        _ => err(
            format!("no origin for `{reg}`"),
            "origins: z0 (bits 127:0), z0_hi (above), p0, ffr",
        ),
    }
}

fn buf_field(
    m: &Machine,
    buf: &Option<SveBuf>,
    rest: &[&str],
    what: &str,
) -> Result<Val, EvalError> {
    match (buf, rest) {
        (None, []) => Ok(w("null")),
        (Some(_), []) => Ok(w("allocated")),
        (None, _) => err(
            format!("{what} is NULL"),
            format!("check `{what} == null` first"),
        ),
        (Some(b), [f]) => match *f {
            "vq" => Ok(Val::Int(b.vq as i128)),
            "vl" => Ok(Val::Int(b.vq as i128 * 128)),
            "generation" => Ok(Val::Int(i128::from(b.generation))),
            "size" => Ok(Val::Int(b.bytes.len() as i128)),
            r => match super::parser::parse_reg(r) {
                Ok(Reg::Z(n)) => Ok(Val::Bytes(b.zreg(usize::from(n)).to_vec())),
                Ok(Reg::V(n)) => Ok(Val::Bytes(b.zreg(usize::from(n))[..16].to_vec())),
                Ok(Reg::P(n)) => Ok(Val::Bytes(b.preg(usize::from(n)).to_vec())),
                Ok(Reg::Ffr) => Ok(Val::Bytes(b.ffr().to_vec())),
                _ => err(
                    format!("{what} has no field `{r}`"),
                    "sve_state fields: vq, vl, generation, size, z0–z31, p0–p15, ffr, origin.REG",
                ),
            },
        },
        (Some(b), ["origin", r]) => origins_field(m, &b.origin, r),
        _ => err(
            format!("{what}.{} is not a field", rest.join(".")),
            "e.g. sve_state.z0",
        ),
    }
}

fn fpsimd_field(
    m: &Machine,
    st: &UserFpsimdState,
    rest: &[&str],
    what: &str,
) -> Result<Val, EvalError> {
    match rest {
        ["fpsr"] => Ok(Val::Int(i128::from(st.fpsr))),
        ["fpcr"] => Ok(Val::Int(i128::from(st.fpcr))),
        ["origin", r] => match super::parser::parse_reg(r) {
            Ok(Reg::V(n) | Reg::Z(n)) => Ok(origin_word(m, st.origin[usize::from(n)])),
            _ => err(
                format!("no origin for `{r}`"),
                "fpsimd_state.origin.v0 … v31",
            ),
        },
        [r] => match super::parser::parse_reg(r) {
            Ok(Reg::V(n) | Reg::Z(n)) => {
                Ok(Val::Bytes(st.vregs[usize::from(n)].to_le_bytes().to_vec()))
            }
            _ => err(
                format!("{what} has no field `{r}`"),
                "fields: v0–v31, fpsr, fpcr, origin.vN",
            ),
        },
        _ => err(
            format!("{what}.{} is not a field", rest.join(".")),
            "e.g. fpsimd_state.v0",
        ),
    }
}

fn counter_field(c: &Counters, f: &str) -> Option<Val> {
    if f == "sve_alloc_calls" {
        // Every sve_alloc() that allocated or zeroed a buffer (what a function tracer
        // counts, except v6.0+'s calls that keep an existing buffer untouched).
        let n = c.get(Counter::SveAllocs) + c.get(Counter::SveAllocMemsets);
        return Some(Val::Int(i128::from(n)));
    }
    Counter::parse(f).map(|k| Val::Int(i128::from(c.get(k))))
}

fn regview_field(v: &crate::model::view::RegView, r: &str) -> Option<Val> {
    Some(match super::parser::parse_reg(r).ok()? {
        Reg::Z(n) => Val::Bytes(v.z[usize::from(n)].clone()),
        Reg::V(n) => Val::Bytes(v.z[usize::from(n)][..16].to_vec()),
        Reg::P(n) => Val::Bytes(v.p[usize::from(n)].clone()),
        Reg::Ffr => Val::Bytes(v.ffr.clone()),
        Reg::Fpsr => Val::Int(i128::from(v.fpsr)),
        Reg::Fpcr => Val::Int(i128::from(v.fpcr)),
    })
}

/// Reads a path (without its slice).
pub fn resolve(m: &Machine, segs: &[String]) -> Result<Val, EvalError> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let Some((&head, rest)) = s.split_first() else {
        return err("empty path", "e.g. `A.TIF_SVE`");
    };
    if let Some(t) = m.task_id(head) {
        return task_field(m, t, rest);
    }
    if let Some(v) = m.vcpu_id(head) {
        return vcpu_field(m, v, rest);
    }
    if let Some(c) = crate::model::types::cpu_index(head) {
        if usize::from(c) >= m.cpus.len() {
            return err(
                format!("there is no {head}"),
                format!("this machine has cpu0–cpu{}", m.cpus.len() - 1),
            );
        }
        return cpu_field(m, CpuId(c), rest);
    }
    match head {
        "total" => match rest {
            [f] => counter_field(&m.total_counters(), f)
                .map_or_else(|| err(format!("unknown counter `{f}`"), counter_hint()), Ok),
            _ => err("`total` holds counters", counter_hint()),
        },
        "config" => config_field(m, rest),
        "tracer" => tracer_field(m, rest),
        "machine" => match rest {
            ["warned_once"] => Ok(Val::Int(m.warned_once.len() as i128)),
            ["tasks"] => Ok(Val::Int(m.tasks.len() as i128)),
            ["vcpus"] => Ok(Val::Int(m.vcpus.len() as i128)),
            _ => err(
                "unknown machine field",
                "machine.warned_once, machine.tasks, machine.vcpus",
            ),
        },
        _ => {
            let mut names: Vec<String> = m.tasks.iter().map(|t| t.name.clone()).collect();
            names.extend(m.vcpus.iter().map(|v| v.name.clone()));
            err(
                format!("unknown name `{head}`"),
                if names.is_empty() {
                    "no tasks or vCPUs yet; paths start with a task, a vCPU, cpuN, total, config or tracer".to_string()
                } else {
                    format!(
                        "known: {}, cpu0–cpu{}, total, config, tracer",
                        names.join(", "),
                        m.cpus.len().saturating_sub(1)
                    )
                },
            )
        }
    }
}

fn counter_hint() -> String {
    format!(
        "counters: {}",
        Counter::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn task_field(m: &Machine, t: TaskId, rest: &[&str]) -> Result<Val, EvalError> {
    let task = m.task(t);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(task.name.clone()));
    };
    let v = match (f, more) {
        ("name", []) => w(task.name.clone()),
        ("TIF_SVE", []) => b(task.tif_sve),
        ("TIF_FOREIGN_FPSTATE", []) => b(task.tif_foreign_fpstate),
        ("TIF_SVE_VL_INHERIT", []) => b(task.tif_sve_vl_inherit),
        ("vl", []) => bits(task.vl),
        ("vl_onexec", []) => bits(task.vl_onexec),
        ("fpsimd_cpu", []) => w(task
            .fpsimd_cpu
            .map_or("none".to_string(), |c| c.to_string())),
        ("fp_type", []) if !m.kernel().p2_fp_type() => return no_fp_type(m),
        ("fp_type", []) => fp_type_word(task.fp_type),
        ("in_syscall", []) => b(task.in_syscall),
        ("x0", []) => Val::Int(i128::from(task.x0)),
        ("state", []) => w(match task.state {
            TaskState::Running => "running",
            TaskState::Stopped(_) => "stopped",
            TaskState::Exited => "exited",
        }),
        ("resume", []) => w(match &task.state {
            TaskState::Stopped(r) => match r {
                Resume::User => "user",
                Resume::Syscall => "syscall",
                Resume::SveTrap(_) => "sve-trap",
                Resume::Fork => "fork",
                Resume::KvmRun(_) => "kvm-run",
                Resume::Return(_) => "return",
            },
            _ => "none",
        }),
        ("level", []) => w(match task.level {
            Level::User => "user".to_string(),
            Level::KvmRun(v) => format!("kvm-run:{}", m.vcpu(v).name),
        }),
        ("where", []) => w(m.task_where(t)),
        ("home", []) => w(match m.state_home(t) {
            StateHome::Live(c) => c.to_string(),
            StateHome::Memory(Format::Sve) => "memory-sve".into(),
            StateHome::Memory(Format::Fpsimd) => "memory-fpsimd".into(),
        }),
        ("load_format", []) => format_word(m.load_format(t)),
        ("sve_generation", []) => Val::Int(i128::from(task.sve_generation)),
        ("ghost_v_newest", []) => format_word(task.ghost_v_newest),
        ("pending", []) => Val::Int(task.pending.len() as i128),
        ("frames", []) => Val::Int(task.frames.len() as i128),
        ("frame", [g]) => {
            let Some(fr) = task.frames.last() else {
                return Ok(w("none"));
            };
            match *g {
                "sig" => w(fr.sig.name()),
                "x0" => Val::Int(i128::from(fr.x0)),
                "sve" => w(match &fr.sve {
                    None => "none",
                    Some(s) if s.payload.is_some() => "sve",
                    Some(_) => "header",
                }),
                "sve_vl" => fr.sve.as_ref().map_or(Val::Int(0), |s| bits(s.vl)),
                "fpsimd" => w(if fr.fpsimd.is_some() {
                    "present"
                } else {
                    "none"
                }),
                _ => {
                    return err(
                        format!("frame has no field `{g}`"),
                        "frame.sig, frame.x0, frame.sve, frame.sve_vl, frame.fpsimd",
                    )
                }
            }
        }
        ("sve_state", r) => {
            return buf_field(m, &task.sve_state, r, &format!("{}.sve_state", task.name))
        }
        ("fpsimd_state", r) => {
            return fpsimd_field(
                m,
                &task.fpsimd_state,
                r,
                &format!("{}.fpsimd_state", task.name),
            )
        }
        (f, []) => {
            if let Some(v) = counter_field(&task.counters, f) {
                v
            } else if super::parser::parse_reg(f).is_ok() {
                let Some(view) = m.user_view(t) else {
                    return err(
                        format!(
                            "{} has no user view: it has exited (or dies before returning to user)",
                            task.name
                        ),
                        "read its raw buffers instead: A.sve_state.z0, A.fpsimd_state.v0",
                    );
                };
                regview_field(&view, f).unwrap_or(Val::Int(0))
            } else {
                return err(
                    format!("task {} has no field `{f}`", task.name),
                    format!(
                        "task fields: {}, z0–z31/p0–p15/ffr/v0–v31/fpsr/fpcr (user view), sve_state.*, fpsimd_state.*, counters ({})",
                        TASK_FIELDS.join(", "),
                        Counter::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        _ => {
            return err(
                format!("`{}` is not a field of a task", rest.join(".")),
                "e.g. A.TIF_SVE, A.sve_state.z0",
            )
        }
    };
    Ok(v)
}

fn cpu_field(m: &Machine, c: CpuId, rest: &[&str]) -> Result<Val, EvalError> {
    let cpu = m.cpu(c);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(c.to_string()));
    };
    let v = match (f, more) {
        ("curr", []) => w(m.curr_name(c)),
        ("online", []) => b(cpu.online),
        ("owner", []) => w(match m.reg_owner(c) {
            RegOwner::Nobody => "nobody".to_string(),
            RegOwner::Task {
                task,
                current: true,
            } => m.task(task).name.clone(),
            RegOwner::Task { current: false, .. } => "nobody".to_string(),
            RegOwner::Vcpu(v) => m.vcpu(v).name.clone(),
        }),
        ("ZCR_EL1", ["LEN"]) | ("zcr_len", []) => Val::Int(i128::from(cpu.zcr_len)),
        ("vl", []) => bits(m.rdvl(c)),
        ("CPACR_EL1", ["ZEN_EL0EN"]) | ("zen_el0en", []) => b(cpu.cpacr_zen_el0en),
        ("last", [g]) => match *g {
            "st" => w(cpu.last.st.map_or("null".to_string(), |o| owner_name(m, o))),
            "sve_state" => w(cpu.last.sve_state.map_or("null".to_string(), |r| {
                format!("{}#{}", owner_name(m, r.owner), r.generation)
            })),
            "sve_vl" => bits(cpu.last.sve_vl),
            "fp_type" if !m.kernel().p2_fp_type() => return no_fp_type(m),
            "fp_type" => w(cpu
                .last
                .fp_type
                .map_or("null".to_string(), |o| owner_name(m, o))),
            "to_save" => fp_type_word(cpu.last.to_save),
            _ => {
                return err(
                    format!("fpsimd_last_state has no field `{g}`"),
                    "last.st, last.sve_state, last.sve_vl, last.fp_type, last.to_save",
                )
            }
        },
        ("origin", [r]) => return origins_field(m, &cpu.regs.origin, r),
        (f, []) => {
            if let Some(v) = counter_field(&cpu.counters, f) {
                v
            } else if let Some(v) = super::parser::parse_reg(f)
                .ok()
                .and_then(|_| regview_field(&m.regs_view(c), f))
            {
                v
            } else {
                return err(
                    format!("{c} has no field `{f}`"),
                    format!(
                        "CPU fields: {}, z0–z31/p0–p15/ffr/v0–v31/fpsr/fpcr (raw, at the CPU's VL), origin.REG, counters",
                        CPU_FIELDS.join(", ")
                    ),
                );
            }
        }
        _ => {
            return err(
                format!("`{}` is not a field of a CPU", rest.join(".")),
                "e.g. cpu0.ZCR_EL1.LEN, cpu0.last.st",
            )
        }
    };
    Ok(v)
}

fn vcpu_field(
    m: &Machine,
    v: crate::model::types::VcpuId,
    rest: &[&str],
) -> Result<Val, EvalError> {
    let vc = m.vcpu(v);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(vc.name.clone()));
    };
    let val = match (f, more) {
        ("name", []) => w(vc.name.clone()),
        ("has_sve", []) | ("sve", []) => b(vc.has_sve),
        ("sve_max_vl", []) | ("vl", []) => bits(vc.sve_max_vl),
        ("zcr_el1", []) => Val::Int(i128::from(vc.zcr_el1)),
        ("fp_type", []) if !m.kernel().p2_fp_type() => return no_fp_type(m),
        ("fp_type", []) => fp_type_word(vc.fp_type),
        ("fp_owner", []) | ("fp_state", []) => w(match vc.fp_owner {
            FpOwner::Free => "free",
            FpOwner::Host => "host",
            FpOwner::Guest => "guest",
        }),
        ("host_sve_enabled", []) => b(vc.host_sve_enabled),
        ("fp_foreign_fpstate", []) => b(vc.fp_foreign_fpstate),
        ("vmm", []) => w(vc
            .vmm
            .map_or("none".to_string(), |t| m.task(t).name.clone())),
        ("in_guest", []) => b(vc.in_guest),
        ("loaded_on", []) => w(m
            .vcpu_loaded_on(v)
            .map_or("none".to_string(), |(c, _)| c.to_string())),
        ("sve_state", r) => {
            return buf_field(m, &vc.sve_state, r, &format!("{}.sve_state", vc.name))
        }
        ("fp_regs", r) => return fpsimd_field(m, &vc.fp_regs, r, &format!("{}.fp_regs", vc.name)),
        (r, []) => match super::parser::parse_reg(r) {
            Ok(Reg::V(_) | Reg::Fpsr | Reg::Fpcr) => {
                return fpsimd_field(m, &vc.fp_regs, rest, &vc.name)
            }
            Ok(_) => return buf_field(m, &vc.sve_state, rest, &format!("{}.sve_state", vc.name)),
            Err(_) => {
                return err(
                    format!("vCPU {} has no field `{r}`", vc.name),
                    format!(
                        "vCPU fields: {}, fp_regs.*, sve_state.*, z0…/v0… (raw buffers)",
                        VCPU_FIELDS.join(", ")
                    ),
                )
            }
        },
        _ => {
            return err(
                format!("`{}` is not a field of a vCPU", rest.join(".")),
                "e.g. V0.fp_owner",
            )
        }
    };
    Ok(val)
}

fn config_field(m: &Machine, rest: &[&str]) -> Result<Val, EvalError> {
    let c = &m.config;
    Ok(match rest {
        ["kernel"] => w(c.kernel.name()),
        ["cpus"] => Val::Int(c.cpus as i128),
        ["vls"] => w(c
            .vls
            .iter()
            .map(|v| (u32::from(*v) * 8).to_string())
            .collect::<Vec<_>>()
            .join(",")),
        ["sve_default_vl"] => bits(c.sve_default_vl),
        ["sve_default_vector_length"] => Val::Int(i128::from(c.sve_default_vl)),
        ["sve_syscall_clear_regs"] => b(c.sve_syscall_clear_regs),
        ["kvm_mode"] => w(match c.kvm_mode {
            crate::model::vcpu::KvmMode::Vhe => "vhe",
            crate::model::vcpu::KvmMode::Nvhe => "nvhe",
        }),
        ["max_vl"] => bits(c.max_vl()),
        ["min_vl"] => bits(c.min_vl()),
        _ => {
            return err(
                "unknown config field",
                format!("config fields: {}, min_vl", CONFIG_FIELDS.join(", ")),
            )
        }
    })
}

fn tracer_field(m: &Machine, rest: &[&str]) -> Result<Val, EvalError> {
    let Some(d) = &m.tracer_buf else {
        return match rest {
            [] => Ok(w("empty")),
            _ => err(
                "the tracer has read nothing yet",
                "`ptrace A get NT_ARM_SVE` first",
            ),
        };
    };
    let hdr = |f: &str| -> Result<Val, EvalError> {
        let Some(h) = d.header else {
            return err(
                "the last read was NT_PRFPREG: no header",
                "`ptrace A get NT_ARM_SVE`",
            );
        };
        Ok(match f {
            "vl" => bits(h.vl),
            "max_vl" => bits(h.max_vl),
            "size" => Val::Int(i128::from(h.size)),
            "max_size" => Val::Int(i128::from(h.max_size)),
            "flags" => Val::Int(i128::from(h.flags)),
            _ => w(if h.flags & crate::model::uapi::SVE_PT_REGS_SVE != 0 {
                "sve"
            } else {
                "fpsimd"
            }),
        })
    };
    match rest {
        [] => Ok(w(m.task(d.task).name.clone())),
        ["task"] => Ok(w(m.task(d.task).name.clone())),
        [f @ ("vl" | "max_vl" | "size" | "max_size" | "flags" | "format")] => hdr(f),
        [r] => match super::parser::parse_reg(r) {
            Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => buf_field(m, &d.sve, rest, "tracer payload"),
            // An SVE-format payload has no V of its own: V is Z[127:0] of the payload
            // (sve_get_common() copies sve_state, never uw.fpsimd_state's V).
            Ok(Reg::V(n)) if d.sve.is_some() => {
                let z = format!("z{n}");
                let v = buf_field(m, &d.sve, &[z.as_str()], "tracer payload")?;
                slice(v, 127, 0)
            }
            Ok(_) => match &d.fpsimd {
                Some(st) => fpsimd_field(m, st, rest, "tracer payload"),
                None => err(
                    "the payload has no FPSIMD part",
                    "it is in SVE format: read tracer.z0",
                ),
            },
            Err(_) => err(
                format!("tracer has no field `{r}`"),
                "tracer.task, vl, max_vl, size, max_size, flags, format, z0…, v0…, fpsr",
            ),
        },
        _ => err("unknown tracer field", "e.g. tracer.vl, tracer.z0"),
    }
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
                        .and_then(|r| super::parser::parse_reg(r).ok())
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
