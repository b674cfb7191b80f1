//! A cpio "newc" writer for initramfs images (uncompressed; the kernel takes them as is).
//!
//! Each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded so that header plus name is a multiple of 4 bytes, then the
//! data padded to a multiple of 4. The archive ends with a `TRAILER!!!` entry. Names are
//! stored without a leading `/`; every entry has uid/gid 0 and mtime 0, so the same input
//! gives the same bytes.

use std::collections::BTreeSet;

const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFCHR: u32 = 0o020_000;
const TRAILER: &str = "TRAILER!!!";

/// An initramfs being built: entries in the order added, missing parent directories
/// added (mode 0755) before their contents.
#[derive(Debug, Default, Clone)]
pub struct Initramfs {
    out: Vec<u8>,
    next_ino: u32,
    dirs: BTreeSet<String>,
}

/// One newc header's fields, in order after the magic.
struct Header {
    ino: u32,
    mode: u32,
    nlink: u32,
    filesize: u32,
    rdevmajor: u32,
    rdevminor: u32,
}

impl Initramfs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a directory (`mode`: permission bits, e.g. 0o755).
    pub fn add_dir(&mut self, path: &str, mode: u32) {
        let name = normalize(path);
        if name.is_empty() || self.dirs.contains(&name) {
            return;
        }
        self.parents(&name);
        self.dirs.insert(name.clone());
        self.entry(&name, S_IFDIR | (mode & 0o7777), 2, (0, 0), &[]);
    }

    /// Adds a regular file (`mode`: permission bits, e.g. 0o755 for `/init`).
    ///
    /// Panics if `bytes` is 4 GiB or more, which newc cannot describe.
    pub fn add_file(&mut self, path: &str, bytes: &[u8], mode: u32) {
        let name = normalize(path);
        self.parents(&name);
        self.entry(&name, S_IFREG | (mode & 0o7777), 1, (0, 0), bytes);
    }

    /// Adds a character device node, e.g. `add_char_dev("/dev/console", 0o600, 5, 1)`.
    pub fn add_char_dev(&mut self, path: &str, mode: u32, major: u32, minor: u32) {
        let name = normalize(path);
        self.parents(&name);
        self.entry(&name, S_IFCHR | (mode & 0o7777), 1, (major, minor), &[]);
    }

    /// The archive, ending with the `TRAILER!!!` entry.
    pub fn finish(mut self) -> Vec<u8> {
        self.header(
            TRAILER,
            &Header {
                ino: 0,
                mode: 0,
                nlink: 1,
                filesize: 0,
                rdevmajor: 0,
                rdevminor: 0,
            },
        );
        self.out
    }

    fn parents(&mut self, name: &str) {
        let mut end = 0;
        while let Some(i) = name[end..].find('/') {
            end += i;
            let parent = name[..end].to_string();
            if !self.dirs.contains(&parent) {
                self.dirs.insert(parent.clone());
                self.entry(&parent, S_IFDIR | 0o755, 2, (0, 0), &[]);
            }
            end += 1;
        }
    }

    fn entry(&mut self, name: &str, mode: u32, nlink: u32, rdev: (u32, u32), data: &[u8]) {
        let filesize = u32::try_from(data.len()).unwrap_or_else(|_| {
            panic!(
                "initramfs entry {name} is {} bytes; newc allows < 4 GiB",
                data.len()
            )
        });
        self.next_ino += 1;
        let header = Header {
            ino: self.next_ino,
            mode,
            nlink,
            filesize,
            rdevmajor: rdev.0,
            rdevminor: rdev.1,
        };
        self.header(name, &header);
        self.out.extend_from_slice(data);
        self.pad();
    }

    fn header(&mut self, name: &str, h: &Header) {
        let namesize = name.len() as u32 + 1;
        let fields = [
            h.ino,
            h.mode,
            0, // uid
            0, // gid
            h.nlink,
            0, // mtime
            h.filesize,
            0, // devmajor
            0, // devminor
            h.rdevmajor,
            h.rdevminor,
            namesize,
            0, // check
        ];
        self.out.extend_from_slice(b"070701");
        for f in fields {
            self.out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        while self.out.len() % 4 != 0 {
            self.out.push(0);
        }
    }
}

/// "/a//b/" -> "a/b".
fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], i: usize) -> u32 {
        let s = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).expect("ascii header");
        u32::from_str_radix(s, 16).expect("hex field")
    }

    #[test]
    fn one_file_and_the_trailer() {
        let mut fs = Initramfs::new();
        fs.add_file("/init", b"hello", 0o755);
        let a = fs.finish();

        // Header (110) + "init\0" (5) = 115, padded to 116; data 5 padded to 8.
        let h = &a[..110];
        assert_eq!(&h[..6], b"070701");
        assert_eq!(field(h, 0), 1, "ino");
        assert_eq!(field(h, 1), 0o100_755, "mode");
        assert_eq!(field(h, 2), 0, "uid");
        assert_eq!(field(h, 3), 0, "gid");
        assert_eq!(field(h, 4), 1, "nlink");
        assert_eq!(field(h, 5), 0, "mtime");
        assert_eq!(field(h, 6), 5, "filesize");
        assert_eq!(field(h, 11), 5, "namesize");
        assert_eq!(field(h, 12), 0, "check");
        assert_eq!(&a[110..116], b"init\0\0");
        assert_eq!(&a[116..124], b"hello\0\0\0");

        // Trailer: header + "TRAILER!!!\0" (121) padded to 124.
        let t = &a[124..];
        assert_eq!(t.len(), 124);
        assert_eq!(&t[..6], b"070701");
        assert_eq!(field(t, 1), 0, "trailer mode");
        assert_eq!(field(t, 4), 1, "trailer nlink");
        assert_eq!(field(t, 6), 0, "trailer filesize");
        assert_eq!(field(t, 11), 11, "trailer namesize");
        assert_eq!(&t[110..121], b"TRAILER!!!\0");
        assert!(t[121..].iter().all(|&b| b == 0));
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn parents_come_first_and_once() {
        let mut fs = Initramfs::new();
        fs.add_dir("/dev", 0o755);
        fs.add_char_dev("/dev/console", 0o600, 5, 1);
        fs.add_file("lib/modules/x.ko", b"x", 0o644);
        fs.add_dir("/lib/modules/", 0o755);
        let a = fs.finish();
        let mut names = Vec::new();
        let mut at = 0;
        while at < a.len() {
            let h = &a[at..];
            let namesize = field(h, 11) as usize;
            let filesize = field(h, 6) as usize;
            let name = std::str::from_utf8(&h[110..110 + namesize - 1]).expect("utf8");
            if name == "dev/console" {
                assert_eq!(field(h, 1), 0o020_600);
                assert_eq!((field(h, 9), field(h, 10)), (5, 1));
            }
            names.push(name.to_string());
            at += (110 + namesize).next_multiple_of(4) + filesize.next_multiple_of(4);
        }
        assert_eq!(at, a.len());
        assert_eq!(
            names,
            [
                "dev",
                "dev/console",
                "lib",
                "lib/modules",
                "lib/modules/x.ko",
                TRAILER
            ]
        );
    }

    /// `cpio -t` agrees, when cpio is installed.
    #[test]
    fn cpio_lists_the_files() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut fs = Initramfs::new();
        fs.add_file("/init", b"#!/bin/sh\n", 0o755);
        fs.add_dir("/etc", 0o755);
        fs.add_file("/etc/odd-length", b"abc", 0o644);
        fs.add_file("/empty", b"", 0o644);
        let a = fs.finish();
        let child = Command::new("cpio")
            .args(["-t", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("cpio not installed; skipping the cpio -t check");
            return;
        };
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(&a)
            .expect("write to cpio");
        let out = child.wait_with_output().expect("cpio runs");
        assert!(
            out.status.success(),
            "cpio -t failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(listed, ["init", "etc", "etc/odd-length", "empty"]);
    }
}
