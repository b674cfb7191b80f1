//! The small vocabulary every layer of the model shares: the ids of CPUs, tasks and vCPUs,
//! whose state a binding names, the saved register type and the level a task runs at.

use super::kernel::Kernel;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CpuId(pub u8);

/// Index of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId(pub u16);

/// Index of a vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VcpuId(pub u16);

impl fmt::Display for CpuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpu{}", self.0)
    }
}

/// Whose FP state a binding or a save refers to: a task's `thread` or a vCPU's `arch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Owner {
    /// `&task->thread.uw.fpsimd_state` (and its `sve_state`, `fp_type`).
    Task(TaskId),
    /// `&vcpu->arch.ctxt.fp_regs` (and its `sve_state`, `fp_type`).
    Vcpu(VcpuId),
}

/// `enum fp_type` (landed spelling; v1 called it `enum fp_state` and the first value
/// `FP_STATE_TASK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FpType {
    /// `FP_STATE_CURRENT` (v1: `FP_STATE_TASK`): "save based on the current task's state";
    /// valid only as `to_save`.
    Current,
    /// `FP_STATE_FPSIMD`.
    #[default]
    Fpsimd,
    /// `FP_STATE_SVE`.
    Sve,
}

impl FpType {
    /// Kernel name of the value, in the spelling of `kernel`.
    pub fn kernel_name(self, kernel: Kernel) -> &'static str {
        match self {
            FpType::Current if matches!(kernel, Kernel::SeriesV1(_)) => "FP_STATE_TASK",
            FpType::Current => "FP_STATE_CURRENT",
            FpType::Fpsimd => "FP_STATE_FPSIMD",
            FpType::Sve => "FP_STATE_SVE",
        }
    }

    /// The register format this type names, if any.
    pub fn format(self) -> Option<Format> {
        match self {
            FpType::Current => None,
            FpType::Fpsimd => Some(Format::Fpsimd),
            FpType::Sve => Some(Format::Sve),
        }
    }
}

/// Level at which a running task executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// EL0, user code.
    User,
    /// Inside `KVM_RUN` with its vCPU loaded (the guest may be running).
    KvmRun(VcpuId),
}

/// The CPU number in a name `cpuN` (N at most 3 digits), the way scripts name CPUs.
pub fn cpu_index(s: &str) -> Option<u8> {
    let n = s.strip_prefix("cpu")?;
    if n.is_empty() || n.len() > 3 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<u8>().ok()
}

/// Register format of a save, load or buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// V0–V31, FPSR, FPCR (`struct user_fpsimd_state`).
    Fpsimd,
    /// Z0–Z31, P0–P15, FFR at the VL (`sve_state`), FPSR/FPCR in `user_fpsimd_state`.
    Sve,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Fpsimd => "FPSIMD",
            Format::Sve => "SVE",
        })
    }
}

/// What a CPU is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Curr {
    /// The idle task (never owns user FP state).
    #[default]
    Idle,
    /// A kernel thread (never owns user FP state).
    Kthread,
    /// A user task.
    Task(TaskId),
}
