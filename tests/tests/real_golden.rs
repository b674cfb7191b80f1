//! Golden translations: for every corpus scenario and both mapped kernels, the real program
//! (the steps the runner carries out) and the model's prediction of each observation must
//! equal `tests/real/golden/NAME.txt`. `UPDATE_GOLDEN=1` regenerates them; read the diff.

use std::fmt::Write as _;
use std::path::PathBuf;
use svelab_core::model::kernel::Kernel;
use svelab_core::real::translate;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("real")
}

fn golden_text(name: &str, src: &str) -> String {
    let mut out = String::new();
    for k in [Kernel::V6_1, Kernel::V6_12] {
        let t = translate(name, src, k).unwrap_or_else(|d| panic!("{name} on {k}: {d:?}"));
        let _ = writeln!(out, "## {k}");
        out.push_str(&fold(&t.program.to_string()));
        for o in &t.observations {
            let _ = writeln!(
                out,
                "# OBS {} line {}: {} => {}",
                o.id, o.line, o.text, o.predicted
            );
        }
    }
    out
}

/// Folds a block of 1–4 lines repeated back to back into one copy and a count, so that a
/// `repeat 1000 { … }` reads as what it is.
fn fold(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let mut best = (1, 1); // (period, copies)
        for period in 1..=4 {
            let block = &lines[i..(i + period).min(lines.len())];
            if block.len() < period {
                break;
            }
            let mut copies = 1;
            while lines.len() >= i + (copies + 1) * period
                && &lines[i + copies * period..i + (copies + 1) * period] == block
            {
                copies += 1;
            }
            if copies > 1 && copies * period > best.0 * best.1 {
                best = (period, copies);
            }
        }
        for l in &lines[i..i + best.0] {
            let _ = writeln!(out, "{l}");
        }
        if best.1 > 1 {
            let _ = writeln!(
                out,
                "# ... the {} line(s) above {} times in all",
                best.0, best.1
            );
        }
        i += best.0 * best.1;
    }
    out
}

#[test]
fn folding_keeps_single_lines_and_counts_repeated_blocks() {
    assert_eq!(
        fold("a\nb\nb\nb\nc\n"),
        "a\nb\n# ... the 1 line(s) above 3 times in all\nc\n"
    );
    assert_eq!(
        fold("x\ny\nx\ny\n"),
        "x\ny\n# ... the 2 line(s) above 2 times in all\n"
    );
}

#[test]
fn every_translation_equals_its_golden_file() {
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    let dir = root().join("scenarios");
    let gold = root().join("golden");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "svl"))
        .collect();
    names.sort();
    let mut differ = Vec::new();
    for p in &names {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        let got = golden_text(&name, &std::fs::read_to_string(p).unwrap());
        let file = gold.join(format!("{name}.txt"));
        if update {
            std::fs::create_dir_all(&gold).unwrap();
            std::fs::write(&file, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&file) {
            Ok(want) if want == got => {}
            Ok(_) => differ.push(format!("{name}: translation differs")),
            Err(_) => differ.push(format!("{name}: no golden file {}", file.display())),
        }
    }
    // No golden file without its scenario.
    if let Ok(entries) = std::fs::read_dir(&gold) {
        for e in entries.flatten() {
            let stem = e.path().file_stem().unwrap().to_string_lossy().into_owned();
            if !dir.join(format!("{stem}.svl")).exists() {
                differ.push(format!("{stem}: golden file without a scenario"));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} (UPDATE_GOLDEN=1 cargo test -p svelab-tests --test real_golden regenerates; read the diff)",
        differ.join("\n")
    );
}
