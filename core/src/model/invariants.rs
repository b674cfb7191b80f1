//! The invariant checker: the invariants of the reference's sections 7.1/7.2, the WARNs the
//! kernel itself checks, and the model's own oracles (no task sees another's registers; no
//! consumer trusts a stale `sve_state`), reported as data — never a panic.

use crate::model::machine::{Machine, TaskState};
use crate::model::regs::{Origin, Origins};
use crate::model::types::{CpuId, Curr, FpType, Level, Owner, TaskId, VcpuId};
use crate::model::vcpu::FpOwner;

use crate::model::violation::{Cause, RegSlot, Rule, Violation};

impl Machine {
    /// Everything wrong with the state now, plus what went wrong during the last step
    /// (stale reads, crashes, WARNs).
    pub fn check(&self) -> Vec<Violation> {
        let mut out = self.step_violations.clone();
        self.check_state(&mut out);
        out
    }

    /// The state invariants only.
    pub fn check_state(&self, out: &mut Vec<Violation>) {
        let k = self.kernel();
        for (ci, cpu) in self.cpus.iter().enumerate() {
            let c = CpuId(ci as u8);
            let Curr::Task(t) = cpu.curr else { continue };
            match self.task(t).level {
                Level::User => self.check_live_at_el0(c, t, out),
                Level::KvmRun(v) => self.check_guest(c, v, out),
            }
        }
        for (ti, task) in self.tasks.iter().enumerate() {
            let t = TaskId(ti as u16);
            if task.state == TaskState::Exited {
                continue;
            }
            if task.tif_sve {
                // v5.19–p3: between kvm_arch_vcpu_ctxsync_fp() and _put_fp() KVM borrows
                // the VMM's TIF_SVE for the guest (K7); its own sve_state may be NULL.
                let borrowed = !k.p4_save_by_to_save() && matches!(task.level, Level::KvmRun(_));
                match &task.sve_state {
                    Some(b) if b.vq == task.vq() => {}
                    _ if borrowed => {}
                    other => out.push(Violation {
                        cause: Cause::Stated,
                        rule: Rule::SveStateAllocated,
                        task: Some(t),
                        cpu: None,
                        function: None,
                        detail: match other {
                            None => format!("{} has TIF_SVE set but sve_state is NULL", task.name),
                            Some(b) => format!(
                                "{} has TIF_SVE set but sve_state is sized for VQ {} (VL is VQ {})",
                                task.name,
                                b.vq,
                                task.vq()
                            ),
                        },
                    }),
                }
            }
            if k.p2_fp_type() {
                if task.fp_type == FpType::Current {
                    out.push(Violation {
                        cause: Cause::Stated,
                        rule: Rule::FpTypeValid,
                        task: Some(t),
                        cpu: None,
                        function: None,
                        detail: format!(
                            "{}'s fp_type is {}",
                            task.name,
                            FpType::Current.kernel_name(k)
                        ),
                    });
                }
                let memory = task.tif_foreign_fpstate || self.running_on(t).is_none();
                if memory && task.fp_type == FpType::Sve {
                    let ok = task.sve_state.as_ref().is_some_and(|b| b.vq == task.vq());
                    if !ok {
                        out.push(Violation {
                            cause: Cause::Stated,
                            rule: Rule::FpTypeStorage,
                            task: Some(t),
                            cpu: None,
                            function: None,
                            detail: format!(
                                "{}'s saved state is typed SVE but sve_state is missing or the wrong size",
                                task.name
                            ),
                        });
                    }
                }
            }
        }
    }

    fn check_live_at_el0(&self, c: CpuId, t: TaskId, out: &mut Vec<Violation>) {
        let cpu = self.cpu(c);
        let task = self.task(t);
        let mut why = Vec::new();
        if task.tif_foreign_fpstate {
            why.push("TIF_FOREIGN_FPSTATE is set".to_string());
        }
        if cpu.last.st != Some(Owner::Task(t)) {
            why.push("fpsimd_last_state.st does not name it".to_string());
        }
        if task.fpsimd_cpu != Some(c) {
            why.push(format!("its fpsimd_cpu is not {c}"));
        }
        let mut cause = Cause::Stated;
        if cpu.cpacr_zen_el0en != task.tif_sve {
            cause = Cause::TrapMismatch {
                zen_el0en: cpu.cpacr_zen_el0en,
                tif_sve: task.tif_sve,
                vmm: task.ghost_ran_vcpu,
            };
            why.push(format!(
                "CPACR_EL1.ZEN_EL0EN is {} but TIF_SVE is {}{}",
                u8::from(cpu.cpacr_zen_el0en),
                u8::from(task.tif_sve),
                if cpu.cpacr_zen_el0en {
                    ": SVE runs untrapped, and the next save keeps only the FPSIMD view"
                } else {
                    ": the next SVE instruction traps and WARNs"
                }
            ));
        }
        if self.kernel().syscall_to_save_window() && cpu.last.to_save != FpType::Current {
            // 398edaa12f9c: the FPSIMD-only window closes by a bind or at syscall exit,
            // before EL0 runs again.
            why.push(format!(
                "fpsimd_last_state.to_save is {}: the next save would drop its SVE state",
                cpu.last.to_save.kernel_name(self.kernel())
            ));
        }
        if task.tif_sve && self.rdvl(c) != task.vl {
            if cause == Cause::Stated {
                cause = Cause::LiveVlMismatch;
            }
            why.push(format!(
                "ZCR_EL1 gives VL {} bits, the task's VL is {} bits",
                u32::from(self.rdvl(c)) * 8,
                u32::from(task.vl) * 8
            ));
        }
        if !why.is_empty() {
            out.push(Violation {
                cause,
                rule: Rule::LiveAtEl0,
                task: Some(t),
                cpu: Some(c),
                function: None,
                detail: format!("{} at EL0 on {c}: {}", task.name, why.join("; ")),
            });
        }
        // B8: what the task can read now.
        let own = |o: Origin| o == Origin::Zero || o == Origin::Task(t);
        let r = &cpu.regs.origin;
        let mut leaks = leaked(r, own, true, cpu.cpacr_zen_el0en);
        leaks.truncate(4);
        if let Some(&(slot, _)) = leaks.first() {
            out.push(Violation {
                cause: Cause::Leak { slot },
                rule: Rule::NoLeak,
                task: Some(t),
                cpu: Some(c),
                function: None,
                detail: format!(
                    "{} at EL0 on {c} can read {}",
                    task.name,
                    leaks
                        .iter()
                        .map(|(reg, o)| format!("{reg} = {}'s value", self.origin_name(*o)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }

    fn check_guest(&self, c: CpuId, v: VcpuId, out: &mut Vec<Violation>) {
        let vc = self.vcpu(v);
        if !vc.in_guest || vc.fp_owner != FpOwner::Guest {
            return;
        }
        let own = |o: Origin| o == Origin::Zero || o == Origin::Vcpu(v);
        let leaks = leaked(&self.cpu(c).regs.origin, own, true, vc.has_sve);
        if let Some(&(reg, o)) = leaks.first() {
            out.push(Violation {
                cause: Cause::Leak { slot: reg },
                rule: Rule::NoLeak,
                task: None,
                cpu: Some(c),
                function: None,
                detail: format!(
                    "guest of vCPU {} on {c} can read {reg} = {}'s value",
                    vc.name,
                    self.origin_name(o)
                ),
            });
        }
    }

    /// Who an origin names, for messages.
    pub fn origin_name(&self, o: Origin) -> String {
        match o {
            Origin::Zero => "zero".into(),
            Origin::Task(t) => self.task(t).name.to_string(),
            Origin::Vcpu(v) => format!("vCPU {}", self.vcpu(v).name),
            Origin::Kernel => "kernel-mode NEON".into(),
        }
    }
}

fn leaked(
    r: &Origins,
    own: impl Fn(Origin) -> bool,
    v_readable: bool,
    sve_readable: bool,
) -> Vec<(RegSlot, Origin)> {
    let mut out = Vec::new();
    for n in 0..32u8 {
        if v_readable && !own(r.z_lo[usize::from(n)]) {
            out.push((RegSlot::V(n), r.z_lo[usize::from(n)]));
        }
        if sve_readable && !own(r.z_hi[usize::from(n)]) {
            out.push((RegSlot::ZHigh(n), r.z_hi[usize::from(n)]));
        }
    }
    if sve_readable {
        for n in 0..16u8 {
            if !own(r.p[usize::from(n)]) {
                out.push((RegSlot::P(n), r.p[usize::from(n)]));
            }
        }
        if !own(r.ffr) {
            out.push((RegSlot::Ffr, r.ffr));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::model::kernel::Kernel;
    use crate::model::machine::{Config, Machine};
    use crate::model::op::{Op, Reg, RegWrite, TrapInterrupt, UserInsn, Value};
    use crate::model::regs::Origin;
    use crate::model::types::CpuId;
    use crate::model::violation::{Cause, RegSlot, Rule};

    /// B8 names the register slot that leaks as data, not only in its words.
    #[test]
    fn a_leak_names_its_register_slot() {
        let mut m = Machine::new(Config {
            kernel: Kernel::V6_2,
            vls: vec![16, 64].into(),
            ..Config::default()
        });
        let a = m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
        let b = m.add_task("B", Some(64), None).unwrap();
        m.apply(&Op::User {
            task: a,
            insn: UserInsn {
                sve: true,
                writes: vec![RegWrite {
                    reg: Reg::Z(0),
                    value: Value::Fill(1),
                }],
            },
            interrupt: TrapInterrupt::None,
        })
        .unwrap();
        assert!(m.check().iter().all(|v| v.rule != Rule::NoLeak));
        // Pretend B's value were left in P3 of A's live registers.
        m.cpus[0].regs.origin.p[3] = Origin::Task(b);
        let v = m.check();
        let leak = v.iter().find(|v| v.rule == Rule::NoLeak).expect("a leak");
        assert_eq!(
            leak.cause,
            Cause::Leak {
                slot: RegSlot::P(3)
            }
        );
        assert_eq!(leak.register(), Some(RegSlot::P(3)));
        assert!(leak.detail.contains("P3 = B's value"), "{}", leak.detail);
    }
}
