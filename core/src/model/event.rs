//! What a step did, as data: one [`Event`] per thing the kernel did, named after the
//! kernel function that did it, and the [`Counters`] those events add up to.

use crate::model::types::{CpuId, Format, FpType, Owner, TaskId, VcpuId};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Text in events and violations: borrowed from the model's own names, owned after loading.
pub type Text = Cow<'static, str>;

/// A `WARN_ON`/`WARN_ON_ONCE` site of the kernel that the model can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WarnSite {
    /// `do_sve_acc()`: `TIF_SVE` was already set when the SVE access trap was taken.
    DoSveAccTifSveSet,
    /// `fpsimd_save()`: `sve_get_vl() != last->sve_vl` (followed by SIGKILL).
    FpsimdSaveVlMismatch,
    /// `task_fpsimd_load()` (patch 2): loading SVE format but `fp_type != FP_STATE_SVE`.
    LoadSveButFpTypeFpsimd,
    /// `task_fpsimd_load()` (patch 2): loading FPSIMD format but `fp_type != FP_STATE_FPSIMD`.
    LoadFpsimdButFpTypeSve,
    /// `task_fpsimd_load()` (patch 5): `fp_type == FP_STATE_SVE` but `TIF_SVE` was clear.
    LoadSveTifSveClear,
    /// `fpsimd_save()` (patch 3): KVM asked for FPSIMD but `TIF_SVE` says SVE.
    SaveToSaveFpsimdButTifSve,
    /// `fpsimd_save()` (patch 3): KVM asked for SVE but `TIF_SVE` says FPSIMD.
    SaveToSaveSveButNoTifSve,
    /// `sve_free()`: freeing `sve_state` while `TIF_SVE` is set.
    SveFreeWithTifSve,
    /// `fpsimd_bind_state_to_cpu()`: called with IRQs enabled outside softirq.
    BindStateIrqsOn,
}

impl WarnSite {
    /// The kernel function holding the WARN.
    pub fn function(self) -> &'static str {
        match self {
            WarnSite::DoSveAccTifSveSet => "do_sve_acc",
            WarnSite::FpsimdSaveVlMismatch
            | WarnSite::SaveToSaveFpsimdButTifSve
            | WarnSite::SaveToSaveSveButNoTifSve => "fpsimd_save",
            WarnSite::LoadSveButFpTypeFpsimd
            | WarnSite::LoadFpsimdButFpTypeSve
            | WarnSite::LoadSveTifSveClear => "task_fpsimd_load",
            WarnSite::SveFreeWithTifSve => "sve_free",
            WarnSite::BindStateIrqsOn => "fpsimd_bind_state_to_cpu",
        }
    }

    /// What the WARN says is wrong.
    pub fn condition(self) -> &'static str {
        match self {
            WarnSite::DoSveAccTifSveSet => "SVE access trapped although TIF_SVE was already set",
            WarnSite::FpsimdSaveVlMismatch => "RDVL differs from the bound state's sve_vl",
            WarnSite::LoadSveButFpTypeFpsimd => "loading SVE format but fp_type is FPSIMD",
            WarnSite::LoadFpsimdButFpTypeSve => "loading FPSIMD format but fp_type is SVE",
            WarnSite::LoadSveTifSveClear => "fp_type is SVE but TIF_SVE was clear",
            WarnSite::SaveToSaveFpsimdButTifSve => "to_save is FPSIMD but TIF_SVE is set",
            WarnSite::SaveToSaveSveButNoTifSve => "to_save is SVE but TIF_SVE is clear",
            WarnSite::SveFreeWithTifSve => "freeing sve_state while TIF_SVE is set",
            WarnSite::BindStateIrqsOn => "binding foreign state with IRQs enabled",
        }
    }
}

/// A signal the model knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sig {
    /// SIGUSR1 (the model assumes a handler is installed).
    Usr1,
    /// SIGUSR2 (the model assumes a handler is installed).
    Usr2,
    /// SIGSEGV: forced by a bad sigreturn frame; kills the task.
    Segv,
    /// SIGKILL: `fpsimd_save()` VL mismatch, `sve_alloc()` failure; kills the task.
    Kill,
    /// SIGILL: SVE trap without SVE support.
    Ill,
}

/// What a task does with SIGUSR1/SIGUSR2 (`struct k_sigaction`'s handler).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SigAction {
    /// `SIG_DFL`: SIGUSR1/SIGUSR2 terminate the task.
    Default,
    /// `SIG_IGN`: dropped when sent.
    Ignore,
    /// A handler: delivery builds a signal frame.
    Handle,
}

impl SigAction {
    /// Every action.
    pub const ALL: [SigAction; 3] = [SigAction::Default, SigAction::Ignore, SigAction::Handle];

    /// The DSL word.
    pub const fn keyword(self) -> &'static str {
        match self {
            SigAction::Default => "default",
            SigAction::Ignore => "ignore",
            SigAction::Handle => "handle",
        }
    }
}

impl Sig {
    /// Every signal the model knows.
    pub const ALL: [Sig; 5] = [Sig::Usr1, Sig::Usr2, Sig::Segv, Sig::Kill, Sig::Ill];

    /// The signal's name.
    pub const fn name(self) -> &'static str {
        match self {
            Sig::Usr1 => "SIGUSR1",
            Sig::Usr2 => "SIGUSR2",
            Sig::Segv => "SIGSEGV",
            Sig::Kill => "SIGKILL",
            Sig::Ill => "SIGILL",
        }
    }

    /// Parses a signal name (`SIGUSR1`…).
    pub fn parse(s: &str) -> Option<Sig> {
        Sig::ALL
            .into_iter()
            .find(|g| g.name().eq_ignore_ascii_case(s))
    }

    /// Does the default action (no handler in the model) kill the task?
    pub fn is_fatal(self) -> bool {
        matches!(self, Sig::Segv | Sig::Kill | Sig::Ill)
    }
}

/// One thing the kernel did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// `el0_sve_acc()` → `do_sve_acc()`: EL0 executed SVE with `CPACR_EL1.ZEN_EL0EN` clear.
    SveAccessTrap,
    /// `sve_alloc()`: a fresh zeroed buffer (`kzalloc`) or zeroing of the existing one.
    SveAlloc {
        /// Size of the buffer in bytes.
        bytes: usize,
        /// `true` for a new allocation, `false` for a memset of the existing buffer.
        fresh: bool,
    },
    /// `sve_alloc(task, false)` (v6.0+) found a buffer and kept its contents.
    SveAllocKept,
    /// `sve_free()` / the deferred `kfree` of `fpsimd_flush_thread()`.
    SveFree,
    /// `sve_init_regs()`: which branch the trap took.
    SveInitRegs {
        /// Registers live (flush + bind) rather than in memory (`fpsimd_to_sve`).
        live: bool,
    },
    /// `sve_flush_live()`: zeroed Z bits above 127, P0–P15 and, if asked, FFR.
    SveFlushLive {
        /// Quadwords per vector.
        vq: usize,
        /// FFR zeroed too.
        ffr: bool,
    },
    /// `fpsimd_save()` stored the live registers.
    FpsimdSave {
        /// Whose state was saved.
        owner: Owner,
        /// In which format.
        format: Format,
        /// Bytes written to memory.
        bytes: usize,
    },
    /// `task_fpsimd_load()` loaded the task's state.
    TaskFpsimdLoad {
        /// In which format.
        format: Format,
        /// Bytes read from memory.
        bytes: usize,
    },
    /// `fpsimd_bind_task_to_cpu()`.
    BindTaskToCpu,
    /// `fpsimd_bind_state_to_cpu()` with a vCPU's state (KVM).
    BindStateToCpu {
        /// Whose state.
        owner: Owner,
    },
    /// `fpsimd_flush_task_state()`: `fpsimd_cpu := NR_CPUS`, `TIF_FOREIGN_FPSTATE := 1`.
    FlushTaskState {
        /// Which task.
        task: TaskId,
    },
    /// `fpsimd_flush_cpu_state()`: `fpsimd_last_state.st := NULL`.
    FlushCpuState,
    /// `sve_user_enable()`/`sve_user_disable()` wrote `CPACR_EL1.ZEN_EL0EN`.
    CpacrWrite {
        /// New value of the EL0 enable.
        zen_el0en: bool,
    },
    /// `sve_set_vq()` wrote `ZCR_EL1.LEN`.
    ZcrWrite {
        /// New LEN (VQ - 1).
        len: u8,
    },
    /// `el0_svc()` → `do_el0_svc()` → `fp_user_discard()`.
    FpUserDiscard,
    /// `el0_svc()` → `fpsimd_syscall_enter()` (6.12, 398edaa12f9c): the entry flush, and
    /// this CPU's `fpsimd_last_state.to_save := FP_STATE_FPSIMD`.
    FpsimdSyscallEnter,
    /// `el0_svc()` → `fpsimd_syscall_exit()` (6.12): `to_save := FP_STATE_CURRENT` on a
    /// CPU whose window was still open (nothing rebound it during the syscall).
    FpsimdSyscallExit,
    /// A syscall entered (`el0_svc`).
    SyscallEnter {
        /// The syscall's name.
        name: Text,
    },
    /// An IRQ from EL0 (`el0_interrupt`): `syscallno := NO_SYSCALL`.
    IrqFromUser,
    /// `fpsimd_thread_switch(next)` from `__switch_to()`.
    ThreadSwitch {
        /// Did `next` get `TIF_FOREIGN_FPSTATE` (wrong task or wrong CPU)?
        next_foreign: bool,
    },
    /// `sve_to_fpsimd()`: Z bits [127:0] copied from `sve_state` into `uw.fpsimd_state`.
    SveToFpsimd {
        /// Whose buffers.
        task: TaskId,
    },
    /// `fpsimd_to_sve()`: V copied into bits [127:0] of `sve_state`.
    FpsimdToSve {
        /// Whose buffers.
        task: TaskId,
    },
    /// `sve_sync_from_fpsimd_zeropad()`: `sve_state` zeroed, then V inserted.
    SveSyncFromFpsimdZeropad {
        /// Whose buffers.
        task: TaskId,
    },
    /// A `WARN_ON`/`WARN_ON_ONCE` fired.
    Warn {
        /// Where.
        site: WarnSite,
    },
    /// A signal was queued: by `send_signal()` (`kill()`, a signal from outside) or, when
    /// the kernel itself kills or faults the task, by `force_signal_inject()`.
    SignalSent {
        /// To whom.
        task: TaskId,
        /// Which.
        sig: Sig,
        /// Forced by the kernel (`force_signal_inject()`), not sent.
        forced: bool,
    },
    /// `setup_rt_frame()` built a frame.
    SignalDelivered {
        /// Which signal.
        sig: Sig,
        /// VQ of the SVE payload in the frame (0: header only).
        sve_vq: usize,
    },
    /// `rt_sigreturn()` → `restore_sigframe()`.
    Sigreturn {
        /// Which restore function ran (`restore_fpsimd_context` or
        /// `restore_sve_fpsimd_context`), or the error.
        outcome: Text,
    },
    /// `kernel_neon_begin()`…`kernel_neon_end()`: the kernel used (and clobbered) V0–V31.
    KernelNeon,
    /// `fpsimd_cpu_pm_notifier(CPU_PM_ENTER)` → `fpsimd_save_and_flush_cpu_state()`.
    CpuPmEnter,
    /// `fpsimd_cpu_dead()`: `fpsimd_last_state.st := NULL` for a dead CPU.
    CpuDead,
    /// `fpsimd_flush_thread()` (exec).
    FlushThread,
    /// `arch_dup_task_struct()` + `copy_thread()` (fork/clone).
    DupTaskStruct {
        /// The child.
        child: TaskId,
    },
    /// `vec_set_vector_length()` changed the VL (bytes).
    VlChange {
        /// New VL in bytes.
        vl: u16,
    },
    /// `fpsimd_release_task()` (task exit).
    ReleaseTask,
    /// A ptrace regset access.
    Ptrace {
        /// `fpr_get`, `fpr_set`, `sve_get`, `sve_set`.
        function: Text,
    },
    /// `fpsimd_kvm_prepare()` (patch 1) ran; did it convert?
    FpsimdKvmPrepare {
        /// `TIF_SVE` was set and the state converted to FPSIMD.
        converted: bool,
    },
    /// `kvm_arch_vcpu_load_fp()`.
    KvmVcpuLoadFp {
        /// Which vCPU.
        vcpu: VcpuId,
    },
    /// `kvm_arch_vcpu_ctxflush_fp()` + hyp `update_fp_enabled()` on guest entry.
    KvmGuestEnter {
        /// Which vCPU.
        vcpu: VcpuId,
        /// Guest FP state already loaded (no trap needed).
        fp_enabled: bool,
    },
    /// Hyp `kvm_hyp_handle_fpsimd()`: the guest's first FP/SVE use trapped to EL2.
    KvmHypHandleFpsimd {
        /// Which vCPU.
        vcpu: VcpuId,
        /// The host's FPSIMD view was saved (`FP_HOST`/`HOST_OWNED`).
        host_saved: bool,
        /// Guest state loaded in SVE format.
        guest_sve: bool,
    },
    /// The host injected UNDEF (`handle_sve()` → `kvm_inject_undefined()`, after a full
    /// guest exit): SVE from a guest without SVE.
    KvmInjectUndef {
        /// Which vCPU.
        vcpu: VcpuId,
    },
    /// `xfer_to_guest_mode_handle_work()` found a pending signal before the guest could run
    /// again: `kvm_handle_signal_exit()` (`KVM_EXIT_INTR`), and `KVM_RUN` returns -EINTR.
    KvmSignalExit {
        /// Which vCPU.
        vcpu: VcpuId,
    },
    /// `kvm_arch_vcpu_ctxsync_fp()` on guest exit.
    KvmGuestExit {
        /// Which vCPU.
        vcpu: VcpuId,
        /// Guest FP state was live and got bound to the CPU.
        bound: bool,
    },
    /// `kvm_arch_vcpu_put_fp()`.
    KvmVcpuPutFp {
        /// Which vCPU.
        vcpu: VcpuId,
    },
    /// KVM wrote the VMM task's `TIF_SVE` (v5.19–p3 borrowing).
    KvmTifSveWrite {
        /// New value.
        value: bool,
    },
    /// A task exited or was killed.
    TaskExit {
        /// Which task.
        task: TaskId,
    },
    /// A type change of a task's saved state (`fp_type`, patch 2+).
    FpTypeWrite {
        /// Whose.
        owner: Owner,
        /// New value.
        value: FpType,
    },
}

impl Event {
    /// The kernel function that did it.
    pub fn function(&self) -> &str {
        match self {
            Event::SveAccessTrap => "do_sve_acc",
            Event::SveAlloc { .. } | Event::SveAllocKept => "sve_alloc",
            Event::SveFree => "sve_free",
            Event::SveInitRegs { .. } => "sve_init_regs",
            Event::SveFlushLive { .. } => "sve_flush_live",
            Event::FpsimdSave { .. } => "fpsimd_save",
            Event::TaskFpsimdLoad { .. } => "task_fpsimd_load",
            Event::BindTaskToCpu => "fpsimd_bind_task_to_cpu",
            Event::BindStateToCpu { .. } => "fpsimd_bind_state_to_cpu",
            Event::FlushTaskState { .. } => "fpsimd_flush_task_state",
            Event::FlushCpuState => "fpsimd_flush_cpu_state",
            Event::CpacrWrite { zen_el0en: true } => "sve_user_enable",
            Event::CpacrWrite { zen_el0en: false } => "sve_user_disable",
            Event::ZcrWrite { .. } => "sve_set_vq",
            Event::FpUserDiscard => "fp_user_discard",
            Event::FpsimdSyscallEnter => "fpsimd_syscall_enter",
            Event::FpsimdSyscallExit => "fpsimd_syscall_exit",
            Event::SyscallEnter { .. } => "el0_svc",
            Event::IrqFromUser => "el0_interrupt",
            Event::ThreadSwitch { .. } => "fpsimd_thread_switch",
            Event::SveToFpsimd { .. } => "sve_to_fpsimd",
            Event::FpsimdToSve { .. } => "fpsimd_to_sve",
            Event::SveSyncFromFpsimdZeropad { .. } => "sve_sync_from_fpsimd_zeropad",
            Event::Warn { site } => site.function(),
            Event::SignalSent { forced: true, .. } => "force_signal_inject",
            Event::SignalSent { forced: false, .. } => "send_signal",
            Event::SignalDelivered { .. } => "setup_rt_frame",
            Event::Sigreturn { .. } => "restore_sigframe",
            Event::KernelNeon => "kernel_neon_begin",
            Event::CpuPmEnter => "fpsimd_cpu_pm_notifier",
            Event::CpuDead => "fpsimd_cpu_dead",
            Event::FlushThread => "fpsimd_flush_thread",
            Event::DupTaskStruct { .. } => "arch_dup_task_struct",
            Event::VlChange { .. } => "vec_set_vector_length",
            Event::ReleaseTask => "fpsimd_release_task",
            Event::Ptrace { function } => function.as_ref(),
            Event::FpsimdKvmPrepare { .. } => "fpsimd_kvm_prepare",
            Event::KvmVcpuLoadFp { .. } => "kvm_arch_vcpu_load_fp",
            Event::KvmGuestEnter { .. } => "kvm_arch_vcpu_ctxflush_fp",
            Event::KvmHypHandleFpsimd { .. } => "kvm_hyp_handle_fpsimd",
            Event::KvmInjectUndef { .. } => "kvm_inject_undefined",
            Event::KvmSignalExit { .. } => "kvm_handle_signal_exit",
            Event::KvmGuestExit { .. } => "kvm_arch_vcpu_ctxsync_fp",
            Event::KvmVcpuPutFp { .. } => "kvm_arch_vcpu_put_fp",
            Event::KvmTifSveWrite { .. } => "update_thread_flag",
            Event::TaskExit { .. } => "do_exit",
            Event::FpTypeWrite { .. } => "fp_type",
        }
    }

    /// The counter this event adds to, if any.
    pub fn counter(&self) -> Option<Counter> {
        Some(match self {
            Event::SveAccessTrap => Counter::SveTraps,
            Event::SveAlloc { fresh: false, .. } => Counter::SveAllocMemsets,
            Event::SveAlloc { fresh: true, .. } => Counter::SveAllocs,
            Event::SveFlushLive { .. } => Counter::SveFlushLive,
            Event::FpsimdSave {
                format: Format::Fpsimd,
                ..
            } => Counter::SavesFpsimd,
            Event::FpsimdSave {
                format: Format::Sve,
                ..
            } => Counter::SavesSve,
            Event::TaskFpsimdLoad {
                format: Format::Fpsimd,
                ..
            } => Counter::LoadsFpsimd,
            Event::TaskFpsimdLoad {
                format: Format::Sve,
                ..
            } => Counter::LoadsSve,
            Event::BindTaskToCpu | Event::BindStateToCpu { .. } => Counter::Binds,
            Event::CpacrWrite { .. } => Counter::CpacrWrites,
            Event::ZcrWrite { .. } => Counter::ZcrWrites,
            Event::SyscallEnter { .. } => Counter::Syscalls,
            Event::ThreadSwitch { .. } => Counter::ContextSwitches,
            Event::Warn { .. } => Counter::Warns,
            Event::SignalSent { .. } => Counter::SignalsSent,
            Event::SignalDelivered { .. } => Counter::SignalsDelivered,
            Event::KernelNeon => Counter::KernelNeon,
            Event::KvmHypHandleFpsimd { .. } => Counter::GuestFpTraps,
            Event::FlushTaskState { .. } | Event::FlushCpuState => Counter::Flushes,
            _ => return None,
        })
    }

    /// Bytes this event moved between registers and memory (saves and loads).
    pub fn bytes_moved(&self) -> usize {
        match self {
            Event::FpsimdSave { bytes, .. } | Event::TaskFpsimdLoad { bytes, .. } => *bytes,
            _ => 0,
        }
    }
}

/// An event with where it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The CPU it ran on (`None` for actions on a stopped task, e.g. ptrace).
    pub cpu: Option<CpuId>,
    /// The task it was done for (the current task, or the target of ptrace/fork).
    pub task: Option<TaskId>,
    /// What happened.
    pub event: Event,
}

/// The counted things.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Counter {
    /// SVE access traps (`do_sve_acc`).
    SveTraps,
    /// `sve_alloc()` zeroing an existing buffer.
    SveAllocMemsets,
    /// `sve_alloc()` allocating a new zeroed buffer.
    SveAllocs,
    /// `sve_flush_live()` calls.
    SveFlushLive,
    /// `fpsimd_save()` in FPSIMD format.
    SavesFpsimd,
    /// `fpsimd_save()` in SVE format.
    SavesSve,
    /// `task_fpsimd_load()` in FPSIMD format.
    LoadsFpsimd,
    /// `task_fpsimd_load()` in SVE format.
    LoadsSve,
    /// `fpsimd_bind_task_to_cpu()` + `fpsimd_bind_state_to_cpu()`.
    Binds,
    /// Writes of `CPACR_EL1` (`ZEN_EL0EN` changes).
    CpacrWrites,
    /// Writes of `ZCR_EL1`.
    ZcrWrites,
    /// Syscalls.
    Syscalls,
    /// Context switches (`fpsimd_thread_switch`).
    ContextSwitches,
    /// WARNs that fired.
    Warns,
    /// Signals sent.
    SignalsSent,
    /// Signal frames built.
    SignalsDelivered,
    /// Kernel-mode NEON sections.
    KernelNeon,
    /// Guest FP/SVE traps to hyp.
    GuestFpTraps,
    /// `fpsimd_flush_task_state()` + `fpsimd_flush_cpu_state()`.
    Flushes,
    /// Bytes moved by saves and loads.
    BytesMoved,
}

impl Counter {
    /// Every counter, in display order.
    pub const ALL: [Counter; 20] = [
        Counter::SveTraps,
        Counter::SveAllocMemsets,
        Counter::SveAllocs,
        Counter::SveFlushLive,
        Counter::SavesFpsimd,
        Counter::SavesSve,
        Counter::LoadsFpsimd,
        Counter::LoadsSve,
        Counter::Binds,
        Counter::CpacrWrites,
        Counter::ZcrWrites,
        Counter::Syscalls,
        Counter::ContextSwitches,
        Counter::Warns,
        Counter::SignalsSent,
        Counter::SignalsDelivered,
        Counter::KernelNeon,
        Counter::GuestFpTraps,
        Counter::Flushes,
        Counter::BytesMoved,
    ];

    /// The name used by the DSL (`expect A.traps == 1`) and in tables.
    pub fn name(self) -> &'static str {
        match self {
            Counter::SveTraps => "traps",
            Counter::SveAllocMemsets => "sve_alloc_memsets",
            Counter::SveAllocs => "sve_allocs",
            Counter::SveFlushLive => "flushes_live",
            Counter::SavesFpsimd => "saves_fpsimd",
            Counter::SavesSve => "saves_sve",
            Counter::LoadsFpsimd => "loads_fpsimd",
            Counter::LoadsSve => "loads_sve",
            Counter::Binds => "binds",
            Counter::CpacrWrites => "cpacr_writes",
            Counter::ZcrWrites => "zcr_writes",
            Counter::Syscalls => "syscalls",
            Counter::ContextSwitches => "ctxsw",
            Counter::Warns => "warns",
            Counter::SignalsSent => "signals_sent",
            Counter::SignalsDelivered => "signals_delivered",
            Counter::KernelNeon => "kernel_neon",
            Counter::GuestFpTraps => "guest_fp_traps",
            Counter::Flushes => "unbinds",
            Counter::BytesMoved => "bytes_moved",
        }
    }

    /// Parses a counter name.
    pub fn parse(s: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// A set of counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counters([u64; Counter::ALL.len()]);

impl Counters {
    /// The value of one counter.
    pub fn get(&self, c: Counter) -> u64 {
        self.0[c as usize]
    }

    /// Adds to one counter.
    pub fn add(&mut self, c: Counter, n: u64) {
        self.0[c as usize] += n;
    }

    /// Counts one event.
    pub fn count(&mut self, e: &Event) {
        if let Some(c) = e.counter() {
            self.add(c, 1);
        }
        let b = e.bytes_moved();
        if b != 0 {
            self.add(Counter::BytesMoved, b as u64);
        }
    }

    /// `self - earlier`, counter by counter.
    pub fn since(&self, earlier: &Counters) -> Counters {
        let mut d = Counters::default();
        for c in Counter::ALL {
            d.0[c as usize] = self.get(c).saturating_sub(earlier.get(c));
        }
        d
    }

    /// The non-zero counters.
    pub fn nonzero(&self) -> impl Iterator<Item = (Counter, u64)> + '_ {
        Counter::ALL
            .into_iter()
            .map(|c| (c, self.get(c)))
            .filter(|&(_, v)| v != 0)
    }
}
