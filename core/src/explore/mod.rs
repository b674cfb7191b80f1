//! Explore mode: a bounded, exhaustive search of small scenarios for invariant violations
//! and ABI-oracle mismatches, with the shortest script that reaches each.
//!
//! The search is breadth-first over operation sequences from a fresh machine (`cpus` CPUs,
//! `tasks` tasks running where a CPU is free, `vcpus` vCPUs), up to `depth` operations.
//! States are deduplicated, so it covers the reachable state space rather than every
//! sequence. A state is the whole machine and the ABI oracle's promises, in a canonical
//! form where tasks and CPUs are renumbered in an order that does not depend on their
//! numbers ([`canon`]): two paths meet only if everything a later step can read is the same,
//! up to swapping interchangeable tasks and CPUs.
//!
//! Visited states are remembered as 128-bit fingerprints of that form (16 bytes each), or,
//! in [`KeyMode::Exact`], as the form itself. States are not stored: the search keeps a
//! parent pointer and a move number per state and rebuilds a state by replaying its path.
//! Each level is expanded in batches; natively a batch is split over a thread pool
//! (`std::thread::scope`), and the results are merged in frontier order, so the states,
//! their numbering and the findings do not depend on the number of threads.
//!
//! Every finding is reported once per distinct cause — a [`KnownBug`] when one explains it,
//! otherwise the rule and kernel function — with the first (hence shortest) path found,
//! written as a DSL script that `svelab run` replays.
//!
//! The explorer is pure: the front end calls [`Explorer::run`] with a state budget in a
//! loop, printing progress and enforcing a time limit between calls.

mod canon;
mod moves;
#[cfg(test)]
mod tests;

use crate::model::bugs::KnownBug;
use crate::model::digest::{Fp128, HashBytes};
use crate::model::kernel::Kernel;
use crate::model::machine::{Config, Machine};
use crate::model::oracle::AbiOracle;
use crate::model::types::CpuId;
use crate::model::vcpu::KvmMode;
use crate::model::violation::{Rule, Violation};
use moves::{judge, moves, step_oracle, Move};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

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
    /// Preemption inside the SVE trap, on the way back to user space (also before a
    /// pending signal) and between `KVM_RUN`'s entry and `vcpu_load()`.
    pub const PREEMPT: OpSet = OpSet(256);
    /// A guest writing its own `ZCR_EL1` (`guest-zcr`).
    pub const ZCR: OpSet = OpSet(512);
    /// Signal handlers: `frame-write` into the innermost frame, `svc sigaction SIGUSR1`.
    pub const HANDLER: OpSet = OpSet(1024);

    const NAMES: [(&'static str, OpSet); 11] = [
        ("user", OpSet::USER),
        ("syscall", OpSet::SYSCALL),
        ("sched", OpSet::SCHED),
        ("signal", OpSet::SIGNAL),
        ("neon", OpSet::NEON),
        ("prctl", OpSet::PRCTL),
        ("ptrace", OpSet::PTRACE),
        ("kvm", OpSet::KVM),
        ("preempt", OpSet::PREEMPT),
        ("zcr", OpSet::ZCR),
        ("handler", OpSet::HANDLER),
    ];

    /// Every family.
    pub fn all() -> OpSet {
        OpSet(0x7ff)
    }

    /// The default: everything but the fine-grained preemption points, guests' own
    /// `ZCR_EL1` writes and signal handlers' edits.
    pub fn default_set() -> OpSet {
        OpSet(0x7ff & !(OpSet::PREEMPT.0 | OpSet::ZCR.0 | OpSet::HANDLER.0))
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

/// How visited states are remembered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyMode {
    /// A 128-bit fingerprint of the canonical state: 16 bytes per state. Register arrays
    /// enter it as 128-bit digests of their contents, so a merge of two distinct states
    /// needs two distinct states or two distinct arrays to share 128 bits: for n states
    /// with at most k arrays each (k ≤ 16 here), probability at most (n² + (kn)²)/2^129
    /// (the birthday bound): below 10^-22 for 10^7 states.
    #[default]
    Fingerprint,
    /// The canonical state itself (zero runs compressed; a few hundred bytes per state):
    /// no collision is possible. For tests and cross-checks.
    Exact,
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
    /// How visited states are remembered.
    #[serde(default)]
    pub keys: KeyMode,
    /// Worker threads (0: one per core; always 1 on wasm32). The result does not depend
    /// on it.
    #[serde(default)]
    pub threads: usize,
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
            keys: KeyMode::Fingerprint,
            threads: 0,
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

/// A state found: how it was first reached.
#[derive(Clone, Copy, Debug)]
struct Node {
    parent: u32,
    mv: u16,
    /// The move broke no rule: replaying it needs no checks (the oracle forgets nothing).
    clean: bool,
}

// The flag fits in the padding: a state still costs 8 bytes of node table.
const _: () = assert!(std::mem::size_of::<Node>() == 8);

/// A visited state's key.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Key {
    Fingerprint(u128),
    Exact(Box<[u8]>),
}

/// Fingerprints are uniformly distributed already: the set's hash is a fold of one.
#[derive(Default)]
struct Fold(u64);

impl Hasher for Fold {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, x: u128) {
        self.0 = (x as u64) ^ ((x >> 64) as u64);
    }
}

/// The visited states.
#[derive(Debug)]
enum Seen {
    Fingerprint(HashSet<u128, BuildHasherDefault<Fold>>),
    Exact(HashSet<Box<[u8]>>),
}

impl Seen {
    fn contains(&self, k: &Key) -> bool {
        match (self, k) {
            (Seen::Fingerprint(s), Key::Fingerprint(f)) => s.contains(f),
            (Seen::Exact(s), Key::Exact(b)) => s.contains(b),
            _ => false,
        }
    }

    fn insert(&mut self, k: Key) -> bool {
        match (self, k) {
            (Seen::Fingerprint(s), Key::Fingerprint(f)) => s.insert(f),
            (Seen::Exact(s), Key::Exact(b)) => s.insert(b),
            _ => false,
        }
    }

    fn remove(&mut self, k: &Key) {
        match (self, k) {
            (Seen::Fingerprint(s), Key::Fingerprint(f)) => {
                s.remove(f);
            }
            (Seen::Exact(s), Key::Exact(b)) => {
                s.remove(b);
            }
            _ => {}
        }
    }

    fn empty(mode: KeyMode) -> Seen {
        match mode {
            KeyMode::Fingerprint => Seen::Fingerprint(HashSet::default()),
            KeyMode::Exact => Seen::Exact(HashSet::new()),
        }
    }
}

/// What one worker found expanding a run of frontier states.
#[derive(Debug, Default)]
struct Expansion {
    /// New-looking successors: parent, move, key, and whether the state was checked and
    /// found clean (in order).
    succ: Vec<(u32, u16, Key, bool)>,
    /// Moves that broke a rule with a cause not yet reported: parent, move, violations.
    hits: Vec<(u32, u16, Vec<Violation>)>,
    expanded: u64,
    transitions: u64,
    rejected: u64,
}

/// The search.
#[derive(Debug)]
pub struct Explorer {
    cfg: ExploreConfig,
    root: (Machine, AbiOracle),
    header: String,
    nodes: Vec<Node>,
    seen: Seen,
    /// Visited states not known to pass the state checks ([`Ctx::known_clean`]).
    unchecked: Seen,
    /// Skip the state checks of a state known to pass them (off only to test that
    /// skipping changes nothing).
    memo: bool,
    frontier: Vec<u32>,
    next: Vec<u32>,
    cursor: usize,
    depth: usize,
    findings: BTreeMap<String, Finding>,
    stats: ExploreStats,
    threads: usize,
}

const ROOT: u32 = u32::MAX;
const NAMES: [&str; 3] = ["A", "B", "C"];

/// The cause a violation is reported under, or `None` when it is the consequence of a
/// known bug that another violation of the same step names.
fn causes(k: Kernel, violations: &[Violation]) -> Vec<(String, Option<KnownBug>, &Violation)> {
    let explained: Vec<(Option<KnownBug>, &Violation)> = violations
        .iter()
        .map(|v| (KnownBug::explain(k, v), v))
        .collect();
    let any_known = explained.iter().any(|(b, _)| b.is_some());
    explained
        .into_iter()
        .filter(|(bug, v)| {
            !(bug.is_none()
                && any_known
                && matches!(
                    v.rule,
                    Rule::VPreserved | Rule::NoLeak | Rule::GuestStatePreserved
                ))
        })
        .map(|(bug, v)| {
            let cause = match bug {
                Some(b) => b.name().to_string(),
                None => match &v.function {
                    Some(f) => format!("{} in {f}", v.rule.code()),
                    None => v.rule.code().to_string(),
                },
            };
            (cause, bug, v)
        })
        .collect()
}

/// The key of a state; `buf` is scratch space for exact keys.
fn key(mode: KeyMode, m: &Machine, o: &AbiOracle, buf: &mut HashBytes) -> Key {
    match mode {
        KeyMode::Fingerprint => {
            let mut h = Fp128::default();
            canon::encode(m, o, &mut h, false);
            Key::Fingerprint(h.finish128())
        }
        KeyMode::Exact => {
            buf.0.clear();
            canon::encode(m, o, buf, true);
            Key::Exact(canon::compress(&buf.0))
        }
    }
}

/// Runs `f` over contiguous runs of `items`, on up to `threads` threads natively; the
/// results come back in the order of the runs. Each run gets its own worker state: from
/// `here` on the calling thread, from `there` on the others.
fn par_runs<W, R: Send>(
    items: &[u32],
    threads: usize,
    here: impl FnOnce() -> W,
    there: impl Fn() -> W + Sync,
    f: impl Fn(&W, &[u32]) -> R + Sync,
) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 && items.len() >= 4 * threads {
        let size = items.len().div_ceil(threads);
        let (f, there) = (&f, &there);
        let mut runs = items.chunks(size);
        let first = runs.next().unwrap_or(&[]);
        return std::thread::scope(|s| {
            let workers: Vec<_> = runs.map(|run| s.spawn(move || f(&there(), run))).collect();
            let mut out = vec![f(&here(), first)];
            for w in workers {
                match w.join() {
                    Ok(r) => out.push(r),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            out
        });
    }
    let _ = (threads, there);
    vec![f(&here(), items)]
}

/// The initial machine and oracle of a search, and the DSL header that sets it up.
fn build_root(cfg: &ExploreConfig) -> Result<(Machine, AbiOracle, String), String> {
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
    Ok((m, oracle, header))
}

/// What a worker reads while a batch is expanded. It holds no machine: a machine lives on
/// one thread (its register storage is shared without atomic counts), so each worker
/// builds its own root.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    cfg: &'a ExploreConfig,
    nodes: &'a [Node],
    seen: &'a Seen,
    unchecked: &'a Seen,
    memo: bool,
    findings: &'a BTreeMap<String, Finding>,
}

impl Ctx<'_> {
    /// Was the state of key `k` found before, and then checked and found clean? The state
    /// checks ([`judge`] without the step's own violations: the invariants and the ABI
    /// oracle's promises) read only what the key keeps, up to renumbering tasks and CPUs,
    /// so a state with that key passes them again, and the step leads to that state.
    fn known_clean(&self, k: &Key) -> bool {
        self.seen.contains(k) && !self.unchecked.contains(k)
    }
}

/// A worker: the shared context and its own copy of the initial state.
struct Walker<'a> {
    ctx: Ctx<'a>,
    root: (Machine, AbiOracle),
}

/// The root again, on a worker thread (the configuration was accepted by
/// [`Explorer::new`], and building it is deterministic).
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn rebuild_root(cfg: &ExploreConfig) -> (Machine, AbiOracle) {
    match build_root(cfg) {
        Ok((m, o, _)) => (m, o),
        Err(e) => unreachable!("Explorer::new accepted this configuration: {e}"),
    }
}

impl Walker<'_> {
    /// The moves from the root to `node`.
    fn path(&self, mut node: u32) -> Vec<Node> {
        let mut p = Vec::new();
        while node != ROOT {
            let n = self.ctx.nodes[node as usize];
            p.push(n);
            node = n.parent;
        }
        p.reverse();
        p
    }

    /// Applies move `mv` of state `(m, o)` (the path was valid when it was found, and
    /// replay is deterministic); returns its text when asked for. A move known `clean`
    /// only updates the oracle's promises: its checks found nothing to forget.
    fn step(
        &self,
        m: &mut Machine,
        o: &mut AbiOracle,
        mv: u16,
        clean: bool,
        texts: bool,
    ) -> String {
        let mut moves = moves(m, o, self.ctx.cfg.ops, texts);
        let Move { op, text } = moves.swap_remove(usize::from(mv));
        if m.apply(&op).is_ok() {
            if clean {
                o.observe(&op, m);
            } else {
                step_oracle(self.ctx.cfg.kernel, m, o, &op);
            }
        }
        text
    }

    /// The state of `node`, by replaying its path from the root.
    fn replay(&self, node: u32) -> (Machine, AbiOracle) {
        let (mut m, mut o) = self.root.clone();
        for n in self.path(node) {
            self.step(&mut m, &mut o, n.mv, n.clean, false);
        }
        (m, o)
    }

    /// Expands a run of frontier states. Siblings are next to each other in the frontier,
    /// so the last parent rebuilt is kept.
    fn expand_run(&self, run: &[u32]) -> Expansion {
        let mut out = Expansion::default();
        let mut parent: Option<(u32, Machine, AbiOracle)> = None;
        let mut buf = HashBytes::default();
        // States of this run found clean (not in `seen` until the run is merged).
        let mut clean = Seen::empty(self.ctx.cfg.keys);
        for &node in run {
            let (m, o) = if node == ROOT {
                self.root.clone()
            } else {
                let n = self.ctx.nodes[node as usize];
                let (mut m, mut o) = match &parent {
                    Some((p, m, o)) if *p == n.parent => (m.clone(), o.clone()),
                    _ => {
                        let (m, o) = self.replay(n.parent);
                        parent = Some((n.parent, m.clone(), o.clone()));
                        (m, o)
                    }
                };
                self.step(&mut m, &mut o, n.mv, n.clean, false);
                (m, o)
            };
            let mut m = m;
            // The last step's events are not cloned into every successor.
            m.events.clear();
            m.step_violations.clear();
            self.expand(node, &m, &o, &mut buf, &mut clean, &mut out);
        }
        out
    }

    fn expand(
        &self,
        node: u32,
        m: &Machine,
        o: &AbiOracle,
        buf: &mut HashBytes,
        clean_here: &mut Seen,
        out: &mut Expansion,
    ) {
        out.expanded += 1;
        let (kernel, mode) = (self.ctx.cfg.kernel, self.ctx.cfg.keys);
        // The successors' event lists: the key leaves events out and nothing here reads
        // them, so one list's allocation serves every successor in turn.
        let mut events = Vec::new();
        for (i, mv) in moves(m, o, self.ctx.cfg.ops, false).iter().enumerate() {
            out.transitions += 1;
            let mut m2 = m.clone();
            events.clear();
            m2.events = std::mem::take(&mut events);
            let applied = m2.apply(&mv.op);
            events = std::mem::take(&mut m2.events);
            if applied.is_err() {
                out.rejected += 1;
                continue;
            }
            let mut o2 = o.clone();
            o2.observe(&mv.op, &m2);
            // A step without violations of its own into a state known to pass the state
            // checks passes them again: the oracle's walks back to user space are skipped.
            let early = (self.ctx.memo && m2.step_violations.is_empty()).then(|| {
                let k = key(mode, &m2, &o2, buf);
                let clean = self.ctx.known_clean(&k) || clean_here.contains(&k);
                (k, clean)
            });
            if let Some((_, true)) = early {
                continue;
            }
            let violations = judge(kernel, &m2, &mut o2);
            // `judge` includes the step's own violations.
            let clean = violations.is_empty();
            if !clean
                && causes(kernel, &violations)
                    .iter()
                    .any(|(c, _, _)| !self.ctx.findings.contains_key(c))
            {
                out.hits.push((node, i as u16, violations));
            }
            let key = match early {
                // Nothing was forgotten: the state is the one keyed.
                Some((k, _)) if clean => k,
                _ => key(mode, &m2, &o2, buf),
            };
            if clean && self.ctx.memo {
                clean_here.insert(key.clone());
            }
            if !self.ctx.seen.contains(&key) || (clean && self.ctx.unchecked.contains(&key)) {
                out.succ.push((node, i as u16, key, clean));
            }
        }
    }
}

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
        let (m, oracle, header) = build_root(&cfg)?;
        let mut seen = Seen::empty(cfg.keys);
        let root = key(cfg.keys, &m, &oracle, &mut HashBytes::default());
        // The initial state was never checked.
        let mut unchecked = Seen::empty(cfg.keys);
        unchecked.insert(root.clone());
        seen.insert(root);
        #[cfg(not(target_arch = "wasm32"))]
        let threads = match cfg.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        #[cfg(target_arch = "wasm32")]
        let threads = 1;
        Ok(Explorer {
            cfg,
            root: (m, oracle),
            header,
            nodes: Vec::new(),
            seen,
            unchecked,
            memo: true,
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
            threads,
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
        let mut left = usize::try_from(budget).unwrap_or(usize::MAX);
        while !self.finished() && left > 0 {
            if self.cursor == self.frontier.len() {
                self.frontier = std::mem::take(&mut self.next);
                self.cursor = 0;
                self.depth += 1;
                self.stats.depth = self.depth;
                self.stats.frontier = self.frontier.len();
                continue;
            }
            let n = (self.frontier.len() - self.cursor).min(left);
            let batch = &self.frontier[self.cursor..self.cursor + n];
            let ctx = self.ctx();
            let root = &self.root;
            let results = par_runs(
                batch,
                self.threads,
                || Walker {
                    ctx,
                    root: root.clone(),
                },
                move || Walker {
                    ctx,
                    root: rebuild_root(ctx.cfg),
                },
                |w, run| w.expand_run(run),
            );
            self.cursor += n;
            left -= n;
            for r in results {
                self.merge(r);
            }
            self.stats.frontier = self.frontier.len() - self.cursor + self.next.len();
        }
        self.finished()
    }

    fn merge(&mut self, r: Expansion) {
        self.stats.expanded += r.expanded;
        self.stats.transitions += r.transitions;
        self.stats.rejected += r.rejected;
        for (node, mv, violations) in r.hits {
            self.record(node, mv, &violations);
        }
        for (parent, mv, key, clean) in r.succ {
            if self.seen.contains(&key) {
                // Found again, and checked clean this time.
                if clean {
                    self.unchecked.remove(&key);
                }
                continue;
            }
            if !clean {
                self.unchecked.insert(key.clone());
            }
            self.seen.insert(key);
            self.stats.states += 1;
            self.nodes.push(Node { parent, mv, clean });
            self.next.push((self.nodes.len() - 1) as u32);
        }
    }

    /// What the workers read.
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            cfg: &self.cfg,
            nodes: &self.nodes,
            seen: &self.seen,
            unchecked: &self.unchecked,
            memo: self.memo,
            findings: &self.findings,
        }
    }

    /// The texts of the path to `node`, then of its move `mv`.
    fn texts(&self, node: u32, mv: u16) -> Vec<String> {
        let w = Walker {
            ctx: self.ctx(),
            root: self.root.clone(),
        };
        let (mut m, mut o) = w.root.clone();
        let mut texts = Vec::new();
        for n in w.path(node) {
            texts.push(w.step(&mut m, &mut o, n.mv, n.clean, true));
        }
        texts.push(w.step(&mut m, &mut o, mv, false, true));
        texts
    }

    fn record(&mut self, node: u32, mv: u16, violations: &[Violation]) {
        let k = self.cfg.kernel;
        let mut texts = None;
        for (cause, bug, v) in causes(k, violations) {
            if self.findings.contains_key(&cause) {
                continue;
            }
            let texts = texts.get_or_insert_with(|| self.texts(node, mv));
            let mut script = format!(
                "# svelab explore: {cause} on {}, {} operation(s)\n# {}\n",
                k.name(),
                texts.len(),
                v
            );
            script.push_str(&self.header);
            for t in texts.iter() {
                script.push_str(t);
                script.push('\n');
            }
            script.push_str("expect no-violations\n");
            self.findings.insert(
                cause.clone(),
                Finding {
                    cause,
                    bug,
                    violation: v.clone(),
                    length: texts.len(),
                    script,
                },
            );
        }
    }
}

/// The search's pieces, one state at a time, for comparing search engines on the same
/// model (`benches/explore_stateright.rs`). Not a stable interface.
#[doc(hidden)]
pub mod parts {
    use super::{canon, step_oracle, ExploreConfig, Explorer, Fp128};
    use crate::model::machine::Machine;
    use crate::model::op::Op;
    use crate::model::oracle::AbiOracle;

    /// A state of the search: the machine and the ABI oracle.
    #[derive(Clone, Debug)]
    pub struct State(Machine, AbiOracle);

    /// The initial state.
    pub fn root(cfg: &ExploreConfig) -> Result<State, String> {
        Explorer::new(cfg.clone()).map(|e| State(e.root.0, e.root.1))
    }

    /// The operations tried in a state, in the search's order.
    pub fn moves(cfg: &ExploreConfig, s: &State) -> Vec<Op> {
        super::moves(&s.0, &s.1, cfg.ops, false)
            .into_iter()
            .map(|mv| mv.op)
            .collect()
    }

    /// The state after `op`, and whether it broke a rule; `None` when the model rejects it.
    pub fn apply(cfg: &ExploreConfig, s: &State, op: &Op) -> Option<(State, bool)> {
        let mut m = s.0.clone();
        m.apply(op).ok()?;
        let mut o = s.1.clone();
        let bad = !step_oracle(cfg.kernel, &m, &mut o, op).is_empty();
        m.events.clear();
        m.step_violations.clear();
        Some((State(m, o), bad))
    }

    /// The fingerprint the search keys the state by.
    pub fn fingerprint(s: &State) -> u128 {
        let mut h = Fp128::default();
        canon::encode(&s.0, &s.1, &mut h, false);
        h.finish128()
    }
}
