//! `svelab explore` through the real binary: a search cut short by Ctrl-C or by its time
//! budget prints and saves what it found so far.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn explore(args: &[&str], cwd: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_svelab"));
    c.arg("explore")
        .args(args)
        .current_dir(cwd)
        .env("SVELAB_HISTORY", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn ctrl_c_prints_and_saves_the_findings_so_far() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("found");
    let mut child = explore(
        &[
            "--kernel",
            "v6.12",
            "--depth",
            "20",
            "--time",
            "0",
            "--out",
            &out.to_string_lossy(),
        ],
        dir.path(),
    )
    .spawn()
    .expect("run svelab");
    // Read the progress line until the search is past depth 2 (every 2-operation
    // sequence tried: 6.12's VL-change bug is found by then).
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = tx.send(text(&all));
        }
        text(&all)
    });
    let start = Instant::now();
    loop {
        let seen = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("progress on stderr");
        if ["3", "4", "5"]
            .iter()
            .any(|d| seen.contains(&format!("depth {d}/20")))
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "{seen}");
    }
    let pid = child.id().to_string();
    let kill = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    let status = child.wait().expect("wait");
    let stderr = reader.join().expect("stderr reader");
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("stopped early, interrupted (Ctrl-C)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("vl-change-resurrects-stale-data"),
        "{stdout}"
    );
    let saved = out.join("vl-change-resurrects-stale-data.svl");
    let script = std::fs::read_to_string(&saved).expect("the finding is saved");
    assert!(script.contains("prctl-set-vl"), "{script}");
    assert!(
        stdout.contains(&format!("saved: {}", saved.display())),
        "{stdout}"
    );
}

#[test]
fn the_time_budget_stops_the_search_and_saves_in_the_default_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = explore(
        &["--kernel", "v6.12", "--depth", "20", "--time", "3s"],
        dir.path(),
    )
    .output()
    .expect("run svelab");
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{}", text(&o.stderr));
    assert!(
        stdout.contains("stopped early, time budget of 3 s reached"),
        "{stdout}"
    );
    let saved = dir
        .path()
        .join("svelab-explore")
        .join("vl-change-resurrects-stale-data.svl");
    assert!(saved.exists(), "{stdout}");
}
