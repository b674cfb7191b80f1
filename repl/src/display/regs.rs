//! Register views: Z/P/FFR/V of one context at its vector length, in hex, bytes or lanes,
//! folded to the terminal width.

use super::fold;
use crate::style::{pad, Style};
use svelab_core::dsl::eval::fmt_bytes;
use svelab_core::model::view::RegView;

/// How `:regs` prints a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegFormat {
    /// `fill(0xaa)`, `0x…` without leading zeros (the DSL's own notation).
    Compact,
    /// Every hex digit, most significant first, in 32-bit groups, with bit ranges.
    Hex,
    /// Bytes in memory order (byte 0 first), 16 per quadword.
    Bytes,
    /// 32-bit lanes, lane 0 first.
    Lanes,
}

impl RegFormat {
    /// Parses `hex`, `bytes`, `lanes`, `compact`.
    pub fn parse(s: &str) -> Option<RegFormat> {
        match s {
            "hex" => Some(RegFormat::Hex),
            "bytes" => Some(RegFormat::Bytes),
            "lanes" => Some(RegFormat::Lanes),
            "compact" => Some(RegFormat::Compact),
            _ => None,
        }
    }
}

fn reg_list(v: &RegView) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, z) in v.z.iter().enumerate() {
        out.push((format!("z{i}"), z.clone()));
    }
    for (i, p) in v.p.iter().enumerate() {
        out.push((format!("p{i}"), p.clone()));
    }
    out.push(("ffr".into(), v.ffr.clone()));
    out.push(("fpsr".into(), v.fpsr.to_le_bytes().to_vec()));
    out.push(("fpcr".into(), v.fpcr.to_le_bytes().to_vec()));
    out
}

/// The lines of one register's value in `fmt`, each at most `w` columns.
pub fn reg_value(bytes: &[u8], fmt: RegFormat, w: usize) -> Vec<String> {
    let w = w.max(20);
    match fmt {
        RegFormat::Compact => fold(&fmt_bytes(bytes), w),
        RegFormat::Hex => {
            // 32-bit groups, most significant first; a line holds a power-of-two number
            // of groups and is labelled with its bit range.
            let groups: Vec<String> = bytes
                .chunks(4)
                .rev()
                .map(|g| g.iter().rev().map(|b| format!("{b:02x}")).collect())
                .collect();
            let label_w = 12;
            let mut per = 1;
            while per * 2 <= groups.len() && (per * 2) * 9 - 1 + label_w <= w {
                per *= 2;
            }
            let total_bits = bytes.len() * 8;
            groups
                .chunks(per)
                .enumerate()
                .map(|(i, ch)| {
                    let hi = total_bits - i * per * 32 - 1;
                    let lo = (hi + 1).saturating_sub(ch.len() * 32);
                    let label = format!("[{hi}:{lo}]");
                    if groups.len() <= per {
                        ch.join("_")
                    } else {
                        format!("{label:<label_w$}{}", ch.join("_"))
                    }
                })
                .collect()
        }
        RegFormat::Bytes => {
            let per = if w >= 2 * 48 + 8 { 32 } else { 16 };
            bytes
                .chunks(per)
                .enumerate()
                .map(|(i, ch)| {
                    let hex: Vec<String> = ch.iter().map(|b| format!("{b:02x}")).collect();
                    if bytes.len() <= per {
                        hex.join(" ")
                    } else {
                        format!("{:<6}{}", format!("+{}", i * per), hex.join(" "))
                    }
                })
                .collect()
        }
        RegFormat::Lanes => {
            let lanes: Vec<String> = bytes
                .chunks(4)
                .enumerate()
                .map(|(i, ch)| {
                    let mut b = [0u8; 4];
                    b[..ch.len()].copy_from_slice(ch);
                    format!("{i}:{:08x}", u32::from_le_bytes(b))
                })
                .collect();
            let per = ((w + 1) / 12).clamp(1, 16);
            lanes.chunks(per).map(|c| c.join(" ")).collect()
        }
    }
}

/// `:regs`: every register of a view, zero runs collapsed, changes since `prev` marked.
pub fn regs(
    title: &str,
    v: &RegView,
    prev: Option<&RegView>,
    fmt: RegFormat,
    st: Style,
    w: usize,
) -> String {
    let mut out = format!(
        "{} {}\n",
        st.heading(title),
        st.dim(format!(
            "· VL {} bits · {} = changed by the last step",
            u32::from(v.vl) * 8,
            "*"
        ))
    );
    let now = reg_list(v);
    let old = prev.map(reg_list);
    let changed = |i: usize| -> bool {
        old.as_ref()
            .is_some_and(|o| o.get(i).is_none_or(|(_, b)| *b != now[i].1))
    };
    let name_w = 9;
    let mut i = 0;
    while i < now.len() {
        let (name, bytes) = &now[i];
        let zero = bytes.iter().all(|&b| b == 0);
        if zero && !changed(i) {
            // Collapse a run of unchanged zero registers of the same family.
            let fam: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let mut j = i;
            while j + 1 < now.len() {
                let (n2, b2) = &now[j + 1];
                let f2: String = n2.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                if f2 == fam && fam.len() == 1 && b2.iter().all(|&b| b == 0) && !changed(j + 1) {
                    j += 1;
                } else {
                    break;
                }
            }
            let label = if j > i {
                format!("{name}–{}", now[j].0)
            } else {
                name.clone()
            };
            out.push_str(&format!("   {} {}\n", pad(&label, name_w), st.dim("0")));
            i = j + 1;
            continue;
        }
        let mark = if changed(i) {
            st.changed("*")
        } else {
            " ".into()
        };
        let lines = reg_value(bytes, fmt, w.saturating_sub(name_w + 5));
        for (k, l) in lines.iter().enumerate() {
            let label = if k == 0 { name.as_str() } else { "" };
            let l = if changed(i) { st.changed(l) } else { l.clone() };
            out.push_str(&format!(
                " {} {} {l}\n",
                if k == 0 { mark.clone() } else { " ".into() },
                pad(&st.bold(label), name_w)
            ));
        }
        i += 1;
    }
    out
}
