//! Entries from EL0 and the way back: a user instruction (and the SVE access trap
//! `el0_sve_acc`), an IRQ from EL0 (a softirq, a signal's IPI), and the return to user,
//! `exit_to_user_mode()` → `do_notify_resume()` (`arch/arm64/kernel/signal.c` up to v6.2,
//! `arch/arm64/kernel/entry-common.c` in 6.12): signals one per pass, then the FP restore;
//! a reschedule pass does nothing else, except on 6.12, where the pass goes on after
//! `schedule()` with the flags read at its top.

use crate::model::event::{Event, Sig, SigAction};
use crate::model::machine::{Machine, Resume};
use crate::model::op::{Next, Reg, ReturnPoint, TrapInterrupt, UserInsn};
use crate::model::regs::Origin;
use crate::model::types::{CpuId, Curr, Level, TaskId};

impl Machine {
    /// `exit_to_user_mode()` → `do_notify_resume()`: signals first, then the FP restore.
    /// Returns whether the task got back to EL0 on `c`.
    pub(crate) fn ret_to_user(&mut self, c: CpuId, t: TaskId) -> bool {
        self.ret_to_user_retry(c, t, None)
    }

    /// A reschedule armed by `Op::CtxswPreemptReturn` for `t` at `point`.
    fn take_return_preempt(&mut self, t: TaskId, point: ReturnPoint) -> Option<Next> {
        match self.return_preempt {
            Some((task, p, next)) if task == t && p == point => {
                self.return_preempt = None;
                Some(next)
            }
            _ => None,
        }
    }

    /// Where a task switched out by a reschedule pass resumes: a new pass (up to 6.2, 6.1),
    /// or the rest of this one with the flags `top` read at its top (6.12).
    fn return_resume(&self, retry: Option<&UserInsn>, top: (bool, bool)) -> Resume {
        if self.kernel().notify_resume_schedules_within_the_pass() {
            Resume::ReturnPass {
                retry: retry.cloned(),
                signal: top.0,
                foreign: top.1,
            }
        } else {
            Resume::Return(retry.cloned())
        }
    }

    /// [`Machine::ret_to_user`] for a task that will retry `retry` once back at EL0.
    pub(crate) fn ret_to_user_retry(
        &mut self,
        c: CpuId,
        t: TaskId,
        retry: Option<&UserInsn>,
    ) -> bool {
        self.ret_to_user_from(c, t, retry, None)
    }

    /// A task switched out inside `do_notify_resume()` runs again: the loop goes on (from
    /// a new pass, or with `rest`, the flags read at the top of the pass whose `schedule()`
    /// switched it out: 6.12), then the instruction it retries, if any, runs at EL0.
    pub(crate) fn resume_return(
        &mut self,
        c: CpuId,
        t: TaskId,
        retry: Option<UserInsn>,
        rest: Option<(bool, bool)>,
    ) {
        if self.ret_to_user_from(c, t, retry.as_ref(), rest) {
            if let Some(insn) = retry {
                self.execute_insn(c, t, &insn, 1);
            }
        }
    }

    /// The return loop, from the top of a pass or (`rest`) after the `schedule()` of one.
    fn ret_to_user_from(
        &mut self,
        c: CpuId,
        t: TaskId,
        retry: Option<&UserInsn>,
        mut rest: Option<(bool, bool)>,
    ) -> bool {
        self.enter(Some(c), Some(t));
        // Borrowed: cloned only where it is kept (a frame, a switch), not on every return.
        let mut retry = retry;
        let had_retry = retry.is_some();
        // Up to 6.2 and in 6.1 a pass with _TIF_NEED_RESCHED calls schedule() and nothing
        // else; in 6.12 it goes on with the flags read at its top.
        let within = self.kernel().notify_resume_schedules_within_the_pass();
        // do_notify_resume(): each pass of its loop delivers at most one signal
        // (do_signal() → get_signal() → handle_signal() → setup_rt_frame()) and then, in the
        // same pass, reloads the FP state if the flags read at the top of the pass had
        // TIF_FOREIGN_FPSTATE; it reads the flags again and loops while work is left. So a
        // second pending signal's frame is built after the first pass's reload.
        loop {
            let (signal_at_top, foreign_at_top) = match rest.take() {
                Some(flags) => flags,
                None => {
                    let top = (
                        !self.task(t).pending.is_empty(),
                        self.task(t).tif_foreign_fpstate,
                    );
                    // A reschedule pass: schedule() first (6.12: also before the restore,
                    // which is later in the same pass).
                    let points: &[ReturnPoint] = if within {
                        &[ReturnPoint::BeforeSignal, ReturnPoint::BeforeRestore]
                    } else {
                        &[ReturnPoint::BeforeSignal]
                    };
                    for &point in points {
                        if point == ReturnPoint::BeforeSignal && !top.0 {
                            continue;
                        }
                        if let Some(next) = self.take_return_preempt(t, point) {
                            let resume = self.return_resume(retry, top);
                            self.context_switch(c, next, resume);
                            return false;
                        }
                    }
                    top
                }
            };
            if signal_at_top && !self.task(t).pending.is_empty() {
                // do_signal(): forget_syscall() before get_signal().
                self.task_mut(t).in_syscall = false;
                let sig = self.task_mut(t).pending.remove(0);
                // get_signal(): no handler means the default action, which terminates for
                // every signal the model knows.
                if sig.is_fatal() || self.task(t).sig_action(sig) == SigAction::Default {
                    self.do_exit(c, t);
                    return false;
                }
                self.setup_rt_frame(c, t, sig);
                // The frame records the interrupted PC: the instruction being retried runs
                // after sigreturn, not in the handler.
                if let Some(f) = self.task_mut(t).frames.last_mut() {
                    if f.retry.is_none() {
                        f.retry = retry.take().cloned();
                    }
                }
            }
            if !within {
                if let Some(next) = self.take_return_preempt(t, ReturnPoint::BeforeRestore) {
                    self.context_switch(c, next, Resume::Return(retry.cloned()));
                    return false;
                }
            }
            if foreign_at_top {
                self.fpsimd_restore_current_state(c, t);
            }
            if let Some(next) = self.take_return_preempt(t, ReturnPoint::AfterRestore) {
                // An IRQ set _TIF_NEED_RESCHED: the next pass opens with schedule() (6.12:
                // and goes on with the flags it read).
                let top = (
                    !self.task(t).pending.is_empty(),
                    self.task(t).tif_foreign_fpstate,
                );
                let resume = self.return_resume(retry, top);
                self.context_switch(c, next, resume);
                return false;
            }
            // 6.12: a reschedule asked for before the restore, on a task that resumed in
            // the middle of a pass (so past the top of it), comes with the next pass: the
            // loop goes on while _TIF_NEED_RESCHED is set.
            let armed = within
                && matches!(self.return_preempt,
                    Some((x, ReturnPoint::BeforeRestore, _)) if x == t);
            let task = self.task(t);
            if task.pending.is_empty() && !task.tif_foreign_fpstate && !armed {
                break;
            }
        }
        // el0_svc(): fpsimd_syscall_exit() after exit_to_user_mode() (6.12).
        self.fpsimd_syscall_exit(c);
        let task = self.task_mut(t);
        task.in_syscall = false;
        task.level = Level::User;
        // Back at EL0: the caller runs its instruction unless a signal frame took it.
        !had_retry || retry.is_some()
    }

    pub(crate) fn user_insn(
        &mut self,
        c: CpuId,
        t: TaskId,
        insn: &UserInsn,
        interrupt: TrapInterrupt,
    ) {
        self.enter(Some(c), Some(t));
        if insn.sve && !self.cpu(c).cpacr_zen_el0en {
            // el0_sve_acc: entry from EL0 (syscallno = NO_SYSCALL), IRQs unmasked.
            self.task_mut(t).in_syscall = false;
            self.do_sve_acc_alloc(t);
            match interrupt {
                TrapInterrupt::None => {}
                TrapInterrupt::KernelNeon => self.kernel_neon(c),
                TrapInterrupt::Preempt(next) => {
                    self.context_switch(c, next, Resume::SveTrap(insn.clone()));
                    return;
                }
            }
            self.enter(Some(c), Some(t));
            self.do_sve_acc_finish(c, t);
            if !self.ret_to_user_retry(c, t, Some(insn)) {
                return;
            }
        }
        self.execute_insn(c, t, insn, 1);
    }

    /// Executes a user instruction at EL0; an SVE one traps again if SVE is still
    /// disabled (which only a kernel bug can cause after a trap).
    pub(crate) fn execute_insn(&mut self, c: CpuId, t: TaskId, insn: &UserInsn, attempt: u32) {
        self.enter(Some(c), Some(t));
        if insn.sve && !self.cpu(c).cpacr_zen_el0en {
            if attempt >= 3 {
                self.step_violations
                    .push(crate::model::violation::Violation::kernel_crash(
                        "do_sve_acc",
                        format!(
                            "{}'s SVE instruction still traps after {attempt} traps",
                            self.task(t).name
                        ),
                    ));
                return;
            }
            self.task_mut(t).in_syscall = false;
            self.do_sve_acc_alloc(t);
            self.do_sve_acc_finish(c, t);
            if !self.ret_to_user_retry(c, t, Some(insn)) {
                return;
            }
            return self.execute_insn(c, t, insn, attempt + 1);
        }
        let vl = usize::from(self.rdvl(c));
        let mut buf = [0u8; crate::model::regs::ZREG_MAX_BYTES];
        for w in &insn.writes {
            let origin = Origin::Task(t);
            let regs = &mut self.cpus[usize::from(c.0)].regs;
            match w.reg {
                Reg::Z(n) => {
                    let out = &mut buf[..vl];
                    if w.value.materialise(out, t, w.reg).is_ok() {
                        regs.write_z(usize::from(n), out, origin);
                    }
                }
                Reg::P(n) => {
                    let out = &mut buf[..vl / 8];
                    if w.value.materialise(out, t, w.reg).is_ok() {
                        regs.write_p(usize::from(n), out, origin);
                    }
                }
                Reg::Ffr => {
                    let out = &mut buf[..vl / 8];
                    if w.value.materialise(out, t, w.reg).is_ok() {
                        regs.write_ffr(out, origin);
                    }
                }
                Reg::V(n) => {
                    let out = &mut buf[..16];
                    if w.value.materialise(out, t, w.reg).is_ok() {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(out);
                        regs.write_v(usize::from(n), u128::from_le_bytes(b), origin);
                    }
                }
                Reg::Fpsr | Reg::Fpcr => {
                    let out = &mut buf[..4];
                    if w.value.materialise(out, t, w.reg).is_ok() {
                        let v = u32::from_le_bytes([out[0], out[1], out[2], out[3]]);
                        if w.reg == Reg::Fpsr {
                            regs.fpsr = v;
                        } else {
                            regs.fpcr = v;
                        }
                    }
                }
            }
        }
    }

    /// A softirq using kernel-mode NEON on top of whatever runs on `c`.
    pub(crate) fn softirq_kernel_neon(&mut self, c: CpuId) {
        match self.cpu(c).curr {
            Curr::Task(t) => {
                self.enter(Some(c), Some(t));
                match self.task(t).level {
                    Level::User => {
                        // IRQ from EL0, softirq on its exit, then back to user.
                        self.task_mut(t).in_syscall = false;
                        self.emit(Event::IrqFromUser);
                        self.kernel_neon(c);
                        self.ret_to_user(c, t);
                    }
                    Level::KvmRun(v) => {
                        // On top of a VMM inside KVM_RUN: the IRQ exits the guest first,
                        // then the softirq runs (the guest's state may be bound).
                        if self.vcpu(v).in_guest {
                            self.kvm_guest_exit(c, t, v);
                        }
                        self.kernel_neon(c);
                    }
                }
            }
            _ => {
                self.enter(Some(c), None);
                self.kernel_neon(c);
            }
        }
    }

    /// `send_signal()`: queue `sig` for `target`; a target running at EL0 on another CPU
    /// is interrupted (IPI) and takes it on its way back to user. `from` is the sending
    /// task when it is `target` itself inside a syscall.
    pub(crate) fn send_signal(&mut self, target: TaskId, sig: Sig, from: Option<TaskId>) {
        self.emit_at(
            self.ctx.0,
            Some(target),
            Event::SignalSent {
                task: target,
                sig,
                forced: false,
            },
        );
        if self.task(target).sig_action(sig) == SigAction::Ignore {
            // prepare_signal() → sig_ignored(): dropped, never pending.
            return;
        }
        self.task_mut(target).pending.push(sig);
        if from == Some(target) {
            return;
        }
        if let Some(c) = self.running_on(target) {
            let saved = self.enter(Some(c), Some(target));
            match self.task(target).level {
                Level::User => {
                    self.task_mut(target).in_syscall = false;
                    self.emit(Event::IrqFromUser);
                    self.ret_to_user(c, target);
                }
                Level::KvmRun(v) => {
                    // kvm_vcpu_kick(): the IPI takes the guest out; the run loop then sees
                    // the signal before entering it again.
                    if self.vcpu(v).in_guest {
                        self.kvm_guest_exit(c, target, v);
                    }
                    self.kvm_handle_signal_exit(c, target, v);
                }
            }
            self.ctx = saved;
        }
    }

    /// `force_signal_inject()` on the current task: queued, acted on at return to user.
    pub(crate) fn send_signal_event(&mut self, t: TaskId, sig: Sig) {
        self.emit(Event::SignalSent {
            task: t,
            sig,
            forced: true,
        });
        self.task_mut(t).pending.push(sig);
    }
}
