use super::*;

/// One exercise's record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseProgress {
    /// Answers checked.
    pub attempts: u32,
    /// Passed at least once.
    pub passed: bool,
    /// Hints revealed so far.
    pub hints_revealed: u32,
    /// Which variant the student is on (0 = the first; [`Progress::new_variant`] counts up).
    pub variant: u32,
    /// The last answer checked (a predict's values joined with `, `, or the script).
    pub last_answer: Option<String>,
    /// The student asked for the answer (`:reveal`), or used up [`REVEAL_AFTER`] tries.
    #[serde(default)]
    pub revealed: bool,
    /// Answers checked on the current variant (what [`REVEAL_AFTER`] counts).
    #[serde(default)]
    pub tries: u32,
    /// The seed of the instance `last_answer` answered (another seed: other numbers).
    #[serde(default)]
    pub answer_seed: Option<u64>,
}

/// Wrong predictions after which the answer is shown without being asked for: before that,
/// a wrong prediction says which blanks are wrong and offers a hint and another try.
pub const REVEAL_AFTER: u32 = 3;

/// A student's progress through a course. The front ends persist it: the REPL in a file,
/// the playground in browser storage ([`Progress::to_json`], [`Progress::from_json`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The student's seed: their numbers differ from other students' (the front end draws it
    /// once, e.g. from the clock or `crypto.getRandomValues`, or [`seed_from_text`]).
    pub seed: u64,
    /// The lesson the student is on (its id).
    pub current_lesson: Option<String>,
    /// Lessons opened (ids).
    pub lessons_seen: BTreeSet<String>,
    /// Per exercise, by `lesson-id/exercise-id`.
    pub exercises: BTreeMap<String, ExerciseProgress>,
}

/// A lesson's completion, for a course overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonStatus {
    /// Number.
    pub number: u32,
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Opened at least once.
    pub seen: bool,
    /// Exercises passed.
    pub passed: usize,
    /// Exercises in the lesson.
    pub total: usize,
}

impl Progress {
    /// A fresh record for a student with this seed.
    pub fn new(seed: u64) -> Progress {
        Progress {
            seed,
            ..Progress::default()
        }
    }

    /// The seed of this student's variant of an exercise.
    pub fn seed_for(&self, lesson: &str, exercise: &str) -> u64 {
        let key = format!("{lesson}/{exercise}");
        let variant = self.exercises.get(&key).map_or(0, |e| e.variant);
        let mut r = Rng(self.seed
            ^ fnv1a(key.as_bytes()).rotate_left(17)
            ^ u64::from(variant).wrapping_mul(0x2545_f491_4f6c_dd1d));
        r.next()
    }

    /// This student's instance of an exercise.
    pub fn instance(&self, lesson: &Lesson, exercise: &Exercise) -> ExerciseInstance {
        exercise.variant(self.seed_for(&lesson.id, &exercise.id))
    }

    /// Opens a lesson (it becomes the current one).
    pub fn open_lesson(&mut self, lesson: &Lesson) {
        self.current_lesson = Some(lesson.id.clone());
        self.lessons_seen.insert(lesson.id.clone());
    }

    /// Records a graded answer.
    pub fn record(&mut self, inst: &ExerciseInstance, answer: &Answer, grade: &Grade) {
        let e = self.exercises.entry(inst.key.clone()).or_default();
        e.attempts += 1;
        e.tries += 1;
        e.passed |= grade.passed;
        e.last_answer = Some(answer.summary());
        e.answer_seed = Some(inst.seed);
    }

    /// What a front end shows for a graded answer. A passed answer, a construct exercise
    /// (its checks describe the learner's own run), or a prediction after [`Progress::reveal`]
    /// or [`REVEAL_AFTER`] checked answers: the grade as it is. Otherwise a wrong
    /// prediction says which blanks are right and which are not, without the model's
    /// values or the explanation, and offers a hint and another try. Call it after
    /// [`Progress::record`].
    pub fn feedback(&self, inst: &ExerciseInstance, grade: &Grade) -> Grade {
        let e = self.exercises.get(&inst.key);
        let attempts = e.map_or(0, |e| e.tries);
        if grade.passed
            || inst.kind != ExerciseKind::Predict
            || self.revealed(inst)
            || attempts >= REVEAL_AFTER
        {
            return grade.clone();
        }
        let hints_left = inst.hints.len() as u32
            - e.map_or(0, |e| e.hints_revealed)
                .min(inst.hints.len() as u32);
        let tries_left = REVEAL_AFTER - attempts;
        let wrong = grade.checks.iter().filter(|c| !c.passed).count();
        let mut summary = if grade.checks.len() > 1 {
            format!(
                "Not quite: {wrong} of {} blanks are wrong.",
                grade.checks.len()
            )
        } else {
            "Not quite.".to_string()
        };
        summary.push_str(&format!(
            " Try again ({tries_left} more {} before the answer is shown)",
            if tries_left == 1 { "try" } else { "tries" }
        ));
        if hints_left > 0 {
            summary.push_str(&format!("; a hint may help ({hints_left} left)"));
        }
        summary.push_str("; or ask for the answer.");
        Grade {
            passed: false,
            summary,
            checks: grade
                .checks
                .iter()
                .map(|c| CheckResult {
                    label: c.label.clone(),
                    passed: c.passed,
                    detail: if c.passed {
                        "right".into()
                    } else {
                        "not this".into()
                    },
                })
                .collect(),
            explanation: None,
            diagnostics: grade.diagnostics.clone(),
        }
    }

    /// The student asks for the answer: from now on [`Progress::feedback`] shows it.
    pub fn reveal(&mut self, inst: &ExerciseInstance) {
        self.exercises.entry(inst.key.clone()).or_default().revealed = true;
    }

    /// Was the answer revealed (asked for, or [`REVEAL_AFTER`] tries used)?
    pub fn revealed(&self, inst: &ExerciseInstance) -> bool {
        self.exercises.get(&inst.key).is_some_and(|e| {
            e.revealed || (inst.kind == ExerciseKind::Predict && e.tries >= REVEAL_AFTER)
        })
    }

    /// The last answer to an exercise, if it answered the numbers the student has now (an
    /// answer given before a new seed or a new variant answered other numbers).
    pub fn current_answer(&self, lesson: &str, exercise: &str) -> Option<&str> {
        let e = self.exercises.get(&format!("{lesson}/{exercise}"))?;
        (e.answer_seed == Some(self.seed_for(lesson, exercise)))
            .then_some(e.last_answer.as_deref())
            .flatten()
    }

    /// Reveals the next hint; returns it, or `None` when all are shown.
    pub fn reveal_hint<'a>(&mut self, inst: &'a ExerciseInstance) -> Option<&'a str> {
        let e = self.exercises.entry(inst.key.clone()).or_default();
        let next = e.hints_revealed as usize;
        let h = inst.hints.get(next)?;
        e.hints_revealed += 1;
        Some(h)
    }

    /// The hints revealed so far for this instance.
    pub fn revealed_hints<'a>(&self, inst: &'a ExerciseInstance) -> &'a [String] {
        let n = self
            .exercises
            .get(&inst.key)
            .map_or(0, |e| e.hints_revealed as usize);
        &inst.hints[..n.min(inst.hints.len())]
    }

    /// Gives the student new numbers for an exercise (hints are hidden again).
    pub fn new_variant(&mut self, lesson: &str, exercise: &str) {
        let e = self
            .exercises
            .entry(format!("{lesson}/{exercise}"))
            .or_default();
        e.variant += 1;
        e.hints_revealed = 0;
        e.revealed = false;
        e.tries = 0;
    }

    /// Has the student passed this exercise?
    pub fn passed(&self, lesson: &str, exercise: &str) -> bool {
        self.exercises
            .get(&format!("{lesson}/{exercise}"))
            .is_some_and(|e| e.passed)
    }

    /// One line per lesson of `course`.
    pub fn status(&self, course: &Course) -> Vec<LessonStatus> {
        course
            .lessons
            .iter()
            .map(|l| LessonStatus {
                number: l.number,
                id: l.id.clone(),
                title: l.title.clone(),
                seen: self.lessons_seen.contains(&l.id),
                passed: l
                    .exercises
                    .iter()
                    .filter(|e| self.passed(&l.id, &e.id))
                    .count(),
                total: l.exercises.len(),
            })
            .collect()
    }

    /// The first exercise of `course` not passed yet.
    pub fn next_exercise<'c>(&self, course: &'c Course) -> Option<(&'c Lesson, &'c Exercise)> {
        course.exercises().find(|(l, e)| !self.passed(&l.id, &e.id))
    }

    /// As JSON: `{"data":…,"format":"svelab-progress","version":1}`.
    pub fn to_json(&self) -> String {
        /// The envelope, its keys in the order earlier versions wrote them.
        #[derive(Serialize)]
        struct Out<'a> {
            data: &'a Progress,
            format: &'static str,
            version: u32,
        }
        serde_json::to_string_pretty(&Out {
            data: self,
            format: "svelab-progress",
            version: PROGRESS_VERSION,
        })
        .unwrap_or_default()
    }

    /// Reads what [`Progress::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Progress, LoadError> {
        crate::session::from_envelope("svelab-progress", PROGRESS_VERSION, text)
    }
}

/// Version of the progress JSON format.
pub const PROGRESS_VERSION: u32 = 1;
