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
            tasks: m.tasks.iter().map(|t| t.name.to_string()).collect(),
            vcpus: m.vcpus.iter().map(|v| v.name.to_string()).collect(),
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
                    StmtKind::Vls(bits) => {
                        n.vls.clear();
                        for b in bits {
                            n.vls.push(b.to_string());
                        }
                    }
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
        let mut v = List::default();
        v.names("", &self.tasks)
            .names("", &self.vcpus)
            .names("", &self.cpus)
            .words("", &PATH_HEADS, "");
        v.done()
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

/// A candidate list, built in order with plain loops (every iterator chain would be code of
/// its own in the playground's bundle), each word once.
#[derive(Default)]
struct List(Vec<String>);

impl List {
    fn word(&mut self, w: String) {
        if !self.0.contains(&w) {
            self.0.push(w);
        }
    }

    /// `prefix` then each of `words`, then `suffix`.
    fn words(&mut self, prefix: &str, words: &[&str], suffix: &str) -> &mut Self {
        for w in words {
            self.word(format!("{prefix}{w}{suffix}"));
        }
        self
    }

    /// Each of the names `n` has, after `prefix`.
    fn names(&mut self, prefix: &str, names: &[String]) -> &mut Self {
        for w in names {
            self.word(format!("{prefix}{w}"));
        }
        self
    }

    /// Register names after `prefix`, with `suffix`: the SVE registers (`z0`…, `p0`…,
    /// `ffr`), the FP registers (`v0`…), the control registers (`fpsr`, `fpcr`).
    fn regs(
        &mut self,
        prefix: &str,
        sve: bool,
        fp: bool,
        control: bool,
        suffix: &str,
    ) -> &mut Self {
        if sve {
            for (name, count) in [("z", 32), ("p", 16)] {
                for n in 0..count {
                    self.word(format!("{prefix}{name}{n}{suffix}"));
                }
            }
            self.word(format!("{prefix}ffr{suffix}"));
        }
        if fp {
            for n in 0..32 {
                self.word(format!("{prefix}v{n}{suffix}"));
            }
        }
        if control {
            self.words(prefix, &["fpsr", "fpcr"], suffix);
        }
        self
    }

    fn counters(&mut self) -> &mut Self {
        for c in Counter::ALL {
            self.word(c.name().to_string());
        }
        self
    }

    fn done(&mut self) -> Vec<String> {
        std::mem::take(&mut self.0)
    }
}

/// Every field under an object of kind `h` (dotted, without the head): in the order `show`
/// lists them, then the registers in number order, then the counters.
pub fn fields(h: Head) -> Vec<String> {
    let mut v = List::default();
    match h {
        Head::Task => {
            v.words("", &TASK_FIELDS, "")
                .words("", &["frame.x0", "frame.fpsimd", "load_format"], "")
                .regs("", true, true, true, "")
                .regs("sve_state.", true, false, false, "")
                .words(
                    "sve_state.",
                    &["vq", "vl", "generation", "size", "origin.z0"],
                    "",
                )
                .regs("fpsimd_state.", false, true, true, "")
                .words("fpsimd_state.", &["origin.v0"], "")
                .counters();
        }
        Head::Cpu => {
            v.words("", &CPU_FIELDS, "")
                .regs("", true, true, true, "")
                .words("origin.", &["z0", "z0_hi"], "")
                .counters();
        }
        Head::Vcpu => {
            v.words("", &VCPU_FIELDS, "")
                .regs("sve_state.", true, false, false, "")
                .regs("fp_regs.", false, true, false, "")
                .words("fp_regs.", &["fpcr"], "");
        }
        Head::Config => {
            v.words("", &CONFIG_FIELDS, "").words("", &["min_vl"], "");
        }
        Head::Total => {
            v.counters();
        }
        Head::Tracer => {
            v.words(
                "",
                &[
                    "task", "vl", "max_vl", "size", "max_size", "flags", "format", "z0", "v0",
                    "fpsr",
                ],
                "",
            );
        }
        Head::Machine => {
            v.words("", &["warned_once", "tasks", "vcpus"], "");
        }
    }
    v.done()
}

/// Path completions for `cur`: object names, or `head.field` once a dot is typed.
pub fn paths(cur: &str, n: &Names) -> Vec<String> {
    let mut v = List::default();
    match cur.split_once('.') {
        None => {
            for h in n.heads() {
                v.word(format!("{h}."));
            }
        }
        Some((head, _)) => {
            if let Some(k) = n.kind(head) {
                for f in fields(k) {
                    v.word(format!("{head}.{f}"));
                }
            }
        }
    }
    v.done()
}

/// What word `words.len()` of a statement may be, `words` being those before it (the
/// keyword first) and `cur` what is typed of it so far (the candidates are not filtered
/// by it; `cur` only says whether a register's `=` or a path's `.` is typed yet).
pub fn candidates(words: &[&str], cur: &str, n: &Names) -> Vec<String> {
    let i = words.len(); // the index of the word being completed
    let kw = words.first().copied().unwrap_or("");
    let prev = words.last().copied().unwrap_or("");
    let mut v = List::default();
    // A register write: the registers, then the value forms once `=` is typed.
    let writes = |v: &mut List, sve: bool, fp: bool| {
        match cur.split_once('=') {
            Some((reg, _)) => v.words(&format!("{reg}="), &VALUE_FORMS, ""),
            None => v.regs("", sve, fp, true, "="),
        };
    };
    let paths_or = |v: &mut List, words: &[&str]| {
        v.0 = paths(cur, n);
        if !cur.contains('.') {
            v.words("", words, "");
        }
    };
    const NEXT: [&str; 2] = ["idle", "kthread"];
    match (kw, i) {
        ("kernel", 1) => v.0 = kernel_names(),
        ("kvm-mode", 1) => {
            v.words("", &["vhe", "nvhe"], "");
        }
        ("sysctl", 1) => {
            for x in Sysctl::ALL {
                v.word(format!("{}=", x.name()));
            }
        }
        ("task", i) if i >= 2 => {
            if cur.starts_with("on=") {
                v.names("on=", &n.cpus);
            } else if cur.starts_with("vl=") {
                v.names("vl=", &n.vls);
            } else {
                v.words("", &["vl=", "on="], "");
            }
        }
        ("vcpu", 2) => {
            v.words("", &["sve", "nosve"], "");
        }
        ("vcpu", 3) if prev == "sve" => {
            v.names("vl=", &n.vls);
        }
        (
            "sve-op" | "fp-op" | "svc" | "migrate" | "signal" | "ptrace" | "kvm-enter"
            | "frame-write",
            1,
        ) => {
            v.names("", &n.tasks);
        }
        ("sve-op", _) if prev == "preempt" => {
            v.words("", &["->"], "");
        }
        ("sve-op", _) if prev == "->" => {
            v.names("", &n.tasks).words("", &NEXT, "");
        }
        ("sve-op", _) => {
            writes(&mut v, true, false);
            if !cur.contains('=') {
                v.words("", &["preempt", "softirq-neon"], "");
            }
        }
        ("fp-op", _) | ("guest-fp-op", _) if i >= 2 => writes(&mut v, false, true),
        ("svc", 2) => {
            v.words("", &SVC_CALLS, "");
        }
        ("svc", _) => match (words.get(2).copied().unwrap_or(""), i) {
            ("yield", 3) => {
                v.words("", &["->"], "");
            }
            ("yield", 4) => {
                v.names("", &n.tasks).words("", &NEXT, "");
            }
            ("prctl-set-vl", 3) => {
                v.names("", &n.vls);
            }
            ("prctl-set-vl", _) => {
                v.words("", &["inherit", "onexec"], "");
            }
            ("sigreturn", 3) => {
                v.words("", &EDITS, "");
            }
            ("kill", 3) => {
                v.names("", &n.tasks);
            }
            ("kill", 4) => {
                v.words("", &SIGNALS, "");
            }
            ("kvm-run", 3) => {
                v.names("", &n.vcpus);
            }
            _ => {}
        },
        ("ctxsw" | "cpu-pm" | "cpu-offline" | "cpu-online", 1) | ("migrate", 2) => {
            v.names("", &n.cpus);
        }
        ("ctxsw", 2) => {
            v.names("", &n.tasks).words("", &NEXT, "");
        }
        ("signal", 2) => {
            v.words("", &SIGNALS, "");
        }
        ("ptrace", 2) => {
            v.words("", &["get", "set"], "");
        }
        ("ptrace", 3) => {
            v.words("", &["NT_PRFPREG", "NT_ARM_SVE"], "");
        }
        ("ptrace", _) if words.get(2) == Some(&"set") => {
            let sve = words.get(3) == Some(&"NT_ARM_SVE");
            writes(&mut v, sve, !sve);
            if sve && !cur.contains('=') {
                v.words(
                    "",
                    &["fpsimd", "sve", "header", "partial", "inherit", "onexec"],
                    "",
                )
                .names("vl=", &n.vls);
            }
        }
        ("kernel-neon", 1) => {
            v.names("", &n.cpus).names("", &n.tasks);
        }
        ("kvm-enter", 2) | ("guest-sve-op" | "guest-fp-op" | "guest-zcr" | "kvm-exit", 1) => {
            v.names("", &n.vcpus);
        }
        ("guest-zcr", 2) => {
            v.names("vl=", &n.vls);
        }
        ("guest-sve-op", _) => writes(&mut v, true, false),
        ("kvm-exit", 2) => {
            v.words("", &["to-user"], "");
        }
        ("expect", 1) => paths_or(&mut v, &["no-violations", "violation"]),
        ("expect", 2) if prev == "violation" => {
            v.words("", &RULE_CODES, "");
        }
        ("expect", 2) => {
            v.words("", &CMP_OPS, "");
        }
        ("expect", 3) => {
            paths_or(&mut v, &VALUE_FORMS);
            if !cur.contains('.') {
                for w in vocab::comparison_words() {
                    v.word(w.to_string());
                }
                for k in kernel_names() {
                    v.word(k);
                }
            }
        }
        ("show", 1) => paths_or(&mut v, &SHOW_WORDS),
        _ => {}
    }
    v.done()
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
    let mut items = if words.is_empty() {
        let mut v = List::default();
        for s in &STATEMENTS {
            v.word(s.keyword.to_string());
        }
        v.done()
    } else {
        candidates(&words, cur, n)
    };
    items.retain(|c| c.starts_with(cur));
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
