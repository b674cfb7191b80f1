//! What the kernel functions, fields, invariants, WARNs and known bugs of the model mean, in
//! words: the texts behind the REPL's `:explain` and `:why` and the playground's event lines.
//! Kernel knowledge, so it lives here and the front ends only lay it out.
//!
//! - [`functions`]: every kernel function the model's events are named after.
//! - [`fields`]: every field, and which functions write it ([`fields::writer_of`], `:why`).
//! - [`texts`]: the longer texts of the invariants, WARN sites and known bugs.
//! - [`events`]: one line per event, for a step's event list.

pub mod events;
pub mod fields;
pub mod functions;
pub mod texts;

pub use events::event_line;
pub use fields::{writer_of, writers, FIELDS};
pub use functions::FUNCTIONS;
pub use texts::{bug_text, rule_text, WARNS};

use crate::dsl::edit_distance;
use crate::model::bugs::KnownBug;
use crate::model::kernel::Kernel;
use crate::model::violation::Rule;

/// One explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What it is (`kernel function`, `invariant`, …).
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// The explanation (may span lines).
    pub text: String,
}

/// The names `:explain` knows, for completion.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = FUNCTIONS.iter().map(|(n, _)| n.to_string()).collect();
    v.extend(Rule::ALL.iter().map(|r| r.code().to_string()));
    v.extend(KnownBug::ALL.iter().map(|b| b.name().to_string()));
    v.extend(FIELDS.iter().map(|(n, _)| n.to_string()));
    v.sort();
    v.dedup();
    v
}

fn kernels_with(b: KnownBug) -> String {
    let ks: Vec<String> = Kernel::ALL
        .iter()
        .filter(|k| b.affects(**k))
        .map(|k| k.name())
        .collect();
    if ks.is_empty() {
        "none of the modelled kernels".into()
    } else {
        ks.join(", ")
    }
}

/// Everything that explains `what` (case-insensitive). Empty when nothing does.
pub fn lookup(what: &str) -> Vec<Entry> {
    let w = what.trim();
    let eq = |n: &str| n.eq_ignore_ascii_case(w);
    let mut out = Vec::new();
    if let Some((n, t)) = FUNCTIONS.iter().find(|(n, _)| eq(n)) {
        let mut text = t.to_string();
        let warns: Vec<String> = WARNS
            .iter()
            .filter(|s| s.function() == *n)
            .map(|s| format!("  WARN: {}", s.condition()))
            .collect();
        if !warns.is_empty() {
            text.push_str("\nWARNs the model checks here:\n");
            text.push_str(&warns.join("\n"));
        }
        out.push(Entry {
            kind: "kernel function",
            name: n.to_string(),
            text,
        });
    }
    if let Some(r) = Rule::ALL.iter().find(|r| eq(r.code())) {
        out.push(Entry {
            kind: "invariant",
            name: format!("{} — {}", r.code(), r.title()),
            text: rule_text(*r).to_string(),
        });
        if *r == Rule::Warn {
            let list: Vec<String> = WARNS
                .iter()
                .map(|s| format!("  {}: {}", s.function(), s.condition()))
                .collect();
            out.push(Entry {
                kind: "WARN sites",
                name: "the WARNs the model reaches".into(),
                text: list.join("\n"),
            });
        }
    }
    if let Some(b) = KnownBug::ALL.iter().find(|b| eq(b.name())) {
        out.push(Entry {
            kind: "known kernel bug",
            name: b.name().to_string(),
            text: format!("{}\nKernels with it: {}.", bug_text(*b), kernels_with(*b)),
        });
    }
    let field = w.rsplit('.').next().unwrap_or(w);
    if let Some((n, t)) = FIELDS
        .iter()
        .find(|(n, _)| eq(n) || n.eq_ignore_ascii_case(field) && w.contains('.'))
    {
        out.push(Entry {
            kind: "field",
            name: n.to_string(),
            text: t.to_string(),
        });
    }
    out
}

/// Names close to `what`, for "did you mean".
pub fn suggest(what: &str) -> Vec<String> {
    let w = what.to_ascii_lowercase();
    let mut v: Vec<String> = names()
        .into_iter()
        .filter(|n| {
            let l = n.to_ascii_lowercase();
            l.contains(&w) || w.contains(&l) || edit_distance(&l, &w) <= 2
        })
        .collect();
    v.truncate(8);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_bug_and_warn_function_is_explained() {
        for r in Rule::ALL {
            assert!(!lookup(r.code()).is_empty(), "{}", r.code());
        }
        for b in KnownBug::ALL {
            let e = lookup(b.name());
            assert!(
                e.iter().any(|e| e.kind == "known kernel bug"),
                "{}",
                b.name()
            );
        }
        for s in WARNS {
            assert!(
                FUNCTIONS.iter().any(|(n, _)| *n == s.function()),
                "{}",
                s.function()
            );
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_suggests() {
        assert_eq!(lookup("FPSIMD_SAVE")[0].name, "fpsimd_save");
        assert!(lookup("b1")[0].name.starts_with("B1"));
        assert!(suggest("fpsimd_sav").contains(&"fpsimd_save".to_string()));
        assert!(lookup("nonsense").is_empty());
    }

    /// `:why` names the function that counts a counter, not whatever ran last in the step
    /// (`sve_flush_live` and `sve_user_enable` run after `do_sve_acc` in a trap).
    #[test]
    fn the_writer_of_a_counter_is_the_function_that_counts_it() {
        let (mut s, diags) =
            crate::Session::from_source("kernel v5.19\ntask A vl=512 on=cpu0\nsve-op A\n");
        assert!(diags.is_empty(), "{diags:?}");
        let mut last = None;
        while let Some(r) = s.step() {
            last = Some(r);
        }
        let r = last.expect("the sve-op step");
        assert_eq!(r.text, "sve-op A");
        let events = || r.events.iter().map(|e| &e.event);
        assert_eq!(writer_of("A.traps", events()), Some("do_sve_acc"));
        assert_eq!(
            writer_of("A.binds", events()),
            Some("fpsimd_bind_task_to_cpu")
        );
        assert_eq!(writer_of("A.TIF_SVE", events()), Some("do_sve_acc"));
        assert_eq!(
            writer_of("cpu0.CPACR_EL1.ZEN_EL0EN", events()),
            Some("sve_user_enable")
        );
        assert_eq!(writer_of("A.vl_onexec", events()), None);
    }

    #[test]
    fn bugs_name_their_kernels() {
        let e = lookup("signal-frame-trusts-TIF_SVE");
        assert!(e[0].text.contains("series-v1/p6"), "{}", e[0].text);
        assert!(!e[0].text.contains("v5.19,"), "{}", e[0].text);
    }
}
