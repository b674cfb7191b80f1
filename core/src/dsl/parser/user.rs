//! User operations: `sve-op`, `fp-op`, `svc`, `signal`, `ptrace`, `kernel-neon`.

use super::lex::{suggest, Tok, Token, WriteSet};
use super::lex::{PResult, StmtParser};
use crate::dsl::ast::*;
use crate::dsl::vocab::SVC_CALLS;
use crate::model::event::Sig;
use crate::model::op::FrameEdit;

/// `sve-op TASK [REG=VALUE …] [preempt -> NEXT | softirq-neon]` and `fp-op TASK [REG=VALUE …]`.
pub(super) fn user_op(p: &mut StmtParser<'_>, kw: &Ident) -> PResult<StmtKind> {
    let sve = kw.name == "sve-op";
    let task = p.name("a task name")?;
    let writes = p.writes(if sve {
        WriteSet::SveInsn
    } else {
        WriteSet::FpInsn
    })?;
    let mut interrupt = InterruptSpec::None;
    if let Some(s) = p.eat_word("preempt") {
        if !sve {
            p.err(
                s,
                "an FP instruction never traps",
                "`preempt ->` only applies to `sve-op`",
            );
            return Err(());
        }
        p.punct("->")?;
        interrupt = InterruptSpec::Preempt(p.next_spec()?);
    } else if let Some(s) = p.eat_word("softirq-neon") {
        if !sve {
            p.err(
                s,
                "an FP instruction never traps",
                "`softirq-neon` only applies to `sve-op`",
            );
            return Err(());
        }
        interrupt = InterruptSpec::SoftirqNeon;
    }
    Ok(StmtKind::UserOp {
        task,
        sve,
        writes,
        interrupt,
    })
}

/// `svc TASK CALL …`.
pub(super) fn svc(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("a task name")?;
    let call = p.svc()?;
    Ok(StmtKind::Svc { task, call })
}

/// `frame-write TASK REG=VALUE …`.
pub(super) fn frame_write(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("a task name")?;
    let at = p.here();
    let writes = p.writes(WriteSet::Any)?;
    if writes.is_empty() {
        p.err(
            at,
            "a frame write names the registers it changes",
            "e.g. `frame-write A v0=0x1` (fpsimd_context) or `frame-write A z0=fill(0x2)` (sve_context)",
        );
        return Err(());
    }
    Ok(StmtKind::FrameWrite { task, writes })
}

/// `signal TASK SIG`.
pub(super) fn signal(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("a task name")?;
    let sig = p.sig()?;
    Ok(StmtKind::Signal { task, sig })
}

/// `ptrace TASK get|set REGSET …`.
pub(super) fn ptrace(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    let task = p.name("a task name")?;
    let req = p.ptrace()?;
    Ok(StmtKind::Ptrace { task, req })
}

/// `kernel-neon cpuN | TASK`.
pub(super) fn kernel_neon(p: &mut StmtParser<'_>, _kw: &Ident) -> PResult<StmtKind> {
    Ok(StmtKind::KernelNeon(p.name("a CPU or a task")?))
}

impl StmtParser<'_> {
    pub(super) fn sig(&mut self) -> PResult<Sig> {
        let w = self.word("a signal (SIGUSR1, SIGUSR2, SIGSEGV, SIGKILL, SIGILL)")?;
        match Sig::parse(&w.name) {
            Some(s) => Ok(s),
            None => {
                self.err(
                    w.span,
                    format!("unknown signal `{}`", w.name),
                    "the model knows SIGUSR1, SIGUSR2, SIGSEGV, SIGKILL, SIGILL",
                );
                Err(())
            }
        }
    }

    pub(super) fn svc(&mut self) -> PResult<SvcSpec> {
        let w = self.word("a syscall")?;
        Ok(match w.name.as_str() {
            "getpid" => SvcSpec::Getpid,
            "yield" => {
                if self.eat_punct("->") {
                    SvcSpec::Yield(self.next_spec()?)
                } else {
                    SvcSpec::Yield(NextSpec::Idle)
                }
            }
            "prctl-set-vl" => {
                let (bits, s) = self.uint("a vector length in bits")?;
                if bits % 8 != 0 || bits > u128::from(u16::MAX) * 8 {
                    self.err(
                        s,
                        format!("{bits} bits is not a whole number of bytes"),
                        "the DSL takes VLs in bits (the kernel gets bits/8 bytes): e.g. 256",
                    );
                    return Err(());
                }
                let mut inherit = false;
                let mut onexec = false;
                loop {
                    if self.eat_word("inherit").is_some() {
                        inherit = true;
                    } else if self.eat_word("onexec").is_some() {
                        onexec = true;
                    } else {
                        break;
                    }
                }
                SvcSpec::PrctlSetVl {
                    bits: bits as u64,
                    inherit,
                    onexec,
                }
            }
            "prctl-get-vl" => SvcSpec::PrctlGetVl,
            "fork" => SvcSpec::Fork(self.name("the child's name")?),
            "exec" => SvcSpec::Exec,
            "sigreturn" => {
                let mut edit = FrameEdit::AsDelivered;
                if let Some(Token {
                    tok: Tok::Word(e),
                    span,
                }) = self.peek().cloned()
                {
                    match FrameEdit::ALL.iter().find(|f| f.keyword() == e) {
                        Some(f) => {
                            edit = *f;
                            self.pos += 1;
                        }
                        None => {
                            self.err(
                                span,
                                format!("unknown frame edit `{e}`"),
                                format!(
                                    "frame edits: {}",
                                    FrameEdit::ALL
                                        .iter()
                                        .map(|f| f.keyword())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            );
                            return Err(());
                        }
                    }
                }
                SvcSpec::Sigreturn(edit)
            }
            "kill" => {
                let t = self.name("the target task")?;
                let s = self.sig()?;
                SvcSpec::Kill(t, s)
            }
            "sigaction" => {
                let s = self.sig()?;
                let w = self.word("`default`, `ignore` or `handle`")?;
                let Some(a) = crate::model::event::SigAction::ALL
                    .into_iter()
                    .find(|a| a.keyword() == w.name)
                else {
                    self.err(
                        w.span,
                        format!("unknown signal action `{}`", w.name),
                        "actions: default, ignore, handle",
                    );
                    return Err(());
                };
                SvcSpec::Sigaction(s, a)
            }
            "exit" => SvcSpec::Exit,
            "read-neon" => SvcSpec::ReadNeon,
            "kvm-run" => SvcSpec::KvmRun(self.name("a vCPU")?),
            other => {
                let hint = match suggest(other, &SVC_CALLS) {
                    Some(s) => format!("did you mean `{s}`? Syscalls: {}", SVC_CALLS.join(", ")),
                    None => format!("syscalls: {}", SVC_CALLS.join(", ")),
                };
                self.err(w.span, format!("unknown syscall `{other}`"), hint);
                return Err(());
            }
        })
    }

    pub(super) fn ptrace(&mut self) -> PResult<PtraceSpec> {
        let dir = self.word("`get` or `set`")?;
        let set = match dir.name.as_str() {
            "get" => false,
            "set" => true,
            _ => {
                self.err(
                    dir.span,
                    "expected `get` or `set`",
                    "`ptrace A get NT_ARM_SVE`, `ptrace A set NT_PRFPREG v0=1`",
                );
                return Err(());
            }
        };
        let rs = self.word("a regset (NT_PRFPREG or NT_ARM_SVE)")?;
        let sve = match rs.name.as_str() {
            "NT_PRFPREG" => false,
            "NT_ARM_SVE" => true,
            _ => {
                self.err(
                    rs.span,
                    format!("unknown regset `{}`", rs.name),
                    "the model has NT_PRFPREG and NT_ARM_SVE",
                );
                return Err(());
            }
        };
        Ok(match (set, sve) {
            (false, false) => PtraceSpec::GetFpr,
            (false, true) => PtraceSpec::GetSve,
            (true, false) => PtraceSpec::SetFpr(self.writes(WriteSet::Fpsimd)?),
            (true, true) => {
                let mut bits = None;
                let mut kind = None;
                let (mut partial, mut inherit, mut onexec) = (false, false, false);
                loop {
                    if self.key_eq("vl") {
                        let (b, s) = self.uint("a vector length in bits")?;
                        if b % 8 != 0 || b > u128::from(u16::MAX) * 8 {
                            self.err(
                                s,
                                format!("{b} bits is not a whole number of bytes"),
                                "VLs are in bits, e.g. vl=256",
                            );
                            return Err(());
                        }
                        bits = Some(b as u32);
                    } else if self.eat_word("fpsimd").is_some() {
                        kind = Some(SvePayloadKind::Fpsimd);
                    } else if self.eat_word("sve").is_some() {
                        kind = Some(SvePayloadKind::Sve);
                    } else if self.eat_word("header").is_some() {
                        kind = Some(SvePayloadKind::Header);
                    } else if self.eat_word("partial").is_some() {
                        partial = true;
                    } else if self.eat_word("inherit").is_some() {
                        inherit = true;
                    } else if self.eat_word("onexec").is_some() {
                        onexec = true;
                    } else {
                        break;
                    }
                }
                let set = match kind {
                    Some(SvePayloadKind::Fpsimd) => WriteSet::Fpsimd,
                    Some(SvePayloadKind::Header) => WriteSet::None,
                    Some(SvePayloadKind::Sve) => WriteSet::SvePayload,
                    None => WriteSet::Any,
                };
                let writes = self.writes(set)?;
                PtraceSpec::SetSve {
                    bits,
                    kind,
                    partial,
                    inherit,
                    onexec,
                    writes,
                }
            }
        })
    }
}
