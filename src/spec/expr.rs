//! The expectation language: `lhs OP rhs [± tol]` over analysis values. Pure.
//!
//! Operands are numbers (`0.9`, sizes like `64M` = 64 MiB as the kernel's memparse reads
//! them), quoted strings, value paths (`phase.second-read.io.data.rbytes`, `param.limit`) and
//! `min(a, b)`, `max(a, b)`, `abs(a)`; `+ - * /` with the usual precedence (a binary minus
//! needs spaces around it, since `-` may appear inside a path). Comparisons: `< <= > >= == !=`;
//! `a == b ± 5%` (or `+-`) allows a tolerance relative to `b`, `± 4M` an absolute one.
//! Checks combine with `and`, `or`, `not` and parentheses (see `expr_cond.rs`), and
//! `values_close(a, b, pct)` holds as the kernel selftests' helper does:
//! |a − b| ≤ (a + b) · pct / 100.

use serde::{Deserialize, Serialize};

/// A value an expression computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Val {
    /// A number (bytes, counts, ratios, ms).
    Num(f64),
    /// Text (`killed_by`, kernel release).
    Str(String),
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Val::Num(n) => write!(f, "{n:.4}"),
            Val::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal number.
    Num(f64),
    /// A literal string.
    Str(String),
    /// A value path.
    Path(String),
    /// `a op b` with op in `+ - * /`.
    Bin(Box<Expr>, char, Box<Expr>),
    /// `min`, `max`, `abs`.
    Call(String, Vec<Expr>),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// A tolerance on `==`/`!=`.
#[derive(Debug, Clone, PartialEq)]
pub enum Tol {
    /// Relative to the right-hand side, as a fraction (5% = 0.05).
    Rel(f64),
    /// Absolute.
    Abs(Expr),
}

/// One comparison: `lhs OP rhs [± tol]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Left side.
    pub lhs: Expr,
    /// Comparison.
    pub cmp: Cmp,
    /// Right side.
    pub rhs: Expr,
    /// Tolerance for `==`/`!=`.
    pub tol: Option<Tol>,
}

/// The outcome of evaluating a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Pass/fail; None when a value was missing (this kernel does not report it).
    pub pass: Option<bool>,
    /// The left side's value.
    pub lhs: Option<Val>,
    /// The right side's value.
    pub rhs: Option<Val>,
    /// Paths with no value.
    pub missing: Vec<String>,
    /// The value of every path the check read (what a combined check is shown with).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, Val>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Op(String),
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ':')
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if out.len() >= MAX_TOKENS {
            return Err(format!("more than {MAX_TOKENS} tokens"));
        }
        let c = cs[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '.') {
                i += 1;
            }
            let word: String = cs[start..i].iter().collect();
            out.push(Tok::Num(number(&word)?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < cs.len() && is_path_char(cs[i]) {
                i += 1;
            }
            out.push(Tok::Ident(cs[start..i].iter().collect()));
        } else if c == '"' || c == '\'' {
            let end = cs[i + 1..]
                .iter()
                .position(|&x| x == c)
                .ok_or("unclosed string")?;
            out.push(Tok::Str(cs[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            let op = match two.as_str() {
                "<=" | ">=" | "==" | "!=" | "+-" => two,
                _ if "<>+-*/(),%±".contains(c) => c.to_string(),
                _ => return Err(format!("unexpected `{c}` at column {}", i + 1)),
            };
            i += op.chars().count();
            out.push(Tok::Op(if op == "+-" { "±".into() } else { op }));
        }
    }
    Ok(out)
}

fn number(word: &str) -> Result<f64, String> {
    if let Ok(n) = word.parse::<f64>() {
        return Ok(n);
    }
    crate::size::parse_memparse(word)
        .map(|b| b as f64)
        .map_err(|_| format!("`{word}` is neither a number nor a size like 64M"))
}

/// How deep parentheses, unary minus and calls may nest: a check is one line, and a deeper
/// one (a 1 MiB scenario holds 500 000 `(`) would overflow the stack in the recursion.
const MAX_DEPTH: usize = 64;

/// How many tokens a check may have: `1 + 1 + …` parses in a loop but builds a tree as deep
/// as it is long, and evaluating or dropping that tree recurses.
const MAX_TOKENS: usize = 1000;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek_op(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn eat(&mut self, op: &str) -> bool {
        let hit = self.peek_op() == Some(op);
        self.pos += usize::from(hit);
        hit
    }

    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while let Some(op @ ("+" | "-")) = self.peek_op() {
            let op = op.chars().next().unwrap_or('+');
            self.pos += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        while let Some(op @ ("*" | "/")) = self.peek_op() {
            let op = op.chars().next().unwrap_or('*');
            self.pos += 1;
            e = Expr::Bin(Box::new(e), op, Box::new(self.atom()?));
        }
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("expression nested more than {MAX_DEPTH} deep"));
        }
        self.depth += 1;
        let e = self.atom_inner();
        self.depth -= 1;
        e
    }

    fn atom_inner(&mut self) -> Result<Expr, String> {
        let tok = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or("expression ends too early")?;
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Op(o) if o == "-" => Ok(Expr::Bin(
                Box::new(Expr::Num(0.0)),
                '-',
                Box::new(self.atom()?),
            )),
            Tok::Op(o) if o == "(" => {
                let e = self.sum()?;
                self.eat(")")
                    .then_some(e)
                    .ok_or_else(|| "missing `)`".to_string())
            }
            Tok::Ident(name) if self.eat("(") => self.call(name),
            Tok::Ident(path) => Ok(Expr::Path(path)),
            Tok::Op(o) => Err(format!("unexpected `{o}`")),
        }
    }

    fn call(&mut self, name: String) -> Result<Expr, String> {
        let mut args = vec![self.sum()?];
        while self.eat(",") {
            args.push(self.sum()?);
        }
        if !self.eat(")") {
            return Err(format!("missing `)` after the arguments of {name}()"));
        }
        let want = match name.as_str() {
            "min" | "max" => 2,
            "abs" => 1,
            _ => return Err(format!("unknown function {name}(); known: min, max, abs")),
        };
        if args.len() != want {
            return Err(format!("{name}() takes {want} argument(s)"));
        }
        Ok(Expr::Call(name, args))
    }
}

fn cmp_of(op: &str) -> Option<Cmp> {
    Some(match op {
        "<" => Cmp::Lt,
        "<=" => Cmp::Le,
        ">" => Cmp::Gt,
        ">=" => Cmp::Ge,
        "==" => Cmp::Eq,
        "!=" => Cmp::Ne,
        _ => return None,
    })
}

impl Parser {
    /// Parses all of `text` with `rule`; tokens left over are an error naming `what`.
    fn whole<T>(
        text: &str,
        what: &str,
        rule: impl FnOnce(&mut Parser) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut p = Parser {
            toks: lex(text)?,
            pos: 0,
            depth: 0,
        };
        let out = rule(&mut p)?;
        match p.toks.get(p.pos) {
            None => Ok(out),
            Some(t) => Err(format!("unexpected {t:?} after the {what}")),
        }
    }
}

/// Parses a standalone expression (for `observe`).
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    Parser::whole(text, "expression", Parser::sum)
}

#[path = "expr_eval.rs"]
mod eval;
pub use eval::paths;

#[path = "expr_cond.rs"]
mod cond;
pub use cond::{parse_check, Check};
