//! How a register is drawn: split into 128-bit granules (the part of `Zn` that is `Vn`
//! is granule 0), each granule rendered as hex, bytes or lanes, and marked when it differs
//! from the previous step.
//!
//! * **Hex** reads like a number: most significant granule first, so `Vn` (bits
//!   [127:0]) is the rightmost granule.
//! * **Bytes** and **lanes** read like memory: byte 0 / lane 0 first, so `Vn` is the
//!   leftmost granule.

/// How register values are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum RegFormat {
    /// One hex number, most significant digit first.
    #[default]
    Hex,
    /// Bytes in memory order (byte 0 first).
    Bytes,
    /// 32-bit lanes of Z (lane 0 first); one bit per predicate lane for P and FFR.
    Lanes,
}

impl RegFormat {
    /// Every format, in toolbar order.
    pub const ALL: [RegFormat; 3] = [RegFormat::Hex, RegFormat::Bytes, RegFormat::Lanes];

    /// The toolbar label.
    pub fn label(self) -> &'static str {
        match self {
            RegFormat::Hex => "hex",
            RegFormat::Bytes => "bytes",
            RegFormat::Lanes => "lanes",
        }
    }

    /// Parses a label.
    pub fn parse(s: &str) -> Option<RegFormat> {
        RegFormat::ALL.into_iter().find(|f| f.label() == s)
    }

    /// Is the most significant granule drawn first?
    pub fn msb_first(self) -> bool {
        self == RegFormat::Hex
    }
}

/// What kind of register: decides the granule size and how lanes are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegKind {
    /// `Zn`: 16 bytes per granule.
    Z,
    /// `Pn` or `FFR`: 2 bytes per granule (one bit per byte of Z).
    P,
}

impl RegKind {
    /// Bytes per 128-bit granule of Z.
    pub fn granule_bytes(self) -> usize {
        match self {
            RegKind::Z => 16,
            RegKind::P => 2,
        }
    }
}

/// One 128-bit granule of a register, as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Granule {
    /// 0 = bits [127:0] (the `V` part of a Z register).
    pub index: usize,
    /// The text.
    pub text: String,
    /// All bytes zero.
    pub zero: bool,
    /// Differs from the previous value (or the previous value had another length).
    pub changed: bool,
}

/// Splits `bytes` into granules in display order, marking those that differ from `prev`.
pub fn granules(bytes: &[u8], prev: Option<&[u8]>, kind: RegKind, fmt: RegFormat) -> Vec<Granule> {
    let g = kind.granule_bytes();
    let n = bytes.len().div_ceil(g);
    let mut out: Vec<Granule> = (0..n)
        .map(|i| {
            let chunk = &bytes[i * g..((i + 1) * g).min(bytes.len())];
            let changed = match prev {
                None => false,
                Some(p) if p.len() != bytes.len() => true,
                Some(p) => &p[i * g..((i + 1) * g).min(p.len())] != chunk,
            };
            Granule {
                index: i,
                text: granule_text(chunk, kind, fmt),
                zero: chunk.iter().all(|&b| b == 0),
                changed,
            }
        })
        .collect();
    if fmt.msb_first() {
        out.reverse();
    }
    out
}

fn granule_text(chunk: &[u8], kind: RegKind, fmt: RegFormat) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(chunk.len() * 3);
    match fmt {
        RegFormat::Hex => {
            for b in chunk.iter().rev() {
                let _ = write!(s, "{b:02x}");
            }
        }
        RegFormat::Bytes => {
            for (i, b) in chunk.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                let _ = write!(s, "{b:02x}");
            }
        }
        RegFormat::Lanes => match kind {
            RegKind::Z => {
                for (i, lane) in chunk.chunks(4).enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    let mut w = [0u8; 4];
                    w[..lane.len()].copy_from_slice(lane);
                    let _ = write!(s, "{:08x}", u32::from_le_bytes(w));
                }
            }
            RegKind::P => {
                // One bit per byte lane, lane 0 first.
                for b in chunk {
                    for bit in 0..8 {
                        s.push(if b >> bit & 1 == 1 { '1' } else { '0' });
                    }
                }
            }
        },
    }
    s
}

/// `"0x…"` for a 32-bit value (FPSR, FPCR).
pub fn hex32(v: u32) -> String {
    format!("0x{v:08x}")
}

/// Vector length in bits, as text: `512 bits`.
pub fn vl_bits(vl_bytes: u16) -> String {
    format!("{} bits", u32::from(vl_bytes) * 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(g: &[Granule]) -> Vec<&str> {
        g.iter().map(|x| x.text.as_str()).collect()
    }

    #[test]
    fn hex_is_msb_first_with_v_rightmost() {
        let mut z = vec![0u8; 32];
        z[0] = 0x01; // bit 0: in V
        z[31] = 0xf0; // top byte of the second granule
        let g = granules(&z, None, RegKind::Z, RegFormat::Hex);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].index, 1);
        assert_eq!(g[1].index, 0, "V (granule 0) is drawn last in hex");
        assert_eq!(
            texts(&g),
            [
                "f0000000000000000000000000000000",
                "00000000000000000000000000000001"
            ]
        );
        assert!(!g[0].zero && !g[1].zero);
    }

    #[test]
    fn bytes_and_lanes_are_memory_order() {
        let z: Vec<u8> = (0u8..16).collect();
        let b = granules(&z, None, RegKind::Z, RegFormat::Bytes);
        assert_eq!(b[0].text, "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
        let l = granules(&z, None, RegKind::Z, RegFormat::Lanes);
        assert_eq!(l[0].text, "03020100 07060504 0b0a0908 0f0e0d0c");
    }

    #[test]
    fn predicate_lanes_are_bits() {
        let p = [0x0f, 0x80];
        let g = granules(&p, None, RegKind::P, RegFormat::Lanes);
        assert_eq!(g[0].text, "1111000000000001");
        let h = granules(&p, None, RegKind::P, RegFormat::Hex);
        assert_eq!(h[0].text, "800f");
    }

    #[test]
    fn changed_granules_are_marked() {
        let a = vec![0u8; 48];
        let mut b = a.clone();
        b[20] = 1;
        let g = granules(&b, Some(&a), RegKind::Z, RegFormat::Bytes);
        assert_eq!(
            g.iter().map(|x| x.changed).collect::<Vec<_>>(),
            [false, true, false]
        );
        // A new length (VL change) marks everything.
        let g = granules(&b[..32], Some(&a), RegKind::Z, RegFormat::Hex);
        assert!(g.iter().all(|x| x.changed));
        // No previous value: nothing is marked.
        assert!(granules(&b, None, RegKind::Z, RegFormat::Hex)
            .iter()
            .all(|x| !x.changed));
    }

    #[test]
    fn formats_round_trip_their_labels() {
        for f in RegFormat::ALL {
            assert_eq!(RegFormat::parse(f.label()), Some(f));
        }
        assert_eq!(RegFormat::parse("octal"), None);
        assert_eq!(vl_bits(64), "512 bits");
        assert_eq!(hex32(0x10), "0x00000010");
    }
}
