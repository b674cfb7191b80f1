//! `arch/arm64/kernel/signal.c`: signal frames (`setup_rt_frame()`) and `rt_sigreturn()`.
//!
//! A frame holds the two FP records the kernel writes: `fpsimd_context` (V0–V31, FPSR,
//! FPCR; 528 bytes) and `sve_context` (header with `vl`, and the Z/P/FFR payload when the
//! task's state is SVE). Up to v6.2 (and in 6.1.192) the kernel decides "SVE" from
//! `TIF_SVE`; the fix that keys it on `fp_type` (`61da7c8e2a60`, Jan 2024) is in 6.12.

use crate::model::event::{Event, Sig};

use crate::model::machine::Machine;
use crate::model::op::FrameEdit;
use crate::model::regs::sve_vq_from_vl;
use crate::model::types::{CpuId, Format, FpType, TaskId};
use crate::model::uapi::{sve_sig_context_size, SigFrame, SveRecord, SVE_CONTEXT_HEADER};
use crate::model::violation::Violation;

impl Machine {
    /// `setup_rt_frame()` on `c` for the current task `t`.
    pub(crate) fn setup_rt_frame(&mut self, c: CpuId, t: TaskId, sig: Sig) {
        // fpsimd_signal_preserve_current_state(): save, then make uw.fpsimd_state coherent.
        // The saved state is SVE iff TIF_SVE; 61da7c8e2a60 (6.12): iff fp_type says so.
        self.fpsimd_preserve_current_state(c);
        let by_fp_type = self.kernel().signal_frame_by_fp_type();
        let saved_sve = |task: &crate::model::machine::Task| {
            if by_fp_type {
                task.fp_type == FpType::Sve
            } else {
                task.tif_sve
            }
        };
        if saved_sve(self.task(t)) {
            self.sve_to_fpsimd(t, "fpsimd_signal_preserve_current_state");
        }
        // setup_sigframe_layout()/preserve_sve_context(): payload iff the same test.
        let task = self.task(t);
        let vq = if saved_sve(task) { task.vq() } else { 0 };
        let payload = if vq > 0 {
            match &task.sve_state {
                Some(b) => Some(b.clone()),
                None => {
                    let name = task.name.clone();
                    self.step_violations.push(Violation::kernel_crash(
                        "preserve_sve_context",
                        if by_fp_type {
                            format!("{name}'s fp_type is SVE but sve_state is NULL")
                        } else {
                            format!("{name} has TIF_SVE set but sve_state is NULL")
                        },
                    ));
                    return;
                }
            }
        } else {
            None
        };
        let size = sve_sig_context_size(vq).div_ceil(16) * 16;
        let frame = SigFrame {
            sig,
            fpsimd: Some(task.fpsimd_state.clone()),
            sve: Some(SveRecord {
                vl: task.vl,
                size,
                payload,
            }),
            x0: task.x0,
            retry: None,
        };
        self.task_mut(t).frames.push(frame);
        self.emit(Event::SignalDelivered { sig, sve_vq: vq });
    }

    /// `rt_sigreturn()` for `t` on `c`, with its innermost frame edited as given.
    /// Errors end in SIGSEGV (`arm64_notify_segfault`), delivered on the way out.
    pub(crate) fn rt_sigreturn(&mut self, c: CpuId, t: TaskId, edit: &FrameEdit) -> i64 {
        // restore_sigframe(): forget_syscall() first.
        self.task_mut(t).in_syscall = false;
        let Some(mut frame) = self.task_mut(t).frames.pop() else {
            return self.sigreturn_fail(t, "no signal frame on the stack");
        };
        let task_vl = self.task(t).vl;
        match edit {
            FrameEdit::AsDelivered => {}
            FrameEdit::NoSve => frame.sve = None,
            FrameEdit::HeaderOnly => {
                if let Some(s) = frame.sve.as_mut() {
                    s.size = SVE_CONTEXT_HEADER;
                    s.payload = None;
                }
            }
            FrameEdit::BadVl => {
                if let Some(s) = frame.sve.as_mut() {
                    s.vl = if task_vl == 16 { 32 } else { task_vl / 2 };
                }
            }
            FrameEdit::NoFpsimd => frame.fpsimd = None,
            FrameEdit::Truncated => {
                if let Some(s) = frame.sve.as_mut() {
                    let vq = sve_vq_from_vl(s.vl);
                    s.size = sve_sig_context_size(vq) - 16;
                    if s.size <= SVE_CONTEXT_HEADER {
                        s.size = SVE_CONTEXT_HEADER + 16;
                    }
                }
            }
        }
        let Some(fpsimd) = frame.fpsimd.clone() else {
            return self.sigreturn_fail(t, "no fpsimd_context record: -EINVAL");
        };
        match frame.sve {
            None => {
                // restore_fpsimd_context()
                self.emit(Event::Sigreturn {
                    outcome: "restore_fpsimd_context".into(),
                });
                self.task_mut(t).tif_sve = false;
                if self.kernel().p2_fp_type() {
                    self.task_mut(t).fp_type = FpType::Fpsimd;
                }
                self.fpsimd_update_current_state(c, t, fpsimd);
            }
            Some(sve) => {
                // restore_sve_fpsimd_context()
                if sve.vl != task_vl {
                    return self
                        .sigreturn_fail(t, "sve_context.vl differs from the task's VL: -EINVAL");
                }
                if sve.size <= SVE_CONTEXT_HEADER {
                    self.emit(Event::Sigreturn {
                        outcome: "restore_sve_fpsimd_context (header only)".into(),
                    });
                    self.task_mut(t).tif_sve = false;
                    if self.kernel().p2_fp_type() {
                        self.task_mut(t).fp_type = FpType::Fpsimd;
                    }
                } else {
                    let vq = sve_vq_from_vl(sve.vl);
                    if sve.size < sve_sig_context_size(vq) {
                        return self.sigreturn_fail(
                            t,
                            "sve_context.head.size too small for its VL: -EINVAL",
                        );
                    }
                    self.emit(Event::Sigreturn {
                        outcome: "restore_sve_fpsimd_context".into(),
                    });
                    // "a racing context switch must not write stale registers back".
                    self.fpsimd_flush_task_state(t);
                    self.sve_alloc(t, true);
                    let Some(payload) = sve.payload else {
                        return self.sigreturn_fail(t, "sve_context payload unreadable: -EFAULT");
                    };
                    let task = self.task_mut(t);
                    if let Some(buf) = task.sve_state.as_mut() {
                        let n = buf.bytes.len().min(payload.bytes.len());
                        buf.bytes[..n].copy_from_slice(&payload.bytes[..n]);
                        buf.origin = payload.origin.clone();
                    }
                    task.ghost_v_newest = Format::Sve;
                    task.tif_sve = true;
                    if self.kernel().p2_fp_type() {
                        self.task_mut(t).fp_type = FpType::Sve;
                    }
                }
                self.fpsimd_update_current_state(c, t, fpsimd);
            }
        }
        // The PC goes back to where the signal interrupted: an instruction whose trap was
        // returning runs again once we are back at EL0.
        self.sigreturn_retry = frame.retry.take();
        frame.x0
    }

    /// The handler's stores into its innermost frame (`frame-write`): user memory, no
    /// kernel function. Validated: the frame exists and has the records written.
    pub(crate) fn frame_write(&mut self, t: TaskId, writes: &[crate::model::op::RegWrite]) {
        use crate::model::op::Reg;
        use crate::model::regs::Origin;
        let Some(f) = self.task_mut(t).frames.last_mut() else {
            return;
        };
        let mut buf = [0u8; crate::model::regs::ZREG_MAX_BYTES];
        for w in writes {
            match w.reg {
                Reg::V(_) | Reg::Fpsr | Reg::Fpcr => {
                    let Some(fp) = f.fpsimd.as_mut() else {
                        continue;
                    };
                    let width = if matches!(w.reg, Reg::V(_)) { 16 } else { 4 };
                    let out = &mut buf[..width];
                    if w.value.materialise(out, t, w.reg).is_err() {
                        continue;
                    }
                    match w.reg {
                        Reg::V(n) => {
                            let mut b = [0u8; 16];
                            b.copy_from_slice(out);
                            fp.vregs[usize::from(n)] = u128::from_le_bytes(b);
                            fp.origin[usize::from(n)] = Origin::Task(t);
                        }
                        Reg::Fpsr => fp.fpsr = u32::from_le_bytes([out[0], out[1], out[2], out[3]]),
                        _ => fp.fpcr = u32::from_le_bytes([out[0], out[1], out[2], out[3]]),
                    }
                }
                Reg::Z(n) | Reg::P(n) => {
                    let Some(b) = f.sve.as_mut().and_then(|s| s.payload.as_mut()) else {
                        continue;
                    };
                    let (len, z) = if matches!(w.reg, Reg::Z(_)) {
                        (16 * b.vq, true)
                    } else {
                        (2 * b.vq, false)
                    };
                    let out = &mut buf[..len];
                    if w.value.materialise(out, t, w.reg).is_err() {
                        continue;
                    }
                    let n = usize::from(n);
                    if z {
                        b.zreg_mut(n).copy_from_slice(out);
                        b.origin.z_lo[n] = Origin::Task(t);
                        b.origin.z_hi[n] = Origin::Task(t);
                    } else {
                        b.preg_mut(n).copy_from_slice(out);
                        b.origin.p[n] = Origin::Task(t);
                    }
                }
                Reg::Ffr => {
                    let Some(b) = f.sve.as_mut().and_then(|s| s.payload.as_mut()) else {
                        continue;
                    };
                    let len = 2 * b.vq;
                    let out = &mut buf[..len];
                    if w.value.materialise(out, t, w.reg).is_err() {
                        continue;
                    }
                    let off = b.ffr_offset();
                    b.bytes[off..off + len].copy_from_slice(out);
                    b.origin.ffr = Origin::Task(t);
                }
            }
        }
    }

    fn sigreturn_fail(&mut self, t: TaskId, why: &'static str) -> i64 {
        self.emit(Event::Sigreturn {
            outcome: why.into(),
        });
        self.send_signal_event(t, Sig::Segv);
        0
    }
}
