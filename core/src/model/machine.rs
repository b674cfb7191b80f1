//! The machine: CPUs, tasks, vCPUs and the global configuration — ground state only.
//!
//! Field names follow the kernel (v5.19 `arch/arm64/kernel/fpsimd.c`,
//! `asm/processor.h`, `asm/thread_info.h`, `asm/kvm_host.h`) and the Arm ARM.
//! Anything that can be derived (who owns a CPU's registers, what a task would read) is
//! computed in [`crate::model::view`], never stored twice.

use crate::model::event::{Counter, Counters, Event, EventRecord, Sig, SigAction, WarnSite};

use crate::model::kernel::Kernel;
use crate::model::regs::{sve_vq_from_vl, RegFile, SveBuf, UserFpsimdState};
use crate::model::shared::Rc;
use crate::model::types::{
    CpuId, Curr, Format, FpType, Level, Name, Owner, Renumbering, TaskId, VcpuId,
};
use crate::model::uapi::SigFrame;
use crate::model::vcpu::{KvmMode, Vcpu};
use crate::model::violation::{Cause, Violation};
use serde::{Deserialize, Serialize};

/// A reference to one allocation of an owner's `sve_state` (the pointer the binding holds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SveRef {
    /// Whose buffer.
    pub owner: Owner,
    /// Which allocation of it.
    pub generation: u32,
}

/// `fpsimd_last_state` (`struct fpsimd_last_state_struct`; `struct cpu_fp_state` in
/// v6.2): whose state the CPU's registers hold and where to save it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LastState {
    /// `st`: whose `user_fpsimd_state`; `None` is NULL ("nobody's").
    pub st: Option<Owner>,
    /// `sve_state`: the buffer pointer taken at bind time (`None` if it was NULL).
    pub sve_state: Option<SveRef>,
    /// `sve_vl`: VL in bytes of the bound state.
    pub sve_vl: u16,
    /// `type`/`fp_type` (patch 2+): whose `fp_type` the save records into.
    pub fp_type: Option<Owner>,
    /// `to_save` (patch 3+).
    pub to_save: FpType,
}

impl Default for LastState {
    /// Boot: nobody's state; `to_save` is `FP_STATE_CURRENT`, as every task bind sets it
    /// (so kernels before patch 3, which lack the field, never show it change).
    fn default() -> Self {
        LastState {
            st: None,
            sve_state: None,
            sve_vl: 0,
            fp_type: None,
            to_save: FpType::Current,
        }
    }
}

/// One CPU.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cpu {
    /// The FP/SIMD/SVE registers.
    pub regs: RegFile,
    /// `ZCR_EL1.LEN` as the host sees it (VQ - 1). Under VHE the kernel's accesses go to
    /// `ZCR_EL2`; the model keeps one effective value for the host.
    pub zcr_len: u8,
    /// `CPACR_EL1.ZEN_EL0EN`: EL0 may execute SVE without trapping.
    pub cpacr_zen_el0en: bool,
    /// `fpsimd_last_state`.
    pub last: LastState,
    /// What runs on it.
    pub curr: Curr,
    /// Online (not hot-unplugged).
    pub online: bool,
    /// Events counted on this CPU.
    pub counters: Counters,
}

/// Where a task that is not running will resume.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resume {
    /// Preempted at EL0 (IRQ): returns to user.
    User,
    /// Switched out inside a syscall (`yield`, a blocking call): finishes it and returns.
    Syscall,
    /// Switched out inside the SVE access trap after `sve_alloc()`: finishes
    /// `do_sve_acc()`, returns, and retries the instruction.
    SveTrap(crate::model::op::UserInsn),
    /// A new child: `ret_from_fork`, returns to user.
    Fork,
    /// A VMM switched out inside `KVM_RUN`: the vCPU is reloaded when it runs again.
    KvmRun(VcpuId),
    /// A VMM switched out inside `KVM_RUN` before `vcpu_load()`: the run starts (map,
    /// load, guest entry) when it runs again.
    KvmRunEntry(VcpuId),
    /// Switched out inside `do_notify_resume()` on its way back to EL0 (a reschedule in
    /// the return loop); resumes the loop, then retries the instruction, if any.
    Return(Option<crate::model::op::UserInsn>),
    /// 6.12: switched out by the `schedule()` that opens a `do_notify_resume()` pass
    /// ([`Kernel::notify_resume_schedules_within_the_pass`]); resumes the rest of that pass
    /// with the flags read at its top, then the loop, then retries the instruction, if any.
    ReturnPass {
        /// The instruction retried at EL0.
        retry: Option<crate::model::op::UserInsn>,
        /// `_TIF_SIGPENDING` was set at the top of the pass: `do_signal()` follows.
        signal: bool,
        /// `_TIF_FOREIGN_FPSTATE` was set at the top: `fpsimd_restore_current_state()`.
        foreign: bool,
    },
}

/// A task's scheduling state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskState {
    /// Current on a CPU (which one is in [`Cpu::curr`]).
    Running,
    /// Not running; where it resumes.
    Stopped(Resume),
    /// Exited (its `sve_state` released).
    Exited,
}

/// One user task (`struct task_struct`, the parts that matter).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Task {
    /// Name used by scripts.
    pub name: Name,
    /// `TIF_FOREIGN_FPSTATE`.
    pub tif_foreign_fpstate: bool,
    /// `TIF_SVE`.
    pub tif_sve: bool,
    /// `TIF_SVE_VL_INHERIT`.
    pub tif_sve_vl_inherit: bool,
    /// `thread.uw.fpsimd_state`.
    pub fpsimd_state: UserFpsimdState,
    /// `thread.sve_state` (NULL = `None`).
    pub sve_state: Option<SveBuf>,
    /// `thread.vl[ARM64_VEC_SVE]`, bytes.
    pub vl: u16,
    /// `thread.vl_onexec[ARM64_VEC_SVE]`, bytes (0 = none).
    pub vl_onexec: u16,
    /// `thread.fpsimd_cpu` (`None` = `NR_CPUS`).
    pub fpsimd_cpu: Option<CpuId>,
    /// `thread.fp_type` (patch 2+; kept by the model on every kernel, shown only where it
    /// exists).
    pub fp_type: FpType,
    /// `regs->syscallno != NO_SYSCALL`: `in_syscall()`.
    pub in_syscall: bool,
    /// Scheduling state.
    pub state: TaskState,
    /// Level while running.
    pub level: Level,
    /// Signals sent but not yet delivered.
    pub pending: Vec<Sig>,
    /// Signal frames on the user stack, innermost last.
    pub frames: Vec<SigFrame>,
    /// `x0` as user space last saw it (syscall return values).
    pub x0: i64,
    /// Events counted for this task.
    pub counters: Counters,
    /// Model-only (ghost) state: which memory copy of V is the newest, for the stale-data
    /// check. Not a kernel variable.
    pub ghost_v_newest: Format,
    /// Allocation counter for `sve_state` generations.
    pub sve_generation: u32,
    /// Model-only (ghost): the task has run a vCPU (`KVM_RUN`). Not a kernel variable;
    /// bug attribution reads it (a KVM path of its own, or the CPU a VMM left behind).
    #[serde(default)]
    pub ghost_ran_vcpu: bool,
    /// The actions for SIGUSR1 and SIGUSR2 (`sighand->action[]`); the model's tasks start
    /// with handlers installed. The other signals the model knows are fatal.
    #[serde(default = "handlers_installed")]
    pub sig_actions: [SigAction; 2],
}

fn handlers_installed() -> [SigAction; 2] {
    [SigAction::Handle; 2]
}

impl Task {
    /// A task as `execve()` leaves it: zeroed FPSIMD state, no SVE state, not loaded.
    pub fn new(name: &str, vl: u16) -> Task {
        Task {
            name: name.into(),
            tif_foreign_fpstate: true,
            tif_sve: false,
            tif_sve_vl_inherit: false,
            fpsimd_state: UserFpsimdState::default(),
            sve_state: None,
            vl,
            vl_onexec: 0,
            fpsimd_cpu: None,
            fp_type: FpType::Fpsimd,
            in_syscall: false,
            state: TaskState::Stopped(Resume::User),
            level: Level::User,
            pending: Vec::new(),
            frames: Vec::new(),
            x0: 0,
            counters: Counters::default(),
            ghost_v_newest: Format::Fpsimd,
            sve_generation: 0,
            ghost_ran_vcpu: false,
            sig_actions: handlers_installed(),
        }
    }

    /// VQ of the task's SVE vector length.
    pub fn vq(&self) -> usize {
        sve_vq_from_vl(self.vl)
    }

    /// What the task does with `sig` (SIGUSR1/SIGUSR2 as set; the others are fatal).
    pub fn sig_action(&self, sig: Sig) -> SigAction {
        match sig {
            Sig::Usr1 => self.sig_actions[0],
            Sig::Usr2 => self.sig_actions[1],
            _ => SigAction::Default,
        }
    }

    /// Is the task alive?
    pub fn alive(&self) -> bool {
        self.state != TaskState::Exited
    }
}

/// Global configuration. [`Config::new`] builds one and [`Config::check`] holds the rules
/// every configuration obeys, also one read from JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Config {
    /// Which kernel.
    pub kernel: Kernel,
    /// Number of CPUs (1–8).
    pub cpus: usize,
    /// Supported vector lengths in bytes, ascending (`vq_map`), shared by every CPU (and
    /// by every copy of the machine: a copy costs no allocation).
    pub vls: Rc<[u16]>,
    /// `abi.sve_default_vector_length` (bytes).
    pub sve_default_vl: u16,
    /// `abi.sve_syscall_clear_regs` (patch 7 only).
    pub sve_syscall_clear_regs: bool,
    /// VHE or nVHE host, for KVM.
    pub kvm_mode: KvmMode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            kernel: Kernel::V5_19Rc1,
            cpus: 2,
            vls: Rc::from([16, 32, 64]),
            sve_default_vl: 64,
            sve_syscall_clear_regs: false,
            kvm_mode: KvmMode::Vhe,
        }
    }
}

/// Why a configuration is impossible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// Explore's canonical key renumbers every task and CPU a machine can hold.
const _: () =
    assert!(Config::MAX_CPUS <= Renumbering::CPUS && Config::MAX_TASKS <= Renumbering::TASKS);

impl Config {
    /// The most CPUs the model runs.
    pub const MAX_CPUS: usize = 8;
    /// The most tasks a machine holds (exited ones count: ids are never reused).
    pub const MAX_TASKS: usize = 64;

    /// A configuration with `cpus` CPUs supporting vector lengths `vls` (bytes, any order),
    /// the default VL as `find_supported_vector_length(64)` leaves it and the patch-7
    /// sysctl at its default 0: checked by [`Config::check`], the one place the rules live.
    pub fn new(
        kernel: Kernel,
        cpus: usize,
        mut vls: Vec<u16>,
        kvm_mode: KvmMode,
    ) -> Result<Config, ConfigError> {
        vls.sort_unstable();
        vls.dedup();
        let mut c = Config {
            kernel,
            cpus,
            vls: vls.into(),
            sve_default_vl: 16,
            sve_syscall_clear_regs: false,
            kvm_mode,
        };
        c.sve_default_vl = c.find_supported_vector_length(64);
        c.check()?;
        Ok(c)
    }

    /// Every rule a configuration obeys, wherever it came from (a script, a JSON file):
    /// 1–8 CPUs; vector lengths ascending, each a multiple of 16 bytes from 16 to 256
    /// (`sve_vl_valid()`); the default VL one of them; `abi.sve_syscall_clear_regs` only on
    /// the kernel that has it (patch 7).
    pub fn check(&self) -> Result<(), ConfigError> {
        if !(1..=Config::MAX_CPUS).contains(&self.cpus) {
            return Err(ConfigError(format!(
                "{} CPUs: the model has 1 to {}",
                self.cpus,
                Config::MAX_CPUS
            )));
        }
        if self.vls.is_empty() {
            return Err(ConfigError("no vector length is supported".into()));
        }
        if let Some(bad) = self
            .vls
            .iter()
            .find(|v| !crate::model::regs::sve_vl_valid(u32::from(**v)))
        {
            return Err(ConfigError(format!(
                "vector length {bad} bytes: a VL is a multiple of 16 bytes from 16 to 256"
            )));
        }
        if self.vls.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ConfigError(
                "the vector lengths must be ascending and distinct".into(),
            ));
        }
        if !self.vls.contains(&self.sve_default_vl) {
            return Err(ConfigError(format!(
                "the default VL {} bytes is not a supported vector length",
                self.sve_default_vl
            )));
        }
        if self.sve_syscall_clear_regs && !self.kernel.p7_syscall_clear_regs_sysctl() {
            return Err(ConfigError(format!(
                "abi.sve_syscall_clear_regs does not exist on {}",
                self.kernel
            )));
        }
        Ok(())
    }

    /// `vl_info[ARM64_VEC_SVE].max_vl`.
    pub fn max_vl(&self) -> u16 {
        *self.vls.last().unwrap_or(&16)
    }

    /// `vl_info[ARM64_VEC_SVE].min_vl`.
    pub fn min_vl(&self) -> u16 {
        *self.vls.first().unwrap_or(&16)
    }

    /// `find_supported_vector_length()`: clamp to [min, max], then round down to a
    /// supported vector length.
    pub fn find_supported_vector_length(&self, vl: u32) -> u16 {
        let vl = vl.clamp(u32::from(self.min_vl()), u32::from(self.max_vl()));
        self.vls
            .iter()
            .rev()
            .copied()
            .find(|&v| u32::from(v) <= vl)
            .unwrap_or(self.min_vl())
    }
}

/// The whole machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// Configuration.
    pub config: Config,
    /// CPUs.
    pub cpus: Vec<Cpu>,
    /// Tasks (exited ones stay, so ids are never reused).
    pub tasks: Vec<Task>,
    /// vCPUs.
    pub vcpus: Vec<Vcpu>,
    /// `WARN_ON_ONCE` sites that have already printed.
    pub warned_once: Vec<WarnSite>,
    /// Last ptrace regset read, as the tracer holds it.
    pub tracer_buf: Option<crate::model::uapi::RegsetDump>,
    /// Events of the last step.
    pub(crate) events: Vec<EventRecord>,
    /// Violations detected during the last step (stale data reads, fatal kernel errors).
    pub(crate) step_violations: Vec<Violation>,
    /// Context of the code now running: for event attribution.
    pub(crate) ctx: (Option<CpuId>, Option<TaskId>),
    /// The instruction a successful sigreturn resumes at (transient, within a step).
    #[serde(skip)]
    pub(crate) sigreturn_retry: Option<crate::model::op::UserInsn>,
    /// A reschedule armed for the next return to user of a task (set by
    /// `Op::CtxswPreemptReturn` for the duration of the step).
    #[serde(skip)]
    pub(crate) return_preempt: Option<(
        TaskId,
        crate::model::op::ReturnPoint,
        crate::model::op::Next,
    )>,
}

impl Machine {
    /// A copy to step on without the last step's events and violations (the user view's
    /// walk back to EL0 starts from here: each step clears them anyway).
    pub(crate) fn scratch_copy(&self) -> Machine {
        let Machine {
            config,
            cpus,
            tasks,
            vcpus,
            warned_once,
            tracer_buf,
            events: _,
            step_violations: _,
            ctx,
            sigreturn_retry,
            return_preempt,
        } = self;
        Machine {
            config: config.clone(),
            cpus: cpus.clone(),
            tasks: tasks.clone(),
            vcpus: vcpus.clone(),
            warned_once: warned_once.clone(),
            tracer_buf: tracer_buf.clone(),
            events: Vec::new(),
            step_violations: Vec::new(),
            ctx: *ctx,
            sigreturn_retry: sigreturn_retry.clone(),
            return_preempt: *return_preempt,
        }
    }

    /// A machine with `config.cpus` idle CPUs and no tasks.
    pub fn new(config: Config) -> Machine {
        // Boot probes the VLs from the longest down (vec_probe_vqs()), leaving ZCR_EL1.LEN
        // at the shortest.
        let vq = sve_vq_from_vl(config.min_vl()).max(1);
        let cpu = Cpu {
            regs: RegFile::new(config.max_vl()),
            zcr_len: (vq - 1) as u8,
            cpacr_zen_el0en: false,
            last: LastState::default(),
            curr: Curr::Idle,
            online: true,
            counters: Counters::default(),
        };
        Machine {
            cpus: vec![cpu; config.cpus],
            config,
            tasks: Vec::new(),
            vcpus: Vec::new(),
            warned_once: Vec::new(),
            tracer_buf: None,
            events: Vec::new(),
            step_violations: Vec::new(),
            ctx: (None, None),
            return_preempt: None,
            sigreturn_retry: None,
        }
    }

    /// The kernel being modelled.
    pub fn kernel(&self) -> Kernel {
        self.config.kernel
    }

    /// Events of the last step.
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    /// Violations detected while the last step ran (in addition to [`Machine::check`]).
    pub fn step_violations(&self) -> &[Violation] {
        &self.step_violations
    }

    /// Looks a task up by name.
    pub fn task_id(&self, name: &str) -> Option<TaskId> {
        self.tasks
            .iter()
            .position(|t| t.name == name)
            .map(|i| TaskId(i as u16))
    }

    /// Looks a vCPU up by name.
    pub fn vcpu_id(&self, name: &str) -> Option<VcpuId> {
        self.vcpus
            .iter()
            .position(|v| v.name == name)
            .map(|i| VcpuId(i as u16))
    }

    /// A task.
    pub fn task(&self, t: TaskId) -> &Task {
        &self.tasks[usize::from(t.0)]
    }

    pub(crate) fn task_mut(&mut self, t: TaskId) -> &mut Task {
        &mut self.tasks[usize::from(t.0)]
    }

    /// A CPU.
    pub fn cpu(&self, c: CpuId) -> &Cpu {
        &self.cpus[usize::from(c.0)]
    }

    pub(crate) fn cpu_mut(&mut self, c: CpuId) -> &mut Cpu {
        &mut self.cpus[usize::from(c.0)]
    }

    /// A vCPU.
    pub fn vcpu(&self, v: VcpuId) -> &Vcpu {
        &self.vcpus[usize::from(v.0)]
    }

    pub(crate) fn vcpu_mut(&mut self, v: VcpuId) -> &mut Vcpu {
        &mut self.vcpus[usize::from(v.0)]
    }

    /// The CPU a task is running on.
    pub fn running_on(&self, t: TaskId) -> Option<CpuId> {
        self.cpus
            .iter()
            .position(|c| c.curr == Curr::Task(t))
            .map(|i| CpuId(i as u8))
    }

    /// The task running on a CPU.
    pub fn current(&self, c: CpuId) -> Option<TaskId> {
        match self.cpu(c).curr {
            Curr::Task(t) => Some(t),
            _ => None,
        }
    }

    /// Records an event in the current context and counts it.
    pub(crate) fn emit(&mut self, event: Event) {
        let (cpu, task) = self.ctx;
        self.emit_at(cpu, task, event);
    }

    /// Records an event with an explicit context and counts it.
    pub(crate) fn emit_at(&mut self, cpu: Option<CpuId>, task: Option<TaskId>, event: Event) {
        // What the event counts, worked out once for both sets of counters.
        let counter = event.counter();
        let bytes = event.bytes_moved() as u64;
        let count = |counters: &mut Counters| {
            if let Some(k) = counter {
                counters.add(k, 1);
            }
            if bytes != 0 {
                counters.add(Counter::BytesMoved, bytes);
            }
        };
        if let Some(c) = cpu {
            count(&mut self.cpus[usize::from(c.0)].counters);
        }
        if let Some(t) = task {
            count(&mut self.tasks[usize::from(t.0)].counters);
        }
        self.events.push(EventRecord { cpu, task, event });
    }

    /// A `WARN_ON`/`WARN_ON_ONCE` fired: an event, and a violation of the step.
    pub(crate) fn warn(&mut self, site: WarnSite) {
        self.warn_because(site, Cause::Stated);
    }

    /// [`Machine::warn`], with the fact behind it as data.
    pub(crate) fn warn_because(&mut self, site: WarnSite, cause: Cause) {
        if !self.warned_once.contains(&site) {
            self.warned_once.push(site);
        }
        self.emit(Event::Warn { site });
        let (cpu, task) = self.ctx;
        self.step_violations
            .push(Violation::warn(site, task, cpu).because(cause));
    }

    /// Sets the attribution context, returning the old one.
    pub(crate) fn enter(
        &mut self,
        cpu: Option<CpuId>,
        task: Option<TaskId>,
    ) -> (Option<CpuId>, Option<TaskId>) {
        std::mem::replace(&mut self.ctx, (cpu, task))
    }

    /// Sum of every CPU's counters (each event is counted on exactly one CPU, or on none
    /// when it acted on a stopped task).
    pub fn total_counters(&self) -> Counters {
        let mut total = Counters::default();
        for c in &self.cpus {
            for (k, v) in c.counters.nonzero() {
                total.add(k, v);
            }
        }
        total
    }
}
