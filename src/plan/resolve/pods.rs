//! `[[pod]]` → the kubelet model's pods: Kubernetes quantities parsed and scaled together
//! with the node's ([`super::node`] reads `[node]`; so the ratios in the oom_score_adj
//! formula and the allocatable arithmetic hold under `--scale`), pods expanded by `replicas`
//! and defaulted as the API server does; huge pages parsed unscaled and checked as the API
//! server checks them. [`super::pod_tree`] turns the model's answer into cgroups and
//! workloads.

use crate::k8s::model::{Container, ContainerKind, Pod, ResourceList, Resources};
use crate::k8s::v1_34::{self, hugepages};
use crate::size::{parse_cpu_quantity, parse_quantity};
use crate::spec::pods::{ContainerDecl, PodDecl, Uses};
use crate::spec::{Source, SpecError};
use std::collections::BTreeMap;

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

    /// A quantity with `${param}`s substituted, not scaled (huge pages: pages are whole).
    pub fn unscaled(&self, what: &str, text: &str) -> Result<u64, SpecError> {
        let t = (self.sub)(text)?;
        parse_quantity(&t).map_err(|e| self.src.error_at(text, format!("{what}: {e}")))
    }

    pub(super) fn opt_bytes(
        &self,
        what: &str,
        text: &Option<String>,
    ) -> Result<Option<u64>, SpecError> {
        text.as_deref().map(|t| self.bytes(what, t)).transpose()
    }

    fn cpu(&self, what: &str, text: &Option<String>) -> Result<Option<u64>, SpecError> {
        let Some(text) = text else { return Ok(None) };
        let t = (self.sub)(text)?;
        parse_cpu_quantity(&t)
            .map(Some)
            .map_err(|e| self.src.error_at(text, format!("{what}: {e}")))
    }

    pub(super) fn flag(&self, what: &str, v: &Option<toml::Value>) -> Result<bool, SpecError> {
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
            ..ResourceList::default()
        },
        limits: ResourceList {
            memory: q.opt_bytes(&format!("{at} memory_limit"), mem[1])?,
            cpu_milli: q.cpu(&format!("{at} cpu_limit"), cpu[1])?,
            ..ResourceList::default()
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
    let mut resources = resources(
        q,
        &at,
        [&c.memory_request, &c.memory_limit],
        [&c.cpu_request, &c.cpu_limit],
    )?;
    resources.requests.hugepages = huge(q, &at, "hugepages_request", &c.hugepages_request)?;
    resources.limits.hugepages = huge(q, &at, "hugepages_limit", &c.hugepages_limit)?;
    hugepages::validate(&resources).map_err(|e| {
        let decl = match e.list {
            Some("limits") => &c.hugepages_limit,
            _ => &c.hugepages_request,
        };
        let size = e
            .name
            .as_deref()
            .map(|n| n.trim_start_matches(hugepages::PREFIX));
        let text = size.and_then(|k| decl.as_ref()?.get(k)).unwrap_or(&c.name);
        q.src.error_at(text, format!("{at} {}", e.message))
    })?;
    Ok(Container {
        name: c.name.clone(),
        kind,
        resources,
    })
}

/// `hugepages_request`/`hugepages_limit = { "2Mi" = "4Mi" }` → by resource name
/// (`hugepages-2Mi`), unscaled; the page size must parse.
fn huge(
    q: &Quantities,
    at: &str,
    key: &str,
    decl: &Option<BTreeMap<String, String>>,
) -> Result<BTreeMap<String, u64>, SpecError> {
    let mut out = BTreeMap::new();
    for (size, text) in decl.iter().flatten() {
        let name = format!("{}{size}", hugepages::PREFIX);
        if !hugepages::page_size(&name).is_some_and(|p| p > 0) {
            return Err(q.src.error_at(
                text,
                format!(
                    "{at} {key} {size:?}: not a page size; write it as Kubernetes does (2Mi, 1Gi)"
                ),
            ));
        }
        out.insert(name, q.unscaled(&format!("{at} {key} {size}"), text)?);
    }
    Ok(out)
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
                pod_resources: Some(level.clone())
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
