//! How a RawRecord lies on disk, so a finished run survives any later failure: `record.json`
//! holds everything but the runs (written once, before the first run) and each finished run
//! is its own `runs/run-<k>.json`, written durably when it ends. A full disk or a kill after
//! run 1 of 3 keeps run 1. Schema 1 records (every run inline in record.json) still read.
//! Writing goes through [`crate::jsonfile`]; callers decide where.

use super::raw::{RawRecord, RunRecord, SCHEMA_VERSION};
use crate::exit::usage;
use std::path::{Path, PathBuf};

/// Record layouts this version reads: 1 (runs inline), 2 (runs in files).
pub const READABLE: [u32; 2] = [1, SCHEMA_VERSION];

/// Writes a record as it grows: the header once, then each run not yet written.
pub struct RecordWriter {
    dir: PathBuf,
    header_written: bool,
    runs_written: usize,
}

impl RecordWriter {
    /// A writer into `dir` (record.json, runs/).
    pub fn new(dir: &Path) -> RecordWriter {
        RecordWriter {
            dir: dir.to_path_buf(),
            header_written: false,
            runs_written: 0,
        }
    }

    /// Saves what is new in `r`: the header on the first call, then every run added since.
    pub fn save(&mut self, r: &RawRecord) -> anyhow::Result<()> {
        if !self.header_written {
            let header = RawRecord {
                runs: Vec::new(),
                ..r.clone()
            };
            crate::jsonfile::write(&self.dir.join("record.json"), &header)?;
            self.header_written = true;
        }
        for (k, run) in r.runs.iter().enumerate().skip(self.runs_written) {
            let runs = self.dir.join("runs");
            std::fs::create_dir_all(&runs)?;
            crate::jsonfile::write(&runs.join(format!("run-{k}.json")), run)?;
            self.runs_written = k + 1;
        }
        Ok(())
    }
}

/// The run files under `dir/runs`, in run order.
fn run_files(dir: &Path) -> Vec<(usize, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir.join("runs")) else {
        return Vec::new();
    };
    let mut out: Vec<(usize, PathBuf)> = rd
        .filter_map(|e| {
            let p = e.ok()?.path();
            if !p.is_file() {
                return None;
            }
            let k = p
                .file_name()?
                .to_str()?
                .strip_prefix("run-")?
                .strip_suffix(".json")?
                .parse()
                .ok()?;
            Some((k, p))
        })
        .collect();
    out.sort();
    out
}

/// Reads a record saved by [`RecordWriter`] (or an older, single-file one): `path` is its
/// record.json.
pub fn load(path: &Path) -> anyhow::Result<RawRecord> {
    let mut rec: RawRecord = crate::jsonfile::read_versions(path, "record", &READABLE, "")?;
    let dir = path.parent().unwrap_or(Path::new("."));
    if rec.runs.is_empty() {
        for (_, p) in run_files(dir) {
            let text =
                std::fs::read_to_string(&p).map_err(|e| usage(format!("{}: {e}", p.display())))?;
            let run: RunRecord = serde_json::from_str(&text)
                .map_err(|e| usage(format!("{}: not a cgharness run: {e}", p.display())))?;
            rec.runs.push(run);
        }
    }
    rec.schema_version = SCHEMA_VERSION;
    Ok(rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> RawRecord {
        let src = crate::spec::catalogue::lookup("anon-oom").unwrap();
        let opts = crate::plan::Options::plain(1.0 / 16.0, "/data");
        let spec = crate::spec::parse(&src).unwrap();
        let plan = crate::plan::build(&src, spec, opts, &|_| Ok(())).unwrap();
        RawRecord {
            schema_version: SCHEMA_VERSION,
            tool_version: "test".into(),
            kernel_release: "6.12.117+deb12-cloud-amd64".into(),
            cmdline: Vec::new(),
            in_vm: true,
            host: crate::host::read_facts(Path::new("/nonexistent")),
            source: src,
            plan,
            order_seed: None,
            boots: 1,
            placement: None,
            runs: Vec::new(),
        }
    }

    fn run(variant: &str) -> RunRecord {
        RunRecord {
            top_path: variant.into(),
            ..RunRecord::default()
        }
    }

    #[test]
    fn a_finished_run_survives_a_failure_to_save_the_next_one() {
        let d = tempfile::tempdir().unwrap();
        let mut w = RecordWriter::new(d.path());
        let mut r = header();
        w.save(&r).unwrap();
        r.runs.push(run("first"));
        w.save(&r).unwrap();
        // The second run cannot be saved (its name is taken by a non-empty directory, as a
        // full disk would refuse it): the first stays, and no temporary file is left.
        std::fs::create_dir_all(d.path().join("runs/run-1.json/x")).unwrap();
        r.runs.push(run("second"));
        assert!(w.save(&r).is_err());
        let back = load(&d.path().join("record.json")).unwrap();
        assert_eq!(back.runs.len(), 1);
        assert_eq!(back.runs[0].top_path, "first");
        let stray: Vec<_> = std::fs::read_dir(d.path().join("runs"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{stray:?}");
    }

    #[test]
    fn a_schema_1_record_with_its_runs_inline_still_reads() {
        let d = tempfile::tempdir().unwrap();
        let mut r = header();
        r.schema_version = 1;
        r.runs = vec![run("a"), run("b")];
        let p = d.path().join("record.json");
        std::fs::write(&p, serde_json::to_vec(&r).unwrap()).unwrap();
        let back = load(&p).unwrap();
        assert_eq!(back.runs.len(), 2);
        assert_eq!(back.runs[1].top_path, "b");
    }
}
