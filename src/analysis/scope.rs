//! Values over one span of a run (the whole run or a phase): deltas of every counter between
//! the two marks, peaks and end values over the samples inside, per cgroup and system-wide.

use crate::cgroupfs::io::DevId;
use crate::cgroupfs::parse::keyed_to_map;
use crate::cgroupfs::pressure::Pressure;
use crate::cgroupfs::snapshot::Sample;
use crate::record::raw::Parsed;
use crate::spec::expr::Val;
use std::collections::BTreeMap;

/// Flat values, by path.
pub type Values = BTreeMap<String, Val>;

fn put(out: &mut Values, key: String, v: f64) {
    out.insert(key, Val::Num(v));
}

fn deltas(out: &mut Values, prefix: &str, a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) {
    for (k, vb) in b {
        if let Some(va) = a.get(k) {
            put(out, format!("{prefix}{k}"), *vb as f64 - *va as f64);
        }
    }
}

/// The name value paths use for a cgroup: its last path component (`top` for the run), or
/// for the kubelet's tree the pod or container alias ([`crate::plan::pods::value_name`]).
pub fn short(name: &str) -> String {
    crate::plan::pods::value_name(name)
}

fn disk_name(dev: &DevId, devices: &BTreeMap<String, DevId>) -> String {
    devices
        .iter()
        .find(|(_, d)| *d == dev)
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| dev.to_string())
}

fn io_map(s: &Sample, devices: &BTreeMap<String, DevId>) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    if s.io_stat.is_some() {
        // A disk with no I/O from this cgroup yet has no line: that is zero, not missing.
        for d in devices.keys() {
            for k in ["rbytes", "wbytes", "rios", "wios"] {
                m.insert(format!("{d}.{k}"), 0);
            }
        }
    }
    for (dev, st) in s.io_stat.iter().flatten() {
        let d = disk_name(dev, devices);
        let known = [
            ("rbytes", st.rbytes),
            ("wbytes", st.wbytes),
            ("rios", st.rios),
            ("wios", st.wios),
            ("dbytes", st.dbytes),
            ("dios", st.dios),
        ];
        for (k, v) in known {
            if let Some(v) = v {
                m.insert(format!("{d}.{k}"), v);
            }
        }
    }
    m
}

fn psi_map(s: &Sample) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    let files: [(&str, &Option<Pressure>); 3] = [
        ("memory", &s.memory_pressure),
        ("io", &s.io_pressure),
        ("cpu", &s.cpu_pressure),
    ];
    for (name, p) in files {
        if let Some(p) = p {
            m.insert(format!("{name}.some_usec"), p.some.total_usec);
            if let Some(f) = &p.full {
                m.insert(format!("{name}.full_usec"), f.total_usec);
            }
        }
    }
    m
}

fn stat_map(s: &Sample) -> BTreeMap<String, u64> {
    s.memory_stat.as_ref().map(keyed_to_map).unwrap_or_default()
}

fn events_map(s: &Sample) -> BTreeMap<String, u64> {
    s.memory_events
        .as_ref()
        .map(keyed_to_map)
        .unwrap_or_default()
}

/// Largest values over the samples of a span: usage, swap, their sum, every memory.stat key.
fn peak_values(out: &mut Values, p: &str, inside: &[&Sample]) {
    let peak = |f: &dyn Fn(&Sample) -> Option<u64>| inside.iter().filter_map(|s| f(s)).max();
    if let Some(v) = peak(&|s| s.memory_current_bytes) {
        put(out, format!("{p}peak.memory_current"), v as f64);
    }
    if let Some(v) = peak(&|s| s.memory_swap_current_bytes) {
        put(out, format!("{p}peak.swap_current"), v as f64);
    }
    if let Some(v) =
        peak(&|s| Some(s.memory_current_bytes? + s.memory_swap_current_bytes.unwrap_or(0)))
    {
        put(out, format!("{p}peak.charged"), v as f64);
    }
    let mut stat_peaks: BTreeMap<String, u64> = BTreeMap::new();
    for s in inside {
        for (k, v) in stat_map(s) {
            let e = stat_peaks.entry(k).or_insert(v);
            *e = (*e).max(v);
        }
    }
    for (k, v) in stat_peaks {
        put(out, format!("{p}peak.memory_stat.{k}"), v as f64);
    }
}

fn cgroup_values(
    out: &mut Values,
    p: &str,
    a: &Sample,
    b: &Sample,
    inside: &[&Sample],
    devices: &BTreeMap<String, DevId>,
) {
    deltas(out, &format!("{p}memory_stat."), &stat_map(a), &stat_map(b));
    deltas(
        out,
        &format!("{p}memory_events."),
        &events_map(a),
        &events_map(b),
    );
    deltas(
        out,
        &format!("{p}io."),
        &io_map(a, devices),
        &io_map(b, devices),
    );
    deltas(out, &format!("{p}pressure."), &psi_map(a), &psi_map(b));
    peak_values(out, p, inside);
    if let Some(v) = b.memory_current_bytes {
        put(out, format!("{p}end.memory_current"), v as f64);
    }
    if let Some(v) = b.memory_swap_current_bytes {
        put(out, format!("{p}end.swap_current"), v as f64);
    }
    if let Some(v) = b.memory_current_bytes {
        let charged = v + b.memory_swap_current_bytes.unwrap_or(0);
        put(out, format!("{p}end.charged"), charged as f64);
        // A page in the swap cache is charged to memory and holds a swap slot: count it once.
        if let Some(sc) = b.memory_stat.as_ref().and_then(|m| m.swapcached) {
            put(
                out,
                format!("{p}end.charged_once"),
                charged.saturating_sub(sc) as f64,
            );
        }
    }
    for (k, v) in stat_map(b) {
        put(out, format!("{p}end.memory_stat.{k}"), v as f64);
    }
    for (k, v) in events_map(b) {
        put(out, format!("{p}end.memory_events.{k}"), v as f64);
    }
}

/// Values of the span from `a` to `b`, with `inside` the samples between them (both ends
/// included), each path prefixed with `prefix` (`""` or `phase.NAME.`).
pub fn values(
    prefix: &str,
    a: &Parsed,
    b: &Parsed,
    inside: &[&Parsed],
    devices: &BTreeMap<String, DevId>,
) -> Values {
    let mut out = Values::new();
    put(
        &mut out,
        format!("{prefix}duration_ms"),
        (b.t_ns.saturating_sub(a.t_ns)) as f64 / 1e6,
    );
    for (name, sb) in &b.cgroups {
        let Some(sa) = a.cgroups.get(name) else {
            continue;
        };
        let cg_inside: Vec<&Sample> = inside.iter().filter_map(|s| s.cgroups.get(name)).collect();
        let p = format!("{prefix}cgroup.{}.", short(name));
        cgroup_values(&mut out, &p, sa, sb, &cg_inside, devices);
        if name == "top" {
            deltas(
                &mut out,
                &format!("{prefix}io."),
                &io_map(sa, devices),
                &io_map(sb, devices),
            );
        }
    }
    deltas(&mut out, &format!("{prefix}vmstat."), &a.vmstat, &b.vmstat);
    for (k, v) in &b.meminfo {
        put(&mut out, format!("{prefix}meminfo.{k}"), *v as f64);
    }
    out
}
