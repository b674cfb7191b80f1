//! Shared helpers of svelab's test suite: build machines and drive them with operations
//! written compactly, without going through the DSL (the DSL has its own tests).

use svelab_core::model::event::Counter;
use svelab_core::model::kernel::Kernel;
use svelab_core::model::machine::{Config, Machine};
use svelab_core::model::op::{Next, Op, Reg, RegWrite, Syscall, TrapInterrupt, UserInsn, Value};
use svelab_core::model::types::{CpuId, TaskId};
use svelab_core::Counters;

/// A machine on `kernel` with `cpus` CPUs, VLs 128/256/512 (+2048 when `big`), and
/// `abi.sve_syscall_clear_regs` as given (only meaningful on series-v1/p7).
pub fn machine(kernel: Kernel, cpus: usize, clear_regs: bool) -> Machine {
    Machine::new(Config {
        kernel,
        cpus,
        sve_syscall_clear_regs: clear_regs,
        ..Config::default()
    })
}

/// Applies an op, panicking with the step error (tests only use possible ops).
pub fn step(m: &mut Machine, op: Op) {
    if let Err(e) = m.apply(&op) {
        panic!("step {op:?} failed: {e}");
    }
}

/// An SVE instruction by `t` writing `z{n}` with `fill(byte)`.
pub fn sve_write(t: TaskId, n: u8, byte: u8) -> Op {
    Op::User {
        task: t,
        insn: UserInsn {
            sve: true,
            writes: vec![RegWrite {
                reg: Reg::Z(n),
                value: Value::Fill(byte),
            }],
        },
        interrupt: TrapInterrupt::None,
    }
}

/// `op` (an instruction at EL0) with its SVE trap interrupted as `interrupt` says.
pub fn interrupted(op: Op, interrupt: TrapInterrupt) -> Op {
    match op {
        Op::User { task, insn, .. } => Op::User {
            task,
            insn,
            interrupt,
        },
        other => panic!("{other:?} is not an instruction at EL0"),
    }
}

/// An SVE instruction by `t` writing every Z, P and FFR with `pattern(seed)`.
pub fn sve_pattern(t: TaskId, seed: u8) -> Op {
    let mut writes: Vec<RegWrite> = (0..32)
        .map(|n| RegWrite {
            reg: Reg::Z(n),
            value: Value::Pattern(seed),
        })
        .collect();
    writes.extend((0..16).map(|n| RegWrite {
        reg: Reg::P(n),
        value: Value::Pattern(seed),
    }));
    writes.push(RegWrite {
        reg: Reg::Ffr,
        value: Value::Pattern(seed),
    });
    Op::User {
        task: t,
        insn: UserInsn { sve: true, writes },
        interrupt: TrapInterrupt::None,
    }
}

/// An FP/AdvSIMD instruction by `t` writing `v{n}`.
pub fn fp_write(t: TaskId, n: u8, value: u128) -> Op {
    Op::User {
        task: t,
        insn: UserInsn {
            sve: false,
            writes: vec![RegWrite {
                reg: Reg::V(n),
                value: Value::Hex(value.to_le_bytes().to_vec()),
            }],
        },
        interrupt: TrapInterrupt::None,
    }
}

/// A syscall.
pub fn svc(t: TaskId, call: Syscall) -> Op {
    Op::Svc { task: t, call }
}

/// `ctxsw cpuN next`.
pub fn ctxsw(cpu: u8, next: Next) -> Op {
    Op::Ctxsw {
        cpu: CpuId(cpu),
        next,
    }
}

/// Runs `body` `n` times and returns the counter changes of `who` (a task) over them.
pub fn per_task_delta(m: &mut Machine, who: TaskId, n: u64, body: &[Op]) -> Counters {
    let before = m.task(who).counters;
    for _ in 0..n {
        for op in body {
            step(m, op.clone());
        }
    }
    m.task(who).counters.since(&before)
}

/// The counters of a delta divided by `n`, checking that each divides exactly.
pub fn per_iteration(delta: &Counters, n: u64) -> Vec<(Counter, u64)> {
    Counter::ALL
        .into_iter()
        .map(|c| {
            let v = delta.get(c);
            assert_eq!(v % n, 0, "{} = {v} is not a multiple of {n}", c.name());
            (c, v / n)
        })
        .collect()
}
