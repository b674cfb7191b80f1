//! `svelab real FILE… [--kernel 6.1|6.12|both]`: a user's scripts on real arm64 Linux,
//! booted under QEMU, beside the model's prediction (`svelab_real` does the booting,
//! `svelab_core::real` the translation and the verdicts).

use crate::cli::{KernelArg, RealArgs};
use crate::diag;
use crate::style::{self, ColorChoice, Style};
use std::process::ExitCode;
use svelab_core::dsl::eval::Val;
use svelab_core::real::{translate, Translation, Verdict};
use svelab_core::Kernel;
use svelab_real::kernels::PinnedKernel;

/// Exit status: the real kernel did what the model predicted.
const AGREE: u8 = 0;
/// Exit status: at least one observation differs.
const DISAGREE: u8 = 1;
/// Exit status: nothing or not everything could be compared.
const ERROR: u8 = 2;

/// The real kernels `--kernel` selects (default: both).
pub fn real_kernels(k: Option<&KernelArg>) -> Result<Vec<&'static PinnedKernel>, String> {
    let all = || svelab_real::kernels::PINNED.iter().collect();
    let one = |label: &str| {
        svelab_real::pinned(label)
            .map(|k| vec![k])
            .ok_or_else(|| format!("no real kernel {label}"))
    };
    match k {
        None | Some(KernelArg::BothReal) => Ok(all()),
        Some(KernelArg::Real(l)) => one(l),
        Some(KernelArg::Model(m)) => svelab_real::kernels::PINNED
            .iter()
            .find(|p| p.model_kernel == m.name())
            .map(|p| vec![p])
            .ok_or_else(|| {
                format!(
                    "there is no real {m} to boot: the real kernels are 6.1 (compared with the model's v6.1) and 6.12 (with v6.12); `--kernel both` runs both"
                )
            }),
    }
}

/// A program name the runner accepts, unique among `taken`.
fn program_name(file: &str, taken: &[String]) -> String {
    let stem = if file == "-" {
        "stdin".to_string()
    } else {
        std::path::Path::new(file)
            .file_stem()
            .map_or("script".into(), |s| s.to_string_lossy().into_owned())
    };
    let mut base: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    if base.is_empty() {
        base = "script".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

fn shorten(v: &Val, width: usize) -> String {
    let s = v.to_string();
    if s.chars().count() > width {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s
    }
}

pub fn run(args: &RealArgs, kernel: Option<&KernelArg>, color: ColorChoice) -> ExitCode {
    let out = Style {
        color: style::stdout_color(color),
    };
    let err = Style {
        color: style::stderr_color(color),
    };
    let fail = |msg: &str| {
        eprintln!("{} {msg}", err.error("error:"));
        ExitCode::from(ERROR)
    };
    let kernels = match real_kernels(kernel) {
        Ok(k) => k,
        Err(e) => return fail(&e),
    };
    // Read and translate everything before anything boots.
    let mut inputs = Vec::new();
    for f in &args.files {
        let text = if f == "-" {
            let mut s = String::new();
            match std::io::Read::read_to_string(&mut std::io::stdin(), &mut s) {
                Ok(_) => s,
                Err(e) => return fail(&format!("cannot read standard input: {e}")),
            }
        } else {
            match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => return fail(&format!("cannot read `{f}`: {e}")),
            }
        };
        let taken: Vec<String> = inputs.iter().map(|(_, n, _)| n).cloned().collect();
        let name = program_name(f, &taken);
        let shown = if f == "-" {
            "<stdin>".to_string()
        } else {
            f.clone()
        };
        inputs.push((shown, name, text));
    }
    ExitCode::from(check(&inputs, &kernels, out, err))
}

/// Translates every input (`(shown name, program name, text)`) for every kernel, boots
/// each kernel once and prints the comparison. Returns the exit status.
pub fn check(
    inputs: &[(String, String, String)],
    kernels: &[&'static PinnedKernel],
    out: Style,
    err: Style,
) -> u8 {
    let fail = |msg: &str| {
        eprintln!("{} {msg}", err.error("error:"));
        ERROR
    };
    let mut plans: Vec<(&'static PinnedKernel, Vec<(String, Translation)>)> = Vec::new();
    let mut bad = false;
    for k in kernels {
        let model = match Kernel::parse(k.model_kernel) {
            Ok(m) => m,
            Err(e) => return fail(&e.to_string()),
        };
        let mut programs = Vec::new();
        for (file, name, text) in inputs {
            match translate(name, text, model) {
                Ok(t) if t.observations.is_empty() => {
                    eprintln!(
                        "{} {file}: nothing to compare: add an `expect` or a `show` of something a real program can read (a register after the task's own sve-op or fp-op, a counter, a signal frame, a regset)",
                        err.error("error:")
                    );
                    bad = true;
                }
                Ok(t) => programs.push((name.clone(), t)),
                Err(ds) => {
                    // Reported for the first kernel only (the loop stops after it): what a
                    // real program cannot do is the same on both.
                    eprint!("{}", diag::render_all(text, &ds, Some(file), err));
                    bad = true;
                }
            }
        }
        plans.push((*k, programs));
        if bad {
            break;
        }
    }
    if bad {
        eprintln!(
            "{} nothing was booted: the scripts must run on a real kernel first (docs/dsl.md, \"On a real kernel\")",
            err.dim("note:")
        );
        return ERROR;
    }

    let cache = svelab_real::default_cache();
    let (mut agree, mut differ, mut unobserved) = (0usize, 0usize, 0usize);
    let mut errors = 0usize;
    for (k, programs) in plans {
        let cold = !cache
            .join("cache")
            .join(format!("{}_{}", k.package, k.version))
            .exists();
        eprintln!(
            "svelab real: Linux {} (Debian {} {}){}",
            k.label,
            k.package,
            k.version,
            if cold {
                ": first run: installs QEMU and a cross compiler if missing, downloads the kernel (~40 MB) into the cache, then boots (a minute or two)"
            } else {
                ": boots under QEMU (about 15 s, and a few seconds per script)"
            }
        );
        let n = programs.len();
        let mut progress = |done: usize, total: usize, secs: f64| {
            eprint!(
                "\rsvelab real: Linux {}: {done}/{total} script{} done, {secs:.0} s ",
                k.label,
                if total == 1 { "" } else { "s" }
            );
        };
        let run = svelab_real::run_on(k, programs, &cache, &mut progress);
        eprintln!();
        let run = match run {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{} {e}", err.error("error:"));
                errors += 1;
                continue;
            }
        };
        for ((file, _, _), (_, t, res)) in inputs.iter().zip(&run.programs) {
            println!(
                "\n{} on Linux {} ({}), predicted by the model's {}:",
                out.bold(file),
                k.label,
                k.version,
                t.kernel
            );
            let width = t
                .observations
                .iter()
                .map(|o| o.text.chars().count())
                .max()
                .unwrap_or(0)
                .min(44);
            let header = format!(
                "{:>4}  {:<width$}  {:<24}  {}",
                "line", "statement", "model", "real"
            );
            println!("  {}", out.dim(header));
            for (o, v) in t.observations.iter().zip(&res.verdicts) {
                let text: String = o.text.chars().take(width).collect();
                let model = shorten(&o.predicted, 24);
                let (real, mark) = match v {
                    Verdict::Match(v) => {
                        agree += 1;
                        (shorten(v, 24), out.green("agree"))
                    }
                    Verdict::Differs(v) => {
                        differ += 1;
                        (shorten(v, 24), out.error("DIFFERS"))
                    }
                    Verdict::NotTraceable(f) => {
                        unobserved += 1;
                        (format!("({f} not traceable)"), out.yellow("not observed"))
                    }
                    Verdict::Missing => {
                        unobserved += 1;
                        ("(not reached)".into(), out.yellow("not observed"))
                    }
                    Verdict::Unreadable(e) => {
                        unobserved += 1;
                        (format!("({e})"), out.yellow("not observed"))
                    }
                };
                println!(
                    "  {:>4}  {:<width$}  {:<24}  {:<24}  {mark}",
                    o.line, text, model, real
                );
            }
            if let Some(e) = &res.error {
                errors += 1;
                println!(
                    "  {} the real program stopped early: {e}",
                    out.error("error:")
                );
            }
        }
        eprintln!(
            "svelab real: Linux {}: {n} script{} in {:.0} s (console: {})",
            k.label,
            if n == 1 { "" } else { "s" },
            run.seconds,
            run.console.display()
        );
    }
    println!(
        "\n{agree} observation{} with the model, {differ} differ{}{}",
        if agree == 1 { " agrees" } else { "s agree" },
        if unobserved > 0 {
            format!(", {unobserved} could not be observed")
        } else {
            String::new()
        },
        if errors > 0 {
            format!(", {errors} error{}", if errors == 1 { "" } else { "s" })
        } else {
            String::new()
        }
    );
    if errors > 0 || unobserved > 0 {
        ERROR
    } else if differ > 0 {
        DISAGREE
    } else {
        AGREE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names_are_plain_and_unique() {
        assert_eq!(program_name("dir/my test.svl", &[]), "my_test");
        assert_eq!(program_name("a.svl", &["a".into()]), "a-2");
        assert_eq!(program_name("-", &[]), "stdin");
        assert_eq!(program_name("dir/ünï.svl", &[]), "_n_");
    }

    #[test]
    fn kernel_choice_maps_model_kernels_to_real_ones() {
        let labels = |k: Option<&KernelArg>| -> Vec<&str> {
            real_kernels(k).unwrap().iter().map(|k| k.label).collect()
        };
        assert_eq!(labels(None), ["6.1", "6.12"]);
        assert_eq!(labels(Some(&KernelArg::BothReal)), ["6.1", "6.12"]);
        assert_eq!(labels(Some(&KernelArg::Real("6.12"))), ["6.12"]);
        assert_eq!(labels(Some(&KernelArg::Model(Kernel::V6_1))), ["6.1"]);
        let e = real_kernels(Some(&KernelArg::Model(Kernel::V6_2))).unwrap_err();
        assert!(e.contains("no real v6.2"), "{e}");
    }
}
