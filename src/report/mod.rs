//! Analysis → Report (what `report.json` holds); its terminal rendering is in `render`, its
//! CI outputs (junit.xml, summary.md, metrics.prom) in `ci` and `prom`.
//! Pure: returns values and text; the CLI writes them.

mod acts;
pub mod ci;
pub mod prom;
mod render;

use crate::analysis::{Analysis, VariantResult};
use crate::host::HostFacts;
use crate::record::raw::RawRecord;
pub use render::{observed, render};
use serde::{Deserialize, Serialize};

/// Version of the report layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The report of one `run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// cgharness version.
    pub tool_version: String,
    /// Kernel release.
    pub kernel_release: String,
    /// The command line.
    pub cmdline: Vec<String>,
    /// Host facts.
    pub host: HostFacts,
    /// Scenario name.
    pub scenario: String,
    /// Seed it reproduces.
    pub seed: Option<String>,
    /// What it must show.
    pub shows: Option<String>,
    /// Caveats.
    pub notes: Option<String>,
    /// `--scale`.
    pub scale: f64,
    /// Fresh boots the runs came from (`vm --boots`).
    #[serde(default = "one")]
    pub boots: u32,
    /// Seed of `--order random`, if the runs were shuffled.
    #[serde(default)]
    pub order_seed: Option<u64>,
    /// Every expectation of every variant held.
    pub passed: bool,
    /// How the checks were judged over repetitions.
    #[serde(default)]
    pub rule: crate::stats::Rule,
    /// Where the runs' cgroups lived, what lies above them, what degraded (no root: no
    /// kernel log) and warnings (an ancestor limit below the run's); `None` in older reports.
    #[serde(default)]
    pub placement: Option<crate::placement::PlacementRecord>,
    /// Per variant.
    pub variants: Vec<VariantResult>,
}

fn one() -> u32 {
    1
}

/// Builds the report.
pub fn build(record: &RawRecord, analysis: &Analysis) -> Report {
    let spec = &record.plan.spec;
    Report {
        schema_version: SCHEMA_VERSION,
        tool_version: record.tool_version.clone(),
        kernel_release: record.kernel_release.clone(),
        cmdline: record.cmdline.clone(),
        host: record.host.clone(),
        scenario: analysis.scenario.clone(),
        seed: spec.seed.clone(),
        shows: spec.shows.clone(),
        notes: spec.notes.clone(),
        scale: record.plan.options.scale,
        boots: record.boots,
        order_seed: record.order_seed,
        passed: analysis.passed(),
        rule: record.plan.rule,
        placement: record.placement.clone(),
        variants: analysis.variants.clone(),
    }
}

/// Whether a value path or check names a count or a time rather than a size (so it is not
/// shown in MiB).
pub fn names_a_count(text: &str) -> bool {
    ["usec", "_ms", "_us", "events", "oom_kill", "samples"]
        .iter()
        .any(|w| text.contains(w))
}
