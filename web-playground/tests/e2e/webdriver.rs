//! The end-to-end tests' WebDriver client: ChromeDriver's HTTP API through std's TCP and
//! serde_json (no WebDriver crate in the build).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use svelab_web::vm::share;

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run this test with `cargo xtask web-test` (it serves the bundle and starts ChromeDriver)")
    })
}

/// One HTTP/1.1 request with `Connection: close`; returns the JSON body.
pub fn http(base: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(hostport).unwrap_or_else(|e| panic!("connect {hostport}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then exactly the body (the server may keep the connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf).expect("an HTTP response");
        assert!(
            n > 0,
            "{method} {path}: connection closed before the headers"
        );
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    let chunked = head.contains("transfer-encoding: chunked");
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    loop {
        let done = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    if chunked {
        body = dechunk(&body);
    }
    serde_json::from_slice(&body).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
    out
}

pub fn b64_decode(s: &str) -> Vec<u8> {
    share::b64_decode(s).expect("base64 screenshot")
}

/// A WebDriver session.
pub struct Browser {
    base: String,
    id: String,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    pub fn start(base: &str, chromium: &str) -> Browser {
        let profile = std::env::temp_dir().join(format!("svelab-e2e-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        format!("--user-data-dir={}", profile.display()),
                        "--window-size=1600,1300", "--hide-scrollbars",
                        // The page is loaded through a name that is not localhost (a
                        // class's server): no secure context, no clipboard.
                        format!("--host-resolver-rules=MAP {} 127.0.0.1", env("SVELAB_E2E_HOST"))
                    ]
                }
            }}
        });
        let v = http(base, "POST", "/session", Some(&caps));
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            base: base.to_string(),
            id,
            _profile: TempDir(profile),
        }
    }

    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = http(
            &self.base,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        );
        if let Some(e) = v["value"].get("error") {
            panic!("WebDriver {method} {path}: {e}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        // A URL that differs only in its fragment would not reload the page.
        self.cmd("POST", "/url", Some(json!({ "url": "about:blank" })));
        self.cmd("POST", "/url", Some(json!({ "url": url })));
        self.wait(
            "document.documentElement.dataset.ready === '1'",
            "the page to start",
        );
    }

    pub fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    pub fn wait(&self, cond: &str, what: &str) -> Value {
        self.wait_up_to(cond, what, Duration::from_secs(30))
    }

    /// As [`Browser::wait`], with a longer limit for work whose length depends on how
    /// busy the machine is (the timings are recorded, never asserted).
    pub fn wait_up_to(&self, cond: &str, what: &str, limit: Duration) -> Value {
        let t = Instant::now();
        loop {
            let v = self.js(&format!(
                "try {{ return ({cond}) || null; }} catch (e) {{ return null; }}"
            ));
            if !v.is_null() && v != json!(false) {
                return v;
            }
            if t.elapsed() > limit {
                self.screenshot(&out_dir().join("e2e-timeout.png"));
                panic!("timed out waiting for {what} ({cond})");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn text(&self, css: &str) -> String {
        let v = self.js(&format!(
            "const e = document.querySelector({}); return e ? e.textContent : null;",
            json!(css)
        ));
        v.as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    pub fn exists(&self, css: &str) -> bool {
        self.js(&format!(
            "return document.querySelector({}) !== null;",
            json!(css)
        )) == json!(true)
    }

    pub fn attr(&self, css: &str, name: &str) -> String {
        self.js(&format!(
            "const e = document.querySelector({}); return e ? e.getAttribute({}) : null;",
            json!(css),
            json!(name)
        ))
        .as_str()
        .unwrap_or_else(|| panic!("no {name} on {css}"))
        .to_string()
    }

    pub fn element(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        v[ELEMENT].as_str().expect("an element").to_string()
    }

    pub fn click(&self, css: &str) {
        let e = self.element(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// Presses keys (WebDriver key values) one after another, with the focus on the page.
    pub fn keys(&self, keys: &[&str]) {
        let mut acts = Vec::new();
        for k in keys {
            acts.push(json!({ "type": "keyDown", "value": k }));
            acts.push(json!({ "type": "keyUp", "value": k }));
        }
        self.cmd(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": acts }] })),
        );
    }

    /// Runs `script` (the body of an async function whose last argument is the callback).
    pub fn js_async(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Sets the viewport to `w`×`h` CSS pixels (device metrics, as a phone or projector).
    pub fn viewport(&self, w: u32, h: u32) {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(
                json!({ "cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 900
                }}),
            ),
        );
    }

    pub fn blur(&self) {
        self.js("if (document.activeElement) document.activeElement.blur(); return true;");
    }

    pub fn screenshot(&self, path: &Path) {
        let v = self.cmd("GET", "/screenshot", None);
        std::fs::write(path, b64_decode(v.as_str().unwrap_or(""))).unwrap();
        println!("e2e: screenshot {}", path.display());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http(&self.base, "DELETE", &format!("/session/{}", self.id), None);
    }
}

pub fn out_dir() -> PathBuf {
    PathBuf::from(env("SVELAB_E2E_OUT"))
}
