//! Everything a user can hand the tools as a file or a link, on any bytes: share links,
//! saved machines and traces, course bundles, submissions, progress files and lesson
//! folders are refused with an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use svelab_core::course::class::{CourseBundle, Submission};
use svelab_core::course::{Course, Progress};
use svelab_core::session::{machine_from_json, trace_from_json};
use svelab_core::share;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = share::decode(&text);
    let _ = machine_from_json(&text);
    let _ = trace_from_json(&text);
    let _ = CourseBundle::from_json(&text, "fuzz.json");
    let _ = Submission::from_json(&text, "fuzz.json");
    let _ = Progress::from_json(&text);
    // A lesson folder: `lesson.md`, then `exercises.toml` and a script after `\n%%\n`.
    let mut parts = text.splitn(3, "\n%%\n");
    let md = parts.next().unwrap_or("");
    let toml = parts.next().unwrap_or("");
    let svl = parts.next().unwrap_or("");
    let files = [
        ("01-fuzz/lesson.md", md),
        ("01-fuzz/exercises.toml", toml),
        ("01-fuzz/start.svl", svl),
    ];
    let _ = Course::parse(&files);
});
