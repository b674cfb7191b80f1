//! Exercise feedback: a wrong prediction does not give the answer away (a hint and another
//! try first; the answer on request or after [`REVEAL_AFTER`] wrong tries), and construct
//! exercises check the goal their text states.

use svelab_core::course::{
    builtin_course, grade, Answer, ExerciseInstance, Progress, REVEAL_AFTER,
};

fn instance(key: &str, seed: u64) -> ExerciseInstance {
    let course = builtin_course();
    let (l, e) = course.exercise(key).expect("exercise exists");
    let mut p = Progress::new(seed);
    p.open_lesson(l);
    p.instance(l, e)
}

fn var(inst: &ExerciseInstance, name: &str) -> String {
    inst.vars
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{}: no variable {name}", inst.key))
}

/// The answer text of a predict instance's reference, as typed.
fn reference_values(inst: &ExerciseInstance) -> Vec<String> {
    match &inst.reference {
        Answer::Predict(v) => v.clone(),
        Answer::Script(_) => panic!("not a predict exercise"),
    }
}

#[test]
fn a_wrong_prediction_does_not_reveal_the_answer_until_asked_or_after_the_tries() {
    let course = builtin_course();
    let (l, e) = course.exercise("1/zcr-len").unwrap();
    let mut p = Progress::new(99);
    let inst = p.instance(l, e);
    let truth = reference_values(&inst);
    let wrong = Answer::Predict(vec!["12345".into()]);
    for attempt in 1..REVEAL_AFTER {
        let g = grade(&inst, &wrong);
        assert!(!g.passed);
        p.record(&inst, &wrong, &g);
        let shown = p.feedback(&inst, &g);
        let text = format!("{shown:?}");
        assert!(
            !text.contains(&format!("says {}", truth[0])) && shown.explanation.is_none(),
            "attempt {attempt} gives the answer away: {text}"
        );
        assert!(
            shown.summary.contains(":hint") || shown.summary.contains("hint"),
            "no hint offered: {}",
            shown.summary
        );
        assert!(!shown.checks[0].passed);
    }
    // The last allowed wrong try reveals.
    let g = grade(&inst, &wrong);
    p.record(&inst, &wrong, &g);
    let shown = p.feedback(&inst, &g);
    assert!(shown.explanation.is_some(), "{shown:?}");
    assert!(shown.checks[0].detail.contains(&truth[0]), "{shown:?}");

    // On request, at once.
    let (l2, e2) = course.exercise("1/fp-write").unwrap();
    let mut p = Progress::new(5);
    let inst = p.instance(l2, e2);
    let wrong = Answer::Predict(vec!["7".into(), "7".into()]);
    let g = grade(&inst, &wrong);
    p.record(&inst, &wrong, &g);
    assert!(p.feedback(&inst, &g).explanation.is_none());
    assert!(!p.revealed(&inst));
    p.reveal(&inst);
    assert!(p.revealed(&inst));
    assert!(p.feedback(&inst, &g).explanation.is_some());
    // A right answer shows everything.
    let right = inst.reference.clone();
    let mut p = Progress::new(5);
    let g = grade(&inst, &right);
    p.record(&inst, &right, &g);
    assert!(g.passed);
    assert_eq!(p.feedback(&inst, &g), g);
}

#[test]
fn shape_z_rejects_one_sve_op_writing_both_registers() {
    for seed in 0..6 {
        let inst = instance("1/shape-z", seed);
        let (t, vl, n, pn, b) = (
            var(&inst, "t"),
            var(&inst, "vl"),
            var(&inst, "n"),
            var(&inst, "pn"),
            var(&inst, "b"),
        );
        let b: i64 = match b.strip_prefix("0x") {
            Some(h) => i64::from_str_radix(h, 16).unwrap(),
            None => b.parse().unwrap(),
        };
        let low: String = format!("0x{}", format!("{b:02x}").repeat(16));
        let script = format!("task {t} vl={vl} on=cpu0\nsve-op {t} z{n}={low} p{pn}=ones\n");
        let g = grade(&inst, &Answer::Script(script.clone()));
        assert!(
            !g.passed,
            "seed {seed}: one sve-op passes:\n{script}\n{g:?}"
        );
        // The intended answer still passes.
        assert!(grade(&inst, &inst.reference).passed, "seed {seed}");
    }
}

#[test]
fn exact_traps_needs_the_sve_instructions_it_asks_for() {
    for seed in 0..6 {
        let inst = instance("4/exact-traps", seed);
        let (t, n) = (var(&inst, "t"), var(&inst, "n"));
        let n: usize = n.parse().unwrap();
        // n traps with only n SVE instructions (the goal asks for at least 2n).
        let mut script = format!("task {t} vl=512 on=cpu0\n");
        for i in 0..n {
            if i > 0 {
                script.push_str(&format!("svc {t} getpid\n"));
            }
            script.push_str(&format!("sve-op {t} z0=1\n"));
        }
        let g = grade(&inst, &Answer::Script(script.clone()));
        assert!(
            !g.passed,
            "seed {seed}: {n} SVE instructions pass:\n{script}\n{g:?}"
        );
        assert!(grade(&inst, &inst.reference).passed, "seed {seed}");
    }
}

#[test]
fn no_flush_needs_an_sve_instruction_in_every_iteration() {
    for seed in 0..6 {
        let inst = instance("6/no-flush", seed);
        let (t, n) = (var(&inst, "t"), var(&inst, "n"));
        // One SVE instruction, then only syscalls: not the loop the goal describes.
        let script =
            format!("task {t} vl=512 on=cpu0\nsve-op {t} z0=1\nrepeat {n} {{ svc {t} getpid }}\n");
        let g = grade(&inst, &Answer::Script(script.clone()));
        assert!(
            !g.passed,
            "seed {seed}: one SVE instruction passes:\n{script}\n{g:?}"
        );
        assert!(grade(&inst, &inst.reference).passed, "seed {seed}");
    }
}
