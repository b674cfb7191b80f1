//! Where each check of the conformance scenarios holds, per kernel, and why the kernels
//! differ there: the `HOLDS`, `FAILS` and `GAPS` tables that `main.rs` reads (their
//! format is described there).

use svelab_core::model::kernel::{Kernel, Patch};

pub(crate) const RC1: Kernel = Kernel::V5_19Rc1;
/// The v5.19 release: rc1 plus the -rc3 KVM fix `d52d165d67c5`.
pub(crate) const REL: Kernel = Kernel::V5_19;
pub(crate) const P1: Kernel = Kernel::SeriesV1(Patch::P1);
pub(crate) const P2: Kernel = Kernel::SeriesV1(Patch::P2);
pub(crate) const P3: Kernel = Kernel::SeriesV1(Patch::P3);
pub(crate) const P4: Kernel = Kernel::SeriesV1(Patch::P4);
pub(crate) const P5: Kernel = Kernel::SeriesV1(Patch::P5);
pub(crate) const P6: Kernel = Kernel::SeriesV1(Patch::P6);
pub(crate) const P7: Kernel = Kernel::SeriesV1(Patch::P7);
pub(crate) const V6_1: Kernel = Kernel::V6_1;
pub(crate) const V6_2: Kernel = Kernel::V6_2;
pub(crate) const V6_12: Kernel = Kernel::V6_12;

/// Every kernel.
pub(crate) const ALL: &[Kernel] = &Kernel::ALL;
/// No kernel.
pub(crate) const NONE: &[Kernel] = &[];
/// The kernels whose syscall entry still clears `TIF_SVE` and disables EL0 SVE
/// (`fp_user_discard()` before patch 6, and in 6.1.192).
pub(crate) const BEFORE_P6: &[Kernel] = &[RC1, REL, P1, P2, P3, P4, P5, V6_1];
/// The kernels that keep SVE enabled across a syscall (patch 6, `8c845e273104`).
pub(crate) const FROM_P6: &[Kernel] = &[P6, P7, V6_2, V6_12];
/// The kernels without patch 6, and 6.12, whose 2024–2025 fixes (signal frame and ptrace
/// header by `fp_type`, the KVM rework) close the hole patch 6 opened for the check.
pub(crate) const BEFORE_P6_OR_FIXED: &[Kernel] = &[RC1, REL, P1, P2, P3, P4, P5, V6_1, V6_12];
/// Every kernel but series-v1/p7 (whose sysctl defaults to "don't zero").
pub(crate) const ALL_BUT_P7: &[Kernel] = &[RC1, REL, P1, P2, P3, P4, P5, P6, V6_1, V6_2, V6_12];
/// Every kernel but v1 p6/p7 (whose `sve_sync_to_fpsimd()` still trusts `TIF_SVE`).
pub(crate) const ALL_BUT_P6_P7: &[Kernel] = &[RC1, REL, P1, P2, P3, P4, P5, V6_1, V6_2, V6_12];
/// The kernels with the 2025 KVM rework (`fbc7e61195e2`: host state saved and unbound at
/// vcpu load, no hyp host save, no `HOST_SVE_ENABLED`).
pub(crate) const KVM_REWORK: &[Kernel] = &[V6_1, V6_12];
/// The kernels without `751ecf6afd65` (the SVE trap's memory branch does not unbind).
pub(crate) const BEFORE_751ECF6AFD65: &[Kernel] = &[RC1, REL, P1, P2, P3, P4, P5, P6, P7, V6_2];

/// The conformance files, with the source every scenario in them must cite.
pub(crate) const FILES: &[(&str, &str)] = &[
    ("syscall_abi.svl", "syscall-abi.c"),
    ("sve_ptrace.svl", "sve-ptrace.c"),
    ("vec_syscfg.svl", "vec-syscfg.c"),
    ("signal.svl", "testcases/"),
    ("fp_stress.svl", "fp-stress.c"),
    ("sve_rst.svl", "sve.rst"),
];

/// Where a `#check` holds.
#[derive(Debug)]
pub(crate) struct Holds {
    pub(crate) scenario: &'static str,
    pub(crate) check: &'static str,
    /// The kernels on which the condition is true.
    pub(crate) on: &'static [Kernel],
    /// Why kernels differ (the kernel function responsible), or why all agree.
    pub(crate) why: &'static str,
}

/// Every `#check` of every scenario: the kernels on which it holds.
pub(crate) const HOLDS: &[Holds] = &[
    // ---- syscall_abi.svl -----------------------------------------------------------------
    Holds {
        scenario: "syscall-abi/getpid-sve-512",
        check: "z-high-zero",
        on: ALL_BUT_P7,
        why: "v5.19..p5: fp_user_discard() clears TIF_SVE and disables EL0 SVE, so the \
              selftest's first `str z` after the svc traps and do_sve_acc() -> \
              sve_flush_live() zeroes the bits; p6/v6.2: fp_user_discard() calls \
              sve_flush_live() at entry; p7: only when abi.sve_syscall_clear_regs=1 (default 0), \
              and nothing reloads the registers, so the v6.1+ check_z() fails",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-512",
        check: "p-ffr-zero",
        on: ALL_BUT_P7,
        why: "same mechanism as z-high-zero: P0-P15 and FFR are zeroed by the trap (v5.19..p5) \
              or by the entry flush (p6, v6.2); p7 leaves them live",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-512",
        check: "p-ffr-preserved-or-zero",
        on: ALL,
        why: "the v5.19 check_p()/check_ffr() accept either; p7 preserves, the others zero",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-512",
        check: "raw-regs-flushed-at-entry",
        on: &[P6, V6_2, V6_12],
        why: "mechanism: only p6/v6.2 zero the live registers in fp_user_discard() (6.12: \
              fpsimd_syscall_enter()); before p6 (and on 6.1) the stale bits stay in the CPU \
              with the trap armed; p7 skips the flush",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-512",
        check: "sve-still-enabled",
        on: FROM_P6,
        why: "mechanism: patch 6 keeps TIF_SVE and CPACR_EL1.ZEN_EL0EN across the syscall \
              (6.12 too; 6.1.192's fp_user_discard() still clears both)",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-every-vl",
        check: "vl2048-z-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "as at VL 512 (getpid-sve-512/z-high-zero)",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-every-vl",
        check: "vl1024-z-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "as at VL 512",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-every-vl",
        check: "vl256-z-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "as at VL 512",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-every-vl",
        check: "vl128-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "at VL 128 there are no Z bits above 127, but P and FFR are still zeroed \
              (sve_flush_live(true, 0) at p6/v6.2, the trap before p6); p7 leaves them",
    },
    Holds {
        scenario: "syscall-abi/sched-yield-sve-idle",
        check: "z-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "sched_yield() to nothing: fpsimd_thread_switch() saves (FPSIMD view, \
              in_syscall) but the CPU stays bound to the task, so no reload happens and p7's \
              unflushed registers come back as they were",
    },
    Holds {
        scenario: "syscall-abi/sched-yield-sve-other",
        check: "z-p-ffr-zero",
        on: ALL,
        why: "another FP user ran: the return reloads the FPSIMD-format copy saved inside \
              the syscall (task_fpsimd_load() by fp_type at p5+, TIF_SVE clear before p6), so \
              even p7 returns zeros -- whether p7 passes the v6.1 check depends on scheduling",
    },
    Holds {
        scenario: "syscall-abi/sched-yield-sve-other",
        check: "sve-still-enabled",
        on: NONE,
        why: "mechanism: the reload from an FP_STATE_FPSIMD copy clears TIF_SVE again (p5+ \
              task_fpsimd_load()); before p6 the entry already cleared it",
    },
    Holds {
        scenario: "syscall-abi/sched-yield-sve-migrated",
        check: "z-p-ffr-zero",
        on: ALL,
        why: "coming back on another CPU always reloads (fpsimd_thread_switch(): wrong_cpu), \
              from the FPSIMD-format copy saved inside the syscall",
    },
    Holds {
        scenario: "syscall-abi/getpid-sve-sysctl-clear",
        check: "z-p-ffr-zero",
        on: ALL,
        why: "p7 with abi.sve_syscall_clear_regs=1 flushes at entry like p6; the other \
              kernels zero anyway",
    },
    // ---- sve_ptrace.svl ------------------------------------------------------------------
    Holds {
        scenario: "sve-ptrace/data-vl128",
        check: "v-read-back",
        on: ALL,
        why: "fpr_set() -> sve_sync_from_fpsimd_zeropad() keeps V in Z[127:0] whatever the format",
    },
    Holds {
        scenario: "sve-ptrace/data-vl512",
        check: "v-read-back",
        on: ALL,
        why: "fpr_set() -> sve_sync_from_fpsimd_zeropad() keeps V in Z[127:0] whatever the format",
    },
    Holds {
        scenario: "sve-ptrace/data-vl2048",
        check: "v-read-back",
        on: ALL,
        why: "fpr_set() -> sve_sync_from_fpsimd_zeropad() keeps V in Z[127:0] whatever the format",
    },
    // ---- fp_stress.svl -------------------------------------------------------------------
    Holds {
        scenario: "fp-stress/vmm-thread-survives",
        check: "z-p-ffr-survive",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: fpsimd_kvm_prepare() (patch 1) clears TIF_SVE at vcpu load but, \
              since patch 6 no longer disables EL0 SVE at syscall entry, leaves \
              CPACR_EL1.ZEN_EL0EN set; with the guest not using FP nothing reloads, so the \
              VMM runs SVE untrapped with TIF_SVE clear and fpsimd_save() keeps only V at the \
              next switch (fixed 2025 by fbc7e61195e2 \"KVM: arm64: Unconditionally \
              save+flush host FPSIMD/SVE/SME state\"). Before p6 the syscall entry disabled SVE, so the next SVE use trapped. \
              6.1/6.12 have the 2025 rework instead (fbc7e61195e2): kvm_arch_vcpu_load_fp() \
              saves and unbinds the VMM, so KVM_RUN returns through a reload that re-arms the trap",
    },
    Holds {
        scenario: "fp-stress/vmm-thread-survives",
        check: "no-violations",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: the model's invariant B1 (EL0 SVE enabled with TIF_SVE clear) flags \
              the same bug (KnownBug::KvmSveUntrappedAfterGuestExit); 6.1/6.12: the rework",
    },
    Holds {
        scenario: "fp-stress/vmm-thread-survives-nvhe",
        check: "z-p-ffr-survive",
        on: BEFORE_P6_OR_FIXED,
        why: "as under VHE: on nVHE kvm_arch_vcpu_put_fp() leaves CPACR_EL1 alone, so the \
              ZEN_EL0EN that patch 6 no longer clears at syscall entry stays set while \
              fpsimd_kvm_prepare() cleared TIF_SVE; 6.1/6.12: the rework reloads and rebinds",
    },
    Holds {
        scenario: "fp-stress/vmm-thread-survives-second-run",
        check: "z-p-ffr-survive",
        on: &[REL, V6_1, V6_2, V6_12],
        why: "v5.19-rc1 and the v1 series (based on rc1): kvm_arch_vcpu_load_fp() only ever \
              sets KVM_ARM64_HOST_SVE_ENABLED (sampled when another task's SVE use had left \
              ZEN_EL0EN set on this CPU) and never clears it, so the VHE put of the second \
              KVM_RUN re-enables EL0 SVE for a VMM whose TIF_SVE is clear and its next save \
              keeps only V. Fixed in v5.19-rc3 by d52d165d67c5 \"KVM: arm64: Always start \
              with clearing SVE flag on load\", which the v5.19 release and v6.2 have; 6.1/6.12 have no such flag \
              after the 2025 rework (the put writes no CPACR bit)",
    },
    Holds {
        scenario: "fp-stress/vmm-thread-survives-second-run",
        check: "no-violations",
        on: &[REL, V6_1, V6_2, V6_12],
        why: "the model's invariant B1 flags the same state (KnownBug::StickyHostSveEnabled)",
    },
    Holds {
        scenario: "fp-stress/vmm-guest-uses-fp",
        check: "v-survives",
        on: &[RC1, REL, P1, P2, P3, P4, P6, P7, V6_1, V6_2, V6_12],
        why: "p5 alone: hyp's first guest FP trap saves the VMM's V into uw.fpsimd_state \
              without updating its fp_type, which still says SVE from the earlier \
              preemption (TIF_SVE was cleared by the syscall entry, so \
              fpsimd_kvm_prepare() converted nothing); patch 5's task_fpsimd_load() trusts \
              fp_type and reloads the stale sve_state. p2..p4 still load by TIF_SVE (right \
              data); from p6 TIF_SVE survives the entry and fpsimd_kvm_prepare() sets \
              fp_type FPSIMD; 6.1/6.12: hyp saves nothing, the kernel's own save at vcpu load \
              records fp_type",
    },
    Holds {
        scenario: "fp-stress/vmm-guest-uses-fp",
        check: "no-violations",
        on: &[RC1, REL, P1, P6, P7, V6_1, V6_2, V6_12],
        why: "p2..p5: patch 2's WARN_ON_ONCE in task_fpsimd_load() fires (fp_type SVE, \
              FPSIMD load at p2..p4; at p5 the stale load itself); \
              KnownBug::HypHostSaveLeavesFpType. 6.1 has patch 2 without 5 or 6 but also the \
              rework, so no hyp host save",
    },
    Holds {
        scenario: "fp-stress/sve-trap-preempted-and-migrated",
        check: "no-violations",
        on: KVM_REWORK,
        why: "6.1 and 6.12 have the fix (751ecf6afd65: the memory branch ends with \
              fpsimd_flush_task_state(), so the return reloads and rebinds). Every other kernel \
              here: sve_init_regs()'s memory branch (state not live) sets TIF_SVE \
              without fpsimd_flush_task_state(), so back on the first CPU \
              fpsimd_thread_switch() trusts the old binding (fpsimd_cpu unchanged), clears \
              TIF_FOREIGN_FPSTATE and returns to EL0 with the trap still armed: the retried \
              instruction traps again and do_sve_acc() WARNs (\"SVE access shouldn't have \
              trapped\"). Fixed in 2024 by 751ecf6afd65 (CVE-2024-50275)",
    },
    Holds {
        scenario: "fp-stress/sve-trap-preempted-and-migrated-save",
        check: "kernel-crash",
        on: BEFORE_751ECF6AFD65,
        why: "same race (not on 6.1/6.12, which have the fix); the binding reused on the first CPU was made before sve_alloc() \
              (fpsimd_bind_task_to_cpu() copied sve_state == NULL), TIF_SVE is now set and \
              RDVL matches last->sve_vl, so fpsimd_save() calls sve_save_state() on \
              NULL + sve_ffr_offset(): an oops in the real kernel. The model reports it as \
              kernel-crash in fpsimd_save (bugs.rs does not attribute it to \
              SveTrapMemoryBranchKeepsBinding)",
    },
    Holds {
        scenario: "fp-stress/sve-trap-preempted-and-migrated-save",
        check: "no-violations",
        on: KVM_REWORK,
        why: "see kernel-crash: present on every kernel modelled but 6.1 and 6.12 (fixed 2024, \
              751ecf6afd65)",
    },
    Holds {
        scenario: "fp-stress/signal-during-sve-trap",
        check: "handler-sees-interrupted-state",
        on: ALL,
        why: "every kernel: do_notify_resume() delivers the signal before returning to the \
              trapping instruction; the frame's PC is that instruction, so the handler runs \
              with the interrupted registers and the instruction executes after sigreturn \
              (the model records it in the frame: SigFrame::retry)",
    },
    // ---- sve_rst.svl ---------------------------------------------------------------------
    Holds {
        scenario: "sve-rst/s3-other-bits-after-syscall",
        check: "zero-after-getpid",
        on: ALL_BUT_P7,
        why: "p7 with abi.sve_syscall_clear_regs=0 (default) skips sve_flush_live() in \
              fp_user_discard() and nothing reloads, so the bits survive -- allowed by the v5.19 \
              text (\"unspecified\"), not by the v6.1 text (\"zero\"); the others zero them \
              (trap before p6, entry flush at p6/v6.2)",
    },
    Holds {
        scenario: "sve-rst/s3-other-bits-after-syscall",
        check: "zero-after-kernel-neon",
        on: ALL,
        why: "kernel_neon_begin() saves (FPSIMD view, in a syscall) and unbinds, so every kernel \
              reloads an FPSIMD copy and the next SVE use starts from zeros -- even p7",
    },
    Holds {
        scenario: "sve-rst/s4-registers-after-syscall",
        check: "frame-carries-registers",
        on: &[P6, P7, V6_2],
        why: "setup_sigframe_layout()/preserve_sve_context() emit the registers iff TIF_SVE; \
              before p6 (and on 6.1) fp_user_discard() cleared TIF_SVE at the kill() entry, \
              from p6 it stays set and the delivery (after forget_syscall()) does a full SVE \
              save. 6.12 keys the payload on fp_type (61da7c8e2a60) and the delivery's save \
              is FPSIMD-only, because the window fpsimd_syscall_enter() opened is still open: \
              no payload. All allowed (\"may or may not be included\")",
    },
    Holds {
        scenario: "sve-rst/s4-registers-after-syscall",
        check: "z-p-ffr-zero",
        on: ALL_BUT_P7,
        why: "p7 does not flush at the kill() entry, so the frame records the old Z/P/FFR and \
              sigreturn restores them (allowed by the v5.19 text, not by the v6.1 text)",
    },
    Holds {
        scenario: "sve-rst/s4-frame-after-blocking-syscall",
        check: "v-restored",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: fpsimd_signal_preserve_current_state() skips the save \
              (TIF_FOREIGN_FPSTATE) and, because TIF_SVE is still set, sve_to_fpsimd() copies \
              the stale sve_state over the good V saved inside the syscall; the frame (and so \
              sigreturn) gets the stale values. Fixed by 61da7c8e2a60 (v6.8) \"arm64/signal: \
              Don't assume that TIF_SVE means we saved SVE state\", which 6.12 has",
    },
    Holds {
        scenario: "sve-rst/s4-frame-after-blocking-syscall",
        check: "no-violations",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: the stale-sve-state check flags the same bug in \
              fpsimd_signal_preserve_current_state()",
    },
    Holds {
        scenario: "sve-rst/s6-vl-change-keeps-v",
        check: "v-kept",
        on: BEFORE_P6,
        why: "p6/p7/v6.2/6.12: vec_set_vector_length() saves inside the syscall (FPSIMD view \
              only: in_syscall(), 6.12 the to_save window) then converts on test_and_clear(TIF_SVE), which patch 6 left set: \
              sve_to_fpsimd() copies the stale sve_state (zeros from the trap) over V. Fixed \
              2025 by 49ce484187f7 \"ptrace/prctl: Ensure VL changes do not resurrect stale \
              data\", which 6.12 lacks",
    },
    Holds {
        scenario: "sve-rst/s6-vl-change-keeps-v",
        check: "no-violations",
        on: BEFORE_P6,
        why: "p6/p7/v6.2/6.12: the stale-sve-state check flags the same bug in \
              vec_set_vector_length()",
    },
    Holds {
        scenario: "sve-rst/s7-read-after-syscall",
        check: "sve-read-matches",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: sve_init_header_from_task() picks SVE_PT_REGS_SVE from TIF_SVE, which \
              survives the syscall, although the copy saved inside the syscall is FPSIMD \
              (fp_type FPSIMD): the payload is the stale sve_state. Fixed by b017a0cea627 (2024) \
              \"arm64/ptrace: Use saved floating point state type to determine SVE layout\", \
              which 6.12 has",
    },
    Holds {
        scenario: "sve-rst/s7-read-after-syscall",
        check: "fpr-read-matches",
        on: ALL_BUT_P6_P7,
        why: "p6/p7: fpr_get() -> sve_sync_to_fpsimd() converts when TIF_SVE is set and copies \
              stale Z[127:0] over the good V (in uw.fpsimd_state itself); v6.2 and 6.12 key it \
              on fp_type == FP_STATE_SVE (bbc6172eefdb, a v3 patch); 6.1 keys it on TIF_SVE, \
              which its syscall entry cleared",
    },
    Holds {
        scenario: "sve-rst/s7-read-after-syscall",
        check: "v-after-resume",
        on: ALL_BUT_P6_P7,
        why: "p6/p7: that NT_PRFPREG *read* overwrote the tracee's saved V, which the resumed \
              task reloads: the debugger corrupted the tracee",
    },
    Holds {
        scenario: "sve-rst/s7-read-after-syscall",
        check: "no-violations",
        on: BEFORE_P6_OR_FIXED,
        why: "p6/p7/v6.2: the stale-sve-state check flags sve_get_common() (and at p6/p7 \
              sve_sync_to_fpsimd())",
    },
    Holds {
        scenario: "sve-rst/s7-vl-change-keeps-fpsimd",
        check: "in-syscall-v-kept",
        on: BEFORE_P6,
        why: "p6/p7/v6.2/6.12: vec_set_vector_length() on a tracee stopped in a syscall \
              (TIF_SVE still set, FPSIMD-format copy) converts with sve_to_fpsimd() from the stale \
              sve_state. Fixed 2025 (49ce484187f7), not in 6.12",
    },
    Holds {
        scenario: "sve-rst/s7-payload-omitted",
        check: "at-el0-v-kept",
        on: NONE,
        why: "all kernels: sve_set_common() runs sve_alloc() (which zeroes the existing buffer; \
              v6.2: sve_alloc(t, true)) and fpsimd_sync_to_sve() re-seeds V only when TIF_SVE is \
              clear, so a header-only SVE_PT_REGS_SVE write to an SVE-live tracee zeroes V too. \
              Fixed 2025, \"arm64/fpsimd: ptrace: Consistently handle partial writes to \
              NT_ARM_(S)SVE\", in neither 6.1 nor 6.12",
    },
    Holds {
        scenario: "sve-rst/s7-payload-omitted",
        check: "in-syscall-v-kept",
        on: BEFORE_P6,
        why: "before p6 (and on 6.1) the syscall entry cleared TIF_SVE, so fpsimd_sync_to_sve() \
              seeds V; from p6 (6.12 too) TIF_SVE survives the syscall and the write zeroes V as \
              for a tracee stopped at EL0",
    },
    Holds {
        scenario: "sve-rst/s7-eio",
        check: "in-syscall-fpsimd-preserved",
        on: BEFORE_P6,
        why: "p6/p7/v6.2/6.12: the VL change done before the -EIO (vec_set_vector_length()) \
              converts from the stale sve_state of a tracee stopped in a syscall. Fixed 2025 \
              (49ce484187f7), not in 6.12",
    },
];

/// Where an `#error` statement fails.
#[derive(Debug)]
pub(crate) struct Fails {
    pub(crate) scenario: &'static str,
    pub(crate) name: &'static str,
    pub(crate) on: &'static [Kernel],
    pub(crate) why: &'static str,
}

/// Every `#error` of every scenario: the kernels on which the statement is a step error.
pub(crate) const FAILS: &[Fails] = &[
    Fails {
        scenario: "syscall-abi/getpid-sve-sysctl-clear",
        name: "no-sysctl",
        on: ALL_BUT_P7,
        why: "/proc/sys/abi/sve_syscall_clear_regs is registered only by patch 7 \
              (sve_syscall_sysctl_init() in syscall.c), never merged",
    },
    Fails {
        scenario: "sve-rst/s9-write-default",
        name: "einval",
        on: ALL,
        why: "vec_proc_do_default_vl(): a value that is not -1 and not sve_vl_valid() is -EINVAL",
    },
];

/// Scenarios where the model disagrees with the kernel source: skipped by the per-file
/// tests, each run by an ignored test below. Empty: the one gap found (a signal delivered on
/// the return from a preempted SVE trap ran the retried instruction in the handler) was
/// fixed in the model.
pub(crate) const GAPS: &[(&str, &str)] = &[];
