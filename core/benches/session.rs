//! Session benchmarks: parse speed, step throughput with history on, `goto` latency and
//! time-travel memory on a 1,000,000-step script.
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
use svelab_core::session::{RunOptions, Session};

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

fn figures() {
    let (mut s, d) = Session::from_source(MILLION);
    assert!(d.is_empty());
    let live_before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let r = s.run(&RunOptions::default());
    let run = t.elapsed();
    let live_after = LIVE.load(Ordering::Relaxed);
    let stats = s.history_stats();
    println!(
        "1M-step script: {} steps in {:?} ({:.0} steps/s), {} checkpoints; estimated {} bytes = {:.1} bytes/step",
        r.steps,
        run,
        r.steps as f64 / run.as_secs_f64(),
        stats.checkpoints,
        stats.bytes,
        stats.bytes_per_step()
    );
    let grown = live_after.saturating_sub(live_before);
    println!(
        "measured heap growth over the run: {} bytes = {:.1} bytes/step",
        grown,
        grown as f64 / r.steps as f64
    );
    let mut worst = std::time::Duration::ZERO;
    let mut x: u64 = 12345;
    for _ in 0..200 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let target = (x >> 11) % r.steps;
        let t = Instant::now();
        s.goto(target);
        worst = worst.max(t.elapsed());
    }
    println!("goto: worst of 200 random targets {worst:?}");
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
