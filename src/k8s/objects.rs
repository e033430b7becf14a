//! Manifest objects as written, for `cgharness k8s scenario`: each Pod or workload with its
//! kind, name, line, replica count and pod template, quantities kept as the manifest's text
//! (a scenario written from them says `1500M`, not 1500000000). The checks are
//! [`parse_pods`]'s, run first, so errors are the same line:column ones. No I/O.

use super::manifest::{doc, flat, parse_pods, replicas, Doc, ManifestError};
use super::model::ContainerKind;
use super::v1_34::hugepages::PREFIX;
use super::yaml::{documents, Node, Value};
use std::collections::BTreeMap;

/// `resources` with each quantity as written (None: not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourcesText {
    /// `requests.memory`.
    pub memory_request: Option<String>,
    /// `limits.memory`.
    pub memory_limit: Option<String>,
    /// `requests.cpu`.
    pub cpu_request: Option<String>,
    /// `limits.cpu`.
    pub cpu_limit: Option<String>,
    /// `requests.hugepages-<size>` by size as written (`2Mi` → `4Mi`).
    pub hugepages_request: BTreeMap<String, String>,
    /// `limits.hugepages-<size>`.
    pub hugepages_limit: BTreeMap<String, String>,
}

/// One container as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerText {
    /// `name`.
    pub name: String,
    /// Regular, init or sidecar (`restartPolicy: Always` on an init container).
    pub kind: ContainerKind,
    /// `resources`.
    pub resources: ResourcesText,
}

/// One Pod, or one workload's pod template, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `kind` (`Deployment`).
    pub kind: String,
    /// `metadata.name` (default: the kind in lowercase, as [`parse_pods`] names it).
    pub name: String,
    /// The line its document (or List item) starts on.
    pub line: usize,
    /// `spec.replicas` (Deployment, ReplicaSet, StatefulSet) or `spec.parallelism` (Job),
    /// default 1; None for kinds that make one pod here (Pod, DaemonSet, CronJob run).
    pub replicas: Option<u64>,
    /// The template's `spec.priority`.
    pub priority: Option<i64>,
    /// The template's `spec.priorityClassName`.
    pub priority_class: Option<String>,
    /// Pod-level `spec.resources` (KEP-2837).
    pub pod_resources: Option<ResourcesText>,
    /// `initContainers` then `containers`, in spec order.
    pub containers: Vec<ContainerText>,
}

/// Reads every object in `text`, checked as [`parse_pods`] checks them.
pub fn parse_objects(text: &str) -> Result<Vec<Object>, ManifestError> {
    parse_pods(text)?;
    flat(documents(text)?.iter().map(objects))
}

fn objects(node: &Node) -> Result<Vec<Object>, ManifestError> {
    let o = match doc(node)? {
        Doc::List(items) => return flat(items.iter().map(objects)),
        Doc::Object(o) => o,
    };
    let spec = o
        .template
        .get("spec")
        .ok_or_else(|| o.template.err("expected `spec` with containers"))?;
    let counted = ["Deployment", "ReplicaSet", "StatefulSet", "Job"];
    let replicas = match counted.contains(&o.kind) {
        true => Some(replicas(node, o.kind)?),
        false => None,
    };
    let priority = match spec.get("priority") {
        Some(n) => Some(
            n.str("priority")?
                .parse::<i64>()
                .map_err(|_| n.err("priority: expected an integer"))?,
        ),
        None => None,
    };
    let priority_class = spec
        .get("priorityClassName")
        .map(|n| n.str("priorityClassName").map(str::to_string))
        .transpose()?;
    Ok(vec![Object {
        kind: o.kind.to_string(),
        name: o.name,
        line: node.line,
        replicas,
        priority,
        priority_class,
        pod_resources: spec.get("resources").map(resources).transpose()?,
        containers: containers(spec)?,
    }])
}

fn containers(spec: &Node) -> Result<Vec<ContainerText>, ManifestError> {
    let mut out = Vec::new();
    let lists = [("initContainers", true), ("containers", false)];
    for (key, init) in lists {
        let Some(list) = spec.get(key) else { continue };
        for c in list.seq(key)? {
            let always = c
                .get("restartPolicy")
                .map(|r| r.str("restartPolicy"))
                .transpose()?
                == Some("Always");
            let kind = match (init, always) {
                (false, _) => ContainerKind::Regular,
                (true, true) => ContainerKind::Sidecar,
                (true, false) => ContainerKind::Init,
            };
            let name = c
                .get("name")
                .ok_or_else(|| c.err("container without `name`"))?
                .str("name")?;
            out.push(ContainerText {
                name: name.to_string(),
                kind,
                resources: c
                    .get("resources")
                    .map(resources)
                    .transpose()?
                    .unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

fn resources(r: &Node) -> Result<ResourcesText, ManifestError> {
    let text = |list: &str, key: &str| -> Result<Option<String>, ManifestError> {
        r.get(list)
            .and_then(|l| l.get(key))
            .map(|n| n.str(key).map(str::to_string))
            .transpose()
    };
    Ok(ResourcesText {
        memory_request: text("requests", "memory")?,
        memory_limit: text("limits", "memory")?,
        cpu_request: text("requests", "cpu")?,
        cpu_limit: text("limits", "cpu")?,
        hugepages_request: huge(r.get("requests"))?,
        hugepages_limit: huge(r.get("limits"))?,
    })
}

/// A list's `hugepages-<size>` entries, by size as written.
fn huge(list: Option<&Node>) -> Result<BTreeMap<String, String>, ManifestError> {
    let mut out = BTreeMap::new();
    let Some(Value::Map(entries)) = list.map(|l| &l.value) else {
        return Ok(out);
    };
    for (name, n) in entries {
        if let Some(size) = name.strip_prefix(PREFIX) {
            out.insert(size.to_string(), n.str(name)?.to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_stay_as_written_and_replicas_only_for_counted_kinds() {
        let text = "kind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  template:\n    spec:\n      priorityClassName: high\n      initContainers:\n      - {name: proxy, restartPolicy: Always, resources: {requests: {memory: 64Mi}}}\n      - {name: setup}\n      containers:\n      - name: app\n        resources:\n          requests: {memory: 1G, cpu: 500m}\n          limits: {memory: 1500M, cpu: '1'}\n---\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: one}\n  spec: {priority: 7, resources: {limits: {memory: 2Gi}}, containers: [{name: c}]}\n";
        let got = parse_objects(text).unwrap();
        assert_eq!(got.len(), 2);
        let web = &got[0];
        assert_eq!(
            (web.kind.as_str(), web.line, web.replicas),
            ("Deployment", 1, Some(3))
        );
        assert_eq!(web.priority_class.as_deref(), Some("high"));
        let kinds: Vec<_> = web.containers.iter().map(|c| c.kind).collect();
        use ContainerKind::*;
        assert_eq!(kinds, [Sidecar, Init, Regular]);
        let app = &web.containers[2].resources;
        assert_eq!(app.memory_limit.as_deref(), Some("1500M"));
        assert_eq!(app.cpu_request.as_deref(), Some("500m"));
        assert_eq!(app.cpu_limit.as_deref(), Some("1"));
        let one = &got[1];
        assert_eq!(
            (one.name.as_str(), one.line, one.replicas),
            ("one", 19, None)
        );
        assert_eq!(one.priority, Some(7));
        let pod = one.pod_resources.as_ref().unwrap();
        assert_eq!(pod.memory_limit.as_deref(), Some("2Gi"));
    }

    #[test]
    fn errors_are_parse_pods_errors() {
        let bad =
            "kind: Pod\nspec:\n  containers: [{name: a, resources: {limits: {memory: 2Gx}}}]\n";
        assert_eq!(parse_objects(bad), Err(parse_pods(bad).unwrap_err()));
    }
}
