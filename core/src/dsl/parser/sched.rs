//! Scheduling and CPU statements: `ctxsw`, `migrate`, `cpu-pm`, `cpu-offline`, `cpu-online`.

use super::lex::{PResult, StmtParser};
use crate::dsl::ast::*;
use crate::model::op::ReturnPoint;

/// `ctxsw cpuN NEXT [preempt-before-signal|preempt-before-restore|preempt-after-restore -> NEXT]`.
pub(super) fn ctxsw(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let cpu = p.cpu()?;
    let next = p.next_spec()?;
    let point = if p.eat_word("preempt-before-signal").is_some() {
        Some(ReturnPoint::BeforeSignal)
    } else if p.eat_word("preempt-before-restore").is_some() {
        Some(ReturnPoint::BeforeRestore)
    } else if p.eat_word("preempt-after-restore").is_some() {
        Some(ReturnPoint::AfterRestore)
    } else {
        None
    };
    let on_return = match point {
        Some(point) => {
            let arrow = p.punct("->")?;
            if !matches!(next, NextSpec::Task(_)) {
                p.err(
                    arrow,
                    "only a task switched in returns to user space",
                    "`ctxsw CPU TASK preempt-before-restore -> NEXT`",
                );
                return Err(());
            }
            Some((point, p.next_spec()?))
        }
        None => None,
    };
    Ok(StmtKind::Ctxsw {
        cpu,
        next,
        on_return,
    })
}

/// `migrate TASK cpuN`.
pub(super) fn migrate(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("a task name")?;
    let cpu = p.cpu()?;
    Ok(StmtKind::Migrate { task, cpu })
}

/// `cpu-pm cpuN`.
pub(super) fn cpu_pm(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    Ok(StmtKind::CpuPm(p.cpu()?))
}

/// `cpu-offline cpuN`.
pub(super) fn cpu_offline(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    Ok(StmtKind::CpuOffline(p.cpu()?))
}

/// `cpu-online cpuN`.
pub(super) fn cpu_online(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    Ok(StmtKind::CpuOnline(p.cpu()?))
}
