//! The course as a static file of the bundle (`lessons.txt`), fetched when the lessons are
//! first opened, so the 90 KB of lesson text are not part of the wasm a first visitor
//! downloads. `cargo xtask web` writes it from `lessons/`; [`parse`] reads it back into the
//! `(path, text)` pairs that [`svelab_core::course::Course::parse`] takes, so the playground
//! shows exactly the course the REPL embeds.
//!
//! Format: a first line `svelab-course 1`, then per file a line `PATH<TAB>BYTES` followed by
//! exactly `BYTES` bytes of UTF-8 text and a newline.

/// The first line.
pub const MAGIC: &str = "svelab-course 1";

/// The bundle's file name in `dist/`.
pub const FILE_NAME: &str = "lessons.txt";

/// Writes files in the bundle format (what `cargo xtask web` does).
pub fn write(files: &[(String, String)]) -> String {
    let mut out = format!("{MAGIC}\n");
    for (p, t) in files {
        out.push_str(&format!("{p}\t{}\n{t}\n", t.len()));
    }
    out
}

/// Reads a bundle.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let rest = text
        .strip_prefix(MAGIC)
        .and_then(|r| r.strip_prefix('\n'))
        .ok_or("not a svelab course file (it must start with `svelab-course 1`)")?;
    let mut rest = rest;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let (head, after) = rest
            .split_once('\n')
            .ok_or("a file header without its text")?;
        let (path, len) = head
            .split_once('\t')
            .ok_or_else(|| format!("bad file header `{head}`"))?;
        let len: usize = len.parse().map_err(|_| format!("bad length in `{head}`"))?;
        let body = after
            .get(..len)
            .ok_or_else(|| format!("{path}: the file is cut short"))?;
        out.push((path.to_string(), body.to_string()));
        rest = after[len..].strip_prefix('\n').unwrap_or(&after[len..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_odd_text() {
        let files = vec![
            ("01-a/lesson.md".to_string(), "# A\n\tü\n".to_string()),
            ("01-a/x.svl".to_string(), String::new()),
            ("01-a/y.svl".to_string(), "no newline".to_string()),
        ];
        assert_eq!(parse(&write(&files)).unwrap(), files);
        assert!(parse("hello").is_err());
        assert!(parse(&format!("{MAGIC}\nx\t99\nshort")).is_err());
        assert!(parse(&format!("{MAGIC}\nx\tnope\n")).is_err());
    }

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
        let back = parse(&write(&files)).unwrap();
        let course = svelab_core::course::Course::parse(&back).expect("the course parses");
        assert_eq!(course, svelab_core::course::builtin_course());
    }
}
