//! `cargo xtask real`: boots pinned Debian arm64 kernels under QEMU and runs the scenario
//! runner inside them.
//!
//! * [`kernels`]: the pinned kernels, the host tools, and the kernel/module cache.
//! * [`build`]: cross-compiles the freestanding runner with `aarch64-linux-gnu-gcc`.
//! * [`initramfs`]: a pure-Rust cpio "newc" writer for the initramfs.
//! * [`qemu`]: boots one kernel under `qemu-system-aarch64` and collects its console.

pub mod build;
pub mod initramfs;
pub mod kernels;
pub mod qemu;
pub mod run;
