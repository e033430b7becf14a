//! What a `run` leaves behind once its records are saved: report.json, the CI files
//! (junit.xml, summary.md, metrics.prom), report.html, the terminal summary, and the exit
//! status; over several scenarios, the closing list of how each ended.

use crate::exit::{Exit, Failure};
use crate::record::raw::RawRecord;
use crate::report;
use std::path::Path;

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
