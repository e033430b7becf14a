//! `[node]` and `[[pod]]` → the kubelet model's inputs: Kubernetes quantities parsed and
//! scaled together (so the ratios in the oom_score_adj formula and the allocatable
//! arithmetic hold under `--scale`), pods expanded by `replicas` and defaulted as the API
//! server does. [`super::pod_tree`] turns the model's answer into cgroups and workloads.

use crate::k8s::model::{Container, ContainerKind, Node, Pod, ResourceList, Resources};
use crate::k8s::{v1_34, SwapBehavior};
use crate::plan::pods::EvictorPlan;
use crate::size::{parse_cpu_quantity, parse_quantity};
use crate::spec::pods::{ContainerDecl, NodeDecl, PodDecl, Uses};
use crate::spec::{suggest, Source, SpecError};

type Sub<'a> = &'a dyn Fn(&str) -> Result<String, SpecError>;

/// Parses quantities and scales them.
pub struct Quantities<'a> {
    pub src: &'a Source,
    pub sub: Sub<'a>,
    pub scale: f64,
}

impl Quantities<'_> {
    /// A memory quantity, `${param}`s substituted, scaled.
    pub fn bytes(&self, what: &str, text: &str) -> Result<u64, SpecError> {
        let t = (self.sub)(text)?;
        let b = parse_quantity(&t).map_err(|e| self.src.error_at(text, format!("{what}: {e}")))?;
        Ok((b as f64 * self.scale).floor() as u64)
    }

    fn opt_bytes(&self, what: &str, text: &Option<String>) -> Result<Option<u64>, SpecError> {
        text.as_deref().map(|t| self.bytes(what, t)).transpose()
    }

    fn cpu(&self, what: &str, text: &Option<String>) -> Result<Option<u64>, SpecError> {
        let Some(text) = text else { return Ok(None) };
        let t = (self.sub)(text)?;
        parse_cpu_quantity(&t)
            .map(Some)
            .map_err(|e| self.src.error_at(text, format!("{what}: {e}")))
    }

    fn flag(&self, what: &str, v: &Option<toml::Value>) -> Result<bool, SpecError> {
        let text = match v {
            None => return Ok(false),
            Some(toml::Value::Boolean(b)) => return Ok(*b),
            Some(toml::Value::String(s)) => (self.sub)(s)?,
            Some(other) => other.to_string(),
        };
        match text.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(self
                .src
                .error_at(what, format!("[node] {what}: true or false, not {text:?}"))),
        }
    }
}

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
    let ms = |key: &str, v: &str| {
        crate::spec::params::parse_duration_ms(&(q.sub)(v)?)
            .map_err(|e| {
                let or = match key {
                    "eviction_phase" => " (or \"random\", or \"at MARK\": the first look at a mark such as \"web-app:done\")",
                    _ => "",
                };
                src.error_at(v, format!("[node] {key}: {e}{or}"))
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

/// A DNS label (RFC 1123), as Kubernetes requires of pod and container names.
pub fn dns_label(src: &Source, what: &str, name: &str) -> Result<(), SpecError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        return Ok(());
    }
    Err(src.error_at(
        name,
        format!("{what} name {name:?}: a DNS label (lowercase letters, digits and -, at most 63, not starting or ending with -)"),
    ))
}

fn resources(
    q: &Quantities,
    at: &str,
    mem: [&Option<String>; 2],
    cpu: [&Option<String>; 2],
) -> Result<Resources, SpecError> {
    Ok(Resources {
        requests: ResourceList {
            memory: q.opt_bytes(&format!("{at} memory_request"), mem[0])?,
            cpu_milli: q.cpu(&format!("{at} cpu_request"), cpu[0])?,
        },
        limits: ResourceList {
            memory: q.opt_bytes(&format!("{at} memory_limit"), mem[1])?,
            cpu_milli: q.cpu(&format!("{at} cpu_limit"), cpu[1])?,
        },
    })
}

fn container(
    q: &Quantities,
    pod: &str,
    c: &ContainerDecl,
    init: bool,
) -> Result<Container, SpecError> {
    dns_label(q.src, "container", &c.name)?;
    let kind = match (init, c.restart_policy.as_deref()) {
        (false, None) => ContainerKind::Regular,
        (true, None) => ContainerKind::Init,
        (true, Some("Always")) => ContainerKind::Sidecar,
        (_, Some(p)) => {
            return Err(q.src.error_at(
                "restart_policy",
                format!("pod {pod} container {}: restart_policy {p:?}: only an init container may set it, and only to \"Always\" (a sidecar)", c.name),
            ))
        }
    };
    let at = format!("pod {pod} container {}:", c.name);
    Ok(Container {
        name: c.name.clone(),
        kind,
        resources: resources(
            q,
            &at,
            [&c.memory_request, &c.memory_limit],
            [&c.cpu_request, &c.cpu_limit],
        )?,
    })
}

/// The names of a `[[pod]]`'s replicas: `NAME` alone, or `NAME-0` … with `replicas`.
pub fn replica_names(d: &PodDecl) -> Vec<String> {
    match d.replicas {
        None => vec![d.name.clone()],
        Some(n) => (0..n).map(|i| format!("{}-{i}", d.name)).collect(),
    }
}

/// A pod's init containers then its containers, names unique.
fn containers(q: &Quantities, d: &PodDecl) -> Result<Vec<Container>, SpecError> {
    let mut out: Vec<Container> = Vec::new();
    let inits = d.init_container.iter().map(|c| (c, true));
    for (c, init) in inits.chain(d.container.iter().map(|c| (c, false))) {
        if out.iter().any(|o| o.name == c.name) {
            return Err(q.src.error_at(
                &c.name,
                format!("pod {}: two containers named {}", d.name, c.name),
            ));
        }
        out.push(container(q, &d.name, c, init)?);
    }
    Ok(out)
}

/// One `[[pod]]`'s replicas as the API server stores them (defaulted; UID = name).
pub fn pods(q: &Quantities, d: &PodDecl) -> Result<Vec<Pod>, SpecError> {
    dns_label(q.src, "pod", &d.name)?;
    if d.replicas == Some(0) {
        return Err(q.src.error_at(
            "replicas",
            format!("pod {}: replicas must be at least 1", d.name),
        ));
    }
    if d.container.is_empty() {
        return Err(q.src.error_at(
            &d.name,
            format!("pod {}: needs at least one [[pod.container]]", d.name),
        ));
    }
    let containers = containers(q, d)?;
    let level = resources(
        q,
        &format!("pod {}:", d.name),
        [&d.memory_request, &d.memory_limit],
        [&d.cpu_request, &d.cpu_limit],
    )?;
    let priority = d.priority.or_else(|| {
        d.priority_class
            .as_deref()
            .and_then(v1_34::builtin_priority)
    });
    Ok(replica_names(d)
        .into_iter()
        .map(|name| {
            let mut pod = Pod {
                uid: name.clone(),
                name,
                priority_class: d.priority_class.clone(),
                priority,
                containers: containers.clone(),
                pod_resources: Some(level)
                    .filter(|r| !(r.requests.is_empty() && r.limits.is_empty())),
            };
            v1_34::apply_defaults(&mut pod);
            pod
        })
        .collect())
}

/// `uses` for replica `i` of `n`, in bytes (scaled).
pub fn uses_for(
    q: &Quantities,
    pod: &str,
    c: &ContainerDecl,
    i: usize,
    n: usize,
) -> Result<Option<u64>, SpecError> {
    match &c.uses {
        None => Ok(None),
        Some(Uses::One(t)) => q.bytes(&format!("pod {pod} container {} uses", c.name), t).map(Some),
        Some(Uses::Each(list)) if list.len() == n => q
            .bytes(&format!("pod {pod} container {} uses", c.name), &list[i])
            .map(Some),
        Some(Uses::Each(list)) => Err(q.src.error_at(
            "uses",
            format!("pod {pod} container {}: uses has {} entries for {n} replica(s); give one per replica or a single quantity", c.name, list.len()),
        )),
    }
}
