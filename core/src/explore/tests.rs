//! The canonical key: what keeps states apart, and what makes mirror states meet.

use super::canon::key_bytes;
use super::moves::step_oracle;
use super::*;
use crate::model::op::{Op, Syscall, UserInsn};
use crate::model::types::TaskId;

fn root() -> (Machine, AbiOracle) {
    Explorer::new(ExploreConfig::default()).unwrap().root
}

fn apply(s: &mut (Machine, AbiOracle), ops: &[Op]) {
    for op in ops {
        s.0.apply(op).unwrap();
        step_oracle(s.0.kernel(), &s.0, &mut s.1, op);
    }
}

/// A machine after `A` took a signal (so it has a frame), with its oracle.
fn with_frame() -> (Machine, AbiOracle) {
    let mut s = root();
    let a = TaskId(0);
    apply(
        &mut s,
        &[
            Op::Signal {
                task: a,
                sig: crate::model::event::Sig::Usr1,
            },
            Op::Svc {
                task: a,
                call: Syscall::Getpid,
            },
        ],
    );
    assert_eq!(s.0.task(a).frames.len(), 1);
    s
}

/// The FPSR saved in a signal frame is restored by sigreturn: two states that differ
/// only there behave differently and must not merge.
#[test]
fn states_differing_only_in_a_frames_fpsr_stay_distinct() {
    let (m, o) = with_frame();
    let mut m2 = m.clone();
    m2.tasks[0].frames[0].fpsimd.as_mut().unwrap().fpsr ^= 0x8;
    assert_ne!(key_bytes(&m, &o), key_bytes(&m2, &o));
}

/// A frame that will retry an instruction after sigreturn differs from one that will
/// not.
#[test]
fn states_differing_only_in_a_frames_retry_stay_distinct() {
    let (m, o) = with_frame();
    let mut m2 = m.clone();
    m2.tasks[0].frames[0].retry = Some(UserInsn {
        sve: true,
        writes: Vec::new(),
    });
    assert_ne!(key_bytes(&m, &o), key_bytes(&m2, &o));
}

/// A binding to another owner's buffer is not a binding to one's own.
#[test]
fn states_differing_only_in_whose_buffer_a_cpu_holds_stay_distinct() {
    let mut s = root();
    let a = TaskId(0);
    let sve = Op::User {
        task: a,
        insn: UserInsn {
            sve: true,
            writes: Vec::new(),
        },
        interrupt: crate::model::op::TrapInterrupt::None,
    };
    apply(&mut s, &[sve]);
    let (m, o) = s;
    let r = m.cpu(CpuId(0)).last.sve_state.expect("A's buffer is bound");
    let mut m2 = m.clone();
    m2.cpus[0].last.sve_state = Some(crate::model::machine::SveRef {
        owner: crate::model::types::Owner::Task(TaskId(1)),
        ..r
    });
    assert_ne!(key_bytes(&m, &o), key_bytes(&m2, &o));
}

/// The same scenario with the tasks' roles swapped (A acts on cpu0 or B on cpu1) is one
/// state; what only reports (counters, x0, names) does not matter.
#[test]
fn mirror_states_meet_and_reports_do_not_count() {
    let sve = |t| Op::User {
        task: TaskId(t),
        insn: UserInsn {
            sve: true,
            writes: vec![crate::model::op::RegWrite {
                reg: crate::model::op::Reg::Z(0),
                value: crate::model::op::Value::Fill(0x11),
            }],
        },
        interrupt: crate::model::op::TrapInterrupt::None,
    };
    let getpid = |t| Op::Svc {
        task: TaskId(t),
        call: Syscall::Getpid,
    };
    let mut a = root();
    apply(&mut a, &[sve(0), getpid(0)]);
    let mut b = root();
    apply(&mut b, &[sve(1), getpid(1)]);
    assert_ne!(a.0.task(TaskId(0)).x0, b.0.task(TaskId(1)).x0);
    assert_eq!(key_bytes(&a.0, &a.1), key_bytes(&b.0, &b.1));
    // But A having done it is not nobody having done it.
    let c = root();
    assert_ne!(key_bytes(&a.0, &a.1), key_bytes(&c.0, &c.1));
}

#[test]
fn the_exact_encoding_is_injective_on_zero_runs() {
    let a = canon::compress(&[0, 0, 1]);
    let b = canon::compress(&[0, 1]);
    let c = canon::compress(&[0u8; 300]);
    assert_ne!(a, b);
    assert_eq!(&*c, &[0, 255, 0, 45]);
    use crate::model::digest::fingerprint;
    assert_ne!(fingerprint(&[0]), fingerprint(&[0, 0]));
}

/// The streaming fingerprint of a state is the fingerprint of its key written with
/// register digests; the exact key differs only where register arrays are (contents
/// instead of digests), and both keep the same distinctions.
#[test]
fn the_streamed_fingerprint_is_the_fingerprint_of_the_digest_key() {
    use crate::model::digest::{fingerprint, Fp128};
    let (m, o) = with_frame();
    let digests = canon::key_bytes_as(&m, &o, false);
    let mut h = Fp128::default();
    canon::encode(&m, &o, &mut h, false);
    assert_eq!(h.finish128(), fingerprint(&digests));
    let exact = key_bytes(&m, &o);
    assert!(
        exact.len() > digests.len() + 8 * 1024,
        "contents are in the exact key"
    );
    // A register value the state differs in changes both keys.
    let mut m2 = m.clone();
    m2.cpus[0].regs.z[5][3] ^= 1;
    assert_ne!(key_bytes(&m, &o), key_bytes(&m2, &o));
    assert_ne!(
        canon::key_bytes_as(&m, &o, false),
        canon::key_bytes_as(&m2, &o, false)
    );
}

/// Task `order[i]` and CPU `cpu_order[i]` get number `i`; an order that moves nothing is no
/// renumbering at all.
#[test]
fn a_renumbering_follows_the_orders() {
    use crate::model::types::Renumbering;
    assert_eq!(Renumbering::from_orders(&[0, 1, 2], &[0, 1]), None);
    let r = Renumbering::from_orders(&[2, 0, 1], &[0, 1]).unwrap();
    assert_eq!([r.task(2), r.task(0), r.task(1), r.task(7)], [0, 1, 2, 7]);
    assert_eq!([r.cpu(0), r.cpu(1)], [0, 1]);
    let r = Renumbering::from_orders(&[0, 1], &[1, 0]).unwrap();
    assert_eq!([r.task(0), r.task(1)], [0, 1]);
    assert_eq!([r.cpu(0), r.cpu(1)], [1, 0]);
    // A task id hashes as its new number only within, and as its own again after (and
    // within a nested `None`).
    let id = |t: u16| crate::model::digest::HashBytes::of(&TaskId(t));
    let own = |t: u16| t.to_le_bytes().to_vec();
    let swapped = Renumbering::from_orders(&[1, 0], &[0, 1]);
    let (outer, nested) = Renumbering::within(swapped, || {
        ((id(0), id(1)), Renumbering::within(None, || id(0)))
    });
    assert_eq!(outer, (own(1), own(0)));
    assert_eq!(nested, own(0));
    assert_eq!((id(0), id(1)), (own(0), own(1)));
    assert!(Renumbering::with_current(|r| r.is_none()));
}

/// The task tag names the numbering of tasks exactly: equal tags, equal numbers for every
/// task; a numbering that only moves CPUs has the tag of none at all; one that moves a
/// task beyond the 16th has no tag (nothing is cached under it).
#[test]
fn the_task_tag_names_the_numbering_of_tasks() {
    use crate::model::types::Renumbering;
    let tag = |order: &[usize], cpus: &[usize]| {
        Renumbering::task_tag(Renumbering::from_orders(order, cpus).as_ref())
    };
    let none = Renumbering::task_tag(None);
    assert!(none.is_some());
    assert_eq!(tag(&[0, 1], &[1, 0]), none, "CPUs only");
    assert_ne!(tag(&[1, 0], &[0, 1]), none);
    assert_ne!(tag(&[1, 0, 2], &[0, 1]), tag(&[0, 2, 1], &[0, 1]));
    assert_eq!(tag(&[1, 0], &[0, 1]), tag(&[1, 0], &[1, 0]));
    let mut far: Vec<usize> = (0..20).collect();
    far.swap(3, 17);
    assert_eq!(tag(&far, &[0]), None);
    far.swap(3, 17);
    far.swap(3, 15);
    assert!(tag(&far, &[0]).is_some());
}

/// A register file's origins (and a task's saved V origins) keep their digest only for the
/// task numbering it was taken under: keyed again under another, they hash as a fresh copy does there (a digest reused
/// across numberings would merge states that differ in which task wrote a register).
#[test]
fn cached_origin_digests_follow_the_task_numbering() {
    use crate::model::regs::{Origin, RegFile, UserFpsimdState};
    use crate::model::types::Renumbering;
    use std::hash::Hash;
    let mut regs = RegFile::new(64);
    regs.origin.z_lo[0] = Origin::Task(TaskId(0));
    regs.origin.z_lo[1] = Origin::Task(TaskId(1));
    let fp = |r: &RegFile| {
        let mut h = crate::model::digest::Fp128::default();
        r.hash(&mut h);
        h.finish128()
    };
    let swap = || Renumbering::from_orders(&[1, 0], &[0, 1]);
    let plain = fp(&regs);
    let swapped = Renumbering::within(swap(), || fp(&regs));
    assert_ne!(plain, swapped, "task 0 and task 1 trade places");
    let mut fresh = regs.clone();
    fresh.origin.z_lo[2] = Origin::Zero; // a copy of its own, with no digest yet
    assert_eq!(Renumbering::within(swap(), || fp(&fresh)), swapped);
    assert_eq!(fp(&regs), plain, "back under no renumbering");
    // A write forgets the digest.
    regs.origin.z_lo[0] = Origin::Kernel;
    assert_ne!(fp(&regs), plain);
    // Likewise the origins of a task's saved V registers.
    let mut st = UserFpsimdState::default();
    st.origin[0] = Origin::Task(TaskId(0));
    st.origin[1] = Origin::Task(TaskId(1));
    let fp = |s: &UserFpsimdState| {
        let mut h = crate::model::digest::Fp128::default();
        s.hash(&mut h);
        h.finish128()
    };
    let plain = fp(&st);
    let swapped = Renumbering::within(swap(), || fp(&st));
    assert_ne!(plain, swapped);
    let mut fresh = st.clone();
    fresh.origin[2] = Origin::Zero;
    assert_eq!(Renumbering::within(swap(), || fp(&fresh)), swapped);
    assert_eq!(fp(&st), plain);
}

/// Every move the search can make, including the opt-in families', is written as DSL that
/// does the same thing: in a state where each applies, the script plus the move's text
/// ends in the machine the move's operation gives.
#[test]
fn every_move_text_replays_as_its_operation() {
    use crate::session::{RunOptions, Session};
    let prefix = "kernel v6.2\ncpus 2\nkvm-mode nvhe\n\
        task A vl=512 on=cpu0\ntask B vl=512 on=cpu1\ntask C vl=512\n\
        vcpu V0 sve vl=512\nvcpu V1 nosve\n\
        signal A SIGUSR1\nsvc A getpid\nkvm-enter B V0\nsignal C SIGUSR1\n";
    let run = |src: &str| {
        let (mut s, diags) = Session::from_source(src);
        assert!(diags.is_empty(), "{src}: {diags:?}");
        s.run(&RunOptions::default());
        s.machine().clone()
    };
    let m = run(prefix);
    assert_eq!(m.task(TaskId(0)).frames.len(), 1, "A runs its handler");
    let o = AbiOracle::new(&m);
    let all = moves::moves(&m, &o, OpSet::all(), true);
    let mut replayed = Vec::new();
    for mv in &all {
        let mut want = m.clone();
        if want.apply(&mv.op).is_err() {
            continue;
        }
        let got = run(&format!("{prefix}{}\n", mv.text));
        assert!(
            got.cpus == want.cpus && got.tasks == want.tasks && got.vcpus == want.vcpus,
            "`{}` does not replay as {:?}",
            mv.text,
            mv.op
        );
        replayed.push(mv.text.as_str());
    }
    // The opt-in families' moves are among those replayed (C has a pending signal, V1 is
    // not loaded, A runs its handler, V0 has SVE).
    for what in [
        "frame-write A",
        "svc A sigaction SIGUSR1",
        "guest-zcr V0",
        "preempt-before-signal",
        "kvm-enter A V1 preempt",
    ] {
        assert!(
            replayed.iter().any(|t| t.contains(what)),
            "no `{what}` move replayed: {replayed:?}"
        );
    }
}

/// Skipping the state checks of a state known to pass them changes nothing: the same
/// states, transitions and findings (with the same scripts) as checking every step, with
/// every family on kernels before and after the series, both host modes, both key modes.
#[test]
fn skipping_the_checks_of_known_clean_states_changes_nothing() {
    use crate::model::kernel::Kernel;
    use crate::model::vcpu::KvmMode;
    for (kernel, kvm_mode, keys, depth) in [
        (Kernel::V5_19, KvmMode::Vhe, KeyMode::Fingerprint, 3),
        (Kernel::V6_2, KvmMode::Nvhe, KeyMode::Exact, 3),
        (Kernel::V6_12, KvmMode::Vhe, KeyMode::Fingerprint, 3),
    ] {
        let run = |memo: bool| {
            let mut e = Explorer::new(ExploreConfig {
                kernel,
                kvm_mode,
                keys,
                depth,
                ops: OpSet::all(),
                threads: 1,
                ..ExploreConfig::default()
            })
            .unwrap();
            e.memo = memo;
            while !e.run(10_000) {}
            let findings: Vec<(String, usize, String)> = e
                .findings()
                .map(|f| (f.cause.clone(), f.length, f.script.clone()))
                .collect();
            (e.stats(), findings)
        };
        let (with, without) = (run(true), run(false));
        assert_eq!(with, without, "{kernel:?} {kvm_mode:?} {keys:?}");
        assert!(with.0.states > 1_000 && !with.1.is_empty(), "{with:?}");
    }
}

/// Replaying a path without the checks of the moves recorded clean rebuilds the same
/// machine and the same promises as replaying it with every check (which may forget
/// promises): for every state of a search with every family, on a kernel with known bugs
/// (so some moves did break rules).
#[test]
fn replaying_clean_moves_without_their_checks_rebuilds_the_same_state() {
    let mut e = Explorer::new(ExploreConfig {
        kernel: crate::model::kernel::Kernel::V6_2,
        depth: 3,
        ops: OpSet::all(),
        threads: 1,
        ..ExploreConfig::default()
    })
    .unwrap();
    while !e.run(10_000) {}
    assert!(e.findings().count() > 0);
    let w = Walker {
        ctx: e.ctx(),
        root: e.root.clone(),
    };
    let (mut clean, mut broke) = (0, 0);
    for node in 0..e.nodes.len() as u32 {
        let fast = w.replay(node);
        let (mut m, mut o) = e.root.clone();
        for n in w.path(node) {
            w.step(&mut m, &mut o, n.mv, false, false);
            if n.clean {
                clean += 1;
            } else {
                broke += 1;
            }
        }
        assert!(fast.0 == m && fast.1 == o, "node {node}");
    }
    assert!(clean > 1_000 && broke > 0, "{clean} {broke}");
}

/// The digest cache holds the last two numberings: cycling through three task orders
/// (evicting each in turn), every digest equals that of a fresh copy with nothing cached.
#[test]
fn the_digest_cache_keeps_two_numberings_and_takes_a_third_again() {
    use crate::model::regs::{Origin, RegFile};
    use crate::model::types::Renumbering;
    use std::hash::Hash;
    let mut regs = RegFile::new(64);
    for t in 0..3 {
        regs.origin.z_lo[t] = Origin::Task(TaskId(t as u16));
    }
    let fp = |r: &RegFile| {
        let mut h = crate::model::digest::Fp128::default();
        r.hash(&mut h);
        h.finish128()
    };
    let orders: [[usize; 3]; 3] = [[0, 1, 2], [1, 0, 2], [2, 0, 1]];
    let mut seen = std::collections::HashSet::new();
    for i in [0, 1, 0, 2, 1, 0, 2, 2, 1] {
        let under = || Renumbering::from_orders(&orders[i], &[0, 1]);
        let cached = Renumbering::within(under(), || fp(&regs));
        let mut fresh = regs.clone();
        fresh.origin.z_lo[3] = Origin::Zero; // its own copy: nothing cached
        assert_eq!(
            cached,
            Renumbering::within(under(), || fp(&fresh)),
            "order {i}"
        );
        seen.insert((i, cached));
    }
    assert_eq!(seen.len(), 3, "three orders, three digests");
}
