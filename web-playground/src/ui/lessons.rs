//! The lessons browser and the exercises, over the core's course API
//! ([`svelab_core::course`]): the same lessons, variants, grading and hints as the REPL.
//! Progress is kept in this browser's storage (`localStorage["svelab.progress"]`).

use crate::web;
use std::collections::HashMap;
use std::rc::Rc;
use svelab_core::course::class::{assignment_seed, Assignment, Submission};
use svelab_core::course::{
    grade, Answer, Block, Course, ExerciseInstance, ExerciseKind, Grade, MdBlock, MdInline,
    Progress,
};
use svelab_core::Kernel;
use yew::prelude::*;

/// Storage key of the progress record.
pub const PROGRESS_KEY: &str = "svelab.progress";
/// Storage key of the class the student joined: `id`, a newline, `assignment`.
pub const CLASS_KEY: &str = "svelab.class";

/// The course file named by `course=FILE` in the page's fragment (`#course=my-course.json`,
/// written by `svelab lessons pack`): `None` without one, `Err` for a name that is not a
/// `.json` file next to the page.
pub fn course_param(hash: &str) -> Option<Result<String, String>> {
    let f = hash.strip_prefix('#').unwrap_or(hash);
    let v = f
        .split('&')
        .find_map(|part| part.strip_prefix("course="))?
        .trim();
    let ok = v.ends_with(".json")
        && !v.starts_with('/')
        && !v.contains("..")
        && !v.contains(':')
        && !v.contains('\\')
        && v.len() > 5;
    Some(if ok {
        Ok(v.to_string())
    } else {
        Err(format!(
            "`course={v}` in the address is not a course file next to this page (give a name like my-course.json, written by `svelab lessons pack`)"
        ))
    })
}

/// Loads the course: the teacher's bundle named in the address (`#course=FILE`), else the
/// built-in one (`lessons.json`). Every problem is one readable message.
pub async fn load_course() -> Result<CourseRef, String> {
    let file = match course_param(&web::location_hash()) {
        Some(Ok(file)) => file,
        Some(Err(e)) => return Err(e),
        None => crate::vm::course::FILE_NAME.to_string(),
    };
    let text = web::fetch_text(&file)
        .await
        .map_err(|e| format!("the course file {file} could not be fetched ({e})"))?;
    let course = crate::vm::course::parse(&text, &file)?;
    Ok(CourseRef(Rc::new(course)))
}

/// A loaded course, compared by identity (it never changes once loaded).
#[derive(Clone, Debug)]
pub struct CourseRef(pub Rc<Course>);

impl PartialEq for CourseRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Properties of [`LessonsPanel`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct LessonsProps {
    /// The course: loading (`None`), loaded, or why it did not load.
    pub course: Option<Result<CourseRef, AttrValue>>,
    /// The editor's script (a construct exercise checks it).
    pub source: AttrValue,
    /// Open a script in the editor, on a kernel (`None`: the script's own).
    pub on_open: Callback<(String, Option<Kernel>)>,
}

/// Messages of the panel.
#[derive(Debug)]
pub enum LMsg {
    /// Show a lesson (its id).
    Select(String),
    /// A value typed or chosen for a blank: (exercise key, blank, value).
    Fill(String, usize, String),
    /// Grade an exercise (its key).
    Check(String),
    /// Reveal the next hint.
    Hint(String),
    /// Show the answer of a predict exercise (after a try).
    Reveal(String),
    /// New numbers for an exercise.
    Variant(String),
    /// Open a script in the editor.
    Open(String, Option<Kernel>),
    /// The student id typed in the class box.
    ClassId(String),
    /// The assignment typed in the class box.
    ClassAssignment(String),
    /// Use the numbers of the sheet of that id and assignment.
    ClassJoin,
    /// Download the submission file.
    Submit,
}

/// The lessons panel.
#[derive(Debug)]
pub struct LessonsPanel {
    progress: Progress,
    selected: Option<String>,
    answers: HashMap<String, Vec<String>>,
    grades: HashMap<String, Grade>,
    class_id: String,
    class_assignment: String,
    /// The class box's last message: (is an error, text).
    class_note: Option<(bool, String)>,
}

/// Inline Markdown as DOM nodes (text nodes, never HTML text).
fn md_inline(v: &[MdInline]) -> Html {
    v.iter()
        .map(|i| match i {
            MdInline::Text(t) => html! { {t.clone()} },
            MdInline::Code(c) => html! { <code>{c.clone()}</code> },
            MdInline::Strong(k) => html! { <strong>{md_inline(k)}</strong> },
            MdInline::Em(k) => html! { <em>{md_inline(k)}</em> },
            MdInline::Strike(k) => html! { <s>{md_inline(k)}</s> },
            MdInline::Break => html! { <br/> },
            MdInline::Link(href, k) => {
                if href.starts_with("https://") || href.starts_with("http://") {
                    html! { <a href={href.clone()} rel="noopener" target="_blank">{md_inline(k)}</a> }
                } else {
                    html! { <span class="link">{md_inline(k)}</span> }
                }
            }
        })
        .collect()
}

fn md_blocks(v: &[MdBlock]) -> Html {
    v.iter()
        .map(|b| match b {
            MdBlock::Heading(1, v) => html! { <h3>{md_inline(v)}</h3> },
            MdBlock::Heading(_, v) => html! { <h4>{md_inline(v)}</h4> },
            MdBlock::Para(v) => html! { <p>{md_inline(v)}</p> },
            MdBlock::Quote(q) => html! { <blockquote>{md_blocks(q)}</blockquote> },
            MdBlock::Code(_, c) => html! { <pre class="snippet">{c.clone()}</pre> },
            MdBlock::List(Some(start), items) => html! {
                <ol start={start.to_string()}>{for items.iter().map(|i| html! { <li>{md_blocks(i)}</li> })}</ol>
            },
            MdBlock::List(None, items) => {
                html! { <ul>{for items.iter().map(|i| html! { <li>{md_blocks(i)}</li> })}</ul> }
            }
            MdBlock::Table(head, rows) => html! {
                <table class="md">
                    <thead><tr>{for head.iter().map(|c| html! { <th>{md_inline(c)}</th> })}</tr></thead>
                    <tbody>{for rows.iter().map(|r| html! {
                        <tr>{for r.iter().map(|c| html! { <td>{md_inline(c)}</td> })}</tr>
                    })}</tbody>
                </table>
            },
            MdBlock::Rule => html! { <hr/> },
        })
        .collect()
}

impl LessonsPanel {
    /// The submission file: (file name, JSON, answers in it).
    fn submission(&self, ctx: &Context<Self>) -> Result<(String, String, usize), String> {
        let course = course_of(ctx).ok_or("the lessons are not loaded")?;
        let (id, asg) = (&self.class_id, &self.class_assignment);
        if id.is_empty() || asg.is_empty() {
            return Err("Type your id and the assignment, as on your sheet.".into());
        }
        if self.progress.seed != assignment_seed(id, asg) {
            return Err("Press \"Use my sheet's numbers\" first, then do the exercises: your answers are for other numbers.".into());
        }
        let answered: Vec<String> = course
            .exercises()
            .filter(|(l, e)| self.progress.current_answer(&l.id, &e.id).is_some())
            .map(|(l, e)| format!("{}/{}", l.number, e.id))
            .collect();
        if answered.is_empty() {
            return Err("Check an answer to each exercise of your sheet first.".into());
        }
        let a = Assignment::new(&course, asg, &answered)?;
        let s =
            Submission::from_progress(&course, &self.progress, id, &a, env!("CARGO_PKG_VERSION"));
        Ok((format!("{id}-{asg}.json"), s.to_json(), s.answers.len()))
    }

    fn class_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let input = |f: fn(String) -> LMsg| {
            link.callback(move |e: InputEvent| {
                let t: web_sys::HtmlInputElement = e.target_unchecked_into();
                f(t.value())
            })
        };
        html! {
            <details class="class-box">
                <summary>{"Class: your sheet and handing in"}</summary>
                <label>{"Student id "}<input type="text" value={self.class_id.clone()} oninput={input(LMsg::ClassId)} /></label>
                <label>{" Assignment "}<input type="text" value={self.class_assignment.clone()} oninput={input(LMsg::ClassAssignment)} /></label>
                <div class="ex-actions small">
                    <button onclick={link.callback(|_| LMsg::ClassJoin)}>{"Use my sheet's numbers"}</button>
                    <button class="primary" onclick={link.callback(|_| LMsg::Submit)}>{"Submit (download the file)"}</button>
                </div>
                if let Some((err, t)) = &self.class_note {
                    <p class={if *err { "fail" } else { "note" }} role="status">{t.clone()}</p>
                }
            </details>
        }
    }

    fn save(&self) {
        web::save(PROGRESS_KEY, &self.progress.to_json());
    }

    fn instance(&self, ctx: &Context<Self>, key: &str) -> Option<ExerciseInstance> {
        let course = course_of(ctx)?;
        let (l, e) = course.exercise(key)?;
        Some(self.progress.instance(l, e))
    }

    fn exercise_view(&self, ctx: &Context<Self>, inst: &ExerciseInstance) -> Html {
        let link = ctx.link();
        let key = inst.key.clone();
        let passed = self.progress.passed(&inst.lesson, &inst.exercise);
        let g = self.grades.get(&key);
        let hints = self.progress.revealed_hints(inst);
        let hints_left = inst.hints.len() - hints.len();
        let answers = self.answers.get(&key).cloned().unwrap_or_default();
        let body = match inst.kind {
            ExerciseKind::Predict => {
                let blanks = inst.blanks.iter().enumerate().map(|(i, b)| {
                    let cur = answers.get(i).cloned().unwrap_or_default();
                    let k = key.clone();
                    let input = if inst.choices.is_empty() {
                        let k2 = k.clone();
                        html! {
                            <input type="text" value={cur.clone()} aria-label={b.label.clone()} class="blank"
                                oninput={link.callback(move |e: InputEvent| {
                                    let t: web_sys::HtmlInputElement = e.target_unchecked_into();
                                    LMsg::Fill(k2.clone(), i, t.value())
                                })} />
                        }
                    } else {
                        let opts = inst.choices.iter().map(|c| {
                            let (k3, c2) = (k.clone(), c.clone());
                            let on = cur == *c;
                            html! {
                                <button class={classes!("choice", on.then_some("on"))} aria-pressed={on.to_string()}
                                    onclick={link.callback(move |_| LMsg::Fill(k3.clone(), i, c2.clone()))}>{c.clone()}</button>
                            }
                        });
                        html! { <span class="choices" role="group" aria-label={b.label.clone()}>{for opts}</span> }
                    };
                    html! { <div class="blank-row"><code>{b.label.clone()}</code>{" = "}{input}</div> }
                });
                let setup = inst.setup.clone();
                let kernel = inst.blanks.first().and_then(|b| b.kernel);
                html! {
                    <>
                        if let Some(s) = &setup {
                            <details class="setup"><summary>{"the setup script"}</summary><pre class="snippet">{s.clone()}</pre></details>
                        }
                        <div class="blanks">{for blanks}</div>
                        <div class="ex-actions">
                            <button class="primary" onclick={link.callback({ let k = key.clone(); move |_| LMsg::Check(k.clone()) })}>{"Check my answer"}</button>
                            if let (Some(s), Some(_)) = (setup, g) {
                                <button onclick={link.callback(move |_| LMsg::Open(s.clone(), kernel))}>{"Step through the setup"}</button>
                            }
                        </div>
                    </>
                }
            }
            ExerciseKind::Construct => {
                let starter = inst.starter.clone().unwrap_or_default();
                let kernel = inst.kernel;
                html! {
                    <>
                        <p class="goal-checks">{"Your script must make true: "}
                            {for inst.checks.iter().map(|c| html! { <code class="check">{c.clone()}</code> })}
                        </p>
                        if !inst.forbid.is_empty() {
                            <p class="forbid">{"Without: "}{for inst.forbid.iter().map(|c| html! { <code>{c.clone()}</code> })}</p>
                        }
                        if let Some(k) = kernel { <p class="note">{format!("It runs on {}.", k.name())}</p> }
                        <div class="ex-actions">
                            <button onclick={link.callback(move |_| LMsg::Open(starter.clone(), kernel))}>{"Open the starter in the editor"}</button>
                            <button class="primary" onclick={link.callback({ let k = key.clone(); move |_| LMsg::Check(k.clone()) })}>{"Check the editor's script"}</button>
                        </div>
                    </>
                }
            }
        };
        // A wrong prediction shows no values until revealed (the same rule as the REPL).
        let shown = g.map(|g| self.progress.feedback(inst, g));
        let can_reveal = inst.kind == ExerciseKind::Predict
            && g.is_some_and(|g| !g.passed)
            && !self.progress.revealed(inst);
        let grade_view = shown.as_ref().map(|g| {
            let checks = g.checks.iter().map(|c| {
                html! { <li class={if c.passed { "pass" } else { "fail" }}>{ if c.passed { "✓ " } else { "✗ " } }<code>{c.label.clone()}</code>{": "}{c.detail.clone()}</li> }
            });
            let diags = g.diagnostics.iter().map(|d| {
                html! { <li class="fail">{format!("✗ {}:{}: {} (hint: {})", d.line, d.column, d.message, d.hint)}</li> }
            });
            html! {
                <div class={classes!("grade", if g.passed { "pass" } else { "fail" })} role="status">
                    <p class="summary">{ if g.passed { "✓ " } else { "✗ " } }{g.summary.clone()}</p>
                    <ul>{for checks}{for diags}</ul>
                    if g.explanation.is_some() { <div class="explanation">{md_blocks(&inst.explanation_md)}</div> }
                </div>
            }
        });
        html! {
            <section class={classes!("exercise", passed.then_some("passed"))} data-exercise={key.clone()}>
                <h4>
                    <span class="kind">{inst.kind.name()}</span>{" "}{inst.title.clone()}
                    if passed { <span class="done">{" ✓ passed"}</span> }
                </h4>
                <div class="text">{md_blocks(&inst.text_md)}</div>
                {body}
                {for grade_view}
                if !hints.is_empty() {
                    <ol class="hints">{for inst.hints_md.iter().take(hints.len()).map(|h| html! { <li>{md_blocks(h)}</li> })}</ol>
                }
                <div class="ex-actions small">
                    if hints_left > 0 {
                        <button onclick={link.callback({ let k = key.clone(); move |_| LMsg::Hint(k.clone()) })}>{format!("Show a hint ({hints_left} left)")}</button>
                    }
                    if can_reveal {
                        <button onclick={link.callback({ let k = key.clone(); move |_| LMsg::Reveal(k.clone()) })}>{"Show the answer"}</button>
                    }
                    <button onclick={link.callback({ let k = key.clone(); move |_| LMsg::Variant(k.clone()) })} title="the same exercise with other numbers">{"New numbers"}</button>
                </div>
            </section>
        }
    }
}

fn course_of(ctx: &Context<LessonsPanel>) -> Option<Rc<Course>> {
    match &ctx.props().course {
        Some(Ok(c)) => Some(c.0.clone()),
        _ => None,
    }
}

impl Component for LessonsPanel {
    type Message = LMsg;
    type Properties = LessonsProps;

    fn create(_ctx: &Context<Self>) -> Self {
        let progress = web::load(PROGRESS_KEY)
            .and_then(|t| Progress::from_json(&t).ok())
            .unwrap_or_else(|| Progress::new(web::random_seed()));
        let selected = progress.current_lesson.clone();
        let class = web::load(CLASS_KEY).unwrap_or_default();
        let (class_id, class_assignment) = class.split_once('\n').unwrap_or(("", ""));
        LessonsPanel {
            progress,
            selected,
            answers: HashMap::new(),
            grades: HashMap::new(),
            class_id: class_id.to_string(),
            class_assignment: class_assignment.to_string(),
            class_note: None,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: LMsg) -> bool {
        match msg {
            LMsg::Select(id) => {
                let Some(course) = course_of(ctx) else {
                    return false;
                };
                if let Some(l) = course.lesson(&id) {
                    self.progress.open_lesson(l);
                    self.selected = Some(l.id.clone());
                    self.save();
                }
            }
            LMsg::Fill(key, i, v) => {
                let a = self.answers.entry(key).or_default();
                if a.len() <= i {
                    a.resize(i + 1, String::new());
                }
                a[i] = v;
            }
            LMsg::Check(key) => {
                let Some(inst) = self.instance(ctx, &key) else {
                    return false;
                };
                let answer = match inst.kind {
                    ExerciseKind::Predict => {
                        let mut v = self.answers.get(&key).cloned().unwrap_or_default();
                        v.resize(inst.blanks.len(), String::new());
                        Answer::Predict(v)
                    }
                    ExerciseKind::Construct => Answer::Script(ctx.props().source.to_string()),
                };
                let g = grade(&inst, &answer);
                self.progress.record(&inst, &answer, &g);
                self.grades.insert(key, g);
                self.save();
            }
            LMsg::Reveal(key) => {
                if let Some(inst) = self.instance(ctx, &key) {
                    self.progress.reveal(&inst);
                    self.save();
                }
            }
            LMsg::Hint(key) => {
                if let Some(inst) = self.instance(ctx, &key) {
                    let _ = self.progress.reveal_hint(&inst);
                    self.save();
                }
            }
            LMsg::Variant(key) => {
                if let Some((l, e)) = key.split_once('/') {
                    self.progress.new_variant(l, e);
                    self.answers.remove(&key);
                    self.grades.remove(&key);
                    self.save();
                }
            }
            LMsg::Open(src, k) => {
                ctx.props().on_open.emit((src, k));
                return false;
            }
            LMsg::ClassId(v) => {
                self.class_id = v.trim().to_string();
                return false;
            }
            LMsg::ClassAssignment(v) => {
                self.class_assignment = v.trim().to_string();
                return false;
            }
            LMsg::ClassJoin => {
                if self.class_id.is_empty() || self.class_assignment.is_empty() {
                    self.class_note = Some((
                        true,
                        "Type your id and the assignment, as on your sheet.".into(),
                    ));
                } else {
                    self.progress.seed = assignment_seed(&self.class_id, &self.class_assignment);
                    web::save(
                        CLASS_KEY,
                        &format!("{}\n{}", self.class_id, self.class_assignment),
                    );
                    self.save();
                    self.class_note = Some((
                        false,
                        format!(
                            "The exercises now show the numbers of your sheet (seed {:#x}).",
                            self.progress.seed
                        ),
                    ));
                }
            }
            LMsg::Submit => {
                self.class_note = Some(match self.submission(ctx) {
                    Ok((name, json, n)) => {
                        web::download(&name, &json);
                        (
                            false,
                            format!("Downloaded {name} ({n} answer(s)): hand this file in."),
                        )
                    }
                    Err(e) => (true, e),
                });
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let course = match &ctx.props().course {
            None => {
                return html! { <section class="panel lessons" aria-label="lessons"><h2>{"Lessons and exercises"}</h2><p>{"Loading the lessons…"}</p></section> }
            }
            Some(Err(e)) => {
                return html! { <section class="panel lessons" aria-label="lessons"><h2>{"Lessons and exercises"}</h2><p class="fail">{format!("The lessons could not be loaded: {e}")}</p></section> }
            }
            Some(Ok(c)) => c.0.clone(),
        };
        let status = self.progress.status(&course);
        let list = status.iter().map(|s| {
            let id = s.id.clone();
            let cur = self.selected.as_deref() == Some(s.id.as_str());
            html! {
                <li>
                    <button class={classes!("lesson-link", cur.then_some("on"))} aria-current={cur.then_some("page")}
                        onclick={link.callback(move |_| LMsg::Select(id.clone()))}>
                        <span class="num">{format!("{:02}", s.number)}</span>{" "}{s.title.clone()}
                        <span class="lstatus">{ if s.total > 0 { format!(" {}/{}{}", s.passed, s.total, if s.passed == s.total { " ✓" } else { "" }) } else { String::new() } }{ if s.seen { "" } else { " · new" } }</span>
                    </button>
                </li>
            }
        });
        let lesson = self.selected.as_deref().and_then(|id| course.lesson(id));
        let body = match lesson {
            None => {
                html! { <p class="empty">{"Choose a lesson. Each has scripts to open in the editor and exercises checked by the model; your progress stays in this browser."}</p> }
            }
            Some(l) => {
                // The prose's Markdown was read with the course (`Lesson::prose_md`).
                let mut prose = l.prose_md.iter();
                let blocks = l.blocks.iter().map(|b| match b {
                    Block::Prose(_) => prose.next().map(|m| md_blocks(m)).unwrap_or_default(),
                    Block::Script(i) => {
                        let s = &l.scripts[*i];
                        let src = s.source.clone();
                        html! {
                            <figure class="lesson-script">
                                <figcaption>{s.label.clone()}<span class="note">{format!(" ({})", s.name)}</span></figcaption>
                                <pre class="snippet">{s.source.clone()}</pre>
                                <button class="primary" onclick={link.callback(move |_| LMsg::Open(src.clone(), None))}>{"Open in the editor and step through it"}</button>
                            </figure>
                        }
                    }
                });
                let exercises = l
                    .exercises
                    .iter()
                    .map(|e| self.exercise_view(ctx, &self.progress.instance(l, e)));
                html! {
                    <article class="lesson">
                        <h3>{format!("Lesson {}: {}", l.number, l.title)}</h3>
                        {for blocks}
                        if !l.exercises.is_empty() {
                            <h3>{"Exercises"}</h3>
                            {for exercises}
                        }
                    </article>
                }
            }
        };
        html! {
            <section class="panel lessons" aria-label="lessons">
                <h2>{"Lessons and exercises"}</h2>
                {self.class_view(ctx)}
                <div class="lessons-grid">
                    <nav aria-label="lessons"><ol class="lesson-list">{for list}</ol></nav>
                    <div class="lesson-body">{body}</div>
                </div>
            </section>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_file_comes_from_the_fragment() {
        assert_eq!(
            course_param("#course=my-course.json"),
            Some(Ok("my-course.json".into()))
        );
        assert_eq!(
            course_param("#v=1&course=c/w3.json"),
            Some(Ok("c/w3.json".into()))
        );
        assert_eq!(course_param("#v=1&s=abc"), None);
        assert_eq!(course_param(""), None);
        for bad in [
            "https://evil.example/x.json",
            "/etc/x.json",
            "../x.json",
            "x.txt",
            "course=",
        ] {
            let h = if bad.starts_with("course=") {
                bad.to_string()
            } else {
                format!("#course={bad}")
            };
            assert!(matches!(course_param(&h), Some(Err(_))), "{bad}");
        }
    }
}
