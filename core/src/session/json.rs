//! JSON documents with a format kind and version: machines, step reports, traces.

use super::*;

/// A whole run: the script, the kernel, every step's report, why it stopped, and the
/// final machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The script.
    pub source: String,
    /// The kernel it ran on.
    pub kernel: String,
    /// Every step.
    pub reports: Vec<StepReport>,
    /// Why it stopped.
    pub stop: StopReason,
    /// The final machine.
    pub machine: Machine,
}

/// Why a JSON document did not load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadError {
    /// Not JSON, or not the expected shape.
    Damaged(String),
    /// A document of another kind (`svelab-machine` where a trace was expected…).
    WrongKind {
        /// Kind expected.
        expected: String,
        /// Kind found.
        found: String,
    },
    /// Written by another version of the format.
    Version {
        /// Version this build reads.
        expected: u32,
        /// Version found.
        found: u64,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Damaged(m) => write!(f, "the file is damaged or not a svelab document: {m}"),
            LoadError::WrongKind { expected, found } => {
                write!(f, "this is a `{found}` document, expected `{expected}`")
            }
            LoadError::Version { expected, found } => write!(
                f,
                "format version {found} is not supported: this svelab reads version {expected}; re-create the file with this version"
            ),
        }
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: &'static str,
    version: u32,
    data: &'a T,
}

fn to_json<T: Serialize>(kind: &'static str, data: &T) -> String {
    serde_json::to_string(&EnvelopeOut {
        format: kind,
        version: FORMAT_VERSION,
        data,
    })
    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The `format` and `version` of a JSON document, read without building the whole
/// document in memory (the rest is skipped), so that a document of the wrong kind or
/// version gets its own message before its body is read. Shared by every JSON document
/// svelab writes (machines, reports, traces, progress, course bundles, submissions).
#[derive(Deserialize)]
pub(crate) struct Header {
    /// `format`, if present.
    #[serde(default)]
    pub format: Option<String>,
    /// `version`, if present.
    #[serde(default)]
    pub version: Option<u64>,
}

/// Reads the [`Header`] of `text`.
pub(crate) fn read_header(text: &str) -> Result<Header, serde_json::Error> {
    serde_json::from_str(text)
}

/// The `data` of an envelope `{"format": kind, "version": version, "data": …}`.
#[derive(Deserialize)]
struct EnvelopeIn<T> {
    data: T,
}

/// Reads an envelope of `kind` at `version` and returns its data.
pub(crate) fn from_envelope<T: for<'de> Deserialize<'de>>(
    kind: &str,
    version: u32,
    text: &str,
) -> Result<T, LoadError> {
    let h = read_header(text).map_err(|e| LoadError::Damaged(e.to_string()))?;
    let found = h.format.unwrap_or_default();
    if found != kind {
        return Err(LoadError::WrongKind {
            expected: kind.into(),
            found: if found.is_empty() {
                "unknown".into()
            } else {
                found
            },
        });
    }
    let v = h
        .version
        .ok_or_else(|| LoadError::Damaged("no version".into()))?;
    if v != u64::from(version) {
        return Err(LoadError::Version {
            expected: version,
            found: v,
        });
    }
    serde_json::from_str::<EnvelopeIn<T>>(text)
        .map(|e| e.data)
        .map_err(|e| LoadError::Damaged(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(kind: &str, text: &str) -> Result<T, LoadError> {
    from_envelope(kind, FORMAT_VERSION, text)
}

/// The machine as JSON (`{"format":"svelab-machine","version":1,"data":…}`).
pub fn machine_to_json(m: &Machine) -> String {
    to_json("svelab-machine", m)
}

/// Loads a machine written by [`machine_to_json`].
pub fn machine_from_json(text: &str) -> Result<Machine, LoadError> {
    let mut m: Machine = from_json("svelab-machine", text)?;
    check_machine(&mut m)?;
    Ok(m)
}

/// The rules a machine read from a file obeys before anything reads it: a configuration a
/// script could make, as many CPUs as it says, and register files as wide as its largest
/// vector length (earlier builds wrote them at the architectural maximum: the bytes
/// beyond, always zero, are dropped).
fn check_machine(m: &mut Machine) -> Result<(), LoadError> {
    m.config
        .check()
        .map_err(|e| LoadError::Damaged(format!("impossible configuration: {e}")))?;
    if m.cpus.len() != m.config.cpus {
        return Err(LoadError::Damaged(format!(
            "the machine has {} CPUs but its configuration says {}",
            m.cpus.len(),
            m.config.cpus
        )));
    }
    let max_vl = m.config.max_vl();
    for (i, cpu) in m.cpus.iter_mut().enumerate() {
        cpu.regs
            .fit(max_vl)
            .map_err(|e| LoadError::Damaged(format!("cpu{i}'s {e}")))?;
    }
    Ok(())
}

/// A step report as JSON.
pub fn report_to_json(r: &StepReport) -> String {
    to_json("svelab-step-report", r)
}

/// Loads a step report written by [`report_to_json`].
pub fn report_from_json(text: &str) -> Result<StepReport, LoadError> {
    from_json("svelab-step-report", text)
}

/// A trace as JSON.
pub fn trace_to_json(t: &Trace) -> String {
    to_json("svelab-trace", t)
}

/// Loads a trace written by [`trace_to_json`].
pub fn trace_from_json(text: &str) -> Result<Trace, LoadError> {
    let mut t: Trace = from_json("svelab-trace", text)?;
    check_machine(&mut t.machine)?;
    Ok(t)
}
