//! `cgharness bench`: each built-in workload next to the tool users compare it with, on the
//! same host, interleaved, with min/median/max over repetitions and the ratio to the target.
//! Rates are bytes per second. Our workloads run as child processes (`cgharness workload …`)
//! and report their own timings; peers are timed by wall clock, or by their own report where
//! they give one (stress-ng's real-time bogo-op rate, 1 op = 1 MiB).

use crate::workload::anon::{AnonRegion, PAGE};
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// min / median / max of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Smallest.
    pub min: f64,
    /// Median (lower middle for even counts).
    pub median: f64,
    /// Largest.
    pub max: f64,
}

/// Summarises a non-empty sample; None when empty.
pub fn summarize(v: &[f64]) -> Option<Summary> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    Some(Summary {
        min: s[0],
        median: s[(s.len() - 1) / 2],
        max: s[s.len() - 1],
    })
}

/// One measured line of the benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Rates, bytes/s, one per repetition.
    pub rates: Vec<f64>,
}

/// A comparison with its target.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// `ours / peer`.
    pub name: String,
    /// median(ours) / median(peer).
    pub ratio: f64,
    /// The target it must reach (0: informational, no target).
    pub target: f64,
}

/// Computes ratios of medians for (ours, peer, target) name triples present in `rows`.
pub fn ratios(rows: &[Row], pairs: &[(&str, &str, f64)]) -> Vec<Ratio> {
    let median = |n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .and_then(|r| summarize(&r.rates))
            .map(|s| s.median)
    };
    pairs
        .iter()
        .filter_map(|(ours, peer, target)| {
            Some(Ratio {
                name: format!("{ours} / {peer}"),
                ratio: median(ours)? / median(peer)?,
                target: *target,
            })
        })
        .collect()
}

/// Renders rows and ratios as a table (GiB/s).
pub fn render(rows: &[Row], ratios: &[Ratio]) -> String {
    let gib = |x: f64| x / (1u64 << 30) as f64;
    let mut out = format!(
        "{:<34} {:>8} {:>8} {:>8}  (GiB/s, n)\n",
        "", "min", "median", "max"
    );
    for r in rows {
        if let Some(s) = summarize(&r.rates) {
            out.push_str(&format!(
                "{:<34} {:>8.2} {:>8.2} {:>8.2}  ({})\n",
                r.name,
                gib(s.min),
                gib(s.median),
                gib(s.max),
                r.rates.len()
            ));
        }
    }
    out.push('\n');
    for q in ratios {
        if q.target <= 0.0 {
            out.push_str(&format!("info {:<44} {:>5.2}×\n", q.name, q.ratio));
            continue;
        }
        let mark = if q.ratio >= q.target { "ok  " } else { "MISS" };
        out.push_str(&format!(
            "{mark} {:<44} {:>5.2}×  (target ≥ {:.2}×)\n",
            q.name, q.ratio, q.target
        ));
    }
    out
}

/// Times a command's wall clock; None if it cannot run or fails.
pub fn wall_secs(cmd: &mut Command) -> Option<f64> {
    let t = Instant::now();
    let ok = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then(|| t.elapsed().as_secs_f64())
}

/// Runs `cmd` and returns its stdout if it succeeded.
pub fn stdout_of(cmd: &mut Command) -> Option<String> {
    let o = cmd.stderr(Stdio::null()).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The plain page-touch loop peer: map, write one byte per page, measured in-process.
pub fn plain_touch_rate(bytes: usize) -> Option<f64> {
    let mut r = AnonRegion::map(bytes).ok()?;
    let t = Instant::now();
    let s = r.as_mut_slice();
    let mut i = 0;
    while i < s.len() {
        // SAFETY: i < len of our own writable mapping.
        unsafe { std::ptr::write_volatile(s.as_mut_ptr().add(i), 1) };
        i += PAGE;
    }
    Some(bytes as f64 / t.elapsed().as_secs_f64())
}

/// memset bandwidth over a resident buffer (the re-touch peer), best of three passes.
pub fn memset_rate(bytes: usize) -> Option<f64> {
    let mut r = AnonRegion::map(bytes).ok()?;
    r.as_mut_slice().fill(1);
    let mut best = 0f64;
    for v in 2..5u8 {
        let t = Instant::now();
        r.as_mut_slice().fill(v);
        std::hint::black_box(r.as_mut_slice());
        best = best.max(bytes as f64 / t.elapsed().as_secs_f64());
    }
    Some(best)
}

/// stress-ng's own first-pass rate: `--vm-ops` = MiB written, real time from its metrics.
pub fn stress_ng_rate(bytes: usize) -> Option<f64> {
    let mib = (bytes >> 20).max(1);
    let text = stdout_of(Command::new("stress-ng").args([
        "--vm",
        "1",
        "--vm-bytes",
        &format!("{mib}M"),
        "--vm-keep",
        "--vm-method",
        "write64",
        "--vm-ops",
        &mib.to_string(),
        "--metrics-brief",
        "--stdout",
    ]))?;
    parse_stress_ng_vm(&text).map(|(ops, secs)| ops * (1u64 << 20) as f64 / secs)
}

/// (bogo ops, real seconds) from stress-ng's `--metrics-brief` vm line.
pub fn parse_stress_ng_vm(text: &str) -> Option<(f64, f64)> {
    text.lines().find_map(|l| {
        let after = l.split(']').nth(1)?;
        let w: Vec<&str> = after.split_whitespace().collect();
        (w.first() == Some(&"vm")).then_some(())?;
        Some((w.get(1)?.parse().ok()?, w.get(2)?.parse().ok()?))
    })
}

/// Makes a file of `bytes` non-zero data in `dir` and reads it once so it is cached.
pub fn make_cached_file(dir: &Path, bytes: usize) -> std::io::Result<tempfile::NamedTempFile> {
    use std::io::{Read, Write};
    let mut f = tempfile::Builder::new()
        .prefix("cgharness-bench-")
        .tempfile_in(dir)?;
    let block: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(block.len());
        f.write_all(&block[..n])?;
        left -= n;
    }
    f.flush()?;
    let mut sink = vec![0u8; 1 << 20];
    let mut r = std::fs::File::open(f.path())?;
    while r.read(&mut sink)? > 0 {}
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_min_median_max() {
        let s = summarize(&[3.0, 1.0, 2.0, f64::NAN, 10.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 10.0));
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn ratios_need_both_sides() {
        let rows = vec![
            Row {
                name: "ours".into(),
                rates: vec![2.0, 2.0],
            },
            Row {
                name: "peer".into(),
                rates: vec![1.0],
            },
        ];
        let q = ratios(&rows, &[("ours", "peer", 1.0), ("ours", "missing", 1.0)]);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].ratio, 2.0);
        assert!(render(&rows, &q).contains("ok   ours / peer"));
    }

    #[test]
    fn stress_ng_metrics_line() {
        let t = "stress-ng: info:  [123] stressor       bogo ops real time  usr time  sys time   bogo ops/s     bogo ops/s\n\
                 stress-ng: info:  [123] vm                 1024      1.62      0.31      1.30       632.10         636.02\n";
        assert_eq!(parse_stress_ng_vm(t), Some((1024.0, 1.62)));
        assert_eq!(parse_stress_ng_vm("nothing"), None);
    }
}
