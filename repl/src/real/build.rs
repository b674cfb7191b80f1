//! Cross-compiles the freestanding scenario runner for arm64.
//!
//! Every `*.c` of [`SOURCES`] is compiled with `aarch64-linux-gnu-gcc` as
//! freestanding, general-registers-only code (the assembler still accepts SVE, for inline
//! asm), every `*.S` as assembly with SVE enabled, and the objects are linked statically
//! without libc (but with libgcc) into `<out>/runner`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The cross compiler.
pub const CC: &str = "aarch64-linux-gnu-gcc";

/// Flags for the C sources.
const C_FLAGS: &[&str] = &[
    "-static",
    "-nostdlib",
    "-ffreestanding",
    "-fno-builtin",
    "-fno-stack-protector",
    "-fno-pic",
    "-no-pie",
    "-O2",
    "-Wall",
    "-Werror",
    "-mgeneral-regs-only",
    "-Wa,-march=armv8.2-a+sve",
];

/// Flags for the assembly sources.
const ASM_FLAGS: &[&str] = &["-march=armv8.2-a+sve"];

/// Flags for the link (the libraries go last).
const LINK_FLAGS: &[&str] = &["-static", "-nostdlib", "-no-pie"];

/// The runner's sources (`tests/real/runner/`), built into the binary so that `svelab
/// real` works from anywhere: they are written to the cache and compiled there.
pub const SOURCES: &[(&str, &str)] = &[
    ("sys.h", include_str!("../../../tests/real/runner/sys.h")),
    ("kvm.h", include_str!("../../../tests/real/runner/kvm.h")),
    ("lib.c", include_str!("../../../tests/real/runner/lib.c")),
    (
        "runner.c",
        include_str!("../../../tests/real/runner/runner.c"),
    ),
    ("kvm.c", include_str!("../../../tests/real/runner/kvm.c")),
    ("regs.S", include_str!("../../../tests/real/runner/regs.S")),
    (
        "guest.S",
        include_str!("../../../tests/real/runner/guest.S"),
    ),
];

/// A stamp of the sources and flags (FNV-1a): the runner is rebuilt when it changes.
fn stamp() -> String {
    stamp_of(SOURCES)
}

fn stamp_of(sources: &[(&str, &str)]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for x in b {
            h ^= u64::from(*x);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for (name, text) in sources {
        eat(name.as_bytes());
        eat(text.as_bytes());
    }
    for f in C_FLAGS.iter().chain(ASM_FLAGS).chain(LINK_FLAGS) {
        eat(f.as_bytes());
    }
    format!("{h:016x}")
}

/// Builds `<out>/runner` from [`SOURCES`] and returns its path. Nothing is rebuilt when
/// `<out>/runner.stamp` says the runner was built from the same sources and flags. A
/// compiler or linker error is returned with the compiler's messages.
pub fn build_runner(out: &Path) -> Result<PathBuf, String> {
    let runner = out.join("runner");
    let stamp_file = out.join("runner.stamp");
    let want = stamp();
    if runner.is_file() && fs::read_to_string(&stamp_file).is_ok_and(|s| s.trim() == want) {
        return Ok(runner);
    }
    let src = out.join("src");
    let obj_dir = out.join("obj");
    for d in [&src, &obj_dir] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    for (name, text) in SOURCES {
        let p = src.join(name);
        fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    let mut objects = Vec::new();
    for (name, _) in SOURCES.iter().filter(|(n, _)| !n.ends_with(".h")) {
        let source = src.join(name);
        // "x.c" -> "x.c.o", "x.S" -> "x.S.o": a .c and a .S of the same stem do not clash.
        let object = obj_dir.join(format!("{name}.o"));
        let mut cmd = Command::new(CC);
        if name.ends_with(".c") {
            cmd.args(C_FLAGS);
        } else {
            cmd.args(ASM_FLAGS);
        }
        cmd.arg("-I")
            .arg(&src)
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(&object);
        compiler(&mut cmd, &format!("compiling {}", source.display()))?;
        objects.push(object);
    }
    // Link to a temporary name first: an interrupted link must not leave a fresh `runner`.
    let partial = out.join("runner.partial");
    let mut cmd = Command::new(CC);
    cmd.args(LINK_FLAGS)
        .args(&objects)
        .arg("-lgcc")
        .arg("-o")
        .arg(&partial);
    compiler(&mut cmd, &format!("linking {}", runner.display()))?;
    fs::rename(&partial, &runner).map_err(|e| {
        format!(
            "cannot move {} to {}: {e}",
            partial.display(),
            runner.display()
        )
    })?;
    fs::write(&stamp_file, &want)
        .map_err(|e| format!("cannot write {}: {e}", stamp_file.display()))?;
    Ok(runner)
}

/// Runs the compiler; its messages in the error when it fails, on stderr when it warns.
fn compiler(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| {
        format!("cannot run {CC} ({what}): {e}; install gcc-aarch64-linux-gnu (`svelab real` does it with apt-get)")
    })?;
    let messages = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            messages.trim_end()
        ));
    }
    if !messages.trim().is_empty() {
        eprintln!("svelab real: {what}:\n{}", messages.trim_end());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner_source_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/real/runner");
        let mut on_disk: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".c") || n.ends_with(".h") || n.ends_with(".S"))
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = SOURCES.iter().map(|(n, _)| n.to_string()).collect();
        built_in.sort();
        assert_eq!(
            on_disk,
            built_in,
            "SOURCES must list every file of {}",
            dir.display()
        );
    }

    #[test]
    fn the_stamp_changes_with_the_sources() {
        let a = stamp();
        assert_eq!(a, stamp());
        let mut edited: Vec<(&str, String)> =
            SOURCES.iter().map(|(n, t)| (*n, t.to_string())).collect();
        edited[0].1.push(' ');
        let edited: Vec<(&str, &str)> = edited.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_ne!(
            a,
            stamp_of(&edited),
            "one byte more must rebuild the runner"
        );
        let renamed: Vec<(&str, &str)> = SOURCES
            .iter()
            .map(|(n, t)| {
                if *n == "lib.c" {
                    ("lib2.c", *t)
                } else {
                    (*n, *t)
                }
            })
            .collect();
        assert_ne!(
            a,
            stamp_of(&renamed),
            "a renamed file must rebuild the runner"
        );
    }
}
