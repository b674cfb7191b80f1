#![allow(clippy::print_stdout, clippy::print_stderr)]
//! Project automation: `cargo xtask <command>`.
//!
//! * `ci`: everything CI checks, installing what a fresh machine lacks (the wasm32 target,
//!   rustfmt, clippy): format, lints, the whole test suite, and the wasm32 build of the core;
//!   then the web bundle and the browser tests (installing Chromium and wasm-bindgen-cli).
//! * `web`: builds the browser playground into `web-playground/dist/`.
//! * `serve [--port N]`: serves `web-playground/dist/` on 127.0.0.1.
//! * `lessons`: the author check over `lessons/` (also run by `cargo test --workspace`).
//! * `fuzz [--time SECS] [TARGET…]`: coverage-guided fuzzing (`tests/fuzz/`, nightly).

mod fuzz;
mod lessons;
mod real;
mod web;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("web") => web::build(),
        Some("serve") => web::serve(&args[1..]),
        Some("web-test") => web::test(),
        Some("lessons") => lessons::run(&web::root()),
        Some("real") => real::run::run(&web::root(), &args[1..]),
        Some("fuzz") => fuzz::run(&web::root(), &args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            println!("usage: cargo xtask <command>\n\ncommands:\n  ci        format check, clippy, every test, wasm32 build of svelab-core, web bundle and browser tests, real kernels\n  web       build the browser playground into web-playground/dist/\n  serve     serve web-playground/dist/ on 127.0.0.1 (--port N, default 8000)\n  web-test  build the bundle and run the browser tests in headless Chromium\n  lessons   author check: every lesson script runs, every exercise's reference passes and its wrong answer fails\n  real      boot the pinned real kernels under QEMU and compare every scenario of tests/real/ with the model (optional: a scenario name filter)\n  fuzz      coverage-guided fuzzing of the parser, the session and the file formats (nightly, cargo-fuzz; --time SECS per target, default 60)");
            Ok(())
        }
        Some(other) => Err(format!(
            "unknown command `{other}` (try `cargo xtask help`)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: $ {cmd} {}", args.join(" "));
    let status = Command::new(cmd)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{cmd} {}` failed ({status})", args.join(" ")))
    }
}

fn output(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Installs the rustup pieces the checks need, if missing.
fn ensure_toolchain() -> Result<(), String> {
    let targets = output("rustup", &["target", "list", "--installed"])?;
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    let components = output("rustup", &["component", "list", "--installed"])?;
    for c in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(c)) {
            run("rustup", &["component", "add", c])?;
        }
    }
    Ok(())
}

fn ci() -> Result<(), String> {
    ensure_toolchain()?;
    run("cargo", &["fmt", "--all", "--check"])?;
    run(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run("cargo", &["test", "--workspace"])?;
    run(
        "cargo",
        &[
            "build",
            "-p",
            "svelab-core",
            "--target",
            "wasm32-unknown-unknown",
        ],
    )?;
    web::test()?;
    // Real kernels as the referee: boots Linux 6.1 and 6.12 under QEMU (a few minutes).
    real::run::run(&web::root(), &[])?;
    eprintln!("xtask: ci passed");
    Ok(())
}
