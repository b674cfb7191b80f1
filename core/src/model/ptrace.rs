//! `arch/arm64/kernel/ptrace.c`: the `NT_PRFPREG` and `NT_ARM_SVE` regsets of a stopped
//! tracee (`fpr_get`, `fpr_set`, `sve_get_common`, `sve_set_common`) and the sync helpers
//! of `fpsimd.c` they use.
//!
//! The tracer is implicit: a debugger on another CPU. A write names the registers it
//! changes; like a debugger that read the regset first, every other register of the
//! payload carries the tracee's current value (a `partial` SVE write instead ends the
//! payload after the last named Z register, as a short `iov` would).

use crate::model::event::Event;

use crate::model::fpsimd::{EINVAL, EIO};
use crate::model::machine::Machine;
use crate::model::op::{PtraceReq, Reg, RegWrite, StepError, SvePayload};
use crate::model::regs::{sve_vq_from_vl, Origin, SveBuf};
use crate::model::types::{Format, FpType, TaskId};
use crate::model::uapi::{sve_pt_size, RegsetDump, SveHeader, SVE_PT_REGS_SVE, SVE_PT_VL_INHERIT};

impl Machine {
    pub(crate) fn validate_ptrace(&self, req: &PtraceReq) -> Result<(), StepError> {
        let check = |ws: &[RegWrite], sve_ok: bool| -> Result<(), StepError> {
            for w in ws {
                let ok = match w.reg {
                    Reg::V(_) | Reg::Fpsr | Reg::Fpcr => true,
                    Reg::Z(_) | Reg::P(_) | Reg::Ffr => sve_ok,
                };
                if !ok {
                    return Err(StepError::new(
                        format!("{} is not part of this payload", w.reg),
                        "NT_PRFPREG and FPSIMD payloads carry v0–v31, fpsr and fpcr; use an `sve` payload for z/p/ffr",
                    ));
                }
            }
            Ok(())
        };
        match req {
            PtraceReq::SetFpr(ws) => check(ws, false),
            PtraceReq::SetSve { vl, payload, .. } => {
                let width_vl = self.config.find_supported_vector_length(u32::from(*vl));
                match payload {
                    SvePayload::Fpsimd(ws) => check(ws, false),
                    SvePayload::Sve { writes, .. } => {
                        for w in writes {
                            let width = match w.reg {
                                Reg::Z(_) => usize::from(width_vl),
                                Reg::P(_) | Reg::Ffr => usize::from(width_vl) / 8,
                                Reg::V(_) => {
                                    return Err(StepError::new(
                                        "an SVE payload has no v registers",
                                        "write z registers (their low 128 bits are V)",
                                    ))
                                }
                                Reg::Fpsr | Reg::Fpcr => 4,
                            };
                            if w.value.literal_len() > width {
                                return Err(StepError::new(
                                    format!("value for {} is wider than {} bits", w.reg, width * 8),
                                    "use a shorter literal",
                                ));
                            }
                        }
                        Ok(())
                    }
                    SvePayload::Header => Ok(()),
                }
            }
            PtraceReq::GetFpr | PtraceReq::GetSve => Ok(()),
        }
    }

    /// `sve_sync_to_fpsimd()`: before reading or merging the FPSIMD view. Keyed on
    /// `TIF_SVE` up to v1 p7 and in 6.1.192; on `fp_type` at v6.2 and 6.12 (`bbc6172eefdb`,
    /// a v3 patch).
    fn sve_sync_to_fpsimd(&mut self, t: TaskId) {
        let task = self.task(t);
        let sve = if self.kernel().v3_sve_sync_to_fpsimd_by_fp_type() {
            task.fp_type == FpType::Sve
        } else {
            task.tif_sve
        };
        if sve {
            self.sve_to_fpsimd(t, "sve_sync_to_fpsimd");
        }
    }

    /// Runs a ptrace request; returns the syscall result (0 or `-errno`).
    pub(crate) fn ptrace(&mut self, t: TaskId, req: &PtraceReq) -> i64 {
        match req {
            PtraceReq::GetFpr => {
                self.emit(Event::Ptrace {
                    function: "fpr_get".into(),
                });
                self.sve_sync_to_fpsimd(t);
                self.tracer_buf = Some(RegsetDump {
                    task: t,
                    header: None,
                    fpsimd: Some(self.task(t).fpsimd_state.clone()),
                    sve: None,
                });
                0
            }
            PtraceReq::SetFpr(writes) => {
                self.emit(Event::Ptrace {
                    function: "fpr_set".into(),
                });
                self.fpr_set_payload(t, writes);
                // sve_sync_from_fpsimd_zeropad(): if TIF_SVE, zero sve_state, insert V.
                if self.task(t).tif_sve {
                    let task = self.task_mut(t);
                    if let Some(buf) = task.sve_state.as_mut() {
                        buf.zero();
                        for n in 0..32 {
                            buf.set_v(n, task.fpsimd_state.vregs[n], task.fpsimd_state.origin[n]);
                        }
                        task.ghost_v_newest = Format::Sve;
                    }
                    self.emit(Event::SveSyncFromFpsimdZeropad { task: t });
                }
                self.fpsimd_flush_task_state(t);
                0
            }
            PtraceReq::GetSve => {
                self.emit(Event::Ptrace {
                    function: "sve_get".into(),
                });
                let dump = self.sve_get_common(t);
                self.tracer_buf = Some(dump);
                0
            }
            PtraceReq::SetSve { vl, flags, payload } => {
                // A debugger reads the regset first (GETREGSET), then writes its edited
                // copy: the read happens before the write's VL change.
                let read = match payload {
                    SvePayload::Sve { .. } => {
                        self.emit(Event::Ptrace {
                            function: "sve_get".into(),
                        });
                        Some(self.sve_get_common(t))
                    }
                    _ => None,
                };
                self.emit(Event::Ptrace {
                    function: "sve_set".into(),
                });
                let ret = self.sve_set_common(t, *vl, *flags, payload, read.as_ref());
                self.fpsimd_flush_task_state(t);
                ret
            }
        }
    }

    /// `sve_get_common()`: the header and payload a GETREGSET of `NT_ARM_SVE` returns.
    fn sve_get_common(&mut self, t: TaskId) -> RegsetDump {
        let task = self.task(t);
        // sve_init_header_from_task(): the format comes from TIF_SVE (fixed to fp_type in
        // 2024 by b017a0cea627, in 6.12: REGS_FPSIMD iff fp_type == FP_STATE_FPSIMD).
        let sve = if self.kernel().ptrace_sve_header_by_fp_type() {
            task.fp_type != FpType::Fpsimd
        } else {
            task.tif_sve
        };
        let vq = task.vq();
        let mut flags = if sve { SVE_PT_REGS_SVE } else { 0 };
        if task.tif_sve_vl_inherit {
            flags |= SVE_PT_VL_INHERIT;
        }
        let header = SveHeader {
            size: sve_pt_size(vq, sve),
            max_size: sve_pt_size(sve_vq_from_vl(self.config.max_vl()), true),
            vl: task.vl,
            max_vl: self.config.max_vl(),
            flags,
        };
        if sve {
            self.check_stale_sve_read(t, "sve_get_common");
            let task = self.task(t);
            RegsetDump {
                task: t,
                header: Some(header),
                fpsimd: Some(task.fpsimd_state.clone()),
                sve: task.sve_state.clone(),
            }
        } else {
            self.sve_sync_to_fpsimd(t);
            RegsetDump {
                task: t,
                header: Some(header),
                fpsimd: Some(self.task(t).fpsimd_state.clone()),
                sve: None,
            }
        }
    }

    /// `__fpr_set()`: merge named values over the current FPSIMD view.
    fn fpr_set_payload(&mut self, t: TaskId, writes: &[RegWrite]) {
        self.sve_sync_to_fpsimd(t);
        let task = self.task_mut(t);
        let st = &mut task.fpsimd_state;
        for w in writes {
            let mut b = [0u8; 16];
            match w.reg {
                Reg::V(n) if w.value.materialise(&mut b, t, w.reg).is_ok() => {
                    st.vregs[usize::from(n)] = u128::from_le_bytes(b);
                    st.origin[usize::from(n)] = Origin::Task(t);
                }
                Reg::Fpsr | Reg::Fpcr if w.value.materialise(&mut b[..4], t, w.reg).is_ok() => {
                    let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    if w.reg == Reg::Fpsr {
                        st.fpsr = v;
                    } else {
                        st.fpcr = v;
                    }
                }
                _ => {}
            }
        }
        task.ghost_v_newest = Format::Fpsimd;
    }

    /// `sve_set_common()` for `ARM64_VEC_SVE`, without the final flush.
    fn sve_set_common(
        &mut self,
        t: TaskId,
        vl: u16,
        flags: u16,
        payload: &SvePayload,
        read: Option<&RegsetDump>,
    ) -> i64 {
        let pr_flags = u64::from(flags & !SVE_PT_REGS_SVE) << 16;
        let ret = self.vec_set_vector_length(t, None, u64::from(vl), pr_flags);
        if ret < 0 {
            return ret;
        }
        let p2 = self.kernel().p2_fp_type();
        let vq = self.task(t).vq();
        let (writes, partial) = match payload {
            SvePayload::Fpsimd(writes) => {
                self.fpr_set_payload(t, writes);
                self.task_mut(t).tif_sve = false;
                if p2 {
                    self.task_mut(t).fp_type = FpType::Fpsimd;
                }
                return 0;
            }
            SvePayload::Header => (&[][..], true),
            SvePayload::Sve { writes, partial } => {
                if vq != sve_vq_from_vl(vl) {
                    // "The VL was not the one requested": the VL change happened anyway.
                    return -EIO;
                }
                (&writes[..], *partial)
            }
        };
        // The tracer's payload: what its GETREGSET of NT_ARM_SVE returned (read just
        // before, through the same kernel code), then the named writes.
        let image = match read {
            Some(dump) => self.sve_payload_image(t, vq, dump, writes),
            None => Some((SveBuf::zeroed(vq, 0), 0, 0)),
        };
        // What the tracee's V held (its newest copy), to see what the write loses.
        let v_before: [u128; 32] = {
            let task = self.task(t);
            std::array::from_fn(|n| match (&task.sve_state, task.ghost_v_newest) {
                (Some(b), Format::Sve) => b.v(n),
                _ => task.fpsimd_state.vregs[n],
            })
        };
        self.sve_alloc(t, true);
        // fpsimd_sync_to_sve(): seed V only when the tracee was FPSIMD-format.
        if !self.task(t).tif_sve {
            self.fpsimd_to_sve(t);
        }
        // From here the kernel treats sve_state as the task's state, whatever the copy-in
        // below fills in (a header-only or partial write leaves the rest zeroed).
        let task = self.task_mut(t);
        task.tif_sve = true;
        task.ghost_v_newest = Format::Sve;
        if p2 {
            task.fp_type = FpType::Sve;
        }
        // Copy-in: the whole payload, or up to the end of the last named Z register.
        let Some((img, fpsr, fpcr)) = image else {
            return -EINVAL;
        };
        let end = if matches!(payload, SvePayload::Header) {
            0
        } else if partial {
            writes
                .iter()
                .filter_map(|w| match w.reg {
                    Reg::Z(n) => Some((usize::from(n) + 1) * 16 * vq),
                    _ => None,
                })
                .max()
                .unwrap_or(0)
        } else {
            img.bytes.len()
        };
        let task = self.task_mut(t);
        if let Some(buf) = task.sve_state.as_mut() {
            buf.bytes[..end].copy_from_slice(&img.bytes[..end]);
            for n in 0..32 {
                if (n + 1) * 16 * vq <= end {
                    buf.origin.z_lo[n] = img.origin.z_lo[n];
                    buf.origin.z_hi[n] = img.origin.z_hi[n];
                }
            }
            if end == img.bytes.len() {
                buf.origin.p = img.origin.p;
                buf.origin.ffr = img.origin.ffr;
            }
        }
        if end == img.bytes.len() && end > 0 {
            task.fpsimd_state.fpsr = fpsr;
            task.fpsimd_state.fpcr = fpcr;
        }
        // A write that carries less than the whole register file leaves the rest of the
        // zeroed buffer in place: V registers it did not carry are lost unless
        // fpsimd_sync_to_sve() seeded them (FPSIMD-format tracees only).
        if end < img.bytes.len() {
            let task = self.task(t);
            if let Some(buf) = &task.sve_state {
                let lost: Vec<usize> = (0..32)
                    .filter(|&n| (n + 1) * 16 * vq > end && buf.v(n) != v_before[n])
                    .collect();
                if let Some(&first) = lost.first() {
                    let detail = format!(
                        "sve_set_common: a {} NT_ARM_SVE write to {} left the zeroed sve_state in place of {} V register(s) it did not carry, first V{}: {:#x} became {:#x}",
                        if end == 0 { "header-only" } else { "partial" },
                        task.name,
                        lost.len(),
                        first,
                        v_before[first],
                        buf.v(first)
                    );
                    self.step_violations.push(crate::Violation::stale_sve_state(
                        t,
                        "sve_set_common",
                        detail,
                    ));
                }
            }
        }
        0
    }

    /// The SVE payload a debugger writes: what it read (`dump`), converted to SVE layout at
    /// `vq` (V zero-extended when the read was FPSIMD-format), then `writes`.
    fn sve_payload_image(
        &self,
        t: TaskId,
        vq: usize,
        dump: &RegsetDump,
        writes: &[RegWrite],
    ) -> Option<(SveBuf, u32, u32)> {
        let st = dump.fpsimd.clone().unwrap_or_default();
        let mut img = match &dump.sve {
            Some(b) if b.vq == vq => b.clone(),
            // Read at another VL: the debugger keeps the low 128 bits of each Z.
            Some(old) => {
                let mut b = SveBuf::zeroed(vq, 0);
                for n in 0..32 {
                    b.set_v(n, old.v(n), old.origin.z_lo[n]);
                }
                b
            }
            None => {
                let mut b = SveBuf::zeroed(vq, 0);
                for n in 0..32 {
                    b.set_v(n, st.vregs[n], st.origin[n]);
                }
                b
            }
        };
        let (mut fpsr, mut fpcr) = (st.fpsr, st.fpcr);
        let origin = Origin::Task(t);
        for w in writes {
            match w.reg {
                Reg::Z(n) => {
                    let n = usize::from(n);
                    w.value.materialise(img.zreg_mut(n), t, w.reg).ok()?;
                    img.origin.z_lo[n] = origin;
                    img.origin.z_hi[n] = if vq > 1 { origin } else { Origin::Zero };
                }
                Reg::P(n) => {
                    w.value
                        .materialise(img.preg_mut(usize::from(n)), t, w.reg)
                        .ok()?;
                    img.origin.p[usize::from(n)] = origin;
                }
                Reg::Ffr => {
                    w.value.materialise(img.ffr_mut(), t, w.reg).ok()?;
                    img.origin.ffr = origin;
                }
                Reg::Fpsr | Reg::Fpcr => {
                    let mut b = [0u8; 4];
                    w.value.materialise(&mut b, t, w.reg).ok()?;
                    if w.reg == Reg::Fpsr {
                        fpsr = u32::from_le_bytes(b);
                    } else {
                        fpcr = u32::from_le_bytes(b);
                    }
                }
                Reg::V(_) => {}
            }
        }
        Some((img, fpsr, fpcr))
    }
}
