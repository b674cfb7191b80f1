//! Cutting a program at a step: the source of a program that executes exactly the first
//! `n` steps of another.
//!
//! The REPL needs it when the user travels back (or interrupts a long `repeat`) and then
//! types a new statement: the session continues from the current step and the old future
//! is dropped, like an undo. A `repeat` cut in the middle becomes the completed iterations
//! plus the statements of the partial one. (A `Session::truncate()` in the core would make
//! this unnecessary; see the report of issue #5.)

use svelab_core::dsl::{Program, Stmt, StmtKind};

/// Steps a statement executes (saturating): one per leaf, `count ×` per `repeat`.
pub fn steps_of(s: &Stmt) -> u128 {
    match &s.kind {
        StmtKind::Repeat { count, body } => {
            let per: u128 = body.iter().map(steps_of).fold(0, u128::saturating_add);
            if *count == 0 {
                0
            } else {
                per.saturating_mul(u128::from(*count))
            }
        }
        _ => 1,
    }
}

/// The text of a statement. A `repeat`'s span covers only `repeat N {`, so its text is
/// rebuilt from the count and the body.
fn text(src: &str, s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Repeat { count, body } => repeat(*count as u128, src, body),
        _ => src.get(s.span.start..s.span.end).unwrap_or("").to_string(),
    }
}

fn repeat(count: u128, src: &str, body: &[Stmt]) -> String {
    let inner: Vec<String> = body.iter().map(|b| text(src, b)).collect();
    format!("repeat {count} {{ {} }}", inner.join("; "))
}

fn prefix(src: &str, stmts: &[Stmt], mut n: u128, out: &mut Vec<String>) {
    for s in stmts {
        if n == 0 {
            return;
        }
        let k = steps_of(s);
        if k == 0 {
            continue;
        }
        if k <= n {
            out.push(text(src, s));
            n -= k;
            continue;
        }
        // A repeat cut in the middle.
        let StmtKind::Repeat { body, .. } = &s.kind else {
            return;
        };
        let per: u128 = body.iter().map(steps_of).fold(0, u128::saturating_add);
        let full = n / per;
        if full > 0 {
            out.push(repeat(full, src, body));
        }
        prefix(src, body, n % per, out);
        return;
    }
}

/// The source of a program that executes exactly the first `n` steps of `p` (which must
/// have at least `n`), one statement per line.
pub fn prefix_source(p: &Program, n: u64) -> String {
    let mut out = Vec::new();
    prefix(&p.source, &p.stmts, u128::from(n), &mut out);
    let mut s = out.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use svelab_core::session::{RunOptions, Session};

    fn check(src: &str) {
        let (mut full, d) = Session::from_source(src);
        assert!(d.is_empty(), "{d:?}");
        full.run(&RunOptions::default());
        let total = full.position();
        for n in 0..=total {
            let cut = prefix_source(full.program(), n);
            let (mut s, d) = Session::from_source(&cut);
            assert!(d.is_empty(), "{cut}: {d:?}");
            s.run(&RunOptions::default());
            assert_eq!(s.position(), n, "cut at {n}:\n{cut}");
            let want = full.machine_at(n).unwrap();
            assert_eq!(s.machine(), &want, "cut at {n}:\n{cut}");
        }
    }

    #[test]
    fn cuts_plain_statements() {
        check("task A on=cpu0\nsve-op A z0=1\nsvc A getpid\nexpect A.traps == 1\n");
    }

    #[test]
    fn cuts_inside_repeats_and_nested_repeats() {
        check("task A on=cpu0 # comment\nrepeat 3 { sve-op A z0=1; svc A getpid }\nrepeat 2 { fp-op A v0=2; repeat 2 { svc A yield -> idle; ctxsw cpu0 A } }\nrepeat 0 { svc A exit }\nexpect A.traps == 3");
    }

    #[test]
    fn huge_repeats_do_not_overflow() {
        let (p, d) = svelab_core::parse(
            "task A on=cpu0\nrepeat 1099511627776 { repeat 1099511627776 { svc A getpid } }",
        );
        assert!(d.is_empty());
        let cut = prefix_source(&p, 5);
        assert_eq!(cut, "task A on=cpu0\nrepeat 4 { svc A getpid }\n");
    }
}
