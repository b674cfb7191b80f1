//! The `/proc/sys/abi/` files of the model's kernels, and what a write to each does to the
//! configuration: the proc handlers' rules live here, beside the state they change, so that
//! the session only reports them.
//!
//! * `abi.sve_default_vector_length` (`arch/arm64/kernel/fpsimd.c`,
//!   `vec_proc_do_default_vl()`): bytes; `-1` means the maximum; a value that is not a
//!   valid vector length is `-EINVAL`; anything else is clamped and rounded down to a
//!   supported length (`find_supported_vector_length()`). It applies at the next exec.
//! * `abi.sve_syscall_clear_regs` (series v1 patch 7 only, never merged): `0` or `1`; on
//!   every other kernel the file does not exist.

use serde::{Deserialize, Serialize};

use super::kernel::Kernel;
use super::machine::Config;
use super::regs::sve_vl_valid;

/// A sysctl the model knows (`/proc/sys/abi/…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sysctl {
    /// `abi.sve_default_vector_length`, in bytes; `-1` = the maximum.
    SveDefaultVectorLength,
    /// `abi.sve_syscall_clear_regs` (series v1 patch 7 only).
    SveSyscallClearRegs,
}

impl Sysctl {
    /// Every sysctl, in the order the docs list them.
    pub const ALL: [Sysctl; 2] = [Sysctl::SveDefaultVectorLength, Sysctl::SveSyscallClearRegs];

    /// The name as written in scripts (`sysctl NAME = VALUE`).
    pub fn name(self) -> &'static str {
        match self {
            Sysctl::SveDefaultVectorLength => "abi.sve_default_vector_length",
            Sysctl::SveSyscallClearRegs => "abi.sve_syscall_clear_regs",
        }
    }

    /// The sysctl named `name`.
    pub fn parse(name: &str) -> Option<Sysctl> {
        Sysctl::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Its file under `/proc/sys`.
    pub fn path(self) -> String {
        format!("/proc/sys/{}", self.name().replace('.', "/"))
    }

    /// Does the file exist on `kernel`?
    pub fn exists_on(self, kernel: Kernel) -> bool {
        match self {
            Sysctl::SveDefaultVectorLength => true,
            Sysctl::SveSyscallClearRegs => kernel.p7_syscall_clear_regs_sysctl(),
        }
    }
}

/// A write the kernel refuses: what the writer sees, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysctlError {
    /// What happened (`write 5 to …: Invalid argument (EINVAL)`).
    pub message: String,
    /// What the file takes.
    pub hint: String,
}

impl Config {
    /// The default vector length a write of `requested` to `abi.sve_default_vector_length`
    /// gives on this hardware (`-1` = the maximum; else clamped and rounded down). Also what
    /// a change of the hardware's vector lengths re-derives from the value written.
    pub fn default_vl_for(&self, requested: i64) -> u16 {
        if requested < 0 {
            self.max_vl()
        } else {
            self.find_supported_vector_length(u32::try_from(requested).unwrap_or(u32::MAX))
        }
    }

    /// Switches to `kernel`; a sysctl the new kernel does not have is back at its default
    /// (`abi.sve_syscall_clear_regs` off), so its value never leaks into another kernel.
    pub fn set_kernel(&mut self, kernel: Kernel) {
        self.kernel = kernel;
        if !Sysctl::SveSyscallClearRegs.exists_on(kernel) {
            self.sve_syscall_clear_regs = false;
        }
    }

    /// Writes `value` to `which` as the kernel's proc handler does, and says what it set.
    pub fn write_sysctl(&mut self, which: Sysctl, value: i64) -> Result<String, SysctlError> {
        let einval = |hint: &str| SysctlError {
            message: format!(
                "write {value} to {}: Invalid argument (EINVAL)",
                which.name()
            ),
            hint: hint.into(),
        };
        if !which.exists_on(self.kernel) {
            return Err(SysctlError {
                message: format!(
                    "no such sysctl on this kernel ({}): {} does not exist",
                    self.kernel.name(),
                    which.path()
                ),
                hint: "abi.sve_syscall_clear_regs exists only with patch 7 of the series: \
                       `kernel series-v1/p7` (= series-v1)"
                    .into(),
            });
        }
        match which {
            Sysctl::SveDefaultVectorLength => {
                let valid = value == -1 || u32::try_from(value).is_ok_and(sve_vl_valid);
                if !valid {
                    return Err(einval(
                        "the file takes a vector length in BYTES: a multiple of 16 (16 = 128 bits … \
                         256 = 2048 bits), or -1 for the maximum",
                    ));
                }
                let vl = self.default_vl_for(value);
                self.sve_default_vl = vl;
                Ok(format!(
                    "{} = {} bytes ({} bits; applies at the next exec)",
                    which.name(),
                    vl,
                    u32::from(vl) * 8
                ))
            }
            Sysctl::SveSyscallClearRegs => {
                if !(0..=1).contains(&value) {
                    return Err(einval("the file takes 0 or 1"));
                }
                self.sve_syscall_clear_regs = value == 1;
                Ok(format!("{} = {value}", which.name()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kernel::Patch;

    fn config(kernel: Kernel) -> Config {
        Config {
            kernel,
            vls: vec![16, 32, 64].into(),
            ..Config::default()
        }
    }

    /// `vec_proc_do_default_vl()`: -1 is the maximum, a valid length is rounded down to a
    /// supported one, anything else is -EINVAL and changes nothing.
    #[test]
    fn default_vector_length_follows_the_proc_handler() {
        let mut c = config(Kernel::V6_2);
        assert!(c.write_sysctl(Sysctl::SveDefaultVectorLength, -1).is_ok());
        assert_eq!(c.sve_default_vl, 64);
        c.write_sysctl(Sysctl::SveDefaultVectorLength, 48).unwrap();
        assert_eq!(c.sve_default_vl, 32, "48 bytes rounds down to 32");
        c.write_sysctl(Sysctl::SveDefaultVectorLength, 512).unwrap();
        assert_eq!(c.sve_default_vl, 64, "clamped to the maximum");
        for bad in [0, 17, -2, 8208, i64::MAX] {
            let e = c
                .write_sysctl(Sysctl::SveDefaultVectorLength, bad)
                .unwrap_err();
            assert!(e.message.contains("EINVAL"), "{bad}: {e:?}");
            assert_eq!(c.sve_default_vl, 64, "a refused write changes nothing");
        }
    }

    /// `abi.sve_syscall_clear_regs` exists only on patch 7 and takes 0 or 1.
    #[test]
    fn clear_regs_exists_only_on_patch_7() {
        for k in Kernel::ALL {
            let mut c = config(k);
            let r = c.write_sysctl(Sysctl::SveSyscallClearRegs, 1);
            assert_eq!(r.is_ok(), k == Kernel::SeriesV1(Patch::P7), "{}", k.name());
            if let Err(e) = r {
                assert!(
                    e.message.contains("/proc/sys/abi/sve_syscall_clear_regs"),
                    "{e:?}"
                );
                assert!(!c.sve_syscall_clear_regs);
            }
        }
        let mut c = config(Kernel::SeriesV1(Patch::P7));
        assert!(c.write_sysctl(Sysctl::SveSyscallClearRegs, 2).is_err());
        c.write_sysctl(Sysctl::SveSyscallClearRegs, 1).unwrap();
        assert!(c.sve_syscall_clear_regs);
        c.write_sysctl(Sysctl::SveSyscallClearRegs, 0).unwrap();
        assert!(!c.sve_syscall_clear_regs);
    }
}
