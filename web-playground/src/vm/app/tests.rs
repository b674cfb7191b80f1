//! The page's update logic, natively: first visit, embed links, bad input, stepping,
//! edits, compare, share, lessons.
use super::*;

fn start(hash: &str, draft: Option<&str>, welcomed: bool) -> State {
    State::open(&Start {
        hash,
        draft,
        welcomed,
        ..Start::default()
    })
}

#[test]
fn a_first_visit_opens_at_step_0_with_the_orientation_until_dismissed() {
    let s = start("", None, false);
    assert!(s.welcome);
    assert_eq!(s.pos(), 0);
    assert_eq!(s.source, GETPID_LOOP);
    assert!(s.len() > 100, "the loop is scanned: {}", s.len());
    // A returning visitor, an embed and a share link get no orientation.
    assert!(!start("", None, true).welcome);
    assert!(!start("#embed", None, false).welcome);
    let link = format!("#{}", start("", None, true).share_fragment());
    assert!(!start(&link, None, false).welcome);
    // The first key closes it and still acts.
    let mut s = start("", None, false);
    assert_eq!(s.command(Command::Step, ""), Effect::Redraw);
    assert!(!s.welcome);
    assert_eq!(s.pos(), 1);
    let mut s = start("", None, false);
    s.command(Command::Leave, "");
    assert!(!s.welcome);
}

#[test]
fn embed_links_combine_with_share_links_and_survive_edits() {
    assert!(is_embed("#embed"));
    assert!(is_embed("#embed&v=2&s=abc"));
    assert!(is_embed("#v=2&s=abc&embed=1"));
    assert!(!is_embed("#v=2&s=embed"));
    assert!(!is_embed(""));
    let shared = start("", None, true);
    let mut tail = shared.share_fragment();
    tail = tail.replace("p=0", "p=2");
    let url = embed_url("http://svelab.test:8000/", &tail);
    let hash = url.split_once('#').map(|x| x.1).unwrap_or("");
    let mut s = start(&format!("#{hash}"), Some("edited\ntask Z on=cpu0\n"), false);
    assert!(s.embed && !s.welcome);
    assert_eq!(s.source, GETPID_LOOP, "the link's script, not the draft");
    assert_eq!(s.pos(), 2);
    assert!(s.edit("task A on=cpu0\n".into()), "the link goes");
    assert_eq!(s.bare_hash(), "embed", "the embed stays");
    // An embed without a script shows the example, not the visitor's draft.
    let s = start("#embed", Some("edited\ntask Z on=cpu0\n"), false);
    assert_eq!(s.source, GETPID_LOOP);
    let snippet = iframe_snippet("http://h/#embed&v=2&s=a\"b");
    assert!(
        snippet.starts_with("<iframe src=\"http://h/#embed&amp;v=2&amp;s=a&quot;b\""),
        "{snippet}"
    );
    assert!(snippet.contains("title=\""), "an iframe needs a title");
}

#[test]
fn bad_links_and_drafts_never_panic_and_say_what_happened() {
    for hash in [
        "#v=9&s=x",
        "#v=2&s=%%%",
        "#v=2",
        "#v=2&s=dGFzaw&k=nope",
        "#embed&v=2&s=\u{0}",
        "#&&&=",
    ] {
        let s = start(hash, Some("garbage"), false);
        assert!(!s.source.is_empty(), "{hash}");
    }
    let s = start("#v=9&s=eA", None, false);
    assert!(s.banner.as_ref().is_some_and(|b| b.error));
    assert!(!s.welcome, "an error banner comes first");
    let s = start("", Some("edited\ntask Z on=cpu0\n"), false);
    assert_eq!(s.source, "task Z on=cpu0\n");
    assert!(s.edited && !s.welcome);
}

#[test]
fn stepping_breakpoints_and_autoplay() {
    let mut s = start("", None, true);
    let len = s.len();
    s.command(Command::End, "");
    assert_eq!(s.pos(), len);
    s.command(Command::Step, "");
    assert_eq!(s.pos(), len, "clamped at the end");
    s.command(Command::Reset, "");
    s.command(Command::Forward10, "");
    assert_eq!(s.pos(), 10);
    s.command(Command::Back, "");
    assert_eq!(s.pos(), 9);
    s.command(Command::Back10, "");
    assert_eq!(s.pos(), 0);
    // A breakpoint on the svc line: run stops before it.
    s.toggle_breakpoint(7);
    s.command(Command::Run, "");
    assert_eq!(s.next_line(), Some(7));
    let at = s.pos();
    s.toggle_breakpoint(7);
    assert!(s.breakpoints.is_empty());
    s.toggle_breakpoint(7);
    // Autoplay stops at the next breakpoint.
    s.command(Command::Autoplay, "");
    assert!(s.playing);
    for _ in 0..10 {
        s.tick();
    }
    assert!(!s.playing);
    assert_eq!(s.next_line(), Some(7));
    assert!(s.pos() > at);
    // From the end, autoplay starts over.
    s.command(Command::End, "");
    s.command(Command::Autoplay, "");
    assert_eq!(s.pos(), 0);
    s.command(Command::Faster, "");
    s.command(Command::Faster, "");
    assert_eq!(s.speed, 5);
    for _ in 0..10 {
        s.command(Command::Faster, "");
    }
    assert_eq!(s.speed, SPEEDS.len() - 1);
    assert_eq!(s.command(Command::Breakpoint, ""), Effect::BreakpointHere);
}

#[test]
fn edits_rerun_keep_the_position_and_mark_failed_expects() {
    let mut s = start("", None, true);
    s.command(Command::Forward10, "");
    let src = "task A vl=256 on=cpu0\nsve-op A z0=fill(0x11)\nexpect A.z0 == fill(0x22)\nsvc A getpid\nexpect A.TIF_SVE == 0\n";
    s.edit(src.into());
    assert!(s.rerun_due && s.stale());
    assert!(s.failed_lines().is_empty(), "not while the views are stale");
    s.rerun();
    assert!(!s.rerun_due && !s.stale());
    assert_eq!(s.pos(), s.len().min(10));
    assert_eq!(s.failed_lines(), BTreeSet::from([3]));
    // Errors: nothing re-runs, the diagnostics stay with the text.
    s.edit("task A on=cpu9\nbogus".into());
    assert!(!s.rerun_due && s.has_errors());
    s.rerun();
    assert!(s.stale());
    assert!(!s.editor_diags().is_empty());
    assert_eq!(s.draft().source, "task A on=cpu9\nbogus");
    assert!(!s.may_replace_silently(GETPID_LOOP));
}

#[test]
fn compare_share_lessons_and_settings() {
    let mut s = start("", None, true);
    s.command(Command::Forward10, "");
    s.command(Command::Compare, "");
    assert_eq!(s.compare, Some(Kernel::SeriesV1(Patch::P7)));
    assert!(s.b.is_some());
    while !s.scan_slice() {}
    assert!(s.comparison.is_some());
    assert!(!s.differs.is_empty() || s.pos() == 0);
    let e = s.command(Command::Share, "http://svelab.test:1/");
    let Effect::Share { fragment, url } = e else {
        panic!("{e:?}")
    };
    assert_eq!(url, format!("http://svelab.test:1/#{fragment}"));
    let again = start(&format!("#{fragment}"), None, false);
    assert_eq!(again.compare, s.compare);
    assert_eq!(again.pos(), s.pos());
    s.copied(&Err("no clipboard".into()));
    assert!(s.banner.as_ref().is_some_and(|b| b.error));
    assert!(s.share_url.is_some(), "the field keeps the link");
    s.dismiss();
    assert!(s.banner.is_none() && s.share_url.is_none());
    s.command(Command::Compare, "");
    assert!(s.compare.is_none() && s.b.is_none());
    assert_eq!(s.command(Command::Lessons, ""), Effect::LoadCourse);
    assert_eq!(s.command(Command::Lessons, ""), Effect::Redraw);
    assert_eq!(s.command(Command::Lessons, ""), Effect::Redraw);
    assert!(s.lessons);
    s.open_script("task A on=cpu0\n", Some(Kernel::V6_2));
    assert!(s.lessons, "the lesson stays beside the editor");
    assert_eq!(s.kernel, Some(Kernel::V6_2));
    assert_eq!(s.command(Command::Present, ""), Effect::Settings);
    assert!(s.present);
    assert_eq!(s.command(Command::Edit, ""), Effect::Focus("script"));
    s.chart_toggle(Counter::SveTraps);
    s.chart_toggle(Counter::SveTraps);
    assert_eq!(s.chart_shown.len(), 5);
    assert_eq!(s.example(99), None);
    assert_eq!(s.example(1), Some(false));
    assert!(!s.lessons || s.lessons_mounted);
}
