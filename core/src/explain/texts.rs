//! The longer texts of the invariants, the WARN sites and the known bugs (their titles and
//! the kernels they affect come from the model: `Rule::title`, `WarnSite::condition`,
//! `KnownBug::name`/`affects`).

use crate::model::bugs::KnownBug;
use crate::model::event::WarnSite;
use crate::model::violation::Rule;

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
        KnownBug::SveTrapMemoryBranchKeepsBinding => "sve_init_regs()'s memory branch does not unbind the task, so a trap that is preempted, migrated away and back returns to EL0 with TIF_SVE set but the trap still armed (and the next SVE use WARNs), or on a CPU whose ZCR_EL1 was never set to the task's VL (and the next save WARNs that RDVL differs from sve_vl, killing the task). Fixed in 2024 by 751ecf6afd65 \"arm64/sve: Discard stale CPU state when handling SVE traps\".",
        KnownBug::PartialSveWriteZeroes => "A header-only or partial NT_ARM_SVE write to a tracee with TIF_SVE set zeroes everything it did not write, V included: sve_alloc() zeroes the buffer and fpsimd_sync_to_sve() only seeds V for FPSIMD-format tracees. Fixed in 2025 (\"ptrace: Consistently handle partial writes to NT_ARM_(S)SVE\").",
        KnownBug::PtraceSveAtKvmEntryHitsBugOn => "v5.19's kvm_arch_vcpu_load_fp() has BUG_ON(TIF_SVE), trusting that syscall entry cleared TIF_SVE; but a debugger stopping the VMM at KVM_RUN's syscall-entry stop (after fp_user_discard) can write NT_ARM_SVE, which sets TIF_SVE, and the vCPU load then crashes the kernel. Patch 1 (v6.2) replaced the BUG_ON with fpsimd_kvm_prepare().",
        KnownBug::KvmPrepareDiscardsTracerSve => "Patch 1's fpsimd_kvm_prepare() clears TIF_SVE and converts the VMM's state to FPSIMD at vCPU load, so SVE state a debugger wrote at KVM_RUN's syscall-entry stop keeps only V: P, FFR and the Z bits above 128 are discarded. p1 to p7 and v6.2; gone with fbc7e61195e2 (2025), whose vCPU load saves and flushes the state instead.",
        KnownBug::KvmPrepareConvertsForeignState => "From patch 6, fpsimd_kvm_prepare() converts the VMM's state to FPSIMD whenever TIF_SVE is set, even when that state is not in the registers: a KVM_RUN preempted between its syscall entry and vcpu_load() was saved FPSIMD-only (in a syscall) with TIF_SVE still set, so sve_to_fpsimd() copies stale sve_state over the V registers just saved, and the VMM gets them back after KVM_RUN. p6, p7 and v6.2; fpsimd_kvm_prepare() was removed by fbc7e61195e2 \"KVM: arm64: Unconditionally save+flush host FPSIMD/SVE/SME state\" (2025).",
        KnownBug::SyscallSaveDiscardsModifiedSve => "After patch 6 fpsimd_save() keeps only the FPSIMD view whenever the task is in a syscall (syscallno set), even when the registers hold SVE state that a tracer wrote at a syscall stop and the return path has just reloaded: a reschedule or kernel-mode NEON before the return to EL0 saves only V, and P, FFR and the Z bits above V that the tracer wrote are gone. p6, p7 and v6.2 have it; fixed in 2025 by 398edaa12f9c \"arm64/fpsimd: Do not discard modified SVE state\", whose per-CPU to_save window (fpsimd_syscall_enter/_exit) closes at the reload (6.12).",
        KnownBug::KvmGuestZcrLiveInHost => "Under nVHE the host kernel runs at EL1 and shares ZCR_EL1 with the guest; KVM switches it lazily, with the FP registers. A guest that set its own ZCR_EL1 below its maximum VL and exits with its FP state live leaves the host running at the guest's VL until kvm_arch_vcpu_put_fp() restores the maximum. Kernel-mode NEON (or anything else that runs fpsimd_save()) in between saves the bound guest state in SVE format, sees sve_get_vl() != sve_vl, WARNs and sends SIGKILL to the VMM; the guest's registers are lost. VHE hosts run at EL2 under ZCR_EL2 and are not affected. v5.19 to v6.2; fixed in 2025 by 59419f10045b \"KVM: arm64: Eagerly switch ZCR_EL{1,2}\" (hyp restores the host's ZCR at every exit), backported to 6.1 and 6.12.",
        KnownBug::HypHostSaveLeavesFpType => "Hyp saves the VMM's FPSIMD view without recording fp_type: from patch 2 the next load WARNs, and at patch 5 alone it reloads a stale sve_state. Masked from patch 6 on; the 2025 rework fbc7e61195e2 saves the host state in the kernel instead.",
    }
}
