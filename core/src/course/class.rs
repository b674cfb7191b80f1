//! A class without a server: course bundles, worksheets, submissions and grading, as data.
//!
//! * A **course bundle** ([`CourseBundle`]) is a teacher's course in one JSON file
//!   (`svelab lessons pack DIR`), which the playground opens from a URL.
//! * An **assignment** ([`Assignment`]) names a list of exercises. Each student's numbers
//!   come from [`assignment_seed`] of their id and the assignment's name: deterministic, so
//!   the teacher's sheet, the student's REPL or playground and the grader agree.
//! * A **sheet** ([`Sheet`]) is one student's variants, as Markdown ([`Sheet::markdown`]) or
//!   a printable page ([`Sheet::html`]); [`answer_key`] gives every student's answers.
//! * A **submission** ([`Submission`]) is what a student hands in: answers, scripts, the seed,
//!   attempts and hints, the svelab version, and a checksum that binds student, assignment
//!   and seed (it catches a file handed in under the wrong name, not a forger).
//! * [`grade_submission`] re-grades with [`grade`], as `:check` does.
//!
//! The front ends read and write the files; everything here is pure.

use super::*;

/// `format` of a course bundle.
pub const BUNDLE_FORMAT: &str = "svelab-course";
/// `format` of a submission.
pub const SUBMISSION_FORMAT: &str = "svelab-submission";
/// Version of both formats.
pub const CLASS_FORMAT_VERSION: u32 = 1;

/// A course in one file: the course as read by [`Course::parse`] (its Markdown already in
/// blocks), so a front end that opens it needs neither a TOML nor a Markdown parser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseBundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// [`CLASS_FORMAT_VERSION`].
    pub version: u32,
    /// The course's name (its directory's name).
    pub name: String,
    /// The course.
    pub course: Course,
}

impl CourseBundle {
    /// Packs a course from its files (`(path, text)` as [`Course::parse`] takes them): every
    /// file must parse ([`Course::parse`]'s errors otherwise).
    pub fn pack<P: AsRef<str>, T: AsRef<str>>(
        name: &str,
        files: &[(P, T)],
    ) -> Result<CourseBundle, Vec<LessonError>> {
        Ok(CourseBundle {
            format: BUNDLE_FORMAT.into(),
            version: CLASS_FORMAT_VERSION,
            name: name.into(),
            course: Course::parse(files)?,
        })
    }

    /// The bundle as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a bundle; `source` names the file in messages.
    pub fn from_json(text: &str, source: &str) -> Result<CourseBundle, String> {
        let b: CourseBundle = read_doc(text, source, BUNDLE_FORMAT, "svelab lessons pack DIR")?;
        if b.course.lessons.is_empty() {
            return Err(format!("{source}: the course has no lessons"));
        }
        Ok(b)
    }
}

/// Reads a JSON document of `format`, with one clear line when it is not one.
fn read_doc<T: serde::de::DeserializeOwned>(
    text: &str,
    source: &str,
    format: &str,
    how: &str,
) -> Result<T, String> {
    let h = crate::session::read_header(text).map_err(|e| {
        format!(
            "{source}:{}:{}: not JSON ({e}); the file is written by `{how}`",
            e.line(),
            e.column()
        )
    })?;
    let found = h.format.unwrap_or_default();
    if found != format {
        return Err(if found.is_empty() {
            format!("{source}: not a `{format}` file (no `format` field); it is written by `{how}`")
        } else {
            format!("{source}: a `{found}` file, not a `{format}` file")
        });
    }
    let version = h.version.unwrap_or(0);
    if version != u64::from(CLASS_FORMAT_VERSION) {
        return Err(format!(
            "{source}: format version {version}; this svelab reads version {CLASS_FORMAT_VERSION} (re-create it with this svelab)"
        ));
    }
    serde_json::from_str(text).map_err(|e| format!("{source}: damaged `{format}` file: {e}"))
}

/// The seed of a student's numbers in an assignment (the same everywhere, for ever).
pub fn assignment_seed(student: &str, assignment: &str) -> u64 {
    seed_from_text(&format!(
        "svelab-class\0{}\0{}",
        student.trim(),
        assignment.trim()
    ))
}

/// The checksum binding a student, an assignment and a seed (hex).
pub fn binding_checksum(student: &str, assignment: &str, seed: u64) -> String {
    format!(
        "{:016x}",
        seed_from_text(&format!(
            "svelab-binding\0{}\0{}\0{seed}",
            student.trim(),
            assignment.trim()
        ))
    )
}

/// An assignment: a name and the exercises it asks for (`3/trap-count`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Its name (part of every student's seed).
    pub name: String,
    /// The exercises, as `LESSON/EXERCISE`.
    pub exercises: Vec<String>,
}

impl Assignment {
    /// Checks that every exercise exists; the keys are normalised to `N/id`.
    pub fn new(course: &Course, name: &str, exercises: &[String]) -> Result<Assignment, String> {
        if name.trim().is_empty() {
            return Err("the assignment needs a name".into());
        }
        let mut keys = Vec::new();
        for e in exercises {
            let Some((l, x)) = course.exercise(e) else {
                return Err(format!(
                    "no exercise `{e}` in the course (name it LESSON/EXERCISE, e.g. 3/trap-count)"
                ));
            };
            let k = format!("{}/{}", l.number, x.id);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            return Err("the assignment has no exercises".into());
        }
        Ok(Assignment {
            name: name.trim().into(),
            exercises: keys,
        })
    }

    /// The student's progress record for this assignment (their seed).
    pub fn progress(&self, student: &str) -> Progress {
        Progress::new(assignment_seed(student, &self.name))
    }
}

/// One student's sheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sheet {
    /// The student's id.
    pub student: String,
    /// The student's name (may be empty).
    pub name: String,
    /// The assignment.
    pub assignment: String,
    /// The seed ([`assignment_seed`]).
    pub seed: u64,
    /// `(LESSON/EXERCISE, the student's instance)`.
    pub exercises: Vec<(String, ExerciseInstance)>,
}

impl Sheet {
    /// The sheet of one student.
    pub fn new(course: &Course, a: &Assignment, student: &str, name: &str) -> Sheet {
        let p = a.progress(student);
        let exercises = a
            .exercises
            .iter()
            .filter_map(|k| {
                course
                    .exercise(k)
                    .map(|(l, e)| (k.clone(), p.instance(l, e)))
            })
            .collect();
        Sheet {
            student: student.into(),
            name: name.into(),
            assignment: a.name.clone(),
            seed: p.seed,
            exercises,
        }
    }

    fn who(&self) -> String {
        if self.name.is_empty() {
            self.student.clone()
        } else {
            format!("{} ({})", self.name, self.student)
        }
    }

    /// The sheet as Markdown.
    pub fn markdown(&self) -> String {
        let mut s = format!("# {} — {}\n\n", self.assignment, self.who());
        s.push_str(&format!(
            "Your numbers come from seed `{:#x}`. Work in the REPL started with \
             `SVELAB_SEED={:#x} svelab` (or, in the playground's Lessons panel, enter your id \
             `{}` and the assignment `{}`), so the exercises show these numbers. Hand in with \
             `:submit FILE {} {}` (the playground's Submit button).\n\n",
            self.seed, self.seed, self.student, self.assignment, self.student, self.assignment
        ));
        for (i, (k, inst)) in self.exercises.iter().enumerate() {
            s.push_str(&format!(
                "## {}. {} (`{k}`, {})\n\n",
                i + 1,
                inst.title,
                inst.kind.name()
            ));
            s.push_str(inst.text.trim());
            s.push_str("\n\n");
            if let Some(setup) = &inst.setup {
                s.push_str(&format!("Setup:\n\n```svl\n{}\n```\n\n", setup.trim_end()));
            }
            if let Some(st) = &inst.starter {
                s.push_str(&format!("Starter:\n\n```svl\n{}\n```\n\n", st.trim_end()));
            }
            for b in &inst.blanks {
                s.push_str(&format!("- `{}` = ______\n", b.label));
            }
            if !inst.blanks.is_empty() {
                s.push('\n');
            }
        }
        s
    }

    /// The sheet as a standalone, printable HTML page.
    pub fn html(&self) -> String {
        html_page(
            &format!("{} — {}", self.assignment, self.who()),
            &self.markdown(),
        )
    }
}

/// The answer key of a class: every student's values and reference scripts (Markdown).
pub fn answer_key(sheets: &[Sheet]) -> String {
    let mut s = String::new();
    if let Some(first) = sheets.first() {
        s.push_str(&format!("# Answer key — {}\n\n", first.assignment));
    }
    for sh in sheets {
        s.push_str(&format!("## {} (seed `{:#x}`)\n\n", sh.who(), sh.seed));
        for (k, inst) in &sh.exercises {
            match &inst.reference {
                Answer::Predict(v) => {
                    let cells: Vec<String> = inst
                        .blanks
                        .iter()
                        .zip(v)
                        .map(|(b, a)| format!("`{}` = `{a}`", b.label))
                        .collect();
                    s.push_str(&format!("- `{k}`: {}\n", cells.join(", ")));
                }
                Answer::Script(src) => {
                    s.push_str(&format!(
                        "- `{k}`: a script that passes:\n\n```svl\n{}\n```\n",
                        src.trim_end()
                    ));
                }
            }
        }
        s.push('\n');
    }
    s
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_inline(v: &[MdInline]) -> String {
    v.iter()
        .map(|i| match i {
            MdInline::Text(t) => esc(t),
            MdInline::Code(c) => format!("<code>{}</code>", esc(c)),
            MdInline::Strong(k) => format!("<strong>{}</strong>", html_inline(k)),
            MdInline::Em(k) => format!("<em>{}</em>", html_inline(k)),
            MdInline::Strike(k) => format!("<s>{}</s>", html_inline(k)),
            MdInline::Link(_, k) => html_inline(k),
            MdInline::Break => "<br>".into(),
        })
        .collect()
}

fn html_blocks(v: &[MdBlock]) -> String {
    v.iter()
        .map(|b| match b {
            MdBlock::Heading(n, i) => format!("<h{n}>{}</h{n}>\n", html_inline(i)),
            MdBlock::Para(i) => format!("<p>{}</p>\n", html_inline(i)),
            MdBlock::List(start, items) => {
                let tag = if start.is_some() { "ol" } else { "ul" };
                let lis: String = items
                    .iter()
                    .map(|i| format!("<li>{}</li>", html_blocks(i)))
                    .collect();
                format!("<{tag}>{lis}</{tag}>\n")
            }
            MdBlock::Code(_, c) => format!("<pre>{}</pre>\n", esc(c)),
            MdBlock::Quote(q) => format!("<blockquote>{}</blockquote>\n", html_blocks(q)),
            MdBlock::Table(h, rows) => {
                let th: String = h
                    .iter()
                    .map(|c| format!("<th>{}</th>", html_inline(c)))
                    .collect();
                let trs: String = rows
                    .iter()
                    .map(|r| {
                        let tds: String = r
                            .iter()
                            .map(|c| format!("<td>{}</td>", html_inline(c)))
                            .collect();
                        format!("<tr>{tds}</tr>")
                    })
                    .collect();
                format!("<table><tr>{th}</tr>{trs}</table>\n")
            }
            MdBlock::Rule => "<hr>\n".into(),
        })
        .collect()
}

/// A standalone HTML page of Markdown (escaped; no scripts; prints on A4/Letter).
pub fn html_page(title: &str, markdown: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body{{font:11pt/1.45 Georgia,serif;max-width:44em;margin:2em auto;padding:0 1em}}\n\
         code,pre{{font-family:Menlo,Consolas,monospace;font-size:.92em}}\n\
         pre{{background:#f4f4f4;padding:.5em .8em;white-space:pre-wrap}}\n\
         h2{{border-top:1px solid #ccc;padding-top:.6em;page-break-after:avoid}}\n\
         @media print{{body{{margin:0}} pre{{background:none;border:1px solid #ccc}}}}\n\
         </style></head><body>\n{}</body></html>\n",
        esc(title),
        html_blocks(&render_markdown(markdown))
    )
}

/// One answer in a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedAnswer {
    /// `LESSON/EXERCISE` as in the assignment (`3/trap-count`).
    pub exercise: String,
    /// The answer: values or a script (`None`: not answered).
    pub answer: Option<Answer>,
    /// Which variant ([`Progress::new_variant`] counts up; 0 is the sheet's).
    pub variant: u32,
    /// Answers checked.
    pub attempts: u32,
    /// Hints revealed.
    pub hints_used: u32,
    /// Whether the answer was revealed before.
    pub revealed: bool,
}

/// What a student hands in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// Always [`SUBMISSION_FORMAT`].
    pub format: String,
    /// [`CLASS_FORMAT_VERSION`].
    pub version: u32,
    /// The svelab version that wrote it.
    pub svelab_version: String,
    /// The student's id.
    pub student: String,
    /// The assignment's name.
    pub assignment: String,
    /// The seed the student worked with.
    pub seed: u64,
    /// The answers.
    pub answers: Vec<SubmittedAnswer>,
    /// [`binding_checksum`] of student, assignment and seed.
    pub checksum: String,
}

impl Submission {
    /// A student's submission from their progress: the last answer to each exercise of the
    /// assignment given with the student's present numbers (exercises not in the course are
    /// skipped; an answer to other numbers is not handed in).
    pub fn from_progress(
        course: &Course,
        progress: &Progress,
        student: &str,
        assignment: &Assignment,
        svelab_version: &str,
    ) -> Submission {
        let answers = assignment
            .exercises
            .iter()
            .filter_map(|k| {
                let (l, e) = course.exercise(k)?;
                let rec = progress.exercises.get(&format!("{}/{}", l.id, e.id));
                // Only an answer to this student's present numbers counts.
                let answer = progress.current_answer(&l.id, &e.id).map(|a| match e.kind {
                    ExerciseKind::Predict => Answer::predict_from_text(a),
                    ExerciseKind::Construct => Answer::Script(a.to_string()),
                });
                Some(SubmittedAnswer {
                    exercise: k.clone(),
                    answer,
                    variant: rec.map_or(0, |r| r.variant),
                    attempts: rec.map_or(0, |r| r.attempts),
                    hints_used: rec.map_or(0, |r| r.hints_revealed),
                    revealed: rec.is_some_and(|r| r.revealed),
                })
            })
            .collect();
        Submission {
            format: SUBMISSION_FORMAT.into(),
            version: CLASS_FORMAT_VERSION,
            svelab_version: svelab_version.into(),
            student: student.trim().into(),
            assignment: assignment.name.clone(),
            seed: progress.seed,
            answers,
            checksum: binding_checksum(student, &assignment.name, progress.seed),
        }
    }

    /// The submission as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a submission; `source` names the file in messages.
    pub fn from_json(text: &str, source: &str) -> Result<Submission, String> {
        read_doc(
            text,
            source,
            SUBMISSION_FORMAT,
            ":submit FILE STUDENT ASSIGNMENT",
        )
    }

    /// Is this the file of `student` for `assignment`? `Err` says what does not match.
    pub fn verify(&self, student: &str, assignment: &str) -> Result<(), String> {
        if self.checksum != binding_checksum(&self.student, &self.assignment, self.seed) {
            return Err("its checksum does not match its student, assignment and seed (the file was edited)".into());
        }
        if self.student != student.trim() {
            return Err(format!(
                "it is the file of student `{}`, not `{student}`",
                self.student
            ));
        }
        if self.assignment != assignment.trim() {
            return Err(format!(
                "it is for assignment `{}`, not `{assignment}`",
                self.assignment
            ));
        }
        if self.seed != assignment_seed(student, assignment) {
            return Err(format!(
                "it was worked with seed {:#x}, not this student's {:#x} (start the REPL with SVELAB_SEED from the sheet)",
                self.seed,
                assignment_seed(student, assignment)
            ));
        }
        Ok(())
    }
}

/// The grade of one exercise of a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseResult {
    /// `LESSON/EXERCISE`.
    pub exercise: String,
    /// Passed, failed, or not answered.
    pub outcome: Outcome,
    /// Answers checked by the student.
    pub attempts: u32,
    /// Hints used.
    pub hints_used: u32,
    /// The answer as one line (for the summary of common wrong answers).
    pub answer: String,
}

/// What happened to one exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The answer passes.
    Pass,
    /// It does not.
    Fail,
    /// No answer.
    Missing,
}

impl Outcome {
    /// `pass`, `fail`, `missing`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Missing => "missing",
        }
    }
}

/// Re-grades a submission with [`grade`] (the predicates of `:check`), on the student's
/// own variant. Call [`Submission::verify`] first.
pub fn grade_submission(course: &Course, a: &Assignment, s: &Submission) -> Vec<ExerciseResult> {
    let mut p = Progress::new(s.seed);
    a.exercises
        .iter()
        .filter_map(|k| {
            let (l, e) = course.exercise(k)?;
            let sub = s.answers.iter().find(|x| {
                &x.exercise == k
                    || course
                        .exercise(&x.exercise)
                        .is_some_and(|(l2, e2)| l2.id == l.id && e2.id == e.id)
            });
            let rec = p.exercises.entry(format!("{}/{}", l.id, e.id)).or_default();
            rec.variant = sub.map_or(0, |x| x.variant);
            let inst = p.instance(l, e);
            let (outcome, answer) = match sub.and_then(|x| x.answer.as_ref()) {
                None => (Outcome::Missing, String::new()),
                Some(ans) => {
                    let g = grade(&inst, ans);
                    (
                        if g.passed {
                            Outcome::Pass
                        } else {
                            Outcome::Fail
                        },
                        ans.summary()
                            .lines()
                            .map(str::trim)
                            .collect::<Vec<_>>()
                            .join(" / "),
                    )
                }
            };
            Some(ExerciseResult {
                exercise: k.clone(),
                outcome,
                attempts: sub.map_or(0, |x| x.attempts),
                hints_used: sub.map_or(0, |x| x.hints_used),
                answer,
            })
        })
        .collect()
}

/// The one-page summary of a class: per exercise, how many passed, and the most common
/// wrong answers (Markdown).
pub fn class_summary(
    a: &Assignment,
    results: &[(String, Vec<ExerciseResult>)],
    problems: &[String],
) -> String {
    let mut s = format!("# {} — results\n\n", a.name);
    s.push_str(&format!("{} submission(s) graded.\n\n", results.len()));
    for k in &a.exercises {
        let rs: Vec<&ExerciseResult> = results
            .iter()
            .flat_map(|(_, v)| v.iter().filter(|r| &r.exercise == k))
            .collect();
        let count = |o| rs.iter().filter(|r| r.outcome == o).count();
        s.push_str(&format!(
            "## {k}\n\n{} passed, {} failed, {} missing (of {}).\n\n",
            count(Outcome::Pass),
            count(Outcome::Fail),
            count(Outcome::Missing),
            rs.len()
        ));
        let mut wrong: BTreeMap<&str, usize> = BTreeMap::new();
        for r in rs.iter().filter(|r| r.outcome == Outcome::Fail) {
            *wrong.entry(r.answer.as_str()).or_default() += 1;
        }
        let mut wrong: Vec<(&str, usize)> = wrong.into_iter().collect();
        wrong.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        if !wrong.is_empty() {
            s.push_str("Most common wrong answers:\n\n");
            for (w, n) in wrong.iter().take(5) {
                let w: String = w.chars().take(120).collect();
                s.push_str(&format!("- {n} × `{}`\n", w.replace('`', "'")));
            }
            s.push('\n');
        }
    }
    if !problems.is_empty() {
        s.push_str("## Files not graded\n\n");
        for p in problems {
            s.push_str(&format!("- {p}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Course, Assignment) {
        let c = builtin_course();
        let a =
            Assignment::new(&c, "week1", &["1/zcr-len".into(), "first-sve-use/1".into()]).unwrap();
        (c, a)
    }

    #[test]
    fn seeds_are_per_student_and_assignment_and_stable() {
        assert_eq!(assignment_seed("ann", "w1"), assignment_seed(" ann ", "w1"));
        assert_ne!(assignment_seed("ann", "w1"), assignment_seed("bob", "w1"));
        assert_ne!(assignment_seed("ann", "w1"), assignment_seed("ann", "w2"));
        // Pinned: sheets printed today must match the grader of tomorrow.
        assert_eq!(
            assignment_seed("ann", "w1"),
            seed_from_text("svelab-class\0ann\0w1")
        );
    }

    #[test]
    fn assignments_name_existing_exercises() {
        let (c, a) = setup();
        let third = format!("3/{}", c.lesson("3").unwrap().exercises[0].id);
        assert_eq!(a.exercises, vec!["1/zcr-len".to_string(), third]);
        assert!(Assignment::new(&c, "w", &["9/x".into()])
            .unwrap_err()
            .contains("9/x"));
        assert!(Assignment::new(&c, "w", &[]).is_err());
        assert!(Assignment::new(&c, " ", &["1/1".into()]).is_err());
    }

    #[test]
    fn sheets_show_the_question_not_the_answer_and_the_key_has_it() {
        let (c, a) = setup();
        let s = Sheet::new(&c, &a, "ann", "Ann");
        let md = s.markdown();
        assert!(md.contains(&format!("SVELAB_SEED={:#x}", s.seed)), "{md}");
        let (_, inst) = &s.exercises[0];
        let Answer::Predict(v) = &inst.reference else {
            panic!()
        };
        assert!(md.contains("______"), "{md}");
        assert!(!md.contains(&format!("= `{}`", v[0])), "{md}");
        let key = answer_key(std::slice::from_ref(&s));
        assert!(key.contains(&format!("= `{}`", v[0])), "{key}");
        let html = s.html();
        assert!(html.contains("<title>week1 — Ann (ann)</title>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert_ne!(Sheet::new(&c, &a, "bob", "").markdown(), md);
    }

    #[test]
    fn submissions_are_bound_to_student_assignment_and_seed() {
        let (c, a) = setup();
        let mut p = a.progress("ann");
        let (l, e) = c.exercise("1/zcr-len").unwrap();
        let inst = p.instance(l, e);
        let g = grade(&inst, &inst.reference);
        p.record(&inst, &inst.reference, &g);
        let s = Submission::from_progress(&c, &p, "ann", &a, "9.9");
        assert_eq!(s.svelab_version, "9.9");
        assert!(s.verify("ann", "week1").is_ok());
        assert!(s.verify("bob", "week1").unwrap_err().contains("`ann`"));
        assert!(s.verify("ann", "week2").unwrap_err().contains("week2"));
        let mut edited = s.clone();
        edited.student = "bob".into();
        assert!(edited
            .verify("bob", "week1")
            .unwrap_err()
            .contains("checksum"));
        // Answers given to other numbers before joining are not handed in.
        let mut joined = Progress::new(3);
        let inst3 = joined.instance(l, e);
        joined.record(&inst3, &inst3.reference, &grade(&inst3, &inst3.reference));
        joined.seed = assignment_seed("ann", "week1");
        let s2 = Submission::from_progress(&c, &joined, "ann", &a, "9.9");
        assert!(s2.answers.iter().all(|x| x.answer.is_none()), "{s2:?}");
        // Worked with other numbers (e.g. without SVELAB_SEED): caught too.
        let other = Submission::from_progress(&c, &Progress::new(7), "ann", &a, "9.9");
        assert!(other.verify("ann", "week1").unwrap_err().contains("seed"));
        // Round trip, and the grades.
        let back = Submission::from_json(&s.to_json(), "f").unwrap();
        assert_eq!(back, s);
        let r = grade_submission(&c, &a, &back);
        assert_eq!(r[0].outcome, Outcome::Pass);
        assert_eq!(r[0].attempts, 1);
        assert_eq!(r[1].outcome, Outcome::Missing);
        let sum = class_summary(&a, &[("ann".into(), r)], &["x: bad".into()]);
        assert!(sum.contains("1 passed, 0 failed, 0 missing"), "{sum}");
        assert!(sum.contains("- x: bad"), "{sum}");
    }

    #[test]
    fn bad_files_get_one_clear_line() {
        let e = Submission::from_json("{", "s.json").unwrap_err();
        assert!(e.starts_with("s.json:1:") && e.contains("not JSON"), "{e}");
        let e = Submission::from_json("{\"a\": 1}", "s.json").unwrap_err();
        assert!(e.contains("no `format` field"), "{e}");
        let b = CourseBundle::pack("c", BUILTIN_FILES).unwrap();
        let e = Submission::from_json(&b.to_json(), "s.json").unwrap_err();
        assert!(
            e.contains("`svelab-course` file, not a `svelab-submission`"),
            "{e}"
        );
        let e = CourseBundle::from_json(
            &b.to_json().replace("\"version\":1", "\"version\":7"),
            "c.json",
        )
        .unwrap_err();
        assert!(e.contains("version 7"), "{e}");
        let back = CourseBundle::from_json(&b.to_json(), "c.json").unwrap();
        assert_eq!(back.course, builtin_course());
        let e = CourseBundle::from_json(
            &b.to_json().replace("\"lessons\":[", "\"lessons\":[1,"),
            "c.json",
        )
        .unwrap_err();
        assert!(e.contains("damaged") && !e.contains('\n'), "{e}");
        let broken: Vec<(&str, &str)> = BUILTIN_FILES
            .iter()
            .copied()
            .filter(|(p, _)| !p.ends_with("01-registers/lesson.md"))
            .collect();
        let e = CourseBundle::pack("c", &broken).unwrap_err();
        assert!(
            e.iter().any(|e| e.message.contains("missing lesson.md")),
            "{e:?}"
        );
    }
}
