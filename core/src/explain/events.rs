//! One line per event saying what the kernel function does and why it matters, for a
//! step's event list (the playground's events panel). The match is exhaustive: a new event
//! does not compile until it is explained here.

use crate::model::event::Event;
use crate::model::types::Format;

/// What `e` means, in one line.
pub fn event_line(e: &Event) -> &'static str {
    match e {
        Event::SveAccessTrap => {
            "EL0 ran an SVE instruction with CPACR_EL1.ZEN_EL0EN clear, so it trapped to the kernel"
        }
        Event::SveAlloc { fresh: true, .. } => {
            "allocates the task's sve_state buffer (kzalloc): room for Z0-Z31, P0-P15 and FFR at its VL"
        }
        Event::SveAlloc { fresh: false, .. } => {
            "zeroes the task's existing sve_state buffer (memset): the cost the series removes from the loop"
        }
        Event::SveAllocKept => "found the buffer already allocated and kept its contents",
        Event::SveFree => "frees the task's sve_state buffer",
        Event::SveInitRegs { live: true } => {
            "the registers are live: zero the SVE-only bits (sve_flush_live) and keep them bound"
        }
        Event::SveInitRegs { live: false } => {
            "the state is in memory: widen the saved V registers into sve_state (fpsimd_to_sve)"
        }
        Event::SveFlushLive { .. } => {
            "zeroes Z bits above 127, P0-P15 (and FFR): what the ABI lets a syscall discard"
        }
        Event::FpsimdSave {
            format: Format::Sve,
            ..
        } => "stores the live registers to memory in SVE format (Z, P, FFR into sve_state)",
        Event::FpsimdSave {
            format: Format::Fpsimd,
            ..
        } => "stores the live registers to memory in FPSIMD format (V0-V31, FPSR, FPCR only)",
        Event::TaskFpsimdLoad {
            format: Format::Sve,
            ..
        } => "loads the task's saved state into the registers in SVE format",
        Event::TaskFpsimdLoad {
            format: Format::Fpsimd,
            ..
        } => "loads the task's saved V0-V31/FPSR/FPCR; Z above bit 127 and P/FFR become zero",
        Event::BindTaskToCpu => {
            "records in fpsimd_last_state that this CPU's registers now hold the current task's state"
        }
        Event::BindStateToCpu { .. } => {
            "binds foreign state (a vCPU's) to this CPU so the kernel saves it before reusing the registers"
        }
        Event::FlushTaskState { .. } => {
            "forgets where the task's registers live: its next return to user must reload them from memory"
        }
        Event::FlushCpuState => {
            "forgets whose state this CPU's registers hold (fpsimd_last_state.st = NULL)"
        }
        Event::CpacrWrite { zen_el0en: true } => {
            "lets EL0 run SVE without trapping (CPACR_EL1.ZEN_EL0EN = 1)"
        }
        Event::CpacrWrite { zen_el0en: false } => {
            "makes the next SVE instruction at EL0 trap (CPACR_EL1.ZEN_EL0EN = 0)"
        }
        Event::ZcrWrite { .. } => "sets the CPU's vector length (ZCR_EL1.LEN = VQ - 1)",
        Event::FpUserDiscard => {
            "syscall entry: the ABI lets the kernel drop the SVE-only state here; v5.19 drops SVE entirely"
        }
        Event::FpsimdSyscallEnter => {
            "6.12 syscall entry: zero the SVE-only state and save only FPSIMD until a reload or exit"
        }
        Event::FpsimdSyscallExit => {
            "6.12 syscall exit: saves follow TIF_SVE again (fpsimd_last_state.to_save = CURRENT)"
        }
        Event::SyscallEnter { .. } => "the task entered the kernel with SVC",
        Event::IrqFromUser => "an interrupt took the task from EL0 (not a syscall)",
        Event::ThreadSwitch { .. } => {
            "on a context switch: decides whether the incoming task's registers are still loaded here"
        }
        Event::SveToFpsimd { .. } => "copies Z bits [127:0] from sve_state into the FPSIMD save area",
        Event::FpsimdToSve { .. } => "copies the saved V registers into bits [127:0] of sve_state",
        Event::SveSyncFromFpsimdZeropad { .. } => {
            "zeroes sve_state, then inserts the saved V registers"
        }
        Event::Warn { .. } => "a WARN_ON fired: the kernel found its own state inconsistent",
        Event::SignalSent { .. } => "a signal was queued for the task",
        Event::SignalDelivered { .. } => {
            "built a signal frame on the user stack, saving the FP/SVE registers into it"
        }
        Event::Sigreturn { .. } => "restores the FP/SVE registers from the signal frame",
        Event::KernelNeon => {
            "the kernel borrowed the FP/SIMD registers (crypto, checksums): user state saved first"
        }
        Event::CpuPmEnter => "the CPU is going into a low-power state: save and forget its registers",
        Event::CpuDead => "the CPU went offline: nobody's state is in its registers any more",
        Event::FlushThread => "exec: the task starts with zeroed FP state and no SVE",
        Event::DupTaskStruct { .. } => "fork: the child gets a copy of the parent's saved FP state",
        Event::VlChange { .. } => "the task's SVE vector length changed (prctl or exec)",
        Event::ReleaseTask => "the exiting task's SVE buffer is released",
        Event::Ptrace { .. } => "a debugger read or wrote the task's FP/SVE registers",
        Event::FpsimdKvmPrepare { .. } => {
            "patch 1: before running a guest, drop the VMM's SVE state (convert to FPSIMD)"
        }
        Event::KvmVcpuLoadFp { .. } => "KVM_RUN loads the vCPU: records who owns the FP registers",
        Event::KvmGuestEnter { .. } => "entering the guest: set up FP traps for it",
        Event::KvmHypHandleFpsimd { .. } => {
            "the guest's first FP/SVE use trapped to the hypervisor, which switches the registers to it"
        }
        Event::KvmInjectUndef { .. } => "the guest has no SVE: its SVE instruction is UNDEFINED",
        Event::KvmSignalExit { .. } => {
            "a signal is pending for the VMM: KVM_RUN returns -EINTR before the guest runs again"
        }
        Event::KvmGuestExit { .. } => {
            "guest exit: if the guest's state is live, bind it to the CPU so it is saved later"
        }
        Event::KvmVcpuPutFp { .. } => "the vCPU is put: the host takes the FP registers back",
        Event::KvmTifSveWrite { .. } => {
            "KVM writes the VMM thread's TIF_SVE (the borrowing patch 4 removes)"
        }
        Event::TaskExit { .. } => "the task exited",
        Event::FpTypeWrite { .. } => {
            "patch 2: records which format the saved state is in (fp_type)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_explanation_is_one_line() {
        let events = [
            Event::SveAccessTrap,
            Event::SveAlloc {
                bytes: 10,
                fresh: false,
            },
            Event::FpUserDiscard,
            Event::CpacrWrite { zen_el0en: false },
            Event::KernelNeon,
        ];
        for e in &events {
            let x = event_line(e);
            assert!(!x.is_empty() && !x.contains('\n'));
            assert!(x.len() < 110, "{x}");
        }
        assert!(event_line(&Event::SveAccessTrap).contains("trapped"));
    }
}
