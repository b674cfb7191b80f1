//! Cross-compiles the freestanding scenario runner for arm64.
//!
//! Every `*.c` of the source directory is compiled with `aarch64-linux-gnu-gcc` as
//! freestanding, general-registers-only code (the assembler still accepts SVE, for inline
//! asm), every `*.S` as assembly with SVE enabled, and the objects are linked statically
//! without libc (but with libgcc) into `<out>/runner`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

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

/// Builds `<out>/runner` from the `*.c` and `*.S` files of `src` and returns its path.
///
/// Nothing is rebuilt when `runner` is newer than every file of `src` (headers included)
/// and than `src` itself (whose time changes when files are added or removed). A compiler
/// or linker error is returned with the compiler's messages.
pub fn build_runner(src: &Path, out: &Path) -> Result<PathBuf, String> {
    let runner = out.join("runner");
    let entries = fs::read_dir(src)
        .map_err(|e| format!("cannot list the runner sources {}: {e}", src.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let sources: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "c" || e == "S"))
        .collect();
    if sources.is_empty() {
        return Err(format!("no *.c or *.S file in {}", src.display()));
    }

    if let Some(built) = modified(&runner) {
        let newest = files
            .iter()
            .map(|p| p.as_path())
            .chain([src])
            .filter_map(modified)
            .max();
        if newest.is_some_and(|n| n <= built) {
            return Ok(runner);
        }
    }

    let obj_dir = out.join("obj");
    fs::create_dir_all(&obj_dir)
        .map_err(|e| format!("cannot create {}: {e}", obj_dir.display()))?;
    let mut objects = Vec::new();
    for source in sources {
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // "x.c" -> "x.c.o", "x.S" -> "x.S.o": a .c and a .S of the same stem do not clash.
        let object = obj_dir.join(format!("{name}.o"));
        let mut cmd = Command::new(CC);
        if source.extension().is_some_and(|e| e == "c") {
            cmd.args(C_FLAGS);
        } else {
            cmd.args(ASM_FLAGS);
        }
        cmd.arg("-I")
            .arg(src)
            .arg("-c")
            .arg(source)
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
    Ok(runner)
}

fn modified(p: &Path) -> Option<SystemTime> {
    fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Runs the compiler; its messages in the error when it fails, on stderr when it warns.
fn compiler(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| {
        format!("cannot run {CC} ({what}): {e}; install gcc-aarch64-linux-gnu (`cargo xtask real` does it with apt-get)")
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
        eprintln!("xtask real: {what}:\n{}", messages.trim_end());
    }
    Ok(())
}
