//! The state of a vCPU as `struct kvm_vcpu_arch` keeps it (the parts that matter), and how
//! KVM runs (VHE or nVHE). The transitions that change it are in [`super::kvm`].

use super::kernel::Kernel;
use super::regs::{SveBuf, UserFpsimdState};
use super::types::{FpType, TaskId};
use serde::{Deserialize, Serialize};

/// Host kernel mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum KvmMode {
    /// VHE: the host runs at EL2; `CPACR_EL1` accesses are `CPTR_EL2`; hyp resets it to
    /// `CPACR_EL1_DEFAULT` (EL0 SVE disabled) on every guest exit.
    #[default]
    Vhe,
    /// nVHE: the host runs at EL1; hyp traps the guest with `CPTR_EL2` and leaves the
    /// host's `CPACR_EL1` alone.
    Nvhe,
}

/// Who owns the FP registers while a vCPU is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FpOwner {
    /// Neither flag / `FP_STATE_FREE`: the registers hold nothing that must be saved.
    #[default]
    Free,
    /// `FP_HOST` / `FP_STATE_HOST_OWNED`: the VMM's user state is live; hyp saves its
    /// FPSIMD view before loading the guest's.
    Host,
    /// `FP_ENABLED` / `FP_STATE_GUEST_OWNED`: the guest's state is in the registers.
    Guest,
}

impl FpOwner {
    /// How `kernel` spells this state: Marc Zyngier's tristate `fp_state` from v6.0
    /// (`FP_STATE_FREE`, `FP_STATE_HOST_OWNED`, `FP_STATE_GUEST_OWNED`), the two flags
    /// `FP_HOST` and `FP_ENABLED` before it. `expect V0.fp_owner == NAME` takes every
    /// spelling (`crate::dsl::vocab::NAMED_VALUES`).
    pub fn kernel_name(self, kernel: Kernel) -> &'static str {
        match (self, kernel.kvm_fp_ownership_tristate()) {
            (FpOwner::Free, true) => "FP_STATE_FREE",
            (FpOwner::Host, true) => "FP_STATE_HOST_OWNED",
            (FpOwner::Guest, true) => "FP_STATE_GUEST_OWNED",
            (FpOwner::Free, false) => "neither FP_HOST nor FP_ENABLED",
            (FpOwner::Host, false) => "FP_HOST",
            (FpOwner::Guest, false) => "FP_ENABLED",
        }
    }
}

/// A vCPU (`struct kvm_vcpu_arch`, the FP parts).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vcpu {
    /// Name used by scripts.
    pub name: crate::model::types::Name,
    /// `vcpu_has_sve()` (`GUEST_HAS_SVE`).
    pub has_sve: bool,
    /// `sve_max_vl` in bytes.
    pub sve_max_vl: u16,
    /// `ctxt.fp_regs`.
    pub fp_regs: UserFpsimdState,
    /// `sve_state`, sized for `sve_max_vl` (allocated at finalize when the guest has SVE).
    pub sve_state: Option<SveBuf>,
    /// The guest's `ZCR_EL1.LEN`, saved on put.
    pub zcr_el1: u8,
    /// The VL (bytes) the guest set in its own `ZCR_EL1` (`guest-zcr`); `None`: it runs at
    /// `sve_max_vl`, as the model's guests do unless a script lowers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_vl: Option<u16>,
    /// `fp_type` (patch 2+).
    pub fp_type: FpType,
    /// `FP_ENABLED`/`FP_HOST` or the tristate.
    pub fp_owner: FpOwner,
    /// `HOST_SVE_ENABLED`: `CPACR_EL1.ZEN_EL0EN` as sampled at load.
    pub host_sve_enabled: bool,
    /// `FP_FOREIGN_FPSTATE` mirror (v5.19, v1 series).
    pub fp_foreign_fpstate: bool,
    /// `host_fpsimd_state`: the VMM task mapped by `kvm_arch_vcpu_run_map_fp()`.
    pub vmm: Option<TaskId>,
    /// The guest is executing (between entry and exit).
    pub in_guest: bool,
}

impl Vcpu {
    /// The VL (bytes) the guest's SVE instructions run at: what it set in its `ZCR_EL1`, or
    /// its maximum.
    pub fn guest_sve_vl(&self) -> u16 {
        self.guest_vl.unwrap_or(self.sve_max_vl)
    }
}
