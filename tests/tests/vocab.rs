//! One walk over every vocabulary of the language (`core/src/dsl/vocab.rs`): each entry
//! parses, evaluates on a machine, and reads the way its table says. The REPL's completion
//! of the same tables is tested beside it (`repl/src/lang.rs`).
use svelab_core::dsl::vocab::{
    self, canonical_value, kernel_names, CONFIG_FIELDS, CPU_FIELDS, EDITS, EXAMPLE_SETUP,
    NAMED_VALUES, RULE_CODES, SIGNALS, STATEMENTS, SVC_CALLS, TASK_FIELDS, VCPU_FIELDS,
};
use svelab_core::dsl::{parse, render_diagnostics};
use svelab_core::session::{RunOptions, Session, StopReason};

/// Runs `src` to the end; panics with the diagnostics or the failed step otherwise.
fn run_clean(src: &str) -> Session {
    let (mut s, d) = Session::from_source(src);
    assert!(d.is_empty(), "{src}\n{}", render_diagnostics(src, &d));
    let r = s.run(&RunOptions::default());
    assert_eq!(
        r.stop,
        StopReason::End,
        "{src}\nstopped: {:?}",
        r.last.and_then(|l| l.error)
    );
    s
}

#[test]
fn every_statement_example_parses_and_runs() {
    for st in &STATEMENTS {
        assert_eq!(
            st.example.split_whitespace().next(),
            Some(st.keyword),
            "the example of `{}` starts with its keyword",
            st.keyword
        );
        assert!(vocab::statement(st.keyword) == Some(st));
        let src = if st.config {
            format!("{}\ntask A on=cpu0\n", st.example)
        } else {
            format!("{EXAMPLE_SETUP}{}\n{}\n", st.needs, st.example)
        };
        let s = run_clean(&src);
        // The example's own statement is the last step that ran.
        assert!(s.position() >= 1, "{src}");
    }
    assert_eq!(vocab::KEYWORDS.len(), STATEMENTS.len());
}

#[test]
fn every_rule_code_is_a_condition_the_core_evaluates() {
    for code in RULE_CODES {
        let src = format!("{EXAMPLE_SETUP}expect violation {code}\n");
        let (mut s, d) = Session::from_source(&src);
        assert!(d.is_empty(), "{code}: {d:?}");
        let r = s.run(&RunOptions::default());
        // No violation happened, so each expect fails, but as a failed expect, never as
        // an "unknown rule" error.
        assert_eq!(r.stop, StopReason::End, "{code}");
        assert_eq!(r.expect_failures, 1, "{code}");
    }
    let (_, d) = parse("expect violation abi-v\n");
    assert!(d.is_empty());
}

#[test]
fn an_abi_v_violation_is_found_by_expect_violation_abi_v() {
    // A header-only NT_ARM_SVE write to a task stopped after SVE use zeroes V0 on every
    // kernel (sve_set_common() allocates a zeroed buffer and copies in only the header;
    // see tests/tests/later_kernels.rs): the ABI oracle calls that abi-v.
    let src = "kernel v6.12\ntask A vl=512 on=cpu0\nsve-op A z0=fill(0x22)\nctxsw cpu0 idle\nptrace A set NT_ARM_SVE header\nexpect violation abi-v\n";
    let (mut s, d) = Session::from_source(src);
    assert!(d.is_empty(), "{d:?}");
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::End);
    assert_eq!(r.expect_failures, 0, "{:?}", s.violations_now());
}

#[test]
fn every_signal_edit_and_syscall_parses() {
    for sig in SIGNALS {
        let (_, d) = parse(&format!("signal A {sig}\n"));
        assert!(d.is_empty(), "{sig}: {d:?}");
    }
    for e in EDITS {
        let (_, d) = parse(&format!("svc A sigreturn {e}\n"));
        assert!(d.is_empty(), "{e}: {d:?}");
    }
    for call in SVC_CALLS {
        assert!(
            STATEMENTS
                .iter()
                .find(|s| s.keyword == "svc")
                .is_some_and(|s| s.usage.contains(call)),
            "svc's usage names {call}"
        );
    }
    for k in kernel_names() {
        let (_, d) = parse(&format!("kernel {k}\n"));
        assert!(d.is_empty(), "{k}: {d:?}");
    }
}

#[test]
fn every_field_evaluates() {
    let s = run_clean(&format!("{EXAMPLE_SETUP}sve-op A z0=1\n"));
    for f in TASK_FIELDS {
        s.eval(&format!("A.{f}"))
            .unwrap_or_else(|e| panic!("A.{f}: {e:?}"));
    }
    for f in CPU_FIELDS {
        s.eval(&format!("cpu0.{f}"))
            .unwrap_or_else(|e| panic!("cpu0.{f}: {e:?}"));
    }
    for f in VCPU_FIELDS {
        s.eval(&format!("V0.{f}"))
            .unwrap_or_else(|e| panic!("V0.{f}: {e:?}"));
    }
    for f in CONFIG_FIELDS {
        s.eval(&format!("config.{f}"))
            .unwrap_or_else(|e| panic!("config.{f}: {e:?}"));
    }
}

#[test]
fn every_spelling_of_a_named_value_compares_equal() {
    for v in &NAMED_VALUES {
        for a in v.aliases.iter().chain([&v.word]) {
            assert_eq!(canonical_value(a), v.word, "{a}");
            assert_eq!(canonical_value(&a.to_ascii_lowercase()), v.word, "{a}");
        }
    }
}

#[test]
fn the_vcpu_owner_reads_as_each_kernel_names_it() {
    // What the playground shows is what `expect` accepts: on v6.2 Marc Zyngier's tristate,
    // on v5.19 the two flags.
    let guest = "cpus 1\ntask VMM vl=256 on=cpu0\nvcpu V0 sve vl=256\nkvm-enter VMM V0\nguest-fp-op V0 v0=0x1\n";
    for (kernel, name) in [
        ("v6.2", "FP_STATE_GUEST_OWNED"),
        ("v6.12", "FP_STATE_GUEST_OWNED"),
        ("v5.19", "FP_ENABLED"),
    ] {
        let src = format!("kernel {kernel}\n{guest}");
        let s = run_clean(&src);
        let shown = s
            .machine()
            .vcpus
            .first()
            .map(|v| v.fp_owner.kernel_name(s.machine().kernel()))
            .unwrap();
        assert!(shown.starts_with(name), "{kernel}: {shown}");
        let src = format!("{src}expect V0.fp_owner == {name}\nexpect V0.fp_owner == guest\nexpect V0.fp_owner != FP_STATE_HOST_OWNED\n");
        let (mut s, _) = Session::from_source(&src);
        let r = s.run(&RunOptions::default());
        assert_eq!(
            (r.stop, r.expect_failures),
            (StopReason::End, 0),
            "{kernel}"
        );
    }
}
