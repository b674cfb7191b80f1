//! Raw model throughput: operations per second of `Machine::apply`.
//!
//! * the getpid loop {SVE instruction; getpid()} of the headline table, one task, at 128,
//!   512 and 2048 bits, on v5.19 (a trap per iteration) and v6.2 (no trap);
//! * a random 4-CPU workload (4 tasks: SVE and FP work, syscalls, yields, switches,
//!   migrations, kernel-mode NEON) at 128 and 2048 bits.
//!
//! Target (issue #2): at least 5 million operations per second on the getpid loop at 512
//! bits on one core.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use svelab_core::model::kernel::Kernel;
use svelab_core::model::machine::{Config, Machine};
use svelab_core::model::op::{Next, Op, Reg, RegWrite, Syscall, TrapInterrupt, UserInsn, Value};
use svelab_core::model::types::{CpuId, TaskId};

fn config(kernel: Kernel, vl: u16, cpus: usize) -> Config {
    Config {
        kernel,
        cpus,
        vls: vec![16, vl],
        sve_default_vl: vl,
        ..Config::default()
    }
}

fn sve(t: TaskId, n: u8, v: Value) -> Op {
    Op::User {
        task: t,
        insn: UserInsn {
            sve: true,
            writes: vec![RegWrite {
                reg: Reg::Z(n),
                value: v,
            }],
        },
        interrupt: TrapInterrupt::None,
    }
}

fn getpid_loop(c: &mut Criterion) {
    let mut g = c.benchmark_group("getpid_loop");
    const OPS: u64 = 2_000;
    g.throughput(Throughput::Elements(OPS));
    for kernel in [Kernel::V5_19Rc1, Kernel::V6_2] {
        for vl in [16u16, 64, 256] {
            let mut m = Machine::new(config(kernel, vl, 1));
            let a = m.add_task("A", Some(vl), Some(CpuId(0))).unwrap();
            let ops = [
                sve(a, 0, Value::Fill(0xaa)),
                Op::Svc {
                    task: a,
                    call: Syscall::Getpid,
                },
            ];
            g.bench_with_input(
                BenchmarkId::new(kernel.name(), u32::from(vl) * 8),
                &ops,
                |b, ops| {
                    b.iter(|| {
                        for _ in 0..OPS / 2 {
                            for op in ops {
                                black_box(m.apply(op).unwrap());
                            }
                        }
                    })
                },
            );
        }
    }
    g.finish();
}

/// A deterministic pseudo-random workload (xorshift), generated up front.
fn workload(m: &Machine, n: usize) -> Vec<Op> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move |k: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % k
    };
    let tasks = m.tasks.len() as u64;
    (0..n)
        .map(|_| {
            let t = TaskId(rnd(tasks) as u16);
            match rnd(10) {
                0..=2 => sve(t, rnd(32) as u8, Value::Pattern(rnd(256) as u8)),
                3 => Op::User {
                    task: t,
                    insn: UserInsn {
                        sve: false,
                        writes: vec![RegWrite {
                            reg: Reg::V(rnd(32) as u8),
                            value: Value::Fill(7),
                        }],
                    },
                    interrupt: TrapInterrupt::None,
                },
                4 | 5 => Op::Svc {
                    task: t,
                    call: Syscall::Getpid,
                },
                6 => Op::Svc {
                    task: t,
                    call: Syscall::Yield(Next::Task(TaskId(rnd(tasks) as u16))),
                },
                7 => Op::Ctxsw {
                    cpu: CpuId(rnd(4) as u8),
                    next: Next::Task(TaskId(rnd(tasks) as u16)),
                },
                8 => Op::Migrate {
                    task: t,
                    cpu: CpuId(rnd(4) as u8),
                },
                _ => Op::KernelNeon {
                    cpu: CpuId(rnd(4) as u8),
                },
            }
        })
        .collect()
}

fn random_4cpu(c: &mut Criterion) {
    let mut g = c.benchmark_group("random_4cpu");
    const OPS: usize = 4_000;
    g.throughput(Throughput::Elements(OPS as u64));
    for kernel in [Kernel::V5_19Rc1, Kernel::V6_2] {
        for vl in [16u16, 256] {
            let mut m = Machine::new(config(kernel, vl, 4));
            for (i, name) in ["A", "B", "C", "D", "E", "F"].iter().enumerate() {
                m.add_task(name, Some(vl), (i < 4).then_some(CpuId(i as u8)))
                    .unwrap();
            }
            let ops = workload(&m, OPS);
            let start = m.clone();
            g.bench_with_input(
                BenchmarkId::new(kernel.name(), u32::from(vl) * 8),
                &ops,
                |b, ops| {
                    b.iter_batched_ref(
                        || start.clone(),
                        |m| {
                            for op in ops {
                                // Impossible steps (a task that is not running) are rejected
                                // without changing the machine; they count as operations too.
                                let _ = black_box(m.apply(op));
                            }
                        },
                        criterion::BatchSize::LargeInput,
                    )
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, getpid_loop, random_4cpu);
criterion_main!(benches);
