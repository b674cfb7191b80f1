//! The REPL's `:` commands: one table ([`COMMANDS`]) gives every command its name,
//! aliases, arguments, summary and help; [`parse`] turns a line into a [`Command`], a closed
//! enum the REPL matches on. Adding a command = a table row + a variant + its arm in
//! `repl.rs`; the compiler finds the arm.

use crate::display::RegFormat;
use std::path::PathBuf;
use svelab_core::dsl::{Diagnostic, Span};
use svelab_core::Kernel;

/// What an argument is, for completion and hints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A help topic.
    Topic,
    /// What `show` takes.
    ShowTarget,
    /// A task or CPU.
    TaskOrCpu,
    /// `hex`, `bytes`, `lanes`, `compact`.
    RegFormat,
    /// A step number (or `end` for `:goto`).
    Step,
    /// A path into the model.
    Path,
    /// Something `:explain` knows.
    Explainable,
    /// A kernel name.
    Kernel,
    /// A file name.
    File,
    /// A setting name, then its value.
    Setting,
    /// A lesson (number or id), then `load`/`run` and one of its scripts.
    Lesson,
    /// An exercise (`3/two-traps`, `next`), then `load`.
    Exercise,
    /// A real kernel: `6.1`, `6.12`, `both`.
    RealKernel,
    /// `line N` or `when CONDITION`.
    Break,
    /// A breakpoint or watch number, or `all`.
    StopId,
}

/// One row of the command table.
#[derive(Debug)]
pub struct Spec {
    /// Name, without the colon.
    pub name: &'static str,
    /// Other names.
    pub aliases: &'static [&'static str],
    /// Arguments as shown in help and hints.
    pub usage: &'static str,
    /// Argument kinds, in order.
    pub args: &'static [Arg],
    /// One line.
    pub summary: &'static str,
    /// More, for `:help NAME`.
    pub help: &'static str,
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: &[Spec] = &[
    Spec { name: "help", aliases: &["h", "?"], usage: "[topic]", args: &[Arg::Topic], summary: "help on commands, statements, paths, values, kernels, keys", help: "`:help` lists everything; `:help sve-op` explains a statement, `:help :regs` a command, `:help paths` what `expect` and `show` can read." },
    Spec { name: "show", aliases: &[], usage: "[what]", args: &[Arg::ShowTarget], summary: "the state panel, or a task, CPU, vCPU, path, counters, events, violations, config, machine", help: "Without an argument: the state panel (CPU boxes with who owns the registers, the task and vCPU tables). With one: what `show WHAT` prints, without making it a step." },
    Spec { name: "regs", aliases: &["r"], usage: "<task|cpu> [compact|hex|bytes|lanes]", args: &[Arg::TaskOrCpu, Arg::RegFormat], summary: "every register of a task (its user view) or a CPU (raw), changes marked", help: "For a task: the user view, what its next instruction would read. For a CPU: the raw registers. `hex` prints every digit with bit ranges, `bytes` memory order, `lanes` 32-bit lanes; the default is the compact DSL notation. Registers changed by the last step are marked with *." },
    Spec { name: "step", aliases: &["s", "n", "next"], usage: "[n]", args: &[Arg::Step], summary: "execute the next statement (n statements)", help: "Steps forward through the program: after `:back`, `:goto`, an interrupted run or a step error. Each step shows its events and what changed." },
    Spec { name: "back", aliases: &["b", "undo"], usage: "[n]", args: &[Arg::Step], summary: "go back one step (n steps)", help: "Time travel: the state before the last step. Typing a statement afterwards continues from here and drops the old future." },
    Spec { name: "goto", aliases: &["g"], usage: "<n|end>", args: &[Arg::Step], summary: "go to the state after n steps", help: "`:goto 0` is the start, `:goto end` the end of the program." },
    Spec { name: "run", aliases: &["continue", "c"], usage: "", args: &[], summary: "run the rest of the program", help: "Continues after `:back`, `:goto` or an interrupted run. Ctrl-C stops it and keeps the session." },
    Spec { name: "list", aliases: &["l", "program"], usage: "", args: &[], summary: "the program so far, with the next statement marked", help: "Every statement entered or loaded, numbered by line; ▶ marks the statement the next step executes." },
    Spec { name: "diff", aliases: &["d"], usage: "<a> [b]", args: &[Arg::Step, Arg::Step], summary: "every field that differs between steps a and b (b: now)", help: "Raw fields, registers and each task's user view (`A.user.z0`) that differ between the state after step a and after step b." },
    Spec { name: "events", aliases: &["e"], usage: "[step]", args: &[Arg::Step], summary: "what the kernel did in the last step (or step n)", help: "The events of one step, each named after the kernel function that did it; `:explain FUNCTION` says what it does." },
    Spec { name: "why", aliases: &["w"], usage: "<path>", args: &[Arg::Path], summary: "which step, and which kernel function, last changed a field", help: "e.g. `:why A.TIF_SVE`, `:why cpu0.CPACR_EL1.ZEN_EL0EN`, `:why A.z0`. Searches the history backwards for the step that gave the field its current value." },
    Spec { name: "explain", aliases: &["x"], usage: "[function|invariant|bug|field]", args: &[Arg::Explainable], summary: "what a kernel function, invariant, known bug or field means", help: "`:explain fpsimd_save`, `:explain B1`, `:explain TIF_SVE`, `:explain signal-frame-trusts-TIF_SVE`. Without an argument: the functions of the last step." },
    Spec { name: "kernel", aliases: &["k"], usage: "[name]", args: &[Arg::Kernel], summary: "show the kernel, or rerun the session on another", help: "`:kernel v6.2` replays everything typed so far on v6.2 (a `kernel` statement in the program is overridden) and goes to the same step." },
    Spec { name: "compare", aliases: &["cmp"], usage: "<kernel>", args: &[Arg::Kernel], summary: "rerun the session on another kernel and show the differences", help: "Runs the program on the current kernel and on the other in lockstep and shows every step whose events, counters or outcome differ, then the final differences." },
    Spec { name: "real", aliases: &[], usage: "[6.1|6.12|both]", args: &[Arg::RealKernel], summary: "run the program on real Linux under QEMU, beside the model's prediction", help: "Translates the whole program (what `:list` shows) into a real arm64 program, boots Debian's Linux 6.1 and/or 6.12 under QEMU with it, and prints each `expect` and `show` beside the model's prediction on v6.1/v6.12, as `svelab real` does. A statement a real program cannot do is reported at its line before anything boots. The first run installs QEMU and downloads the kernels (a minute or two); later runs take about 20 s per kernel." },
    Spec { name: "break", aliases: &["br", "breakpoints"], usage: "[line N | when COND]", args: &[Arg::Break, Arg::Path], summary: "stop runs before a line or when a condition becomes true; list them", help: "`:break line 12` (or `:break 12`) stops `:run`, `:load` and typed statements before the statement on line 12 (`:list` numbers the lines). `:break when A.TIF_SVE == 0` stops after the step that makes the condition true; it takes what `expect` takes (`cpu0.owner == B`, `violation B1`, `no-violations`). `:break` alone lists breakpoints and watches; `:delete N` removes one. `:run` goes on after a stop." },
    Spec { name: "watch", aliases: &["wa"], usage: "<path>", args: &[Arg::Path], summary: "stop runs when a field changes", help: "`:watch A.TIF_SVE`, `:watch cpu0.owner`, `:watch A.z0`: a run stops after the step that changes the value, and says from what to what (checked at every step, so runs are slower while a watch is set). `:break` lists watches with the breakpoints; `:delete N` removes one." },
    Spec { name: "delete", aliases: &["del", "unbreak", "unwatch"], usage: "<n|all>", args: &[Arg::StopId], summary: "remove a breakpoint or watch (`all`: every one)", help: "The numbers are those `:break` lists." },
    Spec { name: "legend", aliases: &["key"], usage: "", args: &[], summary: "what the state panel's symbols mean (● ○ ◆ – *)", help: "Explains the marks of the state panel: who the registers hold (fresh, stale, guest, nobody), what changed (*), and the columns of the task table." },
    Spec { name: "load", aliases: &[], usage: "<file>", args: &[Arg::File], summary: "replace the session with a script and run it", help: "Parses the whole file first (nothing changes if it has errors), then runs it; Ctrl-C stops it. `:goto 0` and `:step` walk through it." },
    Spec { name: "save", aliases: &[], usage: "<file>", args: &[Arg::File], summary: "write the program as a script", help: "The statements entered so far, as a script `svelab run` and `:load` accept." },
    Spec { name: "export", aliases: &[], usage: "<trace.json>", args: &[Arg::File], summary: "write a JSON trace of the whole run", help: "Every step's report (events, counters, violations, outcome) and the final machine, as `svelab-trace` JSON (the session does not move)." },
    Spec { name: "set", aliases: &[], usage: "<edit-mode emacs|vi | panel on|off>", args: &[Arg::Setting], summary: "line-editing mode, state panel after each step", help: "`:set edit-mode vi` switches to vi keys (also `svelab --vi`); `:set panel off` hides the state panel after statements." },
    Spec { name: "lesson", aliases: &["lessons"], usage: "[n|id] [load|run <script>]", args: &[Arg::Lesson, Arg::Lesson, Arg::Lesson], summary: "the lessons; a lesson's text, scripts and exercises; load a script", help: "`:lesson` lists the lessons with your progress; `:lesson 3` (or `:lesson first-sve-use`) shows lesson 3: its text, its scripts and its exercises. `:lesson 3 load trap` replaces the session with the script trap.svl at step 0, on its own kernel: `:step` walks it, `:run` runs the rest. `:lesson 3 run trap` loads and runs it." },
    Spec { name: "exercise", aliases: &["ex"], usage: "[n/id|next] [load]", args: &[Arg::Exercise, Arg::Exercise], summary: "show an exercise (your variant), or load its starter or setup", help: "`:exercise 3/2` or `:exercise 3/two-traps` shows exercise 2 of lesson 3 with your numbers; `:exercise` shows the current one (or the next not passed), `:exercise next` the next not passed. `:exercise load` replaces the session with the starter script of a construct exercise (or the setup of a predict one), on the exercise's kernel. Then `:hint`, `:check`. Progress is kept in the data directory (SVELAB_PROGRESS overrides the file)." },
    Spec { name: "hint", aliases: &[], usage: "", args: &[], summary: "the next hint for the current exercise", help: "Hints come one at a time; `:exercise` shows the ones revealed so far." },
    Spec { name: "check", aliases: &[], usage: "[answer…]", args: &[], summary: "grade your answer: `:check 0, 1` (predict) or the session's program (construct)", help: "Predict: `:check 0, ones` gives one value per blank, in order (commas or spaces between). Construct: `:check` grades the program of this session (what `:list` shows, typed or loaded) as your script, on the exercise's kernel. The result says which checks hold; a predict shows why." },
    Spec { name: "reveal", aliases: &[], usage: "", args: &[], summary: "the answer and why (after a first `:check`)", help: "Shows the author's answer (a predict's values, a construct's script) and the explanation. Try `:check` first; a wrong prediction shows the answer by itself after the third try." },
    Spec { name: "submit", aliases: &[], usage: "FILE STUDENT ASSIGNMENT", args: &[], summary: "hand in your answers to an assignment (a file for your teacher)", help: "Writes your last answer to every exercise you checked, the scripts, your seed, attempts and hints into FILE, for the student id and assignment of your sheet. Start the REPL with the SVELAB_SEED your sheet gives first." },
    Spec { name: "variant", aliases: &[], usage: "", args: &[], summary: "new numbers for the current exercise", help: "Draws a new variant of the current exercise (other tasks, registers, values) and hides the hints again." },
    Spec { name: "reset", aliases: &[], usage: "", args: &[], summary: "start again with an empty session (same kernel)", help: "Drops the program and the history; keeps the kernel chosen with `:kernel` or `--kernel`." },
    Spec { name: "quit", aliases: &["q", "exit"], usage: "", args: &[], summary: "leave (Ctrl-D too)", help: "The history is kept in the data directory." },
];

/// A setting of `:set`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// vi keys (`true`) or emacs keys.
    Vi(bool),
    /// The state panel after statements.
    Panel(bool),
}

/// Where `:goto` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// After this many steps.
    Step(u64),
    /// The end of the program.
    End,
}

/// What `:lesson` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LessonCmd {
    /// `:lesson`: the list.
    List,
    /// `:lesson N`: the lesson.
    Show(String),
    /// `:lesson N load|run SCRIPT`.
    Load {
        /// The lesson.
        lesson: String,
        /// The script (name, stem or number).
        script: String,
        /// Run it to the end (`run`) or stay at step 0 (`load`).
        run: bool,
    },
}

/// What `:break` sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakSpec {
    /// Before the statement on this 1-based line.
    Line(u32),
    /// After a step that makes this condition (as `expect` takes it) true.
    When(String),
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `:help [topic]`.
    Help(Option<String>),
    /// `:show [what]`.
    Show(Option<String>),
    /// `:regs target [format]`.
    Regs(String, RegFormat),
    /// `:step [n]`.
    Step(u64),
    /// `:back [n]`.
    Back(u64),
    /// `:goto n|end`.
    Goto(Target),
    /// `:run`.
    Run,
    /// `:list`.
    List,
    /// `:diff a [b]`.
    Diff(u64, Option<u64>),
    /// `:events [n]`.
    Events(Option<u64>),
    /// `:why path`.
    Why(String),
    /// `:explain [what]`.
    Explain(Option<String>),
    /// `:kernel [k]`.
    Kernel(Option<Kernel>),
    /// `:compare k`.
    Compare(Kernel),
    /// `:real [6.1|6.12|both]`: the real kernels' labels (empty: both).
    Real(Vec<&'static str>),
    /// `:break [line N | when COND]` (`None`: list).
    Break(Option<BreakSpec>),
    /// `:watch path` (`None`: list).
    Watch(Option<String>),
    /// `:delete n|all` (`None`: all).
    Delete(Option<u32>),
    /// `:legend`.
    Legend,
    /// `:load file`.
    Load(PathBuf),
    /// `:save file`.
    Save(PathBuf),
    /// `:export file`.
    Export(PathBuf),
    /// `:set …`.
    Set(Setting),
    /// `:lesson …`.
    Lesson(LessonCmd),
    /// `:exercise [which] [load]`.
    Exercise(Option<String>, bool),
    /// `:hint`.
    Hint,
    /// `:check [answer]`.
    Check(Option<String>),
    /// `:reveal`.
    Reveal,
    /// `:submit FILE STUDENT ASSIGNMENT`: hand in the answers.
    Submit(String),
    /// `:variant`.
    Variant,
    /// `:reset`.
    Reset,
    /// `:quit`.
    Quit,
}

/// Finds a command by name, alias or unique prefix.
pub fn find(name: &str) -> Result<&'static Spec, Vec<&'static str>> {
    if let Some(s) = COMMANDS
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name))
    {
        return Ok(s);
    }
    let m: Vec<&Spec> = COMMANDS
        .iter()
        .filter(|s| s.name.starts_with(name))
        .collect();
    match m.as_slice() {
        [one] if !name.is_empty() => Ok(one),
        _ => Err(m.iter().map(|s| s.name).collect()),
    }
}

/// The words of `line` with their spans.
fn words(line: &str) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((&line[s..i], Span::new(s, i)));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

fn err(line: &str, span: Span, msg: impl Into<String>, hint: impl Into<String>) -> Diagnostic {
    Diagnostic::error(line, span, msg, hint)
}

/// Parses a `:` command line. Errors are diagnostics over `line`, so the REPL underlines
/// the offending word like any other error.
pub fn parse(line: &str) -> Result<Command, Diagnostic> {
    let ws = words(line);
    let Some(&(first, fspan)) = ws.first() else {
        return Err(err(line, Span::new(0, 0), "empty command", "e.g. `:help`"));
    };
    let name = first.trim_start_matches(':');
    let spec = find(name).map_err(|cands| {
        let hint = if cands.is_empty() {
            "`:help` lists the commands".to_string()
        } else {
            format!(
                "did you mean {}?",
                cands
                    .iter()
                    .map(|c| format!("`:{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        err(line, fspan, format!("unknown command `{first}`"), hint)
    })?;
    let args = &ws[1..];
    let rest = args
        .first()
        .map(|(_, sp)| line[sp.start..].trim_end().to_string());
    let usage = || format!("usage: `:{} {}`", spec.name, spec.usage);
    let end = Span::new(line.len(), line.len());
    let too_many = |max: usize| -> Result<(), Diagnostic> {
        match args.get(max) {
            Some((w, sp)) => Err(err(line, *sp, format!("unexpected `{w}`"), usage())),
            None => Ok(()),
        }
    };
    let number = |i: usize| -> Result<Option<u64>, Diagnostic> {
        match args.get(i) {
            None => Ok(None),
            Some((w, sp)) => w
                .parse::<u64>()
                .map(Some)
                .map_err(|_| err(line, *sp, format!("`{w}` is not a step number"), usage())),
        }
    };
    let need = |i: usize, what: &str| -> Result<(&str, Span), Diagnostic> {
        args.get(i)
            .copied()
            .ok_or_else(|| err(line, end, format!("`:{}` needs {what}", spec.name), usage()))
    };
    let kernel = |w: &str, sp: Span| {
        Kernel::parse(w).map_err(|e| err(line, sp, e.to_string(), "`:kernel` lists them"))
    };
    let file = |i: usize| -> Result<PathBuf, Diagnostic> {
        need(i, "a file name").map(|_| PathBuf::from(rest.clone().unwrap_or_default()))
    };
    Ok(match spec.name {
        "help" => Command::Help(rest),
        "show" => Command::Show(rest),
        "regs" => {
            let (t, _) = need(0, "a task or a CPU (e.g. `:regs A`, `:regs cpu0`)")?;
            let fmt = match args.get(1) {
                None => RegFormat::Compact,
                Some((w, sp)) => RegFormat::parse(w).ok_or_else(|| {
                    err(
                        line,
                        *sp,
                        format!("unknown format `{w}`"),
                        "compact, hex, bytes or lanes",
                    )
                })?,
            };
            too_many(2)?;
            Command::Regs(t.to_string(), fmt)
        }
        "step" | "back" => {
            too_many(1)?;
            let n = number(0)?.unwrap_or(1);
            if spec.name == "step" {
                Command::Step(n)
            } else {
                Command::Back(n)
            }
        }
        "goto" => {
            let (w, _) = need(0, "a step number or `end`")?;
            too_many(1)?;
            if w == "end" || w == "$" {
                Command::Goto(Target::End)
            } else {
                Command::Goto(Target::Step(number(0)?.unwrap_or(0)))
            }
        }
        "run" => {
            too_many(0)?;
            Command::Run
        }
        "list" => {
            too_many(0)?;
            Command::List
        }
        "diff" => {
            need(0, "a step number")?;
            too_many(2)?;
            Command::Diff(number(0)?.unwrap_or(0), number(1)?)
        }
        "events" => {
            too_many(1)?;
            Command::Events(number(0)?)
        }
        "why" => {
            need(0, "a field (e.g. `:why A.TIF_SVE`)")?;
            too_many(1)?;
            Command::Why(args[0].0.to_string())
        }
        "explain" => Command::Explain(rest),
        "kernel" => {
            too_many(1)?;
            match args.first() {
                None => Command::Kernel(None),
                Some((w, sp)) => Command::Kernel(Some(kernel(w, *sp)?)),
            }
        }
        "compare" => {
            let (w, sp) = need(0, "a kernel to compare with (e.g. `:compare v6.2`)")?;
            too_many(1)?;
            Command::Compare(kernel(w, sp)?)
        }
        "real" => {
            too_many(1)?;
            match args.first() {
                None => Command::Real(vec!["6.1", "6.12"]),
                Some((w, sp)) => match *w {
                    "both" => Command::Real(vec!["6.1", "6.12"]),
                    "6.1" | "v6.1" => Command::Real(vec!["6.1"]),
                    "6.12" | "v6.12" => Command::Real(vec!["6.12"]),
                    _ => {
                        return Err(err(
                            line,
                            *sp,
                            format!("there is no real kernel `{w}`"),
                            "6.1 (compared with the model's v6.1), 6.12 (with v6.12) or both",
                        ))
                    }
                },
            }
        }
        "break" => match args {
            [] => Command::Break(None),
            [(w, sp), rest @ ..] => {
                let line_no = |w: &str, sp: Span| -> Result<u32, Diagnostic> {
                    w.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                        err(
                            line,
                            sp,
                            format!("`{w}` is not a line number"),
                            "lines count from 1, as `:list` numbers them",
                        )
                    })
                };
                match *w {
                    "line" => {
                        let (n, nsp) = need(1, "a line number (e.g. `:break line 12`)")?;
                        too_many(2)?;
                        Command::Break(Some(BreakSpec::Line(line_no(n, nsp)?)))
                    }
                    "when" | "if" => {
                        need(1, "a condition (e.g. `:break when A.TIF_SVE == 0`)")?;
                        let cond = line[rest[0].1.start..].trim().to_string();
                        Command::Break(Some(BreakSpec::When(cond)))
                    }
                    _ if w.starts_with(|c: char| c.is_ascii_digit()) => {
                        too_many(1)?;
                        Command::Break(Some(BreakSpec::Line(line_no(w, *sp)?)))
                    }
                    _ => {
                        return Err(err(
                            line,
                            *sp,
                            format!("`{w}`: expected `line N` or `when CONDITION`"),
                            "`:break line 12`, `:break when A.TIF_SVE == 0`; `:watch PATH` stops when a field changes",
                        ))
                    }
                }
            }
        },
        "watch" => {
            too_many(1)?;
            Command::Watch(args.first().map(|(w, _)| w.to_string()))
        }
        "delete" => {
            let (w, sp) = need(0, "a number from `:break`, or `all`")?;
            too_many(1)?;
            if w == "all" {
                Command::Delete(None)
            } else {
                Command::Delete(Some(w.trim_start_matches('#').parse::<u32>().map_err(
                    |_| {
                        err(
                            line,
                            sp,
                            format!("`{w}` is not a breakpoint number"),
                            "`:break` lists them with their numbers; `:delete all` removes every one",
                        )
                    },
                )?))
            }
        }
        "legend" => {
            too_many(0)?;
            Command::Legend
        }
        "load" => Command::Load(file(0)?),
        "save" => Command::Save(file(0)?),
        "export" => Command::Export(file(0)?),
        "set" => {
            let (k, ksp) = need(0, "a setting: `edit-mode` or `panel`")?;
            let (v, vsp) = need(1, "a value")?;
            too_many(2)?;
            match k {
                "edit-mode" | "mode" => match v {
                    "vi" => Command::Set(Setting::Vi(true)),
                    "emacs" => Command::Set(Setting::Vi(false)),
                    _ => {
                        return Err(err(
                            line,
                            vsp,
                            format!("unknown edit mode `{v}`"),
                            "emacs or vi",
                        ))
                    }
                },
                "panel" => match v {
                    "on" => Command::Set(Setting::Panel(true)),
                    "off" => Command::Set(Setting::Panel(false)),
                    _ => {
                        return Err(err(
                            line,
                            vsp,
                            format!("`{v}`: expected on or off"),
                            "on or off",
                        ))
                    }
                },
                _ => {
                    return Err(err(
                        line,
                        ksp,
                        format!("unknown setting `{k}`"),
                        "edit-mode or panel",
                    ))
                }
            }
        }
        "lesson" => match args {
            [] => Command::Lesson(LessonCmd::List),
            [(l, _)] => Command::Lesson(LessonCmd::Show(l.to_string())),
            [(l, _), (verb, vsp), rest @ ..] => {
                let run = match *verb {
                    "load" => false,
                    "run" => true,
                    _ => {
                        return Err(err(
                            line,
                            *vsp,
                            format!("`{verb}`: expected `load` or `run`"),
                            usage(),
                        ))
                    }
                };
                let (script, _) = need(2, "a script of the lesson (e.g. `:lesson 3 load trap`)")?;
                let _ = rest;
                too_many(3)?;
                Command::Lesson(LessonCmd::Load {
                    lesson: l.to_string(),
                    script: script.to_string(),
                    run,
                })
            }
        },
        "exercise" => {
            too_many(2)?;
            match args {
                [] => Command::Exercise(None, false),
                [(w, _)] if *w == "load" => Command::Exercise(None, true),
                [(w, _)] => Command::Exercise(Some(w.to_string()), false),
                [(w, _), (l, lsp)] => {
                    if *l != "load" {
                        return Err(err(line, *lsp, format!("unexpected `{l}`"), usage()));
                    }
                    Command::Exercise(Some(w.to_string()), true)
                }
                _ => return Err(err(line, end, "too many arguments", usage())),
            }
        }
        "hint" => {
            too_many(0)?;
            Command::Hint
        }
        "check" => Command::Check(rest),
        "reveal" => {
            too_many(0)?;
            Command::Reveal
        }
        "submit" => Command::Submit(rest.unwrap_or_default()),
        "variant" => {
            too_many(0)?;
            Command::Variant
        }
        "reset" => {
            too_many(0)?;
            Command::Reset
        }
        "quit" => {
            too_many(0)?;
            Command::Quit
        }
        other => {
            return Err(err(
                line,
                fspan,
                format!("`:{other}` is not available yet"),
                "`:help` lists the commands",
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_prefixes() {
        assert_eq!(parse(":q"), Ok(Command::Quit));
        assert_eq!(parse(":quit"), Ok(Command::Quit));
        assert_eq!(parse(":expl B1"), Ok(Command::Explain(Some("B1".into()))));
        assert_eq!(parse(":back 3"), Ok(Command::Back(3)));
        assert_eq!(parse(":step"), Ok(Command::Step(1)));
        assert_eq!(parse(":goto end"), Ok(Command::Goto(Target::End)));
        assert_eq!(
            parse(":regs A hex"),
            Ok(Command::Regs("A".into(), RegFormat::Hex))
        );
        assert_eq!(parse(":compare v6.2"), Ok(Command::Compare(Kernel::V6_2)));
        assert_eq!(parse(":real"), Ok(Command::Real(vec!["6.1", "6.12"])));
        assert_eq!(parse(":real 6.12"), Ok(Command::Real(vec!["6.12"])));
        assert_eq!(parse(":real v6.1"), Ok(Command::Real(vec!["6.1"])));
        assert!(parse(":real 6.2").is_err());
        assert!(parse(":real 6.1 6.12").is_err());
        assert_eq!(
            parse(":load my file.svl"),
            Ok(Command::Load("my file.svl".into()))
        );
        assert_eq!(parse(":lessons"), Ok(Command::Lesson(LessonCmd::List)));
        assert_eq!(
            parse(":lesson 3 load trap"),
            Ok(Command::Lesson(LessonCmd::Load {
                lesson: "3".into(),
                script: "trap".into(),
                run: false
            }))
        );
        assert!(parse(":lesson 3 walk trap").is_err());
        assert!(parse(":lesson 3 load").is_err());
        assert_eq!(
            parse(":ex 1/2 load"),
            Ok(Command::Exercise(Some("1/2".into()), true))
        );
        assert_eq!(parse(":exercise load"), Ok(Command::Exercise(None, true)));
        assert_eq!(
            parse(":check 0, ones"),
            Ok(Command::Check(Some("0, ones".into())))
        );
        assert_eq!(parse(":check"), Ok(Command::Check(None)));
        assert_eq!(
            parse(":break line 12"),
            Ok(Command::Break(Some(BreakSpec::Line(12))))
        );
        assert_eq!(parse(":br 7"), Ok(Command::Break(Some(BreakSpec::Line(7)))));
        assert_eq!(
            parse(":break when A.TIF_SVE == 0"),
            Ok(Command::Break(Some(BreakSpec::When(
                "A.TIF_SVE == 0".into()
            ))))
        );
        assert_eq!(parse(":break"), Ok(Command::Break(None)));
        assert_eq!(
            parse(":watch cpu0.owner"),
            Ok(Command::Watch(Some("cpu0.owner".into())))
        );
        assert_eq!(parse(":delete 2"), Ok(Command::Delete(Some(2))));
        assert_eq!(parse(":delete all"), Ok(Command::Delete(None)));
        assert_eq!(parse(":legend"), Ok(Command::Legend));
        assert!(parse(":break line 0").is_err());
        assert!(parse(":break line x").is_err());
        assert!(parse(":break when").is_err());
        assert!(parse(":break at 3").is_err());
        assert!(parse(":delete").is_err());
        assert!(parse(":delete x").is_err());
        assert_eq!(
            parse(":set edit-mode vi"),
            Ok(Command::Set(Setting::Vi(true)))
        );
    }

    #[test]
    fn errors_point_at_the_word() {
        let e = parse(":regs A octal").unwrap_err();
        assert_eq!(e.span, Span::new(8, 13));
        let e = parse(":bogus").unwrap_err();
        assert!(e.message.contains("unknown command"));
        let e = parse(":re x").unwrap_err();
        assert!(
            e.hint.contains(":regs") && e.hint.contains(":reset"),
            "{}",
            e.hint
        );
        let e = parse(":kernel v9").unwrap_err();
        assert!(e.message.contains("unknown kernel"));
        let e = parse(":goto").unwrap_err();
        assert!(e.message.contains("needs"));
    }

    #[test]
    fn every_command_parses_with_example_arguments() {
        for s in COMMANDS {
            let line = match s.args.first() {
                Some(Arg::Step) => format!(":{} 1", s.name),
                Some(Arg::Kernel) if s.name == "compare" => format!(":{} v6.2", s.name),
                Some(Arg::TaskOrCpu) => format!(":{} cpu0", s.name),
                Some(Arg::Path) => format!(":{} A.TIF_SVE", s.name),
                Some(Arg::File) => format!(":{} x.svl", s.name),
                Some(Arg::Setting) => format!(":{} panel on", s.name),
                Some(Arg::Break) => format!(":{} line 3", s.name),
                Some(Arg::StopId) => format!(":{} 1", s.name),
                _ => format!(":{}", s.name),
            };
            assert!(parse(&line).is_ok(), "{line}: {:?}", parse(&line));
        }
    }
}
