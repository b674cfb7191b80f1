//! KVM statements on a real kernel: which tasks are VMMs, and `kvm-enter`, the guest's
//! instructions and `kvm-exit` as the runner's VMM steps.

use super::*;

impl Tr<'_> {
    /// The VMM of each vCPU: the task of its first `kvm-enter` (or `svc … kvm-run`).
    pub(super) fn find_vmms(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::KvmEnter { task, vcpu, .. }
                | StmtKind::Svc {
                    task,
                    call: SvcSpec::KvmRun(vcpu),
                } => {
                    self.vmm_of
                        .entry(vcpu.name.clone())
                        .or_insert(task.name.clone());
                }
                StmtKind::Repeat { body, .. } => self.find_vmms(body),
                _ => {}
            }
        }
    }

    pub(super) fn kvm_statement(&mut self, stmt: &Stmt, before: &Machine, after: &Machine) -> bool {
        match &stmt.kind {
            StmtKind::Vcpu { name, sve, .. } => {
                let Some(v) = after.vcpu_id(&name.name) else {
                    return true;
                };
                let vl = after.vcpu(v).sve_max_vl;
                let Some(vmm) = self.vmm_of.get(&name.name).cloned() else {
                    return true; // never run: nothing to create
                };
                let Some(t) = after.task_id(&vmm) else {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: the VMM task must exist before its vCPU",
                        "declare `task VMM …` first",
                    );
                    return true;
                };
                let i = self.ti(after, t);
                let vm = self.vms.len() as u8;
                if vm >= 2 {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: the runner runs at most 2 vCPUs",
                        "drop a vCPU",
                    );
                    return true;
                }
                self.vms.insert(name.name.clone(), (vm, i, *sve, vl));
                self.vm_ops.push(0);
                self.guest_read.push(None);
                if self.ran[usize::from(i)] {
                    self.reject(stmt.span, "not on a real kernel: the VMM creates its VM with ioctls (syscalls) before it runs anything else", "declare the vCPU before the VMM's first operation");
                } else if self.wh[usize::from(i)] == Where::NotStarted {
                    self.pending_vms.push((vm, i, *sve, vl));
                } else {
                    self.push(
                        RealStep::new(Actor::Task(i), "kvm-create")
                            .task(vm)
                            .arg(0, (*sve).into())
                            .arg(1, vl.into()),
                    );
                }
                true
            }
            StmtKind::KvmEnter { vcpu, .. }
            | StmtKind::Svc {
                call: SvcSpec::KvmRun(vcpu),
                ..
            } => {
                let Some(&(vm, vmm, _, _)) = self.vms.get(&vcpu.name) else {
                    return true;
                };
                self.run = Some((vm, vmm, Vec::new()));
                true
            }
            StmtKind::GuestOp { vcpu, sve, writes } => {
                let Some(v) = before.vcpu_id(&vcpu.name) else {
                    return true;
                };
                let vl = usize::from(before.vcpu(v).sve_max_vl);
                // Guest values are materialised as the model's guest writes are (as task 0).
                let ws = self.writes_at(TaskId(0), vl, writes);
                match &mut self.run {
                    Some((_, _, ops)) => ops.push((if *sve { 1 } else { 2 }, ws)),
                    None => self.reject(
                        stmt.span,
                        "not on a real kernel: a guest runs inside the VMM's KVM_RUN",
                        "`kvm-enter VMM V0` first",
                    ),
                }
                true
            }
            StmtKind::KvmExit { to_user: false, .. } => {
                if let Some((_, _, ops)) = &mut self.run {
                    ops.push((3, Vec::new()));
                }
                true
            }
            StmtKind::KvmExit { to_user: true, .. } => {
                let Some((vm, vmm, mut ops)) = self.run.take() else {
                    return true;
                };
                ops.push((4, Vec::new()));
                let first = self.vm_ops[usize::from(vm)];
                self.vm_ops[usize::from(vm)] += ops.len() as u32;
                // What the guest read last in this run: the snapshot of its last register
                // operation, if no other operation followed but the exits.
                let last_reg = ops.iter().rposition(|(k, _)| *k == 1 || *k == 2);
                let exits_only =
                    last_reg.is_some_and(|l| ops[l + 1..].iter().all(|(k, _)| *k >= 3));
                self.guest_read[usize::from(vm)] = match last_reg {
                    Some(l) if exits_only => {
                        Some((first + l as u32, if ops[l].0 == 1 { 2 } else { 1 }))
                    }
                    _ => None,
                };
                for (kind, ws) in ops {
                    let mut s = RealStep::new(Actor::Task(vmm), "guest-push")
                        .task(vm)
                        .arg(0, kind);
                    s.writes = ws;
                    self.push(s);
                }
                self.push(RealStep::new(Actor::Task(vmm), "kvm-run").task(vm));
                self.op_done(vmm);
                true
            }
            _ if self.run.is_some() && !matches!(stmt.kind, StmtKind::Repeat { .. }) => {
                self.reject(stmt.span, "not on a real kernel: while the guest runs, the real program can only run guest statements", "end the run with `kvm-exit V to-user` first");
                true
            }
            _ => false,
        }
    }
}
