//! The page's small decisions, as plain functions the components call: which kernel the
//! kernel menu names, what the share banner says, the saved draft (autosave), when
//! replacing the editor's text must ask first, and how compare mode describes its range.

use svelab_core::dsl::StmtKind;
use svelab_core::session::{Session, SessionOptions};
use svelab_core::Kernel;

/// `localStorage` key of the editor's text.
pub const DRAFT_KEY: &str = "svelab.draft";

/// The kernel a script runs on without a forced kernel: its first `kernel` statement's,
/// else the model's default.
pub fn script_kernel(src: &str) -> Kernel {
    let (prog, _) = svelab_core::parse(src);
    prog.stmts
        .iter()
        .find_map(|s| match s.kind {
            StmtKind::Kernel(k) => Some(k),
            _ => None,
        })
        .unwrap_or_else(|| Session::new(SessionOptions::default()).machine().kernel())
}

/// The kernel menu's first entry: `as the script says (v6.2)`.
pub fn kernel_menu_label(src: &str) -> String {
    format!("as the script says ({})", script_kernel(src).name())
}

/// What the banner says after "Share link": (is it an error, the text). `copied` is the
/// clipboard's answer; the link itself is always shown in a selectable field.
pub fn share_banner(copied: &Result<(), String>) -> (bool, String) {
    match copied {
        Ok(()) => (
            false,
            "Link copied: it carries the script, the kernel and this step. Anyone who opens it \
             sees this view."
                .into(),
        ),
        Err(why) => (
            true,
            format!(
                "The link could not be copied ({why}). It is selected in the field here: copy \
                 it with Ctrl+C (⌘C)."
            ),
        ),
    }
}

/// The editor's text as saved in the browser, and whether the student changed it since
/// it was loaded (an example or a lesson's script is not worth a question).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The text.
    pub source: String,
    /// Typed by the student (not just opened).
    pub edited: bool,
}

impl Draft {
    /// The stored form: a flag line, then the text.
    pub fn encode(&self) -> String {
        format!(
            "{}\n{}",
            if self.edited { "edited" } else { "opened" },
            self.source
        )
    }

    /// Reads [`Draft::encode`]'s form; `None` for anything else or an empty text.
    pub fn decode(stored: &str) -> Option<Draft> {
        let (flag, source) = stored.split_once('\n')?;
        let edited = match flag {
            "edited" => true,
            "opened" => false,
            _ => return None,
        };
        (!source.trim().is_empty()).then(|| Draft {
            source: source.to_string(),
            edited,
        })
    }
}

/// Must the page ask before replacing the editor's text with another script? Yes when
/// the student typed something that differs from what is being opened.
pub fn must_ask_before_replacing(current: &Draft, incoming: &str) -> bool {
    current.edited && !current.source.trim().is_empty() && current.source.trim() != incoming.trim()
}

/// The question asked then.
pub const REPLACE_QUESTION: &str =
    "Replace the script in the editor? Your changes to it will be lost (Share link keeps a copy).";

/// Compare mode's heading and the summary line of the step list: the counters cover the
/// whole of both runs, the step-by-step comparison its first `compared` steps.
pub fn compare_texts(
    kernel_a: &str,
    kernel_b: &str,
    len_a: u64,
    len_b: u64,
    compared: u64,
    differing: usize,
) -> (String, String) {
    let runs = if len_a == len_b {
        format!("{} steps", group(len_a))
    } else {
        format!("{} and {} steps", group(len_a), group(len_b))
    };
    let heading = format!("{kernel_a} vs {kernel_b}: counters over the whole run ({runs})");
    let whole = compared >= len_a.max(len_b);
    let steps = format!(
        "{differing} step{} differ{} {}",
        if differing == 1 { "" } else { "s" },
        if differing == 1 { "s" } else { "" },
        if whole {
            format!("(all {} compared)", group(compared))
        } else {
            format!("in the first {} (compared step by step)", group(compared))
        }
    );
    (heading, steps)
}

/// `200000` → `200,000`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_menu_names_the_scripts_kernel() {
        assert_eq!(
            kernel_menu_label("kernel v6.2\ntask A on=cpu0\n"),
            "as the script says (v6.2)"
        );
        assert_eq!(
            kernel_menu_label("# no kernel line\ntask A on=cpu0\n"),
            "as the script says (v5.19-rc1)"
        );
        assert_eq!(
            kernel_menu_label("task A on=cpu0\nkernel series-v1/p6\n"),
            "as the script says (series-v1/p6)"
        );
        // A script with errors still names what it says.
        assert_eq!(
            script_kernel("kernel v6.12\nbogus statement"),
            Kernel::V6_12
        );
    }

    #[test]
    fn share_says_copied_only_when_it_was() {
        let (err, text) = share_banner(&Ok(()));
        assert!(!err && text.starts_with("Link copied"));
        let (err, text) = share_banner(&Err("no clipboard on a plain-HTTP page".into()));
        assert!(err);
        assert!(
            !text.contains("Link copied") && text.contains("Ctrl+C"),
            "{text}"
        );
    }

    #[test]
    fn drafts_round_trip_and_bad_ones_are_ignored() {
        let d = Draft {
            source: "task A on=cpu0\n# two\n".into(),
            edited: true,
        };
        assert_eq!(Draft::decode(&d.encode()), Some(d));
        let o = Draft {
            source: "x\ny".into(),
            edited: false,
        };
        assert_eq!(Draft::decode(&o.encode()), Some(o));
        assert_eq!(Draft::decode("task A"), None);
        assert_eq!(Draft::decode("edited\n  \n"), None);
        assert_eq!(Draft::decode("garbage\ntask A"), None);
    }

    #[test]
    fn replacing_edited_text_asks_first() {
        let typed = Draft {
            source: "task A on=cpu0\nsve-op A z0=1\n".into(),
            edited: true,
        };
        assert!(must_ask_before_replacing(&typed, "task B on=cpu0\n"));
        assert!(!must_ask_before_replacing(
            &typed,
            "task A on=cpu0\nsve-op A z0=1"
        ));
        let opened = Draft {
            edited: false,
            ..typed.clone()
        };
        assert!(!must_ask_before_replacing(&opened, "task B on=cpu0\n"));
        let empty = Draft {
            source: " \n".into(),
            edited: true,
        };
        assert!(!must_ask_before_replacing(&empty, "task B"));
    }

    #[test]
    fn compare_says_what_it_covers() {
        let (h, s) = compare_texts("v5.19", "series-v1", 200_000, 200_000, 20_000, 3);
        assert!(h.contains("200,000 steps") && !h.contains("20,000"), "{h}");
        assert_eq!(
            s,
            "3 steps differ in the first 20,000 (compared step by step)"
        );
        let (h, s) = compare_texts("v5.19", "v6.2", 12, 12, 12, 1);
        assert!(h.ends_with("(12 steps)"), "{h}");
        assert_eq!(s, "1 step differs (all 12 compared)");
        let (h, _) = compare_texts("v5.19", "v6.2", 12, 10, 12, 0);
        assert!(h.contains("12 and 10 steps"), "{h}");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(999), "999");
    }
}
