//! KVM statements: `kvm-enter`, `guest-sve-op`, `guest-fp-op`, `guest-zcr`, `kvm-exit`.

use super::lex::WriteSet;
use super::lex::{PResult, StmtParser};
use crate::dsl::ast::*;

/// `kvm-enter TASK VCPU [preempt -> NEXT]`.
pub(super) fn kvm_enter(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("the VMM task")?;
    let vcpu = p.name("a vCPU")?;
    let preempt = if p.eat_word("preempt").is_some() {
        p.punct("->")?;
        Some(p.next_spec()?)
    } else {
        None
    };
    Ok(StmtKind::KvmEnter {
        task,
        vcpu,
        preempt,
    })
}

/// `guest-sve-op VCPU [REG=VALUE …]` and `guest-fp-op VCPU [REG=VALUE …]`.
pub(super) fn guest_op(p: &mut StmtParser<'_>, kw: &Ident) -> PResult<StmtKind> {
    let sve = kw.name == "guest-sve-op";
    let vcpu = p.name("a vCPU")?;
    let writes = p.writes(if sve {
        WriteSet::SveInsn
    } else {
        WriteSet::FpInsn
    })?;
    Ok(StmtKind::GuestOp { vcpu, sve, writes })
}

/// `guest-zcr VCPU vl=BITS`.
pub(super) fn guest_zcr(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let vcpu = p.name("a vCPU")?;
    if !p.key_eq("vl") {
        let s = p.here();
        p.err(
            s,
            "expected `vl=BITS`",
            "the VL the guest writes to its ZCR_EL1, e.g. `guest-zcr V0 vl=128`",
        );
        return Err(());
    }
    let bits = p.vl_bits()?;
    Ok(StmtKind::GuestZcr { vcpu, bits })
}

/// `kvm-exit VCPU [to-user]`.
pub(super) fn kvm_exit(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let vcpu = p.name("a vCPU")?;
    let to_user = p.eat_word("to-user").is_some();
    Ok(StmtKind::KvmExit { vcpu, to_user })
}
