//! The page. It owns the state (the script, the players, the position, the settings),
//! turns keys, clicks and timers into messages, and lays the panels out.
//!
//! Long runs never freeze the tab: a script is scanned in slices of [`SLICE`] steps with a
//! timer between slices, up to [`PAGE_BUDGET`] steps; the page stays responsive and says
//! how far it got.

use super::diagram::{BindingDiagram, LazyDiagram};
use super::editor::{Editor, EDITOR_ID};
use super::lessons::{CourseRef, LessonsPanel};
use super::machine::MachineView;
use super::panels::{Chart, CompareSummary, CountersTable, Events, Help};
use crate::vm::chart::{History, CHART_COUNTERS};
use crate::vm::highlight;
use crate::vm::keys::{command_for, Command, Focus, Key};
use crate::vm::lazy;
use crate::vm::page::{self, Draft};
use crate::vm::player::{Player, Stop, PAGE_BUDGET};
use crate::vm::regfmt::RegFormat;
use crate::vm::share::{self, Shared};
use crate::vm::snapshot::changed;
use crate::vm::{EXAMPLES, GETPID_LOOP};
use crate::web;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::{Interval, Timeout};
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use svelab_core::dsl::Severity;
use svelab_core::model::kernel::Patch;
use svelab_core::session::Comparison;
use svelab_core::{Counter, Counters, Diagnostic, Kernel, TaskId};
use yew::prelude::*;

/// Steps scanned per slice before yielding to the browser.
pub const SLICE: u64 = 4_000;

/// Autoplay speeds: label, steps per tick, milliseconds per tick.
pub const SPEEDS: [(&str, u64, u32); 7] = [
    ("1 step/s", 1, 1000),
    ("2 steps/s", 1, 500),
    ("5 steps/s", 1, 200),
    ("10 steps/s", 1, 100),
    ("30 steps/s", 1, 33),
    ("100 steps/s", 3, 30),
    ("1000 steps/s", 30, 30),
];

/// Steps compared step by step in compare mode.
pub const COMPARE_BUDGET: u64 = 20_000;

/// A message in the banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// An error (the share link did not open), not a notice.
    pub error: bool,
    /// The text.
    pub text: String,
}

/// Messages.
#[derive(Debug)]
pub enum Msg {
    /// The script was edited.
    Edit(String),
    /// Re-run the script (after the edit pause).
    Rerun,
    /// Scan the next slice.
    ScanSlice,
    /// A command from a key or a button.
    Cmd(Command),
    /// Go to a position (the scrubber).
    Goto(u64),
    /// Force a kernel (`None`: the script's).
    Kernel(Option<Kernel>),
    /// Compare with a kernel (`None`: off).
    Compare(Option<Kernel>),
    /// Toggle a breakpoint on a line.
    ToggleBp(u32),
    /// Put the caret at (line, column).
    Jump((u32, u32)),
    /// Register format.
    Fmt(RegFormat),
    /// Show zero registers too.
    AllRegs(bool),
    /// The task whose state diagram is drawn.
    Focus(String),
    /// Load an example.
    Example(usize),
    /// Autoplay tick.
    Tick,
    /// Autoplay speed.
    Speed(usize),
    /// Close the banner.
    Dismiss,
    /// Toggle a counter in the chart.
    ChartToggle(Counter),
    /// Open a script (from a lesson or an exercise) on a kernel.
    Open((String, Option<Kernel>)),
    /// The course file arrived (or did not).
    Course(Result<CourseRef, String>),
    /// The clipboard's answer to "Share link".
    Copied(Result<(), String>),
}

/// The playground.
#[derive(Debug)]
pub struct App {
    source: String,
    /// The student typed in the editor since a script was last opened.
    edited: bool,
    /// The kernel the script itself names (the kernel menu says it).
    script_kernel: Kernel,
    /// The script the address bar's share link carries, while it still matches.
    link_source: Option<String>,
    diags: Rc<Vec<Diagnostic>>,
    hl: Rc<Vec<highlight::Line>>,
    kernel: Option<Kernel>,
    compare: Option<Kernel>,
    a: Option<Player>,
    b: Option<Player>,
    ran_source: String,
    breakpoints: Rc<BTreeSet<u32>>,
    fmt: RegFormat,
    all_regs: bool,
    dark: bool,
    present: bool,
    help: bool,
    lessons: bool,
    lessons_mounted: bool,
    course: Option<Result<CourseRef, AttrValue>>,
    autoplay: Option<Interval>,
    speed: usize,
    scan_timer: Option<Timeout>,
    rerun_timer: Option<Timeout>,
    pending_pos: Option<u64>,
    focus_task: Option<String>,
    banner: Option<Banner>,
    share_url: Option<String>,
    comparison: Option<Rc<Comparison>>,
    differs: Rc<HashSet<String>>,
    chart_shown: Rc<Vec<Counter>>,
    chart_a: Rc<History>,
    chart_b: Option<Rc<History>>,
    chart_rev: u64,
    perf_t0: Option<f64>,
    _keys: Option<EventListener>,
}

fn parse_diags(src: &str) -> Vec<Diagnostic> {
    svelab_core::parse(src).1
}

impl App {
    fn pos(&self) -> u64 {
        self.a.as_ref().map_or(0, |p| p.frame().pos)
    }

    fn len(&self) -> u64 {
        self.a.as_ref().map_or(0, |p| p.len())
    }

    fn scanning(&self) -> bool {
        self.a.as_ref().is_some_and(|p| p.stop().is_none())
            || self.b.as_ref().is_some_and(|p| p.stop().is_none())
    }

    /// (Re)builds the players for `ran_source`, keeping `pos` if possible.
    fn start_run(&mut self, ctx: &Context<Self>, pos: u64) {
        self.ran_source = self.source.clone();
        self.a = Player::load(&self.source, self.kernel, PAGE_BUDGET).ok();
        self.b = self
            .compare
            .and_then(|k| Player::load(&self.source, Some(k), PAGE_BUDGET).ok());
        self.comparison = None;
        self.pending_pos = Some(pos);
        // The first slice runs now, so small scripts appear at once.
        self.scan_slice(ctx);
    }

    fn scan_slice(&mut self, ctx: &Context<Self>) {
        let mut done = true;
        let target = self.pending_pos.unwrap_or(0);
        for p in [self.a.as_mut(), self.b.as_mut()].into_iter().flatten() {
            // Scan at least up to the pending position in one go (a shared link).
            let want = SLICE.max(target.saturating_sub(p.len()).min(PAGE_BUDGET));
            done &= p.scan(want);
        }
        self.chart_a = Rc::new(
            self.a
                .as_ref()
                .map(|p| p.history().clone())
                .unwrap_or_default(),
        );
        self.chart_b = self.b.as_ref().map(|p| Rc::new(p.history().clone()));
        self.chart_rev += 1;
        if let Some(t) = self.pending_pos {
            if done || self.len() >= t {
                self.pending_pos = None;
                self.goto(t);
            }
        }
        if done {
            self.scan_timer = None;
            self.compute_comparison();
        } else {
            let link = ctx.link().clone();
            self.scan_timer = Some(Timeout::new(0, move || link.send_message(Msg::ScanSlice)));
        }
    }

    fn compute_comparison(&mut self) {
        self.comparison = match (self.compare, &self.a) {
            (Some(kb), Some(a)) => {
                let ka = a.machine().kernel();
                let budget = a.len().clamp(1, COMPARE_BUDGET);
                svelab_core::session::compare(&self.ran_source, ka, kb, budget)
                    .ok()
                    .map(Rc::new)
            }
            _ => None,
        };
    }

    fn goto(&mut self, pos: u64) {
        if let Some(a) = self.a.as_mut() {
            a.goto(pos);
        }
        if let Some(b) = self.b.as_mut() {
            b.goto(pos);
        }
        self.refresh_differs();
    }

    fn refresh_differs(&mut self) {
        self.differs = match (&self.a, &self.b) {
            (Some(a), Some(b)) => Rc::new(changed(&a.frame().snap, &b.frame().snap)),
            _ => Rc::default(),
        };
    }

    fn set_source(&mut self, src: String) {
        self.diags = Rc::new(parse_diags(&src));
        self.script_kernel = page::script_kernel(&src);
        self.hl = Rc::new(highlight::lines(&src, &self.editor_diags_for(&src)));
        self.source = src;
    }

    /// Parse diagnostics, plus the step error when the views show this very source.
    fn editor_diags_for(&self, src: &str) -> Vec<Diagnostic> {
        let mut d = (*self.diags).clone();
        if src == self.ran_source {
            if let Some(Stop::Error { diag, .. }) = self.a.as_ref().and_then(|p| p.stop()) {
                d.push(diag.clone());
            }
        }
        d
    }

    fn refresh_highlight(&mut self) {
        let d = self.editor_diags_for(&self.source);
        self.hl = Rc::new(highlight::lines(&self.source, &d));
    }

    /// Saves the editor's text in the browser (restored on the next visit).
    fn save_draft(&self) {
        web::save(
            page::DRAFT_KEY,
            &Draft {
                source: self.source.clone(),
                edited: self.edited,
            }
            .encode(),
        );
    }

    /// The address bar no longer describes the page: drop its share link.
    fn forget_link(&mut self) {
        if self.link_source.take().is_some() {
            web::replace_hash("");
        }
    }

    /// May `incoming` replace the editor's text? Asks when the student edited it.
    fn may_replace_with(&self, incoming: &str) -> bool {
        let current = Draft {
            source: self.source.clone(),
            edited: self.edited,
        };
        !page::must_ask_before_replacing(&current, incoming) || web::confirm(page::REPLACE_QUESTION)
    }

    fn load_script(&mut self, ctx: &Context<Self>, src: &str, pos: u64) {
        self.stop_autoplay();
        if self.link_source.as_deref() != Some(src) {
            self.forget_link();
        }
        self.edited = false;
        self.set_source(src.to_string());
        self.breakpoints = Rc::default();
        self.focus_task = None;
        if self.diags.iter().any(|d| d.severity == Severity::Error) {
            self.a = None;
            self.b = None;
            self.ran_source.clear();
        } else {
            self.start_run(ctx, pos);
        }
        self.refresh_highlight();
    }

    fn stop_autoplay(&mut self) {
        self.autoplay = None;
    }

    fn start_autoplay(&mut self, ctx: &Context<Self>) {
        let ms = SPEEDS[self.speed].2;
        let link = ctx.link().clone();
        self.autoplay = Some(Interval::new(ms, move || link.send_message(Msg::Tick)));
    }

    fn current_line(&self) -> Option<u32> {
        self.a
            .as_ref()
            .and_then(|p| p.frame().report.as_ref().map(|r| r.line))
    }

    fn next_line(&self) -> Option<u32> {
        self.a.as_ref().and_then(|p| p.next_line())
    }

    fn share_fragment(&self) -> String {
        share::encode(&Shared {
            script: self.source.clone(),
            kernel: self.kernel,
            compare: self.compare,
            step: self.pos(),
        })
    }

    fn apply_theme(&self) {
        web::set_root_attr("data-theme", if self.dark { "dark" } else { "light" });
        web::set_root_attr("data-present", if self.present { "1" } else { "0" });
    }

    fn save_prefs(&self) {
        web::save("svelab.theme", if self.dark { "dark" } else { "light" });
        web::save("svelab.present", if self.present { "1" } else { "0" });
        web::save("svelab.format", self.fmt.label());
        web::save("svelab.allregs", if self.all_regs { "1" } else { "0" });
    }

    /// The task the state diagram follows: the chosen one, else the one the last step
    /// acted on, else the first.
    fn diagram_task(&self) -> Option<(TaskId, String)> {
        let a = self.a.as_ref()?;
        let m = a.machine();
        if let Some(n) = &self.focus_task {
            if let Some(t) = m.task_id(n) {
                return Some((t, n.clone()));
            }
        }
        let from_events = a
            .frame()
            .report
            .as_ref()
            .and_then(|r| r.events.iter().find_map(|e| e.task));
        let t = from_events.or_else(|| (!m.tasks.is_empty()).then_some(TaskId(0)))?;
        Some((t, m.task(t).name.clone()))
    }

    fn command(&mut self, ctx: &Context<Self>, c: Command) -> bool {
        let timed = matches!(
            c,
            Command::Step | Command::Back | Command::Forward10 | Command::Back10 | Command::Reset
        );
        if timed {
            self.perf_t0 = Some(web::now());
        }
        match c {
            Command::Step => {
                self.stop_autoplay();
                let p = self.pos();
                self.goto(p + 1);
            }
            Command::Back => {
                self.stop_autoplay();
                let p = self.pos();
                self.goto(p.saturating_sub(1));
            }
            Command::Forward10 => {
                let p = self.pos();
                self.goto(p + 10);
            }
            Command::Back10 => {
                let p = self.pos();
                self.goto(p.saturating_sub(10));
            }
            Command::Reset => {
                self.stop_autoplay();
                self.goto(0);
            }
            Command::End => {
                let l = self.len();
                self.goto(l);
            }
            Command::Run => {
                self.stop_autoplay();
                if let Some(a) = &self.a {
                    let t = a.next_stop(&self.breakpoints);
                    self.goto(t);
                }
            }
            Command::Autoplay => {
                if self.autoplay.is_some() {
                    self.stop_autoplay();
                } else {
                    if self.pos() >= self.len() {
                        self.goto(0);
                    }
                    self.start_autoplay(ctx);
                }
            }
            Command::Faster | Command::Slower => {
                let s = if c == Command::Faster {
                    (self.speed + 1).min(SPEEDS.len() - 1)
                } else {
                    self.speed.saturating_sub(1)
                };
                return <Self as Component>::update(self, ctx, Msg::Speed(s));
            }
            Command::Breakpoint => {
                let (tag, id) = web::active_element();
                let line = if tag == "TEXTAREA" && id == EDITOR_ID {
                    web::caret_line(EDITOR_ID)
                } else {
                    self.next_line().or(self.current_line())
                };
                if let Some(l) = line {
                    return <Self as Component>::update(self, ctx, Msg::ToggleBp(l));
                }
                return false;
            }
            Command::Help => self.help = !self.help,
            Command::Theme => {
                self.dark = !self.dark;
                self.apply_theme();
                self.save_prefs();
            }
            Command::Present => {
                self.present = !self.present;
                self.apply_theme();
                self.save_prefs();
            }
            Command::Compare => {
                let k = if self.compare.is_some() {
                    None
                } else {
                    let cur = self.a.as_ref().map(|a| a.machine().kernel());
                    Some(if cur == Some(Kernel::V5_19Rc1) || cur.is_none() {
                        Kernel::SeriesV1(Patch::P7)
                    } else {
                        Kernel::V5_19Rc1
                    })
                };
                return <Self as Component>::update(self, ctx, Msg::Compare(k));
            }
            Command::Share => {
                let frag = self.share_fragment();
                web::replace_hash(&frag);
                self.link_source = Some(self.source.clone());
                let url = format!("{}#{frag}", web::page_url());
                self.share_url = Some(url.clone());
                // Say "copied" only once the clipboard has said so.
                self.banner = Some(Banner {
                    error: false,
                    text: "Copying the link…".into(),
                });
                let link = ctx.link().clone();
                yew::platform::spawn_local(async move {
                    let r = web::copy(&url).await;
                    link.send_message(Msg::Copied(r));
                });
            }
            Command::Lessons => {
                self.lessons = !self.lessons;
                if self.lessons && !self.lessons_mounted {
                    self.lessons_mounted = true;
                    let link = ctx.link().clone();
                    yew::platform::spawn_local(async move {
                        // The teacher's course (`#course=FILE`) or the built-in one.
                        let r = crate::ui::lessons::load_course().await;
                        link.send_message(Msg::Course(r));
                    });
                }
            }
            Command::Edit => {
                web::focus(EDITOR_ID);
                return false;
            }
            Command::Leave => {
                if self.help {
                    self.help = false;
                } else {
                    web::focus("btn-step");
                    return false;
                }
            }
        }
        true
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let dark = match web::load("svelab.theme").as_deref() {
            Some("dark") => true,
            Some("light") => false,
            _ => web::prefers_dark(),
        };
        let mut app = App {
            source: String::new(),
            edited: false,
            script_kernel: Kernel::V5_19Rc1,
            link_source: None,
            diags: Rc::default(),
            hl: Rc::default(),
            kernel: None,
            compare: None,
            a: None,
            b: None,
            ran_source: String::new(),
            breakpoints: Rc::default(),
            fmt: web::load("svelab.format")
                .and_then(|f| RegFormat::parse(&f))
                .unwrap_or_default(),
            all_regs: web::load("svelab.allregs").as_deref() == Some("1"),
            dark,
            present: web::load("svelab.present").as_deref() == Some("1"),
            help: false,
            lessons: false,
            lessons_mounted: false,
            course: None,
            autoplay: None,
            speed: 3,
            scan_timer: None,
            rerun_timer: None,
            pending_pos: None,
            focus_task: None,
            banner: None,
            share_url: None,
            comparison: None,
            differs: Rc::default(),
            chart_shown: Rc::new(CHART_COUNTERS[..5].to_vec()),
            chart_a: Rc::default(),
            chart_b: None,
            chart_rev: 0,
            perf_t0: None,
            _keys: None,
        };
        app.apply_theme();
        match share::decode(&web::location_hash()) {
            Ok(Some(s)) => {
                app.kernel = s.kernel;
                app.compare = s.compare;
                app.link_source = Some(s.script.clone());
                app.load_script(ctx, &s.script, s.step);
                if app.a.is_none() {
                    app.banner = Some(Banner {
                        error: true,
                        text: "The shared script has errors (listed under the editor): fix them to run it.".into(),
                    });
                }
            }
            other => {
                // The script of the last visit, if the student had one.
                let draft = web::load(page::DRAFT_KEY)
                    .and_then(|d| Draft::decode(&d))
                    .filter(|d| d.source != GETPID_LOOP);
                if let Err(e) = &other {
                    // The address bar must not go on carrying a link the page does not show.
                    web::replace_hash("");
                    let instead = if draft.is_some() {
                        "your script from the last visit"
                    } else {
                        "the getpid example"
                    };
                    app.banner = Some(Banner {
                        error: true,
                        text: format!(
                            "This share link could not be opened: {e}. Here is {instead} instead."
                        ),
                    });
                }
                if let Some(d) = draft {
                    app.load_script(ctx, &d.source, 0);
                    app.edited = d.edited;
                    if app.banner.is_none() {
                        app.banner = Some(Banner {
                            error: false,
                            text: "Your script from the last visit is back (kept in this browser). The examples menu starts over.".into(),
                        });
                    }
                    return app;
                }
                app.load_script(ctx, GETPID_LOOP, 0);
                // Open where an SVE trap has just happened (the second one: the loop's).
                if let Some(a) = app.a.as_mut() {
                    a.scan_all();
                }
                let p = app
                    .a
                    .as_ref()
                    .and_then(|a| a.first_pos_with(Counter::SveTraps, 2))
                    .unwrap_or(0);
                app.pending_pos = None;
                app.goto(p);
                app.chart_a = Rc::new(
                    app.a
                        .as_ref()
                        .map(|p| p.history().clone())
                        .unwrap_or_default(),
                );
            }
        }
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Edit(src) => {
                self.edited = true;
                self.forget_link();
                self.set_source(src);
                self.save_draft();
                self.refresh_highlight();
                let ok = !self.diags.iter().any(|d| d.severity == Severity::Error);
                self.rerun_timer = ok.then(|| {
                    let link = ctx.link().clone();
                    Timeout::new(300, move || link.send_message(Msg::Rerun))
                });
                true
            }
            Msg::Rerun => {
                self.rerun_timer = None;
                if self.source != self.ran_source {
                    let p = self.pos();
                    self.start_run(ctx, p);
                    self.refresh_highlight();
                }
                true
            }
            Msg::ScanSlice => {
                self.scan_slice(ctx);
                self.refresh_highlight();
                true
            }
            Msg::Cmd(c) => self.command(ctx, c),
            Msg::Goto(p) => {
                self.perf_t0 = Some(web::now());
                self.goto(p);
                true
            }
            Msg::Kernel(k) => {
                self.kernel = k;
                self.forget_link();
                let p = self.pos();
                if !self.ran_source.is_empty() {
                    self.start_run(ctx, p);
                }
                true
            }
            Msg::Compare(k) => {
                self.compare = k;
                self.forget_link();
                let p = self.pos();
                if !self.ran_source.is_empty() {
                    self.start_run(ctx, p);
                }
                true
            }
            Msg::ToggleBp(l) => {
                let mut b = (*self.breakpoints).clone();
                if !b.remove(&l) {
                    b.insert(l);
                }
                self.breakpoints = Rc::new(b);
                true
            }
            Msg::Jump((l, c)) => {
                web::set_caret(EDITOR_ID, l, c);
                false
            }
            Msg::Fmt(f) => {
                self.fmt = f;
                self.save_prefs();
                true
            }
            Msg::AllRegs(b) => {
                self.all_regs = b;
                self.save_prefs();
                true
            }
            Msg::Focus(t) => {
                self.focus_task = Some(t);
                true
            }
            Msg::Example(i) => {
                if let Some((_, src)) = EXAMPLES.get(i) {
                    if !self.may_replace_with(src) {
                        return false;
                    }
                    self.banner = None;
                    self.load_script(ctx, src, 0);
                    self.save_draft();
                }
                true
            }
            Msg::Tick => {
                let step = SPEEDS[self.speed].1;
                let before = self.pos();
                let mut target = before + step;
                if let Some(a) = &self.a {
                    // Autoplay stops at breakpoints.
                    let bp = a.next_stop(&self.breakpoints);
                    if bp < target && !self.breakpoints.is_empty() {
                        target = bp;
                        self.stop_autoplay();
                    }
                }
                self.perf_t0 = Some(web::now());
                self.goto(target);
                if self.pos() == before || self.pos() >= self.len() {
                    self.stop_autoplay();
                }
                true
            }
            Msg::Speed(s) => {
                self.speed = s.min(SPEEDS.len() - 1);
                if self.autoplay.is_some() {
                    self.start_autoplay(ctx);
                }
                true
            }
            Msg::Dismiss => {
                self.banner = None;
                self.share_url = None;
                true
            }
            Msg::ChartToggle(c) => {
                let mut v = (*self.chart_shown).clone();
                if let Some(i) = v.iter().position(|&x| x == c) {
                    v.remove(i);
                } else {
                    v.push(c);
                }
                self.chart_shown = Rc::new(v);
                true
            }
            Msg::Course(r) => {
                self.course = Some(r.map_err(AttrValue::from));
                true
            }
            Msg::Copied(r) => {
                let (error, text) = page::share_banner(&r);
                self.banner = Some(Banner { error, text });
                if error {
                    // The field holds the link: select it for Ctrl+C.
                    let t = Timeout::new(0, || web::select_text("share-url"));
                    t.forget();
                }
                true
            }
            Msg::Open((src, k)) => {
                if !self.may_replace_with(&src) {
                    return false;
                }
                self.kernel = k;
                self.banner = None;
                self.lessons = false;
                self.load_script(ctx, &src, 0);
                self.save_draft();
                true
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            web::force_layout();
            web::mark_ready();
            self._keys = install_keys(ctx);
        }
        if let Some(t0) = self.perf_t0.take() {
            web::force_layout();
            web::mark_step(web::now() - t0);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let kernel_opts = |sel: Option<Kernel>, none: &str| {
            let none_opt =
                html! { <option value="" selected={sel.is_none()}>{none.to_string()}</option> };
            let opts = Kernel::ALL.iter().map(|k| {
                html! { <option value={k.name()} selected={sel == Some(*k)}>{k.name()}</option> }
            });
            html! { <>{none_opt}{for opts}</> }
        };
        // After a pick the menu gives the keys back to the page (else → would change the
        // kernel and ↓ the example).
        let on_kernel = link.callback(|e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let _ = s.blur();
            Msg::Kernel(Kernel::parse(&s.value()).ok())
        });
        let on_compare = link.callback(|e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let _ = s.blur();
            Msg::Compare(Kernel::parse(&s.value()).ok())
        });
        let on_example = link.callback(|e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let _ = s.blur();
            let i = s.value().parse().unwrap_or(usize::MAX);
            // The menu is an action, not a setting: back to its prompt.
            s.set_selected_index(0);
            Msg::Example(i)
        });
        let examples = EXAMPLES.iter().enumerate().map(|(i, (t, _))| {
            html! { <option value={i.to_string()}>{*t}</option> }
        });
        let cmd = |c: Command| link.callback(move |_: MouseEvent| Msg::Cmd(c));
        let header = html! {
            <header class="top">
                <h1>{"svelab"}<span class="sub">{" playground"}</span></h1>
                <label class="sel">{"kernel "}
                    <select id="kernel" onchange={on_kernel} aria-label="kernel">{kernel_opts(self.kernel, &format!("as the script says ({})", self.script_kernel.name()))}</select>
                </label>
                <label class="sel">{"compare with "}
                    <select id="compare" onchange={on_compare} aria-label="compare with">{kernel_opts(self.compare, "off")}</select>
                </label>
                <label class="sel">{"examples "}
                    <select id="examples" onchange={on_example} aria-label="examples">
                        <option value="" selected=true disabled=true>{"open an example…"}</option>
                        {for examples}
                    </select>
                </label>
                <nav class="tools">
                    <button id="btn-share" onclick={cmd(Command::Share)} title="copy a link to this view (s)">{"Share link"}</button>
                    <button id="btn-lessons" onclick={cmd(Command::Lessons)} aria-pressed={self.lessons.to_string()} title="lessons and exercises (l)">{"Lessons"}</button>
                    <button id="btn-theme" onclick={cmd(Command::Theme)} title="light / dark (t)">{ if self.dark { "◑ Light" } else { "◐ Dark" } }</button>
                    <button id="btn-present" onclick={cmd(Command::Present)} aria-pressed={self.present.to_string()} title="large fonts for a projector (f)">{"Present"}</button>
                    <button id="btn-help" onclick={cmd(Command::Help)} title="keyboard shortcuts (?)">{"? Help"}</button>
                </nav>
            </header>
        };
        let banner = self.banner.as_ref().map(|b| {
            html! {
                <div class={classes!("banner", if b.error { "error" } else { "info" })} role={ if b.error { "alert" } else { "status" } }>
                    <span>{ if b.error { "✖ " } else { "✓ " } }{&b.text}</span>
                    if let Some(u) = &self.share_url {
                        <input id="share-url" readonly=true value={u.clone()} aria-label="share link" />
                    }
                    <button class="linkish" onclick={link.callback(|_| Msg::Dismiss)} aria-label="dismiss">{"✕"}</button>
                </div>
            }
        });
        let stale = self.source != self.ran_source;
        let editor = html! {
            <Editor source={AttrValue::from(self.source.clone())} lines={self.hl.clone()}
                diags={Rc::new(self.editor_diags_for(&self.source))}
                current_line={ if stale { None } else { self.current_line() } }
                next_line={ if stale { None } else { self.next_line() } }
                breakpoints={self.breakpoints.clone()} stale={stale}
                on_input={link.callback(Msg::Edit)} on_toggle_bp={link.callback(Msg::ToggleBp)}
                on_jump={link.callback(Msg::Jump)} />
        };
        let (pos, len) = (self.pos(), self.len());
        let speeds = SPEEDS.iter().enumerate().map(|(i, (l, _, _))| {
            html! { <option value={i.to_string()} selected={i == self.speed}>{*l}</option> }
        });
        let on_speed = link.callback(|e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let _ = s.blur();
            Msg::Speed(s.value().parse().unwrap_or(3))
        });
        let on_scrub = link.callback(|e: InputEvent| {
            let i: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Goto(i.value().parse().unwrap_or(0))
        });
        let controls = html! {
            <div class="controls" role="toolbar" aria-label="stepping">
                <button id="btn-reset" onclick={cmd(Command::Reset)} title="reset (Home)" aria-label="reset">{"⇤ reset"}</button>
                <button id="btn-back" onclick={cmd(Command::Back)} title="step back (←, Shift+F10)" aria-label="step back">{"◀ back"}</button>
                <button id="btn-step" onclick={cmd(Command::Step)} title="step (→, F10)" aria-label="step">{"step ▶"}</button>
                <button id="btn-run" onclick={cmd(Command::Run)} title="run to a breakpoint or the end (g, F8)" aria-label="run">{"run ▶▶"}</button>
                <button id="btn-end" onclick={cmd(Command::End)} title="last step (End)" aria-label="last step">{"end ⇥"}</button>
                <button id="btn-play" onclick={cmd(Command::Autoplay)} aria-pressed={self.autoplay.is_some().to_string()} title="autoplay (Space)">
                    { if self.autoplay.is_some() { "❚❚ pause" } else { "▷ play" } }
                </button>
                <label class="sel">{"speed "}<select id="speed" onchange={on_speed} aria-label="autoplay speed">{for speeds}</select></label>
            </div>
        };
        let status = self.status_line(stale);
        let timeline = html! {
            <div class="timeline">
                <input id="scrubber" type="range" min="0" max={len.to_string()} value={pos.to_string()}
                    aria-label="timeline" aria-valuetext={format!("step {pos} of {len}")} oninput={on_scrub} />
                <span class="pos" id="pos">{format!("step {pos} / {len}")}</span>
            </div>
        };
        // In compare mode each kernel's functions: they are what differs.
        let titled = self.b.is_some();
        let events = [self.a.as_ref(), self.b.as_ref()]
            .into_iter()
            .flatten()
            .map(|p| {
                let k = p.machine().kernel();
                let title = titled.then(|| AttrValue::from(format!("Events on {}", k.name())));
                html! { <Events report={p.frame().report.clone()} kernel={k} title={title} /> }
            })
            .collect::<Vec<_>>();
        let right = self.view_right(ctx);
        html! {
            <div class={classes!("app", self.present.then_some("present"))}>
                {header}
                {for banner}
                <main class="layout">
                    <div class="left">
                        {editor}
                        {controls}
                        {timeline}
                        {status}
                        {for events}
                    </div>
                    <div class="right">{right}</div>
                </main>
                if self.help { <Help on_close={link.callback(|_| Msg::Cmd(Command::Help))} /> }
            </div>
        }
    }
}

impl App {
    fn status_line(&self, stale: bool) -> Html {
        let Some(a) = &self.a else {
            return html! { <p class="status" id="status" aria-live="polite">{"Fix the errors in the script to run it."}</p> };
        };
        let kernel = a.machine().kernel().name();
        let mut text = format!("kernel {kernel} · step {} of {}", a.frame().pos, a.len());
        if self.scanning() {
            text.push_str(&format!(" · running… ({} steps so far)", a.len()));
        }
        if stale {
            text.push_str(" · showing the last version that ran");
        }
        let fails = a.expect_failures().len();
        let stop = a
            .stop()
            .filter(|_| a.frame().pos >= a.len())
            .map(Stop::describe);
        let budget = matches!(a.stop(), Some(Stop::Budget(_)));
        html! {
            <div class="status" id="status" aria-live="polite">
                <p>{text}</p>
                if fails > 0 { <p class="fail">{format!("✗ {fails} expect{} failed in this run", if fails == 1 { "" } else { "s" })}</p> }
                if let Some(s) = stop { <p class={classes!("stop", budget.then_some("budget"))}>{s}</p> }
                if budget && a.frame().pos < a.len() {
                    <p class="stop budget">{format!("This script stops at the step budget of {PAGE_BUDGET} steps.")}</p>
                }
            </div>
        }
    }

    fn side(&self, p: &Player, differs: Rc<HashSet<String>>, heading: bool) -> Html {
        let f = p.frame();
        let kernel = p.machine().kernel().name();
        let diagram = self.diagram_task().map(|(t, name)| {
            let m = p.machine();
            let now = m.task_id(&name).map(|t| lazy::classify(m, t));
            let tr = match (&f.prev, &f.report, m.task_id(&name)) {
                (Some(prev), Some(r), Some(tid)) => lazy::transition(prev, m, tid, &r.events),
                _ => None,
            };
            let _ = t;
            html! { <LazyDiagram task={AttrValue::from(name)} now={now} transition={tr} /> }
        });
        html! {
            <div class="side" data-kernel={kernel.clone()}>
                if heading { <h2 class="side-title">{kernel}</h2> }
                <div class="diagrams">
                    <BindingDiagram snap={f.snap.clone()} changed={f.changed.clone()} />
                    {for diagram}
                </div>
                <MachineView snap={f.snap.clone()} prev={f.prev_snap.clone()} changed={f.changed.clone()}
                    differs={differs} fmt={self.fmt} all_regs={self.all_regs} />
            </div>
        }
    }

    fn view_right(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let lessons = self.lessons_mounted.then(|| {
            html! {
                <div hidden={!self.lessons}>
                    <LessonsPanel course={self.course.clone()} source={AttrValue::from(self.source.clone())} on_open={link.callback(Msg::Open)} />
                </div>
            }
        });
        let Some(a) = &self.a else {
            return html! {
                <>
                    {for lessons}
                    <p class="empty big">{"The script has errors: they are listed under the editor, each with a hint."}</p>
                </>
            };
        };
        let fmts = RegFormat::ALL.iter().map(|&f| {
            html! {
                <button class={classes!("seg", (f == self.fmt).then_some("on"))} aria-pressed={(f == self.fmt).to_string()}
                    onclick={link.callback(move |_| Msg::Fmt(f))}>{f.label()}</button>
            }
        });
        let all = self.all_regs;
        let tasks: Vec<String> = a.machine().tasks.iter().map(|t| t.name.clone()).collect();
        let focus = self.diagram_task().map(|x| x.1);
        let on_focus = link.callback(|e: Event| {
            let s: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let _ = s.blur();
            Msg::Focus(s.value())
        });
        let task_opts = tasks.iter().map(|t| {
            html! { <option value={t.clone()} selected={focus.as_deref() == Some(t)}>{t.clone()}</option> }
        });
        let viewbar = html! {
            <div class="viewbar" role="toolbar" aria-label="view options">
                <span class="lbl">{"registers:"}</span>
                <span class="segs" role="group" aria-label="register format">{for fmts}</span>
                <label><input type="checkbox" id="allregs" checked={all} onchange={link.callback(move |_| Msg::AllRegs(!all))} />{" all registers"}</label>
                if !tasks.is_empty() {
                    <label class="sel">{"state diagram of "}<select id="focus-task" onchange={on_focus} aria-label="task in the state diagram">{for task_opts}</select></label>
                }
            </div>
        };
        let compare = self.b.as_ref().zip(self.comparison.as_ref()).map(|(b, cmp)| {
            html! {
                <CompareSummary cmp={cmp.clone()} totals={(a.history().last_totals(), b.history().last_totals())}
                    lens={(a.len(), b.len())}
                    on_goto={link.callback(Msg::Goto)} />
            }
        });
        let sides = match &self.b {
            Some(b) => html! {
                <div class="columns two">
                    {self.side(a, self.differs.clone(), true)}
                    {self.side(b, self.differs.clone(), true)}
                </div>
            },
            None => html! { <div class="columns one">{self.side(a, Rc::default(), false)}</div> },
        };
        let f = a.frame();
        let delta = f.report.as_ref().map(|r| r.counters).unwrap_or_default();
        let other: Option<Counters> = self.b.as_ref().map(|b| b.frame().snap.totals);
        html! {
            <>
                {for lessons}
                {for compare}
                {viewbar}
                {sides}
                <div class="bottom">
                    <CountersTable totals={f.snap.totals} delta={delta} other={other} />
                    <Chart history={self.chart_a.clone()} other={self.chart_b.clone()} len={self.len()} pos={self.pos()}
                        shown={self.chart_shown.clone()} on_toggle={link.callback(Msg::ChartToggle)} rev={self.chart_rev} />
                </div>
            </>
        }
    }
}

fn install_keys(ctx: &Context<App>) -> Option<EventListener> {
    use wasm_bindgen::JsCast;
    let doc = web_sys::window()?.document()?;
    let link = ctx.link().clone();
    Some(EventListener::new_with_options(
        &doc,
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |e| {
            let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            let target = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let (tag, id) = target.map(|t| (t.tag_name(), t.id())).unwrap_or_default();
            let key = e.key();
            let focus = match tag.as_str() {
                "TEXTAREA" if id == EDITOR_ID => Focus::Editor,
                "TEXTAREA" | "INPUT" | "SELECT" => Focus::Control,
                // A focused button keeps Space and Enter for itself.
                "BUTTON" if key == " " || key == "Enter" => return,
                _ => Focus::Page,
            };
            let k = Key {
                key: &key,
                ctrl: e.ctrl_key() || e.meta_key(),
                shift: e.shift_key(),
                alt: e.alt_key(),
            };
            if let Some(c) = command_for(&k, focus) {
                e.prevent_default();
                link.send_message(Msg::Cmd(c));
            }
        },
    ))
}
