//! The pinned Debian arm64 kernels, the host tools that boot them, and their cache.
//!
//! * [`PINNED`]: the only place that names the kernel packages and versions.
//! * [`ensure_tools`]: installs QEMU, the aarch64 cross compiler and xz with `apt-get` when
//!   missing, and adds Debian's arm64 architecture (needed to download the kernels).
//! * [`ensure_kernel`]: `apt-get download`s one pinned kernel package, keeps its `vmlinuz`,
//!   its `config` and the requested modules (decompressed), and caches them under
//!   `<cache>/<package>_<version>/`. A stamp file written last marks a complete entry.
//!
//! When Debian no longer serves a pinned version, [`ensure_kernel`] fails and names the
//! newest version of the same package family; moving a pin is a deliberate edit here.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One pinned kernel: a Debian `linux-image-*-arm64` package at an exact version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedKernel {
    /// Short name used on the command line and in reports: "6.1" or "6.12".
    pub label: &'static str,
    /// The Debian binary package (architecture arm64).
    pub package: &'static str,
    /// The exact Debian package version.
    pub version: &'static str,
    /// The svelab kernel model this kernel is compared with ("v6.1", "v6.12").
    pub model_kernel: &'static str,
}

/// The kernels `svelab real` and `cargo xtask real` boot. Moving a pin is a deliberate change: the
/// expectations of the scenarios may depend on the exact kernel.
pub const PINNED: [PinnedKernel; 2] = [
    PinnedKernel {
        label: "6.1",
        package: "linux-image-6.1.0-57-arm64",
        version: "6.1.192-3",
        model_kernel: "v6.1",
    },
    PinnedKernel {
        label: "6.12",
        package: "linux-image-6.12.118+deb12-arm64",
        version: "6.12.118-1~deb12u1",
        model_kernel: "v6.12",
    },
];

/// What [`ensure_kernel`] keeps of a kernel package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelFiles {
    /// The kernel image (`boot/vmlinuz-*`), bootable with QEMU's `-kernel`.
    pub vmlinuz: PathBuf,
    /// The kernel's build configuration (`boot/config-*`).
    pub config: PathBuf,
    /// The requested modules that the package ships as files, in the order requested:
    /// (file name without `.xz`, e.g. "sha2-ce.ko"; the decompressed module). Modules
    /// that are built in (or absent) are left out.
    pub modules: Vec<(String, PathBuf)>,
}

/// The file that marks a complete cache entry; written last.
const STAMP: &str = "complete.stamp";
const STAMP_HEADER: &str = "svelab real kernel cache v1";

/// A host tool and the Debian packages that provide it.
const TOOLS: [(&str, &[&str]); 4] = [
    ("qemu-system-aarch64", &["qemu-system-arm"]),
    (
        "aarch64-linux-gnu-gcc",
        &["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
    ),
    ("xz", &["xz-utils"]),
    ("dpkg-deb", &["dpkg"]),
];

fn say(msg: &str) {
    eprintln!("svelab real: {msg}");
}

/// Whether `name` is an executable file: a path as given, or a name searched in `PATH`.
pub fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if name.contains('/') {
        return executable(Path::new(name));
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| executable(&dir.join(name))))
        .unwrap_or(false)
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` with its output shown, announcing it first.
fn run_shown(cmd: &mut Command) -> Result<(), String> {
    say(&format!("$ {}", show(cmd)));
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

/// Runs `cmd` quietly; its stdout on success, a message with its stderr on failure.
fn run_captured(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", show(cmd)))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if text.is_empty() {
            text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        Err(format!("`{}` failed ({}):\n{text}", show(cmd), out.status))
    }
}

fn apt_get(args: &[&str]) -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null());
    cmd
}

const APT_HINT: &str =
    "apt-get needs root; as root, or with sudo, run `dpkg --add-architecture arm64 && apt-get update && apt-get install qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross xz-utils`";

/// Adds Debian's arm64 architecture when the host lacks it; true if it was added (the
/// package lists then need an `apt-get update`).
fn ensure_arm64_architecture() -> Result<bool, String> {
    let native = run_captured(Command::new("dpkg").arg("--print-architecture"))?;
    if native.trim() == "arm64" {
        return Ok(false);
    }
    let foreign = run_captured(Command::new("dpkg").arg("--print-foreign-architectures"))?;
    if foreign.lines().any(|l| l.trim() == "arm64") {
        return Ok(false);
    }
    run_shown(Command::new("dpkg").args(["--add-architecture", "arm64"]))
        .map_err(|e| format!("{e}\n{APT_HINT}"))?;
    Ok(true)
}

/// Makes sure the host tools are there: `qemu-system-aarch64` (or `$SVELAB_QEMU`),
/// `aarch64-linux-gnu-gcc`, `xz` and `dpkg-deb`, installing the missing ones with
/// `apt-get`; and adds the arm64 architecture to dpkg so the kernels can be downloaded.
pub fn ensure_tools() -> Result<(), String> {
    let qemu = super::qemu::qemu_binary();
    let overridden = qemu != "qemu-system-aarch64";
    if overridden && !on_path(&qemu) {
        return Err(format!(
            "{} is set to `{qemu}`, which is not an executable; unset it to use (and install) qemu-system-aarch64",
            super::qemu::QEMU_ENV
        ));
    }
    let missing: Vec<(&str, &[&str])> = TOOLS
        .iter()
        .filter(|(tool, _)| !(overridden && *tool == "qemu-system-aarch64"))
        .filter(|(tool, _)| !on_path(tool))
        .copied()
        .collect();
    let added = ensure_arm64_architecture()?;
    if missing.is_empty() && !added {
        return Ok(());
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(t, _)| *t).collect();
        say(&format!("missing {}; installing them", names.join(", ")));
    }
    run_shown(&mut apt_get(&["update", "-q"])).map_err(|e| format!("{e}\n{APT_HINT}"))?;
    if missing.is_empty() {
        return Ok(());
    }
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    for (_, pkgs) in &missing {
        args.extend(pkgs.iter());
    }
    run_shown(&mut apt_get(&args)).map_err(|e| format!("{e}\n{APT_HINT}"))?;
    let still: Vec<&str> = missing
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| !on_path(t))
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "still missing after apt-get install: {} (is /usr/bin in PATH?)",
            still.join(", ")
        ))
    }
}

/// The name `apt-get download` gives the package's file.
fn deb_file_name(k: &PinnedKernel) -> String {
    format!("{}_{}_arm64.deb", k.package, k.version.replace(':', "%3a"))
}

/// Makes sure the pinned kernel `k` is in `cache` and returns its files: the image, the
/// config, and those of `modules` (file names like "sha2-ce.ko", searched anywhere under
/// `lib/modules/*/kernel/`) that the package ships; `.ko.xz` files are decompressed.
///
/// A complete cache entry that covers `modules` is reused; otherwise the package is
/// downloaded again (`apt-get download`, or a `.deb` of the apt file name placed in
/// `cache` by hand) and everything but the kept files is deleted.
pub fn ensure_kernel(
    k: &PinnedKernel,
    cache: &Path,
    modules: &[&str],
) -> Result<KernelFiles, String> {
    let dir = cache.join(format!("{}_{}", k.package, k.version));
    let previous = read_stamp(&dir);
    if let Some((requested, found)) = &previous {
        if modules.iter().all(|m| requested.contains(*m)) {
            if let Some(files) = cached_files(&dir, modules, found) {
                return Ok(files);
            }
        }
    }
    // Keep what earlier callers asked for too, so alternating callers do not thrash.
    let mut wanted: BTreeSet<String> = previous.map(|(r, _)| r).unwrap_or_default();
    wanted.extend(modules.iter().map(|m| m.to_string()));

    fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create the kernel cache {}: {e}", cache.display()))?;
    let tmp = cache.join(format!(".tmp-{}_{}", k.package, k.version));
    remove_tree(&tmp)?;
    fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = fetch_into(k, cache, &tmp, &dir, &wanted);
    let cleaned = remove_tree(&tmp);
    result?;
    cleaned?;
    let (_, found) = read_stamp(&dir)
        .ok_or_else(|| format!("the cache entry {} has no stamp", dir.display()))?;
    cached_files(&dir, modules, &found).ok_or_else(|| {
        format!(
            "the cache entry {} is incomplete right after filling it",
            dir.display()
        )
    })
}

fn remove_tree(p: &Path) -> Result<(), String> {
    match fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", p.display())),
    }
}

/// Reads `dir`'s stamp: (module names requested, module names found).
fn read_stamp(dir: &Path) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let text = fs::read_to_string(dir.join(STAMP)).ok()?;
    let mut lines = text.lines();
    if lines.next()? != STAMP_HEADER {
        return None;
    }
    let (mut requested, mut found) = (BTreeSet::new(), BTreeSet::new());
    for line in lines {
        if let Some(m) = line.strip_prefix("requested ") {
            requested.insert(m.to_string());
        } else if let Some(m) = line.strip_prefix("found ") {
            found.insert(m.to_string());
        }
    }
    Some((requested, found))
}

/// The files of a stamped entry, if they are all still there.
fn cached_files(dir: &Path, modules: &[&str], found: &BTreeSet<String>) -> Option<KernelFiles> {
    let files = KernelFiles {
        vmlinuz: dir.join("vmlinuz"),
        config: dir.join("config"),
        modules: modules
            .iter()
            .filter(|m| found.contains(**m))
            .map(|m| (m.to_string(), dir.join("modules").join(m)))
            .collect(),
    };
    let present = files.vmlinuz.is_file()
        && files.config.is_file()
        && files.modules.iter().all(|(_, p)| p.is_file());
    present.then_some(files)
}

/// Downloads (or picks up) the package, extracts it in `tmp` and fills `dir`.
fn fetch_into(
    k: &PinnedKernel,
    cache: &Path,
    tmp: &Path,
    dir: &Path,
    wanted: &BTreeSet<String>,
) -> Result<(), String> {
    let deb = obtain_deb(k, cache, tmp)?;
    let tree = tmp.join("tree");
    say(&format!("extracting {}", deb.display()));
    run_captured(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&tree))
        .map_err(|e| format!("cannot extract {}: {e}", deb.display()))?;

    let boot = tree.join("boot");
    let vmlinuz = find_prefixed(&boot, "vmlinuz-")?;
    let config = find_prefixed(&boot, "config-")?;
    let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let modules = find_modules(&tree, &names)?;

    remove_tree(dir)?;
    let mod_dir = dir.join("modules");
    fs::create_dir_all(&mod_dir)
        .map_err(|e| format!("cannot create {}: {e}", mod_dir.display()))?;
    move_file(&vmlinuz, &dir.join("vmlinuz"))?;
    move_file(&config, &dir.join("config"))?;
    let mut stamp = format!(
        "{STAMP_HEADER}\npackage {}\nversion {}\nimage {}\n",
        k.package,
        k.version,
        vmlinuz.file_name().unwrap_or_default().to_string_lossy()
    );
    for name in wanted {
        stamp.push_str(&format!("requested {name}\n"));
    }
    for (name, src) in &modules {
        let dest = mod_dir.join(name);
        if src.extension().is_some_and(|e| e == "xz") {
            decompress_xz(src, &dest)?;
        } else {
            move_file(src, &dest)?;
        }
        stamp.push_str(&format!("found {name}\n"));
    }
    let stamp_path = dir.join(STAMP);
    fs::write(&stamp_path, stamp)
        .map_err(|e| format!("cannot write {}: {e}", stamp_path.display()))?;
    say(&format!(
        "kernel {} cached in {} (modules found: {})",
        k.label,
        dir.display(),
        if modules.is_empty() {
            "none".to_string()
        } else {
            modules
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    Ok(())
}

fn move_file(from: &Path, to: &Path) -> Result<(), String> {
    fs::rename(from, to)
        .or_else(|_| fs::copy(from, to).map(|_| ()))
        .map_err(|e| format!("cannot move {} to {}: {e}", from.display(), to.display()))
}

fn decompress_xz(src: &Path, dest: &Path) -> Result<(), String> {
    let file =
        fs::File::create(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let out = Command::new("xz")
        .arg("-dc")
        .arg(src)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run xz (install xz-utils): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`xz -dc {}` failed ({}): {}",
            src.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The one file in `dir` whose name starts with `prefix`.
fn find_prefixed(dir: &Path, prefix: &str) -> Result<PathBuf, String> {
    let entries =
        fs::read_dir(dir).map_err(|e| format!("the package has no {}: {e}", dir.display()))?;
    let mut hits: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect();
    hits.sort();
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => Err(format!(
            "the package has no {}/{prefix}* file",
            dir.display()
        )),
        _ => Err(format!(
            "the package has several {}/{prefix}* files: {hits:?}",
            dir.display()
        )),
    }
}

/// Finds each of `names` (or `name.xz`) under `<tree>/{,usr/}lib/modules/*/kernel/`.
fn find_modules(tree: &Path, names: &[&str]) -> Result<Vec<(String, PathBuf)>, String> {
    let mut roots = Vec::new();
    for base in [tree.join("lib/modules"), tree.join("usr/lib/modules")] {
        if let Ok(entries) = fs::read_dir(&base) {
            let mut releases: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("kernel"))
                .filter(|p| p.is_dir())
                .collect();
            releases.sort();
            roots.extend(releases);
        }
    }
    if roots.is_empty() && !names.is_empty() {
        return Err(format!(
            "the package has no lib/modules/*/kernel/ directory (extracted in {})",
            tree.display()
        ));
    }
    let mut all = Vec::new();
    for root in &roots {
        walk(root, &mut all)?;
    }
    let mut found = Vec::new();
    for name in names {
        let compressed = format!("{name}.xz");
        let hit = all.iter().find(|p| {
            p.file_name()
                .is_some_and(|f| f == *name || f == compressed.as_str())
        });
        if let Some(p) = hit {
            found.push((name.to_string(), p.clone()));
        }
    }
    Ok(found)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out)?,
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
    Ok(())
}

/// The package's `.deb`: one placed in `cache` by hand, else `apt-get download` into `tmp`
/// (after an `apt-get update` if the first attempt fails).
fn obtain_deb(k: &PinnedKernel, cache: &Path, tmp: &Path) -> Result<PathBuf, String> {
    let manual = cache.join(deb_file_name(k));
    if manual.is_file() {
        say(&format!("using {}", manual.display()));
        return Ok(manual);
    }
    let spec = format!("{}:arm64={}", k.package, k.version);
    let download = || {
        let mut cmd = apt_get(&["download", "-q", &spec]);
        cmd.current_dir(tmp);
        say(&format!(
            "$ (cd {} && {})  # kernel {}, tens of MB",
            tmp.display(),
            show(&cmd),
            k.label
        ));
        run_captured(&mut cmd)
    };
    if let Err(first) = download() {
        say(&format!(
            "the download failed; running apt-get update and retrying ({})",
            first.lines().last().unwrap_or_default()
        ));
        ensure_arm64_architecture()?;
        run_shown(&mut apt_get(&["update", "-q"])).map_err(|e| format!("{e}\n{APT_HINT}"))?;
        if let Err(second) = download() {
            return Err(unavailable(k, cache, &second));
        }
    }
    let entries = fs::read_dir(tmp).map_err(|e| format!("cannot list {}: {e}", tmp.display()))?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or_else(|| format!("apt-get download {spec} left no .deb in {}", tmp.display()))
}

/// The error for a pinned kernel that cannot be downloaded.
fn unavailable(k: &PinnedKernel, cache: &Path, apt_error: &str) -> String {
    let spec = format!("{}:arm64", k.package);
    let listed = run_captured(Command::new("apt-cache").args(["policy", &spec]))
        .map(|policy| {
            policy
                .lines()
                .any(|l| l.split_whitespace().any(|w| w == k.version))
        })
        .unwrap_or(false);
    if listed {
        return format!(
            "cannot download the pinned kernel {} {} (label {}), although apt lists it; check the network and the apt sources.\n{apt_error}",
            k.package, k.version, k.label
        );
    }
    let newest = match newest_in_family(k) {
        Ok(Some((p, v))) => format!("the newest available in that family is {p} {v}"),
        Ok(None) => format!(
            "apt knows no package matching {} (are the arm64 package lists there? `apt-get update`)",
            family_pattern(k.package)
        ),
        Err(e) => format!("looking for the newest version of the family failed: {e}"),
    };
    format!(
        "the pinned kernel {} {} (label {}) is not downloadable from the configured apt sources; {newest}.\n\
         Update PINNED in repl/src/real/kernels.rs deliberately (the scenarios' expectations may depend on the exact kernel), \
         or place {} (e.g. from snapshot.debian.org) in {}.\napt-get said:\n{apt_error}",
        k.package,
        k.version,
        k.label,
        deb_file_name(k),
        cache.display()
    )
}

/// The `apt-cache search --names-only` pattern of a package's family: the ABI or patch
/// number (the last number between `.`/`-` and `-`/`+`) replaced by `[0-9]+`.
fn family_pattern(package: &str) -> String {
    let b = package.as_bytes();
    let mut span = None;
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| b[j]);
            let after = b.get(i).copied();
            if matches!(before, Some(b'.' | b'-')) && matches!(after, Some(b'-' | b'+')) {
                span = Some((start, i));
            }
        } else {
            i += 1;
        }
    }
    let escape = |s: &str| {
        s.chars().fold(String::new(), |mut out, c| {
            if ".+*?()[]{}|^$\\".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    match span {
        Some((s, e)) => format!("^{}[0-9]+{}$", escape(&package[..s]), escape(&package[e..])),
        None => format!("^{}$", escape(package)),
    }
}

/// The highest (package, version) of `k`'s family that apt knows for arm64.
fn newest_in_family(k: &PinnedKernel) -> Result<Option<(String, String)>, String> {
    let pattern = family_pattern(k.package);
    let found = run_captured(Command::new("apt-cache").args(["search", "--names-only", &pattern]))?;
    let names: Vec<String> = found
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| format!("{n}:arm64"))
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    // `apt-cache show` fails for names it cannot select but still prints the others.
    let out = Command::new("apt-cache")
        .arg("show")
        .args(&names)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run apt-cache: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut best: Option<(String, String)> = None;
    let mut package = String::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Package: ") {
            package = p.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Version: ") {
            let v = v.trim().to_string();
            let better = match &best {
                None => true,
                Some((_, b)) => version_gt(&v, b)?,
            };
            if better {
                best = Some((package.clone(), v));
            }
        }
    }
    Ok(best)
}

/// `a > b` in Debian's version ordering (asks dpkg).
fn version_gt(a: &str, b: &str) -> Result<bool, String> {
    let status = Command::new("dpkg")
        .args(["--compare-versions", a, "gt", b])
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run dpkg --compare-versions: {e}"))?;
    Ok(status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_patterns_of_the_pins() {
        assert_eq!(
            family_pattern(PINNED[0].package),
            r"^linux-image-6\.1\.0-[0-9]+-arm64$"
        );
        assert_eq!(
            family_pattern(PINNED[1].package),
            r"^linux-image-6\.12\.[0-9]+\+deb12-arm64$"
        );
    }

    #[test]
    fn pins_are_distinct() {
        assert_ne!(PINNED[0].label, PINNED[1].label);
        assert_eq!(
            deb_file_name(&PINNED[0]),
            "linux-image-6.1.0-57-arm64_6.1.192-3_arm64.deb"
        );
    }
}
