use super::panel::*;
use super::regs::*;
use super::*;
use crate::style::strip;
use svelab_core::session::Session;
use svelab_core::TaskId;

fn run(src: &str) -> Session {
    let (mut s, d) = Session::from_source(src);
    assert!(d.is_empty(), "{d:?}");
    s.run(&Default::default());
    s
}

#[test]
fn fold_prefers_underscores_and_keeps_everything() {
    let s = "0x1234567890abcdef_1234567890abcdef_1234567890abcdef";
    let parts = fold(s, 24);
    assert!(parts.iter().all(|p| p.chars().count() <= 24), "{parts:?}");
    assert_eq!(parts.concat(), s);
    assert!(parts[0].ends_with('_'));
}

#[test]
fn register_runs_are_merged() {
    let c = |p: &str, a: &str, b: &str| FieldChange {
        path: p.into(),
        before: a.into(),
        after: b.into(),
    };
    let list = vec![
        c("A.sve_state.z0", "absent", "0"),
        c("A.sve_state.z1", "absent", "0"),
        c("A.sve_state.z2", "absent", "0"),
        c("A.sve_state.z3", "0", "1"),
        c("A.sve_state.p0", "absent", "0"),
        c("A.sve_state.p1", "absent", "0"),
        c("A.TIF_SVE", "0", "1"),
    ];
    let g = group_changes(&list);
    let paths: Vec<&str> = g.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "A.sve_state.z0–z2",
            "A.sve_state.z3",
            "A.sve_state.p0–p1",
            "A.TIF_SVE"
        ]
    );
}

#[test]
fn wrap_cuts_at_spaces_only() {
    let w = wrap("clear TIF_SVE and disable EL0 SVE", 12);
    assert_eq!(w, vec!["clear", "TIF_SVE and", "disable EL0", "SVE"]);
    let long = "x ".to_string() + &"ab_".repeat(10);
    assert!(wrap(&long, 10).iter().all(|l| l.chars().count() <= 10));
}

#[test]
fn wrap_text_keeps_show_bars_and_indentation() {
    let t = "    |   state=running resume=none level=user TIF_SVE=0\n    short\n";
    let w = wrap_text(t, 30);
    assert!(w.lines().all(|l| l.chars().count() <= 30), "{w}");
    assert!(w.lines().take(3).all(|l| l.starts_with("    | ")), "{w}");
    assert!(w.ends_with("    short\n"));
}

#[test]
fn registers_are_recognised() {
    for p in [
        "cpu0.z0",
        "A.user.z31",
        "A.sve_state.p15",
        "A.fpsimd_state.v3",
        "cpu1.ffr",
    ] {
        assert!(is_register(p), "{p}");
    }
    for p in ["A.TIF_SVE", "cpu0.vl", "A.z32", "A.p16", "A.vl_onexec"] {
        assert!(!is_register(p), "{p}");
    }
}

#[test]
fn panel_draws_ownership_and_marks_changes() {
    let mut s = run("task A vl=512 on=cpu0\ntask B\n");
    let before = s.machine().clone();
    s.append("sve-op A z0=fill(0xaa)", 100).unwrap();
    let p = strip(&panel(Some(&before), s.machine(), Style::PLAIN, 100));
    assert!(p.contains("┌─ cpu0 "), "{p}");
    assert!(p.contains("regs ● A fresh"), "{p}");
    assert!(p.contains("EL0 SVE on *"), "{p}");
    assert!(p.contains("1*"), "TIF_SVE marked: {p}");
    assert!(p.contains("A.user.z0"), "{p}");
    // The colour version is the same text.
    let c = panel(Some(&before), s.machine(), Style { color: true }, 100);
    assert_eq!(strip(&c), p);
}

#[test]
fn the_panel_fits_60_columns_and_has_a_legend() {
    let src = "task VMM vl=512 on=cpu0\nvcpu V0 sve vl=512\ntask LongerName vl=256\n\
               sve-op VMM z0=fill(0x44)\nkvm-enter VMM V0\nguest-sve-op V0 z0=1\n";
    let mut s = run(src);
    let before = s.machine().clone();
    s.append("kvm-exit V0", 100).unwrap();
    for color in [false, true] {
        let p = panel(Some(&before), s.machine(), Style { color }, 60);
        let p = strip(&p);
        for l in p.lines() {
            assert!(
                l.chars().count() <= 60,
                "{} columns: {l}\n{p}",
                l.chars().count()
            );
        }
        // Every task and vCPU field is still there.
        for want in [
            "VMM",
            "LongerName",
            "V0",
            "TIF_SVE",
            "fp_owner",
            "newest state",
        ] {
            assert!(p.contains(want), "{want}: {p}");
        }
        assert!(p.contains("* changed") && p.contains(":legend"), "{p}");
    }
    // Long names do not widen the CPU boxes.
    let long = run(
        "task AVeryLongTaskName on=cpu0\nvcpu AnotherLongVcpu sve vl=512\n\
                 kvm-enter AVeryLongTaskName AnotherLongVcpu\n",
    );
    let p = strip(&panel(None, long.machine(), Style { color: true }, 60));
    assert!(p.lines().all(|l| l.chars().count() <= 60), "{p}");
    assert!(p.contains("…"), "{p}");
    // Wide terminals keep the one-line table.
    let wide = strip(&panel(None, s.machine(), Style::PLAIN, 120));
    assert!(wide.contains(" task "), "{wide}");
}

#[test]
fn a_vmm_whose_guest_holds_the_registers_is_not_live() {
    let s = run(
        "task VMM on=cpu0\nvcpu V0 sve vl=512\nsve-op VMM z0=fill(0x44)\n\
                 kvm-enter VMM V0\nguest-sve-op V0 z0=fill(0x33)\n",
    );
    let p = strip(&panel(None, s.machine(), Style::PLAIN, 120));
    let row = p.lines().find(|l| l.starts_with(" VMM ")).unwrap();
    assert!(!row.contains("live on cpu0"), "{row}");
    assert!(row.contains("saved by KVM for V0"), "{row}");
}

#[test]
fn the_legend_names_only_the_symbols_shown() {
    let s = run("task A on=cpu0\ntask B\nfp-op A v0=1\nctxsw cpu0 idle\nmigrate A cpu1\n");
    let p = strip(&panel(None, s.machine(), Style::PLAIN, 100));
    let legend = p.lines().last().unwrap();
    assert!(legend.contains("○ stale"), "{legend}");
    assert!(!legend.contains("◆"), "{legend}");
    let full = strip(&legend_text(Style::PLAIN, 60));
    for sym in ["●", "○", "◆", "–", "*", "EL0 SVE", "FOREIGN"] {
        assert!(full.contains(sym), "{sym}: {full}");
    }
    assert!(full.lines().all(|l| l.chars().count() <= 60), "{full}");
}

#[test]
fn stale_owner_is_drawn() {
    let s = run("task A on=cpu0\ntask B\nfp-op A v0=1\nctxsw cpu0 idle\nmigrate A cpu1\n");
    let p = panel(None, s.machine(), Style::PLAIN, 100);
    assert!(p.contains("○ A stale"), "{p}");
}

#[test]
fn regs_fold_to_width_and_collapse_zeros() {
    let s = run("vls 128,256,512,2048\ntask A vl=2048 on=cpu0\nsve-op A z0=pattern(1) p1=0xff\n");
    let v = s.machine().user_view(TaskId(0)).unwrap();
    for fmt in [
        RegFormat::Compact,
        RegFormat::Hex,
        RegFormat::Bytes,
        RegFormat::Lanes,
    ] {
        let t = regs("A", &v, None, fmt, Style::PLAIN, 80);
        assert!(t.lines().all(|l| l.chars().count() <= 80), "{fmt:?}\n{t}");
        assert!(t.contains("z1–z31"), "{t}");
    }
    let hex = regs("A", &v, None, RegFormat::Hex, Style::PLAIN, 80);
    assert!(hex.contains("[2047:"), "{hex}");
}

#[test]
fn report_colours_without_changing_text() {
    let mut s = run("task A on=cpu0");
    let r = s
        .append("sve-op A z0=1\nexpect A.TIF_SVE == 0", 10)
        .unwrap();
    for r in &r {
        let plain = report(r, true, Style::PLAIN);
        assert_eq!(plain, render_report(r));
        assert_eq!(strip(&report(r, true, Style { color: true })), plain);
    }
    assert!(report(&r[1], false, Style::PLAIN).contains("FAILED"));
}
