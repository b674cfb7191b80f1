//! The series' headline claim (reference section 8), as a test.
//!
//! One task using SVE at 512 bits runs a loop of {SVE instruction; getpid()}. Per
//! iteration, the v5.19 kernel disables SVE at every syscall entry (`fp_user_discard()`
//! clears `TIF_SVE` and `CPACR_EL1.ZEN_EL0EN`), so the next SVE instruction traps
//! (`do_sve_acc()`: `sve_alloc()` zeroes the buffer, `sve_flush_live()`, bind, trap
//! disabled again). Patch 6 keeps SVE enabled and only flushes at entry; patch 7 with the
//! sysctl at 0 does not even flush. v6.2 landed patch 6 without the sysctl. The last two
//! columns are Debian's kernels: 6.1.192 costs what v5.19 costs (its `fp_user_discard()`,
//! `kernel/syscall.c`, still clears `TIF_SVE` and disables EL0 SVE at every syscall), and
//! 6.12.118 what v6.2 costs (`fpsimd_syscall_enter()` flushes; the FPSIMD-only window it
//! opens changes no count here).
//!
//! The context-switch variants (a)–(d) show where the optimisation stops applying: as soon
//! as the task's state must be reloaded from memory, it was saved in FPSIMD format during
//! the syscall, so the reload drops `TIF_SVE` and the next SVE instruction traps again.

use svelab_core::model::event::Counter::{self, *};
use svelab_core::model::kernel::{Kernel, Patch};
use svelab_core::model::machine::Machine;
use svelab_core::model::op::{Next, Syscall};
use svelab_core::model::types::{CpuId, TaskId};
use svelab_tests::*;

const N: u64 = 50;

#[derive(Clone, Copy, Debug)]
struct Col {
    name: &'static str,
    kernel: Kernel,
    clear_regs: bool,
}

const COLUMNS: [Col; 7] = [
    Col {
        name: "v5.19",
        kernel: Kernel::V5_19Rc1,
        clear_regs: false,
    },
    Col {
        name: "series-v1/p6",
        kernel: Kernel::SeriesV1(Patch::P6),
        clear_regs: false,
    },
    Col {
        name: "series-v1 sysctl=0",
        kernel: Kernel::SeriesV1(Patch::P7),
        clear_regs: false,
    },
    Col {
        name: "series-v1 sysctl=1",
        kernel: Kernel::SeriesV1(Patch::P7),
        clear_regs: true,
    },
    Col {
        name: "v6.2",
        kernel: Kernel::V6_2,
        clear_regs: false,
    },
    Col {
        name: "v6.1",
        kernel: Kernel::V6_1,
        clear_regs: false,
    },
    Col {
        name: "v6.12",
        kernel: Kernel::V6_12,
        clear_regs: false,
    },
];

/// A 2-CPU machine with A (512-bit VL) running on cpu0 and B (idle, 512-bit) not running,
/// after A's first SVE use (so `sve_state` exists and the steady state is reached).
fn setup(col: Col) -> (Machine, TaskId, TaskId) {
    let mut m = machine(col.kernel, 2, col.clear_regs);
    let a = m.add_task("A", Some(64), Some(CpuId(0))).unwrap();
    let b = m.add_task("B", Some(64), None).unwrap();
    step(&mut m, sve_write(a, 0, 0x11));
    step(&mut m, svc(a, Syscall::Getpid));
    step(&mut m, sve_write(a, 0, 0x11));
    (m, a, b)
}

/// Checks one row set: `expected[i]` is the per-iteration value for `COLUMNS[i]`.
fn check(scenario: &str, counter: Counter, got: &[Vec<(Counter, u64)>], expected: [u64; 7]) {
    for (i, col) in COLUMNS.iter().enumerate() {
        let v = got[i].iter().find(|(c, _)| *c == counter).unwrap().1;
        assert_eq!(
            v,
            expected[i],
            "{scenario}: {} per iteration on {} is {v}, the reference derivation says {}",
            counter.name(),
            col.name,
            expected[i]
        );
    }
}

fn measure(body: impl Fn(TaskId, TaskId) -> Vec<svelab_core::Op>) -> Vec<Vec<(Counter, u64)>> {
    COLUMNS
        .iter()
        .map(|col| {
            let (mut m, a, b) = setup(*col);
            let ops = body(a, b);
            // Warm up one iteration so every column is in its steady state.
            per_task_delta(&mut m, a, 1, &ops);
            let d = per_task_delta(&mut m, a, N, &ops);
            let v = m.check();
            assert!(v.is_empty(), "{}: violations {v:?}", col.name);
            per_iteration(&d, N)
        })
        .collect()
}

#[test]
fn getpid_loop_costs_match_the_reference_table() {
    let got = measure(|a, _| vec![sve_write(a, 1, 0x22), svc(a, Syscall::Getpid)]);
    //                                   v5.19 p6 p7s0 p7s1 v6.2 v6.1 v6.12
    check("getpid loop", Syscalls, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("getpid loop", SveTraps, &got, [1, 0, 0, 0, 0, 1, 0]);
    check("getpid loop", SveAllocMemsets, &got, [1, 0, 0, 0, 0, 1, 0]);
    check("getpid loop", SveAllocs, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("getpid loop", SveFlushLive, &got, [1, 1, 0, 1, 1, 1, 1]);
    check("getpid loop", CpacrWrites, &got, [2, 0, 0, 0, 0, 2, 0]);
    check("getpid loop", Binds, &got, [1, 0, 0, 0, 0, 1, 0]);
    check("getpid loop", ZcrWrites, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("getpid loop", SavesFpsimd, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("getpid loop", SavesSve, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("getpid loop", LoadsFpsimd, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("getpid loop", LoadsSve, &got, [0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn z_high_bits_after_getpid_are_zero_except_with_patch_7_sysctl_0() {
    for col in COLUMNS {
        let (mut m, a, _) = setup(col);
        step(&mut m, sve_write(a, 5, 0x5a));
        step(&mut m, svc(a, Syscall::Getpid));
        let view = m.user_view(a).unwrap();
        let high_zero = view.z[5][16..].iter().all(|&b| b == 0);
        let low_kept = view.z[5][..16].iter().all(|&b| b == 0x5a);
        assert!(
            low_kept,
            "{}: V5 must survive a syscall (sve.rst §3)",
            col.name
        );
        // sve.rst §3 (from v6.1: "become zero"); patch 7 with the sysctl at 0 would have
        // left them unchanged, which the documented ABI ("unspecified") allowed at the time.
        let expect_zero = !col.kernel.p7_syscall_clear_regs_sysctl() || col.clear_regs;
        assert_eq!(
            high_zero, expect_zero,
            "{}: Z5 bits above 127 after getpid",
            col.name
        );
    }
}

#[test]
fn variant_a_blocking_syscall_with_another_fp_user() {
    // (a) A blocks in a syscall, B (an FP user) runs, A comes back: reload from memory.
    let got = measure(|a, b| {
        vec![
            sve_write(a, 1, 0x22),
            svc(a, Syscall::Yield(Next::Task(b))),
            fp_write(b, 0, 0xb0),
            ctxsw(0, Next::Task(a)),
        ]
    });
    check("(a)", SavesFpsimd, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(a)", SavesSve, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(a)", LoadsFpsimd, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(a)", LoadsSve, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(a)", SveTraps, &got, [1, 1, 1, 1, 1, 1, 1]);
    // v5.19: the trap's flush; p6/v6.2 and sysctl=1: entry flush + trap flush.
    check("(a)", SveFlushLive, &got, [1, 2, 1, 2, 2, 1, 2]);
}

#[test]
fn variant_b_switch_to_idle_and_back_without_another_fp_user() {
    // (b) Only idle ran: the binding is intact, no reload.
    let got = measure(|a, _| {
        vec![
            sve_write(a, 1, 0x22),
            svc(a, Syscall::Yield(Next::Idle)),
            ctxsw(0, Next::Task(a)),
        ]
    });
    check("(b)", SavesFpsimd, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(b)", LoadsFpsimd, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(b)", LoadsSve, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(b)", SveTraps, &got, [1, 0, 0, 0, 0, 1, 0]);
    check("(b)", SveFlushLive, &got, [1, 1, 0, 1, 1, 1, 1]);
}

#[test]
fn variant_c_preemption_at_user_level_saves_and_loads_full_sve() {
    // (c) An IRQ preempts A at EL0 (syscallno = NO_SYSCALL) and B uses FP.
    let got = measure(|a, b| {
        vec![
            sve_write(a, 1, 0x22),
            ctxsw(0, Next::Task(b)),
            fp_write(b, 0, 0xb0),
            ctxsw(0, Next::Task(a)),
        ]
    });
    check("(c)", SavesSve, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(c)", SavesFpsimd, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(c)", LoadsSve, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(c)", SveTraps, &got, [0, 0, 0, 0, 0, 0, 0]);
    check("(c)", SveFlushLive, &got, [0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn variant_d_kernel_mode_neon_inside_the_syscall() {
    // (d) A syscall whose kernel code uses NEON: like (a).
    let got = measure(|a, _| vec![sve_write(a, 1, 0x22), svc(a, Syscall::KernelNeon)]);
    check("(d)", SavesFpsimd, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(d)", LoadsFpsimd, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(d)", SveTraps, &got, [1, 1, 1, 1, 1, 1, 1]);
    check("(d)", SveFlushLive, &got, [1, 2, 1, 2, 2, 1, 2]);
    check("(d)", KernelNeon, &got, [1, 1, 1, 1, 1, 1, 1]);
}
