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
            name: m.task(t).name.clone(),
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

    /// The VMM of each vCPU: the task of its first `kvm-enter` (or `svc … kvm-run`).
    fn find_vmms(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::KvmEnter { task, vcpu, .. }
                | StmtKind::Svc {
                    task,
                    call: SvcSpec::KvmRun(vcpu),
                } => {
                    self.vmm_of
                        .entry(vcpu.name.clone())
                        .or_insert(task.name.clone());
                }
                StmtKind::Repeat { body, .. } => self.find_vmms(body),
                _ => {}
            }
        }
    }

    fn kvm_statement(&mut self, stmt: &Stmt, before: &Machine, after: &Machine) -> bool {
        match &stmt.kind {
            StmtKind::Vcpu { name, sve, .. } => {
                let Some(v) = after.vcpu_id(&name.name) else {
                    return true;
                };
                let vl = after.vcpu(v).sve_max_vl;
                let Some(vmm) = self.vmm_of.get(&name.name).cloned() else {
                    return true; // never run: nothing to create
                };
                let Some(t) = after.task_id(&vmm) else {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: the VMM task must exist before its vCPU",
                        "declare `task VMM …` first",
                    );
                    return true;
                };
                let i = self.ti(after, t);
                let vm = self.vms.len() as u8;
                if vm >= 2 {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: the runner runs at most 2 vCPUs",
                        "drop a vCPU",
                    );
                    return true;
                }
                self.vms.insert(name.name.clone(), (vm, i, *sve, vl));
                self.vm_ops.push(0);
                self.guest_read.push(None);
                if self.ran[usize::from(i)] {
                    self.reject(stmt.span, "not on a real kernel: the VMM creates its VM with ioctls (syscalls) before it runs anything else", "declare the vCPU before the VMM's first operation");
                } else if self.wh[usize::from(i)] == Where::NotStarted {
                    self.pending_vms.push((vm, i, *sve, vl));
                } else {
                    self.push(
                        RealStep::new(Actor::Task(i), "kvm-create")
                            .task(vm)
                            .arg(0, (*sve).into())
                            .arg(1, vl.into()),
                    );
                }
                true
            }
            StmtKind::KvmEnter { vcpu, .. }
            | StmtKind::Svc {
                call: SvcSpec::KvmRun(vcpu),
                ..
            } => {
                let Some(&(vm, vmm, _, _)) = self.vms.get(&vcpu.name) else {
                    return true;
                };
                self.run = Some((vm, vmm, Vec::new()));
                true
            }
            StmtKind::GuestOp { vcpu, sve, writes } => {
                let Some(v) = before.vcpu_id(&vcpu.name) else {
                    return true;
                };
                let vl = usize::from(before.vcpu(v).sve_max_vl);
                let ws = writes
                    .iter()
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
                        let _ = w.value.materialise(&mut bytes, TaskId(0), w.reg);
                        RealWrite {
                            reg: reg.to_string(),
                            index,
                            bytes,
                        }
                    })
                    .collect();
                match &mut self.run {
                    Some((_, _, ops)) => ops.push((if *sve { 1 } else { 2 }, ws)),
                    None => self.reject(
                        stmt.span,
                        "not on a real kernel: a guest runs inside the VMM's KVM_RUN",
                        "`kvm-enter VMM V0` first",
                    ),
                }
                true
            }
            StmtKind::KvmExit { to_user: false, .. } => {
                if let Some((_, _, ops)) = &mut self.run {
                    ops.push((3, Vec::new()));
                }
                true
            }
            StmtKind::KvmExit { to_user: true, .. } => {
                let Some((vm, vmm, mut ops)) = self.run.take() else {
                    return true;
                };
                ops.push((4, Vec::new()));
                let first = self.vm_ops[usize::from(vm)];
                self.vm_ops[usize::from(vm)] += ops.len() as u32;
                // What the guest read last in this run: the snapshot of its last register
                // operation, if no other operation followed but the exits.
                let last_reg = ops.iter().rposition(|(k, _)| *k == 1 || *k == 2);
                let exits_only =
                    last_reg.is_some_and(|l| ops[l + 1..].iter().all(|(k, _)| *k >= 3));
                self.guest_read[usize::from(vm)] = match last_reg {
                    Some(l) if exits_only => {
                        Some((first + l as u32, if ops[l].0 == 1 { 2 } else { 1 }))
                    }
                    _ => None,
                };
                for (kind, ws) in ops {
                    let mut s = RealStep::new(Actor::Task(vmm), "guest-push")
                        .task(vm)
                        .arg(0, kind);
                    s.writes = ws;
                    self.push(s);
                }
                self.push(RealStep::new(Actor::Task(vmm), "kvm-run").task(vm));
                self.op_done(vmm);
                true
            }
            _ if self.run.is_some() && !matches!(stmt.kind, StmtKind::Repeat { .. }) => {
                self.reject(stmt.span, "not on a real kernel: while the guest runs, the real program can only run guest statements", "end the run with `kvm-exit V to-user` first");
                true
            }
            _ => false,
        }
    }

    fn statement(&mut self, stmt: &Stmt, before: &Machine, after: &Machine) {
        let task_of = |m: &Machine, id: &crate::dsl::ast::Ident| m.task_id(&id.name);
        if self.kvm_statement(stmt, before, after) {
            return;
        }
        match &stmt.kind {
            // `kernel-neon TASK` is the syscall `svc TASK read-neon` (both lower to it).
            StmtKind::KernelNeon(task) => {
                let svc = Stmt {
                    kind: StmtKind::Svc {
                        task: task.clone(),
                        call: SvcSpec::ReadNeon,
                    },
                    ..stmt.clone()
                };
                self.statement(&svc, before, after);
            }
            StmtKind::Kernel(_) | StmtKind::Cpus(_) | StmtKind::Repeat { .. } => {}
            StmtKind::Sysctl(crate::dsl::ast::Sysctl::SveDefaultVectorLength, bytes) => {
                // The coordinator (root) writes /proc/sys/abi/…; restored after the program.
                self.push(RealStep::new(Actor::Coordinator, "sysctl-default-vl").arg(0, *bytes));
            }
            StmtKind::Task { name, on, .. } => {
                let Some(t) = after.task_id(&name.name) else {
                    return;
                };
                let i = self.ti(after, t);
                if on.is_some() {
                    if let Some(c) = (0..after.cpus.len())
                        .find(|&c| after.current(crate::model::types::CpuId(c as u8)) == Some(t))
                    {
                        self.preempt_current(before, c);
                        self.switch_in(after, t, c as u8);
                    }
                }
                let _ = i;
            }
            StmtKind::UserOp {
                task, sve, writes, ..
            } => {
                let Some(t) = task_of(after, task) else {
                    return;
                };
                let i = self.ti(after, t);
                let ws = self.writes(before, t, writes);
                let mut s = RealStep::new(Actor::Task(i), if *sve { "sve" } else { "fp" });
                s.writes = ws;
                self.push(s);
                self.op_done(i);
                self.read_ok[usize::from(i)] = if *sve { 2 } else { 1 };
            }
            StmtKind::Svc { task, call } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let i = self.ti(before, t);
                let me = Actor::Task(i);
                match call {
                    SvcSpec::Getpid => self.push(RealStep::new(me, "getpid")),
                    SvcSpec::Yield(next) => {
                        let cpu = self.cpu_of[usize::from(i)];
                        self.push(RealStep::new(me, "block"));
                        let s = self.coord("sleeping", i);
                        self.push(s);
                        self.wh[usize::from(i)] = Where::Blocked;
                        if let NextSpec::Task(n) = next {
                            if let Some(nt) = after.task_id(&n.name) {
                                self.switch_in(after, nt, cpu);
                            }
                        }
                    }
                    SvcSpec::PrctlSetVl {
                        bits,
                        inherit,
                        onexec,
                    } => {
                        let arg = (*bits / 8) as i64
                            | if *inherit { 1 << 17 } else { 0 }
                            | if *onexec { 1 << 18 } else { 0 };
                        self.push(RealStep::new(me, "prctl-set-vl").arg(0, arg));
                    }
                    SvcSpec::PrctlGetVl => self.push(RealStep::new(me, "prctl-get-vl")),
                    SvcSpec::Fork(child) => {
                        let Some(c) = after.task_id(&child.name) else {
                            return;
                        };
                        let ci = self.ti(after, c);
                        self.push(RealStep::new(me, "fork").task(ci));
                        self.cpu_of[usize::from(ci)] = self.cpu_of[usize::from(i)];
                        let s = self.coord("prio", ci).arg(0, 1);
                        self.push(s);
                        self.wh[usize::from(ci)] = Where::Preempted;
                    }
                    SvcSpec::Exec => self.push(RealStep::new(me, "exec")),
                    SvcSpec::Exit => {
                        self.push(RealStep::new(me, "exit"));
                        self.wh[usize::from(i)] = Where::Gone;
                    }
                    SvcSpec::Kill(target, sig) => {
                        let (Some(tt), Some(sig)) = (before.task_id(&target.name), real_sig(*sig))
                        else {
                            self.reject(stmt.span, "not on a real kernel: only SIGUSR1 and SIGUSR2 are handled by the runner's tasks", "use SIGUSR1");
                            return;
                        };
                        let ti = self.ti(before, tt);
                        self.push(RealStep::new(me, "kill").task(ti).arg(0, sig));
                        // A target running at EL0 on another CPU takes the signal when the
                        // IPI brings it into the kernel: wait until its handler runs.
                        let depth = after.task(tt).frames.len();
                        if tt != t && depth > before.task(tt).frames.len() {
                            let s = self.coord("await-handler", ti).arg(0, depth as i64);
                            self.push(s);
                        }
                    }
                    SvcSpec::Sigreturn(edit) => {
                        let a = match edit {
                            FrameEdit::NoSve => 1,
                            FrameEdit::HeaderOnly => 2,
                            FrameEdit::NoFpsimd => 3,
                            _ => 0,
                        };
                        self.push(RealStep::new(me, "sigreturn").arg(0, a));
                    }
                    SvcSpec::ReadNeon => self.push(RealStep::new(me, "read-neon")),
                    SvcSpec::KvmRun(_) | SvcSpec::Sigaction(..) => {}
                }
                self.op_done(i);
                if let Some(x) = self.x0_ok.get_mut(usize::from(i)) {
                    *x = matches!(call, SvcSpec::PrctlSetVl { .. } | SvcSpec::PrctlGetVl);
                }
                // After the syscall the model may have switched the CPU (exit, yield):
                // follow its view of who is current.
                self.follow(before, after);
            }
            StmtKind::Ctxsw { cpu, next, .. } => {
                let Some(c) = crate::model::types::cpu_index(&cpu.name) else {
                    return;
                };
                let c = usize::from(c);
                let curr_at_el0 = matches!(before.cpus[c].curr, Curr::Task(t) if before.task(t).level == Level::User && before.task(t).state == TaskState::Running);
                if curr_at_el0 && matches!(next, NextSpec::Idle) {
                    self.reject(stmt.span, "not on a real kernel: a task at EL0 cannot be made to stop without a syscall", "use `svc A yield -> idle`, or switch another task in");
                    return;
                }
                self.preempt_current(before, c);
                if let NextSpec::Task(n) = next {
                    if let Some(t) = after.task_id(&n.name) {
                        self.switch_in(after, t, c as u8);
                    }
                }
                self.op_done(0);
            }
            StmtKind::Migrate { task, cpu } => {
                let (Some(t), Some(c)) = (
                    task_of(after, task),
                    crate::model::types::cpu_index(&cpu.name),
                ) else {
                    return;
                };
                let i = self.ti(after, t);
                self.preempt_current(before, usize::from(c));
                let s = self.coord("affinity", i).arg(0, c.into());
                self.push(s);
                self.cpu_of[usize::from(i)] = c;
                self.switch_in(after, t, c);
                self.op_done(i);
            }
            StmtKind::Signal { task, sig } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let running = before.task(t).state == TaskState::Running;
                let Some(sig) = real_sig(*sig).filter(|_| running) else {
                    self.reject(stmt.span, "not on a real kernel: the runner signals a running task with SIGUSR1 or SIGUSR2", "switch the task in first; use SIGUSR1");
                    return;
                };
                let i = self.ti(before, t);
                let s = self.coord("signal", i).arg(0, sig);
                self.push(s);
                self.op_done(i);
            }
            StmtKind::Ptrace { task, req } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let i = self.ti(before, t);
                match req {
                    PtraceSpec::GetFpr => {
                        let s = self.coord("ptrace-get", i).arg(0, 2);
                        self.push(s);
                        self.tracer_ok = true;
                    }
                    PtraceSpec::GetSve => {
                        let s = self.coord("ptrace-get", i).arg(0, 0x405);
                        self.push(s);
                        self.tracer_ok = true;
                    }
                    PtraceSpec::SetFpr(ws) => {
                        let mut s = self.coord("ptrace-set-fpr", i);
                        s.writes = self.writes(before, t, ws);
                        self.push(s);
                        self.tracer_ok = false;
                    }
                    PtraceSpec::SetSve { .. } => {
                        // The model lowered the request: take its VL, flags and payload.
                        let Ok(crate::dsl::lower::Action::Op(crate::model::op::Op::Ptrace {
                            req: crate::model::op::PtraceReq::SetSve { vl, flags, payload },
                            ..
                        })) = crate::dsl::lower::lower(before, &stmt.kind)
                        else {
                            return;
                        };
                        use crate::model::op::SvePayload;
                        let (kind, sve_flag, ws) = match &payload {
                            SvePayload::Header => (0, 1, &[][..]),
                            SvePayload::Fpsimd(ws) => (1, 0, &ws[..]),
                            SvePayload::Sve { writes, partial } => {
                                (if *partial { 3 } else { 2 }, 1, &writes[..])
                            }
                        };
                        let mut s = self
                            .coord("ptrace-set-sve", i)
                            .arg(0, vl.into())
                            .arg(1, i64::from(flags | sve_flag))
                            .arg(2, kind);
                        s.writes = self.writes_at(t, usize::from(vl), ws);
                        self.push(s);
                        self.tracer_ok = false;
                    }
                }
                for r in &mut self.read_ok {
                    *r = 0;
                }
            }
            StmtKind::Expect(Condition::Compare { lhs, .. }) => {
                self.observe(stmt, lhs, after);
            }
            StmtKind::Show(ShowTarget::Path(p)) if p.segments.len() > 1 => {
                self.observe(stmt, p, after);
            }
            StmtKind::Expect(_) | StmtKind::Show(_) => {
                self.reject(
                    stmt.span,
                    "not on a real kernel: only paths a real program can read are observed",
                    "e.g. `expect A.z0 == …` after `sve-op A`, `expect total.traps == …`",
                );
            }
            _ => {}
        }
    }

    /// Keeps the real priorities in step with the model's current tasks after a syscall.
    fn follow(&mut self, before: &Machine, after: &Machine) {
        for c in 0..after.cpus.len() {
            if before.cpus[c].curr == after.cpus[c].curr {
                continue;
            }
            if let Curr::Task(t) = after.cpus[c].curr {
                if after.task(t).state == TaskState::Running {
                    let i = self.ti(after, t);
                    if self.wh[usize::from(i)] != Where::Current {
                        self.switch_in(after, t, c as u8);
                    }
                }
            }
        }
        let _ = Resume::User;
    }

    fn observe(&mut self, stmt: &Stmt, path: &crate::dsl::ast::Path, m: &Machine) {
        let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
        let id = self.obs.len() as u32 + 1;
        let line = self.program.source[..stmt.span.start].matches('\n').count() as u32 + 1;
        let text = self.program.source[stmt.span.start..stmt.span.end].to_string();
        let mut step = RealStep::new(Actor::Coordinator, "obs-x0");
        step.obs = Some(id);
        let what: Observable;
        match segs.as_slice() {
            ["total", counter] | [_, counter] if COUNTED.iter().any(|(c, _)| c == counter) => {
                let func = COUNTED.iter().find(|(c, _)| c == counter).map(|(_, f)| *f);
                let scope = if segs[0] == "total" {
                    -1
                } else if let Some(t) = m.task_id(segs[0]) {
                    i64::from(self.ti(m, t))
                } else {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: counters are counted per task or in total",
                        "e.g. `A.traps` or `total.traps`",
                    );
                    return;
                };
                step.op = "obs-count";
                step.func = func;
                step.args[0] = Some(scope);
                what = Observable::Count;
            }
            [task, "frames"] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                step.op = "obs-depth";
                step.task = Some(i);
                what = Observable::Depth;
            }
            [task, "frame", f @ ("sve" | "sve_vl" | "fpsimd")] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                step.op = "obs-frame";
                step.task = Some(i);
                what = Observable::Frame(f.to_string());
            }
            ["tracer", f] if self.tracer_ok => {
                step.op = "obs-tracer";
                what = Observable::Tracer(f.to_string());
            }
            [task, "x0"] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                if !self.x0_ok[usize::from(i)] {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: x0 is observed right after a prctl",
                        "put the expect right after `svc A prctl-…`",
                    );
                    return;
                }
                step.task = Some(i);
                what = Observable::Int;
            }
            [vcpu, reg] if self.vms.contains_key(*vcpu) => {
                let (vm, _, sve, vl) = self.vms[*vcpu];
                let need = match crate::dsl::parser::parse_reg(reg) {
                    Ok(Reg::V(_)) if sve => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` reads the vCPU's FPSIMD buffer, which KVM does not keep for an SVE vCPU", path.text()), "read the low 128 bits of the Z register instead, e.g. `V0.z0[127:0]`");
                        return;
                    }
                    Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => 2,
                    Ok(_) => 1,
                    Err(_) => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` is the model's bookkeeping, not something the guest can read", path.text()), "observe the guest's registers: z0…, p0…, ffr, v0… (without SVE), fpsr, fpcr");
                        return;
                    }
                };
                let op = match self.guest_read[usize::from(vm)] {
                    Some((op, got)) if got >= need => op,
                    _ => {
                        self.reject(stmt.span, format!("not on a real kernel: the guest reads `{}` only in a run that ends with its register operation", path.text()), if need == 2 { "end the guest's last run with `guest-sve-op V` then `kvm-exit V to-user`" } else { "end the guest's last run with `guest-fp-op V` (or `guest-sve-op V`) then `kvm-exit V to-user`" });
                        return;
                    }
                };
                step.op = "obs-guest";
                step.task = Some(vm);
                step.args[0] = Some(i64::from(op));
                what = Observable::GuestReg {
                    reg: reg.to_string(),
                    vl: u32::from(vl),
                };
            }
            [task, reg] if m.task_id(task).is_some() => {
                let t = m.task_id(task).unwrap_or(TaskId(0));
                let i = self.ti(m, t);
                let need = match crate::dsl::parser::parse_reg(reg) {
                    Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => 2,
                    Ok(_) => 1,
                    Err(_) if *reg == "vl" => 2,
                    Err(_) => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` is the model's bookkeeping, not something user space can read", path.text()), "observe registers, vl, x0, frames, frame.sve|sve_vl|fpsimd, tracer.*, counters");
                        return;
                    }
                };
                if self.read_ok[usize::from(i)] < need {
                    let hint = if need == 2 {
                        "put `sve-op TASK` (an SVE read) right before it"
                    } else {
                        "put `fp-op TASK` (or `sve-op TASK`) right before it"
                    };
                    self.reject(
                        stmt.span,
                        format!(
                            "not on a real kernel: reading `{}` takes an instruction of {task}",
                            path.text()
                        ),
                        hint,
                    );
                    return;
                }
                step.op = "obs-reg";
                step.task = Some(i);
                step.reg = Some(reg.to_string());
                what = if *reg == "vl" || *reg == "fpsr" || *reg == "fpcr" {
                    Observable::RegInt
                } else {
                    Observable::Reg
                };
            }
            _ => {
                self.reject(stmt.span, format!("not on a real kernel: `{}` cannot be read by a real program", path.text()), "observe registers, vl, x0, frames, frame.sve|sve_vl|fpsimd, tracer.*, counters");
                return;
            }
        }
        let predicted = match eval::resolve(m, &path.segments) {
            Ok(v) => match path.slice {
                Some((hi, lo)) => eval::slice(v, hi, lo).unwrap_or(eval::Val::Word("?".into())),
                None => v,
            },
            Err(e) => eval::Val::Word(format!("error: {}", e.message)),
        };
        self.push(step);
        self.obs.push(Observation {
            id,
            line,
            text,
            what: what.with_slice(path.slice),
            predicted,
        });
    }
}
