//! What waits and actions did in a run, and the values a wait tests: the latest sample's
//! current values by path (`cgroup.C.memory_current`, `cgroup.C.memory_stat.K`, …).

use super::raw::Parsed;
use crate::cgroupfs::parse::keyed_to_map;
use crate::spec::expr::Val;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One action as it happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// Name.
    pub name: String,
    /// What it did (`write "10485760" to c/memory.reclaim`).
    pub what: String,
    /// When it began (CLOCK_MONOTONIC, ns).
    pub start_ns: u64,
    /// When the kernel answered (None: the run ended first).
    pub end_ns: Option<u64>,
    /// The errno name the kernel answered with (`EAGAIN`); None when it succeeded.
    pub errno: Option<String>,
    /// The error in words, when it failed.
    pub error: Option<String>,
    /// A peak reset's watermark read through its kept fd right after the write.
    pub peak_bytes: Option<u64>,
    /// The same fd read again at the run's end.
    pub peak_end_bytes: Option<u64>,
}

/// One wait as it happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitRecord {
    /// Name.
    pub name: String,
    /// When testing began (CLOCK_MONOTONIC, ns).
    pub start_ns: u64,
    /// When the condition was first seen to hold.
    pub met_ns: Option<u64>,
    /// Whether the timeout passed first.
    pub timed_out: bool,
    /// How often it was tested: the sampler's interval, ms.
    pub resolution_ms: u64,
}

/// The values of one sample a wait's condition may read.
pub fn now_values(p: &Parsed) -> BTreeMap<String, Val> {
    let mut out = BTreeMap::new();
    let mut put = |k: String, v: u64| {
        out.insert(k, Val::Num(v as f64));
    };
    for (name, s) in &p.cgroups {
        let c = crate::plan::pods::value_name(name);
        if let Some(v) = s.memory_current_bytes {
            put(format!("cgroup.{c}.memory_current"), v);
        }
        if let Some(v) = s.memory_swap_current_bytes {
            put(format!("cgroup.{c}.swap_current"), v);
        }
        for (k, v) in s.memory_stat.as_ref().map(keyed_to_map).unwrap_or_default() {
            put(format!("cgroup.{c}.memory_stat.{k}"), v);
        }
        for (k, v) in s
            .memory_events
            .as_ref()
            .map(keyed_to_map)
            .unwrap_or_default()
        {
            put(format!("cgroup.{c}.memory_events.{k}"), v);
        }
    }
    for (k, v) in &p.vmstat {
        put(format!("vmstat.{k}"), *v);
    }
    for (k, v) in &p.meminfo {
        put(format!("meminfo.{k}"), *v);
    }
    out
}
