//! One test per transition of the reference (T1–T14) and per patch gate, each stating the
//! kernel behaviour it checks and the function that has it.

use svelab_core::model::event::{Event, Sig};

use svelab_core::model::fpsimd::{KERNEL_NEON_VALUE, PR_SVE_SET_VL_ONEXEC, PR_SVE_VL_INHERIT};
use svelab_core::model::kernel::{Kernel, Patch};
use svelab_core::model::machine::Machine;
use svelab_core::model::op::{
    FrameEdit, Next, Op, PtraceReq, Reg, RegWrite, ReturnPoint, SvePayload, Syscall, TrapInterrupt,
    UserInsn, Value,
};
use svelab_core::model::regs::sve_sig_regs_size;
use svelab_core::model::types::{CpuId, Format, FpType, Owner, TaskId};
use svelab_core::model::uapi::SVE_PT_REGS_SVE;
use svelab_core::Counter;
use svelab_tests::*;

const V519: Kernel = Kernel::V5_19Rc1;
const V62: Kernel = Kernel::V6_2;
const fn p(n: u8) -> Kernel {
    Kernel::SeriesV1(match Patch::from_number(n) {
        Some(p) => p,
        None => panic!("patches are 1-7"),
    })
}

/// A on cpu0 (512-bit VL), B not running (256-bit VL).
fn two(k: Kernel) -> (Machine, TaskId, TaskId) {
    let mut m = machine(k, 2, false);
    let a = m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
    let b = m.add_task("B", Some(32), None).unwrap();
    (m, a, b)
}

fn functions(m: &Machine) -> Vec<String> {
    m.events()
        .iter()
        .map(|e| e.event.function().to_string())
        .collect()
}

fn has(m: &Machine, f: &str) -> bool {
    functions(m).iter().any(|x| x == f)
}

fn z_hi_zero(m: &Machine, t: TaskId, n: usize) -> bool {
    m.user_view(t).unwrap().z[n][16..].iter().all(|&b| b == 0)
}

#[test]
fn t1_do_sve_acc_live_branch_zeroes_the_non_fpsimd_state_and_binds() {
    for k in [V519, p(6), V62] {
        let (mut m, a, _) = two(k);
        step(&mut m, fp_write(a, 3, 0x1234));
        // A previous owner's P/FFR values are in the CPU: the trap must not expose them.
        step(&mut m, sve_write(a, 0, 0xaa));
        let fs = functions(&m);
        let order: Vec<&str> = [
            "do_sve_acc",
            "sve_alloc",
            "sve_init_regs",
            "sve_flush_live",
            "fpsimd_bind_task_to_cpu",
            "sve_user_enable",
        ]
        .into_iter()
        .filter(|f| fs.iter().any(|x| x == f))
        .collect();
        assert_eq!(order.len(), 6, "{k}: do_sve_acc's live path: {fs:?}");
        let t = m.task(a);
        assert!(
            t.tif_sve && m.cpu(CpuId(0)).cpacr_zen_el0en,
            "{k}: TIF_SVE and ZEN_EL0EN set"
        );
        assert_eq!(
            t.sve_state.as_ref().unwrap().bytes.len(),
            sve_sig_regs_size(4),
            "{k}: SVE_SIG_REGS_SIZE(4)"
        );
        let v = m.user_view(a).unwrap();
        assert_eq!(v.v(3), 0x1234, "{k}: V3 survives the trap");
        assert!(
            v.p.iter().all(|p| p.iter().all(|&b| b == 0)) && v.ffr.iter().all(|&b| b == 0),
            "{k}: P and FFR zeroed"
        );
        assert!(
            v.z[0].iter().all(|&b| b == 0xaa),
            "{k}: the retried instruction wrote Z0"
        );
    }
}

#[test]
fn t1_do_sve_acc_memory_branch_when_softirq_neon_interrupts_the_trap() {
    for k in [V519, p(2), V62] {
        let (mut m, a, _) = two(k);
        step(&mut m, fp_write(a, 1, 0x77));
        let op = Op::User {
            task: a,
            insn: UserInsn {
                sve: true,
                writes: vec![],
            },
            interrupt: TrapInterrupt::KernelNeon,
        };
        step(&mut m, op);
        assert!(
            m.events()
                .iter()
                .any(|e| e.event == Event::SveInitRegs { live: false }),
            "{k}: memory branch taken"
        );
        assert!(
            has(&m, "fpsimd_to_sve"),
            "{k}: fpsimd_to_sve() seeds V into the zeroed sve_state"
        );
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::TaskFpsimdLoad {
                    format: Format::Sve,
                    ..
                }
            )),
            "{k}: the return to user loads SVE format"
        );
        if k.p2_fp_type() {
            assert_eq!(
                m.task(a).fp_type,
                FpType::Sve,
                "{k}: patch 2 records FP_STATE_SVE in the memory branch"
            );
        }
        assert_eq!(m.user_view(a).unwrap().v(1), 0x77, "{k}: V1 survives");
        assert!(m.check().is_empty(), "{k}: {:?}", m.check());
    }
}

#[test]
fn t3_fp_user_discard_gates() {
    // v5.19: clear TIF_SVE and disable EL0 SVE; patch 6: flush, keep both; patch 7 with
    // the sysctl at 0: nothing.
    for (k, clear, tif_after, flush) in [
        (V519, false, false, false),
        (p(5), false, false, false),
        (p(6), false, true, true),
        (p(7), false, true, false),
        (p(7), true, true, true),
        (V62, false, true, true),
    ] {
        let mut m = machine(k, 1, clear);
        let a = m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
        step(&mut m, sve_write(a, 0, 1));
        step(&mut m, svc(a, Syscall::Getpid));
        assert_eq!(
            m.task(a).tif_sve,
            tif_after,
            "{k} sysctl={clear}: TIF_SVE after getpid"
        );
        assert_eq!(
            m.cpu(CpuId(0)).cpacr_zen_el0en,
            tif_after,
            "{k}: ZEN_EL0EN follows"
        );
        assert_eq!(
            has(&m, "sve_flush_live"),
            flush,
            "{k} sysctl={clear}: entry flush"
        );
    }
}

#[test]
fn t4_restore_only_when_foreign_and_t5_wrong_task_wrong_cpu() {
    let (mut m, a, b) = two(V519);
    step(&mut m, fp_write(a, 0, 5));
    // Switch to a kernel thread and back: the binding is intact, no reload (lesson 2).
    step(&mut m, ctxsw(0, Next::Kthread));
    step(&mut m, ctxsw(0, Next::Task(a)));
    assert!(
        !has(&m, "task_fpsimd_load"),
        "kthread never binds: no reload"
    );
    assert_eq!(
        m.events()
            .iter()
            .filter(|e| matches!(
                e.event,
                Event::ThreadSwitch {
                    next_foreign: false
                }
            ))
            .count(),
        1
    );
    // Another task on this CPU: wrong_task.
    step(&mut m, ctxsw(0, Next::Task(b)));
    step(&mut m, ctxsw(0, Next::Task(a)));
    assert!(has(&m, "task_fpsimd_load"), "wrong_task: A reloads");
    // Migration: wrong_cpu.
    step(
        &mut m,
        Op::Migrate {
            task: a,
            cpu: CpuId(1),
        },
    );
    assert!(
        has(&m, "task_fpsimd_load") && m.task(a).fpsimd_cpu == Some(CpuId(1)),
        "wrong_cpu: reload and rebind on cpu1"
    );
    assert_eq!(m.user_view(a).unwrap().v(0), 5);
}

#[test]
fn t5_irq_preemption_saves_sve_a_switch_inside_a_syscall_saves_fpsimd_after_patch_6() {
    for k in [p(6), V62] {
        let (mut m, a, b) = two(k);
        step(&mut m, sve_write(a, 0, 1));
        step(&mut m, ctxsw(0, Next::Task(b)));
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::FpsimdSave {
                    format: Format::Sve,
                    ..
                }
            )),
            "{k}: IRQ from EL0, syscallno = NO_SYSCALL: full SVE save"
        );
        step(&mut m, ctxsw(0, Next::Task(a)));
        step(&mut m, svc(a, Syscall::Yield(Next::Task(b))));
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::FpsimdSave {
                    format: Format::Fpsimd,
                    ..
                }
            )),
            "{k}: in_syscall(): FPSIMD save"
        );
        assert_eq!(m.task(a).fp_type, FpType::Fpsimd);
        assert!(
            m.task(a).tif_sve,
            "{k}: TIF_SVE stays set until a load drops it"
        );
    }
}

#[test]
fn t8_fork_child_inherits_only_the_fpsimd_view_and_vl_configuration() {
    for k in [V519, V62] {
        let (mut m, a, _) = two(k);
        step(
            &mut m,
            svc(
                a,
                Syscall::PrctlSetVl {
                    vl: 32,
                    flags: PR_SVE_VL_INHERIT | PR_SVE_SET_VL_ONEXEC,
                },
            ),
        );
        step(&mut m, sve_write(a, 4, 0x44));
        step(&mut m, svc(a, Syscall::Fork("C".into())));
        let c = m.task_id("C").unwrap();
        let ch = m.task(c);
        assert!(
            ch.sve_state.is_none()
                && !ch.tif_sve
                && ch.tif_foreign_fpstate
                && ch.fpsimd_cpu.is_none(),
            "{k}"
        );
        assert_eq!(
            (ch.vl, ch.vl_onexec, ch.tif_sve_vl_inherit),
            (64, 32, true),
            "{k}: VL configuration copied"
        );
        assert_eq!(
            m.user_view(c).unwrap().v(4),
            u128::from_le_bytes([0x44; 16]),
            "{k}: V4 inherited"
        );
        assert!(z_hi_zero(&m, c, 4), "{k}: Z4 high bits not inherited");
    }
}

#[test]
fn t9_exec_zeroes_state_and_applies_vl_onexec() {
    let (mut m, a, _) = two(V62);
    step(&mut m, sve_write(a, 0, 0x10));
    step(
        &mut m,
        svc(
            a,
            Syscall::PrctlSetVl {
                vl: 32,
                flags: PR_SVE_SET_VL_ONEXEC,
            },
        ),
    );
    assert_eq!(m.task(a).x0, 32, "ONEXEC returns vl_onexec");
    step(&mut m, svc(a, Syscall::Exec));
    let t = m.task(a);
    assert_eq!(
        (t.vl, t.vl_onexec, t.tif_sve, t.sve_state.is_none()),
        (32, 0, false, true)
    );
    assert_eq!(m.user_view(a).unwrap().v(0), 0);
    step(&mut m, svc(a, Syscall::Exec));
    assert_eq!(
        m.task(a).vl,
        64,
        "vl_onexec was cleared (no INHERIT): back to the default"
    );
}

#[test]
fn t10_prctl_set_and_get_vl() {
    let (mut m, a, _) = two(V519);
    step(&mut m, sve_write(a, 2, 0x22));
    step(&mut m, svc(a, Syscall::PrctlSetVl { vl: 48, flags: 0 }));
    assert_eq!(m.task(a).x0, 32, "48 bytes rounds down to the supported 32");
    let t = m.task(a);
    assert!(!t.tif_sve && t.sve_state.is_none());
    assert_eq!(
        m.user_view(a).unwrap().v(2),
        u128::from_le_bytes([0x22; 16]),
        "sve.rst §6: V survives a VL change"
    );
    step(
        &mut m,
        svc(
            a,
            Syscall::PrctlSetVl {
                vl: 4096,
                flags: PR_SVE_VL_INHERIT,
            },
        ),
    );
    assert_eq!(
        m.task(a).x0,
        (64 | PR_SVE_VL_INHERIT) as i64,
        "clamped to VL_ARCH_MAX then the max supported, with INHERIT"
    );
    step(&mut m, svc(a, Syscall::PrctlGetVl));
    assert_eq!(m.task(a).x0, (64 | PR_SVE_VL_INHERIT) as i64);
    step(&mut m, svc(a, Syscall::PrctlSetVl { vl: 17, flags: 0 }));
    assert_eq!(m.task(a).x0, -22, "invalid VL: -EINVAL");
    step(&mut m, svc(a, Syscall::PrctlSetVl { vl: 64, flags: 1 }));
    assert_eq!(m.task(a).x0, -22, "unknown flag: -EINVAL");
}

#[test]
fn t11_ptrace_regsets() {
    let (mut m, a, _) = two(V519);
    step(&mut m, sve_write(a, 0, 0x5a));
    step(&mut m, ctxsw(0, Next::Idle)); // A stopped at user level, state saved as SVE
    step(
        &mut m,
        Op::Ptrace {
            task: a,
            req: PtraceReq::GetSve,
        },
    );
    let d = m.tracer_buf.clone().unwrap();
    assert_eq!(d.header.unwrap().flags & SVE_PT_REGS_SVE, SVE_PT_REGS_SVE);
    assert_eq!(
        d.header.unwrap().size,
        32 + (546 * 4u32).div_ceil(16) * 16,
        "SVE_PT_SIZE(4, SVE)"
    );
    assert!(d.sve.unwrap().zreg(0).iter().all(|&b| b == 0x5a));
    // NT_PRFPREG write to an SVE-format tracee: sve_sync_from_fpsimd_zeropad() zeroes Z high.
    step(
        &mut m,
        Op::Ptrace {
            task: a,
            req: PtraceReq::SetFpr(vec![RegWrite {
                reg: Reg::V(1),
                value: Value::Fill(1),
            }]),
        },
    );
    assert!(has(&m, "sve_sync_from_fpsimd_zeropad"));
    assert!(
        z_hi_zero(&m, a, 0)
            && m.user_view(a).unwrap().z[0][..16]
                .iter()
                .all(|&b| b == 0x5a)
    );
    // An SVE payload at an unsupported VL: the VL changes anyway and the write fails (EIO).
    let (mut m, a, _) = two(V519);
    step(&mut m, ctxsw(0, Next::Idle));
    let req = PtraceReq::SetSve {
        vl: 48,
        flags: 0,
        payload: SvePayload::Sve {
            writes: vec![],
            partial: false,
        },
    };
    step(&mut m, Op::Ptrace { task: a, req });
    assert_eq!(m.task(a).vl, 32, "VL set to the supported 32");
    assert!(m
        .events()
        .iter()
        .any(|e| e.event == Event::VlChange { vl: 32 }));
    // A full SVE payload makes the tracee SVE-format and is what it reads back.
    let req = PtraceReq::SetSve {
        vl: 32,
        flags: 0,
        payload: SvePayload::Sve {
            writes: vec![RegWrite {
                reg: Reg::P(3),
                value: Value::Ones,
            }],
            partial: false,
        },
    };
    step(&mut m, Op::Ptrace { task: a, req });
    assert!(m.task(a).tif_sve);
    assert!(m.user_view(a).unwrap().p[3].iter().all(|&b| b == 0xff));
}

#[test]
fn t12_kernel_mode_neon_in_task_context_and_in_softirq() {
    let (mut m, a, _) = two(V519);
    step(&mut m, fp_write(a, 7, 0x7777));
    step(&mut m, Op::KernelNeon { cpu: CpuId(0) });
    assert!(
        has(&m, "fpsimd_flush_cpu_state") && has(&m, "task_fpsimd_load"),
        "softirq NEON unbinds, the IRQ return reloads"
    );
    assert_eq!(m.user_view(a).unwrap().v(7), 0x7777);
    step(&mut m, svc(a, Syscall::KernelNeon));
    assert_eq!(m.user_view(a).unwrap().v(7), 0x7777);
    // On an idle CPU: only the binding goes, and the kernel's values stay in the registers.
    step(&mut m, Op::KernelNeon { cpu: CpuId(1) });
    assert_eq!(m.cpu(CpuId(1)).last.st, None);
    assert_eq!(m.cpu(CpuId(1)).regs.v(0), KERNEL_NEON_VALUE);
}

#[test]
fn t13_cpu_pm_and_hotplug_forget_the_binding() {
    let (mut m, a, _) = two(V519);
    step(&mut m, fp_write(a, 0, 9));
    step(
        &mut m,
        Op::Migrate {
            task: a,
            cpu: CpuId(1),
        },
    );
    step(&mut m, Op::CpuPm { cpu: CpuId(0) });
    assert_eq!(m.cpu(CpuId(0)).last.st, None);
    step(&mut m, Op::CpuOffline { cpu: CpuId(0) });
    assert!(!m.cpu(CpuId(0)).online);
    assert!(
        m.apply(&ctxsw(0, Next::Task(a))).is_err(),
        "no switching onto an offline CPU"
    );
    assert_eq!(m.user_view(a).unwrap().v(0), 9);
}

#[test]
fn t14_exit_releases_sve_state() {
    let (mut m, a, _) = two(V519);
    step(&mut m, sve_write(a, 0, 1));
    step(&mut m, svc(a, Syscall::Exit));
    assert!(!m.task(a).alive() && m.task(a).sve_state.is_none());
    assert_eq!(m.current(CpuId(0)), None);
}

#[test]
fn patch_2_records_fp_type_on_every_save_and_warns_on_a_mismatched_load() {
    for k in [p(1), p(2), V62] {
        let (mut m, a, b) = two(k);
        step(&mut m, sve_write(a, 0, 1));
        step(&mut m, ctxsw(0, Next::Task(b)));
        assert_eq!(
            m.cpu(CpuId(0)).last.fp_type,
            if k.p2_fp_type() {
                Some(Owner::Task(b))
            } else {
                None
            },
            "{k}"
        );
        if k.p2_fp_type() {
            assert_eq!(m.task(a).fp_type, FpType::Sve, "{k}: SVE save recorded");
        }
    }
}

#[test]
fn patch_5_derives_tif_sve_from_fp_type_at_load() {
    // A task saved in FPSIMD format inside a syscall comes back with TIF_SVE dropped and the
    // trap armed (patch 5's "stop tracking SVE until next use"); before patch 6 TIF_SVE was
    // already clear, so the gate shows with patch 6's syscall behaviour.
    for k in [p(6), V62] {
        let (mut m, a, b) = two(k);
        step(&mut m, sve_write(a, 0, 1));
        step(&mut m, svc(a, Syscall::Yield(Next::Task(b))));
        step(&mut m, fp_write(b, 0, 2));
        step(&mut m, ctxsw(0, Next::Task(a)));
        assert!(
            !m.task(a).tif_sve && !m.cpu(CpuId(0)).cpacr_zen_el0en,
            "{k}"
        );
        assert!(
            m.events().iter().any(|e| matches!(
                e.event,
                Event::TaskFpsimdLoad {
                    format: Format::Fpsimd,
                    ..
                }
            )),
            "{k}: loaded by fp_type"
        );
    }
}

#[test]
fn counters_are_kept_per_task_and_per_cpu() {
    let (mut m, a, _) = two(V519);
    step(&mut m, sve_write(a, 0, 1));
    assert_eq!(m.task(a).counters.get(Counter::SveTraps), 1);
    assert_eq!(m.cpu(CpuId(0)).counters.get(Counter::SveTraps), 1);
    assert_eq!(m.cpu(CpuId(1)).counters.get(Counter::SveTraps), 0);
}

/// `sve_get_common()` in SVE format copies `sve_state` and the FPSR/FPCR words: the payload
/// has no V registers of its own, so a tracer's V is Z[127:0] of the payload
/// (`arch/arm64/kernel/ptrace.c`, the `SVE_PT_REGS_SVE` branch; `asm/ptrace.h` documents
/// `SVE_PT_SVE_ZREG_OFFSET` and no V offset). A stale `uw.fpsimd_state` must not leak into
/// what the tracer is told. Found by reading the real kernel's regset the way a debugger
/// does (`core/src/real/observe.rs`).
#[test]
fn tracer_v_after_an_sve_format_read_is_z_low_128_bits_of_the_payload() {
    for k in Kernel::ALL {
        let src = "task A vl=512 on=cpu0\ntask B vl=512\nfp-op A v0=0x1234\n\
                   sve-op A z0=fill(0x11)\nctxsw cpu0 B\nptrace A get NT_ARM_SVE\n";
        let (mut s, d) = svelab_core::Session::from_source(&format!("kernel {}\n{src}", k.name()));
        assert!(d.is_empty(), "{d:?}");
        s.run(&svelab_core::RunOptions::default());
        assert_eq!(s.eval("tracer.format").unwrap(), "sve", "{k}");
        assert_eq!(s.eval("tracer.v0").unwrap(), "fill(0x11)", "{k}");
        assert_eq!(
            s.eval("tracer.v0").unwrap(),
            s.eval("tracer.z0[127:0]").unwrap(),
            "{k}"
        );
    }
}

/// `thread.fp_type` arrives with patch 2 ("Track the saved FPSIMD state type separately to
/// TIF_SVE"); v5.19 and patch 1 have no such field, so a script cannot read it there.
#[test]
fn fp_type_is_an_error_before_patch_2_and_a_value_from_it() {
    for k in Kernel::ALL {
        let src = format!("kernel {}\ntask A vl=512 on=cpu0\nvcpu V sve\n", k.name());
        let (mut s, d) = svelab_core::Session::from_source(&src);
        assert!(d.is_empty(), "{d:?}");
        s.run(&svelab_core::RunOptions::default());
        for path in ["A.fp_type", "V.fp_type", "cpu0.last.fp_type"] {
            let r = s.eval(path);
            if k.p2_fp_type() {
                assert!(r.is_ok(), "{k} {path}: {r:?}");
            } else {
                let e = r.unwrap_err();
                assert!(e[0].message.contains("patch 2"), "{k} {path}: {e:?}");
            }
        }
    }
}

/// Probing the vector lengths (`vec_probe_vqs()`, `sve_probe_vqs()` at v5.19) writes
/// `ZCR_EL1.LEN` from the largest VQ down to the smallest, at boot and again when a CPU
/// comes online (`verify_sve_features()`), so a CPU starts at its lowest VL, and the first
/// SVE use at a longer VL writes `ZCR_EL1` (`sve_set_vq()` writes only on a change).
#[test]
fn a_cpu_starts_at_its_lowest_vl_and_the_first_sve_use_writes_zcr() {
    for k in Kernel::ALL {
        let src = format!(
            "kernel {}\ncpus 2\nexpect cpu0.ZCR_EL1.LEN == 0\nexpect cpu1.ZCR_EL1.LEN == 0\n\
             task A vl=512 on=cpu0\nsve-op A z0=0x1\nexpect cpu0.ZCR_EL1.LEN == 3\n\
             expect A.zcr_writes == 1\ncpu-offline cpu1\ncpu-online cpu1\n\
             expect cpu1.ZCR_EL1.LEN == 0\n",
            k.name()
        );
        let (mut s, d) = svelab_core::Session::from_source(&src);
        assert!(d.is_empty(), "{d:?}");
        let r = s.run(&svelab_core::RunOptions::default());
        assert_eq!(
            r.stop,
            svelab_core::session::StopReason::End,
            "{k}: {:?}",
            r.last
        );
        assert_eq!(r.expect_failures, 0, "{k}");
    }
}

mod signals;
