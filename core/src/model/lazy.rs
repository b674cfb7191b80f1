//! The lazy-restore state machine of one task: the nodes the playground's state diagram
//! draws, which node a task is in, and which kernel functions moved it.
//!
//! arm64 Linux does not reload a task's FP/SVE registers on every context switch: it
//! records in `fpsimd_last_state` whose state a CPU's registers hold and in
//! `TIF_FOREIGN_FPSTATE` whether the task must reload before returning to user. A task's
//! state is therefore in one of three places — **live** (running, its registers loaded),
//! **cached** (switched out, but its CPU still holds its registers: switching back there
//! needs no reload) or **saved** (only in memory: the next return to user reloads it) — in
//! one of two formats, FPSIMD (SVE traps) or SVE. [`classify`] reads the node from the
//! model's derived views; [`transition`] names the edge a step took.

use super::event::{Event, EventRecord};
use super::machine::Machine;
use super::types::{Format, TaskId};
use super::view::StateHome;

/// Where the task's newest FP state is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Place {
    /// Running, registers loaded.
    Live,
    /// Switched out, registers still bound on its last CPU.
    Cached,
    /// Only in memory.
    Saved,
}

/// A node of the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A place and a format.
    State(Place, Format),
    /// The task exited.
    Exited,
}

impl Node {
    /// Every node, in drawing order.
    pub const ALL: [Node; 7] = [
        Node::State(Place::Live, Format::Fpsimd),
        Node::State(Place::Cached, Format::Fpsimd),
        Node::State(Place::Saved, Format::Fpsimd),
        Node::State(Place::Live, Format::Sve),
        Node::State(Place::Cached, Format::Sve),
        Node::State(Place::Saved, Format::Sve),
        Node::Exited,
    ];

    /// Two-line label.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Node::State(p, f) => (
                match p {
                    Place::Live => "live",
                    Place::Cached => "cached on CPU",
                    Place::Saved => "saved",
                },
                match (p, f) {
                    (Place::Saved, Format::Fpsimd) => "FPSIMD in memory",
                    (Place::Saved, Format::Sve) => "SVE in sve_state",
                    (_, Format::Fpsimd) => "FPSIMD (SVE traps)",
                    (_, Format::Sve) => "SVE enabled",
                },
            ),
            Node::Exited => ("exited", ""),
        }
    }

    /// What the node means, for its tooltip.
    pub fn meaning(self) -> &'static str {
        match self {
            Node::State(Place::Live, Format::Fpsimd) => {
                "running; its V registers are loaded; TIF_SVE=0, so its next SVE instruction traps"
            }
            Node::State(Place::Live, Format::Sve) => {
                "running with TIF_SVE=1: SVE runs without trapping, Z/P/FFR are live"
            }
            Node::State(Place::Cached, _) => {
                "switched out, but its last CPU still holds its registers: switching back there needs no reload"
            }
            Node::State(Place::Saved, _) => {
                "only in memory (TIF_FOREIGN_FPSTATE): the next return to user reloads it"
            }
            Node::Exited => "the task has exited",
        }
    }
}

/// The node of task `t` in `m`.
pub fn classify(m: &Machine, t: TaskId) -> Node {
    let task = m.task(t);
    if !task.alive() {
        return Node::Exited;
    }
    let live_fmt = if task.tif_sve {
        Format::Sve
    } else {
        Format::Fpsimd
    };
    // A guest holding the VMM's CPU's registers: KVM saved the host's FPSIMD state first.
    if m.guest_holding_regs_of(t).is_some() {
        return Node::State(Place::Saved, Format::Fpsimd);
    }
    match m.state_home(t) {
        StateHome::Live(c) if m.running_on(t) == Some(c) => Node::State(Place::Live, live_fmt),
        StateHome::Live(_) => Node::State(Place::Cached, live_fmt),
        StateHome::Memory(f) => Node::State(Place::Saved, f),
    }
}

/// A canonical edge of the diagram: the usual ways between two nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// From.
    pub from: Node,
    /// To.
    pub to: Node,
    /// The kernel function(s) that take it.
    pub label: &'static str,
}

/// The edges always drawn (faintly): the textbook paths.
pub fn edges() -> Vec<Edge> {
    use Format::{Fpsimd as F, Sve as S};
    use Place::*;
    let st = Node::State;
    let mut v = vec![
        Edge {
            from: st(Live, F),
            to: st(Live, S),
            label: "do_sve_acc",
        },
        Edge {
            from: st(Live, S),
            to: st(Live, F),
            label: "fp_user_discard",
        },
    ];
    for f in [F, S] {
        v.extend([
            Edge {
                from: st(Live, f),
                to: st(Cached, f),
                label: "fpsimd_save",
            },
            Edge {
                from: st(Cached, f),
                to: st(Live, f),
                label: "no reload",
            },
            Edge {
                from: st(Cached, f),
                to: st(Saved, f),
                label: "CPU reused",
            },
            Edge {
                from: st(Saved, f),
                to: st(Live, f),
                label: "task_fpsimd_load",
            },
        ]);
    }
    v
}

/// What a step did to the task's node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// Before the step.
    pub from: Node,
    /// After it.
    pub to: Node,
    /// The kernel functions of the step's events for this task, in order, deduplicated.
    pub via: Vec<String>,
}

impl Transition {
    /// Did the node change?
    pub fn moved(&self) -> bool {
        self.from != self.to
    }

    /// One line for the caption.
    pub fn caption(&self) -> String {
        let via = if self.via.is_empty() {
            String::new()
        } else {
            format!(" via {}", self.via.join(" → "))
        };
        let name = |n: Node| {
            let (a, b) = n.label();
            if b.is_empty() {
                a.to_string()
            } else {
                format!("{a}, {b}")
            }
        };
        if self.moved() {
            format!("{} → {}{via}", name(self.from), name(self.to))
        } else {
            format!("stayed {}{via}", name(self.to))
        }
    }
}

/// The transition of task `t` between `before` and `after`, given the step's events.
/// `None` if the task did not exist before.
pub fn transition(
    before: &Machine,
    after: &Machine,
    t: TaskId,
    events: &[EventRecord],
) -> Option<Transition> {
    if usize::from(t.0) >= before.tasks.len() {
        return None;
    }
    let mut via: Vec<String> = Vec::new();
    for r in events {
        if r.task != Some(t) && !matches!(r.event, Event::FlushTaskState { task } if task == t) {
            continue;
        }
        if !key_event(&r.event) {
            continue;
        }
        let f = r.event.function().to_string();
        if !via.contains(&f) {
            via.push(f);
        }
    }
    Some(Transition {
        from: classify(before, t),
        to: classify(after, t),
        via,
    })
}

/// Events that move a task around the diagram (the others are bookkeeping).
fn key_event(e: &Event) -> bool {
    matches!(
        e,
        Event::SveAccessTrap
            | Event::FpUserDiscard
            | Event::FpsimdSyscallEnter
            | Event::FpsimdSave { .. }
            | Event::TaskFpsimdLoad { .. }
            | Event::FlushTaskState { .. }
            | Event::FlushCpuState
            | Event::KernelNeon
            | Event::ThreadSwitch { .. }
            | Event::FlushThread
            | Event::Sigreturn { .. }
            | Event::Ptrace { .. }
            | Event::FpsimdKvmPrepare { .. }
            | Event::TaskExit { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    fn walk(src: &str) -> Vec<(Node, Vec<String>)> {
        let (mut s, d) = Session::from_source(src);
        assert!(d.is_empty(), "{d:?}");
        let mut out = Vec::new();
        loop {
            let before = s.machine().clone();
            let Some(r) = s.step() else { break };
            assert!(r.error.is_none(), "{:?}", r.error);
            let a = s.machine();
            if let Some(tr) = transition(&before, a, TaskId(0), &r.events) {
                out.push((tr.to, tr.via));
            }
        }
        out
    }

    #[test]
    fn the_getpid_loop_on_v5_19_goes_round_the_trap() {
        use Format::*;
        use Place::*;
        let w = walk("task A vl=512 on=cpu0\nsve-op A z0=1\nsvc A getpid\nsve-op A z0=2");
        let nodes: Vec<Node> = w.iter().map(|x| x.0).collect();
        assert_eq!(
            nodes,
            [
                Node::State(Live, Sve),
                Node::State(Live, Fpsimd),
                Node::State(Live, Sve)
            ]
        );
        assert!(w[0].1.contains(&"do_sve_acc".to_string()), "{:?}", w[0].1);
        assert!(w[1].1.contains(&"fp_user_discard".to_string()));
    }

    #[test]
    fn on_the_series_sve_stays_live_across_getpid() {
        let w = walk("kernel series-v1\ntask A vl=512 on=cpu0\nsve-op A z0=1\nsvc A getpid");
        let last = w.last().unwrap();
        assert_eq!(last.0, Node::State(Place::Live, Format::Sve));
    }

    #[test]
    fn switching_out_caches_and_reusing_the_cpu_saves() {
        use Format::*;
        use Place::*;
        let w = walk(
            "task A vl=512 on=cpu0\ntask B\nfp-op A v0=1\nctxsw cpu0 idle\nctxsw cpu0 A\nctxsw cpu0 B\nctxsw cpu0 A",
        );
        // `task A` has no "before"; the walk starts at `task B`.
        let nodes: Vec<Node> = w.iter().map(|x| x.0).collect();
        assert_eq!(nodes[1], Node::State(Live, Fpsimd));
        assert_eq!(
            nodes[2],
            Node::State(Cached, Fpsimd),
            "switched out, still bound"
        );
        assert_eq!(nodes[3], Node::State(Live, Fpsimd));
        assert!(
            !w[3].1.contains(&"task_fpsimd_load".to_string()),
            "no reload: {:?}",
            w[3].1
        );
        assert_eq!(nodes[4], Node::State(Saved, Fpsimd), "B took the registers");
        assert_eq!(nodes[5], Node::State(Live, Fpsimd));
        assert!(
            w[5].1.contains(&"task_fpsimd_load".to_string()),
            "{:?}",
            w[5].1
        );
    }

    #[test]
    fn labels_and_captions() {
        for n in Node::ALL {
            assert!(!n.label().0.is_empty());
            assert!(!n.meaning().is_empty());
        }
        let t = Transition {
            from: Node::State(Place::Live, Format::Fpsimd),
            to: Node::State(Place::Live, Format::Sve),
            via: vec!["do_sve_acc".into()],
        };
        assert_eq!(
            t.caption(),
            "live, FPSIMD (SVE traps) → live, SVE enabled via do_sve_acc"
        );
        assert!(edges().iter().any(|e| e.from == t.from && e.to == t.to));
    }
}
