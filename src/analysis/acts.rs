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

#[cfg(test)]
mod tests {
    use super::super::tests::thrash_record;
    use crate::record::acts::{ActionRecord, WaitRecord};
    use crate::spec::expr::Val;

    #[test]
    fn actions_waits_and_the_kernel_version_are_values_checks_can_read() {
        let mut r = thrash_record(1 << 20);
        r.kernel_release = "6.12.117+deb12-cloud-amd64".into();
        let run = &mut r.runs[0];
        run.actions = vec![
            ActionRecord {
                name: "reclaim".into(),
                start_ns: 500_000_000,
                end_ns: Some(1_700_000_000),
                errno: Some("EAGAIN".into()),
                error: Some("Resource temporarily unavailable".into()),
                ..Default::default()
            },
            ActionRecord {
                name: "peak".into(),
                start_ns: 1_800_000_000,
                end_ns: Some(1_800_100_000),
                peak_bytes: Some(4096),
                ..Default::default()
            },
            // Began, but the run ended before the kernel answered: no answer, no errno.
            ActionRecord {
                name: "late".into(),
                start_ns: 2_000_000_000,
                ..Default::default()
            },
        ];
        run.waits = vec![WaitRecord {
            name: "filled".into(),
            start_ns: 100_000_000,
            met_ns: Some(400_000_000),
            timed_out: false,
            resolution_ms: 100,
        }];
        let a = super::super::analyse_run(&r, &r.runs[0]);
        let v = |k: &str| a.values.get(k).cloned();
        assert_eq!(v("action.reclaim.errno"), Some(Val::Str("EAGAIN".into())));
        assert_eq!(v("action.reclaim.failed"), Some(Val::Str("true".into())));
        assert_eq!(v("action.reclaim.duration_ms"), Some(Val::Num(1200.0)));
        assert_eq!(v("action.reclaim.start_ms"), Some(Val::Num(500.0)));
        assert_eq!(v("action.peak.errno"), Some(Val::Str("none".into())));
        assert_eq!(v("action.peak.peak"), Some(Val::Num(4096.0)));
        assert_eq!(v("action.late.errno"), None);
        assert_eq!(v("action.late.start_ms"), Some(Val::Num(2000.0)));
        assert_eq!(v("wait.filled.met_ms"), Some(Val::Num(400.0)));
        assert_eq!(v("wait.filled.resolution_ms"), Some(Val::Num(100.0)));
        assert_eq!(v("kernel.major"), Some(Val::Num(6.0)));
        assert_eq!(v("kernel.minor"), Some(Val::Num(12.0)));
    }
}
