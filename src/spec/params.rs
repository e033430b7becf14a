//! Scenario parameters: declarations, typed values, `--set` overrides, `--scale`, variants and
//! `${name}` substitution. Pure.
//!
//! A parameter is a plain TOML value (integer, float, bool, string) or a table:
//! `{ size = "4G" }` (memparse, scaled by `--scale` unless `scale = false`, optionally
//! `align = "2M"`), or `{ quantity = "200Mi" }` (a Kubernetes quantity, not scaled unless
//! `scale = true`).

use crate::size::{parse_memparse, parse_quantity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a parameter's text is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    /// memparse size in bytes.
    Size {
        /// Shrinks with `--scale`.
        scale: bool,
        /// Scaled values round down to a multiple of this (at least one unit).
        align_bytes: u64,
    },
    /// Kubernetes quantity in bytes.
    Quantity {
        /// Shrinks with `--scale`.
        scale: bool,
    },
    /// Integer.
    Int,
    /// Float.
    Float,
    /// Bool.
    Bool,
    /// Text.
    Str,
}

/// A declared parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decl {
    /// How to read it.
    pub kind: Kind,
    /// Its default, as written.
    pub default: String,
}

/// A resolved parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Bytes.
    Bytes(u64),
    /// A number.
    Num(f64),
    /// A bool.
    Bool(bool),
    /// Text.
    Str(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bytes(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

/// Text of a TOML scalar as a user would write it.
pub fn scalar_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(x) => Some(x.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads one `[params]` entry.
pub fn declare(v: &toml::Value) -> Result<Decl, String> {
    let plain = |kind, text: String| {
        Ok(Decl {
            kind,
            default: text,
        })
    };
    match v {
        toml::Value::Integer(i) => plain(Kind::Int, i.to_string()),
        toml::Value::Float(x) => plain(Kind::Float, x.to_string()),
        toml::Value::Boolean(b) => plain(Kind::Bool, b.to_string()),
        toml::Value::String(s) => plain(Kind::Str, s.clone()),
        toml::Value::Table(t) => declare_table(t),
        _ => Err("a parameter is a number, bool, string, or { size = \"4G\" } / { quantity = \"200Mi\" }".into()),
    }
}

fn declare_table(t: &toml::map::Map<String, toml::Value>) -> Result<Decl, String> {
    for k in t.keys() {
        if !["size", "quantity", "scale", "align"].contains(&k.as_str()) {
            let h = super::suggest::hint(k, ["size", "quantity", "scale", "align"]);
            return Err(format!("unknown key `{k}` in a parameter table{h}"));
        }
    }
    let scale = t.get("scale").and_then(toml::Value::as_bool);
    let text = |k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_string);
    let align_bytes = match text("align") {
        Some(a) => parse_memparse(&a).map_err(|e| e.to_string())?.max(1),
        None => 4096,
    };
    let (kind, default) = match (text("size"), text("quantity")) {
        (Some(s), None) => (
            Kind::Size {
                scale: scale.unwrap_or(true),
                align_bytes,
            },
            s,
        ),
        (None, Some(q)) => (
            Kind::Quantity {
                scale: scale.unwrap_or(false),
            },
            q,
        ),
        _ => return Err(
            "a parameter table needs exactly one of size = \"…\" or quantity = \"…\" (a string)"
                .into(),
        ),
    };
    let d = Decl { kind, default };
    parse(&d, &d.default)?;
    Ok(d)
}

/// Parses `text` as a value of `decl`'s kind (before scaling).
pub fn parse(decl: &Decl, text: &str) -> Result<Value, String> {
    let t = text.trim();
    match &decl.kind {
        Kind::Size { .. } => parse_memparse(t)
            .map(Value::Bytes)
            .map_err(|e| e.to_string()),
        Kind::Quantity { .. } => parse_quantity(t)
            .map(Value::Bytes)
            .map_err(|e| e.to_string()),
        Kind::Int | Kind::Float => t
            .parse::<f64>()
            .map(Value::Num)
            .map_err(|_| format!("{t:?} is not a number")),
        Kind::Bool => t
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| format!("{t:?} is not true or false")),
        Kind::Str => Ok(Value::Str(t.to_string())),
    }
}

/// A `--scale` ratio such as `1/16` or `0.25`.
pub fn parse_scale(text: &str) -> Result<f64, String> {
    let r = match text.split_once('/') {
        Some((a, b)) => match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
            (Ok(a), Ok(b)) if b != 0.0 => a / b,
            _ => f64::NAN,
        },
        None => text.trim().parse::<f64>().unwrap_or(f64::NAN),
    };
    if r.is_finite() && r > 0.0 && r <= 1.0 {
        Ok(r)
    } else {
        Err(format!(
            "--scale {text:?}: expected a ratio in (0, 1] such as 1/16 or 0.25"
        ))
    }
}

/// Applies `--scale` to a value of `decl`'s kind.
pub fn scale(decl: &Decl, v: Value, ratio: f64) -> Value {
    let (on, align) = match &decl.kind {
        Kind::Size { scale, align_bytes } => (*scale, *align_bytes),
        Kind::Quantity { scale } => (*scale, 4096),
        _ => (false, 1),
    };
    match v {
        Value::Bytes(b) if on && ratio < 1.0 && b > 0 => {
            let scaled = (b as f64 * ratio) as u64;
            Value::Bytes((scaled / align).max(1) * align)
        }
        other => other,
    }
}

/// Replaces every `${name}` in `text` with the parameter's value.
pub fn substitute(text: &str, values: &BTreeMap<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in {text:?}"))?;
        let name = &rest[i + 2..i + end];
        let v = values.get(name).ok_or_else(|| {
            let h = super::suggest::hint(name, values.keys().map(String::as_str));
            format!("unknown parameter `${{{name}}}`{h}")
        })?;
        out.push_str(&v.to_string());
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A duration such as `90s` or `5m`, in ms.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    crate::size::parse_duration(text).map(|d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(src: &str) -> Result<Decl, String> {
        let v: toml::Table = toml::from_str(&format!("p = {src}")).unwrap();
        declare(&v["p"])
    }

    #[test]
    fn sizes_scale_and_align_quantities_do_not() {
        let d = decl(r#"{ size = "4G" }"#).unwrap();
        let v = parse(&d, &d.default).unwrap();
        assert_eq!(scale(&d, v, 1.0 / 16.0), Value::Bytes(256 << 20));
        let h = decl(r#"{ size = "5M", align = "2M" }"#).unwrap();
        assert_eq!(scale(&h, Value::Bytes(5 << 20), 0.5), Value::Bytes(2 << 20));
        assert_eq!(
            scale(&h, Value::Bytes(5 << 20), 0.01),
            Value::Bytes(2 << 20)
        );
        let q = decl(r#"{ quantity = "200Mi" }"#).unwrap();
        assert_eq!(parse(&q, "500M").unwrap(), Value::Bytes(500_000_000));
        assert_eq!(
            scale(&q, Value::Bytes(200 << 20), 1.0 / 16.0),
            Value::Bytes(200 << 20)
        );
    }

    #[test]
    fn plain_values_and_bad_declarations() {
        assert_eq!(decl("2").unwrap().kind, Kind::Int);
        assert_eq!(
            parse(&decl("true").unwrap(), "false").unwrap(),
            Value::Bool(false)
        );
        assert!(decl(r#"{ sise = "4G" }"#)
            .unwrap_err()
            .contains("did you mean `size`"));
        assert!(decl(r#"{ size = "4Q" }"#).unwrap_err().contains("4Q"));
        assert!(parse(&decl("1").unwrap(), "x").is_err());
    }

    #[test]
    fn scale_ratios() {
        assert_eq!(parse_scale("1/16"), Ok(0.0625));
        assert_eq!(parse_scale("0.5"), Ok(0.5));
        assert!(
            parse_scale("2").is_err() && parse_scale("1/0").is_err() && parse_scale("x").is_err()
        );
    }

    #[test]
    fn substitution_names_unknown_parameters() {
        let mut m = BTreeMap::new();
        m.insert("limit".to_string(), Value::Bytes(1024));
        assert_eq!(substitute("max=${limit}!", &m).unwrap(), "max=1024!");
        assert!(substitute("${limt}", &m)
            .unwrap_err()
            .contains("did you mean `limit`"));
        assert!(substitute("${limit", &m).is_err());
    }
}
