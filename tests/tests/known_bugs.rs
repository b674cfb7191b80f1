//! Every kernel bug the model reproduces, on the kernels that had it — and the same
//! sequence on the kernels that did not. Each test names the fix.
//!
//! A bug is "reproduced" when the invariant checker (or the ABI oracle) flags it and
//! `KnownBug::explain` attributes it; "absent" when the same sequence raises nothing and
//! the task reads what its own history says.

use svelab_core::model::bugs::KnownBug;
use svelab_core::model::event::{Event, Sig};
use svelab_core::model::kernel::Kernel;
use svelab_core::model::machine::{Config, Machine};
use svelab_core::model::op::{
    Next, Op, PtraceReq, Reg, RegWrite, ReturnPoint, SvePayload, Syscall, TrapInterrupt, UserInsn,
    Value,
};
use svelab_core::model::oracle::AbiOracle;
use svelab_core::model::types::{CpuId, TaskId};
use svelab_core::model::vcpu::KvmMode;
use svelab_core::model::violation::{Cause, RegSlot, Rule, Violation};
use svelab_tests::*;

/// Runs `ops` on `k`, checking after every step; returns every violation (model checks and
/// ABI oracle) and the machine.
fn run(
    k: Kernel,
    mode: KvmMode,
    setup: impl Fn(&mut Machine),
    ops: &[Op],
) -> (Vec<Violation>, Machine) {
    let mut m = Machine::new(Config {
        kernel: k,
        cpus: 2,
        kvm_mode: mode,
        ..Config::default()
    });
    setup(&mut m);
    let mut oracle = AbiOracle::new(&m);
    let mut all = Vec::new();
    for op in ops {
        if let Err(e) = m.apply(op) {
            panic!("{k}: {op:?}: {e}");
        }
        oracle.observe(op, &m);
        all.extend(m.check());
        all.extend(oracle.check(&m));
    }
    (all, m)
}

fn ab(m: &mut Machine) {
    m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
    m.add_task("B", Some(64), None).unwrap();
}

const A: TaskId = TaskId(0);
const B: TaskId = TaskId(1);

fn bugs(k: Kernel, v: &[Violation]) -> Vec<KnownBug> {
    let mut b: Vec<_> = v.iter().filter_map(|v| KnownBug::explain(k, v)).collect();
    b.sort();
    b.dedup();
    b
}

/// Checks that `bug` shows on exactly the kernels it affects, and nothing else fires there
/// except ABI-oracle consequences.
fn reproduce(bug: KnownBug, mode: KvmMode, setup: impl Fn(&mut Machine) + Copy, ops: &[Op]) {
    for k in Kernel::ALL {
        let (v, _) = run(k, mode, setup, ops);
        if bug.affects(k) {
            assert!(
                bugs(k, &v).contains(&bug),
                "{k}: {} should be reproduced; got {v:#?}",
                bug.name()
            );
        } else {
            assert!(
                v.is_empty(),
                "{k}: {} is absent there, yet: {v:#?}",
                bug.name()
            );
        }
    }
}

fn kill(t: TaskId) -> Op {
    Op::Signal {
        task: t,
        sig: Sig::Usr1,
    }
}

#[test]
fn signal_delivery_trusting_tif_sve_resurrects_stale_v() {
    // 61da7c8e2a60 (2024). A uses SVE, blocks in a syscall, B uses FP on the CPU, a signal
    // arrives: delivery runs before the FP restore, with A's state saved as FPSIMD.
    reproduce(
        KnownBug::SignalTrustsTifSve,
        KvmMode::Vhe,
        ab,
        &[
            sve_write(A, 0, 0x22),
            svc(A, Syscall::Yield(Next::Task(B))),
            fp_write(B, 1, 0xb),
            kill(A),
            ctxsw(0, Next::Task(A)),
        ],
    );
}

#[test]
fn ptrace_header_trusting_tif_sve_returns_a_stale_payload() {
    // b017a0cea627 (2024): NT_ARM_SVE of a tracee stopped in a syscall.
    reproduce(
        KnownBug::PtraceHeaderTrustsTifSve,
        KvmMode::Vhe,
        ab,
        &[
            sve_write(A, 0, 0x22),
            svc(A, Syscall::Yield(Next::Idle)),
            Op::Ptrace {
                task: A,
                req: PtraceReq::GetSve,
            },
        ],
    );
}

#[test]
fn nt_prfpreg_read_in_the_v1_series_copies_stale_data_over_v() {
    // The v1 series never changed sve_sync_to_fpsimd(); v6.2 has bbc6172eefdb (a v3 patch).
    reproduce(
        KnownBug::PtraceFprSyncTrustsTifSve,
        KvmMode::Vhe,
        ab,
        &[
            sve_write(A, 0, 0x22),
            svc(A, Syscall::Yield(Next::Idle)),
            Op::Ptrace {
                task: A,
                req: PtraceReq::GetFpr,
            },
        ],
    );
}

#[test]
fn a_vl_change_inside_the_prctl_resurrects_stale_v() {
    // 2025, "arm64/fpsimd: ptrace/prctl: Ensure VL changes do not resurrect stale data".
    reproduce(
        KnownBug::VlChangeResurrectsStaleData,
        KvmMode::Vhe,
        ab,
        &[
            sve_write(A, 0, 0x22),
            svc(A, Syscall::PrctlSetVl { vl: 32, flags: 0 }),
        ],
    );
}

#[test]
fn a_header_only_nt_arm_sve_write_zeroes_the_tracee_on_every_kernel() {
    // 2025, "arm64/fpsimd: ptrace: Consistently handle partial writes to NT_ARM_(S)SVE".
    // sve.rst §7 says a header-only write changes only the VL and flags.
    for k in Kernel::ALL {
        let (v, m) = run(
            k,
            KvmMode::Vhe,
            ab,
            &[
                sve_write(A, 0, 0x22),
                ctxsw(0, Next::Idle), // stopped at user level: saved in SVE format
                Op::Ptrace {
                    task: A,
                    req: PtraceReq::SetSve {
                        vl: 64,
                        flags: 0,
                        payload: SvePayload::Header,
                    },
                },
            ],
        );
        let lost = v
            .iter()
            .find(|v| v.rule == Rule::VPreserved)
            .unwrap_or_else(|| panic!("{k}: V0 zeroed: {v:#?}"));
        // The oracle says which register, as data: V0 (the only one written).
        assert_eq!(lost.register(), Some(RegSlot::V(0)), "{k}: {lost:?}");
        assert_eq!(m.user_view(A).unwrap().v(0), 0, "{k}");
    }
}

#[test]
fn the_sve_trap_memory_branch_keeps_a_stale_binding_on_every_kernel() {
    // 751ecf6afd65 (2024). A's trap on cpu0 is preempted after sve_alloc(); it finishes on
    // cpu1 (memory branch: TIF_SVE set, no unbind) and is preempted again before the FP
    // restore; back on cpu0 the old binding is intact, so nothing reloads and the
    // instruction traps again with TIF_SVE already set.
    let trap = interrupted(sve_write(A, 0, 0x22), TrapInterrupt::Preempt(Next::Idle));
    reproduce(
        KnownBug::SveTrapMemoryBranchKeepsBinding,
        KvmMode::Vhe,
        ab,
        &[
            fp_write(A, 1, 0x11),
            trap,
            Op::CtxswPreemptReturn {
                cpu: CpuId(1),
                task: A,
                point: ReturnPoint::BeforeRestore,
                then: Next::Idle,
            },
            ctxsw(0, Next::Task(A)),
        ],
    );
}

/// The same race, seen by a save instead of a trap: A's state is switched out on cpu0
/// (idle there, ZCR_EL1 still at the boot VL) with the stale binding; back on cpu0 nothing
/// reloads, so the next save finds TIF_SVE set with the registers at 128 bits against
/// `sve_vl` = 512: `fpsimd_save()` WARNs and kills A. No vCPU exists, so this is not a
/// guest's ZCR_EL1 live in the host (found by `svelab explore --ops all`, which first
/// attributed it to that bug).
#[test]
fn the_save_vl_warn_after_the_sve_trap_race_is_that_race_not_a_guests_zcr() {
    let trap = interrupted(sve_write(A, 0, 0x11), TrapInterrupt::Preempt(Next::Idle));
    let back = |cpu| Op::CtxswPreemptReturn {
        cpu: CpuId(cpu),
        task: A,
        point: ReturnPoint::BeforeRestore,
        then: Next::Idle,
    };
    let ab_running = |m: &mut Machine| {
        m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
        m.add_task("B", Some(64), Some(CpuId(1))).unwrap();
    };
    for k in Kernel::ALL {
        let (v, _) = run(
            k,
            KvmMode::Vhe,
            ab_running,
            &[trap.clone(), back(1), back(0)],
        );
        let warned = v
            .iter()
            .any(|v| v.rule == Rule::Warn && v.cause == Cause::TaskSaveVlMismatch);
        let found = bugs(k, &v);
        assert!(
            !found.contains(&KnownBug::KvmGuestZcrLiveInHost),
            "{k}: no guest ran, yet {v:#?}"
        );
        if KnownBug::SveTrapMemoryBranchKeepsBinding.affects(k) {
            assert!(
                warned,
                "{k}: the stale binding should meet the VL check: {v:#?}"
            );
            assert_eq!(found, [KnownBug::SveTrapMemoryBranchKeepsBinding], "{k}");
        } else {
            assert!(v.is_empty(), "{k}: fixed there, yet {v:#?}");
        }
    }
}

/// The same race once more, seen at EL0: from patch 6, B's trap preempted on cpu1 and
/// finished on cpu0 (memory branch), preempted again before the restore, comes back to
/// cpu1 — which only the VMM ran in between, inside `KVM_RUN`, without binding — with its
/// old binding intact: nothing reloads, and B runs at EL0 with `TIF_SVE` set at cpu1's
/// boot VL (128 bits) instead of its own 512 (found by `svelab explore --ops all` at depth
/// 6 on p6, unexplained until the B1 violation said which VL was wrong).
#[test]
fn a_task_back_at_el0_at_the_wrong_vl_after_the_sve_trap_race_is_that_race() {
    let setup = |m: &mut Machine| {
        m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
        m.add_task("B", Some(64), Some(CpuId(1))).unwrap();
        m.add_vcpu("V0", true, Some(64)).unwrap();
    };
    let ops = [
        sve_write(A, 0, 0x11),
        svc(A, Syscall::KvmRun(svelab_core::VcpuId(0))),
        interrupted(sve_write(B, 0, 0x11), TrapInterrupt::Preempt(Next::Idle)),
        Op::CtxswPreemptReturn {
            cpu: CpuId(0),
            task: B,
            point: ReturnPoint::BeforeRestore,
            then: Next::Idle,
        },
        ctxsw(1, Next::Task(A)),
        ctxsw(1, Next::Task(B)),
    ];
    for k in Kernel::ALL {
        let (v, _) = run(k, KvmMode::Vhe, setup, &ops);
        let wrong_vl: Vec<_> = v
            .iter()
            .filter(|v| v.rule == Rule::LiveAtEl0 && v.cause == Cause::LiveVlMismatch)
            .collect();
        if k == Kernel::SeriesV1(svelab_core::model::kernel::Patch::P6) {
            assert!(!wrong_vl.is_empty(), "{k}: {v:#?}");
        }
        for w in &wrong_vl {
            assert_eq!(
                KnownBug::explain(k, w),
                Some(KnownBug::SveTrapMemoryBranchKeepsBinding),
                "{k}: {w:#?}"
            );
        }
        if !KnownBug::SveTrapMemoryBranchKeepsBinding.affects(k) {
            assert!(v.is_empty(), "{k}: fixed there, yet {v:#?}");
        }
    }
}

#[test]
fn ptrace_sve_written_at_a_syscall_stop_is_discarded_by_a_save_after_the_reload() {
    // 398edaa12f9c (2025): after patch 6 a save while syscallno is set keeps only FPSIMD,
    // even when the registers hold SVE state a tracer just wrote.
    // p6, p7 and v6.2 have it (KnownBug::SyscallSaveDiscardsModifiedSve).
    let ops = [
        sve_write(A, 0, 0x22),
        svc(A, Syscall::Yield(Next::Idle)),
        Op::Ptrace {
            task: A,
            req: PtraceReq::SetSve {
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
        },
        Op::CtxswPreemptReturn {
            cpu: CpuId(0),
            task: A,
            point: ReturnPoint::AfterRestore,
            then: Next::Task(B),
        },
        fp_write(B, 0, 0xb),
        ctxsw(0, Next::Task(A)),
    ];
    // 6.12 has the fix: the window opened at syscall entry closes when the return path
    // reloads and binds the tracer's SVE state, so the save after it is SVE.
    for k in Kernel::ALL {
        let (_, m) = run(k, KvmMode::Vhe, ab, &ops);
        let p0 = m.user_view(A).unwrap().p[0].clone();
        let kept = p0.iter().all(|&b| b == 0xff);
        assert_eq!(
            kept,
            !KnownBug::SyscallSaveDiscardsModifiedSve.affects(k),
            "{k}: P0 written by the tracer {}",
            if kept { "kept" } else { "lost" }
        );
    }
}

fn vmm(m: &mut Machine) {
    m.add_task("Q", Some(64), Some(CpuId(0))).unwrap();
    m.add_task("B", Some(64), None).unwrap();
    m.add_vcpu("V0", true, Some(64)).unwrap();
}

const Q: TaskId = TaskId(0);

fn kvm_enter() -> Op {
    svc(Q, Syscall::KvmRun(svelab_core::VcpuId(0)))
}

fn kvm_exit_to_user() -> Op {
    Op::Kvm(svelab_core::model::op::KvmOp::Exit {
        vcpu: svelab_core::VcpuId(0),
        to_user: true,
    })
}

#[test]
fn after_a_kvm_run_without_guest_fp_the_vmm_runs_sve_untrapped_on_v6_2() {
    // The bug of the Jan 2025 patch "KVM: arm64/sve: Ensure SVE is trapped after guest exit"
    // (superseded, never merged; fixed by fbc7e61195e2): the VMM uses SVE,
    // KVM_RUN, the guest never touches FP, back to user: SVE usable but TIF_SVE clear.
    // p6, p7, v6.2 have it; 6.1 and 6.12 have the rework that replaced that fix
    // (fbc7e61195e2: the VMM's state is saved and unbound at vcpu load).
    for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
        let ops = [sve_write(Q, 0, 0x22), kvm_enter(), kvm_exit_to_user()];
        for k in Kernel::ALL {
            let (v, m) = run(k, mode, vmm, &ops);
            let affected = KnownBug::KvmSveUntrappedAfterGuestExit.affects(k);
            assert_eq!(
                affected,
                k.p6_sve_kept_on_syscall() && !k.kvm_host_state_saved_at_vcpu_load(),
                "{k}"
            );
            let found = bugs(k, &v).contains(&KnownBug::KvmSveUntrappedAfterGuestExit);
            assert_eq!(found, affected, "{k} {mode:?}: {v:#?}");
            // Its consequence: SVE work after KVM_RUN is saved as FPSIMD at the next
            // preemption and the Z high bits are lost.
            let mut m = m;
            for op in [
                sve_write(Q, 1, 0x33),
                ctxsw(0, Next::Task(B)),
                fp_write(B, 0, 1),
                ctxsw(0, Next::Task(Q)),
            ] {
                step(&mut m, op);
            }
            let z1_hi_kept = m.user_view(Q).unwrap().z[1][16..]
                .iter()
                .all(|&b| b == 0x33);
            assert_eq!(
                z1_hi_kept, !affected,
                "{k} {mode:?}: Z1 high bits after a preemption"
            );
        }
    }
}

#[test]
fn rc1s_sticky_host_sve_enabled_reenables_el0_sve_under_vhe() {
    // 5.19-rc3 d52d165d67c5. The vCPU is loaded once (at sched-in) while CPACR still has
    // B's ZEN_EL0EN = 1; the flag then sticks, and a later put re-enables EL0 SVE for a VMM
    // whose TIF_SVE is clear.
    let ops = [
        kvm_enter(),
        ctxsw(0, Next::Task(B)),
        sve_write(B, 0, 1),
        ctxsw(0, Next::Task(Q)),
        kvm_exit_to_user(),
        kvm_enter(),
        kvm_exit_to_user(),
    ];
    for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
        for k in Kernel::ALL {
            let (v, _) = run(k, mode, vmm, &ops);
            let found = bugs(k, &v).contains(&KnownBug::StickyHostSveEnabled);
            let expected = mode == KvmMode::Vhe
                && !k.rc3_clear_host_sve_enabled_on_load()
                && !k.p6_sve_kept_on_syscall();
            assert_eq!(found, expected, "{k} {mode:?}: {v:#?}");
        }
    }
}

#[test]
fn v5_19_and_the_series_are_examined_for_the_2025_kvm_sequence() {
    // The question: is v5.19 (or series-v1) safe for the v6.2 bug's sequence? On
    // v5.19 and p1–p5 the syscall entry of KVM_RUN disables EL0 SVE and clears TIF_SVE, so
    // the VMM comes back trapped: safe. p6/p7 keep SVE enabled across the entry and carry
    // patch 1's fpsimd_kvm_prepare(): the same bug as v6.2. 6.1 and 6.12 save and unbind
    // the VMM at vcpu load (the 2025 rework), so the return reloads FPSIMD and re-arms the
    // trap: safe as v5.19.
    let ops = [sve_write(Q, 0, 0x22), kvm_enter(), kvm_exit_to_user()];
    for k in Kernel::ALL {
        let (_, m) = run(k, KvmMode::Vhe, vmm, &ops);
        let zen = m.cpu(CpuId(0)).cpacr_zen_el0en;
        let tif = m.task(Q).tif_sve;
        if k.p6_sve_kept_on_syscall() && !k.kvm_host_state_saved_at_vcpu_load() {
            assert!(zen && !tif, "{k}: SVE usable with TIF_SVE clear");
        } else {
            assert!(!zen && !tif, "{k}: trapped and TIF_SVE clear, consistent");
        }
    }
}

#[test]
fn hyp_saving_the_host_leaves_a_stale_fp_type_from_patch_2_to_5() {
    // Hyp saves the VMM's FPSIMD view without touching fp_type. The VMM's last save before
    // KVM_RUN was SVE (preempted at EL0), so the reload after KVM_RUN: p2–p4 WARN (load by
    // TIF_SVE, check against fp_type); p5 loads the stale sve_state (by fp_type).
    let ops = [
        sve_write(Q, 0, 0x22),
        ctxsw(0, Next::Task(B)),
        ctxsw(0, Next::Task(Q)),
        kvm_enter(),
        Op::Kvm(svelab_core::model::op::KvmOp::GuestOp {
            vcpu: svelab_core::VcpuId(0),
            insn: UserInsn {
                sve: false,
                writes: vec![RegWrite {
                    reg: Reg::V(0),
                    value: Value::Fill(0x99),
                }],
            },
        }),
        kvm_exit_to_user(),
    ];
    for k in Kernel::ALL {
        let (v, m) = run(k, KvmMode::Vhe, vmm, &ops);
        let found = bugs(k, &v).contains(&KnownBug::HypHostSaveLeavesFpType);
        assert_eq!(
            found,
            KnownBug::HypHostSaveLeavesFpType.affects(k),
            "{k}: {v:#?}"
        );
        let warned = m
            .events()
            .iter()
            .any(|e| matches!(e.event, Event::Warn { .. }));
        assert_eq!(
            warned,
            KnownBug::HypHostSaveLeavesFpType.affects(k),
            "{k}: patch-2 WARN in task_fpsimd_load"
        );
    }
}

#[test]
fn rc1s_sticky_host_sve_enabled_also_hits_a_task_that_never_entered_kvm() {
    // arch/arm64/kvm/fpsimd.c at v5.19-rc1 (and the v1 series on it): kvm_arch_vcpu_load_fp()
    // only ever sets HOST_SVE_ENABLED, and kvm_arch_vcpu_put_fp() under VHE writes
    // CPACR_EL1.ZEN_EL0EN from it when the guest did not own the registers. The put runs in
    // the sched-out notifier, before __switch_to(); if the next task's state is still live
    // on this CPU, fpsimd_thread_switch() leaves TIF_FOREIGN_FPSTATE clear, nothing reloads,
    // and that task — which never entered KVM — returns to EL0 with SVE untrapped and
    // TIF_SVE clear. d52d165d67c5 (v5.19-rc3) clears the flag at every load, so the put
    // restores what the load sampled: C's own setting.
    const C: TaskId = TaskId(2);
    let setup = |m: &mut Machine| {
        vmm(m);
        m.add_task("C", Some(64), None).unwrap();
    };
    let ops = [
        kvm_enter(),
        ctxsw(0, Next::Task(B)),
        sve_write(B, 0, 1),
        // Loaded while CPACR has B's ZEN_EL0EN = 1: the flag is set.
        ctxsw(0, Next::Task(Q)),
        ctxsw(0, Next::Task(C)),
        fp_write(C, 0, 0x5),
        // Loaded again while CPACR has C's ZEN_EL0EN = 0; the guest does not use FP.
        ctxsw(0, Next::Task(Q)),
        // Put (ZEN_EL0EN := the flag), then C's state is still live: no reload.
        ctxsw(0, Next::Task(C)),
    ];
    for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
        for k in Kernel::ALL {
            let (v, m) = run(k, mode, setup, &ops);
            let on_c: Vec<&Violation> = v
                .iter()
                .filter(|v| v.rule == Rule::LiveAtEl0 && v.task == Some(C))
                .collect();
            let expected = mode == KvmMode::Vhe
                && !k.rc3_clear_host_sve_enabled_on_load()
                && !k.kvm_host_state_saved_at_vcpu_load();
            assert_eq!(!on_c.is_empty(), expected, "{k} {mode:?}: {v:#?}");
            assert_eq!(m.cpu(CpuId(0)).cpacr_zen_el0en, expected, "{k} {mode:?}");
            for viol in on_c {
                assert_eq!(
                    KnownBug::explain(k, viol),
                    Some(KnownBug::StickyHostSveEnabled),
                    "{k} {mode:?}: C never entered KVM: {viol:#?}"
                );
            }
        }
    }
}

#[test]
fn kvm_run_preempted_before_vcpu_load_reaches_fpsimd_kvm_prepare_on_a_foreign_state() {
    // The VMM uses SVE, then KVM_RUN is preempted after syscall entry and before vcpu_load
    // (kvm_vcpu_ioctl() → kvm_arch_vcpu_ioctl_run() → vcpu_load(), preemptible until then).
    // From patch 6 the switch saves FPSIMD (in_syscall()) and leaves TIF_SVE set; when the
    // VMM comes back, arch/arm64/kvm/fpsimd.c:kvm_arch_vcpu_load_fp() →
    // arch/arm64/kernel/fpsimd.c:fpsimd_kvm_prepare() sees TIF_SVE and runs sve_to_fpsimd()
    // although the state is foreign: the stale sve_state (the trap's zeros) overwrites the
    // V0 just saved in uw.fpsimd_state. p6, p7 and v6.2; fpsimd_kvm_prepare() is gone with
    // fbc7e61195e2 (6.1, 6.12: vcpu load saves and flushes instead); before patch 6 the
    // entry cleared TIF_SVE, and v5.19 has no prepare.
    let ops = [
        sve_write(Q, 0, 0x22),
        svc(
            Q,
            Syscall::KvmRunPreempted {
                vcpu: svelab_core::VcpuId(0),
                next: Next::Task(B),
            },
        ),
        fp_write(B, 1, 0xb),
        ctxsw(0, Next::Task(Q)),
        kvm_exit_to_user(),
    ];
    for k in Kernel::ALL {
        let (v, m) = run(k, KvmMode::Vhe, vmm, &ops);
        let kept = m.user_view(Q).unwrap().v(0) == u128::from_le_bytes([0x22; 16]);
        let affected = KnownBug::KvmPrepareConvertsForeignState.affects(k);
        assert_eq!(kept, !affected, "{k}: V0 after KVM_RUN");
        assert_eq!(
            bugs(k, &v).contains(&KnownBug::KvmPrepareConvertsForeignState),
            affected,
            "{k}: {v:#?}"
        );
        assert_eq!(
            affected,
            k.p6_sve_kept_on_syscall() && !k.kvm_host_state_saved_at_vcpu_load(),
            "{k}"
        );
    }
}

#[test]
fn an_nt_arm_sve_write_at_the_kvm_run_entry_stop() {
    // arch/arm64/kernel/syscall.c:do_el0_svc() runs fp_user_discard() before
    // el0_svc_common() → syscall_trace_enter(), the ptrace entry stop; a tracer's SVE write
    // there (ptrace.c:sve_set_common()) sets TIF_SVE (and fp_type SVE from patch 2) on a
    // stopped, foreign state. Then KVM_RUN's vcpu_load():
    // * v5.19-rc1, v5.19: kvm/fpsimd.c:kvm_arch_vcpu_load_fp() has BUG_ON(TIF_SVE): a crash;
    // * p1…p7, v6.2: fpsimd_kvm_prepare() clears TIF_SVE and converts to FPSIMD: V0 keeps
    //   the written Z0[127:0], the written P0 is discarded;
    // * 6.1, 6.12 (fbc7e61195e2): the load saves and flushes (nothing to save: foreign),
    //   TIF_SVE and fp_type stay, and KVM_RUN's return reloads the tracer's SVE state.
    let ops = [
        svc(
            Q,
            Syscall::KvmRunPreempted {
                vcpu: svelab_core::VcpuId(0),
                next: Next::Task(B),
            },
        ),
        Op::Ptrace {
            task: Q,
            req: PtraceReq::SetSve {
                vl: 64,
                flags: 0,
                payload: SvePayload::Sve {
                    writes: vec![
                        RegWrite {
                            reg: Reg::Z(0),
                            value: Value::Fill(0x33),
                        },
                        RegWrite {
                            reg: Reg::P(0),
                            value: Value::Ones,
                        },
                    ],
                    partial: false,
                },
            },
        },
        ctxsw(0, Next::Task(Q)),
        kvm_exit_to_user(),
    ];
    for k in Kernel::ALL {
        let (v, m) = run(k, KvmMode::Vhe, vmm, &ops);
        let crashed = v.iter().any(|v| {
            v.rule == Rule::KernelCrash && v.function.as_deref() == Some("kvm_arch_vcpu_load_fp")
        });
        assert_eq!(
            crashed,
            KnownBug::PtraceSveAtKvmEntryHitsBugOn.affects(k),
            "{k}: BUG_ON(TIF_SVE): {v:#?}"
        );
        assert_eq!(
            bugs(k, &v).contains(&KnownBug::PtraceSveAtKvmEntryHitsBugOn),
            crashed,
            "{k}"
        );
        if crashed {
            continue;
        }
        let view = m.user_view(Q).unwrap();
        assert_eq!(view.v(0), u128::from_le_bytes([0x33; 16]), "{k}: V0");
        let p0_kept = view.p[0].iter().all(|&b| b == 0xff);
        assert_eq!(
            p0_kept,
            !KnownBug::KvmPrepareDiscardsTracerSve.affects(k),
            "{k}: the tracer's P0 after KVM_RUN"
        );
        assert_eq!(p0_kept, k.kvm_host_state_saved_at_vcpu_load(), "{k}");
    }
}

#[test]
fn a_reschedule_before_the_signal_is_delivered_saves_inside_the_syscall() {
    // arch/arm64/kernel/signal.c:do_notify_resume() (v5.19; the same loop to 6.12): a pass
    // with _TIF_NEED_RESCHED only calls schedule(); signals and the FP restore wait for
    // the next pass. So a reschedule can come before a pending signal is delivered, while
    // in_syscall() still holds (do_signal()'s forget_syscall() has not run): from patch 6
    // that switch saves FPSIMD only and keeps TIF_SVE, another task takes the registers,
    // and the frame built when A comes back trusts the stale TIF_SVE
    // (signal-frame-trusts-TIF_SVE: p6, p7, v6.2). After the signal (preempt-before-
    // restore) the save follows forget_syscall(): full SVE, nothing stale, on every kernel.
    for (point, stale_possible) in [
        (ReturnPoint::BeforeSignal, true),
        (ReturnPoint::BeforeRestore, false),
    ] {
        let ops = [
            sve_write(A, 0, 0x31),
            svc(A, Syscall::Yield(Next::Idle)),
            Op::Signal {
                task: A,
                sig: Sig::Usr1,
            },
            Op::CtxswPreemptReturn {
                cpu: CpuId(0),
                task: A,
                point,
                then: Next::Task(B),
            },
            fp_write(B, 0, 0xb),
            ctxsw(0, Next::Task(A)),
        ];
        for k in Kernel::ALL {
            let (v, m) = run(k, KvmMode::Vhe, ab, &ops);
            assert_eq!(m.task(A).frames.len(), 1, "{k} {point:?}");
            let stale = bugs(k, &v).contains(&KnownBug::SignalTrustsTifSve);
            assert_eq!(
                stale,
                stale_possible && KnownBug::SignalTrustsTifSve.affects(k),
                "{k} {point:?}: {v:#?}"
            );
        }
    }
}

#[test]
fn a_guests_lowered_zcr_el1_is_live_in_an_nvhe_host_until_the_put() {
    // v5.19 arch/arm64/kvm/fpsimd.c:kvm_arch_vcpu_put_fp() restores the guest's maximum VL
    // in ZCR_EL1 only at the put (nVHE); until then the host at EL1 runs at the VL the
    // guest set. Kernel-mode NEON in between: fpsimd_save() (kernel/fpsimd.c) finds
    // sve_get_vl() != last->sve_vl, WARNs and SIGKILLs the VMM. Fixed by 59419f10045b
    // "KVM: arm64: Eagerly switch ZCR_EL{1,2}" (6.1, 6.12). VHE hosts: never.
    let v0 = svelab_core::VcpuId(0);
    let ops = [
        kvm_enter(),
        Op::Kvm(svelab_core::model::op::KvmOp::GuestZcr { vcpu: v0, vl: 16 }),
        Op::Kvm(svelab_core::model::op::KvmOp::Exit {
            vcpu: v0,
            to_user: false,
        }),
        Op::KernelNeon { cpu: CpuId(0) },
        kvm_exit_to_user(),
    ];
    reproduce(KnownBug::KvmGuestZcrLiveInHost, KvmMode::Nvhe, vmm, &ops);
    for k in Kernel::ALL {
        let (v, m) = run(k, KvmMode::Vhe, vmm, &ops);
        assert!(v.is_empty(), "{k}: VHE: {v:#?}");
        assert!(m.task(Q).alive(), "{k}");
        // Without the kernel-mode NEON, the nVHE put restores the VL first.
        let quiet: Vec<Op> = ops
            .iter()
            .filter(|o| !matches!(o, Op::KernelNeon { .. }))
            .cloned()
            .collect();
        let (v, _) = run(k, KvmMode::Nvhe, vmm, &quiet);
        assert!(v.is_empty(), "{k}: nVHE without NEON: {v:#?}");
    }
}
