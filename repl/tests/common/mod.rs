//! What the command-line tests share: running the real `svelab` binary with standard
//! input, reading its output, writing scripts into a temporary folder. Each test crate
//! uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub fn svelab(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_svelab"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("SVELAB_HISTORY", "")
        .env("SVELAB_PROGRESS", "")
        .env_remove("SVELAB_SEED")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run svelab");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("wait for svelab")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn script(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, body).expect("write script");
    p.to_string_lossy().into_owned()
}

/// Runs the REPL on `input` with no history and no progress file; standard output.
pub fn repl_output(input: &str) -> String {
    let o = svelab(&["--color", "never"], Some(input));
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// The output from the first line containing `from` on.
pub fn from<'a>(out: &'a str, from: &str) -> &'a str {
    let i = out
        .find(from)
        .unwrap_or_else(|| panic!("`{from}` in:\n{out}"));
    &out[i..]
}

/// Runs the REPL with `input` on standard input (no terminal); its output and status.
pub fn repl_with_input(input: &str) -> Output {
    svelab(&["--color", "never"], Some(input))
}

pub const PASSING: &str = "\
task A vl=512 on=cpu0
sve-op A z0=fill(0xaa)
expect A.TIF_SVE == 1
svc A getpid
expect A.z0[127:0] == fill(0xaa)
";

/// Holds on v6.2 (patch 6 keeps TIF_SVE across a syscall), fails on v5.19.
pub const KERNEL_DEPENDENT: &str = "\
task A vl=512 on=cpu0
sve-op A z0=1
svc A getpid
expect A.TIF_SVE == 1
";
