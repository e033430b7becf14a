//! Variant expansion: defaults, the `variants` matrix crossed with the `variant` list,
//! `--set` overrides (which collapse that parameter's axis), `--variant` filters, `--scale`.

use super::Options;
use crate::spec::params::{self, scalar_text, Decl, Value};
use crate::spec::{suggest, Source, Spec, SpecError};
use std::collections::BTreeMap;

/// One assignment: a label and the resolved parameter values.
pub type Assignment = (String, BTreeMap<String, Value>);

fn unknown_param(
    src: &Source,
    decls: &BTreeMap<String, Decl>,
    name: &str,
    what: &str,
) -> SpecError {
    let h = suggest::hint(name, decls.keys().map(String::as_str));
    src.error_at(
        name,
        format!("{what} names unknown parameter `{name}`{h}; declare it under [params]"),
    )
}

/// Every combination, as (parameter, text) pairs in a stable order.
fn combinations(
    src: &Source,
    spec: &Spec,
    decls: &BTreeMap<String, Decl>,
    opts: &Options,
) -> Result<Vec<Vec<(String, String)>>, SpecError> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (name, values) in &spec.variants {
        if !decls.contains_key(name) {
            return Err(unknown_param(src, decls, name, "[variants]"));
        }
        if opts.set.iter().any(|(k, _)| k == name) {
            continue;
        }
        let texts: Vec<String> = values.iter().filter_map(scalar_text).collect();
        combos = combos
            .into_iter()
            .flat_map(|c| {
                texts
                    .iter()
                    .map(move |t| [c.clone(), vec![(name.clone(), t.clone())]].concat())
            })
            .collect();
    }
    if !spec.variant.is_empty() {
        let mut crossed = Vec::new();
        for c in &combos {
            for v in &spec.variant {
                let mut row = c.clone();
                for (k, val) in v {
                    if !decls.contains_key(k) {
                        return Err(unknown_param(src, decls, k, "[[variant]]"));
                    }
                    if !opts.set.iter().any(|(s, _)| s == k) {
                        row.push((k.clone(), scalar_text(val).unwrap_or_default()));
                    }
                }
                crossed.push(row);
            }
        }
        combos = crossed;
    }
    Ok(combos)
}

/// Each parameter's value for one combination: `--set`, else the combination, else the
/// default; parsed and scaled.
fn resolve_values(
    src: &Source,
    decls: &BTreeMap<String, Decl>,
    combo: &[(String, String)],
    opts: &Options,
) -> Result<BTreeMap<String, Value>, SpecError> {
    let mut values = BTreeMap::new();
    for (name, d) in decls {
        let chosen = |list: &[(String, String)]| {
            list.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let text = chosen(&opts.set)
            .or_else(|| chosen(combo))
            .unwrap_or_else(|| d.default.clone());
        let v = params::parse(d, &text)
            .map_err(|e| src.error_at(name, format!("parameter `{name}` = {text:?}: {e}")))?;
        values.insert(name.clone(), params::scale(d, v, opts.scale));
    }
    Ok(values)
}

/// Expands the scenario's variants into resolved parameter sets.
pub fn expand(
    src: &Source,
    spec: &Spec,
    decls: &BTreeMap<String, Decl>,
    opts: &Options,
) -> Result<Vec<Assignment>, SpecError> {
    for (k, _) in opts.set.iter().chain(&opts.only) {
        if !decls.contains_key(k) {
            let h = suggest::hint(k, decls.keys().map(String::as_str));
            return Err(SpecError {
                origin: src.origin.clone(),
                line: 0,
                message: format!("--set/--variant: the scenario has no parameter `{k}`{h}"),
            });
        }
    }
    let mut out = Vec::new();
    for combo in combinations(src, spec, decls, opts)? {
        let keep = opts
            .only
            .iter()
            .all(|(k, v)| combo.iter().all(|(ck, cv)| ck != k || cv == v));
        if !keep {
            continue;
        }
        let label = if combo.is_empty() {
            "default".to_string()
        } else {
            combo
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let values = resolve_values(src, decls, &combo, opts)?;
        out.push((label, values));
    }
    if out.is_empty() {
        return Err(SpecError {
            origin: src.origin.clone(),
            line: 0,
            message:
                "--variant matches none of the scenario's variants (`cgharness show` lists them)"
                    .into(),
        });
    }
    Ok(out)
}
