//! Lowering: a statement's names resolved against the machine, turned into what the model
//! executes ([`Action`]). Configuration statements are applied by the session itself.

use super::ast::*;
use crate::model::fpsimd::{PR_SVE_SET_VL_ONEXEC, PR_SVE_VL_INHERIT};
use crate::model::machine::Machine;
use crate::model::op::{
    KvmOp, Next, Op, PtraceReq, Reg, SvePayload, Syscall, TrapInterrupt, UserInsn,
};
use crate::model::types::{CpuId, TaskId, VcpuId};
use crate::model::uapi::{SVE_PT_VL_INHERIT, SVE_PT_VL_ONEXEC};

/// What a statement does to the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run an operation.
    Op(Op),
    /// `Machine::add_task`.
    AddTask {
        /// Name.
        name: String,
        /// VL in bytes.
        vl: Option<u16>,
        /// CPU.
        on: Option<CpuId>,
    },
    /// `Machine::add_vcpu`.
    AddVcpu {
        /// Name.
        name: String,
        /// SVE.
        sve: bool,
        /// Max VL in bytes.
        vl: Option<u16>,
    },
}

/// A name that does not resolve: message, hint, span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    /// Where.
    pub span: Span,
    /// What.
    pub message: String,
    /// How to fix.
    pub hint: String,
}

fn lerr<T>(
    span: Span,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> Result<T, LowerError> {
    Err(LowerError {
        span,
        message: message.into(),
        hint: hint.into(),
    })
}

fn task_names(m: &Machine) -> String {
    let names: Vec<&str> = m
        .tasks
        .iter()
        .filter(|t| t.alive())
        .map(|t| t.name.as_str())
        .collect();
    if names.is_empty() {
        "there are no tasks yet: create one with `task A`".into()
    } else {
        format!("tasks: {}", names.join(", "))
    }
}

/// Resolves a task name.
pub fn task(m: &Machine, id: &Ident) -> Result<TaskId, LowerError> {
    match m.task_id(&id.name) {
        Some(t) => Ok(t),
        None if m.vcpu_id(&id.name).is_some() => lerr(
            id.span,
            format!("{} is a vCPU, not a task", id.name),
            "name the VMM task that runs it",
        ),
        None => lerr(id.span, format!("unknown task {}", id.name), task_names(m)),
    }
}

/// Resolves a vCPU name.
pub fn vcpu(m: &Machine, id: &Ident) -> Result<VcpuId, LowerError> {
    match m.vcpu_id(&id.name) {
        Some(v) => Ok(v),
        None => {
            let names: Vec<&str> = m.vcpus.iter().map(|v| v.name.as_str()).collect();
            lerr(
                id.span,
                format!("unknown vCPU {}", id.name),
                if names.is_empty() {
                    "create one with `vcpu V0 sve vl=512`".to_string()
                } else {
                    format!("vCPUs: {}", names.join(", "))
                },
            )
        }
    }
}

/// Resolves a CPU name.
pub fn cpu(m: &Machine, id: &Ident) -> Result<CpuId, LowerError> {
    match crate::model::types::cpu_index(&id.name) {
        Some(c) if usize::from(c) < m.cpus.len() => Ok(CpuId(c)),
        _ => lerr(
            id.span,
            format!("there is no {}", id.name),
            format!(
                "this machine has cpu0–cpu{} (set `cpus N` before creating tasks)",
                m.cpus.len().saturating_sub(1)
            ),
        ),
    }
}

fn next(m: &Machine, n: &NextSpec) -> Result<Next, LowerError> {
    Ok(match n {
        NextSpec::Idle => Next::Idle,
        NextSpec::Kthread => Next::Kthread,
        NextSpec::Task(id) => Next::Task(task(m, id)?),
    })
}

/// Lowers an operation statement (not configuration, `expect`, `show` or `repeat`).
pub fn lower(m: &Machine, kind: &StmtKind) -> Result<Action, LowerError> {
    let op = match kind {
        StmtKind::Task { name, bits, on } => {
            return Ok(Action::AddTask {
                name: name.name.clone(),
                vl: bits.map(|b| (b / 8) as u16),
                on: on.as_ref().map(|c| cpu(m, c)).transpose()?,
            })
        }
        StmtKind::Vcpu { name, sve, bits } => {
            return Ok(Action::AddVcpu {
                name: name.name.clone(),
                sve: *sve,
                vl: bits.map(|b| (b / 8) as u16),
            })
        }
        StmtKind::UserOp {
            task: t,
            sve,
            writes,
            interrupt,
        } => Op::User {
            task: task(m, t)?,
            insn: UserInsn {
                sve: *sve,
                writes: writes.clone(),
            },
            interrupt: match interrupt {
                InterruptSpec::None => TrapInterrupt::None,
                InterruptSpec::SoftirqNeon => TrapInterrupt::KernelNeon,
                InterruptSpec::Preempt(n) => TrapInterrupt::Preempt(next(m, n)?),
            },
        },
        StmtKind::Svc { task: t, call } => Op::Svc {
            task: task(m, t)?,
            call: match call {
                SvcSpec::Getpid => Syscall::Getpid,
                SvcSpec::Yield(n) => Syscall::Yield(next(m, n)?),
                SvcSpec::PrctlSetVl {
                    bits,
                    inherit,
                    onexec,
                } => Syscall::PrctlSetVl {
                    vl: bits / 8,
                    flags: if *inherit { PR_SVE_VL_INHERIT } else { 0 }
                        | if *onexec { PR_SVE_SET_VL_ONEXEC } else { 0 },
                },
                SvcSpec::PrctlGetVl => Syscall::PrctlGetVl,
                SvcSpec::Fork(c) => Syscall::Fork(c.name.clone()),
                SvcSpec::Exec => Syscall::Exec,
                SvcSpec::Sigreturn(e) => Syscall::Sigreturn(*e),
                SvcSpec::Kill(target, sig) => Syscall::Kill(task(m, target)?, *sig),
                SvcSpec::Sigaction(sig, a) => Syscall::Sigaction(*sig, *a),
                SvcSpec::Exit => Syscall::Exit,
                SvcSpec::ReadNeon => Syscall::KernelNeon,
                SvcSpec::KvmRun(v) => Syscall::KvmRun(vcpu(m, v)?),
            },
        },
        StmtKind::Ctxsw {
            cpu: c,
            next: n,
            on_return: None,
        } => Op::Ctxsw {
            cpu: cpu(m, c)?,
            next: next(m, n)?,
        },
        StmtKind::Ctxsw {
            cpu: c,
            next: n,
            on_return: Some((point, then)),
        } => {
            let t = match n {
                NextSpec::Task(name) => task(m, name)?,
                // The parser only accepts a task here; idle/kthread never return to user.
                _ => {
                    return Ok(Action::Op(Op::Ctxsw {
                        cpu: cpu(m, c)?,
                        next: next(m, n)?,
                    }))
                }
            };
            Op::CtxswPreemptReturn {
                cpu: cpu(m, c)?,
                task: t,
                point: *point,
                then: next(m, then)?,
            }
        }
        StmtKind::Migrate { task: t, cpu: c } => Op::Migrate {
            task: task(m, t)?,
            cpu: cpu(m, c)?,
        },
        StmtKind::FrameWrite { task: t, writes } => Op::FrameWrite {
            task: task(m, t)?,
            writes: writes.clone(),
        },
        StmtKind::Signal { task: t, sig } => Op::Signal {
            task: task(m, t)?,
            sig: *sig,
        },
        StmtKind::Ptrace { task: t, req } => {
            let tid = task(m, t)?;
            Op::Ptrace {
                task: tid,
                req: match req {
                    PtraceSpec::GetFpr => PtraceReq::GetFpr,
                    PtraceSpec::GetSve => PtraceReq::GetSve,
                    PtraceSpec::SetFpr(ws) => PtraceReq::SetFpr(ws.clone()),
                    PtraceSpec::SetSve {
                        bits,
                        kind,
                        partial,
                        inherit,
                        onexec,
                        writes,
                    } => {
                        let has_sve = writes.iter().any(|w| w.reg.is_sve());
                        let has_v = writes.iter().any(|w| matches!(w.reg, Reg::V(_)));
                        if has_sve && has_v {
                            return lerr(
                                t.span,
                                "an NT_ARM_SVE payload is either FPSIMD (v0–v31) or SVE (z/p/ffr), not both",
                                "write z registers (their low 128 bits are V), or only v registers with `fpsimd`",
                            );
                        }
                        let kind = kind.unwrap_or(if has_sve {
                            SvePayloadKind::Sve
                        } else if writes.is_empty() {
                            SvePayloadKind::Header
                        } else {
                            SvePayloadKind::Fpsimd
                        });
                        PtraceReq::SetSve {
                            vl: bits.map_or(m.task(tid).vl, |b| (b / 8) as u16),
                            flags: if *inherit { SVE_PT_VL_INHERIT } else { 0 }
                                | if *onexec { SVE_PT_VL_ONEXEC } else { 0 },
                            payload: match kind {
                                SvePayloadKind::Header => SvePayload::Header,
                                SvePayloadKind::Fpsimd => SvePayload::Fpsimd(writes.clone()),
                                SvePayloadKind::Sve => SvePayload::Sve {
                                    writes: writes.clone(),
                                    partial: *partial,
                                },
                            },
                        }
                    }
                },
            }
        }
        StmtKind::KernelNeon(id) => {
            if crate::model::types::cpu_index(&id.name).is_some() {
                Op::KernelNeon { cpu: cpu(m, id)? }
            } else {
                Op::Svc {
                    task: task(m, id)?,
                    call: Syscall::KernelNeon,
                }
            }
        }
        StmtKind::CpuPm(c) => Op::CpuPm { cpu: cpu(m, c)? },
        StmtKind::CpuOffline(c) => Op::CpuOffline { cpu: cpu(m, c)? },
        StmtKind::CpuOnline(c) => Op::CpuOnline { cpu: cpu(m, c)? },
        StmtKind::KvmEnter {
            task: t,
            vcpu: v,
            preempt,
        } => Op::Svc {
            task: task(m, t)?,
            call: match preempt {
                None => Syscall::KvmRun(vcpu(m, v)?),
                Some(n) => Syscall::KvmRunPreempted {
                    vcpu: vcpu(m, v)?,
                    next: next(m, n)?,
                },
            },
        },
        StmtKind::GuestOp {
            vcpu: v,
            sve,
            writes,
        } => Op::Kvm(KvmOp::GuestOp {
            vcpu: vcpu(m, v)?,
            insn: UserInsn {
                sve: *sve,
                writes: writes.clone(),
            },
        }),
        StmtKind::GuestZcr { vcpu: v, bits } => Op::Kvm(KvmOp::GuestZcr {
            vcpu: vcpu(m, v)?,
            vl: (bits / 8) as u16,
        }),
        StmtKind::KvmExit { vcpu: v, to_user } => Op::Kvm(KvmOp::Exit {
            vcpu: vcpu(m, v)?,
            to_user: *to_user,
        }),
        StmtKind::Kernel(_)
        | StmtKind::Cpus(_)
        | StmtKind::Vls(_)
        | StmtKind::KvmMode(_)
        | StmtKind::Sysctl(..)
        | StmtKind::Expect(_)
        | StmtKind::Show(_)
        | StmtKind::Repeat { .. } => {
            return lerr(
                Span::default(),
                "not an operation",
                "internal: handled by the session",
            )
        }
    };
    Ok(Action::Op(op))
}
