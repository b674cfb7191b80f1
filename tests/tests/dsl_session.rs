//! The session: stepping, time travel, breakpoints, the REPL's append, diff, compare,
//! JSON round trips.
use svelab_core::dsl::{parse, render_diagnostics};
use svelab_core::session::{RunOptions, Session, StepOutcome, StopReason};

fn transcript(src: &str) -> String {
    let (mut s, d) = Session::from_source(src);
    let mut out = render_diagnostics(src, &d);
    s.run_with(&RunOptions::default(), &mut |r| {
        out.push_str(&format!("[{}] {}\n", r.step, r.text));
        for e in &r.event_lines {
            out.push_str(&format!("    {e}\n"));
        }
        match &r.outcome {
            StepOutcome::Expect(c) => {
                out.push_str(&format!("    expect: {} actual {}\n", c.passed, c.actual))
            }
            StepOutcome::Show(t) => out.push_str(t),
            StepOutcome::Op { ret: Some(x) } => out.push_str(&format!("    ret {x}\n")),
            _ => {}
        }
        for v in &r.violations {
            out.push_str(&format!("    !! {v}\n"));
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("    error: {e}\n"));
        }
    });
    out
}

#[test]
fn smoke() {
    let t = transcript(
        "kernel v5.19\ntask A vl=512 on=cpu0\nsve-op A z0=fill(0xaa) p1=0x0f ffr=ones\nexpect A.TIF_SVE == 1\nexpect A.z0[255:128] == fill(0xaa)\nsvc A getpid\nexpect A.z0[511:128] == 0\nexpect A.traps == 1\nshow A\nshow cpu0\nrepeat 3 { sve-op A z0=1; svc A getpid }\nshow counters\nexpect no-violations\n",
    );
    assert!(!t.contains("error"), "{t}");
}

#[test]
fn parse_errors_all_reported() {
    let (_, d) = parse("task A\nsve-op A z32=1\nfoo bar\nctxsw cpux A\n");
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(d[0].hint.contains("z0–z31"));
}

#[test]
fn time_travel() {
    let (mut s, _) =
        Session::from_source("task A on=cpu0\nrepeat 1000 { sve-op A z0=1; svc A getpid }");
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::End);
    assert_eq!(s.position(), 2001);
    s.goto(3);
    assert_eq!(s.position(), 3);
    let m3 = s.machine().clone();
    s.goto(2001);
    s.goto(3);
    assert_eq!(s.machine(), &m3);
}

use svelab_core::session::{
    compare, machine_from_json, machine_to_json, report_from_json, report_to_json, trace_from_json,
    trace_to_json, LoadError, FORMAT_VERSION,
};
use svelab_core::Kernel;

#[test]
fn step_errors_leave_the_session_unchanged() {
    let (mut s, _) = Session::from_source("task A on=cpu0\ntask B\nsve-op B z0=1\n");
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::Error);
    assert_eq!(s.position(), 2);
    let e = r.last.and_then(|l| l.error).expect("error");
    assert_eq!(e.line, 3);
    assert!(e.hint.contains("ctxsw"));
    let again = s.step().expect("report");
    assert!(again.error.is_some());
    assert_eq!(s.position(), 2);
}

#[test]
fn breakpoints_on_lines_and_conditions() {
    let src = "task A on=cpu0\nsve-op A z0=1\nsvc A getpid\nsve-op A z0=2\nsvc A getpid\n";
    let (mut s, _) = Session::from_source(src);
    let id = s.break_when("A.TIF_SVE == 1").expect("condition");
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::Breakpoint(id));
    assert_eq!(s.position(), 2);
    s.remove_breakpoint(id);
    let l = s.break_at_line(5);
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::Breakpoint(l));
    assert_eq!(s.next_statement().map(|x| x.1), Some(5));
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::End);
}

#[test]
fn budget_stops_huge_repeats() {
    let (mut s, _) = Session::from_source("task A on=cpu0\nrepeat 1000000000000 { svc A getpid }");
    let r = s.run(&RunOptions {
        budget: 5000,
        ..RunOptions::default()
    });
    assert_eq!(r.stop, StopReason::Budget);
    assert_eq!(s.position(), 5000);
    let (mut e, _) = Session::from_source("repeat 1000000000000 { repeat 0 { svc A getpid } }");
    assert_eq!(e.run(&RunOptions::default()).stop, StopReason::End);
}

#[test]
fn repl_append_is_atomic() {
    let mut s = Session::default();
    assert!(s.append("task A on=cpu0", 1000).is_ok());
    let err = s
        .append("sve-op A z0=1; sve-op B z0=1", 1000)
        .expect_err("B is unknown");
    assert_eq!(err[0].line, 1);
    assert_eq!(s.position(), 1);
    assert!(!s.machine().task(svelab_core::TaskId(0)).tif_sve);
    let r = s
        .append("sve-op A z0=1\nexpect A.TIF_SVE == 1", 1000)
        .expect("ok");
    assert_eq!(r.len(), 2);
    assert!(!r[1].expect_failed());
}

#[test]
fn diff_between_steps() {
    let (mut s, _) = Session::from_source("task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\n");
    s.run(&RunOptions::default());
    let d = s.diff(1, 2).expect("diff");
    assert!(
        d.iter()
            .any(|c| c.path == "A.TIF_SVE" && c.before == "0" && c.after == "1"),
        "{d:?}"
    );
    assert!(d
        .iter()
        .any(|c| c.path == "cpu0.z0" && c.after == "fill(0xaa)"));
    assert!(d.iter().any(|c| c.path == "A.user.z0"));
    assert_eq!(s.position(), 2);
}

#[test]
fn compare_two_kernels() {
    let src =
        "task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\nsvc A getpid\nsve-op A z0=fill(0xbb)\n";
    let c = compare(src, Kernel::V5_19Rc1, Kernel::V6_2, 1000).expect("parses");
    assert_eq!(c.steps, 4);
    // v5.19 disables SVE on every syscall, so the second sve-op traps again; v6.2 does not.
    assert!(c.steps_differing.iter().any(|d| d.line == 4), "{c:#?}");
}

#[test]
fn json_round_trips_with_a_version() {
    let (mut s, _) =
        Session::from_source("task A vl=512 on=cpu0\nsve-op A z0=pattern(1)\nsvc A getpid\n");
    let t = s.trace(1000);
    let j = trace_to_json(&t);
    assert_eq!(trace_from_json(&j).expect("load"), t);
    let m = machine_to_json(s.machine());
    assert_eq!(&machine_from_json(&m).expect("load"), s.machine());
    let r = report_to_json(&t.reports[1]);
    assert_eq!(report_from_json(&r).expect("load"), t.reports[1]);
    assert!(m.contains(&format!("\"version\":{FORMAT_VERSION}")));
    let old = m.replacen(&format!("\"version\":{FORMAT_VERSION}"), "\"version\":0", 1);
    assert!(matches!(
        machine_from_json(&old),
        Err(LoadError::Version { found: 0, .. })
    ));
    assert!(matches!(
        machine_from_json(&m[..m.len() / 2]),
        Err(LoadError::Damaged(_))
    ));
    assert!(matches!(
        trace_from_json(&m),
        Err(LoadError::WrongKind { .. })
    ));
    // A configuration no script could make is refused with the rule it breaks.
    for (from, to, why) in [
        ("\"cpus\":2", "\"cpus\":0", "1 to 8"),
        ("\"vls\":[16,32,64]", "\"vls\":[16,24,64]", "multiple of 16"),
        ("\"vls\":[16,32,64]", "\"vls\":[64,32,16]", "ascending"),
        (
            "\"sve_default_vl\":64",
            "\"sve_default_vl\":48",
            "not a supported",
        ),
        (
            "\"kernel\":\"v5.19-rc1\"",
            "\"kernel\":\"series-v1/p9\"",
            "unknown kernel",
        ),
    ] {
        assert!(m.contains(from), "{from} in {m}");
        let bad = m.replacen(from, to, 1);
        match machine_from_json(&bad) {
            Err(LoadError::Damaged(e)) => assert!(e.contains(why), "{to}: {e}"),
            other => panic!("{to}: {other:?}"),
        }
    }
}

/// Rewrites every register row of every CPU in a machine document: `f(kind, row)` returns
/// the new hex string ("z" or "p" rows).
fn rewrite_rows(doc: &str, mut f: impl FnMut(&str, &str) -> String) -> String {
    let mut v: serde_json::Value = serde_json::from_str(doc).expect("json");
    let m = v.pointer_mut("/data/machine").is_some();
    let cpus = if m {
        "/data/machine/cpus"
    } else {
        "/data/cpus"
    };
    for cpu in v
        .pointer_mut(cpus)
        .and_then(|c| c.as_array_mut())
        .expect("cpus")
    {
        for kind in ["z", "p"] {
            for row in cpu["regs"][kind].as_array_mut().expect("rows") {
                *row = f(kind, row.as_str().expect("hex")).into();
            }
        }
    }
    v.to_string()
}

#[test]
fn register_files_are_as_wide_as_the_largest_vl_and_wider_older_files_still_load() {
    // Largest VL 512 bits: Z rows of 64 bytes, P rows of 8, in memory and in the file.
    let (mut s, _) = Session::from_source(
        "vls 128,256,512\ntask A vl=512 on=cpu0\nsve-op A z0=pattern(1) p3=0xff\n",
    );
    let _ = s.trace(1000);
    let m = s.machine();
    assert_eq!(
        (m.cpus[0].regs.z.width(), m.cpus[0].regs.p.width()),
        (64, 8)
    );
    let doc = machine_to_json(m);
    let widths = |doc: &str| {
        let mut w = Vec::new();
        rewrite_rows(doc, |k, r| {
            w.push((k.to_string(), r.len() / 2));
            r.to_string()
        });
        w
    };
    assert!(widths(&doc)
        .iter()
        .all(|(k, w)| *w == if k == "z" { 64 } else { 8 }));
    // Earlier builds wrote every row at the architectural maximum (2048 bits): zero beyond the
    // largest VL. Such a file loads as the same machine, and so does a trace holding it.
    let widen = |k: &str, r: &str| {
        let full = if k == "z" { 512 } else { 64 };
        format!("{r}{}", "0".repeat(full - r.len()))
    };
    let old = rewrite_rows(&doc, widen);
    assert!(widths(&old).iter().all(|(_, w)| *w == 256 || *w == 32));
    assert_eq!(&machine_from_json(&old).expect("format 2 rows"), m);
    let t = s.trace(1000);
    let old_trace = rewrite_rows(&trace_to_json(&t), widen);
    assert_eq!(trace_from_json(&old_trace).expect("format 2 rows"), t);
    // A value beyond the largest VL, or rows narrower than it, is a damaged file (stepping
    // such a machine would read past its registers), with the CPU named.
    let beyond = rewrite_rows(&doc, |k, r| {
        let full = if k == "z" { 512 } else { 64 };
        format!("{r}{}1", "0".repeat(full - r.len() - 1))
    });
    let narrow = rewrite_rows(&doc, |_, r| r[..r.len() / 2].to_string());
    for (bad, why) in [
        (
            beyond,
            "cpu0's Z: register 0 holds a value beyond the 64 bytes",
        ),
        (
            narrow,
            "cpu0's Z: registers of 32 bytes, narrower than the 64 bytes",
        ),
    ] {
        match machine_from_json(&bad) {
            Err(LoadError::Damaged(e)) => assert!(e.contains(why), "{e}"),
            other => panic!("{other:?}"),
        }
    }
    let narrow_trace = rewrite_rows(&trace_to_json(&t), |_, r| r[..r.len() / 2].to_string());
    assert!(matches!(
        trace_from_json(&narrow_trace),
        Err(LoadError::Damaged(_))
    ));
    // Rows of unequal width, or wider than the architecture allows, do not parse.
    let mut first = true;
    let ragged = rewrite_rows(&doc, |_, r| match std::mem::take(&mut first) {
        true => format!("{r}00"),
        false => r.to_string(),
    });
    assert!(matches!(
        machine_from_json(&ragged),
        Err(LoadError::Damaged(_))
    ));
    let huge = rewrite_rows(&doc, |k, r| match k {
        "z" => format!("{r}{}", "0".repeat(600)),
        _ => r.to_string(),
    });
    match machine_from_json(&huge) {
        Err(LoadError::Damaged(e)) => assert!(e.contains("1 to 256"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn run_without_a_callback_counts_failed_expects() {
    let (mut s, d) =
        Session::from_source("task A on=cpu0\nexpect A.traps == 5\nexpect A.traps == 0");
    assert!(d.is_empty());
    let r = s.run(&RunOptions::default());
    assert_eq!(r.stop, StopReason::End);
    assert_eq!(r.expect_failures, 1);
}

/// A step that fails inside a `repeat` the REPL just appended leaves the session as it was:
/// no statement appended, the position and cursor where they were (it used to keep the
/// cursor inside the removed `repeat`, and the next look at the program panicked).
#[test]
fn a_failed_step_inside_an_appended_repeat_leaves_the_session_unchanged() {
    for (setup, bad) in [
        ("task A vl=512 on=cpu0", "repeat 2 { svc B getpid }"),
        ("", "repeat 1 { svc A getpid }"),
        (
            "task A vl=512 on=cpu0\nsvc A getpid",
            "repeat 3 { svc A getpid; svc B getpid }",
        ),
    ] {
        let mut s = svelab_core::Session::new(svelab_core::SessionOptions::default());
        if !setup.is_empty() {
            s.append(setup, u64::MAX).unwrap();
        }
        let pos = s.position();
        let src = s.source().to_string();
        let err = s.append(bad, u64::MAX).unwrap_err();
        assert_eq!(err.len(), 1, "{bad}: {err:?}");
        assert_eq!(s.position(), pos, "{bad}");
        assert_eq!(s.source(), src, "{bad}");
        assert!(s.is_finished(), "{bad}");
        assert!(s.next_statement().is_none(), "{bad}");
        // And the session goes on.
        s.append("task C vl=256", u64::MAX).unwrap();
        assert!(s.is_finished());
    }
}

/// A failed `expect` reports the expected value as written: `0x2222` is not `fill(0x22)`.
#[test]
fn a_failed_expect_shows_the_hex_value_it_expected() {
    let (mut s, d) = svelab_core::Session::from_source(
        "task A vl=512 on=cpu0\nfp-op A v0=0x1111\nexpect A.v0 == 0x2222\n",
    );
    assert!(d.is_empty());
    let mut last = None;
    s.run_with(&svelab_core::RunOptions::default(), &mut |r| {
        last = Some(r.clone())
    });
    let svelab_core::session::StepOutcome::Expect(r) = last.unwrap().outcome else {
        panic!("the last step is the expect")
    };
    assert!(!r.passed);
    assert_eq!(r.actual, "0x1111");
    assert_eq!(r.expected, "== 0x2222");
}

/// Names the language uses for something else cannot name a task or a vCPU: `cpu0` is a
/// CPU in every path, `idle` and `kthread` are what a CPU switches to, `total`, `config`,
/// `tracer` and `machine` start paths.
#[test]
fn reserved_words_are_refused_as_task_and_vcpu_names_with_a_hint() {
    for src in [
        "task cpu0",
        "task cpu7 vl=256",
        "task idle",
        "task kthread",
        "task total",
        "vcpu config sve",
        "vcpu tracer nosve",
        "task machine",
        "task A vl=512 on=cpu0\nsvc A fork idle",
    ] {
        let mut s = svelab_core::Session::new(svelab_core::SessionOptions::default());
        let e = s.append(src, u64::MAX).unwrap_err();
        assert!(e[0].message.contains("reserved"), "{src}: {}", e[0].message);
        assert!(!e[0].hint.is_empty(), "{src}");
    }
    let mut s = svelab_core::Session::new(svelab_core::SessionOptions::default());
    s.append("task cpuA\ntask idle2\ntask Total", u64::MAX)
        .unwrap();
}

/// Every step reports its own line, in a loaded script (comments, blank lines, `;`) and
/// after statements are appended, and after a failed append was taken back.
#[test]
fn step_reports_carry_their_line_after_loads_and_appends() {
    let src = "# c\ntask A vl=512 on=cpu0\n\nsve-op A z0=1; svc A getpid\n  # x\nsvc A getpid\n";
    let (mut s, d) = svelab_core::Session::from_source(src);
    assert!(d.is_empty());
    let mut lines = Vec::new();
    s.run_with(&svelab_core::RunOptions::default(), &mut |r| {
        lines.push(r.line)
    });
    assert_eq!(lines, [2, 4, 4, 6]);
    assert!(s.append("svc B getpid", u64::MAX).is_err());
    let r = s.append("\nsvc A getpid\nsve-op A", u64::MAX).unwrap();
    let got: Vec<u32> = r.iter().map(|r| r.line).collect();
    // The appended text starts on line 8 (a newline joins it to the program).
    assert_eq!(got, [9, 10]);
    assert_eq!(s.next_statement(), None);
}

mod time_travel {
    //! `goto` to any step reads the same machine as stepping there from the start, in any
    //! order of jumps, on every golden script and every kernel.
    use proptest::prelude::*;
    use svelab_core::session::{Session, SessionOptions};
    use svelab_core::{Kernel, Machine};

    fn scripts() -> Vec<String> {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden");
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .expect("tests/golden")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "svl"))
            .collect();
        v.sort();
        v.iter()
            .map(|p| std::fs::read_to_string(p).expect("read"))
            .collect()
    }

    fn session(src: &str, k: Kernel) -> Session {
        let mut s = Session::new(SessionOptions {
            kernel: Some(k),
            ..SessionOptions::default()
        });
        s.load(src);
        s
    }

    /// The machine after each step of a straight run from the start.
    fn straight(src: &str, k: Kernel) -> Vec<Machine> {
        let mut s = session(src, k);
        let mut v = vec![s.machine().clone()];
        // A step that fails leaves the position before its statement: the run ends there.
        while s.step().is_some() && s.position() as usize == v.len() {
            v.push(s.machine().clone());
            if v.len() > 5_000 {
                break;
            }
        }
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(0x7153), ..ProptestConfig::default() })]
        #[test]
        fn goto_equals_a_straight_run(script in 0usize..64, kernel in 0usize..Kernel::ALL.len(), targets in prop::collection::vec(0usize..10_000, 1..12)) {
            let all = scripts();
            let src = &all[script % all.len()];
            let k = Kernel::ALL[kernel];
            let want = straight(src, k);
            let mut s = session(src, k);
            for t in targets {
                let n = t % want.len();
                let at = s.goto(n as u64);
                prop_assert_eq!(at, n as u64);
                prop_assert!(s.machine() == &want[n], "goto {} on {} differs from the straight run", n, k);
            }
        }
    }
}
