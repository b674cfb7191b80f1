//! KVM: vCPUs and the host/guest FP register handover (`arch/arm64/kvm/fpsimd.c`, hyp
//! `kvm_hyp_handle_fpsimd()` and `__activate_traps()`/`__deactivate_traps()`, and the
//! `KVM_RUN` loop of `arch/arm64/kvm/arm.c`).
//!
//! Order inside `KVM_RUN` (an ioctl, so syscall entry has already run): first run →
//! `kvm_arch_vcpu_run_map_fp()`; `vcpu_load()` → [`Machine::kvm_arch_vcpu_load_fp`];
//! loop { IRQs off; `kvm_arch_vcpu_ctxflush_fp()` + hyp trap setup; guest runs, its first
//! FP/SVE use traps to hyp; exit; `kvm_arch_vcpu_ctxsync_fp()`; IRQs on };
//! `vcpu_put()` → [`Machine::kvm_arch_vcpu_put_fp`]. Preemption of the VMM thread puts the
//! vCPU before `__switch_to()` and loads it again when the thread is switched back in.
//!
//! Ownership of the FP registers: v5.19 and the v1 series keep two flags, `FP_ENABLED`
//! (guest owns) and `FP_HOST` (host state live, hyp must save it), plus the
//! `FP_FOREIGN_FPSTATE` mirror of the VMM's `TIF_FOREIGN_FPSTATE`; v6.2 has Marc
//! Zyngier's tristate `fp_state` ∈ {FREE, HOST_OWNED, GUEST_OWNED}. Both are the same three
//! states ("both flags set" never happens); [`FpOwner`] holds it and the views name it in
//! the kernel's own terms. (6.12 keeps it per CPU, `host_data->fp_owner`; one vCPU runs on
//! a CPU at a time, so the model keeps it in the vCPU.)
//!
//! The 2025 rework (6.1.192, 6.12.118; [`crate::Kernel::kvm_host_state_saved_at_vcpu_load`])
//! saves and unbinds the VMM's state in `kvm_arch_vcpu_load_fp()` and starts FREE: hyp
//! never saves the host (non-protected KVM) and the put restores no CPACR bit.

use crate::model::event::Event;

use crate::model::machine::{LastState, Machine};
use crate::model::op::{KvmOp, StepError, UserInsn};
use crate::model::regs::{sve_vq_from_vl, Origin, SveBuf, UserFpsimdState};
use crate::model::types::{CpuId, Format, FpType, Level, Owner, TaskId, VcpuId};
use crate::model::vcpu::{FpOwner, KvmMode, Vcpu};
use crate::model::violation::Violation;

/// `EINTR`: `KVM_RUN` interrupted by a signal.
pub const EINTR: i64 = 4;

impl Machine {
    /// Creates a vCPU (`KVM_CREATE_VCPU` + `KVM_ARM_VCPU_FINALIZE`).
    pub fn add_vcpu(
        &mut self,
        name: &str,
        sve: bool,
        vl: Option<u16>,
    ) -> Result<VcpuId, StepError> {
        crate::model::op::check_name(name)?;
        if self.task_id(name).is_some() || self.vcpu_id(name).is_some() {
            return Err(StepError::new(
                format!("a task or vCPU named {name} already exists"),
                "pick another name",
            ));
        }
        let vl = vl.unwrap_or(self.config.max_vl());
        if !self.config.vls.contains(&vl) {
            return Err(StepError::new(
                format!("vl={} is not a supported vector length", u32::from(vl) * 8),
                format!("supported: {}", self.vls_in_bits()),
            ));
        }
        self.events.clear();
        self.step_violations.clear();
        let vq = sve_vq_from_vl(vl);
        let id = VcpuId(self.vcpus.len() as u16);
        self.vcpus.push(Vcpu {
            name: name.into(),
            has_sve: sve,
            sve_max_vl: if sve { vl } else { 0 },
            fp_regs: UserFpsimdState::default(),
            sve_state: sve.then(|| SveBuf::zeroed(vq, 1)),
            // kvm_reset_vcpu(): ZCR_EL1 takes its reset value 0 (sys_regs.c reset_val);
            // the zeroed vcpu leaves fp_type at its enum's first value.
            zcr_el1: 0,
            guest_vl: None,
            fp_type: if self.kernel().p3_to_save() {
                FpType::Current
            } else {
                FpType::Fpsimd
            },
            fp_owner: FpOwner::Free,
            host_sve_enabled: false,
            fp_foreign_fpstate: false,
            vmm: None,
            in_guest: false,
        });
        Ok(id)
    }

    /// The CPU and VMM a vCPU is loaded on (its VMM is running inside `KVM_RUN`).
    pub fn vcpu_loaded_on(&self, v: VcpuId) -> Option<(CpuId, TaskId)> {
        let vmm = self.vcpu(v).vmm?;
        let c = self.running_on(vmm)?;
        (self.task(vmm).level == Level::KvmRun(v)).then_some((c, vmm))
    }

    pub(crate) fn validate_kvm_run(&self, t: TaskId, v: VcpuId) -> Result<(), StepError> {
        if let Some(other) = self.vcpu(v).vmm {
            if other != t && self.task(other).alive() {
                if let crate::model::machine::TaskState::Stopped(
                    crate::model::machine::Resume::KvmRun(_),
                ) = self.task(other).state
                {
                    return Err(StepError::new(
                        format!(
                            "vCPU {} is inside KVM_RUN of {}",
                            self.vcpu(v).name,
                            self.task(other).name
                        ),
                        "a vCPU runs in one thread at a time",
                    ));
                }
            }
        }
        if self.vcpu_loaded_on(v).is_some() {
            return Err(StepError::new(
                format!("vCPU {} is already running", self.vcpu(v).name),
                "exit it first",
            ));
        }
        // KVM_RUN holds vcpu->mutex from its start: a run preempted before vcpu_load()
        // keeps the vCPU.
        let entering = self.tasks.iter().position(|o| {
            o.state
                == crate::model::machine::TaskState::Stopped(
                    crate::model::machine::Resume::KvmRunEntry(v),
                )
        });
        if let Some(o) = entering {
            return Err(StepError::new(
                format!(
                    "vCPU {} is inside KVM_RUN of {}",
                    self.vcpu(v).name,
                    self.tasks[o].name
                ),
                "a vCPU runs in one thread at a time",
            ));
        }
        Ok(())
    }

    pub(crate) fn validate_kvm(&self, op: &KvmOp) -> Result<(), StepError> {
        let v = match op {
            KvmOp::GuestOp { vcpu, .. }
            | KvmOp::GuestZcr { vcpu, .. }
            | KvmOp::Exit { vcpu, .. } => *vcpu,
        };
        let name = &self.vcpu(v).name;
        if self.vcpu_loaded_on(v).is_none() {
            let hint = match self.vcpu(v).vmm {
                Some(t) if self.task(t).alive() => format!(
                    "its VMM {} is not running inside KVM_RUN; `kvm-enter {} {name}` or switch {} in",
                    self.task(t).name,
                    self.task(t).name,
                    self.task(t).name
                ),
                _ => format!("start it with `kvm-enter VMM {name}`"),
            };
            return Err(StepError::new(format!("vCPU {name} is not running"), hint));
        }
        match op {
            KvmOp::Exit { to_user: false, .. } if !self.vcpu(v).in_guest => Err(StepError::new(
                format!("the guest of {name} is not running (it already exited)"),
                format!("a guest instruction re-enters it; `kvm-exit {name} to-user` returns to the VMM"),
            )),
            KvmOp::GuestZcr { vl, .. } => {
                let vc = self.vcpu(v);
                if !vc.has_sve {
                    return Err(StepError::new(
                        format!("vCPU {name} has no SVE: its ZCR_EL1 access is UNDEFINED"),
                        "create it with `vcpu NAME sve`",
                    ));
                }
                if !self.config.vls.contains(vl) || *vl > vc.sve_max_vl {
                    return Err(StepError::new(
                        format!(
                            "vl={} is not a vector length of {name}",
                            u32::from(*vl) * 8
                        ),
                        format!(
                            "a supported VL up to its maximum, {} bits",
                            u32::from(vc.sve_max_vl) * 8
                        ),
                    ));
                }
                Ok(())
            }
            KvmOp::GuestOp { insn, .. } => {
                let vl = usize::from(self.vcpu(v).guest_sve_vl().max(16));
                for w in &insn.writes {
                    let width = match w.reg {
                        crate::model::op::Reg::Z(_) => vl,
                        crate::model::op::Reg::P(_) | crate::model::op::Reg::Ffr => vl / 8,
                        crate::model::op::Reg::V(_) => 16,
                        _ => 4,
                    };
                    if w.value.literal_len() > width {
                        return Err(StepError::new(
                            format!("value for {} is wider than {} bits", w.reg, width * 8),
                            "use a shorter literal",
                        ));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `ioctl(KVM_RUN)` after syscall entry: map, load, enter the guest.
    pub(crate) fn kvm_run_enter(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        // kvm_arch_vcpu_run_map_fp(): host_fpsimd_state := &current->thread.uw.fpsimd_state.
        self.vcpu_mut(v).vmm = Some(vmm);
        self.task_mut(vmm).level = Level::KvmRun(v);
        self.task_mut(vmm).ghost_ran_vcpu = true;
        self.kvm_arch_vcpu_load_fp(c, vmm, v);
        self.kvm_run_loop_reenter(c, vmm, v);
    }

    /// The top of `kvm_arch_vcpu_ioctl_run()`'s loop: `xfer_to_guest_mode_handle_work()`
    /// ends the run with -EINTR when a signal is pending; otherwise the guest is entered.
    /// Returns whether the guest runs.
    pub(crate) fn kvm_run_loop_reenter(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) -> bool {
        if self.task(vmm).pending.is_empty() {
            self.kvm_guest_enter(c, vmm, v);
            true
        } else {
            self.kvm_handle_signal_exit(c, vmm, v);
            false
        }
    }

    /// `kernel/entry/kvm.c:xfer_to_guest_mode_work()` saw `TIF_SIGPENDING`:
    /// `kvm_handle_signal_exit()` sets `KVM_EXIT_INTR`, the loop ends with -EINTR,
    /// `vcpu_put()`, and the ioctl returns through `do_notify_resume()`, which delivers it.
    pub(crate) fn kvm_handle_signal_exit(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        self.emit(Event::KvmSignalExit { vcpu: v });
        self.kvm_run_return(c, vmm, v, -EINTR);
    }

    /// `kvm_arch_vcpu_ioctl_run()` returns `ret`: `vcpu_put()`, then the return to user.
    fn kvm_run_return(&mut self, c: CpuId, vmm: TaskId, v: VcpuId, ret: i64) {
        self.kvm_arch_vcpu_put_fp(c, vmm, v);
        self.task_mut(vmm).level = Level::User;
        self.task_mut(vmm).x0 = ret;
        self.ret_to_user(c, vmm);
    }

    /// `fpsimd_kvm_prepare()` (patch 1/7): "discard any SVE state" of the VMM.
    fn fpsimd_kvm_prepare(&mut self, vmm: TaskId) {
        let converted = std::mem::replace(&mut self.task_mut(vmm).tif_sve, false);
        if converted {
            self.sve_to_fpsimd(vmm, "fpsimd_kvm_prepare");
            if self.kernel().p2_fp_type() {
                self.task_mut(vmm).fp_type = FpType::Fpsimd;
            }
        }
        self.emit(Event::FpsimdKvmPrepare { converted });
    }

    /// `kvm_arch_vcpu_load_fp()` (from `vcpu_load()` and the sched-in notifier).
    pub(crate) fn kvm_arch_vcpu_load_fp(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        let k = self.kernel();
        self.emit(Event::KvmVcpuLoadFp { vcpu: v });
        if k.kvm_host_state_saved_at_vcpu_load() {
            // The 2025 rework (fbc7e61195e2, 6.1 and 6.12): the host's state is saved and
            // unbound here, so the kernel reloads it on the way back to user space and hyp
            // never saves it. The VMM is inside KVM_RUN, so the save is FPSIMD (6.1:
            // TIF_SVE cleared at entry; 6.12: the syscall window).
            self.fpsimd_save_and_flush_cpu_state(c);
            let vc = self.vcpu_mut(v);
            vc.fp_owner = FpOwner::Free;
            vc.in_guest = false;
            return;
        }
        if k.p1_fpsimd_kvm_prepare() {
            self.fpsimd_kvm_prepare(vmm);
        } else if self.task(vmm).tif_sve {
            // v5.19: BUG_ON(test_thread_flag(TIF_SVE)).
            self.step_violations.push(Violation::kernel_crash(
                "kvm_arch_vcpu_load_fp",
                format!("BUG_ON(TIF_SVE): {} has TIF_SVE set", self.task(vmm).name),
            ));
        }
        let zen = self.cpu(c).cpacr_zen_el0en;
        let vc = self.vcpu_mut(v);
        vc.fp_owner = FpOwner::Host;
        if k.rc3_clear_host_sve_enabled_on_load() {
            vc.host_sve_enabled = false;
        }
        if zen {
            // At v5.19-rc1 and in the v1 series this flag is never cleared (sticky).
            vc.host_sve_enabled = true;
        }
        vc.in_guest = false;
    }

    /// `kvm_arch_vcpu_ctxflush_fp()` and hyp's `update_fp_enabled()`/`__activate_traps()`.
    fn kvm_guest_enter(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        let foreign = self.task(vmm).tif_foreign_fpstate;
        let tristate = self.kernel().kvm_fp_ownership_tristate();
        let vc = self.vcpu_mut(v);
        if tristate {
            if foreign {
                vc.fp_owner = FpOwner::Free;
            }
        } else {
            vc.fp_foreign_fpstate = foreign;
            if vc.fp_foreign_fpstate {
                vc.fp_owner = FpOwner::Free;
            }
        }
        vc.in_guest = true;
        let guest_sve = vc.fp_owner == FpOwner::Guest && vc.has_sve;
        let fp_enabled = vc.fp_owner == FpOwner::Guest;
        if self.config.kvm_mode == KvmMode::Vhe {
            // __activate_traps(): CPACR_EL1 is CPTR_EL2 here; ZEN only for a guest that owns
            // the registers and has SVE.
            self.cpu_mut(c).cpacr_zen_el0en = guest_sve;
        }
        self.emit(Event::KvmGuestEnter {
            vcpu: v,
            fp_enabled,
        });
    }

    /// A guest instruction; a first FP/SVE use traps to hyp (`kvm_hyp_handle_fpsimd()`).
    fn guest_op(&mut self, c: CpuId, vmm: TaskId, v: VcpuId, insn: &UserInsn) {
        if !self.vcpu(v).in_guest && !self.kvm_run_loop_reenter(c, vmm, v) {
            return;
        }
        let has_sve = self.vcpu(v).has_sve;
        if insn.sve && !has_sve {
            // SVE from a guest without SVE: hyp's kvm_hyp_handle_fpsimd() returns false ("Don't
            // handle SVE traps for non-SVE vcpus here"), so the guest exits in full:
            // kvm_arch_vcpu_ctxsync_fp(), then handle_exit() → handle_sve() →
            // kvm_inject_undefined() returns 1 and the run loop goes round again.
            self.kvm_guest_exit(c, vmm, v);
            self.emit(Event::KvmInjectUndef { vcpu: v });
            self.kvm_run_loop_reenter(c, vmm, v);
            return;
        }
        if self.vcpu(v).fp_owner != FpOwner::Guest {
            let host_saved = self.vcpu(v).fp_owner == FpOwner::Host;
            if host_saved {
                // __fpsimd_save_state(host_fpsimd_state): the VMM's FPSIMD view only; the
                // VMM's fp_type is not written.
                let regs = &self.cpus[usize::from(c.0)].regs;
                let t = &mut self.tasks[usize::from(vmm.0)];
                regs.save_fpsimd(&mut t.fpsimd_state);
                t.ghost_v_newest = Format::Fpsimd;
            }
            if has_sve {
                // __hyp_sve_restore_guest(): ZCR_EL2 := guest max VQ; load; guest ZCR_EL1.
                let vq = sve_vq_from_vl(self.vcpu(v).sve_max_vl);
                let cpu = self.cpu_mut(c);
                if usize::from(cpu.zcr_len) + 1 != vq {
                    cpu.zcr_len = (vq - 1) as u8;
                    cpu.regs.set_vq(vq);
                }
                let vc = &self.vcpus[usize::from(v.0)];
                if let Some(buf) = vc.sve_state.as_ref() {
                    self.cpus[usize::from(c.0)].regs.load_sve(buf, &vc.fp_regs);
                }
                // ... then write_sysreg_el1(guest ZCR_EL1): a guest that lowered its VL
                // runs at it again.
                if self.vcpu(v).guest_vl.is_some() {
                    self.guest_zcr_live(c, v);
                }
            } else {
                let vc = &self.vcpus[usize::from(v.0)];
                self.cpus[usize::from(c.0)].regs.load_fpsimd(&vc.fp_regs);
            }
            self.vcpu_mut(v).fp_owner = FpOwner::Guest;
            if self.config.kvm_mode == KvmMode::Vhe {
                self.cpu_mut(c).cpacr_zen_el0en = has_sve;
            }
            self.emit(Event::KvmHypHandleFpsimd {
                vcpu: v,
                host_saved,
                guest_sve: has_sve,
            });
        }
        let vl = if has_sve {
            usize::from(self.vcpu(v).guest_sve_vl())
        } else {
            16
        };
        let origin = Origin::Vcpu(v);
        let mut buf = [0u8; crate::model::regs::ZREG_MAX_BYTES];
        for w in &insn.writes {
            let regs = &mut self.cpus[usize::from(c.0)].regs;
            let width = match w.reg {
                crate::model::op::Reg::Z(_) => vl,
                crate::model::op::Reg::P(_) | crate::model::op::Reg::Ffr => vl / 8,
                crate::model::op::Reg::V(_) => 16,
                _ => 4,
            };
            let out = &mut buf[..width];
            if w.value.materialise(out, vmm, w.reg).is_err() {
                continue;
            }
            match w.reg {
                crate::model::op::Reg::Z(n) => regs.write_z(usize::from(n), out, origin),
                crate::model::op::Reg::P(n) => regs.write_p(usize::from(n), out, origin),
                crate::model::op::Reg::Ffr => regs.write_ffr(out, origin),
                crate::model::op::Reg::V(n) => {
                    let mut b = [0u8; 16];
                    b.copy_from_slice(out);
                    regs.write_v(usize::from(n), u128::from_le_bytes(b), origin);
                }
                crate::model::op::Reg::Fpsr => {
                    regs.fpsr = u32::from_le_bytes([out[0], out[1], out[2], out[3]])
                }
                crate::model::op::Reg::Fpcr => {
                    regs.fpcr = u32::from_le_bytes([out[0], out[1], out[2], out[3]])
                }
            }
        }
    }

    /// The guest writes its `ZCR_EL1` (`guest-zcr`). Under nVHE and VHE alike the access
    /// traps to hyp while the guest's FP state is not loaded (`ESR_ELx_EC_SVE`, handled by
    /// `kvm_hyp_handle_fpsimd()` like an SVE instruction); then the write takes effect.
    fn guest_write_zcr(&mut self, c: CpuId, vmm: TaskId, v: VcpuId, vl: u16) {
        let access = UserInsn {
            sve: true,
            writes: Vec::new(),
        };
        self.guest_op(c, vmm, v, &access);
        if !self.vcpu(v).in_guest {
            // A pending signal ended the run before the guest got back in.
            return;
        }
        self.vcpu_mut(v).guest_vl = Some(vl);
        self.guest_zcr_live(c, v);
    }

    /// The guest's own `ZCR_EL1` is live on `c` (the guest owns the FP registers). Bytes
    /// above its VL become inaccessible (zeroed: the model's choice for Arm's UNKNOWN).
    /// Under nVHE the host runs at EL1 and shares `ZCR_EL1`: until
    /// `kvm_arch_vcpu_put_fp()` restores it (v5.19 `kvm/fpsimd.c`), `RDVL` in the host after
    /// an exit gives the guest's VL — unless hyp switches `ZCR_EL{1,2}` eagerly at exit
    /// (`fpsimd_lazy_switch_to_host()`, [`crate::Kernel::kvm_eager_zcr_switch`]). Under VHE
    /// the host runs at EL2 under `ZCR_EL2`, which stays at the guest's maximum.
    fn guest_zcr_live(&mut self, c: CpuId, v: VcpuId) {
        let vq = sve_vq_from_vl(self.vcpu(v).guest_sve_vl());
        let shared = self.config.kvm_mode == KvmMode::Nvhe && !self.kernel().kvm_eager_zcr_switch();
        let cpu = self.cpu_mut(c);
        cpu.regs.set_vq(vq);
        if shared {
            cpu.zcr_len = (vq - 1) as u8;
        }
    }

    /// Guest exit → `kvm_arch_vcpu_ctxsync_fp()` (IRQs off).
    pub(crate) fn kvm_guest_exit(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        let k = self.kernel();
        self.vcpu_mut(v).in_guest = false;
        if self.config.kvm_mode == KvmMode::Vhe {
            // __deactivate_traps(): CPACR_EL1 := CPACR_EL1_DEFAULT (EL0 SVE disabled).
            self.cpu_mut(c).cpacr_zen_el0en = false;
        }
        let bound = self.vcpu(v).fp_owner == FpOwner::Guest;
        self.emit(Event::KvmGuestExit { vcpu: v, bound });
        if bound {
            let vc = self.vcpu(v);
            let owner = Owner::Vcpu(v);
            let last = LastState {
                st: Some(owner),
                sve_state: self.sve_ref(owner),
                sve_vl: vc.sve_max_vl,
                // Patch 2/7: point the binding at the vCPU's fp_type.
                fp_type: k.p2_fp_type().then_some(owner),
                // Patch 3/7: KVM says what to save.
                to_save: if k.p3_to_save() {
                    if vc.has_sve {
                        FpType::Sve
                    } else {
                        FpType::Fpsimd
                    }
                } else {
                    FpType::Current
                },
            };
            // fpsimd_bind_state_to_cpu(): IRQs are off here, so its WARN stays quiet.
            self.cpu_mut(c).last = last;
            self.emit(Event::BindStateToCpu { owner });
            self.task_mut(vmm).tif_foreign_fpstate = false;
            if !k.p4_save_by_to_save() {
                // v5.19–p3: borrow the VMM's TIF_SVE so fpsimd_save() picks the guest's format.
                let has_sve = self.vcpu(v).has_sve;
                self.task_mut(vmm).tif_sve = has_sve;
                self.emit(Event::KvmTifSveWrite { value: has_sve });
            }
        }
    }

    /// `kvm_arch_vcpu_put_fp()` (from `vcpu_put()` and the sched-out notifier).
    pub(crate) fn kvm_arch_vcpu_put_fp(&mut self, c: CpuId, vmm: TaskId, v: VcpuId) {
        if self.vcpu(v).in_guest {
            // An IRQ took the guest out first.
            self.kvm_guest_exit(c, vmm, v);
        }
        let k = self.kernel();
        self.emit(Event::KvmVcpuPutFp { vcpu: v });
        if self.vcpu(v).fp_owner == FpOwner::Guest {
            if self.vcpu(v).has_sve {
                // read_sysreg_el1(SYS_ZCR): the guest's own ZCR_EL1 (ZCR_EL12 under VHE).
                let zcr = match self.vcpu(v).guest_vl {
                    Some(vl) => (sve_vq_from_vl(vl) - 1) as u8,
                    None => self.cpu(c).zcr_len,
                };
                self.vcpu_mut(v).zcr_el1 = zcr;
                if self.config.kvm_mode == KvmMode::Nvhe {
                    // "Restore the VL that was saved when bound to the CPU".
                    let vq = sve_vq_from_vl(self.vcpu(v).sve_max_vl);
                    self.sve_set_vq(c, vq);
                }
            }
            self.fpsimd_save_and_flush_cpu_state(c);
        } else if self.config.kvm_mode == KvmMode::Vhe && !k.kvm_host_state_saved_at_vcpu_load() {
            // Restore the VMM's EL0 SVE enable as sampled by load_fp. Gone with the 2025
            // rework ("Remove VHE host restore of CPACR_EL1.ZEN"): the host state was
            // unbound at load, so its return to user rebinds and sets the trap.
            let en = self.vcpu(v).host_sve_enabled;
            self.sve_user_set(c, en);
        }
        if !k.p4_save_by_to_save() {
            self.task_mut(vmm).tif_sve = false;
            self.emit(Event::KvmTifSveWrite { value: false });
        }
    }

    pub(crate) fn kvm_op(&mut self, op: &KvmOp) {
        match op {
            KvmOp::GuestOp { vcpu, insn } => {
                let (c, vmm) = self.vcpu_loaded_on(*vcpu).expect("validated");
                self.enter(Some(c), Some(vmm));
                self.guest_op(c, vmm, *vcpu, insn);
            }
            KvmOp::GuestZcr { vcpu, vl } => {
                let (c, vmm) = self.vcpu_loaded_on(*vcpu).expect("validated");
                self.enter(Some(c), Some(vmm));
                self.guest_write_zcr(c, vmm, *vcpu, *vl);
            }
            KvmOp::Exit { vcpu, to_user } => {
                let (c, vmm) = self.vcpu_loaded_on(*vcpu).expect("validated");
                self.enter(Some(c), Some(vmm));
                if self.vcpu(*vcpu).in_guest {
                    self.kvm_guest_exit(c, vmm, *vcpu);
                }
                if *to_user {
                    // vcpu_put(), then KVM_RUN returns: do_notify_resume().
                    self.kvm_run_return(c, vmm, *vcpu, 0);
                }
            }
        }
    }
}
