//! A real program: the steps the runner (`tests/real/runner/`) carries out inside a real
//! kernel, and the text it reads them from.
//!
//! Grammar, one step per line (`#` lines are comments):
//!
//! ```text
//! program NAME
//! trace FUNC FUNC …            kernel functions whose calls the program counts
//! T<i> sve WRITES               task i: write registers, then read every register (SVE)
//! T<i> fp WRITES                task i: write V/FPSR/FPCR, then read them (no SVE insn)
//! T<i> getpid | block | prctl-set-vl a=ARG | prctl-get-vl | fork T<j> | exec | exit
//! T<i> kill T<j> a=SIG | sigreturn a=EDIT | read-neon
//! T<i> kvm-create T<v> a=SVE b=VLBYTES | guest-push T<v> a=KIND WRITES | kvm-run T<v>
//! C start T<i> a=CPU b=VLBYTES c=PRIO   fork the worker of task i, pinned to model CPU
//! C prio T<i> a=PRIO | wake T<i> | sleeping T<i> | affinity T<i> a=CPU | detach T<i>
//! C signal T<i> a=SIG           and wait until its handler runs
//! C ptrace-get T<i> a=NOTE | ptrace-set-fpr T<i> WRITES
//! C obs-reg T<i> r=REG o=ID | obs-x0 T<i> o=ID | obs-count f=FUNC a=TASK|-1 o=ID
//! C obs-frame T<i> o=ID | obs-depth T<i> o=ID | obs-tracer o=ID | obs-guest T<v> a=OP o=ID
//! ```
//!
//! `WRITES` are `z3=HEX p1=HEX ffr=HEX v2=HEX fpsr=INT fpcr=INT`, HEX being the register's
//! bytes, least significant first, at the task's vector length.

use std::fmt::{self, Write as _};

/// Who carries out a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The worker process of a task (index into [`RealProgram::tasks`]).
    Task(u8),
    /// The coordinator (the runner's init process, on a CPU of its own).
    Coordinator,
}

/// A register write as the runner does it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealWrite {
    /// `z`, `p`, `ffr`, `v`, `fpsr`, `fpcr`.
    pub reg: String,
    /// Index for z/p/v.
    pub index: u8,
    /// Bytes, least significant first (FPSR/FPCR: the value).
    pub bytes: Vec<u8>,
}

/// One step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealStep {
    /// Who.
    pub actor: Actor,
    /// The runner's operation name (`sve`, `block`, `obs-reg`, …).
    pub op: &'static str,
    /// `T<i>` argument.
    pub task: Option<u8>,
    /// `a=`, `b=`, `c=` arguments.
    pub args: [Option<i64>; 3],
    /// `r=` register to observe.
    pub reg: Option<String>,
    /// `f=` kernel function.
    pub func: Option<&'static str>,
    /// `o=` observation id.
    pub obs: Option<u32>,
    /// Register writes.
    pub writes: Vec<RealWrite>,
}

impl RealStep {
    /// A step with no arguments.
    pub fn new(actor: Actor, op: &'static str) -> RealStep {
        RealStep {
            actor,
            op,
            task: None,
            args: [None; 3],
            reg: None,
            func: None,
            obs: None,
            writes: Vec::new(),
        }
    }

    /// With a `T<i>` argument.
    pub fn task(mut self, t: u8) -> RealStep {
        self.task = Some(t);
        self
    }

    /// With `a=` (i = 0), `b=` (1) or `c=` (2).
    pub fn arg(mut self, i: usize, v: i64) -> RealStep {
        self.args[i] = Some(v);
        self
    }
}

/// A task of a real program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealTask {
    /// The script's name for it.
    pub name: String,
}

/// What the runner carries out for one script.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RealProgram {
    /// Program name (the runner prints it back).
    pub name: String,
    /// Tasks, by index.
    pub tasks: Vec<RealTask>,
    /// Kernel functions counted.
    pub trace: Vec<&'static str>,
    /// The steps.
    pub steps: Vec<RealStep>,
}

fn hex(out: &mut String, b: &[u8]) {
    for x in b {
        let _ = write!(out, "{x:02x}");
    }
}

impl fmt::Display for RealProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "program {}", self.name)?;
        for (i, t) in self.tasks.iter().enumerate() {
            writeln!(f, "# T{i} = {}", t.name)?;
        }
        if !self.trace.is_empty() {
            writeln!(f, "trace {}", self.trace.join(" "))?;
        }
        for s in &self.steps {
            let mut line = match s.actor {
                Actor::Task(i) => format!("T{i} {}", s.op),
                Actor::Coordinator => format!("C {}", s.op),
            };
            if let Some(t) = s.task {
                let _ = write!(line, " T{t}");
            }
            for (name, v) in ["a", "b", "c"].iter().zip(s.args) {
                if let Some(v) = v {
                    let _ = write!(line, " {name}={v}");
                }
            }
            if let Some(r) = &s.reg {
                let _ = write!(line, " r={r}");
            }
            if let Some(func) = s.func {
                let _ = write!(line, " f={func}");
            }
            if let Some(o) = s.obs {
                let _ = write!(line, " o={o}");
            }
            for w in &s.writes {
                match w.reg.as_str() {
                    "fpsr" | "fpcr" => {
                        let mut v = [0u8; 8];
                        let n = w.bytes.len().min(8);
                        v[..n].copy_from_slice(&w.bytes[..n]);
                        let _ = write!(line, " {}={}", w.reg, u64::from_le_bytes(v));
                    }
                    "ffr" => {
                        line.push_str(" ffr=");
                        hex(&mut line, &w.bytes);
                    }
                    r => {
                        let _ = write!(line, " {r}{}=", w.index);
                        hex(&mut line, &w.bytes);
                    }
                }
            }
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}
