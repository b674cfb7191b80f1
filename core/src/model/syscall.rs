//! `arch/arm64/kernel/syscall.c` and the syscalls the model knows: entry
//! (`el0_svc` → `do_el0_svc` → `fp_user_discard()`; 6.12: `el0_svc` →
//! `fpsimd_syscall_enter()`), the calls, and the return.
//! fork/clone (`arch_dup_task_struct()`, `copy_thread()` in `process.c`) lives here too.

use crate::model::event::{Event, Sig, SigAction};

use crate::model::fpsimd::{EINVAL, PR_SVE_VL_LEN_MASK};
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::Syscall;
use crate::model::regs::Origin;
use crate::model::types::{CpuId, Format, FpType, TaskId};

impl Machine {
    /// `fp_user_discard()`: runs at syscall entry, IRQs masked, before `syscallno` is set.
    /// On 6.12 (398edaa12f9c) it is `fpsimd_syscall_enter()`, called from `el0_svc()`:
    /// the same flush, then this CPU's `fpsimd_last_state.to_save := FP_STATE_FPSIMD`.
    pub(crate) fn fp_user_discard(&mut self, c: CpuId, t: TaskId) {
        let k = self.kernel();
        let window = k.syscall_to_save_window();
        self.emit(if window {
            Event::FpsimdSyscallEnter
        } else {
            Event::FpUserDiscard
        });
        if k.p6_sve_kept_on_syscall() {
            // Patch 6/7: keep TIF_SVE and the EL0 enable; only zero the state not shared
            // with FPSIMD. Patch 7/7: only when abi.sve_syscall_clear_regs is 1.
            let flush = !k.p7_syscall_clear_regs_sysctl() || self.config.sve_syscall_clear_regs;
            if flush && self.task(t).tif_sve {
                let vq = self.task(t).vq();
                self.cpu_mut(c).regs.sve_flush_live(true, vq);
                self.emit(Event::SveFlushLive { vq, ffr: true });
            }
        } else {
            // v5.19: "Drop TIF_SVE... so that it can be re-enabled on next use": the live
            // registers stay as they are, the next SVE instruction traps.
            self.task_mut(t).tif_sve = false;
            self.sve_user_set(c, false);
        }
        if window {
            // Saves on this CPU may now drop the SVE-only state, until a bind or the
            // syscall's exit.
            self.cpu_mut(c).last.to_save = FpType::Fpsimd;
        }
    }

    /// `fpsimd_syscall_exit()` (6.12, 398edaa12f9c): after `exit_to_user_mode()`, this
    /// CPU's `to_save := FP_STATE_CURRENT`. Called by [`Machine::ret_to_user_retry`] on
    /// every return to EL0, and it acts (and emits its event) only when the window is still
    /// open: a task returning to EL0 without a reload still owns its CPU's binding, so an
    /// open window there can only be the one its own syscall opened (any other task's
    /// syscall entry, or any return with a reload, binds and resets it), and this return
    /// is the end of that syscall.
    pub(crate) fn fpsimd_syscall_exit(&mut self, c: CpuId) {
        if self.kernel().syscall_to_save_window() && self.cpu(c).last.to_save == FpType::Fpsimd {
            self.cpu_mut(c).last.to_save = FpType::Current;
            self.emit(Event::FpsimdSyscallExit);
        }
    }

    /// A syscall by `t`, running at EL0 on `c`. Returns `x0`, or `None` when the task did
    /// not get back to user space in this step (it yielded, exited or was killed).
    pub(crate) fn svc(&mut self, c: CpuId, t: TaskId, call: &Syscall) -> Option<i64> {
        self.enter(Some(c), Some(t));
        self.emit(Event::SyscallEnter {
            name: call.name().into(),
        });
        self.fp_user_discard(c, t);
        self.task_mut(t).in_syscall = true;
        let ret: i64 = match call {
            Syscall::Getpid => 1000 + i64::from(t.0),
            Syscall::Yield(next) => {
                self.context_switch(c, *next, Resume::Syscall);
                return None;
            }
            Syscall::PrctlSetVl { vl, flags } => {
                // sve_set_current_vl(): vl = arg & PR_SVE_VL_LEN_MASK, flags = arg & ~vl.
                let arg = vl | flags;
                let vl = arg & PR_SVE_VL_LEN_MASK;
                let flags = arg & !vl;
                let r = self.vec_set_vector_length(t, Some(c), vl, flags);
                if r < 0 {
                    r
                } else {
                    self.vec_prctl_status(t, flags)
                }
            }
            Syscall::PrctlGetVl => self.vec_prctl_status(t, 0),
            Syscall::Fork(name) => {
                let child = self.fork(c, t, name);
                1000 + i64::from(child.0)
            }
            Syscall::Exec => {
                self.fpsimd_flush_thread(t);
                let task = self.task_mut(t);
                task.frames.clear();
                // flush_signal_handlers(current, 0): handlers back to SIG_DFL, SIG_IGN kept.
                for a in &mut task.sig_actions {
                    if *a == SigAction::Handle {
                        *a = SigAction::Default;
                    }
                }
                0
            }
            Syscall::Sigaction(sig, action) => {
                let i = usize::from(*sig == Sig::Usr2);
                self.task_mut(t).sig_actions[i] = *action;
                0
            }
            Syscall::Sigreturn(edit) => self.rt_sigreturn(c, t, edit),
            Syscall::Kill(target, sig) => {
                self.send_signal(*target, *sig, Some(t));
                0
            }
            Syscall::Exit => {
                self.do_exit(c, t);
                return None;
            }
            Syscall::KernelNeon => {
                self.kernel_neon(c);
                0
            }
            Syscall::KvmRun(v) => {
                self.kvm_run_enter(c, t, *v);
                return None;
            }
            Syscall::KvmRunPreempted { vcpu, next } => {
                // Preempted in kvm_vcpu_ioctl() before kvm_arch_vcpu_ioctl_run()'s
                // vcpu_load(): the switch saves the VMM's state as any switch inside a
                // syscall does.
                self.context_switch(c, *next, Resume::KvmRunEntry(*vcpu));
                return None;
            }
        };
        if !self.task(t).alive() {
            return None;
        }
        self.task_mut(t).x0 = ret;
        let retry = self.sigreturn_retry.take();
        if self.ret_to_user_retry(c, t, retry.as_ref()) {
            if let Some(insn) = retry {
                // sigreturn went back to an instruction whose trap a signal had interrupted.
                self.execute_insn(c, t, &insn, 1);
            }
        }
        if self.running_on(t) == Some(c) {
            Some(ret)
        } else {
            None
        }
    }

    /// `copy_process()` → `arch_dup_task_struct()` + `copy_thread()`.
    fn fork(&mut self, c: CpuId, parent: TaskId, name: &str) -> TaskId {
        // arch_dup_task_struct(): "if (current->mm) fpsimd_preserve_current_state()".
        self.fpsimd_preserve_current_state(c);
        let child = TaskId(self.tasks.len() as u16);
        let mut task = self.task(parent).clone();
        task.name = name.into();
        // dst->thread.sve_state = NULL; clear_tsk_thread_flag(dst, TIF_SVE).
        task.sve_state = None;
        task.tif_sve = false;
        task.sve_generation = 0;
        if self.kernel().p2_fp_type() {
            // Patch 2/7.
            task.fp_type = FpType::Fpsimd;
        }
        task.ghost_v_newest = Format::Fpsimd;
        task.ghost_ran_vcpu = false;
        task.pending.clear();
        task.counters = Default::default();
        // The child's copy of the FPSIMD state (and of the signal frames on its stack) is
        // the child's own from now on.
        let retag = |o: &mut Origin| {
            if *o == Origin::Task(parent) {
                *o = Origin::Task(child);
            }
        };
        task.fpsimd_state.origin.iter_mut().for_each(retag);
        for f in &mut task.frames {
            if let Some(st) = f.fpsimd.as_mut() {
                st.origin.iter_mut().for_each(retag);
            }
            if let Some(buf) = f.sve.as_mut().and_then(|s| s.payload.as_mut()) {
                let o = &mut *buf.origin;
                o.z_lo
                    .iter_mut()
                    .chain(o.z_hi.iter_mut())
                    .chain(o.p.iter_mut())
                    .for_each(retag);
                retag(&mut o.ffr);
            }
        }
        task.state = TaskState::Stopped(Resume::Fork);
        task.x0 = 0;
        self.tasks.push(task);
        self.emit(Event::DupTaskStruct { child });
        // copy_thread(): fpsimd_flush_task_state(p).
        self.fpsimd_flush_task_state(child);
        child
    }
}

/// `-EINVAL` as a syscall return value.
pub const RET_EINVAL: i64 = -EINVAL;
