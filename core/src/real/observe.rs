//! Reading the runner's raw observations as model values.
//!
//! The runner prints what it saw as raw data (register bytes, a frame's records, a
//! regset); this module interprets them with the uapi layouts, so the runner stays a dumb
//! interpreter and every rule lives here, tested.

use crate::dsl::eval::{self, Val};
use crate::model::op::Reg;

/// What an observation reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observable {
    /// A register's bytes (hex, least significant first).
    Reg,
    /// FPSR/FPCR (8 hex bytes) or `vl` (decimal bits).
    RegInt,
    /// A decimal number (x0).
    Int,
    /// A count of kernel function calls.
    Count,
    /// The signal handler nesting depth.
    Depth,
    /// A field of the innermost signal frame: `sve`, `sve_vl`, `fpsimd`.
    Frame(String),
    /// A field of the tracer's last regset read.
    Tracer(String),
    /// A register of a guest's snapshot image (`kvm.h`: Z, P, FFR, V, FPSR, FPCR packed
    /// at the vCPU's VL in bytes).
    GuestReg { reg: String, vl: u32 },
    /// A bit slice of one of the above.
    Sliced(Box<Observable>, u32, u32),
}

impl Observable {
    /// With the expect's bit slice, if any.
    pub fn with_slice(self, slice: Option<(u32, u32)>) -> Observable {
        match slice {
            Some((hi, lo)) => Observable::Sliced(Box::new(self), hi, lo),
            None => self,
        }
    }

    /// Interprets the runner's raw text.
    pub fn interpret(&self, raw: &str) -> Result<Val, String> {
        match self {
            Observable::Sliced(inner, hi, lo) => {
                eval::slice(inner.interpret(raw)?, *hi, *lo).map_err(|e| e.message)
            }
            Observable::Reg => Ok(Val::Bytes(unhex(raw)?)),
            Observable::RegInt => {
                if raw.len() == 16 {
                    Ok(Val::Int(i128::from(le_u64(&unhex(raw)?))))
                } else {
                    int(raw)
                }
            }
            Observable::Int | Observable::Count | Observable::Depth => int(raw),
            Observable::Frame(f) => frame_field(raw, f),
            Observable::Tracer(f) => tracer_field(&unhex(raw)?, f),
            Observable::GuestReg { reg, vl } => guest_reg(&unhex(raw)?, reg, *vl as usize),
        }
    }
}

/// One register of a guest snapshot image.
fn guest_reg(img: &[u8], reg: &str, vl: usize) -> Result<Val, String> {
    let v_off = 32 * vl + 17 * (vl / 8);
    let (off, len, int) = match crate::dsl::parser::parse_reg(reg) {
        Ok(Reg::Z(n)) => (usize::from(n) * vl, vl, false),
        Ok(Reg::P(n)) => (32 * vl + usize::from(n) * (vl / 8), vl / 8, false),
        Ok(Reg::Ffr) => (32 * vl + 16 * (vl / 8), vl / 8, false),
        Ok(Reg::V(n)) => (v_off + 16 * usize::from(n), 16, false),
        Ok(Reg::Fpsr) => (v_off + 32 * 16, 8, true),
        Ok(Reg::Fpcr) => (v_off + 32 * 16 + 8, 8, true),
        Err(_) => return Err(format!("`{reg}` is not a guest register")),
    };
    let bytes = img
        .get(off..off + len)
        .ok_or_else(|| format!("short guest image: {} bytes, need {}", img.len(), off + len))?;
    Ok(if int {
        Val::Int(i128::from(le_u64(bytes)))
    } else {
        Val::Bytes(bytes.to_vec())
    })
}

fn int(raw: &str) -> Result<Val, String> {
    raw.trim()
        .parse::<i128>()
        .map(Val::Int)
        .map_err(|_| format!("not a number: `{raw}`"))
}

fn unhex(raw: &str) -> Result<Vec<u8>, String> {
    let raw = raw.trim();
    if raw.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in `{raw}`"));
    }
    (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).map_err(|_| format!("not hex: `{raw}`")))
        .collect()
}

fn le_u64(b: &[u8]) -> u64 {
    let mut v = [0u8; 8];
    let n = b.len().min(8);
    v[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(v)
}

fn le(b: &[u8], off: usize, n: usize) -> Result<u64, String> {
    b.get(off..off + n)
        .map(le_u64)
        .ok_or_else(|| format!("short data: {} bytes, need {}", b.len(), off + n))
}

/// `_aarch64_ctx` magics (asm/sigcontext.h).
const FPSIMD_MAGIC: u64 = 0x4650_8001;
const SVE_MAGIC: u64 = 0x5356_4501;

/// `depth HEX`: the handler depth, then the frame's records up to the terminator.
fn frame_field(raw: &str, f: &str) -> Result<Val, String> {
    let mut parts = raw.split_whitespace();
    let depth: u32 = parts
        .next()
        .and_then(|d| d.parse().ok())
        .ok_or("no depth")?;
    if depth == 0 {
        return Ok(Val::Word("none".into()));
    }
    let b = unhex(parts.next().unwrap_or(""))?;
    let mut off = 0;
    let (mut sve, mut fpsimd) = (None, false);
    while off + 8 <= b.len() {
        let magic = le(&b, off, 4)?;
        let size = le(&b, off + 4, 4)? as usize;
        if magic == 0 || size < 8 {
            break;
        }
        if magic == FPSIMD_MAGIC {
            fpsimd = true;
        }
        if magic == SVE_MAGIC {
            // struct sve_context: head, __u16 vl, __u16 flags; registers follow when the
            // record is larger than its header (SVE_SIG_CONTEXT_SIZE(0) = 16).
            sve = Some((le(&b, off + 8, 2)?, size > 16));
        }
        off += size;
    }
    Ok(match f {
        "sve" => Val::Word(
            match sve {
                None => "none",
                Some((_, true)) => "sve",
                Some((_, false)) => "header",
            }
            .into(),
        ),
        "sve_vl" => Val::Int(sve.map_or(0, |(vl, _)| i128::from(vl) * 8)),
        _ => Val::Word(if fpsimd { "present" } else { "none" }.into()),
    })
}

/// The regset the tracer read: `NT_PRFPREG` (`user_fpsimd_state`, 528 bytes) or
/// `NT_ARM_SVE` (`user_sve_header` then the payload).
fn tracer_field(b: &[u8], f: &str) -> Result<Val, String> {
    if b.len() == 528 {
        // NT_PRFPREG
        return fpsimd_field(b, 0, f);
    }
    if b.len() < 16 {
        return Err(format!("regset of {} bytes", b.len()));
    }
    let size = le(b, 0, 4)?;
    let vl = le(b, 8, 2)?;
    let flags = le(b, 12, 2)?;
    let sve = flags & 1 != 0;
    let vq = (vl / 16) as usize;
    Ok(match f {
        "size" => Val::Int(size.into()),
        "max_size" => Val::Int(le(b, 4, 4)?.into()),
        "vl" => Val::Int(i128::from(vl) * 8),
        "max_vl" => Val::Int(i128::from(le(b, 10, 2)?) * 8),
        "flags" => Val::Int(flags.into()),
        "format" => Val::Word(if sve { "sve" } else { "fpsimd" }.into()),
        r if sve => {
            // SVE layout (asm/ptrace.h): Z at 16, P after 32 Z, FFR after 16 P, FPSR/FPCR
            // at the next 16-byte boundary after FFR.
            let zl = 16 * vq;
            let pl = 2 * vq;
            let p0 = 16 + 32 * zl;
            let ffr = p0 + 16 * pl;
            let fpsr = (ffr + pl).div_ceil(16) * 16;
            let (off, n) = match crate::dsl::parser::parse_reg(r) {
                Ok(crate::model::op::Reg::Z(n)) => (16 + usize::from(n) * zl, zl),
                Ok(crate::model::op::Reg::V(n)) => (16 + usize::from(n) * zl, 16),
                Ok(crate::model::op::Reg::P(n)) => (p0 + usize::from(n) * pl, pl),
                Ok(crate::model::op::Reg::Ffr) => (ffr, pl),
                Ok(crate::model::op::Reg::Fpsr) => return Ok(Val::Int(le(b, fpsr, 4)?.into())),
                Ok(crate::model::op::Reg::Fpcr) => return Ok(Val::Int(le(b, fpsr + 4, 4)?.into())),
                Err(_) => return Err(format!("tracer has no field `{r}`")),
            };
            Val::Bytes(
                b.get(off..off + n)
                    .ok_or_else(|| format!("payload of {} bytes has no {r}", b.len()))?
                    .to_vec(),
            )
        }
        r => fpsimd_field(b, 16, r)?,
    })
}

fn fpsimd_field(b: &[u8], base: usize, f: &str) -> Result<Val, String> {
    match crate::dsl::parser::parse_reg(f) {
        Ok(crate::model::op::Reg::V(n)) => {
            let off = base + 16 * usize::from(n);
            Ok(Val::Bytes(
                b.get(off..off + 16).ok_or("short payload")?.to_vec(),
            ))
        }
        Ok(crate::model::op::Reg::Fpsr) => Ok(Val::Int(le(b, base + 512, 4)?.into())),
        Ok(crate::model::op::Reg::Fpcr) => Ok(Val::Int(le(b, base + 516, 4)?.into())),
        _ => Err(format!("an FPSIMD payload has no `{f}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_and_slices() {
        let raw = "aabbccdd";
        assert_eq!(
            Observable::Reg.interpret(raw),
            Ok(Val::Bytes(vec![0xaa, 0xbb, 0xcc, 0xdd]))
        );
        let sliced = Observable::Reg.with_slice(Some((15, 8)));
        assert_eq!(sliced.interpret(raw), Ok(Val::Bytes(vec![0xbb])));
        assert!(Observable::Reg.interpret("abc").is_err());
        assert_eq!(
            Observable::RegInt.interpret("1000000000000000"),
            Ok(Val::Int(0x10))
        );
    }

    #[test]
    fn frame_records() {
        // fpsimd_context (528 bytes) then an SVE header-only record then the terminator.
        let mut b = Vec::new();
        b.extend_from_slice(&0x4650_8001u32.to_le_bytes());
        b.extend_from_slice(&528u32.to_le_bytes());
        b.resize(528, 0);
        b.extend_from_slice(&0x5356_4501u32.to_le_bytes());
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&64u16.to_le_bytes());
        b.resize(528 + 16 + 16, 0);
        let raw = format!(
            "1 {}",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        );
        let f = |n: &str| Observable::Frame(n.into()).interpret(&raw);
        assert_eq!(f("sve"), Ok(Val::Word("header".into())));
        assert_eq!(f("sve_vl"), Ok(Val::Int(512)));
        assert_eq!(f("fpsimd"), Ok(Val::Word("present".into())));
        assert_eq!(
            Observable::Frame("sve".into()).interpret("0 "),
            Ok(Val::Word("none".into()))
        );
    }

    #[test]
    fn sve_regset_layout() {
        // VL 32 bytes (vq 2): header, Z (32 x 32), P (16 x 4), FFR (4), pad, FPSR, FPCR.
        let vq = 2usize;
        let mut b = vec![0u8; 16 + 32 * 16 * vq + 17 * 2 * vq];
        b.resize(b.len().div_ceil(16) * 16 + 8, 0);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_le_bytes());
        b[8..10].copy_from_slice(&32u16.to_le_bytes());
        b[12..14].copy_from_slice(&1u16.to_le_bytes());
        b[16] = 0x5a; // z0 byte 0
        b[16 + 32] = 0x77; // z1 byte 0
        let raw: String = b.iter().map(|x| format!("{x:02x}")).collect();
        let f = |n: &str| Observable::Tracer(n.into()).interpret(&raw);
        assert_eq!(f("format"), Ok(Val::Word("sve".into())));
        assert_eq!(f("vl"), Ok(Val::Int(256)));
        let Ok(Val::Bytes(z1)) = f("z1") else {
            panic!("z1")
        };
        assert_eq!((z1.len(), z1[0]), (32, 0x77));
        let Ok(Val::Bytes(v0)) = f("v0") else {
            panic!("v0")
        };
        assert_eq!((v0.len(), v0[0]), (16, 0x5a));
    }
}
