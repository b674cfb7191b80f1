//! Lessons and exercises in the REPL: `:lesson`, `:exercise`, `:hint`, `:check`, `:reveal`.

use super::*;

impl Repl {
    // -------------------------------------------------------------------------------
    // Lessons.

    /// Tells the user, once, that the progress file could not be read or written.
    pub(super) fn progress_problem(&mut self) {
        if let Some(p) = self.store.problem.take() {
            self.note(format!("({p})"));
        }
    }

    pub(super) fn save_progress(&mut self) {
        self.store.save();
        self.progress_problem();
    }

    pub(super) fn find_lesson(&self, q: &str) -> Option<&'static Lesson> {
        let l = course::course().lesson(q);
        if l.is_none() {
            let names: Vec<String> = course::course()
                .lessons
                .iter()
                .map(|l| format!("{} {}", l.number, l.id))
                .collect();
            self.error(
                format!("no lesson `{q}`"),
                format!("`:lesson` lists them: {}", names.join(", ")),
            );
        }
        l
    }

    pub(super) fn lesson(&mut self, c: LessonCmd) {
        match c {
            LessonCmd::List => {
                self.print(&course::lesson_list(
                    &self.store.progress,
                    self.st,
                    self.width(),
                ));
            }
            LessonCmd::Show(q) => {
                let Some(l) = self.find_lesson(&q) else {
                    return;
                };
                self.store.progress.open_lesson(l);
                self.save_progress();
                let page = course::lesson_page(l, &self.store.progress, self.st, self.width());
                self.print(&page);
            }
            LessonCmd::Load {
                lesson,
                script,
                run,
            } => {
                let Some(l) = self.find_lesson(&lesson) else {
                    return;
                };
                let Some(s) = course::find_script(l, &script) else {
                    let names: Vec<&str> = l
                        .scripts
                        .iter()
                        .map(|s| course::script_stem(&s.name))
                        .collect();
                    self.error(
                        format!("lesson {} has no script `{script}`", l.number),
                        format!("its scripts: {}", names.join(", ")),
                    );
                    return;
                };
                if self.store.progress.current_lesson.as_deref() != Some(l.id.as_str()) {
                    self.store.progress.open_lesson(l);
                    self.save_progress();
                }
                self.print(&format!(
                    "{} {}\n",
                    self.st.green(&s.label),
                    self.st.dim(format!("({})", s.path))
                ));
                self.load_source(&s.source, &s.name, None, run);
            }
        }
    }

    /// Finds an exercise: `3/2`, `3/two-traps`, `next`, or an id or number in the current
    /// lesson. Reports the error itself.
    pub(super) fn find_exercise(&self, q: &str) -> Option<(&'static Lesson, &'static Exercise)> {
        let c = course::course();
        if q == "next" {
            let n = c.exercises().find(|(l, e)| {
                !self.store.progress.passed(&l.id, &e.id)
                    && self.current.as_ref() != Some(&(l.id.clone(), e.id.clone()))
            });
            if n.is_none() {
                self.note("every exercise is passed!");
            }
            return n;
        }
        let found = if q.contains('/') {
            c.exercise(q)
        } else {
            let lesson = self
                .current
                .as_ref()
                .map(|(l, _)| l.as_str())
                .or(self.store.progress.current_lesson.as_deref())
                .and_then(|l| c.lesson(l));
            lesson.and_then(|l| c.exercise(&format!("{}/{q}", l.id)))
        };
        if found.is_none() {
            self.error(
                format!("no exercise `{q}`"),
                "name it LESSON/EXERCISE: `:exercise 3/2`, `:exercise 3/two-traps` (Tab completes)",
            );
        }
        found
    }

    pub(super) fn current_exercise(&self) -> Option<(&'static Lesson, &'static Exercise)> {
        let (l, e) = self.current.as_ref()?;
        course::course().exercise(&format!("{l}/{e}"))
    }

    /// The current exercise, or an error saying how to choose one.
    pub(super) fn need_exercise(&self) -> Option<(&'static Lesson, &'static Exercise)> {
        let x = self.current_exercise();
        if x.is_none() {
            self.error(
                "no exercise chosen yet",
                "`:exercise` shows the next one; `:exercise 1/1` a given one",
            );
        }
        x
    }

    pub(super) fn exercise(&mut self, which: Option<&str>, load: bool) {
        let found = match which {
            Some(q) => self.find_exercise(q),
            None => self.current_exercise().or_else(|| {
                // The next one not passed, in the current lesson first.
                let c = course::course();
                let p = &self.store.progress;
                let in_lesson = p.current_lesson.as_deref().and_then(|id| {
                    c.lesson(id).and_then(|l| {
                        l.exercises
                            .iter()
                            .find(|e| !p.passed(&l.id, &e.id))
                            .map(|e| (l, e))
                    })
                });
                let n = in_lesson.or_else(|| p.next_exercise(c));
                if n.is_none() {
                    self.note("every exercise is passed! `:exercise 1/1` shows one again");
                }
                n
            }),
        };
        let Some((l, e)) = found else { return };
        self.current = Some((l.id.clone(), e.id.clone()));
        if self.store.progress.current_lesson.as_deref() != Some(l.id.as_str()) {
            self.store.progress.open_lesson(l);
            self.save_progress();
        }
        let inst = self.store.progress.instance(l, e);
        if load {
            let (src, what) = match inst.kind {
                ExerciseKind::Construct => (inst.starter.clone().unwrap_or_default(), "starter"),
                ExerciseKind::Predict => (inst.setup.clone().unwrap_or_default(), "setup"),
            };
            let name = format!("the {what} of {}", course::short_key(l, e));
            // A starter is where the learner goes on typing: run it to its end. A setup is
            // there to be stepped through.
            let construct = inst.kind == ExerciseKind::Construct;
            self.load_source(&src, &name, inst.kernel, construct);
            if construct {
                self.note(
                    "type statements to go on from here; `:list` shows the program, `:check` \
                     grades it",
                );
            }
            return;
        }
        let page = course::exercise_page(l, e, &inst, &self.store.progress, self.st, self.width());
        self.print(&page);
    }

    pub(super) fn hint(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let total = inst.hints.len();
        let shown = self.store.progress.revealed_hints(&inst).len();
        match self.store.progress.reveal_hint(&inst) {
            Some(h) => {
                let text = course::hint_text(shown + 1, total, h, self.st, self.width());
                self.save_progress();
                self.print(&text);
            }
            None => {
                self.note(format!(
                    "no more hints ({total} shown; `:exercise` lists them). `:reveal` shows the answer after a `:check`."
                ));
            }
        }
    }

    pub(super) fn check(&mut self, answer: Option<&str>) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let key = course::short_key(l, e);
        let (ans, script) = match inst.kind {
            ExerciseKind::Predict => {
                let Some(text) = answer else {
                    self.error(
                        format!("exercise {key} asks for {} value(s)", inst.blanks.len()),
                        "type them after `:check`, in order: e.g. `:check 0, ones`",
                    );
                    return;
                };
                let a = Answer::predict_from_text(text);
                if let Answer::Predict(v) = &a {
                    if v.len() != inst.blanks.len() {
                        let labels: Vec<&str> =
                            inst.blanks.iter().map(|b| b.label.as_str()).collect();
                        self.error(
                            format!(
                                "{} value(s) given; exercise {key} has {} blank(s)",
                                v.len(),
                                inst.blanks.len()
                            ),
                            format!("one value each, in order: {}", labels.join(", ")),
                        );
                        return;
                    }
                }
                (a, None)
            }
            ExerciseKind::Construct => {
                if answer.is_some() {
                    self.error(
                        format!("exercise {key} is graded on a script, not on values"),
                        "build the script in the session (type statements, or `:exercise load` \
                         for the starter), then `:check` alone",
                    );
                    return;
                }
                let src = self.session.source().to_string();
                if src.trim().is_empty() {
                    self.error(
                        "the session has no program to grade",
                        "`:exercise load` loads the starter; type statements; then `:check`",
                    );
                    return;
                }
                if let Some(k) = inst.kernel {
                    if k != self.kernel() {
                        self.note(format!(
                            "(graded on {}, the exercise's kernel; this session runs {})",
                            k.name(),
                            self.kernel().name()
                        ));
                    }
                }
                (Answer::Script(src.clone()), Some(src))
            }
        };
        let g = grade(&inst, &ans);
        self.store.progress.record(&inst, &ans, &g);
        self.save_progress();
        // A wrong prediction shows no values until `:reveal` or the last try.
        let shown = self.store.progress.feedback(&inst, &g);
        let mut out = course::grade_text(&inst, &shown, script.as_deref(), self.st, self.width());
        let next = if g.passed {
            let c = course::course();
            let p = &self.store.progress;
            match c.exercises().find(|(nl, ne)| !p.passed(&nl.id, &ne.id)) {
                Some((nl, ne)) => {
                    format!("`:exercise next` goes on to {}", course::short_key(nl, ne))
                }
                None => "every exercise of the course is passed!".into(),
            }
        } else if inst.kind == ExerciseKind::Predict {
            course::predict_retry_note(&inst, &self.store.progress)
        } else {
            let shown = self.store.progress.revealed_hints(&inst).len();
            if shown < inst.hints.len() {
                format!(
                    "`:hint` gives a hint ({shown} of {} shown); `:reveal` shows the answer",
                    inst.hints.len()
                )
            } else {
                "`:reveal` shows the answer and why".into()
            }
        };
        for l in display::wrap(&next, self.width().saturating_sub(2)) {
            out.push_str(&format!("{}\n", self.st.dim(l)));
        }
        self.print(&out);
    }

    pub(super) fn reveal(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        let inst = self.store.progress.instance(l, e);
        let tried = self
            .store
            .progress
            .exercises
            .get(&inst.key)
            .is_some_and(|x| x.attempts > 0);
        if !tried {
            self.note(format!(
                "try it first: `:check` an answer to {} (`:hint` helps); `:reveal` works after that",
                course::short_key(l, e)
            ));
            return;
        }
        self.store.progress.reveal(&inst);
        self.save_progress();
        self.print(&course::reveal_text(&inst, self.st, self.width()));
    }

    pub(super) fn variant(&mut self) {
        let Some((l, e)) = self.need_exercise() else {
            return;
        };
        self.store.progress.new_variant(&l.id, &e.id);
        self.save_progress();
        self.note("new numbers (hints hidden again):");
        let inst = self.store.progress.instance(l, e);
        let page = course::exercise_page(l, e, &inst, &self.store.progress, self.st, self.width());
        self.print(&page);
    }
}
