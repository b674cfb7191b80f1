use super::*;

const MD: &str = "# Demo\n\nSome prose.\n\n[▶ Run it](a.svl)\n\nMore prose.\n";
const SVL: &str = "task A vl=512 on=cpu0\nsve-op A z0=fill(0xaa)\nexpect A.traps == 1\n";
const EX: &str = r#"
# a comment
[[exercise]]
id = "zen"
kind = "predict"
title = "Who turns SVE off?"
kernels = ["v5.19", "v6.2"]
question = """
After `svc {{t}} getpid`, what is CPACR_EL1.ZEN_EL0EN?
"""
setup = """
task {{t}} vl={{vl}} on=cpu0
sve-op {{t}} z0=fill({{b:hex}})
svc {{t}} getpid
"""
ask = "cpu0.CPACR_EL1.ZEN_EL0EN"
answer = ["0", "1"]
wrong = ["1", "1"]
choices = ["0", "1"]
explanation = "fp_user_discard() clears it on v5.19; patch 6 keeps it."
hints = ["Look at fp_user_discard.", "Run it on both kernels."]

[exercise.vars]
t = ["A", "T"]
vl = [256, 512]
b = { min = 0x10, max = 0xfe }

[[exercise]]
id = "two-traps"
kind = "construct"
title = "Two traps"
kernel = "v5.19"
goal = "Make {{t}} take exactly {{n}} SVE traps."
starter = "task {{t}} on=cpu0\n"
check = ["{{t}}.traps == {{n}}", "no-violations"]
forbid = ["kernel-neon"]
reference = """
task {{t}} on=cpu0
repeat {{n}} { sve-op {{t}} z0=1; svc {{t}} getpid }
"""
wrong = """
task {{t}} on=cpu0
sve-op {{t}} z0=1
"""
explanation = "Each getpid disarms SVE on v5.19."
hints = ["A syscall disables SVE."]

[exercise.vars]
t = ["A", "B"]
n = { min = 2, max = 4 }
"#;

fn demo() -> Vec<(&'static str, &'static str)> {
    vec![
        ("README.md", "ignored"),
        ("01-demo/lesson.md", MD),
        ("01-demo/a.svl", SVL),
        ("01-demo/exercises.toml", EX),
    ]
}

#[test]
fn parses_a_course() {
    let c = Course::parse(&demo()).unwrap();
    let l = c.lesson("1").unwrap();
    assert_eq!(l.title, "Demo");
    assert_eq!(l.id, "demo");
    assert_eq!(l.blocks.len(), 3);
    assert_eq!(l.blocks[1], Block::Script(0));
    assert_eq!(l.scripts[0].label, "▶ Run it");
    assert_eq!(l.exercises.len(), 2);
    assert!(c.exercise("demo/two-traps").is_some());
    assert!(c.exercise("01/1").is_some());
    assert_eq!(c.lesson("01-demo").unwrap().number, 1);
}

#[test]
fn variants_are_deterministic_and_differ() {
    let c = Course::parse(&demo()).unwrap();
    let ex = &c.lessons[0].exercises[0];
    assert_eq!(ex.variant(7), ex.variant(7));
    let all: BTreeSet<_> = (0..40).map(|s| ex.variant(s).vars).collect();
    assert!(all.len() > 10, "{all:?}");
    let i = ex.variant(3);
    assert!(!i.text.contains("{{"), "{}", i.text);
    assert_eq!(i.blanks.len(), 2);
    assert_eq!(i.blanks[1].label, "cpu0.CPACR_EL1.ZEN_EL0EN on v6.2");
    assert!(i.setup.as_ref().unwrap().contains("fill(0x"));
}

#[test]
fn grades_predict_and_construct() {
    let c = Course::parse(&demo()).unwrap();
    let l = &c.lessons[0];
    let i = l.exercises[0].variant(1);
    assert!(grade(&i, &Answer::predict_from_text("0, 1")).passed);
    assert!(grade(&i, &Answer::predict_from_text("no yes")).passed);
    // The question's own path is not an answer.
    let g = grade(
        &i,
        &Answer::Predict(vec!["cpu0.CPACR_EL1.ZEN_EL0EN".into(); 2]),
    );
    assert!(!g.passed, "{g:?}");
    let g = grade(&i, &Answer::predict_from_text("1 1"));
    assert!(!g.passed);
    assert!(g.checks[0].detail.contains("the model says 0"), "{g:?}");
    assert!(g.explanation.is_some());
    let g = grade(&i, &Answer::predict_from_text("banana 1"));
    assert!(!g.passed);
    let i = l.exercises[1].variant(1);
    assert!(grade(&i, &i.reference).passed);
    let g = grade(&i, &i.wrong);
    assert!(!g.passed && g.explanation.is_none(), "{g:?}");
    let g = grade(
        &i,
        &Answer::Script("task A on=cpu0\nkernel-neon A\n".into()),
    );
    assert!(g.summary.contains("kernel-neon"), "{g:?}");
    let g = grade(
        &i,
        &Answer::Script("task A on=cpu0\nsve-op Q z0=1\n".into()),
    );
    assert!(!g.passed && !g.diagnostics.is_empty(), "{g:?}");
}

#[test]
fn the_author_check_passes_and_reports_lines() {
    let rep = author_check(&demo());
    assert!(rep.ok(), "{:#?}", rep.errors);
    assert_eq!(rep.exercises, 2);
    // A wrong author answer is reported at its line.
    let bad = EX.replace("answer = [\"0\", \"1\"]", "answer = [\"1\", \"1\"]");
    let mut files = demo();
    files[3].1 = &bad;
    let rep = author_check(&files);
    let line = EX.lines().position(|l| l.starts_with("answer")).unwrap() as u32 + 1;
    assert!(
        rep.errors
            .iter()
            .any(|e| e.line == line && e.file == "01-demo/exercises.toml"),
        "{:#?}",
        rep.errors
    );
    // A failing expect in a script, at its line.
    let mut files = demo();
    files[2].1 = "task A on=cpu0\nexpect A.traps == 5\n";
    let rep = author_check(&files);
    assert_eq!(rep.errors[0].file, "01-demo/a.svl");
    assert_eq!(rep.errors[0].line, 2);
    // A parse error inside a setup string, at the file's line.
    let bad = EX.replace("svc {{t}} getpid\n\"\"\"", "svc {{t}} getpd\n\"\"\"");
    let mut files = demo();
    files[3].1 = &bad;
    let rep = author_check(&files);
    let line = EX.lines().position(|l| l == "svc {{t}} getpid").unwrap() as u32 + 1;
    assert!(
        rep.errors.iter().any(|e| e.line == line),
        "{:#?}",
        rep.errors
    );
}

#[test]
fn format_errors_have_lines() {
    let mut files = demo();
    let bad = EX.replace(
        "hints = [\"A syscall disables SVE.\"]",
        "hint = [\"A syscall\"]",
    );
    files[3].1 = &bad;
    let e = Course::parse(&files).unwrap_err();
    assert!(
        e.iter().any(|e| e.message.contains("unknown key `hint`")),
        "{e:#?}"
    );
    let bad = EX.replace("{{t}}.traps", "{{task}}.traps");
    files[3].1 = &bad;
    let e = Course::parse(&files).unwrap_err();
    assert!(
        e.iter().any(|e| e.message.contains("no variable `task`")),
        "{e:#?}"
    );
    let mut files = demo();
    files[1].1 = "no title\n";
    assert!(Course::parse(&files).is_err());
    let mut files = demo();
    files.push(("01-demo/unused.svl", "task A\n"));
    let e = Course::parse(&files).unwrap_err();
    assert_eq!(e[0].file, "01-demo/unused.svl");
}

#[test]
fn toml_subset() {
    let t = doc::parse("a = 1\nb = 'x'\nc = [1, 2,\n  3]\n[[e]]\nk = \"\"\"\nl1\nl2\"\"\"\n[e.v]\nx = { min = -1, max = 0x10 }\n").unwrap();
    assert_eq!(t.get("a").unwrap().value, doc::Value::Int(1));
    let doc::Value::TableArray(es) = &t.get("e").unwrap().value else {
        panic!()
    };
    let k = es[0].get("k").unwrap();
    assert_eq!(k.value, doc::Value::Str("l1\nl2".into()));
    assert_eq!(k.line, 7);
    assert!(es[0].get("v").is_some());
    assert_eq!(doc::parse("a = \n").unwrap_err().line, 1);
    assert_eq!(doc::parse("\n\nx = \"abc\n").unwrap_err().line, 3);
    let dup = doc::parse("a = 1\na = 2\n").unwrap_err();
    assert_eq!((dup.line, dup.column), (2, 1), "{dup:?}");
    let e = doc::parse("[[exercise]]\nid = \"x\"\nkind = predict\n").unwrap_err();
    assert_eq!((e.line, e.column), (3, 8), "{e:?}");
    assert!(!e.hint.is_empty());
}

#[test]
fn templates() {
    let vars = vec![
        ("vl".to_string(), VarValue::Int(512)),
        ("t".to_string(), VarValue::Str("A".into())),
    ];
    assert_eq!(
        render(
            "{{vl / 128 - 1}} {{t}} {{ 546 * vl / 128 }} { x } {{vl:hex}}",
            &vars
        )
        .ok()
        .unwrap(),
        "3 A 2184 { x } 0x200"
    );
    assert!(render("{{t + 1}}", &vars).is_err());
    assert!(render("{{nope}}", &vars).is_err());
    assert!(render("{{vl", &vars).is_err());
}

#[test]
fn progress_round_trips_and_gives_students_different_numbers() {
    let c = Course::parse(&demo()).unwrap();
    let l = &c.lessons[0];
    let ex = &l.exercises[0];
    let a = Progress::new(1);
    let b = Progress::new(2);
    let distinct: BTreeSet<_> = (0..20)
        .map(|s| Progress::new(s).instance(l, ex).vars)
        .collect();
    assert!(distinct.len() > 5);
    assert_eq!(a.instance(l, ex), a.instance(l, ex));
    let _ = b;
    let mut p = Progress::new(9);
    p.open_lesson(l);
    let inst = p.instance(l, ex);
    assert_eq!(p.reveal_hint(&inst), Some(inst.hints[0].as_str()));
    assert_eq!(p.revealed_hints(&inst).len(), 1);
    let g = grade(&inst, &inst.reference);
    p.record(&inst, &inst.reference, &g);
    assert!(p.passed(&l.id, &ex.id));
    assert_eq!(p.status(&c)[0].passed, 1);
    let back = Progress::from_json(&p.to_json()).unwrap();
    assert_eq!(back, p);
    assert!(matches!(
        Progress::from_json("{}"),
        Err(LoadError::WrongKind { .. })
    ));
    // The envelope as every earlier version wrote it (keys sorted): files keep loading.
    let text = p.to_json();
    assert!(text.starts_with("{\n  \"data\": {"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("\"format\": \"svelab-progress\",\n  \"version\": 1\n}"),
        "{text}"
    );
    assert!(matches!(
        Progress::from_json(&text.replace("\"version\": 1", "\"version\": 7")),
        Err(LoadError::Version { found: 7, .. })
    ));
    assert!(matches!(
        Progress::from_json("{\"format\":\"svelab-progress\",\"version\":1}"),
        Err(LoadError::Damaged(_))
    ));
    assert!(matches!(
        Progress::from_json("not json"),
        Err(LoadError::Damaged(_))
    ));
    let before = p.instance(l, ex).seed;
    p.new_variant(&l.id, &ex.id);
    assert_ne!(p.instance(l, ex).seed, before);
}

#[test]
fn the_builtin_course_parses() {
    if BUILTIN_FILES.is_empty() {
        return;
    }
    let c = builtin_course();
    assert!(!c.lessons.is_empty());
}

/// Every code span and every word with an underscore in `src`, as written.
fn marked_words(src: &str) -> (Vec<String>, Vec<String>) {
    let mut spans = Vec::new();
    let mut in_fence = false;
    let mut words = Vec::new();
    for line in src.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let parts: Vec<&str> = line.split('`').collect();
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && i + 1 < parts.len() {
                spans.push(p.trim().to_string());
            } else {
                for w in p.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    if w.contains('_') && w.trim_matches('_').contains('_') {
                        words.push(w.to_string());
                    }
                }
            }
        }
    }
    (spans, words)
}

fn code_spans(blocks: &[MdBlock], out: &mut Vec<String>, text: &mut Vec<String>) {
    fn inl(v: &[MdInline], out: &mut Vec<String>, text: &mut Vec<String>) {
        for i in v {
            match i {
                MdInline::Code(c) => out.push(c.trim().to_string()),
                MdInline::Text(t) => text.push(t.clone()),
                MdInline::Strong(k)
                | MdInline::Em(k)
                | MdInline::Strike(k)
                | MdInline::Link(_, k) => inl(k, out, text),
                MdInline::Break => {}
            }
        }
    }
    for b in blocks {
        match b {
            MdBlock::Heading(_, v) | MdBlock::Para(v) => inl(v, out, text),
            MdBlock::List(_, items) => items.iter().for_each(|i| code_spans(i, out, text)),
            MdBlock::Quote(q) => code_spans(q, out, text),
            MdBlock::Table(h, rows) => {
                h.iter().for_each(|c| inl(c, out, text));
                rows.iter().flatten().for_each(|c| inl(c, out, text));
            }
            MdBlock::Code(..) | MdBlock::Rule => {}
        }
    }
}

/// The lesson Markdown the front ends show keeps every code span and every name with
/// underscores (`ZCR_EL1`, `NT_ARM_SVE`) intact, and leaves no stray backtick, in every
/// lesson and every exercise text of the built-in course.
#[test]
fn rendered_markdown_of_every_lesson_keeps_code_and_underscores() {
    let course = builtin_course();
    let mut texts: Vec<(String, String)> = Vec::new();
    for l in &course.lessons {
        for b in &l.blocks {
            if let Block::Prose(p) = b {
                texts.push((l.dir.clone(), p.clone()));
            }
        }
        for e in &l.exercises {
            let inst = e.variant(7);
            texts.push((inst.key.clone(), inst.text.clone()));
            texts.push((inst.key.clone(), inst.explanation.clone()));
            for h in &inst.hints {
                texts.push((inst.key.clone(), h.clone()));
            }
        }
    }
    let mut checked = (0, 0);
    for (where_, src) in &texts {
        let blocks = render_markdown(src);
        let plain = plain_blocks(&blocks);
        let (mut codes, mut text) = (Vec::new(), Vec::new());
        code_spans(&blocks, &mut codes, &mut text);
        let (spans, words) = marked_words(src);
        for s in &spans {
            assert!(
                codes.contains(s),
                "{where_}: code span `{s}` lost; got {codes:?}"
            );
            checked.0 += 1;
        }
        for w in &words {
            assert!(
                plain.contains(w.as_str()),
                "{where_}: `{w}` lost in {plain:?}"
            );
            checked.1 += 1;
        }
        for t in &text {
            assert!(!t.contains('`'), "{where_}: stray backtick in {t:?}");
        }
    }
    assert!(checked.0 > 100 && checked.1 > 50, "{checked:?}");
}

#[test]
fn markdown_renders_commonmark() {
    let b = render_markdown(
        "# T\n\nSet `ZCR_EL1.LEN` and NT_ARM_SVE, **bold _x_**, [a](b.svl)\n\n1. one\n2. two\n\n```svl\ntask A\n```\n",
    );
    assert_eq!(b[0], MdBlock::Heading(1, vec![MdInline::Text("T".into())]));
    assert_eq!(
        b[1],
        MdBlock::Para(vec![
            MdInline::Text("Set ".into()),
            MdInline::Code("ZCR_EL1.LEN".into()),
            MdInline::Text(" and NT_ARM_SVE, ".into()),
            MdInline::Strong(vec![
                MdInline::Text("bold ".into()),
                MdInline::Em(vec![MdInline::Text("x".into())])
            ]),
            MdInline::Text(", ".into()),
            MdInline::Link("b.svl".into(), vec![MdInline::Text("a".into())]),
        ])
    );
    assert!(matches!(&b[2], MdBlock::List(Some(1), items) if items.len() == 2));
    assert_eq!(b[3], MdBlock::Code("svl".into(), "task A\n".into()));
    for s in [
        "",
        "**",
        "[",
        "[a](",
        "```",
        "*",
        "# ",
        "1.",
        "|a|\n|-|\n|b|",
        "> x\n> - y",
    ] {
        let _ = plain_blocks(&render_markdown(s));
    }
}

/// Damaged lesson files (cut anywhere, bytes dropped) give errors, never a panic.
#[test]
fn damaged_lesson_files_never_panic() {
    for (path, text) in BUILTIN_FILES {
        if !(path.ends_with(".toml") || path.ends_with(".md")) {
            continue;
        }
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = (0..bytes.len()).step_by(53).collect();
        cuts.push(bytes.len().saturating_sub(1));
        for cut in cuts {
            let Ok(part) = std::str::from_utf8(&bytes[..cut]) else {
                continue;
            };
            let mut files: Vec<(String, String)> = BUILTIN_FILES
                .iter()
                .filter(|(p, _)| p.starts_with(&path[..3]))
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect();
            for f in &mut files {
                if f.0 == *path {
                    f.1 = part.to_string();
                }
            }
            if let Err(errs) = Course::parse(&files) {
                for e in errs {
                    assert!(!e.message.is_empty(), "{path} cut at {cut}: {e:?}");
                }
            }
            let _ = render_markdown(part);
        }
    }
}

/// Every error that points at a line also points at a column, and says it.
#[test]
fn format_errors_have_columns() {
    let mut files = demo();
    let bad = EX.replace("kind = \"construct\"", "kind = \"constrict\"");
    files[3].1 = &bad;
    let e = Course::parse(&files).unwrap_err();
    let k = e
        .iter()
        .find(|e| e.message.contains("`kind` is"))
        .unwrap_or_else(|| panic!("{e:#?}"));
    let line = bad.lines().nth(k.line as usize - 1).unwrap();
    assert!(line.starts_with("kind"), "{k:?} {line}");
    assert_eq!(k.column, 1, "{k:?}");
    assert!(
        k.to_string()
            .starts_with(&format!("01-demo/exercises.toml:{}:1: ", k.line)),
        "{k}"
    );
    let bad = EX.replace("{{t}}.traps", "{{task}}.traps");
    files[3].1 = &bad;
    let e = Course::parse(&files).unwrap_err();
    assert!(e.iter().all(|e| e.line == 0 || e.column > 0), "{e:#?}");
}
