//! The language's vocabularies, each defined once: the statements (keyword, usage, one-line
//! help, an example), the words each argument position takes, the rule codes, the signals,
//! the fields of each kind of object and the named values a comparison accepts.
//!
//! The parser's suggestions, `eval`, the REPL's completion, hints, highlighting and `:help`
//! and the playground's editor all read these tables; `tests/tests/vocab.rs` walks every
//! entry and proves it parses, evaluates and completes.

use crate::model::event::Sig;
use crate::model::kernel::Kernel;
use crate::model::op::FrameEdit;
use crate::model::violation::Rule;

/// A statement of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The keyword that starts it.
    pub keyword: &'static str,
    /// Its arguments, as hints and `:help` show them.
    pub usage: &'static str,
    /// What it does, in one line.
    pub summary: &'static str,
    /// A complete example line.
    pub example: &'static str,
    /// Statements the example needs before it (a configuration statement needs none and
    /// must come first; the others run after [`EXAMPLE_SETUP`]).
    pub needs: &'static str,
    /// A configuration statement (allowed only before the first task or vCPU).
    pub config: bool,
}

/// The machine the examples of non-configuration statements run on.
pub const EXAMPLE_SETUP: &str = "kernel v6.2\ncpus 2\ntask A vl=256 on=cpu0\ntask B vl=128 on=cpu1\nvcpu V0 sve vl=256\ntask VMM vl=256\n";

const fn stmt(
    keyword: &'static str,
    usage: &'static str,
    summary: &'static str,
    example: &'static str,
    needs: &'static str,
    config: bool,
) -> Statement {
    Statement {
        keyword,
        usage,
        summary,
        example,
        needs,
        config,
    }
}

/// Every statement of the language, in the order `docs/dsl.md` describes them.
pub const STATEMENTS: [Statement; 27] = [
    stmt("kernel", "v5.19-rc1 | series-v1/p1 … p7 | series-v1 | v5.19 | v6.1 | v6.2 | v6.12", "choose the kernel (configuration: before any task)", "kernel series-v1/p6", "", true),
    stmt("cpus", "N", "number of CPUs (configuration)", "cpus 2", "", true),
    stmt("vls", "BITS,BITS,…", "supported vector lengths in bits (configuration)", "vls 128,256,512", "", true),
    stmt("kvm-mode", "vhe | nvhe", "how KVM runs (configuration)", "kvm-mode nvhe", "", true),
    stmt("sysctl", "abi.sve_default_vector_length=BYTES | abi.sve_syscall_clear_regs=0|1", "write a /proc/sys/abi file", "sysctl abi.sve_default_vector_length=32", "", false),
    stmt("task", "NAME [vl=BITS] [on=cpuN]", "create a task as execve() leaves it; on= switches it in", "task C vl=512", "", false),
    stmt("vcpu", "NAME sve [vl=BITS] | NAME nosve", "create a vCPU", "vcpu V1 nosve", "", false),
    stmt("sve-op", "TASK [REG=VALUE …] [preempt -> NEXT | softirq-neon]", "the task executes an SVE instruction (traps if SVE is disabled at EL0)", "sve-op A z0=fill(0x11) p0=ones", "", false),
    stmt("fp-op", "TASK [REG=VALUE …]", "the task executes an FP/AdvSIMD instruction (never traps)", "fp-op A v0=0x2222", "", false),
    stmt("svc", "TASK getpid | yield [-> NEXT] | prctl-set-vl BITS [inherit] [onexec] | prctl-get-vl | fork NAME | exec | sigreturn [EDIT] | kill TASK SIG | sigaction SIG default|ignore|handle | exit | read-neon | kvm-run VCPU", "the task makes a syscall", "svc A getpid", "", false),
    stmt("ctxsw", "cpuN TASK|idle|kthread", "context switch on a CPU", "ctxsw cpu0 idle", "", false),
    stmt("migrate", "TASK cpuN", "move a task to another CPU", "migrate A cpu1", "ctxsw cpu0 idle", false),
    stmt("signal", "TASK SIGUSR1|SIGUSR2|SIGSEGV|SIGKILL|SIGILL", "send a signal (delivered at the next return to user)", "signal A SIGUSR1", "", false),
    stmt("frame-write", "TASK REG=VALUE …", "the signal handler edits the registers saved in its innermost frame (a store to user memory; sigreturn restores them)", "frame-write A v0=0x1 fpsr=0x10", "signal A SIGUSR1", false),
    stmt("ptrace", "TASK get NT_PRFPREG|NT_ARM_SVE | TASK set NT_PRFPREG REG=… | TASK set NT_ARM_SVE [vl=BITS] [fpsimd|sve|header] [partial] [inherit] [onexec] REG=…", "a debugger reads or writes a stopped task's registers", "ptrace A get NT_ARM_SVE", "ctxsw cpu0 idle", false),
    stmt("kernel-neon", "cpuN | TASK", "kernel-mode NEON on a CPU (softirq) or in a task's context", "kernel-neon cpu0", "", false),
    stmt("cpu-pm", "cpuN", "the CPU enters a low-power state (CPU_PM_ENTER)", "cpu-pm cpu1", "ctxsw cpu1 idle", false),
    stmt("cpu-offline", "cpuN", "hot-unplug a CPU", "cpu-offline cpu1", "ctxsw cpu1 idle", false),
    stmt("cpu-online", "cpuN", "bring a CPU back", "cpu-online cpu1", "ctxsw cpu1 idle\ncpu-offline cpu1", false),
    stmt("kvm-enter", "TASK VCPU [preempt -> NEXT]", "the VMM task enters KVM_RUN with a vCPU (preempt: switched out after syscall entry, before vcpu_load)", "kvm-enter VMM V0 preempt -> idle", "ctxsw cpu0 VMM", false),
    stmt("guest-sve-op", "VCPU [REG=VALUE …]", "the guest executes an SVE instruction", "guest-sve-op V0 z1=fill(0x33)", "ctxsw cpu0 VMM\nkvm-enter VMM V0", false),
    stmt("guest-fp-op", "VCPU [REG=VALUE …]", "the guest executes an FP instruction", "guest-fp-op V0 v1=0x44", "ctxsw cpu0 VMM\nkvm-enter VMM V0", false),
    stmt("guest-zcr", "VCPU vl=BITS", "the guest writes its own ZCR_EL1: its SVE instructions run at that VL (at most its maximum)", "guest-zcr V0 vl=128", "ctxsw cpu0 VMM\nkvm-enter VMM V0", false),
    stmt("kvm-exit", "VCPU [to-user]", "the guest exits (to-user: back to the VMM's user space)", "kvm-exit V0 to-user", "ctxsw cpu0 VMM\nkvm-enter VMM V0", false),
    stmt("expect", "PATH OP VALUE | no-violations | violation CODE", "check something (batch mode exits 1 if it fails)", "expect A.TIF_SVE == 0", "", false),
    stmt("show", "TASK | cpuN | VCPU | PATH | counters | events | violations | config | machine", "print part of the model", "show cpu0", "", false),
    stmt("repeat", "N { … }", "run the statements in braces N times", "repeat 3 { sve-op A; svc A getpid }", "", false),
];

/// `[&str; N]` of one name per element of a const array, computed at compile time.
macro_rules! names_of {
    ($all:expr, |$x:ident| $name:expr) => {{
        let mut out = [""; $all.len()];
        let mut i = 0;
        while i < out.len() {
            let $x = $all[i];
            out[i] = $name;
            i += 1;
        }
        out
    }};
}

/// Every statement keyword, in [`STATEMENTS`] order (for suggestions and highlighting).
pub const KEYWORDS: [&str; STATEMENTS.len()] = names_of!(STATEMENTS, |s| s.keyword);

/// The statement with this keyword.
pub fn statement(keyword: &str) -> Option<&'static Statement> {
    STATEMENTS.iter().find(|s| s.keyword == keyword)
}

/// Every call of `svc`.
pub const SVC_CALLS: [&str; 12] = [
    "getpid",
    "yield",
    "prctl-set-vl",
    "prctl-get-vl",
    "fork",
    "exec",
    "sigreturn",
    "kill",
    "sigaction",
    "exit",
    "read-neon",
    "kvm-run",
];

/// The signals a script can send, by their kernel names.
pub const SIGNALS: [&str; Sig::ALL.len()] = names_of!(Sig::ALL, |g| g.name());

/// The edits `svc TASK sigreturn EDIT` can make to the frame.
pub const EDITS: [&str; FrameEdit::ALL.len()] = names_of!(FrameEdit::ALL, |e| e.keyword());

/// The rule codes `expect violation CODE` takes, in [`Rule::ALL`] order.
pub const RULE_CODES: [&str; Rule::ALL.len()] = names_of!(Rule::ALL, |r| r.code());

/// Targets of `show` besides object names and paths.
pub const SHOW_WORDS: [&str; 5] = ["counters", "events", "violations", "config", "machine"];

/// Comparison operators of `expect`.
pub const CMP_OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];

/// The value forms a register write or a comparison takes (what completion offers).
pub const VALUE_FORMS: [&str; 5] = ["fill(0x", "ones", "zero", "pattern(", "0x"];

/// The words inside statements that are neither keywords nor names (for highlighting).
pub const ARGUMENT_WORDS: [&str; 17] = [
    "preempt",
    "softirq-neon",
    "get",
    "set",
    "NT_PRFPREG",
    "NT_ARM_SVE",
    "nosve",
    "header",
    "partial",
    "inherit",
    "onexec",
    "to-user",
    "vhe",
    "nvhe",
    "no-violations",
    "violation",
    "on",
];

/// A named value a comparison accepts, with the other spellings that mean the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedValue {
    /// The spelling `show` prints.
    pub word: &'static str,
    /// Other spellings: the kernel's names for it (every kernel's), and synonyms.
    pub aliases: &'static [&'static str],
    /// What it means.
    pub meaning: &'static str,
}

const fn named(
    word: &'static str,
    aliases: &'static [&'static str],
    meaning: &'static str,
) -> NamedValue {
    NamedValue {
        word,
        aliases,
        meaning,
    }
}

/// The named values of fields, and the kernel names a comparison takes for them
/// (case-insensitive): `expect V0.fp_owner == FP_STATE_GUEST_OWNED` compares like
/// `== guest`.
pub const NAMED_VALUES: [NamedValue; 13] = [
    named(
        "none",
        &["null", "nobody", "NR_CPUS"],
        "no owner, no buffer, no CPU",
    ),
    named(
        "current",
        &["FP_STATE_CURRENT", "FP_STATE_TASK", "task"],
        "fp_type/to_save: save as the task's TIF_SVE says",
    ),
    named(
        "fpsimd",
        &["FP_STATE_FPSIMD"],
        "FPSIMD format (V0–V31, FPSR, FPCR)",
    ),
    named("sve", &["FP_STATE_SVE"], "SVE format (Z, P, FFR at the VL)"),
    named(
        "free",
        &["FP_STATE_FREE"],
        "a vCPU's FP state: nobody's is live (neither FP_HOST nor FP_ENABLED before v6.0)",
    ),
    named(
        "host",
        &["FP_STATE_HOST_OWNED", "FP_HOST"],
        "a vCPU's FP state: the host's (VMM's) state is live",
    ),
    named(
        "guest",
        &["FP_STATE_GUEST_OWNED", "FP_ENABLED"],
        "a vCPU's FP state: the guest's state is live",
    ),
    named("idle", &[], "the idle task"),
    named("kthread", &[], "a kernel thread"),
    named("user", &[], "a task running at EL0"),
    named("1", &["true"], "set"),
    named("0", &["false"], "clear"),
    named("zero", &[], "a register or buffer of zeroes"),
];

/// The canonical spelling of a named value (`FP_STATE_GUEST_OWNED` → `guest`), lower case
/// for any other word.
pub fn canonical_value(word: &str) -> String {
    for v in &NAMED_VALUES {
        if v.word.eq_ignore_ascii_case(word)
            || v.aliases.iter().any(|a| a.eq_ignore_ascii_case(word))
        {
            return v.word.to_string();
        }
    }
    word.to_ascii_lowercase()
}

/// Words that compare with names (what completion offers after `==`).
pub fn comparison_words() -> impl Iterator<Item = &'static str> {
    NAMED_VALUES
        .iter()
        .flat_map(|v| std::iter::once(v.word).chain(v.aliases.iter().copied()))
}

/// Object heads a path may start with besides task, vCPU and CPU names.
pub const PATH_HEADS: [&str; 4] = ["config", "total", "tracer", "machine"];

/// The fields of a task, in `show` order (registers and counters are added by `show`).
pub const TASK_FIELDS: [&str; 22] = [
    "state",
    "resume",
    "level",
    "where",
    "TIF_SVE",
    "TIF_FOREIGN_FPSTATE",
    "TIF_SVE_VL_INHERIT",
    "vl",
    "vl_onexec",
    "fp_type",
    "fpsimd_cpu",
    "in_syscall",
    "x0",
    "home",
    "sve_state",
    "sve_generation",
    "ghost_v_newest",
    "pending",
    "frames",
    "frame.sig",
    "frame.sve",
    "frame.sve_vl",
];

/// The fields of a CPU, in `show` order.
pub const CPU_FIELDS: [&str; 12] = [
    "curr",
    "online",
    "owner",
    "ZCR_EL1.LEN",
    "vl",
    "CPACR_EL1.ZEN_EL0EN",
    "last.st",
    "last.sve_state",
    "last.sve_vl",
    "last.fp_type",
    "last.to_save",
    "fpsr",
];

/// The fields of a vCPU, in `show` order.
pub const VCPU_FIELDS: [&str; 12] = [
    "has_sve",
    "sve_max_vl",
    "zcr_el1",
    "fp_type",
    "fp_owner",
    "host_sve_enabled",
    "fp_foreign_fpstate",
    "vmm",
    "in_guest",
    "loaded_on",
    "sve_state",
    "fp_regs.fpsr",
];

/// The configuration fields.
pub const CONFIG_FIELDS: [&str; 8] = [
    "kernel",
    "cpus",
    "vls",
    "sve_default_vl",
    "sve_default_vector_length",
    "sve_syscall_clear_regs",
    "kvm_mode",
    "max_vl",
];

/// Kernel names as `kernel` takes them: every kernel's canonical name, then the aliases.
pub fn kernel_names() -> Vec<String> {
    let mut v: Vec<String> = Kernel::ALL.iter().map(|k| k.name()).collect();
    v.push("series-v1".into());
    v
}
