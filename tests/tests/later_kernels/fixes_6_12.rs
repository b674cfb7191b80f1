//! The 2024–2025 fixes 6.12 has (the signal frame and the NT_ARM_SVE header by fp_type,
//! the per-CPU syscall window) and those both Debian kernels have (a VL change's zeroed
//! buffer, sigreturn merging by fp_type).

use super::*;

// ---- 61da7c8e2a60: the signal frame follows fp_type (6.12) ------------------------------

#[test]
fn v6_12_signal_frame_after_a_syscall_has_no_sve_payload() {
    // 6.12 kernel/signal.c:setup_rt_frame() -> fpsimd.c:fpsimd_signal_preserve_current_state()
    // saves (fpsimd_save_user_state(): FPSIMD, the window fpsimd_syscall_enter() opened is
    // still open on the return path) and converts iff fp_type == FP_STATE_SVE;
    // setup_sigframe_layout()/preserve_sve_context() add the payload iff fp_type ==
    // FP_STATE_SVE. v6.2: do_signal()'s forget_syscall() ends in_syscall(), the save is SVE
    // and TIF_SVE decides: payload. 6.1: TIF_SVE was cleared at entry: no payload.
    for k in [V61, V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x11));
        step(&mut m, svc(A, Syscall::Kill(A, Sig::Usr1)));
        let f = m.task(A).frames.last().expect("a frame");
        let sve = f.sve.as_ref().unwrap();
        assert_eq!(sve.vl, 64, "{k}: vl is the task's SVE VL either way");
        if k == V62 {
            assert!(sve.payload.is_some() && sve.size > 16, "{k}");
        } else {
            assert!(sve.payload.is_none() && sve.size == 16, "{k}: header only");
        }
        assert_eq!(
            f.fpsimd.as_ref().unwrap().vregs[0],
            u128::from_le_bytes([0x11; 16]),
            "{k}"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
        // The handler returns: V restored, the SVE-only bits zero (sve.rst 4).
        step(&mut m, svc(A, Syscall::Sigreturn(Default::default())));
        let view = m.user_view(A).unwrap();
        assert_eq!(view.z[0][..16], [0x11; 16], "{k}");
        assert!(view.z[0][16..].iter().all(|&b| b == 0), "{k}");
    }
}

#[test]
fn v6_12_signal_frame_from_el0_still_carries_the_sve_registers() {
    // Taken from EL0 (an IRQ, then do_notify_resume()): no syscall window, to_save is
    // CURRENT, TIF_SVE set: fpsimd_save_user_state() saves SVE and records fp_type SVE, so
    // preserve_sve_context() writes the payload, as v6.2 does.
    for k in [V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x11));
        step(&mut m, signal(A));
        let f = m.task(A).frames.last().expect("a frame");
        let payload = f.sve.as_ref().unwrap().payload.as_ref();
        assert!(
            payload.is_some_and(|p| p.zreg(0) == [0x11; 64]),
            "{k}: SVE payload"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

#[test]
fn v6_12_signal_after_a_blocking_syscall_keeps_v() {
    // KnownBug::SignalTrustsTifSve's sequence: A's state was saved as FPSIMD inside the
    // syscall, TIF_SVE is still set. 6.12 fpsimd_signal_preserve_current_state() tests
    // fp_type (FPSIMD): no sve_to_fpsimd() over V, no payload.
    let ops = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::Yield(Next::Task(B))),
        fp_write(B, 1, 0xb),
        signal(A),
        ctxsw(0, Next::Task(A)),
    ];
    for k in [V62, V612] {
        let (v, m) = run(k, ab, &ops);
        let found = known(k, &v).contains(&KnownBug::SignalTrustsTifSve);
        assert_eq!(found, k == V62, "{k}: {v:#?}");
        if k == V612 {
            assert!(v.is_empty(), "{k}: {v:#?}");
            assert!(!has(&m, "sve_to_fpsimd"), "{k}");
            let f = m.task(A).frames.last().unwrap();
            assert_eq!(
                f.fpsimd.as_ref().unwrap().vregs[0],
                u128::from_le_bytes([0x22; 16])
            );
            assert!(f.sve.as_ref().unwrap().payload.is_none());
        }
    }
}

// ---- b017a0cea627: the NT_ARM_SVE header follows fp_type (6.12) ------------------------

#[test]
fn v6_12_ptrace_header_at_a_syscall_stop_is_fpsimd() {
    // 6.12 kernel/ptrace.c:sve_init_header_from_task(): SVE_PT_REGS_FPSIMD iff fp_type ==
    // FP_STATE_FPSIMD. A tracee stopped inside a syscall has TIF_SVE set (patch 6) but its
    // copy was saved as FPSIMD: v6.2 reports SVE with the stale sve_state
    // (KnownBug::PtraceHeaderTrustsTifSve), 6.12 FPSIMD with the right V (size 544, via
    // __fpr_get()). 6.1: TIF_SVE was cleared at entry: FPSIMD too.
    let ops = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::Yield(Next::Idle)),
        ptrace(A, PtraceReq::GetSve),
    ];
    for k in [V61, V62, V612] {
        let (v, m) = run(k, ab, &ops);
        let dump = m.tracer_buf.as_ref().unwrap();
        let h = dump.header.unwrap();
        if k == V62 {
            assert!(h.flags & SVE_PT_REGS_SVE != 0, "{k}");
            assert!(known(k, &v).contains(&KnownBug::PtraceHeaderTrustsTifSve));
            continue;
        }
        assert_eq!(h.flags & SVE_PT_REGS_SVE, 0, "{k}: SVE_PT_REGS_FPSIMD");
        assert_eq!(h.size, 16 + 528, "{k}");
        assert_eq!(m.task(A).tif_sve, k == V612, "{k}: TIF_SVE at the stop");
        assert_eq!(
            dump.fpsimd.as_ref().unwrap().vregs[0],
            u128::from_le_bytes([0x22; 16]),
            "{k}"
        );
        assert!(v.is_empty(), "{k}: {v:#?}");
    }
}

#[test]
fn v6_12_ptrace_header_at_an_el0_stop_is_sve() {
    // Stopped at EL0 (preempted): the save was SVE, fp_type SVE: SVE_PT_REGS_SVE with the
    // registers, on every kernel that keys the header on either flag.
    for k in [V61, V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x22));
        step(&mut m, ctxsw(0, Next::Idle));
        step(&mut m, ptrace(A, PtraceReq::GetSve));
        let dump = m.tracer_buf.as_ref().unwrap();
        assert!(dump.header.unwrap().flags & SVE_PT_REGS_SVE != 0, "{k}");
        assert_eq!(dump.sve.as_ref().unwrap().zreg(0), [0x22; 64], "{k}");
    }
}

#[test]
fn nt_prfpreg_sync_keys_on_tif_sve_on_6_1_and_on_fp_type_on_6_12() {
    // 6.1 kernel/fpsimd.c:sve_sync_to_fpsimd(): TIF_SVE || SM (no bbc6172eefdb);
    // 6.12: fp_type == FP_STATE_SVE. At an EL0 stop both agree (convert); at a syscall
    // stop 6.1 has TIF_SVE clear and 6.12 has fp_type FPSIMD: neither converts.
    for k in [V61, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x22));
        step(&mut m, ctxsw(0, Next::Idle));
        step(&mut m, ptrace(A, PtraceReq::GetFpr));
        assert!(has(&m, "sve_to_fpsimd"), "{k}: EL0 stop, SVE-format copy");
        step(&mut m, ctxsw(0, Next::Task(A)));
        step(&mut m, svc(A, Syscall::Yield(Next::Idle)));
        step(&mut m, ptrace(A, PtraceReq::GetFpr));
        assert!(
            !has(&m, "sve_to_fpsimd"),
            "{k}: syscall stop, FPSIMD-format copy"
        );
        assert_eq!(
            m.tracer_buf
                .as_ref()
                .unwrap()
                .fpsimd
                .as_ref()
                .unwrap()
                .vregs[0],
            u128::from_le_bytes([0x22; 16]),
            "{k}"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

// ---- 398edaa12f9c: the per-CPU syscall window (6.12) ------------------------------------

#[test]
fn v6_12_syscall_entry_opens_an_fpsimd_only_window_that_a_bind_or_the_exit_closes() {
    // 6.12 kernel/entry-common.c:el0_svc(): fpsimd_syscall_enter() sets this CPU's
    // fpsimd_last_state.to_save = FP_STATE_FPSIMD; fpsimd_syscall_exit() (after
    // exit_to_user_mode()) sets FP_STATE_CURRENT; kernel/fpsimd.c:fpsimd_bind_task_to_cpu()
    // sets FP_STATE_CURRENT too. fpsimd_save_user_state() has no in_syscall() test.
    let mut m = ab(V612);
    step(&mut m, sve_write(A, 0, 0x11));
    // getpid: the window opens and the exit closes it; nothing was saved.
    step(&mut m, svc(A, Syscall::Getpid));
    let fs: Vec<&str> = m.events().iter().map(|e| e.event.function()).collect();
    assert_eq!(
        fs,
        vec![
            "el0_svc",
            "fpsimd_syscall_enter",
            "sve_flush_live",
            "fpsimd_syscall_exit"
        ]
    );
    assert_eq!(m.cpu(CpuId(0)).last.to_save, FpType::Current);
    // Switched out inside a syscall: the window is open, the save is FPSIMD, TIF_SVE stays.
    step(&mut m, svc(A, Syscall::Yield(Next::Idle)));
    assert_eq!(
        m.cpu(CpuId(0)).last.to_save,
        FpType::Fpsimd,
        "window still open"
    );
    assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Fpsimd)]);
    assert!(m.task(A).tif_sve && m.task(A).fp_type == FpType::Fpsimd);
    // Back on the same CPU with the binding intact: no reload, the exit closes the window.
    step(&mut m, ctxsw(0, Next::Task(A)));
    assert!(!has(&m, "task_fpsimd_load") && has(&m, "fpsimd_syscall_exit"));
    assert_eq!(m.cpu(CpuId(0)).last.to_save, FpType::Current);
    // Now at EL0, a preemption saves the full SVE state again.
    step(&mut m, sve_write(A, 1, 0x33));
    step(&mut m, ctxsw(0, Next::Task(B)));
    assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Sve)]);
    assert!(m.check().is_empty(), "{:?}", m.check());
}

#[test]
fn v6_12_keeps_sve_state_a_tracer_wrote_at_a_syscall_stop() {
    // 398edaa12f9c "Do not discard modified SVE state": the tracer writes SVE at a
    // syscall stop; the return path reloads it (task_fpsimd_load(), SVE) and
    // fpsimd_bind_task_to_cpu() closes the window, so a preemption after the reload saves
    // SVE. v6.2's in_syscall() test saved FPSIMD and the P0 the tracer wrote was lost.
    // 6.1 keeps it too (TIF_SVE, set by the write, decides; no patch 6).
    let ops = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::Yield(Next::Idle)),
        ptrace(
            A,
            PtraceReq::SetSve {
                vl: 64,
                flags: 0,
                payload: SvePayload::Sve {
                    writes: vec![RegWrite {
                        reg: Reg::P(0),
                        value: Value::Ones,
                    }],
                    partial: false,
                },
            },
        ),
        Op::CtxswPreemptReturn {
            cpu: CpuId(0),
            task: A,
            point: ReturnPoint::AfterRestore,
            then: Next::Task(B),
        },
        fp_write(B, 0, 0xb),
        ctxsw(0, Next::Task(A)),
    ];
    for k in [V61, V62, V612] {
        let (_, m) = run(k, ab, &ops);
        let kept = m.user_view(A).unwrap().p[0].iter().all(|&b| b == 0xff);
        assert_eq!(kept, k != V62, "{k}: P0 written by the tracer");
    }
}

#[test]
fn v6_12_a_sigreturn_rebinds_and_so_closes_the_window() {
    // The window closes at the first bind: rt_sigreturn (itself a syscall) ends in
    // 6.12 kernel/fpsimd.c:fpsimd_update_current_state() -> fpsimd_bind_task_to_cpu(),
    // which sets to_save = FP_STATE_CURRENT before fpsimd_syscall_exit() runs, so the
    // restored SVE state is saved in full by the next preemption.
    let mut m = ab(V612);
    step(&mut m, sve_write(A, 0, 0x11));
    step(&mut m, signal(A));
    step(&mut m, svc(A, Syscall::Sigreturn(Default::default())));
    assert!(has(&m, "fpsimd_bind_task_to_cpu"));
    assert!(
        !has(&m, "fpsimd_syscall_exit"),
        "already closed by the bind"
    );
    assert_eq!(m.cpu(CpuId(0)).last.to_save, FpType::Current);
    step(&mut m, ctxsw(0, Next::Task(B)));
    assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Sve)]);
}

// ---- "Ensure SME storage is allocated after SVE VL changes": 6.1 and 6.12 --------------

#[test]
fn a_vl_change_leaves_a_zeroed_buffer_at_the_new_vl_on_6_1_and_6_12() {
    // 6.1 and 6.12 kernel/fpsimd.c:vec_set_vector_length(): after task_set_vl(),
    // sve_free(task); sve_alloc(task, true). v6.2 only frees: the next trap kzallocs.
    for k in [V61, V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x11));
        step(&mut m, svc(A, Syscall::PrctlSetVl { vl: 32, flags: 0 }));
        assert_eq!(m.task(A).vl, 32, "{k}");
        assert!(!m.task(A).tif_sve, "{k}");
        let realloc = k != V62;
        match &m.task(A).sve_state {
            Some(b) => {
                assert!(realloc, "{k}: v6.2 frees only");
                assert_eq!(b.vq, 2, "{k}: sized for the new VL");
                assert!(b.bytes.iter().all(|&x| x == 0), "{k}: zeroed");
            }
            None => assert!(!realloc, "{k}: reallocated"),
        }
        // The next trap zeroes the existing buffer (memset) instead of allocating one.
        step(&mut m, sve_write(A, 1, 0x22));
        let fresh = m.events().iter().find_map(|e| match e.event {
            Event::SveAlloc { fresh, .. } => Some(fresh),
            _ => None,
        });
        assert_eq!(fresh, Some(!realloc), "{k}");
        assert_eq!(m.task(A).sve_state.as_ref().unwrap().vq, 2, "{k}");
    }
}

// ---- c94f2f326146: sigreturn merges by fp_type (6.1 and 6.12) ---------------------------

#[test]
fn sigreturn_merges_v_into_sve_state_by_fp_type_on_6_1_and_6_12() {
    // 6.1 and 6.12 kernel/fpsimd.c:fpsimd_update_current_state(): if (fp_type ==
    // FP_STATE_SVE) fpsimd_to_sve(current). restore_sve_fpsimd_context() set TIF_SVE and
    // fp_type alike just before, so without SME the outcome equals v6.2's TIF_SVE test: the
    // frame's V lands in Z[127:0], the rest of Z comes from the payload.
    for k in [V61, V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x11));
        step(&mut m, signal(A));
        assert!(m
            .task(A)
            .frames
            .last()
            .unwrap()
            .sve
            .as_ref()
            .unwrap()
            .payload
            .is_some());
        step(&mut m, svc(A, Syscall::Sigreturn(Default::default())));
        assert!(has(&m, "fpsimd_to_sve"), "{k}: merge");
        assert_eq!(m.task(A).fp_type, FpType::Sve, "{k}");
        assert_eq!(m.user_view(A).unwrap().z[0], vec![0x11; 64], "{k}");
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}
