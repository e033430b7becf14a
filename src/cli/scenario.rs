//! `cgharness list | show | analyze`: the catalogue and saved records, read-only. `analyze`
//! merges several records of one scenario (separate boots) into one report.

use super::run::spec_error;
use crate::exit::{usage, Exit};
use crate::record::raw::RawRecord;
use crate::report;
use crate::spec::{self, catalogue};
use std::path::{Path, PathBuf};

/// Options of `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A scenario name or path.
    pub scenario: String,
    /// Show pods' derived values at this scale (`1/16`), as `run --scale` would set them.
    #[arg(long, default_value = "1")]
    pub scale: String,
}

/// Options of `analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// A record.json (or the run directory holding it). Several records of the same scenario
    /// and kernel (e.g. one per fresh boot) are merged: statistics and verdicts span them all.
    #[arg(required = true)]
    pub records: Vec<PathBuf>,
    /// Print the report as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Reads a record.json (or the run directory holding it), checking its schema version.
pub fn load_record(given: &Path) -> anyhow::Result<(String, RawRecord)> {
    let path = if given.is_dir() {
        given.join("record.json")
    } else {
        given.to_path_buf()
    };
    let name = path.display().to_string();
    let record: RawRecord = crate::record::store::load(&path)?;
    Ok((name, record))
}

/// One report over `records` (merged as separate boots when there are several).
pub fn report_over(records: Vec<(String, RawRecord)>) -> anyhow::Result<report::Report> {
    merged(records).map(|m| m.1)
}

/// `records` merged (as separate boots when there are several), and their report.
pub fn merged(records: Vec<(String, RawRecord)>) -> anyhow::Result<(RawRecord, report::Report)> {
    let record = crate::record::merge::merge(records).map_err(|e| usage(e.to_string()))?;
    let analysis = crate::analysis::analyse(&record);
    let rep = report::build(&record, &analysis);
    Ok((record, rep))
}

/// Runs `analyze`.
pub fn analyze(a: AnalyzeArgs) -> anyhow::Result<Exit> {
    let records = a
        .records
        .iter()
        .map(|p| load_record(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if records.iter().all(|r| r.1.runs.is_empty()) {
        return Err(usage(format!(
            "{} holds no finished run (the run was stopped or failed before its first run ended): nothing to analyze",
            a.records
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let rep = report_over(records)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        print!("{}", report::render(&rep));
    }
    Ok(if rep.passed {
        Exit::Ok
    } else {
        Exit::ExpectationFailed
    })
}

/// Runs `list`.
pub fn list() -> anyhow::Result<Exit> {
    for (name, _) in catalogue::BUILTIN {
        let src = catalogue::lookup(name).map_err(spec_error)?;
        let s = spec::parse(&src).map_err(spec_error)?;
        println!(
            "{name:<22} {:<16} {}",
            s.seed.unwrap_or_default(),
            s.shows.unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

/// Parameters (and which scale) and variants, for `show`.
fn show_params(s: &spec::Spec) -> anyhow::Result<()> {
    println!("parameters:");
    for (k, v) in &s.params {
        let d = spec::params::declare(v).map_err(usage)?;
        let scaled = matches!(
            d.kind,
            spec::params::Kind::Size { scale: true, .. }
                | spec::params::Kind::Quantity { scale: true }
        );
        println!(
            "  {k:<14} = {:<10} {}",
            d.default,
            if scaled { "(scaled by --scale)" } else { "" }
        );
    }
    for (k, vals) in &s.variants {
        println!(
            "variants: {k} = {}",
            vals.iter()
                .filter_map(spec::params::scalar_text)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for v in &s.variant {
        println!(
            "variant: {}",
            v.iter()
                .map(|(k, x)| format!("{k}={}", spec::params::scalar_text(x).unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Runs `show`.
pub fn show(a: ShowArgs) -> anyhow::Result<Exit> {
    let src = catalogue::lookup(&a.scenario).map_err(spec_error)?;
    let s = spec::parse(&src).map_err(spec_error)?;
    println!(
        "{} — seed {}\n\n{}\n",
        s.name,
        s.seed.as_deref().unwrap_or("-"),
        s.description.trim()
    );
    if let Some(x) = &s.shows {
        println!("must show: {x}\n");
    }
    show_params(&s)?;
    println!("cgroups:");
    for c in &s.cgroup {
        println!(
            "  {}",
            toml::to_string(c)
                .unwrap_or_default()
                .replace('\n', "  ")
                .trim()
        );
    }
    let settings = fidelity_by_workload(&src, &s);
    println!("workloads (settings that change the kernel's answer, at the documents' sizes):");
    for w in &s.workload {
        println!(
            "  {:<14} in {:<10} {}{}",
            w.name,
            w.cgroup,
            w.run,
            w.after
                .as_ref()
                .map(|x| format!("  (after {})", x.marks().join(" and ")))
                .unwrap_or_default()
        );
        for line in settings.get(&w.name).into_iter().flatten() {
            println!("      {line}");
        }
    }
    if !s.pod.is_empty() {
        show_pods(&src, &s, &a.scale)?;
    }
    show_acts(&s);
    show_expectations(&s);
    if let Some(n) = &s.notes {
        println!("\nnotes: {}", n.trim());
    }
    Ok(Exit::Ok)
}

/// The kubelet's tree and the containers, from the plan at `scale` (first variant).
fn show_pods(src: &spec::Source, s: &spec::Spec, scale: &str) -> anyhow::Result<()> {
    let ratio = spec::params::parse_scale(scale).map_err(crate::exit::usage)?;
    let opts = crate::plan::Options::plain(ratio, "/data");
    let plan = crate::plan::build(src, s.clone(), opts, &|_| Ok(())).map_err(spec_error)?;
    if let Some(run) = plan.runs.first() {
        super::show_pods::print(run, ratio);
    }
    Ok(())
}

/// Per workload, the effective settings of its planned command line at scale 1, one line
/// per distinct setting (prefixed by the variants it holds for when they differ).
fn fidelity_by_workload(
    src: &spec::Source,
    s: &spec::Spec,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out: std::collections::BTreeMap<String, Vec<(String, Vec<String>)>> =
        Default::default();
    let mut opts = crate::plan::Options::plain(1.0, "/data");
    // Disk numbers only enter io.max lines, which `show` does not print; any will do.
    for (name, minor) in [("data", 0), ("swap", 16)] {
        let dev = crate::cgroupfs::io::DevId { major: 254, minor };
        opts.devices.insert(name.to_string(), dev);
    }
    let plan = match crate::plan::build(src, s.clone(), opts, &|_| Ok(())) {
        Ok(p) => p,
        Err(e) => {
            println!("  (settings not shown: {e})");
            return Default::default();
        }
    };
    for run in plan.runs.iter().filter(|r| r.repetition == 0) {
        for w in &run.workloads {
            let f = crate::workload::fidelity::fidelity(&w.argv);
            let line = format!("{}: {f}", f.kind);
            let seen = out.entry(w.name.clone()).or_default();
            match seen.iter_mut().find(|(l, _)| *l == line) {
                Some((_, variants)) => variants.push(run.variant.clone()),
                None => seen.push((line, vec![run.variant.clone()])),
            }
        }
    }
    out.into_iter()
        .map(|(name, lines)| {
            let one = lines.len() == 1;
            let lines = lines
                .into_iter()
                .map(|(l, v)| {
                    if one {
                        l
                    } else {
                        format!("[{}] {l}", v.join(" "))
                    }
                })
                .collect();
            (name, lines)
        })
        .collect()
}

/// The scenario's waits and actions, each with what starts it.
fn show_acts(s: &spec::Spec) {
    let after = |a: &Option<spec::After>| match a {
        Some(a) => format!("after {}", a.marks().join(" and ")),
        None => "at the start".to_string(),
    };
    if !s.wait.is_empty() {
        println!("waits (tested on every sample, or as `every` says):");
    }
    for w in &s.wait {
        let when = after(&w.after);
        let every = w
            .every
            .as_ref()
            .map(|e| format!(", tested every {e}"))
            .unwrap_or_default();
        println!(
            "  {:<14} {when}: until {}  (timeout {}{every})",
            w.name, w.until, w.timeout
        );
    }
    if !s.action.is_empty() {
        println!("actions (one at a time, in order):");
    }
    for a in &s.action {
        let what = match (&a.write, &a.delete, &a.truncate, a.drop_caches) {
            (Some(f), ..) => format!(
                "write {} to {}/{f}",
                a.value.as_deref().unwrap_or("reset"),
                a.cgroup.as_deref().unwrap_or("?")
            ),
            (_, Some(f), ..) => format!("delete file {f}"),
            (_, _, Some(f), _) => {
                format!("truncate file {f} to {}", a.value.as_deref().unwrap_or("0"))
            }
            (.., Some(n)) => format!("drop_caches {n}"),
            _ => match &a.reclaim_until {
                Some(g) => format!(
                    "memory.reclaim on {} until below {g} (reclaim_until)",
                    a.cgroup.as_deref().unwrap_or("?")
                ),
                None => "nothing".to_string(),
            },
        };
        let delay = a.delay_ms.map(|d| format!(" + {d} ms")).unwrap_or_default();
        println!("  {:<14} {}{delay}: {what}", a.name, after(&a.after));
    }
}

fn show_expectations(s: &spec::Spec) {
    let rule = s
        .verdict
        .as_ref()
        .map(|v| crate::stats::Rule::parse(&v.pass).map_or_else(|e| e, |r| r.to_string()))
        .unwrap_or_else(|| crate::stats::Rule::Median.to_string());
    println!("expectations ({rule}):");
    for e in &s.expect {
        let when = e.when.as_ref().map(|w| format!("   when {w}"));
        println!("  {}{}", e.check, when.unwrap_or_default());
        if let Some(n) = &e.note {
            println!(
                "      ({})",
                n.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
}
