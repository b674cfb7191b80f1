use super::*;

/// What [`author_check`] did and found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorReport {
    /// Lessons read.
    pub lessons: usize,
    /// Scripts run.
    pub scripts: usize,
    /// Exercises checked.
    pub exercises: usize,
    /// Exercise instances (exercise × seed) checked.
    pub variants: usize,
    /// Every problem, with file and line.
    pub errors: Vec<LessonError>,
}

impl AuthorReport {
    /// No problems?
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The author check (`cargo xtask lessons`): reads the course, runs every script (no parse or
/// step error, every `expect` passes), and for every exercise and the seeds
/// `0..AUTHOR_CHECK_SEEDS` checks that the reference answer passes and the wrong answer
/// fails. Errors point into the lesson files.
pub fn author_check<P: AsRef<str>, T: AsRef<str>>(files: &[(P, T)]) -> AuthorReport {
    let mut rep = AuthorReport::default();
    let course = match Course::parse(files) {
        Ok(c) => c,
        Err(e) => {
            rep.errors = e;
            return rep;
        }
    };
    rep.lessons = course.lessons.len();
    for l in &course.lessons {
        for (line, snippet) in &l.snippets {
            let (_, diags) = crate::dsl::parse(snippet);
            for d in diags.iter().filter(|d| d.severity == Severity::Error) {
                rep.errors.push(LessonError::new(
                    &l.lesson_path(),
                    line + d.line - 1,
                    format!("svl snippet: {}", d.message),
                    d.hint.clone(),
                ));
            }
        }
        for s in &l.scripts {
            rep.scripts += 1;
            check_script(&s.path, &s.source, 1, None, &mut rep.errors);
        }
        for ex in &l.exercises {
            rep.exercises += 1;
            let mut seen = BTreeSet::new();
            for seed in 0..AUTHOR_CHECK_SEEDS {
                let inst = ex.variant(seed);
                if !seen.insert(inst.vars.clone()) {
                    continue;
                }
                rep.variants += 1;
                let before = rep.errors.len();
                check_instance(&inst, &mut rep.errors);
                if rep.errors.len() > before {
                    break; // one failing variant per exercise is enough to read
                }
            }
        }
    }
    fill_columns(&mut rep.errors, files);
    rep
}

pub(super) fn vars_note(inst: &ExerciseInstance) -> String {
    if inst.vars.is_empty() {
        String::new()
    } else {
        format!(
            " [variant {}: {}]",
            inst.seed,
            inst.vars
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

/// Runs a script as the author check does; errors at `file`, lines offset by `first_line - 1`.
pub(super) fn check_script(
    file: &str,
    source: &str,
    first_line: u32,
    kernel: Option<Kernel>,
    errors: &mut Vec<LessonError>,
) -> bool {
    let at = |l: u32| first_line + l.max(1) - 1;
    let run = run_script(source, kernel, SCRIPT_BUDGET);
    let n = errors.len();
    for d in &run.parse_errors {
        errors.push(LessonError::new(
            file,
            at(d.line),
            d.message.clone(),
            d.hint.clone(),
        ));
    }
    if let Some(d) = &run.step_error {
        errors.push(LessonError::new(
            file,
            at(d.line),
            format!("step error: {}", d.message),
            d.hint.clone(),
        ));
    }
    if run.budget_exhausted {
        errors.push(LessonError::new(
            file,
            first_line,
            format!("the script runs more than {SCRIPT_BUDGET} steps"),
            "use smaller repeat counts",
        ));
    }
    for (line, text, actual) in &run.failed_expects {
        errors.push(LessonError::new(file, at(*line), format!("`{text}` fails (actual {actual})"), "the model disagrees with the script: fix the expectation (and the prose that relies on it)"));
    }
    errors.len() == n
}

pub(super) fn check_instance(inst: &ExerciseInstance, errors: &mut Vec<LessonError>) {
    let file = inst.lines.file.clone();
    let note = vars_note(inst);
    let push = |errors: &mut Vec<LessonError>, line: u32, m: String, h: &str| {
        errors.push(LessonError::new(&file, line, format!("{m}{note}"), h));
    };
    // The Markdown blocks a front end shows without a Markdown parser must be those of the
    // filled-in text.
    let md_pairs = [
        ("question or goal", &inst.text, &inst.text_md),
        ("explanation", &inst.explanation, &inst.explanation_md),
    ];
    let hints = inst
        .hints
        .iter()
        .zip(&inst.hints_md)
        .map(|(h, m)| ("hint", h, m));
    for (what, text, md) in md_pairs.into_iter().chain(hints) {
        if render_markdown(text) != *md {
            push(
                errors,
                inst.lines.exercise,
                format!("the {what}'s Markdown changes with the values drawn"),
                "a value drawn must not hold Markdown syntax (`*`, `_`, backticks) next to the text around its placeholder",
            );
        }
    }
    match inst.kind {
        ExerciseKind::Predict => {
            let setup = inst.setup.clone().unwrap_or_default();
            let mut kernels: Vec<Option<Kernel>> = inst.blanks.iter().map(|b| b.kernel).collect();
            kernels.dedup();
            for k in kernels {
                let n = errors.len();
                check_script(&file, &setup, inst.lines.setup, k, errors);
                if errors.len() > n {
                    let kn = k.map_or("its own kernel".to_string(), |k| k.name());
                    for e in &mut errors[n..] {
                        e.message = format!("setup on {kn}: {}{note}", e.message);
                    }
                    return;
                }
            }
            let ts = truths(inst);
            let ask_line = |i: usize| {
                inst.lines
                    .ask
                    .get(i)
                    .copied()
                    .unwrap_or(inst.lines.exercise)
            };
            for (i, t) in ts.iter().enumerate() {
                if let Err(e) = t {
                    push(
                        errors,
                        ask_line(i),
                        e.clone(),
                        "`ask` is a DSL path, as on the left of an `expect`",
                    );
                }
            }
            if ts.iter().any(Result::is_err) {
                return;
            }
            let Answer::Predict(reference) = &inst.reference else {
                return;
            };
            let Answer::Predict(wrong) = &inst.wrong else {
                return;
            };
            let g = grade(inst, &inst.reference);
            for (i, c) in g.checks.iter().enumerate() {
                if !c.passed {
                    let line = inst
                        .lines
                        .answer
                        .get(i)
                        .or(inst.lines.answer.first())
                        .copied()
                        .unwrap_or(inst.lines.exercise);
                    push(errors, line, format!("`answer` for {}: {}", c.label, c.detail), "the model disagrees with the author: fix `answer` (and the explanation that relies on it)");
                }
            }
            let gw = grade(inst, &inst.wrong);
            if gw.passed {
                let line = inst
                    .lines
                    .wrong
                    .first()
                    .copied()
                    .unwrap_or(inst.lines.exercise);
                push(
                    errors,
                    line,
                    format!("`wrong` ({}) is accepted by the grader", wrong.join(", ")),
                    "give an answer that differs from the model in at least one blank",
                );
            }
            if !inst.choices.is_empty() {
                for (i, (b, t)) in inst.blanks.iter().zip(&ts).enumerate() {
                    if let Ok((run, _)) = t {
                        let any = inst
                            .choices
                            .iter()
                            .any(|c| compare_answer(run, &b.path, c).unwrap_or(false));
                        if !any {
                            push(errors, inst.lines.choices, format!("none of the choices matches the model's value for {} (answer {})", b.label, reference.get(i).cloned().unwrap_or_default()), "add the right value to `choices`");
                        }
                    }
                }
            }
        }
        ExerciseKind::Construct => {
            if let Some(st) = &inst.starter {
                let n = errors.len();
                check_script(&file, st, inst.lines.starter, inst.kernel, errors);
                for e in &mut errors[n..] {
                    e.message = format!("starter: {}{note}", e.message);
                }
            }
            let g = grade(inst, &inst.reference);
            if !g.passed {
                let n = errors.len();
                for d in &g.diagnostics {
                    push(
                        errors,
                        inst.lines.reference + d.line - 1,
                        format!("reference: {}", d.message),
                        &d.hint,
                    );
                }
                for (i, c) in g.checks.iter().enumerate() {
                    if !c.passed {
                        let line = inst
                            .lines
                            .check
                            .get(i)
                            .copied()
                            .unwrap_or(inst.lines.exercise);
                        push(
                            errors,
                            line,
                            format!("the reference fails `{}`: {}", c.label, c.detail),
                            "fix the reference script or the check",
                        );
                    }
                }
                if errors.len() == n {
                    push(
                        errors,
                        inst.lines.reference,
                        format!("the reference does not pass: {}", g.summary),
                        "",
                    );
                }
            }
            let gw = grade(inst, &inst.wrong);
            if gw.passed {
                push(
                    errors,
                    inst.lines.wrong_script,
                    "the `wrong` script passes every check".into(),
                    "make it miss the goal (the author check proves the grader can fail)",
                );
            }
        }
    }
}
