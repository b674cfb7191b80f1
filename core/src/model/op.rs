//! The operations a script can ask of the machine, as data: registers and values, the
//! syscalls, the KVM, ptrace and sigreturn requests, and what a step returns. How each is
//! carried out is in [`super::step`].

use super::event::Sig;
use super::types::{CpuId, TaskId, VcpuId};

use crate::model::types::Curr;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A register a user instruction writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reg {
    /// `Zn` (SVE).
    Z(u8),
    /// `Pn` (SVE).
    P(u8),
    /// `FFR` (SVE).
    Ffr,
    /// `Vn` (FP/AdvSIMD).
    V(u8),
    /// `FPSR`.
    Fpsr,
    /// `FPCR`.
    Fpcr,
}

impl Reg {
    /// Needs SVE (traps when `CPACR_EL1.ZEN_EL0EN` is clear)?
    pub fn is_sve(self) -> bool {
        matches!(self, Reg::Z(_) | Reg::P(_) | Reg::Ffr)
    }

    fn code(self) -> u8 {
        match self {
            Reg::Z(n) | Reg::V(n) => n,
            Reg::P(n) => 0x40 + n,
            Reg::Ffr => 0x50,
            Reg::Fpsr => 0x60,
            Reg::Fpcr => 0x61,
        }
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reg::Z(n) => write!(f, "z{n}"),
            Reg::P(n) => write!(f, "p{n}"),
            Reg::Ffr => f.write_str("ffr"),
            Reg::V(n) => write!(f, "v{n}"),
            Reg::Fpsr => f.write_str("fpsr"),
            Reg::Fpcr => f.write_str("fpcr"),
        }
    }
}

/// A register value, materialised at the vector length in force when it is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// A number, little-endian lanes, zero-extended (bytes, least significant first).
    Hex(Vec<u8>),
    /// Every byte the same.
    Fill(u8),
    /// All ones.
    Ones,
    /// All zeros.
    Zero,
    /// `pattern(seed)`: 32-bit lanes `seed:task:register:lane`, unique per task, register
    /// and lane (like the kernel selftests' patterns).
    Pattern(u8),
}

impl Value {
    /// Writes the value into `out` (the register's width at the current VL).
    /// Fails when a literal is wider than the register.
    pub fn materialise(&self, out: &mut [u8], task: TaskId, reg: Reg) -> Result<(), String> {
        match self {
            Value::Hex(b) => {
                if b.len() > out.len() {
                    return Err(format!(
                        "value has {} bytes but {reg} holds {} bytes here",
                        b.len(),
                        out.len()
                    ));
                }
                out[..b.len()].copy_from_slice(b);
                out[b.len()..].fill(0);
            }
            Value::Fill(x) => out.fill(*x),
            Value::Ones => out.fill(0xff),
            Value::Zero => out.fill(0),
            Value::Pattern(seed) => {
                for (k, lane) in out.chunks_mut(4).enumerate() {
                    let word = [k as u8, reg.code(), (task.0 as u8).wrapping_add(1), *seed];
                    lane.copy_from_slice(&word[..lane.len()]);
                }
            }
        }
        Ok(())
    }

    /// Bytes a literal needs (0 for the filling forms).
    pub fn literal_len(&self) -> usize {
        match self {
            Value::Hex(b) => b.len(),
            _ => 0,
        }
    }
}

/// One register write of a user instruction.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegWrite {
    /// Which register.
    pub reg: Reg,
    /// What value.
    pub value: Value,
}

/// A user-level instruction: an SVE one (traps when SVE is disabled for EL0) or an
/// FP/AdvSIMD one (never traps on Linux). No writes = a read only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserInsn {
    /// SVE (`sve-op`) or FP/AdvSIMD (`fp-op`).
    pub sve: bool,
    /// Registers written.
    pub writes: Vec<RegWrite>,
}

/// What to switch a CPU to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Next {
    /// A user task.
    Task(TaskId),
    /// The idle task.
    Idle,
    /// A kernel thread.
    Kthread,
}

impl Next {
    pub(crate) fn curr(self) -> Curr {
        match self {
            Next::Task(t) => Curr::Task(t),
            Next::Idle => Curr::Idle,
            Next::Kthread => Curr::Kthread,
        }
    }
}

/// Something that interrupts `do_sve_acc()` between `sve_alloc()` (IRQs on, may sleep)
/// and the context lock: this is how the trap's memory branch is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum TrapInterrupt {
    /// Nothing: the common case.
    #[default]
    None,
    /// A softirq uses kernel-mode NEON on this CPU.
    KernelNeon,
    /// The task is preempted; the CPU switches to `next`. The trap finishes when the task
    /// is switched back in (on any CPU).
    Preempt(Next),
}

/// Where in `do_notify_resume()` a reschedule preempts a task on its way back to EL0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReturnPoint {
    /// Before a pending signal is delivered: the loop's first pass reschedules
    /// (`_TIF_NEED_RESCHED`), so `do_signal()` (and its `forget_syscall()`) waits for the
    /// next pass.
    BeforeSignal,
    /// Before `fpsimd_restore_current_state()` (the loop's reschedule pass comes first).
    BeforeRestore,
    /// After it: an IRQ with IRQs unmasked sets `TIF_NEED_RESCHED`, the loop runs again.
    AfterRestore,
}

/// A syscall.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Syscall {
    /// `getpid()`: does nothing to FP state.
    Getpid,
    /// `sched_yield()` (or any blocking call): switch to `next` inside the syscall.
    Yield(Next),
    /// `prctl(PR_SVE_SET_VL, vl | flags)`; `vl` in bytes.
    PrctlSetVl {
        /// Requested VL in bytes.
        vl: u64,
        /// `PR_SVE_VL_INHERIT` | `PR_SVE_SET_VL_ONEXEC`.
        flags: u64,
    },
    /// `prctl(PR_SVE_GET_VL)`.
    PrctlGetVl,
    /// `fork()`/`clone()` creating a task with this name.
    Fork(String),
    /// `execve()`.
    Exec,
    /// `rt_sigreturn()` with the innermost frame, edited as given.
    Sigreturn(FrameEdit),
    /// `kill(target, sig)`.
    Kill(TaskId, Sig),
    /// `exit()`.
    Exit,
    /// A syscall whose kernel code uses kernel-mode NEON (e.g. `read()` of an encrypted file).
    KernelNeon,
    /// `ioctl(KVM_RUN)` on a vCPU.
    KvmRun(crate::model::types::VcpuId),
    /// `rt_sigaction(SIG, …)`: SIGUSR1/SIGUSR2 to the default action, ignored or handled.
    Sigaction(Sig, super::event::SigAction),
    /// `ioctl(KVM_RUN)` preempted after syscall entry and before `vcpu_load()`: the CPU
    /// switches to `next`; the run (map, load, guest entry) goes on when the VMM is
    /// switched back in.
    KvmRunPreempted {
        /// The vCPU.
        vcpu: crate::model::types::VcpuId,
        /// What runs instead.
        next: Next,
    },
}

impl Syscall {
    /// The syscall's name.
    pub fn name(&self) -> &'static str {
        match self {
            Syscall::Getpid => "getpid",
            Syscall::Yield(_) => "sched_yield",
            Syscall::PrctlSetVl { .. } => "prctl(PR_SVE_SET_VL)",
            Syscall::PrctlGetVl => "prctl(PR_SVE_GET_VL)",
            Syscall::Fork(_) => "clone",
            Syscall::Exec => "execve",
            Syscall::Sigreturn(_) => "rt_sigreturn",
            Syscall::Sigaction(..) => "rt_sigaction",
            Syscall::Kill(..) => "kill",
            Syscall::Exit => "exit",
            Syscall::KernelNeon => "read",
            Syscall::KvmRun(_) | Syscall::KvmRunPreempted { .. } => "ioctl(KVM_RUN)",
        }
    }
}

/// One step's input.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// A user instruction by a task running at EL0.
    User {
        /// Which task.
        task: TaskId,
        /// The instruction.
        insn: UserInsn,
        /// What interrupts the SVE trap, if one is taken.
        interrupt: TrapInterrupt,
    },
    /// A syscall by a task running at EL0.
    Svc {
        /// Which task.
        task: TaskId,
        /// The call.
        call: Syscall,
    },
    /// Switch a CPU to another context. From a task at EL0 this is an IRQ preemption.
    Ctxsw {
        /// Which CPU.
        cpu: CpuId,
        /// To what.
        next: Next,
    },
    /// Switch a stopped task in on a CPU; on its way back to EL0 a reschedule at `point`
    /// switches the CPU to `then` (the task stays inside `do_notify_resume()`).
    CtxswPreemptReturn {
        /// Which CPU.
        cpu: CpuId,
        /// The task switched in.
        task: TaskId,
        /// Where its return is interrupted.
        point: ReturnPoint,
        /// What runs instead.
        then: Next,
    },
    /// Move a task to a CPU: preempt it where it runs, switch it in on `cpu`.
    Migrate {
        /// Which task.
        task: TaskId,
        /// Target CPU.
        cpu: CpuId,
    },
    /// The task's signal handler stores into its innermost signal frame (user memory, no
    /// kernel code): V/FPSR/FPCR into `fpsimd_context`, Z/P/FFR into the `sve_context`
    /// payload. `rt_sigreturn()` then restores what the frame holds.
    FrameWrite {
        /// Which task (running at EL0, with a frame).
        task: TaskId,
        /// The stores.
        writes: Vec<RegWrite>,
    },
    /// A signal from outside (delivered at the task's next return to user).
    Signal {
        /// To whom.
        task: TaskId,
        /// Which.
        sig: Sig,
    },
    /// A ptrace regset access to a stopped task.
    Ptrace {
        /// The tracee.
        task: TaskId,
        /// The request.
        req: PtraceReq,
    },
    /// A softirq using kernel-mode NEON on top of whatever runs on the CPU.
    KernelNeon {
        /// Which CPU.
        cpu: CpuId,
    },
    /// CPU PM enter/exit (from the idle loop): state saved, registers lost.
    CpuPm {
        /// Which CPU.
        cpu: CpuId,
    },
    /// Hot-unplug a CPU.
    CpuOffline {
        /// Which CPU.
        cpu: CpuId,
    },
    /// Bring a CPU back.
    CpuOnline {
        /// Which CPU.
        cpu: CpuId,
    },
    /// A KVM operation.
    Kvm(KvmOp),
}

/// An operation that is impossible in the current state. The machine is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    /// What is wrong.
    pub message: String,
    /// How to get what was meant.
    pub hint: String,
}

impl StepError {
    pub(crate) fn new(message: impl Into<String>, hint: impl Into<String>) -> StepError {
        StepError {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (hint: {})", self.message, self.hint)
    }
}

/// What a step returned to user space, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// The syscall's return value (`x0`).
    pub ret: Option<i64>,
}

/// Words the language uses for something else cannot name a task or a vCPU: `cpuN` (a CPU
/// in every path), `idle` and `kthread` (what a CPU switches to), and the path heads
/// `total`, `config`, `tracer`, `machine`.
pub(crate) fn check_name(name: &str) -> Result<(), StepError> {
    let what = if crate::model::types::cpu_index(name).is_some() {
        "a CPU"
    } else {
        match name {
            "idle" | "kthread" => "what a CPU switches to",
            "total" | "config" | "tracer" | "machine" => "the start of a path",
            _ => return Ok(()),
        }
    };
    Err(StepError::new(
        format!("`{name}` is reserved: it names {what}"),
        "pick another name, e.g. A, B, VMM or V0",
    ))
}

/// A KVM operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KvmOp {
    /// A guest instruction (SVE or FP) on a loaded vCPU; re-enters the guest if it exited.
    GuestOp {
        /// Which vCPU.
        vcpu: VcpuId,
        /// The instruction.
        insn: UserInsn,
    },
    /// The guest writes its own `ZCR_EL1` (an SVE-class access: the first one traps to hyp
    /// like an SVE instruction), setting its VL to `vl` bytes; re-enters the guest if it
    /// exited.
    GuestZcr {
        /// Which vCPU.
        vcpu: VcpuId,
        /// The new VL in bytes.
        vl: u16,
    },
    /// Guest exit; with `to_user`, `KVM_RUN` returns to the VMM's user space.
    Exit {
        /// Which vCPU.
        vcpu: VcpuId,
        /// Return from `KVM_RUN`.
        to_user: bool,
    },
}

/// A ptrace request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PtraceReq {
    /// `PTRACE_GETREGSET NT_PRFPREG`.
    GetFpr,
    /// `PTRACE_SETREGSET NT_PRFPREG`: V registers and FPSR/FPCR named in `writes`.
    SetFpr(Vec<RegWrite>),
    /// `PTRACE_GETREGSET NT_ARM_SVE`.
    GetSve,
    /// `PTRACE_SETREGSET NT_ARM_SVE`.
    SetSve {
        /// `header.vl` in bytes.
        vl: u16,
        /// `SVE_PT_VL_INHERIT` | `SVE_PT_VL_ONEXEC`.
        flags: u16,
        /// The payload.
        payload: SvePayload,
    },
}

/// How a signal handler (or a hostile program) edits the frame before `rt_sigreturn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FrameEdit {
    /// Unchanged.
    #[default]
    AsDelivered,
    /// `sve_context` removed: FPSIMD-only restore.
    NoSve,
    /// `sve_context` reduced to its header (`head.size` = 16): "no register data".
    HeaderOnly,
    /// `sve_context.vl` changed: "VL cannot be changed by sigreturn" → SIGSEGV.
    BadVl,
    /// `fpsimd_context` removed → SIGSEGV.
    NoFpsimd,
    /// `sve_context.head.size` too small for its VL → SIGSEGV.
    Truncated,
}

impl FrameEdit {
    /// The DSL keyword.
    pub const fn keyword(self) -> &'static str {
        match self {
            FrameEdit::AsDelivered => "as-delivered",
            FrameEdit::NoSve => "no-sve",
            FrameEdit::HeaderOnly => "header-only",
            FrameEdit::BadVl => "bad-vl",
            FrameEdit::NoFpsimd => "no-fpsimd",
            FrameEdit::Truncated => "truncated",
        }
    }

    /// Every variant.
    pub const ALL: [FrameEdit; 6] = [
        FrameEdit::AsDelivered,
        FrameEdit::NoSve,
        FrameEdit::HeaderOnly,
        FrameEdit::BadVl,
        FrameEdit::NoFpsimd,
        FrameEdit::Truncated,
    ];
}

/// The payload of an `NT_ARM_SVE` write.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SvePayload {
    /// Header only, `SVE_PT_REGS_SVE`: "change only the VL/flags" (sve.rst §7).
    Header,
    /// `SVE_PT_REGS_FPSIMD` with a `user_fpsimd_state`.
    Fpsimd(Vec<RegWrite>),
    /// `SVE_PT_REGS_SVE` with Z/P/FFR (and FPSR/FPCR unless `partial`).
    Sve {
        /// Registers written.
        writes: Vec<RegWrite>,
        /// The payload ends after the last named Z register.
        partial: bool,
    },
}
