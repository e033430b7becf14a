//! `[node]` → the kubelet model's node (quantities scaled with the pods, huge page pools
//! not) and the evictor that watches it. Validation only; [`super::pod_tree`] uses the result.

use super::pods::Quantities;
use crate::k8s::model::{HugePagePool, Node};
use crate::k8s::v1_34::hugepages;
use crate::k8s::SwapBehavior;
use crate::plan::pods::EvictorPlan;
use crate::spec::pods::NodeDecl;
use crate::spec::{suggest, Source, SpecError};

/// `swap_behavior`: NoSwap (default) or LimitedSwap.
fn swap_behavior(q: &Quantities, d: &NodeDecl) -> Result<SwapBehavior, SpecError> {
    match d
        .swap_behavior
        .as_deref()
        .map(q.sub)
        .transpose()?
        .as_deref()
    {
        None | Some("NoSwap") | Some("") => Ok(SwapBehavior::NoSwap),
        Some("LimitedSwap") => Ok(SwapBehavior::LimitedSwap),
        Some(o) => {
            let h = suggest::hint(o, ["NoSwap", "LimitedSwap"]);
            Err(q.src.error_at(
                "swap_behavior",
                format!("[node] swap_behavior {o:?}: NoSwap or LimitedSwap{h}"),
            ))
        }
    }
}

/// `enforce_node_allocatable` (default `["pods"]`).
fn enforce(src: &Source, d: &NodeDecl) -> Result<Vec<String>, SpecError> {
    let enforce = d
        .enforce_node_allocatable
        .clone()
        .unwrap_or_else(|| vec!["pods".into()]);
    let known = ["pods", "system-reserved", "kube-reserved"];
    match enforce.iter().find(|e| !known.contains(&e.as_str())) {
        None => Ok(enforce),
        Some(e) => {
            let h = suggest::hint(e, known);
            Err(src.error_at(
                "enforce_node_allocatable",
                format!("[node] enforce_node_allocatable: {e:?} is not one of pods, system-reserved, kube-reserved{h}"),
            ))
        }
    }
}

/// The node's settings, and the hard eviction threshold in bytes (the kubelet's default
/// `memory.available<100Mi` when not given).
pub fn node(q: &Quantities, d: &NodeDecl) -> Result<(Node, u64), SpecError> {
    let src = q.src;
    let swap_behavior = swap_behavior(q, d)?;
    let enforce = enforce(src, d)?;
    let factor = d.memory_throttling_factor.unwrap_or(0.9);
    if !(0.0..=1.0).contains(&factor) {
        return Err(src.error_at(
            "memory_throttling_factor",
            "[node] memory_throttling_factor: a number between 0 and 1 (the kubelet's default is 0.9)",
        ));
    }
    let zero = || Some("0".to_string());
    let node = Node {
        node_capacity: q.bytes("[node] node_capacity", &d.node_capacity)?,
        swap_capacity: q.bytes(
            "[node] swap_capacity",
            &d.swap_capacity.clone().or_else(zero).unwrap_or_default(),
        )?,
        system_reserved: q
            .opt_bytes("[node] system_reserved", &d.system_reserved)?
            .unwrap_or(0),
        kube_reserved: q
            .opt_bytes("[node] kube_reserved", &d.kube_reserved)?
            .unwrap_or(0),
        enforce_node_allocatable: enforce,
        swap_behavior,
        memory_qos: q.flag("memory_qos", &d.memory_qos)?,
        memory_throttling_factor: factor,
        single_process_oom_kill: q.flag("single_process_oom_kill", &d.single_process_oom_kill)?,
        page_size: 4096,
        hugepages: pools(q, d)?,
        hugetlb_controller: true,
        swap_controller: d.swap_controller.is_none()
            || q.flag("swap_controller", &d.swap_controller)?,
    };
    if node.node_capacity == 0 {
        return Err(src.error_at("node_capacity", "[node] node_capacity must be above 0"));
    }
    let eviction = eviction_bytes(q, d, node.node_capacity)?;
    Ok((node, eviction))
}

/// The evictor of a `pressure = "node"` scenario (`kubelet` unless `evictor = "none"`);
/// none for `kubepods` pressure, where a memcg OOM decides and eviction does not watch.
pub fn evictor(
    q: &Quantities,
    d: &NodeDecl,
    threshold_bytes: u64,
    node_pressure: bool,
) -> Result<Option<EvictorPlan>, SpecError> {
    let src = q.src;
    let mode = d.evictor.as_deref().map(q.sub).transpose()?;
    let mode = match (mode.as_deref(), node_pressure) {
        (Some("none"), _) | (None, false) => return Ok(None),
        (Some(m @ ("kubelet" | "psi")), _) => m.to_string(),
        (None, true) => "kubelet".to_string(),
        (Some(o), _) => {
            let h = suggest::hint(o, ["kubelet", "psi", "none"]);
            return Err(src.error_at(
                "evictor",
                format!("[node] evictor {o:?}: kubelet, psi or none{h}"),
            ));
        }
    };
    if !node_pressure {
        return Err(src.error_at("evictor", "[node] evictor needs pressure = \"node\": the kubelet evicts on the node's memory.available, which kubepods' own limit never moves"));
    }
    let (interval_ms, phase_ms, anchor) = schedule(q, d)?;
    let psi_trigger = match (mode.as_str(), &d.psi_trigger) {
        ("psi", t) => Some(psi_trigger(q, t.as_deref().unwrap_or("some 100ms 1s"))?),
        (_, Some(_)) => {
            return Err(src.error_at(
                "psi_trigger",
                "[node] psi_trigger goes with evictor = \"psi\"",
            ))
        }
        _ => None,
    };
    Ok(Some(EvictorPlan {
        mode,
        interval_ms,
        threshold_bytes,
        grace_ms: 2000,
        psi_trigger,
        phase_ms,
        anchor,
    }))
}

/// The evictor's schedule: `eviction_interval` (10 s), and the first look from
/// `eviction_phase` — a duration after the node is up, `random` (None), or `at MARK` (the
/// mark's text; the look at it, so a phase of 0).
fn schedule(q: &Quantities, d: &NodeDecl) -> Result<(u64, Option<u64>, Option<String>), SpecError> {
    let ms = |key: &str, v: &str| {
        crate::spec::params::parse_duration_ms(&(q.sub)(v)?).map_err(|e| {
            let or = match key {
                "eviction_phase" => " (or \"random\", or \"at MARK\": the first look at a mark such as \"web-app:done\")",
                _ => "",
            };
            q.src.error_at(v, format!("[node] {key}: {e}{or}"))
        })
    };
    let interval_ms = match &d.eviction_interval {
        Some(i) => ms("eviction_interval", i)?.max(1),
        None => 10_000,
    };
    let phase = d.eviction_phase.as_deref().map(q.sub).transpose()?;
    let anchor = phase
        .as_deref()
        .and_then(|p| p.strip_prefix("at "))
        .map(|m| m.trim().to_string());
    let phase_ms = match phase.as_deref() {
        None | Some("random") => None,
        Some(_) if anchor.is_some() => Some(0),
        Some(p) => Some(ms("eviction_phase", p)?),
    };
    Ok((interval_ms, phase_ms, anchor))
}

/// `some 100ms 1s` → the kernel's trigger text `some 100000 1000000` (µs).
fn psi_trigger(q: &Quantities, text: &str) -> Result<String, SpecError> {
    let t = (q.sub)(text)?;
    let bad = || {
        q.src.error_at(text, format!("[node] psi_trigger {t:?}: write `some|full STALL WINDOW` (`some 100ms 1s`; the window 500ms..10s)"))
    };
    let parts: Vec<&str> = t.split_whitespace().collect();
    let [kind @ ("some" | "full"), stall, window] = parts.as_slice() else {
        return Err(bad());
    };
    let us = |d: &str| {
        crate::size::parse_duration(d)
            .map(|d| d.as_micros() as u64)
            .map_err(|_| bad())
    };
    let (s, w) = (us(stall)?, us(window)?);
    if !(500_000..=10_000_000).contains(&w) || s == 0 || s > w {
        return Err(bad());
    }
    Ok(format!("{kind} {s} {w}"))
}

/// `evictionHard`'s `memory.available<X` (a quantity or a percentage of capacity).
fn eviction_bytes(q: &Quantities, d: &NodeDecl, capacity: u64) -> Result<u64, SpecError> {
    let Some(text) = &d.eviction_hard else {
        return q.bytes("[node] eviction_hard (default)", "100Mi");
    };
    let t = (q.sub)(text)?;
    let bad = || {
        q.src.error_at(
            text,
            format!("[node] eviction_hard {t:?}: write memory.available<QUANTITY (`memory.available<100Mi` or `<5%`); other signals are not modelled"),
        )
    };
    let value = t.strip_prefix("memory.available<").ok_or_else(bad)?;
    match value.strip_suffix('%') {
        Some(p) => {
            let pct: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&pct) {
                return Err(bad());
            }
            Ok((capacity as f64 * pct / 100.0) as u64)
        }
        None => q.bytes("[node] eviction_hard", value),
    }
}

/// `hugepages = { "2Mi" = "64Mi" }`: the pools by page size, each a whole number of pages,
/// not scaled (a pool is the machine's, pages are whole).
fn pools(q: &Quantities, d: &NodeDecl) -> Result<Vec<HugePagePool>, SpecError> {
    let mut out: Vec<HugePagePool> = Vec::new();
    for (size, text) in d.hugepages.iter().flatten() {
        let name = format!("{}{size}", hugepages::PREFIX);
        let bad = |why: String| {
            q.src
                .error_at(text, format!("[node] hugepages {size:?}: {why}"))
        };
        let page_bytes = hugepages::page_size(&name)
            .filter(|p| *p > 0)
            .ok_or_else(|| bad("not a page size: write it as Kubernetes does (2Mi, 1Gi)".into()))?;
        let pool_bytes = q.unscaled(&format!("[node] hugepages {size}"), text)?;
        if pool_bytes % page_bytes != 0 {
            return Err(bad(format!(
                "{pool_bytes} bytes is not a whole number of pages"
            )));
        }
        if out.iter().any(|p| p.page_bytes == page_bytes) {
            return Err(bad("that page size is given twice".into()));
        }
        out.push(HugePagePool {
            page_bytes,
            pool_bytes,
        });
    }
    out.sort_by_key(|p| p.page_bytes);
    Ok(out)
}

/// The host's page sizes the `[node]` does not declare, with no pool: the kubelet writes
/// hugetlb.<size>.max for every size `HugePageSizes()` finds on the machine, and cadvisor
/// reports each as capacity (0 without pre-allocated pages).
pub fn add_host_page_sizes(node: &mut Node, host: Option<&[u64]>) {
    for &page_bytes in host.unwrap_or_default() {
        if !node.hugepages.iter().any(|p| p.page_bytes == page_bytes) {
            node.hugepages.push(HugePagePool {
                page_bytes,
                pool_bytes: 0,
            });
        }
    }
    node.hugepages.sort_by_key(|p| p.page_bytes);
}
