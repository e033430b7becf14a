//! Time series of one run for the charts, read from its record: per cgroup memory.current,
//! anon, file, shmem and swap.current, memory.events counts, io rates per device, PSI stall
//! rates; machine-wide vmstat rates; the limits written, phases, workload starts and exits,
//! and the kernel's OOM kills with their victims. Times are seconds from the run's first
//! sample. Pure.

use crate::analysis::scope::short;
use crate::cgroupfs::io::{DevId, IoDevStat};
use crate::cgroupfs::snapshot::Sample;
use crate::record::kmsg::{oom_kills, parse_kmsg};
use crate::record::raw::{Parsed, RunRecord};
use std::collections::BTreeMap;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend text.
    pub label: String,
    /// (seconds, value).
    pub points: Vec<(f64, f64)>,
}

/// A moment on the time axis with its label (a kill, a workload start).
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    /// Seconds from the run's first sample.
    pub t_s: f64,
    /// What happened.
    pub label: String,
}

/// What the charts of one run show.
#[derive(Debug, Default)]
pub struct RunSeries {
    /// Seconds covered.
    pub span_s: f64,
    /// Per cgroup (value name): memory lines (those not zero throughout).
    pub memory: BTreeMap<String, Vec<Line>>,
    /// Per cgroup: the memory lines that were zero in every sample.
    pub zero: BTreeMap<String, Vec<String>>,
    /// Per cgroup: memory.max/high/low/min as written (bytes).
    pub limits: BTreeMap<String, Vec<(String, f64)>>,
    /// Per cgroup: cumulative memory.events (high, max, oom, oom_kill) since the run began.
    pub events: BTreeMap<String, Vec<Line>>,
    /// Per cgroup: read and write rates per device, bytes/s.
    pub io: BTreeMap<String, Vec<Line>>,
    /// Per cgroup: memory PSI some/full, percent of wall time stalled.
    pub psi: BTreeMap<String, Vec<Line>>,
    /// Machine-wide vmstat rates, per second.
    pub vmstat: Vec<Line>,
    /// Phases: (name, start s, end s).
    pub phases: Vec<(String, f64, f64)>,
    /// Workload starts and exits, and actions.
    pub workloads: Vec<Moment>,
    /// OOM kills by cgroup (the victim's workload's), labelled with the victim.
    pub kills: BTreeMap<String, Vec<Moment>>,
}

/// Every sample of the run (periodic and at marks) parsed, in time order.
fn samples(rec: &RunRecord) -> Vec<Parsed> {
    let mut all: Vec<Parsed> = rec.samples.iter().map(|s| s.parse()).collect();
    all.extend(rec.marks.iter().map(|m| m.set.parse()));
    all.sort_by_key(|p| p.t_ns);
    all
}

fn secs(t_ns: u64, t0: u64) -> f64 {
    t_ns.saturating_sub(t0) as f64 / 1e9
}

/// A line of `f` over the samples, skipping samples without the value.
fn line(
    all: &[Parsed],
    t0: u64,
    cg: &str,
    label: &str,
    f: impl Fn(&Sample) -> Option<u64>,
) -> Line {
    let points = all
        .iter()
        .filter_map(|p| Some((secs(p.t_ns, t0), f(p.cgroups.get(cg)?)? as f64)))
        .collect();
    Line {
        label: label.to_string(),
        points,
    }
}

/// Per-second rate of a cumulative counter between consecutive samples.
fn rate(points: &[(f64, f64)], scale: f64) -> Vec<(f64, f64)> {
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| {
            (
                w[1].0,
                (w[1].1 - w[0].1).max(0.0) / (w[1].0 - w[0].0) * scale,
            )
        })
        .collect()
}

fn memory_lines(all: &[Parsed], t0: u64, cg: &str) -> Vec<Line> {
    let stat = |k: fn(&crate::cgroupfs::memory::MemoryStat) -> Option<u64>| {
        move |s: &Sample| s.memory_stat.as_ref().and_then(k)
    };
    [
        line(all, t0, cg, "memory.current", |s| s.memory_current_bytes),
        line(all, t0, cg, "anon", stat(|m| m.anon)),
        line(all, t0, cg, "file", stat(|m| m.file)),
        line(all, t0, cg, "shmem", stat(|m| m.shmem)),
        line(all, t0, cg, "swap.current", |s| s.memory_swap_current_bytes),
    ]
    .into_iter()
    .filter(|l| !l.points.is_empty())
    .collect()
}

fn event_lines(all: &[Parsed], t0: u64, cg: &str) -> Vec<Line> {
    type Key = fn(&crate::cgroupfs::memory::MemoryEvents) -> Option<u64>;
    let keys: [(&str, Key); 4] = [
        ("high", |e| e.high),
        ("max", |e| e.max),
        ("oom", |e| e.oom),
        ("oom_kill", |e| e.oom_kill),
    ];
    keys.iter()
        .map(|(name, k)| {
            let mut l = line(all, t0, cg, name, |s| s.memory_events.as_ref().and_then(k));
            let base = l.points.first().map_or(0.0, |p| p.1);
            l.points.iter_mut().for_each(|p| p.1 -= base);
            l
        })
        .filter(|l| l.points.iter().any(|p| p.1 > 0.0))
        .collect()
}

fn io_lines(all: &[Parsed], t0: u64, cg: &str, names: &BTreeMap<String, DevId>) -> Vec<Line> {
    let mut devs: Vec<DevId> = all
        .iter()
        .filter_map(|p| p.cgroups.get(cg)?.io_stat.as_ref())
        .flat_map(|io| io.keys().copied())
        .collect();
    devs.sort();
    devs.dedup();
    let mut out = Vec::new();
    for d in devs {
        let name = names
            .iter()
            .find(|(_, id)| **id == d)
            .map_or_else(|| d.to_string(), |(n, _)| n.clone());
        type Key = fn(&IoDevStat) -> Option<u64>;
        let keys: [(&str, Key); 2] = [("read", |s| s.rbytes), ("write", |s| s.wbytes)];
        for (what, f) in keys {
            let l = line(all, t0, cg, "", |s| f(s.io_stat.as_ref()?.get(&d)?));
            let points = rate(&l.points, 1.0);
            if points.iter().any(|p| p.1 > 0.0) {
                out.push(Line {
                    label: format!("{what} {name}"),
                    points,
                });
            }
        }
    }
    out
}

fn psi_lines(all: &[Parsed], t0: u64, cg: &str) -> Vec<Line> {
    let some = line(all, t0, cg, "", |s| {
        Some(s.memory_pressure?.some.total_usec)
    });
    let full = line(all, t0, cg, "", |s| {
        Some(s.memory_pressure?.full?.total_usec)
    });
    // µs stalled per second of wall time → percent.
    [("some", some), ("full", full)]
        .into_iter()
        .map(|(n, l)| Line {
            label: format!("memory {n}"),
            points: rate(&l.points, 1e-4),
        })
        .filter(|l| l.points.iter().any(|p| p.1 > 0.0))
        .collect()
}

fn vmstat_lines(all: &[Parsed], t0: u64) -> Vec<Line> {
    let sum = |p: &Parsed, keys: &[&str]| -> Option<f64> {
        let v: Vec<u64> = keys
            .iter()
            .filter_map(|k| p.vmstat.get(*k).copied())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<u64>() as f64)
    };
    let groups: [(&str, &[&str]); 5] = [
        (
            "pgscan",
            &["pgscan_kswapd", "pgscan_direct", "pgscan_khugepaged"],
        ),
        (
            "pgsteal",
            &["pgsteal_kswapd", "pgsteal_direct", "pgsteal_khugepaged"],
        ),
        ("pswpout", &["pswpout"]),
        ("workingset_refault_file", &["workingset_refault_file"]),
        ("workingset_refault_anon", &["workingset_refault_anon"]),
    ];
    groups
        .iter()
        .map(|(name, keys)| {
            let pts: Vec<(f64, f64)> = all
                .iter()
                .filter_map(|p| Some((secs(p.t_ns, t0), sum(p, keys)?)))
                .collect();
            Line {
                label: format!("{name}/s"),
                points: rate(&pts, 1.0),
            }
        })
        .filter(|l| l.points.iter().any(|p| p.1 > 0.0))
        .collect()
}

/// memory.max/high/low/min as the plan wrote them (numbers only; `max` is no line).
fn limits(rec: &RunRecord) -> BTreeMap<String, Vec<(String, f64)>> {
    let mut out = BTreeMap::new();
    for c in rec.plan.iter().flat_map(|p| &p.cgroups) {
        let lines: Vec<(String, f64)> = c
            .writes
            .iter()
            .filter(|(f, _)| {
                ["memory.max", "memory.high", "memory.low", "memory.min"].contains(&f.as_str())
            })
            .filter_map(|(f, v)| Some((f.clone(), v.trim().parse::<u64>().ok()? as f64)))
            .collect();
        if !lines.is_empty() {
            out.insert(short(&c.name), lines);
        }
    }
    out
}

fn moments(rec: &RunRecord, t0: u64, s: &mut RunSeries) {
    for a in &rec.actions {
        let label = format!("action {}", a.name);
        s.workloads.push(Moment {
            t_s: secs(a.start_ns, t0),
            label,
        });
    }
    for w in &rec.workloads {
        if let Some(t) = w.start_ns {
            s.workloads.push(Moment {
                t_s: secs(t, t0),
                label: format!("{} start", w.name),
            });
        }
        if let Some(t) = w.exit_ns {
            s.workloads.push(Moment {
                t_s: secs(t, t0),
                label: format!("{} exit", w.name),
            });
        }
    }
    let recs: Vec<_> = rec.kmsg.iter().filter_map(|l| parse_kmsg(&l.raw)).collect();
    let offset = rec.kmsg_offset_ns;
    for k in oom_kills(&recs)
        .iter()
        .filter(|k| !k.skipped_exiting && !k.repeat)
    {
        let Some(off) = offset else { continue };
        let t_ns = (k.usec as i64 * 1000 + off).max(0) as u64;
        let w = rec.workloads.iter().find(|w| w.pid == Some(k.pid));
        let (cg, who) = match w {
            Some(w) => (short(&w.cgroup), w.name.clone()),
            None => ("top".to_string(), format!("pid {}", k.pid)),
        };
        let label = format!("OOM kill: {who}");
        s.kills.entry(cg).or_default().push(Moment {
            t_s: secs(t_ns, t0),
            label,
        });
    }
    for ph in rec.plan.iter().flat_map(|p| &p.phases) {
        let at = |key: String| rec.marks.iter().find(|m| m.key == key).map(|m| m.set.t_ns);
        if let (Some(a), Some(b)) = (at(ph.from.key()), at(ph.to.key())) {
            s.phases.push((ph.name.clone(), secs(a, t0), secs(b, t0)));
        }
    }
}

/// Per cgroup (value name), every memory line of the run, those zero throughout included:
/// what the median band over runs resamples.
pub fn memory_of_run(rec: &RunRecord) -> BTreeMap<String, Vec<Line>> {
    let all = samples(rec);
    let t0 = all.first().map_or(0, |p| p.t_ns);
    let mut names: Vec<&String> = all.iter().flat_map(|p| p.cgroups.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|cg| (short(cg), memory_lines(&all, t0, cg)))
        .collect()
}

/// The series of one run.
pub fn of_run(rec: &RunRecord) -> RunSeries {
    let all = samples(rec);
    let t0 = all.first().map_or(0, |p| p.t_ns);
    let mut s = RunSeries {
        span_s: all.last().map_or(0.0, |p| secs(p.t_ns, t0)),
        limits: limits(rec),
        vmstat: vmstat_lines(&all, t0),
        ..RunSeries::default()
    };
    let mut names: Vec<&String> = all.iter().flat_map(|p| p.cgroups.keys()).collect();
    names.sort();
    names.dedup();
    for cg in names {
        let n = short(cg);
        let (lines, zero): (Vec<Line>, Vec<Line>) = memory_lines(&all, t0, cg)
            .into_iter()
            .partition(|l| l.points.iter().any(|p| p.1 != 0.0));
        s.zero
            .insert(n.clone(), zero.into_iter().map(|l| l.label).collect());
        s.memory.insert(n.clone(), lines);
        s.events.insert(n.clone(), event_lines(&all, t0, cg));
        s.io.insert(n.clone(), io_lines(&all, t0, cg, &rec.devices));
        s.psi.insert(n, psi_lines(&all, t0, cg));
    }
    moments(rec, t0, &mut s);
    s
}
