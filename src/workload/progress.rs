//! Progress events from a workload to the harness: JSON lines on a file descriptor (a pipe the
//! harness reads), each stamped with CLOCK_MONOTONIC and CLOCK_BOOTTIME so the harness can line
//! them up with kernel counters. Work is timed in batches (64 MiB), not per page: on the 6.1
//! guest's hpet clocksource one clock read costs 3–4 µs. Batch latencies go into an
//! HdrHistogram, summarised in the `end` event.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::fd::FromRawFd;

/// Bytes between progress events.
pub const BATCH_BYTES: u64 = 64 << 20;

/// One event.
#[derive(Debug, Clone, Serialize)]
pub struct Event<'a> {
    /// `start`, `progress`, `pass_end`, `end`.
    pub event: &'a str,
    /// CLOCK_MONOTONIC, ns.
    pub t_mono_ns: u64,
    /// CLOCK_BOOTTIME, ns.
    pub t_boot_ns: u64,
    /// Bytes done in this pass so far.
    pub bytes: u64,
    /// Pass number (0 = first touch or first read).
    pub pass: u32,
    /// For `end`: batch latency percentiles, ns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_ns: Option<Percentiles>,
}

/// Batch latency summary.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Percentiles {
    /// Batches measured.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

fn now_ns(clock: nix::time::ClockId) -> u64 {
    nix::time::clock_gettime(clock)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// The sink; a no-op when no fd was given.
pub struct Progress {
    out: Option<BufWriter<File>>,
    hist: Option<Histogram<u64>>,
    last_ns: u64,
}

impl Progress {
    /// Writes to `fd` when given (taking ownership of it), else does nothing.
    pub fn new(fd: Option<i32>) -> Progress {
        // SAFETY: the caller hands us an fd it opened for us (the harness's pipe) and does not
        // use it otherwise.
        let out = fd.map(|fd| BufWriter::new(unsafe { File::from_raw_fd(fd) }));
        let hist = out
            .as_ref()
            .and_then(|_| Histogram::new_with_bounds(1, 3_600_000_000_000, 3).ok());
        Progress {
            out,
            hist,
            last_ns: now_ns(nix::time::ClockId::CLOCK_MONOTONIC),
        }
    }

    /// Whether events are being written.
    pub fn enabled(&self) -> bool {
        self.out.is_some()
    }

    /// Emits an event; `progress` events also record the time since the previous one.
    pub fn emit(&mut self, event: &str, bytes: u64, pass: u32) {
        let Some(out) = self.out.as_mut() else { return };
        let mono = now_ns(nix::time::ClockId::CLOCK_MONOTONIC);
        if event == "progress" {
            if let Some(h) = self.hist.as_mut() {
                let _ = h.record(mono.saturating_sub(self.last_ns).max(1));
            }
        }
        self.last_ns = mono;
        let batch_ns = (event == "end")
            .then(|| self.hist.as_ref().map(summary))
            .flatten();
        let e = Event {
            event,
            t_mono_ns: mono,
            t_boot_ns: now_ns(nix::time::ClockId::CLOCK_BOOTTIME),
            bytes,
            pass,
            batch_ns,
        };
        if let Ok(line) = serde_json::to_string(&e) {
            let _ = writeln!(out, "{line}");
            // Flush per event: the harness must see progress as it happens, and events are rare.
            let _ = out.flush();
        }
    }
}

fn summary(h: &Histogram<u64>) -> Percentiles {
    Percentiles {
        count: h.len(),
        p50: h.value_at_quantile(0.5),
        p99: h.value_at_quantile(0.99),
        max: h.max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::IntoRawFd;

    #[test]
    fn events_are_json_lines_with_both_clocks_and_a_latency_summary() {
        let (mut r, w) = std::io::pipe().unwrap();
        let mut p = Progress::new(Some(w.into_raw_fd()));
        p.emit("start", 0, 0);
        p.emit("progress", 64 << 20, 0);
        p.emit("progress", 128 << 20, 0);
        p.emit("end", 128 << 20, 0);
        drop(p);
        let mut text = String::new();
        r.read_to_string(&mut text).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1]["t_boot_ns"].as_u64().unwrap() >= lines[1]["t_mono_ns"].as_u64().unwrap());
        assert_eq!(lines[3]["batch_ns"]["count"], 2);
        assert!(lines[0].get("batch_ns").is_none());
    }

    #[test]
    fn without_an_fd_nothing_happens() {
        let mut p = Progress::new(None);
        assert!(!p.enabled());
        p.emit("start", 0, 0);
    }
}
