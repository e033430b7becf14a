//! `[[cgroup]]` tables → control-file writes (values as the kernel takes them), implicit
//! parents added, parents ordered before children.

use crate::cgroupfs::io::DevId;
use crate::plan::CgroupPlan;
use crate::size::{parse_limit, parse_memparse};
use crate::spec::{suggest, CgroupDecl, Source, Spec, SpecError};
use std::collections::BTreeMap;

type Sub<'a> = &'a dyn Fn(&str) -> Result<String, SpecError>;

fn limit(
    src: &Source,
    sub: Sub,
    field: &str,
    text: &Option<String>,
) -> Result<Option<String>, SpecError> {
    let Some(text) = text else { return Ok(None) };
    let t = sub(text)?;
    parse_limit(&t)
        .map(|l| Some(l.to_kernel()))
        .map_err(|e| src.error_at(field, format!("{field} = {text:?}: {e}")))
}

fn io_max(
    src: &Source,
    text: &str,
    devices: &BTreeMap<String, DevId>,
) -> Result<String, SpecError> {
    let mut words = text.split_whitespace();
    let disk = words.next().unwrap_or_default();
    let dev = match devices.get(disk) {
        Some(d) => d.to_string(),
        None if DevId::parse(disk).is_some() => disk.to_string(),
        None => {
            let names: Vec<&str> = devices.keys().map(String::as_str).collect();
            let h = suggest::hint(disk, names.iter().copied());
            return Err(src.error_at(
                "io_max",
                format!(
                    "io_max: no disk `{disk}` here{h}; known: {} or MAJ:MIN",
                    names.join(", ")
                ),
            ));
        }
    };
    let mut out = vec![dev];
    for kv in words {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let value = match k {
            "rbps" | "wbps" if v == "max" => "max".to_string(),
            "rbps" | "wbps" => parse_memparse(v).map_err(|e| src.error_at("io_max", format!("io_max {k}: {e}")))?.to_string(),
            "riops" | "wiops" if v == "max" || v.parse::<u64>().is_ok() => v.to_string(),
            _ => return Err(src.error_at("io_max", format!("io_max: {kv:?}; use rbps=, wbps= (bytes/s, 1M = 1 MiB), riops=, wiops= or =max"))),
        };
        out.push(format!("{k}={value}"));
    }
    if out.len() == 1 {
        return Err(src.error_at(
            "io_max",
            "io_max needs at least one of rbps=, wbps=, riops=, wiops=",
        ));
    }
    Ok(out.join(" "))
}

fn writes(
    src: &Source,
    c: &CgroupDecl,
    sub: Sub,
    devices: &BTreeMap<String, DevId>,
) -> Result<Vec<(String, String)>, SpecError> {
    let mut w = Vec::new();
    let limits = [
        ("memory.max", "memory_max", &c.memory_max),
        ("memory.high", "memory_high", &c.memory_high),
        ("memory.low", "memory_low", &c.memory_low),
        ("memory.min", "memory_min", &c.memory_min),
        ("memory.swap.max", "swap_max", &c.swap_max),
        ("memory.swap.high", "swap_high", &c.swap_high),
        ("memory.zswap.max", "zswap_max", &c.zswap_max),
        ("pids.max", "pids_max", &c.pids_max),
        ("hugetlb.2MB.max", "hugetlb_2m_max", &c.hugetlb_2m_max),
        (
            "hugetlb.2MB.rsvd.max",
            "hugetlb_2m_rsvd_max",
            &c.hugetlb_2m_rsvd_max,
        ),
    ];
    for (file, field, text) in limits {
        if let Some(v) = limit(src, sub, field, text)? {
            w.push((file.to_string(), v));
        }
    }
    if let Some(g) = c.oom_group {
        w.push(("memory.oom.group".into(), if g { "1" } else { "0" }.into()));
    }
    if let Some(t) = &c.io_max {
        w.push(("io.max".into(), io_max(src, &sub(t)?, devices)?));
    }
    if let Some(weight) = c.io_weight {
        if !(1..=10000).contains(&weight) {
            return Err(src.error_at("io_weight", "io_weight is 1..10000"));
        }
        w.push(("io.weight".into(), format!("default {weight}")));
    }
    if let Some(t) = &c.cpu_max {
        w.push(("cpu.max".into(), sub(t)?));
    }
    Ok(w)
}

/// Splits a cgroup path, refusing empty, dot or odd components and the reserved `top`.
fn check_path<'a>(src: &Source, raw: &str, name: &'a str) -> Result<Vec<&'a str>, SpecError> {
    let parts: Vec<&str> = name.split('/').collect();
    let bad = parts.iter().any(|p| {
        p.is_empty()
            || *p == "."
            || *p == ".."
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if bad || parts[0] == "top" {
        return Err(src.error_at(raw, format!("cgroup name {name:?}: a path like `pod` or `parent/child` of letters, digits, - and _ (not `top`)")));
    }
    Ok(parts)
}

/// Resolves the tree.
pub fn resolve(
    src: &Source,
    spec: &Spec,
    sub: Sub,
    devices: &BTreeMap<String, DevId>,
) -> Result<Vec<CgroupPlan>, SpecError> {
    let mut out: Vec<CgroupPlan> = Vec::new();
    let mut explicit: Vec<String> = Vec::new();
    for c in &spec.cgroup {
        let name = sub(&c.name)?;
        let parts = check_path(src, &c.name, &name)?;
        if explicit.contains(&name) {
            return Err(src.error_at(&c.name, format!("cgroup `{name}` is declared twice")));
        }
        explicit.push(name.clone());
        let leaf = parts[parts.len() - 1];
        if out
            .iter()
            .any(|o| o.name != name && o.name.rsplit('/').next() == Some(leaf))
        {
            return Err(src.error_at(&c.name, format!("cgroup `{name}`: its last component `{leaf}` must be unique (value paths use it: cgroup.{leaf}.…)")));
        }
        for i in 1..parts.len() {
            let parent = parts[..i].join("/");
            if !out.iter().any(|o| o.name == parent) {
                out.push(CgroupPlan {
                    name: parent,
                    ..CgroupPlan::default()
                });
            }
        }
        let w = writes(src, c, sub, devices)?;
        match out.iter_mut().find(|o| o.name == name) {
            Some(o) => o.writes = w,
            None => out.push(CgroupPlan {
                name,
                writes: w,
                ..CgroupPlan::default()
            }),
        }
    }
    out.sort_by_key(|c| c.name.matches('/').count());
    Ok(out)
}
