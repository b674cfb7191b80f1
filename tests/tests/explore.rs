//! Explore mode rediscovers the bugs that followed the series from the invariants and the
//! ABI oracle alone, with shortest counterexamples that replay as scripts.

use svelab_core::explore::{ExploreConfig, Explorer, Finding, KeyMode, OpSet};
use svelab_core::model::bugs::KnownBug;
use svelab_core::model::kernel::Kernel;
use svelab_core::session::{RunOptions, Session, StepOutcome};

fn explore(kernel: Kernel, depth: usize, ops: OpSet) -> Explorer {
    let mut e = Explorer::new(ExploreConfig {
        kernel,
        depth,
        ops,
        ..ExploreConfig::default()
    })
    .unwrap();
    while !e.run(10_000) {}
    e
}

fn finding(e: &Explorer, bug: KnownBug) -> Finding {
    e.findings()
        .find(|f| f.bug == Some(bug))
        .unwrap_or_else(|| {
            panic!(
                "{} not found; found {:?}",
                bug.name(),
                e.findings().map(|f| &f.cause).collect::<Vec<_>>()
            )
        })
        .clone()
}

/// The script replays in a session, without step errors, and its final
/// `expect no-violations` fails with the rule the finding names.
fn replays(f: &Finding) {
    let (mut s, diags) = Session::from_source(&f.script);
    assert!(diags.is_empty(), "{}: {diags:?}", f.script);
    let mut last = None;
    s.run_with(&RunOptions::default(), &mut |r| last = Some(r.clone()));
    let last = last.expect("the script ran");
    assert!(
        last.error.is_none(),
        "{}: step error {:?}",
        f.script,
        last.error
    );
    let StepOutcome::Expect(r) = &last.outcome else {
        panic!("{}: the last step is not the expect", f.script)
    };
    assert!(
        !r.passed,
        "{}: the counterexample does not reproduce",
        f.script
    );
    assert!(
        r.actual.contains(f.violation.rule.code()),
        "{}: {} not in {}",
        f.script,
        f.violation.rule.code(),
        r.actual
    );
}

#[test]
fn on_v6_2_it_finds_the_2025_kvm_bug_and_the_2024_signal_bug_with_shortest_scripts() {
    let e = explore(Kernel::V6_2, 4, OpSet::default_set());
    let kvm = finding(&e, KnownBug::KvmSveUntrappedAfterGuestExit);
    // sve-op A; kvm-enter A V0; kvm-exit V0 to-user: nothing shorter can leave EL0 SVE
    // enabled with TIF_SVE clear.
    assert_eq!(kvm.length, 3, "{}", kvm.script);
    let sig = finding(&e, KnownBug::SignalTrustsTifSve);
    // sve-op A; A's state saved inside a syscall; another context on its CPU; a signal.
    assert_eq!(sig.length, 4, "{}", sig.script);
    for f in e.findings() {
        assert!(
            f.bug.is_some(),
            "unexplained finding on v6.2: {}\n{}",
            f.cause,
            f.script
        );
        replays(f);
    }
}

#[test]
fn on_v5_19_the_same_search_is_clean_and_one_level_deeper_finds_rc1s_sticky_flag() {
    // The v6.2 bugs need patch 6 (SVE kept across syscalls): v5.19 is safe for those
    // sequences. A depth-4 search finds only the bug every kernel had until 2025: an
    // NT_ARM_SVE write that carries less than the whole register file (here a header
    // only) to a tracee preempted at EL0 leaves a zeroed sve_state in place of its V.
    let e = explore(Kernel::V5_19Rc1, 4, OpSet::default_set());
    let causes: Vec<_> = e.findings().map(|f| f.bug).collect();
    assert_eq!(causes, vec![Some(KnownBug::PartialSveWriteZeroes)]);
    let partial = finding(&e, KnownBug::PartialSveWriteZeroes);
    // sve-op A; A preempted at EL0; the write.
    assert_eq!(partial.length, 3, "{}", partial.script);
    assert!(partial.script.contains("NT_ARM_SVE"), "{}", partial.script);
    replays(&partial);
    // At depth 5 (KVM and scheduling only, to keep CI fast) it finds a real v5.19-rc1 bug:
    // HOST_SVE_ENABLED is never cleared on vCPU load (fixed in -rc3 by d52d165d67c5), so
    // after a load on a CPU whose CPACR still had another task's ZEN_EL0EN, a VHE put
    // re-enables EL0 SVE for a VMM whose TIF_SVE is clear.
    let ops = OpSet::parse("user,syscall,sched,kvm").unwrap();
    let e = explore(Kernel::V5_19Rc1, 5, ops);
    let causes: Vec<_> = e.findings().map(|f| f.bug).collect();
    assert_eq!(causes, vec![Some(KnownBug::StickyHostSveEnabled)]);
    replays(&finding(&e, KnownBug::StickyHostSveEnabled));
}

/// With the opt-in `zcr` family, a guest that lowers its own ZCR_EL1 under nVHE leads the
/// search to the 2025 bug (the host runs under the guest's ZCR_EL1 until the put, and
/// `fpsimd_save()` finds RDVL != `sve_vl`) on v6.2, in three operations; 6.1 and 6.12
/// carry the stable backport of 59419f10045b, VHE hosts have their own ZCR_EL2, and the
/// default families never write the guest's ZCR_EL1.
#[test]
fn a_guest_lowering_its_own_vl_under_nvhe_is_found_with_the_zcr_family() {
    use svelab_core::model::vcpu::KvmMode;
    let run = |kernel, kvm_mode, ops| {
        let mut e = Explorer::new(ExploreConfig {
            kernel,
            kvm_mode,
            depth: 3,
            ops,
            ..ExploreConfig::default()
        })
        .unwrap();
        while !e.run(10_000) {}
        e
    };
    let zcr = OpSet::parse("default,zcr").unwrap();
    let bug = KnownBug::KvmGuestZcrLiveInHost;
    let e = run(Kernel::V6_2, KvmMode::Nvhe, zcr);
    let f = finding(&e, bug);
    assert_eq!(f.length, 3, "{}", f.script);
    assert!(f.script.contains("guest-zcr V0 vl=256"), "{}", f.script);
    replays(&f);
    for (kernel, mode, ops) in [
        (Kernel::V6_1, KvmMode::Nvhe, zcr),
        (Kernel::V6_12, KvmMode::Nvhe, zcr),
        (Kernel::V6_2, KvmMode::Vhe, zcr),
        (Kernel::V6_2, KvmMode::Nvhe, OpSet::default_set()),
    ] {
        let e = run(kernel, mode, ops);
        assert!(
            e.findings().all(|f| f.bug != Some(bug)),
            "{} {mode:?} {:?}: found {}",
            kernel.name(),
            ops.names(),
            bug.name()
        );
    }
}

#[test]
fn on_the_debian_kernels_the_search_finds_only_what_they_still_have() {
    // 6.12.118 lacks the 2025 VL-change fix: prctl(PR_SVE_SET_VL) right after an SVE use
    // copies the trap's zeroed sve_state over V (2 operations). Everything else the v6.2
    // search finds is fixed there, and 6.1.192 (no patch 6, the KVM rework) has none of it.
    // Both still have the partial NT_ARM_SVE write bug (fixed upstream in 2025, after
    // these stable releases), which the real kernels confirm (tests/real/scenarios/44, 45).
    let e = explore(Kernel::V6_12, 4, OpSet::default_set());
    let mut causes: Vec<_> = e
        .findings()
        .filter_map(|f| f.bug)
        .map(|b| b.name())
        .collect();
    causes.sort();
    assert_eq!(
        causes,
        [
            KnownBug::PartialSveWriteZeroes.name(),
            KnownBug::VlChangeResurrectsStaleData.name()
        ]
    );
    assert!(e.findings().all(|f| f.bug.is_some()));
    let vl = finding(&e, KnownBug::VlChangeResurrectsStaleData);
    assert_eq!(vl.length, 2, "{}", vl.script);
    replays(&vl);
    replays(&finding(&e, KnownBug::PartialSveWriteZeroes));
    let e = explore(Kernel::V6_1, 4, OpSet::default_set());
    let causes: Vec<_> = e.findings().map(|f| f.bug).collect();
    assert_eq!(causes, vec![Some(KnownBug::PartialSveWriteZeroes)]);
    replays(&finding(&e, KnownBug::PartialSveWriteZeroes));
}

#[test]
fn symmetry_and_dedup_shrink_the_search() {
    // Two identical tasks on two CPUs: the canonical key merges mirror states, so the
    // reachable set is smaller than the number of transitions by a wide margin.
    let e = explore(Kernel::V6_2, 3, OpSet::default_set());
    let s = e.stats();
    assert!(s.states * 2 < s.transitions, "{s:?}");
}

#[test]
fn bad_configurations_are_rejected_with_a_message() {
    for cfg in [
        ExploreConfig {
            cpus: 0,
            ..ExploreConfig::default()
        },
        ExploreConfig {
            tasks: 4,
            ..ExploreConfig::default()
        },
        ExploreConfig {
            depth: 0,
            ..ExploreConfig::default()
        },
    ] {
        assert!(Explorer::new(cfg).is_err());
    }
    assert!(OpSet::parse("user,bogus").unwrap_err().contains("bogus"));
}

fn summary(cfg: ExploreConfig) -> (u64, Vec<(String, String)>) {
    let mut e = Explorer::new(cfg).unwrap();
    while !e.run(500) {}
    (
        e.stats().states,
        e.findings()
            .map(|f| (f.cause.clone(), f.script.clone()))
            .collect(),
    )
}

#[test]
fn fingerprints_exact_keys_and_thread_counts_find_the_same_states_and_scripts() {
    // Every family, preemption points included, so the canonical form meets every kind of
    // state: the 128-bit fingerprints merge exactly what the exact keys merge, and the
    // parallel search numbers states and picks counterexamples as the sequential one does.
    for kernel in [Kernel::V6_2, Kernel::V5_19Rc1] {
        let base = ExploreConfig {
            kernel,
            depth: 3,
            ops: OpSet::all(),
            keys: KeyMode::Exact,
            threads: 1,
            ..ExploreConfig::default()
        };
        let exact = summary(base.clone());
        assert!(exact.0 > 1_000, "{}", exact.0);
        for (keys, threads) in [(KeyMode::Fingerprint, 1), (KeyMode::Fingerprint, 3)] {
            let other = summary(ExploreConfig {
                keys,
                threads,
                ..base.clone()
            });
            assert_eq!(other, exact, "{keys:?} on {threads} thread(s)");
        }
    }
}
