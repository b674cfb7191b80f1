//! The page component. The state and its update logic are [`crate::vm::app::State`]
//! (plain Rust, tested natively); this component turns keys, clicks and timers into
//! calls on it, carries out the [`Effect`]s it returns (timers, clipboard, focus, the
//! address bar, saved settings), and lays the panels out.
//!
//! Long runs never freeze the tab: a script is scanned in slices of
//! [`crate::vm::app::SLICE`] steps with a timer between slices, up to
//! [`crate::vm::player::PAGE_BUDGET`] steps; the page stays responsive and says how far
//! it got.

use super::diagram::{BindingDiagram, LazyDiagram};
use super::editor::{Editor, EDITOR_ID};
use super::lessons::{CourseRef, LessonsPanel};
use super::machine::MachineView;
use super::panels::{Chart, CompareSummary, CountersTable, Events, Help, Welcome};
use crate::vm::app::{self as state, Effect, Start, State, SPEEDS};
use crate::vm::keys::{command_for, Command, Focus, Key};
use crate::vm::lazy;
use crate::vm::page;
use crate::vm::player::{Player, Stop, PAGE_BUDGET};
use crate::vm::regfmt::RegFormat;
use crate::vm::EXAMPLES;
use crate::web;
use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::{Interval, Timeout};
use std::collections::HashSet;
use std::rc::Rc;
use svelab_core::{Counter, Counters, Kernel};
use yew::prelude::*;

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
    /// Close the first-visit orientation (remembered in the browser).
    Welcomed,
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
    s: State,
    course: Option<Result<CourseRef, AttrValue>>,
    autoplay: Option<(Interval, usize)>,
    scan_timer: Option<Timeout>,
    rerun_timer: Option<Timeout>,
    perf_t0: Option<f64>,
    /// The orientation's dismissal is saved.
    welcomed: bool,
    _keys: Option<EventListener>,
}

impl App {
    /// Sets the address bar's fragment back to what it is without a share link.
    fn forget_link(&self, forget: bool) {
        if forget {
            web::replace_hash(self.s.bare_hash());
        }
    }

    fn save_draft(&self) {
        web::save(page::DRAFT_KEY, &self.s.draft().encode());
    }

    /// May `incoming` replace the editor's text? Asks when the student edited it.
    fn may_replace_with(&self, incoming: &str) -> bool {
        self.s.may_replace_silently(incoming) || web::confirm(page::REPLACE_QUESTION)
    }

    fn apply_theme(&self) {
        web::set_root_attr("data-theme", if self.s.dark { "dark" } else { "light" });
        web::set_root_attr("data-present", if self.s.present { "1" } else { "0" });
        web::set_root_attr("data-embed", if self.s.embed { "1" } else { "0" });
    }

    fn save_prefs(&self) {
        web::save("svelab.theme", if self.s.dark { "dark" } else { "light" });
        if !self.s.embed {
            web::save("svelab.present", if self.s.present { "1" } else { "0" });
        }
        web::save("svelab.format", self.s.fmt.label());
        web::save("svelab.allregs", if self.s.all_regs { "1" } else { "0" });
    }

    /// Starts, restarts or stops the timers the state asks for.
    fn sync_timers(&mut self, ctx: &Context<Self>) {
        match (&self.autoplay, self.s.playing) {
            (None, true) => self.start_autoplay(ctx),
            (Some((_, speed)), true) if *speed != self.s.speed => self.start_autoplay(ctx),
            (Some(_), false) => self.autoplay = None,
            _ => {}
        }
        if self.s.scanning() {
            if self.scan_timer.is_none() {
                let link = ctx.link().clone();
                self.scan_timer = Some(Timeout::new(0, move || link.send_message(Msg::ScanSlice)));
            }
        } else {
            self.scan_timer = None;
        }
        if self.s.rerun_due && self.rerun_timer.is_none() {
            let link = ctx.link().clone();
            self.rerun_timer = Some(Timeout::new(300, move || link.send_message(Msg::Rerun)));
        } else {
            self.rerun_timer = None;
        }
    }

    fn start_autoplay(&mut self, ctx: &Context<Self>) {
        let ms = SPEEDS[self.s.speed].2;
        let link = ctx.link().clone();
        self.autoplay = Some((
            Interval::new(ms, move || link.send_message(Msg::Tick)),
            self.s.speed,
        ));
    }

    /// Carries out what an update asks for; returns whether to redraw.
    fn effect(&mut self, ctx: &Context<Self>, e: Effect) -> bool {
        match e {
            Effect::Nothing => false,
            Effect::Redraw => true,
            Effect::Settings => {
                self.apply_theme();
                self.save_prefs();
                true
            }
            Effect::Share { fragment, url } => {
                let frag = if self.s.embed {
                    format!("embed&{fragment}")
                } else {
                    fragment
                };
                web::replace_hash(&frag);
                // Say "copied" only once the clipboard has said so.
                let link = ctx.link().clone();
                yew::platform::spawn_local(async move {
                    let r = web::copy(&url).await;
                    link.send_message(Msg::Copied(r));
                });
                true
            }
            Effect::LoadCourse => {
                let link = ctx.link().clone();
                yew::platform::spawn_local(async move {
                    // The teacher's course (`#course=FILE`) or the built-in one.
                    let r = crate::ui::lessons::load_course().await;
                    link.send_message(Msg::Course(r));
                });
                true
            }
            Effect::Focus(id) => {
                web::focus(id);
                false
            }
            Effect::BreakpointHere => {
                let (tag, id) = web::active_element();
                let line = if tag == "TEXTAREA" && id == EDITOR_ID {
                    web::caret_line(EDITOR_ID)
                } else {
                    self.s.next_line().or(self.s.current_line())
                };
                match line {
                    Some(l) => {
                        self.s.toggle_breakpoint(l);
                        true
                    }
                    None => false,
                }
            }
        }
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
        let hash = web::location_hash();
        let welcomed = web::load(state::WELCOMED_KEY).is_some();
        let draft = web::load(page::DRAFT_KEY);
        let s = State::open(&Start {
            hash: &hash,
            draft: draft.as_deref(),
            welcomed,
            dark,
            present: web::load("svelab.present").as_deref() == Some("1"),
            fmt: web::load("svelab.format")
                .and_then(|f| RegFormat::parse(&f))
                .unwrap_or_default(),
            all_regs: web::load("svelab.allregs").as_deref() == Some("1"),
        });
        if s.banner.as_ref().is_some_and(|b| b.error) && s.link_source.is_none() {
            // The address bar must not go on carrying a link the page does not show.
            web::replace_hash(s.bare_hash());
        }
        let mut app = App {
            s,
            course: None,
            autoplay: None,
            scan_timer: None,
            rerun_timer: None,
            perf_t0: None,
            welcomed,
            _keys: None,
        };
        app.apply_theme();
        app.sync_timers(ctx);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let redraw = match msg {
            Msg::Edit(src) => {
                // Typing restarts the pause before the re-run.
                self.rerun_timer = None;
                let forget = self.s.edit(src);
                self.forget_link(forget);
                self.save_draft();
                true
            }
            Msg::Rerun => {
                self.s.rerun();
                true
            }
            Msg::ScanSlice => {
                self.scan_timer = None;
                self.s.scan_slice();
                true
            }
            Msg::Cmd(c) => {
                if matches!(
                    c,
                    Command::Step
                        | Command::Back
                        | Command::Forward10
                        | Command::Back10
                        | Command::Reset
                ) {
                    self.perf_t0 = Some(web::now());
                }
                let e = self.s.command(c, &web::page_url());
                self.effect(ctx, e)
            }
            Msg::Goto(p) => {
                self.perf_t0 = Some(web::now());
                self.s.goto(p);
                true
            }
            Msg::Kernel(k) => {
                let forget = self.s.set_kernels(k, self.s.compare);
                self.forget_link(forget);
                true
            }
            Msg::Compare(k) => {
                let forget = self.s.set_kernels(self.s.kernel, k);
                self.forget_link(forget);
                true
            }
            Msg::ToggleBp(l) => {
                self.s.toggle_breakpoint(l);
                true
            }
            Msg::Jump((l, c)) => {
                web::set_caret(EDITOR_ID, l, c);
                false
            }
            Msg::Fmt(f) => {
                self.s.fmt = f;
                self.save_prefs();
                true
            }
            Msg::AllRegs(b) => {
                self.s.all_regs = b;
                self.save_prefs();
                true
            }
            Msg::Focus(t) => {
                self.s.focus_task = Some(t);
                true
            }
            Msg::Example(i) => match EXAMPLES.get(i) {
                Some((_, src)) if self.may_replace_with(src) => {
                    let forget = self.s.example(i).unwrap_or(false);
                    self.forget_link(forget);
                    self.save_draft();
                    true
                }
                _ => false,
            },
            Msg::Tick => {
                self.perf_t0 = Some(web::now());
                self.s.tick();
                true
            }
            Msg::Speed(s) => {
                self.s.set_speed(s);
                true
            }
            Msg::Dismiss => {
                self.s.dismiss();
                true
            }
            Msg::Welcomed => {
                self.s.welcome = false;
                web::focus("btn-step");
                true
            }
            Msg::ChartToggle(c) => {
                self.s.chart_toggle(c);
                true
            }
            Msg::Course(r) => {
                self.course = Some(r.map_err(AttrValue::from));
                true
            }
            Msg::Copied(r) => {
                self.s.copied(&r);
                if r.is_err() {
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
                let forget = self.s.open_script(&src, k);
                self.forget_link(forget);
                self.save_draft();
                true
            }
        };
        if !self.s.welcome && !self.welcomed && !self.s.embed {
            self.welcomed = true;
            // Whatever closed the orientation, it stays closed.
            web::save(state::WELCOMED_KEY, "1");
        }
        self.sync_timers(ctx);
        redraw
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            web::force_layout();
            web::mark_ready();
            self._keys = install_keys(ctx);
            if self.s.welcome {
                // The orientation has the focus (→ still steps, Escape closes it).
                web::focus("welcome-start");
            }
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
                    <select id="kernel" onchange={on_kernel} aria-label="kernel">{kernel_opts(self.s.kernel, &format!("as the script says ({})", self.s.script_kernel.name()))}</select>
                </label>
                <label class="sel">{"compare with "}
                    <select id="compare" onchange={on_compare} aria-label="compare with">{kernel_opts(self.s.compare, "off")}</select>
                </label>
                <label class="sel">{"examples "}
                    <select id="examples" onchange={on_example} aria-label="examples">
                        <option value="" selected=true disabled=true>{"open an example…"}</option>
                        {for examples}
                    </select>
                </label>
                <nav class="tools">
                    <button id="btn-lessons" class="primary" onclick={cmd(Command::Lessons)} aria-pressed={self.s.lessons.to_string()} title="lessons and exercises (l)">{"Lessons"}</button>
                    <button id="btn-share" onclick={cmd(Command::Share)} title="copy a link to this view (s)">{"Share link"}</button>
                    <button id="btn-theme" onclick={cmd(Command::Theme)} title="light / dark (t)">{ if self.s.dark { "◑ Light" } else { "◐ Dark" } }</button>
                    <button id="btn-present" onclick={cmd(Command::Present)} aria-pressed={self.s.present.to_string()} title="large fonts for a projector (f)">{"Present"}</button>
                    <button id="btn-help" onclick={cmd(Command::Help)} title="keyboard shortcuts (?)">{"? Help"}</button>
                </nav>
            </header>
        };
        let embed = state::embed_url(
            &web::page_url(),
            self.s
                .share_url
                .as_deref()
                .and_then(|u| u.split_once('#'))
                .map_or("", |x| x.1),
        );
        let banner = self.s.banner.as_ref().map(|b| {
            html! {
                <div class={classes!("banner", if b.error { "error" } else { "info" })} role={ if b.error { "alert" } else { "status" } }>
                    <span>{ if b.error { "✖ " } else { "✓ " } }{&b.text}</span>
                    if let Some(u) = &self.s.share_url {
                        <input id="share-url" readonly=true value={u.clone()} aria-label="share link" />
                        <details class="embed-share">
                            <summary>{"Embed in slides or a course page"}</summary>
                            <label>{"embed link "}<input id="embed-url" readonly=true value={embed.clone()} /></label>
                            <label>{"iframe "}<input id="embed-iframe" readonly=true value={state::iframe_snippet(&embed)} /></label>
                        </details>
                    }
                    <button class="linkish" onclick={link.callback(|_| Msg::Dismiss)} aria-label="dismiss">{"✕"}</button>
                </div>
            }
        });
        let stale = self.s.source != self.s.ran_source;
        let editor = html! {
            <Editor source={AttrValue::from(self.s.source.clone())} lines={self.s.hl.clone()}
                diags={Rc::new(self.s.editor_diags())}
                current_line={ if stale { None } else { self.s.current_line() } }
                next_line={ if stale { None } else { self.s.next_line() } }
                breakpoints={self.s.breakpoints.clone()} stale={stale}
                failed={Rc::new(self.s.failed_lines())}
                on_input={link.callback(Msg::Edit)} on_toggle_bp={link.callback(Msg::ToggleBp)}
                on_jump={link.callback(Msg::Jump)} />
        };
        let (pos, len) = (self.s.pos(), self.s.len());
        let speeds = SPEEDS.iter().enumerate().map(|(i, (l, _, _))| {
            html! { <option value={i.to_string()} selected={i == self.s.speed}>{*l}</option> }
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
                <button id="btn-play" onclick={cmd(Command::Autoplay)} aria-pressed={self.s.playing.to_string()} title="autoplay (Space)">
                    { if self.s.playing { "❚❚ pause" } else { "▷ play" } }
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
        let titled = self.s.b.is_some();
        let events = [self.s.a.as_ref(), self.s.b.as_ref()]
            .into_iter()
            .flatten()
            .map(|p| {
                let k = p.machine().kernel();
                let title = titled.then(|| AttrValue::from(format!("Events on {}", k.name())));
                html! { <Events report={p.frame().report.clone()} kernel={k} title={title} /> }
            })
            .collect::<Vec<_>>();
        if self.s.embed {
            // Slides and course pages: the editor and the step controls, no chrome.
            return html! {
                <main class="app embed">
                    {for banner}
                    {editor}
                    {controls}
                    {timeline}
                    {status}
                </main>
            };
        }
        let right = self.view_right(ctx);
        html! {
            <div class={classes!("app", self.s.present.then_some("present"))}>
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
                if self.s.help { <Help on_close={link.callback(|_| Msg::Cmd(Command::Help))} /> }
                if self.s.welcome { <Welcome on_close={link.callback(|_| Msg::Welcomed)} /> }
            </div>
        }
    }
}

impl App {
    fn status_line(&self, stale: bool) -> Html {
        let Some(a) = &self.s.a else {
            return html! { <p class="status" id="status" aria-live="polite">{"Fix the errors in the script to run it."}</p> };
        };
        let kernel = a.machine().kernel().name();
        let mut text = format!("kernel {kernel} · step {} of {}", a.frame().pos, a.len());
        if self.s.scanning() {
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
        let diagram = self.s.diagram_task().map(|(t, name)| {
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
                    differs={differs} fmt={self.s.fmt} all_regs={self.s.all_regs} />
            </div>
        }
    }

    fn view_right(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let lessons = self.s.lessons_mounted.then(|| {
            html! {
                <div hidden={!self.s.lessons}>
                    <LessonsPanel course={self.course.clone()} source={AttrValue::from(self.s.source.clone())} on_open={link.callback(Msg::Open)} />
                </div>
            }
        });
        let Some(a) = &self.s.a else {
            return html! {
                <>
                    {for lessons}
                    <p class="empty big">{"The script has errors: they are listed under the editor, each with a hint."}</p>
                </>
            };
        };
        let fmts = RegFormat::ALL.iter().map(|&f| {
            html! {
                <button class={classes!("seg", (f == self.s.fmt).then_some("on"))} aria-pressed={(f == self.s.fmt).to_string()}
                    onclick={link.callback(move |_| Msg::Fmt(f))}>{f.label()}</button>
            }
        });
        let all = self.s.all_regs;
        let tasks: Vec<String> = a
            .machine()
            .tasks
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let focus = self.s.diagram_task().map(|x| x.1);
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
        let compare = self.s.b.as_ref().zip(self.s.comparison.as_ref()).map(|(b, cmp)| {
            html! {
                <CompareSummary cmp={cmp.clone()} totals={(a.history().last_totals(), b.history().last_totals())}
                    lens={(a.len(), b.len())}
                    on_goto={link.callback(Msg::Goto)} />
            }
        });
        let sides = match &self.s.b {
            Some(b) => html! {
                <div class="columns two">
                    {self.side(a, self.s.differs.clone(), true)}
                    {self.side(b, self.s.differs.clone(), true)}
                </div>
            },
            None => html! { <div class="columns one">{self.side(a, Rc::default(), false)}</div> },
        };
        let f = a.frame();
        let delta = f.report.as_ref().map(|r| r.counters).unwrap_or_default();
        let other: Option<Counters> = self.s.b.as_ref().map(|b| b.frame().snap.totals);
        html! {
            <>
                {for lessons}
                {for compare}
                {viewbar}
                {sides}
                <div class="bottom">
                    <CountersTable totals={f.snap.totals} delta={delta} other={other} />
                    <Chart history={self.s.chart_a.clone()} other={self.s.chart_b.clone()} len={self.s.len()} pos={self.s.pos()}
                        shown={self.s.chart_shown.clone()} on_toggle={link.callback(Msg::ChartToggle)} rev={self.s.chart_rev} />
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
