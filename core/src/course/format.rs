use super::*;

// =======================================================================================
// The course

/// A whole course: its lessons in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    /// The lessons, by number.
    pub lessons: Vec<Lesson>,
}

/// One lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Its number (the `NN` of the directory name).
    pub number: u32,
    /// Its id (the directory name without the number): stable, used in progress keys.
    pub id: String,
    /// The directory name (`03-first-sve-use`).
    pub dir: String,
    /// The title (the `# ` line of `lesson.md`, without the `#`).
    pub title: String,
    /// Prose and scripts, in reading order.
    pub blocks: Vec<Block>,
    /// The lesson's scripts (in order of first reference).
    pub scripts: Vec<Script>,
    /// The exercises, in file order.
    pub exercises: Vec<Exercise>,
    /// Each [`Block::Prose`] as Markdown blocks, in order (what [`render_markdown`] gives).
    #[serde(default)]
    pub prose_md: Vec<Vec<MdBlock>>,
    /// ```` ```svl ```` snippets quoted in the prose: (line in lesson.md, text). They must
    /// parse; they are not run (they may be fragments).
    pub snippets: Vec<(u32, String)>,
}

/// A piece of a lesson's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// Markdown, as written.
    Prose(String),
    /// A runnable script: an index into [`Lesson::scripts`].
    Script(usize),
}

/// A script of a lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// File name inside the lesson directory (`trap.svl`).
    pub name: String,
    /// Path relative to the course root (`03-first-sve-use/trap.svl`).
    pub path: String,
    /// The link text in `lesson.md` (`▶ The first trap`).
    pub label: String,
    /// The script.
    pub source: String,
}

impl Course {
    /// Reads a course from its files: `(path relative to the course root, text)`, with `/`
    /// separators. `README.md` at the root is documentation and is skipped. Every problem is
    /// reported, each with its file and line.
    pub fn parse<P: AsRef<str>, T: AsRef<str>>(
        files: &[(P, T)],
    ) -> Result<Course, Vec<LessonError>> {
        let mut errors = Vec::new();
        // dir -> (lesson.md, exercises.toml, scripts)
        let mut dirs: BTreeMap<String, DirFiles> = BTreeMap::new();
        for (p, t) in files {
            let path = p.as_ref().trim_start_matches("./");
            let text = t.as_ref();
            if path == "README.md" {
                continue;
            }
            let Some((dir, name)) = path.split_once('/') else {
                errors.push(LessonError::new(
                    path,
                    0,
                    "a file at the top of the course",
                    "every lesson lives in its own directory `NN-id/` (only README.md may sit at the top)",
                ));
                continue;
            };
            if name.contains('/') {
                errors.push(LessonError::new(
                    path,
                    0,
                    "lessons have no subdirectories",
                    "put lesson.md, exercises.toml and the .svl scripts directly in the lesson's directory",
                ));
                continue;
            }
            let d = dirs.entry(dir.to_string()).or_default();
            if name == LESSON_FILE {
                d.lesson = Some(text.to_string());
            } else if name == EXERCISES_FILE {
                d.exercises = Some(text.to_string());
            } else if name.ends_with(".svl") {
                d.scripts.insert(name.to_string(), text.to_string());
            } else {
                errors.push(LessonError::new(
                    path,
                    0,
                    format!("unexpected file `{name}`"),
                    "a lesson directory holds lesson.md, exercises.toml and .svl scripts",
                ));
            }
        }
        let mut lessons: Vec<Lesson> = Vec::new();
        for (dir, files) in dirs {
            match parse_lesson(&dir, files) {
                Ok(l) => {
                    if let Some(o) = lessons
                        .iter()
                        .find(|o| o.number == l.number || o.id == l.id)
                    {
                        errors.push(LessonError::new(
                            &format!("{dir}/{LESSON_FILE}"),
                            0,
                            format!("lesson {dir} has the same number or id as {}", o.dir),
                            "give each lesson its own number and name",
                        ));
                    }
                    lessons.push(l);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if lessons.is_empty() && errors.is_empty() {
            errors.push(LessonError::new(
                "",
                0,
                "the course has no lessons",
                "add a directory `01-first/` with a lesson.md",
            ));
        }
        if !errors.is_empty() {
            fill_columns(&mut errors, files);
            return Err(errors);
        }
        lessons.sort_by_key(|l| l.number);
        Ok(Course { lessons })
    }

    /// Finds a lesson by number (`3`, `03`), id (`first-sve-use`) or directory
    /// (`03-first-sve-use`).
    pub fn lesson(&self, query: &str) -> Option<&Lesson> {
        let q = query.trim().trim_end_matches('/');
        if let Ok(n) = q.parse::<u32>() {
            return self.lessons.iter().find(|l| l.number == n);
        }
        self.lessons
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(q) || l.dir.eq_ignore_ascii_case(q))
    }

    /// Finds an exercise by `LESSON/EXERCISE`, where LESSON is as in [`Course::lesson`] and
    /// EXERCISE an id or a 1-based number (`3/2`, `first-sve-use/two-traps`).
    pub fn exercise(&self, key: &str) -> Option<(&Lesson, &Exercise)> {
        let (l, e) = key.trim().split_once('/')?;
        let lesson = self.lesson(l)?;
        let ex = match e.parse::<usize>() {
            Ok(n) => lesson.exercises.get(n.checked_sub(1)?),
            Err(_) => lesson.exercises.iter().find(|x| x.id == e),
        }?;
        Some((lesson, ex))
    }

    /// Every exercise of the course, in order.
    pub fn exercises(&self) -> impl Iterator<Item = (&Lesson, &Exercise)> {
        self.lessons
            .iter()
            .flat_map(|l| l.exercises.iter().map(move |e| (l, e)))
    }
}

impl Lesson {
    /// The script with this file name.
    pub fn script(&self, name: &str) -> Option<&Script> {
        self.scripts.iter().find(|s| s.name == name)
    }

    /// The path of `lesson.md` relative to the course root.
    pub fn lesson_path(&self) -> String {
        format!("{}/{LESSON_FILE}", self.dir)
    }
}

#[derive(Default)]
pub(super) struct DirFiles {
    pub(super) lesson: Option<String>,
    pub(super) exercises: Option<String>,
    pub(super) scripts: BTreeMap<String, String>,
}

pub(super) fn parse_lesson(dir: &str, files: DirFiles) -> Result<Lesson, Vec<LessonError>> {
    let mut errors = Vec::new();
    let lesson_path = format!("{dir}/{LESSON_FILE}");
    let (number, id) = match dir.split_once('-') {
        Some((n, id))
            if n.len() >= 2
                && n.bytes().all(|b| b.is_ascii_digit())
                && !id.is_empty()
                && id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                }) =>
        {
            (n.parse::<u32>().unwrap_or(0), id.to_string())
        }
        _ => {
            errors.push(LessonError::new(
                &lesson_path,
                0,
                format!("`{dir}` is not a lesson directory name"),
                "name it NN-id: two or more digits, a dash, then lower-case letters, digits and dashes (`03-first-sve-use`)",
            ));
            (0, dir.to_string())
        }
    };
    let Some(md) = files.lesson else {
        errors.push(LessonError::new(
            &lesson_path,
            0,
            "missing lesson.md",
            "every lesson directory needs a lesson.md starting with `# Title`",
        ));
        return Err(errors);
    };
    let mut lesson = Lesson {
        number,
        id,
        dir: dir.to_string(),
        title: String::new(),
        blocks: Vec::new(),
        scripts: Vec::new(),
        exercises: Vec::new(),
        snippets: Vec::new(),
        prose_md: Vec::new(),
    };
    parse_markdown(&md, &lesson_path, &files.scripts, &mut lesson, &mut errors);
    for name in files.scripts.keys() {
        if lesson.script(name).is_none() {
            errors.push(LessonError::new(
                &format!("{dir}/{name}"),
                0,
                format!("{name} is not used by lesson.md"),
                format!("add a line `[▶ Run it]({name})` where the learner should run it, or delete the file"),
            ));
        }
    }
    match files.exercises {
        Some(text) => {
            let path = format!("{dir}/{EXERCISES_FILE}");
            match parse_exercises(&text, &path, &lesson.id) {
                Ok(ex) => lesson.exercises = ex,
                Err(mut e) => errors.append(&mut e),
            }
        }
        None => errors.push(LessonError::new(
            &format!("{dir}/{EXERCISES_FILE}"),
            0,
            "missing exercises.toml",
            "every lesson ends with exercises: at least one `predict` and one `construct`",
        )),
    }
    if errors.is_empty() {
        Ok(lesson)
    } else {
        Err(errors)
    }
}
