//! The page's state and its update logic, without the DOM: the script, the players, the
//! position, breakpoints, compare mode, the settings, the banner, the first-visit
//! orientation and embed mode. The yew component (`ui::app`) owns one [`State`], turns
//! keys, clicks and timers into calls here, and carries out the [`Effect`]s it returns
//! (timers, the clipboard, focus, the address bar): everything that decides is tested
//! natively.

use super::chart::{History, CHART_COUNTERS};
use super::highlight;
use super::keys::Command;
use super::page::{self, Draft};
use super::player::{Player, Stop, PAGE_BUDGET};
use super::regfmt::RegFormat;
use super::share::{self, Shared};
use super::snapshot::changed;
use super::{EXAMPLES, GETPID_LOOP};
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use svelab_core::dsl::Severity;
use svelab_core::model::kernel::Patch;
use svelab_core::session::Comparison;
use svelab_core::{Counter, Diagnostic, Kernel, TaskId};

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

/// `localStorage` key set once the first-visit orientation was dismissed.
pub const WELCOMED_KEY: &str = "svelab.welcomed";

/// A message in the banner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Banner {
    /// An error (the share link did not open), not a notice.
    pub error: bool,
    /// The text.
    pub text: String,
}

/// What the page must do after an update, besides drawing the new state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing changed: no redraw.
    Nothing,
    /// Redraw.
    Redraw,
    /// Put the address bar's fragment to this (the share link), copy `url`, redraw.
    Share {
        /// The fragment.
        fragment: String,
        /// The link to copy.
        url: String,
    },
    /// Fetch the course (the lessons were opened for the first time), redraw.
    LoadCourse,
    /// Move the keyboard focus to the element with this id (no redraw).
    Focus(&'static str),
    /// Toggle a breakpoint on the editor's caret line if the editor has the focus, else
    /// on the next line to run.
    BreakpointHere,
    /// Theme or presentation changed: set the root attributes and save the settings.
    Settings,
}

/// What the page opens with: the address's fragment and what the browser kept.
#[derive(Clone, Debug, Default)]
pub struct Start<'a> {
    /// `location.hash`.
    pub hash: &'a str,
    /// The saved draft (`localStorage[DRAFT_KEY]`).
    pub draft: Option<&'a str>,
    /// The orientation was dismissed on an earlier visit.
    pub welcomed: bool,
    /// Dark theme.
    pub dark: bool,
    /// Presentation mode.
    pub present: bool,
    /// Register format.
    pub fmt: RegFormat,
    /// Show zero registers.
    pub all_regs: bool,
}

/// Is this fragment an embed link (`#embed`, alone or with a share link's keys)?
pub fn is_embed(hash: &str) -> bool {
    hash.strip_prefix('#')
        .unwrap_or(hash)
        .split('&')
        .any(|p| p == "embed" || p == "embed=1")
}

/// The embed link for a page at `page_url` showing `fragment` (a share link's).
pub fn embed_url(page_url: &str, fragment: &str) -> String {
    format!("{page_url}#embed&{fragment}")
}

/// The `<iframe>` snippet a course page pastes to embed `url`.
pub fn iframe_snippet(url: &str) -> String {
    let url = url.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<iframe src=\"{url}\" title=\"svelab playground\" width=\"100%\" height=\"560\" loading=\"lazy\" style=\"border:1px solid #ccc\"></iframe>"
    )
}

/// The page's state.
#[derive(Debug)]
pub struct State {
    /// The editor's text.
    pub source: String,
    /// The student typed in the editor since a script was last opened.
    pub edited: bool,
    /// The kernel the script itself names (the kernel menu says it).
    pub script_kernel: Kernel,
    /// The script the address bar's share link carries, while it still matches.
    pub link_source: Option<String>,
    /// Parse diagnostics of `source`.
    pub diags: Rc<Vec<Diagnostic>>,
    /// `source`, coloured.
    pub hl: Rc<Vec<highlight::Line>>,
    /// The forced kernel (`None`: the script's).
    pub kernel: Option<Kernel>,
    /// The kernel compared with.
    pub compare: Option<Kernel>,
    /// The player of the script.
    pub a: Option<Player>,
    /// The player on the compared kernel.
    pub b: Option<Player>,
    /// The text the players run.
    pub ran_source: String,
    /// Lines with a breakpoint.
    pub breakpoints: Rc<BTreeSet<u32>>,
    /// Register format.
    pub fmt: RegFormat,
    /// Show zero registers.
    pub all_regs: bool,
    /// Dark theme.
    pub dark: bool,
    /// Presentation mode.
    pub present: bool,
    /// The help overlay is open.
    pub help: bool,
    /// The lessons are shown.
    pub lessons: bool,
    /// The lessons were opened once (the course is loading or loaded).
    pub lessons_mounted: bool,
    /// Autoplay runs.
    pub playing: bool,
    /// Autoplay speed (index into [`SPEEDS`]).
    pub speed: usize,
    /// A position to go to once scanned that far.
    pub pending_pos: Option<u64>,
    /// The task the state diagram follows.
    pub focus_task: Option<String>,
    /// The banner.
    pub banner: Option<Banner>,
    /// The share link shown in the banner's field.
    pub share_url: Option<String>,
    /// Compare mode's comparison, once both runs are scanned.
    pub comparison: Option<Rc<Comparison>>,
    /// Paths that differ between the two kernels at this position.
    pub differs: Rc<HashSet<String>>,
    /// Counters drawn in the chart.
    pub chart_shown: Rc<Vec<Counter>>,
    /// Counters over time, first kernel.
    pub chart_a: Rc<History>,
    /// Counters over time, compared kernel.
    pub chart_b: Option<Rc<History>>,
    /// Bumped when the histories change.
    pub chart_rev: u64,
    /// The first-visit orientation is shown.
    pub welcome: bool,
    /// Embed mode: editor and step controls only.
    pub embed: bool,
    /// An edit waits for its pause before re-running.
    pub rerun_due: bool,
}

impl State {
    /// The state a page opens with.
    pub fn open(start: &Start) -> State {
        let embed = is_embed(start.hash);
        let mut s = State {
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
            fmt: start.fmt,
            all_regs: start.all_regs,
            dark: start.dark,
            present: start.present && !embed,
            help: false,
            lessons: false,
            lessons_mounted: false,
            playing: false,
            speed: 3,
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
            welcome: false,
            embed,
            rerun_due: false,
        };
        match share::decode(start.hash) {
            Ok(Some(sh)) => {
                s.kernel = sh.kernel;
                s.compare = sh.compare;
                s.link_source = Some(sh.script.clone());
                s.load_script(&sh.script, sh.step);
                if s.a.is_none() {
                    s.banner = Some(Banner {
                        error: true,
                        text: "The shared script has errors (listed under the editor): fix them to run it.".into(),
                    });
                }
            }
            other => {
                // The script of the last visit, if the student had one (not in an embed:
                // a slide shows its own script).
                let draft = start
                    .draft
                    .filter(|_| !embed)
                    .and_then(Draft::decode)
                    .filter(|d| d.source != GETPID_LOOP);
                if let Err(e) = &other {
                    let instead = if draft.is_some() {
                        "your script from the last visit"
                    } else {
                        "the getpid example"
                    };
                    s.banner = Some(Banner {
                        error: true,
                        text: format!(
                            "This share link could not be opened: {e}. Here is {instead} instead."
                        ),
                    });
                }
                if let Some(d) = draft {
                    s.load_script(&d.source, 0);
                    s.edited = d.edited;
                    if s.banner.is_none() {
                        s.banner = Some(Banner {
                            error: false,
                            text: "Your script from the last visit is back (kept in this browser). The examples menu starts over.".into(),
                        });
                    }
                } else {
                    // The getpid loop, at step 0: the orientation says to press →.
                    s.load_script(GETPID_LOOP, 0);
                    s.welcome = !start.welcomed && !embed && other.is_ok();
                }
            }
        }
        s
    }

    /// The address bar's fragment once it no longer carries a share link.
    pub fn bare_hash(&self) -> &'static str {
        if self.embed {
            "embed"
        } else {
            ""
        }
    }

    /// The position shown.
    pub fn pos(&self) -> u64 {
        self.a.as_ref().map_or(0, |p| p.frame().pos)
    }

    /// Steps scanned so far.
    pub fn len(&self) -> u64 {
        self.a.as_ref().map_or(0, |p| p.len())
    }

    /// Nothing scanned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A run is still being scanned.
    pub fn scanning(&self) -> bool {
        self.a.as_ref().is_some_and(|p| p.stop().is_none())
            || self.b.as_ref().is_some_and(|p| p.stop().is_none())
    }

    /// (Re)builds the players for `source`, keeping `pos` if possible, and scans the
    /// first slice (small scripts appear at once).
    pub fn start_run(&mut self, pos: u64) {
        self.ran_source = self.source.clone();
        self.a = Player::load(&self.source, self.kernel, PAGE_BUDGET).ok();
        self.b = self
            .compare
            .and_then(|k| Player::load(&self.source, Some(k), PAGE_BUDGET).ok());
        self.comparison = None;
        self.pending_pos = Some(pos);
        self.scan_slice();
    }

    /// Scans the next slice; `true` when both runs are complete.
    pub fn scan_slice(&mut self) -> bool {
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
            self.compute_comparison();
        }
        self.refresh_highlight();
        done
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

    /// Moves both runs to `pos`.
    pub fn goto(&mut self, pos: u64) {
        if let Some(a) = self.a.as_mut() {
            a.goto(pos);
        }
        if let Some(b) = self.b.as_mut() {
            b.goto(pos);
        }
        self.differs = match (&self.a, &self.b) {
            (Some(a), Some(b)) => Rc::new(changed(&a.frame().snap, &b.frame().snap)),
            _ => Rc::default(),
        };
    }

    fn set_source(&mut self, src: String) {
        self.diags = Rc::new(svelab_core::parse(&src).1);
        self.script_kernel = page::script_kernel(&src);
        self.source = src;
        self.refresh_highlight();
    }

    /// The script has parse errors.
    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == Severity::Error)
    }

    /// Parse diagnostics, plus the step error when the views show this very source.
    pub fn editor_diags(&self) -> Vec<Diagnostic> {
        let mut d = (*self.diags).clone();
        if self.source == self.ran_source {
            if let Some(Stop::Error { diag, .. }) = self.a.as_ref().and_then(|p| p.stop()) {
                d.push(diag.clone());
            }
        }
        d
    }

    fn refresh_highlight(&mut self) {
        self.hl = Rc::new(highlight::lines(&self.source, &self.editor_diags()));
    }

    /// Lines of the `expect`s that failed in this run (when the views show the editor's
    /// text).
    pub fn failed_lines(&self) -> BTreeSet<u32> {
        match &self.a {
            Some(a) if !self.stale() => a
                .expect_failures()
                .iter()
                .filter_map(|&s| a.lines().get(s as usize).copied())
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// The editor's text is not what the views show.
    pub fn stale(&self) -> bool {
        self.source != self.ran_source
    }

    /// The saved form of the editor's text.
    pub fn draft(&self) -> Draft {
        Draft {
            source: self.source.clone(),
            edited: self.edited,
        }
    }

    /// The address bar no longer describes the page: `true` when its link must go.
    pub fn forget_link(&mut self) -> bool {
        self.link_source.take().is_some()
    }

    /// May `incoming` replace the editor's text without asking?
    pub fn may_replace_silently(&self, incoming: &str) -> bool {
        !page::must_ask_before_replacing(&self.draft(), incoming)
    }

    /// Opens `src` at `pos` (a script with errors is shown, not run). `true` when the
    /// address bar's link must go.
    pub fn load_script(&mut self, src: &str, pos: u64) -> bool {
        self.playing = false;
        let forget = self.link_source.as_deref() != Some(src) && self.forget_link();
        self.edited = false;
        self.set_source(src.to_string());
        self.breakpoints = Rc::default();
        self.focus_task = None;
        if self.has_errors() {
            self.a = None;
            self.b = None;
            self.ran_source.clear();
        } else {
            self.start_run(pos);
        }
        self.refresh_highlight();
        forget
    }

    /// The student typed: `true` when the address bar's link must go. Sets
    /// [`State::rerun_due`] when the text parses.
    pub fn edit(&mut self, src: String) -> bool {
        self.edited = true;
        let forget = self.forget_link();
        self.set_source(src);
        self.rerun_due = !self.has_errors();
        forget
    }

    /// The edit pause is over: re-run the text if it changed.
    pub fn rerun(&mut self) {
        self.rerun_due = false;
        if self.stale() && !self.has_errors() {
            let p = self.pos();
            self.start_run(p);
        }
    }

    /// Opens example `i`, if there is one.
    pub fn example(&mut self, i: usize) -> Option<bool> {
        let (_, src) = EXAMPLES.get(i)?;
        self.banner = None;
        Some(self.load_script(src, 0))
    }

    /// Forces a kernel (`None`: the script's), or compares with one.
    pub fn set_kernels(&mut self, kernel: Option<Kernel>, compare: Option<Kernel>) -> bool {
        self.kernel = kernel;
        self.compare = compare;
        let forget = self.forget_link();
        let p = self.pos();
        if !self.ran_source.is_empty() {
            self.start_run(p);
        }
        forget
    }

    /// Toggles a breakpoint on `line`.
    pub fn toggle_breakpoint(&mut self, line: u32) {
        let mut b = (*self.breakpoints).clone();
        if !b.remove(&line) {
            b.insert(line);
        }
        self.breakpoints = Rc::new(b);
    }

    /// Shows or hides counter `c` in the chart.
    pub fn chart_toggle(&mut self, c: Counter) {
        let mut v = (*self.chart_shown).clone();
        if let Some(i) = v.iter().position(|&x| x == c) {
            v.remove(i);
        } else {
            v.push(c);
        }
        self.chart_shown = Rc::new(v);
    }

    /// One autoplay tick: moves on, stops at a breakpoint or the end.
    pub fn tick(&mut self) {
        let step = SPEEDS[self.speed].1;
        let before = self.pos();
        let mut target = before + step;
        if let Some(a) = &self.a {
            let bp = a.next_stop(&self.breakpoints);
            // `<=`: at one step a tick, the breakpoint is the very next step.
            if bp <= target && !self.breakpoints.is_empty() {
                target = bp;
                self.playing = false;
            }
        }
        self.goto(target);
        if self.pos() == before || self.pos() >= self.len() {
            self.playing = false;
        }
    }

    /// Sets the autoplay speed.
    pub fn set_speed(&mut self, s: usize) {
        self.speed = s.min(SPEEDS.len() - 1);
    }

    /// The line of the step just executed.
    pub fn current_line(&self) -> Option<u32> {
        self.a
            .as_ref()
            .and_then(|p| p.frame().report.as_ref().map(|r| r.line))
    }

    /// The line of the statement the next step runs.
    pub fn next_line(&self) -> Option<u32> {
        self.a.as_ref().and_then(|p| p.next_line())
    }

    /// The share link's fragment for this view.
    pub fn share_fragment(&self) -> String {
        share::encode(&Shared {
            script: self.source.clone(),
            kernel: self.kernel,
            compare: self.compare,
            step: self.pos(),
        })
    }

    /// The task the state diagram follows: the chosen one, else the one the last step
    /// acted on, else the first.
    pub fn diagram_task(&self) -> Option<(TaskId, String)> {
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
        Some((t, m.task(t).name.to_string()))
    }

    /// The kernel compare mode's key switches to: off when on, else the other side of
    /// the series.
    pub fn compare_toggle_target(&self) -> Option<Kernel> {
        if self.compare.is_some() {
            return None;
        }
        let cur = self.a.as_ref().map(|a| a.machine().kernel());
        Some(if cur == Some(Kernel::V5_19Rc1) || cur.is_none() {
            Kernel::SeriesV1(Patch::P7)
        } else {
            Kernel::V5_19Rc1
        })
    }

    /// The share link was made: the banner says so until the clipboard answers.
    pub fn shared(&mut self, page_url: &str) -> Effect {
        let fragment = self.share_fragment();
        self.link_source = Some(self.source.clone());
        let url = format!("{page_url}#{fragment}");
        self.share_url = Some(url.clone());
        self.banner = Some(Banner {
            error: false,
            text: "Copying the link…".into(),
        });
        Effect::Share { fragment, url }
    }

    /// The clipboard's answer.
    pub fn copied(&mut self, r: &Result<(), String>) {
        let (error, text) = page::share_banner(r);
        self.banner = Some(Banner { error, text });
    }

    /// Closes the banner.
    pub fn dismiss(&mut self) {
        self.banner = None;
        self.share_url = None;
    }

    /// A key or button command.
    pub fn command(&mut self, c: Command, page_url: &str) -> Effect {
        // The orientation goes with the first thing the visitor does.
        let was_welcome = std::mem::take(&mut self.welcome);
        match c {
            Command::Step => {
                self.playing = false;
                let p = self.pos();
                self.goto(p + 1);
            }
            Command::Back => {
                self.playing = false;
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
                self.playing = false;
                self.goto(0);
            }
            Command::End => {
                let l = self.len();
                self.goto(l);
            }
            Command::Run => {
                self.playing = false;
                if let Some(a) = &self.a {
                    let t = a.next_stop(&self.breakpoints);
                    self.goto(t);
                }
            }
            Command::Autoplay => {
                if self.playing {
                    self.playing = false;
                } else {
                    if self.pos() >= self.len() {
                        self.goto(0);
                    }
                    self.playing = true;
                }
            }
            Command::Faster => self.set_speed(self.speed + 1),
            Command::Slower => self.set_speed(self.speed.saturating_sub(1)),
            Command::Breakpoint => return Effect::BreakpointHere,
            Command::Help => self.help = !self.help,
            Command::Theme => {
                self.dark = !self.dark;
                return Effect::Settings;
            }
            Command::Present => {
                self.present = !self.present;
                return Effect::Settings;
            }
            Command::Compare => {
                let k = self.compare_toggle_target();
                self.set_kernels(self.kernel, k);
            }
            Command::Share => return self.shared(page_url),
            Command::Lessons => {
                self.lessons = !self.lessons;
                if self.lessons && !self.lessons_mounted {
                    self.lessons_mounted = true;
                    return Effect::LoadCourse;
                }
            }
            Command::Edit => {
                return if was_welcome {
                    Effect::Redraw
                } else {
                    Effect::Focus("script")
                };
            }
            Command::Leave => {
                if self.help {
                    self.help = false;
                } else if !was_welcome {
                    return Effect::Focus("btn-step");
                }
            }
        }
        Effect::Redraw
    }

    /// Opens a script from a lesson or an exercise, on a kernel; the lessons stay open
    /// beside the editor (the exercise is checked against the editor's text).
    pub fn open_script(&mut self, src: &str, kernel: Option<Kernel>) -> bool {
        self.kernel = kernel;
        self.banner = None;
        self.welcome = false;
        self.load_script(src, 0)
    }
}

#[cfg(test)]
mod tests;
