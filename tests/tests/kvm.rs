//! KVM: a test per transition (each citing its kernel function), per patch gate, and the
//! counter table of a VMM loop.

use svelab_core::model::event::{Counter::*, Event};

use svelab_core::model::kernel::{Kernel, Patch};
use svelab_core::model::machine::{Config, Machine};
use svelab_core::model::op::{KvmOp, Next, Op, Reg, RegWrite, Syscall, UserInsn, Value};
use svelab_core::model::regs::Origin;
use svelab_core::model::types::{CpuId, Format, FpType, Owner, TaskId};
use svelab_core::model::vcpu::{FpOwner, KvmMode};
use svelab_core::VcpuId;
use svelab_tests::*;

const Q: TaskId = TaskId(0);
const B: TaskId = TaskId(1);
const V0: VcpuId = VcpuId(0);

fn vm(k: Kernel, mode: KvmMode) -> Machine {
    let mut m = Machine::new(Config {
        kernel: k,
        cpus: 2,
        kvm_mode: mode,
        ..Config::default()
    });
    m.add_task("Q", Some(64), Some(CpuId(0))).unwrap();
    m.add_task("B", Some(64), None).unwrap();
    m.add_vcpu("V0", true, Some(64)).unwrap();
    m
}

fn enter() -> Op {
    svc(Q, Syscall::KvmRun(V0))
}

fn exit(to_user: bool) -> Op {
    Op::Kvm(KvmOp::Exit { vcpu: V0, to_user })
}

fn guest(sve: bool, reg: Reg, byte: u8) -> Op {
    Op::Kvm(KvmOp::GuestOp {
        vcpu: V0,
        insn: UserInsn {
            sve,
            writes: vec![RegWrite {
                reg,
                value: Value::Fill(byte),
            }],
        },
    })
}

fn has(m: &Machine, f: &str) -> bool {
    m.events().iter().any(|e| e.event.function() == f)
}

#[test]
fn kvm_arch_vcpu_load_fp_marks_the_host_state_and_samples_cpacr() {
    // Up to v6.2. The 2025 rework (6.1, 6.12) saves and unbinds the host state instead:
    // later_kernels.rs.
    for k in Kernel::ALL
        .into_iter()
        .filter(|k| !k.kvm_host_state_saved_at_vcpu_load())
    {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, sve_write(Q, 0, 1));
        step(&mut m, enter());
        assert!(
            has(&m, "kvm_arch_vcpu_load_fp") && has(&m, "kvm_arch_vcpu_ctxflush_fp"),
            "{k}"
        );
        assert_eq!(
            m.vcpu(V0).fp_owner,
            FpOwner::Host,
            "{k}: FP_HOST / FP_STATE_HOST_OWNED"
        );
        // Patch 1: fpsimd_kvm_prepare() converts the VMM to FPSIMD — only reachable with
        // TIF_SVE set at load, i.e. from patch 6 on (before, syscall entry cleared it).
        assert_eq!(
            m.events()
                .iter()
                .any(|e| e.event == Event::FpsimdKvmPrepare { converted: true }),
            k.p6_sve_kept_on_syscall(),
            "{k}"
        );
        assert!(
            !m.task(Q).tif_sve,
            "{k}: the VMM's TIF_SVE is clear while the vCPU is loaded"
        );
        assert_eq!(
            m.vcpu(V0).host_sve_enabled,
            k.p6_sve_kept_on_syscall(),
            "{k}: HOST_SVE_ENABLED = CPACR.ZEN_EL0EN at load"
        );
    }
}

#[test]
fn kvm_hyp_handle_fpsimd_saves_only_the_hosts_fpsimd_view_and_loads_the_guest() {
    for k in [Kernel::V5_19Rc1, Kernel::V6_2] {
        let mut m = vm(k, KvmMode::Nvhe);
        step(&mut m, fp_write(Q, 2, 0x2222));
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 0x99));
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::KvmHypHandleFpsimd {
                    host_saved: true,
                    guest_sve: true,
                    ..
                }
            )),
            "{k}"
        );
        assert_eq!(
            m.task(Q).fpsimd_state.vregs[2],
            0x2222,
            "{k}: host V2 saved into uw.fpsimd_state"
        );
        assert_eq!(m.vcpu(V0).fp_owner, FpOwner::Guest, "{k}");
        // The guest reads its own state, not the host's V2.
        assert_eq!(
            m.cpu(CpuId(0)).regs.origin.z_lo[2],
            Origin::Zero,
            "{k}: guest register file"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
        // SVE from a guest without SVE is UNDEF.
        let mut m = Machine::new(Config {
            kernel: k,
            ..Config::default()
        });
        m.add_task("Q", Some(64), Some(CpuId(0))).unwrap();
        m.add_vcpu("V0", false, None).unwrap();
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 1));
        assert!(
            has(&m, "kvm_inject_undefined") && m.vcpu(V0).fp_owner == FpOwner::Host,
            "{k}"
        );
    }
}

#[test]
fn kvm_arch_vcpu_ctxsync_fp_binds_the_guest_and_borrows_tif_sve_before_patch_4() {
    for k in Kernel::ALL {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 0x99));
        step(&mut m, exit(false));
        let last = &m.cpu(CpuId(0)).last;
        assert_eq!(
            last.st,
            Some(Owner::Vcpu(V0)),
            "{k}: fpsimd_bind_state_to_cpu()"
        );
        assert_eq!(last.sve_vl, 64, "{k}: sve_max_vl");
        assert!(!m.task(Q).tif_foreign_fpstate, "{k}");
        assert_eq!(
            m.task(Q).tif_sve,
            !k.p4_save_by_to_save(),
            "{k}: K5 borrows TIF_SVE until patch 4"
        );
        if k.p3_to_save() {
            assert_eq!(
                last.to_save,
                FpType::Sve,
                "{k}: patch 3: KVM says what to save"
            );
        }
        if k.p2_fp_type() {
            assert_eq!(
                last.fp_type,
                Some(Owner::Vcpu(V0)),
                "{k}: patch 2: the vCPU's fp_type"
            );
        }
    }
}

#[test]
fn kernel_neon_with_the_guest_bound_saves_the_guest_into_the_vcpu() {
    for k in Kernel::ALL {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(3), 0x33));
        step(&mut m, exit(false));
        step(&mut m, Op::KernelNeon { cpu: CpuId(0) });
        assert!(
            m.events().iter().any(|e| e.event
                == Event::FpsimdSave {
                    owner: Owner::Vcpu(V0),
                    format: Format::Sve,
                    bytes: 546 * 4 + 8
                }),
            "{k}: the save goes where the binding points"
        );
        assert!(
            m.vcpu(V0)
                .sve_state
                .as_ref()
                .unwrap()
                .zreg(3)
                .iter()
                .all(|&b| b == 0x33),
            "{k}"
        );
        // Re-entry: the state is foreign, the guest traps again and gets its own back.
        step(&mut m, guest(false, Reg::V(5), 5));
        assert!(
            m.vcpu(V0).in_guest && m.cpu(CpuId(0)).regs.z[3][..64].iter().all(|&b| b == 0x33),
            "{k}"
        );
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

#[test]
fn preempting_the_vmm_inside_kvm_run_puts_and_reloads_the_vcpu() {
    for k in Kernel::ALL {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 0x44));
        step(&mut m, ctxsw(0, Next::Task(B)));
        let fs: Vec<_> = m
            .events()
            .iter()
            .map(|e| e.event.function().to_string())
            .collect();
        let put = fs.iter().position(|f| f == "kvm_arch_vcpu_put_fp").unwrap();
        let sw = fs.iter().position(|f| f == "fpsimd_thread_switch").unwrap();
        assert!(
            put < sw,
            "{k}: the sched-out notifier runs before __switch_to"
        );
        step(&mut m, fp_write(B, 0, 1));
        step(
            &mut m,
            Op::Migrate {
                task: Q,
                cpu: CpuId(1),
            },
        );
        assert!(has(&m, "kvm_arch_vcpu_load_fp"), "{k}: sched-in reloads");
        step(&mut m, guest(false, Reg::V(1), 1));
        assert!(
            m.cpu(CpuId(1)).regs.z[0][16..64].iter().all(|&b| b == 0x44),
            "{k}: the guest's Z0 followed it to cpu1"
        );
        step(&mut m, exit(true));
        assert!(
            m.check()
                .iter()
                .all(|v| v.detail.contains("ZEN_EL0EN is 1 but TIF_SVE is 0")),
            "{k}: {:?}",
            m.check()
        );
    }
}

#[test]
fn kvm_arch_vcpu_put_fp_restores_the_el0_sve_enable_under_vhe_only() {
    // Guest did not use FP: VHE restores ZEN_EL0EN from HOST_SVE_ENABLED; nVHE leaves
    // CPACR_EL1 alone. Both end with ZEN_EL0EN = 1 on v6.2 (TIF_SVE clear: the 2025 bug).
    for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
        let mut m = vm(Kernel::V6_2, mode);
        step(&mut m, sve_write(Q, 0, 1));
        step(&mut m, enter());
        if mode == KvmMode::Vhe {
            assert!(
                !m.cpu(CpuId(0)).cpacr_zen_el0en,
                "VHE __activate_traps(): CPACR is CPTR_EL2, ZEN off for the guest"
            );
        }
        step(&mut m, exit(true));
        assert!(m.cpu(CpuId(0)).cpacr_zen_el0en, "{mode:?}");
        assert_eq!(
            m.events()
                .iter()
                .any(|e| e.event == Event::CpacrWrite { zen_el0en: true }),
            mode == KvmMode::Vhe,
            "{mode:?}: only VHE's put writes CPACR"
        );
    }
}

#[test]
fn on_v5_19_kvm_changes_the_meaning_of_the_vmms_tif_sve_while_the_guest_runs() {
    // K7: at v5.19, TIF_SVE of the VMM says "save the guest as SVE" between ctxsync and
    // put, with the VMM's own sve_state unallocated; from patch 4 it is never touched.
    for k in [
        Kernel::V5_19Rc1,
        Kernel::SeriesV1(Patch::P3),
        Kernel::SeriesV1(Patch::P4),
        Kernel::V6_2,
    ] {
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 1));
        step(&mut m, exit(false));
        let borrowed = m.task(Q).tif_sve && m.task(Q).sve_state.is_none();
        assert_eq!(borrowed, !k.p4_save_by_to_save(), "{k}");
        assert!(
            m.check().is_empty(),
            "{k}: the borrowing is by design, not a violation: {:?}",
            m.check()
        );
        assert_eq!(
            m.events()
                .iter()
                .any(|e| matches!(e.event, Event::KvmTifSveWrite { .. })),
            !k.p4_save_by_to_save(),
            "{k}"
        );
    }
}

/// The VMM loop {SVE work in the VMM; KVM_RUN; the guest uses SVE; exit to user}, per
/// iteration, counted for the VMM task (VHE host).
///
/// Reasoning, v5.19 and p1–p5: the syscall entry of KVM_RUN clears TIF_SVE and disables
/// EL0 SVE (CPACR write 1); hyp saves the VMM's FPSIMD view (not a `fpsimd_save`) and loads
/// the guest; ctxsync binds the vCPU (bind 1); put saves the guest in SVE format (save 1)
/// and unbinds; the return reloads the VMM in FPSIMD format (load 1) and binds (bind 2);
/// the next SVE instruction traps (trap 1, memset 1, flush 1, bind 3, CPACR write 2).
/// p6, p7 (sysctl 1) and v6.2: the entry keeps SVE enabled but flushes (flush 2) and
/// `fpsimd_kvm_prepare()` clears TIF_SVE without touching CPACR (hyp resets it under VHE,
/// not counted as a kernel write): one CPACR write (the trap's enable). p7 with the sysctl
/// at 0 skips the entry flush. The trap per KVM_RUN remains on every kernel: the series
/// optimises syscalls that return without a reload, and KVM_RUN with a guest using FP
/// always reloads.
/// 6.1 and 6.12 (the 2025 rework, `kvm/fpsimd.c:kvm_arch_vcpu_load_fp`): the vcpu load
/// saves the VMM's state itself (one FPSIMD save: 6.1's entry cleared TIF_SVE, 6.12's
/// entry opened the FPSIMD-only window) and unbinds it; hyp saves nothing. Otherwise 6.1
/// counts as v5.19 (entry disables SVE: two CPACR writes) and 6.12 as v6.2 (entry flush).
#[test]
fn vmm_loop_counter_table() {
    let cols: [(Kernel, bool); 12] = [
        (Kernel::V5_19Rc1, false),
        (Kernel::SeriesV1(Patch::P1), false),
        (Kernel::SeriesV1(Patch::P2), false),
        (Kernel::SeriesV1(Patch::P3), false),
        (Kernel::SeriesV1(Patch::P4), false),
        (Kernel::SeriesV1(Patch::P5), false),
        (Kernel::SeriesV1(Patch::P6), false),
        (Kernel::SeriesV1(Patch::P7), false),
        (Kernel::SeriesV1(Patch::P7), true),
        (Kernel::V6_2, false),
        (Kernel::V6_1, false),
        (Kernel::V6_12, false),
    ];
    #[rustfmt::skip]
    let expected: [(svelab_core::Counter, [u64; 12]); 10] = [
        //                      v5.19 p1 p2 p3 p4 p5 p6 p7s0 p7s1 v6.2 v6.1 v6.12
        (Syscalls,              [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (SveTraps,              [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (SveAllocMemsets,       [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (SveFlushLive,          [1, 1, 1, 1, 1, 1, 2, 1, 2, 2, 1, 2]),
        (CpacrWrites,           [2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2, 1]),
        (Binds,                 [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
        (SavesSve,              [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (SavesFpsimd,           [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
        (LoadsFpsimd,           [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        (GuestFpTraps,          [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
    ];
    const N: u64 = 20;
    for (i, (k, clear)) in cols.iter().enumerate() {
        let mut m = Machine::new(Config {
            kernel: *k,
            cpus: 2,
            sve_syscall_clear_regs: *clear,
            ..Config::default()
        });
        m.add_task("Q", Some(64), Some(CpuId(0))).unwrap();
        m.add_vcpu("V0", true, Some(64)).unwrap();
        let body = [
            sve_write(Q, 0, 0x11),
            enter(),
            guest(true, Reg::Z(1), 0x22),
            exit(true),
        ];
        per_task_delta(&mut m, Q, 2, &body);
        let d = per_task_delta(&mut m, Q, N, &body);
        let got = per_iteration(&d, N);
        for (c, row) in &expected {
            let v = got.iter().find(|(x, _)| x == c).unwrap().1;
            assert_eq!(v, row[i], "{k} sysctl={clear}: {} per iteration", c.name());
        }
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

/// A vCPU that has never run is as `kvm_vcpu_init()`/`kvm_reset_vcpu()` leave it: the
/// structure is zeroed, so `arch.fp_type` is its enum's first value (patch 2's
/// `enum fp_state { FP_STATE_FPSIMD, FP_STATE_SVE }`; from patch 3 `FP_STATE_TASK`, landed
/// as `FP_STATE_CURRENT` = 0), and `ZCR_EL1` takes its reset value 0
/// (`arch/arm64/kvm/sys_regs.c`: `{ SYS_DESC(SYS_ZCR_EL1), NULL, reset_val, ZCR_EL1, 0 }`).
#[test]
fn a_vcpu_that_never_ran_has_its_reset_zcr_and_the_zero_fp_type() {
    for k in Kernel::ALL {
        let src = format!(
            "kernel {}\ntask A vl=512 on=cpu0\nvcpu V sve vl=512\n",
            k.name()
        );
        let (mut s, d) = svelab_core::Session::from_source(&src);
        assert!(d.is_empty(), "{d:?}");
        s.run(&svelab_core::RunOptions::default());
        assert_eq!(s.eval("V.zcr_el1").unwrap(), "0", "{k}");
        let want = if !k.p2_fp_type() {
            None
        } else if k.p3_to_save() {
            Some("current")
        } else {
            Some("fpsimd")
        };
        match want {
            Some(w) => assert_eq!(s.eval("V.fp_type").unwrap(), w, "{k}"),
            None => assert!(
                s.eval("V.fp_type").is_err(),
                "{k}: no fp_type before patch 2"
            ),
        }
    }
}

/// An SVE instruction in a guest without SVE is a full exit to the host, not an event inside
/// the guest. Hyp's `kvm_hyp_handle_fpsimd()` (`arch/arm64/kvm/hyp/include/hyp/switch.h`)
/// returns false for an SVE trap of a non-SVE vCPU ("Don't handle SVE traps for non-SVE
/// vcpus here"), so the guest exits; `kvm_arch_vcpu_ioctl_run()` (`arch/arm64/kvm/arm.c`)
/// runs `kvm_arch_vcpu_ctxsync_fp()` (binding the guest's FP state if it owns the
/// registers), then `handle_exit()` → `handle_sve()` (`arch/arm64/kvm/handle_exit.c`)
/// injects UNDEF with `kvm_inject_undefined()` and returns 1, and the loop re-enters the
/// guest through `kvm_arch_vcpu_ctxflush_fp()`. The same on every kernel.
#[test]
fn an_sve_instruction_in_a_guest_without_sve_exits_to_the_host_which_injects_undef() {
    for k in Kernel::ALL {
        for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
            let mut m = Machine::new(Config {
                kernel: k,
                cpus: 2,
                kvm_mode: mode,
                ..Config::default()
            });
            m.add_task("Q", Some(64), Some(CpuId(0))).unwrap();
            m.add_vcpu("V0", false, None).unwrap();
            step(&mut m, enter());
            step(&mut m, guest(false, Reg::V(0), 0x11));
            assert_eq!(m.vcpu(V0).fp_owner, FpOwner::Guest, "{k}");
            step(&mut m, guest(true, Reg::Z(0), 0x22));
            let fs: Vec<&str> = m.events().iter().map(|e| e.event.function()).collect();
            let exit = fs.iter().position(|f| *f == "kvm_arch_vcpu_ctxsync_fp");
            let undef = fs.iter().position(|f| *f == "kvm_inject_undefined");
            let entry = fs.iter().rposition(|f| *f == "kvm_arch_vcpu_ctxflush_fp");
            assert!(
                matches!((exit, undef, entry), (Some(a), Some(b), Some(c)) if a < b && b < c),
                "{k} {mode:?}: exit, UNDEF, re-entry: {fs:?}"
            );
            assert_eq!(
                m.cpu(CpuId(0)).last.st,
                Some(Owner::Vcpu(V0)),
                "{k} {mode:?}: ctxsync bound the guest's FP state"
            );
            assert!(m.vcpu(V0).in_guest, "{k} {mode:?}: back in the guest");
            assert_eq!(
                m.cpu(CpuId(0)).regs.v(0),
                u128::from_le_bytes([0x11; 16]),
                "{k} {mode:?}: the UNDEF wrote nothing"
            );
        }
    }
}

/// A signal for a VMM inside `KVM_RUN` ends the run before the guest runs again:
/// `kvm_vcpu_kick()` takes the guest out, and the loop of `kvm_arch_vcpu_ioctl_run()`
/// (`arch/arm64/kvm/arm.c`) calls `xfer_to_guest_mode_handle_work()` (`kernel/entry/kvm.c`),
/// which sees `TIF_SIGPENDING`, calls `kvm_handle_signal_exit()` (`run->exit_reason =
/// KVM_EXIT_INTR`) and returns -EINTR; `vcpu_put()` follows and the ioctl returns, so the
/// signal is delivered on the VMM's way back to user space. A VMM switched out inside
/// `KVM_RUN` does the same when it is switched back in (the loop resumes after
/// `kvm_sched_in()` → `vcpu_load()`). The same on every kernel.
#[test]
fn a_pending_signal_ends_kvm_run_with_eintr_before_the_guest_runs_again() {
    for k in Kernel::ALL {
        // Running: the signal kicks the vCPU out.
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, guest(true, Reg::Z(0), 0x22));
        step(
            &mut m,
            Op::Signal {
                task: Q,
                sig: svelab_core::model::event::Sig::Usr1,
            },
        );
        assert!(has(&m, "kvm_handle_signal_exit"), "{k}: KVM_EXIT_INTR");
        assert!(has(&m, "kvm_arch_vcpu_put_fp"), "{k}: vcpu_put");
        assert!(has(&m, "setup_rt_frame"), "{k}: the signal is delivered");
        assert_eq!(
            m.task(Q).level,
            svelab_core::model::types::Level::User,
            "{k}"
        );
        assert_eq!(m.task(Q).x0, -4, "{k}: KVM_RUN returned -EINTR");
        assert_eq!(m.task(Q).frames.len(), 1, "{k}");

        // Switched out inside KVM_RUN: the signal waits, and the run ends on sched-in.
        let mut m = vm(k, KvmMode::Vhe);
        step(&mut m, enter());
        step(&mut m, ctxsw(0, Next::Task(B)));
        step(
            &mut m,
            Op::Signal {
                task: Q,
                sig: svelab_core::model::event::Sig::Usr1,
            },
        );
        assert!(!has(&m, "kvm_handle_signal_exit"), "{k}: Q is not running");
        step(&mut m, ctxsw(0, Next::Task(Q)));
        assert!(
            has(&m, "kvm_arch_vcpu_load_fp") && has(&m, "kvm_handle_signal_exit"),
            "{k}: sched-in loads the vCPU, then the loop returns -EINTR"
        );
        assert!(!has(&m, "kvm_arch_vcpu_ctxflush_fp"), "{k}: no guest entry");
        assert_eq!(
            m.task(Q).level,
            svelab_core::model::types::Level::User,
            "{k}"
        );
        assert_eq!(m.task(Q).frames.len(), 1, "{k}");
    }
}

fn guest_zcr(vl: u16) -> Op {
    Op::Kvm(KvmOp::GuestZcr { vcpu: V0, vl })
}

#[test]
fn a_guest_that_lowers_its_zcr_el1_runs_at_that_vl_and_the_put_saves_it() {
    // A guest's ZCR_EL1 access traps to hyp like an SVE instruction while its FP state is
    // not loaded (v5.19 hyp/nvhe/hyp-main.c and hyp/include/hyp/switch.h: ESR_ELx_EC_SVE
    // → kvm_hyp_handle_fpsimd(), whose __hyp_sve_restore_guest() writes the guest's saved
    // ZCR_EL1 after loading at the maximum VL). Its SVE writes then run at its VL, and
    // kvm_arch_vcpu_put_fp() saves its ZCR_EL1 (read_sysreg_el1(SYS_ZCR), v5.19
    // kvm/fpsimd.c; from 6.1/6.12 fpsimd_lazy_switch_to_host() does it at every exit).
    // Without anything between the exit and the put, every kernel and mode is fine.
    for k in Kernel::ALL {
        for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
            let mut m = vm(k, mode);
            assert_eq!(m.vcpu(V0).zcr_el1, 0, "{k}: reset value");
            step(&mut m, enter());
            step(&mut m, guest(true, Reg::Z(0), 0x11));
            step(&mut m, guest_zcr(16));
            assert!(!has(&m, "kvm_hyp_handle_fpsimd"), "{k}: already loaded");
            step(&mut m, guest(true, Reg::Z(1), 0x22));
            let z = &m.cpu(CpuId(0)).regs.z;
            assert!(z[1][..16].iter().all(|&b| b == 0x22), "{k} {mode:?}");
            assert!(z[1][16..64].iter().all(|&b| b == 0), "{k} {mode:?}: VL 128");
            assert!(
                z[0][16..64].iter().all(|&b| b == 0),
                "{k} {mode:?}: above the VL"
            );
            step(&mut m, exit(false));
            // nVHE: the host at EL1 runs under the guest's ZCR_EL1 until the put, unless
            // hyp switched it back at exit (59419f10045b, 6.1 and 6.12). VHE: ZCR_EL2.
            let shared = mode == KvmMode::Nvhe && !k.kvm_eager_zcr_switch();
            assert_eq!(
                m.rdvl(CpuId(0)),
                if shared { 16 } else { 64 },
                "{k} {mode:?}"
            );
            step(&mut m, exit(true));
            assert_eq!(m.vcpu(V0).zcr_el1, 0, "{k} {mode:?}: LEN of 128 bits saved");
            assert_eq!(m.vcpu(V0).guest_sve_vl(), 16, "{k} {mode:?}");
            let buf = m.vcpu(V0).sve_state.as_ref().unwrap();
            assert!(buf.zreg(1)[..16].iter().all(|&b| b == 0x22), "{k} {mode:?}");
            assert!(m.check().is_empty(), "{k} {mode:?}: {:?}", m.check());
            // The next run traps, reloads, restores the guest's ZCR_EL1: still VL 128.
            step(&mut m, enter());
            step(&mut m, guest(true, Reg::Z(2), 0x33));
            let z = &m.cpu(CpuId(0)).regs.z;
            assert!(
                z[1][..16].iter().all(|&b| b == 0x22),
                "{k} {mode:?}: reloaded"
            );
            assert!(
                z[2][16..64].iter().all(|&b| b == 0),
                "{k} {mode:?}: VL 128 again"
            );
            assert!(m.task(Q).alive(), "{k} {mode:?}");
        }
    }
}

#[test]
fn kernel_neon_between_exit_and_put_meets_the_guests_vl_on_an_nvhe_host() {
    // v5.19 arch/arm64/kernel/fpsimd.c: kernel_neon_begin() → fpsimd_save(), which saves
    // the bound guest state in SVE format and first checks sve_get_vl() against the
    // binding's sve_vl (the guest's maximum): WARN_ON + force_signal_inject(SIGKILL) to
    // current, the VMM, and nothing is saved. Only the nVHE host shares ZCR_EL1 with the
    // guest (kvm_arch_vcpu_put_fp() restores it only `if (!has_vhe())`); 6.1 and 6.12 have
    // "KVM: arm64: Eagerly switch ZCR_EL{1,2}" (fpsimd_lazy_switch_to_host()).
    for k in Kernel::ALL {
        for mode in [KvmMode::Vhe, KvmMode::Nvhe] {
            let mut m = vm(k, mode);
            step(&mut m, enter());
            step(&mut m, guest_zcr(16));
            step(&mut m, guest(true, Reg::Z(1), 0x22));
            step(&mut m, exit(false));
            step(&mut m, Op::KernelNeon { cpu: CpuId(0) });
            let hit = mode == KvmMode::Nvhe && !k.kvm_eager_zcr_switch();
            let warned = m.events().iter().any(|e| {
                e.event
                    == Event::Warn {
                        site: svelab_core::model::event::WarnSite::FpsimdSaveVlMismatch,
                    }
            });
            assert_eq!(warned, hit, "{k} {mode:?}");
            let saved = m.vcpu(V0).sve_state.as_ref().unwrap().zreg(1)[..16]
                .iter()
                .all(|&b| b == 0x22);
            assert_eq!(saved, !hit, "{k} {mode:?}: the guest's Z1 saved");
            step(&mut m, exit(true));
            assert_eq!(m.task(Q).alive(), !hit, "{k} {mode:?}: SIGKILL to the VMM");
        }
    }
}

/// An instruction the guest never runs promises the guest nothing. When the VMM has a
/// signal pending (here the SIGKILL of `fpsimd_save()`'s VL WARN, on the kernels with the
/// nVHE guest-ZCR bug), the next guest instruction finds the `KVM_RUN` loop ending with
/// -EINTR instead: the guest does not run, so what it would have written is not what it
/// should read. (`svelab explore --nvhe --ops all` reported this as an unexplained
/// `abi-guest`.) On the other kernels the guest runs it and reads it back.
#[test]
fn a_guest_instruction_after_kvm_run_ended_promises_the_guest_nothing() {
    use svelab_core::model::oracle::AbiOracle;
    use svelab_core::model::violation::Rule;
    for k in Kernel::ALL {
        let mut m = vm(k, KvmMode::Nvhe);
        let mut o = AbiOracle::new(&m);
        let ops = [
            enter(),
            Op::Kvm(KvmOp::GuestZcr { vcpu: V0, vl: 32 }),
            Op::KernelNeon { cpu: CpuId(0) },
            guest(true, Reg::Z(0), 0x11),
        ];
        for op in &ops {
            step(&mut m, op.clone());
            o.observe(op, &m);
        }
        let ran = !has(&m, "kvm_handle_signal_exit");
        assert_eq!(
            ran,
            !svelab_core::model::bugs::KnownBug::KvmGuestZcrLiveInHost.affects(k),
            "{k}"
        );
        let v = o.check(&m);
        assert!(
            v.iter().all(|v| v.rule != Rule::GuestStatePreserved),
            "{k}: {v:#?}"
        );
        if ran {
            assert_eq!(
                o.expected_guest_v(V0)[0],
                Some(u128::from_le_bytes([0x11; 16])),
                "{k}"
            );
        }
    }
}
