//! Replays every saved fuzz input through the parsers, in a plain `cargo test`: each file of
//! `fuzz/corpus/<target>/` (what the fuzzer kept) and `fuzz/regressions/<target>/` (inputs
//! that once crashed a parser) goes through `cgharness::fuzzing::<target>`, which must not
//! panic. The fuzzer itself runs from scripts/fuzz (docs/fuzzing.md).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn no_saved_fuzz_input_panics_a_parser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    // The panic message is printed once per failing input; keep the default hook for that.
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (name, target) in cgharness::fuzzing::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name}/ has no seed");
        for path in corpus
            .iter()
            .chain(&inputs(&root.join("regressions").join(name)))
        {
            let data = std::fs::read(path).unwrap();
            replayed += 1;
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} inputs panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_fuzz_target_that_calls_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, _) in cgharness::fuzzing::TARGETS {
        let target = root.join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(
            text.contains(&format!("cgharness::fuzzing::{name}(")),
            "{} does not call cgharness::fuzzing::{name}",
            target.display()
        );
    }
}
