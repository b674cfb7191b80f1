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

mod fixes_6_12;
mod still_buggy;
mod syscall_kvm_trap;
