#![allow(clippy::print_stdout, clippy::print_stderr)]
//! `svelab`: the terminal REPL and the command line of the svelab model.
//!
//! * `svelab` starts the REPL ([`repl`]): DSL statements execute as steps, `:` commands
//!   inspect, travel in time, compare kernels.
//! * `svelab run FILE…` runs scripts in batch ([`batch`]) with exit codes for CI.
//! * `svelab lessons`, `svelab check EXERCISE FILE` show the course and grade exercises
//!   ([`check`], [`course`]).
//!
//! Everything the model does comes from `svelab-core` through its `Session` façade; this
//! crate only reads input, renders and prints.

mod batch;
mod check;
mod cli;
mod commands;
mod course;
mod diag;
mod display;
mod explain;
mod explore;
mod help;
mod helper;
mod lang;
mod program;
mod repl;
mod style;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        None => repl::main(repl::Options {
            kernel: cli.kernel,
            color: cli.color,
            vi: cli.vi,
        }),
        Some(cli::Sub::Run(args)) => batch::run(&args, cli.kernel, cli.color),
        Some(cli::Sub::Explore(args)) => explore::run(&args, cli.kernel),
        Some(cli::Sub::Check(args)) => check::check(&args, cli.color),
        Some(cli::Sub::Lessons(args)) => check::lessons(&args, cli.color),
    }
}
