//! The line editor's helper: completion, inline hints, syntax highlighting and the
//! multi-line validator (a `repeat N {` keeps reading lines until its `}`).

use crate::commands::{self, Arg, COMMANDS};
use crate::lang::{self, Names};
use crate::style::Style;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};
use std::borrow::Cow;

/// The help topics besides commands and statements.
pub const TOPICS: [&str; 10] = [
    "commands",
    "statements",
    "paths",
    "values",
    "kernels",
    "keys",
    "errors",
    "lessons",
    "legend",
    "breakpoints",
];

/// The REPL's helper. `names` is refreshed after every input.
#[derive(Default)]
pub struct ReplHelper {
    /// Names in the current machine.
    pub names: Names,
    /// Colour on.
    pub color: bool,
    /// The numbers of the breakpoints and watches set (for `:delete`).
    pub stops: Vec<String>,
    files: FilenameCompleter,
}

impl std::fmt::Debug for ReplHelper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplHelper")
            .field("names", &self.names)
            .field("color", &self.color)
            .finish()
    }
}

impl ReplHelper {
    /// A helper with colour on or off.
    pub fn new(color: bool) -> ReplHelper {
        ReplHelper {
            names: Names::default(),
            color,
            stops: Vec::new(),
            files: FilenameCompleter::new(),
        }
    }

    /// Candidates for the argument of a `:` command line.
    fn command_candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let upto = &line[..pos];
        let word_start = upto.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let cur = &upto[word_start..];
        let before: Vec<&str> = upto[..word_start].split_whitespace().collect();
        let Some(first) = before.first() else {
            // The command name itself.
            let v = COMMANDS
                .iter()
                .map(|s| format!(":{}", s.name))
                .filter(|c| c.starts_with(cur))
                .collect();
            return (word_start, v);
        };
        let Ok(spec) = commands::find(first.trim_start_matches(':')) else {
            return (pos, Vec::new());
        };
        let idx = before.len() - 1;
        let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let n = &self.names;
        let cands = match spec.args.get(idx.min(spec.args.len().saturating_sub(1))) {
            _ if spec.args.is_empty() => Vec::new(),
            Some(Arg::Setting) if idx == 0 => s(&["edit-mode", "panel"]),
            Some(Arg::Setting) if idx == 1 => match before[1] {
                "edit-mode" | "mode" => s(&["emacs", "vi"]),
                _ => s(&["on", "off"]),
            },
            // `:break when COND`: a condition starts with a path, as `expect`'s does.
            Some(Arg::Break | Arg::Path) if spec.name == "break" => match (idx, before.get(1)) {
                (0, _) => s(&["line", "when"]),
                (1, Some(&"when")) => {
                    let mut v = lang::paths(cur, n);
                    if !cur.contains('.') {
                        v.extend(n.heads());
                        v.extend(s(&["no-violations", "violation"]));
                    }
                    v
                }
                _ => Vec::new(),
            },
            _ if idx >= spec.args.len() => Vec::new(),
            Some(Arg::Lesson) => match idx {
                0 => crate::course::lesson_names(),
                1 => s(&["load", "run"]),
                _ => crate::course::course()
                    .lesson(before[1])
                    .map(|l| {
                        l.scripts
                            .iter()
                            .map(|x| crate::course::script_stem(&x.name).to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            Some(Arg::Exercise) if idx == 0 => {
                let mut v = crate::course::exercise_keys();
                v.extend(s(&["next", "load"]));
                v
            }
            Some(Arg::Exercise) => s(&["load"]),
            Some(Arg::Topic) => {
                let mut v: Vec<String> = COMMANDS.iter().map(|s| format!(":{}", s.name)).collect();
                v.extend(lang::STATEMENTS.iter().map(|s| s.keyword.to_string()));
                v.extend(TOPICS.iter().map(|t| t.to_string()));
                v
            }
            Some(Arg::ShowTarget) => {
                let mut v = lang::paths(cur, n);
                if !cur.contains('.') {
                    v.extend(n.heads());
                    v.extend(s(&lang::SHOW_WORDS));
                }
                v
            }
            Some(Arg::TaskOrCpu) => {
                let mut v = n.tasks.clone();
                v.extend(n.cpus.iter().cloned());
                v
            }
            Some(Arg::RegFormat) => s(&["compact", "hex", "bytes", "lanes"]),
            Some(Arg::Step) if spec.name == "goto" => s(&["end"]),
            Some(Arg::Step) => Vec::new(),
            Some(Arg::Path) => lang::paths(cur, n),
            Some(Arg::Explainable) => svelab_core::explain::names(),
            Some(Arg::Kernel) => lang::kernel_names(),
            Some(Arg::RealKernel) => s(&["6.1", "6.12", "both"]),
            Some(Arg::StopId) => {
                let mut v = self.stops.clone();
                v.push("all".into());
                v
            }
            Some(Arg::Break) => Vec::new(),
            Some(Arg::File) | Some(Arg::Setting) | None => Vec::new(),
        };
        let mut v: Vec<String> = cands.into_iter().filter(|c| c.starts_with(cur)).collect();
        v.sort();
        v.dedup();
        (word_start, v)
    }

    fn is_file_arg(line: &str) -> bool {
        let mut w = line.split_whitespace();
        w.next()
            .and_then(|c| commands::find(c.trim_start_matches(':')).ok())
            .is_some_and(|s| s.args.first() == Some(&Arg::File))
            && line.contains(char::is_whitespace)
    }

    /// The completions at `pos` (start of the replaced text, candidates).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        if line.starts_with(':') && !line.contains('\n') {
            self.command_candidates(line, pos)
        } else {
            let c = lang::complete_statement(line, pos, &self.names);
            (c.start, c.items)
        }
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with(':') && Self::is_file_arg(&line[..pos]) {
            return self.files.complete_path(line, pos);
        }
        let (start, v) = self.candidates(line, pos);
        Ok((
            start,
            v.into_iter()
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: c,
                })
                .collect(),
        ))
    }
}

/// An inline hint: the rest of a unique completion (accepted with →), or the usage of
/// the statement or command being typed (display only).
#[derive(Debug)]
pub struct LineHint {
    text: String,
    completion: bool,
}

impl Hint for LineHint {
    fn display(&self) -> &str {
        &self.text
    }
    fn completion(&self) -> Option<&str> {
        self.completion.then_some(self.text.as_str())
    }
}

impl Hinter for ReplHelper {
    type Hint = LineHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<LineHint> {
        if pos != line.len() || line.trim().is_empty() {
            return None;
        }
        let (start, v) = self.candidates(line, pos);
        let cur = &line[start..pos];
        if !cur.is_empty() && !v.is_empty() {
            let cp = lang::common_prefix(&v);
            if cp.len() > cur.len() && cp.starts_with(cur) {
                return Some(LineHint {
                    text: cp[cur.len()..].to_string(),
                    completion: true,
                });
            }
        }
        if line.starts_with(':') {
            let mut w = line.split_whitespace();
            let spec = commands::find(w.next()?.trim_start_matches(':')).ok()?;
            if line.ends_with(' ') && w.next().is_none() && !spec.usage.is_empty() {
                return Some(LineHint {
                    text: spec.usage.to_string(),
                    completion: false,
                });
            }
            return None;
        }
        lang::usage_hint(line).map(|u| LineHint {
            text: u,
            completion: false,
        })
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if input.starts_with(':') || !svelab_core::dsl::is_incomplete(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

/// Colours a line of input. The result has the same display width as `line`.
pub fn highlight_line(line: &str, names: &Names, st: Style) -> String {
    if !st.color {
        return line.to_string();
    }
    if let Some(rest) = line.strip_prefix(':') {
        let n = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let known = commands::find(&rest[..n]).is_ok();
        let cmd = &line[..n + 1];
        let cmd = if known {
            st.paint("1;36", cmd)
        } else {
            st.red(cmd)
        };
        return format!("{cmd}{}", &rest[n..]);
    }
    let mut out = String::new();
    let mut keyword_next = true;
    let mut rest = line;
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap_or(' ');
        if c == '#' {
            let end = rest.find('\n').unwrap_or(rest.len());
            out.push_str(&st.dim(&rest[..end]));
            rest = &rest[end..];
        } else if c.is_whitespace() {
            if c == '\n' {
                keyword_next = true;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else if matches!(c, ';' | '{' | '}') {
            out.push_str(&st.bold(c.to_string()));
            keyword_next = true;
            rest = &rest[1..];
        } else {
            let end = rest
                .find(|ch: char| ch.is_whitespace() || matches!(ch, ';' | '{' | '}' | '#'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            out.push_str(&word_color(word, keyword_next, names, st));
            keyword_next = false;
            rest = &rest[end..];
        }
    }
    out
}

fn is_number(w: &str) -> bool {
    let w = w.strip_prefix('-').unwrap_or(w);
    !w.is_empty()
        && (w.chars().all(|c| c.is_ascii_digit())
            || w.strip_prefix("0x").is_some_and(|h| {
                !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
            }))
}

fn value_color(w: &str, names: &Names, st: Style) -> String {
    if is_number(w)
        || w.starts_with("fill(")
        || w.starts_with("pattern(")
        || matches!(w, "ones" | "zero")
    {
        st.magenta(w)
    } else if lang::kernel_names().iter().any(|k| k == w) {
        st.cyan(w)
    } else if names.kind(w.split('.').next().unwrap_or("")).is_some() {
        let (head, tail) = w.split_at(w.find('.').unwrap_or(w.len()));
        format!("{}{tail}", st.green(head))
    } else {
        w.to_string()
    }
}

fn word_color(w: &str, keyword: bool, names: &Names, st: Style) -> String {
    if keyword {
        return if lang::statement(w).is_some() {
            st.paint("1;34", w)
        } else {
            w.to_string()
        };
    }
    if matches!(w, "==" | "!=" | "<" | "<=" | ">" | ">=" | "->") {
        return st.yellow(w);
    }
    if let Some((k, v)) = w.split_once('=') {
        return format!("{}{}{}", st.cyan(k), st.dim("="), value_color(v, names, st));
    }
    value_color(w, names, st)
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight_line(line, &self.names, Style { color: true }))
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if !self.color {
            return Cow::Borrowed(prompt);
        }
        let st = Style { color: true };
        // "svelab KERNEL [N]> "
        let mut parts = prompt.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(a), Some(k), Some(rest)) => {
                let (pos, tail) = rest.split_at(rest.find('>').unwrap_or(rest.len()));
                Cow::Owned(format!(
                    "{} {} {}{}",
                    st.bold(a),
                    st.cyan(k),
                    st.dim(pos),
                    st.bold(tail)
                ))
            }
            _ => Cow::Borrowed(prompt),
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::style::strip;

    fn helper() -> ReplHelper {
        let mut h = ReplHelper::new(true);
        h.names = Names {
            tasks: vec!["A".into()],
            vcpus: vec![],
            cpus: vec!["cpu0".into(), "cpu1".into()],
            vls: vec!["128".into()],
        };
        h
    }

    #[test]
    fn commands_and_their_arguments_complete() {
        let h = helper();
        assert_eq!(h.candidates(":reg", 4).1, vec![":regs"]);
        assert_eq!(h.candidates(":regs ", 6).1, vec!["A", "cpu0", "cpu1"]);
        assert_eq!(h.candidates(":regs A h", 9).1, vec!["hex"]);
        assert!(h
            .candidates(":explain fpsimd_s", 17)
            .1
            .contains(&"fpsimd_save".to_string()));
        assert!(h.candidates(":kernel v", 9).1.contains(&"v6.2".to_string()));
        assert_eq!(h.candidates(":set panel o", 12).1, vec!["off", "on"]);
        assert!(h
            .candidates(":why A.TIF", 10)
            .1
            .contains(&"A.TIF_SVE".to_string()));
        assert_eq!(h.candidates(":break ", 7).1, vec!["line", "when"]);
        assert!(h
            .candidates(":break when A.TIF", 17)
            .1
            .contains(&"A.TIF_SVE".to_string()));
        assert!(h.candidates(":break line ", 12).1.is_empty());
        assert!(h
            .candidates(":watch A.TIF", 12)
            .1
            .contains(&"A.TIF_SVE".to_string()));
        let mut h = h;
        h.stops = vec!["1".into(), "2".into()];
        assert_eq!(h.candidates(":delete ", 8).1, vec!["1", "2", "all"]);
        assert_eq!(h.candidates(":leg", 4).1, vec![":legend"]);
    }

    #[test]
    fn highlighting_keeps_the_width() {
        let n = helper().names;
        for line in [
            "task A vl=512 on=cpu0 # note",
            "repeat 3 { sve-op A z0=fill(0xaa); svc A getpid }",
            "expect A.TIF_SVE == 1",
            ":regs A hex",
            "kernel v6.2",
        ] {
            let h = highlight_line(line, &n, Style { color: true });
            assert_eq!(strip(&h), line);
            assert_ne!(h, line, "{line} got no colour");
        }
    }

    #[test]
    fn hints_complete_or_show_usage() {
        let h = helper();
        let hist = rustyline::history::DefaultHistory::new();
        let ctx = Context::new(&hist);
        let hint = h.hint("sve-o", 5, &ctx).unwrap();
        assert_eq!(hint.display(), "p");
        assert_eq!(hint.completion(), Some("p"));
        let hint = h.hint("sve-op ", 7, &ctx).unwrap();
        assert!(hint.display().starts_with("TASK"));
        assert_eq!(hint.completion(), None);
        let hint = h.hint(":regs ", 6, &ctx).unwrap();
        assert!(hint.display().starts_with("<task|cpu>"));
    }
}
