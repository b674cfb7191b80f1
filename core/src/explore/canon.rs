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
use crate::model::types::{CpuId, Curr, Owner, TaskId};
use crate::model::uapi::{RegsetDump, SigFrame, SveRecord};
use crate::model::vcpu::Vcpu;
use std::hash::{Hash, Hasher};

/// Collects the bytes a derived `Hash` writes: the exact key.
#[derive(Debug, Default)]
pub(super) struct KeyBytes(pub(super) Vec<u8>);

impl Hasher for KeyBytes {
    fn finish(&self) -> u64 {
        fingerprint(&self.0) as u64
    }
    fn write_u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Writes the canonical form of `(m, o)` into `out`. Consumes the state: `m` and `o` are
/// left canonicalised.
pub(super) fn encode<H: Hasher>(m: &mut Machine, o: &mut AbiOracle, out: &mut H) {
    canonicalise(m, o);
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

/// The exact key of a state, without changing it.
#[cfg(test)]
pub(super) fn key_bytes(m: &Machine, o: &AbiOracle) -> Vec<u8> {
    let (mut m, mut o) = (m.clone(), o.clone());
    let mut out = KeyBytes::default();
    encode(&mut m, &mut o, &mut out);
    out.0
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
    let mut perm = Perm {
        task: vec![0; nt],
        cpu: vec![0; nc],
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
    if torder.iter().enumerate().any(|(i, &j)| i != j) {
        reorder(&mut m.tasks, &torder);
        o.reorder_tasks(&torder);
    }
    if corder.iter().enumerate().any(|(i, &j)| i != j) {
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
    for z in &cpu.regs.z {
        h.write(&z[..64]);
    }
    h.finish()
}

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// Hashes the bytes written to it, as if concatenated, into a 128-bit fingerprint: two
/// 64-bit lanes mix each 16-byte block with its index by a folded multiply (the wyhash
/// construction), and the length finishes it. All-zero blocks are skipped (most of a
/// register file is zero above the vector length): the fingerprint is a hash of the
/// length and the nonzero blocks with their positions, which determine the bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fp128 {
    a: u64,
    b: u64,
    /// Bytes of the current block, little-endian (`fill` of them).
    acc: u128,
    fill: u32,
    blocks: u64,
}

impl Default for Fp128 {
    fn default() -> Self {
        Fp128 {
            a: P0,
            b: P1,
            acc: 0,
            fill: 0,
            blocks: 0,
        }
    }
}

impl Fp128 {
    fn block(&mut self, w: u128) {
        let (w0, w1) = (w as u64, (w >> 64) as u64);
        let i = self.blocks;
        self.blocks += 1;
        if w == 0 {
            return;
        }
        let x = mum(self.a ^ w0 ^ P2, w1 ^ P3 ^ i.wrapping_mul(P1));
        let y = mum(self.b ^ w1 ^ P0, w0.rotate_left(23) ^ P1 ^ i);
        self.a = x ^ self.b.rotate_left(17);
        self.b = y.wrapping_add(self.a);
    }

    /// Appends the `n` (1–8) low bytes of `x`, least significant first (as `to_le_bytes`;
    /// the model runs on little-endian hosts and wasm32, where that is `to_ne_bytes`, which
    /// the exact key writes).
    #[inline]
    fn push(&mut self, x: u64, n: u32) {
        let x = u128::from(x);
        self.acc |= x << (self.fill * 8);
        if self.fill + n >= 16 {
            let full = self.acc;
            self.block(full);
            let used = 16 - self.fill;
            self.acc = if used < n { x >> (used * 8) } else { 0 };
            self.fill = self.fill + n - 16;
        } else {
            self.fill += n;
        }
    }

    /// What writing `n` zero bytes does: the pending block completes (if it does) and
    /// the zero blocks after it are skipped.
    fn skip_zeros(&mut self, n: u64) {
        let total = u64::from(self.fill) + n;
        if total < 16 {
            self.fill = total as u32;
            return;
        }
        let pending = self.acc;
        self.block(pending);
        let rest = total - 16;
        self.blocks += rest / 16;
        self.acc = 0;
        self.fill = (rest % 16) as u32;
    }

    /// The fingerprint of everything written.
    pub(super) fn finish128(mut self) -> u128 {
        let len = self.blocks * 16 + u64::from(self.fill);
        if self.fill > 0 {
            let last = self.acc;
            self.block(last);
        }
        let hi = mum(self.a ^ P3, len ^ P0);
        let lo = mum(self.b ^ P2, hi ^ P1 ^ len.rotate_left(32));
        (u128::from(hi) << 64) | u128::from(lo)
    }
}

impl Hasher for Fp128 {
    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= 32 && bytes.iter().fold(0u8, |a, &b| a | b) == 0 {
            // Register storage above the vector length: only the position moves.
            self.skip_zeros(bytes.len() as u64);
            return;
        }
        let mut blocks = bytes.chunks_exact(16);
        if self.fill == 0 {
            for c in &mut blocks {
                self.block(u128::from_le_bytes(c.try_into().expect("16 bytes")));
            }
        } else {
            // The pending bytes, then the first 16 - fill bytes of each chunk, form a block;
            // the chunk's last fill bytes are pending after it.
            let sh = self.fill * 8;
            for c in &mut blocks {
                let w = u128::from_le_bytes(c.try_into().expect("16 bytes"));
                let full = self.acc | (w << sh);
                self.block(full);
                self.acc = w >> (128 - sh);
            }
        }
        let mut words = blocks.remainder().chunks_exact(8);
        for w in &mut words {
            self.push(u64::from_le_bytes(w.try_into().expect("8 bytes")), 8);
        }
        for &b in words.remainder() {
            self.push(u64::from(b), 1);
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.push(u64::from(x), 1);
    }
    fn write_u16(&mut self, x: u16) {
        self.push(u64::from(x), 2);
    }
    fn write_u32(&mut self, x: u32) {
        self.push(u64::from(x), 4);
    }
    fn write_u64(&mut self, x: u64) {
        self.push(x, 8);
    }
    fn write_u128(&mut self, x: u128) {
        self.push(x as u64, 8);
        self.push((x >> 64) as u64, 8);
    }
    fn write_usize(&mut self, x: usize) {
        self.push(x as u64, usize::BITS / 8);
    }
    fn write_isize(&mut self, x: isize) {
        self.push(x as u64, isize::BITS / 8);
    }
}

/// 64×64→128-bit multiply, folded.
fn mum(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// The fingerprint of an exact key (what [`Fp128`] gives for the same bytes).
pub(super) fn fingerprint(bytes: &[u8]) -> u128 {
    let mut h = Fp128::default();
    h.write(bytes);
    h.finish128()
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
