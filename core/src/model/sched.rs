//! Scheduling: `kernel/sched/core.c`'s `__schedule()` → `context_switch()` as the FP code
//! sees it (KVM's preempt notifiers, `__switch_to()` → `fpsimd_thread_switch()`), where a
//! switched-in task resumes, and `do_exit()`.

use crate::model::event::Event;
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::Next;
use crate::model::types::{CpuId, Curr, Level, TaskId};

impl Machine {
    /// `schedule()` on `c` from whatever runs there: a task at EL0 is preempted by an IRQ
    /// (`syscallno = NO_SYSCALL`); a VMM inside `KVM_RUN` is preempted in the kernel.
    pub(crate) fn preempt_and_switch(&mut self, c: CpuId, next: Next) {
        let resume = match self.cpu(c).curr {
            Curr::Task(p) => {
                self.enter(Some(c), Some(p));
                match self.task(p).level {
                    Level::User => {
                        self.task_mut(p).in_syscall = false;
                        self.emit(Event::IrqFromUser);
                        Resume::User
                    }
                    Level::KvmRun(v) => Resume::KvmRun(v),
                }
            }
            _ => Resume::User,
        };
        self.context_switch(c, next, resume);
    }

    /// `__schedule()` → `context_switch()` on `c`: KVM's sched-out notifier, then
    /// `__switch_to()` → `fpsimd_thread_switch()`, then `next` resumes.
    pub(crate) fn context_switch(&mut self, c: CpuId, next: Next, prev_resume: Resume) {
        let prev = self.cpu(c).curr;
        if let Curr::Task(p) = prev {
            self.enter(Some(c), Some(p));
            if let Level::KvmRun(v) = self.task(p).level {
                // Preempt notifier kvm_sched_out() → kvm_arch_vcpu_put(), before switch_to.
                self.kvm_arch_vcpu_put_fp(c, p, v);
            }
        } else {
            self.enter(Some(c), None);
        }
        self.fpsimd_thread_switch(c, next.curr());
        if let Curr::Task(p) = prev {
            self.task_mut(p).state = TaskState::Stopped(prev_resume);
        }
        self.cpu_mut(c).curr = next.curr();
        if let Next::Task(n) = next {
            self.resume(c, n);
        }
    }

    /// `next` continues on `c` from where it stopped.
    fn resume(&mut self, c: CpuId, n: TaskId) {
        self.enter(Some(c), Some(n));
        let state = std::mem::replace(&mut self.task_mut(n).state, TaskState::Running);
        let TaskState::Stopped(resume) = state else {
            return;
        };
        match resume {
            Resume::User | Resume::Fork => {
                self.ret_to_user(c, n);
            }
            Resume::Syscall => {
                // The syscall completes; the return path runs with syscallno still set.
                self.ret_to_user(c, n);
            }
            Resume::SveTrap(insn) => {
                self.do_sve_acc_finish(c, n);
                if self.ret_to_user_retry(c, n, Some(&insn)) {
                    self.execute_insn(c, n, &insn, 1);
                }
            }
            Resume::Return(retry) => self.resume_return(c, n, retry, None),
            Resume::ReturnPass {
                retry,
                signal,
                foreign,
            } => self.resume_return(c, n, retry, Some((signal, foreign))),
            Resume::KvmRunEntry(v) => {
                // KVM_RUN goes on: kvm_arch_vcpu_run_map_fp(), vcpu_load(), the run loop.
                self.kvm_run_enter(c, n, v);
            }
            Resume::KvmRun(v) => {
                // Preempt notifier kvm_sched_in() → kvm_arch_vcpu_load(); the run loop then
                // goes on, and a signal that came meanwhile ends it before the guest runs.
                self.kvm_arch_vcpu_load_fp(c, n, v);
                if !self.task(n).pending.is_empty() {
                    self.kvm_handle_signal_exit(c, n, v);
                }
            }
        }
    }

    /// `do_exit()`: the task schedules away for the last time and its state is released.
    pub(crate) fn do_exit(&mut self, c: CpuId, t: TaskId) {
        self.emit(Event::TaskExit { task: t });
        self.context_switch(c, Next::Idle, Resume::User);
        self.enter(Some(c), Some(t));
        let task = self.task_mut(t);
        task.state = TaskState::Exited;
        task.pending.clear();
        // fpsimd_release_task(): __sve_free().
        if task.sve_state.take().is_some() {
            self.emit(Event::ReleaseTask);
        }
    }
}
