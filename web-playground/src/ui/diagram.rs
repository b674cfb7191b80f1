//! Two drawings: the `fpsimd_last_state` binding of every CPU as an arrow to the task or
//! vCPU whose state its registers hold, and the lazy-restore state diagram of one task
//! with its current node and the transition just taken lit.
//!
//! Line styles carry meaning besides colour: solid = current binding, dashed = stale
//! binding; in the state diagram the current node has a thick frame and the word "now",
//! the previous one a dashed frame and "was".

use crate::vm::lazy::{edges, grid, Node, Transition};
use crate::vm::snapshot::{Binding, Home, Snapshot};
use std::collections::HashSet;
use std::rc::Rc;
use yew::prelude::*;

const BOX_W: i32 = 124;
const BOX_H: i32 = 44;
const ROW: i32 = 56;
const OWNER_X: i32 = 250;

/// Properties of [`BindingDiagram`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct BindingProps {
    /// The machine.
    pub snap: Rc<Snapshot>,
    /// What the last step changed.
    pub changed: Rc<HashSet<String>>,
}

/// Where an owner box is: its row among tasks then vCPUs.
pub fn owner_rows(s: &Snapshot) -> Vec<(String, bool)> {
    s.tasks
        .iter()
        .map(|t| (t.name.clone(), false))
        .chain(s.vcpus.iter().map(|v| (v.name.clone(), true)))
        .collect()
}

/// The arrows: (cpu row, owner row, current).
pub fn arrows(s: &Snapshot) -> Vec<(usize, usize, bool)> {
    let owners = owner_rows(s);
    s.cpus
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let (name, current) = match &c.binding {
                Binding::Nobody => return None,
                Binding::Task { name, current } => (name, *current),
                Binding::Vcpu { name } => (name, true),
            };
            let j = owners.iter().position(|(n, _)| n == name)?;
            Some((i, j, current))
        })
        .collect()
}

/// `fpsimd_last_state` of every CPU, drawn.
#[function_component(BindingDiagram)]
pub fn binding_diagram(p: &BindingProps) -> Html {
    let s = &p.snap;
    let owners = owner_rows(s);
    let rows = s.cpus.len().max(owners.len()).max(1) as i32;
    let h = 8 + rows * ROW;
    let w = OWNER_X + BOX_W + 4;
    let cy = |i: usize| 8 + i as i32 * ROW + BOX_H / 2;
    let cpu_boxes = s.cpus.iter().enumerate().map(|(i, c)| {
        let y = 8 + i as i32 * ROW;
        let null = matches!(c.binding, Binding::Nobody);
        html! {
            <g class={classes!("node", "cpu-node", (!c.online).then_some("offline"))}>
                <rect x="4" y={y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx="6" />
                <text x="14" y={(y + 18).to_string()} class="title">{&c.name}</text>
                <text x="14" y={(y + 35).to_string()} class="sub">{ if c.online { format!("runs {}", c.curr) } else { "offline".into() } }</text>
                if null {
                    <text x={(BOX_W + 12).to_string()} y={(y + 26).to_string()} class="null">{"st = NULL ⊘"}</text>
                }
            </g>
        }
    });
    let owner_boxes = owners.iter().enumerate().map(|(j, (name, vcpu))| {
        let y = 8 + j as i32 * ROW;
        let sub = if *vcpu {
            s.vcpus
                .iter()
                .find(|v| &v.name == name)
                .map_or(String::new(), |v| v.fp_owner.split(' ').next().unwrap_or("").to_string())
        } else {
            s.task(name).map_or(String::new(), |t| match &t.home {
                Home::Live(c) => format!("live on {c}"),
                Home::Memory(f) => format!("saved ({f})"),
                Home::SavedForGuest { vcpu, .. } => format!("saved (guest {vcpu} runs)"),
            })
        };
        html! {
            <g class={classes!("node", if *vcpu { "vcpu-node" } else { "task-node" })}>
                <rect x={OWNER_X.to_string()} y={y.to_string()} width={BOX_W.to_string()} height={BOX_H.to_string()} rx={ if *vcpu { "0" } else { "14" } } />
                <text x={(OWNER_X + 10).to_string()} y={(y + 18).to_string()} class="title">{ if *vcpu { format!("vCPU {name}") } else { format!("task {name}") } }</text>
                <text x={(OWNER_X + 10).to_string()} y={(y + 35).to_string()} class="sub">{sub}</text>
            </g>
        }
    });
    let arrow_list = arrows(s);
    let lines = arrow_list.iter().map(|&(i, j, current)| {
        let (y1, y2) = (cy(i), cy(j));
        let x1 = 4 + BOX_W;
        let x2 = OWNER_X - 8;
        let mid = (x1 + x2) / 2;
        let changed = p.changed.contains(&format!("{}.owner", s.cpus[i].name));
        let d = format!("M{x1} {y1} C{mid} {y1} {mid} {y2} {x2} {y2}");
        let label = if current { "st" } else { "st (stale)" };
        html! {
            <g class={classes!("bind", if current { "current" } else { "stale" }, changed.then_some("chg"))}>
                <path d={d} marker-end="url(#arrowhead)" />
                <text x={(mid - 14).to_string()} y={((y1 + y2) / 2 - 6).to_string()} class="lbl">{label}{ if changed { " Δ" } else { "" } }</text>
            </g>
        }
    });
    html! {
        <figure class="diagram binding-diagram">
            <figcaption>{"fpsimd_last_state: whose state each CPU's registers hold"}</figcaption>
            <svg viewBox={format!("0 0 {w} {h}")} width={w.to_string()} height={h.to_string()} role="img"
                aria-label={describe_bindings(s)}>
                <defs>
                    <marker id="arrowhead" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                        <path d="M0 0 L10 5 L0 10 z" class="head" />
                    </marker>
                </defs>
                {for cpu_boxes}
                {for owner_boxes}
                {for lines}
            </svg>
            <p class="legend">{"solid arrow: current binding · dashed: stale (the task was reloaded elsewhere) · ⊘ nobody's"}</p>
        </figure>
    }
}

/// The binding as a sentence (for screen readers and tests).
pub fn describe_bindings(s: &Snapshot) -> String {
    s.cpus
        .iter()
        .map(|c| format!("{} holds {}", c.name, c.binding.describe()))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A coordinate as SVG text, rounded (integers only: no float formatting in the bundle).
fn coord(v: f64) -> String {
    (v.round() as i64).to_string()
}

const CELL_W: i32 = 230;
const CELL_H: i32 = 110;
const NODE_W: i32 = 140;
const NODE_H: i32 = 50;
const TOP: i32 = 34;

/// Top-left corner of a node.
pub fn node_xy(n: Node) -> (i32, i32) {
    let (c, r) = grid(n);
    (10 + c as i32 * CELL_W, TOP + r as i32 * CELL_H)
}

/// The segment between two nodes, clipped to their frames and moved `offset` pixels to
/// the left of its direction (so the two directions of a pair do not overlap).
pub fn segment(a: Node, b: Node, offset: f64) -> ((f64, f64), (f64, f64)) {
    let c = |n: Node| {
        let (x, y) = node_xy(n);
        (
            f64::from(x) + f64::from(NODE_W) / 2.0,
            f64::from(y) + f64::from(NODE_H) / 2.0,
        )
    };
    let (p, q) = (c(a), c(b));
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (nx, ny) = (-dy / len * offset, dx / len * offset);
    // Distance from a centre to its frame along the direction.
    let hw = f64::from(NODE_W) / 2.0 + 3.0;
    let hh = f64::from(NODE_H) / 2.0 + 3.0;
    let t = if dx.abs() * hh > dy.abs() * hw {
        hw / dx.abs()
    } else {
        hh / dy.abs()
    };
    let (ex, ey) = (dx * t, dy * t);
    (
        (p.0 + ex + nx, p.1 + ey + ny),
        (q.0 - ex + nx, q.1 - ey + ny),
    )
}

/// Properties of [`LazyDiagram`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct LazyProps {
    /// The task drawn.
    pub task: AttrValue,
    /// Its node now.
    pub now: Option<Node>,
    /// What the last step did to it.
    pub transition: Option<Transition>,
}

/// The lazy-restore state machine of one task.
#[function_component(LazyDiagram)]
pub fn lazy_diagram(p: &LazyProps) -> Html {
    let was = p.transition.as_ref().filter(|t| t.moved()).map(|t| t.from);
    let lit = p
        .transition
        .as_ref()
        .filter(|t| t.moved())
        .map(|t| (t.from, t.to));
    let nodes = Node::ALL.iter().map(|&n| {
        let (x, y) = node_xy(n);
        let (l1, l2) = n.label();
        let now = p.now == Some(n);
        let is_was = was == Some(n);
        html! {
            <g class={classes!("lnode", now.then_some("now"), is_was.then_some("was"))}>
                <title>{n.meaning()}</title>
                <rect x={x.to_string()} y={y.to_string()} width={NODE_W.to_string()} height={NODE_H.to_string()} rx="8" />
                <text x={(x + 8).to_string()} y={(y + 20).to_string()} class="title">{l1}{ if now { "  ◀ now" } else if is_was { "  (was)" } else { "" } }</text>
                <text x={(x + 8).to_string()} y={(y + 38).to_string()} class="sub">{l2}</text>
            </g>
        }
    });
    let canon = edges();
    let edge_lines = canon.iter().map(|e| {
        let ((x1, y1), (x2, y2)) = segment(e.from, e.to, 5.0);
        let on = lit == Some((e.from, e.to));
        // The label sits beside the middle of the line, on the line's own side; beside a
        // vertical line it starts (or ends) there instead of being centred on it.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (px, py) = (-dy / len, dx / len);
        let (mx, my) = ((x1 + x2) / 2.0 + px * 8.0, (y1 + y2) / 2.0 + py * 8.0 + 4.0);
        let anchor = if px > 0.5 {
            "start"
        } else if px < -0.5 {
            "end"
        } else {
            "middle"
        };
        html! {
            <g class={classes!("ledge", on.then_some("lit"))}>
                <line x1={coord(x1)} y1={coord(y1)} x2={coord(x2)} y2={coord(y2)} marker-end="url(#lhead)" />
                <text x={coord(mx)} y={coord(my)} text-anchor={anchor} class="lbl">{e.label}</text>
            </g>
        }
    });
    let extra = lit
        .filter(|(a, b)| !canon.iter().any(|e| e.from == *a && e.to == *b))
        .map(|(a, b)| {
            let ((x1, y1), (x2, y2)) = segment(a, b, 0.0);
            html! {
                <g class="ledge lit">
                    <line x1={coord(x1)} y1={coord(y1)} x2={coord(x2)} y2={coord(y2)} marker-end="url(#lhead)" />
                </g>
            }
        });
    let w = 10 + 4 * CELL_W;
    let h = TOP + 2 * CELL_H;
    let caption = match &p.transition {
        Some(t) => t.caption(),
        None => "no step yet".into(),
    };
    html! {
        <figure class="diagram lazy-diagram">
            <figcaption>{format!("Lazy restore: where task {}'s FP state is", p.task)}</figcaption>
            <svg viewBox={format!("0 0 {w} {h}")} role="img" aria-label={format!("task {}: {caption}", p.task)}>
                <defs>
                    <marker id="lhead" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0 0 L10 5 L0 10 z" class="head" />
                    </marker>
                </defs>
                <text x="12" y="18" class="colhead">{"registers loaded"}</text>
                <text x={(12 + CELL_W).to_string()} y="18" class="colhead">{"switched out, still on its CPU"}</text>
                <text x={(12 + 2 * CELL_W).to_string()} y="18" class="colhead">{"in memory only"}</text>
                {for edge_lines}
                {for extra}
                {for nodes}
            </svg>
            <p class={classes!("transition", p.transition.as_ref().is_some_and(|t| t.moved()).then_some("moved"))}>
                <span class="sr">{"last step: "}</span>{caption}
            </p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::lazy::Place;
    use svelab_core::model::types::Format;

    #[test]
    fn segments_start_and_end_outside_the_frames() {
        let a = Node::State(Place::Live, Format::Fpsimd);
        let b = Node::State(Place::Cached, Format::Fpsimd);
        let ((x1, _), (x2, _)) = segment(a, b, 0.0);
        let (ax, _) = node_xy(a);
        let (bx, _) = node_xy(b);
        assert!(x1 > f64::from(ax + NODE_W));
        assert!(x2 < f64::from(bx));
        // The two directions of a pair are on opposite sides.
        let (p, _) = segment(a, b, 5.0);
        let (q, _) = segment(b, a, 5.0);
        assert!((p.1 - q.1).abs() > 9.0);
    }

    #[test]
    fn arrows_follow_the_binding() {
        use svelab_core::Session;
        let (mut s, _) = Session::from_source("task A on=cpu0\ntask B on=cpu1\nfp-op A v0=1");
        s.run(&Default::default());
        let snap = Snapshot::of(s.machine());
        let a = arrows(&snap);
        assert!(a.contains(&(0, 0, true)), "{a:?}");
        assert!(describe_bindings(&snap).contains("cpu0 holds A (current)"));
    }
}
