//! `cgharness compare A B`: two sets of reports (two kernels, two machines, before and
//! after) side by side. Glue only: `compare::load` reads, `compare` judges, `render` prints.

use crate::compare::{self, load, Options};
use crate::exit::{usage, Exit};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
A and B are each a report.json or a directory holding reports of one kernel: a run's --out,
or one kernel's directory of a `vm` output (results/<time>/<kernel>). Where a scenario has
several reports (`vm --boots N` keeps each boot's and the merged one), the one merged over
the most boots is used. Variants are matched by label, checks and observations by text.

A value has moved when its medians differ by more than --threshold of the larger one, by at
least a noise floor in its unit (1 MiB for sizes, 256 for page and event counts and I/O ops,
10 ms, 1 for memory.events, kills and cgroup.stat) and, with at least 5 runs on each side, a
two-sided Mann–Whitney U test gives q < 0.05 after Benjamini–Hochberg within its family (the
line shows the family, q and the Hodges–Lehmann shift with its 95% interval). Each scenario
has two families, adjusted apart: primary, the values its [[expect]] checks and [[observe]]
entries read, and exploratory, every other value (reported apart: a lead, not a finding).
Values that are the same number in every run of both sides are left out. With fewer runs no
test can reach 5%: a value beyond the threshold and outside the other side's range is listed
as \"n < 5, not judged\". Text values are listed when they differ (the pids in run cgroup
names aside). Counters that only one kernel reports are listed once at the top.

Each family states its power: the smallest q one moved value can reach, m × 2/C(n1+n2, n1)
for m values and n1 + n2 runs, and the runs a side it needs to reach 0.05, e.g.
  primary family: 9 values, 5+5 runs: best reachable q 0.071 — cannot judge; needs 6 runs a side

--equivalence asks the other question, \"did B change nothing?\": for every number with 5 runs
a side, the 95% interval of the Hodges–Lehmann shift B − A must lie within ±margin, the margin
being the largest of the tolerance of a check that reads the value (else 10% of A's median)
and its noise floor. Where an A/A split of A's runs (odd against even ranks) is itself not
within the margin, B must instead hold 0 and be no wider than the A/A interval; such values
are listed apart. Text values must give each text in the same share of runs (k/n).

Examples:
  cgharness compare results/20261124T031822Z/6.1.0-56-cloud-amd64 \\
                    results/20261124T031822Z/6.12.117+deb12-cloud-amd64
  cgharness compare before/anon-swap after/anon-swap --all
  cgharness compare A B --json diff.json --check    exit 1 if a scenario that passed in A fails in B
  cgharness compare A B --html compare.html          open it in a browser
  cgharness compare before/ after/ --equivalence     did the change leave every value alone?";

/// Options of `compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct CompareArgs {
    /// The first side (a report.json or a directory of them).
    pub a: PathBuf,
    /// The second side.
    pub b: PathBuf,
    /// How far medians must differ to count as moved, percent of the larger.
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "PCT",
        allow_negative_numbers = true
    )]
    pub threshold: f64,
    /// Moved values listed per variant (the largest first).
    #[arg(long, default_value_t = 15, value_name = "N")]
    pub top: usize,
    /// List every moved value.
    #[arg(long, conflicts_with = "top")]
    pub all: bool,
    /// Also write the whole comparison as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Exit 1 when a scenario that passed in A fails in B.
    #[arg(long)]
    pub check: bool,
    /// Also write compare.html here: both sides' memory over time overlaid per scenario,
    /// variant and cgroup (from the record.json beside each report), then these tables.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Also judge whether B changed nothing: each value's shift interval within its margin.
    #[arg(long)]
    pub equivalence: bool,
}

/// The record.json beside each compared report, where there is one.
fn records(c: &compare::Comparison) -> crate::html::compare::Records {
    let load = |side: &compare::Side, name: &str| {
        let dir = side.dirs.get(name)?;
        crate::record::store::load(&dir.join("record.json")).ok()
    };
    c.scenarios
        .iter()
        .map(|s| (s.name.clone(), [load(&c.a, &s.name), load(&c.b, &s.name)]))
        .collect()
}

/// Refuses an output file whose directory does not exist, before anything is read.
fn outputs(a: &CompareArgs) -> anyhow::Result<()> {
    for (flag, path) in [("--json", &a.json), ("--html", &a.html)] {
        let Some(p) = path.as_deref() else { continue };
        let dir = p.parent().unwrap_or(std::path::Path::new(""));
        if !dir.as_os_str().is_empty() && !dir.is_dir() {
            return Err(usage(format!(
                "{flag} {}: no directory {}; create it or give another path",
                p.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Runs `compare`.
pub fn run(a: CompareArgs) -> anyhow::Result<Exit> {
    if !(a.threshold.is_finite() && a.threshold >= 0.0) {
        return Err(usage(format!(
            "--threshold {}: give a percentage ≥ 0, e.g. --threshold 10",
            a.threshold
        )));
    }
    outputs(&a)?;
    let (sa, sb) = (load::side(&a.a)?, load::side(&a.b)?);
    let c = compare::compare(
        sa,
        sb,
        Options {
            threshold: a.threshold / 100.0,
            equivalence: a.equivalence,
        },
    );
    if c.scenarios.is_empty() {
        return Err(usage(format!(
            "{} and {} have no scenario in common (A: {}; B: {})",
            a.a.display(),
            a.b.display(),
            c.only_a.join(", "),
            c.only_b.join(", ")
        )));
    }
    let text = compare::render(&c, (!a.all).then_some(a.top));
    print!("{text}");
    if let Some(p) = &a.json {
        crate::jsonfile::write(p, &c)?;
    }
    if let Some(p) = &a.html {
        let page = crate::html::compare::page(&c, &text, &records(&c));
        crate::jsonfile::write_text(p, &page)?;
        eprintln!("compare.html: {}", p.display());
    }
    let regressed = c.scenarios.iter().any(|s| s.passed[0] && !s.passed[1]);
    Ok(if a.check && regressed {
        Exit::ExpectationFailed
    } else {
        Exit::Ok
    })
}
