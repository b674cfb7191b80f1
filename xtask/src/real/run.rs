//! `cargo xtask real`: every scenario of `tests/real/scenarios/` on every pinned kernel,
//! observed on the real kernel and predicted by the model, compared value by value.
//!
//! One boot per kernel runs every scenario (the runner reads them from the initramfs).
//! Exit status: success only when every observation matches, except the ones listed in
//! `tests/real/known-differences.txt` with their reason.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use svelab_core::dsl::eval::Val;
use svelab_core::real::{self, Verdict};
use svelab_core::Kernel;
use svelab_real::kernels;

/// A known difference: `KERNEL SCENARIO LINE | reason | evidence`.
#[derive(Debug)]
struct Known {
    kernel: String,
    scenario: String,
    line: u32,
    reason: String,
}

fn read_known(path: &Path) -> Result<Vec<Known>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (n, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut parts = l.split('|').map(str::trim);
        let head: Vec<&str> = parts.next().unwrap_or("").split_whitespace().collect();
        let reason = parts.next().unwrap_or("");
        let evidence = parts.next().unwrap_or("");
        let [kernel, scenario, line] = head.as_slice() else {
            return Err(format!(
                "{}:{}: expected `KERNEL SCENARIO LINE | reason | evidence`",
                path.display(),
                n + 1
            ));
        };
        let line = line.parse().map_err(|_| {
            format!(
                "{}:{}: `{line}` is not a line number",
                path.display(),
                n + 1
            )
        })?;
        if reason.is_empty() || evidence.is_empty() {
            return Err(format!(
                "{}:{}: a known difference needs a reason and evidence",
                path.display(),
                n + 1
            ));
        }
        out.push(Known {
            kernel: kernel.to_string(),
            scenario: scenario.to_string(),
            line,
            reason: reason.to_string(),
        });
    }
    Ok(out)
}

/// The known differences that were not needed although their scenario ran (`ran`): their
/// observation matched, so the entry is out of date.
fn stale<'k>(known: &'k [Known], used: &[bool], ran: impl Fn(&Known) -> bool) -> Vec<&'k Known> {
    known
        .iter()
        .zip(used)
        .filter(|(k, used)| !**used && ran(k))
        .map(|(k, _)| k)
        .collect()
}

/// The scenarios: `(name, source)`, sorted by name.
pub fn scenarios(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "svl") {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let src = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            out.push((name, src));
        }
    }
    out.sort();
    Ok(out)
}

fn show(v: &Val) -> String {
    let s = v.to_string();
    if s.len() > 48 {
        format!("{}…", &s[..47])
    } else {
        s
    }
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("real")
}

/// Runs everything. Arguments: a scenario name filter, `--kernel 6.1|6.12` (one kernel),
/// `--model LABEL=KERNEL` (compare a real kernel with another model kernel, e.g.
/// `--model 6.12=v6.2` shows what the later fixes changed).
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut only = None;
    let mut kernel_only = None;
    let mut models: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--kernel" => kernel_only = it.next().cloned(),
            "--model" => {
                let m = it.next().ok_or("--model needs LABEL=KERNEL")?;
                let (l, k) = m
                    .split_once('=')
                    .ok_or_else(|| format!("--model {m}: expected LABEL=KERNEL, e.g. 6.12=v6.2"))?;
                models.push((l.to_string(), k.to_string()));
            }
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => only = Some(s.to_string()),
        }
    }
    if let Some(k) = &kernel_only {
        if !kernels::PINNED.iter().any(|p| p.label == k) {
            return Err(format!("--kernel {k}: the pinned kernels are 6.1 and 6.12"));
        }
    }
    let target = target_dir(root);
    let t0 = Instant::now();
    let mut all = scenarios(&root.join("tests/real/scenarios"))?;
    if let Some(o) = &only {
        all.retain(|(n, _)| n.contains(o.as_str()));
    }
    let known = read_known(&root.join("tests/real/known-differences.txt"))?;
    let mut used_known = vec![false; known.len()];
    let mut report = String::new();
    let (mut matched, mut differ, mut excused, mut other) = (0, 0, 0, 0);
    for k in &kernels::PINNED {
        if kernel_only.as_ref().is_some_and(|o| o != k.label) {
            continue;
        }
        let model_name = models
            .iter()
            .find(|(l, _)| l == k.label)
            .map_or(k.model_kernel, |(_, m)| m.as_str());
        let model = Kernel::parse(model_name).map_err(|e| e.to_string())?;
        let mut translations = Vec::new();
        for (name, src) in &all {
            let t = real::translate(name, src, model).map_err(|ds| {
                let mut m = format!("{name}.svl does not translate for a real kernel:\n");
                for d in ds {
                    let _ = writeln!(m, "  {}:{}: {} ({})", d.line, d.column, d.message, d.hint);
                }
                m
            })?;
            translations.push((name.clone(), t));
        }
        let total = translations.len();
        let mut progress = |done: usize, _: usize, secs: f64| {
            eprint!(
                "\rxtask real: Linux {} ({}): {done}/{total} scenarios, {secs:.0} s   ",
                k.label, k.version,
            );
        };
        let run = svelab_real::run_on(k, translations.clone(), &target, &mut progress);
        eprintln!();
        // A hang is the harness's problem, not a verdict (the runner's watchdog printed
        // where every process was): say so loudly, boot once more, and fail if it hangs
        // again. Values are never retried: a difference is reported as it was seen.
        let run = match run {
            Err(e) if e.contains("did not finish") => {
                eprintln!(
                    "xtask real: {e}\nxtask real: booting Linux {} once more",
                    k.label
                );
                let again = svelab_real::run_on(k, translations, &target, &mut progress);
                eprintln!();
                again?
            }
            other => other?,
        };
        let _ = writeln!(
            report,
            "\n== Linux {} ({} {}) vs model {} — boot and {} scenarios in {:.1} s",
            k.label, k.package, k.version, model, total, run.seconds
        );
        for (name, t, res) in &run.programs {
            if let Some(e) = &res.error {
                let _ = writeln!(report, "  {name}: runner error: {e}");
                other += 1;
            }
            for (o, v) in t.observations.iter().zip(&res.verdicts) {
                let excuse = known
                    .iter()
                    .position(|x| x.kernel == k.label && x.scenario == *name && x.line == o.line);
                let (mark, real) = match v {
                    Verdict::Match(v) => {
                        matched += 1;
                        ("ok", show(v))
                    }
                    Verdict::Differs(v) if excuse.is_some() => {
                        excused += 1;
                        ("known", show(v))
                    }
                    Verdict::Differs(v) => {
                        differ += 1;
                        ("DIFFERS", show(v))
                    }
                    Verdict::NotTraceable(f) => {
                        other += 1;
                        ("UNTRACEABLE", format!("{f} cannot be traced"))
                    }
                    Verdict::Missing => {
                        other += 1;
                        ("MISSING", "no observation".into())
                    }
                    Verdict::Unreadable(e) => {
                        other += 1;
                        ("UNREADABLE", e.clone())
                    }
                };
                // A known difference is needed only while the observation differs.
                if let (Some(i), Verdict::Differs(_)) = (excuse, v) {
                    used_known[i] = true;
                }
                let _ = writeln!(
                    report,
                    "  {mark:<11} {name}:{:<3} {:<44} model {:<20} real {}",
                    o.line,
                    o.text,
                    show(&o.predicted),
                    real
                );
                if let (Some(i), false) = (excuse, matches!(v, Verdict::Match(_))) {
                    let _ = writeln!(report, "              known: {}", known[i].reason);
                }
            }
        }
    }
    println!("{report}");
    let stale = stale(&known, &used_known, |k| {
        only.as_ref()
            .is_none_or(|o| k.scenario.contains(o.as_str()))
            && kernel_only.as_ref().is_none_or(|l| *l == k.kernel)
    });
    let mut by_kernel: BTreeMap<&str, usize> = BTreeMap::new();
    for k in &stale {
        *by_kernel.entry(&k.kernel).or_default() += 1;
    }
    println!(
        "xtask real: {matched} observations match, {differ} differ, {excused} known differences, {other} not observed; {:.0} s in all",
        t0.elapsed().as_secs_f64()
    );
    for k in &stale {
        println!(
            "xtask real: known difference {} {}:{} no longer differs: remove it from tests/real/known-differences.txt",
            k.kernel, k.scenario, k.line
        );
    }
    if differ > 0 || other > 0 || !stale.is_empty() {
        return Err("the real kernels disagree with the model (see above)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("svelab-known-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("k{}.txt", text.len()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn known_differences_need_a_reason_and_evidence() {
        let ok = write("# comment\n\n6.12 26_kill 6 | the IPI | kernel/signal.c\n");
        let k = read_known(&ok).unwrap();
        assert_eq!(k.len(), 1);
        assert_eq!(
            (k[0].kernel.as_str(), k[0].scenario.as_str(), k[0].line),
            ("6.12", "26_kill", 6)
        );
        assert_eq!(k[0].reason, "the IPI");
        let no_evidence = write("6.1 01_getpid_loop 5 | a reason\n");
        assert!(read_known(&no_evidence)
            .unwrap_err()
            .contains("reason and evidence"));
        let bad_line = write("6.1 01_getpid_loop five | r | e\n");
        assert!(read_known(&bad_line)
            .unwrap_err()
            .contains("not a line number"));
        let short = write("6.1 01_getpid_loop | r | e\n");
        assert!(read_known(&short).unwrap_err().contains(":1:"));
        assert!(read_known(Path::new("/nonexistent/known.txt"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_known_difference_that_no_longer_differs_is_stale_unless_its_scenario_did_not_run() {
        let k = |s: &str| Known {
            kernel: "6.12".into(),
            scenario: s.into(),
            line: 3,
            reason: "r".into(),
        };
        let known = [k("a"), k("b"), k("c")];
        // a: still differs; b: matched; c: not run.
        let used = [true, false, false];
        let names: Vec<&str> = stale(&known, &used, |k| k.scenario != "c")
            .iter()
            .map(|k| k.scenario.as_str())
            .collect();
        assert_eq!(names, ["b"]);
    }
}
