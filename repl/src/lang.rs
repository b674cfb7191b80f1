//! What the REPL knows about the DSL for completion, hints, highlighting and `:help`. The
//! grammar (`docs/dsl.md`), its vocabulary and which words each position of a statement
//! takes are the core's (`svelab_core::dsl::vocab`, `svelab_core::dsl::complete`, shared
//! with the playground); this module adds the inline usage hint.

pub use svelab_core::dsl::vocab::{kernel_names, statement, SHOW_WORDS, STATEMENTS};
// Completion itself is the core's, shared with the playground's editor.
pub use svelab_core::dsl::complete::{
    common_prefix, complete_statement, fields, paths, Head, Names,
};

/// The usage still to type for the statement on the line, for the inline hint
/// (`sve-op ` → `TASK [REG=VALUE …] …`).
pub fn usage_hint(line: &str) -> Option<String> {
    let start = line.rfind([';', '{', '\n']).map_or(0, |i| i + 1);
    let stmt = line[start..].trim_start();
    let kw = stmt.strip_suffix(' ')?;
    if kw.contains(char::is_whitespace) {
        return None;
    }
    statement(kw).map(|s| s.usage.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_hints() {
        assert_eq!(usage_hint("cpus ").as_deref(), Some("N"));
        assert_eq!(
            usage_hint("task A; ctxsw ").as_deref(),
            Some("cpuN TASK|idle|kthread")
        );
        assert_eq!(usage_hint("ctxsw cpu0 "), None);
    }
}
