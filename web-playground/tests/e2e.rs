//! End to end: the built bundle, served over HTTP, in headless Chromium driven through
//! ChromeDriver's WebDriver API (a small client in `e2e/webdriver.rs`: std's TCP and
//! serde_json).
//!
//! It loads a script, steps forward and back by keyboard and buttons, checks register
//! values and ownership in the DOM, opens a share link and a malformed one, turns compare
//! mode on, saves screenshots, and measures: time to an interactive page, time to render
//! one step of a 10,000-step trace, and the bundle's size. A second test takes the page
//! through the classroom's screen sizes (no sideways scrolling, readable text when
//! presenting), the completion menu, share and embed links on a plain-HTTP host, an
//! axe-core audit, and every lesson's rendered Markdown.
//!
//! `cargo xtask web-test` (part of `cargo xtask ci`) builds and serves the bundle, starts
//! ChromeDriver and runs this with `--ignored`; it needs `SVELAB_E2E_URL` (the page),
//! `SVELAB_WEBDRIVER` (ChromeDriver), `SVELAB_E2E_OUT` (screenshots, `perf.json`),
//! `SVELAB_E2E_DIST` (the bundle, for its size), `SVELAB_CHROMIUM`, `SVELAB_E2E_HOST` (the
//! host name the URL uses, mapped to 127.0.0.1) and `SVELAB_AXE` (`axe.min.js`).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "e2e/webdriver.rs"]
mod webdriver;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;
use svelab_web::vm::share::{self, Shared};
use svelab_web::vm::TEN_K_STEPS;
use webdriver::{env, out_dir, Browser};

const RIGHT: &str = "\u{E014}";
const LEFT: &str = "\u{E012}";
const HOME: &str = "\u{E011}";
const END: &str = "\u{E010}";
const ESCAPE: &str = "\u{E00C}";
const TAB: &str = "\u{E004}";
const DOWN: &str = "\u{E015}";

const SCRIPT: &str = "task A vl=256 on=cpu0\ntask B vl=512 on=cpu1\nsve-op A z0=fill(0x11)\nfp-op B v1=0x1234\nsvc A getpid\n";

fn set_script(b: &Browser, src: &str) {
    b.js(&format!(
        "const t = document.getElementById('script'); t.value = {}; t.dispatchEvent(new InputEvent('input', {{ bubbles: true }})); return true;",
        json!(src)
    ));
}

fn gzip_len(path: &Path) -> u64 {
    let out = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .expect("gzip");
    out.stdout.len() as u64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
#[ignore = "needs the built bundle, a server and ChromeDriver: run `cargo xtask web-test`"]
fn the_playground_in_headless_chromium() {
    let url = env("SVELAB_E2E_URL");
    let out = out_dir();
    std::fs::create_dir_all(&out).unwrap();
    let b = Browser::start(&env("SVELAB_WEBDRIVER"), &env("SVELAB_CHROMIUM"));

    // 1. First visit: the getpid loop at step 0 under a one-screen orientation, which
    // Escape closes for good; four steps reach the loop's trap. Time to interactive.
    let mut tti = Vec::new();
    for _ in 0..4 {
        b.goto(&url);
        tti.push(
            b.js("return window.__svelab.ready;")
                .as_f64()
                .expect("ready mark"),
        );
    }
    let tti_cold = tti[0];
    let tti_warm = median(&mut tti[1..].to_vec());
    assert_eq!(b.text("#pos"), "step 0 / 201");
    assert!(b.text("#welcome").contains("Lessons"));
    b.screenshot(&out.join("e2e-0-welcome.png"));
    b.keys(&[ESCAPE]);
    b.wait(
        "!document.getElementById('welcome')",
        "the orientation to close",
    );
    b.keys(&[RIGHT, RIGHT, RIGHT, RIGHT]);
    b.wait(
        "document.getElementById('pos').textContent === 'step 4 / 201'",
        "four steps",
    );
    assert!(b.text(".events").contains("do_sve_acc"));
    assert!(b.text("[data-path='A.TIF_SVE'] .v").contains("1 (set)"));
    assert_eq!(b.attr("[data-path='cpu0.owner']", "data-owner"), "A");
    b.screenshot(&out.join("e2e-1-opening.png"));

    // 2. Typing an error underlines it as the user types.
    b.type_into("#script", "\nsve-op A z32=1");
    b.wait("document.querySelector('.diag-err')", "the error underline");
    assert!(b.text("#diags").contains("hint"));

    // 3. Load a script; step with keys and buttons; check registers and ownership.
    set_script(&b, SCRIPT);
    b.wait(
        "document.getElementById('pos').textContent.endsWith('/ 5')",
        "the new script to run",
    );
    b.keys(&[ESCAPE]);
    b.blur();
    b.keys(&[HOME]);
    b.wait(
        "document.getElementById('pos').textContent === 'step 0 / 5'",
        "reset",
    );
    b.keys(&[RIGHT, RIGHT, RIGHT]);
    b.wait(
        "document.getElementById('pos').textContent === 'step 3 / 5'",
        "three steps",
    );
    let z0 = b.text("[data-path='cpu0.z0'] .val");
    assert_eq!(z0, "1".repeat(64), "cpu0.z0 at VL 256 holds fill(0x11)");
    assert_eq!(b.attr("[data-path='cpu0.owner']", "data-owner"), "A");
    assert!(b.text("[data-path='A.TIF_SVE'] .v").contains("1 (set)"));
    assert!(b.text("[data-path='A.home'] .v").contains("live in cpu0"));
    b.click("#btn-step");
    b.wait(
        "document.getElementById('pos').textContent === 'step 4 / 5'",
        "the step button",
    );
    assert!(b.text("[data-path='cpu1.z1'] .val").ends_with("00001234"));
    assert_eq!(b.attr("[data-path='cpu1.owner']", "data-owner"), "B");
    assert!(b.text("[data-path='B.TIF_SVE'] .v").contains("0 (clear)"));
    b.keys(&[LEFT]);
    b.wait(
        "document.getElementById('pos').textContent === 'step 3 / 5'",
        "a step back",
    );
    assert!(
        !b.exists("[data-path='cpu1.z1']"),
        "v1 is zero again before fp-op"
    );
    b.keys(&[END]);
    b.wait(
        "document.getElementById('pos').textContent === 'step 5 / 5'",
        "the end",
    );
    // v5.19: getpid drops SVE (TIF_SVE=0) and makes the next SVE instruction trap; the
    // raw register still holds the bits above 127 (nobody can read them: the trap zeroes
    // them first).
    assert!(b.text("[data-path='A.TIF_SVE'] .v").contains("0 (clear)"));
    assert!(b
        .text("[data-path='cpu0.CPACR_EL1.ZEN_EL0EN'] .v")
        .contains("EL0 SVE traps"));
    assert_eq!(b.text("[data-path='cpu0.z0'] .val"), "1".repeat(64));
    assert!(b.text(".events").contains("fp_user_discard"));
    b.screenshot(&out.join("e2e-2-stepped.png"));

    // 4. Share: the link restores the same view.
    b.click("#btn-share");
    b.wait("document.getElementById('share-url')", "the share link");
    let link = b.js("return document.getElementById('share-url').value;");
    let link = link.as_str().expect("a link").to_string();
    assert!(link.contains("#v=2&") && link.contains("&p=5&"), "{link}");
    b.goto(&link);
    assert_eq!(b.text("#pos"), "step 5 / 5");
    assert_eq!(
        b.js("return document.getElementById('script').value;"),
        json!(SCRIPT)
    );
    assert!(b.text("[data-path='A.TIF_SVE'] .v").contains("0 (clear)"));

    // 5. A malformed link says so and still shows a page: the script typed in step 3,
    // saved in the browser as it was typed.
    b.goto(&format!("{url}#v=1&k=v9.9&s=dGFzayBB"));
    let banner = b.text(".banner.error");
    assert!(
        banner.contains("could not be opened") && banner.contains("v9.9"),
        "{banner}"
    );
    assert!(
        banner.contains("your script from the last visit"),
        "{banner}"
    );
    assert_eq!(b.text("#pos"), "step 0 / 5");
    assert_eq!(
        b.js("return document.getElementById('script').value;"),
        json!(SCRIPT)
    );
    assert_eq!(
        b.js("return location.hash;"),
        json!(""),
        "no stale link kept"
    );
    b.screenshot(&out.join("e2e-3-bad-link.png"));

    // 6. Compare mode: the getpid loop on v5.19 vs series-v1 (the saved script dropped).
    b.js("localStorage.removeItem('svelab.draft'); return true;");
    b.goto(&url);
    b.blur();
    b.keys(&["c"]);
    b.wait("document.querySelector('.compare-summary')", "compare mode");
    let sides = b.js("return document.querySelectorAll('.side').length;");
    assert_eq!(sides, json!(2));
    let traps = b.js("const r = [...document.querySelectorAll('.compare-summary tr')].find(r => r.querySelector('th') && r.querySelector('th').textContent === 'traps'); return r ? [...r.querySelectorAll('td')].map(t => t.textContent) : null;");
    assert_eq!(traps, json!(["100", "1", "≠"]), "traps: v5.19 vs series-v1");
    assert!(b.exists(".side .diff"), "differences are marked");
    b.screenshot(&out.join("e2e-4-compare.png"));

    // 7. Help overlay, dark theme and presentation mode by keyboard.
    b.keys(&["?"]);
    b.wait("document.querySelector('.overlay')", "the help overlay");
    assert!(b.text(".overlay").contains("step back"));
    b.keys(&[ESCAPE]);
    b.wait(
        "!document.querySelector('.overlay')",
        "the overlay to close",
    );
    b.keys(&["c", "t", "f"]);
    b.wait("document.documentElement.dataset.theme === 'dark' && document.documentElement.dataset.present === '1'", "dark + present");
    b.screenshot(&out.join("e2e-5-dark-present.png"));
    b.keys(&["t", "f"]);

    // 8. Lessons: open one, answer an exercise, and find the progress kept after a reload.
    b.goto(&url);
    b.blur();
    b.keys(&["l"]);
    b.wait("document.querySelector('.lesson-list')", "the lessons");
    b.js("document.querySelectorAll('.lesson-link')[2].click(); return true;");
    b.wait("document.querySelector('.lesson h3')", "lesson 3");
    assert!(b.text(".lesson h3").contains("First SVE use"));
    b.type_into(".exercise .blank", "1");
    b.click(".exercise .primary");
    b.wait("document.querySelector('.exercise .grade')", "the grade");
    b.screenshot(&out.join("e2e-7-lessons.png"));
    b.goto(&url);
    b.blur();
    b.keys(&["l"]);
    b.wait(
        "document.querySelector('.lesson h3')",
        "the lesson reopened from progress",
    );
    assert!(b.text(".lesson h3").contains("First SVE use"));
    let progress = b.js("return localStorage.getItem('svelab.progress');");
    assert!(
        progress.as_str().unwrap_or("").contains("first-sve-use"),
        "{progress}"
    );

    // 8b. A learner can go through the whole course here: every lesson opens, shows its
    // prose and at least two exercises, and its first script opens in the editor without
    // a single error.
    b.goto(&url);
    b.blur();
    b.keys(&["l"]);
    b.wait("document.querySelector('.lesson-list')", "the lessons");
    let count = b
        .js("return document.querySelectorAll('.lesson-link').length;")
        .as_u64()
        .unwrap_or(0);
    assert!(count >= 12, "{count} lessons listed");
    for i in 0..count {
        b.goto(&url);
        b.blur();
        b.keys(&["l"]);
        b.wait("document.querySelector('.lesson-list')", "the lessons");
        b.js(&format!(
            "document.querySelectorAll('.lesson-link')[{i}].click(); return true;"
        ));
        b.wait(
            &format!(
                "document.querySelector('.lesson h3') && document.querySelector('.lesson h3').textContent.startsWith('Lesson {}:')",
                i + 1
            ),
            "the lesson",
        );
        let exercises = b
            .js("return document.querySelectorAll('.lesson .exercise').length;")
            .as_u64()
            .unwrap_or(0);
        assert!(exercises >= 2, "lesson {}: {exercises} exercises", i + 1);
        b.js("document.querySelector('.lesson-script .primary').click(); return true;");
        b.wait(
            "document.querySelector('#diags .ok')",
            "the lesson's first script in the editor, without errors",
        );
    }

    // 9. Performance: one step of a 10,000-step trace.
    let frag = share::encode(&Shared {
        script: TEN_K_STEPS.into(),
        kernel: None,
        compare: None,
        step: 5000,
    });
    b.goto(&format!("{url}#{frag}"));
    b.wait("document.getElementById('pos').textContent === 'step 5000 / 10002' && !document.getElementById('status').textContent.includes('running')", "the 10k trace");
    b.blur();
    b.js("window.__svelab.steps.length = 0; return true;");
    let n = 100;
    // One key at a time, each step on screen before the next (under load the page may
    // otherwise take two keys in one render, and record one timing for both).
    for (key, delta) in [(RIGHT, 1i64), (LEFT, -1)] {
        for i in 1..=n as i64 {
            b.keys(&[key]);
            let want = if delta > 0 {
                5000 + i
            } else {
                5000 + n as i64 - i
            };
            b.wait(
                &format!("document.getElementById('pos').textContent === 'step {want} / 10002'"),
                "the step",
            );
        }
    }
    b.wait_up_to(
        &format!("window.__svelab.steps.length >= {}", 2 * n),
        "the step timings",
        Duration::from_secs(180),
    );
    assert_eq!(b.text("#pos"), "step 5000 / 10002");
    let steps: Vec<f64> = serde_json::from_value(b.js("return window.__svelab.steps;")).unwrap();
    let (fwd, back) = steps.split_at(n);
    let mut all = steps.clone();
    let med = median(&mut all);
    let p95 = all[(all.len() * 95 / 100).min(all.len() - 1)];
    let max = all.last().copied().unwrap_or(0.0);
    let med_fwd = median(&mut fwd.to_vec());
    let med_back = median(&mut back.to_vec());
    b.screenshot(&out.join("e2e-6-10k.png"));

    // 10. Bundle size.
    let dist = PathBuf::from(env("SVELAB_E2E_DIST"));
    let wasm = dist.join("svelab_web_bg.wasm");
    let js = dist.join("svelab_web.js");
    let raw = std::fs::metadata(&wasm).unwrap().len() + std::fs::metadata(&js).unwrap().len();
    let gz = gzip_len(&wasm) + gzip_len(&js);

    let perf = json!({
        "bundle_wasm_js_raw_bytes": raw,
        "bundle_wasm_js_gzip_bytes": gz,
        "time_to_interactive_ms_cold": tti_cold,
        "time_to_interactive_ms_warm_median": tti_warm,
        "step_render_ms_median": med,
        "step_render_ms_p95": p95,
        "step_render_ms_max": max,
        "step_forward_ms_median": med_fwd,
        "step_back_ms_median": med_back,
    });
    std::fs::write(
        out.join("perf.json"),
        serde_json::to_string_pretty(&perf).unwrap(),
    )
    .unwrap();
    println!(
        "e2e: bundle (wasm + JS) {:.1} KiB raw, {:.1} KiB gzip (guard <= 360 KiB; issue #16 asks 250)",
        raw as f64 / 1024.0,
        gz as f64 / 1024.0
    );
    println!(
        "e2e: time to interactive {tti_cold:.0} ms cold, {tti_warm:.0} ms warm (target < 1000 ms)"
    );
    println!(
        "e2e: one step of a 10,002-step trace: median {med:.2} ms (forward {med_fwd:.2}, back {med_back:.2}), p95 {p95:.2} ms, max {max:.2} ms (target < 16 ms)"
    );
    // A guard against accidental growth, not the goal: issue #16 asks for 250 KiB, which
    // needs wasm-opt (Debian 12's binaryen cannot read this wasm) or a smaller design. Raised
    // from 350 to 360 KiB when completion, the orientation, embed mode and six statements
    // brought the bundle to 353 KiB.
    assert!(gz <= 360 * 1024, "bundle {gz} bytes gzip > 360 KiB");
    assert!(tti_cold < 5000.0, "time to interactive {tti_cold} ms");
    assert!(med < 50.0, "median step render {med} ms");
}

/// Horizontal overflow of the page: (scrollWidth, clientWidth, the widest element).
fn overflow(b: &Browser) -> (u64, u64, String) {
    let v = b.js(
        "const s = document.scrollingElement; let worst = '', w = 0;
         for (const e of document.querySelectorAll('body *')) {
           const r = e.getBoundingClientRect();
           if (r.right > w) { w = r.right; worst = e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(r.right); }
         }
         return [s.scrollWidth, s.clientWidth, worst];",
    );
    (
        v[0].as_u64().unwrap_or(u64::MAX),
        v[1].as_u64().unwrap_or(0),
        v[2].as_str().unwrap_or("").to_string(),
    )
}

fn assert_no_overflow(b: &Browser, what: &str) {
    let (sw, cw, worst) = overflow(b);
    assert!(
        sw <= cw,
        "{what}: the page scrolls sideways ({sw} > {cw} px; widest: {worst})"
    );
}

/// The smallest text drawn in the editor, the step's events and the machine (SVG text
/// at its drawn size): (px, where).
fn smallest_text(b: &Browser) -> (f64, String) {
    let v = b.js(
        "let min = 1e9, at = '';
         for (const e of document.querySelectorAll('.editor *, .events *, .machine *, .diagram *')) {
           if (e.closest('.sr, [hidden], details:not([open]) > :not(summary)')) continue;
           const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
           if (!own) continue;
           const r = e.getBoundingClientRect();
           if (r.width === 0 || r.height === 0) continue;
           let px = parseFloat(getComputedStyle(e).fontSize);
           if (e instanceof SVGElement && e.getScreenCTM()) px *= e.getScreenCTM().a;
           if (px < min) { min = px; at = e.tagName + '.' + (e.getAttribute('class') || '') + ': ' + e.textContent.trim().slice(0, 30); }
         }
         return [min, at];",
    );
    (
        v[0].as_f64().unwrap_or(0.0),
        v[1].as_str().unwrap_or("").to_string(),
    )
}

/// Lines of the editor on screen: the editor's visible height over its line height.
fn editor_lines(b: &Browser) -> f64 {
    b.js(
        "const e = document.querySelector('.editor-scroll'); const r = e.getBoundingClientRect();
         const seen = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
         return seen / parseFloat(getComputedStyle(e).lineHeight);",
    )
    .as_f64()
    .unwrap_or(0.0)
}

/// axe-core's audit of the page as it is: the serious and critical violations.
fn axe(b: &Browser, what: &str) -> Vec<String> {
    if b.js("return typeof window.axe;") != json!("object") {
        let src = std::fs::read_to_string(env("SVELAB_AXE")).expect("axe.min.js");
        b.js(&format!("{src}\nreturn true;"));
    }
    let v = b.js_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
           .filter(v => v.impact === 'serious' || v.impact === 'critical')
           .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', '))))
           .catch(e => done(['axe failed: ' + e]));",
    );
    let found: Vec<String> = serde_json::from_value(v).unwrap_or_default();
    for f in &found {
        println!("e2e: axe, {what}: {f}");
    }
    found
}

/// The inline code spans of a Markdown text (outside fenced blocks), newlines as spaces.
fn code_spans(md: &str) -> Vec<String> {
    let mut prose = String::new();
    let mut fenced = false;
    for l in md.lines() {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            prose.push_str(l);
            prose.push('\n');
        }
    }
    let mut out = Vec::new();
    let mut rest = prose.as_str();
    while let Some(i) = rest.find('`') {
        let ticks = rest[i..].chars().take_while(|&c| c == '`').count();
        let after = &rest[i + ticks..];
        let close = "`".repeat(ticks);
        let Some(j) = after.find(&close) else { break };
        let span = after[..j].replace('\n', " ");
        let span = if span.starts_with(' ') && span.ends_with(' ') && span.trim() != "" {
            span[1..span.len() - 1].to_string()
        } else {
            span
        };
        out.push(span);
        rest = &after[j + ticks..];
    }
    out
}

/// Identifiers with an underscore inside (`fpsimd_last_state`, `TIF_SVE`).
fn underscored(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in md.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let core = w.trim_matches('_');
        if core.contains('_') && core == w {
            out.push(core.to_string());
        }
    }
    out
}

#[test]
fn markdown_checks_find_code_spans_and_identifiers() {
    assert_eq!(
        code_spans("a `x` b ``y ` z`` c\n```\n`no`\n```\n`multi\nline` _em_ fpsimd_save"),
        ["x", "y ` z", "multi line"]
    );
    assert_eq!(
        underscored("`TIF_SVE` is _clear_ and fpsimd_last_state, __init"),
        ["TIF_SVE", "fpsimd_last_state"]
    );
}

#[test]
#[ignore = "needs the built bundle, a server and ChromeDriver: run `cargo xtask web-test`"]
fn classroom_sizes_accessibility_and_every_lesson_rendered() {
    let url = env("SVELAB_E2E_URL");
    let out = out_dir();
    std::fs::create_dir_all(&out).unwrap();
    let b = Browser::start(&env("SVELAB_WEBDRIVER"), &env("SVELAB_CHROMIUM"));
    let mut violations = Vec::new();

    // 1. The orientation, audited, then closed for good.
    b.goto(&url);
    assert!(url.contains(&env("SVELAB_E2E_HOST")), "{url}");
    violations.extend(axe(&b, "orientation"));
    b.click("#welcome-start");
    b.wait(
        "!document.getElementById('welcome')",
        "the orientation to close",
    );

    // 2. Each classroom size: no sideways scrolling, the editor readable, the script,
    // events and machine at >= 14 px when presenting; then compare mode and a lesson.
    for (w, h, present) in [
        (390, 844, false),
        (768, 1024, false),
        (1280, 720, true),
        (1920, 1080, true),
        (1920, 1080, false),
    ] {
        let what = format!("{w}x{h}{}", if present { " presenting" } else { "" });
        b.viewport(w, h);
        b.js(&format!(
            "localStorage.setItem('svelab.present', '{}'); return true;",
            if present { "1" } else { "0" }
        ));
        b.goto(&url);
        set_script(&b, SCRIPT);
        b.wait(
            "document.getElementById('pos').textContent.endsWith('/ 5')",
            "the script to run",
        );
        b.blur();
        b.keys(&[HOME, RIGHT, RIGHT, RIGHT]);
        b.wait(
            "document.getElementById('pos').textContent === 'step 3 / 5'",
            "three steps",
        );
        assert_no_overflow(&b, &what);
        if w >= 1280 {
            let lines = editor_lines(&b);
            assert!(lines >= 10.0, "{what}: {lines:.1} editor lines visible");
        }
        if present {
            let (px, at) = smallest_text(&b);
            println!("e2e: {what}: smallest text {px:.1} px ({at})");
            assert!(px >= 14.0, "{what}: text at {px:.1} px: {at}");
        }
        b.screenshot(&out.join(format!(
            "e2e-size-{w}x{h}{}.png",
            if present { "-present" } else { "" }
        )));
        b.keys(&["c"]);
        b.wait("document.querySelector('.compare-summary')", "compare mode");
        assert_no_overflow(&b, &format!("{what}, compare mode"));
        let overlap = b.js(
            "const s = [...document.querySelectorAll('.side')].map(e => e.getBoundingClientRect());
             return s.length === 2 && s[0].right > s[1].left + 1 && s[0].bottom > s[1].top + 1;",
        );
        assert_eq!(
            overlap,
            json!(false),
            "{what}: the two kernels' cards overlap"
        );
        b.screenshot(&out.join(format!("e2e-size-{w}x{h}-compare.png")));
        b.keys(&["c", "l"]);
        b.wait("document.querySelector('.lesson-link')", "the lessons");
        b.js("document.querySelectorAll('.lesson-link')[2].click(); return true;");
        b.wait("document.querySelector('.lesson h3')", "a lesson");
        assert_no_overflow(&b, &format!("{what}, a lesson"));
        let covered = b.js(
            "const n = document.querySelector('.lessons-grid nav').getBoundingClientRect();
             const t = document.querySelector('.lesson-body').getBoundingClientRect();
             return n.right > t.left + 1 && n.bottom > t.top + 1 && n.top < t.bottom - 1 && n.left < t.right - 1;",
        );
        assert_eq!(
            covered,
            json!(false),
            "{what}: the lesson list covers the text"
        );
        b.screenshot(&out.join(format!("e2e-size-{w}x{h}-lesson.png")));
        if w == 1920 && !present {
            violations.extend(axe(&b, "a lesson"));
        }
    }
    b.js("localStorage.setItem('svelab.present', '0'); return true;");
    b.viewport(1600, 1000);

    // 3. The audit: the page, dark, compare mode, the help.
    b.goto(&url);
    violations.extend(axe(&b, "the page"));
    b.blur();
    b.keys(&["t"]);
    violations.extend(axe(&b, "dark"));
    b.keys(&["c"]);
    b.wait("document.querySelector('.compare-summary')", "compare mode");
    violations.extend(axe(&b, "compare mode, dark"));
    b.keys(&["t", "c", "?"]);
    b.wait("document.querySelector('.overlay')", "the help");
    violations.extend(axe(&b, "the help"));
    b.keys(&[ESCAPE]);

    // 4. Completion: typing offers the script's CPUs; ↓ and Tab take the second; Escape
    // closes a menu without leaving the editor.
    set_script(&b, SCRIPT);
    b.js("const t = document.getElementById('script'); t.focus(); t.setSelectionRange(t.value.length, t.value.length); return true;");
    b.keys(&["c", "t", "x", "s", "w", " ", "c"]);
    b.wait(
        "document.getElementById('complete-menu')",
        "the completion menu",
    );
    assert_eq!(b.text("#complete-menu"), "cpu0cpu1");
    violations.extend(axe(&b, "the completion menu"));
    b.keys(&[DOWN, TAB]);
    b.wait(
        "!document.getElementById('complete-menu')",
        "the menu to close",
    );
    assert_eq!(
        b.js("return document.getElementById('script').value;"),
        json!(format!("{SCRIPT}ctxsw cpu1"))
    );
    b.keys(&[" ", "i"]);
    b.wait("document.getElementById('complete-menu')", "the menu again");
    b.keys(&[ESCAPE]);
    b.wait(
        "!document.getElementById('complete-menu')",
        "Escape to close it",
    );
    assert_eq!(
        b.js("return document.activeElement.id;"),
        json!("script"),
        "Escape closed the menu, not the editor"
    );
    b.blur();

    // 5. Share on a plain-HTTP host: no clipboard, the link in a selected field; it and
    // the embed link open the same script.
    set_script(&b, SCRIPT);
    b.wait(
        "document.getElementById('pos').textContent.endsWith('/ 5')",
        "the script to run",
    );
    b.click("#btn-share");
    b.wait(
        "document.querySelector('.banner.error #share-url')",
        "the link field",
    );
    let link = b.js("return document.getElementById('share-url').value;");
    let link = link.as_str().expect("a link").to_string();
    assert!(link.starts_with(&url) && link.contains("#v=2&"), "{link}");
    let embed = b.js("return document.getElementById('embed-url').value;");
    let embed = embed.as_str().expect("an embed link").to_string();
    assert!(embed.starts_with(&format!("{url}#embed&v=2&")), "{embed}");
    violations.extend(axe(&b, "the share banner"));
    b.goto(&link);
    assert_eq!(
        b.js("return document.getElementById('script').value;"),
        json!(SCRIPT)
    );
    b.goto(&embed);
    assert_eq!(
        b.js("return document.getElementById('script').value;"),
        json!(SCRIPT)
    );
    assert!(!b.exists("header") && !b.exists(".machine") && b.exists("#btn-step"));
    b.viewport(640, 400);
    assert_no_overflow(&b, "an embed at 640x400");
    b.screenshot(&out.join("e2e-embed.png"));
    violations.extend(axe(&b, "an embed"));
    b.viewport(1600, 1000);

    // 6. Every lesson's Markdown: each inline code span and underscored identifier of the
    // source appears verbatim in the page, and no backtick is left.
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("lesson.md").exists())
            .collect();
    dirs.sort();
    b.goto(&url);
    b.blur();
    b.keys(&["l"]);
    b.wait("document.querySelector('.lesson-link')", "the lessons");
    for (i, dir) in dirs.iter().enumerate() {
        let md = std::fs::read_to_string(dir.join("lesson.md")).unwrap();
        b.js(&format!(
            "document.querySelectorAll('.lesson-link')[{i}].click(); return true;"
        ));
        b.wait(
            &format!(
                "document.querySelector('.lesson h3') && document.querySelector('.lesson h3').textContent.startsWith('Lesson {}:')",
                i + 1
            ),
            "the lesson",
        );
        // The prose as drawn (the scripts' own text, comments included, is not Markdown).
        let text = b
            .js("const c = document.querySelector('.lesson').cloneNode(true); c.querySelectorAll('pre').forEach(p => p.remove()); return c.textContent;")
            .as_str()
            .unwrap_or("")
            .to_string();
        let name = dir.display();
        assert!(
            !text.contains('`'),
            "{name}: a backtick is left in the page"
        );
        for span in code_spans(&md) {
            assert!(text.contains(&span), "{name}: `{span}` is not in the page");
        }
        for id in underscored(&md) {
            assert!(text.contains(&id), "{name}: {id} is not in the page");
        }
    }
    assert!(
        violations.is_empty(),
        "accessibility (axe-core, serious or critical):\n{}",
        violations.join("\n")
    );
}
