//! One executed statement as the runner's steps: user instructions, syscalls, switches,
//! signals, ptrace, kernel-mode NEON; and keeping the real world's scheduling in step with
//! the model's (`follow`).

use super::*;

impl Tr<'_> {
    pub(super) fn statement(&mut self, stmt: &Stmt, before: &Machine, after: &Machine) {
        let task_of = |m: &Machine, id: &crate::dsl::ast::Ident| m.task_id(&id.name);
        if self.kvm_statement(stmt, before, after) {
            return;
        }
        match &stmt.kind {
            // `kernel-neon TASK` is the syscall `svc TASK read-neon` (both lower to it).
            StmtKind::KernelNeon(task) => {
                let svc = Stmt {
                    kind: StmtKind::Svc {
                        task: task.clone(),
                        call: SvcSpec::ReadNeon,
                    },
                    ..stmt.clone()
                };
                self.statement(&svc, before, after);
            }
            StmtKind::Kernel(_) | StmtKind::Cpus(_) | StmtKind::Repeat { .. } => {}
            StmtKind::Sysctl(crate::dsl::ast::Sysctl::SveDefaultVectorLength, bytes) => {
                // The coordinator (root) writes /proc/sys/abi/…; restored after the program.
                self.push(RealStep::new(Actor::Coordinator, "sysctl-default-vl").arg(0, *bytes));
            }
            StmtKind::Task { name, on, .. } => {
                let Some(t) = after.task_id(&name.name) else {
                    return;
                };
                let i = self.ti(after, t);
                if on.is_some() {
                    if let Some(c) = (0..after.cpus.len())
                        .find(|&c| after.current(crate::model::types::CpuId(c as u8)) == Some(t))
                    {
                        self.preempt_current(before, c);
                        self.switch_in(after, t, c as u8);
                    }
                }
                let _ = i;
            }
            StmtKind::UserOp {
                task, sve, writes, ..
            } => {
                let Some(t) = task_of(after, task) else {
                    return;
                };
                let i = self.ti(after, t);
                let ws = self.writes(before, t, writes);
                let mut s = RealStep::new(Actor::Task(i), if *sve { "sve" } else { "fp" });
                s.writes = ws;
                self.push(s);
                self.op_done(i);
                self.read_ok[usize::from(i)] = if *sve { 2 } else { 1 };
            }
            StmtKind::Svc { task, call } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let i = self.ti(before, t);
                let me = Actor::Task(i);
                match call {
                    SvcSpec::Getpid => self.push(RealStep::new(me, "getpid")),
                    SvcSpec::Yield(next) => {
                        let cpu = self.cpu_of[usize::from(i)];
                        self.push(RealStep::new(me, "block"));
                        let s = self.coord("sleeping", i);
                        self.push(s);
                        self.wh[usize::from(i)] = Where::Blocked;
                        if let NextSpec::Task(n) = next {
                            if let Some(nt) = after.task_id(&n.name) {
                                self.switch_in(after, nt, cpu);
                            }
                        }
                    }
                    SvcSpec::PrctlSetVl {
                        bits,
                        inherit,
                        onexec,
                    } => {
                        let arg = (*bits / 8) as i64
                            | if *inherit { 1 << 17 } else { 0 }
                            | if *onexec { 1 << 18 } else { 0 };
                        self.push(RealStep::new(me, "prctl-set-vl").arg(0, arg));
                    }
                    SvcSpec::PrctlGetVl => self.push(RealStep::new(me, "prctl-get-vl")),
                    SvcSpec::Fork(child) => {
                        let Some(c) = after.task_id(&child.name) else {
                            return;
                        };
                        let ci = self.ti(after, c);
                        self.push(RealStep::new(me, "fork").task(ci));
                        self.cpu_of[usize::from(ci)] = self.cpu_of[usize::from(i)];
                        let s = self.coord("prio", ci).arg(0, 1);
                        self.push(s);
                        self.wh[usize::from(ci)] = Where::Preempted;
                    }
                    SvcSpec::Exec => self.push(RealStep::new(me, "exec")),
                    SvcSpec::Exit => {
                        self.push(RealStep::new(me, "exit"));
                        self.wh[usize::from(i)] = Where::Gone;
                    }
                    SvcSpec::Kill(target, sig) => {
                        let (Some(tt), Some(sig)) = (before.task_id(&target.name), real_sig(*sig))
                        else {
                            self.reject(stmt.span, "not on a real kernel: only SIGUSR1 and SIGUSR2 are handled by the runner's tasks", "use SIGUSR1");
                            return;
                        };
                        let ti = self.ti(before, tt);
                        self.push(RealStep::new(me, "kill").task(ti).arg(0, sig));
                        // A target running at EL0 on another CPU takes the signal when the
                        // IPI brings it into the kernel: wait until its handler runs.
                        let depth = after.task(tt).frames.len();
                        if tt != t && depth > before.task(tt).frames.len() {
                            let s = self.coord("await-handler", ti).arg(0, depth as i64);
                            self.push(s);
                        }
                    }
                    SvcSpec::Sigreturn(edit) => {
                        let a = match edit {
                            FrameEdit::NoSve => 1,
                            FrameEdit::HeaderOnly => 2,
                            FrameEdit::NoFpsimd => 3,
                            _ => 0,
                        };
                        self.push(RealStep::new(me, "sigreturn").arg(0, a));
                    }
                    SvcSpec::ReadNeon => self.push(RealStep::new(me, "read-neon")),
                    SvcSpec::KvmRun(_) | SvcSpec::Sigaction(..) => {}
                }
                self.op_done(i);
                if let Some(x) = self.x0_ok.get_mut(usize::from(i)) {
                    *x = matches!(call, SvcSpec::PrctlSetVl { .. } | SvcSpec::PrctlGetVl);
                }
                // After the syscall the model may have switched the CPU (exit, yield):
                // follow its view of who is current.
                self.follow(before, after);
            }
            StmtKind::Ctxsw { cpu, next, .. } => {
                let Some(c) = crate::model::types::cpu_index(&cpu.name) else {
                    return;
                };
                let c = usize::from(c);
                let curr_at_el0 = matches!(before.cpus[c].curr, Curr::Task(t) if before.task(t).level == Level::User && before.task(t).state == TaskState::Running);
                if curr_at_el0 && matches!(next, NextSpec::Idle) {
                    self.reject(stmt.span, "not on a real kernel: a task at EL0 cannot be made to stop without a syscall", "use `svc A yield -> idle`, or switch another task in");
                    return;
                }
                self.preempt_current(before, c);
                if let NextSpec::Task(n) = next {
                    if let Some(t) = after.task_id(&n.name) {
                        self.switch_in(after, t, c as u8);
                    }
                }
                self.op_done(0);
            }
            StmtKind::Migrate { task, cpu } => {
                let (Some(t), Some(c)) = (
                    task_of(after, task),
                    crate::model::types::cpu_index(&cpu.name),
                ) else {
                    return;
                };
                let i = self.ti(after, t);
                self.preempt_current(before, usize::from(c));
                let s = self.coord("affinity", i).arg(0, c.into());
                self.push(s);
                self.cpu_of[usize::from(i)] = c;
                self.switch_in(after, t, c);
                self.op_done(i);
            }
            StmtKind::Signal { task, sig } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let running = before.task(t).state == TaskState::Running;
                let Some(sig) = real_sig(*sig).filter(|_| running) else {
                    self.reject(stmt.span, "not on a real kernel: the runner signals a running task with SIGUSR1 or SIGUSR2", "switch the task in first; use SIGUSR1");
                    return;
                };
                let i = self.ti(before, t);
                let s = self.coord("signal", i).arg(0, sig);
                self.push(s);
                self.op_done(i);
            }
            StmtKind::Ptrace { task, req } => {
                let Some(t) = task_of(before, task) else {
                    return;
                };
                let i = self.ti(before, t);
                match req {
                    PtraceSpec::GetFpr => {
                        let s = self.coord("ptrace-get", i).arg(0, 2);
                        self.push(s);
                        self.tracer_ok = true;
                    }
                    PtraceSpec::GetSve => {
                        let s = self.coord("ptrace-get", i).arg(0, 0x405);
                        self.push(s);
                        self.tracer_ok = true;
                    }
                    PtraceSpec::SetFpr(ws) => {
                        let mut s = self.coord("ptrace-set-fpr", i);
                        s.writes = self.writes(before, t, ws);
                        self.push(s);
                        self.tracer_ok = false;
                    }
                    PtraceSpec::SetSve { .. } => {
                        // The model lowered the request: take its VL, flags and payload.
                        let Ok(crate::dsl::lower::Action::Op(crate::model::op::Op::Ptrace {
                            req: crate::model::op::PtraceReq::SetSve { vl, flags, payload },
                            ..
                        })) = crate::dsl::lower::lower(before, &stmt.kind)
                        else {
                            return;
                        };
                        use crate::model::op::SvePayload;
                        let (kind, sve_flag, ws) = match &payload {
                            SvePayload::Header => (0, 1, &[][..]),
                            SvePayload::Fpsimd(ws) => (1, 0, &ws[..]),
                            SvePayload::Sve { writes, partial } => {
                                (if *partial { 3 } else { 2 }, 1, &writes[..])
                            }
                        };
                        let mut s = self
                            .coord("ptrace-set-sve", i)
                            .arg(0, vl.into())
                            .arg(1, i64::from(flags | sve_flag))
                            .arg(2, kind);
                        s.writes = self.writes_at(t, usize::from(vl), ws);
                        self.push(s);
                        self.tracer_ok = false;
                    }
                }
                for r in &mut self.read_ok {
                    *r = 0;
                }
            }
            StmtKind::Expect(Condition::Compare { lhs, .. }) => {
                self.observe(stmt, lhs, after);
            }
            StmtKind::Show(ShowTarget::Path(p)) if p.segments.len() > 1 => {
                self.observe(stmt, p, after);
            }
            StmtKind::Expect(_) | StmtKind::Show(_) => {
                self.reject(
                    stmt.span,
                    "not on a real kernel: only paths a real program can read are observed",
                    "e.g. `expect A.z0 == …` after `sve-op A`, `expect total.traps == …`",
                );
            }
            _ => {}
        }
    }

    /// Keeps the real priorities in step with the model's current tasks after a syscall.
    pub(super) fn follow(&mut self, before: &Machine, after: &Machine) {
        for c in 0..after.cpus.len() {
            if before.cpus[c].curr == after.cpus[c].curr {
                continue;
            }
            if let Curr::Task(t) = after.cpus[c].curr {
                if after.task(t).state == TaskState::Running {
                    let i = self.ti(after, t);
                    if self.wh[usize::from(i)] != Where::Current {
                        self.switch_in(after, t, c as u8);
                    }
                }
            }
        }
        let _ = Resume::User;
    }
}
