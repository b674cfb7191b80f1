//! The state panel: a box per CPU (whose registers it holds, what runs), the task and vCPU
//! tables with what changed since the previous step, and the legend of their marks.

use super::{changes, wrap};
use crate::style::{pad, width, Style};
use svelab_core::dsl::eval::resolve;
use svelab_core::model::machine::Machine;
use svelab_core::model::types::{CpuId, Level, TaskId};
use svelab_core::model::view::RegOwner;
use svelab_core::session::FieldChange;
use svelab_core::Counter;

fn val(m: &Machine, head: &str, field: &str) -> String {
    let segs: Vec<String> = std::iter::once(head.to_string())
        .chain(field.split('.').map(str::to_string))
        .collect();
    resolve(m, &segs).map_or_else(|_| "-".into(), |v| v.to_string())
}

/// Is `path` a counter (`cpu0.traps`, `A.syscalls`)?
fn is_counter(path: &str) -> bool {
    path.rsplit('.')
        .next()
        .is_some_and(|l| Counter::parse(l).is_some())
}

/// Is the last segment of `path` a register name?
pub fn is_register(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or("");
    let num = |p: &str, max: u32| {
        last.strip_prefix(p)
            .filter(|n| {
                !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_digit())
                    && (n.len() == 1 || !n.starts_with('0'))
            })
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n < max)
    };
    matches!(last, "ffr" | "fpsr" | "fpcr") || num("z", 32) || num("p", 16) || num("v", 32)
}

/// The fields the panel's boxes and tables show (so the change list leaves them out).
const PANEL_TASK: [&str; 6] = [
    "TIF_SVE",
    "TIF_FOREIGN_FPSTATE",
    "fp_type",
    "vl",
    "home",
    "where",
];
const PANEL_VCPU: [&str; 5] = ["vmm", "loaded_on", "in_guest", "fp_owner", "has_sve"];

fn owner_text(m: &Machine, c: CpuId, st: Style) -> (String, String) {
    match m.reg_owner(c) {
        RegOwner::Nobody => ("nobody".into(), st.dim("– nobody")),
        RegOwner::Task { task, current } => {
            let n = m.task(task).name.clone();
            if current {
                (
                    format!("{n} fresh"),
                    format!("{} {n} {}", st.green("●"), st.green("fresh")),
                )
            } else {
                (
                    format!("{n} stale"),
                    format!("{} {n} {}", st.yellow("○"), st.yellow("stale")),
                )
            }
        }
        RegOwner::Vcpu(v) => {
            let n = m.vcpu(v).name.clone();
            (
                format!("{n} guest"),
                format!("{} {n} {}", st.magenta("◆"), st.magenta("guest")),
            )
        }
    }
}

fn runs_text(m: &Machine, c: CpuId) -> String {
    let cpu = m.cpu(c);
    if !cpu.online {
        return "offline".into();
    }
    let name = m.curr_name(c);
    match cpu.curr {
        svelab_core::model::types::Curr::Task(t) => match m.task(t).level {
            Level::User => format!("{name} (EL0)"),
            Level::KvmRun(v) => {
                let vc = m.vcpu(v);
                if vc.in_guest {
                    format!("{name} → guest {}", vc.name)
                } else {
                    format!("{name} in KVM_RUN {}", vc.name)
                }
            }
        },
        _ => name,
    }
}

/// The facts a CPU box shows: (plain key for change detection, painted line).
fn cpu_lines(m: &Machine, c: CpuId, st: Style) -> Vec<(String, String)> {
    let runs = runs_text(m, c);
    let (okey, otext) = owner_text(m, c, st);
    let cpu = m.cpu(c);
    let vl = u32::from(m.rdvl(c)) * 8;
    let sve = if cpu.cpacr_zen_el0en { "on" } else { "trap" };
    vec![
        (runs.clone(), format!("{} {runs}", st.dim("runs"))),
        (okey, format!("{} {otext}", st.dim("regs"))),
        (
            format!("{vl} {sve}"),
            format!("{} {vl}  {} {sve}", st.dim("VL"), st.dim("EL0 SVE")),
        ),
    ]
}

/// The CPU boxes, side by side as the width allows. Lines whose content changed since
/// `before` end in a `*`.
pub fn cpu_boxes(before: Option<&Machine>, m: &Machine, st: Style, w: usize) -> String {
    const INNER: usize = 26;
    let boxes: Vec<Vec<String>> = (0..m.cpus.len())
        .map(|i| {
            let c = CpuId(i as u8);
            let old = before
                .filter(|b| i < b.cpus.len())
                .map(|b| cpu_lines(b, c, Style::PLAIN));
            let title = format!(" {c} ");
            let mut lines = vec![format!(
                "{}{}{}",
                st.blue("┌─"),
                st.bold(&title),
                st.blue(format!("{}┐", "─".repeat(INNER - title.chars().count())))
            )];
            for (k, (key, text)) in cpu_lines(m, c, st).into_iter().enumerate() {
                let changed = old.as_ref().is_some_and(|o| o[k].0 != key);
                let text = if changed {
                    format!("{text} {}", st.changed("*"))
                } else {
                    text
                };
                // A long name must not push the box (and the line) wider: cut, uncoloured.
                let text = if width(&text) > INNER {
                    let plain = crate::style::strip(&text);
                    let mut cut: String = plain.chars().take(INNER - 1).collect();
                    cut.push('…');
                    cut
                } else {
                    text
                };
                lines.push(format!(
                    "{} {}{}",
                    st.blue("│"),
                    pad(&text, INNER),
                    st.blue("│")
                ));
            }
            lines.push(st.blue(format!("└{}┘", "─".repeat(INNER + 1))));
            lines
        })
        .collect();
    let per_row = (w / (INNER + 4)).max(1);
    let mut out = String::new();
    for row in boxes.chunks(per_row) {
        for l in 0..row[0].len() {
            let parts: Vec<&str> = row.iter().map(|b| b[l].as_str()).collect();
            out.push_str(&format!(" {}\n", parts.join(" ")));
        }
    }
    out
}

/// A table with a header row: one line per row when it fits in `w` columns, else each
/// row as its first two cells, then `header value` pairs packed under them.
fn table(rows: &[Vec<String>], st: Style, w: usize) -> String {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| width(&r[c])).max().unwrap_or(0))
        .collect();
    let natural = 1 + widths.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
    if natural > w && cols > 2 {
        return stacked(rows, st, w);
    }
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, x)| {
                let x = if i == 0 { st.dim(x) } else { x.clone() };
                if c + 1 == cols {
                    x
                } else {
                    pad(&x, widths[c])
                }
            })
            .collect();
        out.push_str(&format!(" {}\n", cells.join("  ").trim_end()));
    }
    out
}

/// The narrow form of [`table`]: ` A  running at EL0 on cpu0`, then `TIF_SVE 1*  …`.
fn stacked(rows: &[Vec<String>], st: Style, w: usize) -> String {
    let Some((head, body)) = rows.split_first() else {
        return String::new();
    };
    let mut out = String::new();
    let room = w.saturating_sub(4).max(8);
    // The second column is named unless it says where the task is (`running at EL0 …`).
    let second = |x: &str| {
        if head[1] == "where" {
            x.to_string()
        } else {
            format!("{} {x}", st.dim(&head[1]))
        }
    };
    for r in body {
        let first = format!(" {}  {}", r[0], second(&r[1]));
        if width(&first) <= w {
            out.push_str(&format!("{first}\n"));
        } else {
            out.push_str(&format!(" {}\n", r[0]));
            for l in wrap(&second(&r[1]), room) {
                out.push_str(&format!("    {l}\n"));
            }
        }
        let mut line = String::new();
        for (h, x) in head.iter().zip(r).skip(2) {
            let item = format!("{} {x}", st.dim(h));
            if !line.is_empty() && width(&line) + 2 + width(&item) > room {
                out.push_str(&format!("    {line}\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push_str("  ");
            }
            line.push_str(&item);
        }
        if !line.is_empty() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// The symbols of the state panel, each with a sentence: what `:legend` prints.
pub const LEGEND: [(&str, &str); 8] = [
    ("●", "fresh: the CPU's registers hold this task's newest state (no reload needed)"),
    ("○", "stale: they hold an older copy of the task's state; the kernel must reload it before the task runs there (TIF_FOREIGN_FPSTATE)"),
    ("◆", "guest: they hold a KVM guest's (vCPU's) state"),
    ("–", "nobody: no task or guest state is bound to the CPU"),
    ("*", "changed by the last step (a box line, a table cell)"),
    ("EL0 SVE on/trap", "CPACR_EL1.ZEN_EL0EN: whether the task's SVE instructions run, or trap to do_sve_acc"),
    ("FOREIGN", "the task's TIF_FOREIGN_FPSTATE: the registers do not hold its state"),
    ("newest state", "where the task's newest FPSIMD/SVE state is: live in a CPU's registers, or in memory (fpsimd_state or sve_state)"),
];

/// The legend of the state panel, wrapped to `w` columns.
pub fn legend_text(st: Style, w: usize) -> String {
    let mut out = format!("{}\n", st.heading("The state panel"));
    for (sym, what) in LEGEND {
        let lines = wrap(what, w.saturating_sub(6).max(20));
        out.push_str(&format!("  {}\n", st.bold(sym)));
        for l in lines {
            out.push_str(&format!("    {l}\n"));
        }
    }
    out
}

/// One line under the panel naming the symbols it shows, and `:legend`.
fn legend_line(shown: &str, st: Style) -> String {
    let mut parts: Vec<&str> = [
        ("●", "● fresh"),
        ("○", "○ stale"),
        ("◆", "◆ guest"),
        ("– nobody", "– nobody"),
    ]
    .iter()
    .filter(|(sym, _)| shown.contains(sym))
    .map(|(_, text)| *text)
    .collect();
    // A `*` after a value or a box line: something changed.
    if shown.lines().any(|l| {
        l.split_whitespace()
            .any(|wd| wd.ends_with('*') && !wd.starts_with('*'))
            || l.contains(" * ")
            || l.contains(" *│")
    }) {
        parts.push("* changed");
    }
    parts.push(":legend explains");
    format!(" {}\n", st.dim(parts.join("  ")))
}

fn cell(now: String, old: Option<String>, st: Style) -> String {
    match old {
        Some(o) if o != now => format!("{}{}", st.changed(&now), st.changed("*")),
        None => st.changed(&now),
        _ => now,
    }
}

fn task_rows(before: Option<&Machine>, m: &Machine, st: Style) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "task".to_string(),
        "where".into(),
        "TIF_SVE".into(),
        "FOREIGN".into(),
        "fp_type".into(),
        "VL".into(),
        "newest state".into(),
    ]];
    for (i, t) in m.tasks.iter().enumerate() {
        let id = TaskId(i as u16);
        let old = before.and_then(|b| b.task_id(&t.name).map(|o| (b, o)));
        let get = |mm: &Machine, tid: TaskId, f: &str| -> String {
            match f {
                "where" => mm.task_where(tid),
                "fp_type" if !mm.kernel().p2_fp_type() => "n/a".into(),
                "home" => match mm.tasks[usize::from(tid.0)].state {
                    svelab_core::model::machine::TaskState::Exited => "-".into(),
                    _ if guest_holds(mm, tid).is_some() => {
                        format!(
                            "saved by KVM for {}",
                            guest_holds(mm, tid).unwrap_or_default()
                        )
                    }
                    _ => match mm.state_home(tid) {
                        svelab_core::model::view::StateHome::Live(c) => format!("live on {c}"),
                        svelab_core::model::view::StateHome::Memory(f) => format!("memory ({f})"),
                    },
                },
                _ => val(mm, &mm.tasks[usize::from(tid.0)].name, f),
            }
        };
        let mut row = vec![st.bold(&t.name)];
        for f in [
            "where",
            "TIF_SVE",
            "TIF_FOREIGN_FPSTATE",
            "fp_type",
            "vl",
            "home",
        ] {
            let now = get(m, id, f);
            let was = old.map(|(b, o)| get(b, o, f));
            row.push(cell(now, was, st));
        }
        rows.push(row);
    }
    rows
}

/// The vCPU whose guest holds the registers of the CPU VMM task `t` runs on (KVM saved
/// the host's state first, though `fpsimd_last_state` may still name the task).
fn guest_holds(m: &Machine, t: TaskId) -> Option<String> {
    m.guest_holding_regs_of(t)
        .map(|(_, v)| m.vcpu(v).name.to_string())
}

fn vcpu_rows(before: Option<&Machine>, m: &Machine, st: Style) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "vcpu".to_string(),
        "VMM".into(),
        "loaded on".into(),
        "in guest".into(),
        "fp_owner".into(),
        "SVE".into(),
    ]];
    for v in &m.vcpus {
        let old = before.filter(|b| b.vcpu_id(&v.name).is_some());
        let mut row = vec![st.bold(&v.name)];
        for f in PANEL_VCPU {
            let now = val(m, &v.name, f);
            let was = old.map(|b| val(b, &v.name, f));
            row.push(cell(now, was, st));
        }
        rows.push(row);
    }
    rows
}

/// The state panel: CPU boxes, the task and vCPU tables (changes since `before` marked),
/// and the other fields and registers that changed, folded to width `w`.
pub fn panel(before: Option<&Machine>, m: &Machine, st: Style, w: usize) -> String {
    let mut out = cpu_boxes(before, m, st, w);
    if !m.tasks.is_empty() {
        out.push_str(&table(&task_rows(before, m, st), st, w));
    }
    if !m.vcpus.is_empty() {
        out.push_str(&table(&vcpu_rows(before, m, st), st, w));
    }
    if let Some(b) = before {
        let diff = svelab_core::session::diff_machines(b, m);
        let shown = |p: &str| {
            let mut it = p.splitn(2, '.');
            let (head, field) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            let task_field = m.task_id(head).is_some() && PANEL_TASK.contains(&field);
            let vcpu_field = m.vcpu_id(head).is_some() && PANEL_VCPU.contains(&field);
            let cpu_field = head.starts_with("cpu")
                && matches!(
                    field,
                    "curr" | "owner" | "vl" | "CPACR_EL1.ZEN_EL0EN" | "online" | "last.st"
                );
            task_field || vcpu_field || cpu_field || head == "config" && field == "kernel"
        };
        let rest: Vec<FieldChange> = diff
            .into_iter()
            .filter(|c| !is_counter(&c.path) && !shown(&c.path))
            // Fields of objects that appear or go are the tables' business.
            .filter(|c| c.before != "absent" && c.after != "absent")
            .collect();
        let (regs, fields): (Vec<FieldChange>, Vec<FieldChange>) =
            rest.into_iter().partition(|c| is_register(&c.path));
        if !fields.is_empty() {
            out.push_str(&format!(" {}\n", st.dim("changed:")));
            out.push_str(&changes(&fields, st, w, 10));
        }
        if !regs.is_empty() {
            out.push_str(&format!(
                " {}\n",
                st.dim("registers changed (:regs shows them all):")
            ));
            out.push_str(&changes(&regs, st, w, 8));
        }
    }
    let plain = crate::style::strip(&out);
    out.push_str(&legend_line(&plain, st));
    out
}
