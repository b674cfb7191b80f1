//! Completion in the editor: the menu over the core's completion
//! ([`svelab_core::dsl::complete`], which the REPL's line editor uses too: the same words
//! at every position of every statement), with the names the script defines, and the
//! menu's keyboard: ↑/↓ move, Tab or Enter accept, Escape closes.

use svelab_core::dsl::complete::{complete_statement, Names};

/// The most items the menu shows.
pub const MAX_ITEMS: usize = 12;

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

/// The completion at byte `caret` of `src`, if there is anything to offer: nothing in a
/// comment, nothing for an empty word at the start of a line (typing a newline must not
/// open a menu), nothing when the word is already complete and the only candidate.
pub fn complete(src: &str, caret: usize) -> Option<Completion> {
    let c = complete_statement(src, caret, &Names::of_script(src));
    let cur = src.get(c.start..caret)?;
    if c.keyword && cur.is_empty() {
        return None;
    }
    let mut items = c.items;
    items.truncate(MAX_ITEMS);
    if items.is_empty() || (items.len() == 1 && items[0] == cur) {
        return None;
    }
    Some(Completion {
        start: c.start,
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
    use svelab_core::dsl::vocab;

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
        assert_eq!(Names::of_script("").cpus, ["cpu0", "cpu1"]);
    }

    /// Arguments the grammar takes that the playground's own table did not offer (the
    /// terminal did): sysctl names, `frame-write`'s task, `prctl-set-vl`'s lengths and
    /// flags, a vCPU's `vl=`, `NT_ARM_SVE`'s header words, the `total`/`tracer` heads, the
    /// kernel's names for the named values, and the fields below `sve_state.`.
    #[test]
    fn every_argument_the_grammar_takes_completes() {
        let has = |src: &str, want: &str| {
            let got = items(&format!("{SRC}{src}"));
            assert!(got.iter().any(|i| i == want), "{src:?} offers {got:?}");
        };
        has("sysctl ", "abi.sve_syscall_clear_regs=");
        has("frame-write ", "Bee");
        has("svc A prctl-set-vl 2", "256");
        has("svc A prctl-set-vl 256 ", "onexec");
        has("vcpu V1 sve ", "vl=512");
        has("task C vl=", "vl=256");
        has("ptrace A set NT_ARM_SVE he", "header");
        has("expect total.tr", "total.traps");
        has("show tracer.", "tracer.format");
        has("expect A.fp_type == FP_STATE_S", "FP_STATE_SVE");
        has("expect A.sve_state.v", "A.sve_state.vq");
        // The script's `vls` are the lengths offered.
        let got = items("vls 128,1024\ntask A vl=");
        assert_eq!(got, ["vl=128", "vl=1024"]);
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
