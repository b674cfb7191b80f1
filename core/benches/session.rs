//! Session benchmarks: parse speed, step throughput with history on, `goto` latency and
//! time-travel memory (measured with a counting allocator) on a 1,000,000-step script,
//! unbounded (the old behaviour, the baseline) and bounded, and on a long bounded run.
// A benchmark is not part of the pure library: it may read the clock and print its figures.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use svelab_core::session::{RunOptions, Session, SessionOptions};

/// Counts live heap bytes, so the time-travel memory figure is measured, not estimated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is
// updated on the side.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// 1 + 500,000 × 2 = 1,000,001 steps.
const MILLION: &str = "task A vl=512 on=cpu0\ntask B vl=256\nrepeat 250000 { sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; ctxsw cpu0 A }\n";

fn script(steps: u64) -> String {
    format!(
        "task A vl=512 on=cpu0\ntask B vl=256\nrepeat {} {{ sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; ctxsw cpu0 A }}\n",
        steps / 4
    )
}

/// Runs `src` to the end with `opts` and prints steps/s, checkpoints, measured heap growth
/// and the median and worst of 200 random `goto`s.
fn history_figures(label: &str, src: &str, opts: SessionOptions) {
    let live_before = LIVE.load(Ordering::Relaxed);
    let mut s = Session::new(opts);
    assert!(s.load(src).is_empty());
    let t = Instant::now();
    let r = s.run(&RunOptions {
        budget: u64::MAX,
        ..RunOptions::default()
    });
    let run = t.elapsed();
    let grown = LIVE.load(Ordering::Relaxed).saturating_sub(live_before);
    let stats = s.history_stats();
    println!(
        "{label}: {} steps in {:?} ({:.0} steps/s), {} checkpoints (estimated {} bytes); measured heap {} bytes = {:.1} bytes/step",
        r.steps,
        run,
        r.steps as f64 / run.as_secs_f64(),
        stats.checkpoints,
        stats.bytes,
        grown,
        grown as f64 / r.steps as f64
    );
    let mut times = Vec::new();
    let mut x: u64 = 12345;
    for _ in 0..200 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let target = (x >> 11) % r.steps;
        let t = Instant::now();
        s.goto(target);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{label}: goto of 200 random targets: median {:?}, worst {:?}",
        times[100], times[199]
    );
}

fn figures() {
    // Baseline in the same run: the old unbounded history (`max_checkpoints: 0`).
    let million = script(1_000_000);
    let unbounded = SessionOptions {
        max_checkpoints: 0,
        ..SessionOptions::default()
    };
    history_figures("1M steps, unbounded history", &million, unbounded);
    history_figures(
        "1M steps, bounded history",
        &million,
        SessionOptions::default(),
    );
    // SVELAB_BENCH_STEPS (default 20,000,000): the long run of the bounded history.
    let long: u64 = std::env::var("SVELAB_BENCH_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000_000);
    history_figures(
        &format!("{long} steps, bounded history"),
        &script(long),
        SessionOptions::default(),
    );
}

fn benches(c: &mut Criterion) {
    figures();
    let doc = include_str!("../../docs/dsl.md");
    c.bench_function("parse docs/dsl.md examples", |b| {
        b.iter(|| svelab_core::dsl::parse(black_box(doc)))
    });
    c.bench_function("parse 1M-step script", |b| {
        b.iter(|| svelab_core::dsl::parse(black_box(MILLION)))
    });
    let small = "task A vl=512 on=cpu0\ntask B vl=256\nrepeat 2500 { sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; ctxsw cpu0 A }\n";
    c.bench_function("run 10k steps (history on)", |b| {
        b.iter(|| {
            let (mut s, _) = Session::from_source(small);
            s.run(&RunOptions::default())
        })
    });
    let (mut s, _) = Session::from_source(MILLION);
    s.run(&RunOptions::default());
    let mut x: u64 = 1;
    c.bench_function("goto random step of 1M", |b| {
        b.iter(|| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.goto((x >> 11) % 1_000_001)
        })
    });
}

criterion_group! {
    name = session;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(session);
