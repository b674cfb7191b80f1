//! The operations explore tries in a state, and how one step updates the ABI oracle.

use super::OpSet;
use crate::model::bugs::KnownBug;
use crate::model::event::{Sig, SigAction};
use crate::model::kernel::Kernel;
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::{
    KvmOp, Next, Op, PtraceReq, Reg, RegWrite, ReturnPoint, SvePayload, Syscall, TrapInterrupt,
    UserInsn, Value,
};
use crate::model::oracle::AbiOracle;
use crate::model::types::{CpuId, Curr, Level, TaskId, VcpuId};
use crate::model::violation::Violation;

/// One possible next operation, and its DSL text (empty unless asked for).
#[derive(Clone, Debug)]
pub(super) struct Move {
    pub(super) op: Op,
    pub(super) text: String,
}

struct Moves {
    list: Vec<Move>,
    texts: bool,
}

impl Moves {
    fn push(&mut self, op: Op, text: impl FnOnce() -> String) {
        let text = if self.texts { text() } else { String::new() };
        self.list.push(Move { op, text });
    }
}

/// After `op` produced `m`: update the oracle, and return every violation (model checks
/// and ABI oracle). Expectations already contradicted are forgotten, and so is everything
/// promised to a task a known bug has just corrupted: each cause is reported once.
pub(super) fn step_oracle(k: Kernel, m: &Machine, o: &mut AbiOracle, op: &Op) -> Vec<Violation> {
    o.observe(op, m);
    judge(k, m, o)
}

/// The checks of a step once the oracle has observed it: the step's own violations, the
/// invariants of the state, the oracle's promises (forgetting those found broken, and
/// every promise to a task a known bug hit).
pub(super) fn judge(k: Kernel, m: &Machine, o: &mut AbiOracle) -> Vec<Violation> {
    let mut violations = m.check();
    violations.extend(o.check_and_forget(m));
    for v in &violations {
        if let (Some(_), Some(t)) = (KnownBug::explain(k, v), v.task) {
            o.forget_task(t);
        }
    }
    violations
}

fn fill(x: u8) -> Value {
    Value::Fill(x)
}

/// The value to write next for a context whose V0 the oracle expects to be `cur`:
/// alternate between two, so a lost write is always visible.
fn next_byte(cur: Option<u128>) -> u8 {
    if cur == Some(u128::from_le_bytes([0x11; 16])) {
        0x22
    } else {
        0x11
    }
}

/// Every operation worth trying in state `m`.
/// Without `texts`, the DSL text of each move is left empty (the search needs it only
/// to write a counterexample).
pub(super) fn moves(m: &Machine, o: &AbiOracle, ops: OpSet, texts: bool) -> Vec<Move> {
    let mut out = Moves {
        list: Vec::new(),
        texts,
    };
    let name = |t: TaskId| m.task(t).name.as_str();
    let tasks: Vec<TaskId> = (0..m.tasks.len() as u16)
        .map(TaskId)
        .filter(|t| m.task(*t).alive())
        .collect();
    let at_user: Vec<(TaskId, CpuId)> = tasks
        .iter()
        .filter_map(|t| {
            let c = m.running_on(*t)?;
            (m.task(*t).level == Level::User).then_some((*t, c))
        })
        .collect();
    let stopped: Vec<TaskId> = tasks
        .iter()
        .copied()
        .filter(|t| m.running_on(*t).is_none())
        .collect();
    let online: Vec<CpuId> = (0..m.cpus.len() as u8)
        .map(CpuId)
        .filter(|c| m.cpu(*c).online)
        .collect();
    let nexts = |exclude: Option<TaskId>| {
        let mut v: Vec<(Next, &str)> = vec![(Next::Idle, "idle")];
        for t in &stopped {
            if Some(*t) != exclude {
                v.push((Next::Task(*t), name(*t)));
            }
        }
        v
    };
    for &(t, c) in &at_user {
        let x = next_byte(o.expected_v(t)[0]);
        let n = name(t);
        if ops.has(OpSet::USER) {
            let writes = vec![
                RegWrite {
                    reg: Reg::Z(0),
                    value: fill(x),
                },
                RegWrite {
                    reg: Reg::P(0),
                    value: fill(x),
                },
                RegWrite {
                    reg: Reg::Ffr,
                    value: fill(x),
                },
            ];
            out.push(
                Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: true,
                        writes: writes.clone(),
                    },
                    interrupt: TrapInterrupt::None,
                },
                move || {
                    format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x})")
                },
            );
            out.push(
                Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: false,
                        writes: vec![RegWrite {
                            reg: Reg::V(0),
                            value: fill(x),
                        }],
                    },
                    interrupt: TrapInterrupt::None,
                },
                move || format!("fp-op {n} v0=fill({x:#04x})"),
            );
            if ops.has(OpSet::PREEMPT) && !m.cpu(c).cpacr_zen_el0en {
                for (nx, nt) in nexts(Some(t)) {
                    out.push(
                        Op::User { task: t, insn: UserInsn { sve: true, writes: writes.clone() }, interrupt: TrapInterrupt::Preempt(nx) },
                        move || format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x}) preempt -> {nt}"),
                    );
                }
                out.push(
                    Op::User { task: t, insn: UserInsn { sve: true, writes }, interrupt: TrapInterrupt::KernelNeon },
                    move || format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x}) softirq-neon"),
                );
            }
        }
        if ops.has(OpSet::SYSCALL) {
            out.push(
                Op::Svc {
                    task: t,
                    call: Syscall::Getpid,
                },
                move || format!("svc {n} getpid"),
            );
            for (nx, nt) in nexts(Some(t)) {
                out.push(
                    Op::Svc {
                        task: t,
                        call: Syscall::Yield(nx),
                    },
                    move || format!("svc {n} yield -> {nt}"),
                );
            }
        }
        if ops.has(OpSet::SIGNAL) && !m.task(t).frames.is_empty() {
            out.push(
                Op::Svc {
                    task: t,
                    call: Syscall::Sigreturn(crate::model::op::FrameEdit::AsDelivered),
                },
                move || format!("svc {n} sigreturn"),
            );
        }
        if ops.has(OpSet::HANDLER) {
            if !m.task(t).frames.is_empty() {
                out.push(
                    Op::FrameWrite {
                        task: t,
                        writes: vec![RegWrite {
                            reg: Reg::V(0),
                            value: fill(x),
                        }],
                    },
                    move || format!("frame-write {n} v0=fill({x:#04x})"),
                );
            }
            let now = m.task(t).sig_action(Sig::Usr1);
            for action in SigAction::ALL.into_iter().filter(|a| *a != now) {
                out.push(
                    Op::Svc {
                        task: t,
                        call: Syscall::Sigaction(Sig::Usr1, action),
                    },
                    move || format!("svc {n} sigaction SIGUSR1 {}", action.keyword()),
                );
            }
        }
        if ops.has(OpSet::NEON) {
            out.push(
                Op::Svc {
                    task: t,
                    call: Syscall::KernelNeon,
                },
                move || format!("kernel-neon {n}"),
            );
        }
        if ops.has(OpSet::PRCTL) {
            let vl = if m.task(t).vl == 64 { 32u16 } else { 64 };
            out.push(
                Op::Svc {
                    task: t,
                    call: Syscall::PrctlSetVl {
                        vl: u64::from(vl),
                        flags: 0,
                    },
                },
                move || format!("svc {n} prctl-set-vl {}", u32::from(vl) * 8),
            );
        }
        if ops.has(OpSet::KVM) {
            for v in 0..m.vcpus.len() as u16 {
                let v = VcpuId(v);
                if m.vcpu_loaded_on(v).is_none() {
                    out.push(
                        Op::Svc {
                            task: t,
                            call: Syscall::KvmRun(v),
                        },
                        move || format!("kvm-enter {n} {}", m.vcpu(v).name),
                    );
                    if ops.has(OpSet::PREEMPT) {
                        for (nx, nt) in nexts(Some(t)) {
                            out.push(
                                Op::Svc {
                                    task: t,
                                    call: Syscall::KvmRunPreempted { vcpu: v, next: nx },
                                },
                                move || format!("kvm-enter {n} {} preempt -> {nt}", m.vcpu(v).name),
                            );
                        }
                    }
                }
            }
        }
    }
    if ops.has(OpSet::SCHED) {
        for &c in &online {
            let curr = m.cpu(c).curr;
            for (nx, nt) in nexts(None) {
                let same = matches!((curr, nx), (Curr::Idle, Next::Idle));
                if !same {
                    out.push(Op::Ctxsw { cpu: c, next: nx }, || format!("ctxsw {c} {nt}"));
                }
            }
            if ops.has(OpSet::PREEMPT) {
                for &t in &stopped {
                    if matches!(
                        m.task(t).state,
                        TaskState::Stopped(Resume::KvmRun(_) | Resume::KvmRunEntry(_))
                    ) {
                        continue;
                    }
                    let signal = !m.task(t).pending.is_empty();
                    for (point, word) in [
                        (ReturnPoint::BeforeSignal, "preempt-before-signal"),
                        (ReturnPoint::BeforeRestore, "preempt-before-restore"),
                        (ReturnPoint::AfterRestore, "preempt-after-restore"),
                    ] {
                        if point == ReturnPoint::BeforeSignal && !signal {
                            continue;
                        }
                        for (nx, nt) in nexts(Some(t)) {
                            out.push(
                                Op::CtxswPreemptReturn {
                                    cpu: c,
                                    task: t,
                                    point,
                                    then: nx,
                                },
                                move || format!("ctxsw {c} {} {word} -> {nt}", name(t)),
                            );
                        }
                    }
                }
            }
        }
        for &t in &tasks {
            for &c in &online {
                if m.running_on(t) != Some(c) && m.running_on(t).is_some() {
                    out.push(Op::Migrate { task: t, cpu: c }, move || {
                        format!("migrate {} {c}", name(t))
                    });
                }
            }
        }
    }
    if ops.has(OpSet::SIGNAL) {
        for &t in &tasks {
            let task = m.task(t);
            if task.pending.is_empty() && task.frames.len() < 2 {
                out.push(
                    Op::Signal {
                        task: t,
                        sig: crate::model::event::Sig::Usr1,
                    },
                    move || format!("signal {} SIGUSR1", name(t)),
                );
            }
        }
    }
    if ops.has(OpSet::NEON) {
        for &c in &online {
            out.push(Op::KernelNeon { cpu: c }, || format!("kernel-neon {c}"));
        }
    }
    if ops.has(OpSet::PTRACE) {
        for &t in &stopped {
            if !matches!(
                m.task(t).state,
                TaskState::Stopped(Resume::User | Resume::Syscall | Resume::Fork)
            ) {
                continue;
            }
            let n = name(t);
            let x = next_byte(o.expected_v(t)[0]);
            let bits = u32::from(m.task(t).vl) * 8;
            out.push(
                Op::Ptrace {
                    task: t,
                    req: PtraceReq::GetSve,
                },
                move || format!("ptrace {n} get NT_ARM_SVE"),
            );
            out.push(
                Op::Ptrace {
                    task: t,
                    req: PtraceReq::GetFpr,
                },
                move || format!("ptrace {n} get NT_PRFPREG"),
            );
            // A full SVE write, and the writes that carry less than the whole register
            // file: a header only ("change the format"), and a payload that ends after Z0.
            let one = |reg, partial| SvePayload::Sve {
                writes: vec![RegWrite {
                    reg,
                    value: fill(x),
                }],
                partial,
            };
            for (payload, what) in [
                (one(Reg::P(0), false), 0),
                (SvePayload::Header, 1),
                (one(Reg::Z(0), true), 2),
            ] {
                out.push(
                    Op::Ptrace {
                        task: t,
                        req: PtraceReq::SetSve {
                            vl: m.task(t).vl,
                            flags: 0,
                            payload,
                        },
                    },
                    move || {
                        let what = match what {
                            0 => format!("sve p0=fill({x:#04x})"),
                            1 => "header".to_string(),
                            _ => format!("sve partial z0=fill({x:#04x})"),
                        };
                        format!("ptrace {n} set NT_ARM_SVE vl={bits} {what}")
                    },
                );
            }
        }
    }
    if ops.has(OpSet::KVM) {
        for v in 0..m.vcpus.len() as u16 {
            let v = VcpuId(v);
            if m.vcpu_loaded_on(v).is_none() {
                continue;
            }
            let vn = m.vcpu(v).name.as_str();
            let x = next_byte(Some(crate::model::oracle::guest_v(m, v, 0)));
            if m.vcpu(v).has_sve {
                out.push(
                    Op::Kvm(KvmOp::GuestOp {
                        vcpu: v,
                        insn: UserInsn {
                            sve: true,
                            writes: vec![RegWrite {
                                reg: Reg::Z(0),
                                value: fill(x),
                            }],
                        },
                    }),
                    move || format!("guest-sve-op {vn} z0=fill({x:#04x})"),
                );
            }
            out.push(
                Op::Kvm(KvmOp::GuestOp {
                    vcpu: v,
                    insn: UserInsn {
                        sve: false,
                        writes: vec![RegWrite {
                            reg: Reg::V(0),
                            value: fill(x),
                        }],
                    },
                }),
                move || format!("guest-fp-op {vn} v0=fill({x:#04x})"),
            );
            if ops.has(OpSet::ZCR) && m.vcpu(v).has_sve {
                // Halve the guest's VL, or restore it.
                let max = m.vcpu(v).sve_max_vl.max(16);
                let vl = if m.vcpu(v).guest_vl.unwrap_or(max) == max {
                    (max / 2).max(16)
                } else {
                    max
                };
                out.push(Op::Kvm(KvmOp::GuestZcr { vcpu: v, vl }), move || {
                    format!("guest-zcr {vn} vl={}", u32::from(vl) * 8)
                });
            }
            if m.vcpu(v).in_guest {
                out.push(
                    Op::Kvm(KvmOp::Exit {
                        vcpu: v,
                        to_user: false,
                    }),
                    move || format!("kvm-exit {vn}"),
                );
            }
            out.push(
                Op::Kvm(KvmOp::Exit {
                    vcpu: v,
                    to_user: true,
                }),
                move || format!("kvm-exit {vn} to-user"),
            );
        }
    }
    out.list
}
