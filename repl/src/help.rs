//! `:help`: the overview, and one page per command, statement and topic.

use crate::commands::{self, COMMANDS};
use crate::display::wrap;
use crate::lang::{self, Head, STATEMENTS};
use crate::style::{pad, Style};
use svelab_core::Kernel;

/// An example per statement.
const EXAMPLES: &[(&str, &str)] = &[
    ("kernel", "kernel series-v1/p6"),
    ("cpus", "cpus 4"),
    ("vls", "vls 128,256,512,1024"),
    ("kvm-mode", "kvm-mode nvhe"),
    ("sysctl", "sysctl abi.sve_default_vector_length=32"),
    ("task", "task A vl=512 on=cpu0"),
    ("vcpu", "vcpu V0 sve vl=512"),
    ("sve-op", "sve-op A z0=fill(0xaa) p1=0x0f ffr=ones"),
    ("fp-op", "fp-op A v3=0x1234 fpsr=0x10"),
    ("svc", "svc A yield -> B"),
    ("ctxsw", "ctxsw cpu0 B"),
    ("migrate", "migrate A cpu1"),
    ("signal", "signal A SIGUSR1"),
    ("frame-write", "frame-write A z0=fill(0xaa) v0=0x55"),
    ("ptrace", "ptrace A set NT_ARM_SVE vl=256 sve z0=0x5"),
    ("kernel-neon", "kernel-neon cpu0"),
    ("cpu-pm", "cpu-pm cpu0"),
    ("cpu-offline", "cpu-offline cpu1"),
    ("cpu-online", "cpu-online cpu1"),
    ("kvm-enter", "kvm-enter VMM V0 preempt -> B"),
    ("guest-sve-op", "guest-sve-op V0 z0=fill(0x33)"),
    ("guest-fp-op", "guest-fp-op V0 v0=0x1"),
    ("guest-zcr", "guest-zcr V0 vl=128"),
    ("kvm-exit", "kvm-exit V0 to-user"),
    ("expect", "expect A.z0[255:128] == fill(0xaa)"),
    ("show", "show cpu0"),
    ("repeat", "repeat 1000 { sve-op A z0=1; svc A getpid }"),
];

/// Two columns: a (painted) left part padded to `lw`, then the text wrapped to the width
/// `w`; a left part wider than `lw` puts its text on the next line.
pub fn columns(rows: &[(String, String)], lw: usize, w: usize) -> String {
    let room = w.saturating_sub(lw + 3).max(24);
    let mut out = String::new();
    for (left, text) in rows {
        let lines = wrap(text, room);
        let mut lines = lines.iter();
        if crate::style::width(left) > lw {
            out.push_str(&format!("  {left}\n"));
        } else if let Some(first) = lines.next() {
            out.push_str(&format!("  {} {first}\n", pad(left, lw)));
        }
        for l in lines {
            out.push_str(&format!("  {} {l}\n", " ".repeat(lw)));
        }
    }
    out
}

/// A paragraph wrapped to `w`, every line indented by `indent` spaces.
pub fn para(text: &str, indent: usize, w: usize) -> String {
    wrap(text, w.saturating_sub(indent).max(24))
        .iter()
        .map(|l| format!("{}{l}\n", " ".repeat(indent)))
        .collect()
}

/// One line per kernel (the core's summary).
pub fn kernel_line(k: Kernel) -> &'static str {
    k.summary()
}

/// The kernels, one per row, `current` marked.
pub fn kernel_list(current: Option<Kernel>, st: Style, w: usize) -> String {
    let rows: Vec<(String, String)> = Kernel::ALL
        .iter()
        .map(|k| {
            let mark = if Some(*k) == current {
                st.green("▶ ")
            } else {
                "  ".into()
            };
            (
                format!("{mark}{}", st.cyan(k.name())),
                kernel_line(*k).to_string(),
            )
        })
        .collect();
    columns(&rows, 15, w)
}

fn kernels(st: Style, w: usize) -> String {
    let mut out = st.heading("Kernels") + "\n";
    out.push_str(&kernel_list(None, st, w));
    out.push_str(&para(
        "`series-v1` is series-v1/p7. Switch with `:kernel NAME`, compare with `:compare NAME`.",
        2,
        w,
    ));
    out
}

fn paths(st: Style, w: usize) -> String {
    let mut out = st.heading("Paths") + " (for expect, show, :why)\n";
    out.push_str(
        "  A path starts with a task or vCPU name, cpuN, total, config, tracer or machine.\n",
    );
    out.push_str("  Task registers without a prefix (A.z0) are the user view: what its next instruction reads.\n");
    out.push_str(
        "  Bit slices: A.z0[255:128]. Tab completes the fields of the names that exist.\n",
    );
    for (h, name) in [
        (Head::Task, "task"),
        (Head::Cpu, "cpuN"),
        (Head::Vcpu, "vCPU"),
        (Head::Config, "config"),
        (Head::Total, "total"),
        (Head::Tracer, "tracer"),
        (Head::Machine, "machine"),
    ] {
        let fields: Vec<String> = lang::fields(h)
            .into_iter()
            .filter(|f| !crate::display::is_register(f) || f == "z0" || f == "p0" || f == "v0")
            .filter(|f| !f.contains("state.") || f.ends_with("z0") || f.ends_with("v0"))
            .collect();
        let text = fields.join(" ");
        let lines = wrap(&text, w.saturating_sub(14).max(30));
        for (i, l) in lines.iter().enumerate() {
            let label = if i == 0 { name } else { "" };
            out.push_str(&format!("  {} {l}\n", pad(&st.bold(label), 10)));
        }
    }
    out.push_str(
        "  (registers: z0-z31 p0-p15 ffr v0-v31 fpsr fpcr; counters as in `show counters`)\n",
    );
    out
}

const VALUES: &str = "\
  0x1234        hex, little-endian lanes, zero-extended (0x0f in p1 sets its lowest byte)
  42            decimal
  fill(0xaa)    every byte 0xaa
  ones, zero    all ones, all zeros
  pattern(7)    every 32-bit lane a value unique per task, register and lane
  Vector lengths are in bits (128-2048); abi.sve_default_vector_length takes bytes.
  Comparisons: == != < <= > >=; names compare with names (null = none = nobody).";

const KEYS: &str = "\
  Tab           complete statements, names, registers, fields and : commands
  → or End      accept the grey hint
  ↑ ↓, Ctrl-R   history (kept in the data directory), reverse search
  Enter         run; an open `{` (repeat) continues on the next line
  Ctrl-C        clear the line; during a long run, stop it (the session stays)
  Ctrl-D        quit
  Emacs keys by default; `svelab --vi` or `:set edit-mode vi` for vi keys.";

const ERRORS: &str = "\
  Parse errors: the statement is not valid syntax; nothing of the input runs.
  Step errors: valid, but impossible now (sve-op on a task that is not running, config
  after the first task…); the session stays as it was.
  Either way the offending text is underlined and a hint says how to fix it.";

const BREAKPOINTS: &str = "\
  :break line 12          stop before the statement on line 12 (:list numbers lines)
  :break when A.TIF_SVE == 0
                          stop after the step that makes the condition true
                          (what expect takes: cpu0.owner == B, violation B1)
  :watch cpu0.owner       stop after the step that changes the value
  :break                  list breakpoints and watches, with their numbers
  :delete 2, :delete all  remove one, or every one
  :run                    go on after a stop (:step steps one statement)
  Breakpoints stop :run, :load, :lesson N run and typed statements.
  From the shell, `svelab watch FILE` reruns a script each time it is saved.";

const LESSONS: &str = "\
  :lesson               the lessons, with your progress (✓ done, ● started)
  :lesson 3             lesson 3: its text, its scripts, its exercises
  :lesson 3 load trap   the script trap.svl in the session at step 0: :step walks it
  :exercise             the next exercise not passed (or :exercise 3/2, 3/two-traps)
  :exercise load        its starter script (construct) or setup (predict) in the session
  :hint                 one more hint
  :check 0, ones        a predict: one value per blank, in order
  :check                a construct: grades the session's program (:list shows it)
  :reveal               the answer and why, after a first :check (a wrong prediction
                        shows it by itself after the third try)
  :variant              new numbers for the same exercise
  :submit F ID ASG      hand in: your answers to assignment ASG, for student ID, in file F
  Your numbers differ from other students' (SVELAB_SEED sets the seed; a class sheet gives
  yours). Progress is kept in the data directory (SVELAB_PROGRESS sets the file; empty: not
  kept). svelab --course DIR uses a teacher's course folder.
  Outside the REPL: svelab lessons, svelab check 3/2 answer.svl, svelab check 1/1 --answer 0";

/// The overview.
pub fn overview(st: Style, w: usize) -> String {
    let mut out = String::new();
    out.push_str(&st.heading("svelab"));
    out.push_str(
        " — type statements to run them as steps; `:` commands inspect and travel in time.\n\n",
    );
    out.push_str(&(st.heading("Statements") + "\n"));
    let rows: Vec<(String, String)> = STATEMENTS
        .iter()
        .map(|s| (st.paint("1;34", s.keyword), s.summary.to_string()))
        .collect();
    out.push_str(&columns(&rows, 13, w));
    out.push('\n');
    out.push_str(&(st.heading("Commands") + "\n"));
    let rows: Vec<(String, String)> = COMMANDS
        .iter()
        .map(|c| {
            let head = format!(":{} {}", c.name, c.usage);
            (st.cyan(head.trim_end()), c.summary.to_string())
        })
        .collect();
    out.push_str(&columns(&rows, 24, w));
    out.push('\n');
    out.push_str(&para(
        &format!(
            "More: :help STATEMENT, :help :COMMAND, :help {}.",
            crate::helper::TOPICS.join(", ")
        ),
        0,
        w,
    ));
    out
}

/// The page for `topic`, or `None`.
pub fn topic(t: &str, st: Style, w: usize) -> Option<String> {
    let t = t.trim();
    let bare = t.trim_start_matches(':');
    match bare {
        "kernels" => return Some(kernels(st, w)),
        "paths" | "path" => return Some(paths(st, w)),
        "values" | "value" => return Some(format!("{}\n{VALUES}\n", st.heading("Values"))),
        "keys" | "editing" => return Some(format!("{}\n{KEYS}\n", st.heading("Keys"))),
        "errors" => return Some(format!("{}\n{ERRORS}\n", st.heading("Errors"))),
        "legend" | "panel" | "symbols" => return Some(crate::display::legend_text(st, w)),
        "breakpoints" | "breakpoint" | "watches" | "debugging" => {
            return Some(format!(
                "{}\n{BREAKPOINTS}\n",
                st.heading("Breakpoints and watches")
            ))
        }
        "lessons" | "lesson-commands" | "course" => {
            return Some(format!("{}\n{LESSONS}\n", st.heading("Lessons")))
        }
        "statements" => {
            let rows: Vec<(String, String)> = STATEMENTS
                .iter()
                .map(|s| (st.paint("1;34", s.keyword), s.usage.to_string()))
                .collect();
            return Some(st.heading("Statements") + "\n" + &columns(&rows, 13, w));
        }
        "commands" => {
            let rows: Vec<(String, String)> = COMMANDS
                .iter()
                .map(|c| {
                    let head = format!(":{} {}", c.name, c.usage);
                    (st.cyan(head.trim_end()), c.summary.to_string())
                })
                .collect();
            return Some(st.heading("Commands") + "\n" + &columns(&rows, 24, w));
        }
        _ => {}
    }
    if !t.starts_with(':') {
        if let Some(s) = lang::statement(bare) {
            let ex = EXAMPLES
                .iter()
                .find(|(k, _)| *k == bare)
                .map_or("", |(_, e)| e);
            let mut out = String::new();
            let full = format!("{} {}", s.keyword, s.usage);
            for (i, l) in wrap(&full, w.saturating_sub(4).max(24)).iter().enumerate() {
                if i == 0 {
                    let rest = &l[s.keyword.len()..];
                    out.push_str(&format!("{}{rest}\n", st.paint("1;34", s.keyword)));
                } else {
                    out.push_str(&format!("    {l}\n"));
                }
            }
            out.push_str(&para(s.summary, 2, w));
            out.push_str(&format!("  example: {ex}\n"));
            if bare == "kernel" {
                out.push('\n');
                out.push_str(&kernels(st, w));
            }
            return Some(out);
        }
    }
    if let Ok(c) = commands::find(bare) {
        let aliases = if c.aliases.is_empty() {
            String::new()
        } else {
            format!(
                "  (also {})",
                c.aliases
                    .iter()
                    .map(|a| format!(":{a}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        return Some(format!(
            "{} {}{}\n{}{}",
            st.cyan(format!(":{}", c.name)),
            c.usage,
            st.dim(aliases),
            para(c.summary, 2, w),
            para(c.help, 2, w)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_and_command_has_a_page() {
        for s in STATEMENTS {
            let p = topic(s.keyword, Style::PLAIN, 80).unwrap();
            assert!(p.contains("example: "), "{}", s.keyword);
            assert!(!p.contains("example: \n"), "no example for {}", s.keyword);
        }
        for c in COMMANDS {
            assert!(topic(&format!(":{}", c.name), Style::PLAIN, 80).is_some());
        }
        for t in crate::helper::TOPICS {
            assert!(topic(t, Style::PLAIN, 80).is_some(), "{t}");
        }
        assert!(topic("bogus", Style::PLAIN, 80).is_none());
    }

    #[test]
    fn overview_lists_everything() {
        let o = overview(Style::PLAIN, 100);
        assert!(o.contains(":regs <task|cpu>"));
        assert!(o.lines().all(|l| l.chars().count() <= 100), "{o}");
        assert!(o.contains("guest-sve-op"));
    }
}
