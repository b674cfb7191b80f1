//! The Markdown of lessons and exercises, the small subset they use: headings, paragraphs,
//! bullet and numbered lists, fenced code, quotes, and inline `code`, **bold**, *emphasis*
//! and [links](…). Parsed into data (the page builds DOM nodes from it, never HTML text).

/// A block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `#`…`######`.
    Heading(u8, Vec<Inline>),
    /// A paragraph.
    Para(Vec<Inline>),
    /// A list; `true` when numbered.
    List(bool, Vec<Vec<Inline>>),
    /// Fenced code: language and text.
    Code(String, String),
    /// `> …`.
    Quote(Vec<Inline>),
}

/// Inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// `code`.
    Code(String),
    /// **bold**.
    Strong(String),
    /// *emphasis*.
    Em(String),
    /// [text](target).
    Link(String, String),
}

fn list_item(l: &str) -> Option<(bool, &str)> {
    let t = l.trim_start();
    if let Some(r) = t.strip_prefix("* ").or_else(|| t.strip_prefix("- ")) {
        return Some((false, r));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        if let Some(r) = t[digits..].strip_prefix(". ") {
            return Some((true, r));
        }
    }
    None
}

/// Parses `text`.
pub fn parse(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Block>| {
        if !para.is_empty() {
            out.push(Block::Para(inline(&para.join(" "))));
            para.clear();
        }
    };
    while let Some(line) = lines.next() {
        let t = line.trim();
        if let Some(lang) = t.strip_prefix("```") {
            flush(&mut para, &mut out);
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push(l);
            }
            out.push(Block::Code(lang.trim().to_string(), code.join("\n")));
        } else if t.is_empty() {
            flush(&mut para, &mut out);
        } else if t.starts_with('#') && t.trim_start_matches('#').starts_with(' ') {
            flush(&mut para, &mut out);
            let level = t.bytes().take_while(|&b| b == b'#').count().min(6) as u8;
            out.push(Block::Heading(level, inline(t[level as usize..].trim())));
        } else if let Some(q) = t.strip_prefix('>') {
            flush(&mut para, &mut out);
            out.push(Block::Quote(inline(q.trim())));
        } else if let Some((numbered, first)) = list_item(line) {
            flush(&mut para, &mut out);
            let mut items = vec![first.to_string()];
            while let Some(next) = lines.peek() {
                if next.trim().is_empty() {
                    break;
                }
                if let Some((_, item)) = list_item(next) {
                    items.push(item.to_string());
                } else if next.starts_with(' ') {
                    // A continuation line of the item.
                    let last = items.last_mut().expect("an item");
                    last.push(' ');
                    last.push_str(next.trim());
                } else {
                    break;
                }
                lines.next();
            }
            out.push(Block::List(
                numbered,
                items.iter().map(|i| inline(i)).collect(),
            ));
        } else {
            para.push(t);
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Parses inline markup.
pub fn inline(s: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    let push_text = |text: &mut String, out: &mut Vec<Inline>| {
        if !text.is_empty() {
            out.push(Inline::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let taken = match c {
            '`' => rest[1..]
                .find('`')
                .map(|e| (Inline::Code(rest[1..1 + e].to_string()), 2 + e)),
            '*' if rest.starts_with("**") => rest[2..]
                .find("**")
                .map(|e| (Inline::Strong(rest[2..2 + e].to_string()), 4 + e)),
            '*' | '_' => rest[1..]
                .find(c)
                .filter(|&e| e > 0 && !rest[1..].starts_with(' '))
                .map(|e| (Inline::Em(rest[1..1 + e].to_string()), 2 + e)),
            '[' => rest.find("](").and_then(|m| {
                let close = rest[m + 2..].find(')')?;
                Some((
                    Inline::Link(
                        rest[1..m].to_string(),
                        rest[m + 2..m + 2 + close].to_string(),
                    ),
                    m + 3 + close,
                ))
            }),
            _ => None,
        };
        match taken {
            Some((node, len)) => {
                push_text(&mut text, &mut out);
                out.push(node);
                rest = &rest[len..];
            }
            None => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    push_text(&mut text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_a_lesson() {
        let md = "# Title\n\nSome `code` and **bold**\ntext.\n\n1. one\n   more\n2. two\n\n* a\n* b\n\n```svl\ntask A\n```\n> quoted";
        let b = parse(md);
        assert_eq!(b[0], Block::Heading(1, vec![Inline::Text("Title".into())]));
        assert_eq!(
            b[1],
            Block::Para(vec![
                Inline::Text("Some ".into()),
                Inline::Code("code".into()),
                Inline::Text(" and ".into()),
                Inline::Strong("bold".into()),
                Inline::Text(" text.".into()),
            ])
        );
        assert_eq!(
            b[2],
            Block::List(
                true,
                vec![
                    vec![Inline::Text("one more".into())],
                    vec![Inline::Text("two".into())]
                ]
            )
        );
        assert!(matches!(&b[3], Block::List(false, items) if items.len() == 2));
        assert_eq!(b[4], Block::Code("svl".into(), "task A".into()));
        assert_eq!(b[5], Block::Quote(vec![Inline::Text("quoted".into())]));
    }

    #[test]
    fn inline_markup_and_odd_input() {
        assert_eq!(
            inline("a [link](x.svl) *em* `x"),
            vec![
                Inline::Text("a ".into()),
                Inline::Link("link".into(), "x.svl".into()),
                Inline::Text(" ".into()),
                Inline::Em("em".into()),
                Inline::Text(" `x".into()),
            ]
        );
        assert_eq!(
            inline("3 * 4 = 12"),
            vec![Inline::Text("3 * 4 = 12".into())]
        );
        assert_eq!(inline("é `ü`").len(), 2);
        for s in ["", "**", "[", "[a](", "```", "*", "# ", "1."] {
            let _ = parse(s);
            let _ = inline(s);
        }
    }

    #[test]
    fn every_lesson_of_the_course_parses() {
        let course = svelab_core::lesson::builtin_course();
        for l in &course.lessons {
            for b in &l.blocks {
                if let svelab_core::lesson::Block::Prose(p) = b {
                    assert!(!parse(p).is_empty() || p.trim().is_empty(), "{}", l.id);
                }
            }
        }
    }
}
