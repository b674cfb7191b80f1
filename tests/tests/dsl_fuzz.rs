#![allow(clippy::print_stdout)]
//! Fuzzing the parser: arbitrary bytes, random token soups, and mutations of the documented
//! examples and golden scripts. `parse` must never panic; every 64th input that parses is
//! also run on a session (budget 200 steps) so the lowering and the model are exercised.
//! `DSL_FUZZ_CASES` sets the number of inputs (default 1,000,000 in release, 150,000 in a
//! debug build so that `cargo test` stays under a minute).
use proptest::prelude::*;
use svelab_core::dsl::parse;
use svelab_core::session::{RunOptions, Session};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const VOCAB: &[&str] = &[
    "task",
    "A",
    "B",
    "vl=512",
    "vl=",
    "on=cpu0",
    "cpu1",
    "sve-op",
    "fp-op",
    "svc",
    "getpid",
    "yield",
    "->",
    "idle",
    "ctxsw",
    "z0=",
    "z31",
    "z32",
    "p15=",
    "ffr=",
    "fill(",
    "0xaa",
    ")",
    "ones",
    "zero",
    "pattern(3)",
    "expect",
    "==",
    "!=",
    "<=",
    "A.z0[255:128]",
    "A.TIF_SVE",
    "repeat",
    "3",
    "{",
    "}",
    ";",
    "\n",
    "#",
    "kernel",
    "v6.2",
    "series-v1/p",
    "sysctl",
    "abi.sve_default_vector_length=",
    "-1",
    "ptrace",
    "set",
    "get",
    "NT_ARM_SVE",
    "NT_PRFPREG",
    "vcpu",
    "V0",
    "sve",
    "kvm-enter",
    "frame-write",
    "guest-sve-op",
    "guest-zcr",
    "kvm-exit",
    "to-user",
    "show",
    "counters",
    "signal",
    "SIGUSR1",
    "sigreturn",
    "bad-vl",
    "fork",
    "C",
    "exec",
    "prctl-set-vl",
    "256",
    "inherit",
    "onexec",
    "kernel-neon",
    "cpu-pm",
    "cpu-offline",
    "cpu-online",
    "migrate",
    "no-violations",
    "violation",
    "B1",
    "[",
    ":",
    "]",
    "=",
    " ",
    "é",
    "\u{0}",
    "99999999999999999999999999999999999999999",
    "0x",
    "cpus",
    "9",
    "vls",
    "128,256",
    "kvm-mode",
    "nvhe",
];

fn seeds() -> Vec<String> {
    let doc = include_str!("../../docs/dsl.md");
    let mut out: Vec<String> = doc
        .split("```svl")
        .skip(1)
        .filter_map(|b| b.split("```").next().map(str::to_string))
        .collect();
    if let Ok(rd) = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/golden")) {
        for e in rd.flatten() {
            if e.path().extension().is_some_and(|x| x == "svl") {
                if let Ok(s) = std::fs::read_to_string(e.path()) {
                    out.push(s);
                }
            }
        }
    }
    out
}

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut b: Vec<char> = s.chars().collect();
    for _ in 0..=rng.below(6) {
        let pos = rng.below(b.len() + 1);
        match rng.below(5) {
            0 if !b.is_empty() => {
                b.remove(pos.min(b.len() - 1));
            }
            1 => {
                let w = VOCAB[rng.below(VOCAB.len())];
                for (k, c) in w.chars().enumerate() {
                    b.insert(pos + k, c);
                }
            }
            2 => b.insert(pos, char::from_u32(rng.below(0x250) as u32).unwrap_or('x')),
            3 if b.len() > 2 => {
                let a = rng.below(b.len());
                let c = rng.below(b.len());
                b.swap(a, c);
            }
            _ => {
                if !b.is_empty() {
                    let cut = rng.below(b.len());
                    b.truncate(cut.max(1));
                }
            }
        }
    }
    b.into_iter().collect()
}

#[test]
fn parser_never_panics_on_a_million_inputs() {
    let n: u64 = std::env::var("DSL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            150_000
        } else {
            1_000_000
        });
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ran = 0u64;
    let mut errors = 0u64;
    for i in 0..n {
        let input = match i % 3 {
            0 => (0..rng.below(80))
                .map(|_| char::from_u32(rng.below(0x80) as u32).unwrap_or(' '))
                .collect::<String>(),
            1 => (0..rng.below(30))
                .map(|_| VOCAB[rng.below(VOCAB.len())])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" }),
            _ => {
                let k = rng.below(seeds.len());
                mutate(&mut rng, &seeds[k])
            }
        };
        let (prog, diags) = parse(&input);
        errors += diags.len() as u64;
        for d in &diags {
            assert!(
                d.span.start <= d.span.end && d.span.end <= input.len(),
                "bad span {d:?} for {input:?}"
            );
            let _ = svelab_core::dsl::render_diagnostic(&input, d);
        }
        if i % 64 == 0 && !prog.stmts.is_empty() {
            let (mut s, _) = Session::from_source(&input);
            let _ = s.run(&RunOptions {
                budget: 200,
                ..RunOptions::default()
            });
            ran += 1;
        }
    }
    assert!(errors > 0);
    // The figure for the report: inputs parsed and scripts run.
    println!("fuzzed {n} inputs, ran {ran} sessions, {errors} diagnostics");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn parse_arbitrary_strings(s in ".{0,200}") {
        let (_, d) = parse(&s);
        for x in d {
            prop_assert!(x.span.end <= s.len());
        }
    }

    #[test]
    fn hex_values_round_trip(bytes in proptest::collection::vec(any::<u8>(), 1..64)) {
        let hex: String = bytes.iter().rev().map(|b| format!("{b:02x}")).collect();
        let src = format!("task A vl=512 on=cpu0\nsve-op A z0=0x{hex}\nexpect A.z0 == 0x{hex}\n");
        let (mut s, d) = Session::from_source(&src);
        prop_assert!(d.is_empty());
        let r = s.run(&RunOptions::default());
        prop_assert_eq!(r.expect_failures, 0);
    }
}
