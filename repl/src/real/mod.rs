#![allow(clippy::print_stderr)]
//! Real kernels as the referee, on this machine: boots Debian's arm64 Linux 6.1 and 6.12
//! under QEMU and runs translated scripts inside them. `svelab real` (a user's scripts) and
//! `cargo xtask real` (the corpus, in CI) share everything here.
//!
//! * [`kernels`]: the pinned kernels, the host tools (installed with apt), the kernel cache.
//! * [`build`]: cross-compiles the runner (`tests/real/runner/`, built into this crate).
//! * [`initramfs`]: a pure-Rust cpio "newc" writer.
//! * [`qemu`]: boots one kernel and collects its console.
//! * [`run_on`] (here): one boot of one kernel for many programs, and their verdicts.
//!
//! What a script becomes, and what its observations mean, is decided by the pure
//! `svelab_core::real`; this crate only does the I/O.

pub mod build;
pub mod initramfs;
pub mod kernels;
pub mod qemu;

use initramfs::Initramfs;
use kernels::PinnedKernel;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use svelab_core::real::{self as core_real, ProgramResult, Translation};

/// Modules the runner loads (kernel-mode NEON from user space: AF_ALG sha256).
pub const MODULES: [&str; 4] = [
    "sha256-arm64.ko",
    "sha2-ce.ko",
    "af_alg.ko",
    "algif_hash.ko",
];

/// Model CPU n is real CPU n+1; CPU 0 is the runner's own.
pub const SMP: u32 = 3;
/// The workers' CPUs are kept free of other tasks.
pub const APPEND: &str = "isolcpus=1,2";

/// Where downloads, the runner build and the consoles are kept: `$SVELAB_REAL_CACHE`, else
/// the user's cache directory (`~/.cache/svelab/real`).
pub fn default_cache() -> PathBuf {
    if let Some(p) = std::env::var_os("SVELAB_REAL_CACHE") {
        return PathBuf::from(p);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("svelab")
        .join("real")
}

/// The pinned kernel called `label` ("6.1", "6.12").
pub fn pinned(label: &str) -> Option<&'static PinnedKernel> {
    kernels::PINNED.iter().find(|k| k.label == label)
}

/// What one boot did.
#[derive(Debug)]
pub struct KernelRun {
    /// The real kernel.
    pub kernel: &'static PinnedKernel,
    /// Each program: its name, its translation (predictions included) and its verdicts.
    pub programs: Vec<(String, Translation, ProgramResult)>,
    /// From QEMU's start to its end.
    pub seconds: f64,
    /// The boot's console, saved.
    pub console: PathBuf,
}

/// Progress while a kernel boots: (programs finished, programs, seconds since QEMU started).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, f64);

/// Installs what is missing, builds the runner, fetches `k`, boots it once and runs every
/// program in it. `programs` are translated for the model kernel they are compared with.
pub fn run_on(
    k: &'static PinnedKernel,
    programs: Vec<(String, Translation)>,
    cache: &Path,
    progress: Progress<'_>,
) -> Result<KernelRun, String> {
    std::fs::create_dir_all(cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    kernels::ensure_tools()?;
    let runner = build::build_runner(&cache.join("build"))?;
    let runner = std::fs::read(&runner).map_err(|e| format!("{}: {e}", runner.display()))?;
    let files = kernels::ensure_kernel(k, &cache.join("cache"), &MODULES)?;
    let mut fs = Initramfs::new();
    fs.add_dir("/dev", 0o755);
    fs.add_char_dev("/dev/console", 0o600, 5, 1);
    fs.add_file("/init", &runner, 0o755);
    let mut order = String::new();
    for (name, path) in &files.modules {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        fs.add_file(&format!("/modules/{name}"), &bytes, 0o644);
        let _ = writeln!(order, "{name}");
    }
    fs.add_file("/modules/order", order.as_bytes(), 0o644);
    let mut index = String::new();
    for (name, t) in &programs {
        fs.add_file(
            &format!("/programs/{name}"),
            t.program.to_string().as_bytes(),
            0o644,
        );
        let _ = writeln!(index, "{name}");
    }
    fs.add_file("/programs/index", index.as_bytes(), 0o644);
    let initrd = cache.join(format!("real-{}.cpio", k.label));
    std::fs::write(&initrd, fs.finish()).map_err(|e| format!("{}: {e}", initrd.display()))?;
    let boot = qemu::Boot {
        kernel: files.vmlinuz.clone(),
        initrd,
        smp: SMP,
        mem_mb: 1024,
        append: APPEND.into(),
        // A boot takes ~15 s and a program a few seconds under TCG; the runner's watchdog
        // ends a boot whose program hangs, this ends one whose kernel does.
        timeout: Duration::from_secs(60 + 10 * programs.len() as u64),
    };
    let started = Instant::now();
    let total = programs.len();
    let mut done = 0;
    let mut on_line = |line: &str| {
        if line.starts_with("END ") {
            done += 1;
        }
        progress(done, total, started.elapsed().as_secs_f64());
    };
    let console = qemu::run(&boot, &mut on_line)?;
    let console_path = cache.join(format!("console-{}.txt", k.label));
    std::fs::write(&console_path, &console).map_err(|e| format!("cannot save the console: {e}"))?;
    if !console.contains("RUNNER DONE") {
        let watchdog: Vec<&str> = console
            .lines()
            .filter(|l| l.starts_with("ERR watchdog") || l.starts_with("WATCHDOG"))
            .collect();
        return Err(format!(
            "the runner did not finish on Linux {} (console in {}){}",
            k.label,
            console_path.display(),
            if watchdog.is_empty() {
                String::new()
            } else {
                format!(":\n{}", watchdog.join("\n"))
            }
        ));
    }
    let programs = programs
        .into_iter()
        .map(|(name, t)| {
            let out = core_real::program_output(&console, &name).unwrap_or_default();
            let res = core_real::verdicts(&t, &out);
            (name, t, res)
        })
        .collect();
    Ok(KernelRun {
        kernel: k,
        programs,
        seconds: started.elapsed().as_secs_f64(),
        console: console_path,
    })
}
