//! `expect` and `show` on a real kernel: what the runner must read for a path, and the
//! model's prediction of it.

use super::*;

impl Tr<'_> {
    pub(super) fn observe(&mut self, stmt: &Stmt, path: &crate::dsl::ast::Path, m: &Machine) {
        let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
        let id = self.obs.len() as u32 + 1;
        let line = self.program.source[..stmt.span.start].matches('\n').count() as u32 + 1;
        let text = self.program.source[stmt.span.start..stmt.span.end].to_string();
        let mut step = RealStep::new(Actor::Coordinator, "obs-x0");
        step.obs = Some(id);
        let what: Observable;
        match segs.as_slice() {
            ["total", counter] | [_, counter] if COUNTED.iter().any(|(c, _)| c == counter) => {
                let func = COUNTED.iter().find(|(c, _)| c == counter).map(|(_, f)| *f);
                let scope = if segs[0] == "total" {
                    -1
                } else if let Some(t) = m.task_id(segs[0]) {
                    i64::from(self.ti(m, t))
                } else {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: counters are counted per task or in total",
                        "e.g. `A.traps` or `total.traps`",
                    );
                    return;
                };
                step.op = "obs-count";
                step.func = func;
                step.args[0] = Some(scope);
                what = Observable::Count;
            }
            [task, "frames"] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                step.op = "obs-depth";
                step.task = Some(i);
                what = Observable::Depth;
            }
            [task, "frame", f @ ("sve" | "sve_vl" | "fpsimd")] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                step.op = "obs-frame";
                step.task = Some(i);
                what = Observable::Frame(f.to_string());
            }
            ["tracer", f] if self.tracer_ok => {
                step.op = "obs-tracer";
                what = Observable::Tracer(f.to_string());
            }
            [task, "x0"] if m.task_id(task).is_some() => {
                let i = self.ti(m, m.task_id(task).unwrap_or(TaskId(0)));
                if !self.x0_ok[usize::from(i)] {
                    self.reject(
                        stmt.span,
                        "not on a real kernel: x0 is observed right after a prctl",
                        "put the expect right after `svc A prctl-…`",
                    );
                    return;
                }
                step.task = Some(i);
                what = Observable::Int;
            }
            [vcpu, reg] if self.vms.contains_key(*vcpu) => {
                let (vm, _, sve, vl) = self.vms[*vcpu];
                let need = match crate::dsl::parser::parse_reg(reg) {
                    Ok(Reg::V(_)) if sve => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` reads the vCPU's FPSIMD buffer, which KVM does not keep for an SVE vCPU", path.text()), "read the low 128 bits of the Z register instead, e.g. `V0.z0[127:0]`");
                        return;
                    }
                    Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => 2,
                    Ok(_) => 1,
                    Err(_) => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` is the model's bookkeeping, not something the guest can read", path.text()), "observe the guest's registers: z0…, p0…, ffr, v0… (without SVE), fpsr, fpcr");
                        return;
                    }
                };
                let op = match self.guest_read[usize::from(vm)] {
                    Some((op, got)) if got >= need => op,
                    _ => {
                        self.reject(stmt.span, format!("not on a real kernel: the guest reads `{}` only in a run that ends with its register operation", path.text()), if need == 2 { "end the guest's last run with `guest-sve-op V` then `kvm-exit V to-user`" } else { "end the guest's last run with `guest-fp-op V` (or `guest-sve-op V`) then `kvm-exit V to-user`" });
                        return;
                    }
                };
                step.op = "obs-guest";
                step.task = Some(vm);
                step.args[0] = Some(i64::from(op));
                what = Observable::GuestReg {
                    reg: reg.to_string(),
                    vl: u32::from(vl),
                };
            }
            [task, reg] if m.task_id(task).is_some() => {
                let t = m.task_id(task).unwrap_or(TaskId(0));
                let i = self.ti(m, t);
                let need = match crate::dsl::parser::parse_reg(reg) {
                    Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => 2,
                    Ok(_) => 1,
                    Err(_) if *reg == "vl" => 2,
                    Err(_) => {
                        self.reject(stmt.span, format!("not on a real kernel: `{}` is the model's bookkeeping, not something user space can read", path.text()), "observe registers, vl, x0, frames, frame.sve|sve_vl|fpsimd, tracer.*, counters");
                        return;
                    }
                };
                if self.read_ok[usize::from(i)] < need {
                    let hint = if need == 2 {
                        "put `sve-op TASK` (an SVE read) right before it"
                    } else {
                        "put `fp-op TASK` (or `sve-op TASK`) right before it"
                    };
                    self.reject(
                        stmt.span,
                        format!(
                            "not on a real kernel: reading `{}` takes an instruction of {task}",
                            path.text()
                        ),
                        hint,
                    );
                    return;
                }
                step.op = "obs-reg";
                step.task = Some(i);
                step.reg = Some(reg.to_string());
                what = if *reg == "vl" || *reg == "fpsr" || *reg == "fpcr" {
                    Observable::RegInt
                } else {
                    Observable::Reg
                };
            }
            _ => {
                self.reject(stmt.span, format!("not on a real kernel: `{}` cannot be read by a real program", path.text()), "observe registers, vl, x0, frames, frame.sve|sve_vl|fpsimd, tracer.*, counters");
                return;
            }
        }
        let predicted = match eval::resolve(m, &path.segments) {
            Ok(v) => match path.slice {
                Some((hi, lo)) => eval::slice(v, hi, lo).unwrap_or(eval::Val::Word("?".into())),
                None => v,
            },
            Err(e) => eval::Val::Word(format!("error: {}", e.message)),
        };
        self.push(step);
        self.obs.push(Observation {
            id,
            line,
            text,
            what: what.with_slice(path.slice),
            predicted,
        });
    }
}
