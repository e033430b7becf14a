//! Test vectors ported from the kubelet's own unit tests (v1.32–v1.35 era; see
//! docs/kubernetes.md for the stored versions read), one row per upstream case, each naming
//! its source file, test function and case. The pods are used as the upstream test builds
//! them, without API defaulting (the tests call the rule directly), so they reach
//! `k8s explain` with `--no-api-defaults`. Plain data plus two small converters: to the
//! model's types and to a manifest with node flags. Rows assert only what upstream asserts.

pub mod helpers_linux;
pub mod hugepages;
pub mod kuberuntime;
pub mod policy;
pub mod qos;

use cgharness::k8s::model::{Container, ContainerKind, Node, Pod, ResourceList, Resources};
use cgharness::k8s::SwapBehavior;
use std::fmt::Write;

pub const MI: u64 = 1 << 20;
pub const GI: u64 = 1 << 30;

/// Memory bytes and CPU millicores, each optional (unset ≠ 0 for defaulting, not for rules).
#[derive(Debug, Clone, Copy)]
pub struct Res {
    pub mem: Option<u64>,
    pub cpu: Option<u64>,
}

/// Nothing set.
pub const NONE: Res = Res {
    mem: None,
    cpu: None,
};

/// `getResourceList(cpu, memory)`: (millicores, bytes).
pub const fn rl(cpu: Option<u64>, mem: Option<u64>) -> Res {
    Res { mem, cpu }
}

/// One container of a vector's pod.
#[derive(Debug, Clone, Copy)]
pub struct Ctr {
    pub name: &'static str,
    pub kind: ContainerKind,
    pub req: Res,
    pub lim: Res,
}

/// A regular container.
pub const fn ctr(name: &'static str, req: Res, lim: Res) -> Ctr {
    Ctr {
        name,
        kind: ContainerKind::Regular,
        req,
        lim,
    }
}

/// An expected value: not asserted by upstream, `null` (max/unset), or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Skip,
    Null,
    Is(u64),
}

/// What upstream asserts about one container (by name; the first of that name).
#[derive(Debug, Clone, Copy)]
pub struct CWant {
    pub name: &'static str,
    pub adj: Option<(i64, i64)>,
    pub max: Want,
    pub min: Want,
    pub high: Want,
    pub swap: Want,
    pub group: Option<bool>,
}

/// Nothing asserted; rows override fields with `..CW`.
pub const CW: CWant = CWant {
    name: "",
    adj: None,
    max: Want::Skip,
    min: Want::Skip,
    high: Want::Skip,
    swap: Want::Skip,
    group: None,
};

/// The node settings a vector needs.
#[derive(Debug, Clone, Copy)]
pub struct NodeSpec {
    pub capacity: u64,
    pub swap: u64,
    pub limited_swap: bool,
    pub memory_qos: bool,
    pub single_oom: bool,
    /// `swapControllerAvailable()` (upstream's `swapDisabledOnNode` is its negation).
    pub swap_controller: bool,
}

/// Upstream tests' usual node when they do not care: 16Gi, no swap, gates off, a swap
/// controller.
pub const NODE: NodeSpec = NodeSpec {
    capacity: 16 * GI,
    swap: 0,
    limited_swap: false,
    memory_qos: false,
    single_oom: false,
    swap_controller: true,
};

/// One upstream case.
#[derive(Debug, Clone, Copy)]
pub struct Vector {
    /// `file:TestFunction`.
    pub source: &'static str,
    /// The upstream case name (or the pod name the test reports).
    pub case: &'static str,
    pub containers: &'static [Ctr],
    /// `spec.resources`: (requests, limits).
    pub pod_level: Option<(Res, Res)>,
    /// (`priorityClassName`, `priority`).
    pub priority: Option<(&'static str, i64)>,
    pub node: NodeSpec,
    pub qos: Option<&'static str>,
    pub pod_max: Want,
    pub pod_min: Want,
    pub want: &'static [CWant],
}

/// A row with nothing asserted yet; tables override fields with `..V`.
pub const V: Vector = Vector {
    source: "",
    case: "",
    containers: &[],
    pod_level: None,
    priority: None,
    node: NODE,
    qos: None,
    pod_max: Want::Skip,
    pod_min: Want::Skip,
    want: &[],
};

/// Every ported vector.
pub fn all() -> Vec<Vector> {
    [
        policy::ROWS,
        qos::ROWS,
        helpers_linux::ROWS,
        helpers_linux::CFS_ROWS,
        helpers_linux::MEMORY_QOS_ROWS,
        kuberuntime::ROWS,
        kuberuntime::SWAP_ROWS,
    ]
    .concat()
}

fn list(r: Res) -> ResourceList {
    ResourceList {
        memory: r.mem,
        cpu_milli: r.cpu,
        ..ResourceList::default()
    }
}

/// The vector's pod as the model takes it.
pub fn pod(v: &Vector) -> Pod {
    Pod {
        name: "v".into(),
        uid: "u".into(),
        priority_class: v
            .priority
            .map(|p| p.0.to_string())
            .filter(|c| !c.is_empty()),
        priority: v.priority.map(|p| p.1),
        containers: v
            .containers
            .iter()
            .map(|c| Container {
                name: c.name.into(),
                kind: c.kind,
                resources: Resources {
                    requests: list(c.req),
                    limits: list(c.lim),
                },
            })
            .collect(),
        pod_resources: v.pod_level.map(|(req, lim)| Resources {
            requests: list(req),
            limits: list(lim),
        }),
    }
}

/// The vector's node as the model takes it.
pub fn node(v: &Vector) -> Node {
    Node {
        node_capacity: v.node.capacity,
        swap_capacity: v.node.swap,
        swap_behavior: if v.node.limited_swap {
            SwapBehavior::LimitedSwap
        } else {
            SwapBehavior::NoSwap
        },
        memory_qos: v.node.memory_qos,
        single_process_oom_kill: v.node.single_oom,
        swap_controller: v.node.swap_controller,
        ..Node::default()
    }
}

fn yaml_list(out: &mut String, key: &str, r: Res) {
    let mut parts = Vec::new();
    if let Some(m) = r.mem {
        parts.push(format!("memory: \"{m}\""));
    }
    if let Some(c) = r.cpu {
        parts.push(format!("cpu: \"{c}m\""));
    }
    let _ = write!(out, "{key}: {{{}}}", parts.join(", "));
}

fn yaml_resources(out: &mut String, req: Res, lim: Res) {
    out.push('{');
    yaml_list(out, "requests", req);
    out.push_str(", ");
    yaml_list(out, "limits", lim);
    out.push_str("}\n");
}

/// The vector's pod as a Pod manifest.
pub fn manifest(v: &Vector) -> String {
    let mut y = String::from("kind: Pod\nmetadata: {name: v}\nspec:\n");
    if let Some((class, prio)) = v.priority {
        if !class.is_empty() {
            let _ = writeln!(y, "  priorityClassName: {class}");
        }
        let _ = writeln!(y, "  priority: {prio}");
    }
    if let Some((req, lim)) = v.pod_level {
        y.push_str("  resources: ");
        yaml_resources(&mut y, req, lim);
    }
    let section = |y: &mut String, key: &str, pick: &dyn Fn(&Ctr) -> bool| {
        let chosen: Vec<&Ctr> = v.containers.iter().filter(|c| pick(c)).collect();
        if chosen.is_empty() {
            return;
        }
        let _ = writeln!(y, "  {key}:");
        for c in chosen {
            let _ = writeln!(y, "  - name: {:?}", c.name);
            if c.kind == ContainerKind::Sidecar {
                y.push_str("    restartPolicy: Always\n");
            }
            y.push_str("    resources: ");
            yaml_resources(y, c.req, c.lim);
        }
    };
    section(&mut y, "initContainers", &|c| {
        c.kind != ContainerKind::Regular
    });
    section(&mut y, "containers", &|c| c.kind == ContainerKind::Regular);
    y
}

/// The node flags of `k8s explain` for the vector's node.
pub fn node_flags(v: &Vector) -> Vec<String> {
    let n = v.node;
    let behavior = if n.limited_swap {
        "LimitedSwap"
    } else {
        "NoSwap"
    };
    [
        ["--node-capacity".to_string(), n.capacity.to_string()],
        ["--swap-capacity".to_string(), n.swap.to_string()],
        ["--swap-behavior".to_string(), behavior.to_string()],
    ]
    .concat()
    .into_iter()
    .chain([
        format!("--memory-qos={}", n.memory_qos),
        format!("--single-process-oom-kill={}", n.single_oom),
        format!("--swap-controller={}", n.swap_controller),
    ])
    .collect()
}
