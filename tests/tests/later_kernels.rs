//! The two Debian kernels, Debian's 6.1.192 (`v6.1`) and 6.12.118 (`v6.12`): a test per
//! gate that only they have, on every kernel the gate concerns, each citing the function of
//! the 6.1 or 6.12 source that shows the behaviour (paths under `arch/arm64/`). What the
//! kernels contain is summarised in `docs/kernel-notes.md` ("v6.1 and v6.12: what the
//! Debian kernels contain").

use svelab_core::model::bugs::KnownBug;
use svelab_core::model::event::{Event, Sig};
use svelab_core::model::kernel::Kernel;
use svelab_core::model::machine::{Config, Machine};
use svelab_core::model::op::{
    KvmOp, Next, Op, PtraceReq, Reg, RegWrite, ReturnPoint, SvePayload, Syscall, TrapInterrupt,
    UserInsn, Value,
};
use svelab_core::model::oracle::AbiOracle;
use svelab_core::model::types::{CpuId, Format, FpType, Owner, TaskId};
use svelab_core::model::uapi::SVE_PT_REGS_SVE;
use svelab_core::model::vcpu::{FpOwner, KvmMode};
use svelab_core::model::violation::{Rule, Violation};
use svelab_core::VcpuId;
use svelab_tests::*;

const V61: Kernel = Kernel::V6_1;
const V62: Kernel = Kernel::V6_2;
const V612: Kernel = Kernel::V6_12;

const A: TaskId = TaskId(0);
const B: TaskId = TaskId(1);
const V0: VcpuId = VcpuId(0);

/// A 2-CPU machine with A (512-bit VL) on cpu0 and B (512-bit) not running.
fn ab(k: Kernel) -> Machine {
    ab_mode(k, KvmMode::Vhe)
}

fn ab_mode(k: Kernel, mode: KvmMode) -> Machine {
    let mut m = Machine::new(Config {
        kernel: k,
        cpus: 2,
        kvm_mode: mode,
        ..Config::default()
    });
    m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
    m.add_task("B", Some(64), None).unwrap();
    m
}

/// `ab` plus an SVE vCPU V0 whose VMM will be A.
fn vm(k: Kernel, mode: KvmMode) -> Machine {
    let mut m = ab_mode(k, mode);
    m.add_vcpu("V0", true, Some(64)).unwrap();
    m
}

fn has(m: &Machine, f: &str) -> bool {
    m.events().iter().any(|e| e.event.function() == f)
}

fn saves(m: &Machine) -> Vec<(Owner, Format)> {
    m.events()
        .iter()
        .filter_map(|e| match e.event {
            Event::FpsimdSave { owner, format, .. } => Some((owner, format)),
            _ => None,
        })
        .collect()
}

/// Runs `ops` on `k` from `setup`, checking after every step (model checks and the ABI
/// oracle); returns every violation and the machine.
fn run(k: Kernel, setup: fn(Kernel) -> Machine, ops: &[Op]) -> (Vec<Violation>, Machine) {
    let mut m = setup(k);
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

fn known(k: Kernel, v: &[Violation]) -> Vec<KnownBug> {
    let mut b: Vec<_> = v.iter().filter_map(|v| KnownBug::explain(k, v)).collect();
    b.sort();
    b.dedup();
    b
}

fn signal(t: TaskId) -> Op {
    Op::Signal {
        task: t,
        sig: Sig::Usr1,
    }
}

fn ptrace(t: TaskId, req: PtraceReq) -> Op {
    Op::Ptrace { task: t, req }
}

// ---- 6.1: the syscall path of v5.19 -----------------------------------------------------

#[test]
fn v6_1_still_disables_sve_at_every_syscall_so_a_getpid_loop_traps_every_time() {
    // 6.1 kernel/syscall.c:fp_user_discard() (inlined in do_el0_svc()):
    // clear_thread_flag(TIF_SVE); sve_user_disable(). No flush, no to_save window.
    // 6.12 kernel/entry-common.c:el0_svc() -> fpsimd_syscall_enter(): sve_flush_live()
    // if TIF_SVE, to_save = FP_STATE_FPSIMD; TIF_SVE and the EL0 enable stay.
    for k in [V61, V62, V612] {
        let mut m = ab(k);
        step(&mut m, sve_write(A, 0, 0x11));
        step(&mut m, svc(A, Syscall::Getpid));
        let before = m.task(A).counters;
        for _ in 0..10 {
            step(&mut m, sve_write(A, 1, 0x22));
            step(&mut m, svc(A, Syscall::Getpid));
            assert_eq!(
                has(&m, "fp_user_discard"),
                k == V61 || k == V62,
                "{k}: entry function"
            );
            assert_eq!(has(&m, "fpsimd_syscall_enter"), k == V612, "{k}");
            let (tif, zen) = (m.task(A).tif_sve, m.cpu(CpuId(0)).cpacr_zen_el0en);
            if k == V61 {
                assert!(!tif && !zen, "{k}: TIF_SVE and ZEN_EL0EN cleared at entry");
            } else {
                assert!(tif && zen, "{k}: patch 6 keeps SVE enabled");
            }
        }
        let traps = m
            .task(A)
            .counters
            .since(&before)
            .get(svelab_core::Counter::SveTraps);
        assert_eq!(
            traps,
            if k == V61 { 10 } else { 0 },
            "{k}: SVE traps in 10 iterations"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

#[test]
fn v6_1_has_patches_2_to_4_in_landed_form_but_loads_by_tif_sve() {
    // 6.1 kernel/fpsimd.c:fpsimd_save(): SVE iff (to_save == CURRENT && TIF_SVE) ||
    // to_save == SVE, then *last->fp_type := what was saved. fpsimd_bind_task_to_cpu():
    // to_save = FP_STATE_CURRENT. task_fpsimd_load(): by TIF_SVE, WARN_ON_ONCE on an
    // fp_type that disagrees (patch 5 is absent).
    let mut m = ab(V61);
    step(&mut m, sve_write(A, 0, 0x11));
    assert_eq!(m.cpu(CpuId(0)).last.to_save, FpType::Current);
    assert_eq!(m.cpu(CpuId(0)).last.fp_type, Some(Owner::Task(A)));
    // Preempted at EL0: full SVE save, fp_type SVE.
    step(&mut m, ctxsw(0, Next::Task(B)));
    assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Sve)]);
    assert_eq!(m.task(A).fp_type, FpType::Sve);
    step(&mut m, ctxsw(0, Next::Task(A)));
    assert!(has(&m, "task_fpsimd_load") && m.task(A).tif_sve);
    // Switched out inside a syscall: TIF_SVE was cleared at entry, so an FPSIMD save.
    step(&mut m, svc(A, Syscall::Yield(Next::Task(B))));
    assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Fpsimd)]);
    assert_eq!(m.task(A).fp_type, FpType::Fpsimd);
    assert!(!V61.p5_load_by_fp_type() && !V61.p1_fpsimd_kvm_prepare());
    assert!(m.check().is_empty(), "{:?}", m.check());
}

// ---- 2025 KVM rework (fbc7e61195e2): 6.1 and 6.12 ---------------------------------------

#[test]
fn vcpu_load_saves_and_unbinds_the_vmm_and_starts_free_on_6_1_and_6_12() {
    // 6.1 and 6.12 kvm/fpsimd.c:kvm_arch_vcpu_load_fp():
    //   fpsimd_save_and_flush_cpu_state(); fp_state (6.12: host_data fp_owner) = FREE.
    // No fpsimd_kvm_prepare() (6.12 asm/fpsimd.h keeps only its prototype), no
    // HOST_SVE_ENABLED. kvm/hyp/include/hyp/switch.h:kvm_hyp_handle_fpsimd() saves the host
    // only for protected KVM.
    for k in [V61, V612] {
        for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
            let mut m = vm(k, mode);
            step(&mut m, sve_write(A, 0, 0x11));
            step(&mut m, svc(A, Syscall::KvmRun(V0)));
            assert!(has(&m, "kvm_arch_vcpu_load_fp"), "{k}");
            assert!(
                !has(&m, "fpsimd_kvm_prepare"),
                "{k}: no fpsimd_kvm_prepare()"
            );
            // The VMM is inside KVM_RUN: 6.1's entry cleared TIF_SVE, 6.12's opened the
            // FPSIMD-only window; either way an FPSIMD save with fp_type recorded.
            assert_eq!(saves(&m), vec![(Owner::Task(A), Format::Fpsimd)], "{k}");
            assert_eq!(m.task(A).fp_type, FpType::Fpsimd, "{k}");
            assert_eq!(m.cpu(CpuId(0)).last.st, None, "{k}: unbound");
            assert!(m.task(A).tif_foreign_fpstate, "{k}");
            assert_eq!(m.vcpu(V0).fp_owner, FpOwner::Free, "{k}: FP_STATE_FREE");
            assert!(!m.vcpu(V0).host_sve_enabled, "{k}");
            // 6.12 leaves TIF_SVE set until the reload (fpsimd_save_user_state() does not
            // touch it); 6.1 cleared it at syscall entry.
            assert_eq!(
                m.task(A).tif_sve,
                k == V612,
                "{k}: VMM's TIF_SVE while loaded"
            );
            // The guest's first FP use: hyp saves nothing of the host.
            step(
                &mut m,
                Op::Kvm(KvmOp::GuestOp {
                    vcpu: V0,
                    insn: UserInsn {
                        sve: true,
                        writes: vec![RegWrite {
                            reg: Reg::Z(0),
                            value: Value::Fill(0x99),
                        }],
                    },
                }),
            );
            assert!(
                m.events().iter().any(|e| matches!(
                    e.event,
                    Event::KvmHypHandleFpsimd {
                        host_saved: false,
                        ..
                    }
                )),
                "{k} {mode:?}"
            );
            step(
                &mut m,
                Op::Kvm(KvmOp::Exit {
                    vcpu: V0,
                    to_user: true,
                }),
            );
            assert!(
                !m.task(A).tif_sve && !m.cpu(CpuId(0)).cpacr_zen_el0en,
                "{k} {mode:?}: the VMM returns FPSIMD-format with SVE trapped"
            );
            assert_eq!(
                m.user_view(A).unwrap().v(0),
                u128::from_le_bytes([0x11; 16])
            );
            assert!(m.check().is_empty(), "{k} {mode:?}: {:?}", m.check());
        }
    }
}

#[test]
fn after_a_kvm_run_without_guest_fp_the_vmm_is_trapped_on_6_1_and_6_12() {
    // The v6.2 bug's sequence (KnownBug::KvmSveUntrappedAfterGuestExit). 6.1/6.12
    // kvm/fpsimd.c:kvm_arch_vcpu_put_fp(): save+flush only when the guest owns the
    // registers, no CPACR write ("Remove VHE host restore of CPACR_EL1.ZEN"); the VMM was
    // unbound at load, so do_notify_resume() reloads it and fpsimd_bind_task_to_cpu() sets
    // the trap from TIF_SVE. The VMM's next SVE instruction traps (do_sve_acc()).
    for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
        for k in [V61, V62, V612] {
            let mut m = vm(k, mode);
            step(&mut m, sve_write(A, 0, 0x11));
            step(&mut m, svc(A, Syscall::KvmRun(V0)));
            step(
                &mut m,
                Op::Kvm(KvmOp::Exit {
                    vcpu: V0,
                    to_user: true,
                }),
            );
            let put_cpacr = m
                .events()
                .iter()
                .any(|e| matches!(e.event, Event::CpacrWrite { zen_el0en: true }));
            let (tif, zen) = (m.task(A).tif_sve, m.cpu(CpuId(0)).cpacr_zen_el0en);
            if k == V62 {
                assert!(zen && !tif, "{k} {mode:?}: the 2025 bug");
                assert_eq!(put_cpacr, mode == KvmMode::Vhe, "{k}: VHE put re-enables");
            } else {
                assert!(!zen && !tif, "{k} {mode:?}: trapped, consistent");
                assert!(!put_cpacr, "{k}: no CPACR write on the way out");
                assert!(m.check().is_empty(), "{k} {mode:?}: {:?}", m.check());
                let before = m.task(A).counters;
                step(&mut m, sve_write(A, 1, 0x33));
                let traps = m.task(A).counters.since(&before);
                assert_eq!(traps.get(svelab_core::Counter::SveTraps), 1, "{k}");
            }
        }
    }
}

#[test]
fn kvm_ctxsync_binds_the_guest_by_to_save_without_borrowing_tif_sve() {
    // 6.1 kvm/fpsimd.c:kvm_arch_vcpu_ctxsync_fp(): fpsimd_bind_state_to_cpu(..., &fp_type,
    // vcpu_has_sve ? FP_STATE_SVE : FP_STATE_FPSIMD) -- the 8-argument landed form of
    // patches 2-4; 6.12 passes a struct cpu_fp_state. Neither writes the VMM's TIF_SVE.
    for k in [V61, V612] {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, svc(A, Syscall::KvmRun(V0)));
        step(
            &mut m,
            Op::Kvm(KvmOp::GuestOp {
                vcpu: V0,
                insn: UserInsn {
                    sve: true,
                    writes: vec![],
                },
            }),
        );
        step(
            &mut m,
            Op::Kvm(KvmOp::Exit {
                vcpu: V0,
                to_user: false,
            }),
        );
        let last = &m.cpu(CpuId(0)).last;
        assert_eq!(last.st, Some(Owner::Vcpu(V0)), "{k}");
        assert_eq!(last.to_save, FpType::Sve, "{k}");
        assert_eq!(last.fp_type, Some(Owner::Vcpu(V0)), "{k}");
        assert!(
            !m.events()
                .iter()
                .any(|e| matches!(e.event, Event::KvmTifSveWrite { .. })),
            "{k}"
        );
        // A preemption saves the guest as SVE into the vCPU.
        step(&mut m, ctxsw(0, Next::Task(B)));
        assert!(saves(&m).contains(&(Owner::Vcpu(V0), Format::Sve)), "{k}");
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

// ---- 751ecf6afd65: the SVE trap's memory branch unbinds (6.1 and 6.12) -----------------

#[test]
fn the_sve_trap_memory_branch_unbinds_and_the_return_reloads_sve_on_6_1_and_6_12() {
    // 6.1 and 6.12 kernel/fpsimd.c:sve_init_regs(), else-branch: fpsimd_to_sve(current);
    // fp_type = FP_STATE_SVE; fpsimd_flush_task_state(current). The v6.2 race
    // (KnownBug::SveTrapMemoryBranchKeepsBinding): A's trap preempted after sve_alloc(),
    // finished on cpu1, preempted before the FP restore, back on cpu0.
    let trap = Op::User {
        task: A,
        insn: UserInsn {
            sve: true,
            writes: vec![RegWrite {
                reg: Reg::Z(0),
                value: Value::Fill(0x22),
            }],
        },
        interrupt: TrapInterrupt::Preempt(Next::Idle),
    };
    let ops = [
        fp_write(A, 1, 0x11),
        trap,
        Op::CtxswPreemptReturn {
            cpu: CpuId(1),
            task: A,
            point: ReturnPoint::BeforeRestore,
            then: Next::Idle,
        },
        ctxsw(0, Next::Task(A)),
    ];
    for k in [V61, V62, V612] {
        let (v, m) = run(k, ab, &ops);
        if k == V62 {
            assert!(
                known(k, &v).contains(&KnownBug::SveTrapMemoryBranchKeepsBinding),
                "{k}: {v:#?}"
            );
            continue;
        }
        assert!(v.is_empty(), "{k}: {v:#?}");
        // Back on cpu0 the binding is gone: the return reloaded the SVE-format state.
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::TaskFpsimdLoad {
                    format: Format::Sve,
                    ..
                }
            )),
            "{k}: SVE reload"
        );
        let view = m.user_view(A).unwrap();
        assert_eq!(
            view.z[0],
            vec![0x22; 64],
            "{k}: the retried instruction ran"
        );
        assert_eq!(view.v(1), 0x11, "{k}");
    }
    // The memory branch itself, on one CPU: the flush is in the trap's events.
    for k in [V61, V612] {
        let mut m = ab(k);
        step(
            &mut m,
            Op::User {
                task: A,
                insn: UserInsn {
                    sve: true,
                    writes: vec![],
                },
                interrupt: TrapInterrupt::Preempt(Next::Task(B)),
            },
        );
        step(&mut m, ctxsw(0, Next::Task(A)));
        let fs: Vec<&str> = m.events().iter().map(|e| e.event.function()).collect();
        let init = fs.iter().position(|f| *f == "sve_init_regs").unwrap();
        assert_eq!(fs[init + 1], "fpsimd_to_sve", "{k}");
        assert_eq!(fs[init + 2], "fpsimd_flush_task_state", "{k}");
    }
}

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
