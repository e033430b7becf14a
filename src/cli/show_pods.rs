//! `show` for scenarios with pods: the kubelet's tree the model derives, each value with the
//! rule (the kubelet's file:function) behind it, and every container's oom_score_adj and
//! process — at the scale asked for, first variant.

use crate::plan::{CgroupPlan, RunPlan};
use crate::size::format_bytes;

fn value(v: &str) -> String {
    match v.parse::<u64>() {
        Ok(b) if b >= 4096 => format!("{b} ({})", format_bytes(b)),
        _ => v.to_string(),
    }
}

fn print_cgroup(c: &CgroupPlan, depth: usize) {
    let pad = "  ".repeat(depth + 1);
    let leaf = c.name.rsplit('/').next().unwrap_or(&c.name);
    let alias = crate::plan::pods::value_name(&c.name);
    println!("{pad}{leaf}   (cgroup.{alias}.…)");
    for (file, v) in &c.writes {
        let why = c.rules.get(file).map(String::as_str).unwrap_or("");
        println!("{pad}  {file:<20} {:<30} {why}", value(v));
    }
    for (file, v) in &c.optional_writes {
        let why = c.rules.get(file).map(String::as_str).unwrap_or("");
        println!(
            "{pad}  {file:<20} {:<30} {why} (only with the hugetlb controller)",
            value(v)
        );
    }
}

/// Prints the pods part of `run` (nothing when it has no pods).
pub fn print(run: &RunPlan, scale: f64) {
    let Some(p) = &run.pods else { return };
    let n = &p.node;
    println!(
        "\nkubelet {} (cgroup v2, systemd driver), node at scale {scale}: capacity {}, swap {}, reserved {} + {}, allocatable for the scheduler {}{}",
        p.kubelet_version,
        format_bytes(n.node_capacity),
        format_bytes(n.swap_capacity),
        format_bytes(n.system_reserved),
        format_bytes(n.kube_reserved),
        format_bytes(p.allocatable_bytes),
        p.eviction_hard
            .as_deref()
            .map(|e| format!(", evictionHard {e} (not acted on: the pressure here is kubepods' memory.max)"))
            .unwrap_or_default()
    );
    println!(
        "  {:?}, MemoryQoS {}, singleProcessOOMKill {}",
        n.swap_behavior, n.memory_qos, n.single_process_oom_kill
    );
    print_hugepages(n);
    if let Some(e) = &p.evictor {
        print_evictor(e);
    }
    println!("cgroup tree (under the run's top cgroup):");
    for c in run
        .cgroups
        .iter()
        .filter(|c| c.name.starts_with("kubepods.slice"))
    {
        print_cgroup(c, c.name.matches('/').count());
    }
    print_containers(run, p);
}

/// The evictor beside the pods: when it looks and what it does.
fn print_evictor(e: &crate::plan::pods::EvictorPlan) {
    let how = match e.psi_trigger.as_deref() {
        Some(t) => format!("when the PSI trigger `{t}` fires (hypothetical)"),
        None => match e.phase_ms {
            Some(_) if e.anchor.is_some() => format!(
                "every {} ms from the mark {} (the first look there, before what waits for it)",
                e.interval_ms,
                e.anchor.as_deref().unwrap_or_default()
            ),
            Some(p) => format!(
                "every {} ms, the first look {p} ms after the start",
                e.interval_ms
            ),
            None => format!(
                "every {} ms, the first at a random point of the first period",
                e.interval_ms
            ),
        },
    };
    println!(
        "  evictor ({}): memory.available < {} → evict one pod {how}; SIGKILL {} ms after SIGTERM (pkg/kubelet/eviction/eviction_manager.go)",
        e.mode,
        format_bytes(e.threshold_bytes),
        e.grace_ms
    );
}

/// The node's huge page sizes and pools, as the kubelet reads them from the host.
fn print_hugepages(n: &crate::k8s::Node) {
    if n.hugepages.is_empty() {
        println!("  huge pages: no page size declared (a run adds the host's, each at hugetlb.<size>.max 0)");
        return;
    }
    let sizes: Vec<String> = n
        .hugepages
        .iter()
        .map(|p| {
            format!(
                "{} pool {}",
                format_bytes(p.page_bytes),
                format_bytes(p.pool_bytes)
            )
        })
        .collect();
    println!(
        "  huge pages: {} (a run adds the host's other sizes; pools leave the scheduler's memory: pkg/kubelet/nodestatus/setters.go:MachineInfo)",
        sizes.join(", ")
    );
}

fn print_containers(run: &RunPlan, p: &crate::plan::pods::PodsPlan) {
    println!("containers (oom_score_adj: pkg/kubelet/qos/policy.go:GetContainerOOMScoreAdjust):");
    for c in &p.containers {
        let mem = |v: Option<u64>| v.map(format_bytes).unwrap_or_else(|| "-".into());
        println!(
            "  {:<20} {:<10} {:<8} request {:<10} limit {:<10} oom_score_adj {:>5}  {}",
            format!("{}/{}", c.pod, c.container),
            c.qos_class,
            c.kind,
            mem(c.memory_request_bytes),
            mem(c.memory_limit_bytes),
            c.oom_score_adj,
            c.workload
                .as_ref()
                .and_then(|w| run.workloads.iter().find(|x| &x.name == w))
                .map(|w| format!("workload {}: {}", w.name, w.argv.join(" ")))
                .unwrap_or_else(|| "no process".into())
        );
    }
    if p.containers.iter().any(|c| c.oom_score_adj < 0) {
        println!("  (a negative oom_score_adj needs root or the VM: `sudo cgharness run …` or `cgharness vm -- run …`)");
    }
}
