//! `cgharness k8s explain`: what the kubelet (see `crate::k8s`) would write for pods given as
//! flags (one container) or manifests (`-f`), on a node given as flags; `k8s scenario`
//! ([`scenario`]): manifests → a scenario file. Glue only.

mod huge;
mod render;
mod scenario;

use crate::exit::{usage, Exit};
use crate::k8s::manifest::{parse_pods, parse_pods_as_stored, uid_for};
use crate::k8s::model::{Container, ContainerKind, Node, Pod, ResourceList, Resources};
use crate::k8s::v1_34::hugepages;
use crate::k8s::{explain, v1_34, SwapBehavior};
use crate::size::{parse_cpu_quantity, parse_quantity};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `k8s` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum K8sCmd {
    /// QoS class, oom_score_adj and every cgroup value the kubelet writes, with the rule.
    Explain(Box<ExplainArgs>),
    /// Write a runnable scenario (`[node]`, a `[[pod]]` per object, a workload per regular
    /// container, kill observations) from manifests; checked by building its plan first.
    Scenario(Box<scenario::ScenarioArgs>),
}

/// Options of `k8s explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Manifests (Pod, Deployment, StatefulSet, DaemonSet, Job, …; multi-document YAML).
    #[arg(short = 'f', long = "filename")]
    pub files: Vec<PathBuf>,
    /// Flag form: the container's memory request (Kubernetes quantity: 500M, 1Gi).
    #[arg(long)]
    pub request: Option<String>,
    /// Flag form: the container's memory limit.
    #[arg(long)]
    pub limit: Option<String>,
    /// Flag form: the container's CPU request (500m, 1).
    #[arg(long)]
    pub cpu_request: Option<String>,
    /// Flag form: the container's CPU limit.
    #[arg(long)]
    pub cpu_limit: Option<String>,
    /// Flag form: the container's `hugepages-SIZE` request, SIZE=QUANTITY (`2Mi=4Mi`;
    /// repeatable). Must equal the limit; a limit alone gives the request.
    #[arg(long, value_name = "SIZE=QUANTITY")]
    pub hugepages_request: Vec<String>,
    /// Flag form: the container's `hugepages-SIZE` limit, SIZE=QUANTITY (`2Mi=4Mi`, `1Gi=1Gi`;
    /// repeatable).
    #[arg(long, value_name = "SIZE=QUANTITY")]
    pub hugepages_limit: Vec<String>,
    /// Flag form: the pod's priorityClassName (system-node-critical is special).
    #[arg(long)]
    pub priority_class: Option<String>,
    /// Flag form: the pod's `spec.priority` (by default the built-in class's: 2000001000 for
    /// system-node-critical, 2000000000 for system-cluster-critical, else none).
    #[arg(long, allow_hyphen_values = true)]
    pub priority: Option<i64>,
    /// Flag form: the pod's name.
    #[arg(long, default_value = "pod")]
    pub name: String,
    #[command(flatten)]
    pub node: NodeArgs,
    /// What a pod (or pod/container) uses, for the OOM order: NAME=SIZE (repeatable).
    #[arg(long = "usage", value_name = "NAME=SIZE")]
    pub usage: Vec<String>,
    /// Take the pods as stored: skip the API server's defaulting (a limit without a request
    /// giving request = limit) and its checks of huge pages (whole pages, request = limit,
    /// cpu or memory beside them). For pods built like the kubelet's unit tests build them;
    /// `kubectl get pod -o yaml` output is already defaulted and checked either way.
    #[arg(long)]
    pub no_api_defaults: bool,
    /// Print JSON (schema_version 1) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Node settings, named like the scenario's `[node]` keys.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// Node memory capacity (Kubernetes quantity).
    #[arg(long, default_value = "16Gi")]
    pub node_capacity: String,
    /// Swap capacity.
    #[arg(long, default_value = "0")]
    pub swap_capacity: String,
    /// systemReserved memory.
    #[arg(long, default_value = "0")]
    pub system_reserved: String,
    /// kubeReserved memory.
    #[arg(long, default_value = "0")]
    pub kube_reserved: String,
    /// enforceNodeAllocatable (`pods`, `system-reserved`, `kube-reserved`, or `none`).
    #[arg(long, value_delimiter = ',', default_value = "pods")]
    pub enforce_node_allocatable: Vec<String>,
    /// memorySwap.swapBehavior: NoSwap or LimitedSwap.
    #[arg(long, default_value = "NoSwap")]
    pub swap_behavior: String,
    /// The MemoryQoS feature gate (bare, or =true|false).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false")]
    pub memory_qos: bool,
    /// memoryThrottlingFactor.
    #[arg(long, default_value = "0.9")]
    pub memory_throttling_factor: f64,
    /// singleProcessOOMKill (bare, or =true|false).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false")]
    pub single_process_oom_kill: bool,
    /// The host's huge page sizes and each pre-allocated pool, SIZE=POOL (`2Mi=1Gi,1Gi=0`), or
    /// `none`. Every size gets a hugetlb.<size>.max (0 where not requested); the pools are
    /// taken from the memory the scheduler sees.
    #[arg(long, value_delimiter = ',', default_value = huge::DEFAULT_POOLS, value_name = "SIZE=POOL")]
    pub hugepages: Vec<String>,
    /// Whether the hugetlb controller is in the root's cgroup.controllers (bare, or
    /// =true|false): without it nothing writes hugetlb.* (`k8s explain` only; a run finds out).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true")]
    pub hugetlb_controller: bool,
    /// Whether the node has the swap controller (memory.swap.max; bare, or =true|false):
    /// without it the kubelet writes no memory.swap.max, whatever --swap-behavior says.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true")]
    pub swap_controller: bool,
}

/// Runs `k8s …`.
pub fn run(cmd: K8sCmd) -> anyhow::Result<Exit> {
    match cmd {
        K8sCmd::Explain(a) => explain_cmd(*a),
        K8sCmd::Scenario(a) => scenario::run(*a),
    }
}

fn quantity(flag: &str, text: &str) -> anyhow::Result<u64> {
    parse_quantity(text).map_err(|e| usage(format!("--{flag}: {e}")))
}

fn node_from(a: &NodeArgs) -> anyhow::Result<Node> {
    let swap_behavior = match a.swap_behavior.as_str() {
        "NoSwap" | "" => SwapBehavior::NoSwap,
        "LimitedSwap" => SwapBehavior::LimitedSwap,
        other => {
            return Err(usage(format!(
                "--swap-behavior {other:?}: expected NoSwap or LimitedSwap"
            )))
        }
    };
    if !(0.0..=1.0).contains(&a.memory_throttling_factor) {
        return Err(usage(
            "--memory-throttling-factor: expected a number between 0 and 1",
        ));
    }
    Ok(Node {
        node_capacity: quantity("node-capacity", &a.node_capacity)?,
        swap_capacity: quantity("swap-capacity", &a.swap_capacity)?,
        system_reserved: quantity("system-reserved", &a.system_reserved)?,
        kube_reserved: quantity("kube-reserved", &a.kube_reserved)?,
        enforce_node_allocatable: a
            .enforce_node_allocatable
            .iter()
            .filter(|e| *e != "none")
            .cloned()
            .collect(),
        swap_behavior,
        memory_qos: a.memory_qos,
        memory_throttling_factor: a.memory_throttling_factor,
        single_process_oom_kill: a.single_process_oom_kill,
        page_size: 4096,
        hugepages: huge::node_pools(&a.hugepages)?,
        hugetlb_controller: a.hugetlb_controller,
        swap_controller: a.swap_controller,
    })
}

fn flag_pod(a: &ExplainArgs) -> anyhow::Result<Pod> {
    let mem = |f: &str, v: &Option<String>| v.as_deref().map(|t| quantity(f, t)).transpose();
    let cpu = |f: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_cpu_quantity(t).map_err(|e| usage(format!("--{f}: {e}"))))
            .transpose()
    };
    let resources = Resources {
        requests: ResourceList {
            memory: mem("request", &a.request)?,
            cpu_milli: cpu("cpu-request", &a.cpu_request)?,
            hugepages: huge::container_list("hugepages-request", &a.hugepages_request)?,
        },
        limits: ResourceList {
            memory: mem("limit", &a.limit)?,
            cpu_milli: cpu("cpu-limit", &a.cpu_limit)?,
            hugepages: huge::container_list("hugepages-limit", &a.hugepages_limit)?,
        },
    };
    if !a.no_api_defaults {
        hugepages::validate(&resources).map_err(|e| usage(format!("flag form: {}", e.message)))?;
    }
    let class = a.priority_class.clone();
    Ok(Pod {
        name: a.name.clone(),
        uid: uid_for(&a.name),
        priority: a
            .priority
            .or_else(|| class.as_deref().and_then(v1_34::builtin_priority)),
        priority_class: class,
        containers: vec![Container {
            name: a.name.clone(),
            kind: ContainerKind::Regular,
            resources,
        }],
        pod_resources: None,
    })
}

fn read_pods(a: &ExplainArgs) -> anyhow::Result<Vec<Pod>> {
    if a.files.is_empty() {
        return Ok(vec![flag_pod(a)?]);
    }
    let flag_form = [
        &a.request,
        &a.limit,
        &a.cpu_request,
        &a.cpu_limit,
        &a.priority_class,
    ];
    let huge = !(a.hugepages_request.is_empty() && a.hugepages_limit.is_empty());
    if flag_form.iter().any(|f| f.is_some()) || a.priority.is_some() || huge {
        return Err(usage(
            "give either -f FILE or the flag form (--request/--limit/--priority/…), not both",
        ));
    }
    let mut pods = Vec::new();
    for f in &a.files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| usage(format!("{}: cannot read: {e}", f.display())))?;
        let parse = match a.no_api_defaults {
            true => parse_pods_as_stored,
            false => parse_pods,
        };
        let got = parse(&text).map_err(|e| usage(format!("{}:{e}", f.display())))?;
        pods.extend(got);
    }
    Ok(pods)
}

fn usage_map(items: &[String]) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut m = BTreeMap::new();
    for it in items {
        let (k, v) = it.split_once('=').ok_or_else(|| {
            usage(format!(
                "--usage {it:?}: expected NAME=SIZE (e.g. web=1.2Gi)"
            ))
        })?;
        m.insert(k.to_string(), quantity("usage", v)?);
    }
    Ok(m)
}

fn explain_cmd(a: ExplainArgs) -> anyhow::Result<Exit> {
    let node = node_from(&a.node)?;
    let mut pods = read_pods(&a)?;
    if !a.no_api_defaults {
        for p in &mut pods {
            v1_34::apply_defaults(p);
        }
    }
    let used = usage_map(&a.usage)?;
    let mut ex = explain::explain(&node, &pods);
    ex.oom_order = explain::oom_order(&ex, &used);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&ex)?);
    } else {
        print!("{}", render::text(&node, &pods, &ex, &ex.oom_order));
    }
    Ok(Exit::Ok)
}
