//! One script on two kernels, side by side.

use super::*;

/// One step where the two kernels differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDifference {
    /// Step index.
    pub step: u64,
    /// Line of the statement.
    pub line: u32,
    /// The statement.
    pub text: String,
    /// Event lines on the first kernel.
    pub events_a: Vec<String>,
    /// Event lines on the second kernel.
    pub events_b: Vec<String>,
    /// Counter changes on each (non-zero, `name=value`).
    pub counters_a: String,
    /// Counter changes on the second kernel.
    pub counters_b: String,
    /// Outcome on each (return value, expect result, error).
    pub outcome_a: String,
    /// Outcome on the second kernel.
    pub outcome_b: String,
}

/// The result of [`compare`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// First kernel.
    pub kernel_a: String,
    /// Second kernel.
    pub kernel_b: String,
    /// Steps run on both.
    pub steps: u64,
    /// Steps whose events, counters or outcome differ.
    pub steps_differing: Vec<StepDifference>,
    /// Final user-visible registers and raw fields that differ.
    pub final_differences: Vec<FieldChange>,
    /// Final total counters on each.
    pub totals: (String, String),
}

fn outcome_text(r: &StepReport) -> String {
    if let Some(e) = &r.error {
        return format!("error: {}", e.message);
    }
    match &r.outcome {
        StepOutcome::Op { ret: Some(x) } => format!("ret {x}"),
        StepOutcome::Expect(c) => format!(
            "{} (actual {})",
            if c.passed { "pass" } else { "FAIL" },
            c.actual
        ),
        StepOutcome::Show(s) => s.clone(),
        _ => String::new(),
    }
}

fn strip_cpu(lines: &[String]) -> Vec<String> {
    lines.to_vec()
}

/// Runs `source` on kernels `a` and `b` in lockstep (at most `budget` steps each) and
/// reports every step whose events, counter changes or outcome differ, and the final
/// differences (user-visible registers, raw fields). Parse errors are returned as is.
pub fn compare(
    source: &str,
    a: Kernel,
    b: Kernel,
    budget: u64,
) -> Result<Comparison, Vec<Diagnostic>> {
    let (prog, diags) = crate::dsl::parse(source);
    if diags
        .iter()
        .any(|d| d.severity == crate::dsl::Severity::Error)
    {
        return Err(diags);
    }
    let mk = |k| {
        let mut s = Session::new(SessionOptions {
            kernel: Some(k),
            ..SessionOptions::default()
        });
        s.program = prog.clone();
        s.index_lines();
        s
    };
    let (mut sa, mut sb) = (mk(a), mk(b));
    let mut diffs = Vec::new();
    let mut steps = 0;
    while steps < budget {
        let ra = sa.step();
        let rb = sb.step();
        let (Some(ra), Some(rb)) = (ra, rb) else {
            break;
        };
        steps += 1;
        let (ea, eb) = (strip_cpu(&ra.event_lines), strip_cpu(&rb.event_lines));
        let (ca, cb) = (
            render::counters_line(&ra.counters),
            render::counters_line(&rb.counters),
        );
        let (oa, ob) = (outcome_text(&ra), outcome_text(&rb));
        if ea != eb || ca != cb || oa != ob {
            diffs.push(StepDifference {
                step: ra.step,
                line: ra.line,
                text: ra.text.clone(),
                events_a: ea,
                events_b: eb,
                counters_a: ca,
                counters_b: cb,
                outcome_a: oa,
                outcome_b: ob,
            });
        }
        if ra.error.is_some() || rb.error.is_some() {
            break;
        }
    }
    let (ma, mb) = (sa.machine(), sb.machine());
    let final_differences = diff_machines(ma, mb)
        .into_iter()
        .filter(|c| !c.path.starts_with("config.kernel"))
        .collect();
    Ok(Comparison {
        kernel_a: a.name(),
        kernel_b: b.name(),
        steps,
        steps_differing: diffs,
        final_differences,
        totals: (
            render::counters_line(&ma.total_counters()),
            render::counters_line(&mb.total_counters()),
        ),
    })
}
