//! Text renderings the front ends print: events, `show` blocks, counters, violations.

use super::eval::{self, resolve, Val};
use crate::model::event::{Counter, Counters, Event, EventRecord};
use crate::model::machine::Machine;
use crate::model::types::{CpuId, TaskId, VcpuId};
use crate::model::violation::Violation;

fn tname(m: &Machine, t: TaskId) -> String {
    m.tasks
        .get(usize::from(t.0))
        .map_or(format!("task#{}", t.0), |x| x.name.to_string())
}

fn vname(m: &Machine, v: VcpuId) -> String {
    m.vcpus
        .get(usize::from(v.0))
        .map_or(format!("vcpu#{}", v.0), |x| x.name.to_string())
}

fn oname(m: &Machine, o: crate::model::types::Owner) -> String {
    match o {
        crate::model::types::Owner::Task(t) => tname(m, t),
        crate::model::types::Owner::Vcpu(v) => vname(m, v),
    }
}

/// One event as a line: `cpu0 A  fpsimd_save: A's state as SVE, 2184 bytes`.
pub fn event_line(m: &Machine, r: &EventRecord) -> String {
    let cpu = r.cpu.map_or("-".to_string(), |c| c.to_string());
    let task = r.task.map_or("-".to_string(), |t| tname(m, t));
    let e = &r.event;
    let detail = match e {
        Event::SveAccessTrap => "SVE access trap".to_string(),
        Event::SveAlloc { bytes, fresh } => {
            if *fresh {
                format!("kzalloc {bytes} bytes")
            } else {
                format!("memset existing {bytes} bytes")
            }
        }
        Event::SveAllocKept => "buffer kept (no flush)".into(),
        Event::SveFree => "freed sve_state".into(),
        Event::SveInitRegs { live } => if *live {
            "live: flush + bind"
        } else {
            "in memory: fpsimd_to_sve"
        }
        .into(),
        Event::SveFlushLive { vq, ffr } => format!("vq={vq} ffr={}", u8::from(*ffr)),
        Event::FpsimdSave {
            owner,
            format,
            bytes,
        } => format!("{}'s state as {format}, {bytes} bytes", oname(m, *owner)),
        Event::TaskFpsimdLoad { format, bytes } => format!("{format}, {bytes} bytes"),
        Event::BindTaskToCpu => "bound".into(),
        Event::BindStateToCpu { owner } => format!("bound {}", oname(m, *owner)),
        Event::FlushTaskState { task } => format!(
            "{}: fpsimd_cpu=NR_CPUS, TIF_FOREIGN_FPSTATE=1",
            tname(m, *task)
        ),
        Event::FlushCpuState => "fpsimd_last_state.st = NULL".into(),
        Event::CpacrWrite { zen_el0en } => {
            format!("CPACR_EL1.ZEN_EL0EN = {}", u8::from(*zen_el0en))
        }
        Event::ZcrWrite { len } => format!(
            "ZCR_EL1.LEN = {len} (VL {} bits)",
            (u32::from(*len) + 1) * 128
        ),
        Event::FpUserDiscard => "syscall entry".into(),
        Event::FpsimdSyscallEnter => "syscall entry, to_save = FP_STATE_FPSIMD".into(),
        Event::FpsimdSyscallExit => "to_save = FP_STATE_CURRENT".into(),
        Event::SyscallEnter { name } => name.to_string(),
        Event::IrqFromUser => "IRQ from EL0".into(),
        Event::ThreadSwitch { next_foreign } => {
            format!("next TIF_FOREIGN_FPSTATE = {}", u8::from(*next_foreign))
        }
        Event::SveToFpsimd { task }
        | Event::FpsimdToSve { task }
        | Event::SveSyncFromFpsimdZeropad { task } => tname(m, *task),
        Event::Warn { site } => format!("WARN: {}", site.condition()),
        Event::SignalSent { task, sig, .. } => format!("{} to {}", sig.name(), tname(m, *task)),
        Event::SignalDelivered { sig, sve_vq } => {
            format!("{} frame, SVE payload vq={sve_vq}", sig.name())
        }
        Event::Sigreturn { outcome } => outcome.to_string(),
        Event::KernelNeon => "kernel-mode NEON".into(),
        Event::CpuPmEnter => "CPU_PM_ENTER".into(),
        Event::CpuDead => "CPU dead".into(),
        Event::FlushThread => "exec".into(),
        Event::DupTaskStruct { child } => format!("child {}", tname(m, *child)),
        Event::VlChange { vl } => format!("VL = {} bits", u32::from(*vl) * 8),
        Event::ReleaseTask => "task released".into(),
        Event::Ptrace { function } => function.to_string(),
        Event::FpsimdKvmPrepare { converted } => if *converted {
            "SVE state converted to FPSIMD"
        } else {
            "nothing to convert"
        }
        .into(),
        Event::KvmVcpuLoadFp { vcpu } => vname(m, *vcpu),
        Event::KvmGuestEnter { vcpu, fp_enabled } => format!(
            "{} enters, fp_enabled={}",
            vname(m, *vcpu),
            u8::from(*fp_enabled)
        ),
        Event::KvmHypHandleFpsimd {
            vcpu,
            host_saved,
            guest_sve,
        } => format!(
            "{}: host_saved={} guest_sve={}",
            vname(m, *vcpu),
            u8::from(*host_saved),
            u8::from(*guest_sve)
        ),
        Event::KvmInjectUndef { vcpu } => format!("UNDEF to {}", vname(m, *vcpu)),
        Event::KvmSignalExit { vcpu } => {
            format!("{}: signal pending, KVM_EXIT_INTR, -EINTR", vname(m, *vcpu))
        }
        Event::KvmGuestExit { vcpu, bound } => {
            format!("{} exits, bound={}", vname(m, *vcpu), u8::from(*bound))
        }
        Event::KvmVcpuPutFp { vcpu } => vname(m, *vcpu),
        Event::KvmTifSveWrite { value } => format!("TIF_SVE = {}", u8::from(*value)),
        Event::TaskExit { task } => tname(m, *task),
        Event::FpTypeWrite { owner, value } => {
            format!("{} = {}", oname(m, *owner), value.kernel_name(m.kernel()))
        }
    };
    format!("{cpu:5} {task:6} {}: {detail}", e.function())
}

/// A violation as a line.
pub fn violation_line(v: &Violation) -> String {
    let mut s = format!("[{}] {}", v.rule.code(), v.detail);
    if let Some(f) = &v.function {
        s.push_str(&format!(" (in {f})"));
    }
    s
}

/// Non-zero counters as `name=value` pairs.
pub fn counters_line(c: &Counters) -> String {
    let parts: Vec<String> = c
        .nonzero()
        .map(|(k, v)| format!("{}={v}", k.name()))
        .collect();
    if parts.is_empty() {
        "(none)".into()
    } else {
        parts.join(" ")
    }
}

fn field_line(m: &Machine, head: &str, fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| {
            let segs: Vec<String> = std::iter::once(head.to_string())
                .chain(f.split('.').map(str::to_string))
                .collect();
            if *f == "fp_type" && !m.kernel().p2_fp_type() {
                return "fp_type=n/a before patch 2".to_string();
            }
            let v =
                resolve(m, &segs).map_or_else(|e| format!("<{}>", e.message), |v| v.to_string());
            format!("{f}={v}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn regs_line(vals: Vec<(String, Val)>) -> String {
    let nz: Vec<String> = vals
        .into_iter()
        .filter(|(_, v)| {
            !matches!(v, Val::Int(0)) && !matches!(v, Val::Bytes(b) if b.iter().all(|&x| x == 0))
        })
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    if nz.is_empty() {
        "all zero".into()
    } else {
        nz.join(" ")
    }
}

/// `show TASK`.
pub fn show_task(m: &Machine, t: TaskId) -> String {
    let task = m.task(t);
    let name = &task.name;
    let mut out = format!("task {name}: {}\n", m.task_where(t));
    let mut fields = super::vocab::TASK_FIELDS.to_vec();
    if task.frames.is_empty() {
        fields.retain(|f| !f.starts_with("frame."));
    }
    let line = field_line(m, name, &fields);
    out.push_str(&format!("  {line}\n"));
    match m.user_view(t) {
        Some(view) => {
            let mut vals = Vec::new();
            for r in eval::reg_names() {
                if let Some(v) = regview(&view, &r) {
                    vals.push((r, v));
                }
            }
            out.push_str(&format!(
                "  user view (VL {} bits): {}\n",
                u32::from(view.vl) * 8,
                regs_line(vals)
            ));
        }
        None => out.push_str("  user view: none (exited, or dies before returning to user)\n"),
    }
    if let Some(b) = &task.sve_state {
        let vals = eval::reg_names()
            .filter(|r| !r.starts_with("fp"))
            .map(|r| {
                let v = resolve(m, &[name.to_string(), "sve_state".into(), r.clone()])
                    .unwrap_or(Val::Int(0));
                (r, v)
            })
            .collect();
        out.push_str(&format!(
            "  sve_state (vq {}, gen {}): {}\n",
            b.vq,
            b.generation,
            regs_line(vals)
        ));
    }
    let st = &task.fpsimd_state;
    let mut vals: Vec<(String, Val)> = (0..32)
        .map(|n| {
            (
                format!("v{n}"),
                Val::Bytes(st.vregs[n].to_le_bytes().to_vec()),
            )
        })
        .collect();
    vals.push(("fpsr".into(), Val::Int(i128::from(st.fpsr))));
    vals.push(("fpcr".into(), Val::Int(i128::from(st.fpcr))));
    out.push_str(&format!("  fpsimd_state: {}\n", regs_line(vals)));
    out.push_str(&format!("  counters: {}\n", counters_line(&task.counters)));
    out
}

fn regview(v: &crate::model::view::RegView, r: &str) -> Option<Val> {
    Some(match super::parser::parse_reg(r).ok()? {
        crate::model::op::Reg::Z(n) => Val::Bytes(v.z[usize::from(n)].clone()),
        crate::model::op::Reg::V(n) => Val::Bytes(v.z[usize::from(n)][..16].to_vec()),
        crate::model::op::Reg::P(n) => Val::Bytes(v.p[usize::from(n)].clone()),
        crate::model::op::Reg::Ffr => Val::Bytes(v.ffr.clone()),
        crate::model::op::Reg::Fpsr => Val::Int(i128::from(v.fpsr)),
        crate::model::op::Reg::Fpcr => Val::Int(i128::from(v.fpcr)),
    })
}

/// `show cpuN`.
pub fn show_cpu(m: &Machine, c: CpuId) -> String {
    let head = c.to_string();
    let mut out = format!(
        "{head}: {}\n",
        field_line(m, &head, &super::vocab::CPU_FIELDS)
    );
    let view = m.regs_view(c);
    let vals = eval::reg_names()
        .filter_map(|r| regview(&view, &r).map(|v| (r, v)))
        .collect();
    out.push_str(&format!(
        "  registers (VL {} bits): {}\n",
        u32::from(view.vl) * 8,
        regs_line(vals)
    ));
    out.push_str(&format!(
        "  counters: {}\n",
        counters_line(&m.cpu(c).counters)
    ));
    out
}

/// `show VCPU`.
pub fn show_vcpu(m: &Machine, v: VcpuId) -> String {
    let vc = m.vcpu(v);
    let mut out = format!(
        "vcpu {}: {}\n",
        vc.name,
        field_line(m, &vc.name, &super::vocab::VCPU_FIELDS)
    );
    if let Some(b) = &vc.sve_state {
        let vals = eval::reg_names()
            .filter(|r| !r.starts_with("fp"))
            .map(|r| {
                let val = resolve(m, &[vc.name.to_string(), "sve_state".into(), r.clone()])
                    .unwrap_or(Val::Int(0));
                (r, val)
            })
            .collect();
        out.push_str(&format!("  sve_state (vq {}): {}\n", b.vq, regs_line(vals)));
    }
    let vals = (0..32)
        .map(|n| {
            (
                format!("v{n}"),
                Val::Bytes(vc.fp_regs.vregs[n].to_le_bytes().to_vec()),
            )
        })
        .collect();
    out.push_str(&format!("  fp_regs: {}\n", regs_line(vals)));
    out
}

/// `show counters`: per task, per CPU, total.
pub fn show_counters(m: &Machine) -> String {
    let mut out = String::new();
    for t in &m.tasks {
        out.push_str(&format!("{:8} {}\n", t.name, counters_line(&t.counters)));
    }
    for (i, c) in m.cpus.iter().enumerate() {
        out.push_str(&format!(
            "{:8} {}\n",
            format!("cpu{i}"),
            counters_line(&c.counters)
        ));
    }
    out.push_str(&format!(
        "{:8} {}\n",
        "total",
        counters_line(&m.total_counters())
    ));
    out
}

/// `show config`.
pub fn show_config(m: &Machine) -> String {
    format!(
        "config: {}\n",
        field_line(m, "config", &super::vocab::CONFIG_FIELDS)
    )
}

/// `show events`: the last operation's events.
pub fn show_events(m: &Machine) -> String {
    if m.events().is_empty() {
        return "(no events)\n".into();
    }
    m.events().iter().map(|r| event_line(m, r) + "\n").collect()
}

/// `show violations`: what is wrong now.
pub fn show_violations(m: &Machine) -> String {
    show_violation_list(&m.check())
}

/// `show violations` for a given list (the session adds the ABI oracle's findings).
pub fn show_violation_list(v: &[crate::model::violation::Violation]) -> String {
    if v.is_empty() {
        return "(no violations)\n".into();
    }
    v.iter().map(|x| violation_line(x) + "\n").collect()
}

/// `show machine`: everything.
pub fn show_machine(m: &Machine) -> String {
    let mut out = show_config(m);
    for i in 0..m.cpus.len() {
        out.push_str(&show_cpu(m, CpuId(i as u8)));
    }
    for i in 0..m.tasks.len() {
        out.push_str(&show_task(m, TaskId(i as u16)));
    }
    for i in 0..m.vcpus.len() {
        out.push_str(&show_vcpu(m, VcpuId(i as u16)));
    }
    if let Some(d) = &m.tracer_buf {
        out.push_str(&format!("tracer: last read of {}\n", tname(m, d.task)));
    }
    out
}

/// Every field of the machine as `(path, value)`, for diffs: configuration, CPUs (with raw
/// registers), tasks (flags, raw buffers; not the user view) and vCPUs.
pub fn flatten(m: &Machine) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |head: &str, f: &str| {
        let segs: Vec<String> = std::iter::once(head.to_string())
            .chain(f.split('.').map(str::to_string))
            .collect();
        if let Ok(v) = resolve(m, &segs) {
            out.push((format!("{head}.{f}"), v.to_string()));
        }
    };
    for f in super::vocab::CONFIG_FIELDS {
        push("config", f);
    }
    let regs: Vec<String> = eval::reg_names().collect();
    let counters: Vec<&str> = Counter::ALL.iter().map(|c| c.name()).collect();
    for i in 0..m.cpus.len() {
        let h = format!("cpu{i}");
        for f in super::vocab::CPU_FIELDS
            .iter()
            .copied()
            .chain(regs.iter().map(String::as_str))
            .chain(counters.iter().copied())
        {
            push(&h, f);
        }
    }
    for t in &m.tasks {
        let h = t.name.clone();
        for f in super::vocab::TASK_FIELDS
            .iter()
            .copied()
            .chain(counters.iter().copied())
        {
            push(&h, f);
        }
        if t.sve_state.is_some() {
            for r in regs.iter().filter(|r| !r.starts_with("fp")) {
                push(&h, &format!("sve_state.{r}"));
            }
        }
        for n in 0..32 {
            push(&h, &format!("fpsimd_state.v{n}"));
        }
        push(&h, "fpsimd_state.fpsr");
        push(&h, "fpsimd_state.fpcr");
    }
    for v in &m.vcpus {
        let h = v.name.clone();
        for f in super::vocab::VCPU_FIELDS {
            push(&h, f);
        }
    }
    out
}
