//! What a `run` leaves behind once its records are saved: report.json, the CI files
//! (junit.xml, summary.md, metrics.prom), report.html, the terminal summary, and the exit
//! status; over several scenarios, the closing list of how each ended.

use crate::exit::{Exit, Failure};
use crate::record::raw::RawRecord;
use crate::report;
use crate::vm::timing::ScenarioTiming;
use std::path::Path;
use std::time::Instant;

/// Where one scenario's time went, as `run` measured it (the runs' own phases from their
/// records, and the time spent saving records and writing reports).
#[derive(Debug)]
pub(super) struct Spent {
    /// The scenario's start.
    t0: Instant,
    /// prepare, run, cleanup summed over the runs (None until the runs ended).
    phases: Option<[u64; 3]>,
    /// Saving record.json and writing the reports, ms.
    save_ms: Option<u64>,
}

impl Spent {
    /// A scenario starting now.
    pub(super) fn start() -> Spent {
        Spent {
            t0: Instant::now(),
            phases: None,
            save_ms: None,
        }
    }

    /// Runs `f`, adding its wall time to the save phase.
    pub(super) fn timed_save<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        *self.save_ms.get_or_insert(0) += t.elapsed().as_millis() as u64;
        out
    }

    /// Sums the runs' prepare, run and cleanup times.
    pub(super) fn runs(&mut self, record: &RawRecord) {
        let sum = |f: fn(&crate::record::raw::RunRecord) -> Option<u64>| {
            record.runs.iter().filter_map(f).sum::<u64>()
        };
        self.phases = Some([
            sum(|r| r.prepare_ms),
            sum(|r| r.run_ms),
            sum(|r| r.cleanup_ms),
        ]);
    }

    /// Inside our VM, one line per scenario for the host (`vm` shows it as the scenario's
    /// progress line and sums the phases into the kernel's time budget); elsewhere nothing.
    pub(super) fn announce(&self, name: &str, r: &anyhow::Result<Exit>) {
        if crate::vm::guest::in_vm() {
            println!("{}", self.line(name, r).to_line());
        }
    }

    /// The scenario's line: its verdict from how `run` ended, the phases measured (the save
    /// time only once the runs ended, so a scenario that stopped early has none).
    fn line(&self, name: &str, r: &anyhow::Result<Exit>) -> ScenarioTiming {
        let exit = match r {
            Ok(e) => *e,
            Err(e) => crate::exit::exit_of(e),
        };
        let verdict = match exit {
            Exit::Ok => "PASS",
            Exit::ExpectationFailed => "FAIL",
            Exit::HostCannot => "CANNOT",
            _ => "ERROR",
        };
        let [prepare_ms, run_ms, cleanup_ms] = self.phases.map_or([None; 3], |p| p.map(Some));
        let short = name.trim_end_matches(".toml").rsplit('/').next();
        ScenarioTiming {
            scenario: short.unwrap_or(name).replace(char::is_whitespace, "_"),
            verdict: verdict.into(),
            wall_ms: self.t0.elapsed().as_millis() as u64,
            prepare_ms,
            run_ms,
            cleanup_ms,
            save_ms: self.save_ms.filter(|_| self.phases.is_some()),
            idle_ms: None,
        }
        .with_idle()
    }
}

/// The closing list of several scenarios: how each ended.
pub(super) fn print_outcomes(names: &[String], outcomes: &[(String, Exit)]) {
    println!("\nscenarios:");
    for n in names {
        let what = match outcomes.iter().find(|o| &o.0 == n).map(|o| o.1) {
            Some(Exit::Ok) => "PASS",
            Some(Exit::ExpectationFailed) => "FAIL (an expectation failed)",
            Some(Exit::Usage) => "ERROR (usage or input, exit 2)",
            Some(Exit::HostCannot) => "CANNOT RUN HERE (exit 3; the reason is above)",
            Some(Exit::Infrastructure | Exit::Guest(_)) => "ERROR (infrastructure, exit 4)",
            None if crate::interrupt::requested() => "not run (interrupted)",
            None => "not run (stopped after an error)",
        };
        println!("  {n}: {what}");
    }
}

/// Analyses the record, writes the report and its companions into `out`, prints it, and
/// returns the exit status.
pub(super) fn finish(record: &RawRecord, out: &Path, no_expect: bool) -> anyhow::Result<Exit> {
    let analysis = crate::analysis::analyse(record);
    let rep = report::build(record, &analysis);
    crate::jsonfile::write(&out.join("report.json"), &rep)?;
    super::ci_out::write(out, &[report::ci::Suite::of(&rep)])?;
    crate::jsonfile::write_text(&out.join("report.html"), &crate::html::page(&rep, record))?;
    print!("{}", report::render(&rep));
    println!(
        "record: {}  report: {}",
        out.join("record.json").display(),
        out.join("report.json").display()
    );
    if let Some(sig) = crate::interrupt::received() {
        return Err(Failure {
            exit: Exit::Infrastructure,
            message: format!(
                "interrupted by {}: cleaned up; what finished is saved in {}",
                crate::interrupt::name(sig),
                out.display()
            ),
        }
        .into());
    }
    if let Some(e) = record.runs.iter().find_map(|r| r.error.clone()) {
        return Err(Failure {
            exit: Exit::Infrastructure,
            message: format!(
                "the run stopped early: {e} (what finished is saved in {})",
                out.display()
            ),
        }
        .into());
    }
    if analysis.observed_nothing() && !no_expect {
        return Err(Failure {
            exit: Exit::HostCannot,
            message: format!(
                "{}: not one check could be evaluated here, so the run judges nothing (each check's reason and fix are in the report above; what the run saw is saved in {})",
                rep.scenario,
                out.display()
            ),
        }
        .into());
    }
    Ok(if rep.passed || no_expect {
        Exit::Ok
    } else {
        Exit::ExpectationFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_that_stopped_early_has_its_verdict_and_no_phases() {
        let mut s = Spent::start();
        s.timed_save(|| ());
        let err: anyhow::Result<Exit> = Err(crate::exit::host_cannot("no swap"));
        let t = s.line("workloads/my scenario.toml", &err);
        assert_eq!(
            (t.scenario.as_str(), t.verdict.as_str()),
            ("my_scenario", "CANNOT")
        );
        assert_eq!((t.prepare_ms, t.save_ms, t.idle_ms), (None, None, None));
        s.phases = Some([5, 70, 10]);
        s.save_ms = Some(3);
        s.t0 -= std::time::Duration::from_millis(100);
        let t = s.line("anon-oom", &Ok(Exit::ExpectationFailed));
        assert_eq!(t.verdict, "FAIL");
        assert_eq!((t.run_ms, t.save_ms), (Some(70), Some(3)));
        assert_eq!(t.idle_ms, Some(t.wall_ms - 88), "the rest of the wall time");
    }
}
