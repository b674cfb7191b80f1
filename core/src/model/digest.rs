//! A 128-bit content hash: the fingerprint of explore's canonical states and the cached
//! digest of shared register storage ([`crate::model::shared::Shared`]).
//!
//! [`Fp128`] is a `Hasher` that mixes the bytes written to it, as if concatenated, into
//! 128 bits. It is not cryptographic: it needs to spread distinct inputs evenly, which
//! the wyhash construction it uses does, and to be fast on register files that are
//! mostly zero above the vector length, which it is by skipping all-zero blocks.

use std::hash::Hasher;

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

/// Hashes the bytes written to it, as if concatenated, into a 128-bit fingerprint: two
/// 64-bit lanes mix each 16-byte block with its index by a folded multiply (the wyhash
/// construction), and the length finishes it. All-zero blocks are skipped (most of a
/// register file is zero above the vector length): the fingerprint is a hash of the
/// length and the nonzero blocks with their positions, which determine the bytes.
#[derive(Clone, Copy, Debug)]
pub struct Fp128 {
    a: u64,
    b: u64,
    /// Bytes of the current block, little-endian (`fill` of them).
    acc: u128,
    fill: u32,
    blocks: u64,
}

impl Default for Fp128 {
    fn default() -> Self {
        Fp128 {
            a: P0,
            b: P1,
            acc: 0,
            fill: 0,
            blocks: 0,
        }
    }
}

impl Fp128 {
    fn block(&mut self, w: u128) {
        let (w0, w1) = (w as u64, (w >> 64) as u64);
        let i = self.blocks;
        self.blocks += 1;
        if w == 0 {
            return;
        }
        let x = mum(self.a ^ w0 ^ P2, w1 ^ P3 ^ i.wrapping_mul(P1));
        let y = mum(self.b ^ w1 ^ P0, w0.rotate_left(23) ^ P1 ^ i);
        self.a = x ^ self.b.rotate_left(17);
        self.b = y.wrapping_add(self.a);
    }

    /// Appends the `n` (1–8) low bytes of `x`, least significant first (as `to_le_bytes`;
    /// the model runs on little-endian hosts and wasm32, where that is `to_ne_bytes`, which
    /// the exact key writes).
    #[inline]
    fn push(&mut self, x: u64, n: u32) {
        let x = u128::from(x);
        self.acc |= x << (self.fill * 8);
        if self.fill + n >= 16 {
            let full = self.acc;
            self.block(full);
            let used = 16 - self.fill;
            self.acc = if used < n { x >> (used * 8) } else { 0 };
            self.fill = self.fill + n - 16;
        } else {
            self.fill += n;
        }
    }

    /// What writing `n` zero bytes does: the pending block completes (if it does) and
    /// the zero blocks after it are skipped.
    fn skip_zeros(&mut self, n: u64) {
        let total = u64::from(self.fill) + n;
        if total < 16 {
            self.fill = total as u32;
            return;
        }
        let pending = self.acc;
        self.block(pending);
        let rest = total - 16;
        self.blocks += rest / 16;
        self.acc = 0;
        self.fill = (rest % 16) as u32;
    }

    /// The fingerprint of everything written.
    pub fn finish128(mut self) -> u128 {
        let len = self.blocks * 16 + u64::from(self.fill);
        if self.fill > 0 {
            let last = self.acc;
            self.block(last);
        }
        let hi = mum(self.a ^ P3, len ^ P0);
        let lo = mum(self.b ^ P2, hi ^ P1 ^ len.rotate_left(32));
        (u128::from(hi) << 64) | u128::from(lo)
    }
}

impl Fp128 {
    /// Appends `bytes` block by block.
    fn write_dense(&mut self, bytes: &[u8]) {
        let mut blocks = bytes.chunks_exact(16);
        if self.fill == 0 {
            for c in &mut blocks {
                self.block(u128::from_le_bytes(c.try_into().expect("16 bytes")));
            }
        } else {
            // The pending bytes, then the first 16 - fill bytes of each chunk, form a block;
            // the chunk's last fill bytes are pending after it.
            let sh = self.fill * 8;
            for c in &mut blocks {
                let w = u128::from_le_bytes(c.try_into().expect("16 bytes"));
                let full = self.acc | (w << sh);
                self.block(full);
                self.acc = w >> (128 - sh);
            }
        }
        let mut words = blocks.remainder().chunks_exact(8);
        for w in &mut words {
            self.push(u64::from_le_bytes(w.try_into().expect("8 bytes")), 8);
        }
        for &b in words.remainder() {
            self.push(u64::from(b), 1);
        }
    }
}

impl Hasher for Fp128 {
    fn finish(&self) -> u64 {
        self.finish128() as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= 32 {
            // Register storage above the vector length: a zero tail only moves the
            // position (found 16 bytes at a time from the end).
            let zero_tail = 16
                * bytes
                    .rchunks_exact(16)
                    .take_while(|c| u128::from_le_bytes((*c).try_into().expect("16 bytes")) == 0)
                    .count();
            self.write_dense(&bytes[..bytes.len() - zero_tail]);
            self.skip_zeros(zero_tail as u64);
            return;
        }
        self.write_dense(bytes);
    }
    fn write_u8(&mut self, x: u8) {
        self.push(u64::from(x), 1);
    }
    fn write_u16(&mut self, x: u16) {
        self.push(u64::from(x), 2);
    }
    fn write_u32(&mut self, x: u32) {
        self.push(u64::from(x), 4);
    }
    fn write_u64(&mut self, x: u64) {
        self.push(x, 8);
    }
    fn write_u128(&mut self, x: u128) {
        self.push(x as u64, 8);
        self.push((x >> 64) as u64, 8);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        write_size(self, x);
    }
    #[inline]
    fn write_isize(&mut self, x: isize) {
        write_size(self, x as usize);
    }
}

/// How a `usize` or `isize` is written into a key, by both hashers: lengths and enum
/// discriminants, which is what derived `Hash` writes them for, and which are almost always
/// small. Below 255 it is one byte; otherwise the byte 255 and the 8 bytes of the value. A
/// prefix code, so a key still determines every value written into it. At 8 bytes each,
/// sizes were 472 of the 909 bytes of the root state's key in explore.
#[inline]
fn write_size<H: Hasher>(h: &mut H, x: usize) {
    if x < 255 {
        h.write_u8(x as u8);
    } else {
        h.write_u8(255);
        h.write_u64(x as u64);
    }
}

/// Collects the bytes a `Hash` writes (explore's exact keys; tests that two values hash
/// apart). Its `finish` is the [`fingerprint`] of them.
#[derive(Debug, Default)]
pub struct HashBytes(pub Vec<u8>);

impl HashBytes {
    /// The bytes `x` hashes as.
    pub fn of<T: std::hash::Hash + ?Sized>(x: &T) -> Vec<u8> {
        let mut h = HashBytes::default();
        x.hash(&mut h);
        h.0
    }
}

impl Hasher for HashBytes {
    fn finish(&self) -> u64 {
        fingerprint(&self.0) as u64
    }
    fn write_u8(&mut self, x: u8) {
        self.0.push(x);
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn write_usize(&mut self, x: usize) {
        write_size(self, x);
    }
    fn write_isize(&mut self, x: isize) {
        write_size(self, x as usize);
    }
}

/// 64×64→128-bit multiply, folded.
fn mum(a: u64, b: u64) -> u64 {
    let r = u128::from(a) * u128::from(b);
    (r as u64) ^ ((r >> 64) as u64)
}

/// The fingerprint of an exact key (what [`Fp128`] gives for the same bytes).
pub fn fingerprint(bytes: &[u8]) -> u128 {
    let mut h = Fp128::default();
    h.write(bytes);
    h.finish128()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint of bytes does not depend on how they arrive: split anywhere, in
    /// any sizes, as integers or slices, with runs of zeros (skipped, not mixed) at every
    /// alignment.
    #[test]
    fn the_streamed_fingerprint_is_the_fingerprint_of_the_concatenation() {
        let bytes: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37)).collect();
        let mut h = Fp128::default();
        h.write(&bytes[..3]);
        h.write_u32(u32::from_le_bytes(bytes[3..7].try_into().unwrap()));
        h.write(&bytes[7..40]);
        h.write_u64(u64::from_le_bytes(bytes[40..48].try_into().unwrap()));
        h.write(&bytes[48..]);
        assert_eq!(h.finish128(), fingerprint(&bytes));
        for pre in 0..20 {
            let mut bytes: Vec<u8> = (1..=pre as u8).collect();
            bytes.extend([0u8; 77]);
            bytes.extend([5u8, 6, 7]);
            let mut h = Fp128::default();
            h.write(&bytes[..pre]);
            h.write(&bytes[pre..pre + 77]);
            h.write(&bytes[pre + 77..]);
            let mut byte_by_byte = Fp128::default();
            for &b in &bytes {
                byte_by_byte.write_u8(b);
            }
            assert_eq!(h.finish128(), fingerprint(&bytes), "{pre}");
            assert_eq!(byte_by_byte.finish128(), fingerprint(&bytes), "{pre}");
        }
        // A register row: values, then zeros above the vector length, in one write.
        for (pre, used) in [(0, 64), (3, 64), (16, 70), (5, 1), (9, 255), (0, 0)] {
            let mut row = [0u8; 256];
            for (i, b) in row.iter_mut().take(used).enumerate() {
                *b = (i as u8) | 1;
            }
            let bytes: Vec<u8> = (1..=pre as u8).chain(row).collect();
            let mut h = Fp128::default();
            h.write(&bytes[..pre]);
            h.write(&row);
            let mut byte_by_byte = Fp128::default();
            for &b in &bytes {
                byte_by_byte.write_u8(b);
            }
            assert_eq!(h.finish128(), byte_by_byte.finish128(), "{pre} {used}");
        }
    }

    /// Lengths and discriminants are written short, the same way by both hashers, and
    /// still apart: a small value, the escape byte's own value and a large one all differ,
    /// and so do a short length followed by data and a long one.
    #[test]
    fn sizes_are_written_as_a_prefix_code_by_both_hashers() {
        for x in [0usize, 1, 254, 255, 256, 1 << 40, usize::MAX] {
            let mut h = Fp128::default();
            h.write_usize(x);
            let bytes = HashBytes::of(&x);
            assert_eq!(bytes.len(), if x < 255 { 1 } else { 9 }, "{x}");
            assert_eq!(h.finish128(), fingerprint(&bytes), "{x}");
        }
        let key = |len: usize, then: &[u8]| {
            let mut h = HashBytes::default();
            h.write_usize(len);
            h.write(then);
            h.0
        };
        // 254 then [255, ...] must not read as the escape of a larger value, and back.
        assert_ne!(key(254, &[255, 1, 0, 0, 0, 0, 0, 0, 0]), key(255, &[1]));
        assert_ne!(key(255, &[]), key(254, &[255]));
        assert_eq!(HashBytes::of(&-1isize), HashBytes::of(&usize::MAX));
        assert_eq!(HashBytes::of(&vec![7u8; 3]), vec![3, 7, 7, 7]);
    }

    #[test]
    fn lengths_and_positions_count_even_for_zeros() {
        assert_ne!(fingerprint(&[0]), fingerprint(&[0, 0]));
        assert_ne!(fingerprint(&[1, 0, 0]), fingerprint(&[0, 0, 1]));
        assert_ne!(fingerprint(&[0u8; 64]), fingerprint(&[0u8; 80]));
    }
}
