//! From a script to a real program, with the model's prediction of every observation.
//!
//! The translation runs the script through a [`Session`] on the kernel it predicts for and
//! turns each executed statement into the runner's steps (see [`super::program`]). It
//! knows, from the model, which task is current on each CPU, and keeps the real world in
//! step with it:
//!
//! * a task is a worker pinned to its CPU; the current task of a CPU has SCHED_FIFO
//!   priority 2, a task preempted there priority 1, so a switch from a task at EL0 is an
//!   IRQ preemption, exactly as `ctxsw` says;
//! * a task switched out inside a syscall (`svc A yield -> B`) blocks in a futex, and the
//!   coordinator waits until it really sleeps before anything else happens;
//! * reading a register takes an instruction: an `expect` on `A.z0` reads what the last
//!   `sve-op A` saw, so it must follow that `sve-op` (with only `expect`/`show` between).
//!
//! A statement outside this subset is an error at its line, with the reason.

use super::observe::Observable;
use super::program::{Actor, RealProgram, RealStep, RealTask, RealWrite};
use crate::dsl::ast::{
    Condition, InterruptSpec, NextSpec, PtraceSpec, ShowTarget, Span, Stmt, StmtKind, SvcSpec,
};
use crate::dsl::{eval, Diagnostic, Program};
use crate::model::event::Sig;
use crate::model::kernel::Kernel;
use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::{FrameEdit, Reg, RegWrite};
use crate::model::types::{Curr, Level, TaskId};
use crate::session::{Session, SessionOptions};
use std::collections::HashMap;

mod expect;
mod kvm;
mod statement;

/// One thing the real program observes, and what the model predicts it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Its id in the runner's output (`OBS id …`).
    pub id: u32,
    /// 1-based line of the statement.
    pub line: u32,
    /// The statement's text.
    pub text: String,
    /// What is read, and how the runner's raw output is interpreted.
    pub what: Observable,
    /// The model's value.
    pub predicted: eval::Val,
}

/// A script translated for a real kernel.
#[derive(Clone, Debug)]
pub struct Translation {
    /// The model kernel the predictions are for.
    pub kernel: Kernel,
    /// The program.
    pub program: RealProgram,
    /// Its observations, by id.
    pub observations: Vec<Observation>,
}

/// Kernel functions the runner can count, and the model counters they correspond to.
pub const COUNTED: &[(&str, &str)] = &[
    ("traps", "do_sve_acc"),
    ("sve_alloc_calls", "sve_alloc"),
    ("kernel_neon", "kernel_neon_begin"),
];

/// A `KVM_RUN` being assembled: VM index, VMM task index, the guest's ops (kind, writes).
type GuestRun = (u8, u8, Vec<(i64, Vec<RealWrite>)>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    /// No worker yet.
    NotStarted,
    /// Current on its CPU, at EL0.
    Current,
    /// Preempted at EL0 (priority 1).
    Preempted,
    /// Blocked in a futex (switched out inside a syscall).
    Blocked,
    /// Exited.
    Gone,
}

struct Tr<'a> {
    program: &'a Program,
    prog: RealProgram,
    obs: Vec<Observation>,
    diags: Vec<Diagnostic>,
    index: HashMap<TaskId, u8>,
    wh: Vec<Where>,
    cpu_of: Vec<u8>,
    /// Per task: may its registers be read now (the last operation was its `sve-op`, or
    /// `fp-op` for V/FPSR/FPCR)? 2 = SVE read, 1 = FP read.
    read_ok: Vec<u8>,
    /// Per task: its last operation was a syscall (x0 is its result).
    x0_ok: Vec<bool>,
    tracer_ok: bool,
    /// Per task: has it carried out an operation yet?
    ran: Vec<bool>,
    /// vCPU name → (VM index, VMM task index, has SVE, VL in bytes).
    vms: HashMap<String, (u8, u8, bool, u16)>,
    /// VMs whose VMM has not started yet: created right after it starts.
    pending_vms: Vec<(u8, u8, bool, u16)>,
    /// The KVM_RUN being assembled: VM index, VMM index, guest ops (kind, writes).
    run: Option<GuestRun>,
    /// vCPU name → its VMM's name.
    vmm_of: HashMap<String, String>,
    /// Per VM: guest operations queued so far (the runner numbers them across runs).
    vm_ops: Vec<u32>,
    /// Per VM: the guest's last register snapshot, if its last run ended with one and the
    /// guest has not run since: (op index, 2 = SVE read, 1 = FP read).
    guest_read: Vec<Option<(u32, u8)>>,
}

fn err(span: Span, program: &Program, message: String, hint: &str) -> Diagnostic {
    Diagnostic::error(&program.source, span, message, hint)
}

/// Translates `source` for a real kernel, predicting on `kernel`.
pub fn translate(name: &str, source: &str, kernel: Kernel) -> Result<Translation, Vec<Diagnostic>> {
    let mut session = Session::new(SessionOptions {
        kernel: Some(kernel),
        ..SessionOptions::default()
    });
    let diags = session.load(source);
    if !diags.is_empty() {
        return Err(diags);
    }
    let program = session.program().clone();
    let mut by_span = HashMap::new();
    fn walk<'p>(stmts: &'p [Stmt], m: &mut HashMap<(usize, usize), &'p Stmt>) {
        for s in stmts {
            m.insert((s.span.start, s.span.end), s);
            if let StmtKind::Repeat { body, .. } = &s.kind {
                walk(body, m);
            }
        }
    }
    walk(&program.stmts, &mut by_span);
    let mut tr = Tr {
        program: &program,
        prog: RealProgram {
            name: name.to_string(),
            ..RealProgram::default()
        },
        obs: Vec::new(),
        diags: Vec::new(),
        index: HashMap::new(),
        wh: Vec::new(),
        cpu_of: Vec::new(),
        read_ok: Vec::new(),
        x0_ok: Vec::new(),
        tracer_ok: false,
        ran: Vec::new(),
        vms: HashMap::new(),
        pending_vms: Vec::new(),
        run: None,
        vmm_of: HashMap::new(),
        vm_ops: Vec::new(),
        guest_read: Vec::new(),
    };
    tr.find_vmms(&program.stmts);
    tr.prog.trace = COUNTED.iter().map(|(_, f)| *f).collect();
    tr.check_static(&program.stmts);
    if !tr.diags.is_empty() {
        return Err(tr.diags);
    }
    while let Some((span, _)) = session.next_statement() {
        let Some(stmt) = by_span.get(&(span.start, span.end)).copied() else {
            break;
        };
        let before = session.machine().clone();
        let Some(report) = session.step() else {
            break;
        };
        if let Some(e) = report.error {
            return Err(vec![e]);
        }
        tr.statement(stmt, &before, session.machine());
        if !tr.diags.is_empty() {
            return Err(tr.diags);
        }
    }
    Ok(Translation {
        kernel,
        program: tr.prog,
        observations: tr.obs,
    })
}

fn real_sig(sig: Sig) -> Option<i64> {
    match sig {
        Sig::Usr1 => Some(10),
        Sig::Usr2 => Some(12),
        _ => None,
    }
}

impl Tr<'_> {
    fn reject(&mut self, span: Span, message: impl Into<String>, hint: &str) {
        let d = err(span, self.program, message.into(), hint);
        self.diags.push(d);
    }

    /// What can be rejected before running anything.
    fn check_static(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            let why: Option<(&str, &str)> = match &s.kind {
                StmtKind::Cpus(n) if *n > 2 => Some((
                    "a real program uses at most 2 CPUs for tasks",
                    "the runner keeps a third CPU for itself",
                )),
                StmtKind::KvmMode(crate::model::vcpu::KvmMode::Nvhe) => Some((
                    "the real kernel runs KVM in VHE mode",
                    "drop `kvm-mode nvhe`",
                )),
                StmtKind::Vls(_) => Some((
                    "the real CPU's vector lengths are fixed (128–512 bits)",
                    "drop `vls`",
                )),
                StmtKind::Sysctl(crate::dsl::ast::Sysctl::SveSyscallClearRegs, _) => Some((
                    "abi.sve_syscall_clear_regs exists only in the series' v1 patch 7, which no released kernel has",
                    "run it on the model: `kernel p7`",
                )),
                StmtKind::UserOp {
                    interrupt: InterruptSpec::Preempt(_) | InterruptSpec::SoftirqNeon,
                    ..
                } => Some((
                    "a real program cannot interrupt its own SVE trap at a chosen point",
                    "drop `preempt -> …` / `softirq-neon`",
                )),
                StmtKind::FrameWrite { .. } => Some((
                    "the runner's signal handlers do not edit their frames",
                    "drop `frame-write` (the frame's values can be shown: frame.sve, frame.sve_vl)",
                )),
                StmtKind::KvmEnter {
                    preempt: Some(_), ..
                } => Some((
                    "a real program cannot have its KVM_RUN preempted between syscall entry and vcpu_load() at will",
                    "drop `preempt -> …`: plain `kvm-enter`",
                )),
                StmtKind::Ctxsw {
                    on_return: Some(_),
                    ..
                } => Some((
                    "a real program cannot reschedule a task inside do_notify_resume() at a chosen point",
                    "use a plain `ctxsw`",
                )),
                StmtKind::KernelNeon(id) if crate::model::types::cpu_index(&id.name).is_some() => Some((
                    "user space cannot make a softirq use kernel-mode NEON at a chosen point",
                    "`kernel-neon A` (or `svc A read-neon`) runs kernel-mode NEON in A's syscall (AF_ALG)",
                )),
                StmtKind::GuestZcr { .. } => Some((
                    "the runner's guest code never writes its ZCR_EL1: it runs at its maximum VL",
                    "leave it to the model",
                )),
                StmtKind::CpuPm(_) | StmtKind::CpuOffline(_) | StmtKind::CpuOnline(_) => Some((
                    "CPU power management and hotplug are not driven by real programs",
                    "leave it to the model",
                )),
                StmtKind::Svc {
                    call: SvcSpec::Sigaction(..),
                    ..
                } => Some((
                    "the runner's tasks keep the SIGUSR1/SIGUSR2 handlers it installs",
                    "drop `sigaction` (the model's tasks start with handlers too)",
                )),
                StmtKind::Svc {
                    call: SvcSpec::Sigreturn(FrameEdit::BadVl | FrameEdit::Truncated),
                    ..
                } => Some((
                    "this frame edit is not run on a real kernel",
                    "use as-delivered, no-sve, header-only or no-fpsimd",
                )),
                StmtKind::Svc {
                    call: SvcSpec::Yield(NextSpec::Kthread),
                    ..
                }
                | StmtKind::Ctxsw {
                    next: NextSpec::Kthread,
                    ..
                } => Some((
                    "a real program cannot choose to run a kernel thread",
                    "use a task or `idle`",
                )),
                StmtKind::Repeat { body, .. } => {
                    self.check_static(body);
                    None
                }
                _ => None,
            };
            if let Some((m, h)) = why {
                self.reject(s.span, format!("not on a real kernel: {m}"), h);
            }
        }
    }

    fn ti(&mut self, m: &Machine, t: TaskId) -> u8 {
        if let Some(&i) = self.index.get(&t) {
            return i;
        }
        let i = self.prog.tasks.len() as u8;
        self.prog.tasks.push(RealTask {
            name: m.task(t).name.to_string(),
        });
        self.index.insert(t, i);
        self.wh.push(Where::NotStarted);
        self.cpu_of.push(0);
        self.read_ok.push(0);
        self.x0_ok.push(false);
        self.ran.push(false);
        i
    }

    fn push(&mut self, s: RealStep) {
        self.prog.steps.push(s);
    }

    fn coord(&mut self, op: &'static str, task: u8) -> RealStep {
        RealStep::new(Actor::Coordinator, op).task(task)
    }

    /// Makes `t` the current task of model CPU `cpu` (starting, waking or raising it).
    fn switch_in(&mut self, m: &Machine, t: TaskId, cpu: u8) {
        let i = self.ti(m, t);
        match self.wh[usize::from(i)] {
            Where::NotStarted => {
                let vl = i64::from(m.task(t).vl);
                let s = self
                    .coord("start", i)
                    .arg(0, cpu.into())
                    .arg(1, vl)
                    .arg(2, 2);
                self.push(s);
                self.cpu_of[usize::from(i)] = cpu;
                let mine: Vec<_> = self
                    .pending_vms
                    .iter()
                    .filter(|v| v.1 == i)
                    .copied()
                    .collect();
                self.pending_vms.retain(|v| v.1 != i);
                for (vm, _, sve, vl) in mine {
                    self.push(
                        RealStep::new(Actor::Task(i), "kvm-create")
                            .task(vm)
                            .arg(0, sve.into())
                            .arg(1, vl.into()),
                    );
                }
            }
            Where::Preempted | Where::Current => {
                let s = self.coord("prio", i).arg(0, 2);
                self.push(s);
            }
            Where::Blocked => {
                let s = self.coord("prio", i).arg(0, 2);
                self.push(s);
                let s = self.coord("wake", i);
                self.push(s);
            }
            Where::Gone => {}
        }
        self.wh[usize::from(i)] = Where::Current;
    }

    /// Lowers the task current on `cpu` (before the model step) to "preempted".
    fn preempt_current(&mut self, before: &Machine, cpu: usize) {
        if let Curr::Task(c) = before.cpus[cpu].curr {
            let i = self.ti(before, c);
            if self.wh[usize::from(i)] == Where::Current {
                let s = self.coord("prio", i).arg(0, 1);
                self.push(s);
                self.wh[usize::from(i)] = Where::Preempted;
            }
        }
    }

    fn writes(&mut self, m: &Machine, t: TaskId, ws: &[RegWrite]) -> Vec<RealWrite> {
        // Task VLs are kept in bytes.
        self.writes_at(t, usize::from(m.task(t).vl), ws)
    }

    /// `ws` as bytes, Z/P/FFR at `vl` bytes.
    fn writes_at(&mut self, t: TaskId, vl: usize, ws: &[RegWrite]) -> Vec<RealWrite> {
        ws.iter()
            .map(|w| {
                let (reg, index, len) = match w.reg {
                    Reg::Z(n) => ("z", n, vl),
                    Reg::P(n) => ("p", n, vl / 8),
                    Reg::Ffr => ("ffr", 0, vl / 8),
                    Reg::V(n) => ("v", n, 16),
                    Reg::Fpsr => ("fpsr", 0, 4),
                    Reg::Fpcr => ("fpcr", 0, 4),
                };
                let mut bytes = vec![0u8; len];
                // The model accepted this write, so it materialises.
                let _ = w.value.materialise(&mut bytes, t, w.reg);
                RealWrite {
                    reg: reg.to_string(),
                    index,
                    bytes,
                }
            })
            .collect()
    }

    fn op_done(&mut self, i: u8) {
        if let Some(r) = self.ran.get_mut(usize::from(i)) {
            *r = true;
        }
        for r in &mut self.read_ok {
            *r = 0;
        }
        for x in &mut self.x0_ok {
            *x = false;
        }
        let _ = i;
    }
}
