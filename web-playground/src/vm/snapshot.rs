//! What the views draw, taken from a [`Machine`] at one position: every CPU, task and vCPU
//! with the fields the playground shows, named by the same paths the DSL uses
//! (`cpu0.ZCR_EL1.LEN`, `A.TIF_SVE`, `A.sve_state.z0`) so a student can copy a name from
//! the page into an `expect`.
//!
//! [`changed`] compares two snapshots field by field: with the previous position it gives
//! "what the last step changed"; with the other kernel in compare mode, "what differs".

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use svelab_core::model::event::{Counter, Counters};
use svelab_core::model::machine::TaskState;
use svelab_core::model::regs::{Origin, Origins};
use svelab_core::model::types::{Format, FpType, Owner};
use svelab_core::model::vcpu::FpOwner;
use svelab_core::model::view::{RegOwner, StateHome};
use svelab_core::{CpuId, Kernel, Machine, TaskId, VcpuId};

/// One register's value and whose value it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reg {
    /// `z0`, `p3`, `ffr`, `v7`.
    pub name: String,
    /// Bytes, least significant first.
    pub bytes: Rc<[u8]>,
    /// Whose value (`A`, `V0`, `kernel`, `0`); `lo/hi` when Z's V part and the rest differ.
    pub origin: String,
}

/// A register file or an `sve_state` buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegSet {
    /// Vector length in bytes of the Z registers drawn.
    pub vl: u16,
    /// Z0–Z31.
    pub z: Vec<Reg>,
    /// P0–P15.
    pub p: Vec<Reg>,
    /// FFR.
    pub ffr: Reg,
}

/// Whose state a CPU's registers hold (`fpsimd_last_state.st`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// `st == NULL`.
    Nobody,
    /// A task's; `current` when the task's `fpsimd_cpu` still names this CPU.
    Task {
        /// The task's name.
        name: String,
        /// The binding is still valid for the task.
        current: bool,
    },
    /// A vCPU's guest state.
    Vcpu {
        /// The vCPU's name.
        name: String,
    },
}

impl Binding {
    /// The owner's name, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Binding::Nobody => None,
            Binding::Task { name, .. } | Binding::Vcpu { name } => Some(name),
        }
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Binding::Nobody => "nobody (st = NULL)".into(),
            Binding::Task {
                name,
                current: true,
            } => format!("{name} (current)"),
            Binding::Task {
                name,
                current: false,
            } => format!("{name} (stale: {name} was reloaded elsewhere)"),
            Binding::Vcpu { name } => format!("{name} (guest)"),
        }
    }
}

/// One CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuSnap {
    /// `cpu0`.
    pub name: String,
    /// Online.
    pub online: bool,
    /// What runs (`A`, `idle`, `kthread`).
    pub curr: String,
    /// `CPACR_EL1.ZEN_EL0EN`.
    pub zen_el0en: bool,
    /// `ZCR_EL1.LEN`.
    pub zcr_len: u8,
    /// The effective vector length (bytes).
    pub vl: u16,
    /// `fpsimd_last_state.st`.
    pub binding: Binding,
    /// `fpsimd_last_state.sve_vl` (bytes).
    pub last_sve_vl: u16,
    /// `fpsimd_last_state.sve_state`, in words.
    pub last_sve_state: String,
    /// `fpsimd_last_state.to_save` (patch 3+).
    pub last_to_save: Option<&'static str>,
    /// The registers at the CPU's VL.
    pub regs: RegSet,
    /// FPSR.
    pub fpsr: u32,
    /// FPCR.
    pub fpcr: u32,
}

/// Where a task's newest state is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Home {
    /// Live in this CPU's registers.
    Live(String),
    /// In memory, in this format.
    Memory(Format),
    /// The task is a VMM whose vCPU's guest has taken the CPU's FP registers: KVM saved the
    /// host's state to memory first (`fpsimd_last_state` may still name the task, but the
    /// registers hold the guest's).
    SavedForGuest {
        /// The CPU.
        cpu: String,
        /// The vCPU whose state the registers hold.
        vcpu: String,
    },
}

/// KVM's FP ownership flag in the kernel's own terms. The flag outlives the vCPU's
/// load: once the vCPU is put, it says where the state was at the last run, not that it
/// is live now.
fn fp_owner_text(o: FpOwner, k: Kernel, loaded: bool) -> String {
    let flag = o.kernel_name(k);
    let tristate = k.kvm_fp_ownership_tristate();
    let note = match (o, loaded) {
        (FpOwner::Free, _) => "",
        (_, false) => " (as the last run left it; the vCPU is not loaded)",
        (_, true) if tristate => "",
        (FpOwner::Host, true) => " (host state live)",
        (FpOwner::Guest, true) => " (guest state live)",
    };
    format!("{flag}{note}")
}

impl Home {
    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Home::Live(c) => format!("live in {c}'s registers"),
            Home::Memory(Format::Sve) => "in memory: sve_state (SVE format)".into(),
            Home::Memory(Format::Fpsimd) => "in memory: fpsimd_state (FPSIMD format)".into(),
            Home::SavedForGuest { cpu, vcpu } => {
                format!("in memory: KVM saved it when guest {vcpu} took {cpu}'s registers")
            }
        }
    }
}

/// A saved `uw.fpsimd_state` or `fp_regs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FpsimdSnap {
    /// V0–V31.
    pub v: Vec<Reg>,
    /// FPSR.
    pub fpsr: u32,
    /// FPCR.
    pub fpcr: u32,
}

/// A `sve_state` buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufSnap {
    /// VQ it was allocated for.
    pub vq: usize,
    /// Allocation number.
    pub generation: u32,
    /// Its registers.
    pub regs: RegSet,
}

/// One task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskSnap {
    /// Name.
    pub name: String,
    /// Not exited.
    pub alive: bool,
    /// Running on a CPU.
    pub running: bool,
    /// Where it is, in words.
    pub place: String,
    /// `TIF_SVE`.
    pub tif_sve: bool,
    /// `TIF_FOREIGN_FPSTATE`.
    pub tif_foreign: bool,
    /// `TIF_SVE_VL_INHERIT`.
    pub tif_vl_inherit: bool,
    /// `fp_type` (`None` before patch 2, where it does not exist).
    pub fp_type: Option<&'static str>,
    /// VL (bytes).
    pub vl: u16,
    /// `vl_onexec` (bytes, 0 = none).
    pub vl_onexec: u16,
    /// `fpsimd_cpu`.
    pub fpsimd_cpu: Option<String>,
    /// In a syscall.
    pub in_syscall: bool,
    /// Where the newest state lives.
    pub home: Home,
    /// `sve_state`.
    pub sve_state: Option<BufSnap>,
    /// `uw.fpsimd_state`.
    pub fpsimd: FpsimdSnap,
    /// Pending signals.
    pub pending: Vec<&'static str>,
    /// Signal frames on the stack.
    pub frames: usize,
    /// The task's counters.
    pub counters: Counters,
}

/// One vCPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VcpuSnap {
    /// Name.
    pub name: String,
    /// `vcpu_has_sve()`.
    pub has_sve: bool,
    /// `sve_max_vl` (bytes).
    pub sve_max_vl: u16,
    /// Guest `ZCR_EL1.LEN`.
    pub zcr_el1: u8,
    /// `fp_type` (patch 2+).
    pub fp_type: Option<&'static str>,
    /// FP ownership in the kernel's own terms.
    pub fp_owner: String,
    /// `HOST_SVE_ENABLED`.
    pub host_sve_enabled: bool,
    /// `FP_FOREIGN_FPSTATE` (before the tristate).
    pub fp_foreign_fpstate: Option<bool>,
    /// The VMM task.
    pub vmm: Option<String>,
    /// The guest is executing.
    pub in_guest: bool,
    /// Loaded on this CPU.
    pub loaded_on: Option<String>,
    /// `sve_state`.
    pub sve_state: Option<BufSnap>,
    /// `ctxt.fp_regs`.
    pub fp_regs: FpsimdSnap,
}

/// Everything drawn at one position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The kernel.
    pub kernel: Kernel,
    /// CPUs.
    pub cpus: Vec<CpuSnap>,
    /// Tasks.
    pub tasks: Vec<TaskSnap>,
    /// vCPUs.
    pub vcpus: Vec<VcpuSnap>,
    /// Machine-wide counters.
    pub totals: Counters,
}

fn origin_name(m: &Machine, o: Origin) -> String {
    match o {
        Origin::Zero => "0".into(),
        Origin::Kernel => "kernel".into(),
        Origin::Task(t) => m
            .tasks
            .get(usize::from(t.0))
            .map_or("?".into(), |x| x.name.to_string()),
        Origin::Vcpu(v) => m
            .vcpus
            .get(usize::from(v.0))
            .map_or("?".into(), |x| x.name.to_string()),
    }
}

fn z_origin(m: &Machine, o: &Origins, n: usize, vl: u16) -> String {
    let lo = o.z_lo[n];
    let hi = o.z_hi[n];
    if vl <= 16 || lo == hi {
        origin_name(m, lo)
    } else {
        format!("{}/{}", origin_name(m, lo), origin_name(m, hi))
    }
}

fn regset(
    m: &Machine,
    vl: u16,
    z: impl Fn(usize) -> Vec<u8>,
    p: impl Fn(usize) -> Vec<u8>,
    ffr: Vec<u8>,
    o: &Origins,
) -> RegSet {
    RegSet {
        vl,
        z: (0..32)
            .map(|n| Reg {
                name: format!("z{n}"),
                bytes: z(n).into(),
                origin: z_origin(m, o, n, vl),
            })
            .collect(),
        p: (0..16)
            .map(|n| Reg {
                name: format!("p{n}"),
                bytes: p(n).into(),
                origin: origin_name(m, o.p[n]),
            })
            .collect(),
        ffr: Reg {
            name: "ffr".into(),
            bytes: ffr.into(),
            origin: origin_name(m, o.ffr),
        },
    }
}

fn buf(m: &Machine, b: &svelab_core::model::regs::SveBuf) -> BufSnap {
    let vl = (b.vq * 16) as u16;
    BufSnap {
        vq: b.vq,
        generation: b.generation,
        regs: regset(
            m,
            vl,
            |n| b.zreg(n).to_vec(),
            |n| b.preg(n).to_vec(),
            b.ffr().to_vec(),
            &b.origin,
        ),
    }
}

fn fpsimd(m: &Machine, st: &svelab_core::model::regs::UserFpsimdState) -> FpsimdSnap {
    FpsimdSnap {
        v: (0..32)
            .map(|n| Reg {
                name: format!("v{n}"),
                bytes: st.vregs[n].to_le_bytes().to_vec().into(),
                origin: origin_name(m, st.origin[n]),
            })
            .collect(),
        fpsr: st.fpsr,
        fpcr: st.fpcr,
    }
}

fn fp_type_name(k: Kernel, t: FpType) -> Option<&'static str> {
    k.p2_fp_type().then(|| t.kernel_name(k))
}

impl Snapshot {
    /// Takes everything the views draw from `m`.
    pub fn of(m: &Machine) -> Snapshot {
        let k = m.kernel();
        let cpus = (0..m.cpus.len())
            .map(|i| {
                let c = CpuId(i as u8);
                let cpu = m.cpu(c);
                let view = m.regs_view(c);
                let binding = match m.reg_owner(c) {
                    RegOwner::Nobody => Binding::Nobody,
                    RegOwner::Task { task, current } => Binding::Task {
                        name: m.task(task).name.to_string(),
                        current,
                    },
                    RegOwner::Vcpu(v) => Binding::Vcpu {
                        name: m.vcpu(v).name.to_string(),
                    },
                };
                let owner = |o: Owner| match o {
                    Owner::Task(t) => m.task(t).name.clone(),
                    Owner::Vcpu(v) => m.vcpu(v).name.clone(),
                };
                CpuSnap {
                    name: c.to_string(),
                    online: cpu.online,
                    curr: m.curr_name(c),
                    zen_el0en: cpu.cpacr_zen_el0en,
                    zcr_len: cpu.zcr_len,
                    vl: view.vl,
                    binding,
                    last_sve_vl: cpu.last.sve_vl,
                    last_sve_state: cpu.last.sve_state.map_or("NULL".into(), |r| {
                        format!("{}'s buffer #{}", owner(r.owner), r.generation)
                    }),
                    last_to_save: k.p3_to_save().then(|| cpu.last.to_save.kernel_name(k)),
                    regs: regset(
                        m,
                        view.vl,
                        |n| view.z[n].clone(),
                        |n| view.p[n].clone(),
                        view.ffr.clone(),
                        &view.origin,
                    ),
                    fpsr: view.fpsr,
                    fpcr: view.fpcr,
                }
            })
            .collect();
        let tasks = (0..m.tasks.len())
            .map(|i| {
                let t = TaskId(i as u16);
                let task = m.task(t);
                TaskSnap {
                    name: task.name.to_string(),
                    alive: task.alive(),
                    running: task.state == TaskState::Running,
                    place: m.task_where(t),
                    tif_sve: task.tif_sve,
                    tif_foreign: task.tif_foreign_fpstate,
                    tif_vl_inherit: task.tif_sve_vl_inherit,
                    fp_type: fp_type_name(k, task.fp_type),
                    vl: task.vl,
                    vl_onexec: task.vl_onexec,
                    fpsimd_cpu: task.fpsimd_cpu.map(|c| c.to_string()),
                    in_syscall: task.in_syscall,
                    home: match (m.guest_holding_regs_of(t), m.state_home(t)) {
                        (Some((c, v)), _) => Home::SavedForGuest {
                            cpu: c.to_string(),
                            vcpu: m.vcpu(v).name.to_string(),
                        },
                        (None, StateHome::Live(c)) => Home::Live(c.to_string()),
                        (None, StateHome::Memory(f)) => Home::Memory(f),
                    },
                    sve_state: task.sve_state.as_ref().map(|b| buf(m, b)),
                    fpsimd: fpsimd(m, &task.fpsimd_state),
                    pending: task.pending.iter().map(|s| s.name()).collect(),
                    frames: task.frames.len(),
                    counters: task.counters,
                }
            })
            .collect();
        let tristate = k.kvm_fp_ownership_tristate();
        let vcpus = (0..m.vcpus.len())
            .map(|i| {
                let v = VcpuId(i as u16);
                let vc = m.vcpu(v);
                VcpuSnap {
                    name: vc.name.to_string(),
                    has_sve: vc.has_sve,
                    sve_max_vl: vc.sve_max_vl,
                    zcr_el1: vc.zcr_el1,
                    fp_type: fp_type_name(k, vc.fp_type),
                    fp_owner: fp_owner_text(vc.fp_owner, k, m.vcpu_loaded_on(v).is_some()),
                    host_sve_enabled: vc.host_sve_enabled,
                    fp_foreign_fpstate: (!tristate).then_some(vc.fp_foreign_fpstate),
                    vmm: vc.vmm.map(|t| m.task(t).name.to_string()),
                    in_guest: vc.in_guest,
                    loaded_on: m.vcpu_loaded_on(v).map(|(c, _)| c.to_string()),
                    sve_state: vc.sve_state.as_ref().map(|b| buf(m, b)),
                    fp_regs: fpsimd(m, &vc.fp_regs),
                }
            })
            .collect();
        Snapshot {
            kernel: k,
            cpus,
            tasks,
            vcpus,
            totals: m.total_counters(),
        }
    }

    /// Every field as `(path, value)`, for [`changed`].
    pub fn fields(&self) -> Vec<(String, Field)> {
        let mut out = Vec::with_capacity(512);
        let b = Field::Bool;
        let n = |x: u64| Field::Num(x);
        let t = |s: &str| Field::Text(s.to_string());
        for c in &self.cpus {
            let h = &c.name;
            let mut f = |k: &str, v: Field| out.push((format!("{h}.{k}"), v));
            f("online", b(c.online));
            f("curr", t(&c.curr));
            f("CPACR_EL1.ZEN_EL0EN", b(c.zen_el0en));
            f("ZCR_EL1.LEN", n(u64::from(c.zcr_len)));
            f("vl", n(u64::from(c.vl)));
            f("owner", t(&c.binding.describe()));
            f("last.sve_vl", n(u64::from(c.last_sve_vl)));
            f("last.sve_state", t(&c.last_sve_state));
            f("last.to_save", t(c.last_to_save.unwrap_or("")));
            f("fpsr", n(u64::from(c.fpsr)));
            f("fpcr", n(u64::from(c.fpcr)));
            regset_fields(&mut out, h, &c.regs);
        }
        for x in &self.tasks {
            let h = &x.name;
            let mut f = |k: &str, v: Field| out.push((format!("{h}.{k}"), v));
            f("alive", b(x.alive));
            f("where", t(&x.place));
            f("TIF_SVE", b(x.tif_sve));
            f("TIF_FOREIGN_FPSTATE", b(x.tif_foreign));
            f("TIF_SVE_VL_INHERIT", b(x.tif_vl_inherit));
            f("fp_type", t(x.fp_type.unwrap_or("")));
            f("vl", n(u64::from(x.vl)));
            f("vl_onexec", n(u64::from(x.vl_onexec)));
            f(
                "fpsimd_cpu",
                t(x.fpsimd_cpu.as_deref().unwrap_or("NR_CPUS")),
            );
            f("in_syscall", b(x.in_syscall));
            f("home", t(&x.home.describe()));
            f("pending", t(&x.pending.join(",")));
            f("frames", n(x.frames as u64));
            match &x.sve_state {
                None => f("sve_state", t("NULL")),
                Some(s) => {
                    f("sve_state", t(&format!("vq {} #{}", s.vq, s.generation)));
                    regset_fields(&mut out, &format!("{h}.sve_state"), &s.regs);
                }
            }
            fpsimd_fields(&mut out, &format!("{h}.fpsimd_state"), &x.fpsimd);
        }
        for v in &self.vcpus {
            let h = &v.name;
            let mut f = |k: &str, val: Field| out.push((format!("{h}.{k}"), val));
            f("fp_type", t(v.fp_type.unwrap_or("")));
            f("fp_owner", t(&v.fp_owner));
            f("host_sve_enabled", b(v.host_sve_enabled));
            f(
                "fp_foreign_fpstate",
                t(match v.fp_foreign_fpstate {
                    None => "",
                    Some(true) => "1",
                    Some(false) => "0",
                }),
            );
            f("zcr_el1", n(u64::from(v.zcr_el1)));
            f("vmm", t(v.vmm.as_deref().unwrap_or("")));
            f("in_guest", b(v.in_guest));
            f("loaded_on", t(v.loaded_on.as_deref().unwrap_or("")));
            if let Some(s) = &v.sve_state {
                regset_fields(&mut out, &format!("{h}.sve_state"), &s.regs);
            }
            fpsimd_fields(&mut out, &format!("{h}.fp_regs"), &v.fp_regs);
        }
        for c in Counter::ALL {
            out.push((
                format!("total.{}", c.name()),
                Field::Num(self.totals.get(c)),
            ));
        }
        out
    }

    /// The task named `name`.
    pub fn task(&self, name: &str) -> Option<&TaskSnap> {
        self.tasks.iter().find(|t| t.name == name)
    }
}

fn regset_fields(out: &mut Vec<(String, Field)>, head: &str, r: &RegSet) {
    for x in r.z.iter().chain(&r.p).chain(std::iter::once(&r.ffr)) {
        out.push((format!("{head}.{}", x.name), Field::Bytes(x.bytes.clone())));
    }
}

fn fpsimd_fields(out: &mut Vec<(String, Field)>, head: &str, s: &FpsimdSnap) {
    for x in &s.v {
        out.push((format!("{head}.{}", x.name), Field::Bytes(x.bytes.clone())));
    }
    out.push((format!("{head}.fpsr"), Field::Num(u64::from(s.fpsr))));
    out.push((format!("{head}.fpcr"), Field::Num(u64::from(s.fpcr))));
}

/// A field's value, for comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// A flag.
    Bool(bool),
    /// A number.
    Num(u64),
    /// A word.
    Text(String),
    /// Register bytes.
    Bytes(Rc<[u8]>),
}

/// The paths whose values differ between `a` and `b` (including fields only one has).
pub fn changed(a: &Snapshot, b: &Snapshot) -> HashSet<String> {
    let fa: HashMap<String, Field> = a.fields().into_iter().collect();
    let mut out = HashSet::new();
    let mut seen = HashSet::new();
    for (k, v) in b.fields() {
        if fa.get(&k) != Some(&v) {
            out.insert(k.clone());
        }
        seen.insert(k);
    }
    out.extend(fa.into_keys().filter(|k| !seen.contains(k)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use svelab_core::session::Session;

    fn machine_after(src: &str, steps: u64) -> (Machine, Machine) {
        let (mut s, d) = Session::from_source(src);
        assert!(d.is_empty(), "{d:?}");
        s.goto(steps - 1);
        let before = s.machine().clone();
        s.step().expect("a step");
        (before, s.machine().clone())
    }

    #[test]
    fn an_sve_trap_changes_what_the_series_is_about() {
        let (a, b) = machine_after(
            "task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\nsvc A getpid",
            2,
        );
        let (sa, sb) = (Snapshot::of(&a), Snapshot::of(&b));
        let c = changed(&sa, &sb);
        for k in [
            "cpu0.CPACR_EL1.ZEN_EL0EN",
            "A.TIF_SVE",
            "cpu0.z0",
            "A.sve_state",
            "total.traps",
        ] {
            assert!(c.contains(k), "{k} not in {c:?}");
        }
        assert!(!c.contains("cpu1.curr"));
        let cpu0 = &sb.cpus[0];
        assert_eq!(cpu0.vl, 64);
        assert_eq!(cpu0.regs.z[0].bytes.len(), 64);
        assert_eq!(&cpu0.regs.z[0].bytes[..], &[0xaa; 64][..]);
        assert_eq!(cpu0.regs.z[0].origin, "A");
        assert_eq!(cpu0.regs.p[0].bytes.len(), 8);
        assert_eq!(
            cpu0.binding,
            Binding::Task {
                name: "A".into(),
                current: true
            }
        );
        assert!(sb.tasks[0].tif_sve && !sb.tasks[0].tif_foreign);
        assert_eq!(sb.tasks[0].home, Home::Live("cpu0".into()));
        assert_eq!(sb.tasks[0].fp_type, None, "no fp_type before patch 2");
        assert!(sb.tasks[0].sve_state.is_some());
    }

    #[test]
    fn fp_type_and_to_save_appear_with_their_patches() {
        let (_, m) = machine_after("kernel v6.2\ntask A vl=256 on=cpu0\nsve-op A z0=1", 3);
        let s = Snapshot::of(&m);
        assert_eq!(s.tasks[0].fp_type, Some("FP_STATE_FPSIMD"));
        assert!(s.cpus[0].last_to_save.is_some());
        assert_eq!(s.cpus[0].regs.z[0].bytes.len(), 32);
    }

    #[test]
    fn vcpus_are_named_in_the_kernels_own_terms() {
        let src = "task VMM on=cpu0\nvcpu V0 sve vl=512\nkvm-enter VMM V0\nguest-sve-op V0 z0=fill(0x33)\nkvm-exit V0";
        let (during, after) = machine_after(src, 5);
        let s = Snapshot::of(&during);
        assert_eq!(s.vcpus[0].fp_owner, "FP_ENABLED (guest state live)");
        assert_eq!(s.vcpus[0].loaded_on.as_deref(), Some("cpu0"));
        // On guest exit kvm_arch_vcpu_ctxsync_fp() binds the guest's state to the CPU.
        let s = Snapshot::of(&after);
        assert_eq!(s.cpus[0].binding, Binding::Vcpu { name: "V0".into() });
        let (during, _) = machine_after(&format!("kernel v6.2\n{src}"), 6);
        assert_eq!(
            Snapshot::of(&during).vcpus[0].fp_owner,
            "FP_STATE_GUEST_OWNED"
        );
    }

    #[test]
    fn while_a_guest_runs_its_vmm_state_is_not_live() {
        let src = "task VMM on=cpu0\nvcpu V0 sve vl=512\nsve-op VMM z0=fill(0x44)\n\
                   kvm-enter VMM V0\nguest-sve-op V0 z0=fill(0x33)\nkvm-exit V0\n\
                   kvm-exit V0 to-user";
        // The guest has taken cpu0's registers: they hold V0's z0, not the VMM's.
        let (_, during) = machine_after(src, 5);
        let s = Snapshot::of(&during);
        assert_eq!(
            s.tasks[0].home,
            Home::SavedForGuest {
                cpu: "cpu0".into(),
                vcpu: "V0".into()
            }
        );
        let d = s.tasks[0].home.describe();
        assert!(d.contains("V0") && !d.contains("live"), "{d}");
        assert_eq!(
            svelab_core::model::lazy::classify(&during, TaskId(0)),
            svelab_core::model::lazy::Node::State(
                svelab_core::model::lazy::Place::Saved,
                Format::Fpsimd
            )
        );
        // Back in the VMM's user space: the vCPU is not loaded, and its card must not say
        // its state is live.
        let (_, after) = machine_after(src, 7);
        let s = Snapshot::of(&after);
        assert_eq!(s.vcpus[0].loaded_on, None);
        assert!(
            !s.vcpus[0].fp_owner.contains("live"),
            "{}",
            s.vcpus[0].fp_owner
        );
        assert!(
            s.vcpus[0].fp_owner.starts_with("FP_ENABLED"),
            "{}",
            s.vcpus[0].fp_owner
        );
        assert_eq!(s.tasks[0].home, Home::Live("cpu0".into()));
    }

    #[test]
    fn new_objects_count_as_changed() {
        let (a, b) = machine_after("task A on=cpu0\ntask B", 2);
        let c = changed(&Snapshot::of(&a), &Snapshot::of(&b));
        assert!(c.contains("B.TIF_SVE"));
        let c = changed(&Snapshot::of(&b), &Snapshot::of(&a));
        assert!(c.contains("B.TIF_SVE"), "removed fields count too");
    }
}
