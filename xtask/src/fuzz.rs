//! `cargo xtask fuzz [--time SECS] [TARGET…]`: coverage-guided fuzzing of the parser, the
//! session and every file format (the crate in `tests/fuzz/`, libFuzzer through
//! `cargo-fuzz`). It needs a nightly toolchain (the sanitizer-coverage flags are unstable),
//! so it is not part of `cargo xtask ci`; it installs the nightly toolchain and
//! `cargo-fuzz` when they are missing. Each target starts from the golden scripts, the
//! conformance scenarios and the lessons' scripts as seeds, keeps its growing corpus in
//! `target/fuzz-corpus/TARGET`, and runs for SECS seconds (default 60). A crash stops
//! the run with the reproducing input under `tests/fuzz/artifacts/`.

use std::path::Path;
use std::process::Command;

/// The fuzz targets, with what each covers.
pub const TARGETS: [(&str, &str); 3] = [
    ("parse", "the parser and its diagnostics"),
    ("session", "load, run, time travel and append"),
    (
        "files",
        "share links, JSON files, course bundles, submissions, lesson folders",
    ),
];

fn ensure_tools() -> Result<(), String> {
    let has_nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nightly {
        super::run(
            "rustup",
            &["toolchain", "install", "nightly", "--profile", "minimal"],
        )?;
    }
    let has_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        super::run("cargo", &["install", "cargo-fuzz"])?;
    }
    Ok(())
}

/// Copies every `.svl` file under `dir` (recursively) into `seeds`.
fn collect_seeds(dir: &Path, seeds: &Path, n: &mut usize) -> Result<(), String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_seeds(&p, seeds, n)?;
        } else if p.extension().is_some_and(|x| x == "svl") {
            *n += 1;
            std::fs::copy(&p, seeds.join(format!("seed-{n}.svl"))).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Runs the fuzz targets.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut secs = 60u64;
    let mut targets: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => {
                secs = it
                    .next()
                    .and_then(|v| v.trim_end_matches('s').parse().ok())
                    .ok_or("--time takes a number of seconds")?;
            }
            t => match TARGETS.iter().find(|(n, _)| *n == t) {
                Some((n, _)) => targets.push(n),
                None => {
                    return Err(format!(
                        "unknown fuzz target `{t}`; targets: {}",
                        TARGETS.map(|(n, _)| n).join(", ")
                    ))
                }
            },
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|(n, _)| *n).collect();
    }
    ensure_tools()?;
    let seeds = root.join("target").join("fuzz-seeds");
    let _ = std::fs::remove_dir_all(&seeds);
    std::fs::create_dir_all(&seeds).map_err(|e| e.to_string())?;
    let mut n = 0;
    for d in [
        "tests/golden",
        "tests/conformance",
        "tests/real/scenarios",
        "lessons",
    ] {
        collect_seeds(&root.join(d), &seeds, &mut n)?;
    }
    for t in targets {
        let corpus = root.join("target").join("fuzz-corpus").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
        eprintln!("xtask: fuzzing `{t}` for {secs} s ({n} seed scripts)");
        let status = Command::new("cargo")
            .current_dir(root)
            .args(["+nightly", "fuzz", "run", "--fuzz-dir", "tests/fuzz", t])
            .arg(&corpus)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={secs}"))
            .arg("-max_len=4096")
            .arg("-print_final_stats=1")
            .env("CARGO_TARGET_DIR", root.join("target").join("fuzz"))
            .status()
            .map_err(|e| format!("cannot run cargo fuzz: {e}"))?;
        if !status.success() {
            return Err(format!(
                "fuzz target `{t}` found a failure ({status}); the input is in tests/fuzz/artifacts/{t}/"
            ));
        }
    }
    Ok(())
}
