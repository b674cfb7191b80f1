//! Explore mode: a bounded, exhaustive search of small scenarios for invariant violations
//! and ABI-oracle mismatches, with the shortest script that reaches each.
//!
//! The search is breadth-first over operation sequences from a fresh machine (`cpus` CPUs,
//! `tasks` tasks running where a CPU is free, `vcpus` vCPUs), up to `depth` operations.
//! Machine states are deduplicated, so it covers the reachable state space rather than
//! every sequence, and tasks and CPUs are treated as interchangeable: a state is keyed by a
//! canonical hash in which tasks and CPUs are renumbered in an order that does not depend on
//! their names. The key includes the ABI oracle's expectations, so two paths meet only if
//! the promises made to every task are the same too.
//!
//! Every finding is reported once per distinct cause — a [`KnownBug`] when one explains it,
//! otherwise the rule and kernel function — with the first (hence shortest) path found,
//! written as a DSL script that `svelab run` replays.
//!
//! The explorer is pure: the front end calls [`Explorer::run`] with a state budget in a
//! loop, printing progress and enforcing a time limit between calls.

use crate::model::bugs::KnownBug;
use crate::model::kernel::Kernel;
use crate::model::machine::{Config, Machine, Resume, TaskState};
use crate::model::op::{KvmOp, PtraceReq, SvePayload};
use crate::model::op::{
    Next, Op, Reg, RegWrite, ReturnPoint, Syscall, TrapInterrupt, UserInsn, Value,
};
use crate::model::oracle::AbiOracle;
use crate::model::regs::Origin;
use crate::model::types::{CpuId, Curr, Level, Owner, TaskId, VcpuId};
use crate::model::vcpu::KvmMode;
use crate::model::violation::{Rule, Violation};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

/// Families of operations the search may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpSet(u16);

impl OpSet {
    /// `sve-op`, `fp-op`.
    pub const USER: OpSet = OpSet(1);
    /// `svc getpid`, `svc yield -> N`.
    pub const SYSCALL: OpSet = OpSet(2);
    /// `ctxsw`, `migrate`.
    pub const SCHED: OpSet = OpSet(4);
    /// `signal`, `svc sigreturn`.
    pub const SIGNAL: OpSet = OpSet(8);
    /// `kernel-neon` on a CPU and in a task's syscall.
    pub const NEON: OpSet = OpSet(16);
    /// `svc prctl-set-vl`.
    pub const PRCTL: OpSet = OpSet(32);
    /// `ptrace get/set`.
    pub const PTRACE: OpSet = OpSet(64);
    /// `kvm-enter`, guest ops, `kvm-exit`.
    pub const KVM: OpSet = OpSet(128);
    /// Preemption inside the SVE trap and on the way back to user space.
    pub const PREEMPT: OpSet = OpSet(256);

    const NAMES: [(&'static str, OpSet); 9] = [
        ("user", OpSet::USER),
        ("syscall", OpSet::SYSCALL),
        ("sched", OpSet::SCHED),
        ("signal", OpSet::SIGNAL),
        ("neon", OpSet::NEON),
        ("prctl", OpSet::PRCTL),
        ("ptrace", OpSet::PTRACE),
        ("kvm", OpSet::KVM),
        ("preempt", OpSet::PREEMPT),
    ];

    /// Every family.
    pub fn all() -> OpSet {
        OpSet(0x1ff)
    }

    /// The default: everything but the fine-grained preemption points.
    pub fn default_set() -> OpSet {
        OpSet(0x1ff & !OpSet::PREEMPT.0)
    }

    /// Does it include `f`?
    pub fn has(self, f: OpSet) -> bool {
        self.0 & f.0 != 0
    }

    /// Parses a comma-separated list of family names (or `all`, `default`).
    pub fn parse(s: &str) -> Result<OpSet, String> {
        let mut set = OpSet(0);
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "all" => set.0 |= OpSet::all().0,
                "default" => set.0 |= OpSet::default_set().0,
                _ => match OpSet::NAMES.iter().find(|(n, _)| *n == word) {
                    Some((_, f)) => set.0 |= f.0,
                    None => {
                        return Err(format!(
                            "unknown operation family `{word}`: known are {}, all, default",
                            OpSet::NAMES.map(|(n, _)| n).join(", ")
                        ))
                    }
                },
            }
        }
        if set.0 == 0 {
            return Err("no operation family given".into());
        }
        Ok(set)
    }

    /// The family names it includes.
    pub fn names(self) -> Vec<&'static str> {
        OpSet::NAMES
            .iter()
            .filter(|(_, f)| self.has(*f))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// What to explore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreConfig {
    /// Kernel.
    pub kernel: Kernel,
    /// VHE or nVHE host (matters with vCPUs).
    pub kvm_mode: KvmMode,
    /// CPUs (1–4).
    pub cpus: usize,
    /// Tasks (1–3), 512-bit VL, switched in on the first CPUs.
    pub tasks: usize,
    /// vCPUs (0–2; the first has SVE at 512 bits, the second has no SVE).
    pub vcpus: usize,
    /// Longest operation sequence.
    pub depth: usize,
    /// Operation families.
    pub ops: OpSet,
}

impl Default for ExploreConfig {
    fn default() -> Self {
        ExploreConfig {
            kernel: Kernel::V6_2,
            kvm_mode: KvmMode::Vhe,
            cpus: 2,
            tasks: 2,
            vcpus: 1,
            depth: 6,
            ops: OpSet::default_set(),
        }
    }
}

/// One finding: a distinct cause and the shortest script that shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The cause: a known bug's name, or `rule-code in function`.
    pub cause: String,
    /// The known bug, when one explains it.
    pub bug: Option<KnownBug>,
    /// The first violation seen for it.
    pub violation: Violation,
    /// Operations in the counterexample.
    pub length: usize,
    /// The counterexample as a DSL script.
    pub script: String,
}

/// Progress counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreStats {
    /// Distinct (canonical) states found.
    pub states: u64,
    /// States expanded.
    pub expanded: u64,
    /// Transitions tried (including impossible operations).
    pub transitions: u64,
    /// Operations the model rejected as impossible in that state.
    pub rejected: u64,
    /// Deepest level fully or partly expanded.
    pub depth: usize,
    /// States waiting at the current frontier.
    pub frontier: usize,
}

#[derive(Clone, Copy, Debug)]
struct Node {
    parent: u32,
    mv: u16,
}

/// One possible next operation.
#[derive(Clone, Debug)]
struct Move {
    op: Op,
    text: String,
}

/// The search.
#[derive(Debug)]
pub struct Explorer {
    cfg: ExploreConfig,
    root: (Machine, AbiOracle),
    header: String,
    nodes: Vec<Node>,
    visited: HashSet<u64>,
    frontier: Vec<u32>,
    next: Vec<u32>,
    cursor: usize,
    depth: usize,
    findings: BTreeMap<String, Finding>,
    stats: ExploreStats,
    /// The last parent state rebuilt, with its path's texts.
    parent_cache: Option<(u32, Machine, AbiOracle, Vec<String>)>,
}

const ROOT: u32 = u32::MAX;
const NAMES: [&str; 3] = ["A", "B", "C"];

impl Explorer {
    /// Sets up the initial machine.
    pub fn new(cfg: ExploreConfig) -> Result<Explorer, String> {
        if !(1..=4).contains(&cfg.cpus) {
            return Err("--cpus must be 1–4".into());
        }
        if !(1..=3).contains(&cfg.tasks) {
            return Err("--tasks must be 1–3".into());
        }
        if cfg.vcpus > 2 {
            return Err("--vcpus must be 0–2".into());
        }
        if cfg.depth == 0 || cfg.depth > 64 {
            return Err("--depth must be 1–64".into());
        }
        let mut m = Machine::new(Config {
            kernel: cfg.kernel,
            cpus: cfg.cpus,
            kvm_mode: cfg.kvm_mode,
            ..Config::default()
        });
        let mut header = format!("kernel {}\ncpus {}\n", cfg.kernel.name(), cfg.cpus);
        if cfg.vcpus > 0 {
            header.push_str(match cfg.kvm_mode {
                KvmMode::Vhe => "kvm-mode vhe\n",
                KvmMode::Nvhe => "kvm-mode nvhe\n",
            });
        }
        for (i, name) in NAMES.iter().enumerate().take(cfg.tasks) {
            let on = (i < cfg.cpus).then_some(CpuId(i as u8));
            m.add_task(name, Some(64), on).map_err(|e| e.to_string())?;
            match on {
                Some(c) => header.push_str(&format!("task {name} vl=512 on={c}\n")),
                None => header.push_str(&format!("task {name} vl=512\n")),
            }
        }
        for i in 0..cfg.vcpus {
            let sve = i == 0;
            m.add_vcpu(&format!("V{i}"), sve, sve.then_some(64))
                .map_err(|e| e.to_string())?;
            header.push_str(&if sve {
                format!("vcpu V{i} sve vl=512\n")
            } else {
                format!("vcpu V{i} nosve\n")
            });
        }
        let oracle = AbiOracle::new(&m);
        let mut visited = HashSet::new();
        visited.insert(state_key(&m, &oracle));
        Ok(Explorer {
            cfg,
            root: (m, oracle),
            header,
            nodes: Vec::new(),
            visited,
            frontier: vec![ROOT],
            next: Vec::new(),
            cursor: 0,
            depth: 0,
            findings: BTreeMap::new(),
            stats: ExploreStats {
                states: 1,
                frontier: 1,
                ..ExploreStats::default()
            },
            parent_cache: None,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ExploreConfig {
        &self.cfg
    }

    /// Findings so far, by cause.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.values()
    }

    /// Counters so far.
    pub fn stats(&self) -> ExploreStats {
        self.stats
    }

    /// Is the search complete (every state up to the depth expanded)?
    pub fn finished(&self) -> bool {
        self.depth >= self.cfg.depth || self.frontier.is_empty()
    }

    /// Expands up to `budget` states; returns whether the search is complete.
    pub fn run(&mut self, budget: u64) -> bool {
        let mut left = budget;
        while !self.finished() && left > 0 {
            if self.cursor == self.frontier.len() {
                self.frontier = std::mem::take(&mut self.next);
                self.cursor = 0;
                self.depth += 1;
                self.stats.depth = self.depth;
                self.stats.frontier = self.frontier.len();
                continue;
            }
            let node = self.frontier[self.cursor];
            self.cursor += 1;
            self.expand(node);
            left -= 1;
            self.stats.frontier = self.frontier.len() - self.cursor + self.next.len();
        }
        self.finished()
    }

    fn path(&self, mut node: u32) -> Vec<u16> {
        let mut p = Vec::new();
        while node != ROOT {
            let n = self.nodes[node as usize];
            p.push(n.mv);
            node = n.parent;
        }
        p.reverse();
        p
    }

    /// Applies move `mv` of state `(m, o)`: the path was valid when it was found, and
    /// replay is deterministic.
    fn replay_move(&self, m: &mut Machine, o: &mut AbiOracle, mv: u16) -> String {
        let moves = moves(m, o, self.cfg.ops);
        let Move { op, text } = &moves[usize::from(mv)];
        if m.apply(op).is_ok() {
            step_oracle(self.cfg.kernel, m, o, op);
        }
        text.clone()
    }

    /// Rebuilds the state of `node` by replaying its path; returns the texts too. Siblings
    /// come one after another in the frontier, so the parent's state is kept and reused.
    fn replay(&mut self, node: u32) -> (Machine, AbiOracle, Vec<String>) {
        if node == ROOT {
            return (self.root.0.clone(), self.root.1.clone(), Vec::new());
        }
        let parent = self.nodes[node as usize].parent;
        let (mut m, mut o, mut texts) = match &self.parent_cache {
            Some((p, m, o, t)) if *p == parent => (m.clone(), o.clone(), t.clone()),
            _ => {
                let (mut m, mut o) = self.root.clone();
                let mut texts = Vec::new();
                for mv in self.path(parent) {
                    texts.push(self.replay_move(&mut m, &mut o, mv));
                }
                self.parent_cache = Some((parent, m.clone(), o.clone(), texts.clone()));
                (m, o, texts)
            }
        };
        let mv = self.nodes[node as usize].mv;
        texts.push(self.replay_move(&mut m, &mut o, mv));
        (m, o, texts)
    }

    fn expand(&mut self, node: u32) {
        self.stats.expanded += 1;
        let (m, o, texts) = self.replay(node);
        let moves = moves(&m, &o, self.cfg.ops);
        for (i, mv) in moves.iter().enumerate() {
            self.stats.transitions += 1;
            let mut m2 = m.clone();
            if m2.apply(&mv.op).is_err() {
                self.stats.rejected += 1;
                continue;
            }
            let mut o2 = o.clone();
            let violations = step_oracle(self.cfg.kernel, &m2, &mut o2, &mv.op);
            if !violations.is_empty() {
                self.record(&violations, &texts, &mv.text);
            }
            let key = state_key(&m2, &o2);
            if self.visited.insert(key) {
                self.stats.states += 1;
                self.nodes.push(Node {
                    parent: node,
                    mv: i as u16,
                });
                self.next.push((self.nodes.len() - 1) as u32);
            }
        }
    }

    fn record(&mut self, violations: &[Violation], prefix: &[String], last: &str) {
        let k = self.cfg.kernel;
        let explained: Vec<(Option<KnownBug>, &Violation)> = violations
            .iter()
            .map(|v| (KnownBug::explain(k, v), v))
            .collect();
        let any_known = explained.iter().any(|(b, _)| b.is_some());
        for (bug, v) in explained {
            let consequence = bug.is_none()
                && any_known
                && matches!(
                    v.rule,
                    Rule::VPreserved | Rule::NoLeak | Rule::GuestStatePreserved
                );
            if consequence {
                continue;
            }
            let cause = match bug {
                Some(b) => b.name().to_string(),
                None => match &v.function {
                    Some(f) => format!("{} in {f}", v.rule.code()),
                    None => v.rule.code().to_string(),
                },
            };
            if self.findings.contains_key(&cause) {
                continue;
            }
            let mut script = format!(
                "# svelab explore: {cause} on {}, {} operation(s)\n# {}\n",
                k.name(),
                prefix.len() + 1,
                v
            );
            script.push_str(&self.header);
            for t in prefix {
                script.push_str(t);
                script.push('\n');
            }
            script.push_str(last);
            script.push('\n');
            script.push_str("expect no-violations\n");
            self.findings.insert(
                cause.clone(),
                Finding {
                    cause,
                    bug,
                    violation: v.clone(),
                    length: prefix.len() + 1,
                    script,
                },
            );
        }
    }
}

/// After `op` produced `m`: update the oracle, and return every violation (model checks
/// and ABI oracle). Expectations already contradicted are forgotten, and so is everything
/// promised to a task a known bug has just corrupted: each cause is reported once.
fn step_oracle(k: Kernel, m: &Machine, o: &mut AbiOracle, op: &Op) -> Vec<Violation> {
    o.observe(op, m);
    let mut violations = m.check();
    violations.extend(o.check_and_forget(m));
    for v in &violations {
        if let (Some(_), Some(t)) = (KnownBug::explain(k, v), v.task) {
            o.forget_task(t);
        }
    }
    violations
}

fn fill(x: u8) -> Value {
    Value::Fill(x)
}

/// The value to write next for a context whose V0 the oracle expects to be `cur`:
/// alternate between two, so a lost write is always visible.
fn next_byte(cur: Option<u128>) -> u8 {
    if cur == Some(u128::from_le_bytes([0x11; 16])) {
        0x22
    } else {
        0x11
    }
}

/// Every operation worth trying in state `m`.
fn moves(m: &Machine, o: &AbiOracle, ops: OpSet) -> Vec<Move> {
    let mut out = Vec::new();
    let mut push = |op: Op, text: String| out.push(Move { op, text });
    let name = |t: TaskId| m.task(t).name.clone();
    let tasks: Vec<TaskId> = (0..m.tasks.len() as u16)
        .map(TaskId)
        .filter(|t| m.task(*t).alive())
        .collect();
    let at_user: Vec<(TaskId, CpuId)> = tasks
        .iter()
        .filter_map(|t| {
            let c = m.running_on(*t)?;
            (m.task(*t).level == Level::User).then_some((*t, c))
        })
        .collect();
    let stopped: Vec<TaskId> = tasks
        .iter()
        .copied()
        .filter(|t| m.running_on(*t).is_none())
        .collect();
    let online: Vec<CpuId> = (0..m.cpus.len() as u8)
        .map(CpuId)
        .filter(|c| m.cpu(*c).online)
        .collect();
    let nexts = |exclude: Option<TaskId>| {
        let mut v: Vec<(Next, String)> = vec![(Next::Idle, "idle".into())];
        for t in &stopped {
            if Some(*t) != exclude {
                v.push((Next::Task(*t), name(*t)));
            }
        }
        v
    };
    for &(t, c) in &at_user {
        let x = next_byte(o.expected_v(t)[0]);
        let n = name(t);
        if ops.has(OpSet::USER) {
            let writes = vec![
                RegWrite {
                    reg: Reg::Z(0),
                    value: fill(x),
                },
                RegWrite {
                    reg: Reg::P(0),
                    value: fill(x),
                },
                RegWrite {
                    reg: Reg::Ffr,
                    value: fill(x),
                },
            ];
            push(
                Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: true,
                        writes: writes.clone(),
                    },
                    interrupt: TrapInterrupt::None,
                },
                format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x})"),
            );
            push(
                Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: false,
                        writes: vec![RegWrite {
                            reg: Reg::V(0),
                            value: fill(x),
                        }],
                    },
                    interrupt: TrapInterrupt::None,
                },
                format!("fp-op {n} v0=fill({x:#04x})"),
            );
            if ops.has(OpSet::PREEMPT) && !m.cpu(c).cpacr_zen_el0en {
                for (nx, nt) in nexts(Some(t)) {
                    push(
                        Op::User { task: t, insn: UserInsn { sve: true, writes: writes.clone() }, interrupt: TrapInterrupt::Preempt(nx) },
                        format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x}) preempt -> {nt}"),
                    );
                }
                push(
                    Op::User { task: t, insn: UserInsn { sve: true, writes }, interrupt: TrapInterrupt::KernelNeon },
                    format!("sve-op {n} z0=fill({x:#04x}) p0=fill({x:#04x}) ffr=fill({x:#04x}) softirq-neon"),
                );
            }
        }
        if ops.has(OpSet::SYSCALL) {
            push(
                Op::Svc {
                    task: t,
                    call: Syscall::Getpid,
                },
                format!("svc {n} getpid"),
            );
            for (nx, nt) in nexts(Some(t)) {
                push(
                    Op::Svc {
                        task: t,
                        call: Syscall::Yield(nx),
                    },
                    format!("svc {n} yield -> {nt}"),
                );
            }
        }
        if ops.has(OpSet::SIGNAL) && !m.task(t).frames.is_empty() {
            push(
                Op::Svc {
                    task: t,
                    call: Syscall::Sigreturn(crate::model::op::FrameEdit::AsDelivered),
                },
                format!("svc {n} sigreturn"),
            );
        }
        if ops.has(OpSet::NEON) {
            push(
                Op::Svc {
                    task: t,
                    call: Syscall::KernelNeon,
                },
                format!("kernel-neon {n}"),
            );
        }
        if ops.has(OpSet::PRCTL) {
            let vl = if m.task(t).vl == 64 { 32u16 } else { 64 };
            push(
                Op::Svc {
                    task: t,
                    call: Syscall::PrctlSetVl {
                        vl: u64::from(vl),
                        flags: 0,
                    },
                },
                format!("svc {n} prctl-set-vl {}", u32::from(vl) * 8),
            );
        }
        if ops.has(OpSet::KVM) {
            for v in 0..m.vcpus.len() as u16 {
                let v = VcpuId(v);
                if m.vcpu_loaded_on(v).is_none() {
                    push(
                        Op::Svc {
                            task: t,
                            call: Syscall::KvmRun(v),
                        },
                        format!("kvm-enter {n} {}", m.vcpu(v).name),
                    );
                }
            }
        }
    }
    if ops.has(OpSet::SCHED) {
        for &c in &online {
            let curr = m.cpu(c).curr;
            for (nx, nt) in nexts(None) {
                let same = matches!((curr, nx), (Curr::Idle, Next::Idle));
                if !same {
                    push(Op::Ctxsw { cpu: c, next: nx }, format!("ctxsw {c} {nt}"));
                }
            }
            if ops.has(OpSet::PREEMPT) {
                for &t in &stopped {
                    if matches!(m.task(t).state, TaskState::Stopped(Resume::KvmRun(_))) {
                        continue;
                    }
                    for (point, word) in [
                        (ReturnPoint::BeforeRestore, "preempt-before-restore"),
                        (ReturnPoint::AfterRestore, "preempt-after-restore"),
                    ] {
                        for (nx, nt) in nexts(Some(t)) {
                            push(
                                Op::CtxswPreemptReturn {
                                    cpu: c,
                                    task: t,
                                    point,
                                    then: nx,
                                },
                                format!("ctxsw {c} {} {word} -> {nt}", name(t)),
                            );
                        }
                    }
                }
            }
        }
        for &t in &tasks {
            for &c in &online {
                if m.running_on(t) != Some(c) && m.running_on(t).is_some() {
                    push(
                        Op::Migrate { task: t, cpu: c },
                        format!("migrate {} {c}", name(t)),
                    );
                }
            }
        }
    }
    if ops.has(OpSet::SIGNAL) {
        for &t in &tasks {
            let task = m.task(t);
            if task.pending.is_empty() && task.frames.len() < 2 {
                push(
                    Op::Signal {
                        task: t,
                        sig: crate::model::event::Sig::Usr1,
                    },
                    format!("signal {} SIGUSR1", name(t)),
                );
            }
        }
    }
    if ops.has(OpSet::NEON) {
        for &c in &online {
            push(Op::KernelNeon { cpu: c }, format!("kernel-neon {c}"));
        }
    }
    if ops.has(OpSet::PTRACE) {
        for &t in &stopped {
            if !matches!(
                m.task(t).state,
                TaskState::Stopped(Resume::User | Resume::Syscall | Resume::Fork)
            ) {
                continue;
            }
            let n = name(t);
            let x = next_byte(o.expected_v(t)[0]);
            let bits = u32::from(m.task(t).vl) * 8;
            push(
                Op::Ptrace {
                    task: t,
                    req: PtraceReq::GetSve,
                },
                format!("ptrace {n} get NT_ARM_SVE"),
            );
            push(
                Op::Ptrace {
                    task: t,
                    req: PtraceReq::GetFpr,
                },
                format!("ptrace {n} get NT_PRFPREG"),
            );
            // A full SVE write, and the writes that carry less than the whole register
            // file: a header only ("change the format"), and a payload that ends after Z0.
            let one = |reg, partial| SvePayload::Sve {
                writes: vec![RegWrite {
                    reg,
                    value: fill(x),
                }],
                partial,
            };
            for (payload, what) in [
                (one(Reg::P(0), false), format!("sve p0=fill({x:#04x})")),
                (SvePayload::Header, "header".to_string()),
                (
                    one(Reg::Z(0), true),
                    format!("sve partial z0=fill({x:#04x})"),
                ),
            ] {
                push(
                    Op::Ptrace {
                        task: t,
                        req: PtraceReq::SetSve {
                            vl: m.task(t).vl,
                            flags: 0,
                            payload,
                        },
                    },
                    format!("ptrace {n} set NT_ARM_SVE vl={bits} {what}"),
                );
            }
        }
    }
    if ops.has(OpSet::KVM) {
        for v in 0..m.vcpus.len() as u16 {
            let v = VcpuId(v);
            if m.vcpu_loaded_on(v).is_none() {
                continue;
            }
            let vn = m.vcpu(v).name.clone();
            let x = next_byte(Some(crate::model::oracle::guest_v(m, v, 0)));
            if m.vcpu(v).has_sve {
                push(
                    Op::Kvm(KvmOp::GuestOp {
                        vcpu: v,
                        insn: UserInsn {
                            sve: true,
                            writes: vec![RegWrite {
                                reg: Reg::Z(0),
                                value: fill(x),
                            }],
                        },
                    }),
                    format!("guest-sve-op {vn} z0=fill({x:#04x})"),
                );
            }
            push(
                Op::Kvm(KvmOp::GuestOp {
                    vcpu: v,
                    insn: UserInsn {
                        sve: false,
                        writes: vec![RegWrite {
                            reg: Reg::V(0),
                            value: fill(x),
                        }],
                    },
                }),
                format!("guest-fp-op {vn} v0=fill({x:#04x})"),
            );
            if m.vcpu(v).in_guest {
                push(
                    Op::Kvm(KvmOp::Exit {
                        vcpu: v,
                        to_user: false,
                    }),
                    format!("kvm-exit {vn}"),
                );
            }
            push(
                Op::Kvm(KvmOp::Exit {
                    vcpu: v,
                    to_user: true,
                }),
                format!("kvm-exit {vn} to-user"),
            );
        }
    }
    out
}

/// A fast, non-cryptographic hasher (the FxHash mixing step) for state keys.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
}

struct Perm {
    task: Vec<u16>,
    cpu: Vec<u8>,
}

impl Perm {
    fn t(&self, t: TaskId) -> u16 {
        self.task[usize::from(t.0)]
    }
    fn c(&self, c: CpuId) -> u8 {
        self.cpu[usize::from(c.0)]
    }
    fn origin(&self, o: Origin, h: &mut Fx) {
        match o {
            Origin::Zero => h.write_u8(0),
            Origin::Task(t) => {
                h.write_u8(1);
                h.write_u64(u64::from(self.t(t)));
            }
            Origin::Vcpu(v) => {
                h.write_u8(2);
                h.write_u64(u64::from(v.0));
            }
            Origin::Kernel => h.write_u8(3),
        }
    }
    fn owner(&self, o: Option<Owner>, h: &mut Fx) {
        match o {
            None => h.write_u8(0),
            Some(Owner::Task(t)) => {
                h.write_u8(1);
                h.write_u64(u64::from(self.t(t)));
            }
            Some(Owner::Vcpu(v)) => {
                h.write_u8(2);
                h.write_u64(u64::from(v.0));
            }
        }
    }
    fn origins(&self, o: &crate::model::regs::Origins, h: &mut Fx) {
        for x in o.z_lo.iter().chain(&o.z_hi).chain(&o.p) {
            self.origin(*x, h);
        }
        self.origin(o.ffr, h);
    }
}

/// A hash of a task that does not depend on ids (for choosing the canonical order).
fn task_signature(m: &Machine, o: &AbiOracle, t: TaskId) -> u64 {
    let task = m.task(t);
    let mut h = Fx::default();
    (
        task.tif_foreign_fpstate,
        task.tif_sve,
        task.tif_sve_vl_inherit,
        task.vl,
        task.vl_onexec,
        task.fp_type,
    )
        .hash(&mut h);
    (
        task.in_syscall,
        m.running_on(t).is_some(),
        task.frames.len(),
        task.pending.len(),
    )
        .hash(&mut h);
    std::mem::discriminant(&task.state).hash(&mut h);
    task.fpsimd_state.vregs.hash(&mut h);
    if let Some(b) = &task.sve_state {
        b.bytes.hash(&mut h);
    }
    o.expected_v(t).hash(&mut h);
    h.finish()
}

fn cpu_signature(m: &Machine, c: CpuId) -> u64 {
    let cpu = m.cpu(c);
    let mut h = Fx::default();
    (
        cpu.online,
        cpu.zcr_len,
        cpu.cpacr_zen_el0en,
        cpu.last.st.is_some(),
    )
        .hash(&mut h);
    std::mem::discriminant(&cpu.curr).hash(&mut h);
    for z in &cpu.regs.z {
        h.write(&z[..64]);
    }
    h.finish()
}

/// The canonical key of a state: tasks and CPUs renumbered by signature.
fn state_key(m: &Machine, o: &AbiOracle) -> u64 {
    let nt = m.tasks.len();
    let nc = m.cpus.len();
    let mut torder: Vec<usize> = (0..nt).collect();
    let tsig: Vec<u64> = (0..nt)
        .map(|i| task_signature(m, o, TaskId(i as u16)))
        .collect();
    torder.sort_by_key(|&i| (tsig[i], i));
    let mut corder: Vec<usize> = (0..nc).collect();
    let csig: Vec<u64> = (0..nc).map(|i| cpu_signature(m, CpuId(i as u8))).collect();
    corder.sort_by_key(|&i| (csig[i], i));
    let mut perm = Perm {
        task: vec![0; nt],
        cpu: vec![0; nc],
    };
    for (new, &old) in torder.iter().enumerate() {
        perm.task[old] = new as u16;
    }
    for (new, &old) in corder.iter().enumerate() {
        perm.cpu[old] = new as u8;
    }
    let mut h = Fx::default();
    for &ci in &corder {
        let c = CpuId(ci as u8);
        let cpu = m.cpu(c);
        (cpu.online, cpu.zcr_len, cpu.cpacr_zen_el0en).hash(&mut h);
        for z in &cpu.regs.z {
            h.write(z);
        }
        for p in &cpu.regs.p {
            h.write(p);
        }
        h.write(&cpu.regs.ffr);
        (cpu.regs.fpsr, cpu.regs.fpcr).hash(&mut h);
        perm.origins(&cpu.regs.origin, &mut h);
        perm.owner(cpu.last.st, &mut h);
        let sve_ok = match (cpu.last.sve_state, cpu.last.st) {
            (Some(r), _) => m.sve_ref(r.owner) == Some(r),
            (None, _) => false,
        };
        (sve_ok, cpu.last.sve_vl, cpu.last.to_save).hash(&mut h);
        perm.owner(cpu.last.fp_type, &mut h);
        match cpu.curr {
            Curr::Idle => h.write_u8(0),
            Curr::Kthread => h.write_u8(1),
            Curr::Task(t) => {
                h.write_u8(2);
                h.write_u64(u64::from(perm.t(t)));
            }
        }
    }
    for &ti in &torder {
        let t = TaskId(ti as u16);
        let task = m.task(t);
        (
            task.tif_foreign_fpstate,
            task.tif_sve,
            task.tif_sve_vl_inherit,
            task.vl,
            task.vl_onexec,
            task.fp_type,
            task.in_syscall,
        )
            .hash(&mut h);
        task.fpsimd_cpu.map(|c| perm.c(c)).hash(&mut h);
        task.fpsimd_state.vregs.hash(&mut h);
        (
            task.fpsimd_state.fpsr,
            task.fpsimd_state.fpcr,
            task.ghost_v_newest,
        )
            .hash(&mut h);
        for x in task.fpsimd_state.origin {
            perm.origin(x, &mut h);
        }
        match &task.sve_state {
            None => h.write_u8(0),
            Some(b) => {
                h.write_u8(1);
                h.write(&b.bytes);
                perm.origins(&b.origin, &mut h);
            }
        }
        match &task.state {
            TaskState::Running => h.write_u8(0),
            TaskState::Exited => h.write_u8(1),
            TaskState::Stopped(r) => {
                h.write_u8(2);
                match r {
                    Resume::User => h.write_u8(0),
                    Resume::Syscall => h.write_u8(1),
                    Resume::Fork => h.write_u8(2),
                    Resume::KvmRun(v) => {
                        h.write_u8(3);
                        h.write_u64(u64::from(v.0));
                    }
                    Resume::SveTrap(i) => {
                        h.write_u8(4);
                        i.hash(&mut h);
                    }
                    Resume::Return(i) => {
                        h.write_u8(5);
                        i.hash(&mut h);
                    }
                }
            }
        }
        task.level.hash(&mut h);
        task.pending.hash(&mut h);
        for f in &task.frames {
            (f.sig, f.fpsimd.as_ref().map(|s| s.vregs)).hash(&mut h);
            if let Some(s) = &f.sve {
                (s.vl, s.size, s.payload.as_ref().map(|b| &b.bytes)).hash(&mut h);
            }
        }
        o.expected_v(t).hash(&mut h);
    }
    for v in &m.vcpus {
        (
            v.fp_owner,
            v.host_sve_enabled,
            v.fp_foreign_fpstate,
            v.in_guest,
            v.fp_type,
            v.zcr_el1,
        )
            .hash(&mut h);
        v.vmm.map(|t| perm.t(t)).hash(&mut h);
        v.fp_regs.vregs.hash(&mut h);
        if let Some(b) = &v.sve_state {
            h.write(&b.bytes);
        }
    }
    for i in 0..m.vcpus.len() {
        o.expected_guest_v(VcpuId(i as u16)).hash(&mut h);
    }
    h.finish()
}
