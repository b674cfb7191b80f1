//! The explore model under the `stateright` crate's breadth-first checker, against the
//! hand-written engine on the same states, moves and fingerprints, in the same run.
//!
//!     cargo bench -p svelab-core --features compare-stateright --bench explore_stateright
//!
//! 2 CPUs, 2 tasks, 1 vCPU, default operation families; depth from `SVELAB_EXPLORE_DEPTH`
//! (default 4: stateright keeps every frontier state whole, about 30 KiB each), kernel from
//! `SVELAB_EXPLORE_KERNELS` (default v6.2), threads from `SVELAB_EXPLORE_THREADS` (default
//! 1). A state's `Hash` is the search's 128-bit fingerprint of its canonical form,
//! computed once when the state is made.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_macros,
    clippy::print_stdout
)]

use stateright::{Checker, Model, Property};
use std::hash::{Hash, Hasher};
use std::time::Instant;
use svelab_core::explore::{parts, ExploreConfig, Explorer};
use svelab_core::{Kernel, Op};

#[derive(Clone, Debug)]
struct State {
    s: parts::State,
    fp: u128,
}

impl PartialEq for State {
    fn eq(&self, other: &State) -> bool {
        self.fp == other.fp
    }
}

impl Hash for State {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.fp.hash(h);
    }
}

struct Explore(ExploreConfig);

impl Model for Explore {
    type State = State;
    type Action = Op;

    fn init_states(&self) -> Vec<State> {
        let s = parts::root(&self.0).expect("valid config");
        let fp = parts::fingerprint(&s);
        vec![State { s, fp }]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Op>) {
        actions.extend(parts::moves(&self.0, &s.s));
    }

    fn next_state(&self, s: &State, op: Op) -> Option<State> {
        // The violation check runs as in the search; the flag is not a property here.
        let (s, _violated) = parts::apply(&self.0, &s.s, &op)?;
        let fp = parts::fingerprint(&s);
        Some(State { s, fp })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // Never broken, so the checker does not stop early (it stops once every property
        // has an example).
        vec![Property::always("explored", |_, _: &State| true)]
    }
}

fn main() {
    let depth: usize = std::env::var("SVELAB_EXPLORE_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(4);
    let threads: usize = std::env::var("SVELAB_EXPLORE_THREADS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    let kernels: Vec<Kernel> = std::env::var("SVELAB_EXPLORE_KERNELS")
        .unwrap_or_else(|_| "v6.2".into())
        .split(',')
        .filter_map(|k| Kernel::parse(k.trim()).ok())
        .collect();
    println!("explore vs stateright: 2 CPUs, 2 tasks, 1 vCPU, depth {depth}, {threads} thread(s)");
    println!(
        "{:<14} {:<12} {:>10} {:>9} {:>10} {:>7}",
        "kernel", "engine", "states", "seconds", "states/s", "ratio"
    );
    for k in kernels {
        let cfg = ExploreConfig {
            kernel: k,
            depth,
            threads,
            ..ExploreConfig::default()
        };
        let t = Instant::now();
        let mut e = Explorer::new(cfg.clone()).expect("valid config");
        while !e.run(50_000) {}
        let secs = t.elapsed().as_secs_f64();
        let ours = e.stats().states;
        let base = ours as f64 / secs;
        println!(
            "{:<14} {:<12} {:>10} {:>9.2} {:>10.0} {:>6.2}x",
            k.name(),
            "svelab",
            ours,
            secs,
            base,
            1.0
        );
        let t = Instant::now();
        // The root is depth 1 for stateright: depth + 1 reaches the same sequences.
        let c = Explore(cfg)
            .checker()
            .threads(threads)
            .target_max_depth(depth + 1)
            .spawn_bfs()
            .join();
        let secs = t.elapsed().as_secs_f64();
        let theirs = c.unique_state_count();
        println!(
            "{:<14} {:<12} {:>10} {:>9.2} {:>10.0} {:>6.2}x",
            k.name(),
            "stateright",
            theirs,
            secs,
            theirs as f64 / secs,
            theirs as f64 / secs / base
        );
    }
}
