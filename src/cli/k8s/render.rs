//! The table `k8s explain` prints: each value with the upstream rule behind it.

use crate::k8s::explain::{ContainerOut, Explained, OomCandidate, PodOut};
use crate::k8s::model::{Container, Node, Pod};
use crate::k8s::v1_34::hugepages::{self, Hugetlb};
use crate::k8s::v1_34::{self as rules, rule};
use crate::size::format_bytes;
use std::fmt::Write;

fn bytes(v: Option<u64>, none: &str) -> String {
    match v {
        Some(b) => format!("{b} ({})", format_bytes(b)),
        None => none.to_string(),
    }
}

fn line(out: &mut String, indent: &str, key: &str, value: &str, why: &str) {
    let _ = writeln!(out, "{indent}{key:<22} {value:<32} {why}");
}

/// `hugetlb.<size>.max` values on one line: `2MB 4194304 (4.0 MiB), 1GB 0`.
fn hugetlb(out: &mut String, indent: &str, key: &str, v: &Option<Hugetlb>, why: &str) {
    let Some(m) = v else { return };
    let parts: Vec<String> = m
        .iter()
        .map(|(size, b)| match *b {
            0 => format!("{size} 0"),
            b if b >= hugepages::UNBOUNDED => format!("{size} {b} (1<<62)"),
            b => format!("{size} {b} ({})", format_bytes(b)),
        })
        .collect();
    line(out, indent, key, &parts.join(", "), why);
}

/// Renders the explanation, the node first, then each pod, then the OOM order.
pub fn text(node: &Node, pods: &[Pod], ex: &Explained, order: &[OomCandidate]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "kubelet {} (cgroup v2, systemd driver)",
        ex.kubelet_version
    );
    kubepods(&mut o, node, pods, ex);
    for (pod, p) in pods.iter().zip(&ex.pods) {
        pod_section(&mut o, node, pod, p);
    }
    let _ = writeln!(o, "\nOOM order at a kubepods-level OOM (first is killed first; badness = usage + oom_score_adj × kubepods memory.max / 1000, mm/oom_kill.c:oom_badness):");
    for (i, c) in order.iter().enumerate() {
        let _ = writeln!(
            o,
            "  {}. {:<30} oom_score_adj {:>5}  usage {:<12} badness {}",
            i + 1,
            c.name,
            c.oom_score_adj,
            format_bytes(c.usage),
            c.badness
        );
    }
    o
}

/// kubepods.slice: memory.max, hugetlb, and the QoS-level memory.min under MemoryQoS.
fn kubepods(o: &mut String, node: &Node, pods: &[Pod], ex: &Explained) {
    let kp = Some(ex.node.kubepods_memory_max);
    line(o, "", "kubepods.slice", "", "");
    line(o, "  ", "memory.max", &bytes(kp, "max"), rule::KUBEPODS);
    node_hugetlb(o, node, ex);
    if node.memory_qos {
        let (b_min, g_min) = rules::qos_memory_min(node, pods);
        line(o, "  ", "memory.min", &bytes(g_min, "unset"), rule::QOS_MIN);
        let b = bytes(b_min, "unset");
        line(o, "  ", "burstable memory.min", &b, rule::QOS_MIN);
    }
}

/// One pod's cgroup and its containers.
fn pod_section(o: &mut String, node: &Node, pod: &Pod, p: &PodOut) {
    let _ = writeln!(o, "\npod {}  {}", p.name, p.cgroup);
    line(o, "  ", "qos class", p.qos_class, rule::QOS);
    line(
        o,
        "  ",
        "memory.max",
        &bytes(p.memory_max, "max"),
        rule::POD,
    );
    if node.memory_qos {
        line(
            o,
            "  ",
            "memory.min",
            &bytes(p.memory_min, "unset"),
            rule::POD,
        );
    }
    hugetlb(o, "  ", "hugetlb.<size>.max", &p.hugetlb, rule::POD_HUGETLB);
    for (c, co) in pod.containers.iter().zip(&p.containers) {
        container_section(o, node, c, co);
    }
}

/// One container's values.
fn container_section(o: &mut String, node: &Node, c: &Container, co: &ContainerOut) {
    let kind = format!("{:?}", c.kind).to_lowercase();
    let _ = writeln!(o, "  container {} ({kind})", co.name);
    let adj = co.oom_score_adj.to_string();
    line(o, "    ", "oom_score_adj", &adj, rule::OOM);
    let max = bytes(co.memory_max, "max");
    line(o, "    ", "memory.max", &max, rule::CONTAINER);
    if node.memory_qos {
        let min = bytes(co.memory_min, "unset");
        line(o, "    ", "memory.min", &min, rule::MEMORY_QOS);
        let high = bytes(co.memory_high, "max");
        line(o, "    ", "memory.high", &high, rule::MEMORY_QOS);
    }
    let swap = bytes(co.swap_max, "not written (no swap controller)");
    line(o, "    ", "memory.swap.max", &swap, rule::SWAP);
    let group = if co.oom_group { "1" } else { "0" };
    line(o, "    ", "memory.oom.group", group, rule::OOM_GROUP);
    let why = rule::CONTAINER_HUGETLB;
    hugetlb(o, "    ", "hugetlb.<size>.max", &co.hugetlb, why);
}

/// kubepods' and the QoS slices' hugetlb values, and the memory the pools take from the
/// scheduler's allocatable.
fn node_hugetlb(o: &mut String, node: &Node, ex: &Explained) {
    let n = &ex.node;
    hugetlb(
        o,
        "  ",
        "hugetlb.<size>.max",
        &n.kubepods_hugetlb,
        rule::QOS_HUGETLB,
    );
    let first = "  (first)";
    hugetlb(
        o,
        "  ",
        first,
        &n.kubepods_hugetlb_at_start,
        rule::KUBEPODS_HUGETLB,
    );
    let slices = "qos slices hugetlb";
    hugetlb(o, "  ", slices, &n.qos_hugetlb, rule::QOS_HUGETLB);
    if hugepages::pools_bytes(node) > 0 {
        let v = bytes(Some(n.allocatable_memory_bytes), "");
        line(
            o,
            "  ",
            "allocatable memory",
            &v,
            rule::HUGEPAGES_ALLOCATABLE,
        );
    }
    if !node.hugetlb_controller {
        line(o, "  ", "hugetlb.*", "not written", rule::HUGETLB_WRITE);
    }
}
