//! `cgharness k8s scenario`: manifests and node flags → a runnable scenario file. Glue: the
//! objects come from [`crate::k8s::objects`], the text from [`crate::k8s::scenario`]; here the
//! flags are checked, the text is parsed and planned as `run` would (so a scenario the
//! scheduler check or the workload parser refuses is never written), and the file written.

use super::NodeArgs;
use crate::exit::{usage, Exit};
use crate::k8s::objects::{parse_objects, Object};
use crate::k8s::scenario::{scenario_text, FromFile, Request};
use std::path::{Path, PathBuf};

/// Options of `k8s scenario`.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// Manifests (Pod, Deployment, StatefulSet, DaemonSet, Job, …; multi-document YAML): one
    /// `[[pod]]` per object, requests and limits written as in the manifest.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<PathBuf>,
    /// Replicas of every Deployment, ReplicaSet, StatefulSet and Job (its parallelism),
    /// instead of the manifest's. A Pod, DaemonSet or CronJob run stays one pod.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub replicas: Option<u64>,
    #[command(flatten)]
    pub node: NodeArgs,
    /// What every regular container runs: a `cgharness workload …` command line
    /// (`anon --bytes 1.2G`), checked as `run` checks it; `${replica}` and `${pod}` are filled
    /// in per pod. Sizes in it are literal: they do not shrink with `run --scale` while the
    /// pods' limits do; write `${uses}` and give `--uses` for a size that does. Init containers and sidecars get no process: the workload stands for the
    /// application, and loading a log shipper or proxy with it would double what each pod
    /// uses (their requests and limits still shape the pod's cgroup and oom_score_adj; add a
    /// `run = …` to them by hand to load them too).
    #[arg(long, allow_hyphen_values = true)]
    pub workload: String,
    /// What each regular container's process uses (Kubernetes quantity, `1.2G`): written as
    /// its `uses`, scaled with the pods, and filled in for `${uses}` in `--workload` (bytes).
    #[arg(long)]
    pub uses: Option<String>,
    /// Write the scenario here (its name is the file's stem); without it, print it, named
    /// after the first object.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing `-o` file.
    #[arg(long)]
    pub force: bool,
}

/// A scenario name: lowercase letters, digits, `-` and `_`, starting with a letter or digit
/// (it becomes part of run ids and result paths).
fn check_name(name: &str, from: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    Err(usage(format!(
        "{from} {name:?} is not a valid scenario name (lowercase letters, digits, - and _, at most 64); choose another -o file name"
    )))
}

/// `--workload` split and checked by the workload parser, with `${uses}` filled in and
/// sample `${replica}`/`${pod}`.
fn check_workload_flag(text: &str, uses: Option<&str>) -> anyhow::Result<()> {
    let bytes = match uses {
        Some(u) => crate::size::parse_quantity(u)
            .map_err(|e| usage(format!("--uses: {e}")))?
            .to_string(),
        None if text.contains("${uses}") => {
            return Err(usage("--workload uses ${uses}: give --uses QUANTITY"))
        }
        None => String::new(),
    };
    let sample =
        (text.replace("${replica}", "0").replace("${pod}", "pod")).replace("${uses}", &bytes);
    let argv = crate::spec::words::split(&sample)
        .map_err(|e| usage(format!("--workload {text:?}: {e}")))?;
    super::super::run::check_workload(&argv).map_err(|e| {
        usage(format!(
            "--workload {text:?}: `cgharness workload {sample}`: {e}"
        ))
    })
}

/// The `[node]` keys: node_capacity always, the others where they differ from the default.
fn node_keys(a: &NodeArgs) -> Vec<(&'static str, toml::Value)> {
    use toml::Value::{Array, Boolean, Float, String as Str};
    let mut out = vec![("node_capacity", Str(a.node_capacity.clone()))];
    for (k, v) in [
        ("swap_capacity", &a.swap_capacity),
        ("system_reserved", &a.system_reserved),
        ("kube_reserved", &a.kube_reserved),
    ] {
        if v != "0" {
            out.push((k, Str(v.clone())));
        }
    }
    let enforce: Vec<toml::Value> = (a.enforce_node_allocatable.iter())
        .filter(|e| *e != "none")
        .map(|e| Str(e.clone()))
        .collect();
    if enforce != [Str("pods".into())] {
        out.push(("enforce_node_allocatable", Array(enforce)));
    }
    if a.swap_behavior != "NoSwap" {
        out.push(("swap_behavior", Str(a.swap_behavior.clone())));
    }
    if a.memory_qos {
        out.push(("memory_qos", Boolean(true)));
    }
    if a.memory_throttling_factor != 0.9 {
        out.push((
            "memory_throttling_factor",
            Float(a.memory_throttling_factor),
        ));
    }
    if a.single_process_oom_kill {
        out.push(("single_process_oom_kill", Boolean(true)));
    }
    if !a.swap_controller {
        out.push(("swap_controller", Boolean(false)));
    }
    if let Some(v) = super::huge::scenario_value(&a.hugepages) {
        out.push(("hugepages", v));
    }
    out
}

/// The node flags as `k8s explain` checks them; `--hugetlb-controller=false` is refused.
fn check_node_flags(a: &NodeArgs) -> anyhow::Result<()> {
    super::node_from(a)?;
    if !a.hugetlb_controller {
        return Err(usage("--hugetlb-controller=false: whether the hugetlb controller is there is the run's host's fact, found out when it runs; it is not a [node] key"));
    }
    Ok(())
}

fn read_objects(files: &[PathBuf]) -> anyhow::Result<Vec<(String, Object)>> {
    let mut out = Vec::new();
    for f in files {
        let shown = f.display().to_string();
        let text =
            std::fs::read_to_string(f).map_err(|e| usage(format!("{shown}: cannot read: {e}")))?;
        let got = parse_objects(&text).map_err(|e| usage(format!("{shown}:{e}")))?;
        out.extend(got.into_iter().map(|o| (shown.clone(), o)));
    }
    Ok(out)
}

fn description(objects: &[(String, Object)], a: &ScenarioArgs) -> String {
    let what: Vec<String> = objects
        .iter()
        .map(
            |(f, o)| match crate::k8s::scenario::replicas_of(o, a.replicas) {
                Some(n) => format!("{f}: {} {} ×{n}", o.kind, o.name),
                None => format!("{f}: {} {}", o.kind, o.name),
            },
        )
        .collect();
    format!(
        "From Kubernetes manifests by `cgharness k8s scenario` ({}), on a node of {}; every regular container runs `{}`.",
        what.join(", "),
        a.node.node_capacity,
        a.workload
    )
}

/// Parses the text and builds its plan as `run` would; the plan's message if it cannot run.
fn validate(origin: &str, text: &str) -> anyhow::Result<()> {
    let src = crate::spec::Source {
        origin: origin.to_string(),
        text: text.to_string(),
    };
    let refuse = |e: crate::spec::SpecError| {
        usage(format!(
            "the scenario from these manifests would not run, so nothing was written: {}",
            e.message
        ))
    };
    let spec = crate::spec::parse(&src).map_err(refuse)?;
    let opts = crate::plan::Options::plain(1.0, "/tmp");
    crate::plan::build(&src, spec, opts, &super::super::run::check_workload).map_err(refuse)?;
    Ok(())
}

fn write_new(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut open = std::fs::OpenOptions::new();
    match force {
        true => open.write(true).create(true).truncate(true),
        false => open.write(true).create_new(true),
    };
    let shown = path.display();
    let mut f = open.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            usage(format!("{shown} exists; give --force to overwrite it"))
        }
        _ => usage(format!("{shown}: cannot create: {e}")),
    })?;
    f.write_all(text.as_bytes())
        .map_err(|e| usage(format!("{shown}: cannot write: {e}")))
}

/// Runs `k8s scenario`.
pub fn run(a: ScenarioArgs) -> anyhow::Result<Exit> {
    check_node_flags(&a.node)?;
    check_workload_flag(&a.workload, a.uses.as_deref())?;
    if let Some(o) = a.output.as_deref().filter(|o| o.exists() && !a.force) {
        return Err(usage(format!(
            "{} exists; give --force to overwrite it",
            o.display()
        )));
    }
    let objects = read_objects(&a.files)?;
    let first = objects
        .first()
        .ok_or_else(|| usage("the manifests hold no Pod or workload"))?;
    if a.replicas.is_some() && objects.iter().all(|(_, o)| o.replicas.is_none()) {
        return Err(usage("--replicas: no Deployment, ReplicaSet, StatefulSet or Job in the manifests (a Pod, DaemonSet or CronJob run is one pod)"));
    }
    let name = match &a.output {
        Some(o) => {
            let stem = o.file_stem().unwrap_or_default().to_string_lossy();
            check_name(&stem, "-o's file name")?;
            stem.into_owned()
        }
        None => {
            check_name(&first.1.name, "the first object's name")?;
            first.1.name.clone()
        }
    };
    let node = node_keys(&a.node);
    let from: Vec<FromFile> = (objects.iter())
        .map(|(file, object)| FromFile { file, object })
        .collect();
    let text = scenario_text(&Request {
        name: &name,
        description: &description(&objects, &a),
        node: &node,
        objects: &from,
        replicas: a.replicas,
        workload: &a.workload,
        uses: a.uses.as_deref(),
    });
    let origin = a.output.as_deref().map(|o| o.display().to_string());
    validate(origin.as_deref().unwrap_or("<stdout>"), &text)?;
    match &a.output {
        Some(o) => write_new(o, &text, a.force)?,
        None => print!("{text}"),
    }
    Ok(Exit::Ok)
}
