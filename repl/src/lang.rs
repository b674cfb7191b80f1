//! What the REPL knows about the DSL for completion, hints, highlighting and `:help`: the
//! statements with their usage, the words each position takes, and the fields of each kind
//! of object. The grammar itself is the core's (`docs/dsl.md`); these tables follow it.

use svelab_core::dsl::eval::{CONFIG_FIELDS, CPU_FIELDS, TASK_FIELDS, VCPU_FIELDS};
use svelab_core::{Counter, Kernel, Machine};

/// A statement: keyword, usage, one-line summary.
pub struct Statement {
    /// The keyword.
    pub keyword: &'static str,
    /// Arguments, as the hint shows them.
    pub usage: &'static str,
    /// What it does.
    pub summary: &'static str,
}

macro_rules! statements {
    ($($k:literal, $u:literal, $s:literal;)*) => {
        /// Every statement of the DSL.
        pub const STATEMENTS: &[Statement] = &[$(Statement { keyword: $k, usage: $u, summary: $s }),*];
    };
}

statements! {
    "kernel", "v5.19 | series-v1/p1 … p7 | series-v1 | v6.1 | v6.2 | v6.12", "choose the kernel (configuration: before any task)";
    "cpus", "N", "number of CPUs (configuration)";
    "vls", "BITS,BITS,…", "supported vector lengths in bits (configuration)";
    "kvm-mode", "vhe | nvhe", "how KVM runs (configuration)";
    "sysctl", "abi.sve_default_vector_length=BYTES | abi.sve_syscall_clear_regs=0|1", "write a /proc/sys/abi file";
    "task", "NAME [vl=BITS] [on=cpuN]", "create a task as execve() leaves it; on= switches it in";
    "vcpu", "NAME sve [vl=BITS] | NAME nosve", "create a vCPU";
    "sve-op", "TASK [REG=VALUE …] [preempt -> NEXT | softirq-neon]", "the task executes an SVE instruction (traps if SVE is disabled at EL0)";
    "fp-op", "TASK [REG=VALUE …]", "the task executes an FP/AdvSIMD instruction (never traps)";
    "svc", "TASK getpid | yield [-> NEXT] | prctl-set-vl BITS [inherit] [onexec] | prctl-get-vl | fork NAME | exec | sigreturn [EDIT] | kill TASK SIG | exit | read-neon | kvm-run VCPU", "the task makes a syscall";
    "ctxsw", "cpuN TASK|idle|kthread", "context switch on a CPU";
    "migrate", "TASK cpuN", "move a task to another CPU";
    "signal", "TASK SIGUSR1|SIGUSR2|SIGSEGV|SIGKILL|SIGILL", "send a signal (delivered at the next return to user)";
    "ptrace", "TASK get NT_PRFPREG|NT_ARM_SVE | TASK set NT_PRFPREG REG=… | TASK set NT_ARM_SVE [vl=BITS] [fpsimd|sve|header] [partial] [inherit] [onexec] REG=…", "a debugger reads or writes a stopped task's registers";
    "kernel-neon", "cpuN | TASK", "kernel-mode NEON on a CPU (softirq) or in a task's context";
    "cpu-pm", "cpuN", "the CPU enters a low-power state (CPU_PM_ENTER)";
    "cpu-offline", "cpuN", "hot-unplug a CPU";
    "cpu-online", "cpuN", "bring a CPU back";
    "kvm-enter", "TASK VCPU", "the VMM task enters KVM_RUN with a vCPU";
    "guest-sve-op", "VCPU [REG=VALUE …]", "the guest executes an SVE instruction";
    "guest-fp-op", "VCPU [REG=VALUE …]", "the guest executes an FP instruction";
    "kvm-exit", "VCPU [to-user]", "the guest exits (to-user: back to the VMM's user space)";
    "expect", "PATH OP VALUE | no-violations | violation CODE", "check something (batch mode exits 1 if it fails)";
    "show", "TASK | cpuN | VCPU | PATH | counters | events | violations | config | machine", "print part of the model";
    "repeat", "N { … }", "run the statements in braces N times";
}

/// The statement with this keyword.
pub fn statement(k: &str) -> Option<&'static Statement> {
    STATEMENTS.iter().find(|s| s.keyword == k)
}

/// Syscalls of `svc`, from the parser itself.
pub use svelab_core::dsl::SVC_CALLS;
/// Signals.
pub const SIGNALS: [&str; 5] = ["SIGUSR1", "SIGUSR2", "SIGSEGV", "SIGKILL", "SIGILL"];
/// Frame edits of `sigreturn`.
pub const EDITS: [&str; 6] = [
    "as-delivered",
    "no-sve",
    "header-only",
    "bad-vl",
    "no-fpsimd",
    "truncated",
];
/// Targets of `show` besides names and paths.
pub const SHOW_WORDS: [&str; 5] = ["counters", "events", "violations", "config", "machine"];
/// Comparison operators.
pub const CMP_OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
/// Value forms.
pub const VALUES: [&str; 5] = ["fill(0x", "ones", "zero", "pattern(", "0x"];
/// Words that compare with names.
pub const WORDS: [&str; 10] = [
    "sve", "fpsimd", "null", "none", "nobody", "idle", "kthread", "user", "true", "false",
];

/// Kernel names as the DSL takes them.
pub fn kernel_names() -> Vec<String> {
    let mut v: Vec<String> = Kernel::ALL.iter().map(|k| k.name()).collect();
    v.push("series-v1".into());
    v
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
        ("sysctl", 1) => s(&[
            "abi.sve_default_vector_length=",
            "abi.sve_syscall_clear_regs=",
        ]),
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
        ("sve-op" | "fp-op" | "svc" | "migrate" | "signal" | "ptrace" | "kvm-enter", 1) => tasks(),
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
        ("kvm-enter", 2) | ("guest-sve-op" | "guest-fp-op" | "kvm-exit", 1) => vcpus(),
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
        ("expect", 2) if prev == "violation" => crate::explain::RULES
            .iter()
            .map(|r| r.code().to_string())
            .collect(),
        ("expect", 2) => s(&CMP_OPS),
        ("expect", 3) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(s(&WORDS));
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
