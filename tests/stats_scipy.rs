//! The Mann–Whitney U test and Benjamini–Hochberg adjustment `compare` uses, against
//! scipy (Debian's python3-scipy, installed by scripts/setup --tests): the same samples — with and
//! without ties, 3 to 25 runs a side — must give the same U and two-sided p (exact without
//! ties, the asymptotic form with tie and continuity corrections with them), and the same
//! Benjamini–Hochberg q-values as numpy's step-up computation (scipy 1.10 has no
//! false_discovery_control). Then the Hodges–Lehmann shift, its interval (k, both ends and
//! its coverage; exact and normal) and the power bounds p_min and runs_needed, against
//! numpy/scipy the same way.

use cgharness::stats::power::{p_min, reachable_p, runs_needed};
use cgharness::stats::rank::{benjamini_hochberg, mann_whitney};
use cgharness::stats::shift::{hodges_lehmann, Shift};
use std::process::Command;

const PY: &str = r#"
import json, sys
import numpy as np
from scipy.stats import mannwhitneyu
cases = json.load(sys.stdin)
out = []
for c in cases["pairs"]:
    method = "exact" if c["exact"] else "asymptotic"
    r = mannwhitneyu(c["a"], c["b"], alternative="two-sided", method=method, use_continuity=True)
    out.append([float(r.statistic), float(r.pvalue)])
# Benjamini-Hochberg (scipy 1.10 has no false_discovery_control; numpy, step-up form).
p = np.asarray(cases["p"])
order = np.argsort(p)
ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
adj = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
q = np.empty_like(adj)
q[order] = adj
q = [float(x) for x in q]
print(json.dumps({"mwu": out, "q": q}))
"#;

/// A small deterministic generator (xorshift), values rounded to `step` to make ties.
fn sample(seed: &mut u64, n: usize, shift: f64, step: f64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let x = (*seed % 10_000) as f64 / 100.0 + shift;
            (x / step).round() * step
        })
        .collect()
}

#[test]
fn mann_whitney_and_bh_agree_with_scipy() {
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut pairs = Vec::new();
    for (n1, n2, shift, step) in [
        (5, 5, 0.0, 0.01),
        (5, 5, 40.0, 0.01),
        (3, 3, 10.0, 0.01),
        (7, 6, 15.0, 0.01),
        (12, 9, 5.0, 0.01),
        (25, 25, 8.0, 0.01),
        (5, 5, 0.0, 20.0),
        (10, 12, 10.0, 10.0),
        (25, 20, 3.0, 5.0),
    ] {
        let a = sample(&mut seed, n1, 0.0, step);
        let b = sample(&mut seed, n2, shift, step);
        pairs.push((a, b));
    }
    let ours: Vec<_> = pairs
        .iter()
        .map(|(a, b)| mann_whitney(a, b).unwrap())
        .collect();
    assert!(ours.iter().any(|t| t.exact) && ours.iter().any(|t| !t.exact));
    let ps: Vec<f64> = ours.iter().map(|t| t.p).collect();
    let input = serde_json::json!({
        "pairs": pairs.iter().zip(&ours).map(|((a, b), t)| serde_json::json!({"a": a, "b": b, "exact": t.exact})).collect::<Vec<_>>(),
        "p": ps,
    });
    let theirs = python(PY, &input);
    for (i, t) in ours.iter().enumerate() {
        let u = theirs["mwu"][i][0].as_f64().unwrap();
        let p = theirs["mwu"][i][1].as_f64().unwrap();
        assert_eq!(t.u, u, "case {i}: U");
        assert!(
            (t.p - p).abs() <= 1e-9 * p.max(1e-12) + 1e-12,
            "case {i}: p {} vs scipy {p} ({t:?})",
            t.p
        );
    }
    let q = benjamini_hochberg(&ps);
    for (i, (ours, theirs)) in q.iter().zip(theirs["q"].as_array().unwrap()).enumerate() {
        let theirs = theirs.as_f64().unwrap();
        assert!((ours - theirs).abs() < 1e-12, "q {i}: {ours} vs {theirs}");
    }
}

/// The Hodges–Lehmann estimate, the interval's rank k, its ends and coverage, and p_min,
/// computed from numpy/scipy: the exact null distribution of U from
/// `mannwhitneyu(..., method="exact")` itself (P(U ≤ c) is the one-sided p of samples built
/// to have U = c), the normal case from `norm.ppf`/`norm.cdf`, and p_min as the exact
/// two-sided p of fully separated samples.
const PY_SHIFT: &str = r#"
import json, math, sys
import numpy as np
from scipy.stats import mannwhitneyu, norm
cases = json.load(sys.stdin)

def p_at_most(c, m, n):
    # Samples of m and n distinct values whose U (pairs x > y) is c: y = 0..n-1 and each x
    # just above as many y as its share of c; P(U <= c) is then the one-sided "less" p.
    y = list(range(n))
    x, left = [], c
    for i in range(m):
        share = min(n, left)
        left -= share
        x.append(share - 0.5 + 1e-6 * i)
    return float(mannwhitneyu(x, y, alternative="less", method="exact").pvalue)

out = []
for c in cases["pairs"]:
    a, b = np.asarray(c["a"]), np.asarray(c["b"])
    m, n = len(a), len(b)
    d = np.sort(np.subtract.outer(b, a).ravel())
    est = float(np.median(d))
    if c["exact"]:
        k = 0
        while p_at_most(k, m, n) <= 0.025:
            k += 1
        cover = 1 - 2 * p_at_most(max(k, 1) - 1, m, n)
        k = max(k, 1)
    else:
        s = math.sqrt(m * n * (m + n + 1) / 12)
        k = max(1, math.floor(m * n / 2 - norm.ppf(0.975) * s))
        cover = 1 - 2 * norm.cdf((k - 0.5 - m * n / 2) / s)
    out.append([est, k, float(d[k - 1]), float(d[m * n - k]), cover])
pmin = []
for n1, n2 in cases["sizes"]:
    method = "exact" if n1 + n2 <= 50 else "asymptotic"
    r = mannwhitneyu(list(range(n1)), list(range(n1, n1 + n2)), alternative="two-sided",
                     method=method, use_continuity=True)
    pmin.append(float(r.pvalue))
needed = []
for m in cases["ms"]:
    n = 1
    while m * mannwhitneyu(list(range(n)), list(range(n, 2 * n)), alternative="two-sided",
                           method="exact").pvalue >= 0.05:
        n += 1
    needed.append(n)
print(json.dumps({"shift": out, "p_min": pmin, "needed": needed}))
"#;

fn python(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let mut child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 with python3-scipy: run scripts/setup --tests");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Pairs of 3 to 30 runs a side, without ties (exact k) and with them or past 50 runs
/// (the normal k).
fn shift_pairs() -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut seed = 0x2545f4914f6cdd1du64;
    [
        (3, 3, 10.0, 0.01),
        (4, 4, 5.0, 0.01),
        (5, 5, 0.0, 0.01),
        (5, 5, 30.0, 0.01),
        (7, 6, 15.0, 0.01),
        (10, 10, 4.0, 0.01),
        (12, 9, 5.0, 0.01),
        (25, 25, 8.0, 0.01),
        (5, 5, 0.0, 20.0),
        (10, 12, 10.0, 10.0),
        (30, 30, 3.0, 0.01),
    ]
    .into_iter()
    .map(|(n1, n2, shift, step)| {
        let a = sample(&mut seed, n1, 0.0, step);
        (a, sample(&mut seed, n2, shift, step))
    })
    .collect()
}

/// Run counts whose p_min is checked, past the exact test's 50 runs too.
const SIZES: [(usize, usize); 9] = [
    (3, 3),
    (4, 4),
    (5, 5),
    (6, 6),
    (7, 5),
    (10, 10),
    (25, 25),
    (26, 26),
    (40, 30),
];

#[test]
fn hodges_lehmann_interval_and_p_min_agree_with_scipy() {
    let pairs = shift_pairs();
    let ours: Vec<Shift> = pairs
        .iter()
        .map(|(a, b)| hodges_lehmann(a, b).unwrap())
        .collect();
    assert!(ours.iter().filter(|s| s.exact).count() >= 7);
    assert!(ours.iter().filter(|s| !s.exact).count() >= 3);
    let input = serde_json::json!({
        "pairs": pairs.iter().zip(&ours).map(|((a, b), s)| serde_json::json!({"a": a, "b": b, "exact": s.exact})).collect::<Vec<_>>(),
        "sizes": SIZES,
        "ms": MS,
    });
    let theirs = python(PY_SHIFT, &input);
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
    for (i, s) in ours.iter().enumerate() {
        let t = |j: usize| theirs["shift"][i][j].as_f64().unwrap();
        assert!(close(s.shift, t(0)), "case {i}: estimate {s:?} vs {}", t(0));
        assert_eq!(s.k as f64, t(1), "case {i}: k {s:?}");
        assert!(close(s.low, t(2)) && close(s.high, t(3)), "case {i}: {s:?}");
        assert!(close(s.coverage, t(4)), "case {i}: {s:?} vs {}", t(4));
    }
    for (i, (n1, n2)) in SIZES.iter().enumerate() {
        let theirs = theirs["p_min"][i].as_f64().unwrap();
        let ours = reachable_p(*n1, *n2);
        let said = format!("{n1} + {n2}: {ours} vs scipy {theirs}");
        assert!((ours - theirs).abs() <= 1e-9 * theirs, "{said}");
        if n1 + n2 <= 50 {
            assert!((p_min(*n1, *n2) - theirs).abs() <= 1e-12 * theirs, "{said}");
        }
    }
    // runs_needed: the first equal n whose exact p for separated samples, times m, is < 0.05.
    for (i, m) in MS.iter().enumerate() {
        let theirs = theirs["needed"][i].as_u64().unwrap() as usize;
        assert_eq!(runs_needed(*m, 0.05), theirs, "{m} values");
    }
}

/// Family sizes whose runs_needed is checked: 1 value, the most 5 + 5 runs can judge (6),
/// the issue's 9, and a kernel comparison's 774.
const MS: [usize; 6] = [1, 6, 7, 9, 30, 774];
