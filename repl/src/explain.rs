//! `:explain`: what a kernel function, an invariant, a known bug, a WARN or a field means.
//!
//! The titles come from the core (`Rule::title`, `WarnSite::condition`, `KnownBug::name`
//! and `affects`); the longer texts are written here, from the reference notes
//! (`shared/reference/kernel-model.md`), in the REPL's own words. The kernel functions are
//! the names the model's events carry (`Event::function`).

use svelab_core::model::bugs::KnownBug;
use svelab_core::model::event::WarnSite;
use svelab_core::{Kernel, Rule};

/// One explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What it is (`kernel function`, `invariant`, …).
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// The explanation (may span lines).
    pub text: String,
}

/// Kernel functions the model's events are named after, with what they do.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("do_sve_acc", "The SVE access trap. EL0 executed an SVE instruction while CPACR_EL1.ZEN_EL0EN was clear, so the CPU trapped to EL1 (el0_sve_acc -> do_sve_acc). The handler allocates or zeroes sve_state (sve_alloc, which may sleep), sets TIF_SVE (WARNs if it was already set) and runs sve_init_regs(): with the registers live it zeroes everything above the V bits and rebinds the task, which enables EL0 SVE; if the task was preempted meanwhile it converts the saved FPSIMD state into sve_state instead, and the reload on the way back enables SVE. On v5.19 every syscall re-arms this trap; patch 6 stops that."),
    ("sve_alloc", "Gives the task an sve_state buffer (546 bytes per quadword of VL: Z0-Z31, P0-P15, FFR): kzalloc for a new buffer, memset of the existing one on v5.19. The zeroing is what guarantees a trapping task never sees stale register contents."),
    ("sve_free", "Frees the task's sve_state (a VL change, exec). WARNs if TIF_SVE is still set, because the state would then point at nothing."),
    ("sve_init_regs", "The second half of the SVE trap. Registers live: set ZCR_EL1.LEN to the task's VL, zero the non-shared bits (sve_flush_live) and bind, enabling EL0 SVE. Registers not live (the task was preempted after sve_alloc): copy V into the zeroed sve_state (fpsimd_to_sve) and, from patch 2, record fp_type = SVE; on v5.19 this branch forgets to unbind the task (a bug fixed in 2024)."),
    ("sve_flush_live", "Zeroes, in the registers themselves, the bits of Z0-Z31 above 127, all of P0-P15 and (if asked) FFR. V0-V31 survive. At VL 128 there are no Z bits above 127, so only P and FFR are zeroed. Run by the SVE trap, and from patch 6 at every syscall entry of a task with TIF_SVE set (patch 7 with abi.sve_syscall_clear_regs=0 skips it)."),
    ("fpsimd_save", "Stores the live registers to wherever fpsimd_last_state says they belong (a task's or a vCPU's buffers). The format: v5.19-p3 by TIF_SVE of the current task (which is why KVM borrows the VMM's TIF_SVE); patch 4 by last.to_save; patch 6 adds: only FPSIMD while the task is inside a syscall. Before an SVE save it checks RDVL == last.sve_vl (mismatch: WARN and SIGKILL). From patch 2 it records the format in fp_type. Does nothing if TIF_FOREIGN_FPSTATE says the registers are not current's. 6.1 keeps patch 4's rule; 6.12 calls it fpsimd_save_user_state and drops the in_syscall test: this CPU's to_save, which fpsimd_syscall_enter sets to FPSIMD, decides."),
    ("task_fpsimd_load", "Loads the current task's saved state into the registers, on the way back to user space when TIF_FOREIGN_FPSTATE was set. v5.19-p4 choose the format by TIF_SVE; patch 5 chooses it by fp_type and rewrites TIF_SVE and the EL0 trap to match (an FPSIMD load clears TIF_SVE and re-arms the trap). Patch 2 added WARNs when TIF_SVE and fp_type disagree."),
    ("fpsimd_bind_task_to_cpu", "Records that this CPU's registers hold the current task's state: fpsimd_last_state := current's buffers and VL (patch 2: its fp_type; patch 3: to_save = CURRENT), current->thread.fpsimd_cpu := this CPU, and CPACR_EL1.ZEN_EL0EN := TIF_SVE."),
    ("fpsimd_bind_state_to_cpu", "KVM's bind after a guest exit: fpsimd_last_state now names the vCPU's buffers, so any later fpsimd_save() on this CPU (preemption, kernel-mode NEON) saves the guest's registers. It touches no task's fpsimd_cpu and not the EL0 trap."),
    ("fpsimd_flush_task_state", "Forgets where a task's state is live: fpsimd_cpu := NR_CPUS and TIF_FOREIGN_FPSTATE := 1, so its next return to user reloads from memory. Used whenever the saved state was edited behind the task's back (ptrace, sigreturn, exec, VL change) and for new children."),
    ("fpsimd_flush_cpu_state", "Makes this CPU's registers nobody's (fpsimd_last_state.st := NULL) and sets TIF_FOREIGN_FPSTATE for the current task. After kernel-mode NEON, CPU PM entry and KVM's vcpu put."),
    ("sve_user_enable", "Sets CPACR_EL1.ZEN_EL0EN: EL0 may execute SVE without trapping."),
    ("sve_user_disable", "Clears CPACR_EL1.ZEN_EL0EN: the next SVE instruction at EL0 traps (do_sve_acc)."),
    ("sve_set_vq", "Writes ZCR_EL1.LEN = VQ - 1, the vector length the CPU runs at; only when it changes."),
    ("el0_svc", "A syscall from EL0 (the svc instruction). Entry runs fp_user_discard() before interrupts are unmasked; in_syscall() is true until the syscall returns."),
    ("fp_user_discard", "Syscall entry. The ABI lets the kernel discard everything but V0-V31 here. v5.19-p5: clear TIF_SVE and disable EL0 SVE, so the next SVE instruction traps (the live registers stay; later saves are FPSIMD). Patch 6 and v6.2: keep TIF_SVE and the enable, zero the non-shared bits (sve_flush_live) instead. Patch 7: zero only with abi.sve_syscall_clear_regs=1. Debian 6.1 keeps the v5.19 form; 6.12 replaces it with fpsimd_syscall_enter."),
    ("fpsimd_syscall_enter", "Syscall entry on 6.12 (\"Do not discard modified SVE state\", 398edaa12f9c), called from el0_svc with IRQs masked: if TIF_SVE, zero the non-shared bits in the registers (sve_flush_live) like patch 6, then set this CPU's fpsimd_last_state.to_save = FP_STATE_FPSIMD. Until a bind (a reload, a sigreturn) or fpsimd_syscall_exit, saves on this CPU keep only V0-V31; state a tracer wrote and the return path reloaded is saved in full."),
    ("fpsimd_syscall_exit", "The end of el0_svc on 6.12, after exit_to_user_mode(): to_save = FP_STATE_CURRENT again, so saves follow TIF_SVE. The model shows it when the window was still open (nothing reloaded the task during the syscall)."),
    ("el0_interrupt", "An interrupt taken from EL0. Unlike a syscall it sets syscallno = NO_SYSCALL, so a save during it keeps the full SVE state."),
    ("fpsimd_thread_switch", "Called from __switch_to(). Saves the outgoing task's live state (saves are eager), then decides whether the incoming task's registers are still on this CPU: TIF_FOREIGN_FPSTATE(next) := (fpsimd_last_state is not next's) or (next's fpsimd_cpu is another CPU). If neither, next runs on without a reload."),
    ("sve_to_fpsimd", "Copies bits [127:0] of each Z register in sve_state into the V registers of uw.fpsimd_state."),
    ("fpsimd_to_sve", "Copies V0-V31 from uw.fpsimd_state into bits [127:0] of the Z registers in sve_state; the other bits stay as they were."),
    ("sve_sync_from_fpsimd_zeropad", "ptrace NT_PRFPREG write of an SVE-format tracee: zero the whole sve_state, then insert V. So writing the FPSIMD regset wipes the tracee's Z high bits, P and FFR."),
    ("send_signal", "Queues a signal for a task (kill(), or a signal from outside). A target running at EL0 on another CPU is interrupted and takes it on its way back to user space."),
    ("force_signal_inject", "The kernel forces a signal on the current task: SIGSEGV for a bad sigreturn frame (arm64_notify_segfault), SIGKILL when fpsimd_save() finds the live VL is not the task's."),
    ("setup_rt_frame", "Builds a signal frame. It saves the live state and writes fpsimd_context (always) and an sve_context whose register payload is present iff TIF_SVE is set (header only otherwise). From patch 6 TIF_SVE can be set while the saved copy is FPSIMD, so the frame copies stale sve_state over V (fixed in 2024: key on fp_type). 6.12 keys the payload on fp_type (61da7c8e2a60), so a frame built on a syscall's return path has none."),
    ("restore_sigframe", "rt_sigreturn: restores fpsimd_context and, if the frame has an sve_context with a payload, the SVE registers (TIF_SVE set, fp_type SVE); the VL in the frame must equal the task's (else SIGSEGV), and bits [127:0] always come from fpsimd_context."),
    ("kernel_neon_begin", "Kernel-mode NEON (crypto, checksums): saves the current task's live state (fpsimd_save), then makes the registers nobody's (fpsimd_flush_cpu_state); the kernel then clobbers V. Inside a syscall the save is FPSIMD."),
    ("fpsimd_cpu_pm_notifier", "CPU_PM_ENTER: the CPU is about to lose its register contents in a low-power state, so the live state is saved and the CPU flushed."),
    ("fpsimd_cpu_dead", "A CPU went offline: its fpsimd_last_state.st is set to NULL, so nobody trusts its registers again."),
    ("fpsimd_flush_thread", "execve: flush the task's binding, zero uw.fpsimd_state, clear TIF_SVE, free sve_state, and set the VL to vl_onexec or the system default (abi.sve_default_vector_length)."),
    ("arch_dup_task_struct", "fork/clone: the parent's live state is saved first; the child copies the FPSIMD view and the VL settings, gets no sve_state and TIF_SVE clear, and starts with TIF_FOREIGN_FPSTATE set (copy_thread)."),
    ("vec_set_vector_length", "PR_SVE_SET_VL or an NT_ARM_SVE VL change. If the VL really changes: save, flush, convert to FPSIMD if TIF_SVE (sve_to_fpsimd), free sve_state, set the VL; only V0-V31 survive. ONEXEC defers the change to the next exec. From patch 6 the TIF_SVE test can resurrect stale sve_state over V (fixed in 2025). 6.1 and 6.12 allocate a zeroed buffer at the new VL right away; 6.12 still has the stale-data bug, 6.1 does not (its syscall entry cleared TIF_SVE)."),
    ("fpsimd_release_task", "Task exit: sve_state is freed."),
    ("fpr_get", "ptrace GETREGSET NT_PRFPREG: V0-V31, FPSR, FPCR, synced from sve_state first if the tracee is SVE-format (sve_sync_to_fpsimd)."),
    ("fpr_set", "ptrace SETREGSET NT_PRFPREG: writes V0-V31/FPSR/FPCR; an SVE-format tracee has its sve_state zeroed and V inserted (sve_sync_from_fpsimd_zeropad)."),
    ("sve_get", "ptrace GETREGSET NT_ARM_SVE (sve_get_common): a header (vl, max_vl, flags SVE or FPSIMD) and the payload in that format. The flag is chosen by TIF_SVE until the 2024 fix keyed it on fp_type. 6.12 has that fix; 6.1 still uses TIF_SVE, which its syscall entry clears."),
    ("sve_set", "ptrace SETREGSET NT_ARM_SVE (sve_set_common): a VL change like prctl, then an FPSIMD or SVE payload; an SVE write runs sve_alloc(), which zeroes an existing buffer, so a partial or header-only write zeroes what it did not write (fixed in 2025). Both Debian kernels (6.1, 6.12) still do it."),
    ("fpsimd_signal_preserve_current_state", "Signal delivery's save: fpsimd_save(), then, if TIF_SVE is set, sve_to_fpsimd() so that the FPSIMD record of the frame matches. After patch 6 that test copies stale sve_state over V when the state was saved inside a syscall (fixed in 2024)."),
    ("preserve_sve_context", "Writes the sve_context record of a signal frame: the VL, and the Z/P/FFR payload from sve_state when the frame is built with SVE registers."),
    ("sve_get_common", "The body of an NT_ARM_SVE read: picks the header flag (SVE or FPSIMD) and copies the payload."),
    ("sve_set_common", "The body of an NT_ARM_SVE write: VL change, then the FPSIMD or SVE payload, then fpsimd_flush_task_state()."),
    ("sve_sync_to_fpsimd", "ptrace helper: if the tracee's state is SVE-format, copy Z[127:0] into V (sve_to_fpsimd) before the FPSIMD regset is read or written. The v1 series keys it on TIF_SVE (stale after patch 6); v6.2 keys it on fp_type. 6.12 keys it on fp_type; 6.1 on TIF_SVE."),
    ("fpsimd_kvm_prepare", "Patch 1: at vCPU load, if TIF_SVE is set, convert the host task's state to FPSIMD and clear TIF_SVE, because hyp can only save the host's FPSIMD view. It neither re-arms the EL0 trap (a bug fixed in 2025) nor checks TIF_FOREIGN_FPSTATE."),
    ("kvm_arch_vcpu_load_fp", "vcpu_load: the VMM's registers are live and hyp must save them before loading the guest's (FP_HOST); remembers whether EL0 SVE was enabled (HOST_SVE_ENABLED). v5.19 asserts TIF_SVE is clear (BUG_ON); patch 1 calls fpsimd_kvm_prepare() instead. Debian 6.1 and 6.12 (the 2025 rework): save and unbind the VMM's state (fpsimd_save_and_flush_cpu_state) and start FREE; no fpsimd_kvm_prepare, no HOST_SVE_ENABLED."),
    ("kvm_arch_vcpu_ctxflush_fp", "Every guest entry: if the VMM's registers are no longer live (TIF_FOREIGN_FPSTATE), nobody's state needs saving; decides whether the guest's FP/SVE use traps to hyp."),
    ("kvm_hyp_handle_fpsimd", "The guest's first FP/SVE instruction trapped to EL2. Hyp saves the host's registers in FPSIMD format only (into the VMM's uw.fpsimd_state) if they were live, then loads the guest's state (SVE format if the vCPU has SVE). On 6.1 and 6.12 the host's state was already saved at vcpu load: hyp only loads the guest's."),
    ("kvm_inject_undefined", "A guest without SVE executed SVE: hyp does not handle that trap (kvm_hyp_handle_fpsimd returns false), so the guest exits in full (kvm_arch_vcpu_ctxsync_fp), the host's handle_sve() injects an UNDEF, and the run loop enters the guest again."),
    ("kvm_handle_signal_exit", "A signal is pending for the VMM inside KVM_RUN: the run loop (xfer_to_guest_mode_handle_work) stops before entering the guest again, sets run->exit_reason = KVM_EXIT_INTR and returns -EINTR; vcpu_put follows and the signal is delivered on the way back to user space."),
    ("kvm_arch_vcpu_ctxsync_fp", "Guest exit: if the guest's state is live, bind it to the CPU (fpsimd_bind_state_to_cpu) and clear the VMM's TIF_FOREIGN_FPSTATE. v5.19-p3 also set the VMM's TIF_SVE to vcpu_has_sve() so that fpsimd_save() would pick the guest's format (the borrowing patches 3-4 remove)."),
    ("kvm_arch_vcpu_put_fp", "vcpu_put: if the guest's state is live, save it and flush the CPU; otherwise (VHE) restore EL0 SVE from HOST_SVE_ENABLED. v5.19-p3 also clear the VMM's TIF_SVE. 6.1 and 6.12 write no CPACR bit here."),
    ("update_thread_flag", "KVM writing the VMM task's TIF_SVE (v5.19 to patch 3): the flag is borrowed to steer fpsimd_save() while the guest's state is bound."),
    ("do_exit", "The task exited or was killed."),
    ("fp_type", "A write of the saved state's type (patch 2+): FP_STATE_FPSIMD or FP_STATE_SVE (v1 spells the enum fp_state, with FP_STATE_TASK for \"save as the current task says\"). From patch 5 loads follow it; later fixes made signals, ptrace and VL changes follow it too."),
];

/// Model fields, with what they mean (`:explain TIF_SVE`).
pub const FIELDS: &[(&str, &str)] = &[
    ("TIF_SVE", "Task flag. On v5.19 it means two things: EL0 may use SVE without trapping, and the saved state is in SVE format. The series separates them: from patch 2 fp_type records the format, from patch 5 loads follow fp_type, and after patch 6 TIF_SVE only says whether EL0 SVE is enabled (it stays set across a syscall)."),
    ("TIF_FOREIGN_FPSTATE", "Task flag: the CPU's registers are not this task's newest state, so the copy in memory is authoritative and must be loaded before the task returns to EL0."),
    ("TIF_SVE_VL_INHERIT", "Task flag: keep the deferred VL (vl_onexec) across exec (PR_SVE_VL_INHERIT)."),
    ("fp_type", "Patch 2+: the format of the task's (or vCPU's) saved state, FP_STATE_FPSIMD or FP_STATE_SVE. Shown as \"n/a before patch 2\" on kernels that do not have it."),
    ("fpsimd_cpu", "The CPU whose registers were last loaded with or bound to the task's state; NR_CPUS (shown as none) after a flush."),
    ("last.st", "fpsimd_last_state.st of a CPU: whose state the CPU's registers hold (a task's or a vCPU's), or NULL for nobody's. The `owner` field derives fresh/stale from it and the task's fpsimd_cpu."),
    ("owner", "Derived: whose state a CPU's registers hold, and whether that binding is still valid for the task (fresh) or another CPU has its newer state (stale)."),
    ("last.to_save", "Patch 3+: what fpsimd_save() must store for the bound state: CURRENT (decide from the task) or explicitly FPSIMD/SVE (KVM's guest state). 6.12 also sets FPSIMD at every syscall entry, until a bind or the syscall's exit."),
    ("CPACR_EL1.ZEN_EL0EN", "The EL0 SVE enable: when clear, an SVE instruction at EL0 traps to do_sve_acc()."),
    ("ZCR_EL1.LEN", "The CPU's vector length, as VQ - 1 (quadwords minus one)."),
    ("sve_state", "The task's buffer for Z0-Z31, P0-P15 and FFR at its VL (FPSR/FPCR stay in uw.fpsimd_state); NULL until the first SVE use."),
    ("fpsimd_state", "thread.uw.fpsimd_state: V0-V31, FPSR, FPCR, the FPSIMD format of the saved state."),
    ("in_syscall", "regs->syscallno != NO_SYSCALL: the task is inside a syscall. From patch 6 saves taken then are FPSIMD only. 6.12 replaces that rule by the per-CPU to_save window (fpsimd_syscall_enter/exit)."),
    ("vl", "The task's SVE vector length, in bits in the DSL (the kernel keeps bytes)."),
    ("vl_onexec", "A vector length deferred to the next exec (PR_SVE_SET_VL_ONEXEC); 0 = none."),
    ("home", "Derived: where the task's newest state is: live on a CPU, or in memory in the format the next load will use."),
    ("fp_owner", "A vCPU's FP ownership: whose registers are live while the vCPU is loaded (host, guest or nobody)."),
    ("host_sve_enabled", "HOST_SVE_ENABLED: EL0 SVE was enabled when the vCPU was loaded; under VHE vcpu_put restores it."),
];

/// Functions that write a field, for `:why` (the last of them in a step is named).
pub fn writers(field: &str) -> &'static [&'static str] {
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "TIF_SVE" => &[
            "do_sve_acc",
            "fp_user_discard",
            "task_fpsimd_load",
            "fpsimd_kvm_prepare",
            "update_thread_flag",
            "vec_set_vector_length",
            "restore_sigframe",
            "fpsimd_flush_thread",
            "arch_dup_task_struct",
            "sve_set",
            "fpr_set",
        ],
        "TIF_FOREIGN_FPSTATE" => &[
            "fpsimd_flush_task_state",
            "fpsimd_thread_switch",
            "fpsimd_flush_cpu_state",
            "task_fpsimd_load",
            "fpsimd_bind_task_to_cpu",
            "kvm_arch_vcpu_ctxsync_fp",
            "kernel_neon_begin",
            "fpsimd_cpu_pm_notifier",
        ],
        "ZEN_EL0EN" => &[
            "sve_user_enable",
            "sve_user_disable",
            "fpsimd_bind_task_to_cpu",
        ],
        "LEN" | "vl" if field.contains("ZCR") || field.starts_with("cpu") => &["sve_set_vq"],
        "vl" | "vl_onexec" | "TIF_SVE_VL_INHERIT" => {
            &["vec_set_vector_length", "fpsimd_flush_thread"]
        }
        "fp_type" => &["fp_type", "fpsimd_save"],
        "fpsimd_cpu" => &["fpsimd_bind_task_to_cpu", "fpsimd_flush_task_state"],
        "st" | "owner" | "sve_state" | "sve_vl" | "to_save"
            if field.contains("last") || field.ends_with("owner") =>
        {
            &[
                "fpsimd_bind_task_to_cpu",
                "fpsimd_bind_state_to_cpu",
                "fpsimd_flush_cpu_state",
                "fpsimd_cpu_dead",
            ]
        }
        "sve_state" | "size" | "generation" | "vq" => {
            &["sve_alloc", "sve_free", "fpsimd_release_task"]
        }
        "curr" | "where" | "state" | "resume" | "level" => {
            &["fpsimd_thread_switch", "do_exit", "el0_svc", "do_sve_acc"]
        }
        "in_syscall" => &["el0_svc", "el0_interrupt"],
        "frames" | "pending" | "sig" => &[
            "setup_rt_frame",
            "restore_sigframe",
            "send_signal",
            "force_signal_inject",
        ],
        _ => &[
            "fpsimd_save",
            "task_fpsimd_load",
            "sve_flush_live",
            "sve_to_fpsimd",
            "fpsimd_to_sve",
            "sve_sync_from_fpsimd_zeropad",
            "kernel_neon_begin",
            "kvm_hyp_handle_fpsimd",
            "restore_sigframe",
            "sve_alloc",
        ],
    }
}

/// The longer text for a rule.
pub fn rule_text(r: Rule) -> &'static str {
    match r {
        Rule::LiveAtEl0 => "A task executing at EL0 runs on its own, live, bound state: TIF_FOREIGN_FPSTATE clear, fpsimd_last_state names it, its fpsimd_cpu is this CPU, and CPACR_EL1.ZEN_EL0EN equals TIF_SVE (with ZCR at its VL). ZEN set with TIF_SVE clear means the task can use SVE but the kernel will save only its FPSIMD view; TIF_SVE set with ZEN clear means the next SVE use trips the WARN in do_sve_acc().",
        Rule::SveStateAllocated => "TIF_SVE implies sve_state is allocated and sized for the task's VL, or a save would write through a NULL or short buffer. On v5.19 to patch 3 the VMM whose TIF_SVE KVM borrows is exempt; patch 4 ends the borrowing.",
        Rule::FpTypeValid => "Patch 2+: every task's and vCPU's fp_type is FP_STATE_FPSIMD or FP_STATE_SVE; CURRENT (v1: TASK) is only a to_save value.",
        Rule::FpTypeStorage => "Patch 2+: state that lives in memory with fp_type SVE has its sve_state, so a load has something to load.",
        Rule::NoLeak => "Whatever a task or guest can read is its own value or zero: no context ever sees another context's register contents (an FPSIMD load leaves P and FFR as the previous owner had them, so the trap must stay armed until they are zeroed).",
        Rule::StaleSveState => "Nothing may trust sve_state when the newest copy of the state was saved as FPSIMD. After patch 6 TIF_SVE can be set while the saved copy is FPSIMD (saved inside a syscall), so code still keyed on TIF_SVE (signal frames, ptrace, VL changes) copies stale data.",
        Rule::KernelCrash => "The kernel does not crash: no NULL dereference, no BUG_ON (v5.19 has BUG_ON(TIF_SVE) at vCPU load).",
        Rule::Warn => "No kernel WARN fires. The model reports every WARN_ON/WARN_ON_ONCE the kernel itself would print; `:explain warn` lists them.",
        Rule::VPreserved => "The ABI oracle: V0-V31 (= Z bits [127:0]) hold what the task's own history says (sve.rst: preserved across syscalls, signals and VL changes).",
        Rule::GuestStatePreserved => "The ABI oracle for KVM: a guest reads back the V registers it wrote, whatever the host did meanwhile.",
    }
}

/// The WARN sites, with their condition.
pub const WARNS: [WarnSite; 9] = [
    WarnSite::DoSveAccTifSveSet,
    WarnSite::FpsimdSaveVlMismatch,
    WarnSite::LoadSveButFpTypeFpsimd,
    WarnSite::LoadFpsimdButFpTypeSve,
    WarnSite::LoadSveTifSveClear,
    WarnSite::SaveToSaveFpsimdButTifSve,
    WarnSite::SaveToSaveSveButNoTifSve,
    WarnSite::SveFreeWithTifSve,
    WarnSite::BindStateIrqsOn,
];

/// The longer text for a known bug.
pub fn bug_text(b: KnownBug) -> &'static str {
    match b {
        KnownBug::SignalTrustsTifSve => "Signal delivery trusts TIF_SVE. After patch 6 a task can have TIF_SVE set while its saved copy is FPSIMD (saved inside a syscall and still in memory); the frame then takes stale sve_state and copies its low bits over V. Fixed by 61da7c8e2a60 \"arm64/signal: Don't assume that TIF_SVE means we saved SVE state\" (2024).",
        KnownBug::PtraceHeaderTrustsTifSve => "The NT_ARM_SVE header says SVE whenever TIF_SVE is set, so after patch 6 a debugger reads a stale SVE payload. Fixed by b017a0cea627 \"arm64/ptrace: Use saved floating point state type to determine SVE layout\" (2024).",
        KnownBug::PtraceFprSyncTrustsTifSve => "In the v1 series sve_sync_to_fpsimd() still keys on TIF_SVE, so NT_PRFPREG accesses to a tracee saved inside a syscall copy stale data over V. Never released: v3 of the series keyed it on fp_type.",
        KnownBug::VlChangeResurrectsStaleData => "vec_set_vector_length() converts on TIF_SVE after patch 6, so a VL change (prctl, ptrace) of a task saved inside a syscall copies stale sve_state over V. Fixed in 2025 (\"ptrace/prctl: Ensure VL changes do not resurrect stale data\").",
        KnownBug::KvmSveUntrappedAfterGuestExit => "fpsimd_kvm_prepare() clears TIF_SVE but leaves EL0 SVE enabled: after a KVM_RUN in which the guest did not use FP the VMM runs SVE without a trap, and its next save keeps only the FPSIMD view, silently losing SVE state. Masked on v5.19 because the syscall path disabled the trap anyway. Fixed in 2025 by fbc7e61195e2 \"KVM: arm64: Unconditionally save+flush host FPSIMD/SVE/SME state\", which superseded the first posted fix, \"KVM: arm64/sve: Ensure SVE is trapped after guest exit\" (never merged).",
        KnownBug::StickyHostSveEnabled => "v5.19-rc1 (and the v1 series on it) never clears HOST_SVE_ENABLED on vCPU load, so a VHE put can re-enable EL0 SVE for a VMM whose TIF_SVE is clear. Fixed in v5.19-rc3 by d52d165d67c5 \"KVM: arm64: Always start with clearing SVE flag on load\".",
        KnownBug::SveTrapMemoryBranchKeepsBinding => "sve_init_regs()'s memory branch does not unbind the task, so a trap that is preempted, migrated away and back returns to EL0 with TIF_SVE set but the trap still armed (and the next SVE use WARNs). Fixed in 2024 by 751ecf6afd65 \"arm64/sve: Discard stale CPU state when handling SVE traps\".",
        KnownBug::PartialSveWriteZeroes => "A header-only or partial NT_ARM_SVE write to a tracee with TIF_SVE set zeroes everything it did not write, V included: sve_alloc() zeroes the buffer and fpsimd_sync_to_sve() only seeds V for FPSIMD-format tracees. Fixed in 2025 (\"ptrace: Consistently handle partial writes to NT_ARM_(S)SVE\").",
        KnownBug::PtraceSveAtKvmEntryHitsBugOn => "v5.19's kvm_arch_vcpu_load_fp() has BUG_ON(TIF_SVE), trusting that syscall entry cleared TIF_SVE; but a debugger stopping the VMM at KVM_RUN's syscall-entry stop (after fp_user_discard) can write NT_ARM_SVE, which sets TIF_SVE, and the vCPU load then crashes the kernel. Patch 1 (v6.2) replaced the BUG_ON with fpsimd_kvm_prepare().",
        KnownBug::KvmPrepareDiscardsTracerSve => "Patch 1's fpsimd_kvm_prepare() clears TIF_SVE and converts the VMM's state to FPSIMD at vCPU load, so SVE state a debugger wrote at KVM_RUN's syscall-entry stop keeps only V: P, FFR and the Z bits above 128 are discarded. p1 to p7 and v6.2; gone with fbc7e61195e2 (2025), whose vCPU load saves and flushes the state instead.",
        KnownBug::KvmPrepareConvertsForeignState => "From patch 6, fpsimd_kvm_prepare() converts the VMM's state to FPSIMD whenever TIF_SVE is set, even when that state is not in the registers: a KVM_RUN preempted between its syscall entry and vcpu_load() was saved FPSIMD-only (in a syscall) with TIF_SVE still set, so sve_to_fpsimd() copies stale sve_state over the V registers just saved, and the VMM gets them back after KVM_RUN. p6, p7 and v6.2; fpsimd_kvm_prepare() was removed by fbc7e61195e2 \"KVM: arm64: Unconditionally save+flush host FPSIMD/SVE/SME state\" (2025).",
        KnownBug::SyscallSaveDiscardsModifiedSve => "After patch 6 fpsimd_save() keeps only the FPSIMD view whenever the task is in a syscall (syscallno set), even when the registers hold SVE state that a tracer wrote at a syscall stop and the return path has just reloaded: a reschedule or kernel-mode NEON before the return to EL0 saves only V, and P, FFR and the Z bits above V that the tracer wrote are gone. p6, p7 and v6.2 have it; fixed in 2025 by 398edaa12f9c \"arm64/fpsimd: Do not discard modified SVE state\", whose per-CPU to_save window (fpsimd_syscall_enter/_exit) closes at the reload (6.12).",
        KnownBug::HypHostSaveLeavesFpType => "Hyp saves the VMM's FPSIMD view without recording fp_type: from patch 2 the next load WARNs, and at patch 5 alone it reloads a stale sve_state. Masked from patch 6 on; the 2025 rework fbc7e61195e2 saves the host state in the kernel instead.",
    }
}

/// The names `:explain` knows, for completion.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = FUNCTIONS.iter().map(|(n, _)| n.to_string()).collect();
    v.extend(Rule::ALL.iter().map(|r| r.code().to_string()));
    v.extend(KnownBug::ALL.iter().map(|b| b.name().to_string()));
    v.extend(FIELDS.iter().map(|(n, _)| n.to_string()));
    v.sort();
    v.dedup();
    v
}

fn kernels_with(b: KnownBug) -> String {
    let ks: Vec<String> = Kernel::ALL
        .iter()
        .filter(|k| b.affects(**k))
        .map(|k| k.name())
        .collect();
    if ks.is_empty() {
        "none of the modelled kernels".into()
    } else {
        ks.join(", ")
    }
}

/// Everything that explains `what` (case-insensitive). Empty when nothing does.
pub fn lookup(what: &str) -> Vec<Entry> {
    let w = what.trim();
    let eq = |n: &str| n.eq_ignore_ascii_case(w);
    let mut out = Vec::new();
    if let Some((n, t)) = FUNCTIONS.iter().find(|(n, _)| eq(n)) {
        let mut text = t.to_string();
        let warns: Vec<String> = WARNS
            .iter()
            .filter(|s| s.function() == *n)
            .map(|s| format!("  WARN: {}", s.condition()))
            .collect();
        if !warns.is_empty() {
            text.push_str("\nWARNs the model checks here:\n");
            text.push_str(&warns.join("\n"));
        }
        out.push(Entry {
            kind: "kernel function",
            name: n.to_string(),
            text,
        });
    }
    if let Some(r) = Rule::ALL.iter().find(|r| eq(r.code())) {
        out.push(Entry {
            kind: "invariant",
            name: format!("{} — {}", r.code(), r.title()),
            text: rule_text(*r).to_string(),
        });
        if *r == Rule::Warn {
            let list: Vec<String> = WARNS
                .iter()
                .map(|s| format!("  {}: {}", s.function(), s.condition()))
                .collect();
            out.push(Entry {
                kind: "WARN sites",
                name: "the WARNs the model reaches".into(),
                text: list.join("\n"),
            });
        }
    }
    if let Some(b) = KnownBug::ALL.iter().find(|b| eq(b.name())) {
        out.push(Entry {
            kind: "known kernel bug",
            name: b.name().to_string(),
            text: format!("{}\nKernels with it: {}.", bug_text(*b), kernels_with(*b)),
        });
    }
    let field = w.rsplit('.').next().unwrap_or(w);
    if let Some((n, t)) = FIELDS
        .iter()
        .find(|(n, _)| eq(n) || n.eq_ignore_ascii_case(field) && w.contains('.'))
    {
        out.push(Entry {
            kind: "field",
            name: n.to_string(),
            text: t.to_string(),
        });
    }
    out
}

/// Names close to `what`, for "did you mean".
pub fn suggest(what: &str) -> Vec<String> {
    let w = what.to_ascii_lowercase();
    let mut v: Vec<String> = names()
        .into_iter()
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.contains(&w) || w.contains(&l) || edit_distance(&l, &w) <= 2
        })
        .collect();
    v.truncate(8);
    v
}

pub use svelab_core::dsl::edit_distance;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_bug_and_warn_function_is_explained() {
        for r in Rule::ALL {
            assert!(!lookup(r.code()).is_empty(), "{}", r.code());
        }
        for b in KnownBug::ALL {
            let e = lookup(b.name());
            assert!(
                e.iter().any(|e| e.kind == "known kernel bug"),
                "{}",
                b.name()
            );
        }
        for s in WARNS {
            assert!(
                FUNCTIONS.iter().any(|(n, _)| *n == s.function()),
                "{}",
                s.function()
            );
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_suggests() {
        assert_eq!(lookup("FPSIMD_SAVE")[0].name, "fpsimd_save");
        assert!(lookup("b1")[0].name.starts_with("B1"));
        assert!(suggest("fpsimd_sav").contains(&"fpsimd_save".to_string()));
        assert!(lookup("nonsense").is_empty());
    }

    #[test]
    fn bugs_name_their_kernels() {
        let e = lookup("signal-frame-trusts-TIF_SVE");
        assert!(e[0].text.contains("series-v1/p6"), "{}", e[0].text);
        assert!(!e[0].text.contains("v5.19,"), "{}", e[0].text);
    }
}
