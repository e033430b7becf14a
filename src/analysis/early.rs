//! Which of a run's values are missing because the run ended early, and why: a phase whose
//! end mark never came (its workload was OOM-killed, exited, or the run timed out first), a
//! workload that never started (the mark it waited for never came), the passes a killed
//! workload never finished. A check that is unanswerable in a run only because of such paths
//! fails in that run with the reason; a path missing for any other reason (a value this
//! kernel does not have) stays "n/a". Pure: reads the run's record and plan, decides nothing
//! about verdicts.

use crate::plan::{Mark, RunPlan};
use crate::record::kmsg::OomKill;
use crate::record::raw::{RunRecord, WorkloadRecord};
use serde::{Deserialize, Serialize};

/// Values a run cannot answer because it ended early.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// Every path that starts with this (`phase.second-read.`, `workload.b.`) …
    pub prefix: String,
    /// … (for `workload.W.pass.`: only passes numbered this or higher) …
    #[serde(default)]
    pub from_pass: Option<u32>,
    /// … is missing for this reason.
    pub reason: String,
}

impl Gap {
    fn covers(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix(&self.prefix) else {
            return false;
        };
        match self.from_pass {
            None => true,
            Some(first) => rest
                .split('.')
                .next()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n >= first),
        }
    }
}

/// Why `missing` (the paths a check lacked in one run) are all gone because the run ended
/// early: the distinct reasons joined, or None when some path is missing for another
/// reason (or none is missing).
pub fn explain(gaps: &[Gap], missing: &[String]) -> Option<String> {
    let mut reasons: Vec<&str> = Vec::new();
    for path in missing {
        let gap = gaps.iter().find(|g| g.covers(path))?;
        if !reasons.contains(&gap.reason.as_str()) {
            reasons.push(&gap.reason);
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// What the run's record says about its marks and workloads.
struct Run<'a> {
    rec: &'a RunRecord,
    plan: &'a RunPlan,
    kills: &'a [OomKill],
    t0: Option<u64>,
}

impl Run<'_> {
    fn reached(&self, m: &Mark) -> bool {
        let key = m.key();
        self.rec.marks.iter().any(|r| r.key == key)
    }

    fn at(&self, t_ns: Option<u64>) -> String {
        match (t_ns, self.t0) {
            (Some(t), Some(t0)) => format!(" at {:.1} s", t.saturating_sub(t0) as f64 / 1e9),
            _ => String::new(),
        }
    }

    fn run_ended(&self) -> String {
        match self.rec.error.as_ref().or(self.rec.stopped.as_ref()) {
            Some(e) => format!("the run ended first ({e})"),
            None => "the run ended first".into(),
        }
    }

    /// How workload `w` ended (`was killed by the OOM killer at 3.2 s`); None when it
    /// exited normally.
    fn how(&self, w: &WorkloadRecord) -> Option<String> {
        let t = self.at(w.exit_ns);
        let kill = w
            .pid
            .and_then(|pid| self.kills.iter().find(|k| k.pid == pid));
        let by = super::workloads::killed_by(self.rec, w, kill);
        Some(match (by, w.exit_code, w.signal) {
            ("oom", ..) => format!("was killed by the OOM killer{t}"),
            ("harness", ..) => format!("was stopped by the harness{t}: {}", self.run_ended()),
            (_, _, Some(s)) => format!("was killed by {}{t}", super::workloads::signal_name(s)),
            (_, Some(0), _) => return None,
            (_, Some(c), _) => format!("exited with code {c}{t}"),
            _ => format!("was still running: {}", self.run_ended()),
        })
    }

    /// Why workload `w` never reached `key`.
    fn ended(&self, w: &WorkloadRecord, key: &str) -> String {
        match self.how(w) {
            Some(how) => format!("{} {how} before {key}", w.name),
            None => format!(
                "{} exited normally{} without reaching {key}",
                w.name,
                self.at(w.exit_ns)
            ),
        }
    }

    /// Why mark `m` never happened (`depth` bounds the chain of never-started workloads).
    fn why(&self, m: &Mark, depth: u32) -> String {
        let key = m.key();
        let w = self.rec.workloads.iter().find(|w| w.name == m.who);
        match w {
            None => format!("{key} never happened: {}", self.run_ended()),
            Some(w) if w.pid.is_none() => {
                format!("{key} never happened: {}", self.not_started(&w.name, depth))
            }
            Some(w) => self.ended(w, &key),
        }
    }

    /// Why workload `name` never started.
    fn not_started(&self, name: &str, depth: u32) -> String {
        let waits = self
            .plan
            .workloads
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.after.iter().chain(&p.also_after).cloned().collect())
            .unwrap_or_else(Vec::new);
        match waits.iter().find(|m| !self.reached(m)) {
            Some(m) if depth > 0 => format!(
                "{name} never started: it waits for {}, and {}",
                m.key(),
                self.why(m, depth - 1)
            ),
            Some(m) => format!("{name} never started: it waits for {}", m.key()),
            None => format!("{name} never started: {}", self.run_ended()),
        }
    }
}

/// Every gap of one run: phases that never ended (or never started), workloads that never
/// started, and the passes and finish of workloads that did not end normally. `kills` are
/// the run's OOM kills from the kernel log.
pub fn gaps(plan: &RunPlan, rec: &RunRecord, kills: &[OomKill]) -> Vec<Gap> {
    let t0 = rec.marks.iter().find(|m| m.key == "run:start");
    let run = Run {
        rec,
        plan,
        kills,
        t0: t0.map(|m| m.set.t_ns),
    };
    let mut out = Vec::new();
    for ph in &plan.phases {
        let (from, to) = (run.reached(&ph.from), run.reached(&ph.to));
        let reason = match (from, to) {
            (true, true) => continue,
            (false, _) => format!("phase {} never started: {}", ph.name, run.why(&ph.from, 3)),
            (true, false) => format!("phase {} never ended: {}", ph.name, run.why(&ph.to, 3)),
        };
        out.push(Gap {
            prefix: format!("phase.{}.", ph.name),
            from_pass: None,
            reason,
        });
    }
    for w in &rec.workloads {
        workload_gaps(&run, w, &mut out);
    }
    out
}

fn workload_gaps(run: &Run, w: &WorkloadRecord, out: &mut Vec<Gap>) {
    let p = format!("workload.{}.", w.name);
    if w.pid.is_none() {
        out.push(Gap {
            prefix: p,
            from_pass: None,
            reason: run.not_started(&w.name, 3),
        });
        return;
    }
    let Some(how) = run.how(w) else {
        return;
    };
    let n = &w.name;
    if w.exit_code.is_none() {
        out.push(Gap {
            prefix: format!("{p}exit_code"),
            from_pass: None,
            reason: format!("{n} {how}, so it has no exit code"),
        });
    }
    let done = w.progress.iter().filter(|e| e.event == "pass_end").count() as u32;
    out.push(Gap {
        prefix: format!("{p}pass."),
        from_pass: Some(done),
        reason: format!("{n} {how} before {n}:pass_end:{done}"),
    });
    if !w.progress.iter().any(|e| e.event == "end") {
        out.push(Gap {
            prefix: format!("{p}work_ms"),
            from_pass: None,
            reason: format!("{n} {how} before {n}:done"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(prefix: &str, from_pass: Option<u32>) -> Gap {
        Gap {
            prefix: prefix.into(),
            from_pass,
            reason: format!("gone: {prefix}"),
        }
    }

    #[test]
    fn only_paths_every_one_of_which_a_gap_covers_are_explained() {
        let gaps = [
            gap("phase.second-read.", None),
            gap("workload.r.pass.", Some(2)),
        ];
        let paths = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            explain(&gaps, &paths(&["phase.second-read.io.data.rbytes"])).as_deref(),
            Some("gone: phase.second-read.")
        );
        assert_eq!(
            explain(
                &gaps,
                &paths(&["workload.r.pass.2.ms", "workload.r.pass.10.ms"])
            )
            .as_deref(),
            Some("gone: workload.r.pass."),
            "one reason said once"
        );
        assert_eq!(explain(&gaps, &paths(&["workload.r.pass.1.ms"])), None);
        assert_eq!(
            explain(
                &gaps,
                &paths(&["phase.second-read.x", "cgroup.pod.peak.swap_current"])
            ),
            None,
            "a value the kernel lacks keeps the check n/a"
        );
        assert_eq!(explain(&gaps, &[]), None);
    }
}
