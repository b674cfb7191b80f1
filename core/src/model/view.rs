//! Derived views of the machine: whose state each CPU's registers hold, where each task's
//! newest state lives, and the two views of a task's registers.
//!
//! * The **user view** is what the task would read with its next instruction at EL0,
//!   following the kernel all the way: a task that is not running is switched in (its
//!   syscall finishes, pending signals are delivered, its state reloaded), a task inside
//!   `KVM_RUN` returns to user space, and an SVE read that would trap takes the trap. It is
//!   computed on a copy of the machine, so it never disagrees with what stepping would do.
//! * The **raw view** is what the hardware and memory physically hold now: the CPU
//!   registers, `uw.fpsimd_state` and `sve_state`, including stale bits nobody can read.

use crate::model::machine::{Machine, TaskState};
use crate::model::op::{Next, Op, UserInsn};
use crate::model::regs::{sve_vq_from_vl, Origins};
use crate::model::types::{CpuId, Curr, FpType, Level, Owner, TaskId, VcpuId};
use crate::model::vcpu::FpOwner;
use crate::model::violation::Violation;
use serde::{Deserialize, Serialize};

/// Whose state a CPU's registers hold, per `fpsimd_last_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegOwner {
    /// `st == NULL`: nobody's (after kernel-mode NEON, PM, hotplug, or at boot).
    Nobody,
    /// A task's state; `current` when the binding is still valid for it
    /// (`fpsimd_cpu == this CPU`), stale otherwise.
    Task {
        /// Which task.
        task: TaskId,
        /// The binding still matches the task (its `fpsimd_cpu` is this CPU).
        current: bool,
    },
    /// A vCPU's guest state (bound by `kvm_arch_vcpu_ctxsync_fp()`).
    Vcpu(crate::model::types::VcpuId),
}

/// Where a task's newest FP state is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StateHome {
    /// Live in the registers of this CPU.
    Live(CpuId),
    /// In memory, in this format (as the next load will read it).
    Memory(crate::model::types::Format),
}

/// What a task back at EL0 reads (see [`Machine::user_read`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserRead {
    /// The CPU's registers.
    Registers,
    /// Its SVE access traps first, and `do_sve_acc()`'s live branch keeps V and zeroes
    /// the rest (the trap is not simulated: the state is live and consistent).
    TrapArmed,
}

/// A task's registers as seen by the task (user view) at its vector length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegView {
    /// Vector length in bytes.
    pub vl: u16,
    /// Z0–Z31, `vl` bytes each.
    pub z: Vec<Vec<u8>>,
    /// P0–P15, `vl / 8` bytes each.
    pub p: Vec<Vec<u8>>,
    /// FFR.
    pub ffr: Vec<u8>,
    /// FPSR.
    pub fpsr: u32,
    /// FPCR.
    pub fpcr: u32,
    /// Provenance.
    pub origin: Origins,
}

impl RegView {
    /// `Vn`.
    pub fn v(&self, n: usize) -> u128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.z[n][..16]);
        u128::from_le_bytes(b)
    }
}

impl Machine {
    /// Whose state the registers of `c` hold.
    pub fn reg_owner(&self, c: CpuId) -> RegOwner {
        match self.cpu(c).last.st {
            None => RegOwner::Nobody,
            Some(Owner::Task(t)) => RegOwner::Task {
                task: t,
                current: self.task(t).fpsimd_cpu == Some(c) && self.task(t).alive(),
            },
            Some(Owner::Vcpu(v)) => RegOwner::Vcpu(v),
        }
    }

    /// The CPU and vCPU if `t` is a VMM whose guest owns the FP registers of the CPU it
    /// runs on (the vCPU is loaded there and KVM's ownership says guest): the VMM's own
    /// state is then in memory, where KVM saved its FPSIMD view before loading the guest's.
    pub fn guest_holding_regs_of(&self, t: TaskId) -> Option<(CpuId, VcpuId)> {
        (0..self.vcpus.len()).find_map(|i| {
            let v = VcpuId(i as u16);
            match self.vcpu_loaded_on(v) {
                Some((c, vmm)) if vmm == t && self.vcpu(v).fp_owner == FpOwner::Guest => {
                    Some((c, v))
                }
                _ => None,
            }
        })
    }

    /// Where `t`'s newest state is.
    pub fn state_home(&self, t: TaskId) -> StateHome {
        let task = self.task(t);
        if let Some(c) = self.running_on(t) {
            if !task.tif_foreign_fpstate && self.cpu(c).last.st == Some(Owner::Task(t)) {
                return StateHome::Live(c);
            }
        } else if let Some(c) = task.fpsimd_cpu {
            // Not running but still bound: its registers on c are current (no reload needed
            // if it comes back there and nothing else bound c).
            if self.cpu(c).last.st == Some(Owner::Task(t)) && !task.tif_foreign_fpstate {
                return StateHome::Live(c);
            }
        }
        StateHome::Memory(self.load_format(t))
    }

    /// The format `task_fpsimd_load()` would use for `t` now.
    pub fn load_format(&self, t: TaskId) -> crate::model::types::Format {
        let task = self.task(t);
        let sve = if self.kernel().p5_load_by_fp_type() {
            task.fp_type == FpType::Sve
        } else {
            task.tif_sve
        };
        if sve {
            crate::model::types::Format::Sve
        } else {
            crate::model::types::Format::Fpsimd
        }
    }

    /// The user view of `t`: what its next instruction at EL0 would read. `None` if the
    /// task is dead or would die before getting there.
    pub fn user_view(&self, t: TaskId) -> Option<RegView> {
        self.user_view_traced(t).map(|(v, _)| v)
    }

    /// The user view, with every violation the kernel paths hit on the way there (a stale
    /// read during the signal delivery that happens before the task gets back, say).
    pub fn user_view_traced(&self, t: TaskId) -> Option<(RegView, Vec<Violation>)> {
        self.user_read(t, true, |m, c, read| match read {
            UserRead::Registers => m.regs_view(c),
            UserRead::TrapArmed => m.trap_armed_view(t, c),
        })
    }

    /// V0–V31 as `t`'s next instruction at EL0 would read them (the user view's V
    /// registers, without building the view), with the violations on the way there.
    pub fn user_v_traced(&self, t: TaskId) -> Option<([u128; 32], Vec<Violation>)> {
        self.user_read(t, true, Machine::cpu_v)
    }

    /// [`Machine::user_v_traced`] without checking the invariants on the way (the ABI
    /// oracle asks for them only when V differs).
    pub fn user_v(&self, t: TaskId) -> Option<[u128; 32]> {
        self.user_read(t, false, Machine::cpu_v).map(|(v, _)| v)
    }

    /// V0–V31 of `c`: what a task back at EL0 there reads (the SVE trap's live branch
    /// keeps V, so it is the same whether or not the access traps).
    fn cpu_v(&self, c: CpuId, _: UserRead) -> [u128; 32] {
        std::array::from_fn(|n| self.cpu(c).regs.v(n))
    }

    /// Follows `t` back to EL0 (on a copy of the machine unless it is already there with
    /// its state live) and lets `read` look at the CPU it then runs on; with `trace`, the
    /// invariants are checked after each step on the way.
    fn user_read<R>(
        &self,
        t: TaskId,
        trace: bool,
        read: impl FnOnce(&Machine, CpuId, UserRead) -> R,
    ) -> Option<(R, Vec<Violation>)> {
        if !self.task(t).alive() {
            return None;
        }
        if let Some((c, how)) = self.user_read_fast(t) {
            return Some((read(self, c, how), Vec::new()));
        }
        let mut m = self.scratch_copy();
        let mut seen = Vec::new();
        let mut apply = |m: &mut Machine, op: Op| -> Option<()> {
            m.apply(&op).ok()?;
            if trace {
                seen.extend(m.check());
            }
            Some(())
        };
        if let Level::KvmRun(v) = m.task(t).level {
            if m.running_on(t).is_some() {
                apply(
                    &mut m,
                    Op::Kvm(crate::model::op::KvmOp::Exit {
                        vcpu: v,
                        to_user: true,
                    }),
                )?;
            }
        }
        if m.running_on(t).is_none() {
            let task = m.task(t);
            let c = task
                .fpsimd_cpu
                .filter(|c| m.cpu(*c).online)
                .or_else(|| m.cpus.iter().position(|c| c.online).map(|i| CpuId(i as u8)))?;
            apply(
                &mut m,
                Op::Ctxsw {
                    cpu: c,
                    next: Next::Task(t),
                },
            )?;
            if let Level::KvmRun(v) = m.task(t).level {
                apply(
                    &mut m,
                    Op::Kvm(crate::model::op::KvmOp::Exit {
                        vcpu: v,
                        to_user: true,
                    }),
                )?;
            }
        }
        let c = m.running_on(t)?;
        if !m.cpu(c).cpacr_zen_el0en {
            // An SVE read traps first: read what the trap leaves.
            apply(
                &mut m,
                Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: true,
                        writes: Vec::new(),
                    },
                    interrupt: crate::model::op::TrapInterrupt::None,
                },
            )?;
        }
        let c = m.running_on(t)?;
        Some((read(&m, c, UserRead::Registers), seen))
    }

    /// The common case of the user view, without simulation: `t` runs at EL0 with its
    /// state live and the trap consistent with `TIF_SVE`. Then it reads the registers, or
    /// (trap armed) what `do_sve_acc()`'s live branch leaves.
    fn user_read_fast(&self, t: TaskId) -> Option<(CpuId, UserRead)> {
        let c = self.running_on(t)?;
        let task = self.task(t);
        let cpu = self.cpu(c);
        let live = task.level == Level::User
            && !task.tif_foreign_fpstate
            && cpu.last.st == Some(Owner::Task(t))
            && task.fpsimd_cpu == Some(c)
            && cpu.cpacr_zen_el0en == task.tif_sve
            && task.pending.is_empty();
        if !live {
            return None;
        }
        Some((
            c,
            if cpu.cpacr_zen_el0en {
                UserRead::Registers
            } else {
                UserRead::TrapArmed
            },
        ))
    }

    /// What `do_sve_acc()`'s live branch leaves for `t` on `c`: V kept, the rest zero at
    /// its VL.
    fn trap_armed_view(&self, t: TaskId, c: CpuId) -> RegView {
        let task = self.task(t);
        let cpu = self.cpu(c);
        let vq = task.vq();
        let mut origin = (*cpu.regs.origin).clone();
        origin.z_hi = [crate::model::regs::Origin::Zero; 32];
        origin.p = [crate::model::regs::Origin::Zero; 16];
        origin.ffr = crate::model::regs::Origin::Zero;
        RegView {
            vl: task.vl,
            z: cpu
                .regs
                .z
                .iter()
                .map(|z| {
                    let mut v = vec![0u8; vq * 16];
                    v[..16].copy_from_slice(&z[..16]);
                    v
                })
                .collect(),
            p: vec![vec![0u8; vq * 2]; 16],
            ffr: vec![0u8; vq * 2],
            fpsr: cpu.regs.fpsr,
            fpcr: cpu.regs.fpcr,
            origin,
        }
    }

    /// The registers of `c` at its current vector length (raw view).
    pub fn regs_view(&self, c: CpuId) -> RegView {
        let cpu = self.cpu(c);
        let vl = self.rdvl(c);
        let vq = sve_vq_from_vl(vl);
        RegView {
            vl,
            z: cpu.regs.z.iter().map(|z| z[..vq * 16].to_vec()).collect(),
            p: cpu.regs.p.iter().map(|p| p[..vq * 2].to_vec()).collect(),
            ffr: cpu.regs.ffr[..vq * 2].to_vec(),
            fpsr: cpu.regs.fpsr,
            fpcr: cpu.regs.fpcr,
            origin: (*cpu.regs.origin).clone(),
        }
    }

    /// What runs on `c`, in words.
    pub fn curr_name(&self, c: CpuId) -> String {
        match self.cpu(c).curr {
            Curr::Idle => "idle".into(),
            Curr::Kthread => "kthread".into(),
            Curr::Task(t) => self.task(t).name.to_string(),
        }
    }

    /// Where a task is, in words.
    pub fn task_where(&self, t: TaskId) -> String {
        let task = self.task(t);
        match &task.state {
            TaskState::Running => match task.level {
                Level::User => format!(
                    "running at EL0 on {}",
                    self.running_on(t).map_or("?".into(), |c| c.to_string())
                ),
                Level::KvmRun(v) => format!(
                    "in KVM_RUN on {} (vCPU {}{})",
                    self.running_on(t).map_or("?".into(), |c| c.to_string()),
                    self.vcpu(v).name,
                    if self.vcpu(v).in_guest {
                        ", guest running"
                    } else {
                        ""
                    }
                ),
            },
            TaskState::Stopped(r) => match r {
                crate::model::machine::Resume::User => "preempted at EL0".into(),
                crate::model::machine::Resume::Syscall => "switched out inside a syscall".into(),
                crate::model::machine::Resume::SveTrap(_) => {
                    "switched out inside the SVE trap".into()
                }
                crate::model::machine::Resume::Fork => "new child, not yet run".into(),
                crate::model::machine::Resume::Return(_) => {
                    "switched out on its way back to user space".into()
                }
                crate::model::machine::Resume::ReturnPass {
                    signal, foreign, ..
                } => format!(
                    "switched out on its way back to user space; the rest of the pass {}",
                    match (signal, foreign) {
                        (true, true) => "delivers a signal, then restores the FP state",
                        (true, false) => "delivers a signal",
                        (false, true) => "restores the FP state",
                        (false, false) => "has nothing left to do",
                    }
                ),
                crate::model::machine::Resume::KvmRunEntry(v) => format!(
                    "switched out inside KVM_RUN before vcpu_load (vCPU {})",
                    self.vcpu(*v).name
                ),
                crate::model::machine::Resume::KvmRun(v) => {
                    format!("switched out inside KVM_RUN (vCPU {})", self.vcpu(*v).name)
                }
            },
            TaskState::Exited => "exited".into(),
        }
    }
}
