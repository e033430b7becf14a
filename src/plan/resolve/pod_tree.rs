//! The kubelet model's answer for a scenario's pods as plan pieces: the kubelet's cgroup tree
//! (`kubepods.slice/…`, parents first, each write with its rule), one workload per container
//! replica that has a `run` (oom_score_adj as the kubelet sets it) and the [`PodsPlan`] the
//! record keeps. Also the scheduler's fit check, so a scenario cannot place pods a real node
//! would refuse.

use super::pods::{self, Quantities};
use super::{node, pod_fit};
use crate::k8s::explain::{explain, Explained, PodOut};
use crate::k8s::model::{ContainerKind, Pod, Qos};
use crate::k8s::v1_34::hugepages::Hugetlb;
use crate::k8s::v1_34::{self as rules, rule};
use crate::plan::pods::{value_name, ContainerPlan, PodInfo, PodsPlan, BALLOON};
use crate::plan::CgroupPlan;
use crate::spec::{After, Source, Spec, SpecError, WorkloadDecl};
use std::collections::BTreeMap;

/// What the pods add to a run.
#[derive(Default)]
pub struct PodParts {
    /// The kubelet's tree, parents first.
    pub cgroups: Vec<CgroupPlan>,
    /// The containers' processes, as workload declarations (cgroup = full path).
    pub workloads: Vec<WorkloadDecl>,
    /// Container cgroup path → the oom_score_adj its processes get.
    pub adj_by_cgroup: BTreeMap<String, i32>,
    /// For the record.
    pub plan: Option<PodsPlan>,
}

fn cgroup(name: &str, writes: Vec<(&str, Option<u64>, &str)>) -> CgroupPlan {
    let mut out = CgroupPlan {
        name: name.to_string(),
        ..CgroupPlan::default()
    };
    for (file, v, why) in writes {
        if let Some(v) = v {
            out.writes.push((file.to_string(), v.to_string()));
            out.rules.insert(file.to_string(), why.to_string());
        }
    }
    out
}

/// hugetlb.<size>.max and .rsvd.max (libcontainer writes both: opencontainers/cgroups
/// fs2/hugetlb.go:setHugeTlb) as optional writes, made only with the hugetlb controller.
fn with_hugetlb(mut c: CgroupPlan, values: &Option<Hugetlb>, why: &str) -> CgroupPlan {
    for (size, v) in values.iter().flatten() {
        for (kind, why) in [("max", why), ("rsvd.max", rule::HUGETLB_RSVD)] {
            let file = format!("hugetlb.{size}.{kind}");
            c.optional_writes.push((file.clone(), v.to_string()));
            c.rules.insert(file, why.to_string());
        }
    }
    c
}

/// Resolves `[node]` and `[[pod]]`s (nothing when the scenario has none).
pub fn resolve(
    src: &Source,
    spec: &Spec,
    q: &Quantities,
    opts: &crate::plan::Options,
) -> Result<PodParts, SpecError> {
    let node_decl = match (&spec.node, spec.pod.is_empty()) {
        (None, true) => return Ok(PodParts::default()),
        (Some(_), true) => return Err(src.error_at("[node]", "[node] describes where [[pod]]s run; add at least one [[pod]] (or remove [node])")),
        (None, false) => return Err(src.error_at("[[pod]]", "[[pod]] needs a [node] table with node_capacity: the kubelet's oom_score_adj divides by it")),
        (Some(n), false) => n,
    };
    let (mut node, eviction) = node::node(q, node_decl)?;
    node::add_host_page_sizes(&mut node, opts.hugepage_sizes_bytes.as_deref());
    let mut all: Vec<Pod> = Vec::new();
    for d in &spec.pod {
        for p in pods::pods(q, d)? {
            if all.iter().any(|o| o.name == p.name) {
                return Err(src.error_at(&d.name, format!("two pods are named {}", p.name)));
            }
            all.push(p);
        }
    }
    let allocatable = pod_fit::allocatable_memory(&node, eviction);
    pod_fit::fits(src, &node, &all, allocatable)?;
    let ex = explain(&node, &all);
    let mut parts = PodParts {
        cgroups: tree(&all, &ex),
        ..PodParts::default()
    };
    let mut containers = Vec::new();
    for d in &spec.pod {
        let names = pods::replica_names(d);
        let ordered = ordered(src, d)?;
        let mut ready: Vec<String> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let (pod, out) = all
                .iter()
                .zip(&ex.pods)
                .find(|(p, _)| &p.name == name)
                .ok_or_else(|| src.error_at(&d.name, "internal: a replica went missing"))?;
            let wait_for = if ordered { ready.clone() } else { Vec::new() };
            let made = replica(q, d, (i, names.len()), (pod, out), &wait_for, &mut parts)?;
            ready = made
                .iter()
                .filter(|c| c.kind == "regular")
                .filter_map(|c| c.workload.as_ref().map(|w| format!("{w}:done")))
                .collect();
            containers.extend(made);
        }
    }
    let node_pressure = pressure(src, node_decl)?;
    let balloon_bytes = node_pressure.then(|| {
        let b = (opts.memory_total_bytes.unwrap_or(0)).saturating_sub(node.node_capacity);
        add_balloon(&mut parts, b);
        b
    });
    let evictor = node::evictor(q, node_decl, eviction, node_pressure)?;
    let infos = all.iter().zip(&ex.pods).map(|(p, o)| PodInfo {
        name: p.name.clone(),
        cgroup: o.cgroup.clone(),
        memory_request_bytes: rules::pod_memory_request(p),
        priority: p.priority.unwrap_or(0),
        critical: rules::is_critical(p),
    });
    parts.plan = Some(PodsPlan {
        pods: infos.collect(),
        evictor,
        pressure: if node_pressure { "node" } else { "kubepods" }.to_string(),
        balloon_bytes,
        kubelet_version: rules::KUBELET_VERSION.to_string(),
        kubepods_memory_max_bytes: ex.node.kubepods_memory_max,
        allocatable_bytes: allocatable,
        eviction_hard: node_decl.eviction_hard.clone(),
        node,
        containers,
    });
    Ok(parts)
}

/// `pressure`: whether the machine itself is the node (`node`) or kubepods' limit is the
/// pressure (`kubepods`, the default).
fn pressure(src: &Source, d: &crate::spec::pods::NodeDecl) -> Result<bool, SpecError> {
    match d.pressure.as_deref() {
        None | Some("kubepods") => Ok(false),
        Some("node") => Ok(true),
        Some(o) => Err(src.error_at(
            "pressure",
            format!("[node] pressure {o:?}: kubepods (the pods' limit) or node (the machine runs short)"),
        )),
    }
}

/// The balloon: an mlocked, OOM-exempt region the size of what the machine has beyond the
/// node's capacity, started before anything else (the other workloads wait for its `done`).
fn add_balloon(parts: &mut PodParts, bytes: u64) {
    parts.cgroups.push(cgroup(BALLOON, Vec::new()));
    parts.workloads.insert(
        0,
        WorkloadDecl {
            name: BALLOON.to_string(),
            cgroup: BALLOON.to_string(),
            run: format!("anon --bytes {bytes} --method populate --mlock"),
            after: None,
            delay_ms: None,
            oom_score_adj: Some(-1000),
            background: true,
        },
    );
}

/// The kubelet's tree: kubepods, its Guaranteed pods, then each QoS slice and its pods.
fn tree(pods: &[Pod], ex: &Explained) -> Vec<CgroupPlan> {
    let kp = "kubepods.slice";
    let kubepods = cgroup(
        kp,
        vec![
            (
                "memory.max",
                Some(ex.node.kubepods_memory_max),
                rule::KUBEPODS,
            ),
            ("memory.min", ex.node.kubepods_memory_min, rule::QOS_MIN),
        ],
    );
    let qos_huge = &ex.node.qos_hugetlb;
    let mut out = vec![with_hugetlb(kubepods, qos_huge, rule::QOS_HUGETLB)];
    let slices = [
        (Qos::Guaranteed, None),
        (
            Qos::Burstable,
            Some(("kubepods-burstable.slice", ex.node.burstable_memory_min)),
        ),
        (Qos::BestEffort, Some(("kubepods-besteffort.slice", None))),
    ];
    for (qos, slice) in slices {
        if let Some((name, min)) = slice {
            let writes = vec![("memory.min", min, rule::QOS_MIN)];
            let c = cgroup(&format!("{kp}/{name}"), writes);
            out.push(with_hugetlb(c, qos_huge, rule::QOS_HUGETLB));
        }
        for (pod, p) in pods.iter().zip(&ex.pods) {
            if rules::pod_qos(pod) == qos {
                pod_cgroups(pod, p, &mut out);
            }
        }
    }
    out
}

fn pod_cgroups(pod: &Pod, p: &PodOut, out: &mut Vec<CgroupPlan>) {
    let pod_cg = cgroup(
        &p.cgroup,
        vec![
            ("memory.max", p.memory_max, rule::POD),
            ("memory.min", p.memory_min, rule::POD),
        ],
    );
    out.push(with_hugetlb(pod_cg, &p.hugetlb, rule::POD_HUGETLB));
    for (c, co) in pod.containers.iter().zip(&p.containers) {
        let group = co.oom_group.then_some(1);
        let cg = cgroup(
            &format!("{}/{}", p.cgroup, c.name),
            vec![
                ("memory.max", co.memory_max, rule::CONTAINER),
                ("memory.min", co.memory_min, rule::MEMORY_QOS),
                ("memory.high", co.memory_high, rule::MEMORY_QOS),
                ("memory.swap.max", co.swap_max, rule::SWAP),
                ("memory.oom.group", group, rule::OOM_GROUP),
            ],
        );
        out.push(with_hugetlb(cg, &co.hugetlb, rule::CONTAINER_HUGETLB));
    }
}

/// `pod_management_policy`: whether replicas start one after another.
fn ordered(src: &Source, d: &crate::spec::pods::PodDecl) -> Result<bool, SpecError> {
    match d.pod_management_policy.as_deref() {
        None | Some("Parallel") => Ok(false),
        Some("OrderedReady") => Ok(true),
        Some(o) => Err(src.error_at(
            "pod_management_policy",
            format!(
                "pod {}: pod_management_policy {o:?}: Parallel or OrderedReady",
                d.name
            ),
        )),
    }
}

/// When a container's process starts: its own `after` marks, its pod's init containers
/// (regular containers only), and the previous replica's readiness (`OrderedReady`).
fn start_after(
    own: Option<&After>,
    inits: &[String],
    ready: &[String],
    regular: bool,
) -> Option<After> {
    let mut all: Vec<String> = own
        .map(|a| a.marks())
        .unwrap_or_default()
        .into_iter()
        .map(String::from)
        .collect();
    if regular {
        all.extend(inits.iter().cloned());
    }
    all.extend(ready.iter().cloned());
    match all.len() {
        0 => None,
        1 => all.pop().map(After::One),
        _ => Some(After::All(all)),
    }
}

/// One replica's containers: their workloads (into `parts`) and plan entries.
fn replica(
    q: &Quantities,
    d: &crate::spec::pods::PodDecl,
    (i, n): (usize, usize),
    (pod, out): (&Pod, &PodOut),
    ready: &[String],
    parts: &mut PodParts,
) -> Result<Vec<ContainerPlan>, SpecError> {
    let decls = d.init_container.iter().chain(&d.container);
    let mut plans = Vec::new();
    let mut inits: Vec<String> = Vec::new();
    for ((decl, c), co) in decls.zip(&pod.containers).zip(&out.containers) {
        let path = format!("{}/{}", out.cgroup, c.name);
        let alias = value_name(&path);
        let adj = co.oom_score_adj as i32;
        parts.adj_by_cgroup.insert(path.clone(), adj);
        let workload = match &decl.run {
            None => None,
            Some(run) => {
                let uses = pods::uses_for(q, &pod.name, decl, i, n)?;
                let text = fill_run(q.src, run, uses, i, &pod.name)?;
                let regular = c.kind == ContainerKind::Regular;
                let after = start_after(decl.after.as_ref(), &inits, ready, regular);
                if c.kind == ContainerKind::Init {
                    inits.push(alias.clone());
                }
                let sidecar = c.kind == ContainerKind::Sidecar;
                parts
                    .workloads
                    .push(process(&alias, &path, text, after, decl, adj, sidecar));
                Some(alias.clone())
            }
        };
        plans.push(ContainerPlan {
            pod: pod.name.clone(),
            container: c.name.clone(),
            kind: format!("{:?}", c.kind).to_lowercase(),
            qos_class: out.qos_class.to_string(),
            alias,
            cgroup: path,
            workload,
            oom_score_adj: co.oom_score_adj,
            memory_request_bytes: c.resources.requests.memory,
            memory_limit_bytes: c.resources.limits.memory,
        });
    }
    Ok(plans)
}

/// A container's process as a workload declaration.
fn process(
    alias: &str,
    path: &str,
    run: String,
    after: Option<After>,
    decl: &crate::spec::pods::ContainerDecl,
    adj: i32,
    sidecar: bool,
) -> WorkloadDecl {
    WorkloadDecl {
        name: alias.to_string(),
        cgroup: path.to_string(),
        run,
        after,
        delay_ms: decl.delay_ms,
        oom_score_adj: Some(adj),
        background: decl.background.unwrap_or(sidecar),
    }
}

/// A container's `run` with `${uses}`, `${replica}` and `${pod}` filled in (parameters are
/// substituted later, with the other workloads).
fn fill_run(
    src: &Source,
    run: &str,
    uses: Option<u64>,
    i: usize,
    pod: &str,
) -> Result<String, SpecError> {
    let mut text = run
        .replace("${replica}", &i.to_string())
        .replace("${pod}", pod);
    if text.contains("${uses}") {
        let u = uses.ok_or_else(|| {
            src.error_at(
                run,
                format!("pod {pod}: `${{uses}}` in run, but the container has no `uses = …`"),
            )
        })?;
        text = text.replace("${uses}", &u.to_string());
    }
    Ok(text)
}
