//! The kernels svelab can run, and the named gates by which they differ.
//!
//! Every transition of the model is written once. Where a patch of Mark Brown's series
//! "arm64/sve: Clean up KVM integration and optimise syscalls" (v1, 7 June 2022, based on
//! v5.19-rc1 `f2906aa86338`) changes behaviour, the transition asks one of the gates below;
//! each gate cites the patch. Adding a later kernel means adding gates, never copying
//! transitions.
//!
//! Kernels:
//! * [`Kernel::V5_19Rc1`] (`v5.19-rc1`, the default): the series' base `f2906aa86338`.
//!   The KVM fix "Always start with clearing SVE flag on load" (`d52d165d67c5`) arrived in
//!   -rc3 and is *not* present.
//! * [`Kernel::SeriesV1`]: the v1 series applied up to a [`Patch`] (cumulative).
//! * [`Kernel::V5_19`] (`v5.19`): the release, rc1 plus the -rc3 KVM fix. Its other FP
//!   change since rc1 (an EFI/SME FFR fix in `__efi_fpsimd_begin/end`) is outside the model
//!   (no SME, no EFI), so without KVM it behaves exactly as rc1.
//! * [`Kernel::V6_1`]: Debian's 6.1.192 (a stable kernel that *predates* the series in
//!   mainline): patches 2–4 backported in landed form (6.1.135, as prerequisites of the 2025
//!   KVM rework), not 1, 5, 6; the v6.0 `sve_alloc(task, flush)` and KVM ownership
//!   tristate; and the later fixes that reached it: the 2025 KVM rework, the SVE-trap
//!   memory-branch flush, the reallocation after a VL change and the sigreturn merge by
//!   `fp_type`. Its syscall entry still disables SVE, as v5.19's does.
//! * [`Kernel::V6_2`]: what landed (`93ae6b01bafe`..`1192b93ba352`): patches 1–6 in their
//!   final form, no sysctl, plus what reached the same files before v6.2: Marc Zyngier's
//!   KVM FP ownership tristate (v6.0) and the -rc3 KVM fix.
//! * [`Kernel::V6_12`]: Debian's 6.12.118: v6.2 plus the fixes of 2024–2025 that it
//!   carries (signal frame and ptrace header keyed on `fp_type`, the SVE-trap memory-branch
//!   flush, the KVM rework, "Do not discard modified SVE state", the reallocation after a VL
//!   change, the sigreturn merge by `fp_type`). It lacks the 2025 VL-change and partial
//!   `NT_ARM_SVE` write fixes, so those bugs are modelled there.
//!
//! `ALL` lists the kernels in the order of the code they start from: v5.19-rc1, the series
//! on top of it, the v5.19 release, then 6.1, 6.2 and 6.12 by base version (6.1.192 is a 2025 release, but
//! its base and its syscall path are older than v6.2's).
//!
//! The two Debian kernels were checked in their source packages (see
//! `docs/kernel-notes.md`, "v6.1 and v6.12: what the Debian kernels contain"). The model
//! has no SME or FPMR, and not 6.12's preemptible kernel-mode NEON (`TIF_KERNEL_FPSTATE`),
//! which changes which state a switch saves, not what a non-SME task sees.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel version the model can run. It serialises as its name (`"series-v1/p3"`), so
/// saved machines and share links read the way scripts do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Kernel {
    /// v5.19-rc1, the series' base.
    V5_19Rc1,
    /// The v1 series applied up to and including this patch.
    SeriesV1(Patch),
    /// v5.19: rc1 plus the -rc3 KVM fix `d52d165d67c5`.
    V5_19,
    /// Debian 6.1.192: patches 2–4 backported, the 2025 KVM rework, later fixes.
    V6_1,
    /// v6.2: the series as it landed.
    V6_2,
    /// Debian 6.12.118: v6.2 plus the 2024–2025 fixes it carries.
    V6_12,
}

/// A patch of the v1 series, "arm64/sve: Clean up KVM integration and optimise syscalls".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Patch {
    /// 1/7 "KVM: arm64: Discard any SVE state when entering KVM guests".
    P1,
    /// 2/7 "arm64/fpsimd: Track the saved FPSIMD state type separately to TIF_SVE".
    P2,
    /// 3/7 "arm64/fpsimd: Have KVM explicitly say which FP registers to save".
    P3,
    /// 4/7 "arm64/fpsimd: Stop using TIF_SVE to manage register saving in KVM".
    P4,
    /// 5/7 "arm64/fpsimd: Load FP state based on recorded data type".
    P5,
    /// 6/7 "arm64/sve: Leave SVE enabled on syscall if we don't context switch".
    P6,
    /// 7/7 "arm64/sve: Don't zero non-FPSIMD register state on syscall by default".
    P7,
}

impl Patch {
    /// The seven patches, in order.
    pub const ALL: [Patch; 7] = [
        Patch::P1,
        Patch::P2,
        Patch::P3,
        Patch::P4,
        Patch::P5,
        Patch::P6,
        Patch::P7,
    ];

    /// The patch's number in the series, 1–7.
    pub const fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The patch numbered `n` (1–7).
    pub const fn from_number(n: u8) -> Option<Patch> {
        match n {
            1 => Some(Patch::P1),
            2 => Some(Patch::P2),
            3 => Some(Patch::P3),
            4 => Some(Patch::P4),
            5 => Some(Patch::P5),
            6 => Some(Patch::P6),
            7 => Some(Patch::P7),
            _ => None,
        }
    }
}

impl From<Kernel> for String {
    fn from(k: Kernel) -> String {
        k.name()
    }
}

impl TryFrom<String> for Kernel {
    type Error = UnknownKernel;
    fn try_from(s: String) -> Result<Kernel, UnknownKernel> {
        Kernel::parse(&s)
    }
}

/// Why a kernel name did not parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownKernel(pub String);

impl fmt::Display for UnknownKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown kernel `{}`: known kernels are v5.19-rc1, series-v1/p1 … series-v1/p7, series-v1 (= p7), v5.19, v6.1, v6.2 and v6.12",
            self.0
        )
    }
}

impl Kernel {
    /// Every kernel, in the order of the code they start from (see the module doc).
    pub const ALL: [Kernel; 12] = [
        Kernel::V5_19Rc1,
        Kernel::SeriesV1(Patch::P1),
        Kernel::SeriesV1(Patch::P2),
        Kernel::SeriesV1(Patch::P3),
        Kernel::SeriesV1(Patch::P4),
        Kernel::SeriesV1(Patch::P5),
        Kernel::SeriesV1(Patch::P6),
        Kernel::SeriesV1(Patch::P7),
        Kernel::V5_19,
        Kernel::V6_1,
        Kernel::V6_2,
        Kernel::V6_12,
    ];

    /// Parses `v5.19-rc1`, `series-v1`, `series-v1/p1`…`series-v1/p7`, `v5.19`, `v6.1`,
    /// `v6.2`, `v6.12`.
    pub fn parse(s: &str) -> Result<Kernel, UnknownKernel> {
        match s {
            "v5.19-rc1" => Ok(Kernel::V5_19Rc1),
            "v5.19" => Ok(Kernel::V5_19),
            "v6.1" => Ok(Kernel::V6_1),
            "v6.2" => Ok(Kernel::V6_2),
            "v6.12" => Ok(Kernel::V6_12),
            "series-v1" => Ok(Kernel::SeriesV1(Patch::P7)),
            _ => s
                .strip_prefix("series-v1/p")
                .filter(|n| n.len() == 1)
                .and_then(|n| n.parse::<u8>().ok())
                .and_then(Patch::from_number)
                .map(Kernel::SeriesV1)
                .ok_or_else(|| UnknownKernel(s.to_string())),
        }
    }

    /// The canonical name, as `parse` accepts it.
    pub fn name(self) -> String {
        match self {
            Kernel::V5_19Rc1 => "v5.19-rc1".into(),
            Kernel::SeriesV1(p) => format!("series-v1/p{}", p.number()),
            Kernel::V5_19 => "v5.19".into(),
            Kernel::V6_1 => "v6.1".into(),
            Kernel::V6_2 => "v6.2".into(),
            Kernel::V6_12 => "v6.12".into(),
        }
    }

    /// What the kernel is, in one line (`:help kernels`, the playground's kernel menu).
    pub fn summary(self) -> &'static str {
        match self {
            Kernel::V5_19Rc1 => "the base (v5.19-rc1): every syscall clears TIF_SVE and disables EL0 SVE, so the next SVE instruction traps",
            Kernel::SeriesV1(Patch::P1) => "patch 1: KVM converts the host's SVE state to FPSIMD at vCPU load (fpsimd_kvm_prepare)",
            Kernel::SeriesV1(Patch::P2) => "patch 2: fp_type records the saved format separately from TIF_SVE",
            Kernel::SeriesV1(Patch::P3) => "patch 3: KVM says which registers to save (fpsimd_last_state.to_save)",
            Kernel::SeriesV1(Patch::P4) => "patch 4: fpsimd_save() decides by to_save; KVM stops writing the VMM's TIF_SVE",
            Kernel::SeriesV1(Patch::P5) => "patch 5: task_fpsimd_load() follows fp_type and sets TIF_SVE to match",
            Kernel::SeriesV1(Patch::P6) => "patch 6: SVE stays enabled across a syscall (zeroed at entry instead of trapped after)",
            Kernel::SeriesV1(Patch::P7) => "patch 7: sysctl abi.sve_syscall_clear_regs, 0 = keep the SVE registers across syscalls (never merged)",
            Kernel::V5_19 => "the v5.19 release: the base plus the -rc3 KVM fix that clears HOST_SVE_ENABLED at every vCPU load",
            Kernel::V6_1 => "Debian 6.1.192: patches 2-4 backported, SVE still dropped at every syscall; the 2025 KVM rework and later fixes",
            Kernel::V6_2 => "what landed: patches 1-6 in their final form, no sysctl",
            Kernel::V6_12 => "Debian 6.12.118: v6.2 plus the 2024-2025 fixes (fp_type for signals and ptrace, per-CPU syscall window, KVM rework)",
        }
    }

    /// Has the series' patch `n` (or its landed form)? v6.2 and v6.12 carry patches 1–6
    /// (6.12 with parts of 1 and 6 superseded: see [`Kernel::p1_fpsimd_kvm_prepare`] and
    /// [`Kernel::syscall_to_save_window`]); 6.1.192 carries 2–4 as backported in Debian
    /// 6.1.135 (`thread.fp_type`, `fpsimd_last_state.to_save`, `fpsimd_save()` by
    /// `to_save`). Patch 1 was backported in the same release and superseded by the KVM
    /// rework there, so 6.1 is modelled without it.
    fn has_patch(self, n: u8) -> bool {
        match self {
            Kernel::V5_19Rc1 | Kernel::V5_19 => false,
            Kernel::SeriesV1(p) => n <= p.number(),
            Kernel::V6_1 => matches!(n, 2..=4),
            Kernel::V6_2 | Kernel::V6_12 => n <= 6,
        }
    }

    /// Patch 1/7 "KVM: arm64: Discard any SVE state when entering KVM guests"
    /// (`93ae6b01bafe`): `kvm_arch_vcpu_load_fp()` calls `fpsimd_kvm_prepare()` (convert the
    /// host's SVE state to FPSIMD and clear `TIF_SVE`) instead of `BUG_ON(TIF_SVE)`.
    /// Not on 6.1 or 6.12: the 2025 rework ([`Kernel::kvm_host_state_saved_at_vcpu_load`])
    /// replaced the function (both keep only a stale prototype in `asm/fpsimd.h`).
    pub fn p1_fpsimd_kvm_prepare(self) -> bool {
        self.has_patch(1) && !self.kvm_host_state_saved_at_vcpu_load()
    }

    /// Patch 2/7 "arm64/fpsimd: Track the saved FPSIMD state type separately to TIF_SVE"
    /// (`baa8515281b3`): `thread.fp_type`, `vcpu.fp_type`, the binding's pointer to it, and
    /// the `WARN_ON_ONCE`s in `task_fpsimd_load()`.
    pub fn p2_fp_type(self) -> bool {
        self.has_patch(2)
    }

    /// Patch 3/7 "arm64/fpsimd: Have KVM explicitly say which FP registers to save"
    /// (`deeb8f9a80fd`): `fpsimd_last_state.to_save`; at p3 only validated in `fpsimd_save()`.
    pub fn p3_to_save(self) -> bool {
        self.has_patch(3)
    }

    /// Patch 4/7 "arm64/fpsimd: Stop using TIF_SVE to manage register saving in KVM"
    /// (`62021cc36add`): `fpsimd_save()` decides from `to_save`; KVM stops writing the
    /// VMM's `TIF_SVE` in ctxsync and put.
    pub fn p4_save_by_to_save(self) -> bool {
        self.has_patch(4)
    }

    /// Patch 5/7 "arm64/fpsimd: Load FP state based on recorded data type" (`a0136be443d5`):
    /// `task_fpsimd_load()` chooses the format from `fp_type` and derives `TIF_SVE` from it.
    pub fn p5_load_by_fp_type(self) -> bool {
        self.has_patch(5)
    }

    /// Patch 6/7 "arm64/sve: Leave SVE enabled on syscall if we don't context switch"
    /// (`8c845e273104`): `fp_user_discard()` flushes instead of disabling SVE, and
    /// `fpsimd_save()` saves only the FPSIMD view while `in_syscall()`. On 6.12 the second
    /// half is replaced by the per-CPU window of [`Kernel::syscall_to_save_window`].
    pub fn p6_sve_kept_on_syscall(self) -> bool {
        self.has_patch(6)
    }

    /// Patch 7/7 "arm64/sve: Don't zero non-FPSIMD register state on syscall by default"
    /// (never merged): sysctl `abi.sve_syscall_clear_regs`, default 0; the entry flush only
    /// happens when it is 1.
    pub fn p7_syscall_clear_regs_sysctl(self) -> bool {
        matches!(self, Kernel::SeriesV1(Patch::P7))
    }

    /// Marc Zyngier's "KVM: arm64: Move FP state ownership from flag to a tristate" and
    /// "Drop FP_FOREIGN_FPSTATE" (v6.0 cycle): `vcpu.fp_state` ∈ {FREE, HOST_OWNED,
    /// GUEST_OWNED} replaces `FP_ENABLED`/`FP_HOST` and the foreign-state mirror flag.
    pub fn kvm_fp_ownership_tristate(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_2 | Kernel::V6_12)
    }

    /// v5.19-rc3 `d52d165d67c5` "KVM: arm64: Always start with clearing SVE flag on load":
    /// `kvm_arch_vcpu_load_fp()` clears `HOST_SVE_ENABLED` before sampling CPACR. The series
    /// v1 is based on -rc1 and lacks it; the v5.19 release and v6.2 have it. 6.1 and 6.12
    /// had it too until the 2025 rework removed the flag
    /// ([`Kernel::kvm_host_state_saved_at_vcpu_load`]), so there this gate is never asked.
    pub fn rc3_clear_host_sve_enabled_on_load(self) -> bool {
        matches!(
            self,
            Kernel::V5_19 | Kernel::V6_1 | Kernel::V6_2 | Kernel::V6_12
        )
    }

    /// `bbc6172eefdb` "arm64/fpsimd: SME no longer requires SVE register state" (a patch
    /// added in v3 of the series, landed in v6.2): `sve_sync_to_fpsimd()` (ptrace) converts
    /// when `fp_type == FP_STATE_SVE` instead of when `TIF_SVE` is set. The v1 series keeps
    /// `TIF_SVE` there through patch 7; 6.12 has it (`kernel/fpsimd.c:sve_sync_to_fpsimd`);
    /// 6.1.192 does not (`TIF_SVE || SM`), which is harmless there: without patch 6 `TIF_SVE`
    /// and `fp_type` agree whenever a tracee is stopped.
    pub fn v3_sve_sync_to_fpsimd_by_fp_type(self) -> bool {
        matches!(self, Kernel::V6_2 | Kernel::V6_12)
    }

    /// v6.0 `sve_alloc(task, flush)`: an already allocated buffer is only zeroed when the
    /// caller asks (`do_sve_acc()` does); before, `sve_alloc()` always zeroed it. 6.1 and
    /// 6.12 have it (6.1: `kernel/fpsimd.c:sve_alloc`).
    pub fn sve_alloc_has_flush_arg(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_2 | Kernel::V6_12)
    }

    /// `61da7c8e2a60` "arm64/signal: Don't assume that TIF_SVE means we saved SVE state"
    /// (v6.8): `fpsimd_signal_preserve_current_state()` converts, and
    /// `setup_sigframe_layout()`/`preserve_sve_context()` add the SVE payload, when
    /// `fp_type == FP_STATE_SVE` instead of when `TIF_SVE` is set. 6.12 (in its base,
    /// `kernel/signal.c:preserve_sve_context`); not 6.1.192 (`TIF_SVE`, harmless without
    /// patch 6) nor v6.2.
    pub fn signal_frame_by_fp_type(self) -> bool {
        matches!(self, Kernel::V6_12)
    }

    /// `b017a0cea627` "arm64/ptrace: Use saved floating point state type to determine SVE
    /// layout" (2024): `sve_init_header_from_task()` reports `SVE_PT_REGS_FPSIMD` iff
    /// `fp_type == FP_STATE_FPSIMD` instead of iff `TIF_SVE` is clear. 6.12
    /// (`kernel/ptrace.c:sve_init_header_from_task`); not 6.1.192 nor v6.2.
    pub fn ptrace_sve_header_by_fp_type(self) -> bool {
        matches!(self, Kernel::V6_12)
    }

    /// `751ecf6afd65` "arm64/sve: Discard stale CPU state when handling SVE traps" (2024,
    /// CVE-2024-50275): `sve_init_regs()`'s memory branch ends with
    /// `fpsimd_flush_task_state(current)`, so the return path reloads (SVE) and rebinds.
    /// 6.12 (in its base) and 6.1 (Debian 6.1.123), `kernel/fpsimd.c:sve_init_regs`.
    pub fn sve_trap_memory_branch_flushes(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_12)
    }

    /// The 2025 KVM FP rework: `fbc7e61195e2` "KVM: arm64: Unconditionally save+flush host
    /// FPSIMD/SVE/SME state", with "Remove host FPSIMD saving for non-protected KVM",
    /// "Remove VHE host restore of CPACR_EL1.ZEN" and "Eagerly switch ZCR_EL{1,2}".
    /// `kvm_arch_vcpu_load_fp()` is `fpsimd_save_and_flush_cpu_state(); fp_state = FREE`:
    /// no `fpsimd_kvm_prepare()`, no `HOST_SVE_ENABLED`, hyp never saves the host, and
    /// `kvm_arch_vcpu_put_fp()` saves and flushes only a guest-owned state (no CPACR
    /// write). Debian 6.1.135 and 6.12.21 (`kvm/fpsimd.c:kvm_arch_vcpu_load_fp`,
    /// `kvm/hyp/include/hyp/switch.h:kvm_hyp_handle_fpsimd`).
    pub fn kvm_host_state_saved_at_vcpu_load(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_12)
    }

    /// `59419f10045b` "KVM: arm64: Eagerly switch ZCR_EL{1,2}" (Mark Rutland, 2025, part of
    /// the rework above): hyp's `fpsimd_lazy_switch_to_host()` saves the guest's `ZCR_EL1`
    /// at every exit and gives the host the guest's maximum VL (nVHE: `ZCR_EL1`), so the
    /// host never runs with the guest's own, lower `ZCR_EL1`. Before it (v5.19 to v6.2) the
    /// nVHE host shares `ZCR_EL1` with a guest whose FP state is live until
    /// `kvm_arch_vcpu_put_fp()` restores it. Backported to 6.12 ("[PATCH 6.12 8/8]",
    /// March 2025) and 6.1 (patch 12/12 of Mark Brown's "stable-sve-6-1" series, March
    /// 2025), so in both Debian kernels (`kvm/hyp/include/hyp/switch.h`).
    pub fn kvm_eager_zcr_switch(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_12)
    }

    /// `398edaa12f9c` "arm64/fpsimd: Do not discard modified SVE state" (2025, Debian
    /// 6.12.35): syscall entry is `el0_svc()` → `fpsimd_syscall_enter()` (flush if
    /// `TIF_SVE`, then this CPU's `fpsimd_last_state.to_save := FP_STATE_FPSIMD`), and
    /// `fpsimd_syscall_exit()` resets it to `FP_STATE_CURRENT` after `exit_to_user_mode()`;
    /// any bind resets it too. `fpsimd_save_user_state()` lost patch 6's
    /// `!in_syscall()` clause: the window decides, so state rebound during the syscall
    /// (a ptrace write reloaded on the return path) is saved in full. 6.12 only
    /// (`kernel/entry-common.c:el0_svc`).
    pub fn syscall_to_save_window(self) -> bool {
        matches!(self, Kernel::V6_12)
    }

    /// `do_notify_resume()` with no `else`: a pass whose flags have `_TIF_NEED_RESCHED` calls
    /// `schedule()` and then goes on, with the flags read at its top, to `do_signal()` and
    /// `fpsimd_restore_current_state()`; the flags are read again only at the bottom. Up to
    /// v6.2 (`kernel/signal.c`, read in v5.19 and v6.2.1) and in 6.1.192 the reschedule
    /// pass does nothing else. 6.12 only (Debian 6.12.118,
    /// `kernel/entry-common.c:do_notify_resume`).
    pub fn notify_resume_schedules_within_the_pass(self) -> bool {
        matches!(self, Kernel::V6_12)
    }

    /// "arm64/fpsimd: Ensure SME storage is allocated after SVE VL changes" (v6.5; Debian
    /// 6.1.52, 6.4.11): after `task_set_vl()`, `vec_set_vector_length()` does
    /// `sve_free(task); sve_alloc(task, true)`, so a real VL change leaves a zeroed buffer
    /// at the new VL instead of NULL. 6.1 and 6.12 (`kernel/fpsimd.c:vec_set_vector_length`).
    pub fn vl_change_reallocates_sve_state(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_12)
    }

    /// `c94f2f326146` "arm64/fpsimd: Fix merging of FPSIMD state during signal return"
    /// (2025; Debian 6.1.147, 6.12.35): `fpsimd_update_current_state()` merges V into
    /// `sve_state` when `fp_type == FP_STATE_SVE` instead of when `TIF_SVE` is set. Without
    /// SME sigreturn sets both alike first, so no non-SME outcome changes.
    pub fn update_current_state_by_fp_type(self) -> bool {
        matches!(self, Kernel::V6_1 | Kernel::V6_12)
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::parse(&k.name()), Ok(k));
        }
        assert_eq!(Kernel::parse("series-v1"), Ok(Kernel::SeriesV1(Patch::P7)));
        assert!(Kernel::parse("series-v1/p8").is_err());
        assert!(Kernel::parse("series-v1/p0").is_err());
        assert!(Kernel::parse("series-v1/p03").is_err());
        assert_eq!(Kernel::parse("v5.19-rc1"), Ok(Kernel::V5_19Rc1));
        assert_eq!(Kernel::parse("v5.19"), Ok(Kernel::V5_19));
        assert!(Kernel::parse("v6.3").is_err());
        assert_eq!(Kernel::parse("v6.1"), Ok(Kernel::V6_1));
        assert_eq!(Kernel::parse("v6.12"), Ok(Kernel::V6_12));
    }

    #[test]
    fn the_debian_kernels_carry_what_the_notes_found() {
        let k61 = Kernel::V6_1;
        assert!(k61.p2_fp_type() && k61.p3_to_save() && k61.p4_save_by_to_save());
        assert!(!k61.p1_fpsimd_kvm_prepare() && !k61.p5_load_by_fp_type());
        assert!(!k61.p6_sve_kept_on_syscall() && !k61.v3_sve_sync_to_fpsimd_by_fp_type());
        assert!(k61.kvm_host_state_saved_at_vcpu_load() && k61.sve_trap_memory_branch_flushes());
        assert!(k61.kvm_eager_zcr_switch() && Kernel::V6_12.kvm_eager_zcr_switch());
        assert!(!k61.signal_frame_by_fp_type() && !k61.syscall_to_save_window());
        let k612 = Kernel::V6_12;
        assert!(k612.p5_load_by_fp_type() && k612.p6_sve_kept_on_syscall());
        assert!(!k612.p1_fpsimd_kvm_prepare() && !k612.p7_syscall_clear_regs_sysctl());
        assert!(k612.signal_frame_by_fp_type() && k612.ptrace_sve_header_by_fp_type());
        assert!(k612.syscall_to_save_window() && k612.vl_change_reallocates_sve_state());
        // Nothing new reaches the kernels the model had before.
        for k in Kernel::ALL {
            if matches!(k, Kernel::V6_1 | Kernel::V6_12) {
                continue;
            }
            assert!(!k.signal_frame_by_fp_type() && !k.ptrace_sve_header_by_fp_type());
            assert!(!k.sve_trap_memory_branch_flushes() && !k.syscall_to_save_window());
            assert!(!k.kvm_host_state_saved_at_vcpu_load() && !k.kvm_eager_zcr_switch());
            assert!(!k.vl_change_reallocates_sve_state() && !k.update_current_state_by_fp_type());
        }
    }

    #[test]
    fn the_v5_19_release_is_rc1_plus_the_rc3_kvm_fix() {
        let (rc1, release) = (Kernel::V5_19Rc1, Kernel::V5_19);
        assert!(!rc1.rc3_clear_host_sve_enabled_on_load());
        assert!(release.rc3_clear_host_sve_enabled_on_load());
        for n in 1..=7 {
            assert!(!rc1.has_patch(n) && !release.has_patch(n));
        }
        assert!(!release.kvm_fp_ownership_tristate() && !release.sve_alloc_has_flush_arg());
    }

    #[test]
    fn a_kernel_serialises_as_its_name() {
        for k in Kernel::ALL {
            let j = serde_json::to_string(&k).unwrap();
            assert_eq!(j, format!("\"{}\"", k.name()));
            assert_eq!(serde_json::from_str::<Kernel>(&j).unwrap(), k);
        }
        assert!(serde_json::from_str::<Kernel>("\"series-v1/p9\"").is_err());
    }

    #[test]
    fn patches_are_cumulative_and_v6_2_lacks_the_sysctl() {
        let p = |n| Kernel::SeriesV1(Patch::from_number(n).unwrap());
        assert!(!Kernel::V5_19Rc1.p1_fpsimd_kvm_prepare());
        assert!(p(1).p1_fpsimd_kvm_prepare() && !p(1).p2_fp_type());
        assert!(p(5).p5_load_by_fp_type() && !p(5).p6_sve_kept_on_syscall());
        assert!(p(7).p7_syscall_clear_regs_sysctl() && p(7).p6_sve_kept_on_syscall());
        assert!(Kernel::V6_2.p6_sve_kept_on_syscall());
        assert!(!Kernel::V6_2.p7_syscall_clear_regs_sysctl());
    }
}
