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
        v.extend((0..32).map(|n| format!("z{n}")));
        v.extend((0..16).map(|n| format!("p{n}")));
        v.push("ffr".into());
    }
    if fp {
        v.extend((0..32).map(|n| format!("v{n}")));
        v.extend(own(&["fpsr", "fpcr"]));
    }
    v
}

/// `head.` for every object, or `head.field` once a dot is typed.
fn paths(cur: &str, n: &Names) -> Vec<String> {
    let Some((head, _)) = cur.split_once('.') else {
        let mut v: Vec<String> = n
            .tasks
            .iter()
            .chain(&n.vcpus)
            .chain(&n.cpus)
            .map(|h| format!("{h}."))
            .collect();
        v.extend(vocab::PATH_HEADS.iter().map(|h| format!("{h}.")));
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
    fields.into_iter().map(|f| format!("{head}.{f}")).collect()
}

/// Register writes: `z0=`…, then the value forms once `=` is typed.
fn writes(cur: &str, sve: bool, fp: bool) -> Vec<String> {
    match cur.split_once('=') {
        Some((reg, _)) => vocab::VALUE_FORMS
            .iter()
            .map(|v| format!("{reg}={v}"))
            .collect(),
        None => regs(sve, fp).into_iter().map(|r| format!("{r}=")).collect(),
    }
}

/// What argument `i` (1 = the first after the keyword) of a statement may be.
fn arguments(words: &[&str], cur: &str, n: &Names) -> Vec<String> {
    let i = words.len();
    let kw = words[0];
    let prev = words[i - 1];
    let tasks = || n.tasks.clone();
    let next = || {
        let mut v = n.tasks.clone();
        v.extend(own(&["idle", "kthread"]));
        v
    };
    match (kw, i) {
        ("kernel", 1) => vocab::kernel_names(),
        ("kvm-mode", 1) => own(&["vhe", "nvhe"]),
        ("task", _) if i >= 2 => match cur.strip_prefix("on=") {
            Some(_) => n.cpus.iter().map(|c| format!("on={c}")).collect(),
            None => own(&["vl=", "on="]),
        },
        ("vcpu", 2) => own(&["sve", "nosve"]),
        ("sve-op" | "fp-op" | "svc" | "migrate" | "signal" | "ptrace" | "kvm-enter", 1) => tasks(),
        ("sve-op", _) if prev == "preempt" => own(&["->"]),
        ("sve-op", _) if prev == "->" => next(),
        ("sve-op", _) => {
            let mut v = writes(cur, true, false);
            if !cur.contains('=') {
                v.extend(own(&["preempt", "softirq-neon"]));
            }
            v
        }
        ("fp-op", _) => writes(cur, false, true),
        ("svc", 2) => own(&vocab::SVC_CALLS),
        ("svc", _) => match (words[2], i) {
            ("yield", 3) => own(&["->"]),
            ("yield", 4) => next(),
            ("sigreturn", 3) => own(&vocab::EDITS),
            ("kill", 3) => tasks(),
            ("kill", 4) => own(&vocab::SIGNALS),
            ("kvm-run", 3) => n.vcpus.clone(),
            _ => Vec::new(),
        },
        ("ctxsw", 1) | ("migrate", 2) | ("cpu-pm" | "cpu-offline" | "cpu-online", 1) => {
            n.cpus.clone()
        }
        ("ctxsw", 2) => next(),
        ("signal", 2) => own(&vocab::SIGNALS),
        ("ptrace", 2) => own(&["get", "set"]),
        ("ptrace", 3) => own(&["NT_PRFPREG", "NT_ARM_SVE"]),
        ("ptrace", _) if words[2] == "set" => writes(cur, words[3] == "NT_ARM_SVE", true),
        ("kernel-neon", 1) => n.cpus.iter().chain(&n.tasks).cloned().collect(),
        ("kvm-enter", 2) | ("guest-sve-op" | "guest-fp-op" | "kvm-exit", 1) => n.vcpus.clone(),
        ("guest-sve-op", _) => writes(cur, true, false),
        ("guest-fp-op", _) => writes(cur, false, true),
        ("kvm-exit", 2) => own(&["to-user"]),
        ("expect", 1) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(own(&["no-violations", "violation"]));
            }
            v
        }
        ("expect", 2) if prev == "violation" => own(&vocab::RULE_CODES),
        ("expect", 2) => own(&vocab::CMP_OPS),
        ("expect", 3) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(vocab::NAMED_VALUES.iter().map(|w| w.word.to_string()));
                v.extend(own(&vocab::VALUE_FORMS));
            }
            v
        }
        ("show", 1) => {
            let mut v = paths(cur, n);
            if !cur.contains('.') {
                v.extend(own(&vocab::SHOW_WORDS));
            }
            v
        }
        _ => Vec::new(),
    }
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
