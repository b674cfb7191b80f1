//! Loading and appending programs, and what a session tells about its program.

use super::exec::shift;
use super::*;

impl Session {
    /// An empty session (no program).
    pub fn new(opts: SessionOptions) -> Session {
        let opts = SessionOptions {
            checkpoint_interval: opts.checkpoint_interval.max(1),
            // Thinning needs room for two checkpoints.
            max_checkpoints: match opts.max_checkpoints {
                0 => 0,
                m => m.max(2),
            },
            ..opts
        };
        let state = initial_state(&opts);
        Session {
            checkpoints: vec![state.clone()],
            stride: opts.checkpoint_interval,
            state,
            opts,
            program: Program::default(),
            diagnostics: Vec::new(),
            frontier: 0,
            end: None,
            breakpoints: Vec::new(),
            next_bp: 1,
            line_starts: Vec::new(),
        }
    }

    /// A session with `source` loaded, and the parse diagnostics (the program holds every
    /// statement that parsed).
    pub fn from_source(source: &str) -> (Session, Vec<Diagnostic>) {
        let mut s = Session::default();
        let d = s.load(source);
        (s, d)
    }

    /// Replaces the program with `source` and goes back to position 0. Returns the parse
    /// diagnostics (also kept in [`Session::diagnostics`]). Breakpoints are kept.
    pub fn load(&mut self, source: &str) -> Vec<Diagnostic> {
        let (program, diags) = crate::dsl::parse(source);
        self.program = program;
        self.index_lines();
        self.diagnostics = diags.clone();
        self.reset();
        diags
    }

    /// The REPL's entry: parses `source`, appends its statements to the program and runs
    /// from the current position to the end (within `budget` steps). Atomic: on a parse
    /// error nothing is appended; on a step error the appended statements are removed
    /// again and the session goes back to where it was. Returns the reports of the steps
    /// run, or the diagnostics.
    pub fn append(
        &mut self,
        source: &str,
        budget: u64,
    ) -> Result<Vec<StepReport>, Vec<Diagnostic>> {
        let (mut prog, diags) = crate::dsl::parse(source);
        if diags
            .iter()
            .any(|d| d.severity == crate::dsl::Severity::Error)
        {
            return Err(diags);
        }
        let start_pos = self.state.pos;
        let old_len = self.program.stmts.len();
        let old_src_len = self.program.source.len();
        let offset = if self.program.source.is_empty() {
            0
        } else {
            self.program.source.push('\n');
            old_src_len + 1
        };
        self.program.source.push_str(source);
        self.index_lines();
        for s in &mut prog.stmts {
            shift(s, offset);
        }
        self.program.stmts.extend(prog.stmts);
        self.end = None;
        let mut reports = Vec::new();
        let opts = RunOptions {
            budget,
            stop_on_expect_failure: false,
            breakpoints: false,
        };
        let summary = self.run_with(&opts, &mut |r| reports.push(r.clone()));
        if summary.stop == StopReason::Error {
            let diag = summary
                .last
                .and_then(|r| r.error)
                .map(|mut d| {
                    // Re-anchor the diagnostic to the appended text.
                    d.span = Span::new(
                        d.span.start.saturating_sub(offset),
                        d.span.end.saturating_sub(offset),
                    );
                    let (l, c) = crate::dsl::diag::line_col(source, d.span.start);
                    d.line = l;
                    d.column = c;
                    d
                })
                .into_iter()
                .collect();
            self.program.stmts.truncate(old_len);
            self.program.source.truncate(old_src_len);
            self.index_lines();
            self.truncate_history(start_pos);
            // Rebuild the state at `start_pos` even when the failed step did not move the
            // position: its cursor may have entered a `repeat` that is gone now.
            self.seek(start_pos, true);
            self.end = None;
            return Err(diag);
        }
        Ok(reports)
    }

    pub(super) fn truncate_history(&mut self, pos: u64) {
        let keep = (pos / self.stride) as usize + 1;
        self.checkpoints.truncate(keep.max(1));
        self.frontier = self.frontier.min(pos);
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The program's source.
    pub fn source(&self) -> &str {
        &self.program.source
    }

    /// The parse diagnostics of the loaded program.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The session options.
    pub fn options(&self) -> &SessionOptions {
        &self.opts
    }

    /// The machine at the current position.
    pub fn machine(&self) -> &Machine {
        &self.state.machine
    }

    /// Steps executed so far (the current position).
    pub fn position(&self) -> u64 {
        self.state.pos
    }

    /// The number of steps of the whole program, once a run has reached its end.
    pub fn known_len(&self) -> Option<u64> {
        self.end
    }

    /// Is there nothing left to execute?
    pub fn is_finished(&self) -> bool {
        let mut frames = self.state.frames.clone();
        self.normalize(&mut frames).is_none()
    }

    /// The span and line of the statement the next step executes.
    pub fn next_statement(&self) -> Option<(Span, u32)> {
        let mut frames = self.state.frames.clone();
        let s = self.normalize(&mut frames)?;
        Some((s.span, self.line_of(s.span.start)))
    }

    /// Back to position 0 (same program, same breakpoints).
    pub fn reset(&mut self) {
        self.state = initial_state(&self.opts);
        self.checkpoints = vec![self.state.clone()];
        self.stride = self.opts.checkpoint_interval;
        self.frontier = 0;
        self.end = None;
    }

    /// Rebuilds [`Session::line_starts`] after the source changed.
    pub(super) fn index_lines(&mut self) {
        self.line_starts = self
            .program
            .source
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
    }

    /// The 1-based line of byte `offset` of the program's source.
    pub(super) fn line_of(&self, offset: usize) -> u32 {
        self.line_starts.partition_point(|&start| start <= offset) as u32 + 1
    }
}
