//! The syntax tree of a svelab script: what [`crate::dsl::parse`] returns.
//!
//! Names of tasks, vCPUs and CPUs are kept as written (with their spans); they are resolved
//! against the machine when a statement is executed, because tasks come and go (`fork`).
//! Register writes use the model's own [`RegWrite`]; vector lengths are kept in **bits** as
//! the script gives them and converted to the model's bytes when lowered.

use crate::model::event::Sig;
use crate::model::kernel::Kernel;
use crate::model::op::{FrameEdit, RegWrite, Value};
use crate::model::vcpu::KvmMode;
use serde::{Deserialize, Serialize};

/// A byte range of the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written, with where.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A parsed script: top-level statements, in order. Statements that failed to parse are
/// left out (their diagnostics say why).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Program {
    /// The source the spans refer to.
    pub source: String,
    /// The statements.
    pub stmts: Vec<Stmt>,
}

/// One statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stmt {
    /// Where it is (without comments and separators).
    pub span: Span,
    /// What it says.
    pub kind: StmtKind,
}

/// A sysctl the DSL knows (`/proc/sys/abi/…`): the model's own.
pub use crate::model::sysctl::Sysctl;

/// What a CPU switches to (`ctxsw`, `yield ->`, `preempt ->`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NextSpec {
    /// A task by name.
    Task(Ident),
    /// `idle`.
    Idle,
    /// `kthread`.
    Kthread,
}

/// What interrupts the SVE access trap of an `sve-op`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum InterruptSpec {
    /// Nothing.
    #[default]
    None,
    /// `softirq-neon`.
    SoftirqNeon,
    /// `preempt -> NEXT`.
    Preempt(NextSpec),
}

/// The call of an `svc` statement.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SvcSpec {
    /// `getpid`.
    Getpid,
    /// `yield [-> NEXT]` (default `idle`).
    Yield(NextSpec),
    /// `prctl-set-vl BITS [inherit] [onexec]`.
    PrctlSetVl {
        /// Requested VL in bits (any value: the kernel validates it).
        bits: u64,
        /// `inherit`.
        inherit: bool,
        /// `onexec`.
        onexec: bool,
    },
    /// `prctl-get-vl`.
    PrctlGetVl,
    /// `fork CHILD`.
    Fork(Ident),
    /// `exec`.
    Exec,
    /// `sigreturn [EDIT]`.
    Sigreturn(FrameEdit),
    /// `kill TASK SIG`.
    Kill(Ident, Sig),
    /// `sigaction SIG default|ignore|handle`.
    Sigaction(Sig, crate::model::event::SigAction),
    /// `exit`.
    Exit,
    /// `read-neon`: a syscall whose kernel code uses kernel-mode NEON.
    ReadNeon,
    /// `kvm-run VCPU` (= `kvm-enter TASK VCPU`).
    KvmRun(Ident),
}

/// Payload kind of an `NT_ARM_SVE` write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SvePayloadKind {
    /// `fpsimd`: `SVE_PT_REGS_FPSIMD`.
    Fpsimd,
    /// `sve`: `SVE_PT_REGS_SVE` with registers.
    Sve,
    /// `header`: header only.
    Header,
}

/// A `ptrace` statement's request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PtraceSpec {
    /// `get NT_PRFPREG`.
    GetFpr,
    /// `get NT_ARM_SVE`.
    GetSve,
    /// `set NT_PRFPREG v0=… fpsr=…`.
    SetFpr(Vec<RegWrite>),
    /// `set NT_ARM_SVE vl=BITS [fpsimd|sve|header] [partial] [inherit] [onexec] z0=…`.
    SetSve {
        /// `vl=` in bits (default: the task's VL).
        bits: Option<u32>,
        /// Payload kind (default: `sve` if SVE registers are written, else `fpsimd`).
        kind: Option<SvePayloadKind>,
        /// `partial`.
        partial: bool,
        /// `inherit`.
        inherit: bool,
        /// `onexec`.
        onexec: bool,
        /// Registers written.
        writes: Vec<RegWrite>,
    },
}

/// Comparison operators of `expect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// A path into the model: `A.z0[255:128]`, `cpu0.last.st`, `total.traps`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Path {
    /// Dot-separated segments as written (`A`, `sve_state`, `z0`).
    pub segments: Vec<String>,
    /// Bit slice `[hi:lo]` (or `[bit]`), inclusive.
    pub slice: Option<(u32, u32)>,
    /// Where.
    pub span: Span,
}

impl Path {
    /// The path as written.
    pub fn text(&self) -> String {
        let mut s = self.segments.join(".");
        if let Some((hi, lo)) = self.slice {
            s.push_str(&format!("[{hi}:{lo}]"));
        }
        s
    }
}

/// The right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operand {
    /// A decimal integer.
    Int(i128),
    /// A register value (`0x…`, `fill(..)`, `ones`, `zero`, `pattern(..)`), materialised at
    /// the width of the left-hand side.
    Value(Value),
    /// A bare word: a name (`A`, `idle`, `nobody`), a type (`sve`), `true`/`false`.
    Word(String),
    /// Another path (contains a dot).
    Path(Path),
}

/// A condition: what `expect` asserts and `break when` waits for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Condition {
    /// `PATH OP OPERAND`.
    Compare {
        /// Left-hand side.
        lhs: Path,
        /// Operator.
        op: CmpOp,
        /// Right-hand side.
        rhs: Operand,
        /// Where the right-hand side is.
        rhs_span: Span,
    },
    /// `no-violations`: no invariant was violated since the start or the last
    /// `expect violation`, and none holds now.
    NoViolations,
    /// `violation CODE`: a violation of the rule with this code (`B1`, `warn`…) was reported
    /// since the start or the last `expect violation`/`no-violations`, or holds now.
    Violation(String),
}

/// What `show` shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShowTarget {
    /// A task, vCPU or CPU by name, or a path (`show A.z0`).
    Path(Path),
    /// `counters`.
    Counters,
    /// `events` (of the last operation).
    Events,
    /// `violations` (now).
    Violations,
    /// `config`.
    Config,
    /// `machine`: everything.
    Machine,
}

/// What a statement says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StmtKind {
    /// `kernel NAME`.
    Kernel(Kernel),
    /// `cpus N`.
    Cpus(u8),
    /// `vls B,B,…` (bits).
    Vls(Vec<u32>),
    /// `kvm-mode vhe|nvhe`.
    KvmMode(KvmMode),
    /// `sysctl NAME=VALUE`.
    Sysctl(Sysctl, i64),
    /// `task NAME [vl=BITS] [on=cpuN]`.
    Task {
        /// Name.
        name: Ident,
        /// VL in bits.
        bits: Option<u32>,
        /// CPU to run it on.
        on: Option<Ident>,
    },
    /// `vcpu NAME sve|nosve [vl=BITS]`.
    Vcpu {
        /// Name.
        name: Ident,
        /// Has SVE.
        sve: bool,
        /// Max VL in bits.
        bits: Option<u32>,
    },
    /// `sve-op TASK [writes] [preempt -> NEXT | softirq-neon]`, `fp-op TASK [writes]`.
    UserOp {
        /// Task.
        task: Ident,
        /// SVE (`sve-op`) or FP (`fp-op`).
        sve: bool,
        /// Registers written.
        writes: Vec<RegWrite>,
        /// Interrupt of the trap.
        interrupt: InterruptSpec,
    },
    /// `svc TASK CALL`.
    Svc {
        /// Task.
        task: Ident,
        /// Call.
        call: SvcSpec,
    },
    /// `ctxsw CPU NEXT [preempt-before-signal|preempt-before-restore|preempt-after-restore -> THEN]`.
    Ctxsw {
        /// CPU.
        cpu: Ident,
        /// Next.
        next: NextSpec,
        /// A reschedule on NEXT's way back to user space, and what runs instead.
        on_return: Option<(crate::model::op::ReturnPoint, NextSpec)>,
    },
    /// `migrate TASK CPU`.
    Migrate {
        /// Task.
        task: Ident,
        /// CPU.
        cpu: Ident,
    },
    /// `frame-write TASK REG=VALUE …`.
    FrameWrite {
        /// Task (in its handler).
        task: Ident,
        /// What it stores into its innermost frame.
        writes: Vec<RegWrite>,
    },
    /// `signal TASK SIG`.
    Signal {
        /// Task.
        task: Ident,
        /// Signal.
        sig: Sig,
    },
    /// `ptrace TASK get|set …`.
    Ptrace {
        /// Tracee.
        task: Ident,
        /// Request.
        req: PtraceSpec,
    },
    /// `kernel-neon cpuN` or `kernel-neon TASK`.
    KernelNeon(Ident),
    /// `cpu-pm CPU`.
    CpuPm(Ident),
    /// `cpu-offline CPU`.
    CpuOffline(Ident),
    /// `cpu-online CPU`.
    CpuOnline(Ident),
    /// `kvm-enter TASK VCPU [preempt -> NEXT]`.
    KvmEnter {
        /// VMM task.
        task: Ident,
        /// vCPU.
        vcpu: Ident,
        /// `preempt -> NEXT`: preempted after syscall entry, before `vcpu_load()`.
        preempt: Option<NextSpec>,
    },
    /// `guest-sve-op VCPU …`, `guest-fp-op VCPU …`.
    GuestOp {
        /// vCPU.
        vcpu: Ident,
        /// SVE or FP.
        sve: bool,
        /// Registers written.
        writes: Vec<RegWrite>,
    },
    /// `guest-zcr VCPU vl=BITS`.
    GuestZcr {
        /// vCPU.
        vcpu: Ident,
        /// The VL the guest sets, in bits.
        bits: u32,
    },
    /// `kvm-exit VCPU [to-user]`.
    KvmExit {
        /// vCPU.
        vcpu: Ident,
        /// Return to the VMM's user space.
        to_user: bool,
    },
    /// `expect CONDITION`.
    Expect(Condition),
    /// `show TARGET`.
    Show(ShowTarget),
    /// `repeat N { … }`.
    Repeat {
        /// Iterations.
        count: u64,
        /// Body.
        body: Vec<Stmt>,
    },
}

impl StmtKind {
    /// Is this a configuration statement (allowed only before the first task, vCPU or
    /// operation)?
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            StmtKind::Kernel(_) | StmtKind::Cpus(_) | StmtKind::Vls(_) | StmtKind::KvmMode(_)
        )
    }

    /// The statement's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            StmtKind::Kernel(_) => "kernel",
            StmtKind::Cpus(_) => "cpus",
            StmtKind::Vls(_) => "vls",
            StmtKind::KvmMode(_) => "kvm-mode",
            StmtKind::Sysctl(..) => "sysctl",
            StmtKind::Task { .. } => "task",
            StmtKind::Vcpu { .. } => "vcpu",
            StmtKind::UserOp { sve: true, .. } => "sve-op",
            StmtKind::UserOp { sve: false, .. } => "fp-op",
            StmtKind::Svc { .. } => "svc",
            StmtKind::Ctxsw { .. } => "ctxsw",
            StmtKind::Migrate { .. } => "migrate",
            StmtKind::Signal { .. } => "signal",
            StmtKind::FrameWrite { .. } => "frame-write",
            StmtKind::Ptrace { .. } => "ptrace",
            StmtKind::KernelNeon(_) => "kernel-neon",
            StmtKind::CpuPm(_) => "cpu-pm",
            StmtKind::CpuOffline(_) => "cpu-offline",
            StmtKind::CpuOnline(_) => "cpu-online",
            StmtKind::KvmEnter { .. } => "kvm-enter",
            StmtKind::GuestOp { sve: true, .. } => "guest-sve-op",
            StmtKind::GuestOp { sve: false, .. } => "guest-fp-op",
            StmtKind::GuestZcr { .. } => "guest-zcr",
            StmtKind::KvmExit { .. } => "kvm-exit",
            StmtKind::Expect(_) => "expect",
            StmtKind::Show(_) => "show",
            StmtKind::Repeat { .. } => "repeat",
        }
    }
}
