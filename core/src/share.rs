//! Share links: the script, the kernel(s) and the current step in the URL fragment, so a
//! link needs no server and any static host serves it.
//!
//! Format (version 2): `#v=2&k=KERNEL&c=KERNEL&p=STEP&s=SCRIPT`, where `SCRIPT` is the
//! UTF-8 script in unpadded base64url, `k` is the kernel the session is forced to (absent:
//! the script's own `kernel` line, or v5.19-rc1), `c` the second kernel of compare mode
//! (absent: compare mode off) and `p` the position. A malformed link is an error with a
//! message for a person, never a panic.
//!
//! Version 1 links are read too: they were made when `v5.19` named rc1, so there a kernel
//! `v5.19` is [`Kernel::V5_19Rc1`] (version 2 names the release `v5.19`).

use crate::model::kernel::Kernel;

/// The longest script a link may carry (bytes, decoded).
pub const MAX_SCRIPT: usize = 256 * 1024;

/// What a share link carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shared {
    /// The script.
    pub script: String,
    /// The kernel the session is forced to, if any.
    pub kernel: Option<Kernel>,
    /// The second kernel, in compare mode.
    pub compare: Option<Kernel>,
    /// The position (steps executed).
    pub step: u64,
}

/// Why a link did not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    /// `v=` names a version this page cannot read.
    Version(String),
    /// A required part is missing.
    Missing(&'static str),
    /// The script is not valid base64url or not UTF-8.
    Script(String),
    /// An unknown kernel name.
    Kernel(String),
    /// The step is not a number.
    Step(String),
    /// The script is larger than [`MAX_SCRIPT`].
    TooLarge(usize),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::Version(v) => write!(
                f,
                "this link was made by another version of the playground (format `{v}`); this page reads formats 1 and 2"
            ),
            ShareError::Missing(what) => write!(f, "the link has no {what}"),
            ShareError::Script(why) => write!(
                f,
                "the script in the link is damaged ({why}); was the link cut short when it was copied?"
            ),
            ShareError::Kernel(k) => write!(
                f,
                "the link names an unknown kernel `{k}` (known: v5.19-rc1, series-v1/p1 … p7, series-v1, v5.19, v6.1, v6.2, v6.12)"
            ),
            ShareError::Step(s) => write!(f, "the step `{s}` in the link is not a number"),
            ShareError::TooLarge(n) => write!(
                f,
                "the script in the link is {n} bytes; the playground opens scripts up to {MAX_SCRIPT} bytes"
            ),
        }
    }
}

/// The fragment (without `#`) for `s`.
pub fn encode(s: &Shared) -> String {
    let mut out = String::from("v=2");
    if let Some(k) = s.kernel {
        out.push_str("&k=");
        out.push_str(&k.name());
    }
    if let Some(k) = s.compare {
        out.push_str("&c=");
        out.push_str(&k.name());
    }
    out.push_str(&format!("&p={}&s=", s.step));
    out.push_str(&b64_encode(s.script.as_bytes()));
    out
}

/// Reads a fragment (with or without `#`). `Ok(None)`: there is no share link in it.
pub fn decode(fragment: &str) -> Result<Option<Shared>, ShareError> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment).trim();
    if f.is_empty() {
        return Ok(None);
    }
    let mut version = None;
    let mut kernel = None;
    let mut compare = None;
    let mut step = None;
    let mut script = None;
    for part in f.split('&') {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let v = percent_decode(v);
        match k {
            "v" => version = Some(v),
            "k" => kernel = Some(v),
            "c" => compare = Some(v),
            "p" => step = Some(v),
            "s" => script = Some(v),
            _ => {} // unknown keys are ignored (forward compatibility)
        }
    }
    let v1 = match version.as_deref() {
        Some("1") => true,
        Some("2") => false,
        Some(other) => return Err(ShareError::Version(other.to_string())),
        None => {
            // Not one of ours (e.g. an in-page anchor): only complain if it looks like a link.
            if script.is_none() {
                return Ok(None);
            }
            return Err(ShareError::Missing("format version (v=2)"));
        }
    };
    let script = script.ok_or(ShareError::Missing("script (s=…)"))?;
    let bytes = b64_decode(&script).map_err(ShareError::Script)?;
    if bytes.len() > MAX_SCRIPT {
        return Err(ShareError::TooLarge(bytes.len()));
    }
    let script =
        String::from_utf8(bytes).map_err(|_| ShareError::Script("the text is not UTF-8".into()))?;
    let parse_kernel = |k: Option<String>| -> Result<Option<Kernel>, ShareError> {
        match k {
            None => Ok(None),
            Some(k) if k.is_empty() => Ok(None),
            Some(k) if v1 && k == "v5.19" => Ok(Some(Kernel::V5_19Rc1)),
            Some(k) => Kernel::parse(&k)
                .map(Some)
                .map_err(|_| ShareError::Kernel(k)),
        }
    };
    let step = match step {
        None => 0,
        Some(s) if s.is_empty() => 0,
        Some(s) => s.parse().map_err(|_| ShareError::Step(s))?,
    };
    Ok(Some(Shared {
        script,
        kernel: parse_kernel(kernel)?,
        compare: parse_kernel(compare)?,
        step,
    }))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let chars = c.len() + 1;
        for i in 0..chars {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url or standard base64, padded or not.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for (i, c) in s.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => {
                return Err(format!(
                    "character {} (`{}`) is not base64",
                    i + 1,
                    char::from(c).escape_default()
                ))
            }
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xff) as u8);
        }
    }
    if bits >= 6 {
        return Err("it ends in the middle of a character".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared {
            script: "task A on=cpu0\nrepeat 3 { sve-op A z0=fill(0xaa); svc A getpid } # é\n"
                .into(),
            kernel: Some(Kernel::V5_19Rc1),
            compare: Some(Kernel::SeriesV1(crate::model::kernel::Patch::P7)),
            step: 5,
        }
    }

    #[test]
    fn a_version_1_link_meant_rc1_by_v5_19() {
        let v1 = encode(&shared()).replacen("v=2&k=v5.19-rc1", "v=1&k=v5.19", 1);
        assert_eq!(decode(&v1).unwrap().unwrap().kernel, Some(Kernel::V5_19Rc1));
        let v2 = encode(&Shared {
            kernel: Some(Kernel::V5_19),
            ..shared()
        });
        assert_eq!(decode(&v2).unwrap().unwrap().kernel, Some(Kernel::V5_19));
    }

    #[test]
    fn round_trip() {
        let s = shared();
        let f = encode(&s);
        assert!(
            f.starts_with("v=2&k=v5.19-rc1&c=series-v1/p7&p=5&s="),
            "{f}"
        );
        let script_part = f.rsplit_once("&s=").unwrap().1;
        assert!(!script_part.contains(['+', '/', '=']));
        assert_eq!(decode(&format!("#{f}")), Ok(Some(s.clone())));
        let plain = Shared {
            kernel: None,
            compare: None,
            step: 0,
            ..s
        };
        assert_eq!(decode(&encode(&plain)), Ok(Some(plain)));
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64_encode(plain.as_bytes()), enc);
            assert_eq!(b64_decode(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(b64_decode("Zm9vYg==").unwrap(), b"foob");
        assert_eq!(b64_decode("-_8").unwrap(), b64_decode("+/8").unwrap());
    }

    #[test]
    fn no_fragment_or_a_plain_anchor_is_not_a_link() {
        assert_eq!(decode(""), Ok(None));
        assert_eq!(decode("#"), Ok(None));
        assert_eq!(decode("#help"), Ok(None));
    }

    #[test]
    fn malformed_links_say_what_is_wrong() {
        let e = decode("#v=1&s=@@@").unwrap_err();
        assert!(matches!(e, ShareError::Script(_)), "{e:?}");
        assert!(e.to_string().contains("damaged"));
        assert_eq!(
            decode("#v=1&k=v9.9&s=Zm9v"),
            Err(ShareError::Kernel("v9.9".into()))
        );
        assert_eq!(decode("#v=1&p=x&s=Zm9v"), Err(ShareError::Step("x".into())));
        assert_eq!(decode("#v=1"), Err(ShareError::Missing("script (s=…)")));
        assert_eq!(decode("#v=7&s=Zm9v"), Err(ShareError::Version("7".into())));
        assert_eq!(
            decode("#s=Zm9v"),
            Err(ShareError::Missing("format version (v=2)"))
        );
        // Cut short in the middle of a character.
        assert!(decode("#v=1&s=Z").is_err());
        // Not UTF-8.
        assert!(matches!(
            decode(&format!("#v=1&s={}", b64_encode(&[0xff, 0xfe]))),
            Err(ShareError::Script(_))
        ));
        for e in [
            ShareError::Version("2".into()),
            ShareError::Missing("x"),
            ShareError::TooLarge(1 << 20),
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn percent_escaped_links_still_open() {
        let f = encode(&shared()).replace('/', "%2F");
        assert_eq!(decode(&f).unwrap().unwrap().compare, shared().compare);
        assert_eq!(percent_decode("a%20b%zz%"), "a b%zz%");
    }
}
