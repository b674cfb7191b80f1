//! The invariant checker: the invariants of the reference's sections 7.1/7.2, the WARNs the
//! kernel itself checks, and the model's own oracles (no task sees another's registers; no
//! consumer trusts a stale `sve_state`), reported as data — never a panic.

use crate::event::Event;
use crate::kvm::FpOwner;
use crate::machine::{CpuId, Curr, FpType, Level, Machine, Owner, TaskId, TaskState, VcpuId};
use crate::regs::{Origin, Origins};
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
    /// Short code used by the DSL and in reports.
    pub fn code(self) -> &'static str {
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
    pub function: Option<crate::event::Text>,
    /// Why, in words.
    pub detail: String,
}

impl Violation {
    pub(crate) fn kernel_crash(function: &'static str, detail: String) -> Violation {
        Violation {
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

impl Machine {
    /// Everything wrong with the state now, plus what went wrong during the last step
    /// (stale reads, crashes, WARNs).
    pub fn check(&self) -> Vec<Violation> {
        let mut out = self.step_violations.clone();
        for e in &self.events {
            if let Event::Warn { site } = e.event {
                out.push(Violation {
                    rule: Rule::Warn,
                    task: e.task,
                    cpu: e.cpu,
                    function: Some(site.function().into()),
                    detail: format!("WARN in {}: {}", site.function(), site.condition()),
                });
            }
        }
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
        if cpu.cpacr_zen_el0en != task.tif_sve {
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
            why.push(format!(
                "ZCR_EL1 gives VL {} bits, the task's VL is {} bits",
                u32::from(self.rdvl(c)) * 8,
                u32::from(task.vl) * 8
            ));
        }
        if !why.is_empty() {
            out.push(Violation {
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
        if !leaks.is_empty() {
            out.push(Violation {
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
        if let Some((reg, o)) = leaks.first() {
            out.push(Violation {
                rule: Rule::NoLeak,
                task: None,
                cpu: Some(c),
                function: None,
                detail: format!(
                    "guest of vCPU {} on {c} can read {reg} = {}'s value",
                    vc.name,
                    self.origin_name(*o)
                ),
            });
        }
    }

    /// Who an origin names, for messages.
    pub fn origin_name(&self, o: Origin) -> String {
        match o {
            Origin::Zero => "zero".into(),
            Origin::Task(t) => self.task(t).name.clone(),
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
) -> Vec<(String, Origin)> {
    let mut out = Vec::new();
    for n in 0..32 {
        if v_readable && !own(r.z_lo[n]) {
            out.push((format!("V{n}"), r.z_lo[n]));
        }
        if sve_readable && !own(r.z_hi[n]) {
            out.push((format!("Z{n}[high]"), r.z_hi[n]));
        }
    }
    if sve_readable {
        for n in 0..16 {
            if !own(r.p[n]) {
                out.push((format!("P{n}"), r.p[n]));
            }
        }
        if !own(r.ffr) {
            out.push(("FFR".into(), r.ffr));
        }
    }
    out
}
