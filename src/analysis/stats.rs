//! Over repetitions: summary statistics of every numeric value per variant, and each
//! expectation evaluated on the medians (text values must agree across repetitions).

use super::scope::Values;
use super::{analyse_run, RunAnalysis};
use crate::record::raw::RawRecord;
use crate::spec::expr::{parse_check, parse_expr, Outcome, Val};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Summary of one value over repetitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Repetitions that had the value.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub stddev: f64,
    /// Median.
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Every repetition's value, sorted, when there are several (what `compare`'s rank test
    /// reads); empty for one run and in reports of older versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<f64>,
}

/// Summarises values.
pub fn stats(mut xs: Vec<f64>) -> Option<Stats> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    Some(Stats {
        n,
        mean,
        stddev: var.sqrt(),
        median,
        min: xs[0],
        max: xs[n - 1],
        values: if n > 1 { xs } else { Vec::new() },
    })
}

/// One expectation's verdict.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check.
    pub text: String,
    /// Why it should hold.
    pub note: Option<String>,
    /// Evaluated on the medians.
    pub outcome: Outcome,
    /// Per repetition: held, failed, or None where the run could not answer it (a value
    /// this kernel does not have).
    pub per_run: Vec<Option<bool>>,
    /// Per repetition (beside `per_run`): why the run failed it by ending early, before it
    /// could answer (a phase that never ended, a workload that never started); empty in
    /// reports of older versions.
    #[serde(default)]
    pub ended_early: Vec<Option<String>>,
    /// The verdict by the scenario's rule (`None` in reports of older versions: then the
    /// outcome on the medians decides).
    #[serde(default)]
    pub verdict: Option<bool>,
    /// Runs that passed of those that could answer, with its 95% interval.
    #[serde(default)]
    pub count: Option<crate::stats::Count>,
    /// Why the check was not evaluated: no run could read a source its values need (the
    /// kernel log without privilege), with the fix. Such a check neither fails nor passes
    /// the variant. None in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<String>,
}

impl CheckResult {
    /// Whether it held, by the scenario's rule.
    pub fn held(&self) -> Option<bool> {
        self.verdict.or(self.outcome.pass)
    }

    /// Whether it counts toward the verdict (it was evaluated).
    pub fn counts(&self) -> bool {
        self.not_evaluated.is_none()
    }
}

/// An observation's value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Observation {
    /// The expression.
    pub text: String,
    /// What it means.
    pub note: Option<String>,
    /// Its value on the medians.
    pub value: Option<Val>,
}

/// One variant over its repetitions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantResult {
    /// Label.
    pub variant: String,
    /// Repetitions analysed.
    pub repetitions: usize,
    /// Numeric values.
    pub stats: BTreeMap<String, Stats>,
    /// Text values (`mixed: a | b` when repetitions disagree).
    pub texts: BTreeMap<String, String>,
    /// Per text value, how many runs gave each distinct text (what `compare --equivalence`
    /// compares); empty in reports of older versions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub text_counts: BTreeMap<String, BTreeMap<String, u32>>,
    /// Expectations.
    pub checks: Vec<CheckResult>,
    /// Observations.
    pub observations: Vec<Observation>,
    /// Run errors (timeouts, interruptions).
    pub errors: Vec<String>,
    /// Per workload, the settings of its command line that change the kernel's answer
    /// (block size, mapping length and alignment, fill, …), defaults included; empty in
    /// reports of older versions.
    #[serde(default)]
    pub fidelity: BTreeMap<String, crate::workload::fidelity::Fidelity>,
}

impl VariantResult {
    /// Whether every check passed and every run finished.
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
            && self
                .checks
                .iter()
                .filter(|c| c.counts())
                .all(|c| c.held() == Some(true))
    }

    /// The value at `path` on the medians.
    pub fn value(&self, path: &str) -> Option<Val> {
        if let Some(s) = self.stats.get(path) {
            return Some(Val::Num(s.median));
        }
        self.texts.get(path).map(|t| Val::Str(t.clone()))
    }
}

/// The analysis of a whole record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    /// Scenario.
    pub scenario: String,
    /// Per run.
    pub runs: Vec<RunAnalysis>,
    /// Per variant.
    pub variants: Vec<VariantResult>,
}

impl Analysis {
    /// Whether every variant passed (and the verdict rests on at least one evaluated check
    /// where the scenario has checks).
    pub fn passed(&self) -> bool {
        !self.variants.is_empty()
            && self.variants.iter().all(VariantResult::passed)
            && !self.observed_nothing()
    }

    /// Whether the scenario has checks and not one of them could be evaluated here (every
    /// one needs a source the runs could not read): its verdict rests on nothing observed.
    pub fn observed_nothing(&self) -> bool {
        let mut checks = self.variants.iter().flat_map(|v| &v.checks).peekable();
        checks.peek().is_some() && checks.all(|c| !c.counts())
    }
}

/// Numbers, texts and each text's counts of one variant's runs.
type Summary = (
    BTreeMap<String, Stats>,
    BTreeMap<String, String>,
    BTreeMap<String, BTreeMap<String, u32>>,
);

fn summarise(variant: &str, runs: &[&RunAnalysis]) -> Summary {
    let mut nums: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut texts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.variant == variant) {
        for (k, v) in &r.values {
            match v {
                Val::Num(n) => nums.entry(k.clone()).or_default().push(*n),
                Val::Str(s) => texts.entry(k.clone()).or_default().push(s.clone()),
            }
        }
    }
    let stats = nums
        .into_iter()
        .filter_map(|(k, v)| Some((k, stats(v)?)))
        .collect();
    let counts = texts
        .iter()
        .map(|(k, v)| {
            let mut c: BTreeMap<String, u32> = BTreeMap::new();
            v.iter().for_each(|t| *c.entry(t.clone()).or_default() += 1);
            (k.clone(), c)
        })
        .collect();
    let texts = texts
        .into_iter()
        .map(|(k, mut v)| {
            v.dedup();
            let t = if v.len() == 1 {
                v.remove(0)
            } else {
                format!("mixed: {}", v.join(" | "))
            };
            (k, t)
        })
        .collect();
    (stats, texts, counts)
}

fn lookup(values: &Values) -> impl Fn(&str) -> Option<Val> + '_ {
    move |p| values.get(p).cloned()
}

/// Why no run could answer `check` when every run lacks only values from sources it could
/// not read (the kernel log without privilege); None when any run answered it or lacks a
/// value for another reason.
fn unobservable(check: &crate::spec::expr::Check, mine: &[&RunAnalysis]) -> Option<String> {
    let mut why = None;
    for r in mine {
        let o = check.eval(&lookup(&r.values));
        if o.pass.is_some() {
            return None;
        }
        why = Some(super::unread::explain(&r.unread, &o.missing)?);
    }
    why
}

/// A check in each run: its outcome, and where the run could not answer it only because it
/// ended early, a failure with the reason.
fn per_run(
    check: &crate::spec::expr::Check,
    mine: &[&RunAnalysis],
) -> (Vec<Option<bool>>, Vec<Option<String>>) {
    mine.iter()
        .map(|r| {
            let o = check.eval(&lookup(&r.values));
            match o.pass {
                Some(p) => (Some(p), None),
                None => match super::early::explain(&r.gaps, &o.missing) {
                    Some(why) => (Some(false), Some(why)),
                    None => (None, None),
                },
            }
        })
        .unzip()
}

fn evaluate(
    plan: &crate::plan::RunPlan,
    rule: crate::stats::Rule,
    v: &VariantResult,
    mine: &[&RunAnalysis],
) -> (Vec<CheckResult>, Vec<Observation>) {
    let look = |p: &str| v.value(p);
    let checks = plan
        .expects
        .iter()
        .filter_map(|c| {
            let check = parse_check(&c.text).ok()?;
            let (per_run, ended_early) = per_run(&check, mine);
            let outcome = check.eval(&look);
            let answered = per_run.iter().flatten().count() as u32;
            let passed = per_run.iter().filter(|p| **p == Some(true)).count() as u32;
            let early = ended_early.iter().flatten().count();
            Some(CheckResult {
                text: c.text.clone(),
                note: c.note.clone(),
                verdict: rule.judge(outcome.pass, &per_run, early),
                count: (answered > 0).then(|| crate::stats::Count::new(passed, answered)),
                not_evaluated: unobservable(&check, mine),
                outcome,
                per_run,
                ended_early,
            })
        })
        .collect();
    let observations = plan
        .observes
        .iter()
        .map(|o| {
            let value = parse_expr(&o.text)
                .ok()
                .and_then(|e| e.eval(&look, &mut Vec::new()));
            Observation {
                text: o.text.clone(),
                note: o.note.clone(),
                value,
            }
        })
        .collect();
    (checks, observations)
}

/// Analyses a record.
pub fn analyse(record: &RawRecord) -> Analysis {
    let runs: Vec<RunAnalysis> = record.runs.iter().map(|r| analyse_run(record, r)).collect();
    let mut labels: Vec<String> = Vec::new();
    for r in &runs {
        if !labels.contains(&r.variant) {
            labels.push(r.variant.clone());
        }
    }
    let mut variants = Vec::new();
    for label in labels {
        let mine: Vec<&RunAnalysis> = runs.iter().filter(|r| r.variant == label).collect();
        let (stats, texts, text_counts) = summarise(&label, &mine);
        let plan = record
            .runs
            .iter()
            .filter_map(|r| r.plan.as_ref())
            .find(|p| p.variant == label);
        let mut v = VariantResult {
            variant: label.clone(),
            repetitions: mine.len(),
            stats,
            texts,
            text_counts,
            checks: Vec::new(),
            observations: Vec::new(),
            errors: mine.iter().filter_map(|r| r.error.clone()).collect(),
            fidelity: BTreeMap::new(),
        };
        if let Some(plan) = plan {
            v.fidelity = plan
                .workloads
                .iter()
                .map(|w| (w.name.clone(), crate::workload::fidelity::fidelity(&w.argv)))
                .collect();
            let (checks, observations) = evaluate(plan, record.plan.rule, &v, &mine);
            v.checks = checks;
            v.observations = observations;
        }
        variants.push(v);
    }
    Analysis {
        scenario: record.plan.scenario.clone(),
        runs,
        variants,
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
