//! Registers and register buffers, with real values.
//!
//! * [`RegFile`]: a CPU's FP/SIMD/SVE register file (Arm ARM names): `Z0`–`Z31` as long as
//!   the CPU's largest vector length (at most the architectural 2048 bits), `V0`–`V31` as
//!   bits [127:0] of the Z registers, `P0`–`P15`, `FFR`, `FPSR`, `FPCR`.
//! * [`UserFpsimdState`]: `struct user_fpsimd_state` (uapi `asm/ptrace.h`): 32 × 128-bit
//!   `vregs`, `fpsr`, `fpcr`, 8 reserved bytes — 528 bytes.
//! * [`SveBuf`]: a task's or vCPU's `sve_state`, in the signal-frame register layout of
//!   uapi `asm/sigcontext.h`: `Zn` at `n·16·VQ`, `Pn` at `512·VQ + n·2·VQ`, `FFR` at
//!   `544·VQ`, total `SVE_SIG_REGS_SIZE(vq)` = `546·VQ` bytes.
//!
//! Every register (and every register slot of a buffer) also carries an [`Origin`]: whose
//! value it holds. The kernel has no such thing; the model keeps it so that the invariant
//! checker can prove that no task ever sees another's register contents.

use crate::model::shared::Shared;
use crate::model::types::{Renumbering, TaskId, VcpuId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::hash::{Hash, Hasher};

/// Largest vector length the architecture allows, in bytes (2048 bits).
/// Also the kernel's `VL_ARCH_MAX` (0x100), to which `vec_set_vector_length()` clamps.
pub const VL_ARCH_MAX: u16 = 256;
/// Smallest vector length, in bytes (`SVE_VL_MIN`, 128 bits).
pub const SVE_VL_MIN: u16 = 16;
/// Bytes per quadword (`SVE_VQ_BYTES`).
pub const SVE_VQ_BYTES: u16 = 16;
/// Largest VQ the architecture allows.
pub const VQ_MAX: usize = 16;
/// Bytes of one Z register at the largest VL.
pub const ZREG_MAX_BYTES: usize = VL_ARCH_MAX as usize;
/// Bytes of one P register (or FFR) at the largest VL.
pub const PREG_MAX_BYTES: usize = ZREG_MAX_BYTES / 8;
/// `sizeof(struct user_fpsimd_state)`.
pub const USER_FPSIMD_STATE_SIZE: usize = 528;

/// `sve_vq_from_vl()`: quadwords in a vector length given in bytes.
pub fn sve_vq_from_vl(vl: u16) -> usize {
    usize::from(vl / SVE_VQ_BYTES)
}

/// `SVE_SIG_REGS_SIZE(vq)`: bytes of Z0–Z31, P0–P15 and FFR at `vq`.
pub fn sve_sig_regs_size(vq: usize) -> usize {
    546 * vq
}

/// `sve_vl_valid()`: a multiple of 16 bytes between 16 and `SVE_VL_MAX` (8192 bytes).
pub fn sve_vl_valid(vl: u32) -> bool {
    vl % u32::from(SVE_VQ_BYTES) == 0 && (u32::from(SVE_VL_MIN)..=8192).contains(&vl)
}

/// Whose value a register holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Origin {
    /// Zero, put there by the kernel (a flush, a zeroed buffer, exec) or at reset.
    #[default]
    Zero,
    /// A value written by this task (at EL0, or on its behalf by ptrace/sigreturn).
    Task(TaskId),
    /// A value written by this vCPU's guest.
    Vcpu(VcpuId),
    /// A value written by kernel-mode NEON code.
    Kernel,
}

impl Origin {
    /// Appends the origin's code to `out` (a prefix code, so a sequence of codes is
    /// injective): one byte for zero, the kernel, tasks 0–123 and vCPUs 0–127, else an
    /// escape byte and the id. A task's id is its number under the renumbering `r`.
    #[inline(always)]
    fn encode(self, r: Option<&Renumbering>, out: &mut OriginBytes) {
        match self {
            Origin::Zero => out.push(0),
            Origin::Kernel => out.push(1),
            Origin::Task(t) => {
                let t = r.map_or(t.0, |r| r.task(t.0));
                match u8::try_from(t) {
                    Ok(t) if t < 124 => out.push(2 + t),
                    _ => out.escape(254, t),
                }
            }
            Origin::Vcpu(v) => match u8::try_from(v.0) {
                Ok(v) if v < 128 => out.push(126 + v),
                _ => out.escape(255, v.0),
            },
        }
    }
}

/// The codes of up to 81 origins (one register file's or buffer's), written at once.
struct OriginBytes {
    bytes: [u8; 3 * 81],
    len: usize,
}

impl OriginBytes {
    #[inline(always)]
    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    fn escape(&mut self, tag: u8, id: u16) {
        self.push(tag);
        for b in id.to_le_bytes() {
            self.push(b);
        }
    }

    /// Hashes the codes of `origins` (at most 81) in one write.
    fn hash<H: Hasher>(origins: &[&[Origin]], state: &mut H) {
        let mut out = OriginBytes {
            bytes: [0; 3 * 81],
            len: 0,
        };
        Renumbering::with_current(|r| {
            for run in origins {
                for o in *run {
                    o.encode(r, &mut out);
                }
            }
        });
        state.write(&out.bytes[..out.len]);
    }
}

/// Origins name tasks: their digest holds for the task numbering it was taken under.
impl crate::model::shared::Digest for Origins {
    fn numbering() -> Option<u64> {
        Renumbering::current_task_tag()
    }
}

/// Hashes as its code ([`Origin::encode`]; explore hashes thousands of origins per state).
impl Hash for Origin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        OriginBytes::hash(&[std::slice::from_ref(self)], state);
    }
}

/// Provenance of every register slot of a register file or buffer.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Origins {
    /// Z bits [127:0] (= V).
    pub z_lo: [Origin; 32],
    /// Z bits above 127.
    pub z_hi: [Origin; 32],
    /// P0–P15.
    pub p: [Origin; 16],
    /// FFR.
    pub ffr: Origin,
}

/// Hashes every slot's code ([`Origin::encode`]) in one write.
impl Hash for Origins {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Origins { z_lo, z_hi, p, ffr } = self;
        OriginBytes::hash(&[z_lo, z_hi, p, std::slice::from_ref(ffr)], state);
    }
}

/// Registers of one kind at a CPU's largest vector length, back to back: `COUNT` rows of
/// equal width, at most `MAX` bytes each. Row `n` indexes as a byte slice.
///
/// A CPU's Z registers are as long as the largest vector length it implements, not the
/// architecture's: a machine whose longest VL is 512 bits has 32 × 64 bytes of Z (2 KiB),
/// which a copy on write copies and a digest reads, where the architectural maximum would
/// be 8 KiB.
#[derive(Clone, PartialEq, Eq)]
pub struct Rows<const COUNT: usize, const MAX: usize> {
    bytes: Box<[u8]>,
}

/// Z0–Z31: `max_vl` bytes each.
pub type ZRows = Rows<32, ZREG_MAX_BYTES>;
/// P0–P15: `max_vl / 8` bytes each.
pub type PRows = Rows<16, PREG_MAX_BYTES>;

impl<const COUNT: usize, const MAX: usize> Rows<COUNT, MAX> {
    /// `COUNT` zero rows of `width` bytes (1 to `MAX`).
    pub fn zeroed(width: usize) -> Self {
        debug_assert!((1..=MAX).contains(&width), "row width {width}");
        Rows {
            bytes: vec![0; COUNT * width].into_boxed_slice(),
        }
    }

    /// Bytes per register.
    pub fn width(&self) -> usize {
        self.bytes.len() / COUNT
    }

    /// The registers in order.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, u8> {
        let w = self.width();
        self.bytes.chunks_exact(w)
    }

    /// The registers in order, for writing.
    pub fn iter_mut(&mut self) -> std::slice::ChunksExactMut<'_, u8> {
        let w = self.width();
        self.bytes.chunks_exact_mut(w)
    }

    /// Narrows the rows to `width` bytes, which a machine's largest vector length sets (a
    /// machine file may hold them wider: earlier builds wrote the architectural maximum). Fails
    /// if they are narrower, or a byte beyond `width` is not zero: no vector length of the
    /// machine reaches it, so it cannot hold a value.
    pub fn fit(&mut self, width: usize) -> Result<(), String> {
        let have = self.width();
        if have == width {
            return Ok(());
        }
        if have < width {
            return Err(format!(
                "registers of {have} bytes, narrower than the {width} bytes of the largest \
                 vector length"
            ));
        }
        if let Some(n) = self.iter().position(|r| r[width..].iter().any(|&b| b != 0)) {
            return Err(format!(
                "register {n} holds a value beyond the {width} bytes of the largest vector \
                 length (in bytes {width}..{have})"
            ));
        }
        let mut narrow = Self::zeroed(width);
        for (n, r) in narrow.iter_mut().zip(self.iter()) {
            n.copy_from_slice(&r[..width]);
        }
        *self = narrow;
        Ok(())
    }
}

impl<const COUNT: usize, const MAX: usize> std::ops::Index<usize> for Rows<COUNT, MAX> {
    type Output = [u8];
    fn index(&self, n: usize) -> &[u8] {
        let w = self.width();
        &self.bytes[n * w..(n + 1) * w]
    }
}

impl<const COUNT: usize, const MAX: usize> std::ops::IndexMut<usize> for Rows<COUNT, MAX> {
    fn index_mut(&mut self, n: usize) -> &mut [u8] {
        let w = self.width();
        &mut self.bytes[n * w..(n + 1) * w]
    }
}

/// The width, then each row (a row's zero tail is cheap for [`crate::model::digest::Fp128`]).
impl<const COUNT: usize, const MAX: usize> Hash for Rows<COUNT, MAX> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.width());
        for r in self.iter() {
            state.write(r);
        }
    }
}

/// Register bytes name no task.
impl<const COUNT: usize, const MAX: usize> crate::model::shared::Digest for Rows<COUNT, MAX> {
    fn numbering() -> Option<u64> {
        crate::model::shared::ANY_NUMBERING
    }
}

/// One hex string per register.
impl<const COUNT: usize, const MAX: usize> std::fmt::Debug for Rows<COUNT, MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(hex_row::encode))
            .finish()
    }
}

/// `COUNT` hex strings of equal length, one per register.
impl<const COUNT: usize, const MAX: usize> Serialize for Rows<COUNT, MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(hex_row::encode))
    }
}

impl<'de, const COUNT: usize, const MAX: usize> Deserialize<'de> for Rows<COUNT, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let rows = Vec::<String>::deserialize(d)?;
        if rows.len() != COUNT {
            return Err(D::Error::custom(format!(
                "expected {COUNT} registers, found {}",
                rows.len()
            )));
        }
        let width = rows[0].len() / 2;
        if !(1..=MAX).contains(&width) {
            return Err(D::Error::custom(format!(
                "a register of {width} bytes: they have 1 to {MAX}"
            )));
        }
        let mut out = Self::zeroed(width);
        for (o, r) in out.iter_mut().zip(&rows) {
            hex_row::decode_into(r, o).map_err(D::Error::custom)?;
        }
        Ok(out)
    }
}

/// A CPU's FP/SIMD/SVE register file.
///
/// Z and P hold the CPU's largest vector length ([`Rows`]); bytes at and above the current
/// vector length are inaccessible. Arm leaves them UNKNOWN when the vector length grows
/// again; the model zeroes them whenever `ZCR_EL1.LEN` changes (see [`RegFile::set_vq`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegFile {
    /// Z0–Z31, byte i = bits [8i+7:8i] (copy-on-write: clones share it until a write).
    pub z: Shared<ZRows>,
    /// P0–P15 (copy-on-write).
    pub p: Shared<PRows>,
    /// FFR (at the architectural maximum: 32 bytes, kept inline).
    #[serde(with = "hex_row")]
    pub ffr: [u8; PREG_MAX_BYTES],
    /// FPSR.
    pub fpsr: u32,
    /// FPCR.
    pub fpcr: u32,
    /// Provenance of every register (copy-on-write, digest cached per task numbering).
    pub origin: Shared<Origins>,
}

impl RegFile {
    /// A zeroed register file of a CPU whose largest vector length is `max_vl` bytes.
    pub fn new(max_vl: u16) -> RegFile {
        let w = usize::from(max_vl);
        RegFile {
            z: Shared::new(ZRows::zeroed(w)),
            p: Shared::new(PRows::zeroed(w / 8)),
            ffr: [0; PREG_MAX_BYTES],
            fpsr: 0,
            fpcr: 0,
            origin: Shared::default(),
        }
    }

    /// Narrows Z and P to a largest vector length of `max_vl` bytes ([`Rows::fit`]); FFR
    /// stays at 2048 bits but may not hold a value beyond it either.
    pub fn fit(&mut self, max_vl: u16) -> Result<(), String> {
        let w = usize::from(max_vl);
        if self.z.width() != w {
            self.z.fit(w).map_err(|e| format!("Z: {e}"))?;
        }
        if self.p.width() != w / 8 {
            self.p.fit(w / 8).map_err(|e| format!("P: {e}"))?;
        }
        if let Some(i) = self.ffr[w / 8..].iter().position(|&b| b != 0) {
            return Err(format!(
                "FFR holds a value beyond the {} bytes of the largest vector length (in byte {})",
                w / 8,
                w / 8 + i
            ));
        }
        Ok(())
    }

    /// `Vn`: bits [127:0] of `Zn`.
    pub fn v(&self, n: usize) -> u128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.z[n][..16]);
        u128::from_le_bytes(b)
    }

    /// An FP/AdvSIMD write of `Vn`: sets bits [127:0] and zeroes the rest of `Zn`
    /// (sve.rst Appendix A).
    pub fn write_v(&mut self, n: usize, value: u128, origin: Origin) {
        self.z[n][..16].copy_from_slice(&value.to_le_bytes());
        self.z[n][16..].fill(0);
        self.origin.z_lo[n] = origin;
        self.origin.z_hi[n] = Origin::Zero;
    }

    /// An SVE write of `Zn` at vector length `vl` bytes (`bytes` holds `vl` bytes).
    pub fn write_z(&mut self, n: usize, bytes: &[u8], origin: Origin) {
        let vl = bytes.len();
        self.z[n][..vl].copy_from_slice(bytes);
        self.origin.z_lo[n] = origin;
        self.origin.z_hi[n] = if vl > 16 { origin } else { Origin::Zero };
    }

    /// An SVE write of `Pn` (`bytes` holds VL/8 bytes).
    pub fn write_p(&mut self, n: usize, bytes: &[u8], origin: Origin) {
        self.p[n][..bytes.len()].copy_from_slice(bytes);
        self.origin.p[n] = origin;
    }

    /// An SVE write of `FFR` (`bytes` holds VL/8 bytes).
    pub fn write_ffr(&mut self, bytes: &[u8], origin: Origin) {
        self.ffr[..bytes.len()].copy_from_slice(bytes);
        self.origin.ffr = origin;
    }

    /// A change of the effective vector length to `vq` quadwords: bytes that become
    /// inaccessible are zeroed (the model's choice for Arm's UNKNOWN).
    pub fn set_vq(&mut self, vq: usize) {
        let zl = vq * 16;
        let pl = vq * 2;
        for z in self.z.iter_mut() {
            z[zl..].fill(0);
        }
        for p in self.p.iter_mut() {
            p[pl..].fill(0);
        }
        self.ffr[pl..].fill(0);
    }

    /// `sve_flush_live(flush_ffr, vq - 1)` (entry-fpsimd.S): zero Z bits above 127 (only
    /// when VQ > 1), P0–P15, and FFR if asked. V, FPSR and FPCR are kept.
    pub fn sve_flush_live(&mut self, flush_ffr: bool, vq: usize) {
        if vq > 1 {
            // The common vector lengths get a fill of a fixed size, which the compiler
            // unrolls (the getpid loop runs this at every trap); the others a loop.
            fn zero_high<const END: usize>(z: &mut ZRows) {
                for r in z.iter_mut() {
                    r[16..END].fill(0);
                }
            }
            match vq {
                2 => zero_high::<32>(&mut self.z),
                4 => zero_high::<64>(&mut self.z),
                8 => zero_high::<128>(&mut self.z),
                16 => zero_high::<256>(&mut self.z),
                _ => {
                    for r in self.z.iter_mut() {
                        r[16..vq * 16].fill(0);
                    }
                }
            }
            self.origin.z_hi = [Origin::Zero; 32];
        }
        for p in self.p.iter_mut() {
            p.fill(0);
        }
        self.origin.p = [Origin::Zero; 16];
        if flush_ffr {
            self.ffr.fill(0);
            self.origin.ffr = Origin::Zero;
        }
    }

    /// `fpsimd_save_state()`: store V0–V31, FPSR, FPCR.
    pub fn save_fpsimd(&self, st: &mut UserFpsimdState) {
        let vregs = &mut *st.vregs;
        for (n, v) in vregs.iter_mut().enumerate() {
            *v = self.v(n);
        }
        st.origin.0 = self.origin.z_lo;
        st.fpsr = self.fpsr;
        st.fpcr = self.fpcr;
    }

    /// `fpsimd_load_state()`: load V0–V31 (zeroing Z above bit 127), FPSR, FPCR.
    /// P0–P15 and FFR are untouched.
    pub fn load_fpsimd(&mut self, st: &UserFpsimdState) {
        for (z, v) in self.z.iter_mut().zip(st.vregs.iter()) {
            z[..16].copy_from_slice(&v.to_le_bytes());
            z[16..].fill(0);
        }
        self.origin.z_lo = st.origin.0;
        self.origin.z_hi = [Origin::Zero; 32];
        self.fpsr = st.fpsr;
        self.fpcr = st.fpcr;
    }

    /// `sve_save_state()`: store Z, P, FFR at `vq` into `buf`, and FPSR/FPCR into `st`.
    pub fn save_sve(&self, buf: &mut SveBuf, st: &mut UserFpsimdState) {
        let vq = buf.vq;
        let bytes = &mut *buf.bytes;
        let (zs, rest) = bytes.split_at_mut(512 * vq);
        let (ps, ffr) = rest.split_at_mut(32 * vq);
        for (dst, z) in zs.chunks_exact_mut(16 * vq).zip(self.z.iter()) {
            dst.copy_from_slice(&z[..16 * vq]);
        }
        for (dst, p) in ps.chunks_exact_mut(2 * vq).zip(self.p.iter()) {
            dst.copy_from_slice(&p[..2 * vq]);
        }
        ffr[..2 * vq].copy_from_slice(&self.ffr[..2 * vq]);
        buf.origin = self.origin.clone();
        st.fpsr = self.fpsr;
        st.fpcr = self.fpcr;
    }

    /// `sve_load_state()`: load Z, P, FFR at `buf.vq` and FPSR/FPCR from `st`.
    pub fn load_sve(&mut self, buf: &SveBuf, st: &UserFpsimdState) {
        let vq = buf.vq;
        let (zs, rest) = buf.bytes.split_at(512 * vq);
        let (ps, ffr) = rest.split_at(32 * vq);
        for (z, src) in self.z.iter_mut().zip(zs.chunks_exact(16 * vq)) {
            z[..16 * vq].copy_from_slice(src);
        }
        for (p, src) in self.p.iter_mut().zip(ps.chunks_exact(2 * vq)) {
            p[..2 * vq].copy_from_slice(src);
        }
        self.ffr[..2 * vq].copy_from_slice(&ffr[..2 * vq]);
        self.origin = buf.origin.clone();
        self.fpsr = st.fpsr;
        self.fpcr = st.fpcr;
    }

    /// Power loss (CPU PM, hotplug): the model zeroes the register file.
    pub fn lose_power(&mut self) {
        *self = RegFile::new(self.z.width() as u16);
    }
}

/// Hex strings for byte arrays too long for serde's built-in array support.
mod hex_row {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn encode(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Decodes `s`, two hex digits a byte, into all of `out`.
    pub fn decode_into(s: &str, out: &mut [u8]) -> Result<(), String> {
        if s.len() != 2 * out.len() || !s.is_ascii() {
            return Err(format!(
                "expected {} hex digits, found {}",
                2 * out.len(),
                s.len()
            ));
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    pub fn serialize<S: Serializer, const N: usize>(v: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let mut out = [0u8; N];
        decode_into(&String::deserialize(d)?, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

/// `struct user_fpsimd_state`: the FPSIMD view, `uw.fpsimd_state` of a task.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserFpsimdState {
    /// V0–V31 (copy-on-write).
    pub vregs: Shared<[u128; 32]>,
    /// FPSR.
    pub fpsr: u32,
    /// FPCR.
    pub fpcr: u32,
    /// Provenance of each V register (copy-on-write, digest cached per task numbering).
    pub origin: Shared<VOrigins>,
}

/// The origins of V0–V31: hash as one write of their codes, like [`Origins`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VOrigins(pub [Origin; 32]);

impl std::ops::Deref for VOrigins {
    type Target = [Origin; 32];
    fn deref(&self) -> &[Origin; 32] {
        &self.0
    }
}

impl std::ops::DerefMut for VOrigins {
    fn deref_mut(&mut self) -> &mut [Origin; 32] {
        &mut self.0
    }
}

impl Hash for VOrigins {
    fn hash<H: Hasher>(&self, state: &mut H) {
        OriginBytes::hash(&[&self.0], state);
    }
}

/// Like [`Origins`]: they name tasks.
impl crate::model::shared::Digest for VOrigins {
    fn numbering() -> Option<u64> {
        Renumbering::current_task_tag()
    }
}

/// Every field; the values and the origins as their cached digests.
impl Hash for UserFpsimdState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let UserFpsimdState {
            vregs,
            fpsr,
            fpcr,
            origin,
        } = self;
        vregs.hash(state);
        fpsr.hash(state);
        fpcr.hash(state);
        origin.hash(state);
    }
}

/// A `sve_state` buffer: Z0–Z31, P0–P15, FFR at `vq`, in the signal-frame layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SveBuf {
    /// Quadwords per vector the buffer was allocated for.
    pub vq: usize,
    /// `546·vq` bytes (copy-on-write: clones share them until a write).
    pub bytes: Shared<Vec<u8>>,
    /// Allocation number: a new `kzalloc` gets a new one (so a binding that still names a
    /// freed buffer can be told apart from the current one).
    pub generation: u32,
    /// Provenance of every register slot (copy-on-write, digest cached per task numbering).
    pub origin: Shared<Origins>,
}

/// Every field but the allocation number: it only tells a binding to this buffer from a
/// binding to an earlier one, which is the binding's to say (explore keys a binding as
/// "the owner's current buffer" or "stale"), and states that allocated as often must meet.
impl Hash for SveBuf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let SveBuf {
            vq,
            bytes,
            generation: _,
            origin,
        } = self;
        vq.hash(state);
        bytes.hash(state);
        origin.hash(state);
    }
}

/// The contents of a zeroed buffer of `vq` and an empty provenance. Every zeroed buffer
/// of a thread shares one copy per VQ (copy-on-write, as the kernel shares its zero page):
/// allocating or zeroing a buffer costs two reference counts instead of an allocation
/// and a `memset` of up to 8.5 KiB, and the digest of its contents is taken once.
fn zeroes(vq: usize) -> (Shared<Vec<u8>>, Shared<Origins>) {
    type Zeroes = (Vec<Option<Shared<Vec<u8>>>>, Shared<Origins>);
    thread_local! {
        static ZEROES: std::cell::RefCell<Zeroes> =
            std::cell::RefCell::new((Vec::new(), Shared::default()));
    }
    ZEROES.with(|z| {
        let mut z = z.borrow_mut();
        if z.0.len() <= vq {
            z.0.resize(vq + 1, None);
        }
        let bytes = z.0[vq]
            .get_or_insert_with(|| Shared::new(vec![0; sve_sig_regs_size(vq)]))
            .clone();
        (bytes, z.1.clone())
    })
}

impl SveBuf {
    /// A zeroed buffer (`kzalloc`).
    pub fn zeroed(vq: usize, generation: u32) -> SveBuf {
        let (bytes, origin) = zeroes(vq);
        SveBuf {
            vq,
            bytes,
            generation,
            origin,
        }
    }

    /// `memset(sve_state, 0, size)`.
    pub fn zero(&mut self) {
        (self.bytes, self.origin) = zeroes(self.vq);
    }

    /// Byte offset of `Zn` (`SVE_SIG_ZREG_OFFSET - SVE_SIG_REGS_OFFSET`).
    pub fn zreg_offset(&self, n: usize) -> usize {
        n * 16 * self.vq
    }

    /// Byte offset of `Pn`.
    pub fn preg_offset(&self, n: usize) -> usize {
        512 * self.vq + n * 2 * self.vq
    }

    /// Byte offset of `FFR` (`sve_ffr_offset()`).
    pub fn ffr_offset(&self) -> usize {
        544 * self.vq
    }

    /// `Zn`.
    pub fn zreg(&self, n: usize) -> &[u8] {
        let o = self.zreg_offset(n);
        &self.bytes[o..o + 16 * self.vq]
    }

    /// `Zn`, mutable.
    pub fn zreg_mut(&mut self, n: usize) -> &mut [u8] {
        let o = self.zreg_offset(n);
        let len = 16 * self.vq;
        &mut self.bytes[o..o + len]
    }

    /// `Pn`.
    pub fn preg(&self, n: usize) -> &[u8] {
        let o = self.preg_offset(n);
        &self.bytes[o..o + 2 * self.vq]
    }

    /// `Pn`, mutable.
    pub fn preg_mut(&mut self, n: usize) -> &mut [u8] {
        let o = self.preg_offset(n);
        let len = 2 * self.vq;
        &mut self.bytes[o..o + len]
    }

    /// `FFR`.
    pub fn ffr(&self) -> &[u8] {
        let o = self.ffr_offset();
        &self.bytes[o..o + 2 * self.vq]
    }

    /// `FFR`, mutable.
    pub fn ffr_mut(&mut self) -> &mut [u8] {
        let o = self.ffr_offset();
        let len = 2 * self.vq;
        &mut self.bytes[o..o + len]
    }

    /// Bits [127:0] of `Zn`.
    pub fn v(&self, n: usize) -> u128 {
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.zreg(n)[..16]);
        u128::from_le_bytes(b)
    }

    /// `__fpsimd_to_sve()` for one register: write `Vn` into bits [127:0] of `Zn`,
    /// leaving the rest of the buffer alone.
    pub fn set_v(&mut self, n: usize, v: u128, origin: Origin) {
        self.zreg_mut(n)[..16].copy_from_slice(&v.to_le_bytes());
        self.origin.z_lo[n] = origin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed<T: Hash>(x: &T) -> Vec<u8> {
        crate::model::digest::HashBytes::of(x)
    }

    /// Explore tells states apart by these hashes: different origins must hash apart.
    #[test]
    fn origins_hash_apart_whoever_they_name() {
        let all = [
            Origin::Zero,
            Origin::Kernel,
            Origin::Task(TaskId(0)),
            Origin::Task(TaskId(1)),
            Origin::Task(TaskId(123)),
            Origin::Task(TaskId(124)),
            Origin::Task(TaskId(254)),
            Origin::Task(TaskId(u16::MAX)),
            Origin::Vcpu(VcpuId(0)),
            Origin::Vcpu(VcpuId(1)),
            Origin::Vcpu(VcpuId(127)),
            Origin::Vcpu(VcpuId(128)),
            Origin::Vcpu(VcpuId(u16::MAX)),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(hashed(a), hashed(b), "{a:?} {b:?}");
            }
        }
        // The codes of a register file's origins are written one after the other: any two
        // different pairs of neighbours still hash apart (the code is a prefix code).
        let pair = |a: Origin, b: Origin| {
            let mut o = Origins::default();
            o.z_lo[0] = a;
            o.z_lo[1] = b;
            hashed(&o)
        };
        let mut pairs: Vec<Vec<u8>> = Vec::new();
        for &a in &all {
            for &b in &all {
                pairs.push(pair(a, b));
            }
        }
        let n = pairs.len();
        pairs.sort();
        pairs.dedup();
        assert_eq!(pairs.len(), n, "two pairs of origins hash alike");
        let mut o = Origins::default();
        let zero = hashed(&o);
        o.ffr = Origin::Kernel;
        assert_ne!(hashed(&o), zero, "the last slot counts");
        let mut st = UserFpsimdState::default();
        let before = hashed(&st);
        st.origin[31] = Origin::Task(TaskId(0));
        assert_ne!(hashed(&st), before);
        st.origin[31] = Origin::Zero;
        st.fpcr = 1;
        assert_ne!(hashed(&st), before);
    }

    /// A buffer's allocation number is not part of its hash (explore keys a binding as
    /// "current" or "stale" instead); its contents and origins are.
    #[test]
    fn a_buffer_hashes_without_its_allocation_number() {
        let a = SveBuf::zeroed(4, 1);
        assert_eq!(hashed(&a), hashed(&SveBuf::zeroed(4, 7)));
        assert_ne!(hashed(&a), hashed(&SveBuf::zeroed(2, 1)));
        let mut b = a.clone();
        b.origin.p[3] = Origin::Kernel;
        assert_ne!(hashed(&a), hashed(&b));
        let mut c = a.clone();
        c.bytes[5] = 1;
        assert_ne!(
            crate::model::shared::hash_contents(|| hashed(&a)),
            crate::model::shared::hash_contents(|| hashed(&c))
        );
        assert_ne!(hashed(&a), hashed(&c), "the digest follows the write");
    }

    /// Zeroed buffers of one VQ share their contents until one is written: the write
    /// copies, and neither the other buffer nor a later `kzalloc` sees it. Zeroing a
    /// written buffer gives back zeroes and empty provenance.
    #[test]
    fn zeroed_buffers_share_their_zeroes_until_written() {
        use crate::model::shared::Shared;
        let a = SveBuf::zeroed(4, 1);
        let mut b = SveBuf::zeroed(4, 2);
        assert!(Shared::ptr_eq(&a.bytes, &b.bytes));
        assert!(!Shared::ptr_eq(&a.bytes, &SveBuf::zeroed(2, 3).bytes));
        b.zreg_mut(0)[0] = 0x11;
        b.origin.ffr = Origin::Kernel;
        assert!(!Shared::ptr_eq(&a.bytes, &b.bytes));
        assert!(a.bytes.iter().all(|&x| x == 0));
        assert_eq!(a.origin.ffr, Origin::Zero);
        let c = SveBuf::zeroed(4, 3);
        assert!(c.bytes.iter().all(|&x| x == 0) && c.bytes.len() == sve_sig_regs_size(4));
        assert_eq!(*c.origin, Origins::default());
        b.zero();
        assert_eq!(b.bytes, a.bytes);
        assert_eq!(b.origin, a.origin);
        assert_eq!(b.generation, 2, "zeroing keeps the allocation");
    }

    #[test]
    fn sve_state_layout_matches_the_uapi_macros() {
        // SVE_SIG_REGS_SIZE: 2184 bytes at VQ 4 (512 bits), 8736 at VQ 16 (2048 bits).
        assert_eq!(sve_sig_regs_size(4), 2184);
        assert_eq!(sve_sig_regs_size(16), 8736);
        let b = SveBuf::zeroed(4, 0);
        assert_eq!(b.zreg_offset(31), 31 * 64);
        assert_eq!(b.preg_offset(0), 2048);
        assert_eq!(b.preg_offset(15), 2048 + 15 * 8);
        assert_eq!(b.ffr_offset(), 2176);
        assert_eq!(b.bytes.len(), 2184);
    }

    #[test]
    fn a_register_file_is_as_wide_as_the_largest_vl_and_narrows_only_over_zeros() {
        let mut r = RegFile::new(32);
        assert_eq!((r.z.width(), r.p.width()), (32, 4));
        assert_eq!(r.z.iter().count(), 32);
        assert_eq!(r.p.iter().count(), 16);
        r.write_z(31, &[0x77; 32], Origin::Kernel);
        assert_eq!(r.z[31], [0x77; 32]);
        assert!(r.z[30].iter().all(|&b| b == 0), "rows do not overlap");
        // Widths are part of the hash: equal bytes at another width are another file.
        let wide = RegFile::new(64);
        assert_ne!(
            crate::model::digest::HashBytes::of(&*wide.z),
            crate::model::digest::HashBytes::of(&*RegFile::new(32).z)
        );
        // Narrowing keeps what is below the new width; a value beyond it refuses.
        let mut w = wide.clone();
        w.write_z(2, &[0x11; 16], Origin::Kernel);
        w.write_p(1, &[0x22; 2], Origin::Kernel);
        w.fit(16).expect("zeros beyond 16 bytes");
        assert_eq!((w.z.width(), w.p.width()), (16, 2));
        assert_eq!((&w.z[2], &w.p[1]), (&[0x11; 16][..], &[0x22; 2][..]));
        let mut v = wide.clone();
        v.write_z(0, &[0x11; 64], Origin::Kernel);
        let e = v.fit(32).expect_err("a value beyond 32 bytes");
        assert!(
            e.contains("Z: register 0 holds a value beyond the 32 bytes"),
            "{e}"
        );
        // FFR is kept at 2048 bits, but a value beyond the largest VL is refused alike.
        let mut f = wide.clone();
        f.ffr[4] = 1;
        let e = f.fit(32).expect_err("an FFR value beyond 32 bytes / 8");
        assert!(e.contains("FFR holds a value beyond the 4 bytes"), "{e}");
        let e = RegFile::new(16).fit(32).expect_err("narrower than asked");
        assert!(
            e.contains("Z: registers of 16 bytes, narrower than the 32"),
            "{e}"
        );
    }

    #[test]
    fn a_v_write_zeroes_the_rest_of_z() {
        let mut r = RegFile::new(64);
        r.write_z(3, &[0xaa; 64], Origin::Kernel);
        r.write_v(3, 0x1234, Origin::Kernel);
        assert_eq!(r.v(3), 0x1234);
        assert!(r.z[3][16..].iter().all(|&b| b == 0));
        assert_eq!(r.origin.z_hi[3], Origin::Zero);
    }

    #[test]
    fn sve_flush_live_keeps_v_and_skips_z_at_vq_1() {
        let mut r = RegFile::new(64);
        r.write_z(0, &[0x55; 16], Origin::Kernel);
        r.write_p(0, &[0xff; 2], Origin::Kernel);
        r.write_ffr(&[0xff; 2], Origin::Kernel);
        r.sve_flush_live(true, 1);
        assert_eq!(r.v(0), u128::from_le_bytes([0x55; 16]));
        assert_eq!(r.p[0][..2], [0, 0]);
        assert_eq!(r.ffr[..2], [0, 0]);
        r.write_z(1, &[0x66; 64], Origin::Kernel);
        r.sve_flush_live(false, 4);
        assert_eq!(r.v(1), u128::from_le_bytes([0x66; 16]));
        assert!(r.z[1][16..64].iter().all(|&b| b == 0));
    }
}
