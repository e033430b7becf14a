//! Families, power and equivalence on made-up reports: a checked value judged in its small
//! primary family where one family over every value could not, the power line at 5 + 5
//! runs, constants left out, the keys and tolerances checks give, and `--equivalence`.

use super::*;
use crate::analysis::stats::Observation;
use crate::stats::rank::{benjamini_hochberg, mann_whitney};

const PEAK: &str = "cgroup.pod.peak.memory_current";

/// A variant with `nums`, `texts` and these checks and observations.
fn with_checks(
    nums: &[(String, Vec<f64>)],
    texts: &[(&str, &[(&str, u32)])],
    checks: &[&str],
    observes: &[&str],
) -> VariantResult {
    let mut v = variant("v", &[], &[], true);
    v.repetitions = nums.first().map_or(1, |(_, xs)| xs.len());
    v.stats = nums.iter().map(|(k, xs)| (k.clone(), st(xs))).collect();
    for (k, counts) in texts {
        let c: BTreeMap<String, u32> = counts.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        let t = match counts {
            [(one, _)] => one.to_string(),
            _ => format!(
                "mixed: {}",
                c.keys().cloned().collect::<Vec<_>>().join(" | ")
            ),
        };
        v.texts.insert(k.to_string(), t);
        v.text_counts.insert(k.to_string(), c);
    }
    v.checks = checks
        .iter()
        .map(|t| CheckResult {
            text: t.to_string(),
            ..v.checks[0].clone()
        })
        .collect();
    v.observations = observes
        .iter()
        .map(|t| Observation {
            text: t.to_string(),
            note: None,
            value: None,
        })
        .collect();
    v
}

fn sides(a: VariantResult, b: VariantResult) -> (Side, Side) {
    let one = |name: &str, v: VariantResult| {
        let r = report("s", name, 1, vec![v]);
        side(name, vec![r])
    };
    (one("A", a), one("B", b))
}

fn runs(base: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| (base + i as f64) * MIB).collect()
}

/// 40 exploratory values whose runs are the same on both sides.
fn noise(n: usize) -> Vec<(String, Vec<f64>)> {
    (0..40)
        .map(|i| (format!("cgroup.c{i}.peak.memory_current"), runs(50.0, n)))
        .collect()
}

#[test]
fn a_checked_value_is_judged_in_its_family_where_one_family_would_drown_it() {
    // 10 + 10 runs, B 5.5 MiB higher with some overlap: exact p ≈ 0.0015.
    let (a_peak, b_peak) = (runs(10.0, 10), runs(15.5, 10));
    let mut na = noise(10);
    let mut nb = noise(10);
    na.push((PEAK.into(), a_peak.clone()));
    nb.push((PEAK.into(), b_peak.clone()));
    let check = ["cgroup.pod.peak.memory_current <= 64M"];
    let a = with_checks(&na, &[], &check, &[]);
    let b = with_checks(&nb, &[], &check, &[]);
    let (sa, sb) = sides(a, b);
    let c = compare(sa, sb, TEN);
    let s = &c.scenarios[0];
    let v = &s.variants[0];
    assert_eq!(v.primary_keys, [PEAK]);
    assert_eq!(v.changed.len(), 1, "{:?}", v.changed);
    let m = &v.changed[0];
    assert_eq!((m.key.as_str(), m.family), (PEAK, Some(Family::Primary)));
    let p = mann_whitney(&a_peak, &b_peak).unwrap().p;
    assert!((m.q.unwrap() - p).abs() < 1e-15 && p < 0.05, "{m:?}");
    // One family over all 41 values tested: the same p needs q = 41 · p.
    let mut all = vec![p];
    all.extend((0..40).map(|_| mann_whitney(&runs(50.0, 10), &runs(50.0, 10)).unwrap().p));
    assert!(benjamini_hochberg(&all)[0] >= 0.05, "{all:?}");
    assert_eq!(s.families.primary.tested, 1);
    assert_eq!(s.families.exploratory.tested, 40);
    assert!(s.families.primary.can_judge && s.families.primary.moved == 1);
    let shown = render(&c, None);
    for want in [
        "  primary family: 1 value, 10+10 runs: best reachable q 1.1e-5 — can judge; 1 moved",
        "  exploratory family (reported apart): 40 values, 10+10 runs: best reachable q 4.3e-4 — can judge; 0 moved",
        "moved: 1 of 1 primary and 0 of 40 exploratory values tested",
        "primary q=1.50e-3, shift +5.5 MiB [",
    ] {
        assert!(shown.contains(want), "{want:?} in\n{shown}");
    }
}

#[test]
fn five_runs_a_side_state_that_nine_values_cannot_be_judged() {
    let keys: Vec<String> = (0..9)
        .map(|i| format!("cgroup.c{i}.peak.memory_current"))
        .collect();
    let nums: Vec<(String, Vec<f64>)> = keys.iter().map(|k| (k.clone(), runs(10.0, 5))).collect();
    let checks: Vec<String> = keys[..6].iter().map(|k| format!("{k} < 1G")).collect();
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    let obs: Vec<&str> = keys[6..].iter().map(String::as_str).collect();
    let mut a = with_checks(&nums, &[], &checks, &obs);
    // A limit every run of both sides shares is left out.
    a.checks[0].text = format!("{} < param.limit", keys[0]);
    a.stats.insert("param.limit".into(), st(&[MIB; 5]));
    let (sa, sb) = sides(a.clone(), a);
    let c = compare(sa, sb, TEN);
    let p = &c.scenarios[0].families.primary;
    assert_eq!((p.values, p.tested, p.constant_left_out), (9, 9, 1));
    assert_eq!((p.runs_per_side, p.runs_needed_per_side), ([5, 5], 6));
    assert!((p.best_q - 9.0 * 2.0 / 252.0).abs() < 1e-12 && !p.can_judge);
    let shown = render(&c, None);
    let want = "  primary family: 9 values (1 constant left out), 5+5 runs: best reachable q 0.071 — cannot judge; needs 6 runs a side";
    assert!(shown.contains(want), "{shown}");
    let e = &c.scenarios[0].families.exploratory;
    assert_eq!((e.values, e.runs_needed_per_side), (0, 0));
    assert!(shown.contains("  exploratory family (reported apart): no number both sides have"));
    let json = serde_json::to_value(&c).unwrap();
    let fam = &json["scenarios"][0]["families"]["primary"];
    assert_eq!(fam["runs_needed_per_side"], 6);
    assert_eq!(fam["can_judge"], false);
    assert_eq!(fam["fdr"], 0.05);
}

#[test]
fn under_five_runs_the_power_line_says_not_tested() {
    let nums = vec![(PEAK.to_string(), runs(10.0, 3))];
    let a = with_checks(&nums, &[], &["cgroup.pod.peak.memory_current < 1G"], &[]);
    let (sa, sb) = sides(a.clone(), a);
    let shown = render(&compare(sa, sb, TEN), None);
    let want = "primary family: 1 value, 3+3 runs: best reachable q 0.10 — cannot judge (not tested under 5 runs a side); needs 5 runs a side";
    assert!(shown.contains(want), "{shown}");
}

#[test]
fn checks_give_their_paths_and_tolerances() {
    let nums = vec![
        ("x".to_string(), vec![100.0, 100.0]),
        ("y".to_string(), vec![200.0, 200.0]),
        ("phase.run.z".to_string(), vec![3.0, 3.0]),
        ("z".to_string(), vec![3.0, 3.0]),
    ];
    let checks = [
        "x == y ± 5%",
        "x == 100 ± 4 and not values_close(y, z, 10)",
        "w.killed_by == 'oom'",
    ];
    let a = with_checks(&nums, &[], &checks, &["phase.run.z / 2"]);
    let keys = family::primary_keys(&a, &a);
    assert_eq!(keys, ["w.killed_by", "x", "y", "z"]);
    let t = family::tolerances(&a);
    // x: 5% of y's 200 = 10, and 4: the smaller; y: 10, and (200 + 3) · 10% = 20.3.
    assert_eq!(t.get("x"), Some(&4.0));
    assert_eq!(t.get("y"), Some(&10.0));
    assert!((t["z"] - 20.3).abs() < 1e-9, "{t:?}");
    assert_eq!(t.get("w.killed_by"), None);
}

/// A peak within its check's tolerance, a swap that moved, a file count as noisy in A as the
/// move, a text whose shares changed and a path that differs only in a pid.
fn equivalence_case() -> Comparison {
    let wide: Vec<f64> = (0..10)
        .map(|i| (100.0 + 10.0 * f64::from(i)) * MIB)
        .collect();
    let nums_a = vec![
        (PEAK.to_string(), runs(100.0, 10)),
        ("cgroup.pod.peak.swap_current".to_string(), runs(100.0, 10)),
        ("cgroup.pod.memory_stat.file".to_string(), wide.clone()),
    ];
    let mut nums_b = nums_a.clone();
    nums_b[0].1 = runs(100.5, 10);
    nums_b[1].1 = runs(150.0, 10);
    nums_b[2].1 = wide.iter().map(|x| x + MIB).collect();
    let killed = [("none", 1), ("oom", 9)];
    let texts_a: [(&str, &[(&str, u32)]); 2] = [
        ("w.killed_by", &killed),
        ("w.path", &[("/cgharness/s-1-0/pod", 10)]),
    ];
    let texts_b: [(&str, &[(&str, u32)]); 2] = [
        ("w.killed_by", &[("oom", 10)]),
        ("w.path", &[("/cgharness/s-9-0/pod", 10)]),
    ];
    let checks = [
        "cgroup.pod.peak.memory_current == 100M ± 5M",
        "w.killed_by == 'oom'",
    ];
    let a = with_checks(&nums_a, &texts_a, &checks, &[]);
    let b = with_checks(&nums_b, &texts_b, &checks, &[]);
    let (sa, sb) = sides(a, b);
    let o = Options {
        threshold: 0.1,
        equivalence: true,
    };
    compare(sa, sb, o)
}

#[test]
fn equivalence_judges_numbers_texts_and_a_s_own_noise() {
    let c = equivalence_case();
    let e = c.scenarios[0].variants[0].equivalence.as_ref().unwrap();
    let by = |k: &str| e.values.iter().find(|v| v.key == k).unwrap();
    let peak = by(PEAK);
    assert!(peak.result.equivalent && peak.margin_from == equiv::MarginFrom::CheckTolerance);
    assert!(!by("cgroup.pod.peak.swap_current").result.equivalent);
    let file = by("cgroup.pod.memory_stat.file");
    assert_eq!(
        file.result.rule,
        crate::stats::equiv::Rule::AaNoise,
        "{file:?}"
    );
    assert!(file.result.equivalent, "{file:?}");
    let text = |k: &str| e.texts.iter().find(|t| t.key == k).unwrap().equivalent;
    assert_eq!(
        (text("w.killed_by"), text("w.path")),
        (Some(false), Some(true))
    );
    let shown = render(&c, None);
    for want in [
        "equivalence (B − A's 95% interval within ±margin): 2 of 3 numbers (≥ 5 runs a side), 1 of 2 texts the same k/n",
        "exploratory  ✗ cgroup.pod.peak.swap_current",
        "judged by A's own noise (an A/A split of A's runs is not within ±margin; B must hold 0 and be no wider): 1",
        "primary      ✗ text w.killed_by  A 1/10 none, 9/10 oom → B 10/10 oom",
        "equivalent: primary 1 of 1 numbers, 0 of 1 texts; exploratory 1 of 2 numbers, 1 of 1 texts",
    ] {
        assert!(shown.contains(want), "{want:?} in\n{shown}");
    }
    let json = serde_json::to_value(&c).unwrap();
    let v0 = &json["scenarios"][0]["variants"][0]["equivalence"]["values"][0];
    assert!(
        v0["b_minus_a"]["low"].is_number() && v0["margin"].is_number(),
        "{v0}"
    );
    assert_eq!(json["equivalence"], true);
}
