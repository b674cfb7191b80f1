//! Raw model throughput: operations per second of `Machine::apply`.
//!
//! * the getpid loop {SVE instruction; getpid()} of the headline table, one task, at 128,
//!   512 and 2048 bits, on v5.19 (a trap per iteration) and v6.2 (no trap);
//! * a random 4-CPU workload (4 tasks: SVE and FP work, syscalls, yields, switches,
//!   migrations, kernel-mode NEON) at 128 and 2048 bits.
//!
//! Target (issue #2): at least 5 million operations per second on the getpid loop at 512
//! bits on one core. Target (issue #16): the getpid loop at 512 bits on v5.19 within 3× of
//! [`Bare`], a hand-written loop that does the same per-iteration work without the model's
//! generality (measured in the same run as `getpid_loop/bare/512`). On this 2-core machine
//! the ratio was 2.09–2.75×, median 2.37× over eight paired runs (both loops vary by up to
//! 30% from run to run here); 2.65–3.92× (median 2.7×) before the register arrays became
//! copy-on-write and were saved and loaded with one borrow each, 3.5× before the event
//! counting and validation were made cheaper.

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
        vls: vec![16, vl].into(),
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
    // The hand-written baseline at 512 bits, in the same run (issue #16: the model within 3×).
    let mut bare = Bare::new(64);
    g.bench_function(BenchmarkId::new("bare", 512), |b| {
        b.iter(|| {
            for _ in 0..OPS / 2 {
                bare.sve_op();
                black_box(&bare.events);
                black_box(bare.getpid());
                black_box(&bare.events);
            }
        })
    });
    g.finish();
}

/// The baseline: the work one iteration of the v5.19 getpid loop must do at least, written
/// by hand for exactly this loop — the flags and `CPACR_EL1`, the `sve_alloc()` memset of
/// the whole `sve_state` buffer, `sve_flush_live()` on the registers, the instruction's
/// write of Z0, and one event record per kernel function with the per-task and per-CPU
/// counters the model keeps.
struct Bare {
    vl: usize,
    tif_sve: bool,
    tif_foreign_fpstate: bool,
    zen_el0en: bool,
    in_syscall: bool,
    /// Z0–Z31, P0–P15, FFR, `vl` bytes per Z.
    z: Vec<u8>,
    p: Vec<u8>,
    ffr: Vec<u8>,
    sve_state: Vec<u8>,
    events: Vec<(u8, u64)>,
    task_counters: [u64; 24],
    cpu_counters: [u64; 24],
}

impl Bare {
    fn new(vl: usize) -> Bare {
        Bare {
            vl,
            tif_sve: false,
            tif_foreign_fpstate: false,
            zen_el0en: false,
            in_syscall: false,
            z: vec![0; 32 * vl],
            p: vec![0; 16 * vl / 8],
            ffr: vec![0; vl / 8],
            sve_state: vec![0; 546 * vl / 16],
            events: Vec::with_capacity(16),
            task_counters: [0; 24],
            cpu_counters: [0; 24],
        }
    }

    fn event(&mut self, f: u8, payload: u64) {
        self.events.push((f, payload));
        self.task_counters[usize::from(f)] += 1;
        self.cpu_counters[usize::from(f)] += 1;
    }

    /// `sve-op A z0=fill(0xaa)`: on v5.19 every iteration traps (`do_sve_acc`).
    fn sve_op(&mut self) {
        self.events.clear();
        if !self.zen_el0en {
            self.event(0, 0); // do_sve_acc
            self.sve_state.fill(0); // sve_alloc: memset of the existing buffer
            self.event(1, self.sve_state.len() as u64);
            self.tif_sve = true;
            self.event(2, 1); // sve_init_regs, live
            let vl = self.vl;
            for r in self.z.chunks_mut(vl) {
                r[16..].fill(0); // sve_flush_live: Z above bit 127
            }
            self.p.fill(0);
            self.ffr.fill(0);
            self.event(3, 1);
            self.tif_foreign_fpstate = false; // fpsimd_bind_task_to_cpu
            self.event(4, 0);
            self.zen_el0en = self.tif_sve; // sve_user_enable
            self.event(5, 1);
        }
        self.z[..self.vl].fill(0xaa);
    }

    /// `svc A getpid`: el0_svc, fp_user_discard() clears TIF_SVE and disables EL0 SVE.
    fn getpid(&mut self) -> i64 {
        self.events.clear();
        self.in_syscall = true;
        self.event(6, 172); // el0_svc
        if self.tif_sve {
            self.tif_sve = false; // fp_user_discard
            self.event(7, 0);
            self.zen_el0en = false; // sve_user_disable
            self.event(8, 0);
        }
        self.in_syscall = false;
        1
    }
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
