//! Explore-mode throughput and the size of the reachable state space, per kernel.
//!
//! 2 CPUs, 2 tasks, 1 vCPU (VHE), default operation families. Depth from
//! `SVELAB_EXPLORE_DEPTH` (default 6); kernels from `SVELAB_EXPLORE_KERNELS`
//! (comma-separated, default all). Prints one line per kernel:
//! distinct states, transitions, seconds, states per second, findings.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_macros,
    clippy::print_stdout
)]

use std::time::Instant;
use svelab_core::explore::{ExploreConfig, Explorer, OpSet};
use svelab_core::model::kernel::Kernel;

fn main() {
    let depth: usize = std::env::var("SVELAB_EXPLORE_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(6);
    let kernels: Vec<Kernel> = match std::env::var("SVELAB_EXPLORE_KERNELS") {
        Ok(list) => list
            .split(',')
            .filter_map(|k| Kernel::parse(k.trim()).ok())
            .collect(),
        Err(_) => Kernel::ALL.to_vec(),
    };
    println!(
        "explore: 2 CPUs, 2 tasks, 1 vCPU, depth {depth}, ops {}",
        OpSet::default_set().names().join(",")
    );
    println!(
        "{:<14} {:>10} {:>12} {:>9} {:>10}  findings",
        "kernel", "states", "transitions", "seconds", "states/s"
    );
    for k in kernels {
        let mut e = Explorer::new(ExploreConfig {
            kernel: k,
            depth,
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
        println!(
            "{:<14} {:>10} {:>12} {:>9.2} {:>10.0}  {}",
            k.name(),
            s.states,
            s.transitions,
            secs,
            s.states as f64 / secs,
            findings.join(" ")
        );
    }
}
