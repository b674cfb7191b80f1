//! `svelab watch FILE`: reruns a script (or grades it as an exercise) each time it is
//! saved, as `cargo watch` and Rustlings do. The file is polled (its modification time,
//! size and text), so no file-notification library is needed; Ctrl-C ends it (status 130,
//! after the run in progress; a second Ctrl-C at once), also when it was started with
//! SIGINT ignored.

use crate::check;
use crate::cli::{CheckArgs, RunArgs, WatchArgs};
use crate::style::{self, ColorChoice, Style};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use svelab_core::Kernel;

/// What identifies one saved version of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    text: String,
}

fn stamp(path: &str) -> std::io::Result<Stamp> {
    let modified = std::fs::metadata(path)?.modified().ok();
    let text = std::fs::read_to_string(path)?;
    Ok(Stamp { modified, text })
}

/// Runs `svelab watch`. Returns (only with `--max-runs`) the status of the last run.
pub fn run(args: &WatchArgs, kernel: Option<Kernel>, color: ColorChoice) -> ExitCode {
    let st = Style {
        color: style::stdout_color(color),
    };
    let poll = Duration::from_millis(args.poll_ms.clamp(10, 10_000));
    let tty = std::io::stdout().is_terminal();
    let mut last: Option<Stamp> = None;
    let mut missing_told = false;
    let mut runs = 0u64;
    let stop = Arc::new(AtomicBool::new(false));
    let sigint = signal_hook::consts::SIGINT;
    let _ = signal_hook::flag::register_conditional_shutdown(sigint, 130, Arc::clone(&stop));
    let _ = signal_hook::flag::register(sigint, Arc::clone(&stop));
    loop {
        if stop.load(Ordering::Relaxed) {
            return ExitCode::from(130);
        }
        match stamp(&args.file) {
            Err(e) => {
                if !missing_told {
                    missing_told = true;
                    eprintln!(
                        "{} cannot read `{}`: {e} · waiting for it (Ctrl-C stops)",
                        st.yellow("watch:"),
                        args.file
                    );
                }
            }
            Ok(now) if last.as_ref() != Some(&now) => {
                // An editor may write in several steps: wait until the file holds still.
                std::thread::sleep(poll / 2);
                if stamp(&args.file).ok().as_ref() != Some(&now) {
                    continue;
                }
                missing_told = false;
                last = Some(now);
                runs += 1;
                if tty && runs > 1 {
                    // Clear the screen: the new run replaces the old one.
                    print!("\x1b[2J\x1b[H");
                }
                let what = match &args.exercise {
                    Some(e) => format!("checking {} as exercise {e}", args.file),
                    None => format!("running {}", args.file),
                };
                println!(
                    "{}",
                    st.heading(format!("── svelab watch: {what} (run {runs}) ──"))
                );
                let _ = std::io::stdout().flush();
                let status = once(args, kernel, color);
                let _ = std::io::stderr().flush();
                println!(
                    "{}",
                    st.dim(format!(
                        "── watching {}: save it to run again · Ctrl-C stops ──",
                        args.file
                    ))
                );
                let _ = std::io::stdout().flush();
                if args.max_runs.is_some_and(|m| runs >= m) {
                    return status;
                }
            }
            Ok(_) => {}
        }
        std::thread::sleep(poll);
    }
}

/// One run: `svelab run FILE`, or `svelab check EXERCISE FILE`.
fn once(args: &WatchArgs, kernel: Option<Kernel>, color: ColorChoice) -> ExitCode {
    match &args.exercise {
        Some(e) => check::check(
            &CheckArgs {
                exercise: e.clone(),
                file: Some(args.file.clone()),
                answer: None,
                seed: None,
                quiet: args.quiet,
                reveal: false,
            },
            color,
        ),
        None => crate::batch::run(
            &RunArgs {
                files: vec![args.file.clone()],
                json: false,
                quiet: args.quiet,
            },
            kernel,
            color,
        ),
    }
}
