//! Translation of scripts into real programs: what a real program can do becomes steps,
//! what it cannot is an error that points at the statement and says why.

use svelab_core::model::kernel::Kernel;
use svelab_core::real::observe::Observable;
use svelab_core::real::translate;

/// Translates `src` for 6.12 and returns the one error: its line and message.
fn rejected(src: &str) -> (u32, String, String) {
    match translate("t", src, Kernel::V6_12) {
        Ok(t) => panic!("translated, but should not:\n{src}\n{}", t.program),
        Err(d) => {
            assert_eq!(d.len(), 1, "one error for {src}: {d:?}");
            (d[0].line, d[0].message.clone(), d[0].hint.clone())
        }
    }
}

const A: &str = "task A vl=512 on=cpu0\ntask B vl=512\n";

#[test]
fn every_statement_a_real_program_cannot_do_is_an_error_at_its_line() {
    let cases: &[(&str, &str)] = &[
        ("cpus 3\n", "at most 2 CPUs"),
        ("kvm-mode nvhe\n", "VHE"),
        ("vls 128,256\n", "vector lengths are fixed"),
        ("sysctl abi.sve_syscall_clear_regs=1\n", "patch 7"),
        ("task A vl=512 on=cpu0\nsve-op A z0=0x1 preempt -> idle\n", "interrupt its own SVE trap"),
        ("task A vl=512 on=cpu0\nkernel-neon cpu0\n", "softirq"),
        ("task A vl=512 on=cpu0\ncpu-pm cpu0\n", "power management"),
        ("task A vl=512 on=cpu0\nsvc A sigreturn bad-vl\n", "frame edit"),
        ("task A vl=512 on=cpu0\nctxsw cpu0 kthread\n", "kernel thread"),
        ("task A vl=512 on=cpu0\nctxsw cpu0 idle\n", "cannot be made to stop"),
        ("task A vl=512 on=cpu0\nsve-op A z0=0x1\nexpect A.z1 == 0\nsignal A SIGSEGV\n", "SIGUSR1"),
        ("task A vl=512 on=cpu0\nsvc A getpid\nexpect A.z0 == 0\n", "takes an instruction of A"),
        ("task A vl=512 on=cpu0\nfp-op A v0=0x1\nexpect A.z0 == 0\n", "takes an instruction of A"),
        ("task A vl=512 on=cpu0\nsve-op A\nexpect A.TIF_SVE == 1\n", "bookkeeping"),
        ("task A vl=512 on=cpu0\nsve-op A\nexpect A.x0 == 0\n", "right after a prctl"),
        ("task A vl=512 on=cpu0\nsve-op A\nexpect cpu0.CPACR_EL1.ZEN_EL0EN == 1\n", "cannot be read"),
        ("task A vl=512 on=cpu0\nsve-op A\nexpect no-violations\n", "only paths"),
        ("task A vl=512 on=cpu0\nsve-op A\nexpect A.traps == 1\nshow cpu0.traps\n", "per task or in total"),
        ("task V vl=512 on=cpu0\nsve-op V\nvcpu G sve\nkvm-enter V G\nkvm-exit G to-user\n", "before it runs anything else"),
        ("task V vl=512 on=cpu0\ntask B vl=512\nvcpu G sve\nkvm-enter V G\nctxsw cpu0 B\n", "only run guest statements"),
        ("task V vl=512 on=cpu0\ntask B vl=512\nvcpu G sve\nkvm-enter V G preempt -> B\n", "vcpu_load"),
        ("task A vl=512 on=cpu0\nsignal A SIGUSR1\nframe-write A v0=0x1\n", "do not edit their frames"),
        ("task A vl=512 on=cpu0\nsvc A sigaction SIGUSR1 ignore\n", "keep the SIGUSR1/SIGUSR2 handlers"),
        ("task V vl=512 on=cpu0\nvcpu G sve\nkvm-enter V G\nguest-zcr G vl=128\n", "never writes its ZCR_EL1"),
        ("task V vl=512 on=cpu0\nvcpu G sve\nkvm-enter V G\nguest-sve-op G z0=0x1\nkvm-exit G to-user\nexpect G.v0 == 1\n", "FPSIMD buffer"),
        ("task V vl=512 on=cpu0\nvcpu G sve\nkvm-enter V G\nguest-sve-op G z0=0x1\nkvm-exit G to-user\nexpect G.fp_owner == free\n", "bookkeeping"),
        ("task V vl=512 on=cpu0\nvcpu G sve\nkvm-enter V G\nguest-fp-op G v0=0x1\nkvm-exit G to-user\nexpect G.z0 == 1\n", "ends with its register operation"),
        ("task V vl=512 on=cpu0\nvcpu G sve\nkvm-enter V G\nguest-sve-op G z0=0x1\nkvm-exit G\nkvm-exit G to-user\nkvm-enter V G\nkvm-exit G to-user\nexpect G.z0 == 1\n", "ends with its register operation"),
    ];
    for (src, want) in cases {
        let src = if src.starts_with("task")
            || src.starts_with("cpus")
            || src.starts_with("kvm-mode")
            || src.starts_with("vls")
            || src.starts_with("sysctl")
        {
            src.to_string()
        } else {
            format!("{A}{src}")
        };
        let (line, msg, hint) = rejected(&src);
        let last = src.lines().count() as u32;
        assert!(msg.starts_with("not on a real kernel: "), "{src}: {msg}");
        assert!(msg.contains(want), "{src}: `{msg}` should say `{want}`");
        assert!(!hint.is_empty(), "{src}: no hint");
        let at = if msg.contains("before it runs anything else") {
            3
        } else {
            last
        };
        assert_eq!(
            line, at,
            "{src}: the error points at the offending statement"
        );
    }
}

#[test]
fn a_guest_register_is_read_from_the_snapshot_of_the_guests_last_operation() {
    let src = "task V vl=512 on=cpu0\nvcpu G sve vl=512\n\
               kvm-enter V G\nguest-sve-op G z0=fill(0x99)\nkvm-exit G to-user\n\
               kvm-enter V G\nguest-sve-op G p1=0x3\nguest-sve-op G\nkvm-exit G\nkvm-exit G to-user\n\
               expect G.z0 == fill(0x99)\nexpect G.fpsr == 0\n";
    let t = translate("g", src, Kernel::V6_12).unwrap();
    let text = t.program.to_string();
    // Ops are numbered across runs: 0 (write z0), 1 (exit), 2 (write p1), 3 (read), 4, 5.
    let obs: Vec<&str> = text.lines().filter(|l| l.contains("obs-guest")).collect();
    assert_eq!(obs.len(), 2, "{text}");
    assert!(obs.iter().all(|l| l.contains(" a=3")), "{obs:?}");
    assert_eq!(
        t.observations[0].what,
        Observable::GuestReg {
            reg: "z0".into(),
            vl: 64
        }
    );
    assert_eq!(t.observations[0].predicted.to_string(), "fill(0x99)");
}

#[test]
fn a_ptrace_sve_write_carries_the_models_vl_flags_and_payload_kind() {
    let src = format!(
        "{A}sve-op A z0=0x1\nctxsw cpu0 B\n\
         ptrace A set NT_ARM_SVE vl=256 sve partial inherit z1=0x5\n\
         ptrace A set NT_ARM_SVE header\n\
         ptrace A set NT_ARM_SVE fpsimd v2=0x7\n"
    );
    let t = translate("p", &src, Kernel::V6_12).unwrap();
    let text = t.program.to_string();
    let sets: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ptrace-set-sve"))
        .collect();
    assert_eq!(sets.len(), 3, "{text}");
    // vl in bytes; flags = SVE_PT_VL_INHERIT | SVE_PT_REGS_SVE; kind 3 = partial SVE.
    assert!(sets[0].contains(" a=32 b=3 c=3"), "{}", sets[0]);
    assert!(sets[0].contains("z1="), "{}", sets[0]);
    // header only: SVE_PT_REGS_SVE at the task's VL (now 256 bits).
    assert!(sets[1].contains(" a=32 b=1 c=0"), "{}", sets[1]);
    // FPSIMD payload: no SVE flag.
    assert!(sets[2].contains(" a=32 b=0 c=1"), "{}", sets[2]);
}

#[test]
fn kernel_neon_of_a_task_is_its_read_neon_syscall() {
    let src = format!("{A}sve-op A z0=0x1\nkernel-neon A\nsve-op A\nexpect A.kernel_neon == 1\n");
    let t = translate("n", &src, Kernel::V6_12).unwrap();
    let text = t.program.to_string();
    assert_eq!(text.matches(" read-neon").count(), 1, "{text}");
    assert_eq!(t.observations[0].predicted.to_string(), "1");
}

/// docs/dsl.md says, for every statement and every `svc` call, whether it runs on a real
/// kernel.
#[test]
fn the_docs_cover_every_statement_and_call_on_a_real_kernel() {
    let doc = include_str!("../../docs/dsl.md");
    let section = &doc[doc.find("## On a real kernel").expect("the section")..];
    for kw in svelab_core::dsl::KEYWORDS
        .iter()
        .chain(&svelab_core::dsl::SVC_CALLS)
    {
        assert!(
            section.contains(&format!("\n| `{kw}` |")),
            "docs/dsl.md, \"On a real kernel\": no row for `{kw}`"
        );
    }
}
