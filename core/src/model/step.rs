//! The operations that step the machine, and how each is carried out.
//!
//! An [`Op`] is one thing that happens from the outside: a user instruction, a syscall, a
//! scheduling decision, a signal, a ptrace request, a kernel-side event. [`Machine::apply`]
//! checks that it is possible in the current state (otherwise a [`StepError`], with the
//! machine unchanged), then runs the kernel paths it triggers (in [`super::entry`],
//! [`super::sched`] and the kernel's files), in kernel order:
//!
//! * user SVE instruction with the trap armed: `el0_sve_acc` → `do_sve_acc()` → return to
//!   user (`do_notify_resume`) → the instruction retried;
//! * syscall: `el0_svc` → `fp_user_discard()` (6.12: `fpsimd_syscall_enter()`) → the call
//!   → `do_notify_resume()` (one signal, then `fpsimd_restore_current_state()`, per pass) → (6.12)
//!   `fpsimd_syscall_exit()`;
//! * context switch: (KVM sched-out notifier) → `__switch_to()` → `fpsimd_thread_switch()`
//!   → (KVM sched-in notifier) → the next task resumes where it stopped.

use crate::model::event::Sig;
use crate::model::machine::{Config, Machine, Resume, Task, TaskState};
use crate::model::op::{
    check_name, KvmOp, Next, Op, Outcome, Reg, ReturnPoint, StepError, Syscall, TrapInterrupt,
};
use crate::model::regs::sve_vq_from_vl;
use crate::model::types::{CpuId, Curr, Level, TaskId, VcpuId};

impl Machine {
    /// Can a task named `name` be created (by `task` or `fork`)? A valid name no task or
    /// vCPU has (`taken` is the hint when one has it), and room for one more task.
    fn check_new_task(&self, name: &str, taken: &str) -> Result<(), StepError> {
        check_name(name)?;
        if self.task_id(name).is_some() || self.vcpu_id(name).is_some() {
            return Err(StepError::new(
                format!("a task or vCPU named {name} already exists"),
                taken,
            ));
        }
        if self.tasks.len() >= Config::MAX_TASKS {
            return Err(StepError::new(
                format!("too many tasks ({})", Config::MAX_TASKS),
                "use fewer tasks",
            ));
        }
        Ok(())
    }

    /// Creates a task as `execve()` leaves it, with VL `vl` bytes (default: the system
    /// default), optionally switching it in on `on`.
    pub fn add_task(
        &mut self,
        name: &str,
        vl: Option<u16>,
        on: Option<CpuId>,
    ) -> Result<TaskId, StepError> {
        self.check_new_task(name, "pick another name")?;
        let vl = vl.unwrap_or(self.config.sve_default_vl);
        if !self.config.vls.contains(&vl) {
            return Err(StepError::new(
                format!("vl={} is not a supported vector length", u32::from(vl) * 8),
                format!("supported: {}", self.vls_in_bits()),
            ));
        }
        if let Some(c) = on {
            self.check_cpu(c)?;
            if let Curr::Task(t) = self.cpu(c).curr {
                return Err(StepError::new(
                    format!("{c} is running {}", self.task(t).name),
                    format!("switch it away first (ctxsw {c} idle), or use another CPU"),
                ));
            }
        }
        self.events.clear();
        self.step_violations.clear();
        let id = TaskId(self.tasks.len() as u16);
        self.tasks.push(Task::new(name, vl));
        if let Some(c) = on {
            self.context_switch(c, Next::Task(id), Resume::User);
        }
        Ok(id)
    }

    /// Supported VLs, in bits, for messages.
    pub fn vls_in_bits(&self) -> String {
        self.config
            .vls
            .iter()
            .map(|v| (u32::from(*v) * 8).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Applies one operation. On error the machine is unchanged.
    pub fn apply(&mut self, op: &Op) -> Result<Outcome, StepError> {
        self.validate(op)?;
        self.events.clear();
        self.step_violations.clear();
        let mut out = Outcome::default();
        match op {
            Op::User {
                task,
                insn,
                interrupt,
            } => {
                let c = self.running_on(*task).expect("validated");
                self.user_insn(c, *task, insn, *interrupt);
            }
            Op::Svc { task, call } => {
                let c = self.running_on(*task).expect("validated");
                out.ret = self.svc(c, *task, call);
            }
            Op::Ctxsw { cpu, next } => {
                self.preempt_and_switch(*cpu, *next);
            }
            Op::CtxswPreemptReturn {
                cpu,
                task,
                point,
                then,
            } => {
                self.return_preempt = Some((*task, *point, *then));
                self.preempt_and_switch(*cpu, Next::Task(*task));
                self.return_preempt = None;
            }
            Op::Migrate { task, cpu } => {
                if let Some(from) = self.running_on(*task) {
                    self.preempt_and_switch(from, Next::Idle);
                }
                self.preempt_and_switch(*cpu, Next::Task(*task));
            }
            Op::Signal { task, sig } => {
                self.enter(None, None);
                self.send_signal(*task, *sig, None);
            }
            Op::FrameWrite { task, writes } => self.frame_write(*task, writes),
            Op::Ptrace { task, req } => {
                self.enter(None, Some(*task));
                out.ret = Some(self.ptrace(*task, req));
            }
            Op::KernelNeon { cpu } => self.softirq_kernel_neon(*cpu),
            Op::CpuPm { cpu } => {
                self.enter(Some(*cpu), None);
                self.cpu_pm_enter(*cpu);
            }
            Op::CpuOffline { cpu } => {
                self.enter(Some(*cpu), None);
                self.cpu_mut(*cpu).online = false;
                self.fpsimd_cpu_dead(*cpu);
            }
            Op::CpuOnline { cpu } => {
                // verify_sve_features() probes the VLs again: LEN ends at the shortest.
                let vq = sve_vq_from_vl(self.config.min_vl()).max(1);
                let c = self.cpu_mut(*cpu);
                c.online = true;
                c.cpacr_zen_el0en = false;
                c.zcr_len = (vq - 1) as u8;
            }
            Op::Kvm(k) => self.kvm_op(k),
        }
        self.enter(None, None);
        Ok(out)
    }

    fn check_cpu(&self, c: CpuId) -> Result<(), StepError> {
        if usize::from(c.0) >= self.cpus.len() {
            return Err(StepError::new(
                format!("there is no {c}"),
                format!(
                    "this machine has cpu0–cpu{} (set `cpus N` before creating tasks)",
                    self.cpus.len() - 1
                ),
            ));
        }
        if !self.cpu(c).online {
            return Err(StepError::new(
                format!("{c} is offline"),
                format!("bring it back with `cpu-online {c}`"),
            ));
        }
        Ok(())
    }

    fn check_alive(&self, t: TaskId) -> Result<(), StepError> {
        let task = self.task(t);
        if !task.alive() {
            return Err(StepError::new(
                format!("{} has exited", task.name),
                "create a new task with `task NAME`",
            ));
        }
        Ok(())
    }

    /// The task must be running at EL0.
    fn check_at_user(&self, t: TaskId) -> Result<CpuId, StepError> {
        self.check_alive(t)?;
        let task = self.task(t);
        let Some(c) = self.running_on(t) else {
            let why = match &task.state {
                TaskState::Stopped(Resume::Syscall) => "it is switched out inside a syscall",
                TaskState::Stopped(Resume::SveTrap(_)) => {
                    "it is switched out inside the SVE access trap"
                }
                TaskState::Stopped(Resume::KvmRun(_) | Resume::KvmRunEntry(_)) => {
                    "it is switched out inside KVM_RUN"
                }
                TaskState::Stopped(_) => "it is not running",
                _ => "it is not running",
            };
            return Err(StepError::new(
                format!("{} cannot execute user code: {why}", task.name),
                format!("switch it in first: `ctxsw cpu0 {}`", task.name),
            ));
        };
        if let Level::KvmRun(v) = task.level {
            return Err(StepError::new(
                format!(
                    "{} is inside KVM_RUN running vCPU {}",
                    task.name,
                    self.vcpu(v).name
                ),
                format!(
                    "return to user first: `kvm-exit {} to-user`",
                    self.vcpu(v).name
                ),
            ));
        }
        Ok(c)
    }

    fn check_next(&self, c: CpuId, next: Next) -> Result<(), StepError> {
        if let Next::Task(n) = next {
            self.check_alive(n)?;
            if let Some(on) = self.running_on(n) {
                let name = &self.task(n).name;
                return Err(if on == c {
                    StepError::new(
                        format!("{name} is already running on {c}"),
                        "nothing to switch",
                    )
                } else {
                    StepError::new(
                        format!("{name} is running on {on}"),
                        format!("to move it, use `migrate {name} {c}`"),
                    )
                });
            }
        }
        Ok(())
    }

    /// Every id an op names must exist (ops built by hand, not by the DSL, may be wrong).
    fn check_ids(&self, op: &Op) -> Result<(), StepError> {
        // On the stack: this runs on every step (an operation names at most two tasks).
        let mut tasks = Few::<TaskId, 3>::default();
        let mut cpus = Few::<CpuId, 1>::default();
        let mut vcpus = Few::<VcpuId, 1>::default();
        let next = |n: &Next, tasks: &mut Few<TaskId, 3>| {
            if let Next::Task(t) = n {
                tasks.push(*t);
            }
        };
        match op {
            Op::User {
                task, interrupt, ..
            } => {
                tasks.push(*task);
                if let TrapInterrupt::Preempt(n) = interrupt {
                    next(n, &mut tasks);
                }
            }
            Op::Svc { task, call } => {
                tasks.push(*task);
                match call {
                    Syscall::Yield(n) => next(n, &mut tasks),
                    Syscall::Kill(t, _) => tasks.push(*t),
                    Syscall::KvmRun(v) => vcpus.push(*v),
                    Syscall::KvmRunPreempted { vcpu, next: n } => {
                        vcpus.push(*vcpu);
                        next(n, &mut tasks);
                    }
                    _ => {}
                }
            }
            Op::Ctxsw { cpu, next: n } => {
                cpus.push(*cpu);
                next(n, &mut tasks);
            }
            Op::CtxswPreemptReturn {
                cpu, task, then, ..
            } => {
                cpus.push(*cpu);
                tasks.push(*task);
                next(then, &mut tasks);
            }
            Op::Migrate { task, cpu } => {
                tasks.push(*task);
                cpus.push(*cpu);
            }
            Op::Signal { task, .. } | Op::Ptrace { task, .. } | Op::FrameWrite { task, .. } => {
                tasks.push(*task)
            }
            Op::KernelNeon { cpu }
            | Op::CpuPm { cpu }
            | Op::CpuOffline { cpu }
            | Op::CpuOnline { cpu } => cpus.push(*cpu),
            Op::Kvm(
                KvmOp::GuestOp { vcpu, .. }
                | KvmOp::GuestZcr { vcpu, .. }
                | KvmOp::Exit { vcpu, .. },
            ) => vcpus.push(*vcpu),
        }
        if let Some(t) = tasks.iter().find(|t| usize::from(t.0) >= self.tasks.len()) {
            return Err(StepError::new(
                format!("there is no task #{}", t.0),
                "create it with `task NAME`",
            ));
        }
        if let Some(c) = cpus.iter().find(|c| usize::from(c.0) >= self.cpus.len()) {
            return Err(StepError::new(
                format!("there is no {c}"),
                format!("this machine has cpu0–cpu{}", self.cpus.len() - 1),
            ));
        }
        if let Some(v) = vcpus.iter().find(|v| usize::from(v.0) >= self.vcpus.len()) {
            return Err(StepError::new(
                format!("there is no vCPU #{}", v.0),
                "create it with `vcpu NAME sve vl=512`",
            ));
        }
        Ok(())
    }

    fn validate(&self, op: &Op) -> Result<(), StepError> {
        self.check_ids(op)?;
        match op {
            Op::User {
                task,
                insn,
                interrupt,
            } => {
                let c = self.check_at_user(*task)?;
                let zen = self.cpu(c).cpacr_zen_el0en;
                let vl = if zen || !insn.sve {
                    self.rdvl(c)
                } else {
                    self.task(*task).vl
                };
                for w in &insn.writes {
                    let width = match w.reg {
                        Reg::Z(_) => usize::from(vl),
                        Reg::P(_) | Reg::Ffr => usize::from(vl) / 8,
                        Reg::V(_) => 16,
                        Reg::Fpsr | Reg::Fpcr => 4,
                    };
                    if w.value.literal_len() > width {
                        return Err(StepError::new(
                            format!(
                                "value for {} has {} bytes but {} is {} bits wide at {}'s vector length",
                                w.reg,
                                w.value.literal_len(),
                                w.reg,
                                width * 8,
                                self.task(*task).name
                            ),
                            "use a shorter literal, or fill(..)/pattern(..)",
                        ));
                    }
                }
                if *interrupt != TrapInterrupt::None {
                    if !insn.sve || zen {
                        return Err(StepError::new(
                            format!(
                                "no SVE trap would be taken: SVE is enabled for {} at EL0 (CPACR_EL1.ZEN_EL0EN = 1)",
                                self.task(*task).name
                            ),
                            "drop the interrupt clause, or run it when the trap is armed",
                        ));
                    }
                    if let TrapInterrupt::Preempt(next) = interrupt {
                        if *next == Next::Task(*task) {
                            return Err(StepError::new(
                                "a task cannot preempt itself",
                                "name another task, idle or kthread",
                            ));
                        }
                        self.check_next(c, *next)?;
                    }
                }
                Ok(())
            }
            Op::Svc { task, call } => {
                let c = self.check_at_user(*task)?;
                match call {
                    Syscall::Yield(next) => {
                        if *next == Next::Task(*task) {
                            return Err(StepError::new(
                                "a task cannot yield to itself",
                                "name another task, idle or kthread",
                            ));
                        }
                        self.check_next(c, *next)
                    }
                    Syscall::Fork(name) => {
                        self.check_new_task(name, "pick another name for the child")
                    }
                    Syscall::Kill(target, _) => self.check_alive(*target),
                    Syscall::KvmRun(v) => self.validate_kvm_run(*task, *v),
                    Syscall::Sigaction(sig, _) if !matches!(sig, Sig::Usr1 | Sig::Usr2) => {
                        Err(StepError::new(
                            format!("the model's {} is always fatal", sig.name()),
                            "set the action of SIGUSR1 or SIGUSR2",
                        ))
                    }
                    Syscall::KvmRunPreempted { vcpu, next } => {
                        self.validate_kvm_run(*task, *vcpu)?;
                        if *next == Next::Task(*task) {
                            return Err(StepError::new(
                                "a task cannot preempt itself",
                                "name another task, idle or kthread",
                            ));
                        }
                        self.check_next(c, *next)
                    }
                    _ => Ok(()),
                }
            }
            Op::Ctxsw { cpu, next } => {
                self.check_cpu(*cpu)?;
                self.check_next(*cpu, *next)?;
                if self.cpu(*cpu).curr == next.curr() {
                    return Err(StepError::new(
                        format!("{cpu} is already running that"),
                        "nothing to switch",
                    ));
                }
                Ok(())
            }
            Op::CtxswPreemptReturn {
                cpu,
                task,
                then,
                point,
            } => {
                self.check_cpu(*cpu)?;
                if *point == ReturnPoint::BeforeSignal && self.task(*task).pending.is_empty() {
                    return Err(StepError::new(
                        format!("no signal is pending for {}", self.task(*task).name),
                        format!(
                            "send one first (`signal {} SIGUSR1`), or use preempt-before-restore",
                            self.task(*task).name
                        ),
                    ));
                }
                self.check_next(*cpu, Next::Task(*task))?;
                if matches!(
                    self.task(*task).state,
                    TaskState::Stopped(Resume::KvmRun(_) | Resume::KvmRunEntry(_))
                ) {
                    return Err(StepError::new(
                        format!("{} does not return to user space when it resumes: it is inside KVM_RUN", self.task(*task).name),
                        "use a plain `ctxsw`, then `kvm-exit VCPU to-user`",
                    ));
                }
                if *then == Next::Task(*task) {
                    return Err(StepError::new(
                        "a task cannot preempt itself",
                        "name another task, idle or kthread",
                    ));
                }
                if let Next::Task(x) = then {
                    self.check_alive(*x)?;
                    if let Some(on) = self.running_on(*x) {
                        if on != *cpu {
                            return Err(StepError::new(
                                format!("{} is running on {on}", self.task(*x).name),
                                "pick a task that is not running",
                            ));
                        }
                    }
                }
                Ok(())
            }
            Op::Migrate { task, cpu } => {
                self.check_cpu(*cpu)?;
                self.check_alive(*task)?;
                if self.running_on(*task) == Some(*cpu) {
                    return Err(StepError::new(
                        format!("{} already runs on {cpu}", self.task(*task).name),
                        "pick another CPU",
                    ));
                }
                Ok(())
            }
            Op::Signal { task, .. } => self.check_alive(*task),
            Op::Ptrace { task, req } => {
                self.check_alive(*task)?;
                if let Some(c) = self.running_on(*task) {
                    return Err(StepError::new(
                        format!(
                            "{} is running on {c}; ptrace needs a stopped tracee",
                            self.task(*task).name
                        ),
                        format!(
                            "stop it first, e.g. `svc {} yield -> idle` (stopped in a syscall) or `ctxsw {c} idle` (stopped at user level)",
                            self.task(*task).name
                        ),
                    ));
                }
                // A tracee can only be in a ptrace stop at a signal-delivery or syscall stop
                // (the model's "preempted at EL0", "inside a syscall", a new child); not in
                // the middle of the SVE trap or of KVM_RUN.
                match &self.task(*task).state {
                    // KvmRunEntry: KVM_RUN's syscall-entry stop (syscall_trace_enter(), after
                    // fp_user_discard(), before vcpu_load()).
                    TaskState::Stopped(
                        Resume::User | Resume::Syscall | Resume::Fork | Resume::KvmRunEntry(_),
                    ) => {}
                    _ => {
                        return Err(StepError::new(
                            format!(
                                "{} cannot be in a ptrace stop: {}",
                                self.task(*task).name,
                                self.task_where(*task)
                            ),
                            "ptrace stops happen at syscall entry/exit and at signal delivery; let it finish first",
                        ))
                    }
                }
                self.validate_ptrace(req)
            }
            Op::FrameWrite { task, writes } => {
                self.check_at_user(*task)?;
                let t = self.task(*task);
                let Some(f) = t.frames.last() else {
                    return Err(StepError::new(
                        format!("{} has no signal frame", t.name),
                        format!("deliver a signal first: `signal {} SIGUSR1`", t.name),
                    ));
                };
                let vq = f
                    .sve
                    .as_ref()
                    .and_then(|s| s.payload.as_ref())
                    .map(|b| b.vq);
                for w in writes {
                    let width = match (w.reg, vq) {
                        (Reg::Z(_), Some(vq)) => 16 * vq,
                        (Reg::P(_) | Reg::Ffr, Some(vq)) => 2 * vq,
                        (Reg::Z(_) | Reg::P(_) | Reg::Ffr, None) => {
                            return Err(StepError::new(
                                format!("{}'s frame has no SVE register payload", t.name),
                                "write v0–v31, fpsr or fpcr (the fpsimd_context record)",
                            ))
                        }
                        (Reg::V(_), _) => 16,
                        (Reg::Fpsr | Reg::Fpcr, _) => 4,
                    };
                    if f.fpsimd.is_none() && matches!(w.reg, Reg::V(_) | Reg::Fpsr | Reg::Fpcr) {
                        return Err(StepError::new(
                            format!("{}'s frame has no fpsimd_context record", t.name),
                            "write the SVE registers only",
                        ));
                    }
                    if w.value.literal_len() > width {
                        return Err(StepError::new(
                            format!(
                                "value for {} has {} bytes but the frame holds {width}",
                                w.reg,
                                w.value.literal_len()
                            ),
                            "use a shorter literal, or fill(..)/pattern(..)",
                        ));
                    }
                }
                Ok(())
            }
            Op::KernelNeon { cpu } => self.check_cpu(*cpu),
            Op::CpuPm { cpu } | Op::CpuOffline { cpu } => {
                self.check_cpu(*cpu)?;
                if let Curr::Task(t) = self.cpu(*cpu).curr {
                    return Err(StepError::new(
                        format!("{cpu} is running {}", self.task(t).name),
                        format!(
                            "CPU PM and hot-unplug happen on an idle CPU: `ctxsw {cpu} idle` first"
                        ),
                    ));
                }
                if matches!(op, Op::CpuOffline { .. })
                    && self.cpus.iter().filter(|c| c.online).count() == 1
                {
                    return Err(StepError::new(
                        "cannot take the last online CPU down",
                        "bring another CPU online first",
                    ));
                }
                Ok(())
            }
            Op::CpuOnline { cpu } => {
                if usize::from(cpu.0) >= self.cpus.len() {
                    return Err(StepError::new(
                        format!("there is no {cpu}"),
                        "check `cpus N`",
                    ));
                }
                if self.cpu(*cpu).online {
                    return Err(StepError::new(
                        format!("{cpu} is already online"),
                        "nothing to do",
                    ));
                }
                Ok(())
            }
            Op::Kvm(k) => self.validate_kvm(k),
        }
    }
}

/// A few ids, on the stack: what one operation names ([`Machine::check_ids`]).
struct Few<T: Copy, const N: usize> {
    items: [Option<T>; N],
    len: usize,
}

impl<T: Copy, const N: usize> Default for Few<T, N> {
    fn default() -> Self {
        Few {
            items: [None; N],
            len: 0,
        }
    }
}

impl<T: Copy, const N: usize> Few<T, N> {
    fn push(&mut self, x: T) {
        self.items[self.len] = Some(x);
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter().flatten()
    }
}
