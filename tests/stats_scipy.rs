//! The Mann–Whitney U test and Benjamini–Hochberg adjustment `compare` uses, against
//! scipy (Debian's python3-scipy, installed by scripts/setup): the same samples — with and
//! without ties, 3 to 25 runs a side — must give the same U and two-sided p (exact without
//! ties, the asymptotic form with tie and continuity corrections with them), and the same
//! Benjamini–Hochberg q-values as numpy's step-up computation (scipy 1.10 has no
//! false_discovery_control).

use cgharness::stats::rank::{benjamini_hochberg, mann_whitney};
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
    let mut child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(PY)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("/usr/bin/python3 with python3-scipy: run scripts/setup");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
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
