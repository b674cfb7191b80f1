//! The components' logic in a real browser (headless Chromium, via wasm-bindgen-test):
//! the view model compiled to wasm32, and the page mounted and driven through its DOM.
//! Run by `cargo xtask ci` (or `cargo xtask web-test`).
#![cfg(target_arch = "wasm32")]

use svelab_core::model::kernel::Patch;
use svelab_core::{Counter, Kernel};
use svelab_web::ui::app::App;
use svelab_web::vm::{highlight, player, share, snapshot, GETPID_LOOP};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn share_links_round_trip() {
    let s = share::Shared {
        script: GETPID_LOOP.into(),
        kernel: Some(Kernel::V6_2),
        compare: Some(Kernel::V5_19Rc1),
        step: 42,
    };
    assert_eq!(share::decode(&share::encode(&s)), Ok(Some(s)));
    assert!(share::decode("#v=1&s=%%%").is_err());
}

#[wasm_bindgen_test]
fn the_player_scans_and_steps_in_wasm() {
    let mut p = player::Player::load(GETPID_LOOP, None, player::PAGE_BUDGET).unwrap();
    p.scan_all();
    assert_eq!(p.len(), 201);
    assert_eq!(p.history().last_totals().get(Counter::SveTraps), 100);
    let trap = p.first_pos_with(Counter::SveTraps, 2).unwrap();
    p.goto(trap);
    assert!(p.frame().changed.contains("A.TIF_SVE"));
    p.back();
    p.step();
    assert_eq!(p.frame().pos, trap);
    let mut q = player::Player::load(GETPID_LOOP, Some(Kernel::SeriesV1(Patch::P7)), 1000).unwrap();
    q.scan_all();
    assert_eq!(q.history().last_totals().get(Counter::SveTraps), 1);
}

#[wasm_bindgen_test]
fn errors_are_placed_for_the_editor() {
    let src = "task A\nsve-op A z32=1\n";
    let (_, d) = svelab_core::parse(src);
    assert!(!d.is_empty());
    let lines = highlight::lines(src, &d);
    assert!(lines[1]
        .segments
        .iter()
        .any(|s| s.diag.is_some() && s.error));
}

#[wasm_bindgen_test]
fn snapshots_diff_between_kernels() {
    let mut a = player::Player::load(GETPID_LOOP, Some(Kernel::V5_19Rc1), 1000).unwrap();
    let mut b = player::Player::load(GETPID_LOOP, Some(Kernel::SeriesV1(Patch::P7)), 1000).unwrap();
    a.scan_all();
    b.scan_all();
    a.goto(5);
    b.goto(5);
    let d = snapshot::changed(&a.frame().snap, &b.frame().snap);
    assert!(
        d.contains("A.TIF_SVE"),
        "after getpid v5.19 dropped SVE, the series kept it: {d:?}"
    );
}

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// The page as a first visit sees it (no script kept from an earlier test).
fn mount() -> web_sys::Element {
    let _ = storage().remove_item(svelab_web::vm::page::DRAFT_KEY);
    let _ = storage().remove_item(svelab_web::vm::app::WELCOMED_KEY);
    mount_again()
}

/// The page as a reload sees it: what the last one saved is kept.
fn mount_again() -> web_sys::Element {
    let div = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&div).unwrap();
    yew::Renderer::<App>::with_root(div.clone()).render();
    div
}

fn text(root: &web_sys::Element, sel: &str) -> String {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no {sel}"))
        .text_content()
        .unwrap_or_default()
}

fn click(root: &web_sys::Element, sel: &str) {
    root.query_selector(sel)
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
}

#[wasm_bindgen_test]
async fn the_page_opens_on_the_getpid_loop_at_step_0_with_an_orientation() {
    let root = mount();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "#pos"), "step 0 / 201");
    assert!(text(&root, "#welcome").contains("Lessons"));
    click(&root, "#welcome-start");
    yew::scheduler::flush().await;
    assert!(root.query_selector("#welcome").unwrap().is_none());
    assert_eq!(
        storage()
            .get_item(svelab_web::vm::app::WELCOMED_KEY)
            .unwrap()
            .as_deref(),
        Some("1"),
        "dismissed for good"
    );
    for _ in 0..4 {
        click(&root, "#btn-step");
        yew::scheduler::flush().await;
    }
    assert_eq!(text(&root, "#pos"), "step 4 / 201");
    assert!(text(&root, ".events").contains("do_sve_acc"));
    assert!(text(&root, "[data-path='A.TIF_SVE'] .v").contains("1 (set)"));
    let owner = root
        .query_selector("[data-cpu='cpu0'] [data-path='cpu0.owner']")
        .unwrap()
        .unwrap();
    assert_eq!(owner.get_attribute("data-owner").as_deref(), Some("A"));
    // Step: the getpid on v5.19 drops SVE.
    click(&root, "#btn-step");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "#pos"), "step 5 / 201");
    assert!(text(&root, "[data-path='A.TIF_SVE'] .v").contains("0 (clear)"));
    assert!(text(&root, ".events").contains("fp_user_discard"));
    // And back.
    click(&root, "#btn-back");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "#pos"), "step 4 / 201");
    root.remove();
}

#[wasm_bindgen_test]
async fn typed_text_comes_back_after_a_reload() {
    let root = mount();
    yew::scheduler::flush().await;
    let ta: web_sys::HtmlTextAreaElement = root
        .query_selector("#script")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let typed = "kernel v6.2\ntask A vl=256 on=cpu0\nsve-op A z0=1\n";
    ta.set_value(typed);
    ta.dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    root.remove();
    let root = mount_again();
    yew::scheduler::flush().await;
    let ta: web_sys::HtmlTextAreaElement = root
        .query_selector("#script")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(ta.value(), typed);
    assert!(text(&root, ".banner").contains("last visit"));
    // The kernel menu names the script's kernel.
    assert!(text(&root, "#kernel").contains("as the script says (v6.2)"));
    root.remove();
    let _ = storage().remove_item(svelab_web::vm::page::DRAFT_KEY);
}

#[wasm_bindgen_test]
async fn typing_an_error_underlines_it_with_its_message_and_hint() {
    let root = mount();
    yew::scheduler::flush().await;
    let ta: web_sys::HtmlTextAreaElement = root
        .query_selector("#script")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    ta.set_value("task A on=cpu0\nsve-op A z32=1\n");
    let ev = web_sys::InputEvent::new("input").unwrap();
    ta.dispatch_event(&ev).unwrap();
    yew::scheduler::flush().await;
    let under = text(&root, ".diag-err");
    assert!(under.contains("z32"), "{under}");
    let diags = text(&root, "#diags");
    assert!(diags.contains("2:"), "{diags}");
    assert!(diags.contains("hint"), "{diags}");
    assert!(text(&root, ".margin").contains("✖"));
    root.remove();
}

#[wasm_bindgen_test]
fn the_course_grades_in_wasm_as_in_the_repl() {
    use svelab_core::course::{builtin_course, grade, Progress};
    let course = builtin_course();
    assert!(course.lessons.len() >= 10);
    let p = Progress::new(7);
    let (l, e) = course.exercises().next().unwrap();
    let inst = p.instance(l, e);
    assert!(grade(&inst, &inst.reference).passed);
    assert!(!grade(&inst, &inst.wrong).passed);
    for l in &course.lessons {
        for b in &l.blocks {
            if let svelab_core::course::Block::Prose(t) = b {
                assert!(
                    !svelab_core::course::render_markdown(t).is_empty(),
                    "{}",
                    l.dir
                );
            }
        }
    }
}

#[wasm_bindgen_test]
async fn the_lessons_panel_opens_a_lesson_and_grades_an_exercise() {
    use std::rc::Rc;
    use svelab_web::ui::lessons::{CourseRef, LessonsPanel, LessonsProps};
    use yew::Callback;
    let opened = Rc::new(std::cell::RefCell::new(None));
    let o = opened.clone();
    let div = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&div).unwrap();
    let props = LessonsProps {
        course: Some(Ok(CourseRef(
            Rc::new(svelab_core::course::builtin_course()),
        ))),
        source: "".into(),
        on_open: Callback::from(move |x: (String, Option<Kernel>)| *o.borrow_mut() = Some(x.0)),
    };
    yew::Renderer::<LessonsPanel>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let root = div;
    assert!(text(&root, ".lesson-list").contains("First SVE use"));
    let btns = root.query_selector_all(".lesson-link").unwrap();
    btns.item(2)
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert!(text(&root, ".lesson h3").contains("First SVE use"));
    // The prose keeps names with underscores and shows code without backticks.
    let paras = root.query_selector_all(".lesson p, .lesson li").unwrap();
    let prose: String = (0..paras.length())
        .filter_map(|i| paras.item(i).and_then(|n| n.text_content()))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        prose.contains("TIF_SVE") && prose.contains("sve_state"),
        "{prose}"
    );
    assert!(!prose.contains('`'), "{prose}");
    click(&root, ".exercise .primary");
    yew::scheduler::flush().await;
    assert!(
        text(&root, ".exercise .grade").contains("✗"),
        "an empty answer fails"
    );
    let saved = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("svelab.progress")
        .unwrap()
        .unwrap_or_default();
    assert!(saved.contains("attempts"), "{saved}");
    // A lesson script goes to the editor.
    click(&root, ".lesson-script button");
    yew::scheduler::flush().await;
    let src = opened.borrow().clone().expect("a script was opened");
    assert!(src.contains("sve-op"), "{src}");
    root.remove();
}

#[wasm_bindgen_test]
async fn the_class_box_takes_the_sheets_numbers_and_refuses_an_empty_submission() {
    use std::rc::Rc;
    use svelab_core::course::class::assignment_seed;
    use svelab_web::ui::lessons::{CourseRef, LessonsPanel, LessonsProps};
    use yew::Callback;
    let div = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&div).unwrap();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item("svelab.progress").unwrap();
    let props = LessonsProps {
        course: Some(Ok(CourseRef(
            Rc::new(svelab_core::course::builtin_course()),
        ))),
        source: "".into(),
        on_open: Callback::from(|_: (String, Option<Kernel>)| {}),
    };
    yew::Renderer::<LessonsPanel>::with_root_and_props(div.clone(), props).render();
    yew::scheduler::flush().await;
    let inputs = div.query_selector_all(".class-box input").unwrap();
    for (i, v) in ["ann", "week1"].iter().enumerate() {
        let input: web_sys::HtmlInputElement = inputs.item(i as u32).unwrap().dyn_into().unwrap();
        input.set_value(v);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
        input.dispatch_event(&ev).unwrap();
    }
    yew::scheduler::flush().await;
    click(&div, ".class-box button");
    yew::scheduler::flush().await;
    assert_eq!(
        storage.get_item("svelab.class").unwrap().as_deref(),
        Some("ann\nweek1")
    );
    let saved = storage
        .get_item("svelab.progress")
        .unwrap()
        .unwrap_or_default();
    let p = svelab_core::course::Progress::from_json(&saved).unwrap();
    assert_eq!(p.seed, assignment_seed("ann", "week1"));
    click(&div, ".class-box button.primary");
    yew::scheduler::flush().await;
    assert!(
        text(&div, ".class-box .fail").contains("Check an answer"),
        "{}",
        text(&div, ".class-box")
    );
    storage.remove_item("svelab.class").unwrap();
    storage.remove_item("svelab.progress").unwrap();
    div.remove();
}
