//! The player: one [`Session`] driven the way the page needs it.
//!
//! After a script is loaded the player **scans** it, a slice at a time (so the page can
//! yield to the browser between slices and the tab never freezes), up to a step budget:
//! the scan learns the number of steps (for the timeline), the line each step executes
//! (for breakpoints), the counters over time (for the chart), the failed `expect`s and a
//! step error, if any. The session keeps its time-travel checkpoints from the scan, so
//! every later move is a `goto`.
//!
//! The view at position `p` is a [`Frame`]: the machine at `p`, the machine at `p - 1` and
//! the report of the step between them (what it did), with their [`Snapshot`]s and the
//! fields that changed. Stepping forward reuses the previous snapshot; any other move
//! replays at most one checkpoint interval.

use super::chart::History;
use super::snapshot::{changed, Snapshot};
use std::collections::{BTreeSet, HashSet};
use std::rc::Rc;
use svelab_core::dsl::Severity;
use svelab_core::session::{RunOptions, SessionOptions, StepReport, StopReason};
use svelab_core::{Counter, Diagnostic, Kernel, Machine, Session};

/// Steps a page runs at most: a bigger `repeat` stops here and says so.
pub const PAGE_BUDGET: u64 = 200_000;

/// Why the scan ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The program finished.
    End,
    /// The step budget ran out first.
    Budget(u64),
    /// Step `step` could not execute (the position stays before it).
    Error {
        /// Index of the failed step.
        step: u64,
        /// Its line.
        line: u32,
        /// What went wrong.
        diag: Diagnostic,
    },
}

impl Stop {
    /// A sentence for the status line.
    pub fn describe(&self) -> String {
        match self {
            Stop::End => "the script ran to its end".into(),
            Stop::Budget(b) => format!(
                "stopped at the step budget of {b} steps: the script would run longer (a `repeat` too large?)"
            ),
            Stop::Error { step, line, diag } => format!(
                "step {} (line {line}) cannot run: {} — {}",
                step + 1,
                diag.message,
                diag.hint
            ),
        }
    }
}

/// What the views draw at one position.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The position (steps executed).
    pub pos: u64,
    /// The snapshot at `pos`.
    pub snap: Rc<Snapshot>,
    /// The snapshot at `pos - 1`.
    pub prev_snap: Option<Rc<Snapshot>>,
    /// The machine at `pos - 1`.
    pub prev: Option<Rc<Machine>>,
    /// The report of the step from `pos - 1` to `pos`.
    pub report: Option<Rc<StepReport>>,
    /// Paths that step changed.
    pub changed: Rc<HashSet<String>>,
}

/// One session, scanned and positioned.
#[derive(Debug)]
pub struct Player {
    session: Session,
    kernel: Option<Kernel>,
    budget: u64,
    scanned: u64,
    stop: Option<Stop>,
    lines: Vec<u32>,
    expect_failures: Vec<u64>,
    history: History,
    warnings: Vec<Diagnostic>,
    frame: Frame,
}

impl Player {
    /// Loads `source`, on `kernel` if given (overriding the script's `kernel` line).
    /// Parse errors are returned (nothing runs until they are fixed); warnings are kept.
    pub fn load(
        source: &str,
        kernel: Option<Kernel>,
        budget: u64,
    ) -> Result<Player, Vec<Diagnostic>> {
        let mut session = Session::new(SessionOptions {
            kernel,
            ..SessionOptions::default()
        });
        let diags = session.load(source);
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(diags);
        }
        let snap = Rc::new(Snapshot::of(session.machine()));
        Ok(Player {
            session,
            kernel,
            budget,
            scanned: 0,
            stop: None,
            lines: Vec::new(),
            expect_failures: Vec::new(),
            history: History::default(),
            warnings: diags,
            frame: Frame {
                pos: 0,
                snap,
                prev_snap: None,
                prev: None,
                report: None,
                changed: Rc::default(),
            },
        })
    }

    /// Scans at most `max_steps` more steps. Returns `true` when the scan is complete.
    pub fn scan(&mut self, max_steps: u64) -> bool {
        if self.stop.is_some() {
            return true;
        }
        self.session.goto(self.scanned);
        let src = self.session.source().to_string();
        for _ in 0..max_steps {
            if self.scanned >= self.budget {
                self.stop = Some(Stop::Budget(self.budget));
                break;
            }
            let Some((span, line)) = self.session.next_statement() else {
                self.stop = Some(Stop::End);
                break;
            };
            let is_expect = src
                .get(span.start..span.end)
                .is_some_and(|t| t.trim_start().starts_with("expect"));
            let failed_or_error = if is_expect {
                match self.session.step() {
                    None => {
                        self.stop = Some(Stop::End);
                        break;
                    }
                    Some(r) if r.error.is_some() => Err(r.error),
                    Some(r) => Ok(r.expect_failed()),
                }
            } else {
                let s = self.session.run(&RunOptions {
                    budget: 1,
                    stop_on_expect_failure: false,
                    breakpoints: false,
                });
                match s.stop {
                    StopReason::End if s.steps == 0 => {
                        self.stop = Some(Stop::End);
                        break;
                    }
                    StopReason::Error => Err(s.last.and_then(|r| r.error)),
                    _ => Ok(false),
                }
            };
            match failed_or_error {
                Err(diag) => {
                    let diag = diag.unwrap_or_else(|| {
                        Diagnostic::error(&src, span, "the step failed", "see the events")
                    });
                    self.stop = Some(Stop::Error {
                        step: self.scanned,
                        line,
                        diag,
                    });
                    break;
                }
                Ok(failed) => {
                    if failed {
                        self.expect_failures.push(self.scanned);
                    }
                    self.lines.push(line);
                    self.scanned += 1;
                    self.history
                        .record(self.scanned, self.session.machine().total_counters());
                }
            }
        }
        // Put the session back where the view is.
        let pos = self.frame.pos;
        self.session.goto(pos);
        self.stop.is_some()
    }

    /// Scans to the end (or the budget).
    pub fn scan_all(&mut self) {
        while !self.scan(50_000) {}
    }

    /// Moves the view to `pos` (clamped to the steps scanned so far).
    pub fn goto(&mut self, pos: u64) {
        let pos = pos.min(self.scanned);
        if pos == self.frame.pos && self.frame.prev.is_some() == (pos > 0) {
            return;
        }
        if pos == 0 {
            self.session.goto(0);
            self.frame = Frame {
                pos: 0,
                snap: Rc::new(Snapshot::of(self.session.machine())),
                prev_snap: None,
                prev: None,
                report: None,
                changed: Rc::default(),
            };
            return;
        }
        let forward_one = pos == self.frame.pos + 1 && self.session.position() == self.frame.pos;
        if !forward_one {
            self.session.goto(pos - 1);
        }
        let prev = Rc::new(self.session.machine().clone());
        let prev_snap = if forward_one {
            self.frame.snap.clone()
        } else {
            Rc::new(Snapshot::of(&prev))
        };
        let report = self.session.step().map(Rc::new);
        let snap = Rc::new(Snapshot::of(self.session.machine()));
        let ch = Rc::new(changed(&prev_snap, &snap));
        self.frame = Frame {
            pos: self.session.position(),
            snap,
            prev_snap: Some(prev_snap),
            prev: Some(prev),
            report,
            changed: ch,
        };
    }

    /// One step forward (within the scanned steps).
    pub fn step(&mut self) -> bool {
        let before = self.frame.pos;
        self.goto(before + 1);
        self.frame.pos != before
    }

    /// One step back.
    pub fn back(&mut self) -> bool {
        let before = self.frame.pos;
        self.goto(before.saturating_sub(1));
        self.frame.pos != before
    }

    /// The next position after the current one where a statement on a line of `bps` is
    /// about to run, or the last position scanned.
    pub fn next_stop(&self, bps: &BTreeSet<u32>) -> u64 {
        let from = self.frame.pos as usize + 1;
        self.lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, l)| bps.contains(l))
            .map_or(self.scanned, |(p, _)| p as u64)
    }

    /// The current frame.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// The machine at the current position.
    pub fn machine(&self) -> &Machine {
        self.session.machine()
    }

    /// Steps scanned so far (the last reachable position).
    pub fn len(&self) -> u64 {
        self.scanned
    }

    /// Nothing to step through.
    pub fn is_empty(&self) -> bool {
        self.scanned == 0
    }

    /// Why the scan ended (`None` while it goes on).
    pub fn stop(&self) -> Option<&Stop> {
        self.stop.as_ref()
    }

    /// The line each step executes.
    pub fn lines(&self) -> &[u32] {
        &self.lines
    }

    /// The line of the statement the next step runs, if any.
    pub fn next_line(&self) -> Option<u32> {
        match self.lines.get(self.frame.pos as usize) {
            Some(l) => Some(*l),
            None => match &self.stop {
                Some(Stop::Error { step, line, .. }) if *step == self.frame.pos => Some(*line),
                _ => None,
            },
        }
    }

    /// Steps whose `expect` failed.
    pub fn expect_failures(&self) -> &[u64] {
        &self.expect_failures
    }

    /// Counters over time.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The parse warnings.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The forced kernel.
    pub fn forced_kernel(&self) -> Option<Kernel> {
        self.kernel
    }

    /// The source.
    pub fn source(&self) -> &str {
        self.session.source()
    }

    /// The first position at which the total of `c` reaches `n` (exact while the
    /// history's stride is 1, i.e. for runs of up to 4,096 steps).
    pub fn first_pos_with(&self, c: Counter, n: u64) -> Option<u64> {
        let s = self.history.series(c);
        s.into_iter().find(|&(_, v)| v >= n).map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::GETPID_LOOP;

    fn loaded(src: &str) -> Player {
        let mut p = Player::load(src, None, PAGE_BUDGET).expect("parses");
        p.scan_all();
        p
    }

    #[test]
    fn scanning_finds_the_length_lines_and_counters() {
        let p = loaded(
            "task A vl=512 on=cpu0\nrepeat 3 {\n  sve-op A z0=fill(0xaa)\n  svc A getpid\n}\n",
        );
        assert_eq!(p.len(), 7);
        assert_eq!(p.stop(), Some(&Stop::End));
        assert_eq!(p.lines(), &[1, 3, 4, 3, 4, 3, 4]);
        assert_eq!(p.history().last_totals().get(Counter::SveTraps), 3);
        assert_eq!(p.first_pos_with(Counter::SveTraps, 2), Some(4));
        assert_eq!(p.frame().pos, 0, "scanning does not move the view");
    }

    #[test]
    fn frames_carry_the_step_and_what_it_changed() {
        let mut p = loaded("task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\nsvc A getpid");
        p.goto(2);
        let f = p.frame().clone();
        assert_eq!(f.pos, 2);
        let r = f.report.as_ref().unwrap();
        assert_eq!(r.line, 2);
        assert!(r.events.iter().any(|e| e.event.function() == "do_sve_acc"));
        assert!(f.changed.contains("A.TIF_SVE"));
        // Forward and back give the same frames as a jump.
        p.step();
        p.back();
        assert_eq!(p.frame().pos, 2);
        assert_eq!(p.frame().snap, f.snap);
        assert_eq!(p.frame().changed, f.changed);
        assert!(!p.step() || p.frame().pos == 3);
        assert!(!p.step(), "at the end");
        p.goto(0);
        assert!(p.frame().report.is_none());
        assert!(!p.back());
    }

    #[test]
    fn breakpoints_stop_before_their_line() {
        let mut p = loaded(GETPID_LOOP);
        let bps: BTreeSet<u32> = [6].into_iter().collect();
        let first = p.next_stop(&bps);
        assert_eq!(p.lines()[first as usize], 6);
        p.goto(first);
        let second = p.next_stop(&bps);
        assert!(second > first);
        assert_eq!(p.next_stop(&BTreeSet::new()), p.len());
    }

    #[test]
    fn budget_and_errors_end_the_scan_with_a_reason() {
        let mut p =
            Player::load("task A on=cpu0\nrepeat 1000000 { svc A getpid }", None, 500).unwrap();
        assert!(!p.scan(100), "a slice does not finish a long scan");
        p.scan_all();
        assert_eq!(p.len(), 500);
        assert!(matches!(p.stop(), Some(Stop::Budget(500))));
        assert!(p.stop().unwrap().describe().contains("budget"));

        let mut p = loaded("task A on=cpu0\nsvc A exit\nsve-op A z0=1");
        assert_eq!(p.len(), 2);
        let Some(Stop::Error { step, line, .. }) = p.stop() else {
            panic!("{:?}", p.stop())
        };
        assert_eq!((*step, *line), (2, 3));
        p.goto(99);
        assert_eq!(p.frame().pos, 2);
        assert_eq!(p.next_line(), Some(3));
    }

    #[test]
    fn parse_errors_refuse_to_load_and_expects_are_tracked() {
        let e = Player::load("task A\nsve-op A z32=1", None, 10).unwrap_err();
        assert!(!e.is_empty());
        let p = loaded("task A on=cpu0\nexpect A.TIF_SVE == 1\nexpect A.TIF_SVE == 0");
        assert_eq!(p.expect_failures(), &[1]);
    }

    #[test]
    fn a_forced_kernel_overrides_the_script() {
        let mut p = Player::load(GETPID_LOOP, Some(Kernel::V6_2), 1000).unwrap();
        p.scan_all();
        assert_eq!(p.machine().kernel(), Kernel::V6_2);
        assert_eq!(p.history().last_totals().get(Counter::SveTraps), 1);
    }
}
