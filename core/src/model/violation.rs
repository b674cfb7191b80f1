//! What a broken rule is, as data: the rule (its code is what `expect violation CODE`
//! names), and the task, CPU and kernel function involved. The checks that find them are in
//! [`super::invariants`] and [`super::oracle`].

use super::types::{CpuId, TaskId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which rule was broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// B1: a task at EL0 has its state live, bound, and `CPACR_EL1.ZEN_EL0EN == TIF_SVE`
    /// with `ZCR` at its VL.
    LiveAtEl0,
    /// B5/A6: `TIF_SVE` ⇒ `sve_state` allocated for the task's VL (v5.19–p3: except a VMM
    /// whose flag KVM borrowed).
    SveStateAllocated,
    /// A1 (patch 2+): `fp_type` of a task or vCPU is FPSIMD or SVE, never CURRENT.
    FpTypeValid,
    /// A2 (patch 2+): memory-authoritative state with `fp_type == SVE` has an `sve_state`.
    FpTypeStorage,
    /// B8: whatever a context can read is its own value or zero.
    NoLeak,
    /// A consumer trusted `sve_state` although the newest copy was saved as FPSIMD.
    StaleSveState,
    /// The kernel would crash (NULL dereference, `BUG_ON`) or loop.
    KernelCrash,
    /// A `WARN_ON`/`WARN_ON_ONCE` fired.
    Warn,
    /// ABI oracle: a task reads V0–V31 as its own history says (sve.rst §3–§7).
    VPreserved,
    /// ABI oracle: a guest reads back the V0–V31 it wrote.
    GuestStatePreserved,
}

impl Rule {
    /// Every rule: the invariants, then the ABI oracle's.
    pub const ALL: [Rule; 10] = [
        Rule::LiveAtEl0,
        Rule::SveStateAllocated,
        Rule::FpTypeValid,
        Rule::FpTypeStorage,
        Rule::NoLeak,
        Rule::StaleSveState,
        Rule::KernelCrash,
        Rule::Warn,
        Rule::VPreserved,
        Rule::GuestStatePreserved,
    ];

    /// The rule with this code (case-insensitive), as `expect violation CODE` names it.
    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// Short code used by the DSL and in reports.
    pub const fn code(self) -> &'static str {
        match self {
            Rule::LiveAtEl0 => "B1",
            Rule::SveStateAllocated => "B5",
            Rule::FpTypeValid => "A1",
            Rule::FpTypeStorage => "A2",
            Rule::NoLeak => "B8",
            Rule::StaleSveState => "stale-sve-state",
            Rule::KernelCrash => "kernel-crash",
            Rule::Warn => "warn",
            Rule::VPreserved => "abi-v",
            Rule::GuestStatePreserved => "abi-guest",
        }
    }

    /// One line on what the rule says.
    pub fn title(self) -> &'static str {
        match self {
            Rule::LiveAtEl0 => {
                "a task at EL0 runs on its own live, bound state with the SVE trap matching TIF_SVE"
            }
            Rule::SveStateAllocated => "TIF_SVE implies an sve_state sized for the task's VL",
            Rule::FpTypeValid => "fp_type is FP_STATE_FPSIMD or FP_STATE_SVE",
            Rule::FpTypeStorage => "saved state of type SVE has its sve_state",
            Rule::NoLeak => "no context reads another context's register values",
            Rule::StaleSveState => {
                "nothing trusts sve_state when the newest copy was saved as FPSIMD"
            }
            Rule::KernelCrash => "the kernel does not crash",
            Rule::Warn => "no kernel WARN fires",
            Rule::VPreserved => "V0–V31 survive everything the ABI says they survive",
            Rule::GuestStatePreserved => "a guest's registers survive everything the host does",
        }
    }
}

/// One broken rule, with the objects involved and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Violation {
    /// Which rule.
    pub rule: Rule,
    /// The task involved.
    pub task: Option<TaskId>,
    /// The CPU involved.
    pub cpu: Option<CpuId>,
    /// The kernel function where it happened (step-time violations).
    pub function: Option<crate::model::event::Text>,
    /// Why, in words.
    pub detail: String,
    /// Why, as data: what bug attribution and tests match on (never [`Violation::detail`]).
    #[serde(default)]
    pub cause: Cause,
}

/// The fact behind a violation, for the rules where the kernel's bugs differ by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Cause {
    /// Nothing beyond the rule, the function and the task.
    #[default]
    Stated,
    /// B1: the SVE trap disagrees with `TIF_SVE` for a task at EL0
    /// (`CPACR_EL1.ZEN_EL0EN` vs `TIF_SVE`).
    TrapMismatch {
        /// `CPACR_EL1.ZEN_EL0EN` on the task's CPU.
        zen_el0en: bool,
        /// The task's `TIF_SVE`.
        tif_sve: bool,
        /// The task has run a vCPU (`Task::ghost_ran_vcpu`): a KVM path of its own could
        /// have left the trap wrong. A task that never did was hit through the CPU.
        vmm: bool,
    },
    /// B1: a task at EL0 with `TIF_SVE` set (and the trap agreeing) runs at another VL
    /// than its own: `ZCR_EL1` was not set for it.
    LiveVlMismatch,
    /// A kernel crash: a NULL `sve_state` pointer dereferenced.
    NullSveState,
    /// `fpsimd_save()`'s WARN: `sve_get_vl()` differs from the bound state's `sve_vl`
    /// (followed by SIGKILL to current), while saving a guest's state (the binding names
    /// a vCPU). Files written before the task case was told apart call it `SaveVlMismatch`.
    #[serde(alias = "SaveVlMismatch")]
    GuestSaveVlMismatch,
    /// The same WARN while saving a task's state.
    TaskSaveVlMismatch,
    /// B8: a context can read a register slot holding another context's value (the first
    /// such slot; the detail lists up to four).
    Leak {
        /// The slot.
        slot: RegSlot,
    },
    /// The ABI oracle: a V register reads other than the context's own history promises
    /// (the first such register, and how many differ).
    VDiffers {
        /// The first V register that differs.
        slot: RegSlot,
        /// How many of V0–V31 differ.
        count: u8,
    },
}

/// A register slot, at the granularity the model tracks where values come from: a V
/// register (Z bits [127:0]), the bits of a Z register above 127, a P register, FFR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegSlot {
    /// `Vn` = `Zn[127:0]`.
    V(u8),
    /// `Zn` above bit 127.
    ZHigh(u8),
    /// `Pn`.
    P(u8),
    /// `FFR`.
    Ffr,
}

impl fmt::Display for RegSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegSlot::V(n) => write!(f, "V{n}"),
            RegSlot::ZHigh(n) => write!(f, "Z{n}[high]"),
            RegSlot::P(n) => write!(f, "P{n}"),
            RegSlot::Ffr => f.write_str("FFR"),
        }
    }
}

impl Violation {
    /// The register slot the violation is about, if it is about one.
    pub fn register(&self) -> Option<RegSlot> {
        match self.cause {
            Cause::Leak { slot } | Cause::VDiffers { slot, .. } => Some(slot),
            _ => None,
        }
    }

    /// The same violation with its cause as data.
    pub(crate) fn because(mut self, cause: Cause) -> Violation {
        self.cause = cause;
        self
    }

    /// A `WARN` the kernel prints at `site`, for `task` on `cpu`.
    pub(crate) fn warn(
        site: crate::model::event::WarnSite,
        task: Option<crate::model::types::TaskId>,
        cpu: Option<crate::model::types::CpuId>,
    ) -> Violation {
        Violation {
            cause: Cause::Stated,
            rule: Rule::Warn,
            task,
            cpu,
            function: Some(site.function().into()),
            detail: format!("WARN in {}: {}", site.function(), site.condition()),
        }
    }

    pub(crate) fn kernel_crash(function: &'static str, detail: String) -> Violation {
        Violation {
            cause: Cause::Stated,
            rule: Rule::KernelCrash,
            task: None,
            cpu: None,
            function: Some(function.into()),
            detail,
        }
    }

    pub(crate) fn stale_sve_state(
        task: TaskId,
        function: &'static str,
        detail: String,
    ) -> Violation {
        Violation {
            cause: Cause::Stated,
            rule: Rule::StaleSveState,
            task: Some(task),
            cpu: None,
            function: Some(function.into()),
            detail,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule.code(), self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::Cause;

    /// Traces written before the save-VL WARN told a task's state from a guest's name it
    /// `SaveVlMismatch` (then always read as the guest's): they still load.
    #[test]
    fn the_old_name_of_the_save_vl_cause_still_reads() {
        let old: Cause = serde_json::from_str("\"SaveVlMismatch\"").unwrap();
        assert_eq!(old, Cause::GuestSaveVlMismatch);
        for c in [Cause::GuestSaveVlMismatch, Cause::TaskSaveVlMismatch] {
            let text = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Cause>(&text).unwrap(), c);
        }
    }
}
