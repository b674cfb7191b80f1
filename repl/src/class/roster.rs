//! The class roster: CSV with a header line naming an `id` column (and optionally `name`).

use std::path::Path;

/// A student.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Student {
    /// Their id (as the sheet and the submission write it).
    pub id: String,
    /// Their name (may be empty).
    pub name: String,
}

/// Splits one CSV line (double quotes, `""` inside them).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_string()),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Reads a roster from CSV text; `source` names it in messages (`roster.csv:4: …`).
pub fn parse_roster(text: &str, source: &str) -> Result<Vec<Student>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((hn, header)) = lines.next() else {
        return Err(format!("{source}: the roster is empty"));
    };
    let head: Vec<String> = fields(header.trim_start_matches('\u{feff}'))
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let Some(id_col) = head
        .iter()
        .position(|h| matches!(h.as_str(), "id" | "student" | "student_id"))
    else {
        return Err(format!(
            "{source}:{}: no `id` column in the header `{header}`",
            hn + 1
        ));
    };
    let name_col = head.iter().position(|h| h == "name");
    let mut out: Vec<Student> = Vec::new();
    for (n, line) in lines {
        let f = fields(line);
        let id = f.get(id_col).cloned().unwrap_or_default();
        if id.is_empty() {
            return Err(format!("{source}:{}: no id on this line", n + 1));
        }
        if !id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
            || id.starts_with('.')
        {
            return Err(format!(
                "{source}:{}: id `{id}` has characters a file name cannot hold (letters, digits, - _ . @)",
                n + 1
            ));
        }
        if out.iter().any(|s| s.id == id) {
            return Err(format!("{source}:{}: `{id}` is on the roster twice", n + 1));
        }
        out.push(Student {
            id,
            name: name_col.and_then(|c| f.get(c).cloned()).unwrap_or_default(),
        });
    }
    if out.is_empty() {
        return Err(format!("{source}: the roster has a header but no students"));
    }
    Ok(out)
}

/// Reads a roster file.
pub fn read_roster(path: &Path) -> Result<Vec<Student>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the roster {}: {e}", path.display()))?;
    parse_roster(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosters() {
        let r = parse_roster("id,name\ns1,\"Doe, Jane\"\n\ns2,Bob\n", "r.csv").unwrap();
        assert_eq!(r[0].name, "Doe, Jane");
        assert_eq!(r[1].id, "s2");
        assert!(parse_roster("", "r.csv").unwrap_err().contains("empty"));
        assert!(parse_roster("name\nx\n", "r.csv")
            .unwrap_err()
            .contains("r.csv:1"));
        assert!(parse_roster("id\ns1\ns1\n", "r.csv")
            .unwrap_err()
            .contains("r.csv:3"));
        assert!(parse_roster("id\n../x\n", "r.csv")
            .unwrap_err()
            .contains("file name"));
    }
}
