//! The teachers' commands: a course of their own from a folder (`svelab lessons check DIR`,
//! `svelab lessons pack DIR`, `--course DIR`), worksheets (`svelab class sheet`), and grading
//! (`svelab class grade`); and the student's `:submit`. The formats (bundle, sheet,
//! submission, grading) are `svelab_core::course::class`; this module reads and writes the
//! files and the CSV.

mod roster;

use crate::cli::{GradeArgs, SheetArgs};
use crate::course::{self, Store};
use roster::{read_roster, Student};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use svelab_core::course::class::{
    answer_key, class_summary, grade_submission, Assignment, CourseBundle, ExerciseResult, Outcome,
    Sheet, Submission,
};
use svelab_core::course::{author_check, Course};

/// The version written into submissions.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn fail(msg: impl AsRef<str>, hint: impl AsRef<str>) -> ExitCode {
    eprintln!("error: {}", msg.as_ref());
    if !hint.as_ref().is_empty() {
        eprintln!("  hint: {}", hint.as_ref());
    }
    ExitCode::from(2)
}

/// Every file of a course folder, as `(path relative to DIR with /, text)`. Hidden files
/// and directories (`.git`) are skipped.
pub fn read_course_dir(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the course folder {}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            let mut sub: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            sub.sort();
            for f in sub {
                let fname = f
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string();
                if fname.starts_with('.') {
                    continue;
                }
                if f.is_dir() {
                    // Course::parse reports it (lessons have no subdirectories).
                    out.push((format!("{name}/{fname}/"), String::new()));
                    continue;
                }
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
                out.push((format!("{name}/{fname}"), text));
            }
        } else {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            out.push((name, text));
        }
    }
    Ok(out)
}

/// Loads a course folder (every error with its file and line).
pub fn load_course_dir(dir: &Path) -> Result<Course, String> {
    let files = read_course_dir(dir)?;
    Course::parse(&files).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{}/{e}", dir.display().to_string().trim_end_matches('/')))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// `svelab lessons check DIR`: the author check on a course folder.
pub fn lessons_check(dir: &str) -> ExitCode {
    let files = match read_course_dir(Path::new(dir)) {
        Ok(f) => f,
        Err(e) => return fail(e, "give the folder that holds the lesson folders (NN-id/)"),
    };
    report_check(&files, dir.trim_end_matches('/'))
}

/// `svelab lessons check`: the author check on the course built into this binary.
pub fn builtin_check() -> ExitCode {
    let files: Vec<(String, String)> = svelab_core::course::BUILTIN_FILES
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    report_check(&files, "lessons")
}

fn report_check(files: &[(String, String)], base: &str) -> ExitCode {
    let rep = author_check(files);
    for e in &rep.errors {
        println!("{base}/{e}");
    }
    if rep.ok() {
        println!(
            "{base}: {} lesson(s), {} script(s), {} exercise(s), {} variant(s): all good",
            rep.lessons, rep.scripts, rep.exercises, rep.variants
        );
        ExitCode::SUCCESS
    } else {
        println!("{base}: {} problem(s)", rep.errors.len());
        ExitCode::from(1)
    }
}

/// `svelab lessons pack DIR [--out FILE]`: the course in one JSON file for the playground.
pub fn lessons_pack(dir: &str, out: Option<&str>) -> ExitCode {
    let path = Path::new(dir);
    let files = match read_course_dir(path) {
        Ok(f) => f,
        Err(e) => return fail(e, "give the folder that holds the lesson folders (NN-id/)"),
    };
    let name = path
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_string))
        .unwrap_or_else(|| "course".into());
    let bundle = match CourseBundle::pack(&name, &files) {
        Ok(b) => b,
        Err(errs) => {
            for e in &errs {
                eprintln!("{}/{e}", dir.trim_end_matches('/'));
            }
            return fail(
                format!(
                    "the course does not parse ({} problem(s)); nothing written",
                    errs.len()
                ),
                format!("`svelab lessons check {dir}` runs the whole author check"),
            );
        }
    };
    let out = out.map_or_else(|| PathBuf::from(format!("{name}.json")), PathBuf::from);
    if let Err(e) = may_overwrite(&out, svelab_core::course::class::BUNDLE_FORMAT) {
        return fail(e, "`--out FILE` names another file");
    }
    if let Err(e) = std::fs::write(&out, bundle.to_json()) {
        return fail(format!("cannot write {}: {e}", out.display()), "");
    }
    println!(
        "wrote {} ({} lesson(s)); put it next to the playground's index.html and open index.html#course={}",
        out.display(),
        bundle.course.lessons.len(),
        out.file_name().and_then(|n| n.to_str()).unwrap_or("")
    );
    ExitCode::SUCCESS
}

/// Refuses to overwrite a file that is not a `format` document (someone's work).
fn may_overwrite(path: &Path, format: &str) -> Result<(), String> {
    let Ok(old) = std::fs::read_to_string(path) else {
        return if path.exists() {
            Err(format!(
                "{} exists and is not a `{format}` file; not overwritten",
                path.display()
            ))
        } else {
            Ok(())
        };
    };
    let kind = serde_json::from_str::<serde_json::Value>(&old)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_string));
    if kind.as_deref() == Some(format) {
        Ok(())
    } else {
        Err(format!(
            "{} exists and is not a `{format}` file; not overwritten (choose another name)",
            path.display()
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// `svelab class sheet`.
pub fn sheet(args: &SheetArgs) -> ExitCode {
    let c = course::course();
    let exercises = split_list(&args.exercises);
    let name = args
        .assignment
        .clone()
        .unwrap_or_else(|| exercises.join("+"));
    let a = match Assignment::new(c, &name, &exercises) {
        Ok(a) => a,
        Err(e) => return fail(e, "`svelab lessons N` lists the exercises of lesson N"),
    };
    let students = match read_roster(Path::new(&args.roster)) {
        Ok(s) => s,
        Err(e) => return fail(e, "the roster is CSV with a header line: `id,name`"),
    };
    let out = PathBuf::from(args.out.as_deref().unwrap_or("sheets"));
    if let Err(e) = std::fs::create_dir_all(&out) {
        return fail(format!("cannot create {}: {e}", out.display()), "");
    }
    let mut sheets = Vec::new();
    for s in &students {
        let sh = Sheet::new(c, &a, &s.id, &s.name);
        for (ext, text) in [("md", sh.markdown()), ("html", sh.html())] {
            if let Err(e) = write(&out.join(format!("{}.{ext}", s.id)), &text) {
                return fail(e, "");
            }
        }
        sheets.push(sh);
    }
    let key = answer_key(&sheets);
    let assignment_json = serde_json::to_string_pretty(&a).unwrap_or_default();
    for (f, text) in [
        ("answer-key.md", &key),
        ("assignment.json", &assignment_json),
    ] {
        if let Err(e) = write(&out.join(f), text) {
            return fail(e, "");
        }
    }
    println!(
        "wrote {} sheet(s) (Markdown and HTML), answer-key.md and assignment.json to {} — assignment `{}`: {}",
        sheets.len(),
        out.display(),
        a.name,
        a.exercises.join(", ")
    );
    ExitCode::SUCCESS
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `svelab class grade`.
pub fn grade(args: &GradeArgs) -> ExitCode {
    let c = course::course();
    let students = match read_roster(Path::new(&args.roster)) {
        Ok(s) => s,
        Err(e) => return fail(e, "the roster is CSV with a header line: `id,name`"),
    };
    let dir = Path::new(&args.submissions);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) => {
            return fail(
                format!("cannot read the submissions folder {}: {e}", dir.display()),
                "",
            )
        }
    };
    files.sort();
    let mut problems: Vec<String> = Vec::new();
    let mut subs: Vec<(String, Submission)> = Vec::new();
    for f in &files {
        let shown = f.display().to_string();
        let text = match std::fs::read(f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                problems.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        match Submission::from_json(&text, &shown) {
            Ok(s) => subs.push((shown, s)),
            Err(e) => problems.push(e),
        }
    }
    // The assignment: the sheet's assignment.json, else the one most submissions name.
    let a = match &args.assignment {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Assignment>(&t).map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => {
                return fail(
                    format!("cannot read the assignment {p}: {e}"),
                    "give the assignment.json that `svelab class sheet` wrote",
                )
            }
        },
        None => {
            let mut names: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, s) in &subs {
                *names.entry(s.assignment.as_str()).or_default() += 1;
            }
            let Some(name) = names
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(k, _)| k.to_string())
            else {
                for p in &problems {
                    eprintln!("{p}");
                }
                return fail(
                    "no readable submission, so no assignment to grade",
                    "pass --assignment DIR/assignment.json (written by `svelab class sheet`)",
                );
            };
            let mut ex: Vec<String> = Vec::new();
            for (_, s) in subs.iter().filter(|(_, s)| s.assignment == name) {
                for x in &s.answers {
                    if !ex.contains(&x.exercise) && c.exercise(&x.exercise).is_some() {
                        ex.push(x.exercise.clone());
                    }
                }
            }
            match Assignment::new(c, &name, &ex) {
                Ok(a) => a,
                Err(e) => return fail(e, "pass --assignment DIR/assignment.json"),
            }
        }
    };
    let by_id: BTreeMap<&str, &Student> = students.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut graded: BTreeMap<String, (String, Vec<ExerciseResult>)> = BTreeMap::new();
    for (file, s) in &subs {
        if !by_id.contains_key(s.student.as_str()) {
            problems.push(format!(
                "{file}: student `{}` is not on the roster",
                s.student
            ));
            continue;
        }
        if let Err(e) = s.verify(&s.student, &a.name) {
            problems.push(format!("{file}: {e}"));
            continue;
        }
        if let Some((other, _)) = graded.get(&s.student) {
            problems.push(format!(
                "{file}: a second file for `{}` (graded {other})",
                s.student
            ));
            continue;
        }
        graded.insert(
            s.student.clone(),
            (file.clone(), grade_submission(c, &a, s)),
        );
    }
    let mut csv = String::from("student,name,exercise,result,attempts,hints_used\n");
    let mut results = Vec::new();
    for st in &students {
        let rs = match graded.get(&st.id) {
            Some((_, rs)) => rs.clone(),
            None => a
                .exercises
                .iter()
                .map(|k| ExerciseResult {
                    exercise: k.clone(),
                    outcome: Outcome::Missing,
                    attempts: 0,
                    hints_used: 0,
                    answer: String::new(),
                })
                .collect(),
        };
        for r in &rs {
            csv.push_str(&format!(
                "{},{},{},{},{},{}\n",
                csv_field(&st.id),
                csv_field(&st.name),
                r.exercise,
                r.outcome.name(),
                r.attempts,
                r.hints_used
            ));
        }
        results.push((st.id.clone(), rs));
    }
    for p in &problems {
        eprintln!("{p}");
    }
    let out = PathBuf::from(args.out.as_deref().unwrap_or("grades"));
    if let Err(e) = std::fs::create_dir_all(&out) {
        return fail(format!("cannot create {}: {e}", out.display()), "");
    }
    let summary = class_summary(&a, &results, &problems);
    for (f, text) in [("grades.csv", &csv), ("summary.md", &summary)] {
        if let Err(e) = write(&out.join(f), text) {
            return fail(e, "");
        }
    }
    println!(
        "graded {} of {} student(s) for `{}`; {} file(s) not graded; wrote {}/grades.csv and {}/summary.md",
        graded.len(),
        students.len(),
        a.name,
        problems.len(),
        out.display(),
        out.display()
    );
    ExitCode::SUCCESS
}

/// The REPL's `:submit FILE STUDENT ASSIGNMENT`: writes the submission; `Ok` is the note
/// to show, `Err` an error and a hint.
pub fn submit(store: &Store, args: &str) -> Result<String, (String, String)> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let [file, student, assignment] = words[..] else {
        return Err((
            "`:submit` needs a file, your student id and the assignment".into(),
            "`:submit answers.json s123 week3` (your sheet gives the id and the assignment)".into(),
        ));
    };
    let c = course::course();
    let want = svelab_core::course::class::assignment_seed(student, assignment);
    if store.progress.seed != want {
        return Err((
            format!("your numbers are not those of `{student}` for `{assignment}`"),
            format!("quit, start the REPL with `SVELAB_SEED={want:#x} svelab` (your sheet says so), redo the exercises, then `:submit`"),
        ));
    }
    let answered: Vec<String> = c
        .exercises()
        .filter(|(l, e)| store.progress.current_answer(&l.id, &e.id).is_some())
        .map(|(l, e)| course::short_key(l, e))
        .collect();
    if answered.is_empty() {
        return Err((
            "no answer to hand in yet".into(),
            "`:exercise N/E` then `:check` each exercise of your sheet first".into(),
        ));
    }
    let a = Assignment::new(c, assignment, &answered).map_err(|e| (e, String::new()))?;
    let s = Submission::from_progress(c, &store.progress, student, &a, VERSION);
    may_overwrite(
        Path::new(file),
        svelab_core::course::class::SUBMISSION_FORMAT,
    )
    .map_err(|e| {
        (
            e,
            "`:submit` another file name (e.g. week3-ann.json)".into(),
        )
    })?;
    std::fs::write(file, s.to_json())
        .map_err(|e| (format!("cannot write {file}: {e}"), String::new()))?;
    Ok(format!(
        "wrote {file}: {} answer(s) of `{student}` for `{assignment}` ({}); hand this file in",
        s.answers.len(),
        answered.join(", ")
    ))
}
