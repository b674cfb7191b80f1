//! The bugs the Debian kernels still have, and the known-bug matrix of both.

use super::*;

// ---- The bugs still modelled on the Debian kernels --------------------------------------

#[test]
fn v6_12_still_resurrects_stale_data_on_a_vl_change() {
    // 6.12 kernel/fpsimd.c:vec_set_vector_length() still does
    // test_and_clear_tsk_thread_flag(TIF_SVE) -> sve_to_fpsimd() after an FPSIMD-only save
    // inside the prctl (the 2025 fix 49ce484187f7 is absent). A used SVE since its trap
    // and never had an SVE-format save, so sve_state holds the trap's zeros: V reads 0.
    // 6.1's entry cleared TIF_SVE, so no conversion and V survives.
    let ops = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::PrctlSetVl { vl: 32, flags: 0 }),
    ];
    for k in [V61, V612] {
        let (v, m) = run(k, ab, &ops);
        let bugs = known(k, &v);
        let v0 = m.user_view(A).unwrap().v(0);
        if k == V612 {
            assert_eq!(bugs, vec![KnownBug::VlChangeResurrectsStaleData], "{v:#?}");
            assert_eq!(v0, 0, "{k}: stale zeros from the trap's sve_alloc()");
        } else {
            assert!(v.is_empty(), "{k}: {v:#?}");
            assert_eq!(v0, u128::from_le_bytes([0x22; 16]), "{k}");
        }
    }
}

#[test]
fn a_partial_nt_arm_sve_write_still_zeroes_v_on_6_1_and_6_12() {
    // 6.1 and 6.12 kernel/ptrace.c:sve_set_common(): sve_alloc(target, true) zeroes the
    // buffer and fpsimd_sync_to_sve() seeds V only when TIF_SVE is clear (the 2025
    // "Consistently handle partial writes to NT_ARM_(S)SVE" is absent from both). A
    // header-only SVE write to a tracee stopped at EL0 after SVE use: V lost on both.
    let header_only = ptrace(
        A,
        PtraceReq::SetSve {
            vl: 64,
            flags: 0,
            payload: SvePayload::Header,
        },
    );
    let at_el0 = [
        sve_write(A, 0, 0x22),
        ctxsw(0, Next::Idle),
        header_only.clone(),
    ];
    for k in [V61, V612] {
        let (v, m) = run(k, ab, &at_el0);
        assert!(KnownBug::PartialSveWriteZeroes.affects(k));
        assert!(v.iter().any(|v| v.rule == Rule::VPreserved), "{k}: {v:#?}");
        assert_eq!(m.user_view(A).unwrap().v(0), 0, "{k}");
    }
    // Stopped inside a syscall: 6.12 keeps TIF_SVE (patch 6), so the same write zeroes V
    // there too; 6.1's entry cleared TIF_SVE, so fpsimd_sync_to_sve() seeds V.
    let in_syscall = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::Yield(Next::Idle)),
        header_only,
    ];
    for k in [V61, V612] {
        let (_, m) = run(k, ab, &in_syscall);
        let v0 = m.user_view(A).unwrap().v(0);
        let kept = v0 == u128::from_le_bytes([0x22; 16]);
        assert_eq!(
            kept,
            k == V61,
            "{k}: V0 after a header-only write at a syscall stop"
        );
    }
}

#[test]
fn the_known_bug_matrix_of_the_debian_kernels() {
    // The notes' matrix: which bugs of bugs.rs 6.1.192 and 6.12.118 have.
    let matrix = [
        (KnownBug::SignalTrustsTifSve, false, false),
        (KnownBug::PtraceHeaderTrustsTifSve, false, false),
        (KnownBug::PtraceFprSyncTrustsTifSve, false, false),
        (KnownBug::VlChangeResurrectsStaleData, false, true),
        (KnownBug::KvmSveUntrappedAfterGuestExit, false, false),
        (KnownBug::StickyHostSveEnabled, false, false),
        (KnownBug::SveTrapMemoryBranchKeepsBinding, false, false),
        (KnownBug::PartialSveWriteZeroes, true, true),
        (KnownBug::HypHostSaveLeavesFpType, false, false),
        (KnownBug::SyscallSaveDiscardsModifiedSve, false, false),
        (KnownBug::KvmPrepareConvertsForeignState, false, false),
        (KnownBug::PtraceSveAtKvmEntryHitsBugOn, false, false),
        (KnownBug::KvmPrepareDiscardsTracerSve, false, false),
        (KnownBug::KvmGuestZcrLiveInHost, false, false),
    ];
    assert_eq!(matrix.len(), KnownBug::ALL.len());
    for (bug, on61, on612) in matrix {
        assert_eq!(bug.affects(V61), on61, "{} on v6.1", bug.name());
        assert_eq!(bug.affects(V612), on612, "{} on v6.12", bug.name());
    }
}
