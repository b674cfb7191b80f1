//! The command line. `svelab` alone starts the REPL; subcommands run scripts, explore
//! interleavings, show the course and grade exercises.

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
  svelab lessons                      the course, with your progress
  svelab lessons 3                    read lesson 3
  svelab check 1/shape-z mine.svl     grade a script for a construct exercise
  svelab check 1/fp-write --answer '0, ones'
  svelab real mine.svl                run it on real Linux 6.1 and 6.12 under QEMU, beside the model
  svelab watch mine.svl               rerun it each time it is saved (Ctrl-C stops)

Kernels: v5.19-rc1 (the series' base, the default), series-v1/p1 … series-v1/p7, series-v1 (= p7),
v5.19 (the release: rc1 plus the -rc3 KVM fix), v6.1, v6.2, v6.12.
The language: docs/dsl.md, or :help statements in the REPL.";

const RUN_AFTER_HELP: &str = "\
Exit status:
  0  every `expect` held
  1  an `expect` failed (each failure is reported with its file, line and actual value)
  2  the scripts could not be run: a parse error, a step error (a statement impossible
     at that point), an unreadable file, or bad usage";

/// svelab: a register-level lab for how arm64 Linux saves, restores and traps the
/// FPSIMD/SVE registers of tasks and KVM guests, on v5.19, each patch of Mark Brown's 2022
/// series, v6.2 and Debian's 6.1 and 6.12.
#[derive(Debug, Parser)]
#[command(
    name = "svelab",
    version,
    about = "A register-level lab for how arm64 Linux saves, restores and traps the FPSIMD/SVE \
             registers of tasks and KVM guests, on v5.19, each patch of Mark Brown's 2022 series, \
             v6.2 and Debian's 6.1 and 6.12",
    long_about = None,
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// What to do (without one: the interactive REPL).
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Run on this kernel, whatever the scripts' `kernel` statements say (`svelab real`:
    /// the real kernel, 6.1, 6.12 or both).
    #[arg(long, short = 'k', global = true, value_name = "KERNEL", value_parser = parse_kernel)]
    pub kernel: Option<KernelArg>,
    /// When to use colour (`auto` honours NO_COLOR and a terminal).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// REPL: vi editing keys instead of emacs.
    #[arg(long)]
    pub vi: bool,
    /// Use the course in this folder instead of the built-in one (`:lesson`, `:exercise`,
    /// `svelab check`, `svelab class`; SVELAB_COURSE too); the format is lessons/README.md's.
    #[arg(long, global = true, value_name = "DIR")]
    pub course: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run scripts and print the transcript (or JSON).
    #[command(after_help = RUN_AFTER_HELP)]
    Run(RunArgs),
    /// Search every short scenario for invariant violations and ABI breaks, and print the
    /// shortest script for each distinct cause.
    #[command(after_help = EXPLORE_AFTER_HELP)]
    Explore(ExploreArgs),
    /// Grade an answer to an exercise of the course: a script (construct) or values
    /// (predict).
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// List the lessons with your progress, or print one lesson and its exercises.
    #[command(after_help = LESSONS_AFTER_HELP)]
    Lessons(LessonsArgs),
    /// For teachers: worksheets for a class, and grading of the submissions.
    #[command(subcommand)]
    Class(ClassSub),
    /// Run scripts on real arm64 Linux (Debian's 6.1 and 6.12, booted under QEMU) and show
    /// each `expect` and `show` beside the model's prediction.
    #[command(after_help = REAL_AFTER_HELP)]
    Real(RealArgs),
    /// Rerun a script (or grade it as an exercise) each time the file is saved.
    #[command(after_help = WATCH_AFTER_HELP)]
    Watch(WatchArgs),
}

const WATCH_AFTER_HELP: &str = "\
The file is checked a few times a second; each saved change runs it again, as `svelab run
FILE` does (or `svelab check EXERCISE FILE` with --exercise). Ctrl-C stops.

Examples:
  svelab watch mine.svl                     rerun on every save
  svelab watch mine.svl --kernel v6.2       on v6.2, whatever the script says
  svelab watch mine.svl --exercise 3/2      grade it as exercise 2 of lesson 3";

/// `svelab watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The script to watch.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Grade it as this exercise (LESSON/EXERCISE) instead of running it.
    #[arg(long, short, value_name = "EXERCISE")]
    pub exercise: Option<String>,
    /// Print only the summary and failures.
    #[arg(long, short)]
    pub quiet: bool,
    /// Milliseconds between checks of the file.
    #[arg(long, default_value_t = 250, value_name = "MS", hide = true)]
    pub poll_ms: u64,
    /// Stop after this many runs (for tests and scripts).
    #[arg(long, value_name = "N", hide = true)]
    pub max_runs: Option<u64>,
}

const REAL_AFTER_HELP: &str = "\
The script is translated into the steps of a real program (a statement a real program cannot
do is an error at its line, before anything boots), the kernel boots under QEMU with the
program as its init, and every value the script reads is compared with the model's
prediction: Linux 6.1 with the model's v6.1, 6.12 with v6.12. The first run installs QEMU
and an arm64 cross compiler with apt if missing and downloads the pinned kernels into
~/.cache/svelab/real (SVELAB_REAL_CACHE sets another place).

Examples:
  svelab real mine.svl                 on 6.1 and on 6.12
  svelab real mine.svl --kernel 6.12   on 6.12 only (v6.12 means the same)
  svelab real a.svl b.svl              both scripts in one boot per kernel

What runs on a real kernel: docs/dsl.md, \"On a real kernel\".

Exit status:
  0  every observation agrees with the model
  1  at least one differs
  2  the scripts could not be translated or run, or a value could not be observed";

/// `svelab real`.
#[derive(Debug, Args)]
pub struct RealArgs {
    /// Scripts (`-` reads standard input).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

/// `--kernel`: a model kernel, or (for `svelab real`) a real one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelArg {
    /// A kernel of the model (`v6.2`, `series-v1/p6`, …).
    Model(Kernel),
    /// A real kernel: "6.1" or "6.12".
    Real(&'static str),
    /// `both`: both real kernels.
    BothReal,
}

impl KernelArg {
    /// The model kernel, for everything but `svelab real`.
    pub fn model(arg: Option<&KernelArg>) -> Result<Option<Kernel>, String> {
        match arg {
            None => Ok(None),
            Some(KernelArg::Model(k)) => Ok(Some(*k)),
            Some(KernelArg::Real(l)) => Err(format!(
                "`{l}` is a real kernel, for `svelab real`; the model's kernel for it is v{l}"
            )),
            Some(KernelArg::BothReal) => Err(
                "`both` means both real kernels, for `svelab real`; here name one kernel of the model, e.g. v6.12"
                    .into(),
            ),
        }
    }
}

const CHECK_AFTER_HELP: &str = "\
An exercise is LESSON/EXERCISE: a lesson's number or id, then an exercise's id or number
(`svelab lessons 3` lists them). The values in the exercise are your variant: the seed is
--seed, else SVELAB_SEED, else the one in your progress file (the REPL's), else your user
name. `svelab lessons 3/2` prints the exercise as you see it.

Examples:
  svelab check 1/shape-z mine.svl                 a construct: grade the script
  svelab check first-sve-use/2 - < mine.svl       the script on standard input
  svelab check 1/fp-write --answer '0, ones'      a predict: one value per blank, in order
  svelab check 1/zcr-len answer.txt --seed 7      the values in a file; seed 7's variant

Without --seed the result is recorded in the progress file (SVELAB_PROGRESS sets it; empty:
not kept), as `:check` in the REPL does. A wrong prediction says which values are wrong but not
the model's values: try again, or add --reveal (they are shown anyway after 3 wrong tries).

Exit status:
  0  passed
  1  not passed (each check that failed is listed)
  2  bad usage: unknown exercise, unreadable file, no answer, the wrong number of values";

const LESSONS_AFTER_HELP: &str = "\
Examples:
  svelab lessons          every lesson, ✓ when its exercises are passed
  svelab lessons 3        lesson 3: its text, scripts and exercises
  svelab lessons 3/2      exercise 2 of lesson 3, your variant (--seed N for another)
  svelab lessons --dir my-course/        the lessons of your own course folder
  svelab lessons check my-course/        the author check on it (file:line:column errors)
  svelab lessons check                   the author check on the built-in course
  svelab lessons pack my-course/         my-course.json, for the playground (#course=my-course.json)

In the REPL: :lesson, :lesson 3, :lesson 3 load trap, :exercise, :hint, :check.";

/// `svelab check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The exercise: LESSON/EXERCISE (`3/2`, `first-sve-use/two-traps`).
    #[arg(value_name = "EXERCISE")]
    pub exercise: String,
    /// The answer: a script (construct) or the values (predict); `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<String>,
    /// A predict's values on the command line: `--answer '0, ones'`.
    #[arg(long, short, value_name = "VALUES")]
    pub answer: Option<String>,
    /// The student seed (decimal or 0x hex): grade that variant; nothing is recorded.
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Print only the verdict line.
    #[arg(long, short)]
    pub quiet: bool,
    /// Show the model's values and why, even for a wrong prediction (otherwise they are
    /// shown after the third wrong try, as in the REPL).
    #[arg(long)]
    pub reveal: bool,
}

/// `svelab class …`.
#[derive(Debug, Subcommand)]
pub enum ClassSub {
    /// One sheet per student of the roster (their own numbers; Markdown and printable HTML),
    /// an answer key and assignment.json.
    #[command(after_help = SHEET_AFTER_HELP)]
    Sheet(SheetArgs),
    /// Re-grade every submission of a folder; write grades.csv and summary.md.
    #[command(after_help = GRADE_AFTER_HELP)]
    Grade(GradeArgs),
}

const SHEET_AFTER_HELP: &str = "\
Example:
  svelab class sheet --exercises 3/trap-count,6/clear-regs --roster roster.csv --out week3

The roster is CSV with a header line with an `id` column (and optionally `name`). Each
student's numbers come from their id and the assignment's name (--assignment; default: the
exercise list), always the same. Students start the REPL with the SVELAB_SEED their sheet
gives and hand in with `:submit FILE ID ASSIGNMENT` (the playground: Class, Submit).
See lessons/README.md, \"For teachers\".";

const GRADE_AFTER_HELP: &str = "\
Example:
  svelab class grade --roster roster.csv submissions/ --assignment week3/assignment.json --out week3

Every file of the folder is read; a file that is not a submission, is for another student or
assignment, or was edited gets one line on standard error and is not graded (the run goes
on). Students without a graded file count as missing.";

/// `svelab class sheet`.
#[derive(Debug, Args)]
pub struct SheetArgs {
    /// The exercises, comma-separated: `3/trap-count,6/clear-regs`.
    #[arg(long, value_name = "LIST")]
    pub exercises: String,
    /// The class roster (CSV with an `id` column).
    #[arg(long, value_name = "CSV")]
    pub roster: String,
    /// The assignment's name (part of every seed); default: the exercise list.
    #[arg(long, value_name = "NAME")]
    pub assignment: Option<String>,
    /// Where to write the sheets (default: `sheets`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,
}

/// `svelab class grade`.
#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The folder of submission files.
    #[arg(value_name = "SUBMISSIONS")]
    pub submissions: String,
    /// The class roster (CSV with an `id` column).
    #[arg(long, value_name = "CSV")]
    pub roster: String,
    /// The assignment.json `svelab class sheet` wrote (default: the assignment most
    /// submissions name, with the exercises they answer).
    #[arg(long, value_name = "FILE")]
    pub assignment: Option<String>,
    /// Where to write grades.csv and summary.md (default: `grades`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,
}

/// `svelab lessons`.
#[derive(Debug, Args)]
pub struct LessonsArgs {
    /// A lesson (`3`, `first-sve-use`) or an exercise (`3/2`) to print; or `check DIR` (the
    /// author check on a course folder), or `pack DIR` (the folder as one JSON file).
    #[arg(value_name = "LESSON")]
    pub what: Option<String>,
    /// The course folder of `check` and `pack`.
    #[arg(value_name = "DIR")]
    pub dir_arg: Option<String>,
    /// The course in this folder instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<String>,
    /// `pack`: the file to write (default: the folder's name + .json).
    #[arg(long, value_name = "FILE")]
    pub out: Option<String>,
    /// The student seed for the exercise's variant.
    #[arg(long, value_name = "N", value_parser = parse_seed)]
    pub seed: Option<u64>,
}

fn parse_seed(s: &str) -> Result<u64, String> {
    crate::course::parse_seed(s).ok_or_else(|| format!("`{s}` is not a number"))
}

const EXPLORE_AFTER_HELP: &str = "\
The search starts from a fresh machine (tasks A, B, C running where a CPU is free; vCPU V0
with SVE, V1 without), tries every operation of the chosen families from every reachable
state, breadth first, and merges states that differ only by task or CPU names.

Operation families (--ops, comma-separated): user, syscall, sched, signal, neon, prctl,
ptrace, kvm, preempt (inside the SVE trap, on the way back to user, before a pending
signal, between KVM_RUN's entry and vcpu_load), zcr (a guest writes its own ZCR_EL1),
handler (a signal handler edits its frame; sigaction SIGUSR1), default (all but preempt,
zcr and handler), all.

Examples:
  svelab explore --kernel v6.2 --depth 4
  svelab explore --kernel v5.19 --depth 5 --ops user,syscall,sched,kvm --out findings/
  svelab explore -k v6.2 --depth 8 --time 5m
  svelab explore -k v6.2 --nvhe --ops default,zcr --depth 4   a guest lowering its own VL
  svelab explore -k v6.12 --depth 4 --real      replay each finding on real Linux 6.12

The search stops at the time budget (--time, 60 s unless given; 0 for none) or on Ctrl-C;
either way it prints what it found so far and saves each counterexample as <cause>.svl in
the --out directory, or in ./svelab-explore/ (a second Ctrl-C quits at once).

Exit status: 0 nothing found, 1 something found, 2 bad usage, 130 interrupted by Ctrl-C
(after printing and saving the findings).";

/// `svelab explore`.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// CPUs (1–4).
    #[arg(long, default_value_t = 2)]
    pub cpus: usize,
    /// Tasks (1–3).
    #[arg(long, default_value_t = 2)]
    pub tasks: usize,
    /// vCPUs (0–2).
    #[arg(long, default_value_t = 1)]
    pub vcpus: usize,
    /// Longest operation sequence (1–64).
    #[arg(long, short, default_value_t = 6)]
    pub depth: usize,
    /// Operation families.
    #[arg(long, default_value = "default", value_name = "LIST")]
    pub ops: String,
    /// nVHE host instead of VHE.
    #[arg(long)]
    pub nvhe: bool,
    /// Stop after this many distinct states.
    #[arg(long, value_name = "N")]
    pub max_states: Option<u64>,
    /// Time budget: stop after this long (`90s`, `2m`, `1h`; `0` for none). When it runs
    /// out, or on Ctrl-C, what was found so far is printed and saved.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub time: TimeBudget,
    /// The same budget in seconds (overrides --time).
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// Worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Replay each counterexample on the real kernel under QEMU (with --kernel v6.1 or
    /// v6.12) and say whether it shows the same broken registers.
    #[arg(long)]
    pub real: bool,
    /// Save each counterexample as DIR/<cause>.svl instead of printing it (a search stopped
    /// early saves there, or in ./svelab-explore/ without --out).
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,
    /// Where the playground is served, for the share links (`cargo xtask serve`'s default).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8000/")]
    pub playground: String,
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

/// A time budget in seconds; `None`: no limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeBudget(pub Option<f64>);

/// `90s`, `2m`, `1h`, `1.5` (seconds); `0` or `none` for no limit.
fn parse_duration(s: &str) -> Result<TimeBudget, String> {
    let t = s.trim();
    if t == "none" {
        return Ok(TimeBudget(None));
    }
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("`{s}`: the unit is s, m or h (e.g. 90s, 2m)")),
    };
    match num.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(TimeBudget((n > 0.0).then_some(n * scale))),
        _ => Err(format!(
            "`{s}` is not a duration (e.g. 90s, 2m, 0 for none)"
        )),
    }
}

fn parse_kernel(s: &str) -> Result<KernelArg, String> {
    match s {
        "both" => Ok(KernelArg::BothReal),
        "6.1" => Ok(KernelArg::Real("6.1")),
        "6.12" => Ok(KernelArg::Real("6.12")),
        _ => Kernel::parse(s)
            .map(KernelArg::Model)
            .map_err(|e| format!("{e} (real kernels, for `svelab real`: 6.1, 6.12, both)")),
    }
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
    fn explore_has_a_default_time_budget_and_reads_durations() {
        let c = Cli::try_parse_from(["svelab", "explore"]).unwrap();
        let Some(Sub::Explore(a)) = c.command else {
            panic!("explore")
        };
        assert_eq!(a.time, TimeBudget(Some(60.0)));
        for (arg, secs) in [("90s", Some(90.0)), ("2m", Some(120.0)), ("0", None)] {
            let c = Cli::try_parse_from(["svelab", "explore", "--time", arg]).unwrap();
            let Some(Sub::Explore(a)) = c.command else {
                panic!("explore")
            };
            assert_eq!(a.time, TimeBudget(secs), "{arg}");
        }
        let e = Cli::try_parse_from(["svelab", "explore", "--time", "5 parsecs"]).unwrap_err();
        assert!(e.to_string().contains("unit"), "{e}");
    }

    #[test]
    fn kernel_is_global() {
        let c = Cli::try_parse_from(["svelab", "run", "x.svl", "--kernel", "v6.2"]).unwrap();
        assert_eq!(c.kernel, Some(KernelArg::Model(Kernel::V6_2)));
        let r = Cli::try_parse_from(["svelab", "real", "x.svl", "--kernel", "6.12"]).unwrap();
        assert_eq!(r.kernel, Some(KernelArg::Real("6.12")));
        assert!(KernelArg::model(r.kernel.as_ref()).is_err());
        assert!(Cli::try_parse_from(["svelab", "--kernel", "v9"]).is_err());
    }
}
