//! The canonical form of a state and its key.
//!
//! A state is the whole machine and the ABI oracle's promises. Its canonical form renumbers
//! the tasks and the CPUs (they are interchangeable: two tasks that swap every value are the
//! same scenario) and drops what no later step reads; the key is every byte the `Hash` of
//! that form writes. The form is never built: the state is hashed in place, tasks and CPUs
//! in the canonical order, with a [`Renumbering`] in effect, so that every task and CPU id,
//! wherever it is, hashes as its canonical number. Because the key is the `Hash` of every
//! part, a field added to a model type is part of the key without anyone listing it; the
//! writers below destructure the types they leave fields of out without `..`, so a new
//! field there does not compile until someone decides.
//!
//! Left out, because no operation, invariant or oracle promise ever reads them:
//! * the event counters of CPUs and tasks, the last step's events and step violations, the
//!   event attribution context, and the two transient fields that live within one step;
//! * task names (labels; tasks are interchangeable);
//! * `x0` of tasks and signal frames: syscall return values (`getpid` returns a per-task
//!   pid), which the model saves and restores but never branches on;
//! * the absolute `sve_state` generation numbers: a binding's buffer pointer matters only as
//!   "still the owner's current buffer" or "stale" (`sve_ref` equality), so the key records
//!   exactly that, and neither a buffer's allocation number (`SveBuf`'s `Hash` leaves it
//!   out) nor the allocation counter.
//!
//! The renumbering sorts tasks and CPUs by a signature that does not depend on their
//! numbers. Any order is sound (renumbering consistently never merges two states that
//! differ); the signature only makes mirror states meet.

use crate::model::machine::{Cpu, LastState, Machine, Task};
use crate::model::oracle::AbiOracle;
use crate::model::shared::hash_contents;
use crate::model::types::{CpuId, Renumbering, TaskId};
use crate::model::uapi::SigFrame;
use std::hash::{Hash, Hasher};

/// Writes the canonical form of `(m, o)` into `out`, leaving the state as it is: tasks
/// and CPUs are written in the canonical order, and every id hashes as its canonical
/// number ([`Renumbering`]). Register storage is written as its contents when `contents`
/// is set (exact keys), otherwise as the 128-bit digest of its contents (fingerprints: an
/// unchanged array costs 16 bytes, see [`crate::model::shared`]); the canonical order
/// is the same either way.
pub(super) fn encode<H: Hasher>(m: &Machine, o: &AbiOracle, out: &mut H, contents: bool) {
    let (torder, corder) = orders(m, o);
    let renumbering = Renumbering::from_orders(&torder, &corder);
    Renumbering::within(renumbering, || {
        if contents {
            hash_contents(|| write(m, o, &torder, &corder, out));
        } else {
            write(m, o, &torder, &corder, out);
        }
    });
}

/// Writes the state's key: the `Hash` of every part it keeps, tasks and CPUs in `torder`
/// and `corder`.
fn write<H: Hasher>(m: &Machine, o: &AbiOracle, torder: &[usize], corder: &[usize], out: &mut H) {
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
    out.write_usize(cpus.len());
    for &i in corder {
        write_cpu(m, &cpus[i], out);
    }
    out.write_usize(tasks.len());
    for &i in torder {
        write_task(&tasks[i], out);
    }
    vcpus.hash(out);
    warned_once.hash(out);
    tracer_buf.hash(out);
    o.hash_in_order(torder, out);
}

/// A CPU without its event counters, its binding's buffer as "the owner's current
/// buffer" or "stale".
fn write_cpu<H: Hasher>(m: &Machine, cpu: &Cpu, out: &mut H) {
    let Cpu {
        regs,
        zcr_len,
        cpacr_zen_el0en,
        last,
        curr,
        online,
        counters: _,
    } = cpu;
    let LastState {
        st,
        sve_state,
        sve_vl,
        fp_type,
        to_save,
    } = last;
    regs.hash(out);
    zcr_len.hash(out);
    cpacr_zen_el0en.hash(out);
    st.hash(out);
    sve_state
        .map(|r| (r.owner, m.sve_ref(r.owner) == Some(r)))
        .hash(out);
    sve_vl.hash(out);
    fp_type.hash(out);
    to_save.hash(out);
    curr.hash(out);
    online.hash(out);
}

/// A task without its name, `x0` (also its frames'), event counters and allocation count.
fn write_task<H: Hasher>(task: &Task, out: &mut H) {
    let Task {
        name: _,
        tif_foreign_fpstate,
        tif_sve,
        tif_sve_vl_inherit,
        fpsimd_state,
        sve_state,
        vl,
        vl_onexec,
        fpsimd_cpu,
        fp_type,
        in_syscall,
        state,
        level,
        pending,
        frames,
        x0: _,
        counters: _,
        ghost_v_newest,
        sve_generation: _,
        ghost_ran_vcpu,
        sig_actions,
    } = task;
    (tif_foreign_fpstate, tif_sve, tif_sve_vl_inherit).hash(out);
    fpsimd_state.hash(out);
    sve_state.hash(out);
    (vl, vl_onexec, fpsimd_cpu, fp_type, in_syscall).hash(out);
    (state, level, pending).hash(out);
    out.write_usize(frames.len());
    for f in frames {
        let SigFrame {
            sig,
            fpsimd,
            sve,
            x0: _,
            retry,
        } = f;
        (sig, fpsimd, sve, retry).hash(out);
    }
    (ghost_v_newest, ghost_ran_vcpu, sig_actions).hash(out);
}

/// The key of a state as bytes: exact (register contents) or as the fingerprint mode
/// streams it (register digests).
#[cfg(test)]
pub(super) fn key_bytes_as(m: &Machine, o: &AbiOracle, contents: bool) -> Vec<u8> {
    let mut out = crate::model::digest::HashBytes::default();
    encode(m, o, &mut out, contents);
    out.0
}

/// The exact key of a state.
#[cfg(test)]
pub(super) fn key_bytes(m: &Machine, o: &AbiOracle) -> Vec<u8> {
    key_bytes_as(m, o, true)
}

/// The canonical order of the tasks and of the CPUs: sorted by a signature that does not
/// depend on their numbers (ties keep the numbers' order).
fn orders(m: &Machine, o: &AbiOracle) -> (Order, Order) {
    let torder = Order::by(m.tasks.len(), |i| task_signature(m, o, TaskId(i as u16)));
    let corder = Order::by(m.cpus.len(), |i| cpu_signature(m, CpuId(i as u8)));
    (torder, corder)
}

/// The indices `0..len` sorted by a signature, ties by index. Every key computes two, so
/// an order of up to [`Order::INLINE`] ids (every machine explore builds) stays on the
/// stack; a larger one is a vector.
enum Order {
    Inline([usize; Order::INLINE], usize),
    Heap(Vec<usize>),
}

impl Order {
    const INLINE: usize = 8;

    fn by(len: usize, signature: impl Fn(usize) -> u64) -> Order {
        // (signature, index) pairs sorted in `pairs`, the indices then written to `ix`.
        let sort = |pairs: &mut [(u64, usize)], ix: &mut [usize]| {
            for (i, p) in pairs.iter_mut().enumerate() {
                *p = (signature(i), i);
            }
            pairs.sort_unstable();
            for (x, (_, i)) in ix.iter_mut().zip(pairs.iter()) {
                *x = *i;
            }
        };
        if len <= Order::INLINE {
            let mut pairs = [(0, 0); Order::INLINE];
            let mut ix = [0; Order::INLINE];
            sort(&mut pairs[..len], &mut ix[..len]);
            Order::Inline(ix, len)
        } else {
            let mut ix = vec![0; len];
            sort(&mut vec![(0, 0); len], &mut ix);
            Order::Heap(ix)
        }
    }
}

impl std::ops::Deref for Order {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match self {
            Order::Inline(ix, len) => &ix[..*len],
            Order::Heap(ix) => ix,
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
    o.hash_task(t, &mut h);
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

#[cfg(test)]
mod order_tests {
    use super::Order;

    /// On the stack or in a vector, an order is the indices sorted by signature, ties by
    /// index.
    #[test]
    fn an_order_sorts_by_signature_then_index_at_any_size() {
        for len in [0, 1, 3, Order::INLINE, Order::INLINE + 1, 20] {
            let sig = |i: usize| ((i * 7) % 5) as u64;
            let mut want: Vec<usize> = (0..len).collect();
            want.sort_by_key(|&i| (sig(i), i));
            let got = Order::by(len, sig);
            assert_eq!(&*got, &want[..], "{len} ids");
            assert_eq!(matches!(got, Order::Inline(..)), len <= Order::INLINE);
        }
    }
}
