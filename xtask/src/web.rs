//! The browser playground's automation: build the bundle, serve it, test it in Chromium.
//!
//! * [`build`] (`cargo xtask web`): `cargo build --release --target wasm32-unknown-unknown
//!   -p svelab-web` with size-tuned profile settings given through the environment (the
//!   workspace's `[profile.release]` stays as it is), then `wasm-bindgen --target web` of
//!   exactly the version `web-playground/Cargo.toml` pins (installed with `cargo install`
//!   if missing), `wasm-opt -Oz` (Debian's `binaryen`, installed with apt-get if missing),
//!   kept only when it makes the gzipped wasm smaller (see [`post_optimise`]), and the
//!   static files, into `web-playground/dist/`. It prints the bundle's sizes, raw and
//!   gzipped, the wasm's before and after wasm-opt, and warns when what a first visit
//!   loads is over [`BUDGET_GZIP_KIB`] gzipped.
//! * [`serve`] (`cargo xtask serve [--port N]`): a small static file server on 127.0.0.1
//!   for `dist/`; it prints the address.
//! * [`test`] (part of `cargo xtask ci`): installs Debian's Chromium and ChromeDriver when
//!   missing, builds the bundle, runs the wasm-bindgen tests in headless Chromium, then the
//!   end-to-end test (`web-playground/tests/e2e.rs`) against the bundle served here,
//!   loaded as `http://svelab.test:PORT/` (Chromium maps the name to 127.0.0.1), with
//!   axe-core's `axe.min.js` for the accessibility audit ([`ensure_axe`]: the npm
//!   registry's tarball, fetched once into `target/web/`).
//!
//! Nothing here downloads tools at run time besides `cargo install` from crates.io,
//! `apt-get` from Debian and axe-core's tarball from the npm registry.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The most a first visit may load (wasm, JS, HTML, CSS), in KiB gzipped.
pub const BUDGET_GZIP_KIB: f64 = 250.0;
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(Path::to_path_buf).unwrap_or(here)
}

/// `web-playground/dist`.
pub fn dist() -> PathBuf {
    root().join("web-playground").join("dist")
}

fn target_dir() -> PathBuf {
    // A target dir of its own: the size-tuned profile must not invalidate the host's
    // release build (the REPL's `cargo run --release`).
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("web")
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("xtask: $ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{:?} failed ({status})", cmd.get_program()))
    }
}

fn output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version pinned (`wasm-bindgen = "=X.Y.Z"`) in the crate's manifest.
pub fn pinned_wasm_bindgen() -> Result<String, String> {
    let manifest = root().join("web-playground").join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    text.lines()
        .find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("wasm-bindgen")?.trim_start();
            let rest = rest.strip_prefix('=')?.trim();
            let v = rest.trim_matches('"').strip_prefix('=')?;
            Some(v.trim().to_string())
        })
        .ok_or_else(|| {
            format!(
                "{} must pin wasm-bindgen exactly (wasm-bindgen = \"=X.Y.Z\")",
                manifest.display()
            )
        })
}

/// Installs the wasm32 target and the wasm-bindgen CLI of the pinned version, if missing.
pub fn ensure_tools() -> Result<(), String> {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let want = pinned_wasm_bindgen()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    let runner = output("wasm-bindgen-test-runner", &["--version"]).unwrap_or_default();
    if !have.trim().ends_with(&want) || !runner.trim().ends_with(&want) {
        eprintln!(
            "xtask: wasm-bindgen-cli {want} needed (found `{}`): installing it (about 2 minutes)",
            have.trim()
        );
        // Not --locked: the CLI's own lock file does not resolve here.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &want,
            "--force",
        ]))?;
    }
    Ok(())
}

/// Installs Debian's binaryen (wasm-opt) when missing.
fn ensure_wasm_opt() -> Result<(), String> {
    if output("wasm-opt", &["--version"]).is_some() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian's binaryen (wasm-opt)");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "binaryen"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// Size-tuned settings for the wasm release build, through the environment.
fn size_profile(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false")
}

/// Sizes of one file: raw and gzip -9.
pub fn sizes(path: &Path) -> (u64, Option<u64>) {
    let raw = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| o.stdout.len() as u64);
    (raw, gz)
}

/// `cargo xtask web`: builds the bundle into `web-playground/dist/`.
pub fn build() -> Result<(), String> {
    ensure_tools()?;
    ensure_wasm_opt()?;
    let target = target_dir();
    run(size_profile(
        Command::new("cargo")
            .current_dir(root())
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "svelab-web",
                "--lib",
            ])
            .env("CARGO_TARGET_DIR", &target),
    ))?;
    let wasm = target
        .join("wasm32-unknown-unknown")
        .join("release")
        .join("svelab_web.wasm");
    let dist = dist();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)
            .map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist).map_err(|e| format!("cannot create {}: {e}", dist.display()))?;
    run(Command::new("wasm-bindgen")
        .arg(&wasm)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--remove-name-section",
            "--remove-producers-section",
            "--out-name",
            "svelab_web",
            "--out-dir",
        ])
        .arg(&dist))?;
    let bg = dist.join("svelab_web_bg.wasm");
    post_optimise(&bg)?;
    let statics = root().join("web-playground").join("static");
    for entry in std::fs::read_dir(&statics).map_err(|e| format!("{}: {e}", statics.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.file_type().map_err(|e| e.to_string())?.is_file() {
            std::fs::copy(entry.path(), dist.join(entry.file_name())).map_err(|e| e.to_string())?;
        }
    }
    write_course(&dist)?;
    let first_visit = report_sizes(&dist);
    if first_visit > BUDGET_GZIP_KIB {
        eprintln!(
            "xtask: warning: what a first visit loads is {first_visit:.1} KiB gzipped, over the {BUDGET_GZIP_KIB} KiB budget"
        );
    }
    eprintln!(
        "xtask: bundle in {} (serve it with `cargo xtask serve`)",
        dist.display()
    );
    Ok(())
}

/// `wasm-opt -Oz` of the bundle's wasm, kept only when it is smaller gzipped (what is
/// served): on this crate it shrinks the raw file by a tenth but makes the gzipped one
/// larger, so the unoptimised file is kept. A wasm-opt too old to read wasm-bindgen's
/// output (Debian 12's binaryen 108 stops at `table.fill`) leaves it as it is, with a
/// warning.
fn post_optimise(bg: &Path) -> Result<(), String> {
    let kib = |b: u64| b as f64 / 1024.0;
    let before = sizes(bg);
    let tmp = bg.with_extension("opt.wasm");
    let status = Command::new("wasm-opt")
        .args([
            "-Oz",
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
            "--strip-debug",
            "--strip-producers",
            "-o",
        ])
        .arg(&tmp)
        .arg(bg)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run wasm-opt: {e}"))?;
    if !status.status.success() {
        let _ = std::fs::remove_file(&tmp);
        eprintln!(
            "xtask: wasm-opt ({}) cannot read the wasm: kept unoptimised ({})",
            output("wasm-opt", &["--version"])
                .unwrap_or_default()
                .trim(),
            String::from_utf8_lossy(&status.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
        return Ok(());
    }
    let after = sizes(&tmp);
    let keep = match (before.1, after.1) {
        (Some(b), Some(a)) => a < b,
        _ => after.0 < before.0,
    };
    eprintln!(
        "xtask: wasm-opt -Oz: {:.1} KiB raw {:.1} KiB gzip -> {:.1} KiB raw {:.1} KiB gzip: {}",
        kib(before.0),
        kib(before.1.unwrap_or(0)),
        kib(after.0),
        kib(after.1.unwrap_or(0)),
        if keep {
            "kept"
        } else {
            "larger gzipped, the unoptimised wasm is kept"
        }
    );
    if keep {
        std::fs::rename(&tmp, bg).map_err(|e| e.to_string())
    } else {
        std::fs::remove_file(&tmp).map_err(|e| e.to_string())
    }
}

/// `dist/lessons.json`: the course of `lessons/` as a course bundle (what `svelab lessons
/// pack` writes). The page fetches it when the lessons are opened.
fn write_course(dist: &Path) -> Result<(), String> {
    let root = root().join("lessons");
    let mut files = Vec::new();
    for d in std::fs::read_dir(&root).map_err(|e| format!("{}: {e}", root.display()))? {
        let d = d.map_err(|e| e.to_string())?;
        if !d.file_type().map_err(|e| e.to_string())?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(d.path()).map_err(|e| e.to_string())? {
            let f = f.map_err(|e| e.to_string())?;
            let text = std::fs::read_to_string(f.path())
                .map_err(|e| format!("{}: {e}", f.path().display()))?;
            let path = format!(
                "{}/{}",
                d.file_name().to_string_lossy(),
                f.file_name().to_string_lossy()
            );
            files.push((path, text));
        }
    }
    files.sort();
    // The course already read (Markdown in blocks): the page needs no TOML or Markdown parser.
    let bundle = svelab_core::course::class::CourseBundle::pack("svelab", &files).map_err(|e| {
        e.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    std::fs::write(dist.join("lessons.json"), bundle.to_json()).map_err(|e| e.to_string())
}

/// Prints the bundle's sizes; returns what a first visit loads, in KiB gzipped.
fn report_sizes(dist: &Path) -> f64 {
    let mut total = (0u64, 0u64);
    for name in [
        "svelab_web_bg.wasm",
        "svelab_web.js",
        "index.html",
        "style.css",
    ] {
        let (raw, gz) = sizes(&dist.join(name));
        let gz = gz.unwrap_or(0);
        total.0 += raw;
        total.1 += gz;
        eprintln!(
            "xtask:   {name:22} {:>8.1} KiB raw {:>8.1} KiB gzip",
            raw as f64 / 1024.0,
            gz as f64 / 1024.0
        );
    }
    eprintln!(
        "xtask:   {:22} {:>8.1} KiB raw {:>8.1} KiB gzip  (what a first visit loads)",
        "total",
        total.0 as f64 / 1024.0,
        total.1 as f64 / 1024.0
    );
    let (raw, gz) = sizes(&dist.join("lessons.json"));
    eprintln!(
        "xtask:   {:22} {:>8.1} KiB raw {:>8.1} KiB gzip  (fetched when the lessons are opened)",
        "lessons.json",
        raw as f64 / 1024.0,
        gz.unwrap_or(0) as f64 / 1024.0
    );
    total.1 as f64 / 1024.0
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn respond(mut s: TcpStream, dir: &Path) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers.
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let safe = !rel.split('/').any(|c| c == ".." || c.contains('\\'));
    let file = dir.join(rel);
    let (status, body, ctype) = match (method, safe, std::fs::read(&file)) {
        ("GET" | "HEAD", true, Ok(b)) => ("200 OK", b, content_type(&file)),
        ("GET" | "HEAD", _, _) => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
        _ => (
            "405 Method Not Allowed",
            b"GET only\n".to_vec(),
            "text/plain",
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = s.write_all(&body);
    }
    let _ = s.flush();
}

/// Binds 127.0.0.1:`port` (0: any free port) and serves `dir` on a thread per
/// connection, from a background thread. Returns the address.
pub fn spawn_server(dir: PathBuf, port: u16) -> Result<String, String> {
    let l = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = format!("http://{}/", l.local_addr().map_err(|e| e.to_string())?);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let d = dir.clone();
            std::thread::spawn(move || respond(s, &d));
        }
    });
    Ok(addr)
}

/// `cargo xtask serve [--port N]`: serves `dist/` until interrupted.
pub fn serve(args: &[String]) -> Result<(), String> {
    let mut port = 8000u16;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" | "-p" => {
                port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port takes a number")?;
            }
            other => {
                return Err(format!(
                    "serve: unknown argument `{other}` (try --port 8000)"
                ))
            }
        }
    }
    let dist = dist();
    if !dist.join("index.html").exists() {
        return Err(format!(
            "{} has no bundle yet: run `cargo xtask web` first",
            dist.display()
        ));
    }
    let addr = spawn_server(dist.clone(), port)?;
    println!("serving {} at {addr}  (Ctrl+C stops)", dist.display());
    loop {
        std::thread::park();
    }
}

/// Installs Debian's Chromium and ChromeDriver when missing.
pub fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian's chromium and chromium-driver");
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A ChromeDriver this process started; killed (by its own handle) when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_chromedriver() -> Result<(Driver, String), String> {
    let port = free_port()?;
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {CHROMEDRIVER}: {e}"))?;
    let driver = Driver(child);
    let url = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(20) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let req = format!(
                "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            );
            let _ = s.write_all(req.as_bytes());
            // Read what arrives (ChromeDriver may keep the connection open).
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&got).contains("\"ready\":true") {
                    return Ok((driver, url));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("ChromeDriver did not start within 20 s".into())
}

/// The axe-core release the end-to-end test's accessibility audit injects.
const AXE_VERSION: &str = "4.10.2";

/// `axe.min.js` of [`AXE_VERSION`], from the npm registry's tarball, cached under
/// `target/web/axe-core-VERSION/` (curl and tar; curl from Debian if missing).
pub fn ensure_axe() -> Result<PathBuf, String> {
    let dir = target_dir().join(format!("axe-core-{AXE_VERSION}"));
    let js = dir.join("package").join("axe.min.js");
    if js.exists() {
        return Ok(js);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if output("curl", &["--version"]).is_none() {
        eprintln!("xtask: installing Debian's curl");
        run(Command::new("apt-get").arg("update"))?;
        run(Command::new("apt-get")
            .args(["install", "-y", "curl"])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let tgz = dir.join("axe-core.tgz");
    let url = format!("https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz");
    run(Command::new("curl")
        .args(["-fsSL", "--retry", "3", "-o"])
        .arg(&tgz)
        .arg(&url))?;
    run(Command::new("tar")
        .arg("-xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(&dir)
        .arg("package/axe.min.js"))?;
    let _ = std::fs::remove_file(&tgz);
    if js.exists() {
        Ok(js)
    } else {
        Err(format!("{url} has no package/axe.min.js"))
    }
}

/// The host name the end-to-end test loads the page through (Chromium maps it to
/// 127.0.0.1): not localhost, so the page is not a secure context, as on a class's
/// plain-HTTP server (no clipboard).
pub const E2E_HOST: &str = "svelab.test";

/// The browser tests: wasm-bindgen tests in headless Chromium, then the end-to-end test.
pub fn test() -> Result<(), String> {
    ensure_chromium()?;
    let axe = ensure_axe()?;
    build()?;
    let crate_dir = root().join("web-playground");
    // wasm-bindgen-test-runner reads webdriver.json (headless flags) from its working
    // directory, the crate's.
    run(Command::new("cargo")
        .current_dir(&crate_dir)
        .args([
            "test",
            "-p",
            "svelab-web",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "browser",
        ])
        .env("CARGO_TARGET_DIR", target_dir())
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))?;
    let server = spawn_server(dist(), 0)?.replace("127.0.0.1", E2E_HOST);
    let (driver, driver_url) = start_chromedriver()?;
    let out = target_dir().join("e2e");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    eprintln!(
        "xtask: e2e against {server} (ChromeDriver {driver_url}), screenshots in {}",
        out.display()
    );
    let result = run(Command::new("cargo")
        .current_dir(root())
        .args([
            "test",
            "-p",
            "svelab-web",
            "--test",
            "e2e",
            "--",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SVELAB_E2E_URL", &server)
        .env("SVELAB_WEBDRIVER", &driver_url)
        .env("SVELAB_E2E_OUT", &out)
        .env("SVELAB_E2E_DIST", dist())
        .env("SVELAB_CHROMIUM", CHROMIUM)
        .env("SVELAB_E2E_HOST", E2E_HOST)
        .env("SVELAB_AXE", &axe));
    drop(driver);
    result
}
