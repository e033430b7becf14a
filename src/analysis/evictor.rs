//! The evictor's timeline as values, and who acted first on a node-wide shortage: the
//! kubelet-like evictor or the kernel's OOM killer (`node.first_actor`).

use super::scope::Values;
use crate::record::kmsg::OomKill;
use crate::record::raw::RunRecord;
use crate::spec::expr::Val;

fn num(out: &mut Values, k: &str, v: f64) {
    out.insert(k.to_string(), Val::Num(v));
}

/// Adds `evictor.*`, `kmsg.first_oom_kill_ms` and `node.first_actor` (runs with an evictor).
pub fn values(out: &mut Values, rec: &RunRecord, kills: &[OomKill], threshold: u64) {
    let Some(t0) = rec
        .marks
        .iter()
        .find(|m| m.key == "run:start")
        .map(|m| m.set.t_ns)
    else {
        return;
    };
    let ms = |t: u64| t.saturating_sub(t0) as f64 / 1e6;
    let polls: Vec<_> = rec.evictor.iter().filter(|e| e.kind == "poll").collect();
    num(out, "evictor.polls", polls.len() as f64);
    if let Some(first) = polls.first() {
        num(out, "evictor.first_poll_ms", ms(first.t_ns));
    }
    if let Some(min) = polls.iter().filter_map(|e| e.available_bytes).min() {
        num(out, "evictor.min_available_bytes", min as f64);
    }
    let met = polls
        .iter()
        .find(|e| e.available_bytes.is_some_and(|a| a < threshold));
    if let Some(m) = met {
        num(out, "evictor.first_met_ms", ms(m.t_ns));
    }
    let evicts: Vec<_> = rec.evictor.iter().filter(|e| e.kind == "evict").collect();
    num(out, "evictor.evictions", evicts.len() as f64);
    let triggers = rec.evictor.iter().filter(|e| e.kind == "trigger").count();
    num(out, "evictor.triggers", triggers as f64);
    let evicted_ns = evicts.first().map(|e| e.t_ns);
    if let Some(t) = evicted_ns {
        num(out, "evictor.first_eviction_ms", ms(t));
    }
    let kill_ns = rec.kmsg_offset_ns.and_then(|off| {
        let k = kills.iter().map(|k| k.usec).min()?;
        u64::try_from(k as i64 * 1000 + off).ok()
    });
    if let Some(t) = kill_ns {
        num(out, "kmsg.first_oom_kill_ms", ms(t));
    }
    let first = match (evicted_ns, kill_ns) {
        (Some(e), Some(k)) if e <= k => "kubelet",
        (Some(_), Some(_)) | (None, Some(_)) => "kernel",
        (Some(_), None) => "kubelet",
        (None, None) => "none",
    };
    out.insert("node.first_actor".into(), Val::Str(first.into()));
}

/// The pods the evictor evicted.
pub fn evicted(rec: &RunRecord) -> Vec<&str> {
    rec.evictor
        .iter()
        .filter(|e| e.kind == "evict")
        .filter_map(|e| e.pod.as_deref())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::evictor::EvictorEvent;
    use crate::record::raw::{MarkRecord, SampleSet};

    fn ev(t_ms: u64, kind: &str, avail: Option<u64>) -> EvictorEvent {
        EvictorEvent {
            t_ns: t_ms * 1_000_000,
            kind: kind.into(),
            available_bytes: avail,
            pod: Some("web".into()),
            detail: None,
        }
    }

    fn run(events: Vec<EvictorEvent>, kill_usec: Option<u64>) -> (RunRecord, Vec<OomKill>) {
        let rec = RunRecord {
            marks: vec![MarkRecord {
                key: "run:start".into(),
                set: SampleSet {
                    t_ns: 1_000_000_000,
                    ..Default::default()
                },
            }],
            evictor: events,
            kmsg_offset_ns: Some(0),
            ..Default::default()
        };
        let kills = kill_usec
            .map(|u| {
                vec![OomKill {
                    usec: u,
                    ..Default::default()
                }]
            })
            .unwrap_or_default();
        (rec, kills)
    }

    #[test]
    fn who_acted_first_and_when() {
        let polls = vec![
            ev(2000, "poll", Some(500)),
            ev(3000, "poll", Some(90)),
            ev(3001, "evict", Some(90)),
        ];
        let (rec, kills) = run(polls.clone(), Some(5_000_000));
        let mut v = Values::new();
        values(&mut v, &rec, &kills, 100);
        assert_eq!(v["node.first_actor"], Val::Str("kubelet".into()));
        assert_eq!(v["evictor.first_met_ms"], Val::Num(2000.0));
        assert_eq!(v["evictor.first_eviction_ms"], Val::Num(2001.0));
        assert_eq!(v["evictor.min_available_bytes"], Val::Num(90.0));
        assert_eq!(v["kmsg.first_oom_kill_ms"], Val::Num(4000.0));
        let (rec, kills) = run(polls, Some(2_500_000));
        let mut v = Values::new();
        values(&mut v, &rec, &kills, 100);
        assert_eq!(v["node.first_actor"], Val::Str("kernel".into()));
        let (rec, kills) = run(vec![ev(2000, "poll", Some(500))], None);
        let mut v = Values::new();
        values(&mut v, &rec, &kills, 100);
        assert_eq!(v["node.first_actor"], Val::Str("none".into()));
        assert_eq!(v["evictor.evictions"], Val::Num(0.0));
    }
}
