//! The model's fields: what each means, and which kernel functions write it (the "who last
//! wrote this field" table behind the REPL's `:why`).

use crate::model::event::{Counter, Event};

/// Model fields, with what they mean (`:explain TIF_SVE`).
pub const FIELDS: &[(&str, &str)] = &[
    ("TIF_SVE", "Task flag. On v5.19 it means two things: EL0 may use SVE without trapping, and the saved state is in SVE format. The series separates them: from patch 2 fp_type records the format, from patch 5 loads follow fp_type, and after patch 6 TIF_SVE only says whether EL0 SVE is enabled (it stays set across a syscall)."),
    ("TIF_FOREIGN_FPSTATE", "Task flag: the CPU's registers are not this task's newest state, so the copy in memory is authoritative and must be loaded before the task returns to EL0."),
    ("TIF_SVE_VL_INHERIT", "Task flag: keep the deferred VL (vl_onexec) across exec (PR_SVE_VL_INHERIT)."),
    ("fp_type", "Patch 2+: the format of the task's (or vCPU's) saved state, FP_STATE_FPSIMD or FP_STATE_SVE. Shown as \"n/a before patch 2\" on kernels that do not have it."),
    ("fpsimd_cpu", "The CPU whose registers were last loaded with or bound to the task's state; NR_CPUS (shown as none) after a flush."),
    ("last.st", "fpsimd_last_state.st of a CPU: whose state the CPU's registers hold (a task's or a vCPU's), or NULL for nobody's. The `owner` field derives fresh/stale from it and the task's fpsimd_cpu."),
    ("owner", "Derived: whose state a CPU's registers hold, and whether that binding is still valid for the task (fresh) or another CPU has its newer state (stale)."),
    ("last.to_save", "Patch 3+: what fpsimd_save() must store for the bound state: CURRENT (decide from the task) or explicitly FPSIMD/SVE (KVM's guest state). 6.12 also sets FPSIMD at every syscall entry, until a bind or the syscall's exit."),
    ("CPACR_EL1.ZEN_EL0EN", "The EL0 SVE enable: when clear, an SVE instruction at EL0 traps to do_sve_acc()."),
    ("ZCR_EL1.LEN", "The CPU's vector length, as VQ - 1 (quadwords minus one)."),
    ("sve_state", "The task's buffer for Z0-Z31, P0-P15 and FFR at its VL (FPSR/FPCR stay in uw.fpsimd_state); NULL until the first SVE use."),
    ("fpsimd_state", "thread.uw.fpsimd_state: V0-V31, FPSR, FPCR, the FPSIMD format of the saved state."),
    ("in_syscall", "regs->syscallno != NO_SYSCALL: the task is inside a syscall. From patch 6 saves taken then are FPSIMD only. 6.12 replaces that rule by the per-CPU to_save window (fpsimd_syscall_enter/exit)."),
    ("vl", "The task's SVE vector length, in bits in the DSL (the kernel keeps bytes)."),
    ("vl_onexec", "A vector length deferred to the next exec (PR_SVE_SET_VL_ONEXEC); 0 = none."),
    ("home", "Derived: where the task's newest state is: live on a CPU, or in memory in the format the next load will use."),
    ("fp_owner", "A vCPU's FP ownership: whose registers are live while the vCPU is loaded (host, guest or nobody)."),
    ("host_sve_enabled", "HOST_SVE_ENABLED: EL0 SVE was enabled when the vCPU was loaded; under VHE vcpu_put restores it."),
];

/// Functions that write a field, for `:why` (the last of them in a step is named).
pub fn writers(field: &str) -> &'static [&'static str] {
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "TIF_SVE" => &[
            "do_sve_acc",
            "fp_user_discard",
            "task_fpsimd_load",
            "fpsimd_kvm_prepare",
            "update_thread_flag",
            "vec_set_vector_length",
            "restore_sigframe",
            "fpsimd_flush_thread",
            "arch_dup_task_struct",
            "sve_set",
            "fpr_set",
        ],
        "TIF_FOREIGN_FPSTATE" => &[
            "fpsimd_flush_task_state",
            "fpsimd_thread_switch",
            "fpsimd_flush_cpu_state",
            "task_fpsimd_load",
            "fpsimd_bind_task_to_cpu",
            "kvm_arch_vcpu_ctxsync_fp",
            "kernel_neon_begin",
            "fpsimd_cpu_pm_notifier",
        ],
        "ZEN_EL0EN" => &[
            "sve_user_enable",
            "sve_user_disable",
            "fpsimd_bind_task_to_cpu",
        ],
        "LEN" | "vl" if field.contains("ZCR") || field.starts_with("cpu") => &["sve_set_vq"],
        "vl" | "vl_onexec" | "TIF_SVE_VL_INHERIT" => {
            &["vec_set_vector_length", "fpsimd_flush_thread"]
        }
        "fp_type" => &["fp_type", "fpsimd_save"],
        "fpsimd_cpu" => &["fpsimd_bind_task_to_cpu", "fpsimd_flush_task_state"],
        "st" | "owner" | "sve_state" | "sve_vl" | "to_save"
            if field.contains("last") || field.ends_with("owner") =>
        {
            &[
                "fpsimd_bind_task_to_cpu",
                "fpsimd_bind_state_to_cpu",
                "fpsimd_flush_cpu_state",
                "fpsimd_cpu_dead",
            ]
        }
        "sve_state" | "size" | "generation" | "vq" => {
            &["sve_alloc", "sve_free", "fpsimd_release_task"]
        }
        "curr" | "where" | "state" | "resume" | "level" => {
            &["fpsimd_thread_switch", "do_exit", "el0_svc", "do_sve_acc"]
        }
        "in_syscall" => &["el0_svc", "el0_interrupt"],
        "frames" | "pending" | "sig" => &[
            "setup_rt_frame",
            "restore_sigframe",
            "send_signal",
            "force_signal_inject",
        ],
        _ => &[
            "fpsimd_save",
            "task_fpsimd_load",
            "sve_flush_live",
            "sve_to_fpsimd",
            "fpsimd_to_sve",
            "sve_sync_from_fpsimd_zeropad",
            "kernel_neon_begin",
            "kvm_hyp_handle_fpsimd",
            "restore_sigframe",
            "sve_alloc",
        ],
    }
}

/// The kernel function that wrote `path` in a step whose events are `events`: a counter is
/// written by the function that counts it (`do_sve_acc` for `traps`, not `sve_flush_live`,
/// which merely ran in the same step); any other field by the last event of the step whose
/// function can write it ([`writers`]). `None` when no such function ran (the instruction
/// or the statement itself wrote it).
pub fn writer_of<'a>(
    path: &str,
    events: impl DoubleEndedIterator<Item = &'a Event>,
) -> Option<&'a str> {
    let mut events = events.rev();
    match path.rsplit('.').next().and_then(Counter::parse) {
        Some(c) => events.find(|e| e.counter() == Some(c)).map(Event::function),
        None => {
            let ws = writers(path);
            events.map(Event::function).find(|f| ws.contains(f))
        }
    }
}
