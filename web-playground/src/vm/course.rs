//! The course as a static file of the bundle (`lessons.json`), fetched when the lessons are
//! first opened, so the lesson text is not part of the wasm a first visitor downloads.
//! `cargo xtask web` writes it from `lessons/` as a course bundle
//! ([`svelab_core::course::class::CourseBundle`], what `svelab lessons pack` writes for a
//! teacher's course): the course already read, its Markdown in blocks, so the page carries
//! no TOML or Markdown parser and shows exactly the course the REPL embeds.

use svelab_core::course::class::CourseBundle;
use svelab_core::course::Course;

/// The bundle's file name in `dist/`.
pub const FILE_NAME: &str = "lessons.json";

/// Reads a course bundle; `source` names it in messages.
pub fn parse(text: &str, source: &str) -> Result<Course, String> {
    CourseBundle::from_json(text, source).map(|b| b.course)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lessons_directory_makes_the_builtin_course() {
        // What `cargo xtask web` writes: every file under lessons/ but README.md.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let mut files = Vec::new();
        for d in std::fs::read_dir(&root).unwrap() {
            let d = d.unwrap();
            if !d.file_type().unwrap().is_dir() {
                continue;
            }
            for f in std::fs::read_dir(d.path()).unwrap() {
                let f = f.unwrap();
                let path = format!(
                    "{}/{}",
                    d.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                );
                files.push((path, std::fs::read_to_string(f.path()).unwrap()));
            }
        }
        files.sort();
        let json = CourseBundle::pack("svelab", &files).unwrap().to_json();
        assert_eq!(
            parse(&json, FILE_NAME).unwrap(),
            svelab_core::course::builtin_course()
        );
        assert!(parse("svelab-course 1\n", "x").is_err());
    }
}
