#![allow(clippy::print_stdout, clippy::print_stderr)]
//! `svelab`: the terminal REPL and the command line of the svelab model.
//!
//! * `svelab` starts the REPL ([`repl`]): DSL statements execute as steps, `:` commands
//!   inspect, travel in time, compare kernels.
//! * `svelab run FILE…` runs scripts in batch ([`batch`]) with exit codes for CI.
//! * `svelab lessons`, `svelab check EXERCISE FILE` show the course and grade exercises
//!   ([`check`], [`course`]).
//! * `svelab watch FILE` reruns a script each time it is saved ([`watch`]).
//! * `svelab lessons check|pack DIR`, `svelab class sheet|grade`: the teachers' tools
//!   ([`class`]).
//! * `svelab real FILE…` runs scripts on real kernels under QEMU beside the model
//!   ([`realcmd`], booting in the `svelab_real` library of this package).
//!
//! Everything the model does comes from `svelab-core` through its `Session` façade; this
//! crate only reads input, renders and prints.

mod batch;
mod check;
mod class;
mod cli;
mod commands;
mod course;
mod diag;
mod display;
mod explore;
mod help;
mod helper;
mod lang;
mod program;
mod realcmd;
mod repl;
mod style;
mod watch;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if let Some(cli::Sub::Real(args)) = &cli.command {
        return realcmd::run(args, cli.kernel.as_ref(), cli.color);
    }
    let kernel = match cli::KernelArg::model(cli.kernel.as_ref()) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let course_dir = cli.course.clone().or_else(|| {
        std::env::var("SVELAB_COURSE")
            .ok()
            .filter(|d| !d.is_empty())
    });
    if let Some(dir) = &course_dir {
        if let Err(e) = course::use_dir(dir) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    match cli.command {
        None => repl::main(repl::Options {
            kernel,
            color: cli.color,
            vi: cli.vi,
        }),
        Some(cli::Sub::Real(_)) => ExitCode::from(2),
        Some(cli::Sub::Run(args)) => batch::run(&args, kernel, cli.color),
        Some(cli::Sub::Explore(args)) => explore::run(&args, kernel),
        Some(cli::Sub::Check(args)) => check::check(&args, cli.color),
        Some(cli::Sub::Lessons(args)) => check::lessons(&args, cli.color),
        Some(cli::Sub::Watch(args)) => watch::run(&args, kernel, cli.color),
        Some(cli::Sub::Class(cli::ClassSub::Sheet(a))) => class::sheet(&a),
        Some(cli::Sub::Class(cli::ClassSub::Grade(a))) => class::grade(&a),
    }
}
