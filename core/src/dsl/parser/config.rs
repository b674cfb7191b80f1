//! Configuration statements: `kernel`, `cpus`, `vls`, `kvm-mode`, `sysctl`, `task`, `vcpu`.

use super::lex::{PResult, StmtParser};
use crate::dsl::ast::*;
use crate::model::kernel::Kernel;
use crate::model::vcpu::KvmMode;

/// `kernel NAME`.
pub(super) fn kernel(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let w = p.word("a kernel name")?;
    match Kernel::parse(&w.name) {
        Ok(k) => Ok(StmtKind::Kernel(k)),
        Err(e) => {
            p.err(
                w.span,
                format!("unknown kernel `{}`", w.name),
                e.to_string(),
            );
            Err(())
        }
    }
}

/// `cpus N`.
pub(super) fn cpus(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let (n, s) = p.uint("a CPU count")?;
    if !(1..=crate::model::machine::Config::MAX_CPUS as u128).contains(&n) {
        p.err(
            s,
            format!("{n} CPUs is out of range"),
            format!(
                "the model has 1 to {} CPUs",
                crate::model::machine::Config::MAX_CPUS
            ),
        );
        return Err(());
    }
    Ok(StmtKind::Cpus(n as u8))
}

/// `vls BITS,BITS,…`.
pub(super) fn vls(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let mut v = vec![p.vl_bits()?];
    while p.eat_punct(",") {
        v.push(p.vl_bits()?);
    }
    v.sort_unstable();
    v.dedup();
    Ok(StmtKind::Vls(v))
}

/// `kvm-mode vhe|nvhe`.
pub(super) fn kvm_mode(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let w = p.word("`vhe` or `nvhe`")?;
    match w.name.as_str() {
        "vhe" => Ok(StmtKind::KvmMode(KvmMode::Vhe)),
        "nvhe" => Ok(StmtKind::KvmMode(KvmMode::Nvhe)),
        _ => {
            p.err(
                w.span,
                format!("unknown KVM mode `{}`", w.name),
                "write `vhe` or `nvhe`",
            );
            Err(())
        }
    }
}

/// `sysctl NAME=VALUE`.
pub(super) fn sysctl(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let w = p.word("a sysctl name")?;
    let which = match Sysctl::parse(&w.name) {
        Some(which) => which,
        None => {
            p.err(
                w.span,
                format!("unknown sysctl `{}`", w.name),
                "known: abi.sve_default_vector_length (bytes, -1 = max), abi.sve_syscall_clear_regs (0/1, series-v1/p7 only)",
            );
            return Err(());
        }
    };
    p.punct("=")?;
    let (v, s) = p.int("a value")?;
    if v < i128::from(i64::MIN) || v > i128::from(i64::MAX) {
        p.err(s, "value out of range", "sysctl values are integers");
        return Err(());
    }
    Ok(StmtKind::Sysctl(which, v as i64))
}

/// `task NAME [vl=BITS] [on=cpuN]`.
pub(super) fn task(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let name = p.name("a task name")?;
    let mut bits = None;
    let mut on = None;
    while !p.at_end() {
        if p.key_eq("vl") {
            bits = Some(p.vl_bits()?);
        } else if p.key_eq("on") {
            on = Some(p.cpu()?);
        } else {
            let s = p.here();
            p.err(s, "unexpected argument", "`task NAME [vl=BITS] [on=cpuN]`");
            return Err(());
        }
    }
    Ok(StmtKind::Task { name, bits, on })
}

/// `vcpu NAME sve [vl=BITS] | NAME nosve`.
pub(super) fn vcpu(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let name = p.name("a vCPU name")?;
    let w = p.word("`sve` or `nosve`")?;
    let sve = match w.name.as_str() {
        "sve" => true,
        "nosve" => false,
        _ => {
            p.err(
                w.span,
                "expected `sve` or `nosve`",
                "`vcpu V0 sve vl=512` or `vcpu V1 nosve`",
            );
            return Err(());
        }
    };
    let mut bits = None;
    if p.key_eq("vl") {
        bits = Some(p.vl_bits()?);
        if !sve {
            p.err(
                w.span,
                "a vCPU without SVE has no vector length",
                "drop `vl=`, or write `sve`",
            );
            return Err(());
        }
    }
    Ok(StmtKind::Vcpu { name, sve, bits })
}
