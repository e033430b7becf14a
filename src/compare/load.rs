//! Finding the reports of one side of `compare`: a report.json, or every report.json under a
//! directory (a run's `--out`, a `vm` output's kernel directory). Where one scenario has
//! several reports, the one merged over the most boots wins (`vm --boots N` writes each
//! boot's and the merged one); reports of different kernels on one side are refused.

use super::Side;
use crate::exit::usage;
use crate::report::{Report, SCHEMA_VERSION};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How deep below the given directory report.json files are looked for.
const MAX_DEPTH: usize = 5;

/// Reads one side.
pub fn side(given: &Path) -> anyhow::Result<Side> {
    let files = if given.is_file() {
        vec![given.to_path_buf()]
    } else if given.is_dir() {
        let mut v = Vec::new();
        walk(given, 0, &mut v)?;
        v.sort();
        v
    } else {
        return Err(usage(format!(
            "{}: no such file or directory; give a report.json or a directory of results",
            given.display()
        )));
    };
    if files.is_empty() {
        return Err(usage(format!(
            "{}: no report.json below it; give a directory written by `cgharness run` or \
             `cgharness vm -- run` (e.g. results/<time>/<kernel>)",
            given.display()
        )));
    }
    let reports = files
        .iter()
        .map(|f| Ok((f.clone(), read(f)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    one_kernel(given, &reports)?;
    let host = reports[0].1.host.clone();
    let kernel_release = reports[0].1.kernel_release.clone();
    let picked = pick(given, reports)?;
    let dirs = picked
        .iter()
        .map(|(n, (p, _))| {
            (
                n.clone(),
                p.parent().unwrap_or(Path::new(".")).to_path_buf(),
            )
        })
        .collect();
    Ok(Side {
        path: given.display().to_string(),
        kernel_release,
        host,
        reports: picked.into_iter().map(|(n, (_, r))| (n, r)).collect(),
        dirs,
    })
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| usage(format!("{}: {e}", dir.display())))?;
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() && depth < MAX_DEPTH && name != "logs" {
            walk(&p, depth + 1, out)?;
        } else if name == "report.json" {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads a report.json, checking its schema version.
pub fn read(path: &Path) -> anyhow::Result<Report> {
    let fix = " (rebuild it with `cgharness analyze` on its record.json)";
    crate::jsonfile::read(path, "report", SCHEMA_VERSION, fix)
}

fn one_kernel(given: &Path, reports: &[(PathBuf, Report)]) -> anyhow::Result<()> {
    let mut kernels: Vec<&str> = reports
        .iter()
        .map(|(_, r)| r.kernel_release.as_str())
        .collect();
    kernels.sort_unstable();
    kernels.dedup();
    if kernels.len() > 1 {
        return Err(usage(format!(
            "{}: holds reports of {} kernels ({}); compare one kernel's directory, e.g. {}",
            given.display(),
            kernels.len(),
            kernels.join(", "),
            given.join(kernels[0]).display()
        )));
    }
    Ok(())
}

/// One report per scenario (with its path): the one merged over the most boots.
type Picked = BTreeMap<String, (PathBuf, Report)>;

fn pick(given: &Path, reports: Vec<(PathBuf, Report)>) -> anyhow::Result<Picked> {
    let mut by_name: BTreeMap<String, Vec<(PathBuf, Report)>> = BTreeMap::new();
    for (path, r) in reports {
        by_name
            .entry(r.scenario.clone())
            .or_default()
            .push((path, r));
    }
    let mut out = BTreeMap::new();
    for (name, mut v) in by_name {
        v.sort_by_key(|(_, r)| std::cmp::Reverse(r.boots));
        if let [(p, a), (q, b), ..] = v.as_slice() {
            if a.boots == b.boots {
                return Err(usage(format!(
                    "{}: two reports of `{name}` ({} and {}); name the directory of one of them",
                    given.display(),
                    p.display(),
                    q.display()
                )));
            }
        }
        if let Some(first) = v.into_iter().next() {
            out.insert(name, first);
        }
    }
    Ok(out)
}
