//! `lesson.md`: reading it into blocks (the title, prose, runnable scripts, quoted
//! snippets), and rendering Markdown for the front ends, both with a real CommonMark parser
//! (`pulldown-cmark`), so `ZCR_EL1`, `NT_ARM_SVE` and `` `code` `` come out as written.
//!
//! [`render_markdown`] turns Markdown into data ([`MdBlock`], [`MdInline`]): the playground
//! builds DOM nodes from it (never HTML text), the REPL styles it for a terminal, and the
//! tests compare its text with the source.

use super::*;
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// A block of rendered Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MdBlock {
    /// `#`…`######`: level and text.
    Heading(u8, Vec<MdInline>),
    /// A paragraph.
    Para(Vec<MdInline>),
    /// A list: the first number when numbered, and the items (each a list of blocks).
    List(Option<u64>, Vec<Vec<MdBlock>>),
    /// A code block: its language (may be empty) and text.
    Code(String, String),
    /// `> …`.
    Quote(Vec<MdBlock>),
    /// A table: the header row, then the rows; each cell is inline text.
    Table(Vec<Vec<MdInline>>, Vec<Vec<Vec<MdInline>>>),
    /// `---`.
    Rule,
}

/// Inline Markdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MdInline {
    /// Plain text, exactly as it reads.
    Text(String),
    /// `code`.
    Code(String),
    /// **strong**.
    Strong(Vec<MdInline>),
    /// *emphasis*.
    Em(Vec<MdInline>),
    /// ~~struck~~.
    Strike(Vec<MdInline>),
    /// [text](target).
    Link(String, Vec<MdInline>),
    /// A hard line break.
    Break,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// What a block is being built from.
enum Frame {
    Blocks(Vec<MdBlock>),
    Inlines(Vec<MdInline>),
    Link(String, Vec<MdInline>),
    Items(Option<u64>, Vec<Vec<MdBlock>>),
    Rows(Vec<Vec<MdInline>>),
    Table(Vec<Vec<MdInline>>, Vec<Vec<Vec<MdInline>>>),
    Code(String, String),
}

/// Renders Markdown (CommonMark, with tables and strikethrough) into blocks. Raw HTML is
/// shown as text; images as their description.
pub fn render_markdown(text: &str) -> Vec<MdBlock> {
    let mut stack: Vec<Frame> = vec![Frame::Blocks(Vec::new())];
    let push_block = |stack: &mut Vec<Frame>, b: MdBlock| {
        if let Some(Frame::Blocks(v)) = stack.last_mut() {
            v.push(b);
        } else if let Some(Frame::Inlines(v)) = stack.last_mut() {
            // A block inside inline content cannot happen in CommonMark; keep its text.
            v.push(MdInline::Text(plain_blocks(&[b])));
        }
    };
    let push_inline = |stack: &mut Vec<Frame>, i: MdInline| match stack.last_mut() {
        Some(Frame::Inlines(v) | Frame::Link(_, v)) => {
            if let (MdInline::Text(t), Some(MdInline::Text(prev))) = (&i, v.last_mut()) {
                prev.push_str(t);
            } else {
                v.push(i);
            }
        }
        Some(Frame::Code(_, body)) => {
            if let MdInline::Text(t) = i {
                body.push_str(&t);
            }
        }
        // Tight list items hold their text without a paragraph.
        Some(Frame::Blocks(v)) => match (v.last_mut(), i) {
            (Some(MdBlock::Para(p)), MdInline::Text(t))
                if matches!(p.last(), Some(MdInline::Text(_))) =>
            {
                if let Some(MdInline::Text(prev)) = p.last_mut() {
                    prev.push_str(&t);
                }
            }
            (Some(MdBlock::Para(p)), i) => p.push(i),
            (_, i) => v.push(MdBlock::Para(vec![i])),
        },
        _ => {}
    };
    for ev in Parser::new_ext(text, options()) {
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Image { .. }
                | Tag::TableCell => stack.push(Frame::Inlines(Vec::new())),
                Tag::BlockQuote(_) | Tag::Item | Tag::FootnoteDefinition(_) => {
                    stack.push(Frame::Blocks(Vec::new()))
                }
                Tag::Link { dest_url, .. } => {
                    stack.push(Frame::Link(dest_url.to_string(), Vec::new()))
                }
                Tag::List(start) => stack.push(Frame::Items(start, Vec::new())),
                Tag::CodeBlock(kind) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => {
                            info.split_whitespace().next().unwrap_or("").to_string()
                        }
                        CodeBlockKind::Indented => String::new(),
                    };
                    stack.push(Frame::Code(lang, String::new()));
                }
                Tag::Table(_) => stack.push(Frame::Table(Vec::new(), Vec::new())),
                Tag::TableHead | Tag::TableRow => stack.push(Frame::Rows(Vec::new())),
                _ => stack.push(Frame::Blocks(Vec::new())),
            },
            Event::End(end) => {
                let Some(frame) = stack.pop() else { continue };
                match (end, frame) {
                    (TagEnd::Paragraph, Frame::Inlines(v)) => {
                        push_block(&mut stack, MdBlock::Para(v))
                    }
                    (TagEnd::Heading(level), Frame::Inlines(v)) => {
                        let n = match level {
                            HeadingLevel::H1 => 1,
                            HeadingLevel::H2 => 2,
                            HeadingLevel::H3 => 3,
                            HeadingLevel::H4 => 4,
                            HeadingLevel::H5 => 5,
                            HeadingLevel::H6 => 6,
                        };
                        push_block(&mut stack, MdBlock::Heading(n, v));
                    }
                    (TagEnd::Emphasis, Frame::Inlines(v)) => {
                        push_inline(&mut stack, MdInline::Em(v))
                    }
                    (TagEnd::Strong, Frame::Inlines(v)) => {
                        push_inline(&mut stack, MdInline::Strong(v))
                    }
                    (TagEnd::Strikethrough, Frame::Inlines(v)) => {
                        push_inline(&mut stack, MdInline::Strike(v))
                    }
                    (TagEnd::Link, Frame::Link(target, v)) => {
                        push_inline(&mut stack, MdInline::Link(target, v))
                    }
                    (TagEnd::Image, Frame::Inlines(v)) => {
                        push_inline(&mut stack, MdInline::Text(plain_inlines(&v)))
                    }
                    (TagEnd::TableCell, Frame::Inlines(v)) => {
                        if let Some(Frame::Rows(r)) = stack.last_mut() {
                            r.push(v);
                        }
                    }
                    (TagEnd::TableHead, Frame::Rows(r)) => {
                        if let Some(Frame::Table(h, _)) = stack.last_mut() {
                            *h = r;
                        }
                    }
                    (TagEnd::TableRow, Frame::Rows(r)) => {
                        if let Some(Frame::Table(_, rows)) = stack.last_mut() {
                            rows.push(r);
                        }
                    }
                    (TagEnd::Table, Frame::Table(h, rows)) => {
                        push_block(&mut stack, MdBlock::Table(h, rows))
                    }
                    (TagEnd::BlockQuote(_), Frame::Blocks(v)) => {
                        push_block(&mut stack, MdBlock::Quote(v))
                    }
                    (TagEnd::Item, Frame::Blocks(v)) => {
                        if let Some(Frame::Items(_, items)) = stack.last_mut() {
                            items.push(v);
                        }
                    }
                    (TagEnd::List(_), Frame::Items(start, items)) => {
                        push_block(&mut stack, MdBlock::List(start, items))
                    }
                    (TagEnd::CodeBlock, Frame::Code(lang, body)) => {
                        push_block(&mut stack, MdBlock::Code(lang, body))
                    }
                    (_, Frame::Blocks(v)) => {
                        for b in v {
                            push_block(&mut stack, b);
                        }
                    }
                    (_, Frame::Inlines(v) | Frame::Link(_, v)) => {
                        for i in v {
                            push_inline(&mut stack, i);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => push_inline(&mut stack, MdInline::Text(t.to_string())),
            Event::Code(t) => push_inline(&mut stack, MdInline::Code(t.to_string())),
            Event::Html(t) | Event::InlineHtml(t) => {
                push_inline(&mut stack, MdInline::Text(t.to_string()))
            }
            Event::SoftBreak => push_inline(&mut stack, MdInline::Text(" ".into())),
            Event::HardBreak => push_inline(&mut stack, MdInline::Break),
            Event::Rule => push_block(&mut stack, MdBlock::Rule),
            _ => {}
        }
    }
    match stack.into_iter().next() {
        Some(Frame::Blocks(v)) => v,
        _ => Vec::new(),
    }
}

/// The text of inline Markdown as a reader sees it (code without its backticks).
pub fn plain_inlines(v: &[MdInline]) -> String {
    let mut s = String::new();
    for i in v {
        match i {
            MdInline::Text(t) | MdInline::Code(t) => s.push_str(t),
            MdInline::Strong(k) | MdInline::Em(k) | MdInline::Strike(k) | MdInline::Link(_, k) => {
                s.push_str(&plain_inlines(k))
            }
            MdInline::Break => s.push('\n'),
        }
    }
    s
}

/// The text of rendered blocks, one block a line.
pub fn plain_blocks(v: &[MdBlock]) -> String {
    let mut out = Vec::new();
    for b in v {
        match b {
            MdBlock::Heading(_, i) | MdBlock::Para(i) => out.push(plain_inlines(i)),
            MdBlock::List(_, items) => {
                for it in items {
                    out.push(plain_blocks(it));
                }
            }
            MdBlock::Code(_, c) => out.push(c.trim_end().to_string()),
            MdBlock::Quote(q) => out.push(plain_blocks(q)),
            MdBlock::Table(h, rows) => {
                out.push(
                    h.iter()
                        .map(|c| plain_inlines(c))
                        .collect::<Vec<_>>()
                        .join(" | "),
                );
                for r in rows {
                    out.push(
                        r.iter()
                            .map(|c| plain_inlines(c))
                            .collect::<Vec<_>>()
                            .join(" | "),
                    );
                }
            }
            MdBlock::Rule => out.push("---".into()),
        }
    }
    out.join("\n")
}

// =======================================================================================
// Reading lesson.md

/// Byte offset to 1-based line.
fn line_of(text: &str, at: usize) -> u32 {
    text.get(..at.min(text.len()))
        .map_or(1, |s| s.matches('\n').count() as u32 + 1)
}

/// A top-level paragraph that is only a link to a `.svl` file: `(label, target)`.
fn script_link(events: &[Event]) -> Option<(String, String)> {
    let [Event::Start(Tag::Paragraph), Event::Start(Tag::Link { dest_url, .. }), inner @ .., Event::End(TagEnd::Link), Event::End(TagEnd::Paragraph)] =
        events
    else {
        return None;
    };
    if !dest_url.ends_with(".svl") {
        return None;
    }
    let mut label = String::new();
    for e in inner {
        match e {
            Event::Text(t) | Event::Code(t) => label.push_str(t),
            Event::Start(_) | Event::End(_) => {}
            _ => return None,
        }
    }
    Some((label.trim().to_string(), dest_url.trim().to_string()))
}

/// The top-level blocks of a Markdown text: each one's events and source range.
fn top_level(md: &str) -> Vec<(Vec<Event<'_>>, Range<usize>)> {
    let mut out: Vec<(Vec<Event>, Range<usize>)> = Vec::new();
    let mut depth = 0usize;
    let mut cur: Vec<Event> = Vec::new();
    let mut start = 0;
    for (ev, range) in Parser::new_ext(md, options()).into_offset_iter() {
        match &ev {
            Event::Start(_) => {
                if depth == 0 {
                    start = range.start;
                }
                depth += 1;
                cur.push(ev);
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                cur.push(ev);
                if depth == 0 {
                    out.push((std::mem::take(&mut cur), start..range.end));
                }
            }
            _ if depth == 0 => out.push((vec![ev], range)),
            _ => cur.push(ev),
        }
    }
    out
}

pub(super) fn parse_markdown(
    md: &str,
    path: &str,
    scripts: &BTreeMap<String, String>,
    lesson: &mut Lesson,
    errors: &mut Vec<LessonError>,
) {
    let blocks = top_level(md);
    let Some((first, title_range)) = blocks.first() else {
        errors.push(LessonError::new(
            path,
            1,
            "lesson.md is empty",
            "start it with `# The title`",
        ));
        return;
    };
    if let Some(Event::Start(Tag::Heading {
        level: HeadingLevel::H1,
        ..
    })) = first.first()
    {
        let mut title = String::new();
        for e in first {
            if let Event::Text(t) | Event::Code(t) = e {
                title.push_str(t);
            }
        }
        lesson.title = title.trim().to_string();
    }
    if lesson.title.is_empty() {
        errors.push(LessonError::new(
            path,
            line_of(md, title_range.start),
            "a lesson starts with its title",
            "make the first line `# The title`",
        ));
        return;
    }
    let mut prose_from = title_range.end;
    let flush = |upto: usize, from: &mut usize, lesson: &mut Lesson| {
        let p = md.get(*from..upto).unwrap_or("").trim_matches('\n');
        if !p.trim().is_empty() {
            lesson.blocks.push(Block::Prose(p.to_string()));
            lesson.prose_md.push(render_markdown(p));
        }
        *from = upto;
    };
    for (events, range) in &blocks[1..] {
        let n = line_of(md, range.start);
        if let Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))) = events.first() {
            let raw = md.get(range.clone()).unwrap_or("").trim_end();
            let fence: String = raw.trim_start().chars().take(3).collect();
            let closed = raw.lines().count() > 1
                && raw
                    .lines()
                    .last()
                    .is_some_and(|l| l.trim_start().starts_with(&fence));
            if !closed {
                errors.push(LessonError::new(
                    path,
                    n,
                    "this code block is never closed",
                    format!("end it with a line {fence}"),
                ));
            }
            if info.split_whitespace().next() == Some("svl") {
                let text: String = events
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                lesson.snippets.push((n + 1, text));
            }
            continue;
        }
        let Some((label, target)) = script_link(events) else {
            continue;
        };
        if target.contains('/') {
            errors.push(LessonError::new(
                path,
                n,
                format!("script `{target}` is outside the lesson's directory"),
                "link to a .svl file next to lesson.md: `[▶ Run it](name.svl)`",
            ));
            continue;
        }
        let Some(source) = scripts.get(&target) else {
            errors.push(LessonError::new(
                path,
                n,
                format!("no script `{target}` in {}", lesson.dir),
                format!(
                    "scripts here: {}",
                    if scripts.is_empty() {
                        "none".to_string()
                    } else {
                        scripts.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ),
            ));
            continue;
        };
        flush(range.start, &mut prose_from, lesson);
        prose_from = range.end;
        let idx = match lesson.scripts.iter().position(|s| s.name == target) {
            Some(i) => i,
            None => {
                lesson.scripts.push(Script {
                    name: target.clone(),
                    path: format!("{}/{target}", lesson.dir),
                    label,
                    source: source.clone(),
                });
                lesson.scripts.len() - 1
            }
        };
        lesson.blocks.push(Block::Script(idx));
    }
    flush(md.len(), &mut prose_from, lesson);
}
