//! 6.1's syscall path (still v5.19's), the 2025 KVM rework (fbc7e61195e2) on 6.1 and
//! 6.12, and the SVE trap's memory branch (751ecf6afd65).

use super::*;

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
