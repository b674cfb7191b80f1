use super::*;

pub(super) const EXERCISE_KEYS: &[&str] = &[
    "id",
    "kind",
    "title",
    "question",
    "goal",
    "kernel",
    "kernels",
    "setup",
    "ask",
    "answer",
    "wrong",
    "choices",
    "starter",
    "check",
    "forbid",
    "reference",
    "explanation",
    "hints",
    "vars",
];

pub(super) fn parse_exercises(
    text: &str,
    path: &str,
    lesson: &str,
) -> Result<Vec<Exercise>, Vec<LessonError>> {
    let doc = match doc::parse(text) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![
                LessonError::new(path, e.line, e.message, e.hint).col(e.column)
            ])
        }
    };
    let mut errors = Vec::new();
    let mut out: Vec<Exercise> = Vec::new();
    for (k, item) in &doc.entries {
        if k != "exercise" {
            errors.push(
                LessonError::new(
                    path,
                    item.line,
                    format!("unknown key `{k}` at the top of the file"),
                    "the file is a list of `[[exercise]]` tables",
                )
                .col(item.column),
            );
        }
    }
    let tables: Vec<&doc::Table> = match doc.get("exercise") {
        Some(doc::Item {
            value: doc::Value::TableArray(ts),
            ..
        }) => ts.iter().collect(),
        Some(item) => {
            errors.push(
                LessonError::new(
                    path,
                    item.line,
                    "`exercise` must be a list of tables",
                    "start each exercise with a line `[[exercise]]`",
                )
                .col(item.column),
            );
            Vec::new()
        }
        None => Vec::new(),
    };
    for t in tables {
        match parse_exercise(t, path, lesson) {
            Ok(ex) => {
                if out.iter().any(|o| o.id == ex.id) {
                    errors.push(LessonError::new(
                        path,
                        ex.line,
                        format!("two exercises are called `{}`", ex.id),
                        "ids must be unique within a lesson",
                    ));
                }
                out.push(ex);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    let has = |k| out.iter().any(|e| e.kind == k);
    if errors.is_empty() && !(has(ExerciseKind::Predict) && has(ExerciseKind::Construct)) {
        errors.push(LessonError::new(
            path,
            1,
            "a lesson needs at least one `predict` and one `construct` exercise",
            "add the missing kind (see lessons/README.md)",
        ));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

pub(super) fn parse_exercise(
    t: &doc::Table,
    path: &str,
    lesson: &str,
) -> Result<Exercise, Vec<LessonError>> {
    let mut errors = Vec::new();
    let line = t.line;
    let err = |errors: &mut Vec<LessonError>, l: u32, m: String, h: &str| {
        errors.push(LessonError::new(path, l, m, h));
    };
    for (k, item) in &t.entries {
        if !EXERCISE_KEYS.contains(&k.as_str()) {
            let near = EXERCISE_KEYS
                .iter()
                .min_by_key(|c| crate::dsl::edit_distance(c, k))
                .copied()
                .unwrap_or("id");
            errors.push(
                LessonError::new(
                    path,
                    item.line,
                    format!("unknown key `{k}`"),
                    format!("did you mean `{near}`? keys: {}", EXERCISE_KEYS.join(", ")),
                )
                .col(item.column),
            );
        }
    }
    let string = |errors: &mut Vec<LessonError>, key: &str| -> Option<Tpl> {
        match t.get(key) {
            None => None,
            Some(doc::Item {
                value: doc::Value::Str(s),
                line,
                ..
            }) => Some(Tpl {
                text: s.clone(),
                line: *line,
            }),
            Some(doc::Item { line, .. }) => {
                err(
                    errors,
                    *line,
                    format!("`{key}` must be a string"),
                    "write it in quotes, or between \"\"\" for several lines",
                );
                None
            }
        }
    };
    let strings = |errors: &mut Vec<LessonError>, key: &str| -> Vec<Tpl> {
        match t.get(key) {
            None => Vec::new(),
            Some(doc::Item {
                value: doc::Value::Str(s),
                line,
                ..
            }) => vec![Tpl {
                text: s.clone(),
                line: *line,
            }],
            Some(doc::Item {
                value: doc::Value::Array(items),
                line,
                ..
            }) => {
                let mut v = Vec::new();
                for it in items {
                    match &it.value {
                        doc::Value::Str(s) => v.push(Tpl {
                            text: s.clone(),
                            line: it.line,
                        }),
                        doc::Value::Int(i) => v.push(Tpl {
                            text: i.to_string(),
                            line: it.line,
                        }),
                        _ => err(
                            errors,
                            it.line,
                            format!("`{key}` holds strings"),
                            "e.g. [\"0\", \"1\"]",
                        ),
                    }
                }
                if v.is_empty() {
                    err(
                        errors,
                        *line,
                        format!("`{key}` is empty"),
                        "give at least one",
                    );
                }
                v
            }
            Some(doc::Item {
                value: doc::Value::Int(i),
                line,
                ..
            }) => vec![Tpl {
                text: i.to_string(),
                line: *line,
            }],
            Some(doc::Item { line, .. }) => {
                err(
                    errors,
                    *line,
                    format!("`{key}` must be a string or a list of strings"),
                    "e.g. [\"0\", \"1\"]",
                );
                Vec::new()
            }
        }
    };
    let id = match t.get("id") {
        Some(doc::Item {
            value: doc::Value::Str(s),
            line,
            ..
        }) => {
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                err(
                    &mut errors,
                    *line,
                    format!("bad id `{s}`"),
                    "ids are lower-case letters, digits and dashes",
                );
            }
            s.clone()
        }
        _ => {
            err(
                &mut errors,
                line,
                "an exercise needs an `id`".into(),
                "e.g. id = \"two-traps\"",
            );
            String::new()
        }
    };
    let kind = match t.get("kind") {
        Some(doc::Item {
            value: doc::Value::Str(s),
            ..
        }) if s == "predict" => ExerciseKind::Predict,
        Some(doc::Item {
            value: doc::Value::Str(s),
            ..
        }) if s == "construct" => ExerciseKind::Construct,
        Some(item) => {
            err(
                &mut errors,
                item.line,
                "`kind` is \"predict\" or \"construct\"".into(),
                "see lessons/README.md",
            );
            ExerciseKind::Predict
        }
        None => {
            err(
                &mut errors,
                line,
                "an exercise needs a `kind`".into(),
                "kind = \"predict\" or kind = \"construct\"",
            );
            ExerciseKind::Predict
        }
    };
    let title = string(&mut errors, "title");
    let question = string(&mut errors, "question");
    let goal = string(&mut errors, "goal");
    let kernel = string(&mut errors, "kernel");
    let kernels = strings(&mut errors, "kernels");
    let setup = string(&mut errors, "setup");
    let ask = strings(&mut errors, "ask");
    let answer = strings(&mut errors, "answer");
    let choices = strings(&mut errors, "choices");
    let starter = string(&mut errors, "starter");
    let check = strings(&mut errors, "check");
    let reference = string(&mut errors, "reference");
    let explanation = string(&mut errors, "explanation");
    let hints = strings(&mut errors, "hints");
    let forbid = strings(&mut errors, "forbid");
    // `wrong` is a list of values (predict) or a script (construct).
    let (wrong, wrong_script) = match kind {
        ExerciseKind::Predict => (strings(&mut errors, "wrong"), None),
        ExerciseKind::Construct => (Vec::new(), string(&mut errors, "wrong")),
    };
    let need = |errors: &mut Vec<LessonError>, what: &str, ok: bool, hint: &str| {
        if !ok {
            err(
                errors,
                line,
                format!("a {} exercise needs `{what}`", kind.name()),
                hint,
            );
        }
    };
    let forbidden = |errors: &mut Vec<LessonError>, what: &str, present: bool| {
        if present {
            let l = t.get(what).map_or(line, |i| i.line);
            err(
                errors,
                l,
                format!("`{what}` does not belong in a {} exercise", kind.name()),
                "see lessons/README.md for the keys of each kind",
            );
        }
    };
    need(&mut errors, "title", title.is_some(), "title = \"…\"");
    need(
        &mut errors,
        "explanation",
        explanation.is_some(),
        "explanation = \"\"\"…\"\"\": why the answer is what it is, naming the kernel function",
    );
    need(
        &mut errors,
        "hints",
        !hints.is_empty(),
        "hints = [\"first nudge\", \"bigger nudge\"]",
    );
    let text = match kind {
        ExerciseKind::Predict => {
            need(
                &mut errors,
                "question",
                question.is_some(),
                "question = \"\"\"…\"\"\"",
            );
            need(
                &mut errors,
                "setup",
                setup.is_some(),
                "setup = \"\"\"a script\"\"\"",
            );
            need(
                &mut errors,
                "ask",
                !ask.is_empty(),
                "ask = \"cpu0.CPACR_EL1.ZEN_EL0EN\" (a DSL path)",
            );
            need(
                &mut errors,
                "answer",
                !answer.is_empty(),
                "answer = \"0\" (one value per blank)",
            );
            need(
                &mut errors,
                "wrong",
                !wrong.is_empty(),
                "wrong = \"1\" (an answer the grader must reject)",
            );
            for k in ["goal", "starter", "check", "reference", "forbid"] {
                forbidden(&mut errors, k, t.get(k).is_some());
            }
            if kernel.is_some() && !kernels.is_empty() {
                err(
                    &mut errors,
                    line,
                    "give `kernel` or `kernels`, not both".into(),
                    "`kernels` asks the question once per kernel",
                );
            }
            let blanks = ask.len() * kernels.len().max(1);
            for (what, v) in [("answer", &answer), ("wrong", &wrong)] {
                if !v.is_empty() && v.len() != blanks {
                    err(
                        &mut errors,
                        v[0].line,
                        format!("`{what}` has {} value(s) but the exercise has {blanks} blank(s)", v.len()),
                        "one value per kernel and per path asked, kernels first: for kernels [a, b] and ask [x, y]: a:x, a:y, b:x, b:y",
                    );
                }
            }
            question
        }
        ExerciseKind::Construct => {
            need(&mut errors, "goal", goal.is_some(), "goal = \"\"\"…\"\"\"");
            need(
                &mut errors,
                "check",
                !check.is_empty(),
                "check = [\"B.traps == 2\"] (conditions as in `expect`)",
            );
            need(
                &mut errors,
                "reference",
                reference.is_some(),
                "reference = \"\"\"a script that reaches the goal\"\"\"",
            );
            need(
                &mut errors,
                "wrong",
                wrong_script.is_some(),
                "wrong = \"\"\"a plausible script that misses the goal\"\"\"",
            );
            need(
                &mut errors,
                "kernel",
                kernel.is_some(),
                "kernel = \"v6.2\": the learner's script runs on it",
            );
            for k in ["question", "setup", "ask", "answer", "choices", "kernels"] {
                forbidden(&mut errors, k, t.get(k).is_some());
            }
            for c in &check {
                if c.text.contains("{{") {
                    continue;
                }
                if let Err(m) = check_predicate_syntax(&c.text) {
                    err(&mut errors, c.line, format!("check `{}`: {m}", c.text), "a check is an `expect` condition (`A.traps == 2`, `no-violations`, `violation B1`), `known-bug NAME`, or `count sve-op A >= 4` (statements executed)");
                }
            }
            goal
        }
    };
    let vars = match t.get("vars") {
        None => Vec::new(),
        Some(doc::Item {
            value: doc::Value::Table(vt),
            ..
        }) => parse_vars(vt, path, &mut errors),
        Some(item) => {
            err(
                &mut errors,
                item.line,
                "`vars` must be a table".into(),
                "write `[exercise.vars]` after the exercise, then `name = [choices]`",
            );
            Vec::new()
        }
    };
    // Every placeholder must name a variable; found now rather than at grading time.
    let mut ex = Exercise {
        lesson: lesson.to_string(),
        id,
        kind,
        file: path.to_string(),
        line,
        title: title.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        text: text.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        kernel,
        kernels,
        setup,
        ask,
        answer,
        wrong,
        choices,
        starter,
        check,
        forbid,
        reference,
        wrong_script,
        explanation: explanation.unwrap_or(Tpl {
            text: String::new(),
            line,
        }),
        hints,
        vars,
        md: ExerciseMd::default(),
    };
    ex.md = ExerciseMd::of(&ex.text.text, &ex.explanation.text, &ex.hints);
    if errors.is_empty() {
        let probe: Vec<(String, VarValue)> = ex
            .vars
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    match &v.domain {
                        Domain::Ints(x) => VarValue::Int(x[0]),
                        Domain::Range(a, _) => VarValue::Int(*a),
                        Domain::Strs(x) => VarValue::Str(x[0].clone()),
                    },
                )
            })
            .collect();
        for tpl in ex.templates() {
            if let Err(e) = render(&tpl.text, &probe) {
                let l = tpl.line
                    + tpl.text[..e.offset.min(tpl.text.len())]
                        .matches('\n')
                        .count() as u32;
                err(&mut errors, l, e.message, "placeholders are {{name}}, {{expression}} or {{name:hex}}, with names from [exercise.vars]");
            }
        }
        let k = |tpl: &Tpl, errors: &mut Vec<LessonError>| {
            if let Ok(s) = render(&tpl.text, &probe) {
                if Kernel::parse(s.trim()).is_err() {
                    err(
                        errors,
                        tpl.line,
                        format!("unknown kernel `{s}`"),
                        "kernels: v5.19-rc1, series-v1/p1 … series-v1/p7, series-v1, v5.19, v6.1, v6.2, v6.12",
                    );
                }
            }
        };
        if let Some(kt) = &ex.kernel {
            k(kt, &mut errors);
        }
        for kt in &ex.kernels {
            k(kt, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(ex)
    } else {
        Err(errors)
    }
}

pub(super) fn parse_vars(t: &doc::Table, path: &str, errors: &mut Vec<LessonError>) -> Vec<VarDef> {
    let mut out = Vec::new();
    for (name, item) in &t.entries {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || name.bytes().next().is_some_and(|b| b.is_ascii_digit())
        {
            errors.push(LessonError::new(
                path,
                item.line,
                format!("bad variable name `{name}`"),
                "letters, digits and _, not starting with a digit",
            ));
            continue;
        }
        let domain = match &item.value {
            doc::Value::Array(xs) if !xs.is_empty() => {
                if xs.iter().all(|x| matches!(x.value, doc::Value::Int(_))) {
                    Domain::Ints(
                        xs.iter()
                            .map(|x| match x.value {
                                doc::Value::Int(i) => i,
                                _ => 0,
                            })
                            .collect(),
                    )
                } else if xs.iter().all(|x| matches!(x.value, doc::Value::Str(_))) {
                    Domain::Strs(
                        xs.iter()
                            .map(|x| match &x.value {
                                doc::Value::Str(s) => s.clone(),
                                _ => String::new(),
                            })
                            .collect(),
                    )
                } else {
                    errors.push(LessonError::new(
                        path,
                        item.line,
                        format!("`{name}` mixes numbers and strings"),
                        "a variable is a list of numbers or a list of strings",
                    ));
                    continue;
                }
            }
            doc::Value::Table(r) => {
                let get = |k: &str| match r.get(k) {
                    Some(doc::Item {
                        value: doc::Value::Int(i),
                        ..
                    }) => Some(*i),
                    _ => None,
                };
                match (get("min"), get("max"), r.entries.len()) {
                    (Some(a), Some(b), 2) if a <= b => Domain::Range(a, b),
                    _ => {
                        errors.push(LessonError::new(
                            path,
                            item.line,
                            format!("`{name}`: a range is {{ min = A, max = B }} with A <= B"),
                            "e.g. n = { min = 2, max = 5 }",
                        ));
                        continue;
                    }
                }
            }
            _ => {
                errors.push(LessonError::new(
                    path,
                    item.line,
                    format!("`{name}` must be a list of choices or a range"),
                    "e.g. vl = [256, 512], task = [\"A\", \"T\"], n = { min = 2, max = 5 }",
                ));
                continue;
            }
        };
        out.push(VarDef {
            name: name.clone(),
            domain,
            line: item.line,
        });
    }
    out
}

pub(super) fn check_predicate_syntax(p: &str) -> Result<(), String> {
    let p = p.trim();
    if let Some(rest) = p.strip_prefix("count ") {
        return CountCheck::parse(rest).map(|_| ());
    }
    if let Some(name) = p.strip_prefix("known-bug ") {
        return match KnownBug::ALL.iter().find(|b| b.name() == name.trim()) {
            Some(_) => Ok(()),
            None => Err(format!(
                "unknown bug `{}`; known: {}",
                name.trim(),
                KnownBug::ALL
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
    }
    crate::dsl::parse_condition(p).map(|_| ()).map_err(|d| {
        d.first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "does not parse".into())
    })
}
