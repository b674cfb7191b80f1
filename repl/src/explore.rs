//! `svelab explore`: the bounded exhaustive search of `svelab_core::explore`, with progress,
//! a budget in states or seconds, and the shortest counterexample for every cause; with
//! `--real`, each counterexample replayed on the real kernel.

use crate::cli::ExploreArgs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use svelab_core::dsl::eval::Val;
use svelab_core::explore::{ExploreConfig, Explorer, Finding, KeyMode, OpSet};
use svelab_core::model::vcpu::KvmMode;
use svelab_core::real::Verdict;
use svelab_core::Kernel;
use svelab_real::kernels::PinnedKernel;

/// Runs an exploration; exit status 0 when nothing was found, 1 when something was, 2 on
/// bad usage.
pub fn run(args: &ExploreArgs, kernel: Option<Kernel>) -> ExitCode {
    let ops = match OpSet::parse(&args.ops) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("svelab explore: --ops: {e}");
            return ExitCode::from(2);
        }
    };
    let cfg = ExploreConfig {
        kernel: kernel.unwrap_or(Kernel::V6_2),
        kvm_mode: if args.nvhe {
            KvmMode::Nvhe
        } else {
            KvmMode::Vhe
        },
        cpus: args.cpus,
        tasks: args.tasks,
        vcpus: args.vcpus,
        depth: args.depth,
        ops,
        keys: KeyMode::Fingerprint,
        threads: args.threads,
    };
    let real = if args.real {
        match svelab_real::kernels::PINNED
            .iter()
            .find(|p| p.model_kernel == cfg.kernel.name())
        {
            Some(p) => Some(p),
            None => {
                eprintln!(
                    "svelab explore: --real replays on a real kernel: explore --kernel v6.1 or --kernel v6.12 (Debian's 6.1.192 and 6.12.118 boot under QEMU), not {}",
                    cfg.kernel.name()
                );
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let mut e = match Explorer::new(cfg.clone()) {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("svelab explore: {msg}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.out {
        if let Err(err) = std::fs::create_dir_all(dir) {
            eprintln!("svelab explore: cannot create {dir}: {err}");
            return ExitCode::from(2);
        }
    }
    eprintln!(
        "exploring {}: {} CPU(s), {} task(s), {} vCPU(s), depth {}, ops {}",
        cfg.kernel.name(),
        cfg.cpus,
        cfg.tasks,
        cfg.vcpus,
        cfg.depth,
        ops.names().join(",")
    );
    // Ctrl-C stops the search and keeps what it found; a second one quits at once.
    let stop = Arc::new(AtomicBool::new(false));
    let sigint = signal_hook::consts::SIGINT;
    let _ = signal_hook::flag::register_conditional_shutdown(sigint, 130, Arc::clone(&stop));
    let _ = signal_hook::flag::register(sigint, Arc::clone(&stop));
    let start = Instant::now();
    let limit = args.seconds.or(args.time.0).map(Duration::from_secs_f64);
    let mut last = Instant::now();
    let mut stopped = None;
    let mut interrupted = false;
    // States per call, adjusted so that a call takes about a tenth of a second: the time
    // budget and Ctrl-C are checked between calls.
    let mut batch: u64 = 256;
    loop {
        let t = Instant::now();
        let done = e.run(batch);
        let took = t.elapsed();
        if took < Duration::from_millis(50) {
            batch = (batch * 2).min(1 << 20);
        } else if took > Duration::from_millis(200) {
            batch = (batch / 2).max(1);
        }
        let s = e.stats();
        if last.elapsed() >= Duration::from_millis(500) || done {
            last = Instant::now();
            let secs = start.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\r  depth {}/{}  states {}  frontier {}  {:.0} states/s  findings {}   ",
                s.depth,
                cfg.depth,
                s.states,
                s.frontier,
                s.states as f64 / secs,
                e.findings().count()
            );
            let _ = std::io::stderr().flush();
        }
        if done {
            break;
        }
        if stop.load(Ordering::Relaxed) {
            stopped = Some("interrupted (Ctrl-C)".to_string());
            interrupted = true;
            break;
        }
        if args.max_states.is_some_and(|m| s.states >= m) {
            stopped = Some(format!("state budget of {} reached", s.states));
            break;
        }
        if let Some(l) = limit.filter(|l| start.elapsed() >= *l) {
            stopped = Some(format!(
                "time budget of {} s reached (--time sets another)",
                l.as_secs_f64()
            ));
            break;
        }
    }
    eprintln!();
    let s = e.stats();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{}: {} distinct states ({} transitions, {} impossible) up to depth {} in {:.2} s, {:.0} states/s",
        match &stopped {
            Some(why) => format!("stopped early, {why}"),
            None => "complete".into(),
        },
        s.states,
        s.transitions,
        s.rejected,
        s.depth,
        secs,
        s.states as f64 / secs.max(1e-9)
    );
    let findings: Vec<_> = e.findings().cloned().collect();
    let status = if interrupted {
        ExitCode::from(130)
    } else if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if findings.is_empty() {
        println!("no violation found on {}", cfg.kernel.name());
        return status;
    }
    // A search stopped early keeps its findings on disk even without --out.
    let save_dir: Option<PathBuf> = match (&args.out, &stopped) {
        (Some(dir), _) => Some(PathBuf::from(dir)),
        (None, Some(_)) => {
            let dir = PathBuf::from(DEFAULT_OUT);
            match std::fs::create_dir_all(&dir) {
                Ok(()) => Some(dir),
                Err(err) => {
                    eprintln!("svelab explore: cannot create {}: {err}", dir.display());
                    None
                }
            }
        }
        (None, None) => None,
    };
    println!(
        "{} distinct cause(s) on {}{}:",
        findings.len(),
        cfg.kernel.name(),
        if stopped.is_some() { " so far" } else { "" }
    );
    for f in &findings {
        println!();
        println!(
            "== {} — shortest counterexample: {} operation(s){}",
            f.cause,
            f.length,
            if f.bug.is_none() {
                "  (not a known bug: examine it)"
            } else {
                ""
            }
        );
        println!("   {}", f.violation);
        if let Some(dir) = &save_dir {
            let path = finding_path(dir, f);
            match std::fs::write(&path, &f.script) {
                Ok(()) => println!(
                    "   saved: {}  (svelab run {0}, or :load it in the REPL)",
                    path.display()
                ),
                Err(err) => {
                    eprintln!("svelab explore: cannot write {}: {err}", path.display());
                    for line in f.script.lines() {
                        println!("   | {line}");
                    }
                }
            }
        } else {
            for line in f.script.lines() {
                println!("   | {line}");
            }
        }
        println!(
            "   playground: {}#{}",
            args.playground,
            share_link(&f.script)
        );
    }
    if interrupted {
        return status;
    }
    if let Some(k) = real {
        if !replay_on_real(k, cfg.kernel, &findings) {
            return ExitCode::from(2);
        }
    }
    status
}

/// Where a search stopped early saves its findings when no --out was given.
const DEFAULT_OUT: &str = "svelab-explore";

/// `DIR/<cause>.svl`.
fn finding_path(dir: &Path, f: &Finding) -> PathBuf {
    dir.join(format!("{}.svl", f.cause.replace([' ', '/'], "_")))
}

/// A counterexample made observable: the script without its closing `expect`, then the
/// victim reading its registers, with what sve.rst promises for each value shown.
struct Replay {
    cause: String,
    script: String,
    /// Per `show`, in order: the register and the promised value.
    promised: Vec<(String, Val)>,
}

fn replay_script(f: &Finding) -> Result<Replay, String> {
    let base: String = f
        .script
        .lines()
        .filter(|l| !l.trim_start().starts_with("expect "))
        .map(|l| format!("{l}\n"))
        .collect();
    let (mut s, d) = svelab_core::Session::from_source(&base);
    if !d.is_empty() {
        return Err("the counterexample does not load".into());
    }
    s.run(&svelab_core::RunOptions::default());
    let m = s.machine();
    let t = f
        .violation
        .task
        .ok_or("its violation concerns no task, so no task can read the damage")?;
    let task = m.task(t);
    let name = task.name.clone();
    let running = task.state == svelab_core::model::machine::TaskState::Running
        && task.level == svelab_core::model::types::Level::User;
    if !running {
        return Err(format!(
            "{name} is not running at EL0 at the end, so it cannot read its registers"
        ));
    }
    let mut script = base;
    script.push_str(&format!("sve-op {name}\n"));
    let (mut s, _) = svelab_core::Session::from_source(&script);
    s.run(&svelab_core::RunOptions::default());
    let promise = s.promised_v(&name).ok_or("no such task")?;
    let mut promised = Vec::new();
    for (n, p) in promise.iter().enumerate() {
        if let Some(p) = p {
            script.push_str(&format!("show {name}.z{n}[127:0]\n"));
            promised.push((
                format!("{name}.z{n}[127:0]"),
                Val::Bytes(p.to_le_bytes().to_vec()),
            ));
        }
    }
    if promised.is_empty() {
        return Err(format!("sve.rst promises {name} nothing to read"));
    }
    Ok(Replay {
        cause: f.cause.clone(),
        script,
        promised,
    })
}

/// Boots `k` once with every counterexample that a real program can do and says, for each,
/// whether the real kernel breaks the same promise. False when the boot failed.
fn replay_on_real(k: &'static PinnedKernel, model: Kernel, findings: &[Finding]) -> bool {
    println!("\nreplaying on real Linux {} ({}):", k.label, k.version);
    let mut programs = Vec::new();
    let mut replays = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let r = match replay_script(f) {
            Ok(r) => r,
            Err(why) => {
                println!("  {}: not replayed: {why}", f.cause);
                continue;
            }
        };
        match svelab_core::real::translate(&format!("finding-{i}"), &r.script, model) {
            Ok(t) => {
                programs.push((format!("finding-{i}"), t));
                replays.push(r);
            }
            Err(d) => println!(
                "  {}: not replayed: {} (line {})",
                f.cause,
                d.first().map_or("", |d| d.message.as_str()),
                d.first().map_or(0, |d| d.line)
            ),
        }
    }
    if programs.is_empty() {
        return true;
    }
    let mut progress = |done: usize, total: usize, secs: f64| {
        eprint!(
            "\r  booting Linux {}: {done}/{total} counterexamples, {secs:.0} s ",
            k.label
        );
    };
    let run = svelab_real::run_on(k, programs, &svelab_real::default_cache(), &mut progress);
    eprintln!();
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            eprintln!("svelab explore: {e}");
            return false;
        }
    };
    for (r, (_, t, res)) in replays.iter().zip(&run.programs) {
        let mut lines = Vec::new();
        let mut broken = 0;
        let mut model_wrong = 0;
        for ((o, v), (reg, promise)) in t.observations.iter().zip(&res.verdicts).zip(&r.promised) {
            match v {
                Verdict::Match(real) if real.to_string() != promise.to_string() => {
                    broken += 1;
                    lines.push(format!(
                        "    {reg}: real {real} (as the model says), sve.rst promises {promise}"
                    ));
                }
                Verdict::Match(_) => {}
                Verdict::Differs(real) => {
                    model_wrong += 1;
                    lines.push(format!(
                        "    {reg}: real {real}, the model says {}, sve.rst promises {promise}",
                        o.predicted
                    ));
                }
                other => lines.push(format!("    {reg}: not observed ({other:?})")),
            }
        }
        let verdict = if model_wrong > 0 {
            "the real kernel differs from the model: examine it"
        } else if broken > 0 {
            "the real kernel shows it too"
        } else {
            "the real kernel keeps every promised value (the model agrees: the damage is not visible to the task)"
        };
        println!("  {}: {verdict}", r.cause);
        for l in lines {
            println!("{l}");
        }
        if let Some(e) = &res.error {
            println!("    the real program stopped early: {e}");
        }
    }
    true
}

/// The share-link fragment that opens `script` in the playground at its last step, where
/// the violation shows.
fn share_link(script: &str) -> String {
    let (mut s, _) = svelab_core::Session::from_source(script);
    s.run(&svelab_core::RunOptions::default());
    svelab_core::share::encode(&svelab_core::share::Shared {
        script: script.to_string(),
        kernel: None,
        compare: None,
        step: s.position(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v6.12's VL-change bug, as explore finds it, becomes a replay in which the victim
    /// reads back the register sve.rst promises it.
    #[test]
    fn a_finding_becomes_a_replay_that_reads_the_promised_registers() {
        let mut e = Explorer::new(ExploreConfig {
            kernel: Kernel::V6_12,
            kvm_mode: KvmMode::Vhe,
            cpus: 2,
            tasks: 2,
            vcpus: 0,
            depth: 2,
            ops: OpSet::parse("user,prctl").unwrap(),
            ..ExploreConfig::default()
        })
        .unwrap();
        while !e.run(10_000) {}
        let f = e
            .findings()
            .find(|f| f.cause == "vl-change-resurrects-stale-data")
            .expect("explore finds the VL-change bug on v6.12")
            .clone();
        let r = replay_script(&f).unwrap();
        assert!(!r.script.contains("expect "), "{}", r.script);
        assert!(
            r.script.contains("\nsve-op A\nshow A.z0[127:0]\n"),
            "{}",
            r.script
        );
        let z0 = r
            .promised
            .iter()
            .find(|(reg, _)| reg == "A.z0[127:0]")
            .unwrap();
        assert_eq!(z0.1.to_string(), "fill(0x11)");
        // And it is something a real program can do.
        svelab_core::real::translate("r", &r.script, Kernel::V6_12).unwrap();
    }
}
