//! Manifest objects → a scenario's TOML text, for `cgharness k8s scenario`: `[node]` from the
//! node settings, one `[[pod]]` per object with its quantities as written, the workload as
//! each regular container's `run`, and `[[observe]]`s of who was killed. Plain string
//! building (strings quoted by the `toml` crate) with a comment naming each pod's source.
//! It checks nothing and does no I/O: the caller parses the text and builds the plan.

use super::model::ContainerKind;
use super::objects::{ContainerText, Object, ResourcesText};
use std::fmt::Write;

/// One object and the file it came from (as the user named it).
pub struct FromFile<'a> {
    /// The file, for the `# from FILE:LINE` comment.
    pub file: &'a str,
    /// The object.
    pub object: &'a Object,
}

/// What to write.
pub struct Request<'a> {
    /// The scenario's `name`.
    pub name: &'a str,
    /// Its `description`.
    pub description: &'a str,
    /// `[node]` keys and values, in order.
    pub node: &'a [(&'a str, toml::Value)],
    /// The objects, in manifest order.
    pub objects: &'a [FromFile<'a>],
    /// Overrides the replica count of objects that have one (see [`Object::replicas`]).
    pub replicas: Option<u64>,
    /// The `cgharness workload …` line every regular container runs.
    pub workload: &'a str,
    /// Every regular container's `uses` (a quantity, `${uses}` in the workload), if given.
    pub uses: Option<&'a str>,
}

/// The replica count written for `o`: None (one pod named as the object) for kinds without one.
pub fn replicas_of(o: &Object, over: Option<u64>) -> Option<u64> {
    o.replicas.map(|n| over.unwrap_or(n))
}

/// The pod names the plan gives an object's replicas (`web`, or `web-0` … with replicas).
pub fn pod_names(o: &Object, over: Option<u64>) -> Vec<String> {
    match replicas_of(o, over) {
        None => vec![o.name.clone()],
        Some(n) => (0..n).map(|i| format!("{}-{i}", o.name)).collect(),
    }
}

fn q(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn key(out: &mut String, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        let _ = writeln!(out, "{k} = {}", q(v));
    }
}

fn resources(out: &mut String, r: &ResourcesText) {
    key(out, "memory_request", &r.memory_request);
    key(out, "memory_limit", &r.memory_limit);
    key(out, "cpu_request", &r.cpu_request);
    key(out, "cpu_limit", &r.cpu_limit);
    table(out, "hugepages_request", &r.hugepages_request);
    table(out, "hugepages_limit", &r.hugepages_limit);
}

/// `k = { "2Mi" = "4Mi" }`, sizes and quantities as written; nothing when empty.
fn table(out: &mut String, k: &str, m: &std::collections::BTreeMap<String, String>) {
    if m.is_empty() {
        return;
    }
    let items: Vec<String> = m
        .iter()
        .map(|(s, v)| format!("{} = {}", q(s), q(v)))
        .collect();
    let _ = writeln!(out, "{k} = {{ {} }}", items.join(", "));
}

fn container(out: &mut String, c: &ContainerText, r: &Request) {
    let table = match c.kind {
        ContainerKind::Regular => "pod.container",
        ContainerKind::Init | ContainerKind::Sidecar => "pod.init_container",
    };
    let _ = writeln!(out, "\n[[{table}]]\nname = {}", q(&c.name));
    if c.kind == ContainerKind::Sidecar {
        let _ = writeln!(out, "restart_policy = \"Always\"");
    }
    resources(out, &c.resources);
    match c.kind {
        ContainerKind::Regular => {
            let _ = writeln!(out, "run = {}", q(r.workload));
            if let Some(u) = r.uses {
                let _ = writeln!(out, "uses = {}", q(u));
            }
        }
        ContainerKind::Sidecar => out.push_str(
            "# a sidecar: no process (the workload is the application's); add run = \"…\" to load it\n",
        ),
        ContainerKind::Init => out.push_str(
            "# an init container: no process; add run = \"…\" to run one before the others start\n",
        ),
    }
}

fn pod(out: &mut String, f: &FromFile, r: &Request) {
    let o = f.object;
    let _ = writeln!(
        out,
        "\n# from {}:{} ({} {})\n[[pod]]\nname = {}",
        f.file,
        o.line,
        o.kind,
        o.name,
        q(&o.name)
    );
    if let Some(n) = replicas_of(o, r.replicas) {
        let _ = writeln!(out, "replicas = {n}");
    }
    if let Some(p) = o.priority {
        let _ = writeln!(out, "priority = {p}");
    }
    key(out, "priority_class", &o.priority_class);
    if let Some(res) = &o.pod_resources {
        resources(out, res);
    }
    for c in &o.containers {
        container(out, c, r);
    }
}

fn observe(out: &mut String, value: &str, note: &str) {
    let _ = writeln!(
        out,
        "\n[[observe]]\nvalue = {}\nnote = {}",
        q(value),
        q(note)
    );
}

/// The scenario text.
pub fn scenario_text(r: &Request) -> String {
    let mut out = String::from(
        "# Written by `cgharness k8s scenario`; check it with `cgharness show FILE --scale 1/16`.\n",
    );
    let _ = writeln!(
        out,
        "name = {}\ndescription = {}\n\n[node]",
        q(r.name),
        q(r.description)
    );
    for (k, v) in r.node {
        let _ = writeln!(out, "{k} = {v}");
    }
    for f in r.objects {
        pod(&mut out, f, r);
    }
    for f in r.objects {
        let regular = f.object.containers.iter();
        let regular: Vec<&str> = (regular.filter(|c| c.kind == ContainerKind::Regular))
            .map(|c| c.name.as_str())
            .collect();
        for p in pod_names(f.object, r.replicas) {
            for c in &regular {
                let value = format!("workload.{p}-{c}.killed_by");
                let note = format!("how pod {p}'s container {c} ended: oom, none, signal, harness");
                observe(&mut out, &value, &note);
            }
        }
    }
    observe(
        &mut out,
        "cgroup.kubepods.memory_events.oom_kill",
        "OOM kills anywhere under kubepods (memory.events counts the subtree)",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::objects::parse_objects;

    fn write(yaml: &str, replicas: Option<u64>) -> String {
        let objects = parse_objects(yaml).unwrap();
        let from: Vec<FromFile> = objects
            .iter()
            .map(|object| FromFile {
                file: "app.yaml",
                object,
            })
            .collect();
        let node = [("node_capacity", toml::Value::String("10Gi".into()))];
        scenario_text(&Request {
            name: "app",
            description: "from \"app.yaml\"",
            node: &node,
            objects: &from,
            replicas,
            workload: "anon --bytes ${uses}",
            uses: Some("1.2G"),
        })
    }

    #[test]
    fn sidecars_get_no_run_and_every_replica_is_observed() {
        let yaml = "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 2\n  template:\n    spec:\n      initContainers: [{name: log, restartPolicy: Always}]\n      containers: [{name: main, resources: {limits: {memory: 1500M, cpu: '1'}}}]\n";
        let text = write(yaml, None);
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(v["description"].as_str(), Some("from \"app.yaml\""));
        assert_eq!(v["node"]["node_capacity"].as_str(), Some("10Gi"));
        let pod = &v["pod"][0];
        assert_eq!(pod["replicas"].as_integer(), Some(2));
        let side = &pod["init_container"][0];
        assert_eq!(side["restart_policy"].as_str(), Some("Always"));
        assert!(side.get("run").is_none(), "{text}");
        let main = &pod["container"][0];
        assert_eq!(main["memory_limit"].as_str(), Some("1500M"));
        assert_eq!(main["cpu_limit"].as_str(), Some("1"));
        assert_eq!(main["run"].as_str(), Some("anon --bytes ${uses}"));
        assert_eq!(main["uses"].as_str(), Some("1.2G"));
        let observed: Vec<&str> = v["observe"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["value"].as_str())
            .collect();
        assert_eq!(
            observed,
            [
                "workload.db-0-main.killed_by",
                "workload.db-1-main.killed_by",
                "cgroup.kubepods.memory_events.oom_kill"
            ]
        );
        assert!(
            text.contains("# from app.yaml:1 (StatefulSet db)"),
            "{text}"
        );
    }

    #[test]
    fn replicas_override_only_counted_kinds() {
        let yaml = "kind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{name: a}]}}}\n---\nkind: Pod\nmetadata: {name: solo}\nspec: {containers: [{name: a}]}\n";
        let v: toml::Value = toml::from_str(&write(yaml, Some(4))).unwrap();
        assert_eq!(v["pod"][0]["replicas"].as_integer(), Some(4));
        assert!(v["pod"][1].get("replicas").is_none());
        assert_eq!(v["observe"].as_array().unwrap().len(), 4 + 1 + 1);
    }
}
