//! Entry points for the fuzz targets (`fuzz/fuzz_targets/*.rs`) and their corpus replay
//! (`tests/fuzz_corpus.rs`): one function per target that feeds arbitrary bytes to the
//! parsers that read text from outside — scenario files, expectations, sizes, cgroup control
//! files, the kernel log and saved records. See docs/fuzzing.md.
//!
//! Each function must never panic, whatever the bytes: a parser's error is a fine outcome,
//! a panic (index out of range, overflow in a debug build, unwrap) is a defect in the parser.
//! Results are dropped; nothing here does I/O, and nothing here is used by the harness itself.

use crate::cgroupfs::core::{CgroupEvents, CgroupStat};
use crate::cgroupfs::io::{parse_io_max, parse_io_stat, DevId};
use crate::cgroupfs::memory::{MemoryEvents, MemoryStat, SwapEvents};
use crate::cgroupfs::misc::{CpuStat, HugetlbEvents};
use crate::cgroupfs::parse::{self, KeyedFile};
use crate::cgroupfs::pressure::parse_pressure;
use crate::cgroupfs::snapshot::RawSample;
use crate::cgroupfs::text::Text;
use crate::record::kmsg;
use crate::record::raw::{RawRecord, RunRecord};
use crate::spec::{self, expr, params, Source};
use std::collections::BTreeMap;
use std::path::Path;

/// Longest input worth parsing: scenario files are refused above 1 MiB by the CLI.
const MAX_LEN: usize = 1 << 20;

fn text(data: &[u8]) -> Option<&str> {
    if data.len() > MAX_LEN {
        return None;
    }
    std::str::from_utf8(data).ok()
}

/// Scenario TOML → [`spec::Spec`] → [`crate::plan::Plan`], as `cgharness run` does (with a
/// workload check that accepts every command line and two named disks).
pub fn scenario(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let src = Source {
        origin: "fuzz.toml".into(),
        text: t.to_string(),
    };
    let Ok(parsed) = spec::parse(&src) else {
        return;
    };
    let mut devices = BTreeMap::new();
    devices.insert("data".to_string(), DevId { major: 8, minor: 0 });
    devices.insert(
        "swap".to_string(),
        DevId {
            major: 8,
            minor: 16,
        },
    );
    let opts = crate::plan::Options {
        scale: 1.0 / 16.0,
        set: Vec::new(),
        only: Vec::new(),
        repeat: None,
        data_dir: "/data".into(),
        file_tag: None,
        devices,
        memory_total_bytes: None,
        hugepage_sizes_bytes: None,
    };
    let _ = crate::plan::build(&src, parsed, opts, &|_| Ok(()));
}

/// The expectation language: the text as an expression (`observe`) and as a check (`expect`).
pub fn expr(data: &[u8]) {
    let Some(t) = text(data) else { return };
    let _ = expr::parse_expr(t);
    if let Ok(c) = expr::parse_check(t) {
        let _ = c.paths();
    }
}

/// Sizes and quantities: memparse sizes and limits, Kubernetes quantities, percentages,
/// durations, `--scale` ratios and the kernel's `max`-or-integer limits.
pub fn size(data: &[u8]) {
    let Some(t) = text(data) else { return };
    use crate::size::{self as sz, Limit};
    let _ = sz::parse_memparse(t);
    let _ = sz::parse_limit(t);
    let _ = sz::parse_quantity(t);
    let _ = sz::parse_memparse_or_percent(t, 8 << 30);
    let _ = sz::parse_memparse_or_percent(t, u64::MAX);
    let _ = sz::parse_duration(t);
    let _ = params::parse_duration_ms(t);
    let _ = params::parse_scale(t);
    if let Ok(l) = Limit::parse_kernel(t) {
        let _ = (l.to_kernel(), l.to_string());
    }
}

fn keyed<T: KeyedFile>(name: &str, t: &str) {
    if let Ok(v) = parse::parse_keyed::<T>(Path::new(name), t) {
        let _ = parse::keyed_to_map(&v);
    }
}

/// cgroup control files: every flat-keyed file type, `io.stat`, `io.max`, PSI files, single
/// values, pid lists, and a sampler's raw sample (bytes that may not be UTF-8).
pub fn cgroupfs(data: &[u8]) {
    if data.len() > MAX_LEN {
        return;
    }
    let owned = String::from_utf8_lossy(data);
    let t = owned.as_ref();
    keyed::<MemoryStat>("memory.stat", t);
    keyed::<MemoryEvents>("memory.events", t);
    keyed::<SwapEvents>("memory.swap.events", t);
    keyed::<CgroupEvents>("cgroup.events", t);
    keyed::<CgroupStat>("cgroup.stat", t);
    keyed::<HugetlbEvents>("hugetlb.2MB.events", t);
    keyed::<CpuStat>("cpu.stat", t);
    let _ = parse_io_stat(Path::new("io.stat"), t);
    let _ = parse_io_max(Path::new("io.max"), t);
    let _ = parse_pressure(Path::new("memory.pressure"), t);
    let _ = parse::parse_single_u64(Path::new("memory.current"), t);
    let _ = parse::parse_pids(Path::new("cgroup.procs"), t);
    let _ = parse::parse_words(t);
    let _ = DevId::parse(t);
    let raw = Text::from(data.to_vec());
    let sample = RawSample {
        current: Some(raw.clone()),
        swap_current: Some(raw.clone()),
        stat: Some(raw.clone()),
        events: Some(raw.clone()),
        io_stat: Some(raw.clone()),
        memory_pressure: Some(raw.clone()),
        io_pressure: Some(raw.clone()),
        cpu_pressure: Some(raw),
    };
    let _ = sample.parse();
}

/// The kernel log: each line as a `/dev/kmsg` record and as a `dmesg` line, then the OOM
/// kills found in all the records.
pub fn kmsg(data: &[u8]) {
    if data.len() > MAX_LEN {
        return;
    }
    let owned = String::from_utf8_lossy(data);
    let mut records = Vec::new();
    for line in owned.lines() {
        records.extend(kmsg::parse_kmsg(line));
        records.extend(kmsg::parse_dmesg(line));
    }
    let _ = kmsg::oom_kills(&records);
}

/// A saved record: `record.json` through the schema check `cgharness analyze` uses
/// ([`crate::jsonfile::parse_versions`]), and the bytes as a [`RawRecord`] and a run file.
pub fn record(data: &[u8]) {
    if data.len() > MAX_LEN {
        return;
    }
    let _ = serde_json::from_slice::<RawRecord>(data);
    if let Ok(run) = serde_json::from_slice::<RunRecord>(data) {
        samples(&run);
    }
    let Ok(t) = std::str::from_utf8(data) else {
        return;
    };
    let rec = crate::jsonfile::parse_versions::<RawRecord>(
        "record.json",
        t,
        "record",
        &crate::record::store::READABLE,
        "",
    );
    for run in rec.iter().flat_map(|r| &r.runs) {
        samples(run);
    }
}

/// What analysis parses of a run before it computes anything: samples and kernel log lines.
fn samples(run: &RunRecord) {
    for s in run.samples.iter().chain(run.marks.iter().map(|m| &m.set)) {
        let _ = s.parse();
    }
    let lines: Vec<_> = run
        .kmsg
        .iter()
        .filter_map(|l| kmsg::parse_kmsg(&l.raw))
        .collect();
    let _ = kmsg::oom_kills(&lines);
}

/// A fuzz target: bytes in, no panic out.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus replay.
pub const TARGETS: &[(&str, Target)] = &[
    ("scenario", scenario),
    ("expr", expr),
    ("size", size),
    ("cgroupfs", cgroupfs),
    ("kmsg", kmsg),
    ("record", record),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_takes_empty_and_binary_input() {
        for (_, f) in TARGETS {
            f(b"");
            f(&[0xff, 0xfe, 0, b'\n']);
        }
    }
}
