//! Per-workload values: how it ended (exit, signal, OOM kill matched through the kernel log
//! or memory.events), runtimes, pass times and rates, the kill line's figures, and how long
//! after the kernel's kill line the harness saw the memory.events change.

use super::scope::{short, Values};
use crate::record::kmsg::OomKill;
use crate::record::raw::{RunRecord, WorkloadRecord};
use crate::spec::expr::Val;

fn num(out: &mut Values, k: String, v: f64) {
    out.insert(k, Val::Num(v));
}

/// Every present value of `pairs` as `prefix + name`.
fn nums(out: &mut Values, prefix: &str, pairs: &[(&str, Option<u64>)]) {
    for (name, v) in pairs {
        if let Some(v) = v {
            num(out, format!("{prefix}{name}"), *v as f64);
        }
    }
}

fn text(out: &mut Values, k: String, v: &str) {
    out.insert(k, Val::Str(v.to_string()));
}

/// The signal's name (`SIGKILL`), or its number as text.
pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| sig.to_string())
}

fn oom_events_rose(rec: &RunRecord, cgroup: &str) -> bool {
    let start = rec
        .marks
        .first()
        .and_then(|m| m.set.cgroups.get(cgroup))
        .and_then(|s| s.parse().memory_events?.oom_kill);
    let end = rec
        .marks
        .last()
        .and_then(|m| m.set.cgroups.get(cgroup))
        .and_then(|s| s.parse().memory_events?.oom_kill);
    let evented = rec.events.iter().any(|e| {
        e.cgroup == cgroup && e.values.get("oom_kill").copied().unwrap_or(0) > start.unwrap_or(0)
    });
    matches!((start, end), (Some(a), Some(b)) if b > a) || evented
}

/// Whether memory.events `oom` (a memory cgroup reached its limit and could not reclaim:
/// `mem_cgroup_oom` counts it, the global OOM killer never does) rose in `cgroup` or a run
/// cgroup above it during the run.
fn memcg_oom_rose(rec: &RunRecord, cgroup: &str) -> bool {
    let oom = |set: &crate::record::raw::SampleSet, cg: &str| {
        set.cgroups
            .get(cg)
            .and_then(|s| s.parse().memory_events?.oom)
    };
    let mut cg = cgroup;
    loop {
        let first = rec.marks.first().and_then(|m| oom(&m.set, cg));
        let last = rec.marks.last().and_then(|m| oom(&m.set, cg));
        let evented = rec.events.iter().any(|e| {
            e.cgroup == cg && e.values.get("oom").copied().unwrap_or(0) > first.unwrap_or(0)
        });
        if matches!((first, last), (Some(a), Some(b)) if b > a) || evented {
            return true;
        }
        match cg.rsplit_once('/') {
            Some((up, _)) => cg = up,
            None => return false,
        }
    }
}

/// Without the kernel log, the one kill-line fact memory.events gives as surely: a kill of
/// this workload while a memory cgroup at or above it was out of memory is a memory cgroup
/// kill (`oom_kill.constraint` = CONSTRAINT_MEMCG, `oom_kill.constraint_from` says so).
/// Anything else stays missing.
fn inferred_constraint(out: &mut Values, p: &str, rec: &RunRecord, cgroup: &str) {
    if memcg_oom_rose(rec, cgroup) {
        text(out, format!("{p}oom_kill.constraint"), "CONSTRAINT_MEMCG");
        text(
            out,
            format!("{p}oom_kill.constraint_from"),
            "memory.events (no kernel log): oom rose in a cgroup at or above the victim's",
        );
    }
}

/// `oom`, `harness`, `signal`, `none` or `not-started`.
pub fn killed_by(rec: &RunRecord, w: &WorkloadRecord, kill: Option<&OomKill>) -> &'static str {
    match (w.pid, w.signal) {
        (None, _) => "not-started",
        (Some(_), None) => "none",
        (Some(_), Some(libc::SIGKILL)) if kill.is_some() => "oom",
        (Some(_), Some(_)) if w.killed_by_harness => "harness",
        (Some(_), Some(libc::SIGKILL)) if oom_events_rose(rec, &w.cgroup) => "oom",
        _ => "signal",
    }
}

fn kill_values(out: &mut Values, p: &str, k: &OomKill, rec: &RunRecord, cgroup: &str) {
    let sizes = [
        ("anon_rss_bytes", k.anon_rss_bytes),
        ("file_rss_bytes", k.file_rss_bytes),
        ("shmem_rss_bytes", k.shmem_rss_bytes),
        ("total_vm_bytes", k.total_vm_bytes),
    ];
    nums(out, &format!("{p}oom_kill."), &sizes);
    if let Some(a) = k.oom_score_adj {
        num(out, format!("{p}oom_kill.oom_score_adj"), a as f64);
    }
    if k.event > 0 {
        num(out, format!("{p}oom_kill.event"), k.event as f64);
    }
    for (name, v) in [
        ("constraint", &k.constraint),
        ("oom_memcg", &k.oom_memcg),
        ("task_memcg", &k.task_memcg),
    ] {
        if let Some(v) = v {
            text(out, format!("{p}oom_kill.{name}"), v);
        }
    }
    text(
        out,
        format!("{p}oom_kill.reaped"),
        if k.reaped { "true" } else { "false" },
    );
    text(
        out,
        format!("{p}oom_kill.oom_group"),
        if k.oom_group { "true" } else { "false" },
    );
    if let Some(us) = notice_delay_us(k, rec, cgroup) {
        num(out, format!("{p}oom_kill.delay_us"), us);
    }
}

/// How long after the kernel's kill line (calibrated kmsg time) the harness saw the cgroup's
/// memory.events report the kill, µs.
fn notice_delay_us(k: &OomKill, rec: &RunRecord, cgroup: &str) -> Option<f64> {
    let offset = rec.kmsg_offset_ns?;
    let kill_ns = k.usec as i64 * 1000 + offset;
    let seen = rec.events.iter().find(|e| {
        e.cgroup == cgroup
            && e.file == "memory.events"
            && e.values.get("oom_kill").copied().unwrap_or(0) > 0
            && e.t_ns as i64 >= kill_ns - 50_000_000
    })?;
    Some((seen.t_ns as i64 - kill_ns) as f64 / 1000.0)
}

fn pass_values(out: &mut Values, p: &str, w: &WorkloadRecord) {
    let mut prev = w
        .progress
        .iter()
        .find(|e| e.event == "start")
        .map(|e| e.t_mono_ns);
    for e in w.progress.iter().filter(|e| e.event == "pass_end") {
        if let Some(t0) = prev {
            let ms = e.t_mono_ns.saturating_sub(t0) as f64 / 1e6;
            num(out, format!("{p}pass.{}.ms", e.pass), ms);
            if ms > 0.0 {
                num(
                    out,
                    format!("{p}pass.{}.bytes_per_s", e.pass),
                    e.bytes as f64 / (ms / 1e3),
                );
            }
            num(out, format!("{p}pass.{}.bytes", e.pass), e.bytes as f64);
        }
        prev = Some(e.t_mono_ns);
    }
    for e in w.progress.iter().filter(|e| e.event == "resident") {
        let key = format!("{p}pass.{}.resident_before_bytes", e.pass);
        num(out, key, e.bytes as f64);
    }
    let passes = w.progress.iter().filter(|e| e.event == "pass_end").count();
    num(out, format!("{p}passes"), passes as f64);
}

/// How fast its cgroup's memory.current rose while it ran: from the first sample after its
/// start to the highest, bytes/s. A rate-paced or killed workload ends no pass, so this is
/// the rate it reached (TCG caps a nominal `--rate`); None with fewer than two samples.
fn climb_rate(rec: &RunRecord, w: &WorkloadRecord) -> Option<f64> {
    let (start, end) = (w.start_ns?, w.exit_ns.unwrap_or(u64::MAX));
    let current = |s: &crate::record::raw::SampleSet| {
        let c = s.cgroups.get(&w.cgroup)?.current.as_ref()?;
        c.as_str().trim().parse::<u64>().ok()
    };
    let sets = rec.samples.iter().chain(rec.marks.iter().map(|m| &m.set));
    let mut points: Vec<(u64, u64)> = sets
        .filter(|s| s.t_ns >= start && s.t_ns <= end)
        .filter_map(|s| Some((s.t_ns, current(s)?)))
        .collect();
    points.sort_unstable();
    let mut points = points.into_iter();
    let first = points.next()?;
    let peak = points.fold(first, |m, p| if p.1 > m.1 { p } else { m });
    let secs = peak.0.checked_sub(first.0)? as f64 / 1e9;
    (secs > 0.0).then(|| peak.1.saturating_sub(first.1) as f64 / secs)
}

/// The last non-empty line a workload printed (why it failed, when it exited non-zero).
fn last_line(output: &str) -> Option<&str> {
    output.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

/// Runtime, time to its `end`, pass times and rates, and the climb rate of its cgroup.
fn time_values(out: &mut Values, p: &str, rec: &RunRecord, w: &WorkloadRecord) {
    if let (Some(a), Some(b)) = (w.start_ns, w.exit_ns) {
        num(
            out,
            format!("{p}runtime_ms"),
            b.saturating_sub(a) as f64 / 1e6,
        );
    }
    if let (Some(a), Some(e)) = (w.start_ns, w.progress.iter().find(|e| e.event == "end")) {
        num(
            out,
            format!("{p}work_ms"),
            e.t_mono_ns.saturating_sub(a) as f64 / 1e6,
        );
    }
    pass_values(out, p, w);
    if let Some(r) = climb_rate(rec, w) {
        num(out, format!("{p}climb_bytes_per_s"), r);
    }
}

/// Adds `workload.NAME.*` for every workload of the run.
pub fn values(out: &mut Values, rec: &RunRecord, kills: &[OomKill]) {
    for w in &rec.workloads {
        let p = format!("workload.{}.", w.name);
        let kill = w.pid.and_then(|pid| kills.iter().find(|k| k.pid == pid));
        let by = killed_by(rec, w, kill);
        text(out, format!("{p}killed_by"), by);
        num(
            out,
            format!("{p}oom_killed"),
            f64::from(u8::from(by == "oom")),
        );
        if let Some(c) = w.exit_code {
            num(out, format!("{p}exit_code"), c as f64);
            if let (true, Some(line)) = (c != 0, last_line(&w.output_tail)) {
                text(out, format!("{p}error"), line);
            }
        }
        if let Some(s) = w.signal {
            num(out, format!("{p}signal"), s as f64);
            text(out, format!("{p}signal_name"), &signal_name(s));
        }
        time_values(out, &p, rec, w);
        if let Some(k) = kill {
            kill_values(out, &p, k, rec, &w.cgroup);
        } else if by == "oom" && rec.unread.contains_key(super::unread::KMSG) {
            inferred_constraint(out, &p, rec, &w.cgroup);
        }
        if let Some(pr) = &w.last_proc {
            let figures = [
                ("rss_anon_bytes", pr.rss_anon_bytes),
                ("rss_file_bytes", pr.rss_file_bytes),
                ("rss_shmem_bytes", pr.rss_shmem_bytes),
            ];
            nums(out, &format!("{p}last."), &figures);
            if let Some(s) = pr.oom_score {
                num(out, format!("{p}last.oom_score"), s as f64);
            }
        }
        text(out, format!("{p}cgroup"), &short(&w.cgroup));
    }
}
