//! Explore-mode throughput and the size of the reachable state space, per kernel.
//!
//! 2 CPUs, 2 tasks, 1 vCPU (VHE), default operation families. Each kernel is explored once
//! per configuration of `SVELAB_EXPLORE_RUNS` (comma-separated `keys:threads`, default
//! `exact:1,fingerprint:1,fingerprint:0`; threads 0 = one per core), and each run's speed is
//! given as a ratio to the first configuration's, measured in the same run (the exact mode
//! on one thread is the baseline). Every configuration must find the same number of
//! states and the same findings: the bench checks it.
//!
//! Depth from `SVELAB_EXPLORE_DEPTH` (default 5); kernels from `SVELAB_EXPLORE_KERNELS`
//! (comma-separated, default all).
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_macros,
    clippy::print_stdout
)]

use std::time::Instant;
use svelab_core::explore::{ExploreConfig, Explorer, KeyMode, OpSet};
use svelab_core::model::kernel::Kernel;

fn main() {
    let depth: usize = std::env::var("SVELAB_EXPLORE_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(5);
    let kernels: Vec<Kernel> = match std::env::var("SVELAB_EXPLORE_KERNELS") {
        Ok(list) => list
            .split(',')
            .filter_map(|k| Kernel::parse(k.trim()).ok())
            .collect(),
        Err(_) => Kernel::ALL.to_vec(),
    };
    let runs: Vec<(KeyMode, usize)> = std::env::var("SVELAB_EXPLORE_RUNS")
        .unwrap_or_else(|_| "exact:1,fingerprint:1,fingerprint:0".into())
        .split(',')
        .filter_map(|r| {
            let (k, t) = r.trim().split_once(':')?;
            let keys = match k {
                "exact" => KeyMode::Exact,
                "fingerprint" => KeyMode::Fingerprint,
                _ => return None,
            };
            Some((keys, t.parse().ok()?))
        })
        .collect();
    println!(
        "explore: 2 CPUs, 2 tasks, 1 vCPU, depth {depth}, ops {}",
        OpSet::default_set().names().join(",")
    );
    println!(
        "{:<14} {:<12} {:>7} {:>10} {:>12} {:>9} {:>10} {:>7}  findings",
        "kernel", "keys", "threads", "states", "transitions", "seconds", "states/s", "ratio"
    );
    for k in kernels {
        let mut baseline: Option<(f64, u64, Vec<String>)> = None;
        for &(keys, threads) in &runs {
            let mut e = Explorer::new(ExploreConfig {
                kernel: k,
                depth,
                keys,
                threads,
                ..ExploreConfig::default()
            })
            .expect("valid config");
            let t = Instant::now();
            while !e.run(50_000) {}
            let secs = t.elapsed().as_secs_f64();
            let s = e.stats();
            let findings: Vec<String> = e
                .findings()
                .map(|f| format!("{}({})", f.cause, f.length))
                .collect();
            let rate = s.states as f64 / secs;
            let ratio = match &baseline {
                None => {
                    baseline = Some((rate, s.states, findings.clone()));
                    1.0
                }
                Some((r, states, f)) => {
                    assert_eq!(
                        (*states, f),
                        (s.states, &findings),
                        "{} {keys:?}:{threads} differs from the baseline",
                        k.name()
                    );
                    rate / r
                }
            };
            println!(
                "{:<14} {:<12} {:>7} {:>10} {:>12} {:>9.2} {:>10.0} {:>6.1}x  {}",
                k.name(),
                format!("{keys:?}").to_lowercase(),
                threads,
                s.states,
                s.transitions,
                secs,
                rate,
                ratio,
                findings.join(" ")
            );
        }
    }
}
