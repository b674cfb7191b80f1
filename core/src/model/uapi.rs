//! The user ABI's layouts, as `uapi/asm/sigcontext.h` and `uapi/asm/ptrace.h` define them:
//! the SVE record of a signal frame and the `NT_ARM_SVE` regset header and payload.

use super::regs::{sve_sig_regs_size, SveBuf, UserFpsimdState};
use super::types::TaskId;
use crate::model::event::Sig;
use serde::{Deserialize, Serialize};

/// `sizeof(struct sve_context)`: the record header.
pub const SVE_CONTEXT_HEADER: u32 = 16;

/// `SVE_SIG_CONTEXT_SIZE(vq)`.
pub fn sve_sig_context_size(vq: usize) -> u32 {
    SVE_CONTEXT_HEADER + sve_sig_regs_size(vq) as u32
}

/// The `sve_context` record of a frame.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SveRecord {
    /// `vl` in bytes.
    pub vl: u16,
    /// `head.size`.
    pub size: u32,
    /// Z/P/FFR at `vq(vl)`, when present.
    pub payload: Option<SveBuf>,
}

/// A signal frame on the user stack (the FP parts of `struct rt_sigframe`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SigFrame {
    /// The signal it was built for.
    pub sig: Sig,
    /// `fpsimd_context` (mandatory for sigreturn).
    pub fpsimd: Option<UserFpsimdState>,
    /// `sve_context`.
    pub sve: Option<SveRecord>,
    /// The interrupted `x0`, restored by sigreturn.
    pub x0: i64,
    /// The instruction at the interrupted PC when the signal arrived as an SVE trap
    /// returned: it runs again after sigreturn, not in the handler.
    #[serde(default)]
    pub retry: Option<crate::model::op::UserInsn>,
}

/// `SVE_PT_REGS_SVE` in `user_sve_header.flags`.
pub const SVE_PT_REGS_SVE: u16 = 1;

/// `SVE_PT_VL_INHERIT`.
pub const SVE_PT_VL_INHERIT: u16 = 2;

/// `SVE_PT_VL_ONEXEC`.
pub const SVE_PT_VL_ONEXEC: u16 = 4;

/// `SVE_PT_SIZE(vq, flags)`.
pub fn sve_pt_size(vq: usize, sve: bool) -> u32 {
    if sve {
        32 + (sve_sig_regs_size(vq) as u32).div_ceil(16) * 16
    } else {
        16 + 528
    }
}

/// `struct user_sve_header`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SveHeader {
    /// `size`.
    pub size: u32,
    /// `max_size`.
    pub max_size: u32,
    /// `vl` (bytes).
    pub vl: u16,
    /// `max_vl` (bytes).
    pub max_vl: u16,
    /// `flags`.
    pub flags: u16,
}

/// What a GETREGSET returned to the tracer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegsetDump {
    /// Which task.
    pub task: TaskId,
    /// `NT_ARM_SVE` header (absent for `NT_PRFPREG`).
    pub header: Option<SveHeader>,
    /// FPSIMD payload.
    pub fpsimd: Option<UserFpsimdState>,
    /// SVE payload (Z/P/FFR).
    pub sve: Option<SveBuf>,
}
