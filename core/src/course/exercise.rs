use super::*;

// =======================================================================================
// Exercises

/// The two kinds of exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExerciseKind {
    /// Predict-then-reveal: say what a field will be, then see the model's answer.
    Predict,
    /// Write a script that reaches a goal, checked by predicates over the final state.
    Construct,
}

impl ExerciseKind {
    /// `predict` or `construct`.
    pub fn name(self) -> &'static str {
        match self {
            ExerciseKind::Predict => "predict",
            ExerciseKind::Construct => "construct",
        }
    }
}

/// A text of an exercise file that may hold `{{…}}` placeholders, and the line of the file
/// where its content starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Tpl {
    pub(super) text: String,
    pub(super) line: u32,
}

/// What a variable may take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Domain {
    Ints(Vec<i64>),
    Strs(Vec<String>),
    Range(i64, i64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct VarDef {
    pub(super) name: String,
    pub(super) domain: Domain,
    pub(super) line: u32,
}

/// A value drawn for a variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum VarValue {
    Int(i64),
    Str(String),
}

impl std::fmt::Display for VarValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarValue::Int(i) => write!(f, "{i}"),
            VarValue::Str(s) => f.write_str(s),
        }
    }
}

/// One exercise, as written (its texts still hold placeholders). Use [`Exercise::variant`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exercise {
    /// The lesson's id.
    pub lesson: String,
    /// The exercise's id (unique in its lesson).
    pub id: String,
    /// Predict or construct.
    pub kind: ExerciseKind,
    /// The file it is in (`03-first-sve-use/exercises.toml`).
    pub file: String,
    /// The line of its `[[exercise]]`.
    pub line: u32,
    pub(super) title: Tpl,
    pub(super) text: Tpl,
    pub(super) kernel: Option<Tpl>,
    pub(super) kernels: Vec<Tpl>,
    pub(super) setup: Option<Tpl>,
    pub(super) ask: Vec<Tpl>,
    pub(super) answer: Vec<Tpl>,
    pub(super) wrong: Vec<Tpl>,
    pub(super) choices: Vec<Tpl>,
    pub(super) starter: Option<Tpl>,
    pub(super) check: Vec<Tpl>,
    pub(super) forbid: Vec<Tpl>,
    pub(super) reference: Option<Tpl>,
    pub(super) wrong_script: Option<Tpl>,
    pub(super) explanation: Tpl,
    pub(super) hints: Vec<Tpl>,
    pub(super) vars: Vec<VarDef>,
    /// The Markdown texts read once, placeholders still in ([`ExerciseMd`]).
    #[serde(default)]
    pub(super) md: ExerciseMd,
}

/// An exercise's Markdown (question or goal, explanation, hints) as blocks with the
/// `{{…}}` placeholders still in the text: an instance fills them in without parsing
/// Markdown again, so a front end that reads a course from JSON needs no Markdown parser.
/// The author check makes sure this gives the same blocks as rendering the filled-in text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ExerciseMd {
    pub(super) text: Vec<MdBlock>,
    pub(super) explanation: Vec<MdBlock>,
    pub(super) hints: Vec<Vec<MdBlock>>,
}

impl ExerciseMd {
    pub(super) fn of(text: &str, explanation: &str, hints: &[Tpl]) -> ExerciseMd {
        ExerciseMd {
            text: render_markdown(text),
            explanation: render_markdown(explanation),
            hints: hints.iter().map(|h| render_markdown(&h.text)).collect(),
        }
    }
}

/// One blank of a predict exercise: the value of `path` after the setup, on `kernel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blank {
    /// What to show next to the input (`cpu0.CPACR_EL1.ZEN_EL0EN on v6.2`).
    pub label: String,
    /// The DSL path asked for.
    pub path: String,
    /// The kernel the setup runs on (`None`: whatever the setup says).
    pub kernel: Option<Kernel>,
}

/// An exercise with its variables drawn: everything a front end shows, and what grading
/// needs. The same exercise and seed always give the same instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseInstance {
    /// `lesson-id/exercise-id`: the key in [`Progress`].
    pub key: String,
    /// The lesson's id.
    pub lesson: String,
    /// The exercise's id.
    pub exercise: String,
    /// The seed it was drawn with.
    pub seed: u64,
    /// Predict or construct.
    pub kind: ExerciseKind,
    /// The title.
    pub title: String,
    /// The question (predict) or the goal (construct), Markdown.
    pub text: String,
    /// Predict: the script that runs before the question (show it; the learner may step
    /// through it only after answering, it would give the answer away).
    pub setup: Option<String>,
    /// Predict: the blanks to fill, one answer each.
    pub blanks: Vec<Blank>,
    /// Predict: the values to offer as buttons (empty: free input).
    pub choices: Vec<String>,
    /// Construct: the script the learner starts from.
    pub starter: Option<String>,
    /// Construct: the predicates the final state must satisfy (the precise goal).
    pub checks: Vec<String>,
    /// Construct: statement keywords the script may not use.
    pub forbid: Vec<String>,
    /// Construct: the kernel the learner's script runs on (its `kernel` lines are ignored).
    pub kernel: Option<Kernel>,
    /// Hints, to be revealed one at a time ([`Progress::reveal_hint`]).
    pub hints: Vec<String>,
    /// Why the answer is what it is (shown with the result).
    pub explanation: String,
    /// `text` as Markdown blocks (what [`render_markdown`] gives for it).
    #[serde(default)]
    pub text_md: Vec<MdBlock>,
    /// `explanation` as Markdown blocks.
    #[serde(default)]
    pub explanation_md: Vec<MdBlock>,
    /// Each hint as Markdown blocks.
    #[serde(default)]
    pub hints_md: Vec<Vec<MdBlock>>,
    /// The variables drawn, `(name, value)`.
    pub vars: Vec<(String, String)>,
    /// The author's reference answer (a front end may offer it once the learner passed).
    pub reference: Answer,
    /// A wrong answer the grader must reject (used by the author check).
    pub wrong: Answer,
    #[serde(skip)]
    pub(super) lines: InstanceLines,
}

/// Where each rendered text of an instance starts in the exercise file (for the author
/// check's file:line errors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct InstanceLines {
    pub(super) file: String,
    pub(super) exercise: u32,
    pub(super) setup: u32,
    pub(super) ask: Vec<u32>,
    pub(super) answer: Vec<u32>,
    pub(super) wrong: Vec<u32>,
    pub(super) choices: u32,
    pub(super) starter: u32,
    pub(super) check: Vec<u32>,
    pub(super) reference: u32,
    pub(super) wrong_script: u32,
}

/// A learner's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Predict: one value per blank (`0`, `1`, `sve`, `fill(0xaa)`, `A`, `null`).
    Predict(Vec<String>),
    /// Construct: a whole script.
    Script(String),
}

impl Answer {
    /// Reads predicted values typed on one line: separated by commas, semicolons or spaces
    /// (`0, 1`). What the REPL's `:check 0 1` uses.
    pub fn predict_from_text(text: &str) -> Answer {
        Answer::Predict(
            text.split([',', ';', ' ', '\t'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// The answer as one line of text (for progress).
    pub fn summary(&self) -> String {
        match self {
            Answer::Predict(v) => v.join(", "),
            Answer::Script(s) => s.clone(),
        }
    }
}

/// The outcome of one check: a blank, or a predicate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// What was checked (`cpu0.CPACR_EL1.ZEN_EL0EN on v5.19`, `B.traps == 2`).
    pub label: String,
    /// Did it hold?
    pub passed: bool,
    /// What the model says (`you said 1; the model says 0`, `B.traps is 3`).
    pub detail: String,
}

/// The result of [`grade`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// Did the answer pass?
    pub passed: bool,
    /// One sentence.
    pub summary: String,
    /// Each blank or predicate.
    pub checks: Vec<CheckResult>,
    /// Predict: always (the reveal). Construct: once passed.
    pub explanation: Option<String>,
    /// Construct: parse and step errors of the learner's script (spans into that script).
    pub diagnostics: Vec<Diagnostic>,
}

impl Exercise {
    /// The title as written (it may hold placeholders; an instance has it rendered).
    pub fn raw_title(&self) -> &str {
        &self.title.text
    }

    /// How many hints it has.
    pub fn hint_count(&self) -> usize {
        self.hints.len()
    }

    /// `lesson-id/exercise-id`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.lesson, self.id)
    }

    pub(super) fn templates(&self) -> Vec<&Tpl> {
        let mut v = vec![&self.title, &self.text, &self.explanation];
        v.extend(self.kernel.iter());
        v.extend(self.kernels.iter());
        v.extend(self.setup.iter());
        v.extend(self.ask.iter());
        v.extend(self.answer.iter());
        v.extend(self.wrong.iter());
        v.extend(self.choices.iter());
        v.extend(self.starter.iter());
        v.extend(self.check.iter());
        v.extend(self.forbid.iter());
        v.extend(self.reference.iter());
        v.extend(self.wrong_script.iter());
        v.extend(self.hints.iter());
        v
    }

    /// Draws the variables from `seed` and renders every text: this student's version of
    /// the exercise. Deterministic: the same seed gives the same instance.
    pub fn variant(&self, seed: u64) -> ExerciseInstance {
        let key = self.key();
        let mut rng = Rng(seed ^ fnv1a(key.as_bytes()));
        let vals: Vec<(String, VarValue)> = self
            .vars
            .iter()
            .map(|v| {
                let x = match &v.domain {
                    Domain::Ints(xs) => VarValue::Int(xs[rng.below(xs.len() as u64) as usize]),
                    Domain::Strs(xs) => {
                        VarValue::Str(xs[rng.below(xs.len() as u64) as usize].clone())
                    }
                    Domain::Range(a, b) => {
                        let span = (b - a) as u64 + 1;
                        VarValue::Int(a + rng.below(span) as i64)
                    }
                };
                (v.name.clone(), x)
            })
            .collect();
        // Parsing rendered every template with the first value of each variable; the others
        // are the same shape, so a failure here is a value the author did not expect (e.g.
        // arithmetic on a string): keep the raw text, and the author check reports it.
        let r = |t: &Tpl| render(&t.text, &vals).unwrap_or_else(|_| t.text.clone());
        let kernel_of = |t: &Tpl| Kernel::parse(r(t).trim()).ok();
        let mut blanks = Vec::new();
        let mut ask_lines = Vec::new();
        let kernels: Vec<Option<Kernel>> = if self.kernels.is_empty() {
            vec![self.kernel.as_ref().and_then(kernel_of)]
        } else {
            self.kernels.iter().map(kernel_of).collect()
        };
        if self.kind == ExerciseKind::Predict {
            for k in &kernels {
                for a in &self.ask {
                    let path = r(a).trim().to_string();
                    let label = match (k, self.kernels.len() > 1) {
                        (Some(k), true) => format!("{path} on {}", k.name()),
                        _ => path.clone(),
                    };
                    blanks.push(Blank {
                        label,
                        path,
                        kernel: *k,
                    });
                    ask_lines.push(a.line);
                }
            }
        }
        let (reference, wrong) = match self.kind {
            ExerciseKind::Predict => (
                Answer::Predict(
                    self.answer
                        .iter()
                        .map(|t| r(t).trim().to_string())
                        .collect(),
                ),
                Answer::Predict(self.wrong.iter().map(|t| r(t).trim().to_string()).collect()),
            ),
            ExerciseKind::Construct => (
                Answer::Script(self.reference.as_ref().map(&r).unwrap_or_default()),
                Answer::Script(self.wrong_script.as_ref().map(&r).unwrap_or_default()),
            ),
        };
        ExerciseInstance {
            key,
            lesson: self.lesson.clone(),
            exercise: self.id.clone(),
            seed,
            kind: self.kind,
            title: r(&self.title).trim().to_string(),
            text: r(&self.text).trim().to_string(),
            setup: self.setup.as_ref().map(&r),
            blanks,
            choices: self
                .choices
                .iter()
                .map(|t| r(t).trim().to_string())
                .collect(),
            starter: self.starter.as_ref().map(&r),
            checks: self.check.iter().map(|t| r(t).trim().to_string()).collect(),
            forbid: self
                .forbid
                .iter()
                .map(|t| r(t).trim().to_string())
                .collect(),
            kernel: if self.kind == ExerciseKind::Construct {
                kernels[0]
            } else {
                None
            },
            hints: self.hints.iter().map(|t| r(t).trim().to_string()).collect(),
            explanation: r(&self.explanation).trim().to_string(),
            text_md: fill_md(&self.md.text, &vals),
            explanation_md: fill_md(&self.md.explanation, &vals),
            hints_md: self.md.hints.iter().map(|h| fill_md(h, &vals)).collect(),
            vars: vals
                .iter()
                .map(|(n, v)| (n.clone(), v.to_string()))
                .collect(),
            reference,
            wrong,
            lines: InstanceLines {
                file: self.file.clone(),
                exercise: self.line,
                setup: self.setup.as_ref().map_or(self.line, |t| t.line),
                ask: ask_lines,
                answer: self.answer.iter().map(|t| t.line).collect(),
                wrong: self.wrong.iter().map(|t| t.line).collect(),
                choices: self.choices.first().map_or(self.line, |t| t.line),
                starter: self.starter.as_ref().map_or(self.line, |t| t.line),
                check: self.check.iter().map(|t| t.line).collect(),
                reference: self.reference.as_ref().map_or(self.line, |t| t.line),
                wrong_script: self.wrong_script.as_ref().map_or(self.line, |t| t.line),
            },
        }
    }
}

/// Fills the placeholders of Markdown blocks read from a template.
pub(super) fn fill_md(blocks: &[MdBlock], vars: &[(String, VarValue)]) -> Vec<MdBlock> {
    let f = |t: &str| render(t, vars).unwrap_or_else(|_| t.to_string());
    fn inl(v: &[MdInline], f: &dyn Fn(&str) -> String) -> Vec<MdInline> {
        v.iter()
            .map(|i| match i {
                MdInline::Text(t) => MdInline::Text(f(t)),
                MdInline::Code(t) => MdInline::Code(f(t)),
                MdInline::Strong(k) => MdInline::Strong(inl(k, f)),
                MdInline::Em(k) => MdInline::Em(inl(k, f)),
                MdInline::Strike(k) => MdInline::Strike(inl(k, f)),
                MdInline::Link(t, k) => MdInline::Link(f(t), inl(k, f)),
                MdInline::Break => MdInline::Break,
            })
            .collect()
    }
    fn blk(v: &[MdBlock], f: &dyn Fn(&str) -> String) -> Vec<MdBlock> {
        v.iter()
            .map(|b| match b {
                MdBlock::Heading(n, i) => MdBlock::Heading(*n, inl(i, f)),
                MdBlock::Para(i) => MdBlock::Para(inl(i, f)),
                MdBlock::List(s, items) => {
                    MdBlock::List(*s, items.iter().map(|it| blk(it, f)).collect())
                }
                MdBlock::Code(l, c) => MdBlock::Code(l.clone(), f(c)),
                MdBlock::Quote(q) => MdBlock::Quote(blk(q, f)),
                MdBlock::Table(h, rows) => MdBlock::Table(
                    h.iter().map(|c| inl(c, f)).collect(),
                    rows.iter()
                        .map(|r| r.iter().map(|c| inl(c, f)).collect())
                        .collect(),
                ),
                MdBlock::Rule => MdBlock::Rule,
            })
            .collect()
    }
    blk(blocks, &f)
}
