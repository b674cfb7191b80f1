//! Signals: T6 (the frame), T7 (sigreturn), how signals are sent, one signal per
//! `do_notify_resume()` pass, and dispositions.

use super::*;

#[test]
fn t6_signal_frame_carries_an_sve_payload_only_when_tif_sve() {
    let (mut m, a, _) = two(V519);
    step(&mut m, sve_write(a, 0, 0x31));
    step(
        &mut m,
        Op::Signal {
            task: a,
            sig: Sig::Usr1,
        },
    );
    let f = m.task(a).frames.last().unwrap();
    let sve = f.sve.as_ref().unwrap();
    assert_eq!(
        (sve.vl, sve.payload.is_some()),
        (64, true),
        "IRQ-time delivery with TIF_SVE: full payload"
    );
    assert_eq!(
        sve.size,
        (16 + 546 * 4u32).div_ceil(16) * 16,
        "head.size = round_up(SVE_SIG_CONTEXT_SIZE(4), 16)"
    );
    // From a syscall on v5.19: TIF_SVE was cleared at entry, header only.
    step(&mut m, svc(a, Syscall::Kill(a, Sig::Usr2)));
    assert!(m
        .task(a)
        .frames
        .last()
        .unwrap()
        .sve
        .as_ref()
        .unwrap()
        .payload
        .is_none());
}

#[test]
fn t7_sigreturn_restores_and_rejects_bad_frames_with_sigsegv() {
    for edit in FrameEdit::ALL {
        let (mut m, a, _) = two(V519);
        step(&mut m, sve_write(a, 0, 0x31));
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        step(&mut m, sve_write(a, 0, 0x99)); // the handler clobbers Z0
        step(&mut m, svc(a, Syscall::Sigreturn(edit)));
        let bad = matches!(
            edit,
            FrameEdit::BadVl | FrameEdit::NoFpsimd | FrameEdit::Truncated
        );
        assert_eq!(
            !m.task(a).alive(),
            bad,
            "{edit:?}: SIGSEGV iff the frame is bad"
        );
        if bad {
            assert!(m.events().iter().any(|e| e.event
                == Event::SignalSent {
                    task: a,
                    sig: Sig::Segv,
                    forced: true,
                }));
            continue;
        }
        let v = m.user_view(a).unwrap();
        assert!(
            v.z[0][..16].iter().all(|&b| b == 0x31),
            "{edit:?}: V0 from fpsimd_context"
        );
        let hi = v.z[0][16..].iter().all(|&b| b == 0x31);
        assert_eq!(
            hi,
            edit == FrameEdit::AsDelivered,
            "{edit:?}: Z0 high bits restored only from an SVE payload"
        );
    }
    // No frame at all: SIGSEGV too.
    let (mut m, a, _) = two(V519);
    step(&mut m, svc(a, Syscall::Sigreturn(FrameEdit::AsDelivered)));
    assert!(!m.task(a).alive());
}

/// Who sends a signal is named after the kernel function that queues it: `kill()` and a
/// signal from outside go through `send_signal()` (kernel/signal.c); the kernel's own
/// SIGSEGV for a bad sigreturn frame (`arm64_notify_segfault()`) and SIGKILL for a VL
/// mismatch in `fpsimd_save()` go through `force_signal_inject()` (arch/arm64/kernel/traps.c).
#[test]
fn signals_are_sent_by_send_signal_or_forced_by_force_signal_inject() {
    let src = "task A vl=512 on=cpu0\ntask B vl=512 on=cpu1\nsve-op A z0=0x1\n\
               svc B kill A SIGUSR1\nsvc A sigreturn bad-vl\n";
    let (mut s, d) = svelab_core::Session::from_source(src);
    assert!(d.is_empty(), "{d:?}");
    let mut lines: Vec<(u32, String)> = Vec::new();
    s.run_with(&svelab_core::RunOptions::default(), &mut |r| {
        for l in &r.event_lines {
            lines.push((r.line, l.clone()));
        }
    });
    let on = |line: u32, f: &str| lines.iter().any(|(l, t)| *l == line && t.contains(f));
    assert!(on(4, "send_signal: SIGUSR1 to A"), "{lines:#?}");
    assert!(!on(4, "force_signal_inject"), "{lines:#?}");
    assert!(on(5, "force_signal_inject: SIGSEGV to A"), "{lines:#?}");
}

/// Two signals pending at one return to user. `arch/arm64/kernel/signal.c:do_notify_resume()`
/// (v5.19; the same loop up to 6.12, in `kernel/entry-common.c` there) delivers ONE signal per
/// pass of its loop (`do_signal()` → `get_signal()` → `handle_signal()` → `setup_rt_frame()`)
/// and, in the same pass, reloads the FP state (`fpsimd_restore_current_state()` when the
/// flags read at the top of the pass had `TIF_FOREIGN_FPSTATE`), then reads the flags again
/// and loops. So the second frame is built after the reload of the first pass.
///
/// A is switched out inside a syscall (an FPSIMD-format save on p6+), another task uses the
/// FPU, and two signals wait for A's return. On p6, p7 and v6.2 the first frame trusts the
/// stale `TIF_SVE` (SVE payload); the reload in between loads by `fp_type` (FPSIMD) and
/// clears `TIF_SVE`, so the second frame has no payload. v5.19 and 6.1 cleared `TIF_SVE` at
/// syscall entry, 6.12 keys the frame on `fp_type` (`61da7c8e2a60`): both frames are alike.
#[test]
fn do_notify_resume_delivers_one_signal_per_pass_with_the_fp_reload_between() {
    for k in Kernel::ALL {
        let (mut m, a, b) = two(k);
        step(&mut m, sve_write(a, 0, 0x31));
        step(&mut m, svc(a, Syscall::Yield(Next::Task(b))));
        step(&mut m, fp_write(b, 0, 0x77));
        for sig in [Sig::Usr1, Sig::Usr2] {
            step(&mut m, Op::Signal { task: a, sig });
        }
        step(&mut m, svc(b, Syscall::Yield(Next::Task(a))));
        let frames = &m.task(a).frames;
        assert_eq!(frames.len(), 2, "{k}: both signals delivered");
        let payload: Vec<bool> = frames
            .iter()
            .map(|f| f.sve.as_ref().unwrap().payload.is_some())
            .collect();
        let stale = k.p6_sve_kept_on_syscall() && !k.signal_frame_by_fp_type();
        let want = if stale {
            vec![true, false]
        } else {
            vec![false, false]
        };
        assert_eq!(
            payload, want,
            "{k}: SVE payload of the first and second frame"
        );
        // Events: frame, reload, frame (a reload only when the state was foreign).
        let fs = functions(&m);
        let first = fs.iter().position(|f| f == "setup_rt_frame").unwrap();
        let last = fs.iter().rposition(|f| f == "setup_rt_frame").unwrap();
        assert!(
            fs[first..last].iter().any(|f| f == "task_fpsimd_load"),
            "{k}: the reload runs between the two frames: {fs:?}"
        );
        // The handler of the second signal returns first (innermost frame).
        step(&mut m, svc(a, Syscall::Sigreturn(FrameEdit::AsDelivered)));
        assert!(!m.task(a).tif_sve, "{k}: second frame restored FPSIMD-only");
        step(&mut m, svc(a, Syscall::Sigreturn(FrameEdit::AsDelivered)));
        assert_eq!(
            m.task(a).tif_sve,
            stale,
            "{k}: TIF_SVE after the first frame's sigreturn"
        );
        if k.p2_fp_type() {
            let want = if stale { FpType::Sve } else { FpType::Fpsimd };
            assert_eq!(
                m.task(a).fp_type,
                want,
                "{k}: fp_type after both sigreturns"
            );
        }
    }
}

/// A reschedule in `do_notify_resume()` and the rest of its pass. Up to v6.2 and in 6.1.192
/// (`arch/arm64/kernel/signal.c`) a pass with `_TIF_NEED_RESCHED` calls `schedule()` and
/// nothing else: the next pass reads the flags again. In 6.12.118
/// (`arch/arm64/kernel/entry-common.c`, read in Debian's source package) the pass calls
/// `schedule()` and goes on with the flags read at its top: the signal and the FP restore
/// those flags asked for, and only then the flags again.
///
/// A is switched back in on CPU 0 (its registers foreign) and rescheduled on its way back
/// to EL0, before the restore; a signal comes while it is out. When A runs again, up to
/// v6.2 and on 6.1 the new pass delivers the signal and then reloads; on 6.12 the rest of
/// the old pass reloads (its flags had `_TIF_FOREIGN_FPSTATE`, not `_TIF_SIGPENDING`), and
/// the next pass delivers the signal from the live registers.
#[test]
fn a_reschedule_on_the_way_back_ends_the_pass_except_on_6_12() {
    for k in Kernel::ALL {
        let (mut m, a, b) = two(k);
        step(&mut m, sve_write(a, 0, 0x31));
        step(
            &mut m,
            Op::Ctxsw {
                cpu: CpuId(0),
                next: Next::Task(b),
            },
        );
        step(&mut m, fp_write(b, 0, 0x77));
        step(
            &mut m,
            Op::Ctxsw {
                cpu: CpuId(0),
                next: Next::Idle,
            },
        );
        step(
            &mut m,
            Op::CtxswPreemptReturn {
                cpu: CpuId(0),
                task: a,
                point: ReturnPoint::BeforeRestore,
                then: Next::Idle,
            },
        );
        assert!(
            m.task(a).tif_foreign_fpstate,
            "{k}: A is out before its reload"
        );
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        assert_eq!(m.task(a).frames.len(), 0, "{k}: A is not running");
        step(
            &mut m,
            Op::Ctxsw {
                cpu: CpuId(0),
                next: Next::Task(a),
            },
        );
        let fs = functions(&m);
        let frame = fs.iter().position(|f| f == "setup_rt_frame");
        let load = fs.iter().position(|f| f == "task_fpsimd_load");
        let (frame, load) = (frame.unwrap(), load.unwrap());
        if k.notify_resume_schedules_within_the_pass() {
            assert!(
                load < frame,
                "{k}: the old pass reloads, the next signals: {fs:?}"
            );
        } else {
            assert!(
                frame < load,
                "{k}: a new pass signals, then reloads: {fs:?}"
            );
        }
        // Either way A gets its own registers back, and the frame holds them.
        assert_eq!(m.task(a).frames.len(), 1, "{k}");
        let v0 = m.task(a).frames[0].fpsimd.as_ref().unwrap().vregs[0];
        assert_eq!(v0, u128::from_le_bytes([0x31; 16]), "{k}: the frame's V0");
    }
}

/// The handler edits its frame; `rt_sigreturn()` restores what the frame holds, and
/// Documentation/arm64/sve.rst's rule holds: Z[127:0] (V) come from the `fpsimd_context`
/// record, the bits above from `sve_context`. `arch/arm64/kernel/signal.c:
/// restore_sve_fpsimd_context()` copies the payload into `sve_state`, then
/// `fpsimd_update_current_state()` (`kernel/fpsimd.c`) installs the fpsimd record and merges
/// V into `sve_state` (`fpsimd_to_sve()`) before the load. Every kernel.
#[test]
fn t7_sigreturn_takes_v_from_fpsimd_context_and_the_rest_from_the_sve_payload() {
    for k in Kernel::ALL {
        let (mut m, a, _) = two(k);
        step(&mut m, sve_write(a, 0, 0x31));
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        assert!(
            m.task(a).frames[0].sve.as_ref().unwrap().payload.is_some(),
            "{k}: IRQ-time frame with SVE state"
        );
        step(
            &mut m,
            Op::FrameWrite {
                task: a,
                writes: vec![
                    RegWrite {
                        reg: Reg::Z(0),
                        value: Value::Fill(0xaa),
                    },
                    RegWrite {
                        reg: Reg::V(0),
                        value: Value::Fill(0x55),
                    },
                ],
            },
        );
        step(&mut m, svc(a, Syscall::Sigreturn(FrameEdit::AsDelivered)));
        let z0 = m.user_view(a).unwrap().z[0].clone();
        assert!(
            z0[..16].iter().all(|&b| b == 0x55),
            "{k}: Z0[127:0] from fpsimd_context"
        );
        assert!(
            z0[16..64].iter().all(|&b| b == 0xaa),
            "{k}: Z0[511:128] from sve_context"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

/// Signal dispositions (`kernel/signal.c`, v5.19): a signal whose action is `SIG_IGN` is
/// dropped when it is sent (`prepare_signal()` → `sig_ignored()`); without a handler
/// `get_signal()` takes the default action, which for SIGUSR1/SIGUSR2 terminates the task
/// (`do_group_exit()`); exec resets handlers to `SIG_DFL` and keeps `SIG_IGN`
/// (`flush_signal_handlers(current, 0)` from `fs/exec.c:begin_new_exec()`). The model's
/// tasks start with handlers for SIGUSR1/SIGUSR2 installed. The same on every kernel.
#[test]
fn signal_dispositions_default_ignore_handle_and_exec_resets_handlers() {
    use svelab_core::model::event::SigAction;
    for k in Kernel::ALL {
        let (mut m, a, _) = two(k);
        step(
            &mut m,
            svc(a, Syscall::Sigaction(Sig::Usr1, SigAction::Ignore)),
        );
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        assert_eq!(
            (m.task(a).frames.len(), m.task(a).pending.len()),
            (0, 0),
            "{k}: ignored, dropped when sent"
        );
        step(
            &mut m,
            svc(a, Syscall::Sigaction(Sig::Usr1, SigAction::Handle)),
        );
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        assert_eq!(m.task(a).frames.len(), 1, "{k}: handled: a frame");
        step(&mut m, svc(a, Syscall::Sigreturn(FrameEdit::AsDelivered)));
        step(
            &mut m,
            svc(a, Syscall::Sigaction(Sig::Usr2, SigAction::Ignore)),
        );
        step(&mut m, svc(a, Syscall::Exec));
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr2,
            },
        );
        assert!(
            m.task(a).alive() && m.task(a).frames.is_empty(),
            "{k}: still ignored after exec"
        );
        step(
            &mut m,
            Op::Signal {
                task: a,
                sig: Sig::Usr1,
            },
        );
        assert!(
            !m.task(a).alive(),
            "{k}: exec reset the handler: SIGUSR1 terminates"
        );
    }
}
