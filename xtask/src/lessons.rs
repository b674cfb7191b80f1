//! `cargo xtask lessons`: the author check over `lessons/`.
//!
//! Reads every file under `lessons/`, and reports, each with `lessons/FILE:LINE`:
//! * files on disk that the built-in course (`svelab_core::course::BUILTIN_FILES`, what the
//!   REPL and the playground embed) does not list, and listed files that are missing;
//! * everything [`svelab_core::course::author_check`] finds: format errors, scripts that do
//!   not parse, stop on a step error or fail an `expect`, exercises whose reference answer
//!   fails or whose wrong answer passes (on several seeds).
//!
//! The test suite runs the same check (`tests/tests/lessons.rs` includes this file).

use std::collections::BTreeSet;
use std::path::Path;
use svelab_core::course::{author_check, AuthorReport, BUILTIN_FILES};

/// Runs the author check on `root/lessons` and prints a one-line summary; every problem is
/// in the error, one per line, as `lessons/FILE:LINE: message`.
#[allow(clippy::print_stderr)]
pub fn run(root: &Path) -> Result<(), String> {
    let rep = check(root)?;
    eprintln!(
        "lessons: {} lessons, {} scripts run, {} exercises ({} variants) checked: ok",
        rep.lessons, rep.scripts, rep.exercises, rep.variants
    );
    Ok(())
}

/// The author check without printing: the report, or every problem as text.
pub fn check(root: &Path) -> Result<AuthorReport, String> {
    let dir = root.join("lessons");
    let files = read_course(&dir)?;
    let mut problems: Vec<String> = Vec::new();
    if !files.iter().any(|(p, _)| p == "README.md") {
        problems.push("lessons/README.md:0: missing: the format is documented there".into());
    }
    let on_disk: BTreeSet<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| *p != "README.md")
        .collect();
    let embedded: BTreeSet<&str> = BUILTIN_FILES.iter().map(|(p, _)| *p).collect();
    for p in on_disk.difference(&embedded) {
        problems.push(format!(
            "lessons/{p}:0: not in the built-in course\n    hint: add \"{p}\" to `course_files!` in core/src/course/builtin.rs (BUILTIN_FILES), so the REPL and the playground ship it"
        ));
    }
    for p in embedded.difference(&on_disk) {
        problems.push(format!(
            "lessons/{p}:0: listed in BUILTIN_FILES (core/src/course/builtin.rs) but not on disk"
        ));
    }
    for (p, text) in &files {
        if let Some((_, built)) = BUILTIN_FILES.iter().find(|(b, _)| b == p) {
            if *built != text.as_str() {
                problems.push(format!(
                    "lessons/{p}:0: differs from the embedded copy\n    hint: rebuild (cargo embeds lessons/ at compile time)"
                ));
            }
        }
    }
    let rep = author_check(&files);
    problems.extend(rep.errors.iter().map(|e| format!("lessons/{e}")));
    if problems.is_empty() {
        Ok(rep)
    } else {
        Err(format!(
            "{} problem(s) in lessons/:\n{}",
            problems.len(),
            problems.join("\n")
        ))
    }
}

/// Every file under `dir`, as (path relative to `dir` with `/` separators, text), sorted.
pub fn read_course(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            walk(&path, &format!("{rel}/"), out)?;
        } else {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            out.push((rel, text));
        }
    }
    Ok(())
}
