//! `svelab run FILE…`: runs scripts, prints the transcript (or one JSON document), and
//! exits 0 when every `expect` held, 1 when one failed, 2 when the scripts could not be run.
//!
//! Every file is read and parsed before anything runs, so a parse error in the third file
//! costs no time and exits 2 with every error of every file. The transcript is the core's
//! `render_report` text (the golden tests' format), coloured on a terminal.

use crate::cli::RunArgs;
use crate::diag;
use crate::display;
use crate::style::{self, ColorChoice, Style};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::ExitCode;
use svelab_core::dsl::{Diagnostic, Severity};
use svelab_core::session::{
    trace_to_json, RunOptions, Session, SessionOptions, StepOutcome, StepReport, StopReason, Trace,
    DEFAULT_BUDGET, FORMAT_VERSION,
};
use svelab_core::Kernel;

/// Exit status: every expect held.
const OK: u8 = 0;
/// Exit status: an expect failed.
const FAILED: u8 = 1;
/// Exit status: the scripts could not be run.
const UNRUNNABLE: u8 = 2;

struct Input {
    name: String,
    text: String,
}

/// One failed expect.
struct Failure {
    step: StepReport,
    actual: String,
    expected: String,
}

/// What running one file gave.
#[derive(Default)]
struct FileResult {
    steps: u64,
    expects: u64,
    failures: Vec<Failure>,
    error: Option<Diagnostic>,
    budget: bool,
    reports: Vec<StepReport>,
    trace: Option<Trace>,
}

fn read_inputs(files: &[String]) -> Result<Vec<Input>, String> {
    let mut out = Vec::new();
    for f in files {
        let text = if f == "-" {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            s
        } else {
            std::fs::read_to_string(f).map_err(|e| format!("cannot read `{f}`: {e}"))?
        };
        let name = if f == "-" {
            "<stdin>".into()
        } else {
            f.clone()
        };
        out.push(Input { name, text });
    }
    Ok(out)
}

fn run_one(
    input: &Input,
    kernel: Option<Kernel>,
    keep_reports: bool,
    mut print: impl FnMut(&StepReport),
) -> FileResult {
    let mut s = Session::new(SessionOptions {
        kernel,
        ..SessionOptions::default()
    });
    s.load(&input.text);
    let mut res = FileResult::default();
    let opts = RunOptions {
        budget: DEFAULT_BUDGET,
        stop_on_expect_failure: false,
        breakpoints: false,
    };
    let summary = s.run_with(&opts, &mut |r| {
        if r.error.is_some() {
            return;
        }
        res.steps += 1;
        if let StepOutcome::Expect(c) = &r.outcome {
            res.expects += 1;
            if !c.passed {
                res.failures.push(Failure {
                    step: r.clone(),
                    actual: c.actual.clone(),
                    expected: c.expected.clone(),
                });
            }
        }
        print(r);
        if keep_reports {
            res.reports.push(r.clone());
        }
    });
    match summary.stop {
        StopReason::Error => res.error = summary.last.and_then(|r| r.error),
        StopReason::Budget => res.budget = true,
        _ => {}
    }
    if keep_reports {
        res.trace = Some(Trace {
            source: input.text.clone(),
            kernel: s.machine().kernel().name(),
            reports: std::mem::take(&mut res.reports),
            stop: summary.stop,
            machine: s.machine().clone(),
        });
    }
    res
}

fn failure_diag(input: &Input, f: &Failure) -> Diagnostic {
    Diagnostic::error(
        &input.text,
        f.step.span,
        format!(
            "expect failed: actual {}, expected {}",
            f.actual, f.expected
        ),
        format!("step {} of the run", f.step.step),
    )
}

/// `svelab run`.
pub fn run(args: &RunArgs, kernel: Option<Kernel>, color: ColorChoice) -> ExitCode {
    let out_st = Style {
        color: !args.json && style::stdout_color(color),
    };
    let err_st = Style {
        color: style::stderr_color(color),
    };
    let inputs = match read_inputs(&args.files) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{} {e}", err_st.error("error:"));
            return ExitCode::from(UNRUNNABLE);
        }
    };

    // Parse everything first.
    let parsed: Vec<Vec<Diagnostic>> = inputs
        .iter()
        .map(|i| svelab_core::parse(&i.text).1)
        .collect();
    let parse_failed = parsed
        .iter()
        .any(|d| d.iter().any(|d| d.severity == Severity::Error));
    for (i, ds) in inputs.iter().zip(&parsed) {
        if !ds.is_empty() && !args.json {
            eprint!("{}", diag::render_all(&i.text, ds, Some(&i.name), err_st));
        }
    }
    if parse_failed {
        if args.json {
            let files: Vec<Value> = inputs
                .iter()
                .zip(&parsed)
                .map(|(i, d)| json!({"file": i.name, "diagnostics": d}))
                .collect();
            print_json(&json!({
                "format": "svelab-run", "version": FORMAT_VERSION,
                "exit": UNRUNNABLE, "files": files,
            }));
        } else {
            let n: usize = parsed.iter().map(Vec::len).sum();
            eprintln!(
                "{} {n} parse error{}; nothing was run",
                err_st.error("error:"),
                if n == 1 { "" } else { "s" }
            );
        }
        return ExitCode::from(UNRUNNABLE);
    }

    let multi = inputs.len() > 1;
    let mut results = Vec::new();
    let stdout = std::io::stdout();
    for input in &inputs {
        if multi && !args.json && !args.quiet {
            println!("{}", out_st.heading(format!("== {} ==", input.name)));
        }
        let quiet = args.quiet || args.json;
        let res = run_one(input, kernel, args.json, |r| {
            if !quiet {
                let mut o = stdout.lock();
                let _ = o.write_all(display::report(r, true, out_st).as_bytes());
            }
        });
        if !args.json {
            if let Some(e) = &res.error {
                eprint!(
                    "{}",
                    diag::render(&input.text, e, Some(&input.name), err_st)
                );
            }
            if res.budget {
                eprintln!(
                    "{} {}: stopped after {} steps (the step budget); split the script or lower the `repeat` counts",
                    err_st.error("error:"),
                    input.name,
                    res.steps
                );
            }
            for f in &res.failures {
                eprint!(
                    "{}",
                    diag::render(
                        &input.text,
                        &failure_diag(input, f),
                        Some(&input.name),
                        err_st
                    )
                );
            }
        }
        results.push(res);
    }

    let unrunnable = results.iter().any(|r| r.error.is_some() || r.budget);
    let failed: usize = results.iter().map(|r| r.failures.len()).sum();
    let code = if unrunnable {
        UNRUNNABLE
    } else if failed > 0 {
        FAILED
    } else {
        OK
    };

    if args.json {
        let files: Vec<Value> = inputs
            .iter()
            .zip(&results)
            .map(|(i, r)| {
                let failures: Vec<Value> = r
                    .failures
                    .iter()
                    .map(|f| {
                        let d = failure_diag(i, f);
                        json!({
                            "step": f.step.step, "line": d.line, "column": d.column,
                            "text": f.step.text, "actual": f.actual, "expected": f.expected,
                        })
                    })
                    .collect();
                let trace = r
                    .trace
                    .as_ref()
                    .and_then(|t| serde_json::from_str::<Value>(&trace_to_json(t)).ok());
                json!({
                    "file": i.name, "steps": r.steps, "expects": r.expects,
                    "failures": failures, "error": r.error, "budget_exhausted": r.budget,
                    "trace": trace,
                })
            })
            .collect();
        print_json(&json!({
            "format": "svelab-run", "version": FORMAT_VERSION,
            "exit": code, "files": files,
        }));
    } else {
        let steps: u64 = results.iter().map(|r| r.steps).sum();
        let expects: u64 = results.iter().map(|r| r.expects).sum();
        let what = if multi {
            format!("{} files, ", inputs.len())
        } else {
            String::new()
        };
        let verdict = if unrunnable {
            err_st.error("could not run to the end")
        } else if failed > 0 {
            err_st.error(format!("{failed} of {expects} expects failed"))
        } else {
            err_st.green(format!("all {expects} expects hold"))
        };
        eprintln!("{what}{steps} steps: {verdict}");
    }
    ExitCode::from(code)
}

fn print_json(v: &Value) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{v}");
}
