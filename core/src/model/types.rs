//! The small vocabulary every layer of the model shares: the ids of CPUs, tasks and vCPUs,
//! whose state a binding names, the saved register type and the level a task runs at.

use super::kernel::Kernel;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Index of a CPU. Hashes as its number under the [`Renumbering`] in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CpuId(pub u8);

/// Index of a task. Hashes as its number under the [`Renumbering`] in effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId(pub u16);

/// New numbers for tasks and CPUs, in effect for hashing while [`Renumbering::within`]
/// runs: every [`TaskId`] and [`CpuId`] a `Hash` writes then writes its new number, and so
/// does the task a register's origin names. Explore keys a state by the hash of its
/// canonical form, where interchangeable tasks and CPUs are renumbered: this hashes that
/// form without rewriting a copy of the machine, and every id is renumbered, wherever it
/// is, with no list of the fields that hold one to keep up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renumbering {
    task: [u8; Renumbering::TASKS],
    cpu: [u8; Renumbering::CPUS],
    /// The task numbering as one number ([`Renumbering::task_tag`]).
    task_tag: Option<u64>,
}

thread_local! {
    static RENUMBERING: std::cell::RefCell<Option<Renumbering>> =
        const { std::cell::RefCell::new(None) };
}

impl Renumbering {
    /// Tasks a renumbering covers (a machine holds at most this many: `machine.rs`
    /// asserts it, since a renumbering of more would not be one-to-one).
    pub const TASKS: usize = 64;
    /// CPUs a renumbering covers (likewise).
    pub const CPUS: usize = 8;

    /// Task `order[i]` becomes task `i`, CPU `cpu_order[i]` becomes CPU `i`; `None` when
    /// that changes no number. Ids beyond the orders keep their numbers.
    pub fn from_orders(order: &[usize], cpu_order: &[usize]) -> Option<Renumbering> {
        let moves = |o: &[usize]| o.iter().enumerate().any(|(i, &j)| i != j);
        if !moves(order) && !moves(cpu_order) {
            return None;
        }
        let mut r = Renumbering {
            task: std::array::from_fn(|i| i as u8),
            cpu: std::array::from_fn(|i| i as u8),
            task_tag: None,
        };
        for (new, &old) in order.iter().enumerate().take(Renumbering::TASKS) {
            if let Some(t) = r.task.get_mut(old) {
                *t = new as u8;
            }
        }
        for (new, &old) in cpu_order.iter().enumerate().take(Renumbering::CPUS) {
            if let Some(c) = r.cpu.get_mut(old) {
                *c = new as u8;
            }
        }
        r.task_tag = r.task[16..]
            .iter()
            .enumerate()
            .all(|(i, &n)| usize::from(n) == i + 16)
            .then(|| Renumbering::pack(|i| r.task[i]));
        Some(r)
    }

    /// The numbers of tasks 0–15, four bits each: with every task from 16 on keeping its
    /// number, it says exactly how task ids hash.
    fn pack(new: impl Fn(usize) -> u8) -> u64 {
        (0..16).fold(0, |tag, i| tag | (u64::from(new(i)) << (4 * i)))
    }

    /// One number for how task ids hash under `r` (`None`: no renumbering): equal tags,
    /// equal numbering of every task. `None` when the numbering does not fit one number
    /// (a task beyond the 16th moves). A value whose hash names tasks (register origins)
    /// keeps its digest with this tag ([`crate::model::shared::Digest`]).
    pub fn task_tag(r: Option<&Renumbering>) -> Option<u64> {
        match r {
            None => Some(Renumbering::pack(|i| i as u8)),
            Some(r) => r.task_tag,
        }
    }

    /// [`Renumbering::task_tag`] of the renumbering in effect.
    pub fn current_task_tag() -> Option<u64> {
        Renumbering::with_current(Renumbering::task_tag)
    }

    /// Runs `f` with `r` in effect on this thread (nothing is renumbered with `None`); the
    /// renumbering in effect before is restored after, also if `f` panics.
    pub fn within<R>(r: Option<Renumbering>, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<Renumbering>);
        impl Drop for Restore {
            fn drop(&mut self) {
                RENUMBERING.with(|c| c.replace(self.0));
            }
        }
        let _restore = Restore(RENUMBERING.with(|c| c.replace(r)));
        f()
    }

    /// Runs `f` on the renumbering in effect (hashing must not start another meanwhile).
    pub fn with_current<R>(f: impl FnOnce(Option<&Renumbering>) -> R) -> R {
        RENUMBERING.with_borrow(|r| f(r.as_ref()))
    }

    /// The new number of task `t`.
    pub fn task(&self, t: u16) -> u16 {
        self.task.get(usize::from(t)).map_or(t, |&n| u16::from(n))
    }

    /// The new number of CPU `c`.
    pub fn cpu(&self, c: u8) -> u8 {
        self.cpu.get(usize::from(c)).copied().unwrap_or(c)
    }
}

impl std::hash::Hash for TaskId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let t = Renumbering::with_current(|r| r.map_or(self.0, |r| r.task(self.0)));
        state.write_u16(t);
    }
}

impl std::hash::Hash for CpuId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let c = Renumbering::with_current(|r| r.map_or(self.0, |r| r.cpu(self.0)));
        state.write_u8(c);
    }
}

/// Index of a vCPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VcpuId(pub u16);

impl fmt::Display for CpuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpu{}", self.0)
    }
}

/// Whose FP state a binding or a save refers to: a task's `thread` or a vCPU's `arch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Owner {
    /// `&task->thread.uw.fpsimd_state` (and its `sve_state`, `fp_type`).
    Task(TaskId),
    /// `&vcpu->arch.ctxt.fp_regs` (and its `sve_state`, `fp_type`).
    Vcpu(VcpuId),
}

/// `enum fp_type` (landed spelling; v1 called it `enum fp_state` and the first value
/// `FP_STATE_TASK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FpType {
    /// `FP_STATE_CURRENT` (v1: `FP_STATE_TASK`): "save based on the current task's state";
    /// valid only as `to_save`.
    Current,
    /// `FP_STATE_FPSIMD`.
    #[default]
    Fpsimd,
    /// `FP_STATE_SVE`.
    Sve,
}

impl FpType {
    /// Kernel name of the value, in the spelling of `kernel`.
    pub fn kernel_name(self, kernel: Kernel) -> &'static str {
        match self {
            FpType::Current if matches!(kernel, Kernel::SeriesV1(_)) => "FP_STATE_TASK",
            FpType::Current => "FP_STATE_CURRENT",
            FpType::Fpsimd => "FP_STATE_FPSIMD",
            FpType::Sve => "FP_STATE_SVE",
        }
    }

    /// The register format this type names, if any.
    pub fn format(self) -> Option<Format> {
        match self {
            FpType::Current => None,
            FpType::Fpsimd => Some(Format::Fpsimd),
            FpType::Sve => Some(Format::Sve),
        }
    }
}

/// Level at which a running task executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// EL0, user code.
    User,
    /// Inside `KVM_RUN` with its vCPU loaded (the guest may be running).
    KvmRun(VcpuId),
}

/// The CPU number in a name `cpuN` (N at most 3 digits), the way scripts name CPUs.
pub fn cpu_index(s: &str) -> Option<u8> {
    let n = s.strip_prefix("cpu")?;
    if n.is_empty() || n.len() > 3 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse::<u8>().ok()
}

/// Register format of a save, load or buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// V0–V31, FPSR, FPCR (`struct user_fpsimd_state`).
    Fpsimd,
    /// Z0–Z31, P0–P15, FFR at the VL (`sve_state`), FPSR/FPCR in `user_fpsimd_state`.
    Sve,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Fpsimd => "FPSIMD",
            Format::Sve => "SVE",
        })
    }
}

/// What a CPU is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Curr {
    /// The idle task (never owns user FP state).
    #[default]
    Idle,
    /// A kernel thread (never owns user FP state).
    Kthread,
    /// A user task.
    Task(TaskId),
}

/// A task's or vCPU's name, as scripts use it. Copies of a machine share it: a copy costs
/// no allocation for it (the explorer copies a machine for every transition). Serialised
/// as the plain string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(crate::model::shared::Rc<str>);

impl Name {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// As the string, with width and alignment (`{:<8}` pads it).
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(s.into())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(s.into())
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.as_str().to_owned()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::Name;

    /// A name reads, prints, pads and serialises as the string it holds, so scripts,
    /// panels and files written before names were shared see no difference; copies share
    /// the text.
    #[test]
    fn a_name_is_its_string_and_copies_share_it() {
        let a = Name::from("A");
        assert_eq!(a, "A");
        assert_eq!(a.as_str(), "A");
        assert_eq!(format!("[{a:<4}]"), "[A   ]");
        assert_eq!(format!("{a:?}"), "\"A\"");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"A\"");
        assert_eq!(serde_json::from_str::<Name>("\"VMM\"").unwrap(), "VMM");
        assert_eq!(String::from(a.clone()), "A");
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
    }
}
