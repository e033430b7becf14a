//! Writes the CI-native outputs (junit.xml, summary.md, metrics.prom; see report::ci and
//! report::prom) beside each run's report.json, and over several scenarios (`run all --out D`)
//! or a `vm` matrix into the output directory, from the report.json files found there
//! (`cgharness report DIR` rewrites them for any results tree).

use crate::exit::Exit;
use crate::report::ci::{junit, summary, Status, Suite};
use crate::report::{prom, Report};
use std::path::{Path, PathBuf};

const REPORT_ABOUT: &str = "\
Writes junit.xml (a testsuite per scenario × kernel, a testcase per expectation), summary.md
(for a CI job's summary page) and metrics.prom (Prometheus text format, for node_exporter's
textfile collector) into DIR, from every report.json below it (up to four levels: a run's
--out, a `run all --out` directory, a `vm` output over kernels). `run` and `vm` write them
already; this rebuilds them after the fact or over results gathered from several machines.

Example:
  cgharness report results/vm/20261128T041500Z/";

/// Options of `report`.
#[derive(Debug, clap::Args)]
#[command(after_help = REPORT_ABOUT)]
pub struct ReportArgs {
    /// A results directory.
    pub dir: PathBuf,
}

/// Runs `report`.
pub fn run(a: ReportArgs) -> anyhow::Result<Exit> {
    if !a.dir.is_dir() {
        return Err(crate::exit::usage(format!(
            "{}: not a directory; give a results directory (a run's or vm's --out)",
            a.dir.display()
        )));
    }
    let n = write_tree(&a.dir, &[])?;
    if n == 0 {
        return Err(crate::exit::usage(format!(
            "{}: no report.json up to four levels below; give a directory written by `cgharness run` or `cgharness vm`",
            a.dir.display()
        )));
    }
    for f in ["junit.xml", "summary.md", "metrics.prom"] {
        println!("{}", a.dir.join(f).display());
    }
    eprintln!("{n} reports");
    Ok(Exit::Ok)
}

/// The three files for `suites` into `dir`.
pub fn write(dir: &Path, suites: &[Suite]) -> anyhow::Result<()> {
    let reports: Vec<&Report> = suites
        .iter()
        .filter_map(|s| match s.status {
            Status::Ran(r) => Some(r),
            _ => None,
        })
        .collect();
    crate::jsonfile::write_text(&dir.join("junit.xml"), &junit(suites))?;
    crate::jsonfile::write_text(&dir.join("summary.md"), &summary(suites))?;
    crate::jsonfile::write_text(&dir.join("metrics.prom"), &prom::metrics(&reports))
}

/// One scenario of several: its name, how it ended, where its report would be and, if it
/// ended without one, why.
pub struct Ended {
    /// Scenario as named on the command line.
    pub name: String,
    /// Its status.
    pub exit: Exit,
    /// Its output directory.
    pub dir: PathBuf,
    /// The error, if it failed before its report.
    pub why: Option<String>,
}

fn read_report(dir: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(dir.join("report.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The files for several scenarios run by one `run` into `root`.
pub fn write_several(root: &Path, kernel: &str, ended: &[Ended]) -> anyhow::Result<()> {
    let reports: Vec<Option<Report>> = ended
        .iter()
        .map(|e| match e.exit {
            Exit::Ok | Exit::ExpectationFailed => read_report(&e.dir),
            _ => None,
        })
        .collect();
    let suites: Vec<Suite> = ended
        .iter()
        .zip(&reports)
        .map(|(e, r)| {
            let why = || e.why.clone().unwrap_or_else(|| format!("{:?}", e.exit));
            let status = match (r, e.exit) {
                (Some(r), _) => Status::Ran(r),
                (None, Exit::HostCannot) => Status::Skipped(why()),
                (None, _) => Status::Error(why()),
            };
            Suite {
                scenario: e.name.clone(),
                kernel: kernel.to_string(),
                status,
            }
        })
        .collect();
    write(root, &suites)
}

/// The files over a results tree (a `vm` output, a `run all --out` directory, any folder of
/// runs): every report.json at most four levels down — outside `boot-K` directories when
/// merged reports exist — and each kernel whose guest failed (exit 4) as an error suite.
/// Returns how many reports it found.
pub fn write_tree(root: &Path, failed: &[(String, String)]) -> anyhow::Result<usize> {
    let mut dirs = walk(root, 4, false);
    if dirs.is_empty() {
        dirs = walk(root, 4, true);
    }
    dirs.sort();
    let (dirs, found): (Vec<PathBuf>, Vec<Report>) = dirs
        .into_iter()
        .filter_map(|d| read_report(&d).map(|r| (d, r)))
        .unzip();
    if found.is_empty() && failed.is_empty() {
        return Ok(0);
    }
    index(root, &dirs, &found)?;
    let mut suites: Vec<Suite> = found.iter().map(Suite::of).collect();
    suites.extend(failed.iter().map(|(kernel, why)| Suite {
        scenario: "(guest)".into(),
        kernel: kernel.clone(),
        status: Status::Error(why.clone()),
    }));
    write(root, &suites)?;
    Ok(found.len())
}

/// `index.html` in `root` linking each report's `report.html` (written where missing, from
/// its record.json when that can be read).
fn index(root: &Path, dirs: &[PathBuf], found: &[Report]) -> anyhow::Result<()> {
    let mut links = Vec::new();
    for (d, r) in dirs.iter().zip(found) {
        let html = d.join("report.html");
        if !html.exists() {
            if let Ok(rec) = crate::record::store::load(&d.join("record.json")) {
                crate::jsonfile::write_text(&html, &crate::html::page(r, &rec))?;
            }
        }
        let rel = html.strip_prefix(root).unwrap_or(&html);
        links.push((rel.display().to_string(), r));
    }
    let title = format!("cgharness: {}", root.display());
    crate::jsonfile::write_text(
        &root.join("index.html"),
        &crate::html::index(&title, &links),
    )
}

/// Directories below `dir` (to `depth` levels) that hold a report.json (in `boot-K`
/// directories only with `boots`).
fn walk(dir: &Path, depth: u32, boots: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if dir.join("report.json").is_file() {
        out.push(dir.to_path_buf());
        return out;
    }
    if depth == 0 {
        return out;
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let skip = name.starts_with('.') || (!boots && name.starts_with("boot-"));
            if p.is_dir() && !skip {
                out.extend(walk(&p, depth - 1, boots));
            }
        }
    }
    out
}
