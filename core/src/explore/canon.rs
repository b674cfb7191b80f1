//! The canonical form of a state and its key.
//!
//! A state is the whole machine and the ABI oracle's promises. Its canonical form renumbers
//! the tasks and the CPUs (they are interchangeable: two tasks that swap every value are the
//! same scenario) and drops what no later step reads; the key is every byte the derived
//! `Hash` of that form writes. Because the key is the derived `Hash` of every part, a field
//! added to a model type is part of the key without anyone listing it; the functions below
//! destructure each type that needs renumbering without `..`, so a new field there does not
//! compile until someone decides how it is renumbered.
//!
//! Left out, because no operation, invariant or oracle promise ever reads them:
//! * the event counters of CPUs and tasks, the last step's events and step violations, the
//!   event attribution context, and the two transient fields that live within one step;
//! * task names (labels; tasks are interchangeable);
//! * `x0` of tasks and signal frames: syscall return values (`getpid` returns a per-task
//!   pid), which the model saves and restores but never branches on;
//! * the absolute `sve_state` generation numbers: a binding's buffer pointer matters only as
//!   "still the owner's current buffer" or "stale" (`sve_ref` equality), so the canonical
//!   form records exactly that, and the allocation counter is dropped.
//!
//! The renumbering sorts tasks and CPUs by a signature that does not depend on their
//! numbers. Any order is sound (renumbering consistently never merges two states that
//! differ); the signature only makes mirror states meet.

use crate::model::event::Counters;
use crate::model::machine::{Cpu, LastState, Machine, Task};
use crate::model::oracle::AbiOracle;
use crate::model::regs::{Origin, Origins, SveBuf, UserFpsimdState};
use crate::model::shared::hash_contents;
use crate::model::types::{CpuId, Curr, Owner, TaskId};
use crate::model::uapi::{RegsetDump, SigFrame, SveRecord};
use crate::model::vcpu::Vcpu;
use std::hash::{Hash, Hasher};

/// Writes the canonical form of `(m, o)` into `out`. Consumes the state: `m` and `o` are
/// left canonicalised. Register storage is written as its contents when `contents` is
/// set (exact keys), otherwise as the 128-bit digest of its contents (fingerprints: an
/// unchanged array costs 16 bytes, see [`crate::model::shared`]); the canonical order
/// is the same either way.
pub(super) fn encode<H: Hasher>(m: &mut Machine, o: &mut AbiOracle, out: &mut H, contents: bool) {
    canonicalise(m, o);
    if contents {
        hash_contents(|| write(m, o, out));
    } else {
        write(m, o, out);
    }
}

/// Writes the (canonicalised) state's key: the derived `Hash` of every part it keeps.
fn write<H: Hasher>(m: &Machine, o: &AbiOracle, out: &mut H) {
    let Machine {
        config,
        cpus,
        tasks,
        vcpus,
        warned_once,
        tracer_buf,
        events: _,
        step_violations: _,
        ctx: _,
        sigreturn_retry: _,
        return_preempt: _,
    } = m;
    config.hash(out);
    cpus.hash(out);
    tasks.hash(out);
    vcpus.hash(out);
    warned_once.hash(out);
    tracer_buf.hash(out);
    o.hash(out);
}

/// The key of a state as bytes, without changing it: exact (register contents) or as
/// the fingerprint mode streams it (register digests).
#[cfg(test)]
pub(super) fn key_bytes_as(m: &Machine, o: &AbiOracle, contents: bool) -> Vec<u8> {
    let (mut m, mut o) = (m.clone(), o.clone());
    let mut out = crate::model::digest::HashBytes::default();
    encode(&mut m, &mut o, &mut out, contents);
    out.0
}

/// The exact key of a state, without changing it.
#[cfg(test)]
pub(super) fn key_bytes(m: &Machine, o: &AbiOracle) -> Vec<u8> {
    key_bytes_as(m, o, true)
}

/// Renumbers tasks and CPUs into the canonical order and clears what the key leaves out.
fn canonicalise(m: &mut Machine, o: &mut AbiOracle) {
    let nt = m.tasks.len();
    let nc = m.cpus.len();
    let tsig: Vec<u64> = (0..nt)
        .map(|i| task_signature(m, o, TaskId(i as u16)))
        .collect();
    let csig: Vec<u64> = (0..nc).map(|i| cpu_signature(m, CpuId(i as u8))).collect();
    let mut torder: Vec<usize> = (0..nt).collect();
    torder.sort_by_key(|&i| (tsig[i], i));
    let mut corder: Vec<usize> = (0..nc).collect();
    corder.sort_by_key(|&i| (csig[i], i));
    let tasks_move = torder.iter().enumerate().any(|(i, &j)| i != j);
    let cpus_move = corder.iter().enumerate().any(|(i, &j)| i != j);
    let mut perm = Perm {
        task: vec![0; nt],
        cpu: vec![0; nc],
        tasks_move,
    };
    for (new, &old) in torder.iter().enumerate() {
        perm.task[old] = new as u16;
    }
    for (new, &old) in corder.iter().enumerate() {
        perm.cpu[old] = new as u8;
    }
    // Bindings: "the owner's current buffer" or "stale", before anything is renumbered.
    for i in 0..nc {
        if let Some(r) = m.cpus[i].last.sve_state {
            let current = m.sve_ref(r.owner) == Some(r);
            if let Some(r) = &mut m.cpus[i].last.sve_state {
                r.generation = u32::from(current);
            }
        }
    }
    m.events.clear();
    m.step_violations.clear();
    m.ctx = (None, None);
    m.sigreturn_retry = None;
    m.return_preempt = None;
    for cpu in &mut m.cpus {
        perm.cpu_fields(cpu);
    }
    for task in &mut m.tasks {
        perm.task_fields(task);
    }
    for v in &mut m.vcpus {
        perm.vcpu_fields(v);
    }
    if let Some(d) = &mut m.tracer_buf {
        perm.dump(d);
    }
    if tasks_move {
        reorder(&mut m.tasks, &torder);
        o.reorder_tasks(&torder);
    }
    if cpus_move {
        reorder(&mut m.cpus, &corder);
    }
}

/// `v[i]` becomes the old `v[order[i]]`, in place (by following each cycle).
pub(super) fn reorder<T>(v: &mut [T], order: &[usize]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        let mut j = start;
        while !done[j] {
            done[j] = true;
            let k = order[j];
            if k == start {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// Old number to new number.
struct Perm {
    task: Vec<u16>,
    cpu: Vec<u8>,
    /// Does any task get a new number? (Register origins name only tasks: when none
    /// moves, they stay as they are.)
    tasks_move: bool,
}

impl Perm {
    fn t(&self, t: &mut TaskId) {
        t.0 = self.task[usize::from(t.0)];
    }

    fn c(&self, c: &mut CpuId) {
        c.0 = self.cpu[usize::from(c.0)];
    }

    fn origin(&self, o: &mut Origin) {
        match o {
            Origin::Task(t) => self.t(t),
            Origin::Zero | Origin::Vcpu(_) | Origin::Kernel => {}
        }
    }

    fn origins(&self, o: &mut Origins) {
        if !self.tasks_move {
            return;
        }
        let Origins { z_lo, z_hi, p, ffr } = o;
        for x in z_lo.iter_mut().chain(z_hi.iter_mut()).chain(p.iter_mut()) {
            self.origin(x);
        }
        self.origin(ffr);
    }

    fn owner(&self, o: &mut Owner) {
        match o {
            Owner::Task(t) => self.t(t),
            Owner::Vcpu(_) => {}
        }
    }

    fn fpsimd(&self, s: &mut UserFpsimdState) {
        let UserFpsimdState {
            vregs: _,
            fpsr: _,
            fpcr: _,
            origin,
        } = s;
        if !self.tasks_move {
            return;
        }
        for x in origin {
            self.origin(x);
        }
    }

    /// A buffer; `generation` is its canonical generation (1 for an owner's current
    /// buffer, 0 for copies, whose generation nothing compares).
    fn buf(&self, b: &mut SveBuf, generation: u32) {
        let SveBuf {
            vq: _,
            bytes: _,
            generation: g,
            origin,
        } = b;
        *g = generation;
        self.origins(origin);
    }

    fn cpu_fields(&self, cpu: &mut Cpu) {
        let Cpu {
            regs,
            zcr_len: _,
            cpacr_zen_el0en: _,
            last,
            curr,
            online: _,
            counters,
        } = cpu;
        self.origins(&mut regs.origin);
        let LastState {
            st,
            sve_state,
            sve_vl: _,
            fp_type,
            to_save: _,
        } = last;
        for o in [st, fp_type].into_iter().flatten() {
            self.owner(o);
        }
        if let Some(r) = sve_state {
            self.owner(&mut r.owner);
        }
        if let Curr::Task(t) = curr {
            self.t(t);
        }
        *counters = Counters::default();
    }

    fn task_fields(&self, task: &mut Task) {
        let Task {
            name,
            tif_foreign_fpstate: _,
            tif_sve: _,
            tif_sve_vl_inherit: _,
            fpsimd_state,
            sve_state,
            vl: _,
            vl_onexec: _,
            fpsimd_cpu,
            fp_type: _,
            in_syscall: _,
            state: _,
            level: _,
            pending: _,
            frames,
            x0,
            counters,
            ghost_v_newest: _,
            sve_generation,
            ghost_ran_vcpu: _,
            sig_actions: _,
        } = task;
        name.clear();
        self.fpsimd(fpsimd_state);
        if let Some(b) = sve_state {
            self.buf(b, 1);
        }
        if let Some(c) = fpsimd_cpu {
            self.c(c);
        }
        for f in frames {
            let SigFrame {
                sig: _,
                fpsimd,
                sve,
                x0,
                retry: _,
            } = f;
            if let Some(s) = fpsimd {
                self.fpsimd(s);
            }
            if let Some(SveRecord {
                vl: _,
                size: _,
                payload: Some(b),
            }) = sve
            {
                self.buf(b, 0);
            }
            *x0 = 0;
        }
        *x0 = 0;
        *counters = Counters::default();
        *sve_generation = 0;
    }

    fn vcpu_fields(&self, v: &mut Vcpu) {
        let Vcpu {
            name: _,
            has_sve: _,
            sve_max_vl: _,
            fp_regs,
            sve_state,
            zcr_el1: _,
            guest_vl: _,
            fp_type: _,
            fp_owner: _,
            host_sve_enabled: _,
            fp_foreign_fpstate: _,
            vmm,
            in_guest: _,
        } = v;
        self.fpsimd(fp_regs);
        if let Some(b) = sve_state {
            self.buf(b, 1);
        }
        if let Some(t) = vmm {
            self.t(t);
        }
    }

    fn dump(&self, d: &mut RegsetDump) {
        let RegsetDump {
            task,
            header: _,
            fpsimd,
            sve,
        } = d;
        self.t(task);
        if let Some(s) = fpsimd {
            self.fpsimd(s);
        }
        if let Some(b) = sve {
            self.buf(b, 0);
        }
    }
}

/// A fast mixing hasher for the ordering signatures (the FxHash step).
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }
}

/// What a task looks like without its number (orders tasks; not the key).
fn task_signature(m: &Machine, o: &AbiOracle, t: TaskId) -> u64 {
    let task = m.task(t);
    let mut h = Fx::default();
    (
        task.tif_foreign_fpstate,
        task.tif_sve,
        task.tif_sve_vl_inherit,
        task.vl,
        task.vl_onexec,
        task.fp_type,
    )
        .hash(&mut h);
    (
        task.in_syscall,
        m.running_on(t).is_some(),
        task.frames.len(),
        task.pending.len(),
    )
        .hash(&mut h);
    std::mem::discriminant(&task.state).hash(&mut h);
    task.fpsimd_state.vregs.hash(&mut h);
    if let Some(b) = &task.sve_state {
        b.bytes.hash(&mut h);
    }
    o.expected_v(t).hash(&mut h);
    h.finish()
}

/// What a CPU looks like without its number (orders CPUs; not the key).
fn cpu_signature(m: &Machine, c: CpuId) -> u64 {
    let cpu = m.cpu(c);
    let mut h = Fx::default();
    (
        cpu.online,
        cpu.zcr_len,
        cpu.cpacr_zen_el0en,
        cpu.last.st.is_some(),
    )
        .hash(&mut h);
    std::mem::discriminant(&cpu.curr).hash(&mut h);
    cpu.regs.z.hash(&mut h);
    h.finish()
}

/// The exact key, with runs of zero bytes shortened (most of a register file is zero
/// above the vector length): each zero byte is written as `0, n` for a run of `n` zeros
/// (1–255). The encoding is injective.
pub(super) fn compress(bytes: &[u8]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0 {
            let n = bytes[i..].iter().take(255).take_while(|&&b| b == 0).count();
            out.push(0);
            out.push(n as u8);
            i += n;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out.into_boxed_slice()
}
