//! One machine at one position: a card per CPU (its registers at the current VL,
//! `CPACR_EL1.ZEN`, `ZCR_EL1.LEN`, `fpsimd_last_state`), per task (flags, `fp_type`, VL,
//! where its state lives, its saved buffers) and per vCPU.

use super::{cues, field, flag};
use crate::vm::regfmt::{granules, hex32, vl_bits, RegFormat, RegKind};
use crate::vm::snapshot::{
    BufSnap, CpuSnap, FpsimdSnap, Home, Reg, RegSet, Snapshot, TaskSnap, VcpuSnap,
};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`RegRow`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct RegRowProps {
    /// DSL path (`cpu0.z0`).
    pub path: AttrValue,
    /// Register name.
    pub name: AttrValue,
    /// Value.
    pub bytes: Rc<[u8]>,
    /// Value at the previous position (same path), for granule marks.
    pub prev: Option<Rc<[u8]>>,
    /// Whose value.
    pub origin: AttrValue,
    /// Z or P.
    pub kind: RegKind,
    /// Hex, bytes, lanes.
    pub fmt: RegFormat,
    /// Differs from the other kernel.
    pub differs: bool,
}

/// One register: name, owner tag, granules (the V part of a Z register framed).
#[function_component(RegRow)]
pub fn reg_row(p: &RegRowProps) -> Html {
    let gs = granules(&p.bytes, p.prev.as_deref(), p.kind, p.fmt);
    let changed = gs.iter().any(|g| g.changed);
    let is_z = p.kind == RegKind::Z;
    let vname = p.name.strip_prefix('z').map(|n| format!("v{n}"));
    let cells = gs.into_iter().map(|g| {
        let v = is_z && g.index == 0;
        let title = if v {
            format!(
                "{}: bits [127:0] (= {})",
                p.name,
                vname.as_deref().unwrap_or("V")
            )
        } else {
            let w = if is_z { 128 } else { 16 };
            format!("{}: bits [{}:{}]", p.name, (g.index + 1) * w - 1, g.index * w)
        };
        html! {
            <span class={classes!("g", v.then_some("vpart"), g.zero.then_some("zero"), g.changed.then_some("gchg"))} title={title}>{g.text}</span>
        }
    });
    html! {
        <tr class={classes!(changed.then_some("chg"), p.differs.then_some("diff"))} data-path={p.path.clone()}>
            <th scope="row">
                {&*p.name}
                if changed { <span class="cue cue-chg" title="changed in the last step">{"Δ"}<span class="sr">{" changed"}</span></span> }
                if p.differs { <span class="cue cue-diff" title="differs from the other kernel">{"≠"}<span class="sr">{" differs"}</span></span> }
            </th>
            <td class="origin" title="whose value this is">{&*p.origin}</td>
            <td class="val">{for cells}</td>
        </tr>
    }
}

/// Properties of [`MachineView`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct MachineProps {
    /// What to draw.
    pub snap: Rc<Snapshot>,
    /// The previous position's snapshot.
    pub prev: Option<Rc<Snapshot>>,
    /// Paths the last step changed.
    pub changed: Rc<HashSet<String>>,
    /// Paths that differ from the other kernel (compare mode).
    pub differs: Rc<HashSet<String>>,
    /// Register format.
    pub fmt: RegFormat,
    /// Show registers that are zero and unchanged too.
    pub all_regs: bool,
}

struct Ctx<'a> {
    p: &'a MachineProps,
}

impl Ctx<'_> {
    fn regs_table(
        &self,
        caption: &str,
        head: &str,
        regs: &[&Reg],
        prev: Option<Vec<&Reg>>,
        kind_of: impl Fn(&Reg) -> RegKind,
    ) -> Html {
        let p = self.p;
        let mut hidden = 0;
        let rows: Vec<Html> = regs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let path = format!("{head}.{}", r.name);
                let prev_bytes = prev.as_ref().and_then(|v| v.get(i)).map(|x| x.bytes.clone());
                let changed = prev_bytes.as_ref().is_some_and(|b| *b != r.bytes);
                let differs = p.differs.contains(&path);
                let zero = r.bytes.iter().all(|&b| b == 0);
                if !p.all_regs && zero && !changed && !differs {
                    hidden += 1;
                    return None;
                }
                let key = path.clone();
                Some(html! {
                    <RegRow key={key} path={AttrValue::from(path)} name={r.name.clone()} bytes={r.bytes.clone()}
                        prev={prev_bytes} origin={r.origin.clone()} kind={kind_of(r)} fmt={p.fmt} differs={differs} />
                })
            })
            .collect();
        let order = if p.fmt.msb_first() {
            "most significant bits first; bits [127:0] (V) framed on the right"
        } else {
            "byte 0 first; bits [127:0] (V) framed on the left"
        };
        html! {
            <table class="regs">
                <caption>{caption}<span class="order">{format!(" ({order})")}</span></caption>
                <tbody>{for rows}</tbody>
                if hidden > 0 {
                    <tfoot><tr><td colspan="3" class="hidden-note">{format!("{hidden} registers are zero (show them with “all registers”)")}</td></tr></tfoot>
                }
            </table>
        }
    }

    fn regset(&self, caption: &str, head: &str, r: &RegSet, prev: Option<&RegSet>) -> Html {
        let regs: Vec<&Reg> =
            r.z.iter()
                .chain(&r.p)
                .chain(std::iter::once(&r.ffr))
                .collect();
        let prev = prev.map(|x| {
            x.z.iter()
                .chain(&x.p)
                .chain(std::iter::once(&x.ffr))
                .collect()
        });
        self.regs_table(caption, head, &regs, prev, |reg| {
            if reg.name.starts_with('z') {
                RegKind::Z
            } else {
                RegKind::P
            }
        })
    }

    fn fpsimd(&self, caption: &str, head: &str, f: &FpsimdSnap, prev: Option<&FpsimdSnap>) -> Html {
        let regs: Vec<&Reg> = f.v.iter().collect();
        let prev = prev.map(|x| x.v.iter().collect());
        let (c, d) = (&*self.p.changed, &*self.p.differs);
        html! {
            <>
                {self.regs_table(caption, head, &regs, prev, |_| RegKind::Z)}
                <div class="fields">
                    {field("FPSR", &format!("{head}.fpsr"), hex32(f.fpsr), c, d)}
                    {field("FPCR", &format!("{head}.fpcr"), hex32(f.fpcr), c, d)}
                </div>
            </>
        }
    }

    fn buf(&self, head: &str, b: &Option<BufSnap>, prev: Option<&Option<BufSnap>>) -> Html {
        match b {
            None => {
                html! { <p class="buf-null" data-path={head.to_string()}>{format!("{head} = NULL (no SVE buffer)")}</p> }
            }
            Some(b) => {
                let prev = prev.and_then(|x| x.as_ref()).map(|x| &x.regs);
                self.regset(
                    &format!(
                        "{head} (VQ {}, {}, allocation #{})",
                        b.vq,
                        vl_bits(b.regs.vl),
                        b.generation
                    ),
                    head,
                    &b.regs,
                    prev,
                )
            }
        }
    }

    fn cpu(&self, c: &CpuSnap, prev: Option<&CpuSnap>) -> Html {
        let (ch, df) = (&*self.p.changed, &*self.p.differs);
        let h = &c.name;
        let f = |label: &str, k: &str, v: Html| field(label, &format!("{h}.{k}"), v, ch, df);
        let zen = if c.zen_el0en {
            "0b11: EL0 may run SVE"
        } else {
            "0b01: EL0 SVE traps"
        };
        let (bcls, bglyph) = cues(&format!("{h}.owner"), ch, df);
        let target = c.binding.target().map(str::to_string);
        html! {
            <section class={classes!("card", "cpu", (!c.online).then_some("offline"))} data-cpu={h.clone()} aria-label={format!("{h} registers")}>
                <h3>{h}<small>{ if c.online { format!(" runs {}", c.curr) } else { " offline".to_string() } }</small></h3>
                <div class="fields">
                    {f("CPACR_EL1.ZEN", "CPACR_EL1.ZEN_EL0EN", html!{<span class={classes!("flag", if c.zen_el0en {"on"} else {"off"})}>{zen}</span>})}
                    {f("ZCR_EL1.LEN", "ZCR_EL1.LEN", html!{<>{c.zcr_len}<span class="note">{format!(" → VL {}", vl_bits(c.vl))}</span></>})}
                    <div class={classes!("field", "binding", bcls)} data-path={format!("{h}.owner")} data-owner={target.clone().unwrap_or_default()} title={format!("path: {h}.last.st")}>
                        <span class="k">{"fpsimd_last_state.st"}</span>
                        <span class="v">{bglyph}<span class="arrow" aria-hidden="true">{ if target.is_some() { "⟶ " } else { "⊘ " } }</span>{c.binding.describe()}</span>
                    </div>
                    {f("last.sve_vl", "last.sve_vl", html!{vl_bits(c.last_sve_vl)})}
                    {f("last.sve_state", "last.sve_state", html!{c.last_sve_state.clone()})}
                    if let Some(t) = c.last_to_save {
                        {f("last.to_save", "last.to_save", html!{t})}
                    }
                    {f("FPSR", "fpsr", html!{hex32(c.fpsr)})}
                    {f("FPCR", "fpcr", html!{hex32(c.fpcr)})}
                </div>
                {self.regset(&format!("registers at VL {}", vl_bits(c.vl)), h, &c.regs, prev.map(|x| &x.regs))}
            </section>
        }
    }

    fn task(&self, t: &TaskSnap, prev: Option<&TaskSnap>) -> Html {
        let (ch, df) = (&*self.p.changed, &*self.p.differs);
        let h = &t.name;
        let f = |label: &str, k: &str, v: Html| field(label, &format!("{h}.{k}"), v, ch, df);
        let home_cls = match &t.home {
            Home::Live(_) => "live",
            Home::Memory(_) | Home::SavedForGuest { .. } => "memory",
        };
        html! {
            <section class={classes!("card", "task", (!t.alive).then_some("exited"))} data-task={h.clone()} aria-label={format!("task {h}")}>
                <h3>{format!("task {h}")}<small>{format!(" {}", t.place)}</small></h3>
                <div class="fields">
                    {f("TIF_SVE", "TIF_SVE", flag(t.tif_sve))}
                    {f("TIF_FOREIGN_FPSTATE", "TIF_FOREIGN_FPSTATE", flag(t.tif_foreign))}
                    {f("fp_type", "fp_type", match t.fp_type { Some(x) => html!{x}, None => html!{<span class="na">{"n/a before patch 2"}</span>} })}
                    {f("VL", "vl", html!{vl_bits(t.vl)})}
                    <div class={classes!("field", "home", home_cls, cues(&format!("{h}.home"), ch, df).0)} data-path={format!("{h}.home")} title={format!("path: {h}.home")}>
                        <span class="k">{"state lives"}</span>
                        <span class="v">{cues(&format!("{h}.home"), ch, df).1}<span aria-hidden="true">{ if home_cls == "live" { "◉ " } else { "▤ " } }</span>{t.home.describe()}</span>
                    </div>
                    {f("fpsimd_cpu", "fpsimd_cpu", html!{t.fpsimd_cpu.clone().unwrap_or_else(|| "NR_CPUS".into())})}
                    {f("in syscall", "in_syscall", flag(t.in_syscall))}
                    if t.tif_vl_inherit || t.vl_onexec != 0 {
                        {f("TIF_SVE_VL_INHERIT", "TIF_SVE_VL_INHERIT", flag(t.tif_vl_inherit))}
                        {f("vl_onexec", "vl_onexec", html!{ {if t.vl_onexec == 0 { "none".to_string() } else { vl_bits(t.vl_onexec) }} })}
                    }
                    if !t.pending.is_empty() || t.frames > 0 {
                        {f("pending", "pending", html!{ {if t.pending.is_empty() { "none".to_string() } else { t.pending.join(", ") }} })}
                        {f("signal frames", "frames", html!{t.frames})}
                    }
                </div>
                <details class="buffers" open=true>
                    <summary>{"saved buffers"}</summary>
                    {self.fpsimd(&format!("{h}.fpsimd_state (V0–V31)"), &format!("{h}.fpsimd_state"), &t.fpsimd, prev.map(|x| &x.fpsimd))}
                    {self.buf(&format!("{h}.sve_state"), &t.sve_state, prev.map(|x| &x.sve_state))}
                </details>
            </section>
        }
    }

    fn vcpu(&self, v: &VcpuSnap, prev: Option<&VcpuSnap>) -> Html {
        let (ch, df) = (&*self.p.changed, &*self.p.differs);
        let h = &v.name;
        let f = |label: &str, k: &str, val: Html| field(label, &format!("{h}.{k}"), val, ch, df);
        html! {
            <section class="card vcpu" data-vcpu={h.clone()} aria-label={format!("vCPU {h}")}>
                <h3>{format!("vCPU {h}")}<small>{ match &v.loaded_on { Some(c) => format!(" loaded on {c}{}", if v.in_guest { ", guest running" } else { "" }), None => " not loaded".into() } }</small></h3>
                <div class="fields">
                    {f("SVE", "has_sve", html!{ {if v.has_sve { format!("yes, max VL {}", vl_bits(v.sve_max_vl)) } else { "no".to_string() }} })}
                    {f("FP ownership", "fp_owner", html!{v.fp_owner.clone()})}
                    {f("fp_type", "fp_type", match v.fp_type { Some(x) => html!{x}, None => html!{<span class="na">{"n/a before patch 2"}</span>} })}
                    {f("guest ZCR_EL1.LEN", "zcr_el1", html!{v.zcr_el1})}
                    {f("HOST_SVE_ENABLED", "host_sve_enabled", flag(v.host_sve_enabled))}
                    if let Some(x) = v.fp_foreign_fpstate {
                        {f("FP_FOREIGN_FPSTATE", "fp_foreign_fpstate", flag(x))}
                    }
                    {f("VMM", "vmm", html!{v.vmm.clone().unwrap_or_else(|| "none".into())})}
                </div>
                <details class="buffers">
                    <summary>{"guest buffers"}</summary>
                    {self.fpsimd(&format!("{h}.fp_regs (V0–V31)"), &format!("{h}.fp_regs"), &v.fp_regs, prev.map(|x| &x.fp_regs))}
                    {self.buf(&format!("{h}.sve_state"), &v.sve_state, prev.map(|x| &x.sve_state))}
                </details>
            </section>
        }
    }
}

/// CPUs, tasks and vCPUs of one snapshot.
#[function_component(MachineView)]
pub fn machine_view(p: &MachineProps) -> Html {
    let cx = Ctx { p };
    let s = &p.snap;
    let prev = p.prev.as_deref();
    let cpus = s
        .cpus
        .iter()
        .enumerate()
        .map(|(i, c)| cx.cpu(c, prev.and_then(|x| x.cpus.get(i))));
    let tasks = s
        .tasks
        .iter()
        .map(|t| cx.task(t, prev.and_then(|x| x.task(&t.name))));
    let vcpus = s.vcpus.iter().map(|v| {
        cx.vcpu(
            v,
            prev.and_then(|x| x.vcpus.iter().find(|y| y.name == v.name)),
        )
    });
    html! {
        <div class="machine">
            <div class="cards cpus">{for cpus}</div>
            <div class="cards tasks">
                {for tasks}
                if s.tasks.is_empty() { <p class="empty">{"No tasks yet: `task A on=cpu0` creates one."}</p> }
            </div>
            if !s.vcpus.is_empty() { <div class="cards vcpus">{for vcpus}</div> }
        </div>
    }
}
