//! `svelab explore`: the bounded exhaustive search of `svelab_core::explore`, with progress,
//! a budget in states or seconds, and the shortest counterexample for every cause.

use crate::cli::ExploreArgs;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use svelab_core::explore::{ExploreConfig, Explorer, OpSet};
use svelab_core::kvm::KvmMode;
use svelab_core::Kernel;

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
    let start = Instant::now();
    let limit = args.seconds.map(Duration::from_secs_f64);
    let mut last = Instant::now();
    let mut stopped = None;
    loop {
        let done = e.run(2_000);
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
        if args.max_states.is_some_and(|m| s.states >= m) {
            stopped = Some(format!("state budget of {} reached", s.states));
            break;
        }
        if limit.is_some_and(|l| start.elapsed() >= l) {
            stopped = Some(format!(
                "time budget of {:.0} s reached",
                start.elapsed().as_secs_f64()
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
    if findings.is_empty() {
        println!("no violation found on {}", cfg.kernel.name());
        return ExitCode::SUCCESS;
    }
    println!(
        "{} distinct cause(s) on {}:",
        findings.len(),
        cfg.kernel.name()
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
        if let Some(dir) = &args.out {
            let path =
                std::path::Path::new(dir).join(format!("{}.svl", f.cause.replace([' ', '/'], "_")));
            match std::fs::write(&path, &f.script) {
                Ok(()) => println!(
                    "   saved: {}  (svelab run {0}, or :load it in the REPL)",
                    path.display()
                ),
                Err(err) => eprintln!("svelab explore: cannot write {}: {err}", path.display()),
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
    ExitCode::from(1)
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
