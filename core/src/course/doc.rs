//! An exercise file as a tree of values that know where they are.
//!
//! The `toml` crate parses the file (the whole of TOML 1.0, with its own errors); this
//! module turns its spanned tree into [`Table`]s whose entries keep file order and carry the
//! line and column where each value's content starts, so every problem the course reader
//! finds later (an unknown key, a bad check, a template naming no variable) points at the
//! right place, and a line inside a multi-line script maps to the right line of the file.

use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    /// Floats, dates: valid TOML that no exercise key takes (the text, for messages).
    Other(&'static str),
    Bool(bool),
    Array(Vec<Item>),
    Table(Table),
    TableArray(Vec<Table>),
}

/// A value and where its content starts (1-based line and column).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub value: Value,
    pub line: u32,
    pub column: u32,
}

/// A table, keys in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub entries: Vec<(String, Item)>,
    pub line: u32,
    pub column: u32,
}

impl Table {
    pub fn get(&self, k: &str) -> Option<&Item> {
        self.entries.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }
}

/// A parse error.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub hint: String,
}

/// Byte offsets to line and column.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// 1-based line and column (in characters) of byte `at`.
    fn at(&self, at: usize) -> (u32, u32) {
        let at = at.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= at).max(1);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..at)
            .map_or(at - start, |s| s.chars().count());
        (line as u32, col as u32 + 1)
    }

    /// Where the content of the value at `span` starts: a multi-line string's content starts
    /// on the line after its opening quotes when a newline follows them (TOML trims it).
    fn content(&self, span: &Range<usize>) -> (u32, u32) {
        let raw = self.text.get(span.clone()).unwrap_or("");
        for q in ["\"\"\"", "'''"] {
            if let Some(rest) = raw.strip_prefix(q) {
                if rest.starts_with('\n') || rest.starts_with("\r\n") {
                    let nl = span.start + q.len() + rest.find('\n').unwrap_or(0) + 1;
                    return self.at(nl);
                }
            }
        }
        self.at(span.start)
    }
}

/// The hint for a message from the TOML parser.
fn hint_for(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("duplicate") {
        "each key appears once per table (and each [table] header once per exercise)"
    } else if m.contains("unterminated") || m.contains("unclosed") || m.contains("missing") {
        "close every string, array and inline table: \"…\", \"\"\"…\"\"\", […], {…}"
    } else if m.contains("invalid") && m.contains("key") {
        "a line is `key = value`; keys are letters, digits, `-` and `_`"
    } else {
        "the file is TOML: `[[exercise]]` headers, then `key = value` lines (see lessons/README.md)"
    }
}

/// Parses a document.
pub fn parse(text: &str) -> Result<Table, Error> {
    let lines = Lines::new(text);
    let doc = DeTable::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| lines.at(s.start));
        let message = e.message().trim().trim_end_matches('.').to_string();
        Error {
            line,
            column,
            hint: hint_for(&message).to_string(),
            message,
        }
    })?;
    let span = doc.span();
    Ok(table(&lines, doc.get_ref(), &span))
}

fn table(lines: &Lines, t: &DeTable, span: &Range<usize>) -> Table {
    let mut entries: Vec<(usize, String, Item)> = t
        .iter()
        .map(|(k, v)| (k.span().start, k.get_ref().to_string(), item(lines, v)))
        .collect();
    entries.sort_by_key(|e| e.0);
    let (line, column) = lines.at(span.start);
    Table {
        entries: entries.into_iter().map(|(_, k, v)| (k, v)).collect(),
        line,
        column,
    }
}

fn item(lines: &Lines, v: &Spanned<DeValue>) -> Item {
    let span = v.span();
    let (line, column) = lines.content(&span);
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Other("an integer too large"),
        },
        DeValue::Float(_) => Value::Other("a float"),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(_) => Value::Other("a date"),
        DeValue::Array(xs) => {
            // `[[name]]` headers and an inline array of tables mean the same in TOML.
            let all_tables =
                !xs.is_empty() && xs.iter().all(|x| matches!(x.get_ref(), DeValue::Table(_)));
            if all_tables {
                Value::TableArray(
                    xs.iter()
                        .filter_map(|x| match x.get_ref() {
                            DeValue::Table(t) => Some(table(lines, t, &x.span())),
                            _ => None,
                        })
                        .collect(),
                )
            } else {
                Value::Array(xs.iter().map(|x| item(lines, x)).collect())
            }
        }
        DeValue::Table(t) => Value::Table(table(lines, t, &span)),
    };
    Item {
        value,
        line,
        column,
    }
}
