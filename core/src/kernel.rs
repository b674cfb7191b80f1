//! The kernels svelab can run, and the named gates by which they differ.
//!
//! Every transition of the model is written once. Where a patch of Mark Brown's series
//! "arm64/sve: Clean up KVM integration and optimise syscalls" (v1, 7 June 2022, based on
//! v5.19-rc1 `f2906aa86338`) changes behaviour, the transition asks one of the gates below;
//! each gate cites the patch. Adding a later kernel means adding gates, never copying
//! transitions.
//!
//! Kernels:
//! * [`Kernel::V5_19`]: v5.19-rc1, the series' base. The KVM fix "Always start with
//!   clearing SVE flag on load" (`d52d165d67c5`) arrived in -rc3 and is *not* present.
//! * [`Kernel::SeriesV1`]: the v1 series applied up to patch `n` (cumulative).
//! * [`Kernel::V6_2`]: what landed (`93ae6b01bafe`..`1192b93ba352`): patches 1–6 in their
//!   final form, no sysctl, plus what reached the same files before v6.2: Marc Zyngier's
//!   KVM FP ownership tristate (v6.0) and the -rc3 KVM fix.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel version the model can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kernel {
    /// v5.19-rc1, the series' base.
    V5_19,
    /// The v1 series applied up to and including patch `patches` (1..=7).
    SeriesV1 {
        /// Highest patch applied, 1..=7.
        patches: u8,
    },
    /// v6.2: the series as it landed.
    V6_2,
}

/// Why a kernel name did not parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownKernel(pub String);

impl fmt::Display for UnknownKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown kernel `{}`: known kernels are v5.19, series-v1/p1 … series-v1/p7, series-v1 (= p7) and v6.2",
            self.0
        )
    }
}

impl Kernel {
    /// Every kernel, in story order.
    pub const ALL: [Kernel; 9] = [
        Kernel::V5_19,
        Kernel::SeriesV1 { patches: 1 },
        Kernel::SeriesV1 { patches: 2 },
        Kernel::SeriesV1 { patches: 3 },
        Kernel::SeriesV1 { patches: 4 },
        Kernel::SeriesV1 { patches: 5 },
        Kernel::SeriesV1 { patches: 6 },
        Kernel::SeriesV1 { patches: 7 },
        Kernel::V6_2,
    ];

    /// Parses `v5.19`, `series-v1`, `series-v1/p1`…`series-v1/p7`, `v6.2`.
    pub fn parse(s: &str) -> Result<Kernel, UnknownKernel> {
        match s {
            "v5.19" | "v5.19-rc1" => Ok(Kernel::V5_19),
            "v6.2" => Ok(Kernel::V6_2),
            "series-v1" => Ok(Kernel::SeriesV1 { patches: 7 }),
            _ => s
                .strip_prefix("series-v1/p")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (1..=7).contains(n))
                .map(|patches| Kernel::SeriesV1 { patches })
                .ok_or_else(|| UnknownKernel(s.to_string())),
        }
    }

    /// The canonical name, as `parse` accepts it.
    pub fn name(self) -> String {
        match self {
            Kernel::V5_19 => "v5.19".into(),
            Kernel::SeriesV1 { patches } => format!("series-v1/p{patches}"),
            Kernel::V6_2 => "v6.2".into(),
        }
    }

    /// Has the series' patch `n` (or its landed form)? v6.2 carries patches 1–6.
    fn has_patch(self, n: u8) -> bool {
        match self {
            Kernel::V5_19 => false,
            Kernel::SeriesV1 { patches } => n <= patches,
            Kernel::V6_2 => n <= 6,
        }
    }

    /// Patch 1/7 "KVM: arm64: Discard any SVE state when entering KVM guests"
    /// (`93ae6b01bafe`): `kvm_arch_vcpu_load_fp()` calls `fpsimd_kvm_prepare()` (convert the
    /// host's SVE state to FPSIMD and clear `TIF_SVE`) instead of `BUG_ON(TIF_SVE)`.
    pub fn p1_fpsimd_kvm_prepare(self) -> bool {
        self.has_patch(1)
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
    /// `fpsimd_save()` saves only the FPSIMD view while `in_syscall()`.
    pub fn p6_sve_kept_on_syscall(self) -> bool {
        self.has_patch(6)
    }

    /// Patch 7/7 "arm64/sve: Don't zero non-FPSIMD register state on syscall by default"
    /// (never merged): sysctl `abi.sve_syscall_clear_regs`, default 0; the entry flush only
    /// happens when it is 1.
    pub fn p7_syscall_clear_regs_sysctl(self) -> bool {
        matches!(self, Kernel::SeriesV1 { patches: 7 })
    }

    /// Marc Zyngier's "KVM: arm64: Move FP state ownership from flag to a tristate" and
    /// "Drop FP_FOREIGN_FPSTATE" (v6.0 cycle): `vcpu.fp_state` ∈ {FREE, HOST_OWNED,
    /// GUEST_OWNED} replaces `FP_ENABLED`/`FP_HOST` and the foreign-state mirror flag.
    pub fn kvm_fp_ownership_tristate(self) -> bool {
        matches!(self, Kernel::V6_2)
    }

    /// v5.19-rc3 `d52d165d67c5` "KVM: arm64: Always start with clearing SVE flag on load":
    /// `kvm_arch_vcpu_load_fp()` clears `HOST_SVE_ENABLED` before sampling CPACR. The series
    /// v1 is based on -rc1 and lacks it; v6.2 has it.
    pub fn rc3_clear_host_sve_enabled_on_load(self) -> bool {
        matches!(self, Kernel::V6_2)
    }

    /// `bbc6172eefdb` "arm64/fpsimd: SME no longer requires SVE register state" (a patch
    /// added in v3 of the series, landed in v6.2): `sve_sync_to_fpsimd()` (ptrace) converts
    /// when `fp_type == FP_STATE_SVE` instead of when `TIF_SVE` is set. The v1 series keeps
    /// `TIF_SVE` there through patch 7.
    pub fn v3_sve_sync_to_fpsimd_by_fp_type(self) -> bool {
        matches!(self, Kernel::V6_2)
    }

    /// v6.0 `sve_alloc(task, flush)`: an already allocated buffer is only zeroed when the
    /// caller asks (`do_sve_acc()` does); before, `sve_alloc()` always zeroed it.
    pub fn sve_alloc_has_flush_arg(self) -> bool {
        matches!(self, Kernel::V6_2)
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
        assert_eq!(
            Kernel::parse("series-v1"),
            Ok(Kernel::SeriesV1 { patches: 7 })
        );
        assert!(Kernel::parse("series-v1/p8").is_err());
        assert!(Kernel::parse("v6.3").is_err());
    }

    #[test]
    fn patches_are_cumulative_and_v6_2_lacks_the_sysctl() {
        let p = |n| Kernel::SeriesV1 { patches: n };
        assert!(!Kernel::V5_19.p1_fpsimd_kvm_prepare());
        assert!(p(1).p1_fpsimd_kvm_prepare() && !p(1).p2_fp_type());
        assert!(p(5).p5_load_by_fp_type() && !p(5).p6_sve_kept_on_syscall());
        assert!(p(7).p7_syscall_clear_regs_sysctl() && p(7).p6_sve_kept_on_syscall());
        assert!(Kernel::V6_2.p6_sve_kept_on_syscall());
        assert!(!Kernel::V6_2.p7_syscall_clear_regs_sysctl());
    }
}
