//! The playground's view model: plain Rust, no DOM, tested natively and in the browser.
//!
//! * [`player`] drives a [`svelab_core::Session`]: scanning in slices, positions, frames.
//! * [`snapshot`] is what the views draw at one position, and what changed.
//! * [`regfmt`] draws register values (hex / bytes / lanes, 128-bit granules).
//! * [`lazy`] is the lazy-restore state diagram of a task.
//! * [`chart`] keeps counters over time and lays the chart out.
//! * [`highlight`] colours the script and places parse errors.
//! * [`share`] (from svelab-core) encodes and decodes share links.
//! * [`keys`] is the keyboard shortcut table.
//! * [`course`] reads the course file the bundle carries (`lessons.json`).
//! * [`page`] holds the page's small decisions: the kernel menu's label, the share banner,
//!   the autosaved draft, when to ask before replacing the script, compare mode's range.

pub mod app;
pub mod chart;
pub mod complete;
pub mod course;
pub mod highlight;
pub mod keys;
pub mod lazy;
pub mod page;
pub mod player;
pub mod regfmt;
pub use svelab_core::share;
pub mod snapshot;

/// The example a first visitor sees.
pub const GETPID_LOOP: &str = "\
# The getpid loop: a task does SVE work, then a syscall, again and again.
# On v5.19 every syscall drops the task's SVE state, so the next SVE
# instruction traps again. Press c to compare with series-v1.
task A vl=512 on=cpu0
repeat 100 {
  sve-op A z0=fill(0xaa) p0=ones
  svc A getpid
}
";

/// 10,002 steps: the trace the per-step render time is measured on.
pub const TEN_K_STEPS: &str = "\
# 10,002 steps: two tasks, SVE work, syscalls and context switches.
task A vl=512 on=cpu0
task B vl=256
repeat 2500 { sve-op A z0=fill(0xaa) p1=0x0f; svc A getpid; ctxsw cpu0 B; ctxsw cpu0 A }
";

/// The examples menu: a title and a script.
pub const EXAMPLES: [(&str, &str); 5] = [
    ("The getpid loop", GETPID_LOOP),
    (
        "Lazy restore: two tasks, one CPU",
        "\
# A is switched out for the idle task: its registers stay on cpu0
# (cached), so switching back needs no reload. Once B has run there,
# A must be reloaded.
task A vl=512 on=cpu0
task B vl=256
sve-op A z0=fill(0x11)
ctxsw cpu0 idle       # A cached: cpu0 still holds its state
ctxsw cpu0 A          # no reload (no task_fpsimd_load)
ctxsw cpu0 B          # B's state is loaded over A's
ctxsw cpu0 A          # A is reloaded (task_fpsimd_load)
expect A.z0 == fill(0x11)
",
    ),
    (
        "Signals save SVE state in the frame",
        "\
task A vl=512 on=cpu0
sve-op A z0=fill(0x11)
signal A SIGUSR1
expect A.frames == 1
expect A.frame.sve == sve
svc A sigreturn
expect A.z0 == fill(0x11)
",
    ),
    (
        "KVM: a guest uses SVE",
        "\
task VMM on=cpu0
vcpu V0 sve vl=512
sve-op VMM z0=fill(0x44)
kvm-enter VMM V0
guest-sve-op V0 z0=fill(0x33)
expect V0.fp_owner == guest
kvm-exit V0
kvm-exit V0 to-user
expect VMM.level == user
",
    ),
    ("10,000 steps (performance)", TEN_K_STEPS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_runs_to_its_end_and_passes_its_expects() {
        for (title, src) in EXAMPLES {
            let mut p = player::Player::load(src, None, player::PAGE_BUDGET)
                .unwrap_or_else(|d| panic!("{title}: {d:?}"));
            p.scan_all();
            assert_eq!(p.stop(), Some(&player::Stop::End), "{title}");
            assert!(p.expect_failures().is_empty(), "{title}");
        }
    }
}
