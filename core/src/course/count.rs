//! `count` checks of construct exercises: how many statements of a kind the learner's
//! script executed (a `repeat` counts each time round), e.g. `count sve-op A >= 4` (at least
//! four SVE instructions of task A), `count fp-op A <= 1`, or `count sve-op A z3 == 0` (no
//! SVE instruction of A writes Z3). Statement text comes from the session's step reports.

/// A parsed `count` check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CountCheck {
    /// The statement keyword (`sve-op`), then words each statement must hold: a word of the
    /// statement itself (`A`), or the register a write names (`z3` matches `z3=fill(1)`).
    words: Vec<String>,
    op: &'static str,
    n: u64,
}

const OPS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];

impl CountCheck {
    /// Parses the text after `count `.
    pub(super) fn parse(rest: &str) -> Result<CountCheck, String> {
        let toks: Vec<&str> = rest.split_whitespace().collect();
        let at = toks
            .iter()
            .position(|t| OPS.contains(t))
            .ok_or("a count check is `count KEYWORD [WORD…] OP N`, e.g. `count sve-op A >= 4`")?;
        if at == 0 {
            return Err("name the statement to count: `count sve-op A >= 4`".into());
        }
        let op = OPS
            .iter()
            .find(|o| **o == toks[at])
            .copied()
            .unwrap_or("==");
        let n = match toks.get(at + 1..) {
            Some([n]) => n
                .parse::<u64>()
                .map_err(|_| format!("`{n}` is not a count"))?,
            _ => return Err("a count check ends with one number: `count sve-op A >= 4`".into()),
        };
        Ok(CountCheck {
            words: toks[..at].iter().map(|w| w.to_ascii_lowercase()).collect(),
            op,
            n,
        })
    }

    /// Does one executed statement match?
    fn matches(&self, stmt: &str) -> bool {
        let toks: Vec<String> = stmt
            .split('#')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let Some((kw, words)) = self.words.split_first() else {
            return false;
        };
        toks.first() == Some(kw)
            && words.iter().all(|w| {
                toks[1..].iter().any(|t| {
                    t == w
                        || t.strip_prefix(w.as_str())
                            .is_some_and(|r| r.starts_with(['=', '[']))
                })
            })
    }

    /// `(passed, what was found)` over the statements the run executed.
    pub(super) fn eval(&self, executed: &[String]) -> (bool, String) {
        let c = executed.iter().filter(|s| self.matches(s)).count() as u64;
        let passed = match self.op {
            "==" => c == self.n,
            "!=" => c != self.n,
            "<=" => c <= self.n,
            ">=" => c >= self.n,
            "<" => c < self.n,
            _ => c > self.n,
        };
        (
            passed,
            format!("{} `{}` statement(s) ran", c, self.words.join(" ")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_statements_and_writes() {
        let ran: Vec<String> = [
            "task A on=cpu0",
            "sve-op A z3=1 p0=ones",
            "sve-op B z1=1",
            "sve-op A p1=ones",
            "fp-op A v3=1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = |s: &str| CountCheck::parse(s).unwrap().eval(&ran).0;
        assert!(c("sve-op A == 2"));
        assert!(c("sve-op >= 3"));
        assert!(c("sve-op A z3 == 1"));
        assert!(c("sve-op A z31 == 0"));
        assert!(c("fp-op A <= 1"));
        assert!(!c("fp-op A > 1"));
        assert!(CountCheck::parse("sve-op A").is_err());
        assert!(CountCheck::parse(">= 1").is_err());
        assert!(CountCheck::parse("sve-op A >= x").is_err());
    }
}
