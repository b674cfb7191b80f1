//! `arch/arm64/kernel/fpsimd.c`: the lazy FPSIMD/SVE context switch.
//!
//! Every function here is named after the kernel function it models and follows its
//! v5.19-rc1 body; where a patch of the series changes it, the change is an `if` on a
//! [`Kernel`](crate::model::kernel::Kernel) gate that names the patch. Functions that act "on
//! current" take the CPU they run on; the current task is that CPU's [`Curr`].
//!
//! The model executes each kernel primitive atomically. That matches the kernel, which runs
//! them inside `get_cpu_fpsimd_context()` (softirqs off) or with IRQs masked; the places
//! where the kernel *can* be interrupted (between `sve_alloc()` and the context lock in
//! `do_sve_acc()`, say) are explicit interrupt points of the operations in [`crate::model::ops`].

use crate::model::event::{Event, Sig, WarnSite};

use crate::model::machine::{LastState, Machine, SveRef, Task};
use crate::model::regs::{sve_sig_regs_size, sve_vq_from_vl, Origin, SveBuf, UserFpsimdState};
use crate::model::types::{CpuId, Curr, Format, FpType, Owner, TaskId};
use crate::model::vcpu::Vcpu;
use crate::model::violation::{Cause, Violation};

/// Bytes `fpsimd_save_state()`/`fpsimd_load_state()` move: Q0–Q31, FPSR, FPCR.
pub const FPSIMD_REGS_BYTES: usize = 32 * 16 + 8;

/// Bytes an SVE-format save or load moves at `vq`: Z, P, FFR plus FPSR/FPCR.
pub fn sve_regs_bytes(vq: usize) -> usize {
    sve_sig_regs_size(vq) + 8
}

/// Mutable access to the three pieces of an owner's saved FP state.
pub(crate) struct FpStore<'a> {
    pub st: &'a mut UserFpsimdState,
    pub sve: Option<&'a mut SveBuf>,
    pub fp_type: &'a mut FpType,
    pub ghost: Option<&'a mut Format>,
}

pub(crate) fn fp_store<'a>(
    tasks: &'a mut [Task],
    vcpus: &'a mut [Vcpu],
    owner: Owner,
) -> FpStore<'a> {
    match owner {
        Owner::Task(t) => {
            let t = &mut tasks[usize::from(t.0)];
            FpStore {
                st: &mut t.fpsimd_state,
                sve: t.sve_state.as_mut(),
                fp_type: &mut t.fp_type,
                ghost: Some(&mut t.ghost_v_newest),
            }
        }
        Owner::Vcpu(v) => {
            let v = &mut vcpus[usize::from(v.0)];
            FpStore {
                st: &mut v.fp_regs,
                sve: v.sve_state.as_mut(),
                fp_type: &mut v.fp_type,
                ghost: None,
            }
        }
    }
}

impl Machine {
    /// The VL in bytes that `RDVL`/`sve_get_vl()` returns on `c` right now.
    pub fn rdvl(&self, c: CpuId) -> u16 {
        (u16::from(self.cpu(c).zcr_len) + 1) * 16
    }

    /// The allocation `sve_state` of `owner` now has, as a binding would record it.
    pub(crate) fn sve_ref(&self, owner: Owner) -> Option<SveRef> {
        let buf = match owner {
            Owner::Task(t) => self.task(t).sve_state.as_ref(),
            Owner::Vcpu(v) => self.vcpu(v).sve_state.as_ref(),
        };
        buf.map(|b| SveRef {
            owner,
            generation: b.generation,
        })
    }

    /// `sve_user_enable()` / `sve_user_disable()`: `sysreg_clear_set(cpacr_el1, …)`, which
    /// writes only when the value changes.
    pub(crate) fn sve_user_set(&mut self, c: CpuId, enable: bool) {
        if self.cpu(c).cpacr_zen_el0en != enable {
            self.cpu_mut(c).cpacr_zen_el0en = enable;
            self.emit(Event::CpacrWrite { zen_el0en: enable });
        }
    }

    /// `sve_set_vq(vq - 1)` (`sve_load_vq`): writes `ZCR_EL1` only when LEN changes.
    pub(crate) fn sve_set_vq(&mut self, c: CpuId, vq: usize) {
        let len = (vq.max(1) - 1) as u8;
        if self.cpu(c).zcr_len != len {
            let cpu = self.cpu_mut(c);
            cpu.zcr_len = len;
            cpu.regs.set_vq(vq);
            self.emit(Event::ZcrWrite { len });
        }
    }

    /// `fpsimd_save()`: store the registers to wherever `fpsimd_last_state` says, unless
    /// current's state is foreign. Flags come from current, pointers from the binding —
    /// which is what lets KVM redirect the save to a vCPU.
    pub(crate) fn fpsimd_save(&mut self, c: CpuId) {
        // The idle task and kernel threads never bind: fpsimd_thread_switch() always gives
        // them TIF_FOREIGN_FPSTATE, so nothing is saved on their behalf.
        let Curr::Task(cur) = self.cpu(c).curr else {
            return;
        };
        let t = self.task(cur);
        if t.tif_foreign_fpstate {
            return;
        }
        let k = self.kernel();
        let last = self.cpu(c).last.clone();
        let Some(owner) = last.st else {
            self.step_violations.push(Violation::kernel_crash(
                "fpsimd_save",
                format!(
                    "{} has TIF_FOREIGN_FPSTATE clear but fpsimd_last_state.st is NULL on {c}: NULL pointer dereference",
                    t.name
                ),
            ));
            return;
        };
        // Patch 6/7: "If a task is in a syscall the ABI allows us to only preserve the
        // state shared with FPSIMD". 398edaa12f9c (6.12) drops the in_syscall() clause:
        // the to_save window opened at syscall entry says FPSIMD instead, until a bind.
        let in_syscall_discards =
            k.p6_sve_kept_on_syscall() && !k.syscall_to_save_window() && t.in_syscall;
        let task_sve = t.tif_sve && !in_syscall_discards;
        let save_sve = if k.p4_save_by_to_save() {
            // Patch 4/7: the binding says what to save; TIF_SVE only for the task's own state.
            match last.to_save {
                FpType::Current => task_sve,
                FpType::Sve => true,
                FpType::Fpsimd => false,
            }
        } else {
            t.tif_sve
        };
        if k.p3_to_save() && !k.p4_save_by_to_save() {
            // Patch 3/7: to_save is only validated against TIF_SVE.
            match last.to_save {
                FpType::Fpsimd if save_sve => self.warn(WarnSite::SaveToSaveFpsimdButTifSve),
                FpType::Sve if !save_sve => self.warn(WarnSite::SaveToSaveSveButNoTifSve),
                _ => {}
            }
        }
        let format = if save_sve {
            let vl = last.sve_vl;
            if self.rdvl(c) != vl {
                // "Can't save the user regs, so current would re-enter user with corrupt
                // state. There's no way to recover, so kill it."
                let whose = match owner {
                    Owner::Vcpu(_) => Cause::GuestSaveVlMismatch,
                    Owner::Task(_) => Cause::TaskSaveVlMismatch,
                };
                self.warn_because(WarnSite::FpsimdSaveVlMismatch, whose);
                self.send_signal_event(cur, Sig::Kill);
                return;
            }
            let current_ref = self.sve_ref(owner);
            match last.sve_state {
                Some(r) if Some(r) == current_ref => {}
                other => {
                    let what = if other.is_none() {
                        "the binding's sve_state pointer is NULL: NULL pointer dereference"
                    } else {
                        "the binding's sve_state was freed: use after free"
                    };
                    let cause = if other.is_none() {
                        Cause::NullSveState
                    } else {
                        Cause::Stated
                    };
                    self.step_violations.push(
                        Violation::kernel_crash(
                            "fpsimd_save",
                            format!("SVE-format save on {c}: {what}"),
                        )
                        .because(cause),
                    );
                    return;
                }
            }
            let regs = &self.cpus[usize::from(c.0)].regs;
            let store = fp_store(&mut self.tasks, &mut self.vcpus, owner);
            let buf = store.sve.expect("checked above");
            if buf.vq != sve_vq_from_vl(vl) {
                self.step_violations.push(Violation::kernel_crash(
                    "fpsimd_save",
                    format!("SVE save at VL {vl} into a buffer sized for VQ {}", buf.vq),
                ));
                return;
            }
            regs.save_sve(buf, store.st);
            if let Some(g) = store.ghost {
                *g = Format::Sve;
            }
            Format::Sve
        } else {
            let regs = &self.cpus[usize::from(c.0)].regs;
            let store = fp_store(&mut self.tasks, &mut self.vcpus, owner);
            regs.save_fpsimd(store.st);
            if let Some(g) = store.ghost {
                *g = Format::Fpsimd;
            }
            Format::Fpsimd
        };
        let bytes = match format {
            Format::Sve => sve_regs_bytes(sve_vq_from_vl(last.sve_vl)),
            Format::Fpsimd => FPSIMD_REGS_BYTES,
        };
        self.emit(Event::FpsimdSave {
            owner,
            format,
            bytes,
        });
        if k.p2_fp_type() {
            // Patch 2/7: record what was saved in the owner's fp_type.
            if let Some(ft_owner) = last.fp_type {
                let value = match format {
                    Format::Sve => FpType::Sve,
                    Format::Fpsimd => FpType::Fpsimd,
                };
                *fp_store(&mut self.tasks, &mut self.vcpus, ft_owner).fp_type = value;
            }
        }
    }

    /// `task_fpsimd_load()`: load current's saved state into the registers.
    pub(crate) fn task_fpsimd_load(&mut self, c: CpuId, cur: TaskId) {
        let k = self.kernel();
        let restore_sve = if k.p5_load_by_fp_type() {
            // Patch 5/7: the recorded type decides, and TIF_SVE follows it.
            match self.task(cur).fp_type {
                FpType::Fpsimd => {
                    // "Stop tracking SVE for this task until next use."
                    if std::mem::replace(&mut self.task_mut(cur).tif_sve, false) {
                        self.sve_user_set(c, false);
                    }
                    false
                }
                FpType::Sve => {
                    let was = std::mem::replace(&mut self.task_mut(cur).tif_sve, true);
                    if was {
                        self.sve_user_set(c, true);
                    } else {
                        self.warn(WarnSite::LoadSveTifSveClear);
                    }
                    true
                }
                FpType::Current => {
                    self.warn(WarnSite::LoadFpsimdButFpTypeSve);
                    self.task_mut(cur).tif_sve = false;
                    false
                }
            }
        } else {
            self.task(cur).tif_sve
        };
        let vq = self.task(cur).vq();
        if restore_sve {
            if k.p2_fp_type() && self.task(cur).fp_type != FpType::Sve {
                // Patch 2/7 sanity check.
                self.warn(WarnSite::LoadSveButFpTypeFpsimd);
            }
            self.sve_set_vq(c, vq);
            self.report_stale_sve_read(cur, "task_fpsimd_load");
            let t = &self.tasks[usize::from(cur.0)];
            let Some(buf) = t.sve_state.as_ref() else {
                self.step_violations.push(Violation::kernel_crash(
                    "task_fpsimd_load",
                    format!("{}: SVE load with sve_state NULL", t.name),
                ));
                return;
            };
            self.cpus[usize::from(c.0)]
                .regs
                .load_sve(buf, &t.fpsimd_state);
            self.emit(Event::TaskFpsimdLoad {
                format: Format::Sve,
                bytes: sve_regs_bytes(vq),
            });
        } else {
            if k.p2_fp_type() && self.task(cur).fp_type != FpType::Fpsimd {
                self.warn(WarnSite::LoadFpsimdButFpTypeSve);
            }
            let t = &self.tasks[usize::from(cur.0)];
            self.cpus[usize::from(c.0)]
                .regs
                .load_fpsimd(&t.fpsimd_state);
            self.emit(Event::TaskFpsimdLoad {
                format: Format::Fpsimd,
                bytes: FPSIMD_REGS_BYTES,
            });
        }
    }

    /// `fpsimd_bind_task_to_cpu()`: the registers now hold current's state; set the EL0
    /// SVE trap from `TIF_SVE`.
    pub(crate) fn fpsimd_bind_task_to_cpu(&mut self, c: CpuId, cur: TaskId) {
        let k = self.kernel();
        let owner = Owner::Task(cur);
        let last = LastState {
            st: Some(owner),
            sve_state: self.sve_ref(owner),
            sve_vl: self.task(cur).vl,
            // Patch 2/7: the binding points at the owner's fp_type.
            fp_type: k.p2_fp_type().then_some(owner),
            // Patch 3/7: a task binding saves "based on current".
            to_save: FpType::Current,
        };
        self.cpu_mut(c).last = last;
        self.task_mut(cur).fpsimd_cpu = Some(c);
        self.emit(Event::BindTaskToCpu);
        let sve = self.task(cur).tif_sve;
        self.sve_user_set(c, sve);
    }

    /// `fpsimd_flush_task_state(t)`: invalidate every CPU's copy of t's state.
    pub(crate) fn fpsimd_flush_task_state(&mut self, t: TaskId) {
        let task = self.task_mut(t);
        task.fpsimd_cpu = None;
        task.tif_foreign_fpstate = true;
        self.emit(Event::FlushTaskState { task: t });
    }

    /// `fpsimd_flush_cpu_state()`: the registers hold nobody's state any more.
    pub(crate) fn fpsimd_flush_cpu_state(&mut self, c: CpuId) {
        self.cpu_mut(c).last.st = None;
        if let Curr::Task(t) = self.cpu(c).curr {
            self.task_mut(t).tif_foreign_fpstate = true;
        }
        self.emit(Event::FlushCpuState);
    }

    /// `fpsimd_save_and_flush_cpu_state()`.
    pub(crate) fn fpsimd_save_and_flush_cpu_state(&mut self, c: CpuId) {
        self.fpsimd_save(c);
        self.fpsimd_flush_cpu_state(c);
    }

    /// `fpsimd_restore_current_state()` (from `do_notify_resume()`): reload and rebind if
    /// the registers don't hold current's newest state.
    pub(crate) fn fpsimd_restore_current_state(&mut self, c: CpuId, cur: TaskId) {
        if std::mem::replace(&mut self.task_mut(cur).tif_foreign_fpstate, false) {
            self.task_fpsimd_load(c, cur);
            self.fpsimd_bind_task_to_cpu(c, cur);
        }
    }

    /// `fpsimd_update_current_state(state)` (sigreturn): install new FPSIMD values, merge
    /// them into `sve_state` if `TIF_SVE` (c94f2f326146: if `fp_type` is SVE), load and
    /// bind eagerly.
    pub(crate) fn fpsimd_update_current_state(
        &mut self,
        c: CpuId,
        cur: TaskId,
        state: UserFpsimdState,
    ) {
        let k = self.kernel();
        let t = self.task_mut(cur);
        t.fpsimd_state = state;
        t.ghost_v_newest = Format::Fpsimd;
        let merge = if k.update_current_state_by_fp_type() {
            t.fp_type == FpType::Sve
        } else {
            t.tif_sve
        };
        if merge {
            self.fpsimd_to_sve(cur);
        }
        self.task_fpsimd_load(c, cur);
        self.fpsimd_bind_task_to_cpu(c, cur);
        self.task_mut(cur).tif_foreign_fpstate = false;
    }

    /// `fpsimd_preserve_current_state()`: save current's live registers.
    pub(crate) fn fpsimd_preserve_current_state(&mut self, c: CpuId) {
        self.fpsimd_save(c);
    }

    /// `sve_alloc(task)` (v6.2: `sve_alloc(task, flush)`): allocate a zeroed `sve_state`
    /// for the task's VL, or zero the existing one.
    pub(crate) fn sve_alloc(&mut self, t: TaskId, flush: bool) {
        let zero_existing = !self.kernel().sve_alloc_has_flush_arg() || flush;
        let task = self.task_mut(t);
        let vq = task.vq();
        if let Some(buf) = task.sve_state.as_mut() {
            if zero_existing {
                buf.zero();
                let bytes = buf.bytes.len();
                self.emit(Event::SveAlloc {
                    bytes,
                    fresh: false,
                });
            } else {
                self.emit(Event::SveAllocKept);
            }
            return;
        }
        task.sve_generation += 1;
        task.sve_state = Some(SveBuf::zeroed(vq, task.sve_generation));
        self.emit(Event::SveAlloc {
            bytes: sve_sig_regs_size(vq),
            fresh: true,
        });
    }

    /// `sve_free(task)`.
    pub(crate) fn sve_free(&mut self, t: TaskId) {
        if self.task(t).tif_sve {
            self.warn(WarnSite::SveFreeWithTifSve);
        }
        if self.task_mut(t).sve_state.take().is_some() {
            self.emit(Event::SveFree);
        }
    }

    /// `fpsimd_to_sve(task)`: V0–V31 into bits [127:0] of `sve_state`.
    pub(crate) fn fpsimd_to_sve(&mut self, t: TaskId) {
        let task = self.task_mut(t);
        let Some(buf) = task.sve_state.as_mut() else {
            let name = task.name.clone();
            self.step_violations.push(Violation::kernel_crash(
                "fpsimd_to_sve",
                format!("{name}: sve_state is NULL"),
            ));
            return;
        };
        for n in 0..32 {
            buf.set_v(n, task.fpsimd_state.vregs[n], task.fpsimd_state.origin[n]);
        }
        task.ghost_v_newest = Format::Sve;
        self.emit(Event::FpsimdToSve { task: t });
    }

    /// `sve_to_fpsimd(task)`: bits [127:0] of each Z in `sve_state` into V0–V31.
    /// `consumer` names the caller for the stale-data check.
    pub(crate) fn sve_to_fpsimd(&mut self, t: TaskId, consumer: &'static str) {
        self.check_stale_sve_read(t, consumer);
        let task = self.task_mut(t);
        let Some(buf) = task.sve_state.as_ref() else {
            let name = task.name.clone();
            self.step_violations.push(Violation::kernel_crash(
                "sve_to_fpsimd",
                format!("{name}: sve_state is NULL"),
            ));
            return;
        };
        for n in 0..32 {
            task.fpsimd_state.vregs[n] = buf.v(n);
            task.fpsimd_state.origin[n] = buf.origin.z_lo[n];
        }
        task.ghost_v_newest = Format::Fpsimd;
        self.emit(Event::SveToFpsimd { task: t });
    }

    /// The stale-data oracle: `consumer` is about to trust `sve_state` although the newest
    /// copy of the task's V registers is in `uw.fpsimd_state`, and the two differ. This is
    /// the class of bug fixed in 2024 (signal frames, ptrace) and 2025 (VL changes).
    ///
    /// While the task's state is live in a CPU's registers, those are the newest copy and
    /// a conversion in memory is harmless (the next save overwrites it): no finding.
    pub(crate) fn check_stale_sve_read(&mut self, t: TaskId, consumer: &'static str) {
        let task = self.task(t);
        if let Some(c) = self.running_on(t) {
            if !task.tif_foreign_fpstate && self.cpu(c).last.st == Some(Owner::Task(t)) {
                return;
            }
        }
        self.report_stale_sve_read(t, consumer);
    }

    /// The stale-data check without the live-state exemption (for loads from memory).
    pub(crate) fn report_stale_sve_read(&mut self, t: TaskId, consumer: &'static str) {
        let task = self.task(t);
        if task.ghost_v_newest != Format::Fpsimd {
            return;
        }
        let Some(buf) = task.sve_state.as_ref() else {
            return;
        };
        let differing: Vec<usize> = (0..32)
            .filter(|&n| buf.v(n) != task.fpsimd_state.vregs[n])
            .collect();
        if let Some(&first) = differing.first() {
            self.step_violations.push(Violation::stale_sve_state(
                t,
                consumer,
                format!(
                    "{} trusts {}'s sve_state, but the newest V values are in uw.fpsimd_state (saved in FPSIMD format); {} V register(s) differ, first V{}: stale {:#x} would replace {:#x}",
                    consumer,
                    task.name,
                    differing.len(),
                    first,
                    buf.v(first),
                    task.fpsimd_state.vregs[first]
                ),
            ));
        }
    }

    /// `sve_init_regs()` (v5.19-rc1 and later; part of `do_sve_acc()`): turn the task's
    /// FPSIMD state into SVE state with everything not shared with FPSIMD zeroed — in the
    /// registers if they are live, in memory otherwise (and, with 751ecf6afd65, unbind so
    /// the return path reloads).
    fn sve_init_regs(&mut self, c: CpuId, cur: TaskId) {
        if !self.task(cur).tif_foreign_fpstate {
            self.emit(Event::SveInitRegs { live: true });
            let vq = self.task(cur).vq();
            self.sve_set_vq(c, vq);
            self.cpu_mut(c).regs.sve_flush_live(true, vq);
            self.emit(Event::SveFlushLive { vq, ffr: true });
            self.fpsimd_bind_task_to_cpu(c, cur);
        } else {
            // Memory branch. Note: no fpsimd_flush_task_state() here at rc1 (or v6.2):
            // fixed only in 2024 by 751ecf6afd65 "Discard stale CPU state when handling
            // SVE traps" (6.1, 6.12).
            self.emit(Event::SveInitRegs { live: false });
            self.fpsimd_to_sve(cur);
            if self.kernel().p2_fp_type() {
                self.task_mut(cur).fp_type = FpType::Sve;
            }
            if self.kernel().sve_trap_memory_branch_flushes() {
                self.fpsimd_flush_task_state(cur);
            }
        }
    }

    /// `do_sve_acc()` up to the interrupt point: `sve_alloc()` runs with IRQs on, before
    /// the context lock.
    pub(crate) fn do_sve_acc_alloc(&mut self, cur: TaskId) {
        self.emit(Event::SveAccessTrap);
        self.sve_alloc(cur, true);
    }

    /// The rest of `do_sve_acc()`: under the context lock, set `TIF_SVE` and init the regs.
    pub(crate) fn do_sve_acc_finish(&mut self, c: CpuId, cur: TaskId) {
        if std::mem::replace(&mut self.task_mut(cur).tif_sve, true) {
            // "SVE access shouldn't have trapped"
            self.warn(WarnSite::DoSveAccTifSveSet);
        }
        self.sve_init_regs(c, cur);
    }

    /// `fpsimd_thread_switch(next)` from `__switch_to()`: eager save of whatever the
    /// registers hold, then decide whether `next` must reload.
    pub(crate) fn fpsimd_thread_switch(&mut self, c: CpuId, next: Curr) {
        self.fpsimd_save(c);
        if let Curr::Task(n) = next {
            let wrong_task = self.cpu(c).last.st != Some(Owner::Task(n));
            let wrong_cpu = self.task(n).fpsimd_cpu != Some(c);
            let foreign = wrong_task || wrong_cpu;
            self.task_mut(n).tif_foreign_fpstate = foreign;
            self.emit(Event::ThreadSwitch {
                next_foreign: foreign,
            });
        } else {
            self.emit(Event::ThreadSwitch { next_foreign: true });
        }
    }

    /// `fpsimd_flush_thread()` (exec): zero the FPSIMD state, drop SVE state, reset VL.
    pub(crate) fn fpsimd_flush_thread(&mut self, cur: TaskId) {
        self.emit(Event::FlushThread);
        self.fpsimd_flush_task_state(cur);
        let default_vl = self.config.sve_default_vl;
        let supported = |vl: u32| self.config.find_supported_vector_length(vl);
        let t = &self.tasks[usize::from(cur.0)];
        let mut vl = if t.vl_onexec != 0 {
            t.vl_onexec
        } else {
            default_vl
        };
        vl = supported(u32::from(vl));
        let p2 = self.kernel().p2_fp_type();
        let t = self.task_mut(cur);
        t.fpsimd_state = UserFpsimdState::default();
        t.tif_sve = false;
        let freed = t.sve_state.take().is_some();
        t.vl = vl;
        if !t.tif_sve_vl_inherit {
            t.vl_onexec = 0;
        }
        t.ghost_v_newest = Format::Fpsimd;
        if p2 {
            // Patch 2/7.
            t.fp_type = FpType::Fpsimd;
        }
        if freed {
            self.emit(Event::SveFree);
        }
    }

    /// `vec_set_vector_length(task, ARM64_VEC_SVE, vl, flags)` (prctl and ptrace). The model
    /// frees before setting the VL; the kernel sets it first, which nothing observes.
    /// `c` is the CPU `task` runs on when it is current. Returns 0 or `-EINVAL`.
    pub(crate) fn vec_set_vector_length(
        &mut self,
        task: TaskId,
        current_on: Option<CpuId>,
        vl: u64,
        flags: u64,
    ) -> i64 {
        if flags & !(PR_SVE_VL_INHERIT | PR_SVE_SET_VL_ONEXEC) != 0 {
            return -EINVAL;
        }
        if vl > u64::from(u32::MAX) || !crate::model::regs::sve_vl_valid(vl as u32) {
            return -EINVAL;
        }
        let vl = (vl as u32).min(u32::from(crate::model::regs::VL_ARCH_MAX));
        let vl = self.config.find_supported_vector_length(vl);
        self.task_mut(task).vl_onexec = if flags & (PR_SVE_VL_INHERIT | PR_SVE_SET_VL_ONEXEC) != 0 {
            vl
        } else {
            0
        };
        if flags & PR_SVE_SET_VL_ONEXEC == 0 && vl != self.task(task).vl {
            if let Some(c) = current_on {
                self.fpsimd_save(c);
            }
            self.fpsimd_flush_task_state(task);
            if std::mem::replace(&mut self.task_mut(task).tif_sve, false) {
                self.sve_to_fpsimd(task, "vec_set_vector_length");
                if self.kernel().p2_fp_type() {
                    self.task_mut(task).fp_type = FpType::Fpsimd;
                }
            }
            self.sve_free(task);
            self.task_mut(task).vl = vl;
            self.emit(Event::VlChange { vl });
            if self.kernel().vl_change_reallocates_sve_state() {
                // "Ensure SME storage is allocated after SVE VL changes" (6.1, 6.12): after
                // task_set_vl(), sve_free(); sve_alloc(task, true): a zeroed buffer at the
                // new VL.
                self.sve_alloc(task, true);
            }
        }
        self.task_mut(task).tif_sve_vl_inherit = flags & PR_SVE_VL_INHERIT != 0;
        0
    }

    /// `vec_prctl_status(ARM64_VEC_SVE, flags)`.
    pub(crate) fn vec_prctl_status(&self, t: TaskId, flags: u64) -> i64 {
        let task = self.task(t);
        let mut ret = if flags & PR_SVE_SET_VL_ONEXEC != 0 {
            i64::from(task.vl_onexec)
        } else {
            i64::from(task.vl)
        };
        if task.tif_sve_vl_inherit {
            ret |= PR_SVE_VL_INHERIT as i64;
        }
        ret
    }

    /// `kernel_neon_begin()` … `kernel_neon_end()` on `c`: save, unbind, and let the
    /// kernel's NEON code use V0–V31 (the model writes a recognisable kernel value).
    pub(crate) fn kernel_neon(&mut self, c: CpuId) {
        self.fpsimd_save(c);
        self.fpsimd_flush_cpu_state(c);
        let regs = &mut self.cpu_mut(c).regs;
        for n in 0..32 {
            regs.write_v(n, KERNEL_NEON_VALUE ^ n as u128, Origin::Kernel);
        }
        self.emit(Event::KernelNeon);
    }

    /// `fpsimd_cpu_pm_notifier(CPU_PM_ENTER)` and the power loss that follows.
    pub(crate) fn cpu_pm_enter(&mut self, c: CpuId) {
        self.emit(Event::CpuPmEnter);
        self.fpsimd_save_and_flush_cpu_state(c);
        self.cpu_mut(c).regs.lose_power();
    }

    /// `fpsimd_cpu_dead()`: forget the dead CPU's binding.
    pub(crate) fn fpsimd_cpu_dead(&mut self, c: CpuId) {
        let cpu = self.cpu_mut(c);
        cpu.last.st = None;
        cpu.regs.lose_power();
        self.emit(Event::CpuDead);
    }
}

/// What the model's kernel-mode NEON code writes into V0–V31 (XOR the register number):
/// "KERNEL NEON DATA" in ASCII, so a leak of kernel data into a task is easy to spot.
pub const KERNEL_NEON_VALUE: u128 = u128::from_be_bytes(*b"KERNEL NEON DATA");

/// `PR_SVE_VL_INHERIT` (uapi `linux/prctl.h`).
pub const PR_SVE_VL_INHERIT: u64 = 1 << 17;
/// `PR_SVE_SET_VL_ONEXEC`.
pub const PR_SVE_SET_VL_ONEXEC: u64 = 1 << 18;
/// `PR_SVE_VL_LEN_MASK`.
pub const PR_SVE_VL_LEN_MASK: u64 = 0xffff;
/// `EINVAL`.
pub const EINVAL: i64 = 22;
/// `EIO`.
pub const EIO: i64 = 5;
