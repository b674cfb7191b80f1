//! The command line. `svelab` alone starts the REPL; subcommands run scripts (and, with
//! later issues, check exercises and explore interleavings: `check` and `explore` are new
//! variants of [`Sub`]).

use crate::style::ColorChoice;
use clap::{Args, Parser, Subcommand};
use svelab_core::Kernel;

const AFTER_HELP: &str = "\
Examples:
  svelab                              start the REPL (Tab completes, :help explains)
  svelab --kernel v6.2                start the REPL on v6.2
  svelab run scenario.svl             run a script, print the transcript
  svelab run a.svl b.svl --kernel series-v1/p6 --json
  echo 'task A on=cpu0' | svelab run -

Kernels: v5.19, series-v1/p1 … series-v1/p7, series-v1 (= p7), v6.2.
The language: docs/dsl.md, or :help statements in the REPL.";

const RUN_AFTER_HELP: &str = "\
Exit status:
  0  every `expect` held
  1  an `expect` failed (each failure is reported with its file, line and actual value)
  2  the scripts could not be run: a parse error, a step error (a statement impossible
     at that point), an unreadable file, or bad usage";

/// svelab: a register-level lab for how arm64 Linux saves, restores and traps the
/// FPSIMD/SVE registers of tasks and KVM guests, on v5.19, each patch of Mark Brown's 2022
/// series and v6.2.
#[derive(Debug, Parser)]
#[command(
    name = "svelab",
    version,
    about = "A register-level lab for how arm64 Linux saves, restores and traps the FPSIMD/SVE \
             registers of tasks and KVM guests, on v5.19, each patch of Mark Brown's 2022 series, \
             and v6.2",
    long_about = None,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// What to do (without one: the interactive REPL).
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Run on this kernel, whatever the scripts' `kernel` statements say.
    #[arg(long, short = 'k', global = true, value_name = "KERNEL", value_parser = parse_kernel)]
    pub kernel: Option<Kernel>,
    /// When to use colour (`auto` honours NO_COLOR and a terminal).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// REPL: vi editing keys instead of emacs.
    #[arg(long)]
    pub vi: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run scripts and print the transcript (or JSON).
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
}

/// `svelab run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scripts to run, in order; `-` reads one from standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Print one JSON document (every step's report, the final machine) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print only failures and the summary.
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_kernel(s: &str) -> Result<Kernel, String> {
    Kernel::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn kernel_is_global() {
        let c = Cli::try_parse_from(["svelab", "run", "x.svl", "--kernel", "v6.2"]).unwrap();
        assert_eq!(c.kernel, Some(Kernel::V6_2));
        assert!(Cli::try_parse_from(["svelab", "--kernel", "v9"]).is_err());
    }
}
