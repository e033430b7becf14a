//! Checks: comparisons combined with `and`, `or`, `not` and parentheses, and
//! `values_close(a, b, pct)`. Pure.
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. A value a kernel does not
//! report makes its comparison unanswered (None), and the logic is Kleene's: `false and ?` is
//! false, `true or ?` is true, anything else with an unanswered part is unanswered.

use super::{cmp_of, eval::compare, paths, Cmp, Comparison, Expr, Outcome, Parser, Tok};
use super::{Tol, Val};
use std::collections::BTreeMap;

/// One checkable statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `lhs OP rhs [± tol]`.
    Cmp(Comparison),
    /// `values_close(a, b, pct)`: |a − b| ≤ (a + b) · pct / 100 (the kernel selftests'
    /// `values_close` in cgroup_util.c).
    Close(Expr, Expr, Expr),
    /// `not c`.
    Not(Box<Check>),
    /// `a and b and …`.
    All(Vec<Check>),
    /// `a or b or …`.
    Any(Vec<Check>),
}

/// Parses a check.
pub fn parse_check(text: &str) -> Result<Check, String> {
    Parser::whole(text, "check", Parser::any)
}

impl Parser {
    fn eat_word(&mut self, word: &str) -> bool {
        let hit = matches!(self.toks.get(self.pos), Some(Tok::Ident(w)) if w == word);
        self.pos += usize::from(hit);
        hit
    }

    fn any(&mut self) -> Result<Check, String> {
        let mut parts = vec![self.all()?];
        while self.eat_word("or") {
            parts.push(self.all()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Check::Any(parts)
        })
    }

    fn all(&mut self) -> Result<Check, String> {
        let mut parts = vec![self.negation()?];
        while self.eat_word("and") {
            parts.push(self.negation()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Check::All(parts)
        })
    }

    fn negation(&mut self) -> Result<Check, String> {
        if self.depth >= super::MAX_DEPTH {
            return Err(format!("check nested more than {} deep", super::MAX_DEPTH));
        }
        self.depth += 1;
        let c = if self.eat_word("not") {
            self.negation().map(|c| Check::Not(Box::new(c)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        c
    }

    /// `( check )`, `values_close(…)` or a comparison. A `(` may also open an arithmetic
    /// group (`(a + b) > c`): the check is tried first, then the comparison from there.
    fn primary(&mut self) -> Result<Check, String> {
        let at = self.pos;
        if self.eat("(") {
            match self.any() {
                Ok(c) if self.eat(")") => return Ok(c),
                _ => self.pos = at,
            }
        }
        if matches!(self.toks.get(self.pos), Some(Tok::Ident(w)) if w == "values_close")
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Op(o)) if o == "(")
        {
            self.pos += 2;
            return self.close();
        }
        self.comparison().map(Check::Cmp)
    }

    fn close(&mut self) -> Result<Check, String> {
        let a = self.sum()?;
        let mut rest = Vec::new();
        while self.eat(",") {
            rest.push(self.sum()?);
        }
        if !self.eat(")") {
            return Err("missing `)` after the arguments of values_close()".into());
        }
        match <[Expr; 2]>::try_from(rest) {
            Ok([b, pct]) => Ok(Check::Close(a, b, pct)),
            Err(_) => Err("values_close(a, b, pct) takes 3 arguments".into()),
        }
    }

    fn comparison(&mut self) -> Result<Comparison, String> {
        let lhs = self.sum()?;
        let cmp = self
            .peek_op()
            .and_then(cmp_of)
            .ok_or("expected a comparison (< <= > >= == !=) or values_close(a, b, pct)")?;
        self.pos += 1;
        let rhs = self.sum()?;
        let tol = if self.eat("±") {
            let t = self.sum()?;
            if self.eat("%") {
                match t {
                    Expr::Num(n) => Some(Tol::Rel(n / 100.0)),
                    _ => return Err("a relative tolerance is a number: `± 5%`".into()),
                }
            } else {
                Some(Tol::Abs(t))
            }
        } else {
            None
        };
        if tol.is_some() && !matches!(cmp, Cmp::Eq | Cmp::Ne) {
            return Err("a tolerance (±) goes with == or != only".into());
        }
        Ok(Comparison { lhs, cmp, rhs, tol })
    }
}

impl Check {
    /// Every value path the check mentions.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<String>) {
        match self {
            Check::Cmp(c) => out.extend(c.paths()),
            Check::Close(a, b, pct) => [a, b, pct].iter().for_each(|e| paths(e, out)),
            Check::Not(c) => c.collect(out),
            Check::All(cs) | Check::Any(cs) => cs.iter().for_each(|c| c.collect(out)),
        }
    }

    /// Evaluates the check. `lhs`/`rhs` are the two sides of a lone comparison or
    /// `values_close`; `values` holds every path's value.
    pub fn eval(&self, look: &dyn Fn(&str) -> Option<Val>) -> Outcome {
        let mut missing = Vec::new();
        let pass = self.judge(look, &mut missing);
        let (lhs, rhs) = match self {
            Check::Cmp(c) => {
                let o = c.eval(look);
                (o.lhs, o.rhs)
            }
            Check::Close(a, b, _) => (a.eval(look, &mut vec![]), b.eval(look, &mut vec![])),
            _ => (None, None),
        };
        let values: BTreeMap<String, Val> = self
            .paths()
            .into_iter()
            .filter_map(|p| Some((p.clone(), look(&p)?)))
            .collect();
        missing.dedup();
        Outcome {
            pass,
            lhs,
            rhs,
            missing,
            values,
        }
    }

    fn judge(&self, look: &dyn Fn(&str) -> Option<Val>, missing: &mut Vec<String>) -> Option<bool> {
        match self {
            Check::Cmp(c) => {
                let o = c.eval(look);
                missing.extend(o.missing);
                o.pass
            }
            Check::Close(a, b, pct) => {
                let num = |e: &Expr, m: &mut Vec<String>| match e.eval(look, m) {
                    Some(Val::Num(n)) => Some(n),
                    _ => None,
                };
                let (a, b, pct) = (num(a, missing)?, num(b, missing)?, num(pct, missing)?);
                compare(
                    &Val::Num((a - b).abs()),
                    Cmp::Le,
                    &Val::Num((a + b) * pct / 100.0),
                    0.0,
                )
            }
            Check::Not(c) => c.judge(look, missing).map(|p| !p),
            Check::All(cs) => kleene(cs.iter().map(|c| c.judge(look, missing)), false),
            Check::Any(cs) => kleene(cs.iter().map(|c| c.judge(look, missing)), true),
        }
    }
}

/// `and` (`decisive` = false: one false decides) or `or` (one true decides) over three-valued
/// parts; every part is evaluated so `missing` names them all.
fn kleene(parts: impl Iterator<Item = Option<bool>>, decisive: bool) -> Option<bool> {
    let parts: Vec<Option<bool>> = parts.collect();
    if parts.contains(&Some(decisive)) {
        Some(decisive)
    } else if parts.contains(&None) {
        None
    } else {
        Some(!decisive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(text: &str) -> Option<bool> {
        let look = |p: &str| match p {
            "a" => Some(Val::Num(10.0)),
            "b" => Some(Val::Num(11.0)),
            "s" => Some(Val::Str("oom".into())),
            _ => None,
        };
        parse_check(text).unwrap().eval(&look).pass
    }

    #[test]
    fn and_or_not_and_parentheses() {
        assert_eq!(judge("a < b and s == 'oom'"), Some(true));
        assert_eq!(judge("a > b and s == 'oom'"), Some(false));
        assert_eq!(judge("a > b or s == 'oom'"), Some(true));
        assert_eq!(judge("not a > b"), Some(true));
        assert_eq!(judge("not (a < b and b < 20)"), Some(false));
        // `and` binds tighter than `or`.
        assert_eq!(judge("a > b and a > b or a < b"), Some(true));
        assert_eq!(judge("a > b and (a > b or a < b)"), Some(false));
        // An arithmetic group is still an operand.
        assert_eq!(judge("(a + b) / 2 == 10.5"), Some(true));
        assert_eq!(judge("((a + b)) > 20 and (b - a) == 1"), Some(true));
    }

    #[test]
    fn missing_values_follow_kleene_logic() {
        assert_eq!(judge("x > 1 and a > b"), Some(false));
        assert_eq!(judge("x > 1 and a < b"), None);
        assert_eq!(judge("x > 1 or a < b"), Some(true));
        assert_eq!(judge("x > 1 or a > b"), None);
        assert_eq!(judge("not x > 1"), None);
        let o = parse_check("x > 1 or y > a")
            .unwrap()
            .eval(&|p| (p == "a").then_some(Val::Num(1.0)));
        assert_eq!(o.missing, vec!["x".to_string(), "y".to_string()]);
        assert_eq!(o.values.get("a"), Some(&Val::Num(1.0)));
    }

    #[test]
    fn values_close_has_the_selftests_meaning() {
        // |10 − 11| = 1 ≤ 21 · 5 / 100 = 1.05, but not ≤ 21 · 4 / 100 = 0.84.
        assert_eq!(judge("values_close(a, b, 5)"), Some(true));
        assert_eq!(judge("values_close(a, b, 4)"), Some(false));
        assert_eq!(
            judge("values_close(29M, 28M, 10) and not values_close(0, 1, 10)"),
            Some(true)
        );
        assert_eq!(judge("values_close(x, b, 5)"), None);
        let o = parse_check("values_close(a, b, 5)")
            .unwrap()
            .eval(&|p| (p == "a" || p == "b").then_some(Val::Num(3.0)));
        assert_eq!((o.lhs, o.rhs), (Some(Val::Num(3.0)), Some(Val::Num(3.0))));
    }

    #[test]
    fn bad_combined_checks_say_why() {
        assert!(parse_check("values_close(a, b)")
            .unwrap_err()
            .contains("3 arguments"));
        assert!(parse_check("a > b and")
            .unwrap_err()
            .contains("ends too early"));
        assert!(parse_check("(a > b").unwrap_err().contains(")"));
        assert!(parse_check("a > b c > d")
            .unwrap_err()
            .contains("unexpected"));
        let deep = format!("{}a > b", "not ".repeat(200));
        assert!(parse_check(&deep).unwrap_err().contains("nested"));
        // Nested groups parse (the check is tried before the arithmetic, once per level).
        let parens = format!("{}a > b{}", "(".repeat(30), ")".repeat(30));
        assert_eq!(judge(&parens), Some(false));
        let sums = format!("{}a + b{} > 20", "(".repeat(30), ")".repeat(30));
        assert_eq!(judge(&sums), Some(true));
    }
}
