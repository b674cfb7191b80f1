//! How state is shown: step reports, the state panel (CPU ownership boxes, the task and
//! vCPU tables, what changed), register views and field diffs, all folded to the terminal
//! width. Every function returns text; plain text when the [`Style`] has no colour.

use crate::style::{pad, width, Style};
use svelab_core::dsl::eval::{fmt_bytes, resolve};
use svelab_core::model::machine::Machine;
use svelab_core::model::types::{CpuId, Level, TaskId};
use svelab_core::model::view::{RegOwner, RegView};
use svelab_core::session::{render_report, FieldChange, StepReport};
use svelab_core::Counter;

/// Colours a transcript as the core renders it (`render_report`): the same text, with the
/// kernel functions, outcomes, violations and errors picked out. `with_line` keeps the
/// `line:` prefix of the statement (batch mode); the REPL drops it.
pub fn report(r: &StepReport, with_line: bool, st: Style) -> String {
    let plain = render_report(r);
    let mut out = String::new();
    let mut ev = r.events.iter();
    for (i, line) in plain.lines().enumerate() {
        if i == 0 {
            let text = if with_line {
                format!("{}:{}", r.line, r.text)
            } else {
                r.text.clone()
            };
            out.push_str(&format!(
                "{} {}",
                st.dim(format!("[{}]", r.step)),
                st.bold(text)
            ));
        } else if let Some(rest) = line.strip_prefix("    = ") {
            let painted = if let Some(x) = rest.strip_prefix("ok ") {
                format!("{} {x}", st.green("ok"))
            } else if let Some(x) = rest.strip_prefix("FAILED ") {
                format!("{} {x}", st.error("FAILED"))
            } else {
                rest.to_string()
            };
            out.push_str(&format!("    {} {painted}", st.dim("=")));
        } else if line.starts_with("    !! ") {
            out.push_str(&st.red(line));
        } else if let Some(x) = line.strip_prefix("    error: ") {
            out.push_str(&format!("    {} {x}", st.error("error:")));
        } else if let Some(x) = line.strip_prefix("    hint: ") {
            out.push_str(&format!("    {} {x}", st.cyan("hint:")));
        } else if let Some(x) = line.strip_prefix("    counters: ") {
            out.push_str(&format!("    {}", st.dim(format!("counters: {x}"))));
        } else if line.starts_with("    | ") {
            out.push_str(line);
        } else if line.starts_with("    ") && !line.starts_with("    =") {
            // An event line: colour the kernel function.
            match ev.next().map(|e| e.event.function().to_string()) {
                Some(f) if line.contains(&format!(" {f}: ")) => {
                    let at = line.find(&format!(" {f}: ")).unwrap_or(0) + 1;
                    let (a, b) = line.split_at(at);
                    let b = &b[f.len()..];
                    out.push_str(&format!("{}{}{b}", st.dim(a), st.cyan(&f)));
                }
                _ => out.push_str(line),
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Splits `s` into pieces of at most `w` columns, preferring to cut after a `_` or a space.
pub fn fold(s: &str, w: usize) -> Vec<String> {
    let w = w.max(8);
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while chars.len() - i > w {
        let window = &chars[i..i + w];
        let cut = window
            .iter()
            .rposition(|&c| c == '_' || c == ' ')
            .filter(|&p| p >= w / 2)
            .map_or(w, |p| p + 1);
        out.push(
            chars[i..i + cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        i += cut;
    }
    out.push(chars[i..].iter().collect());
    out
}

/// Word-wraps prose to `w` columns (cuts at spaces; a word wider than a line is folded).
/// Escape sequences do not count.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(8);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let ww = width(word);
        if !line.is_empty() && width(&line) + 1 + ww > w {
            out.push(std::mem::take(&mut line));
        }
        if ww > w && !word.contains('\x1b') {
            let mut pieces = fold(word, w);
            let last = pieces.pop().unwrap_or_default();
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            out.extend(pieces);
            line = last;
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

/// Wraps every line of `text` wider than `w`: continuation lines keep the indentation (and
/// the `|` of `show` output) and indent two more.
pub fn wrap_text(text: &str, w: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if width(line) <= w {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = &line[indent..];
        let (lead, body) = match body.strip_prefix("| ") {
            Some(b) => (format!("{}| ", " ".repeat(indent)), b),
            None => (" ".repeat(indent), body),
        };
        let inner = body.len() - body.trim_start_matches(' ').len();
        let cont = format!("{lead}{}  ", " ".repeat(inner));
        for (i, l) in wrap(body, w.saturating_sub(cont.len())).iter().enumerate() {
            out.push_str(if i == 0 { &lead } else { &cont });
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// Splits `A.sve_state.z12` into (`A.sve_state.z`, 12).
fn numbered(path: &str) -> Option<(&str, u32)> {
    let digits = path.len() - path.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (head, n) = path.split_at(path.len() - digits);
    if !head.ends_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    n.parse().ok().map(|n| (head, n))
}

/// Merges runs of changes that differ only in a register number and have the same
/// values: `A.sve_state.z0` … `z31` `absent → 0` becomes `A.sve_state.z0–z31`.
pub fn group_changes(list: &[FieldChange]) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = Vec::new();
    let mut run: Option<(String, u32, u32)> = None; // head, first, last of the open run
    for c in list {
        let joined = match (&run, numbered(&c.path), out.last()) {
            (Some((head, _, last)), Some((h, n)), Some(prev))
                if h == head
                    && n == last + 1
                    && prev.before == c.before
                    && prev.after == c.after =>
            {
                Some(n)
            }
            _ => None,
        };
        match joined {
            Some(n) => {
                if let Some((head, first, last)) = run.as_mut() {
                    *last = n;
                    let reg = head.rsplit('.').next().unwrap_or("");
                    if let Some(prev) = out.last_mut() {
                        prev.path = format!("{head}{first}–{reg}{n}");
                    }
                }
            }
            None => {
                run = numbered(&c.path).map(|(h, n)| (h.to_string(), n, n));
                out.push(c.clone());
            }
        }
    }
    out
}

/// Renders field changes (`path  before → after`), folding long values under the path;
/// runs of registers with the same change are merged. At most `limit` lines are shown;
/// the rest are counted.
pub fn changes(list: &[FieldChange], st: Style, w: usize, limit: usize) -> String {
    let list = group_changes(list);
    let list = list.as_slice();
    let mut out = String::new();
    let name_w = list
        .iter()
        .take(limit)
        .map(|c| c.path.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    for c in list.iter().take(limit) {
        let one = format!(
            "  {}  {} {} {}",
            pad(&c.path, name_w),
            c.before,
            "→",
            c.after
        );
        if width(&one) <= w {
            out.push_str(&format!(
                "  {}  {} {} {}\n",
                pad(&st.bold(&c.path), name_w),
                st.dim(&c.before),
                st.dim("→"),
                st.changed(&c.after)
            ));
        } else {
            out.push_str(&format!("  {}\n", st.bold(&c.path)));
            let room = w.saturating_sub(8);
            for (i, piece) in fold(&c.before, room).iter().enumerate() {
                let lead = if i == 0 { "- " } else { "  " };
                out.push_str(&format!("    {}{}\n", st.red(lead), st.dim(piece)));
            }
            for (i, piece) in fold(&c.after, room).iter().enumerate() {
                let lead = if i == 0 { "+ " } else { "  " };
                out.push_str(&format!("    {}{}\n", st.green(lead), st.changed(piece)));
            }
        }
    }
    if list.len() > limit {
        out.push_str(&format!(
            "  {}\n",
            st.dim(format!("… and {} more", list.len() - limit))
        ));
    }
    out
}

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
    m.vcpus.iter().enumerate().find_map(|(i, v)| {
        let id = svelab_core::VcpuId(i as u16);
        match m.vcpu_loaded_on(id) {
            Some((_, vmm))
                if vmm == t && v.fp_owner == svelab_core::model::vcpu::FpOwner::Guest =>
            {
                Some(v.name.clone())
            }
            _ => None,
        }
    })
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

/// How `:regs` prints a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegFormat {
    /// `fill(0xaa)`, `0x…` without leading zeros (the DSL's own notation).
    Compact,
    /// Every hex digit, most significant first, in 32-bit groups, with bit ranges.
    Hex,
    /// Bytes in memory order (byte 0 first), 16 per quadword.
    Bytes,
    /// 32-bit lanes, lane 0 first.
    Lanes,
}

impl RegFormat {
    /// Parses `hex`, `bytes`, `lanes`, `compact`.
    pub fn parse(s: &str) -> Option<RegFormat> {
        match s {
            "hex" => Some(RegFormat::Hex),
            "bytes" => Some(RegFormat::Bytes),
            "lanes" => Some(RegFormat::Lanes),
            "compact" => Some(RegFormat::Compact),
            _ => None,
        }
    }
}

fn reg_list(v: &RegView) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, z) in v.z.iter().enumerate() {
        out.push((format!("z{i}"), z.clone()));
    }
    for (i, p) in v.p.iter().enumerate() {
        out.push((format!("p{i}"), p.clone()));
    }
    out.push(("ffr".into(), v.ffr.clone()));
    out.push(("fpsr".into(), v.fpsr.to_le_bytes().to_vec()));
    out.push(("fpcr".into(), v.fpcr.to_le_bytes().to_vec()));
    out
}

/// The lines of one register's value in `fmt`, each at most `w` columns.
pub fn reg_value(bytes: &[u8], fmt: RegFormat, w: usize) -> Vec<String> {
    let w = w.max(20);
    match fmt {
        RegFormat::Compact => fold(&fmt_bytes(bytes), w),
        RegFormat::Hex => {
            // 32-bit groups, most significant first; a line holds a power-of-two number
            // of groups and is labelled with its bit range.
            let groups: Vec<String> = bytes
                .chunks(4)
                .rev()
                .map(|g| g.iter().rev().map(|b| format!("{b:02x}")).collect())
                .collect();
            let label_w = 12;
            let mut per = 1;
            while per * 2 <= groups.len() && (per * 2) * 9 - 1 + label_w <= w {
                per *= 2;
            }
            let total_bits = bytes.len() * 8;
            groups
                .chunks(per)
                .enumerate()
                .map(|(i, ch)| {
                    let hi = total_bits - i * per * 32 - 1;
                    let lo = (hi + 1).saturating_sub(ch.len() * 32);
                    let label = format!("[{hi}:{lo}]");
                    if groups.len() <= per {
                        ch.join("_")
                    } else {
                        format!("{label:<label_w$}{}", ch.join("_"))
                    }
                })
                .collect()
        }
        RegFormat::Bytes => {
            let per = if w >= 2 * 48 + 8 { 32 } else { 16 };
            bytes
                .chunks(per)
                .enumerate()
                .map(|(i, ch)| {
                    let hex: Vec<String> = ch.iter().map(|b| format!("{b:02x}")).collect();
                    if bytes.len() <= per {
                        hex.join(" ")
                    } else {
                        format!("{:<6}{}", format!("+{}", i * per), hex.join(" "))
                    }
                })
                .collect()
        }
        RegFormat::Lanes => {
            let lanes: Vec<String> = bytes
                .chunks(4)
                .enumerate()
                .map(|(i, ch)| {
                    let mut b = [0u8; 4];
                    b[..ch.len()].copy_from_slice(ch);
                    format!("{i}:{:08x}", u32::from_le_bytes(b))
                })
                .collect();
            let per = ((w + 1) / 12).clamp(1, 16);
            lanes.chunks(per).map(|c| c.join(" ")).collect()
        }
    }
}

/// `:regs`: every register of a view, zero runs collapsed, changes since `prev` marked.
pub fn regs(
    title: &str,
    v: &RegView,
    prev: Option<&RegView>,
    fmt: RegFormat,
    st: Style,
    w: usize,
) -> String {
    let mut out = format!(
        "{} {}\n",
        st.heading(title),
        st.dim(format!(
            "· VL {} bits · {} = changed by the last step",
            u32::from(v.vl) * 8,
            "*"
        ))
    );
    let now = reg_list(v);
    let old = prev.map(reg_list);
    let changed = |i: usize| -> bool {
        old.as_ref()
            .is_some_and(|o| o.get(i).is_none_or(|(_, b)| *b != now[i].1))
    };
    let name_w = 9;
    let mut i = 0;
    while i < now.len() {
        let (name, bytes) = &now[i];
        let zero = bytes.iter().all(|&b| b == 0);
        if zero && !changed(i) {
            // Collapse a run of unchanged zero registers of the same family.
            let fam: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let mut j = i;
            while j + 1 < now.len() {
                let (n2, b2) = &now[j + 1];
                let f2: String = n2.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
                if f2 == fam && fam.len() == 1 && b2.iter().all(|&b| b == 0) && !changed(j + 1) {
                    j += 1;
                } else {
                    break;
                }
            }
            let label = if j > i {
                format!("{name}–{}", now[j].0)
            } else {
                name.clone()
            };
            out.push_str(&format!("   {} {}\n", pad(&label, name_w), st.dim("0")));
            i = j + 1;
            continue;
        }
        let mark = if changed(i) {
            st.changed("*")
        } else {
            " ".into()
        };
        let lines = reg_value(bytes, fmt, w.saturating_sub(name_w + 5));
        for (k, l) in lines.iter().enumerate() {
            let label = if k == 0 { name.as_str() } else { "" };
            let l = if changed(i) { st.changed(l) } else { l.clone() };
            out.push_str(&format!(
                " {} {} {l}\n",
                if k == 0 { mark.clone() } else { " ".into() },
                pad(&st.bold(label), name_w)
            ));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::strip;
    use svelab_core::session::Session;

    fn run(src: &str) -> Session {
        let (mut s, d) = Session::from_source(src);
        assert!(d.is_empty(), "{d:?}");
        s.run(&Default::default());
        s
    }

    #[test]
    fn fold_prefers_underscores_and_keeps_everything() {
        let s = "0x1234567890abcdef_1234567890abcdef_1234567890abcdef";
        let parts = fold(s, 24);
        assert!(parts.iter().all(|p| p.chars().count() <= 24), "{parts:?}");
        assert_eq!(parts.concat(), s);
        assert!(parts[0].ends_with('_'));
    }

    #[test]
    fn register_runs_are_merged() {
        let c = |p: &str, a: &str, b: &str| FieldChange {
            path: p.into(),
            before: a.into(),
            after: b.into(),
        };
        let list = vec![
            c("A.sve_state.z0", "absent", "0"),
            c("A.sve_state.z1", "absent", "0"),
            c("A.sve_state.z2", "absent", "0"),
            c("A.sve_state.z3", "0", "1"),
            c("A.sve_state.p0", "absent", "0"),
            c("A.sve_state.p1", "absent", "0"),
            c("A.TIF_SVE", "0", "1"),
        ];
        let g = group_changes(&list);
        let paths: Vec<&str> = g.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "A.sve_state.z0–z2",
                "A.sve_state.z3",
                "A.sve_state.p0–p1",
                "A.TIF_SVE"
            ]
        );
    }

    #[test]
    fn wrap_cuts_at_spaces_only() {
        let w = wrap("clear TIF_SVE and disable EL0 SVE", 12);
        assert_eq!(w, vec!["clear", "TIF_SVE and", "disable EL0", "SVE"]);
        let long = "x ".to_string() + &"ab_".repeat(10);
        assert!(wrap(&long, 10).iter().all(|l| l.chars().count() <= 10));
    }

    #[test]
    fn wrap_text_keeps_show_bars_and_indentation() {
        let t = "    |   state=running resume=none level=user TIF_SVE=0\n    short\n";
        let w = wrap_text(t, 30);
        assert!(w.lines().all(|l| l.chars().count() <= 30), "{w}");
        assert!(w.lines().take(3).all(|l| l.starts_with("    | ")), "{w}");
        assert!(w.ends_with("    short\n"));
    }

    #[test]
    fn registers_are_recognised() {
        for p in [
            "cpu0.z0",
            "A.user.z31",
            "A.sve_state.p15",
            "A.fpsimd_state.v3",
            "cpu1.ffr",
        ] {
            assert!(is_register(p), "{p}");
        }
        for p in ["A.TIF_SVE", "cpu0.vl", "A.z32", "A.p16", "A.vl_onexec"] {
            assert!(!is_register(p), "{p}");
        }
    }

    #[test]
    fn panel_draws_ownership_and_marks_changes() {
        let mut s = run("task A vl=512 on=cpu0\ntask B\n");
        let before = s.machine().clone();
        s.append("sve-op A z0=fill(0xaa)", 100).unwrap();
        let p = strip(&panel(Some(&before), s.machine(), Style::PLAIN, 100));
        assert!(p.contains("┌─ cpu0 "), "{p}");
        assert!(p.contains("regs ● A fresh"), "{p}");
        assert!(p.contains("EL0 SVE on *"), "{p}");
        assert!(p.contains("1*"), "TIF_SVE marked: {p}");
        assert!(p.contains("A.user.z0"), "{p}");
        // The colour version is the same text.
        let c = panel(Some(&before), s.machine(), Style { color: true }, 100);
        assert_eq!(strip(&c), p);
    }

    #[test]
    fn the_panel_fits_60_columns_and_has_a_legend() {
        let src = "task VMM vl=512 on=cpu0\nvcpu V0 sve vl=512\ntask LongerName vl=256\n\
                   sve-op VMM z0=fill(0x44)\nkvm-enter VMM V0\nguest-sve-op V0 z0=1\n";
        let mut s = run(src);
        let before = s.machine().clone();
        s.append("kvm-exit V0", 100).unwrap();
        for color in [false, true] {
            let p = panel(Some(&before), s.machine(), Style { color }, 60);
            let p = strip(&p);
            for l in p.lines() {
                assert!(
                    l.chars().count() <= 60,
                    "{} columns: {l}\n{p}",
                    l.chars().count()
                );
            }
            // Every task and vCPU field is still there.
            for want in [
                "VMM",
                "LongerName",
                "V0",
                "TIF_SVE",
                "fp_owner",
                "newest state",
            ] {
                assert!(p.contains(want), "{want}: {p}");
            }
            assert!(p.contains("* changed") && p.contains(":legend"), "{p}");
        }
        // Long names do not widen the CPU boxes.
        let long = run(
            "task AVeryLongTaskName on=cpu0\nvcpu AnotherLongVcpu sve vl=512\n\
                     kvm-enter AVeryLongTaskName AnotherLongVcpu\n",
        );
        let p = strip(&panel(None, long.machine(), Style { color: true }, 60));
        assert!(p.lines().all(|l| l.chars().count() <= 60), "{p}");
        assert!(p.contains("…"), "{p}");
        // Wide terminals keep the one-line table.
        let wide = strip(&panel(None, s.machine(), Style::PLAIN, 120));
        assert!(wide.contains(" task "), "{wide}");
    }

    #[test]
    fn a_vmm_whose_guest_holds_the_registers_is_not_live() {
        let s = run(
            "task VMM on=cpu0\nvcpu V0 sve vl=512\nsve-op VMM z0=fill(0x44)\n\
                     kvm-enter VMM V0\nguest-sve-op V0 z0=fill(0x33)\n",
        );
        let p = strip(&panel(None, s.machine(), Style::PLAIN, 120));
        let row = p.lines().find(|l| l.starts_with(" VMM ")).unwrap();
        assert!(!row.contains("live on cpu0"), "{row}");
        assert!(row.contains("saved by KVM for V0"), "{row}");
    }

    #[test]
    fn the_legend_names_only_the_symbols_shown() {
        let s = run("task A on=cpu0\ntask B\nfp-op A v0=1\nctxsw cpu0 idle\nmigrate A cpu1\n");
        let p = strip(&panel(None, s.machine(), Style::PLAIN, 100));
        let legend = p.lines().last().unwrap();
        assert!(legend.contains("○ stale"), "{legend}");
        assert!(!legend.contains("◆"), "{legend}");
        let full = strip(&legend_text(Style::PLAIN, 60));
        for sym in ["●", "○", "◆", "–", "*", "EL0 SVE", "FOREIGN"] {
            assert!(full.contains(sym), "{sym}: {full}");
        }
        assert!(full.lines().all(|l| l.chars().count() <= 60), "{full}");
    }

    #[test]
    fn stale_owner_is_drawn() {
        let s = run("task A on=cpu0\ntask B\nfp-op A v0=1\nctxsw cpu0 idle\nmigrate A cpu1\n");
        let p = panel(None, s.machine(), Style::PLAIN, 100);
        assert!(p.contains("○ A stale"), "{p}");
    }

    #[test]
    fn regs_fold_to_width_and_collapse_zeros() {
        let s =
            run("vls 128,256,512,2048\ntask A vl=2048 on=cpu0\nsve-op A z0=pattern(1) p1=0xff\n");
        let v = s.machine().user_view(TaskId(0)).unwrap();
        for fmt in [
            RegFormat::Compact,
            RegFormat::Hex,
            RegFormat::Bytes,
            RegFormat::Lanes,
        ] {
            let t = regs("A", &v, None, fmt, Style::PLAIN, 80);
            assert!(t.lines().all(|l| l.chars().count() <= 80), "{fmt:?}\n{t}");
            assert!(t.contains("z1–z31"), "{t}");
        }
        let hex = regs("A", &v, None, RegFormat::Hex, Style::PLAIN, 80);
        assert!(hex.contains("[2047:"), "{hex}");
    }

    #[test]
    fn report_colours_without_changing_text() {
        let mut s = run("task A on=cpu0");
        let r = s
            .append("sve-op A z0=1\nexpect A.TIF_SVE == 0", 10)
            .unwrap();
        for r in &r {
            let plain = report(r, true, Style::PLAIN);
            assert_eq!(plain, render_report(r));
            assert_eq!(strip(&report(r, true, Style { color: true })), plain);
        }
        assert!(report(&r[1], false, Style::PLAIN).contains("FAILED"));
    }
}
