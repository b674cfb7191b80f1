//! The ABI oracle: what `Documentation/arm64/sve.rst` promises a task about its V
//! registers, tracked from the task's own history alone — never from kernel internals — and
//! compared with what the task would actually read ([`Machine::user_view`]).
//!
//! The promises kept here:
//! * V0–V31 (Z bits [127:0]) survive syscalls, context switches, migration, kernel-mode
//!   NEON, CPU PM, `KVM_RUN` and signal delivery (§3, §4);
//! * a vector length change keeps V0–V31 (§6);
//! * sigreturn restores V0–V31 from the frame's `fpsimd_context` (§5);
//! * fork gives the child the parent's values (§3); exec zeroes them;
//! * ptrace writes set what they write; a header-only `NT_ARM_SVE` write changes only the
//!   VL and flags (§7); a partial payload leaves the unwritten registers unspecified;
//! * a guest's registers are its own and survive everything the host does.
//!
//! Z bits above 127, P and FFR are covered by the provenance check of the invariant checker
//! (a task reads its own values or zero), since the ABI leaves their value unspecified or
//! zero in most of these cases.

use crate::model::machine::{Machine, Resume, TaskState};
use crate::model::op::{KvmOp, Op, PtraceReq, Reg, RegWrite, SvePayload, Syscall, UserInsn};
use crate::model::shared::{Digest, Shared};
use crate::model::types::{Owner, TaskId, VcpuId};
use crate::model::vcpu::FpOwner;
use crate::model::violation::{Cause, RegSlot, Rule, Violation};
use std::hash::{Hash, Hasher};

/// What V0–V31 should read: `None` where nothing is promised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct VRegs([Option<u128>; 32]);

impl VRegs {
    const ZERO: VRegs = VRegs([Some(0); 32]);
    const NONE: VRegs = VRegs([None; 32]);
}

impl std::ops::Deref for VRegs {
    type Target = [Option<u128>; 32];
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for VRegs {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Promised values name no task.
impl Digest for VRegs {
    fn numbering() -> Option<u64> {
        crate::model::shared::ANY_NUMBERING
    }
}

/// Hashes as two masks (promised, promised nonzero) and the nonzero values, in one write
/// (explore keys every state by its oracle too; most promises are zero).
impl Hash for VRegs {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 8 + 32 * 16];
        let (mut some, mut nonzero) = (0u32, 0u32);
        let mut len = 8;
        for (n, v) in self.0.iter().enumerate() {
            if let Some(v) = v {
                some |= 1 << n;
                if *v != 0 {
                    nonzero |= 1 << n;
                    buf[len..len + 16].copy_from_slice(&v.to_le_bytes());
                    len += 16;
                }
            }
        }
        buf[..4].copy_from_slice(&some.to_le_bytes());
        buf[4..8].copy_from_slice(&nonzero.to_le_bytes());
        state.write(&buf[..len]);
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Expect {
    /// Copy-on-write: explore copies the oracle with every successor state, and a step
    /// changes the promises of one task at most.
    v: Shared<VRegs>,
    /// Per signal frame: V at delivery, and the instruction that runs after sigreturn.
    frames: Vec<(VRegs, Option<UserInsn>)>,
    /// An SVE instruction whose trap was preempted: it executes when the task resumes.
    pending: Option<UserInsn>,
}

/// Tracks what each task and guest should read in V0–V31. Not `Hash`: explore hashes it
/// with the tasks in canonical order ([`AbiOracle::hash_in_order`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AbiOracle {
    tasks: Vec<Expect>,
    vcpus: Vec<Shared<VRegs>>,
}

fn low128(w: &RegWrite, t: TaskId) -> Option<u128> {
    let mut b = [0u8; 16];
    w.value.materialise(&mut b, t, w.reg).ok()?;
    Some(u128::from_le_bytes(b))
}

/// (The promises are written only where an instruction writes V or Z: the others leave
/// them shared with the oracle's other copies.)
fn apply_writes(v: &mut Shared<VRegs>, insn: &UserInsn, t: TaskId) {
    for w in &insn.writes {
        if let Reg::Z(n) | Reg::V(n) = w.reg {
            v[usize::from(n)] = low128(w, t);
        }
    }
}

impl AbiOracle {
    /// An oracle for a machine in its initial state.
    pub fn new(m: &Machine) -> AbiOracle {
        let mut o = AbiOracle::default();
        o.sync_new(m, None);
        o
    }

    /// Registers tasks and vCPUs created outside an operation (`Machine::add_task`,
    /// `Machine::add_vcpu`): they start with every register zero.
    pub fn sync(&mut self, m: &Machine) {
        self.sync_new(m, None);
    }

    /// Registers tasks and vCPUs created since the last call (fresh ones start at zero; a
    /// forked child starts with its parent's expectations).
    fn sync_new(&mut self, m: &Machine, fork_parent: Option<TaskId>) {
        while self.tasks.len() < m.tasks.len() {
            let e = match fork_parent {
                Some(p) => {
                    let pe = &self.tasks[usize::from(p.0)];
                    Expect {
                        v: pe.v.clone(),
                        frames: pe.frames.clone(),
                        pending: None,
                    }
                }
                None => Expect {
                    v: Shared::new(VRegs::ZERO),
                    ..Expect::default()
                },
            };
            self.tasks.push(e);
        }
        while self.vcpus.len() < m.vcpus.len() {
            self.vcpus.push(Shared::new(VRegs::ZERO));
        }
    }

    /// Hashes every promise, the tasks' in `order` (task `order[i]` first: explore's
    /// canonical form of a state, where tasks are interchangeable).
    pub(crate) fn hash_in_order<H: Hasher>(&self, order: &[usize], state: &mut H) {
        let AbiOracle { tasks, vcpus } = self;
        state.write_usize(tasks.len());
        for &i in order {
            tasks[i].hash(state);
        }
        vcpus.hash(state);
    }

    /// Updates the expectations after `op` produced the machine `after`.
    pub fn observe(&mut self, op: &Op, after: &Machine) {
        let fork_parent = match op {
            Op::Svc {
                task,
                call: Syscall::Fork(_),
            } => Some(*task),
            _ => None,
        };
        self.sync_new(after, fork_parent);
        match op {
            Op::User { task, insn, .. } => {
                let t = after.task(*task);
                let e = &mut self.tasks[usize::from(task.0)];
                if matches!(t.state, TaskState::Stopped(Resume::SveTrap(_))) {
                    e.pending = Some(insn.clone());
                } else if t.alive() {
                    apply_writes(&mut e.v, insn, *task);
                }
            }
            Op::Svc { task, call } => {
                let e = &mut self.tasks[usize::from(task.0)];
                match call {
                    Syscall::Exec => {
                        *e.v = VRegs::ZERO;
                        e.frames.clear();
                    }
                    Syscall::Sigreturn(_) => {
                        // sve.rst §5: V0–V31 come from the frame's fpsimd_context. A frame
                        // the kernel must reject ends in SIGSEGV, and the task is gone.
                        if let Some((f, insn)) = e.frames.pop() {
                            if after.task(*task).alive() {
                                *e.v = f;
                                // The PC returns to an interrupted instruction, which runs.
                                if let Some(insn) = insn {
                                    if after.running_on(*task).is_some() {
                                        apply_writes(&mut e.v, &insn, *task);
                                    } else {
                                        e.pending = Some(insn);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Op::FrameWrite { task, writes } => {
                // sve.rst: on sigreturn V0–V31 (Z[127:0]) come from the fpsimd_context
                // record; only the handler's V stores change what the task gets back.
                let e = &mut self.tasks[usize::from(task.0)];
                if let Some((f, _)) = e.frames.last_mut() {
                    for w in writes {
                        if let Reg::V(n) = w.reg {
                            f[usize::from(n)] = low128(w, *task);
                        }
                    }
                }
            }
            Op::Ptrace { task, req } => {
                let e = &mut self.tasks[usize::from(task.0)];
                match req {
                    PtraceReq::SetFpr(ws)
                    | PtraceReq::SetSve {
                        payload: SvePayload::Fpsimd(ws),
                        ..
                    } => {
                        for w in ws {
                            if let Reg::V(n) = w.reg {
                                e.v[usize::from(n)] = low128(w, *task);
                            }
                        }
                    }
                    PtraceReq::SetSve {
                        vl,
                        payload: SvePayload::Sve { writes, partial },
                        ..
                    } => {
                        let supported = after.task(*task).vl == *vl;
                        if supported {
                            if *partial {
                                // sve.rst §7: "the effect of a partial write is unspecified".
                                *e.v = VRegs::NONE;
                            }
                            for w in writes {
                                if let Reg::Z(n) = w.reg {
                                    e.v[usize::from(n)] = low128(w, *task);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            // An SVE instruction of a guest without SVE is UNDEF and writes nothing; one the
            // guest never ran (a pending signal ended KVM_RUN first, so the guest is not
            // running after it) writes nothing either.
            Op::Kvm(KvmOp::GuestOp { vcpu, insn })
                if (!insn.sve || after.vcpu(*vcpu).has_sve) && after.vcpu(*vcpu).in_guest =>
            {
                let vmm = after.vcpu(*vcpu).vmm.unwrap_or(TaskId(0));
                apply_writes(&mut self.vcpus[usize::from(vcpu.0)], insn, vmm);
            }
            _ => {}
        }
        // Frames pushed by signal delivery record the V values at delivery (the oracle's
        // frame stack follows the machine's: pushes here, pops at sigreturn, exec clears).
        for (i, t) in after.tasks.iter().enumerate() {
            let e = &mut self.tasks[i];
            while e.frames.len() < t.frames.len() {
                // A frame built while an instruction was being retried takes it along.
                let takes = t.frames[e.frames.len()].retry.is_some();
                let insn = if takes { e.pending.take() } else { None };
                e.frames.push((*e.v, insn));
            }
            e.frames.truncate(t.frames.len());
        }
        // An SVE instruction preempted in its trap completes when its task runs again.
        for (i, e) in self.tasks.iter_mut().enumerate() {
            let t = TaskId(i as u16);
            let still_pending = matches!(
                after.task(t).state,
                TaskState::Stopped(
                    Resume::SveTrap(_)
                        | Resume::Return(Some(_))
                        | Resume::ReturnPass { retry: Some(_), .. }
                )
            );
            if e.pending.is_some() && !still_pending {
                let insn = e.pending.take().expect("checked");
                if after.task(t).alive() {
                    apply_writes(&mut e.v, &insn, t);
                }
            }
        }
    }

    /// What the ABI says `t` reads in V0–V31 now (`None`: unspecified).
    pub fn expected_v(&self, t: TaskId) -> [Option<u128>; 32] {
        let e = &self.tasks[usize::from(t.0)];
        let mut expect = e.v.clone();
        if let Some(insn) = &e.pending {
            apply_writes(&mut expect, insn, t);
        }
        expect.0
    }

    /// Hashes what is promised to `t` (its V0–V31, its frames', a pending instruction) as
    /// [`AbiOracle::hash_in_order`] does.
    pub(crate) fn hash_task<H: Hasher>(&self, t: TaskId, state: &mut H) {
        self.tasks[usize::from(t.0)].hash(state);
    }

    /// What the ABI says the guest of `v` reads in V0–V31.
    pub fn expected_guest_v(&self, v: VcpuId) -> [Option<u128>; 32] {
        self.vcpus[usize::from(v.0)].0
    }

    /// Forgets everything promised to `t` (its V0–V31 and its signal frames): after a
    /// known kernel bug corrupted its state, later mismatches are consequences, not news.
    pub fn forget_task(&mut self, t: TaskId) {
        if let Some(e) = self.tasks.get_mut(usize::from(t.0)) {
            *e.v = VRegs::NONE;
            for f in &mut e.frames {
                f.0 = VRegs::NONE;
            }
        }
    }

    /// [`AbiOracle::check`], then forget every expectation the machine contradicted, so a
    /// corruption is reported once and not again at every later state (explore mode).
    pub fn check_and_forget(&mut self, m: &Machine) -> Vec<Violation> {
        let out = self.check(m);
        for v in &out {
            match v.rule {
                Rule::VPreserved => {
                    if let Some(t) = v.task {
                        if let Some(view) = m.user_v(t) {
                            let e = &mut self.tasks[usize::from(t.0)];
                            for (e, seen) in e.v.iter_mut().zip(view) {
                                if e.is_some_and(|x| x != seen) {
                                    *e = None;
                                }
                            }
                        }
                    }
                }
                Rule::GuestStatePreserved => {
                    for (i, exp) in self.vcpus.iter_mut().enumerate() {
                        for (n, x) in exp.iter_mut().enumerate() {
                            if x.is_some_and(|x| x != guest_v(m, VcpuId(i as u16), n)) {
                                *x = None;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Compares every live task's user view (and every guest's state) with the promises.
    /// A mismatch comes with the violations the kernel hit while getting the task back to
    /// user space, which usually name the culprit.
    pub fn check(&self, m: &Machine) -> Vec<Violation> {
        let mut out = Vec::new();
        for i in 0..self.tasks.len() {
            let t = TaskId(i as u16);
            if !m.task(t).alive() {
                continue;
            }
            let Some(view) = m.user_v(t) else {
                continue;
            };
            // The user view runs the task's pending instruction (a preempted SVE trap
            // retries it on the way back), so the expectation includes it.
            // A pending signal is delivered first, and its frame takes the retried
            // instruction: the handler reads the interrupted values.
            let expect = if m.task(t).pending.is_empty() {
                self.expected_v(t)
            } else {
                self.tasks[i].v.0
            };
            let bad: Vec<usize> = (0..32)
                .filter(|&n| expect[n].is_some_and(|x| x != view[n]))
                .collect();
            if let Some(&n) = bad.first() {
                out.push(Violation {
                    cause: Cause::VDiffers {
                        slot: RegSlot::V(n as u8),
                        count: bad.len() as u8,
                    },
                    rule: Rule::VPreserved,
                    task: Some(t),
                    cpu: None,
                    function: None,
                    detail: format!(
                        "{} would read V{n} = {:#x}, but its own history says {:#x} ({} V register(s) differ)",
                        m.task(t).name,
                        view[n],
                        expect[n].unwrap_or(0),
                        bad.len()
                    ),
                });
                // What the kernel did wrong on the way back to user space explains it.
                if let Some((_, on_the_way)) = m.user_v_traced(t) {
                    out.extend(on_the_way);
                }
            }
        }
        for (i, exp) in self.vcpus.iter().enumerate() {
            let v = VcpuId(i as u16);
            let bad: Vec<usize> = (0..32)
                .filter(|&n| exp[n].is_some_and(|x| x != guest_v(m, v, n)))
                .collect();
            if let Some(&n) = bad.first() {
                out.push(Violation {
                    cause: Cause::VDiffers {
                        slot: RegSlot::V(n as u8),
                        count: bad.len() as u8,
                    },
                    rule: Rule::GuestStatePreserved,
                    task: None,
                    cpu: None,
                    function: None,
                    detail: format!(
                        "guest of vCPU {} would read V{n} = {:#x}, but it wrote {:#x}",
                        m.vcpu(v).name,
                        guest_v(m, v, n),
                        exp[n].unwrap_or(0)
                    ),
                });
            }
        }
        out
    }
}

/// `Vn` as the guest of `v` would read it: from the CPU while its state is bound and
/// current there, else from the vCPU's buffers in the format hyp loads them.
pub fn guest_v(m: &Machine, v: VcpuId, n: usize) -> u128 {
    let vc = m.vcpu(v);
    if vc.fp_owner == FpOwner::Guest {
        if let Some((c, _)) = m.vcpu_loaded_on(v) {
            if m.cpu(c).last.st == Some(Owner::Vcpu(v)) || vc.in_guest {
                return m.cpu(c).regs.v(n);
            }
        }
    }
    match (&vc.sve_state, vc.has_sve) {
        (Some(b), true) => b.v(n),
        _ => vc.fp_regs.vregs[n],
    }
}

#[cfg(test)]
mod tests {
    use super::VRegs;

    fn hashed(v: &VRegs) -> Vec<u8> {
        crate::model::digest::HashBytes::of(v)
    }

    /// Explore keys states by the oracle's promises: "promised zero", "promised x" and
    /// "nothing promised" are different states, in every register.
    #[test]
    fn promises_hash_apart() {
        for n in [0, 5, 31] {
            let mut none = VRegs::ZERO;
            none[n] = None;
            let mut x = VRegs::ZERO;
            x[n] = Some(0x11);
            let mut y = VRegs::ZERO;
            y[n] = Some(0x22);
            let all = [VRegs::ZERO, none, x, y];
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert_ne!(hashed(a), hashed(b), "V{n}: {a:?} {b:?}");
                }
            }
        }
        let mut two = VRegs::NONE;
        two[1] = Some(7);
        let mut other = VRegs::NONE;
        other[2] = Some(7);
        assert_ne!(hashed(&two), hashed(&other), "the value's register counts");
        let (mut v1, mut v2) = (VRegs::ZERO, VRegs::ZERO);
        v1[1] = Some(7);
        v2[2] = Some(7);
        assert_ne!(hashed(&v1), hashed(&v2), "among promised zeros too");
    }
}
