//! Kubernetes manifests (YAML text) → pods: a Pod, or the pod template of a Deployment,
//! StatefulSet, Job, DaemonSet, ReplicaSet or CronJob, in one or many documents. Errors carry
//! the line and column and say what was expected (the tree with positions is [`super::yaml`]'s).
//! No I/O: the caller reads the file.

use super::model::{Container, ContainerKind, Pod, ResourceList, Resources};
use super::v1_34::hugepages::{self, PREFIX};
use super::yaml::{documents, Node, Value};
use crate::size::{parse_cpu_quantity, parse_quantity};

/// A manifest that could not be read, with where and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{col}: {message}")]
pub struct ManifestError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// Reads every pod in `text`; a workload gives one pod per replica, named as the kubelet
/// would see it. Huge pages are checked as the API server checks them.
pub fn parse_pods(text: &str) -> Result<Vec<Pod>, ManifestError> {
    parse(text, true)
}

/// [`parse_pods`] without the API server's checks: pods as the kubelet's unit tests build
/// them (`k8s explain --no-api-defaults`).
pub fn parse_pods_as_stored(text: &str) -> Result<Vec<Pod>, ManifestError> {
    parse(text, false)
}

fn parse(text: &str, check: bool) -> Result<Vec<Pod>, ManifestError> {
    let mut pods = Vec::new();
    for doc in &documents(text)? {
        pods.extend(document_pods(doc, check)?);
    }
    Ok(pods)
}

const KINDS: &str = "Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or List";

/// What a document is: a List's items, or one object.
pub(super) enum Doc<'a> {
    /// `kind: List`.
    List(&'a [Node]),
    /// A Pod or a workload.
    Object(Object<'a>),
}

/// An object's kind, name and pod template (a Pod's is the Pod itself).
pub(super) struct Object<'a> {
    pub(super) kind: &'a str,
    pub(super) name: String,
    pub(super) template: &'a Node,
}

/// Concatenates the lists of a walk over a List's items, stopping at the first error.
pub(super) fn flat<T>(
    parts: impl Iterator<Item = Result<Vec<T>, ManifestError>>,
) -> Result<Vec<T>, ManifestError> {
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// Reads a document's `kind`, `metadata.name` (default: the kind in lowercase) and template.
pub(super) fn doc(doc: &Node) -> Result<Doc<'_>, ManifestError> {
    let kind_node = doc
        .get("kind")
        .ok_or_else(|| doc.err(format!("no `kind`: expected {KINDS}")))?;
    let kind = kind_node.str("kind")?;
    let name = doc
        .get("metadata")
        .and_then(|m| m.get("name"))
        .map(|n| n.str("metadata.name").map(str::to_string))
        .transpose()?
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let template = match kind {
        "Pod" => doc,
        "List" => {
            let items = doc
                .get("items")
                .ok_or_else(|| doc.err("List without `items`"))?;
            return Ok(Doc::List(items.seq("items")?));
        }
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            path(doc, &["spec", "template"])?
        }
        "CronJob" => path(doc, &["spec", "jobTemplate", "spec", "template"])?,
        other => {
            return Err(kind_node.err(format!("unknown kind {other:?}: expected {KINDS}")));
        }
    };
    Ok(Doc::Object(Object {
        kind,
        name,
        template,
    }))
}

fn document_pods(node: &Node, check: bool) -> Result<Vec<Pod>, ManifestError> {
    let (kind, name, template) = match doc(node)? {
        Doc::List(items) => return flat(items.iter().map(|i| document_pods(i, check))),
        Doc::Object(o) => (o.kind, o.name, o.template),
    };
    if kind == "Pod" {
        return Ok(vec![pod_from(node, &name, check)?]);
    }
    let count = replicas(node, kind)?;
    (0..count)
        .map(|i| pod_from(template, &replica_name(kind, &name, i), check))
        .collect()
}

/// How many pods a workload makes: `spec.replicas` (Deployment, ReplicaSet, StatefulSet) or
/// `spec.parallelism` (Job), default 1; one for a DaemonSet (one node) and a CronJob run.
pub(super) fn replicas(doc: &Node, kind: &str) -> Result<u64, ManifestError> {
    let key = match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" => "replicas",
        "Job" => "parallelism",
        _ => return Ok(1),
    };
    let Some(n) = doc.get("spec").and_then(|s| s.get(key)) else {
        return Ok(1);
    };
    match n.str(key)?.parse::<u64>() {
        Ok(v) if v <= MAX_REPLICAS => Ok(v),
        _ => Err(n.err(format!(
            "spec.{key}: expected a whole number from 0 to {MAX_REPLICAS}"
        ))),
    }
}

/// More pods than this on one node is a typo, not a scenario (the kubelet's maxPods is 110).
const MAX_REPLICAS: u64 = 1000;

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand.String` (no vowels, no 0/1/3).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `len` characters of the random-suffix alphabet, stable for a given `seed`.
fn suffix(seed: &str, len: usize) -> String {
    let mut h = fnv(seed);
    (0..len)
        .map(|_| {
            let c = NAME_ALPHABET[(h % NAME_ALPHABET.len() as u64) as usize];
            h = h.wrapping_mul(0x0100_0000_01b3) ^ (h >> 29);
            char::from(c)
        })
        .collect()
}

/// The pod name the kubelet sees for replica `i` of a workload: StatefulSet `name-i`;
/// Deployment `name-<pod-template-hash>-<5>`; ReplicaSet, Job, DaemonSet `name-<5>`; CronJob
/// `name-<schedule time>-<5>`. The random parts are stable pseudo-random stand-ins.
fn replica_name(kind: &str, name: &str, i: u64) -> String {
    let tail = suffix(&format!("{name}/{i}"), 5);
    match kind {
        "StatefulSet" => format!("{name}-{i}"),
        "Deployment" => format!("{name}-{}-{tail}", suffix(name, 10)),
        "CronJob" => format!("{name}-29000000-{tail}"),
        _ => format!("{name}-{tail}"),
    }
}

fn path<'a>(node: &'a Node, keys: &[&str]) -> Result<&'a Node, ManifestError> {
    let mut n = node;
    for k in keys {
        n = n
            .get(k)
            .ok_or_else(|| n.err(format!("expected `{}`", keys.join("."))))?;
    }
    Ok(n)
}

fn pod_from(obj: &Node, name: &str, check: bool) -> Result<Pod, ManifestError> {
    let spec = obj
        .get("spec")
        .ok_or_else(|| obj.err("expected `spec` with containers"))?;
    let meta = obj.get("metadata");
    let uid = match meta.and_then(|m| m.get("uid")) {
        Some(u) => u.str("metadata.uid")?.to_string(),
        None => uid_for(name),
    };
    let text = |key: &str| -> Result<Option<String>, ManifestError> {
        spec.get(key)
            .map(|n| n.str(key).map(str::to_string))
            .transpose()
    };
    let priority = match spec.get("priority") {
        Some(n) => Some(
            n.str("priority")?
                .parse::<i64>()
                .map_err(|_| n.err("priority: expected an integer"))?,
        ),
        None => None,
    };
    let containers = containers_from(spec, check)?;
    let pod_resources = spec.get("resources").map(resources_from).transpose()?;
    if let (Some(r), Some(node)) = (&pod_resources, spec.get("resources")) {
        no_pod_level_hugepages(r, node)?;
    }
    let priority_class = text("priorityClassName")?;
    let priority = priority.or_else(|| {
        priority_class
            .as_deref()
            .and_then(super::v1_34::builtin_priority)
    });
    Ok(Pod {
        name: name.to_string(),
        uid,
        priority_class,
        priority,
        containers,
        pod_resources,
    })
}

/// `initContainers` (sidecars when `restartPolicy: Always`) then `containers`.
fn containers_from(spec: &Node, check: bool) -> Result<Vec<Container>, ManifestError> {
    let mut containers = Vec::new();
    if let Some(inits) = spec.get("initContainers") {
        for c in inits.seq("initContainers")? {
            let always = c
                .get("restartPolicy")
                .map(|r| r.str("restartPolicy"))
                .transpose()?;
            let kind = if always == Some("Always") {
                ContainerKind::Sidecar
            } else {
                ContainerKind::Init
            };
            containers.push(container_from(c, kind, check)?);
        }
    }
    let regular = spec
        .get("containers")
        .ok_or_else(|| spec.err("expected `containers`"))?;
    let list = regular.seq("containers")?;
    if list.is_empty() {
        return Err(regular.err("containers: expected at least one container"));
    }
    for c in list {
        containers.push(container_from(c, ContainerKind::Regular, check)?);
    }
    Ok(containers)
}

fn container_from(c: &Node, kind: ContainerKind, check: bool) -> Result<Container, ManifestError> {
    let name = c
        .get("name")
        .ok_or_else(|| c.err("container without `name`"))?
        .str("name")?;
    let resources = c
        .get("resources")
        .map(resources_from)
        .transpose()?
        .unwrap_or_default();
    if let Some(r) = c.get("resources").filter(|_| check) {
        validate_hugepages(&resources, r)?;
    }
    Ok(Container {
        name: name.to_string(),
        kind,
        resources,
    })
}

fn resources_from(r: &Node) -> Result<Resources, ManifestError> {
    Ok(Resources {
        requests: r
            .get("requests")
            .map(list_from)
            .transpose()?
            .unwrap_or_default(),
        limits: r
            .get("limits")
            .map(list_from)
            .transpose()?
            .unwrap_or_default(),
    })
}

fn list_from(l: &Node) -> Result<ResourceList, ManifestError> {
    let mut out = ResourceList::default();
    if let Some(m) = l.get("memory") {
        let text = m.str("memory")?;
        out.memory = Some(parse_quantity(text).map_err(|e| m.err(format!("memory: {e}")))?);
    }
    if let Some(c) = l.get("cpu") {
        let text = c.str("cpu")?;
        out.cpu_milli = Some(parse_cpu_quantity(text).map_err(|e| c.err(format!("cpu: {e}")))?);
    }
    if let Value::Map(entries) = &l.value {
        for (name, n) in entries.iter().filter(|(k, _)| k.starts_with(PREFIX)) {
            let text = n.str(name)?;
            let v = parse_quantity(text).map_err(|e| n.err(format!("{name}: {e}")))?;
            out.hugepages.insert(name.clone(), v);
        }
    }
    Ok(out)
}

/// The API server's huge page checks on a container's `resources` (node `r`), the error at
/// the entry it is about (pkg/apis/core/validation/validation.go:validateResourceRequirements).
fn validate_hugepages(res: &Resources, r: &Node) -> Result<(), ManifestError> {
    let Err(e) = hugepages::validate(res) else {
        return Ok(());
    };
    // An error about the whole `resources` (no cpu or memory) points at its first huge page.
    let first = |l: &ResourceList| l.hugepages.keys().next().cloned();
    let (list, name) = match e.list {
        Some(l) => (l, e.name.clone()),
        None => match first(&res.limits) {
            Some(n) => ("limits", Some(n)),
            None => ("requests", first(&res.requests)),
        },
    };
    let at = r
        .get(list)
        .map_or(r, |l| name.and_then(|n| l.get(&n)).unwrap_or(l));
    Err(at.err(format!("resources: {}", e.message)))
}

/// Pod-level `hugepages-<size>` (`spec.resources`, KEP-2837) are refused: their defaulting and
/// their way into the containers' limits were not read at v1.34.
fn no_pod_level_hugepages(res: &Resources, r: &Node) -> Result<(), ManifestError> {
    for (list, l) in [("requests", &res.requests), ("limits", &res.limits)] {
        if let Some(name) = l.hugepages.keys().next() {
            let at = r.get(list).and_then(|n| n.get(name)).unwrap_or(r);
            return Err(at.err(format!("spec.resources.{list}.{name}: pod-level huge pages are not modelled; give them to the containers")));
        }
    }
    Ok(())
}

/// A stable UID for a pod without one (`metadata.uid` is set by the API server).
pub fn uid_for(name: &str) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        fnv(name) & 0xffff_ffff_ffff
    )
}

/// FNV-1a of `text`: stable stand-ins for what the API server makes at random.
fn fnv(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
