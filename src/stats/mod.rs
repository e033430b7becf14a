//! Counting with honesty about how sure it is, in one place for every module that judges
//! repetitions: k of n with a Wilson score interval, and the verdict rule a scenario declares
//! (every run must pass, at least K of N, or the median run); rank tests and the FDR (`rank`),
//! the shift between two sets of runs with its interval (`shift`), equivalence (`equiv`) and
//! what a family of tests can judge at a number of runs (`power`). Pure.

pub mod equiv;
pub mod power;
pub mod rank;
pub mod shift;

use serde::{Deserialize, Serialize};

/// k successes out of n trials with a 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Count {
    /// Successes.
    pub k: u32,
    /// Trials.
    pub n: u32,
    /// Lower end of the 95% interval of the rate.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

impl Count {
    /// k of n with its Wilson interval (n = 0 gives the whole [0, 1]).
    pub fn new(k: u32, n: u32) -> Count {
        let (low, high) = wilson(k, n, Z95);
        Count { k, n, low, high }
    }

    /// The observed rate (0 when n = 0).
    pub fn rate(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            f64::from(self.k) / f64::from(self.n)
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} (95% CI {:.0}–{:.0}%)",
            self.k,
            self.n,
            self.low * 100.0,
            self.high * 100.0
        )
    }
}

/// The Wilson score interval of k/n at `z`.
pub fn wilson(k: u32, n: u32, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = f64::from(n);
    let p = f64::from(k) / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// How a scenario's checks are judged over its repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Rule {
    /// The check evaluated on the median of every value over the runs (the rule before
    /// scenarios declared one).
    #[default]
    Median,
    /// Every run must pass it.
    Every,
    /// At least `k` of every `n` runs must pass (`4/5`), for behaviour known to vary.
    AtLeast {
        /// Passes needed …
        k: u32,
        /// … per this many runs.
        n: u32,
    },
}

impl Rule {
    /// Parses `every`, `median` or `K/N` (1 ≤ K ≤ N).
    pub fn parse(text: &str) -> Result<Rule, String> {
        match text.trim() {
            "every" => Ok(Rule::Every),
            "median" => Ok(Rule::Median),
            t => {
                let (k, n) = t.split_once('/').ok_or_else(|| {
                    format!("verdict pass = {t:?}: use \"every\", \"median\" or \"K/N\" such as \"4/5\"")
                })?;
                let num = |s: &str| s.trim().parse::<u32>().ok();
                match (num(k), num(n)) {
                    (Some(k), Some(n)) if k >= 1 && k <= n => Ok(Rule::AtLeast { k, n }),
                    _ => Err(format!(
                        "verdict pass = {t:?}: K/N needs whole numbers with 1 ≤ K ≤ N"
                    )),
                }
            }
        }
    }

    /// Judges one check: `on_median` is its outcome on the medians, `per_run` its outcome in
    /// each run (None: not answerable there, e.g. a value this kernel lacks; Some(false) for
    /// a run that ended early before it could answer), `ended_early` how many of those
    /// failures are runs that ended early. Under the median rule any such run fails the
    /// check: the median of the runs that got there would hide it. None when no run could
    /// answer it.
    pub fn judge(
        &self,
        on_median: Option<bool>,
        per_run: &[Option<bool>],
        ended_early: usize,
    ) -> Option<bool> {
        let answered: Vec<bool> = per_run.iter().flatten().copied().collect();
        match self {
            Rule::Median if ended_early > 0 => Some(false),
            Rule::Median => on_median,
            _ if answered.is_empty() => None,
            Rule::Every => Some(answered.iter().all(|p| *p)),
            Rule::AtLeast { k, n } => {
                let passes = answered.iter().filter(|p| **p).count() as u64;
                Some(passes * u64::from(*n) >= answered.len() as u64 * u64::from(*k))
            }
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rule::Median => f.write_str("judged on the median run"),
            Rule::Every => f.write_str("every run must pass"),
            Rule::AtLeast { k, n } => write!(f, "at least {k} of every {n} runs must pass"),
        }
    }
}

#[cfg(test)]
mod tests;
