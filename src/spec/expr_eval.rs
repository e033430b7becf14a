//! Evaluation of parsed expressions against a lookup of values. Pure.

use super::{Cmp, Comparison, Expr, Outcome, Tol, Val};

/// Every value path an expression or check mentions.
pub fn paths(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Path(p) => out.push(p.clone()),
        Expr::Bin(a, _, b) => {
            paths(a, out);
            paths(b, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| paths(a, out)),
        Expr::Num(_) | Expr::Str(_) => {}
    }
}

impl Expr {
    /// Evaluates; a missing path or a type mismatch gives None (missing paths are collected).
    pub fn eval(
        &self,
        look: &dyn Fn(&str) -> Option<Val>,
        missing: &mut Vec<String>,
    ) -> Option<Val> {
        match self {
            Expr::Num(n) => Some(Val::Num(*n)),
            Expr::Str(s) => Some(Val::Str(s.clone())),
            Expr::Path(p) => {
                let v = look(p);
                if v.is_none() {
                    missing.push(p.clone());
                }
                v
            }
            Expr::Bin(a, op, b) => {
                let (a, b) = (a.eval(look, missing), b.eval(look, missing));
                let (Some(Val::Num(a)), Some(Val::Num(b))) = (a, b) else {
                    return None;
                };
                Some(Val::Num(match op {
                    '+' => a + b,
                    '-' => a - b,
                    '*' => a * b,
                    _ => a / b,
                }))
            }
            Expr::Call(name, args) => {
                let vals: Vec<f64> = args
                    .iter()
                    .filter_map(|a| match a.eval(look, missing) {
                        Some(Val::Num(n)) => Some(n),
                        _ => None,
                    })
                    .collect();
                match (name.as_str(), vals.as_slice()) {
                    ("min", [a, b]) => Some(Val::Num(a.min(*b))),
                    ("max", [a, b]) => Some(Val::Num(a.max(*b))),
                    ("abs", [a]) => Some(Val::Num(a.abs())),
                    _ => None,
                }
            }
        }
    }
}

impl Comparison {
    /// Every value path the check mentions.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        paths(&self.lhs, &mut out);
        paths(&self.rhs, &mut out);
        if let Some(Tol::Abs(t)) = &self.tol {
            paths(t, &mut out);
        }
        out
    }

    /// Evaluates the check.
    pub fn eval(&self, look: &dyn Fn(&str) -> Option<Val>) -> Outcome {
        let mut missing = Vec::new();
        let lhs = self.lhs.eval(look, &mut missing);
        let rhs = self.rhs.eval(look, &mut missing);
        let tol = match &self.tol {
            None => Some(0.0),
            Some(Tol::Rel(r)) => match &rhs {
                Some(Val::Num(b)) => Some(r * b.abs()),
                _ => None,
            },
            Some(Tol::Abs(e)) => match e.eval(look, &mut missing) {
                Some(Val::Num(t)) => Some(t),
                _ => None,
            },
        };
        let pass = match (&lhs, &rhs, tol) {
            (Some(a), Some(b), Some(t)) => compare(a, self.cmp, b, t),
            _ => None,
        };
        Outcome {
            pass,
            lhs,
            rhs,
            missing,
            values: Default::default(),
        }
    }
}

pub(super) fn compare(a: &Val, cmp: Cmp, b: &Val, tol: f64) -> Option<bool> {
    match (a, b) {
        (Val::Num(a), Val::Num(b)) => Some(match cmp {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => (a - b).abs() <= tol,
            Cmp::Ne => (a - b).abs() > tol,
        }),
        (Val::Str(a), Val::Str(b)) => match cmp {
            Cmp::Eq => Some(a == b),
            Cmp::Ne => Some(a != b),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse_check, parse_expr};
    use super::*;
    use std::collections::BTreeMap;

    fn vals() -> BTreeMap<String, Val> {
        let mut m = BTreeMap::new();
        m.insert("phase.second-read.io.data.rbytes".into(), Val::Num(250e6));
        m.insert("param.file_size".into(), Val::Num(268435456.0));
        m.insert("workload.hog.killed_by".into(), Val::Str("oom".into()));
        m
    }

    fn check(text: &str) -> Outcome {
        let m = vals();
        parse_check(text).unwrap().eval(&|p| m.get(p).cloned())
    }

    #[test]
    fn paths_with_dashes_sizes_and_precedence() {
        assert_eq!(
            check("phase.second-read.io.data.rbytes >= 0.9 * param.file_size").pass,
            Some(true)
        );
        assert_eq!(
            check("phase.second-read.io.data.rbytes >= 0.95 * param.file_size").pass,
            Some(false)
        );
        assert_eq!(check("param.file_size == 256M").pass, Some(true));
        assert_eq!(check("param.file_size - 1M == 255M").pass, Some(true));
        assert_eq!(
            parse_expr("1 + 2 * 3")
                .unwrap()
                .eval(&|_| None, &mut vec![]),
            Some(Val::Num(7.0))
        );
    }

    #[test]
    fn strings_tolerances_and_missing_values() {
        assert_eq!(check("workload.hog.killed_by == \"oom\"").pass, Some(true));
        assert_eq!(check("workload.hog.killed_by != 'oom'").pass, Some(false));
        assert_eq!(
            check("phase.second-read.io.data.rbytes == param.file_size ± 10%").pass,
            Some(true)
        );
        assert_eq!(
            check("phase.second-read.io.data.rbytes == param.file_size +- 5%").pass,
            Some(false)
        );
        assert_eq!(check("250e6 == 251e6 ± 2M").pass, Some(true));
        let o = check("cgroup.pod.memory_events.oom_kill >= 1");
        assert_eq!(o.pass, None);
        assert_eq!(
            o.missing,
            vec!["cgroup.pod.memory_events.oom_kill".to_string()]
        );
        assert_eq!(
            check("max(1, param.file_size) > min(2, 3)").pass,
            Some(true)
        );
    }

    #[test]
    fn bad_checks_say_why() {
        assert!(parse_check("a.b").unwrap_err().contains("comparison"));
        assert!(parse_check("a > (b").unwrap_err().contains(")"));
        assert!(parse_check("a > b ± 5%").unwrap_err().contains("=="));
        assert!(parse_check("a > 12Q").unwrap_err().contains("size"));
        assert!(parse_check("a > sqrt(4)")
            .unwrap_err()
            .contains("unknown function"));
        assert!(parse_check("a > b $").unwrap_err().contains("unexpected"));
    }

    #[test]
    fn deep_or_long_checks_are_errors_not_a_stack_overflow() {
        // Found by review of the expr fuzz target, whose inputs (≤ 4 KiB) are too short to
        // reach it: a scenario file may be 1 MiB (fuzz/regressions/expr/).
        let deep = format!("a > {}1{}", "(".repeat(400), ")".repeat(400));
        assert!(parse_check(&deep).unwrap_err().contains("nested"));
        let minus = format!("a > {}1", "-".repeat(400));
        assert!(parse_check(&minus).unwrap_err().contains("nested"));
        for huge in ["(", "-", " + 1"] {
            let long = format!("a > 1{}", huge.repeat(100_000));
            assert!(parse_check(&long).unwrap_err().contains("tokens"));
        }
        let fine = format!("a > {}1{}", "(".repeat(20), ")".repeat(20));
        assert!(parse_check(&fine).is_ok());
    }
}
