//! The smaller panels: the step's events with their kernel functions explained, the
//! counters, the chart of counters over time, the compare summary, the help overlay and
//! the lessons placeholder.

use crate::vm::chart::{self, History, CHART_COUNTERS};
use crate::vm::keys::SHORTCUTS;
use std::rc::Rc;
use svelab_core::explain::event_line;
use svelab_core::model::bugs::KnownBug;
use svelab_core::session::{Comparison, StepOutcome, StepReport};
use svelab_core::{Counter, Counters, Kernel};
use yew::prelude::*;

/// Properties of [`Events`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct EventsProps {
    /// The step's report (none at position 0).
    pub report: Option<Rc<StepReport>>,
    /// The kernel (for bug attribution).
    pub kernel: Kernel,
    /// The heading (default "Events"): compare mode names the kernel.
    #[prop_or_default]
    pub title: Option<AttrValue>,
}

/// What the last step did: its statement, outcome, events and violations.
#[function_component(Events)]
pub fn events(p: &EventsProps) -> Html {
    let title = p.title.clone().unwrap_or_else(|| AttrValue::from("Events"));
    let label = p.title.clone().unwrap_or_else(|| AttrValue::from("events"));
    let Some(r) = &p.report else {
        return html! {
            <section class="panel events" aria-label={label.clone()}>
                <h2>{title.clone()}</h2>
                <p class="empty">{"Position 0: nothing has run yet. Step forward (→ or F10)."}</p>
            </section>
        };
    };
    let outcome = match &r.outcome {
        StepOutcome::Config(d) if !d.is_empty() => html! { <p class="outcome">{"= "}{d}</p> },
        StepOutcome::Created(n) => html! { <p class="outcome">{format!("= created {n}")}</p> },
        StepOutcome::Op { ret: Some(x) } => {
            html! { <p class="outcome">{format!("= returned {x}")}</p> }
        }
        StepOutcome::Expect(c) => html! {
            <p class={classes!("outcome", if c.passed { "pass" } else { "fail" })}>
                { if c.passed { "✓ expect passed" } else { "✗ expect FAILED" } }
                {format!(" (actual {}, expected {})", c.actual, c.expected)}
            </p>
        },
        StepOutcome::Show(t) => html! { <pre class="outcome show">{t}</pre> },
        _ => html! {},
    };
    let items = r.events.iter().zip(&r.event_lines).map(|(e, line)| {
        let f = e.event.function();
        let detail = line
            .split_once(&format!("{f}: "))
            .map_or(line.as_str(), |(_, d)| d);
        let head: Vec<&str> = line.split_whitespace().take(2).collect();
        html! {
            <li>
                <span class="where">{head.join(" ")}</span>
                <code class="fn">{f}</code>
                <span class="detail">{detail}</span>
                <div class="why">{event_line(&e.event)}</div>
            </li>
        }
    });
    let violations = r.violations.iter().map(|v| {
        let bug = KnownBug::explain(p.kernel, v);
        html! {
            <li class="violation">
                <strong>{format!("✗ [{}] ", v.rule.code())}</strong>{&v.detail}
                if let Some(b) = bug { <div class="why">{format!("known bug: {}", b.name())}</div> }
            </li>
        }
    });
    html! {
        <section class="panel events" aria-label={label.clone()}>
            <h2>{format!("Step {}: line {}", r.step + 1, r.line)}{ p.title.as_ref().map(|t| format!(" · {t}")).unwrap_or_default() }</h2>
            <p class="stmt"><code>{&r.text}</code></p>
            {outcome}
            if r.events.is_empty() {
                <p class="empty">{"No kernel events (configuration, expect or show)."}</p>
            } else {
                <ol class="evlist">{for items}</ol>
            }
            if !r.violations.is_empty() { <ul class="violations">{for violations}</ul> }
        </section>
    }
}

/// Properties of [`CountersTable`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CountersProps {
    /// Totals now.
    pub totals: Counters,
    /// Change in the last step.
    pub delta: Counters,
    /// The other kernel's totals (compare mode).
    pub other: Option<Counters>,
}

/// The machine-wide counters, with the last step's changes marked.
#[function_component(CountersTable)]
pub fn counters_table(p: &CountersProps) -> Html {
    let rows = Counter::ALL
        .iter()
        .filter(|&&c| {
            p.totals.get(c) != 0 || p.delta.get(c) != 0 || p.other.is_some_and(|o| o.get(c) != 0)
        })
        .map(|&c| {
            let d = p.delta.get(c);
            let differs = p.other.is_some_and(|o| o.get(c) != p.totals.get(c));
            html! {
                <tr class={classes!((d != 0).then_some("chg"), differs.then_some("diff"))} data-counter={c.name()}>
                    <th scope="row">{c.name()}</th>
                    <td class="num">{p.totals.get(c)}</td>
                    <td class="delta">{ if d != 0 { format!("Δ +{d}") } else { String::new() } }</td>
                    if let Some(o) = p.other {
                        <td class="num other">{ if differs { format!("≠ {}", o.get(c)) } else { o.get(c).to_string() } }</td>
                    }
                </tr>
            }
        });
    html! {
        <section class="panel counters" aria-label="counters">
            <h2>{"Counters"}</h2>
            <table class="ctable">
                <thead><tr><th>{"counter"}</th><th>{"total"}</th><th>{"last step"}</th>
                    if p.other.is_some() { <th>{"other kernel"}</th> }
                </tr></thead>
                <tbody>{for rows}</tbody>
            </table>
        </section>
    }
}

/// Properties of [`Chart`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct ChartProps {
    /// Counters over time.
    pub history: Rc<History>,
    /// The other kernel's (compare mode).
    pub other: Option<Rc<History>>,
    /// Steps in the run (x axis).
    pub len: u64,
    /// Current position (cursor).
    pub pos: u64,
    /// Counters drawn.
    pub shown: Rc<Vec<Counter>>,
    /// Toggle one.
    pub on_toggle: Callback<Counter>,
    /// Chart revision (the history grows during a scan; bump to redraw).
    pub rev: u64,
}

const CW: u32 = 560;
const CH: u32 = 150;

/// Properties of [`ChartLines`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct ChartLinesProps {
    /// Counters over time.
    pub history: Rc<History>,
    /// The other kernel's.
    pub other: Option<Rc<History>>,
    /// Steps in the run.
    pub len: u64,
    /// Counters drawn.
    pub shown: Rc<Vec<Counter>>,
}

fn series_index(c: Counter) -> usize {
    CHART_COUNTERS.iter().position(|&x| x == c).unwrap_or(0)
}

/// The lines of the chart: redrawn only when the data changes, not on every step.
#[function_component(ChartLines)]
pub fn chart_lines(p: &ChartLinesProps) -> Html {
    let (lines, ymax) = chart::lines(&p.history, &p.shown, CW, CH, p.len);
    let other = p
        .other
        .as_ref()
        .map(|h| chart::lines(h, &p.shown, CW, CH, p.len).0);
    let paths = lines.iter().map(|l| {
        let i = series_index(l.counter);
        html! {
            <g class={format!("series s{i}")}>
                <path d={l.path.clone()} />
                <text x={(l.end.0.min(CW - 4)).to_string()} y={(l.label_y - 2).to_string()} text-anchor="end" class="lbl">{format!("{} {}", l.counter.name(), l.value)}</text>
            </g>
        }
    });
    let other_paths = other.into_iter().flatten().map(|l| {
        let i = series_index(l.counter);
        html! { <g class={format!("series other s{i}")}><path d={l.path} /></g> }
    });
    html! {
        <g class="lines">
            <text x="4" y="10" class="tick">{ymax}</text>
            <text x={CW.to_string()} y={(CH + 14).to_string()} text-anchor="end" class="tick">{format!("step {}", p.len)}</text>
            {for other_paths}
            {for paths}
        </g>
    }
}

/// Counters over time. Each line has its own dash pattern and its name at its end, so
/// the lines are told apart without colour.
#[function_component(Chart)]
pub fn chart_view(p: &ChartProps) -> Html {
    let cx = chart::cursor_x(p.pos, CW, p.len);
    let chips = CHART_COUNTERS.iter().map(|&c| {
        let on = p.shown.contains(&c);
        let cb = p.on_toggle.clone();
        let i = series_index(c);
        html! {
            <button class={classes!("chip", format!("s{i}"), on.then_some("on"))} aria-pressed={on.to_string()}
                onclick={Callback::from(move |_| cb.emit(c))}>
                <svg width="22" height="8" aria-hidden="true"><line x1="0" y1="4" x2="22" y2="4" class={format!("series s{i}")} /></svg>
                {c.name()}
            </button>
        }
    });
    let extra = chart::LABEL_GAP * p.shown.len() as u32;
    html! {
        <section class="panel chart" aria-label="counters over time">
            <h2>{"Counters over time"}</h2>
            <svg viewBox={format!("-4 -4 {} {}", CW + 8, CH + 22 + extra)} class="chart-svg" role="img"
                aria-label={format!("counters over {} steps", p.len)}>
                <line x1="0" y1={CH.to_string()} x2={CW.to_string()} y2={CH.to_string()} class="axis" />
                <line x1="0" y1="0" x2="0" y2={CH.to_string()} class="axis" />
                <text x="0" y={(CH + 14).to_string()} class="tick">{"0"}</text>
                <ChartLines history={p.history.clone()} other={p.other.clone()} len={p.len} shown={p.shown.clone()} />
                <line x1={cx.to_string()} y1="0" x2={cx.to_string()} y2={CH.to_string()} class="cursor" />
            </svg>
            if p.other.is_some() { <p class="legend">{"thin lines: the other kernel"}</p> }
            <div class="chips" role="group" aria-label="counters shown">{for chips}</div>
        </section>
    }
}

/// Properties of [`CompareSummary`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CompareProps {
    /// The comparison.
    pub cmp: Rc<Comparison>,
    /// Totals at the end of each run.
    pub totals: (Counters, Counters),
    /// Steps in each run (what the totals cover).
    pub lens: (u64, u64),
    /// Jump to a position.
    pub on_goto: Callback<u64>,
}

/// The two kernels side by side over the whole run.
#[function_component(CompareSummary)]
pub fn compare_summary(p: &CompareProps) -> Html {
    let (a, b) = p.totals;
    let rows = Counter::ALL
        .iter()
        .filter(|&&c| a.get(c) != 0 || b.get(c) != 0)
        .map(|&c| {
            let differs = a.get(c) != b.get(c);
            html! {
                <tr class={classes!(differs.then_some("diff"))}>
                    <th scope="row">{c.name()}</th>
                    <td class="num">{a.get(c)}</td>
                    <td class="num">{b.get(c)}</td>
                    <td class="cmp">{ if differs { "≠" } else { "=" } }</td>
                </tr>
            }
        });
    let steps = p.cmp.steps_differing.iter().take(40).map(|d| {
        let cb = p.on_goto.clone();
        let target = d.step + 1;
        html! {
            <li>
                <button class="linkish" onclick={Callback::from(move |_| cb.emit(target))}>{format!("step {} (line {})", d.step + 1, d.line)}</button>
                {" "}<code>{&d.text}</code>
                <div class="sides">
                    <div><strong>{&p.cmp.kernel_a}{": "}</strong>{ if d.counters_a == "(none)" { "no counted events".to_string() } else { d.counters_a.clone() } }</div>
                    <div><strong>{&p.cmp.kernel_b}{": "}</strong>{ if d.counters_b == "(none)" { "no counted events".to_string() } else { d.counters_b.clone() } }</div>
                </div>
            </li>
        }
    });
    let n = p.cmp.steps_differing.len();
    let (heading, summary) = crate::vm::page::compare_texts(
        &p.cmp.kernel_a,
        &p.cmp.kernel_b,
        p.lens.0,
        p.lens.1,
        p.cmp.steps,
        n,
    );
    html! {
        <section class="panel compare-summary" aria-label="comparison">
            <h2>{heading}</h2>
            <table class="ctable">
                <thead><tr><th>{"counter"}</th><th>{&p.cmp.kernel_a}</th><th>{&p.cmp.kernel_b}</th><th></th></tr></thead>
                <tbody>{for rows}</tbody>
            </table>
            <details>
                <summary>{summary}</summary>
                <ol class="difflist">{for steps}</ol>
                if n > 40 { <p>{format!("… and {} more", n - 40)}</p> }
            </details>
        </section>
    }
}

/// Properties of [`Help`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct HelpProps {
    /// Close it.
    pub on_close: Callback<()>,
}

/// The help overlay: every shortcut, and what the marks mean.
#[function_component(Help)]
pub fn help(p: &HelpProps) -> Html {
    let rows = SHORTCUTS.iter().map(|sc| {
        let keys = sc
            .anywhere
            .iter()
            .chain(sc.page)
            .map(|k| html! { <kbd>{*k}</kbd> });
        html! { <tr><td>{for keys}</td><td>{sc.command.describe()}</td></tr> }
    });
    let close = p.on_close.clone();
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{"Keyboard and marks"}</h2>
                <p>{"Single keys work outside the editor; function keys and Ctrl+Enter work everywhere. Escape leaves the editor."}</p>
                <table class="keys"><tbody>{for rows}</tbody></table>
                <h3>{"Marks"}</h3>
                <ul class="marks">
                    <li><span class="cue cue-chg">{"Δ"}</span>{" with a bar on the left: changed in the last step"}</li>
                    <li><span class="cue cue-diff">{"≠"}</span>{" with a dashed frame: differs from the other kernel"}</li>
                    <li>{"● breakpoint · ▶ next statement · ✖ error (wavy underline) · ⚠ warning"}</li>
                    <li>{"◉ state live in registers · ▤ state in memory · ⟶ fpsimd_last_state binding (dashed: stale)"}</li>
                    <li>{"Registers: the 128 bits that are V are framed; granules that changed are bold and underlined."}</li>
                </ul>
                <button id="help-close" onclick={Callback::from(move |_| close.emit(()))}>{"Close (Escape)"}</button>
            </div>
        </div>
    }
}

/// Properties of [`Welcome`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct WelcomeProps {
    /// Close it (remembered).
    pub on_close: Callback<()>,
}

/// The first visit's orientation: one screen, what this is and how to start.
#[function_component(Welcome)]
pub fn welcome(p: &WelcomeProps) -> Html {
    let close = p.on_close.clone();
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="welcome-title">
            <div class="dialog welcome" id="welcome">
                <h2 id="welcome-title">{"svelab: how Linux handles your SVE registers"}</h2>
                <p>{"A model of how arm64 Linux saves, restores and traps the FPSIMD/SVE registers of tasks and KVM guests, before and after Mark Brown's 2022 series. The script is on the left, the machine on the right."}</p>
                <p>{"Press → (or step ▶) to run the script one statement at a time and ← to go back: the events say what the kernel did and why. Lessons (key l) is a course with exercises checked by the model. Edit the script freely: it re-runs as you type. ? lists every key."}</p>
                <button id="welcome-start" class="primary" onclick={Callback::from(move |_| close.emit(()))}>{"Start at step 0 (Escape)"}</button>
            </div>
        </div>
    }
}
