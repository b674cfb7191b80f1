use super::*;

/// What one run of a script produced.
pub(super) struct Run {
    pub(super) session: Session,
    pub(super) parse_errors: Vec<Diagnostic>,
    pub(super) step_error: Option<Diagnostic>,
    pub(super) budget_exhausted: bool,
    pub(super) failed_expects: Vec<(u32, String, String)>,
    pub(super) violations: Vec<Violation>,
    /// The text of every statement executed, in order (for `count` checks).
    pub(super) executed: Vec<String>,
}

pub(super) fn run_script(source: &str, kernel: Option<Kernel>, budget: u64) -> Run {
    let mut session = Session::new(SessionOptions {
        kernel,
        ..SessionOptions::default()
    });
    let parse_errors: Vec<Diagnostic> = session
        .load(source)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let mut run = Run {
        session,
        parse_errors,
        step_error: None,
        budget_exhausted: false,
        failed_expects: Vec::new(),
        violations: Vec::new(),
        executed: Vec::new(),
    };
    if !run.parse_errors.is_empty() {
        return run;
    }
    let opts = RunOptions {
        budget,
        stop_on_expect_failure: false,
        breakpoints: false,
    };
    let mut failed = Vec::new();
    let mut violations = Vec::new();
    let mut executed = Vec::new();
    let summary = run.session.run_with(&opts, &mut |r| {
        executed.push(r.text.clone());
        if let StepOutcome::Expect(c) = &r.outcome {
            if !c.passed {
                failed.push((r.line, r.text.clone(), c.actual.clone()));
            }
        }
        violations.extend(r.violations.iter().cloned());
    });
    run.failed_expects = failed;
    run.violations = violations;
    run.executed = executed;
    match summary.stop {
        StopReason::Error => run.step_error = summary.last.and_then(|r| r.error),
        StopReason::Budget => run.budget_exhausted = true,
        _ => {}
    }
    run
}

impl Run {
    /// The violation codes seen during the run, for `no-violations` / `violation X`.
    pub(super) fn codes(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for x in &self.violations {
            let c = x.rule.code().to_string();
            if !v.contains(&c) {
                v.push(c);
            }
        }
        v
    }

    /// Evaluates a predicate on the final state: `(passed, what was found)`.
    pub(super) fn predicate(&self, p: &str) -> Result<(bool, String), String> {
        let p = p.trim();
        let m = self.session.machine();
        if let Some(rest) = p.strip_prefix("count ") {
            return Ok(CountCheck::parse(rest)?.eval(&self.executed));
        }
        if let Some(name) = p.strip_prefix("known-bug ") {
            let name = name.trim();
            let bug = KnownBug::ALL
                .iter()
                .find(|b| b.name() == name)
                .ok_or_else(|| format!("unknown bug `{name}`"))?;
            let k = m.kernel();
            let found: Vec<&'static str> = self
                .violations
                .iter()
                .filter_map(|v| KnownBug::explain(k, v))
                .map(|b| b.name())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let passed = found.contains(&bug.name());
            return Ok((
                passed,
                if found.is_empty() {
                    format!("no violation was attributed to a known bug on {}", k.name())
                } else {
                    format!("bugs found on {}: {}", k.name(), found.join(", "))
                },
            ));
        }
        let cond = crate::dsl::parse_condition(p).map_err(|d| {
            d.first()
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "does not parse".into())
        })?;
        let r = crate::dsl::eval::eval_condition(m, &cond, &self.codes())
            .map_err(|e| format!("{} ({})", e.message, e.hint))?;
        Ok((r.passed, r.actual))
    }
}

pub(super) fn lhs_of(p: &str) -> &str {
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some((l, _)) = p.split_once(op) {
            return l.trim();
        }
    }
    p.trim()
}

// =======================================================================================
// Grading

/// Grades an answer. Predict: each value is compared with the model's value of the blank's
/// path after the setup (the DSL's comparison: `0x10` = `16`, `fill(0xaa)`, `sve` =
/// `FP_STATE_SVE`, `null` = `none`; `yes`/`no`/`true`/`false` are 1/0). Construct: the
/// script runs on the exercise's kernel and every predicate must hold at the end.
pub fn grade(inst: &ExerciseInstance, answer: &Answer) -> Grade {
    match (inst.kind, answer) {
        (ExerciseKind::Predict, Answer::Predict(values)) => grade_predict(inst, values),
        (ExerciseKind::Construct, Answer::Script(s)) => grade_construct(inst, s),
        (ExerciseKind::Predict, Answer::Script(_)) => Grade {
            passed: false,
            summary: format!(
                "This exercise asks for {} value(s), not a script.",
                inst.blanks.len()
            ),
            checks: Vec::new(),
            explanation: None,
            diagnostics: Vec::new(),
        },
        (ExerciseKind::Construct, Answer::Predict(_)) => Grade {
            passed: false,
            summary: "This exercise asks for a script.".into(),
            checks: Vec::new(),
            explanation: None,
            diagnostics: Vec::new(),
        },
    }
}

pub(super) fn normalise_answer(a: &str) -> String {
    let t = a.trim().trim_end_matches('.').trim();
    match t.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "on" | "set" | "enabled" => "1".into(),
        "no" | "n" | "false" | "off" | "clear" | "cleared" | "disabled" => "0".into(),
        _ => t.to_string(),
    }
}

/// The model's value of each blank: `Ok(value)` or why it could not be computed.
pub(super) fn truths(inst: &ExerciseInstance) -> Vec<Result<(Run, String), String>> {
    let setup = inst.setup.clone().unwrap_or_default();
    inst.blanks
        .iter()
        .map(|b| {
            let run = run_script(&setup, b.kernel, SCRIPT_BUDGET);
            if let Some(d) = run.parse_errors.first().or(run.step_error.as_ref()) {
                return Err(format!("the setup fails at line {}: {}", d.line, d.message));
            }
            let v = run.session.eval(&b.path).map_err(|d| {
                d.first()
                    .map(|d| format!("cannot read `{}`: {} ({})", b.path, d.message, d.hint))
                    .unwrap_or_default()
            })?;
            Ok((run, v))
        })
        .collect()
}

pub(super) fn compare_answer(run: &Run, path: &str, given: &str) -> Result<bool, String> {
    let g = normalise_answer(given);
    if g.is_empty() {
        return Ok(false);
    }
    if g.contains(['\n', ';', '#', ' ']) {
        return Err("an answer is one value".into());
    }
    // A dotted word would be read as a path into the model (the question itself would
    // "answer" it); only kernel names may contain a dot.
    if g.contains('.') && Kernel::parse(&g).is_err() {
        return Err("an answer is a value, not a path".into());
    }
    run.predicate(&format!("{path} == {g}")).map(|(p, _)| p)
}

pub(super) fn grade_predict(inst: &ExerciseInstance, values: &[String]) -> Grade {
    let mut checks = Vec::new();
    let mut all = true;
    for (i, (b, truth)) in inst.blanks.iter().zip(truths(inst)).enumerate() {
        let given = values
            .get(i)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let (passed, detail) = match truth {
            Err(e) => (false, format!("the exercise is broken: {e}")),
            Ok((run, truth)) => match compare_answer(&run, &b.path, &given) {
                _ if given.is_empty() => (false, format!("no answer; the model says {truth}")),
                Ok(true) => (true, format!("you said {given}; the model says {truth}")),
                Ok(false) => (false, format!("you said {given}; the model says {truth}")),
                Err(e) => (
                    false,
                    format!("your answer `{given}` is not a value I can compare ({e}); the model says {truth}. Answers are numbers (0, 3, 0x1f), names (sve, fpsimd, A, null) or register values (fill(0xaa), ones, 0)"),
                ),
            },
        };
        all &= passed;
        checks.push(CheckResult {
            label: b.label.clone(),
            passed,
            detail,
        });
    }
    let wrong = checks.iter().filter(|c| !c.passed).count();
    Grade {
        passed: all && !checks.is_empty(),
        summary: if all {
            "Correct.".into()
        } else if checks.len() == 1 {
            "Not quite.".into()
        } else {
            format!(
                "Not quite: {wrong} of {} blanks differ from the model.",
                checks.len()
            )
        },
        checks,
        explanation: Some(inst.explanation.clone()),
        diagnostics: Vec::new(),
    }
}

/// The statements of `script` that use a forbidden keyword: `(line, keyword)`.
pub(super) fn forbidden_uses(script: &str, forbid: &[String]) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, line) in script.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("");
        for stmt in code.split(['\n', ';', '{', '}']) {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            for f in forbid {
                let fw: Vec<&str> = f.split_whitespace().collect();
                if !fw.is_empty() && words.windows(fw.len()).any(|w| w == fw.as_slice()) {
                    out.push((i as u32 + 1, f.clone()));
                }
            }
        }
    }
    out
}

pub(super) fn grade_construct(inst: &ExerciseInstance, script: &str) -> Grade {
    let fail = |summary: String, diagnostics: Vec<Diagnostic>| Grade {
        passed: false,
        summary,
        checks: Vec::new(),
        explanation: None,
        diagnostics,
    };
    if let Some((line, word)) = forbidden_uses(script, &inst.forbid).first() {
        return fail(
            format!(
                "Line {line} uses `{word}`, which this exercise does not allow ({}).",
                inst.forbid.join(", ")
            ),
            Vec::new(),
        );
    }
    let run = run_script(script, inst.kernel, GRADE_BUDGET);
    if !run.parse_errors.is_empty() {
        return fail(
            format!(
                "Your script does not parse ({} error(s)); fix it and check again.",
                run.parse_errors.len()
            ),
            run.parse_errors,
        );
    }
    if let Some(d) = run.step_error.clone() {
        return fail(
            format!("Your script stops at line {}: {}", d.line, d.message),
            vec![d],
        );
    }
    if run.budget_exhausted {
        return fail(
            format!("Your script runs more than {GRADE_BUDGET} steps; use smaller repeat counts."),
            Vec::new(),
        );
    }
    let mut checks = Vec::new();
    for p in &inst.checks {
        let (passed, detail) = match run.predicate(p) {
            Ok((passed, actual)) => (
                passed,
                if p.starts_with("known-bug ")
                    || p.starts_with("count ")
                    || matches!(p.trim(), "no-violations")
                    || p.trim().starts_with("violation ")
                {
                    actual
                } else {
                    format!("{} is {actual}", lhs_of(p))
                },
            ),
            Err(e) => (false, e),
        };
        checks.push(CheckResult {
            label: p.clone(),
            passed,
            detail,
        });
    }
    let passed = checks.iter().all(|c| c.passed);
    let n_bad = checks.iter().filter(|c| !c.passed).count();
    Grade {
        passed,
        summary: if passed {
            "Goal reached.".into()
        } else {
            format!("Not yet: {n_bad} of {} check(s) fail.", checks.len())
        },
        checks,
        explanation: passed.then(|| inst.explanation.clone()),
        diagnostics: Vec::new(),
    }
}
