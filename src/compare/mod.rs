//! Two sets of reports side by side (`cgharness compare A B`): per scenario and variant the
//! verdicts, each expectation's observed value, the observations, the values that moved by
//! more than a threshold (and beyond the spread of the repetitions) — judged per scenario in
//! a primary family (what its checks and observations read) and an exploratory one, each
//! with its stated power — optionally each value's equivalence, and the kernel counters
//! that only one side reports. Pure: reports in, a `Comparison` out; `load` finds the
//! reports and `render` prints the result.

pub mod equiv;
pub mod family;
pub mod judge;
pub mod load;
mod noise;
mod render;
mod render_equiv;
#[cfg(test)]
mod tests;

use crate::analysis::VariantResult;
use crate::host::HostFacts;
use crate::report::Report;
use crate::spec::expr::Val;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub use family::{Families, Family, FamilyPower};
pub use noise::{moved, noise_floor};
use noise::{path_shape, shape};
pub use render::render;

/// Version of the comparison layout (`compare --json`).
pub const SCHEMA_VERSION: u32 = 1;

/// One side of a comparison: where its reports came from and what ran them.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The path the user gave.
    pub path: String,
    /// The kernel release of its reports.
    pub kernel_release: String,
    /// The host facts of its first report.
    pub host: HostFacts,
    /// Scenario name → its report.
    #[serde(skip)]
    pub reports: BTreeMap<String, Report>,
    /// Scenario name → the directory of its report (where its record.json is).
    #[serde(skip)]
    pub dirs: BTreeMap<String, std::path::PathBuf>,
}

/// How values are judged.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// A value changed when |b − a| exceeds this fraction of the larger one (0.1 = 10%).
    pub threshold: f64,
    /// Also judge each value's equivalence (`--equivalence`).
    pub equivalence: bool,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Layout version.
    pub schema_version: u32,
    /// cgharness version.
    pub tool_version: String,
    /// The two sides.
    pub a: Side,
    /// The second side.
    pub b: Side,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// The false-discovery rate kept within each family.
    pub fdr: f64,
    /// Whether each value's equivalence was judged (`--equivalence`).
    pub equivalence: bool,
    /// Scenarios in both.
    pub scenarios: Vec<ScenarioDiff>,
    /// Scenarios only in A.
    pub only_a: Vec<String>,
    /// Scenarios only in B.
    pub only_b: Vec<String>,
    /// Kernel counters (`memory_stat.X`, `vmstat.X`, …) only A's reports have, then only B's.
    pub counters_only: [Vec<String>; 2],
}

/// One scenario in both sides.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioDiff {
    /// Scenario name.
    pub name: String,
    /// Verdicts of A and B.
    pub passed: [bool; 2],
    /// Scales of A and B.
    pub scale: [f64; 2],
    /// Boots merged in A and B.
    pub boots: [u32; 2],
    /// Its primary and exploratory families: size, runs and what they can judge.
    pub families: Families,
    /// Variants in both.
    pub variants: Vec<VariantDiff>,
    /// Variant labels only in A, then only in B.
    pub unmatched_variants: [Vec<String>; 2],
}

/// One variant in both sides.
#[derive(Debug, Clone, Serialize)]
pub struct VariantDiff {
    /// Label.
    pub variant: String,
    /// Repetitions in A and B.
    pub repetitions: [usize; 2],
    /// Verdicts of A and B.
    pub passed: [bool; 2],
    /// Every expectation: pass and observed value on each side.
    pub checks: Vec<CheckDiff>,
    /// Every observation's value on each side.
    pub observations: Vec<ValueDiff>,
    /// Numbers that moved: with ≥ 5 runs a side those the rank test and the threshold both
    /// call moved (q < 0.05 within their family; primary ones first), then with fewer runs
    /// those beyond the threshold and the repetitions' range (not judged); largest first
    /// within each.
    pub changed: Vec<ValueDiff>,
    /// How many values were rank-tested (both sides ≥ 5 runs, not constant).
    pub tested_count: usize,
    /// The value paths its checks and observations read (its primary family), sorted.
    pub primary_keys: Vec<String>,
    /// Every number both sides have, until the scenario's families are adjusted.
    #[serde(skip)]
    pub tested: Vec<judge::Tested>,
    /// Each value's equivalence (`--equivalence`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equivalence: Option<equiv::VariantEquivalence>,
    /// Text values that differ.
    pub texts: Vec<ValueDiff>,
    /// How many numbers both sides have.
    pub compared: usize,
}

/// An expectation on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct CheckDiff {
    /// The check.
    pub text: String,
    /// Pass on A and B (None: a value was missing).
    pub pass: [Option<bool>; 2],
    /// The observed (left-hand) value on A and B.
    pub observed: [Option<Val>; 2],
    /// Runs that held of those that could answer, with the 95% interval, on A and B.
    pub count: [Option<crate::stats::Count>; 2],
}

/// A value on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct ValueDiff {
    /// Its path (`cgroup.pod.peak.memory_current`) or expression.
    pub key: String,
    /// A's value (the median over repetitions).
    pub a: Option<Val>,
    /// B's value.
    pub b: Option<Val>,
    /// (b − a) / |a| when both are numbers and a ≠ 0.
    pub change: Option<f64>,
    /// Runs behind A's and B's medians (for moved values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<[usize; 2]>,
    /// The rank test (both sides ≥ 5 runs); None: not judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<crate::stats::rank::RankTest>,
    /// Its Benjamini–Hochberg q within its family (primary or exploratory) of its scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<f64>,
    /// The family it is judged in (for moved values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
}

impl ValueDiff {
    fn new(key: &str, a: Option<Val>, b: Option<Val>) -> ValueDiff {
        let change = match (&a, &b) {
            (Some(Val::Num(x)), Some(Val::Num(y))) if *x != 0.0 => Some((y - x) / x.abs()),
            _ => None,
        };
        ValueDiff {
            key: key.to_string(),
            a,
            b,
            change,
            n: None,
            test: None,
            q: None,
            family: None,
        }
    }
}

/// Compares the reports of two sides.
pub fn compare(a: Side, b: Side, o: Options) -> Comparison {
    let names = |s: &Side, t: &Side| -> Vec<String> {
        s.reports
            .keys()
            .filter(|k| !t.reports.contains_key(*k))
            .cloned()
            .collect()
    };
    let scenarios: Vec<ScenarioDiff> = a
        .reports
        .iter()
        .filter_map(|(n, ra)| Some(scenario(n, ra, b.reports.get(n)?, o)))
        .collect();
    let (ca, cb) = (counters(&a), counters(&b));
    let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| x.difference(y).cloned().collect();
    Comparison {
        schema_version: SCHEMA_VERSION,
        counters_only: [only(&ca, &cb), only(&cb, &ca)],
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        only_a: names(&a, &b),
        only_b: names(&b, &a),
        threshold_pct: o.threshold * 100.0,
        fdr: judge::FDR,
        equivalence: o.equivalence,
        scenarios,
        a,
        b,
    }
}

fn scenario(name: &str, a: &Report, b: &Report, o: Options) -> ScenarioDiff {
    let labels = |r: &Report, other: &Report| -> Vec<String> {
        r.variants
            .iter()
            .filter(|v| !other.variants.iter().any(|w| w.variant == v.variant))
            .map(|v| v.variant.clone())
            .collect()
    };
    let variants = a
        .variants
        .iter()
        .filter_map(|va| {
            let vb = b.variants.iter().find(|w| w.variant == va.variant)?;
            Some(variant(va, vb, o))
        })
        .collect();
    let mut s = ScenarioDiff {
        name: name.to_string(),
        passed: [a.passed, b.passed],
        scale: [a.scale, b.scale],
        boots: [a.boots, b.boots],
        families: Families::default(),
        variants,
        unmatched_variants: [labels(a, b), labels(b, a)],
    };
    judge::adjust(&mut s);
    s
}

/// What a check saw: its left-hand value, or for a combined check (`and`, `or`, `not`) each
/// value it read (`a = 1, b = "x"`).
fn observed(o: &crate::spec::expr::Outcome) -> Option<Val> {
    if o.lhs.is_some() || o.values.is_empty() {
        return o.lhs.clone();
    }
    let each: Vec<String> = o
        .values
        .iter()
        .map(|(p, v)| match v {
            Val::Str(s) => format!("{p} = '{s}'"),
            other => format!("{p} = {other}"),
        })
        .collect();
    Some(Val::Str(each.join(", ")))
}

fn variant(a: &VariantResult, b: &VariantResult, o: Options) -> VariantDiff {
    let checks = a
        .checks
        .iter()
        .map(|ca| {
            let cb = b.checks.iter().find(|c| c.text == ca.text);
            CheckDiff {
                text: ca.text.clone(),
                pass: [ca.held(), cb.and_then(|c| c.held())],
                observed: [observed(&ca.outcome), cb.and_then(|c| observed(&c.outcome))],
                count: [ca.count, cb.and_then(|c| c.count)],
            }
        })
        .collect();
    let observations = a
        .observations
        .iter()
        .map(|oa| {
            let ob = b.observations.iter().find(|x| x.text == oa.text);
            ValueDiff::new(&oa.text, oa.value.clone(), ob.and_then(|x| x.value.clone()))
        })
        .collect();
    let texts = a
        .texts
        .iter()
        .filter(|(k, _)| k.as_str() != "kernel.release")
        .filter(|(k, t)| b.texts.get(*k).is_some_and(|u| shape(u) != shape(t)))
        .map(|(k, t)| ValueDiff::new(k, Some(Val::Str(t.clone())), b.value(k)))
        .collect();
    let primary_keys = family::primary_keys(a, b);
    let (tested, changed, compared) = judge::split(&a.stats, &b.stats, o, &primary_keys);
    let equivalence = o.equivalence.then(|| equiv::variant(a, b, &primary_keys));
    VariantDiff {
        variant: a.variant.clone(),
        repetitions: [a.repetitions, b.repetitions],
        passed: [a.passed(), b.passed()],
        checks,
        observations,
        changed,
        tested_count: tested.iter().filter(|t| t.test.is_some()).count(),
        primary_keys,
        tested,
        equivalence,
        texts,
        compared,
    }
}

/// The counter names (from the last `memory_stat.`, `vmstat.`, `memory_events.`, `meminfo.`
/// or `pressure.` on) in any report of a side.
fn counters(side: &Side) -> BTreeSet<String> {
    const FAMILIES: [&str; 5] = [
        "memory_stat.",
        "vmstat.",
        "memory_events.",
        "meminfo.",
        "pressure.",
    ];
    let stats = side
        .reports
        .values()
        .flat_map(|r| &r.variants)
        .flat_map(|v| v.stats.keys());
    stats
        .filter_map(|k| {
            FAMILIES
                .iter()
                .filter_map(|f| k.rfind(f).map(|i| k[i..].to_string()))
                .next()
        })
        .collect()
}
