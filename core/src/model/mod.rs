//! The model: the arm64 FPSIMD/SVE/KVM state machine. Every import goes down these floors:
//!
//! 1. [`kernel`] (the kernels and their gates), [`types`] (ids and small enums),
//!    [`digest`] (a 128-bit content hash) and [`shared`] (copy-on-write register storage);
//! 2. [`regs`] (register file and buffers), [`event`] (events, counters),
//!    [`violation`] (a broken rule, as data);
//! 3. the state: [`uapi`] (frame and regset layouts), [`vcpu`], [`machine`], [`sysctl`]
//!    (the `/proc/sys/abi` files and what a write does to the configuration);
//!    and [`op`], the operations as data;
//! 4. the kernel's files: [`fpsimd`] (`arch/arm64/kernel/fpsimd.c`), then [`signal`],
//!    [`syscall`], [`ptrace`] and [`kvm`] above it;
//! 5. the kernel's paths across those files: [`sched`] (context switch, resume, exit) and
//!    [`entry`] (entries from EL0, signals sent, the return to user);
//! 6. [`step`]: validating one operation and carrying it out in the kernel's order;
//! 7. checks and views: [`invariants`], [`oracle`], [`view`], [`lazy`] (the lazy-restore
//!    state machine of a task, as the playground draws it), [`bugs`].

pub mod digest;
pub mod kernel;
pub mod shared;
pub mod types;

pub mod event;
pub mod regs;
pub mod violation;

pub mod machine;
pub mod op;
pub mod sysctl;
pub mod uapi;
pub mod vcpu;

pub mod fpsimd;
pub mod kvm;
pub mod ptrace;
pub mod signal;
pub mod syscall;

pub mod entry;
pub mod sched;

pub mod step;

pub mod bugs;
pub mod invariants;
pub mod lazy;
pub mod oracle;
pub mod view;
