//! Boots one kernel and initramfs under `qemu-system-aarch64` and collects the console.
//!
//! The machine is QEMU's `virt` board with EL2 (`virtualization=on`) and the `max` CPU with
//! SVE up to 512-bit vectors and without SME, under TCG. The serial console (ttyAMA0) is
//! QEMU's stdout; each line is handed to a progress callback as it arrives. The guest
//! ends the run by powering off (`-no-reboot` turns a reboot, and `panic=-1` a kernel
//! panic, into QEMU exiting); a timeout kills QEMU.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The environment variable that overrides the QEMU binary.
pub const QEMU_ENV: &str = "SVELAB_QEMU";

/// What the kernel prints when it panics (`panic=-1` then makes QEMU exit cleanly).
const PANIC: &str = "Kernel panic - not syncing";

/// How many console lines an error quotes.
const TAIL: usize = 40;

/// One boot.
#[derive(Debug, Clone)]
pub struct Boot {
    /// The kernel image (`-kernel`).
    pub kernel: PathBuf,
    /// The initramfs (`-initrd`), a cpio archive with `/init`.
    pub initrd: PathBuf,
    /// Number of CPUs (`-smp`).
    pub smp: u32,
    /// Memory in MiB (`-m`).
    pub mem_mb: u32,
    /// Extra kernel command line, after `console=ttyAMA0 rdinit=/init quiet panic=-1`.
    pub append: String,
    /// Wall-clock limit for the whole boot, from QEMU's start to its exit.
    pub timeout: Duration,
}

/// The QEMU binary: `$SVELAB_QEMU` if set and not empty, else `qemu-system-aarch64`.
pub fn qemu_binary() -> String {
    match std::env::var(QEMU_ENV) {
        Ok(q) if !q.is_empty() => q,
        _ => "qemu-system-aarch64".to_string(),
    }
}

/// QEMU's arguments for `b` (without the binary).
pub fn args(b: &Boot) -> Vec<String> {
    let append = format!("console=ttyAMA0 rdinit=/init quiet panic=-1 {}", b.append);
    [
        "-M",
        "virt,virtualization=on",
        "-cpu",
        "max,sve=on,sve512=on,sme=off",
        "-smp",
        &b.smp.to_string(),
        "-m",
        &b.mem_mb.to_string(),
        "-nographic",
        // No network: the scenarios need none, and the default virtio NIC
        // needs a boot ROM (efi-virtio.rom) that a minimal QEMU install lacks.
        "-nic",
        "none",
        "-no-reboot",
        "-kernel",
        &b.kernel.to_string_lossy(),
        "-initrd",
        &b.initrd.to_string_lossy(),
        "-append",
        append.trim_end(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The command line, shell-quoted well enough to paste for a manual rerun.
pub fn command_line(b: &Boot) -> String {
    let mut s = qemu_binary();
    for a in args(b) {
        s.push(' ');
        if a.is_empty()
            || a.contains(|c: char| !(c.is_ascii_alphanumeric() || "-_./=,:+".contains(c)))
        {
            s.push('\'');
            s.push_str(&a.replace('\'', r"'\''"));
            s.push('\'');
        } else {
            s.push_str(&a);
        }
    }
    s
}

/// A QEMU this process started; killed (by its own handle) if still running when dropped.
struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Boots `b` and returns the whole console output (lines joined with `\n`, carriage
/// returns dropped) once QEMU exits successfully. `progress` gets each console line as it
/// arrives. On timeout QEMU is killed and the error quotes the last 40 console lines; the
/// same when QEMU fails (with its stderr) and when the kernel panicked (with `panic=-1`
/// the guest reboots at once, which `-no-reboot` turns into a clean QEMU exit).
pub fn run(b: &Boot, progress: &mut dyn FnMut(&str)) -> Result<String, String> {
    for (what, p) in [("kernel image", &b.kernel), ("initramfs", &b.initrd)] {
        if !p.is_file() {
            return Err(format!("the {what} {} does not exist", p.display()));
        }
    }
    let bin = qemu_binary();
    let child = Command::new(&bin)
        .args(args(b))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot start {bin}: {e} (install qemu-system-arm, or point {QEMU_ENV} at a qemu-system-aarch64)")
        })?;
    let mut qemu = Qemu(child);
    let started = Instant::now();
    let deadline = started + b.timeout;

    let stdout = qemu.0.stdout.take();
    let stderr = qemu.0.stderr.take();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let Some(stdout) = stdout else { return };
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf);
                    let line = line.trim_end_matches(['\n', '\r']).replace('\r', "");
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let mut bytes = Vec::new();
            let _ = e.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    });

    let mut console: Vec<String> = Vec::new();
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                progress(&line);
                console.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                break;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // stdout closed (or time is up): wait for the exit, still within the deadline.
    let status = loop {
        match qemu.0.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if !timed_out && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) => {
                timed_out = true;
                let _ = qemu.0.kill();
                let _ = qemu.0.wait();
                break None;
            }
            Err(e) => return Err(format!("cannot wait for {bin}: {e}")),
        }
    };
    let _ = reader.join();
    let stderr = errors.join().unwrap_or_default();
    let elapsed = started.elapsed().as_secs_f64();

    match status {
        Some(s) if s.success() && !timed_out => {
            if let Some(at) = console.iter().position(|l| l.contains(PANIC)) {
                return Err(format!(
                    "the kernel panicked after {elapsed:.1} s booting {}: {}{}",
                    b.kernel.display(),
                    console[at].trim(),
                    tail(&console)
                ));
            }
            let mut out = console.join("\n");
            out.push('\n');
            Ok(out)
        }
        Some(s) if !timed_out => Err(format!(
            "{bin} failed ({s}) after {elapsed:.1} s booting {}{}{}",
            b.kernel.display(),
            stderr_note(&stderr),
            tail(&console)
        )),
        _ => Err(format!(
            "{bin} did not finish within {} s booting {} (killed it){}{}\nrerun by hand: {}",
            b.timeout.as_secs(),
            b.kernel.display(),
            stderr_note(&stderr),
            tail(&console),
            command_line(b)
        )),
    }
}

fn stderr_note(stderr: &str) -> String {
    let s = stderr.trim();
    if s.is_empty() {
        String::new()
    } else {
        format!("\nQEMU stderr:\n{s}")
    }
}

fn tail(console: &[String]) -> String {
    if console.is_empty() {
        return "\nno console output".to_string();
    }
    let from = console.len().saturating_sub(TAIL);
    format!(
        "\nlast {} console lines:\n{}",
        console.len() - from,
        console[from..].join("\n")
    )
}
