//! The kernel bugs the model reproduces, and how a violation is attributed to one.
//!
//! Each of these was found (and fixed) in the real kernel after the fact; the model keeps
//! them on the kernels that had them, so the invariant checker and the ABI oracle can be
//! used to rediscover them. A violation that no entry explains is a new finding — or a
//! model bug.

use crate::model::event::WarnSite;
use crate::model::kernel::Kernel;
use crate::model::violation::{Cause, Rule, Violation};
use serde::{Deserialize, Serialize};

/// A known kernel bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KnownBug {
    /// Signal delivery trusts `TIF_SVE` after patch 6: a frame built while the state saved
    /// during a syscall is in memory copies stale `sve_state` over V. Fixed by
    /// `61da7c8e2a60` "arm64/signal: Don't assume that TIF_SVE means we saved SVE state"
    /// (Jan 2024).
    SignalTrustsTifSve,
    /// The `NT_ARM_SVE` header trusts `TIF_SVE` after patch 6 and returns a stale payload.
    /// Fixed by `b017a0cea627` "arm64/ptrace: Use saved floating point state type to
    /// determine SVE layout" (2024).
    PtraceHeaderTrustsTifSve,
    /// The v1 series' `sve_sync_to_fpsimd()` still trusts `TIF_SVE`, so `NT_PRFPREG`
    /// reads/writes of a tracee saved during a syscall copy stale data over V. Never in a
    /// release: the v3 patch `bbc6172eefdb` keyed it on `fp_type`.
    PtraceFprSyncTrustsTifSve,
    /// `vec_set_vector_length()` converts on `TIF_SVE` after patch 6, resurrecting stale
    /// `sve_state` over V. Fixed in 2025 by "arm64/fpsimd: ptrace/prctl: Ensure VL changes
    /// do not resurrect stale data" (`49ce484187f7`).
    VlChangeResurrectsStaleData,
    /// `fpsimd_kvm_prepare()` clears `TIF_SVE` but leaves EL0 SVE enabled: after a
    /// `KVM_RUN` in which the guest did not use FP the VMM runs SVE untrapped and its next
    /// save keeps only the FPSIMD view. Fixed in 2025 by `fbc7e61195e2` "KVM: arm64:
    /// Unconditionally save+flush host FPSIMD/SVE/SME state" (Mark Rutland), which
    /// superseded the targeted fix first posted for it, "KVM: arm64/sve: Ensure SVE is
    /// trapped after guest exit" (January 2025, never merged).
    KvmSveUntrappedAfterGuestExit,
    /// v5.19-rc1 (and the v1 series on top of it) never clears `HOST_SVE_ENABLED` on vCPU
    /// load, so a VHE put can re-enable EL0 SVE for a VMM whose `TIF_SVE` is clear — or,
    /// when the put runs in the sched-out notifier and the next task's state is still live
    /// on the CPU, for that task, which never entered KVM. Fixed in
    /// v5.19-rc3 by `d52d165d67c5` "KVM: arm64: Always start with clearing SVE flag on load".
    StickyHostSveEnabled,
    /// `sve_init_regs()`'s memory branch does not unbind the task, so a trap preempted,
    /// migrated away and back returns to EL0 with `TIF_SVE` set and the trap still armed.
    /// Fixed in 2024 by `751ecf6afd65` "arm64/sve: Discard stale CPU state when handling SVE
    /// traps".
    SveTrapMemoryBranchKeepsBinding,
    /// A header-only or partial `NT_ARM_SVE` write to a tracee with `TIF_SVE` set zeroes
    /// everything not written, V included (`sve_alloc()` zeroes the buffer and
    /// `fpsimd_sync_to_sve()` only seeds V for FPSIMD-format tracees). Fixed in 2025 by
    /// "arm64/fpsimd: ptrace: Consistently handle partial writes to NT_ARM_(S)SVE".
    PartialSveWriteZeroes,
    /// Hyp saves the VMM's FPSIMD view without recording `fp_type`; from patch 2 the load
    /// WARNs, and at patch 5 alone it reloads a stale `sve_state`. Masked from patch 6 on;
    /// the 2025 rework (`fbc7e61195e2`) saves the host state in the kernel instead.
    HypHostSaveLeavesFpType,
    /// After patch 6 `fpsimd_save()` keeps only the FPSIMD view whenever `in_syscall()`
    /// holds, even when the registers hold SVE state a tracer wrote at a syscall stop and
    /// the return path reloaded: a save between that reload and the return to EL0 (a
    /// reschedule, kernel-mode NEON) discards it. Fixed in 2025 by `398edaa12f9c`
    /// "arm64/fpsimd: Do not discard modified SVE state" (Mark Rutland; the per-CPU
    /// `to_save` window of `fpsimd_syscall_enter()`/`_exit()`). No rule of the checker
    /// flags it (the lost values are P/FFR/Z above V, which the ABI lets a syscall discard):
    /// the test compares the registers.
    SyscallSaveDiscardsModifiedSve,
    /// From patch 6, `fpsimd_kvm_prepare()` converts on `TIF_SVE` even when the VMM's state
    /// is foreign: a `KVM_RUN` preempted between syscall entry and `vcpu_load()` was saved
    /// FPSIMD-only with `TIF_SVE` still set, and `sve_to_fpsimd()` then copies stale
    /// `sve_state` over the V just saved. Part of what the 2025 rework fixed:
    /// `fbc7e61195e2` "KVM: arm64: Unconditionally save+flush host FPSIMD/SVE/SME state"
    /// removed `fpsimd_kvm_prepare()`.
    KvmPrepareConvertsForeignState,
    /// v5.19 (rc1 and release) `kvm_arch_vcpu_load_fp()` has `BUG_ON(TIF_SVE)`, but a
    /// tracer's `NT_ARM_SVE` write at the `KVM_RUN` entry stop (after `fp_user_discard()`)
    /// sets `TIF_SVE`: the kernel crashes. Gone with patch 1, "KVM: arm64: Discard any SVE
    /// state when entering KVM guests" (v6.2), which calls `fpsimd_kvm_prepare()` instead.
    PtraceSveAtKvmEntryHitsBugOn,
    /// Patch 1's `fpsimd_kvm_prepare()` clears `TIF_SVE` and converts to FPSIMD at vCPU
    /// load, so SVE state a tracer wrote at the `KVM_RUN` entry stop loses everything but
    /// V (P, FFR, Z above 128 bits). Named in the 2025 fix's text; gone with `fbc7e61195e2`
    /// (vcpu load saves and flushes instead). No rule flags it: the test compares P0.
    KvmPrepareDiscardsTracerSve,
    /// Under nVHE the host runs at EL1 and shares `ZCR_EL1` with the guest, switched lazily
    /// with the FP state: after an exit with the guest's state live, a guest that lowered
    /// its own `ZCR_EL1` leaves the host at its VL until `kvm_arch_vcpu_put_fp()` restores
    /// the guest's maximum. Kernel-mode NEON (anything that runs `fpsimd_save()`) in between
    /// saves the bound guest state in SVE format, finds `sve_get_vl() != sve_vl`, WARNs and
    /// SIGKILLs the VMM; the guest's state is lost. Fixed in 2025 by `59419f10045b` "KVM:
    /// arm64: Eagerly switch ZCR_EL{1,2}" (Mark Rutland; backported to 6.1 and 6.12).
    KvmGuestZcrLiveInHost,
}

impl KnownBug {
    /// Every known bug.
    pub const ALL: [KnownBug; 14] = [
        KnownBug::SignalTrustsTifSve,
        KnownBug::PtraceHeaderTrustsTifSve,
        KnownBug::PtraceFprSyncTrustsTifSve,
        KnownBug::VlChangeResurrectsStaleData,
        KnownBug::KvmSveUntrappedAfterGuestExit,
        KnownBug::StickyHostSveEnabled,
        KnownBug::SveTrapMemoryBranchKeepsBinding,
        KnownBug::PartialSveWriteZeroes,
        KnownBug::HypHostSaveLeavesFpType,
        KnownBug::SyscallSaveDiscardsModifiedSve,
        KnownBug::KvmPrepareConvertsForeignState,
        KnownBug::PtraceSveAtKvmEntryHitsBugOn,
        KnownBug::KvmPrepareDiscardsTracerSve,
        KnownBug::KvmGuestZcrLiveInHost,
    ];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            KnownBug::SignalTrustsTifSve => "signal-frame-trusts-TIF_SVE",
            KnownBug::PtraceHeaderTrustsTifSve => "ptrace-header-trusts-TIF_SVE",
            KnownBug::PtraceFprSyncTrustsTifSve => "ptrace-fpr-sync-trusts-TIF_SVE",
            KnownBug::VlChangeResurrectsStaleData => "vl-change-resurrects-stale-data",
            KnownBug::KvmSveUntrappedAfterGuestExit => "kvm-sve-untrapped-after-guest-exit",
            KnownBug::StickyHostSveEnabled => "kvm-sticky-HOST_SVE_ENABLED",
            KnownBug::SveTrapMemoryBranchKeepsBinding => "sve-trap-memory-branch-keeps-binding",
            KnownBug::PartialSveWriteZeroes => "partial-NT_ARM_SVE-write-zeroes",
            KnownBug::HypHostSaveLeavesFpType => "hyp-host-save-leaves-fp_type",
            KnownBug::SyscallSaveDiscardsModifiedSve => "syscall-save-discards-modified-SVE",
            KnownBug::KvmPrepareConvertsForeignState => "kvm-prepare-converts-foreign-state",
            KnownBug::PtraceSveAtKvmEntryHitsBugOn => "ptrace-SVE-at-KVM_RUN-entry-BUG_ON",
            KnownBug::KvmPrepareDiscardsTracerSve => "kvm-prepare-discards-tracer-SVE",
            KnownBug::KvmGuestZcrLiveInHost => "kvm-guest-ZCR_EL1-live-in-nVHE-host",
        }
    }

    /// The kernels that have it. The stale-`TIF_SVE` bugs need patch 6 (before it, syscall
    /// entry clears `TIF_SVE`, so it never outlives an FPSIMD-format save): 6.1.192 has none
    /// of them, 6.12.118 has the fixes for the signal frame and the ptrace header but not
    /// the 2025 VL-change fix. The KVM bugs are gone with the 2025 rework (6.1, 6.12), and
    /// both Debian kernels still zero on a partial `NT_ARM_SVE` write.
    pub fn affects(self, k: Kernel) -> bool {
        match self {
            KnownBug::SignalTrustsTifSve => {
                k.p6_sve_kept_on_syscall() && !k.signal_frame_by_fp_type()
            }
            KnownBug::PtraceHeaderTrustsTifSve => {
                k.p6_sve_kept_on_syscall() && !k.ptrace_sve_header_by_fp_type()
            }
            KnownBug::VlChangeResurrectsStaleData => k.p6_sve_kept_on_syscall(),
            KnownBug::KvmSveUntrappedAfterGuestExit => {
                k.p6_sve_kept_on_syscall() && !k.kvm_host_state_saved_at_vcpu_load()
            }
            KnownBug::PtraceFprSyncTrustsTifSve => {
                k.p6_sve_kept_on_syscall() && !k.v3_sve_sync_to_fpsimd_by_fp_type()
            }
            KnownBug::StickyHostSveEnabled => {
                !k.rc3_clear_host_sve_enabled_on_load() && !k.kvm_host_state_saved_at_vcpu_load()
            }
            KnownBug::SveTrapMemoryBranchKeepsBinding => !k.sve_trap_memory_branch_flushes(),
            KnownBug::PartialSveWriteZeroes => true,
            KnownBug::SyscallSaveDiscardsModifiedSve => {
                k.p6_sve_kept_on_syscall() && !k.syscall_to_save_window()
            }
            KnownBug::KvmPrepareConvertsForeignState => {
                k.p6_sve_kept_on_syscall() && k.p1_fpsimd_kvm_prepare()
            }
            KnownBug::PtraceSveAtKvmEntryHitsBugOn => {
                !k.p1_fpsimd_kvm_prepare() && !k.kvm_host_state_saved_at_vcpu_load()
            }
            KnownBug::KvmPrepareDiscardsTracerSve => k.p1_fpsimd_kvm_prepare(),
            KnownBug::KvmGuestZcrLiveInHost => !k.kvm_eager_zcr_switch(),
            KnownBug::HypHostSaveLeavesFpType => {
                k.p2_fp_type()
                    && !k.p6_sve_kept_on_syscall()
                    && !k.kvm_host_state_saved_at_vcpu_load()
            }
        }
    }

    /// Attributes a violation raised by the model's own checks (not the ABI oracle) to a
    /// known bug of `k`, when one explains it.
    pub fn explain(k: Kernel, v: &Violation) -> Option<KnownBug> {
        let f = v.function.as_deref().unwrap_or("");
        let bug = match v.rule {
            Rule::StaleSveState => match f {
                "fpsimd_signal_preserve_current_state" => KnownBug::SignalTrustsTifSve,
                "sve_get_common" => KnownBug::PtraceHeaderTrustsTifSve,
                "sve_sync_to_fpsimd" => KnownBug::PtraceFprSyncTrustsTifSve,
                "vec_set_vector_length" => KnownBug::VlChangeResurrectsStaleData,
                "sve_set_common" => KnownBug::PartialSveWriteZeroes,
                "task_fpsimd_load" => KnownBug::HypHostSaveLeavesFpType,
                "fpsimd_kvm_prepare" => KnownBug::KvmPrepareConvertsForeignState,
                _ => return None,
            },
            // SVE untrapped with TIF_SVE clear. For a VMM, from patch 6 it is
            // fpsimd_kvm_prepare() leaving the trap open; before, only the sticky flag can
            // do it. A task that never ran a vCPU can only have been given the trap state
            // of a VMM's put (the sticky flag, restored under VHE before a switch that does
            // not reload).
            Rule::LiveAtEl0
                if matches!(
                    v.cause,
                    Cause::TrapMismatch {
                        zen_el0en: true,
                        tif_sve: false,
                        ..
                    }
                ) =>
            {
                let vmm = matches!(v.cause, Cause::TrapMismatch { vmm: true, .. });
                if vmm && k.p6_sve_kept_on_syscall() {
                    KnownBug::KvmSveUntrappedAfterGuestExit
                } else {
                    KnownBug::StickyHostSveEnabled
                }
            }
            Rule::LiveAtEl0
                if matches!(
                    v.cause,
                    Cause::TrapMismatch {
                        zen_el0en: false,
                        tif_sve: true,
                        ..
                    }
                ) =>
            {
                KnownBug::SveTrapMemoryBranchKeepsBinding
            }
            Rule::Warn if f == WarnSite::DoSveAccTifSveSet.function() => {
                KnownBug::SveTrapMemoryBranchKeepsBinding
            }
            // The stale binding, back on a CPU whose ZCR_EL1 was never set for the task:
            // nothing reloads (and nothing sets the VL) before EL0.
            Rule::LiveAtEl0 if v.cause == Cause::LiveVlMismatch => {
                KnownBug::SveTrapMemoryBranchKeepsBinding
            }
            Rule::Warn if f == "task_fpsimd_load" => KnownBug::HypHostSaveLeavesFpType,
            // Saving a guest's state at the wrong VL: its lowered ZCR_EL1 still live in the
            // nVHE host. Saving a task's: the SVE trap's stale binding, back on a CPU whose
            // ZCR_EL1 was never set for the task's VL.
            Rule::Warn if v.cause == Cause::GuestSaveVlMismatch => KnownBug::KvmGuestZcrLiveInHost,
            Rule::Warn if v.cause == Cause::TaskSaveVlMismatch => {
                KnownBug::SveTrapMemoryBranchKeepsBinding
            }
            // The race leaves a binding made before sve_alloc(): its sve_state pointer is
            // NULL, and the next SVE-format save dereferences it.
            Rule::KernelCrash if f == "kvm_arch_vcpu_load_fp" => {
                KnownBug::PtraceSveAtKvmEntryHitsBugOn
            }
            Rule::KernelCrash if f == "fpsimd_save" && v.cause == Cause::NullSveState => {
                KnownBug::SveTrapMemoryBranchKeepsBinding
            }
            _ => return None,
        };
        bug.affects(k).then_some(bug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::types::{CpuId, TaskId};

    fn b1(cause: Cause, detail: &str) -> Violation {
        Violation {
            rule: Rule::LiveAtEl0,
            task: Some(TaskId(0)),
            cpu: Some(CpuId(0)),
            function: None,
            detail: detail.into(),
            cause,
        }
    }

    /// Attribution reads the violation's data: the words of its detail can change freely.
    #[test]
    fn attribution_matches_the_cause_not_the_words() {
        let untrapped = Cause::TrapMismatch {
            zen_el0en: true,
            tif_sve: false,
            vmm: true,
        };
        let k = Kernel::V6_2;
        assert_eq!(
            KnownBug::explain(k, &b1(untrapped, "any wording")),
            Some(KnownBug::KvmSveUntrappedAfterGuestExit)
        );
        assert_eq!(
            KnownBug::explain(
                k,
                &b1(Cause::Stated, "CPACR_EL1.ZEN_EL0EN is 1 but TIF_SVE is 0")
            ),
            None
        );
        assert_eq!(
            KnownBug::explain(Kernel::V5_19Rc1, &b1(untrapped, "")),
            Some(KnownBug::StickyHostSveEnabled)
        );
        // The v5.19 release has the -rc3 fix: nothing to attribute it to.
        assert_eq!(KnownBug::explain(Kernel::V5_19, &b1(untrapped, "")), None);
        // A task that never ran a vCPU: only the sticky flag, on the kernels that have it.
        let bystander = Cause::TrapMismatch {
            zen_el0en: true,
            tif_sve: false,
            vmm: false,
        };
        let p6 = Kernel::SeriesV1(crate::model::kernel::Patch::from_number(6).unwrap());
        assert_eq!(
            KnownBug::explain(p6, &b1(bystander, "")),
            Some(KnownBug::StickyHostSveEnabled)
        );
        assert_eq!(KnownBug::explain(k, &b1(bystander, "")), None);
    }

    /// The VL WARN of fpsimd_save() is attributed by its cause, on the kernels without the
    /// eager ZCR switch.
    #[test]
    fn the_save_vl_warn_is_the_guests_zcr_before_the_eager_switch() {
        let warn = Violation {
            rule: Rule::Warn,
            task: Some(TaskId(0)),
            cpu: Some(CpuId(0)),
            function: Some(WarnSite::FpsimdSaveVlMismatch.function().into()),
            detail: "any wording".into(),
            cause: Cause::GuestSaveVlMismatch,
        };
        assert_eq!(
            KnownBug::explain(Kernel::V6_2, &warn),
            Some(KnownBug::KvmGuestZcrLiveInHost)
        );
        assert_eq!(KnownBug::explain(Kernel::V6_12, &warn), None);
        let stated = Violation {
            cause: Cause::Stated,
            ..warn.clone()
        };
        assert_eq!(KnownBug::explain(Kernel::V6_2, &stated), None);
        // Saving a task's state at the wrong VL is the SVE trap's stale binding, which
        // 6.12 (751ecf6afd65) no longer has either.
        let task = Violation {
            cause: Cause::TaskSaveVlMismatch,
            ..warn
        };
        assert_eq!(
            KnownBug::explain(Kernel::V5_19, &task),
            Some(KnownBug::SveTrapMemoryBranchKeepsBinding)
        );
        assert_eq!(KnownBug::explain(Kernel::V6_12, &task), None);
    }
}
