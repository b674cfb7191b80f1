use super::*;

macro_rules! course_files {
    ($($p:literal),* $(,)?) => {
        &[$(($p, include_str!(concat!("../../../lessons/", $p)))),*]
    };
}

/// Every file of the built-in course (`lessons/` minus its README), embedded at build time.
/// The author check and the test suite make sure this list and the directory agree.
pub const BUILTIN_FILES: &[(&str, &str)] = course_files![
    "01-registers/exercises.toml",
    "01-registers/lesson.md",
    "01-registers/registers.svl",
    "01-registers/sizes.svl",
    "02-lazy-restore/exercises.toml",
    "02-lazy-restore/kthread.svl",
    "02-lazy-restore/lesson.md",
    "02-lazy-restore/migrate.svl",
    "03-first-sve-use/exercises.toml",
    "03-first-sve-use/lesson.md",
    "03-first-sve-use/trap.svl",
    "03-first-sve-use/trap_preempted.svl",
    "04-syscalls-v5.19/exercises.toml",
    "04-syscalls-v5.19/getpid.svl",
    "04-syscalls-v5.19/lesson.md",
    "04-syscalls-v5.19/loop.svl",
    "05-patch6-keep-sve/exercises.toml",
    "05-patch6-keep-sve/keep.svl",
    "05-patch6-keep-sve/lesson.md",
    "05-patch6-keep-sve/neon_migrate.svl",
    "05-patch6-keep-sve/switch.svl",
    "06-patch7-abi/clear_regs.svl",
    "06-patch7-abi/exercises.toml",
    "06-patch7-abi/keep_bits.svl",
    "06-patch7-abi/lesson.md",
    "07-signals/bad_frames.svl",
    "07-signals/deliver.svl",
    "07-signals/exercises.toml",
    "07-signals/from_syscall.svl",
    "07-signals/lesson.md",
    "08-fork-exec-prctl/exercises.toml",
    "08-fork-exec-prctl/fork.svl",
    "08-fork-exec-prctl/lesson.md",
    "08-fork-exec-prctl/set_vl.svl",
    "09-ptrace/exercises.toml",
    "09-ptrace/lesson.md",
    "09-ptrace/regsets.svl",
    "09-ptrace/syscall_stop.svl",
    "10-kvm/borrow.svl",
    "10-kvm/exercises.toml",
    "10-kvm/lesson.md",
    "10-kvm/prepare.svl",
    "10-kvm/to_save.svl",
    "11-later-bugs/exercises.toml",
    "11-later-bugs/kvm_trap.svl",
    "11-later-bugs/lesson.md",
    "11-later-bugs/ptrace_header.svl",
    "11-later-bugs/signal_frame.svl",
    "12-explore/exercises.toml",
    "12-explore/lesson.md",
    "12-explore/real_check.svl",
    "12-explore/sticky.svl",
];

/// The course in `lessons/`, embedded in the binary (and the wasm bundle).
///
/// # Panics
/// Never in a build that passed the test suite: `tests/tests/lessons.rs` parses it.
pub fn builtin_course() -> Course {
    match Course::parse(BUILTIN_FILES) {
        Ok(c) => c,
        Err(e) => panic!(
            "the built-in course does not parse: {}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

// =======================================================================================
// A small subset of TOML
