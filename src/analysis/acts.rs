//! Values of a run's waits and actions: `action.NAME.{errno, failed, start_ms, duration_ms,
//! peak, peak_end}` and `wait.NAME.{met, met_ms, resolution_ms}` (times from the run's start).

use super::scope::Values;
use crate::record::raw::RunRecord;
use crate::spec::expr::Val;

/// Adds the run's action and wait values.
pub fn values(out: &mut Values, rec: &RunRecord) {
    let t0 = rec
        .marks
        .iter()
        .find(|m| m.key == "run:start")
        .map(|m| m.set.t_ns);
    let ms = |t: u64| t0.map(|t0| t.saturating_sub(t0) as f64 / 1e6);
    for a in &rec.actions {
        let p = format!("action.{}", a.name);
        if let Some(v) = ms(a.start_ns) {
            out.insert(format!("{p}.start_ms"), Val::Num(v));
        }
        let Some(end) = a.end_ns else { continue };
        out.insert(
            format!("{p}.duration_ms"),
            Val::Num(end.saturating_sub(a.start_ns) as f64 / 1e6),
        );
        let errno = a.errno.clone().unwrap_or_else(|| "none".into());
        out.insert(
            format!("{p}.failed"),
            Val::Str((a.error.is_some()).to_string()),
        );
        out.insert(format!("{p}.errno"), Val::Str(errno));
        for (k, v) in [("peak", a.peak_bytes), ("peak_end", a.peak_end_bytes)] {
            if let Some(v) = v {
                out.insert(format!("{p}.{k}"), Val::Num(v as f64));
            }
        }
    }
    for w in &rec.waits {
        let p = format!("wait.{}", w.name);
        out.insert(format!("{p}.met"), Val::Str(w.met_ns.is_some().to_string()));
        out.insert(
            format!("{p}.resolution_ms"),
            Val::Num(w.resolution_ms as f64),
        );
        if let Some(v) = w.met_ns.and_then(ms) {
            out.insert(format!("{p}.met_ms"), Val::Num(v));
        }
    }
}
