//! Completion in the editor: statement keywords, the names the script defines (tasks,
//! vCPUs, CPUs) and fields, from the core's vocabulary tables (`svelab_core::dsl::vocab`:
//! `KEYWORDS`, `SVC_CALLS`, `SIGNALS`, `EDITS`, `RULE_CODES`, `SHOW_WORDS`, `CMP_OPS`,
//! `VALUE_FORMS`, `NAMED_VALUES`, the field tables, `kernel_names`), and the menu's
//! keyboard: ↑/↓ move, Tab or Enter accept, Escape closes.
//!
//! Which kind of word an argument takes (a task, a CPU, a signal …) is decided here per
//! statement and position, as the REPL's `repl/src/lang.rs` does for the terminal; the
//! words themselves all come from the core.

use svelab_core::dsl::ast::StmtKind;
use svelab_core::dsl::vocab;
use svelab_core::dsl::Stmt;

/// The most items the menu shows.
pub const MAX_ITEMS: usize = 12;

/// The names a script defines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Tasks (`task NAME`).
    pub tasks: Vec<String>,
    /// vCPUs (`vcpu NAME`).
    pub vcpus: Vec<String>,
    /// `cpu0`… (`cpus N`, else the model's default).
    pub cpus: Vec<String>,
}

impl Names {
    /// The names `src` defines (what parses of it: a half-typed line does not matter).
    pub fn of(src: &str) -> Names {
        let (prog, _) = svelab_core::parse(src);
        let mut n = Names::default();
        let mut cpus = svelab_core::Config::default().cpus;
        fn walk(stmts: &[Stmt], n: &mut Names, cpus: &mut usize) {
            for s in stmts {
                match &s.kind {
                    StmtKind::Task { name, .. } => n.tasks.push(name.name.clone()),
                    StmtKind::Vcpu { name, .. } => n.vcpus.push(name.name.clone()),
                    StmtKind::Cpus(c) => *cpus = usize::from(*c),
                    StmtKind::Repeat { body, .. } => walk(body, n, cpus),
                    _ => {}
                }
            }
        }
        walk(&prog.stmts, &mut n, &mut cpus);
        n.cpus = (0..cpus).map(|i| format!("cpu{i}")).collect();
        n
    }
}

/// A completion: the text from `start` to the caret is replaced by the chosen item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// Byte offset in the text where the word being completed starts.
    pub start: usize,
    /// The caret's byte offset.
    pub end: usize,
    /// The candidates, in order (at most [`MAX_ITEMS`]).
    pub items: Vec<String>,
    /// The highlighted one.
    pub selected: usize,
}

fn own(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn regs(sve: bool, fp: bool) -> Vec<String> {
    let mut v = Vec::new();
    if sve {
        for (r, count) in [("z", 32), ("p", 16)] {
            for i in 0..count {
                v.push(format!("{r}{i}"));
            }
        }
        v.push("ffr".into());
    }
    if fp {
        for i in 0..32 {
            v.push(format!("v{i}"));
        }
        v.extend(own(&["fpsr", "fpcr"]));
    }
    v
}

/// `head.` for every object, or `head.field` once a dot is typed.
fn paths(cur: &str, n: &Names) -> Vec<String> {
    let Some((head, _)) = cur.split_once('.') else {
        // Plain loops: each iterator chain would be code of its own in the bundle.
        let mut v = Vec::new();
        for list in [&n.tasks, &n.vcpus, &n.cpus] {
            for h in list {
                v.push(format!("{h}."));
            }
        }
        for h in vocab::PATH_HEADS {
            v.push(format!("{h}."));
        }
        return v;
    };
    let fields: Vec<String> = if n.tasks.iter().any(|t| t == head) {
        let mut f = own(&vocab::TASK_FIELDS);
        f.extend(regs(true, true));
        f
    } else if n.vcpus.iter().any(|t| t == head) {
        own(&vocab::VCPU_FIELDS)
    } else if n.cpus.iter().any(|t| t == head) {
        let mut f = own(&vocab::CPU_FIELDS);
        f.extend(regs(true, true));
        f
    } else if head == "config" {
        own(&vocab::CONFIG_FIELDS)
    } else {
        Vec::new()
    };
    let mut v = Vec::new();
    for f in fields {
        v.push(format!("{head}.{f}"));
    }
    v
}

/// Register writes: `z0=`…, then the value forms once `=` is typed.
fn writes(cur: &str, sve: bool, fp: bool) -> Vec<String> {
    match cur.split_once('=') {
        Some((reg, _)) => {
            let mut out = Vec::new();
            for v in vocab::VALUE_FORMS {
                out.push(format!("{reg}={v}"));
            }
            out
        }
        None => {
            let mut out = regs(sve, fp);
            for r in &mut out {
                r.push('=');
            }
            out
        }
    }
}

/// The kinds of word an argument takes.
#[derive(Clone, Copy)]
enum Kind {
    /// The script's tasks.
    Tasks,
    /// A task to switch to: the tasks, `idle`, `kthread`.
    Next,
    /// The CPUs.
    Cpus,
    /// The vCPUs.
    Vcpus,
    /// The CPUs, then the tasks.
    CpusTasks,
    /// The kernels.
    Kernels,
    /// These words.
    Words(&'static [&'static str]),
    /// Register writes (SVE registers, FP registers).
    Writes(bool, bool),
    /// `sve-op`'s writes, or `preempt`/`softirq-neon`.
    SveOp,
    /// `vl=`/`on=` of `task`.
    TaskOpts,
    /// A path, or these words.
    Paths(&'static [&'static str]),
    /// A path, a named value or a value form.
    Value,
}

/// A row of [`ARGS`].
type ArgRow = (&'static str, usize, Option<(usize, &'static str)>, Kind);

/// Which kind of word each argument takes: the statement's keyword, the argument's
/// position (1 = the first after the keyword, 0 = any from 2 on), a word an earlier
/// position must hold (position, word), the kind. The first row that fits wins.
const ARGS: &[ArgRow] = &[
    ("kernel", 1, None, Kind::Kernels),
    ("kvm-mode", 1, None, Kind::Words(&["vhe", "nvhe"])),
    ("task", 0, None, Kind::TaskOpts),
    ("vcpu", 2, None, Kind::Words(&["sve", "nosve"])),
    ("sve-op", 1, None, Kind::Tasks),
    ("fp-op", 1, None, Kind::Tasks),
    ("svc", 1, None, Kind::Tasks),
    ("migrate", 1, None, Kind::Tasks),
    ("signal", 1, None, Kind::Tasks),
    ("ptrace", 1, None, Kind::Tasks),
    ("kvm-enter", 1, None, Kind::Tasks),
    (
        "sve-op",
        0,
        Some((usize::MAX, "preempt")),
        Kind::Words(&["->"]),
    ),
    ("sve-op", 0, Some((usize::MAX, "->")), Kind::Next),
    ("sve-op", 0, None, Kind::SveOp),
    ("fp-op", 0, None, Kind::Writes(false, true)),
    ("svc", 2, None, Kind::Words(&vocab::SVC_CALLS)),
    ("svc", 3, Some((2, "yield")), Kind::Words(&["->"])),
    ("svc", 4, Some((2, "yield")), Kind::Next),
    ("svc", 3, Some((2, "sigreturn")), Kind::Words(&vocab::EDITS)),
    ("svc", 3, Some((2, "kill")), Kind::Tasks),
    ("svc", 4, Some((2, "kill")), Kind::Words(&vocab::SIGNALS)),
    ("svc", 3, Some((2, "kvm-run")), Kind::Vcpus),
    ("ctxsw", 1, None, Kind::Cpus),
    ("ctxsw", 2, None, Kind::Next),
    ("migrate", 2, None, Kind::Cpus),
    ("cpu-pm", 1, None, Kind::Cpus),
    ("cpu-offline", 1, None, Kind::Cpus),
    ("cpu-online", 1, None, Kind::Cpus),
    ("signal", 2, None, Kind::Words(&vocab::SIGNALS)),
    ("ptrace", 2, None, Kind::Words(&["get", "set"])),
    (
        "ptrace",
        3,
        None,
        Kind::Words(&["NT_PRFPREG", "NT_ARM_SVE"]),
    ),
    (
        "ptrace",
        0,
        Some((3, "NT_ARM_SVE")),
        Kind::Writes(true, true),
    ),
    ("ptrace", 0, Some((2, "set")), Kind::Writes(false, true)),
    ("kernel-neon", 1, None, Kind::CpusTasks),
    ("kvm-enter", 2, None, Kind::Vcpus),
    ("guest-sve-op", 1, None, Kind::Vcpus),
    ("guest-fp-op", 1, None, Kind::Vcpus),
    ("guest-zcr", 1, None, Kind::Vcpus),
    // `vl=` alone, as for `task`: the vector lengths are the script's (`vls`).
    ("guest-zcr", 2, None, Kind::Words(&["vl="])),
    ("kvm-exit", 1, None, Kind::Vcpus),
    ("guest-sve-op", 0, None, Kind::Writes(true, false)),
    ("guest-fp-op", 0, None, Kind::Writes(false, true)),
    ("kvm-exit", 2, None, Kind::Words(&["to-user"])),
    (
        "expect",
        1,
        None,
        Kind::Paths(&["no-violations", "violation"]),
    ),
    (
        "expect",
        2,
        Some((1, "violation")),
        Kind::Words(&vocab::RULE_CODES),
    ),
    ("expect", 2, None, Kind::Words(&vocab::CMP_OPS)),
    ("expect", 3, None, Kind::Value),
    ("show", 1, None, Kind::Paths(&vocab::SHOW_WORDS)),
];

/// What argument `words.len()` of a statement may be.
fn arguments(words: &[&str], cur: &str, n: &Names) -> Vec<String> {
    let i = words.len();
    let row = ARGS.iter().find(|(kw, pos, cond, _)| {
        *kw == words[0]
            && (*pos == i || (*pos == 0 && i >= 2))
            && cond.is_none_or(|(at, w)| {
                let at = if at == usize::MAX { i - 1 } else { at };
                words.get(at) == Some(&w)
            })
    });
    let Some(&(_, _, _, kind)) = row else {
        return Vec::new();
    };
    let mut v = match kind {
        Kind::Tasks => n.tasks.clone(),
        Kind::Next => {
            let mut v = n.tasks.clone();
            v.extend(own(&["idle", "kthread"]));
            v
        }
        Kind::Cpus => n.cpus.clone(),
        Kind::Vcpus => n.vcpus.clone(),
        Kind::CpusTasks => {
            let mut v = n.cpus.clone();
            v.extend(n.tasks.iter().cloned());
            v
        }
        Kind::Kernels => vocab::kernel_names(),
        Kind::Words(w) => own(w),
        Kind::Writes(sve, fp) => writes(cur, sve, fp),
        Kind::SveOp => writes(cur, true, false),
        Kind::TaskOpts if cur.starts_with("on=") => {
            let mut v = Vec::new();
            for c in &n.cpus {
                v.push(format!("on={c}"));
            }
            v
        }
        Kind::TaskOpts => own(&["vl=", "on="]),
        Kind::Paths(_) | Kind::Value => paths(cur, n),
    };
    if !cur.contains(['.', '=']) {
        match kind {
            Kind::SveOp => v.extend(own(&["preempt", "softirq-neon"])),
            Kind::Paths(w) => v.extend(own(w)),
            Kind::Value => {
                v.extend(vocab::NAMED_VALUES.iter().map(|w| w.word.to_string()));
                v.extend(own(&vocab::VALUE_FORMS));
            }
            _ => {}
        }
    }
    v
}

/// The completion at byte `caret` of `src`, if there is anything to offer: nothing in a
/// comment, nothing for an empty word at the start of a line (typing a newline must not
/// open a menu), nothing when the word is already complete and the only candidate.
pub fn complete(src: &str, caret: usize) -> Option<Completion> {
    let upto = src.get(..caret)?;
    let start = upto.rfind([';', '{', '}', '\n']).map_or(0, |i| i + 1);
    let stmt = &upto[start..];
    if stmt.contains('#') {
        return None;
    }
    let word_start = stmt.rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let cur = &stmt[word_start..];
    let words: Vec<&str> = stmt[..word_start].split_whitespace().collect();
    let cands = if words.is_empty() {
        if cur.is_empty() {
            return None;
        }
        own(&vocab::KEYWORDS)
    } else {
        arguments(&words, cur, &Names::of(src))
    };
    let mut items: Vec<String> = cands.into_iter().filter(|c| c.starts_with(cur)).collect();
    items.dedup();
    items.truncate(MAX_ITEMS);
    if items.is_empty() || (items.len() == 1 && items[0] == cur) {
        return None;
    }
    Some(Completion {
        start: start + word_start,
        end: caret,
        items,
        selected: 0,
    })
}

/// A key pressed while the menu is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MenuKey {
    /// The highlight moved; keep the menu.
    Moved(usize),
    /// Accept: the new text and the caret's byte offset.
    Accept(String, usize),
    /// Close the menu, text unchanged.
    Close,
    /// Not the menu's key: let the editor have it.
    Pass,
}

impl Completion {
    /// What `key` (a `KeyboardEvent.key`) does to the menu over `src`.
    pub fn key(&self, key: &str, src: &str) -> MenuKey {
        let n = self.items.len();
        if n == 0 {
            return MenuKey::Close;
        }
        match key {
            "ArrowDown" => MenuKey::Moved((self.selected + 1) % n),
            "ArrowUp" => MenuKey::Moved((self.selected + n - 1) % n),
            "Tab" | "Enter" => {
                let (text, caret) = self.accept(src, self.selected);
                MenuKey::Accept(text, caret)
            }
            "Escape" => MenuKey::Close,
            _ => MenuKey::Pass,
        }
    }

    /// `src` with item `i` in place of the typed word, and the caret after it.
    pub fn accept(&self, src: &str, i: usize) -> (String, usize) {
        let item = self.items.get(i).map_or("", String::as_str);
        let (Some(before), Some(after)) = (src.get(..self.start), src.get(self.end..)) else {
            return (src.to_string(), self.end.min(src.len()));
        };
        (format!("{before}{item}{after}"), self.start + item.len())
    }
}

/// The byte offset of UTF-16 offset `u` of `src` (a textarea's `selectionStart`).
pub fn byte_offset(src: &str, u: usize) -> usize {
    let mut seen = 0;
    for (i, c) in src.char_indices() {
        if seen >= u {
            return i;
        }
        seen += c.len_utf16();
    }
    src.len()
}

/// The UTF-16 offset of byte offset `b` of `src`.
pub fn utf16_offset(src: &str, b: usize) -> usize {
    src.get(..b)
        .map_or_else(|| src.encode_utf16().count(), |s| s.encode_utf16().count())
}

/// The (line, column) of byte `b`, both from 0, in characters: where the menu is drawn.
pub fn line_col(src: &str, b: usize) -> (usize, usize) {
    let before = src.get(..b).unwrap_or(src);
    let line = before.matches('\n').count();
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "cpus 3\ntask A vl=256 on=cpu0\ntask Bee\nvcpu V0 sve\n";

    fn items(src: &str) -> Vec<String> {
        complete(src, src.len())
            .map(|c| c.items)
            .unwrap_or_default()
    }

    #[test]
    fn statements_names_and_fields() {
        assert_eq!(items("sv"), ["sve-op", "svc"]);
        assert_eq!(items(&format!("{SRC}sve-op ")), ["A", "Bee"]);
        assert_eq!(items(&format!("{SRC}ctxsw ")), ["cpu0", "cpu1", "cpu2"]);
        assert_eq!(
            items(&format!("{SRC}ctxsw cpu1 ")),
            ["A", "Bee", "idle", "kthread"]
        );
        assert_eq!(items(&format!("{SRC}kvm-enter A ")), ["V0"]);
        assert_eq!(
            items(&format!("{SRC}task C on=")),
            ["on=cpu0", "on=cpu1", "on=cpu2"]
        );
        assert_eq!(
            items(&format!("{SRC}signal A SIGU")),
            ["SIGUSR1", "SIGUSR2"]
        );
        assert!(items(&format!("{SRC}svc A ")).contains(&"getpid".to_string()));
        assert!(items(&format!("{SRC}expect A.TIF")).contains(&"A.TIF_SVE".to_string()));
        assert!(items(&format!("{SRC}expect V0."))
            .iter()
            .all(|i| i.starts_with("V0.")));
        assert_eq!(items(&format!("{SRC}expect cpu0.z0 ")), vocab::CMP_OPS);
        assert!(items(&format!("{SRC}expect violation ")).contains(&"B1".to_string()));
        assert!(items(&format!("{SRC}expect A.fp_type == s")).contains(&"sve".to_string()));
        assert!(items(&format!("{SRC}sve-op A z1")).contains(&"z1=".to_string()));
        assert_eq!(items(&format!("{SRC}sve-op A z1=fi")), ["z1=fill(0x"]);
        assert!(items("kernel v6").contains(&"v6.2".to_string()));
        // Names inside a repeat and after a `;` count.
        assert_eq!(items("repeat 2 { task R }\nsvc R getpid; migrate "), ["R"]);
        assert_eq!(Names::of("").cpus, ["cpu0", "cpu1"]);
    }

    #[test]
    fn nothing_in_comments_on_empty_lines_or_when_complete() {
        assert_eq!(complete("# sv", 4), None);
        assert_eq!(complete("task A\n", 7), None);
        assert_eq!(complete("", 0), None);
        assert_eq!(complete("svc", 3), None, "svc is complete and alone");
        assert_eq!(complete("zzz", 3), None);
        // A caret inside a multi-byte character or past the end: no panic, nothing.
        assert_eq!(complete("é", 1), None);
        assert_eq!(complete("abc", 99), None);
    }

    #[test]
    fn the_menu_keys_and_accepting() {
        let src = format!("{SRC}sve-op B rest");
        let caret = SRC.len() + "sve-op B".len();
        let c = complete(&src, caret).expect("a menu");
        assert_eq!(c.items, ["Bee"]);
        assert_eq!(c.key("ArrowDown", &src), MenuKey::Moved(0));
        assert_eq!(c.key("x", &src), MenuKey::Pass);
        assert_eq!(c.key("Escape", &src), MenuKey::Close);
        let MenuKey::Accept(text, at) = c.key("Tab", &src) else {
            panic!()
        };
        assert_eq!(text, format!("{SRC}sve-op Bee rest"));
        assert_eq!(at, SRC.len() + "sve-op Bee".len());
        let c = complete("sv", 2).expect("a menu");
        assert_eq!(c.key("ArrowUp", "sv"), MenuKey::Moved(1));
        let c = Completion { selected: 1, ..c };
        assert_eq!(c.key("Enter", "sv"), MenuKey::Accept("svc".into(), 3));
        // An empty or stale completion never panics.
        let empty = Completion {
            items: Vec::new(),
            ..c.clone()
        };
        assert_eq!(empty.key("ArrowDown", "sv"), MenuKey::Close);
        // A stale completion over changed text never panics.
        assert_eq!(c.accept("", 0), (String::new(), 0));
    }

    #[test]
    fn offsets_between_utf16_and_bytes() {
        let s = "é𝔸x\nab";
        assert_eq!(byte_offset(s, 0), 0);
        assert_eq!(byte_offset(s, 1), 2);
        assert_eq!(byte_offset(s, 3), 6);
        assert_eq!(byte_offset(s, 99), s.len());
        assert_eq!(utf16_offset(s, 6), 3);
        assert_eq!(utf16_offset(s, 1), 7, "inside a character: the whole text");
        assert_eq!(line_col(s, s.len()), (1, 2));
        assert_eq!(line_col(s, 6), (0, 2));
    }

    #[test]
    fn every_statement_keyword_completes_from_its_first_letters() {
        for kw in vocab::KEYWORDS {
            let c = complete(&kw[..2], 2).map(|c| c.items).unwrap_or_default();
            assert!(
                c.iter().any(|i| i == kw) || c.len() == MAX_ITEMS,
                "{kw}: {c:?}"
            );
        }
    }
}
