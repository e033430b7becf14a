//! The median-with-band view of a variant's runs (repetitions and merged boots): per cgroup,
//! the median over the runs of memory.current, anon and file at each time, with the min–max
//! range over the runs shaded, every run's OOM kills and the limits as written. Runs sample at
//! their own times, so each run's line is interpolated linearly between its samples onto one
//! grid of seconds from the run's start (its first sample, as on the per-run charts). Pure:
//! numbers and HTML text out; it reads nothing and draws nothing the records do not hold.

use super::chart::{figure, Bands, Chart, Unit};
use super::series::{memory_of_run, of_run, Line, Moment};
use crate::analysis::stats::stats;
use crate::record::raw::RunRecord;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Runs from which a variant gets the band view (fewer are drawn one chart each).
pub const MIN_RUNS: usize = 3;

/// Most grid times per line: a long run's grid widens past its sampling interval.
const MAX_GRID: f64 = 400.0;

/// The memory lines that get a band.
const BANDED: [&str; 3] = ["memory.current", "anon", "file"];

/// One grid time's statistics over the runs that had samples around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// Seconds from each run's start.
    pub t_s: f64,
    /// The smallest run's value.
    pub min: f64,
    /// The median over the runs (the mean of the middle two for an even count).
    pub median: f64,
    /// The largest run's value.
    pub max: f64,
    /// Runs counted.
    pub runs: usize,
}

/// One value's spread over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The value (`memory.current`, `anon`, `file`).
    pub label: String,
    /// In time order.
    pub points: Vec<Spread>,
}

/// What a variant's band charts show.
#[derive(Debug, Default)]
pub struct VariantBands {
    /// Runs over which the bands are taken.
    pub runs: usize,
    /// Grid step, s.
    pub step_s: f64,
    /// The longest run, s.
    pub span_s: f64,
    /// Per cgroup: a band per banded line that some run has non-zero.
    pub memory: BTreeMap<String, Vec<Band>>,
    /// Per cgroup: the limits as the first run's plan wrote them.
    pub limits: BTreeMap<String, Vec<(String, f64)>>,
    /// Per cgroup: every run's OOM kills, unlabelled (one red marker each).
    pub kills: BTreeMap<String, Vec<Moment>>,
}

/// The value at `t` by linear interpolation between the samples around it; None before the
/// first sample or after the last (the run did not see that time).
pub fn at(points: &[(f64, f64)], t: f64) -> Option<f64> {
    let i = points.partition_point(|p| p.0 < t);
    let after = points.get(i)?;
    if after.0 == t {
        return Some(after.1);
    }
    let before = points.get(i.checked_sub(1)?)?;
    let f = (t - before.0) / (after.0 - before.0);
    Some(before.1 + f * (after.1 - before.1))
}

/// Grid times 0, step, 2·step … up to `end_s`.
pub fn grid(step_s: f64, end_s: f64) -> Vec<f64> {
    if step_s <= 0.0 || end_s < 0.0 {
        return vec![0.0];
    }
    let n = (end_s / step_s + 1e-9).floor() as usize;
    (0..=n).map(|k| k as f64 * step_s).collect()
}

/// The grid step: the coarsest sampling interval of the runs, widened so a line has at most
/// [`MAX_GRID`] points.
pub fn step_s(interval_ms: &[u64], span_s: f64) -> f64 {
    let coarsest = interval_ms.iter().copied().max().unwrap_or(100) as f64 / 1e3;
    coarsest.max(span_s / MAX_GRID).max(1e-3)
}

/// The spread of `runs` (one line's points per run, empty for a run without the value) at
/// each grid time that at least half the runs (rounded up) had samples around; other times
/// are left out.
pub fn spread(label: &str, runs: &[&[(f64, f64)]], times: &[f64]) -> Band {
    let need = runs.len().div_ceil(2).max(1);
    let points = times
        .iter()
        .filter_map(|&t| {
            let vals: Vec<f64> = runs.iter().filter_map(|r| at(r, t)).collect();
            if vals.len() < need {
                return None;
            }
            let s = stats(vals)?;
            Some(Spread {
                t_s: t,
                min: s.min,
                median: s.median,
                max: s.max,
                runs: s.n,
            })
        })
        .collect();
    Band {
        label: label.to_string(),
        points,
    }
}

/// The points of one run's line: none for a run without the cgroup or the value.
fn points_of<'a>(m: &'a BTreeMap<String, Vec<Line>>, cg: &str, label: &str) -> &'a [(f64, f64)] {
    let line = m
        .get(cg)
        .and_then(|ls| ls.iter().find(|l| l.label == label));
    line.map_or(&[], |l| &l.points[..])
}

/// Per cgroup, the bands of the banded lines that some run has non-zero.
fn bands(runs: &[BTreeMap<String, Vec<Line>>], times: &[f64]) -> BTreeMap<String, Vec<Band>> {
    let mut names: Vec<&String> = runs.iter().flat_map(|m| m.keys()).collect();
    names.sort();
    names.dedup();
    let mut out = BTreeMap::new();
    for cg in names {
        let of = |label: &str| -> Vec<&[(f64, f64)]> {
            runs.iter().map(|m| points_of(m, cg, label)).collect()
        };
        let drawn: Vec<Band> = BANDED
            .iter()
            .map(|label| (label, of(label)))
            .filter(|(_, lines)| lines.iter().flat_map(|l| l.iter()).any(|p| p.1 != 0.0))
            .map(|(label, lines)| spread(label, &lines, times))
            .filter(|b| !b.points.is_empty())
            .collect();
        if !drawn.is_empty() {
            out.insert(cg.clone(), drawn);
        }
    }
    out
}

/// The bands of `runs` (a variant's), with their limits and kills.
pub fn of_runs(runs: &[&RunRecord]) -> VariantBands {
    let series: Vec<_> = runs.iter().map(|r| of_run(r)).collect();
    let span_s = series.iter().map(|s| s.span_s).fold(0.0, f64::max);
    let intervals: Vec<u64> = runs.iter().map(|r| r.interval_ms).collect();
    let step = step_s(&intervals, span_s);
    let memory: Vec<_> = runs.iter().map(|r| memory_of_run(r)).collect();
    let mut kills: BTreeMap<String, Vec<Moment>> = BTreeMap::new();
    for (cg, ks) in series.iter().flat_map(|s| &s.kills) {
        let unlabelled = ks.iter().map(|k| Moment {
            t_s: k.t_s,
            label: String::new(),
        });
        kills.entry(cg.clone()).or_default().extend(unlabelled);
    }
    VariantBands {
        runs: runs.len(),
        step_s: step,
        span_s,
        memory: bands(&memory, &grid(step, span_s)),
        limits: series.first().map(|s| s.limits.clone()).unwrap_or_default(),
        kills,
    }
}

/// The memory chart of one cgroup's bands: medians as lines over their min–max ranges.
fn band_figure(b: &VariantBands, cg: &str, bands: &[Band]) -> String {
    let lines: Vec<Line> = bands
        .iter()
        .map(|band| Line {
            label: format!("{} median", band.label),
            points: band.points.iter().map(|p| (p.t_s, p.median)).collect(),
        })
        .collect();
    let ranges: Vec<Vec<(f64, f64, f64)>> = bands
        .iter()
        .map(|band| band.points.iter().map(|p| (p.t_s, p.min, p.max)).collect())
        .collect();
    let label = format!("min–max of {} runs", b.runs);
    let c = Chart {
        title: format!("{cg}: memory, median of {} runs", b.runs),
        unit: Unit::Bytes,
        lines: &lines,
        bands: Some(Bands {
            label: &label,
            ranges: &ranges,
        }),
        limits: b.limits.get(cg).map_or(&[][..], |l| &l[..]),
        spans: &[],
        marks: &[],
        kills: b.kills.get(cg).map_or(&[][..], |k| &k[..]),
        span_s: b.span_s,
    };
    figure(&c, &format!("band memory {cg}"))
}

/// The band charts of a variant's runs, with what they show said above them.
pub fn section(out: &mut String, runs: &[&RunRecord]) {
    let b = of_runs(runs);
    let n = b.runs;
    let _ = writeln!(
        out,
        "<h3>median of {n} runs</h3>\n<p class=\"note\">Per cgroup: the median over the {n} runs \
         (line) and their min–max range (shaded, same colour) of memory.current, anon and file, \
         every run's OOM kills (red) and the limits as written. Time is seconds from each \
         run's start (its first sample); each run is interpolated linearly between its samples \
         onto a common grid of {:.0} ms (the coarsest sampling interval), and a grid time is \
         drawn where at least half the runs had samples around it. Phases and workload starts \
         and exits are on each run's own charts, which follow.</p>",
        b.step_s * 1e3
    );
    out.push_str("<div class=\"charts\">\n");
    for (cg, bands) in &b.memory {
        out.push_str(&band_figure(&b, cg, bands));
    }
    out.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_between_samples_is_interpolated_and_none_outside_them() {
        let pts = [(0.0, 0.0), (1.0, 10.0), (3.0, 30.0)];
        assert_eq!(at(&pts, 0.0), Some(0.0));
        assert_eq!(at(&pts, 0.5), Some(5.0));
        assert_eq!(at(&pts, 2.0), Some(20.0));
        assert_eq!(at(&pts, 3.0), Some(30.0));
        assert_eq!(at(&pts, 3.01), None);
        assert_eq!(at(&pts[1..], 0.5), None);
        assert_eq!(at(&[], 0.0), None);
        // Two samples at one time (a mark beside a periodic sample): the first one.
        assert_eq!(at(&[(0.0, 1.0), (1.0, 2.0), (1.0, 4.0)], 1.0), Some(2.0));
    }

    #[test]
    fn the_grid_is_the_coarsest_interval_widened_for_long_runs() {
        assert_eq!(step_s(&[100, 250, 100], 5.0), 0.25);
        assert_eq!(step_s(&[100], 400.0 * 2.0), 2.0);
        assert_eq!(grid(0.25, 1.0), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(grid(0.1, 0.35).len(), 4);
        assert_eq!(
            grid(0.1, 0.3).len(),
            4,
            "0.3 / 0.1 is 2.999…: still 4 times"
        );
    }

    #[test]
    fn the_spread_is_over_runs_sampled_at_different_times() {
        let a = [(0.0, 0.0), (1.0, 10.0), (2.0, 20.0)];
        let b = [(0.0, 0.0), (0.5, 10.0), (1.5, 30.0)];
        let c = [(0.0, 4.0), (2.5, 4.0)];
        let band = spread("x", &[&a, &b, &c], &grid(0.5, 2.5));
        let at = |t: f64| band.points.iter().find(|p| p.t_s == t).cloned();
        // At 1.0 s: a 10, b 20 (halfway from 10 to 30), c 4.
        let one = at(1.0).unwrap();
        assert_eq!(
            (one.min, one.median, one.max, one.runs),
            (4.0, 10.0, 20.0, 3)
        );
        // At 2.0 s b has ended: a 20, c 4; two of three runs are enough.
        let two = at(2.0).unwrap();
        assert_eq!(
            (two.min, two.median, two.max, two.runs),
            (4.0, 12.0, 20.0, 2)
        );
        // At 2.5 s only c still had samples: left out.
        assert_eq!(at(2.5), None);
        assert_eq!(band.points.len(), 5);
    }

    #[test]
    fn a_value_zero_in_every_run_or_seen_by_too_few_runs_gets_no_band() {
        let line = |label: &str, v: f64| Line {
            label: label.into(),
            points: vec![(0.0, v), (1.0, v)],
        };
        let run = |extra: bool| {
            let mut m = BTreeMap::new();
            m.insert(
                "pod".to_string(),
                vec![line("memory.current", 5.0), line("file", 0.0)],
            );
            if extra {
                m.insert("late".to_string(), vec![line("memory.current", 7.0)]);
            }
            m
        };
        let b = bands(&[run(true), run(false), run(false)], &[0.0, 1.0]);
        let pod = &b["pod"];
        assert_eq!(pod.len(), 1, "file is zero throughout: {pod:?}");
        assert_eq!(
            (pod[0].label.as_str(), pod[0].points[0].runs),
            ("memory.current", 3)
        );
        assert!(!b.contains_key("late"), "one run of three had it: {b:?}");
        let b = bands(&[run(true), run(true), run(false)], &[0.0]);
        assert_eq!(b["late"][0].points[0].median, 7.0);
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_middle_two() {
        let runs: Vec<[(f64, f64); 2]> = [1.0, 2.0, 6.0, 10.0]
            .iter()
            .map(|v| [(0.0, *v), (1.0, *v)])
            .collect();
        let refs: Vec<&[(f64, f64)]> = runs.iter().map(|r| &r[..]).collect();
        let band = spread("x", &refs, &[0.0, 1.0]);
        assert!(band.points.iter().all(|p| p.median == 4.0));
        assert!(band.points.iter().all(|p| p.min == 1.0 && p.max == 10.0));
    }
}
