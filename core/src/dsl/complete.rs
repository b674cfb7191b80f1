//! Completion: which words each position of a statement takes, for the REPL's line editor
//! and the playground's editor alike (one table, so the two front ends cannot drift apart).
//!
//! The words come from the vocabulary tables ([`super::vocab`]), the kernels' names, the
//! sysctls and the counters; which kind of word a position takes (a task, a CPU, a signal,
//! a register write …) follows the grammar of `docs/dsl.md`. The names a script defines
//! come in as [`Names`]: from a machine ([`Names::of_machine`], the REPL after each step) or
//! from a script's text ([`Names::of_script`], the playground's editor, where the script
//! may not parse yet).

use super::ast::{Stmt, StmtKind};
use super::vocab::{
    self, kernel_names, CMP_OPS, CONFIG_FIELDS, CPU_FIELDS, EDITS, PATH_HEADS, RULE_CODES,
    SHOW_WORDS, SIGNALS, STATEMENTS, SVC_CALLS, TASK_FIELDS, VALUE_FORMS, VCPU_FIELDS,
};
use crate::model::event::Counter;
use crate::model::machine::{Config, Machine};
use crate::model::sysctl::Sysctl;

/// The names a completion may offer: tasks, vCPUs, CPUs and the supported VLs (bits).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Task names.
    pub tasks: Vec<String>,
    /// vCPU names.
    pub vcpus: Vec<String>,
    /// `cpu0`…
    pub cpus: Vec<String>,
    /// Supported vector lengths, in bits.
    pub vls: Vec<String>,
}

fn cpu_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("cpu{i}")).collect()
}

fn vl_bits(bytes: &[u16]) -> Vec<String> {
    bytes
        .iter()
        .map(|b| (u32::from(*b) * 8).to_string())
        .collect()
}

impl Names {
    /// The names of machine `m`.
    pub fn of_machine(m: &Machine) -> Names {
        Names {
            tasks: m.tasks.iter().map(|t| t.name.clone()).collect(),
            vcpus: m.vcpus.iter().map(|v| v.name.clone()).collect(),
            cpus: cpu_names(m.cpus.len()),
            vls: vl_bits(&m.config.vls),
        }
    }

    /// The names script `src` defines: its `task` and `vcpu` statements (also inside a
    /// `repeat`), its `cpus` and `vls`, else the defaults. What parses counts: a half-typed
    /// line does not matter.
    pub fn of_script(src: &str) -> Names {
        let (prog, _) = super::parse(src);
        let config = Config::default();
        let mut n = Names {
            vls: vl_bits(&config.vls),
            ..Names::default()
        };
        let mut cpus = config.cpus;
        fn walk(stmts: &[Stmt], n: &mut Names, cpus: &mut usize) {
            for s in stmts {
                match &s.kind {
                    StmtKind::Task { name, .. } => n.tasks.push(name.name.clone()),
                    StmtKind::Vcpu { name, .. } => n.vcpus.push(name.name.clone()),
                    StmtKind::Cpus(c) => *cpus = usize::from(*c),
                    StmtKind::Vls(bits) => n.vls = bits.iter().map(u32::to_string).collect(),
                    StmtKind::Repeat { body, .. } => walk(body, n, cpus),
                    _ => {}
                }
            }
        }
        walk(&prog.stmts, &mut n, &mut cpus);
        n.cpus = cpu_names(cpus);
        n
    }

    /// Which kind of object `head` names.
    pub fn kind(&self, head: &str) -> Option<Head> {
        let is = |list: &[String]| list.iter().any(|x| x == head);
        if is(&self.tasks) {
            Some(Head::Task)
        } else if is(&self.vcpus) {
            Some(Head::Vcpu)
        } else if is(&self.cpus) {
            Some(Head::Cpu)
        } else {
            match head {
                "config" => Some(Head::Config),
                "total" => Some(Head::Total),
                "tracer" => Some(Head::Tracer),
                "machine" => Some(Head::Machine),
                _ => None,
            }
        }
    }

    /// Every object name a path may start with.
    pub fn heads(&self) -> Vec<String> {
        let mut v = self.tasks.clone();
        v.extend(self.vcpus.iter().cloned());
        v.extend(self.cpus.iter().cloned());
        v.extend(PATH_HEADS.map(String::from));
        v
    }
}

/// What a path starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// A task.
    Task,
    /// A vCPU.
    Vcpu,
    /// A CPU.
    Cpu,
    /// `config`.
    Config,
    /// `total`.
    Total,
    /// `tracer`.
    Tracer,
    /// `machine`.
    Machine,
}

fn own(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Register names: the SVE registers (`z0`…, `p0`…, `ffr`), the FP registers (`v0`…),
/// then `fpsr` and `fpcr`.
fn regs(sve: bool, fp: bool) -> Vec<String> {
    let mut out = Vec::new();
    if sve {
        out.extend((0..32).map(|n| format!("z{n}")));
        out.extend((0..16).map(|n| format!("p{n}")));
        out.push("ffr".into());
    }
    if fp {
        out.extend((0..32).map(|n| format!("v{n}")));
    }
    out.push("fpsr".into());
    out.push("fpcr".into());
    out
}

/// The SVE registers of a buffer, under `prefix` (`sve_state.z0`…).
fn sve_buffer_regs(prefix: &str) -> impl Iterator<Item = String> + '_ {
    regs(true, false)
        .into_iter()
        .filter(|r| !r.starts_with("fp"))
        .map(move |r| format!("{prefix}{r}"))
}

fn counters() -> impl Iterator<Item = String> {
    Counter::ALL.iter().map(|c| c.name().to_string())
}

/// Every field under an object of kind `h` (dotted, without the head), in natural order
/// (`z2` before `z10`).
pub fn fields(h: Head) -> Vec<String> {
    let mut v = match h {
        Head::Task => {
            let mut v = own(&TASK_FIELDS);
            v.extend(own(&["frame.x0", "frame.fpsimd", "load_format"]));
            v.extend(regs(true, true));
            v.extend(sve_buffer_regs("sve_state."));
            v.extend(own(&[
                "sve_state.vq",
                "sve_state.vl",
                "sve_state.generation",
                "sve_state.size",
                "sve_state.origin.z0",
            ]));
            v.extend((0..32).map(|n| format!("fpsimd_state.v{n}")));
            v.extend(own(&[
                "fpsimd_state.fpsr",
                "fpsimd_state.fpcr",
                "fpsimd_state.origin.v0",
            ]));
            v.extend(counters());
            v
        }
        Head::Cpu => {
            let mut v = own(&CPU_FIELDS);
            v.extend(regs(true, true));
            v.extend(own(&["origin.z0", "origin.z0_hi"]));
            v.extend(counters());
            v
        }
        Head::Vcpu => {
            let mut v = own(&VCPU_FIELDS);
            v.extend(sve_buffer_regs("sve_state."));
            v.extend((0..32).map(|n| format!("fp_regs.v{n}")));
            v.push("fp_regs.fpcr".into());
            v
        }
        Head::Config => {
            let mut v = own(&CONFIG_FIELDS);
            v.push("min_vl".into());
            v
        }
        Head::Total => counters().collect(),
        Head::Tracer => own(&[
            "task", "vl", "max_vl", "size", "max_size", "flags", "format", "z0", "v0", "fpsr",
        ]),
        Head::Machine => own(&["warned_once", "tasks", "vcpus"]),
    };
    v.sort_by_key(|a| natural(a));
    v.dedup();
    v
}

/// Sort key that puts `z2` before `z10`.
fn natural(s: &str) -> (String, u32, String) {
    let alpha: String = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let rest = &s[alpha.len()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let tail = rest[digits.len()..].to_string();
    (alpha, digits.parse().unwrap_or(0), tail)
}

/// Path completions for `cur`: object names, or `head.field` once a dot is typed.
pub fn paths(cur: &str, n: &Names) -> Vec<String> {
    match cur.split_once('.') {
        None => n.heads().into_iter().map(|h| format!("{h}.")).collect(),
        Some((head, _)) => match n.kind(head) {
            Some(k) => fields(k)
                .into_iter()
                .map(|f| format!("{head}.{f}"))
                .collect(),
            None => Vec::new(),
        },
    }
}

/// What word `words.len()` of a statement may be, `words` being those before it (the
/// keyword first) and `cur` what is typed of it so far (the candidates are not filtered
/// by it; `cur` only says whether a register's `=` or a path's `.` is typed yet).
pub fn candidates(words: &[&str], cur: &str, n: &Names) -> Vec<String> {
    let tasks = || n.tasks.clone();
    let cpus = || n.cpus.clone();
    let vcpus = || n.vcpus.clone();
    let next = || {
        let mut v = n.tasks.clone();
        v.extend(own(&["idle", "kthread"]));
        v
    };
    let vl_words = || n.vls.iter().map(|b| format!("vl={b}")).collect::<Vec<_>>();
    let i = words.len(); // the index of the word being completed
    let kw = words.first().copied().unwrap_or("");
    let prev = words.last().copied().unwrap_or("");
    let writes = |sve: bool, fp: bool| -> Vec<String> {
        if let Some((reg, _)) = cur.split_once('=') {
            return VALUE_FORMS.iter().map(|v| format!("{reg}={v}")).collect();
        }
        regs(sve, fp).into_iter().map(|r| format!("{r}=")).collect()
    };
    let path_or = |words: &[&str]| {
        let mut v = paths(cur, n);
        if !cur.contains('.') {
            v.extend(own(words));
        }
        v
    };
    match (kw, i) {
        ("kernel", 1) => kernel_names(),
        ("kvm-mode", 1) => own(&["vhe", "nvhe"]),
        ("sysctl", 1) => Sysctl::ALL
            .iter()
            .map(|x| format!("{}=", x.name()))
            .collect(),
        ("task", i) if i >= 2 => {
            if cur.starts_with("on=") {
                n.cpus.iter().map(|c| format!("on={c}")).collect()
            } else if cur.starts_with("vl=") {
                vl_words()
            } else {
                own(&["vl=", "on="])
            }
        }
        ("vcpu", 2) => own(&["sve", "nosve"]),
        ("vcpu", 3) if prev == "sve" => vl_words(),
        (
            "sve-op" | "fp-op" | "svc" | "migrate" | "signal" | "ptrace" | "kvm-enter"
            | "frame-write",
            1,
        ) => tasks(),
        ("sve-op", _) if prev == "preempt" => own(&["->"]),
        ("sve-op", _) if prev == "->" => next(),
        ("sve-op", _) => {
            let mut v = writes(true, false);
            if !cur.contains('=') {
                v.extend(own(&["preempt", "softirq-neon"]));
            }
            v
        }
        ("fp-op", _) => writes(false, true),
        ("svc", 2) => own(&SVC_CALLS),
        ("svc", _) => match (words.get(2).copied().unwrap_or(""), i) {
            ("yield", 3) => own(&["->"]),
            ("yield", 4) => next(),
            ("prctl-set-vl", 3) => n.vls.clone(),
            ("prctl-set-vl", _) => own(&["inherit", "onexec"]),
            ("sigreturn", 3) => own(&EDITS),
            ("kill", 3) => tasks(),
            ("kill", 4) => own(&SIGNALS),
            ("kvm-run", 3) => vcpus(),
            _ => Vec::new(),
        },
        ("ctxsw", 1) => cpus(),
        ("ctxsw", 2) => next(),
        ("migrate", 2) => cpus(),
        ("signal", 2) => own(&SIGNALS),
        ("ptrace", 2) => own(&["get", "set"]),
        ("ptrace", 3) => own(&["NT_PRFPREG", "NT_ARM_SVE"]),
        ("ptrace", _) if words.get(2) == Some(&"set") => {
            let sve = words.get(3) == Some(&"NT_ARM_SVE");
            let mut v = writes(sve, !sve);
            if sve && !cur.contains('=') {
                v.extend(own(&[
                    "fpsimd", "sve", "header", "partial", "inherit", "onexec",
                ]));
                v.extend(vl_words());
            }
            v
        }
        ("kernel-neon", 1) => {
            let mut v = cpus();
            v.extend(tasks());
            v
        }
        ("cpu-pm" | "cpu-offline" | "cpu-online", 1) => cpus(),
        ("kvm-enter", 2) | ("guest-sve-op" | "guest-fp-op" | "guest-zcr" | "kvm-exit", 1) => {
            vcpus()
        }
        ("guest-zcr", 2) => vl_words(),
        ("guest-sve-op", _) => writes(true, false),
        ("guest-fp-op", _) => writes(false, true),
        ("kvm-exit", 2) => own(&["to-user"]),
        ("expect", 1) => path_or(&["no-violations", "violation"]),
        ("expect", 2) if prev == "violation" => own(&RULE_CODES),
        ("expect", 2) => own(&CMP_OPS),
        ("expect", 3) => {
            let mut v = path_or(&VALUE_FORMS);
            if !cur.contains('.') {
                v.extend(vocab::comparison_words().map(String::from));
                v.extend(kernel_names());
            }
            v
        }
        ("show", 1) => path_or(&SHOW_WORDS),
        _ => Vec::new(),
    }
}

/// The candidates for the word at a position of a script ([`complete_statement`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    /// The byte where the word being typed starts: a candidate replaces the text from here
    /// to the position.
    pub start: usize,
    /// The word is a statement's keyword (the first of its statement).
    pub keyword: bool,
    /// The candidates that start with what is typed of the word, in the order offered.
    pub items: Vec<String>,
}

/// Completes the word that byte `pos` of `text` ends: at the start of a statement the
/// keywords, else what [`candidates`] offers for its position. Nothing inside a comment, or
/// when `pos` is not a character boundary of `text`.
pub fn complete_statement(text: &str, pos: usize, n: &Names) -> Completions {
    let nothing = Completions {
        start: pos,
        ..Completions::default()
    };
    let Some(upto) = text.get(..pos) else {
        return nothing;
    };
    let start = upto.rfind([';', '{', '}', '\n']).map_or(0, |i| i + 1);
    let stmt = &upto[start..];
    if stmt.contains('#') {
        return nothing;
    }
    let word_start = stmt.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let cur = &stmt[word_start..];
    let words: Vec<&str> = stmt[..word_start].split_whitespace().collect();
    let cands = if words.is_empty() {
        STATEMENTS.iter().map(|s| s.keyword.to_string()).collect()
    } else {
        candidates(&words, cur, n)
    };
    let mut items: Vec<String> = cands.into_iter().filter(|c| c.starts_with(cur)).collect();
    items.dedup();
    Completions {
        start: start + word_start,
        keyword: words.is_empty(),
        items,
    }
}

/// The longest common prefix of `v`.
pub fn common_prefix(v: &[String]) -> String {
    let Some(first) = v.first() else {
        return String::new();
    };
    let mut len = first.len();
    for s in &v[1..] {
        len = len.min(
            first
                .char_indices()
                .zip(s.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8()),
        );
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            tasks: vec!["A".into(), "B".into()],
            vcpus: vec!["V0".into()],
            cpus: vec!["cpu0".into(), "cpu1".into()],
            vls: vec!["128".into(), "256".into(), "512".into()],
        }
    }

    fn c(line: &str) -> Vec<String> {
        complete_statement(line, line.len(), &names()).items
    }

    /// Every entry of the vocabularies completes where the grammar takes it.
    #[test]
    fn every_vocabulary_entry_completes() {
        for st in &STATEMENTS {
            assert!(
                c(&st.keyword[..2]).contains(&st.keyword.to_string()),
                "{}",
                st.keyword
            );
        }
        for code in RULE_CODES {
            assert!(c("expect violation ").contains(&code.to_string()), "{code}");
        }
        for sig in SIGNALS {
            assert!(c("signal A ").contains(&sig.to_string()), "{sig}");
            assert!(c("svc A kill B ").contains(&sig.to_string()), "{sig}");
        }
        for e in EDITS {
            assert!(c("svc A sigreturn ").contains(&e.to_string()), "{e}");
        }
        for call in SVC_CALLS {
            assert!(c("svc A ").contains(&call.to_string()), "{call}");
        }
        for v in &vocab::NAMED_VALUES {
            for w in v.aliases.iter().chain([&v.word]) {
                assert!(c("expect A.fp_type == ").contains(&w.to_string()), "{w}");
            }
        }
        for k in kernel_names() {
            assert!(c("kernel ").contains(&k), "{k}");
        }
        for f in VCPU_FIELDS {
            assert!(c("expect V0.").contains(&format!("V0.{f}")), "{f}");
        }
        for s in Sysctl::ALL {
            assert!(c("sysctl ").contains(&format!("{}=", s.name())), "{s:?}");
        }
        for f in VALUE_FORMS {
            assert!(c("sve-op A z3=").contains(&format!("z3={f}")), "{f}");
        }
    }

    #[test]
    fn keywords_then_arguments() {
        assert_eq!(c("sve"), vec!["sve-op"]);
        assert_eq!(c("svc A ge"), vec!["getpid"]);
        assert_eq!(c("ctxsw "), vec!["cpu0", "cpu1"]);
        assert_eq!(c("ctxsw cpu0 "), vec!["A", "B", "idle", "kthread"]);
        assert!(c("sve-op A ").contains(&"z0=".to_string()));
        assert!(
            !c("sve-op A ").contains(&"v0=".to_string()),
            "sve-op writes Z"
        );
        assert!(c("fp-op A ").contains(&"v0=".to_string()));
        assert!(c("sve-op A z0=").contains(&"z0=fill(0x".to_string()));
        assert_eq!(c("task C on="), vec!["on=cpu0", "on=cpu1"]);
        assert_eq!(c("task C vl="), vec!["vl=128", "vl=256", "vl=512"]);
        assert_eq!(c("kvm-enter A "), vec!["V0"]);
        assert_eq!(c("frame-write "), vec!["A", "B"]);
        assert_eq!(c("svc A prctl-set-vl "), vec!["128", "256", "512"]);
        assert_eq!(c("svc A prctl-set-vl 256 "), vec!["inherit", "onexec"]);
        assert_eq!(c("sve-op A preempt "), vec!["->"]);
        assert_eq!(c("sve-op A preempt -> "), vec!["A", "B", "idle", "kthread"]);
        assert!(c("ptrace A set NT_ARM_SVE ").contains(&"header".to_string()));
        assert!(!c("ptrace A set NT_PRFPREG ").contains(&"header".to_string()));
        assert!(c("kernel series").contains(&"series-v1/p6".to_string()));
    }

    #[test]
    fn paths_complete_fields() {
        assert!(c("expect A.TIF").contains(&"A.TIF_SVE".to_string()));
        assert!(c("expect cpu0.CP").contains(&"cpu0.CPACR_EL1.ZEN_EL0EN".to_string()));
        assert!(c("show V0.fp_o").contains(&"V0.fp_owner".to_string()));
        assert!(c("expect total.tr").contains(&"total.traps".to_string()));
        assert_eq!(c("expect A.TIF_SVE "), CMP_OPS.to_vec());
        assert!(c("expect violation ").contains(&"B1".to_string()));
        // Natural order: z2 before z10.
        let z: Vec<String> = c("show cpu0.z")
            .into_iter()
            .filter(|f| f[6..].chars().all(|c| c.is_ascii_digit()))
            .collect();
        assert_eq!(z[..3], ["cpu0.z0", "cpu0.z1", "cpu0.z2"]);
        assert!(c("expect nobody.").is_empty());
    }

    #[test]
    fn after_separators_in_repeat_and_comments() {
        assert_eq!(c("task A; sve"), vec!["sve-op"]);
        assert_eq!(c("repeat 3 { svc A get"), vec!["getpid"]);
        assert!(c("task A # sve").is_empty());
        let at = |text: &str, pos| {
            let c = complete_statement(text, pos, &names());
            (c.start, c.keyword, c.items.len())
        };
        assert_eq!(at("svc A; ctx", 10), (7, true, 1));
        assert_eq!(at("svc A ge", 8), (6, false, 1));
        // Not a character boundary: nothing, no panic.
        assert_eq!(at("é", 1), (1, false, 0));
        assert_eq!(at("ab", 9), (9, false, 0));
    }

    #[test]
    fn names_of_a_script() {
        let n = Names::of_script("cpus 3\nvls 128,1024\nrepeat 2 { task R }\nvcpu V sve\nsv");
        assert_eq!(n.tasks, ["R"]);
        assert_eq!(n.vcpus, ["V"]);
        assert_eq!(n.cpus, ["cpu0", "cpu1", "cpu2"]);
        assert_eq!(n.vls, ["128", "1024"]);
        let d = Names::of_script("");
        let config = Config::default();
        assert_eq!(d.cpus.len(), config.cpus);
        assert_eq!(d.vls, vl_bits(&config.vls));
        // The same names as the machine the script builds.
        let src = "cpus 3\ntask A\ntask B\nvcpu V0 sve\n";
        let mut s = crate::session::Session::new(Default::default());
        assert!(s.load(src).is_empty(), "the script parses");
        s.run(&Default::default());
        assert_eq!(Names::of_machine(s.machine()), Names::of_script(src));
    }

    #[test]
    fn common_prefix_of_candidates() {
        assert_eq!(common_prefix(&["svc".into(), "sve-op".into()]), "sv");
        assert_eq!(common_prefix(&[]), "");
        assert_eq!(common_prefix(&["é1".into(), "é2".into()]), "é");
    }
}
