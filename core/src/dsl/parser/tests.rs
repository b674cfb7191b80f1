//! Parser tests: `check(source)` renders what [`super::parse`] returns (one statement per
//! line, spans as `start..end`, then every diagnostic with its position and hint) and is
//! compared with the expected text inline.

use super::*;

/// Debug output with `Ident { name: "A", span: Span { start: 5, end: 6 } }` shortened to
/// `A@5..6` and any other `Span { start: 5, end: 6 }` to `5..6`.
fn compact(debug: &str) -> String {
    let mut s = debug.to_string();
    while let Some(at) = s.find("Ident { name: \"") {
        let name_start = at + "Ident { name: \"".len();
        let Some(q) = s[name_start..].find('"') else {
            break;
        };
        let name = s[name_start..name_start + q].to_string();
        let rest = &s[name_start + q..];
        let Some(close) = rest.find("} }") else {
            break;
        };
        let span = span_text(&rest[..close + 1]);
        s.replace_range(at..name_start + q + close + 3, &format!("{name}@{span}"));
    }
    while let Some(at) = s.find("Span { start: ") {
        let Some(close) = s[at..].find('}') else {
            break;
        };
        let span = span_text(&s[at..at + close + 1]);
        s.replace_range(at..at + close + 1, &span);
    }
    s
}

/// `…Span { start: 5, end: 6 }` → `5..6`.
fn span_text(t: &str) -> String {
    let num = |key: &str| -> String {
        let i = t.find(key).map_or(t.len(), |i| i + key.len());
        t[i..].chars().take_while(char::is_ascii_digit).collect()
    };
    format!("{}..{}", num("start: "), num("end: "))
}

fn check(src: &str) -> String {
    let (prog, diags) = parse(src);
    let mut out = String::new();
    for st in &prog.stmts {
        out += &format!(
            "{}..{} {}\n",
            st.span.start,
            st.span.end,
            compact(&format!("{:?}", st.kind))
        );
    }
    for d in &diags {
        out += &format!(
            "error {}:{} [{}..{}] {} | {}\n",
            d.line, d.column, d.span.start, d.span.end, d.message, d.hint
        );
    }
    out
}

#[test]
fn configuration_statements() {
    assert_eq!(
        check("kernel v6.2\ncpus 2\nvls 512,128,256,128\nkvm-mode nvhe\nsysctl abi.sve_default_vector_length=-1\ntask A vl=256 on=cpu1\nvcpu V0 sve vl=512\nvcpu V1 nosve"),
        "\
0..11 Kernel(V6_2)
12..18 Cpus(2)
19..38 Vls([128, 256, 512])
39..52 KvmMode(Nvhe)
53..92 Sysctl(SveDefaultVectorLength, -1)
93..114 Task { name: A@98..99, bits: Some(256), on: Some(cpu1@110..114) }
115..133 Vcpu { name: V0@120..122, sve: true, bits: Some(512) }
134..147 Vcpu { name: V1@139..141, sve: false, bits: None }
"
    );
}

#[test]
fn configuration_errors() {
    assert_eq!(
        check("cpus 99\nvls 100\nvcpu V1 nosve vl=256\ntask A colour=red"),
        "\
error 1:6 [5..7] 99 CPUs is out of range | the model has 1 to 8 CPUs
error 2:5 [12..15] 100 is not a vector length | vector lengths are in bits: a multiple of 128 from 128 to 2048 (e.g. 128, 256, 512)
error 3:9 [24..29] a vCPU without SVE has no vector length | drop `vl=`, or write `sve`
error 4:8 [44..50] unexpected argument | `task NAME [vl=BITS] [on=cpuN]`
"
    );
}

#[test]
fn user_operations() {
    assert_eq!(
        check("sve-op A z0=fill(0x11) p0=ones preempt -> idle\nfp-op A v0=0x2222\nsvc A prctl-set-vl 256 inherit\nsvc A sigreturn\nsignal A SIGUSR1\nptrace A set NT_ARM_SVE vl=256 sve partial z1=zero\nkernel-neon cpu0"),
        "\
0..46 UserOp { task: A@7..8, sve: true, writes: [RegWrite { reg: Z(0), value: Fill(17) }, RegWrite { reg: P(0), value: Ones }], interrupt: Preempt(Idle) }
47..64 UserOp { task: A@53..54, sve: false, writes: [RegWrite { reg: V(0), value: Hex([34, 34]) }], interrupt: None }
65..95 Svc { task: A@69..70, call: PrctlSetVl { bits: 256, inherit: true, onexec: false } }
96..111 Svc { task: A@100..101, call: Sigreturn(AsDelivered) }
112..128 Signal { task: A@119..120, sig: Usr1 }
129..179 Ptrace { task: A@136..137, req: SetSve { bits: Some(256), kind: Some(Sve), partial: true, inherit: false, onexec: false, writes: [RegWrite { reg: Z(1), value: Zero }] } }
180..196 KernelNeon(cpu0@192..196)
"
    );
}

#[test]
fn user_operation_errors() {
    assert_eq!(
        check("fp-op A z0=1 preempt -> idle\nsvc A getpdi\nsve-op A q9=1 z0=-1\nptrace A peek NT_PRFPREG"),
        "\
error 1:9 [8..10] z0 cannot be written here | an FP/AdvSIMD instruction cannot write SVE registers; use `sve-op`
error 2:7 [35..41] unknown syscall `getpdi` | did you mean `getpid`? Syscalls: getpid, yield, prctl-set-vl, prctl-get-vl, fork, exec, sigreturn, kill, sigaction, exit, read-neon, kvm-run
error 3:10 [51..53] unknown register q9 | registers are z0–z31, p0–p15, ffr, v0–v31, fpsr, fpcr
error 3:18 [59..61] register values are not signed | write the two's complement in hex, or use ones
error 4:10 [71..75] expected `get` or `set` | `ptrace A get NT_ARM_SVE`, `ptrace A set NT_PRFPREG v0=1`
"
    );
}

#[test]
fn scheduling_statements() {
    assert_eq!(
        check("ctxsw cpu0 A preempt-after-restore -> kthread\nmigrate A cpu1\ncpu-pm cpu1\ncpu-offline cpu1\ncpu-online cpu1\nctxsw cpu9 idle\nctxsw cpu0 idle preempt-before-restore -> A"),
        "\
0..45 Ctxsw { cpu: cpu0@6..10, next: Task(A@11..12), on_return: Some((AfterRestore, Kthread)) }
46..60 Migrate { task: A@54..55, cpu: cpu1@56..60 }
61..72 CpuPm(cpu1@68..72)
73..89 CpuOffline(cpu1@85..89)
90..105 CpuOnline(cpu1@101..105)
106..121 Ctxsw { cpu: cpu9@112..116, next: Idle, on_return: None }
error 7:40 [161..163] only a task switched in returns to user space | `ctxsw CPU TASK preempt-before-restore -> NEXT`
"
    );
}

#[test]
fn kvm_statements() {
    assert_eq!(
        check("kvm-enter VMM V0\nguest-sve-op V0 z1=fill(0x33)\nguest-fp-op V0 v1=0x44\nkvm-exit V0 to-user\nguest-fp-op V0 p0=1\nkvm-enter VMM"),
        "\
0..16 KvmEnter { task: VMM@10..13, vcpu: V0@14..16, preempt: None }
17..46 GuestOp { vcpu: V0@30..32, sve: true, writes: [RegWrite { reg: Z(1), value: Fill(51) }] }
47..69 GuestOp { vcpu: V0@59..61, sve: false, writes: [RegWrite { reg: V(1), value: Hex([68]) }] }
70..89 KvmExit { vcpu: V0@79..81, to_user: true }
error 5:16 [105..107] p0 cannot be written here | an FP/AdvSIMD instruction cannot write SVE registers; use `sve-op`
error 6:14 [123..123] expected a vCPU | the statement ends too early: add a vCPU
"
    );
}

#[test]
fn guest_zcr() {
    assert_eq!(
        check("guest-zcr V0 vl=128\nguest-zcr V0\nguest-zcr V0 vl=100"),
        "\
0..19 GuestZcr { vcpu: V0@10..12, bits: 128 }
error 2:13 [32..32] expected `vl=BITS` | the VL the guest writes to its ZCR_EL1, e.g. `guest-zcr V0 vl=128`
error 3:17 [49..52] 100 is not a vector length | vector lengths are in bits: a multiple of 128 from 128 to 2048 (e.g. 128, 256, 512)
"
    );
}

#[test]
fn expect_show_repeat() {
    assert_eq!(
        check("expect A.z0[255:128] == 0x00ff\nexpect no-violations\nexpect cpu0.owner != B.name\nshow events\nshow A.TIF_SVE\nrepeat 2 { svc A getpid; repeat 3 { show counters } }"),
        "\
0..30 Expect(Compare { lhs: Path { segments: [\"A\", \"z0\"], slice: Some((255, 128)), span: 7..20 }, op: Eq, rhs: Value(Hex([255, 0])), rhs_span: 24..30 })
31..51 Expect(NoViolations)
52..79 Expect(Compare { lhs: Path { segments: [\"cpu0\", \"owner\"], slice: None, span: 59..69 }, op: Ne, rhs: Path(Path { segments: [\"B\", \"name\"], slice: None, span: 73..79 }), rhs_span: 73..79 })
80..91 Show(Events)
92..106 Show(Path(Path { segments: [\"A\", \"TIF_SVE\"], slice: None, span: 97..106 }))
107..117 Repeat { count: 2, body: [Stmt { span: 118..130, kind: Svc { task: A@122..123, call: Getpid } }, Stmt { span: 132..142, kind: Repeat { count: 3, body: [Stmt { span: 143..156, kind: Show(Counters) }] } }] }
"
    );
}

#[test]
fn expect_show_repeat_errors() {
    assert_eq!(
        check("expect A.TIF_SVE = 1\nshow A..z0\nrepeat 2\nsvc A { fp-op A }\nexpect A.z0[3:9] == 0"),
        "\
error 1:18 [17..18] `=` is not a comparison | write `==`
error 2:6 [26..31] `A..z0` is not a path | paths are dot-separated names, e.g. `A.sve_state.z0`
error 3:1 [32..38] `repeat` needs a block | write `repeat N { statements }`
error 4:1 [41..44] `svc` cannot open a block | only `repeat N { … }` takes a block
error 5:13 [71..74] bad bit slice [3:9] | a slice is [high:low] with high >= low, in bits, e.g. z0[255:128]
"
    );
}

#[test]
fn recovery_goes_on_after_bad_statements() {
    assert_eq!(
        check("taks A\ncpus 2 3\nfp-op A v0=1 ; }\nrepeat 2 { fp-op A\n€ svc A exit"),
        "\
16..28 UserOp { task: A@22..23, sve: false, writes: [RegWrite { reg: V(0), value: Hex([1]) }], interrupt: None }
33..43 Repeat { count: 2, body: [Stmt { span: 44..51, kind: UserOp { task: A@50..51, sve: false, writes: [], interrupt: None } }] }
error 3:16 [31..32] unmatched `}` | a block is `repeat N { … }`; remove this brace or add the opening one
error 4:10 [42..43] unclosed `{` | close the block with `}`
error 1:1 [0..4] unknown statement `taks` | did you mean `task`? Statements: kernel, cpus, vls, kvm-mode, sysctl, task, vcpu, sve-op, fp-op, svc, ctxsw, migrate, signal, frame-write, ptrace, kernel-neon, cpu-pm, cpu-offline, cpu-online, kvm-enter, guest-sve-op, guest-fp-op, guest-zcr, kvm-exit, expect, show, repeat
error 2:8 [14..15] unexpected text at the end of the statement | remove it, or separate statements with `;` or a new line
error 5:1 [52..55] unexpected character `€` | statements use words, numbers, `=`, `->`, `( )`, `[ : ]` and comparison operators
"
    );
}

#[test]
fn entry_points_for_conditions_paths_and_incomplete_input() {
    assert_eq!(
        format!("{:?}", parse_condition("violation ZCR_STALE")),
        "Ok(Violation(\"ZCR_STALE\"))"
    );
    let errs = parse_condition("A.TIF_SVE").unwrap_err();
    assert_eq!(
        (errs[0].message.as_str(), errs[0].span),
        ("expected a comparison", Span::new(9, 9))
    );
    let errs = parse_path("A.z0 B").unwrap_err();
    assert_eq!(
        errs[0].message,
        "unexpected text at the end of the statement"
    );
    assert_eq!(
        compact(&format!("{:?}", parse_path("cpu0.last.st"))),
        "Ok(Path { segments: [\"cpu0\", \"last\", \"st\"], slice: None, span: 0..12 })"
    );
    assert!(is_incomplete("repeat 2 {\n  svc A getpid # }"));
    assert!(!is_incomplete("repeat 2 { svc A getpid }"));
}

#[test]
fn every_vocabulary_statement_has_exactly_one_parser() {
    let table: Vec<&str> = STATEMENT_PARSERS.iter().map(|(k, _)| *k).collect();
    assert_eq!(table, KEYWORDS.to_vec());
    // Each function is reached through its own keyword: the keyword alone never reports an
    // unknown statement.
    for kw in KEYWORDS {
        let (_, diags) = parse(kw);
        assert!(
            diags
                .iter()
                .all(|d| !d.message.starts_with("unknown statement")),
            "{kw}: {diags:?}"
        );
    }
}
