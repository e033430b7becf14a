//! What counts as a move for one value before any test, and what makes two texts the same:
//! the threshold with each unit's noise floor, and text shapes that ignore the pids in run
//! cgroup names. Pure.

use crate::analysis::Stats;

/// Whether the move from `a` to `b` counts: beyond the threshold, at least the key's noise
/// floor and, when both sides have several repetitions, beyond their spread (the ranges do
/// not overlap).
pub fn moved(key: &str, a: &Stats, b: &Stats, threshold: f64) -> bool {
    let d = (b.median - a.median).abs();
    let beyond = d > threshold * a.median.abs().max(b.median.abs());
    let apart = a.n < 2 || b.n < 2 || b.min > a.max || b.max < a.min;
    beyond && apart && d >= noise_floor(key)
}

/// The smallest move that counts for a value, in its own unit: 10 ms, 10 ms of µs, 256 for
/// page and event counts (vmstat, memory.stat's pg*/thp_*/workingset_*/swp*, I/O ops),
/// 1 MiB for sizes, and 1 for the rest (memory.events, kills, exit codes, cgroup.stat).
pub fn noise_floor(key: &str) -> f64 {
    const COUNTS: [&str; 6] = ["pg", "thp_", "workingset_", "swp", "zswp", "numa_"];
    let last = key.rsplit('.').next().unwrap_or(key);
    let stat = key.contains("memory_stat.");
    let sized = ["bytes", "current", "charged"]
        .iter()
        .any(|w| last.contains(w));
    if last.ends_with("_ms") || key.ends_with(".ms") {
        10.0
    } else if last.ends_with("usec") || last.ends_with("_us") {
        10_000.0
    } else if key.contains("vmstat.")
        || last.ends_with("ios")
        || (stat && COUNTS.iter().any(|p| last.starts_with(p)))
    {
        256.0
    } else if stat || sized || last == "peak" || key.contains("meminfo.") || key.contains("param.")
    {
        1048576.0
    } else {
        1.0
    }
}

/// A text value's shape for comparing: the distinct values of a `mixed: x | y` text, with
/// every run of digits in a path replaced, so `/cgharness/anon-oom-88-0/pod` and
/// `mixed: /cgharness/anon-oom-143-0/pod | /cgharness/anon-oom-145-0/pod` (pids in run names)
/// compare equal while `"oom"` and `mixed: none | oom` do not.
pub(super) fn shape(t: &str) -> String {
    let body = t.strip_prefix("mixed: ").unwrap_or(t);
    let mut parts: Vec<String> = body.split(" | ").map(path_shape).collect();
    parts.sort();
    parts.dedup();
    parts.join(" | ")
}

pub(super) fn path_shape(t: &str) -> String {
    if !t.starts_with('/') {
        return t.to_string();
    }
    let mut out = String::new();
    for c in t.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}
