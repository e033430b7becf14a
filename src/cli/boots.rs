//! `vm --boots N` with a `run` command: the guest command runs once per fresh boot (in random
//! run order), each boot's output in `<release>/boot-K/`; afterwards the records of each
//! scenario are merged across boots into `<release>/<scenario>/report.json`, whose medians
//! and verdicts span every boot (boot-to-boot variance dominates some behaviours).

use crate::exit::Exit;
use crate::record::raw::RawRecord;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `vm --boots`' long help: what it does, and how many values `compare` can judge per
/// family at a number of runs a side (stats::power, so the figures follow compare's test).
pub fn help() -> String {
    use crate::compare::judge::{FDR, MIN_RUNS};
    use crate::stats::power::max_values;
    let each: Vec<String> = (MIN_RUNS..MIN_RUNS + 4)
        .map(|n| format!("{n} runs: ≤ {} values", max_values(n, FDR)))
        .collect();
    format!(
        "Run the command on N fresh boots of each kernel, into <out>/<release>/boot-K/. For \
         `run`, the runs go in random order on each boot and each scenario's records are then \
         merged into <out>/<release>/<scenario>/report.json, judged on medians over all boots.\n\n\
         Runs a side (boots × --repeat) decide what `compare` can judge: one moved value reaches \
         q < {FDR} in a family of m values only when m × 2/C(2n, n) < {FDR}, so {} \
         (a scenario's primary family is the values its checks and observations read; compare \
         prints what each family needs).",
        each.join("; ")
    )
}

/// Whether the guest command is cgharness `run`.
pub fn is_run(exec: bool, args: &[String]) -> bool {
    !exec && args.first().map(String::as_str) == Some("run")
}

/// The guest arguments for several boots of `run`: `--order random` unless an order was
/// given, so no variant always runs first after boot (each boot draws its own seed).
pub fn shuffled_args(args: &[String]) -> Vec<String> {
    if args
        .iter()
        .any(|a| a == "--order" || a.starts_with("--order="))
    {
        return args.to_vec();
    }
    let mut v = args.to_vec();
    v.splice(1..1, ["--order".to_string(), "random".to_string()]);
    v
}

/// Every `record.json` at most three directories below `dir`, sorted by path.
fn records_under(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() && depth > 0 {
            records_under(&p, depth - 1, out);
        } else if p.file_name().is_some_and(|n| n == "record.json") {
            out.push(p);
        }
    }
}

/// Merges the records of `boots` boots under `dir` (`boot-1` … `boot-N`) per scenario, writes
/// `<dir>/<scenario>/` record.json (merged), report.json and report.html, prints each report,
/// and returns the worst verdict.
pub fn combine(dir: &Path, boots: u32) -> anyhow::Result<Exit> {
    let mut by_scenario: BTreeMap<String, Vec<(String, RawRecord)>> = BTreeMap::new();
    for b in 1..=boots {
        let mut found = Vec::new();
        records_under(&dir.join(format!("boot-{b}")), 3, &mut found);
        for p in found {
            let (name, rec) = super::scenario::load_record(&p)?;
            by_scenario
                .entry(rec.plan.scenario.clone())
                .or_default()
                .push((name, rec));
        }
    }
    if by_scenario.is_empty() {
        eprintln!("no run records came back from the boots; nothing to combine");
        return Ok(Exit::Infrastructure);
    }
    let mut worst = Exit::Ok;
    for (scenario, records) in by_scenario {
        let n = records.len() as u32;
        let (merged, rep) = super::scenario::merged(records)?;
        let dest = dir.join(&scenario);
        std::fs::create_dir_all(&dest)?;
        // The merged record beside its report: `analyze`, `report.html` and compare.html
        // read it like any run's.
        crate::record::store::RecordWriter::new(&dest).save(&merged)?;
        let path = dest.join("report.json");
        crate::jsonfile::write(&path, &rep)?;
        crate::jsonfile::write_text(&dest.join("report.html"), &crate::html::page(&rep, &merged))?;
        println!("\n== {scenario} over {n} of {boots} boots");
        print!("{}", crate::report::render(&rep));
        println!("report: {}", path.display());
        if n < boots {
            eprintln!("{scenario}: only {n} of {boots} boots left a record");
            worst = worst.worse(Exit::Infrastructure);
        }
        if !rep.passed {
            worst = worst.worse(Exit::ExpectationFailed);
        }
    }
    Ok(worst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_help_says_how_many_values_each_run_count_can_judge() {
        let h = help();
        assert!(
            h.contains("5 runs: ≤ 6 values; 6 runs: ≤ 23 values; 7 runs: ≤ 85 values; 8 runs: ≤ 321 values ("),
            "{h}"
        );
    }

    #[test]
    fn several_boots_of_run_shuffle_unless_an_order_was_given() {
        assert!(is_run(false, &words("run anon-oom")));
        assert!(!is_run(true, &words("run")));
        assert!(!is_run(false, &words("doctor")));
        assert_eq!(
            shuffled_args(&words("run all --scale 1/16")),
            words("run --order random all --scale 1/16")
        );
        let given = words("run x --order declared");
        assert_eq!(shuffled_args(&given), given);
    }
}
