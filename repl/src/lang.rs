//! What the REPL knows about the DSL for completion, hints, highlighting and `:help`: the
//! statements with their usage, the words each position takes, and the fields of each kind
//! of object. The grammar itself is the core's (`docs/dsl.md`); these tables follow it.

pub use svelab_core::dsl::vocab::{
    kernel_names, statement, CMP_OPS, EDITS, SHOW_WORDS, SIGNALS, STATEMENTS, SVC_CALLS,
    VALUE_FORMS as VALUES,
};
use svelab_core::dsl::vocab::{CONFIG_FIELDS, CPU_FIELDS, TASK_FIELDS, VCPU_FIELDS};
use svelab_core::{Counter, Machine};

/// Words that compare with names: the named values and the kernel's names for them.
pub fn comparison_words() -> Vec<&'static str> {
    svelab_core::dsl::vocab::comparison_words().collect()
}

/// Names the current machine has: tasks, vCPUs, CPUs and the supported VLs (bits).
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

impl Names {
    /// The names of machine `m`.
    pub fn of(m: &Machine) -> Names {
        Names {
            tasks: m.tasks.iter().map(|t| t.name.clone()).collect(),
            vcpus: m.vcpus.iter().map(|v| v.name.clone()).collect(),
            cpus: (0..m.cpus.len()).map(|i| format!("cpu{i}")).collect(),
            vls: m
                .config
                .vls
                .iter()
                .map(|b| (u32::from(*b) * 8).to_string())
                .collect(),
        }
    }

    /// Which kind of object `head` names.
    pub fn kind(&self, head: &str) -> Option<Head> {
        if self.tasks.iter().any(|t| t == head) {
            Some(Head::Task)
        } else if self.vcpus.iter().any(|v| v == head) {
            Some(Head::Vcpu)
        } else if self.cpus.iter().any(|c| c == head) {
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
        v.extend(["config", "total", "tracer", "machine"].map(String::from));
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

fn regs(z: bool, v: bool) -> Vec<String> {
    let mut out = Vec::new();
    if z {
        out.extend((0..32).map(|n| format!("z{n}")));
        out.extend((0..16).map(|n| format!("p{n}")));
        out.push("ffr".into());
    }
    if v {
        out.extend((0..32).map(|n| format!("v{n}")));
    }
    out.push("fpsr".into());
    out.push("fpcr".into());
    out
}

fn counters() -> impl Iterator<Item = String> {
    Counter::ALL.iter().map(|c| c.name().to_string())
}

/// Every field under an object of kind `h` (dotted, without the head).
pub fn fields(h: Head) -> Vec<String> {
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut v = match h {
        Head::Task => {
            let mut v = s(&TASK_FIELDS);
            v.extend(s(&["frame.x0", "frame.fpsimd", "load_format"]));
            v.extend(regs(true, true));
            v.extend(
                regs(true, false)
                    .into_iter()
                    .filter(|r| !r.starts_with("fp"))
                    .map(|r| format!("sve_state.{r}")),
            );
            v.extend(s(&[
                "sve_state.vq",
                "sve_state.vl",
                "sve_state.generation",
                "sve_state.size",
                "sve_state.origin.z0",
            ]));
            v.extend((0..32).map(|n| format!("fpsimd_state.v{n}")));
            v.extend(s(&[
                "fpsimd_state.fpsr",
                "fpsimd_state.fpcr",
                "fpsimd_state.origin.v0",
            ]));
            v.extend(counters());
            v
        }
        Head::Cpu => {
            let mut v = s(&CPU_FIELDS);
            v.extend(regs(true, true));
            v.extend(s(&["origin.z0", "origin.z0_hi", "fpcr"]));
            v.extend(counters());
            v
        }
        Head::Vcpu => {
            let mut v = s(&VCPU_FIELDS);
            v.extend(
                regs(true, false)
                    .into_iter()
                    .filter(|r| !r.starts_with("fp"))
                    .map(|r| format!("sve_state.{r}")),
            );
            v.extend((0..32).map(|n| format!("fp_regs.v{n}")));
            v.push("fp_regs.fpcr".into());
            v
        }
        Head::Config => {
            let mut v = s(&CONFIG_FIELDS);
            v.push("min_vl".into());
            v
        }
        Head::Total => counters().collect(),
        Head::Tracer => s(&[
            "task", "vl", "max_vl", "size", "max_size", "flags", "format", "z0", "v0", "fpsr",
        ]),
        Head::Machine => s(&["warned_once", "tasks", "vcpus"]),
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

/// What a statement's cursor position may hold.
fn stmt_candidates(words: &[&str], cur: &str, n: &Names) -> Vec<String> {
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let tasks = || n.tasks.clone();
    let cpus = || n.cpus.clone();
    let vcpus = || n.vcpus.clone();
    let next = || {
        let mut v = n.tasks.clone();
        v.extend(s(&["idle", "kthread"]));
        v
    };
    let i = words.len(); // index of the word being completed
    let kw = words.first().copied().unwrap_or("");
    let prev = words.last().copied().unwrap_or("");
    let writes = |sve: bool, fp: bool| -> Vec<String> {
        if let Some((reg, _)) = cur.split_once('=') {
            return VALUES.iter().map(|v| format!("{reg}={v}")).collect();
        }
        regs(sve, fp).into_iter().map(|r| format!("{r}=")).collect()
    };
    match (kw, i) {
        ("kernel", 1) => kernel_names(),
        ("kvm-mode", 1) => s(&["vhe", "nvhe"]),
        ("sysctl", 1) => svelab_core::model::sysctl::Sysctl::ALL
            .iter()
            .map(|x| format!("{}=", x.name()))
            .collect(),
        ("task", i) if i >= 2 => {
            if cur.starts_with("on=") {
                n.cpus.iter().map(|c| format!("on={c}")).collect()
            } else if cur.starts_with("vl=") {
                n.vls.iter().map(|b| format!("vl={b}")).collect()
            } else {
                s(&["vl=", "on="])
            }
        }
        ("vcpu", 2) => s(&["sve", "nosve"]),
        ("vcpu", 3) if prev == "sve" => n.vls.iter().map(|b| format!("vl={b}")).collect(),
        (
            "sve-op" | "fp-op" | "svc" | "migrate" | "signal" | "ptrace" | "kvm-enter"
            | "frame-write",
            1,
        ) => tasks(),
        ("sve-op", _) if prev == "preempt" => s(&["->"]),
        ("sve-op", _) if prev == "->" => next(),
        ("sve-op", _) => {
            let mut v = writes(true, false);
            if !cur.contains('=') {
                v.extend(s(&["preempt", "softirq-neon"]));
            }
            v
        }
        ("fp-op", _) => writes(false, true),
        ("svc", 2) => s(&SVC_CALLS),
        ("svc", _) => match (words.get(2).copied().unwrap_or(""), i) {
            ("yield", 3) => s(&["->"]),
            ("yield", 4) => next(),
            ("prctl-set-vl", 3) => n.vls.clone(),
            ("prctl-set-vl", _) => s(&["inherit", "onexec"]),
            ("sigreturn", 3) => s(&EDITS),
            ("kill", 3) => tasks(),
            ("kill", 4) => s(&SIGNALS),
            ("kvm-run", 3) => vcpus(),
            _ => Vec::new(),
        },
        ("ctxsw", 1) => cpus(),
        ("ctxsw", 2) => next(),
        ("migrate", 2) => cpus(),
        ("signal", 2) => s(&SIGNALS),
        ("ptrace", 2) => s(&["get", "set"]),
        ("ptrace", 3) => s(&["NT_PRFPREG", "NT_ARM_SVE"]),
        ("ptrace", _) if words.get(2) == Some(&"set") => {
            let sve = words.get(3) == Some(&"NT_ARM_SVE");
            let mut v = writes(sve, !sve);
            if sve && !cur.contains('=') {
                v.extend(s(&[
                    "fpsimd", "sve", "header", "partial", "inherit", "onexec",
                ]));
                v.extend(n.vls.iter().map(|b| format!("vl={b}")));
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
        ("guest-zcr", 2) => n.vls.iter().map(|b| format!("vl={b}")).collect(),
        ("guest-sve-op", _) => writes(true, false),
        ("guest-fp-op", _) => writes(false, true),
        ("kvm-exit", 2) => s(&["to-user"]),
        ("expect", 1) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(s(&["no-violations", "violation"]));
            }
            v
        }
        ("expect", 2) if prev == "violation" => s(&svelab_core::dsl::vocab::RULE_CODES),
        ("expect", 2) => s(&CMP_OPS),
        ("expect", 3) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(s(&comparison_words()));
                v.extend(s(&VALUES));
                v.extend(kernel_names());
            }
            v
        }
        ("show", 1) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(s(&SHOW_WORDS));
            }
            v
        }
        _ => Vec::new(),
    }
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

/// Completes a DSL statement at `pos` of `line`: the byte where the replaced word starts
/// and the candidates (sorted, matching what is typed). Inside a comment: nothing.
pub fn complete_statement(line: &str, pos: usize, n: &Names) -> (usize, Vec<String>) {
    let upto = &line[..pos];
    let start = upto.rfind([';', '{', '}', '\n']).map_or(0, |i| i + 1);
    let stmt = &upto[start..];
    if stmt.contains('#') {
        return (pos, Vec::new());
    }
    let word_start = stmt.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let cur = &stmt[word_start..];
    let words: Vec<&str> = stmt[..word_start].split_whitespace().collect();
    let cands = if words.is_empty() {
        STATEMENTS.iter().map(|s| s.keyword.to_string()).collect()
    } else {
        stmt_candidates(&words, cur, n)
    };
    let mut out: Vec<String> = cands.into_iter().filter(|c| c.starts_with(cur)).collect();
    out.dedup();
    (start + word_start, out)
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

/// The usage still to type for the statement on the line, for the inline hint
/// (`sve-op ` → `TASK [REG=VALUE …] …`).
pub fn usage_hint(line: &str) -> Option<String> {
    let start = line.rfind([';', '{', '\n']).map_or(0, |i| i + 1);
    let stmt = line[start..].trim_start();
    let kw = stmt.strip_suffix(' ')?;
    if kw.contains(char::is_whitespace) {
        return None;
    }
    statement(kw).map(|s| s.usage.to_string())
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
        complete_statement(line, line.len(), &names()).1
    }

    /// Every entry of the core's vocabularies completes where the grammar takes it.
    #[test]
    fn every_vocabulary_entry_completes() {
        use svelab_core::dsl::vocab;
        for st in &vocab::STATEMENTS {
            assert!(
                c(&st.keyword[..2]).contains(&st.keyword.to_string()),
                "{}",
                st.keyword
            );
        }
        for code in vocab::RULE_CODES {
            assert!(c("expect violation ").contains(&code.to_string()), "{code}");
        }
        for sig in vocab::SIGNALS {
            assert!(c("signal A ").contains(&sig.to_string()), "{sig}");
        }
        for e in vocab::EDITS {
            assert!(c("svc A sigreturn ").contains(&e.to_string()), "{e}");
        }
        for call in vocab::SVC_CALLS {
            assert!(c("svc A ").contains(&call.to_string()), "{call}");
        }
        for v in &vocab::NAMED_VALUES {
            for w in v.aliases.iter().chain([&v.word]) {
                assert!(c("expect A.fp_type == ").contains(&w.to_string()), "{w}");
            }
        }
        for k in vocab::kernel_names() {
            assert!(c("kernel ").contains(&k), "{k}");
        }
        for f in vocab::VCPU_FIELDS {
            assert!(c("expect V0.").contains(&format!("V0.{f}")), "{f}");
        }
    }

    #[test]
    fn keywords_then_arguments() {
        assert_eq!(c("sve"), vec!["sve-op"]);
        assert_eq!(c("svc A ge"), vec!["getpid"]);
        assert_eq!(c("ctxsw "), vec!["cpu0", "cpu1"]);
        assert_eq!(c("ctxsw cpu0 "), vec!["A", "B", "idle", "kthread"]);
        assert!(c("sve-op A ").contains(&"z0=".to_string()));
        assert!(c("sve-op A z0=").contains(&"z0=fill(0x".to_string()));
        assert_eq!(c("task C on="), vec!["on=cpu0", "on=cpu1"]);
        assert_eq!(c("kvm-enter A "), vec!["V0"]);
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
    }

    #[test]
    fn after_separators_and_in_repeat() {
        assert_eq!(c("task A; sve"), vec!["sve-op"]);
        assert_eq!(c("repeat 3 { svc A get"), vec!["getpid"]);
        assert!(c("task A # sve").is_empty());
    }

    #[test]
    fn prefix_and_usage() {
        assert_eq!(common_prefix(&["svc".into(), "sve-op".into()]), "sv");
        assert_eq!(usage_hint("cpus ").as_deref(), Some("N"));
        assert_eq!(
            usage_hint("task A; ctxsw ").as_deref(),
            Some("cpuN TASK|idle|kthread")
        );
        assert_eq!(usage_hint("ctxsw cpu0 "), None);
    }
}
