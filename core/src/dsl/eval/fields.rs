//! The fields of each kind of object a path reaches: a task's flags, buffers, counters and
//! user view, a CPU's registers and binding, a vCPU, the configuration and the tracer's
//! last regset.

use super::*;

pub(super) fn origins_field(m: &Machine, o: &Origins, reg: &str) -> Result<Val, EvalError> {
    let (name, hi) = match reg.strip_suffix("_hi") {
        Some(r) => (r, true),
        None => (reg, false),
    };
    match crate::dsl::parser::parse_reg(name) {
        Ok(Reg::Z(n) | Reg::V(n)) => Ok(origin_word(
            m,
            if hi {
                o.z_hi[usize::from(n)]
            } else {
                o.z_lo[usize::from(n)]
            },
        )),
        Ok(Reg::P(n)) if !hi => Ok(origin_word(m, o.p[usize::from(n)])),
        Ok(Reg::Ffr) if !hi => Ok(origin_word(m, o.ffr)),
        _ => err(
            format!("no origin for `{reg}`"),
            "origins: z0 (bits 127:0), z0_hi (above), p0, ffr",
        ),
    }
}

pub(super) fn buf_field(
    m: &Machine,
    buf: &Option<SveBuf>,
    rest: &[&str],
    what: &str,
) -> Result<Val, EvalError> {
    match (buf, rest) {
        (None, []) => Ok(w("null")),
        (Some(_), []) => Ok(w("allocated")),
        (None, _) => err(
            format!("{what} is NULL"),
            format!("check `{what} == null` first"),
        ),
        (Some(b), [f]) => match *f {
            "vq" => Ok(Val::Int(b.vq as i128)),
            "vl" => Ok(Val::Int(b.vq as i128 * 128)),
            "generation" => Ok(Val::Int(i128::from(b.generation))),
            "size" => Ok(Val::Int(b.bytes.len() as i128)),
            r => match crate::dsl::parser::parse_reg(r) {
                Ok(Reg::Z(n)) => Ok(Val::Bytes(b.zreg(usize::from(n)).to_vec())),
                Ok(Reg::V(n)) => Ok(Val::Bytes(b.zreg(usize::from(n))[..16].to_vec())),
                Ok(Reg::P(n)) => Ok(Val::Bytes(b.preg(usize::from(n)).to_vec())),
                Ok(Reg::Ffr) => Ok(Val::Bytes(b.ffr().to_vec())),
                _ => err(
                    format!("{what} has no field `{r}`"),
                    "sve_state fields: vq, vl, generation, size, z0–z31, p0–p15, ffr, origin.REG",
                ),
            },
        },
        (Some(b), ["origin", r]) => origins_field(m, &b.origin, r),
        _ => err(
            format!("{what}.{} is not a field", rest.join(".")),
            "e.g. sve_state.z0",
        ),
    }
}

pub(super) fn fpsimd_field(
    m: &Machine,
    st: &UserFpsimdState,
    rest: &[&str],
    what: &str,
) -> Result<Val, EvalError> {
    match rest {
        ["fpsr"] => Ok(Val::Int(i128::from(st.fpsr))),
        ["fpcr"] => Ok(Val::Int(i128::from(st.fpcr))),
        ["origin", r] => match crate::dsl::parser::parse_reg(r) {
            Ok(Reg::V(n) | Reg::Z(n)) => Ok(origin_word(m, st.origin[usize::from(n)])),
            _ => err(
                format!("no origin for `{r}`"),
                "fpsimd_state.origin.v0 … v31",
            ),
        },
        [r] => match crate::dsl::parser::parse_reg(r) {
            Ok(Reg::V(n) | Reg::Z(n)) => {
                Ok(Val::Bytes(st.vregs[usize::from(n)].to_le_bytes().to_vec()))
            }
            _ => err(
                format!("{what} has no field `{r}`"),
                "fields: v0–v31, fpsr, fpcr, origin.vN",
            ),
        },
        _ => err(
            format!("{what}.{} is not a field", rest.join(".")),
            "e.g. fpsimd_state.v0",
        ),
    }
}

pub(super) fn counter_field(c: &Counters, f: &str) -> Option<Val> {
    if f == "sve_alloc_calls" {
        // Every sve_alloc() that allocated or zeroed a buffer (what a function tracer
        // counts, except v6.0+'s calls that keep an existing buffer untouched).
        let n = c.get(Counter::SveAllocs) + c.get(Counter::SveAllocMemsets);
        return Some(Val::Int(i128::from(n)));
    }
    Counter::parse(f).map(|k| Val::Int(i128::from(c.get(k))))
}

pub(super) fn regview_field(v: &crate::model::view::RegView, r: &str) -> Option<Val> {
    Some(match crate::dsl::parser::parse_reg(r).ok()? {
        Reg::Z(n) => Val::Bytes(v.z[usize::from(n)].clone()),
        Reg::V(n) => Val::Bytes(v.z[usize::from(n)][..16].to_vec()),
        Reg::P(n) => Val::Bytes(v.p[usize::from(n)].clone()),
        Reg::Ffr => Val::Bytes(v.ffr.clone()),
        Reg::Fpsr => Val::Int(i128::from(v.fpsr)),
        Reg::Fpcr => Val::Int(i128::from(v.fpcr)),
    })
}

/// Reads a path (without its slice).
pub fn resolve(m: &Machine, segs: &[String]) -> Result<Val, EvalError> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let Some((&head, rest)) = s.split_first() else {
        return err("empty path", "e.g. `A.TIF_SVE`");
    };
    if let Some(t) = m.task_id(head) {
        return task_field(m, t, rest);
    }
    if let Some(v) = m.vcpu_id(head) {
        return vcpu_field(m, v, rest);
    }
    if let Some(c) = crate::model::types::cpu_index(head) {
        if usize::from(c) >= m.cpus.len() {
            return err(
                format!("there is no {head}"),
                format!("this machine has cpu0–cpu{}", m.cpus.len() - 1),
            );
        }
        return cpu_field(m, CpuId(c), rest);
    }
    match head {
        "total" => match rest {
            [f] => counter_field(&m.total_counters(), f)
                .map_or_else(|| err(format!("unknown counter `{f}`"), counter_hint()), Ok),
            _ => err("`total` holds counters", counter_hint()),
        },
        "config" => config_field(m, rest),
        "tracer" => tracer_field(m, rest),
        "machine" => match rest {
            ["warned_once"] => Ok(Val::Int(m.warned_once.len() as i128)),
            ["tasks"] => Ok(Val::Int(m.tasks.len() as i128)),
            ["vcpus"] => Ok(Val::Int(m.vcpus.len() as i128)),
            _ => err(
                "unknown machine field",
                "machine.warned_once, machine.tasks, machine.vcpus",
            ),
        },
        _ => {
            let mut names: Vec<String> = m.tasks.iter().map(|t| t.name.to_string()).collect();
            names.extend(m.vcpus.iter().map(|v| v.name.to_string()));
            err(
                format!("unknown name `{head}`"),
                if names.is_empty() {
                    "no tasks or vCPUs yet; paths start with a task, a vCPU, cpuN, total, config or tracer".to_string()
                } else {
                    format!(
                        "known: {}, cpu0–cpu{}, total, config, tracer",
                        names.join(", "),
                        m.cpus.len().saturating_sub(1)
                    )
                },
            )
        }
    }
}

pub(super) fn counter_hint() -> String {
    format!(
        "counters: {}",
        Counter::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub(super) fn task_field(m: &Machine, t: TaskId, rest: &[&str]) -> Result<Val, EvalError> {
    let task = m.task(t);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(task.name.clone()));
    };
    let v = match (f, more) {
        ("name", []) => w(task.name.clone()),
        ("TIF_SVE", []) => b(task.tif_sve),
        ("TIF_FOREIGN_FPSTATE", []) => b(task.tif_foreign_fpstate),
        ("TIF_SVE_VL_INHERIT", []) => b(task.tif_sve_vl_inherit),
        ("vl", []) => bits(task.vl),
        ("vl_onexec", []) => bits(task.vl_onexec),
        ("fpsimd_cpu", []) => w(task
            .fpsimd_cpu
            .map_or("none".to_string(), |c| c.to_string())),
        ("fp_type", []) if !m.kernel().p2_fp_type() => return no_fp_type(m),
        ("fp_type", []) => fp_type_word(task.fp_type),
        ("in_syscall", []) => b(task.in_syscall),
        ("x0", []) => Val::Int(i128::from(task.x0)),
        ("state", []) => w(match task.state {
            TaskState::Running => "running",
            TaskState::Stopped(_) => "stopped",
            TaskState::Exited => "exited",
        }),
        ("resume", []) => w(match &task.state {
            TaskState::Stopped(r) => match r {
                Resume::User => "user",
                Resume::Syscall => "syscall",
                Resume::SveTrap(_) => "sve-trap",
                Resume::Fork => "fork",
                Resume::KvmRun(_) => "kvm-run",
                Resume::KvmRunEntry(_) => "kvm-run-entry",
                Resume::Return(_) | Resume::ReturnPass { .. } => "return",
            },
            _ => "none",
        }),
        ("level", []) => w(match task.level {
            Level::User => "user".to_string(),
            Level::KvmRun(v) => format!("kvm-run:{}", m.vcpu(v).name),
        }),
        ("where", []) => w(m.task_where(t)),
        ("home", []) => w(match m.state_home(t) {
            StateHome::Live(c) => c.to_string(),
            StateHome::Memory(Format::Sve) => "memory-sve".into(),
            StateHome::Memory(Format::Fpsimd) => "memory-fpsimd".into(),
        }),
        ("load_format", []) => format_word(m.load_format(t)),
        ("sve_generation", []) => Val::Int(i128::from(task.sve_generation)),
        ("ghost_v_newest", []) => format_word(task.ghost_v_newest),
        ("pending", []) => Val::Int(task.pending.len() as i128),
        ("frames", []) => Val::Int(task.frames.len() as i128),
        ("frame", ["fpsimd", rest @ ..]) if !rest.is_empty() => {
            let what = format!("{}.frame.fpsimd", task.name);
            return match task.frames.last().and_then(|f| f.fpsimd.as_ref()) {
                Some(st) => fpsimd_field(m, st, rest, &what),
                None => err(
                    format!("{what}: no frame with an fpsimd_context record"),
                    "deliver a signal first; frame.fpsimd says whether the record is there",
                ),
            };
        }
        ("frame", ["sve", rest @ ..]) if !rest.is_empty() => {
            let payload = task
                .frames
                .last()
                .and_then(|f| f.sve.as_ref())
                .and_then(|s| s.payload.clone());
            return buf_field(m, &payload, rest, &format!("{}.frame.sve", task.name));
        }
        ("frame", [g]) => {
            let Some(fr) = task.frames.last() else {
                return Ok(w("none"));
            };
            match *g {
                "sig" => w(fr.sig.name()),
                "x0" => Val::Int(i128::from(fr.x0)),
                "sve" => w(match &fr.sve {
                    None => "none",
                    Some(s) if s.payload.is_some() => "sve",
                    Some(_) => "header",
                }),
                "sve_vl" => fr.sve.as_ref().map_or(Val::Int(0), |s| bits(s.vl)),
                "fpsimd" => w(if fr.fpsimd.is_some() {
                    "present"
                } else {
                    "none"
                }),
                _ => {
                    return err(
                        format!("frame has no field `{g}`"),
                        "frame.sig, frame.x0, frame.sve, frame.sve_vl, frame.fpsimd",
                    )
                }
            }
        }
        ("sve_state", r) => {
            return buf_field(m, &task.sve_state, r, &format!("{}.sve_state", task.name))
        }
        ("fpsimd_state", r) => {
            return fpsimd_field(
                m,
                &task.fpsimd_state,
                r,
                &format!("{}.fpsimd_state", task.name),
            )
        }
        (f, []) => {
            if let Some(v) = counter_field(&task.counters, f) {
                v
            } else if crate::dsl::parser::parse_reg(f).is_ok() {
                let Some(view) = m.user_view(t) else {
                    return err(
                        format!(
                            "{} has no user view: it has exited (or dies before returning to user)",
                            task.name
                        ),
                        "read its raw buffers instead: A.sve_state.z0, A.fpsimd_state.v0",
                    );
                };
                regview_field(&view, f).unwrap_or(Val::Int(0))
            } else {
                return err(
                    format!("task {} has no field `{f}`", task.name),
                    format!(
                        "task fields: {}, z0–z31/p0–p15/ffr/v0–v31/fpsr/fpcr (user view), sve_state.*, fpsimd_state.*, counters ({})",
                        TASK_FIELDS.join(", "),
                        Counter::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        _ => {
            return err(
                format!("`{}` is not a field of a task", rest.join(".")),
                "e.g. A.TIF_SVE, A.sve_state.z0",
            )
        }
    };
    Ok(v)
}

pub(super) fn cpu_field(m: &Machine, c: CpuId, rest: &[&str]) -> Result<Val, EvalError> {
    let cpu = m.cpu(c);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(c.to_string()));
    };
    let v = match (f, more) {
        ("curr", []) => w(m.curr_name(c)),
        ("online", []) => b(cpu.online),
        ("owner", []) => w(match m.reg_owner(c) {
            RegOwner::Nobody => "nobody".to_string(),
            RegOwner::Task {
                task,
                current: true,
            } => m.task(task).name.to_string(),
            RegOwner::Task { current: false, .. } => "nobody".to_string(),
            RegOwner::Vcpu(v) => m.vcpu(v).name.to_string(),
        }),
        ("ZCR_EL1", ["LEN"]) | ("zcr_len", []) => Val::Int(i128::from(cpu.zcr_len)),
        ("vl", []) => bits(m.rdvl(c)),
        ("CPACR_EL1", ["ZEN_EL0EN"]) | ("zen_el0en", []) => b(cpu.cpacr_zen_el0en),
        ("last", [g]) => match *g {
            "st" => w(cpu.last.st.map_or("null".to_string(), |o| owner_name(m, o))),
            "sve_state" => w(cpu.last.sve_state.map_or("null".to_string(), |r| {
                format!("{}#{}", owner_name(m, r.owner), r.generation)
            })),
            "sve_vl" => bits(cpu.last.sve_vl),
            "fp_type" if !m.kernel().p2_fp_type() => return no_fp_type(m),
            "fp_type" => w(cpu
                .last
                .fp_type
                .map_or("null".to_string(), |o| owner_name(m, o))),
            "to_save" => fp_type_word(cpu.last.to_save),
            _ => {
                return err(
                    format!("fpsimd_last_state has no field `{g}`"),
                    "last.st, last.sve_state, last.sve_vl, last.fp_type, last.to_save",
                )
            }
        },
        ("origin", [r]) => return origins_field(m, &cpu.regs.origin, r),
        (f, []) => {
            if let Some(v) = counter_field(&cpu.counters, f) {
                v
            } else if let Some(v) = crate::dsl::parser::parse_reg(f)
                .ok()
                .and_then(|_| regview_field(&m.regs_view(c), f))
            {
                v
            } else {
                return err(
                    format!("{c} has no field `{f}`"),
                    format!(
                        "CPU fields: {}, z0–z31/p0–p15/ffr/v0–v31/fpsr/fpcr (raw, at the CPU's VL), origin.REG, counters",
                        CPU_FIELDS.join(", ")
                    ),
                );
            }
        }
        _ => {
            return err(
                format!("`{}` is not a field of a CPU", rest.join(".")),
                "e.g. cpu0.ZCR_EL1.LEN, cpu0.last.st",
            )
        }
    };
    Ok(v)
}

pub(super) fn vcpu_field(
    m: &Machine,
    v: crate::model::types::VcpuId,
    rest: &[&str],
) -> Result<Val, EvalError> {
    let vc = m.vcpu(v);
    let Some((&f, more)) = rest.split_first() else {
        return Ok(w(vc.name.clone()));
    };
    let val = match (f, more) {
        ("name", []) => w(vc.name.clone()),
        ("has_sve", []) | ("sve", []) => b(vc.has_sve),
        ("sve_max_vl", []) | ("vl", []) => bits(vc.sve_max_vl),
        ("zcr_el1", []) => Val::Int(i128::from(vc.zcr_el1)),
        ("fp_type", []) if !m.kernel().p2_fp_type() => return no_fp_type(m),
        ("fp_type", []) => fp_type_word(vc.fp_type),
        ("fp_owner", []) | ("fp_state", []) => w(match vc.fp_owner {
            FpOwner::Free => "free",
            FpOwner::Host => "host",
            FpOwner::Guest => "guest",
        }),
        ("host_sve_enabled", []) => b(vc.host_sve_enabled),
        ("fp_foreign_fpstate", []) => b(vc.fp_foreign_fpstate),
        ("vmm", []) => w(vc
            .vmm
            .map_or("none".to_string(), |t| m.task(t).name.to_string())),
        ("in_guest", []) => b(vc.in_guest),
        ("loaded_on", []) => w(m
            .vcpu_loaded_on(v)
            .map_or("none".to_string(), |(c, _)| c.to_string())),
        ("sve_state", r) => {
            return buf_field(m, &vc.sve_state, r, &format!("{}.sve_state", vc.name))
        }
        ("fp_regs", r) => return fpsimd_field(m, &vc.fp_regs, r, &format!("{}.fp_regs", vc.name)),
        (r, []) => match crate::dsl::parser::parse_reg(r) {
            Ok(Reg::V(_) | Reg::Fpsr | Reg::Fpcr) => {
                return fpsimd_field(m, &vc.fp_regs, rest, &vc.name)
            }
            Ok(_) => return buf_field(m, &vc.sve_state, rest, &format!("{}.sve_state", vc.name)),
            Err(_) => {
                return err(
                    format!("vCPU {} has no field `{r}`", vc.name),
                    format!(
                        "vCPU fields: {}, fp_regs.*, sve_state.*, z0…/v0… (raw buffers)",
                        VCPU_FIELDS.join(", ")
                    ),
                )
            }
        },
        _ => {
            return err(
                format!("`{}` is not a field of a vCPU", rest.join(".")),
                "e.g. V0.fp_owner",
            )
        }
    };
    Ok(val)
}

pub(super) fn config_field(m: &Machine, rest: &[&str]) -> Result<Val, EvalError> {
    let c = &m.config;
    Ok(match rest {
        ["kernel"] => w(c.kernel.name()),
        ["cpus"] => Val::Int(c.cpus as i128),
        ["vls"] => w(c
            .vls
            .iter()
            .map(|v| (u32::from(*v) * 8).to_string())
            .collect::<Vec<_>>()
            .join(",")),
        ["sve_default_vl"] => bits(c.sve_default_vl),
        ["sve_default_vector_length"] => Val::Int(i128::from(c.sve_default_vl)),
        ["sve_syscall_clear_regs"] => b(c.sve_syscall_clear_regs),
        ["kvm_mode"] => w(match c.kvm_mode {
            crate::model::vcpu::KvmMode::Vhe => "vhe",
            crate::model::vcpu::KvmMode::Nvhe => "nvhe",
        }),
        ["max_vl"] => bits(c.max_vl()),
        ["min_vl"] => bits(c.min_vl()),
        _ => {
            return err(
                "unknown config field",
                format!("config fields: {}, min_vl", CONFIG_FIELDS.join(", ")),
            )
        }
    })
}

pub(super) fn tracer_field(m: &Machine, rest: &[&str]) -> Result<Val, EvalError> {
    let Some(d) = &m.tracer_buf else {
        return match rest {
            [] => Ok(w("empty")),
            _ => err(
                "the tracer has read nothing yet",
                "`ptrace A get NT_ARM_SVE` first",
            ),
        };
    };
    let hdr = |f: &str| -> Result<Val, EvalError> {
        let Some(h) = d.header else {
            return err(
                "the last read was NT_PRFPREG: no header",
                "`ptrace A get NT_ARM_SVE`",
            );
        };
        Ok(match f {
            "vl" => bits(h.vl),
            "max_vl" => bits(h.max_vl),
            "size" => Val::Int(i128::from(h.size)),
            "max_size" => Val::Int(i128::from(h.max_size)),
            "flags" => Val::Int(i128::from(h.flags)),
            _ => w(if h.flags & crate::model::uapi::SVE_PT_REGS_SVE != 0 {
                "sve"
            } else {
                "fpsimd"
            }),
        })
    };
    match rest {
        [] => Ok(w(m.task(d.task).name.clone())),
        ["task"] => Ok(w(m.task(d.task).name.clone())),
        [f @ ("vl" | "max_vl" | "size" | "max_size" | "flags" | "format")] => hdr(f),
        [r] => match crate::dsl::parser::parse_reg(r) {
            Ok(Reg::Z(_) | Reg::P(_) | Reg::Ffr) => buf_field(m, &d.sve, rest, "tracer payload"),
            // An SVE-format payload has no V of its own: V is Z[127:0] of the payload
            // (sve_get_common() copies sve_state, never uw.fpsimd_state's V).
            Ok(Reg::V(n)) if d.sve.is_some() => {
                let z = format!("z{n}");
                let v = buf_field(m, &d.sve, &[z.as_str()], "tracer payload")?;
                slice(v, 127, 0)
            }
            Ok(_) => match &d.fpsimd {
                Some(st) => fpsimd_field(m, st, rest, "tracer payload"),
                None => err(
                    "the payload has no FPSIMD part",
                    "it is in SVE format: read tracer.z0",
                ),
            },
            Err(_) => err(
                format!("tracer has no field `{r}`"),
                "tracer.task, vl, max_vl, size, max_size, flags, format, z0…, v0…, fpsr",
            ),
        },
        _ => err("unknown tracer field", "e.g. tracer.vl, tracer.z0"),
    }
}
