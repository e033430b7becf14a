//! Host facts, read once: kernel, cgroup mounts and controllers, swap, PSI, huge pages, THP,
//! clocksource, CPU and memory, access rights, qemu. Reading is separate from judging
//! ([`crate::doctor`] judges these facts without I/O).
//!
//! Every path is read under a root prefix (`/` normally), so tests lay out a fake host in a
//! temp dir. Nothing here writes anything.

use crate::cgroupfs::Cgroup;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The controllers scenarios use, by their cgroup v2 names.
pub const WANTED_CONTROLLERS: [&str; 5] = ["memory", "io", "cpu", "pids", "hugetlb"];

/// Where a controller lives on this host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControllerState {
    /// Listed in the cgroup2 root's `cgroup.controllers`.
    V2,
    /// Bound to a cgroup v1 hierarchy (named by its mount point), so v2 cannot use it.
    V1 {
        /// The v1 mount point.
        mount: String,
    },
    /// The kernel does not have it.
    Absent,
}

/// One swap area from `/proc/swaps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapArea {
    /// Device or file.
    pub path: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Used bytes.
    pub used_bytes: u64,
}

/// Everything the harness needs to know about the machine it runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostFacts {
    /// `uname -r`.
    pub kernel_release: String,
    /// `/proc/cmdline`.
    pub kernel_cmdline: Option<String>,
    /// CPU model name.
    pub cpu_model: Option<String>,
    /// Online CPUs.
    pub cpus: usize,
    /// MemTotal in bytes.
    pub mem_total_bytes: Option<u64>,
    /// Where cgroup2 is mounted (None: not mounted).
    pub cgroup2_mount: Option<String>,
    /// Whether v1 hierarchies with controllers are mounted too (a hybrid host).
    pub hybrid: bool,
    /// State of each wanted controller.
    pub controllers: BTreeMap<String, ControllerState>,
    /// The cgroup2 root's `cgroup.subtree_control`.
    pub root_subtree_control: Vec<String>,
    /// Swap areas.
    pub swap: Vec<SwapArea>,
    /// Whether `/proc/pressure/memory` can be read (PSI on).
    pub psi: bool,
    /// Huge page sizes the kernel offers, bytes.
    pub hugepage_sizes_bytes: Vec<u64>,
    /// THP mode (`always`, `madvise`, `never`).
    pub thp_enabled: Option<String>,
    /// `/sys/kernel/mm/lru_gen/enabled` (MGLRU), as the kernel prints it.
    pub lru_gen_enabled: Option<String>,
    /// Current clocksource (`tsc`, `hpet`, …).
    pub clocksource: Option<String>,
    /// Kernel config options that matter here, as `/boot/config-<release>` sets them
    /// (`y`, `m`, or absent from the map when unset); None when no config file is readable.
    pub kernel_config: Option<BTreeMap<String, String>>,
    /// The directory file workloads would use, and its free bytes.
    pub data_dir: Option<String>,
    /// Free bytes in `data_dir`.
    pub data_free_bytes: Option<u64>,
    /// Effective uid is 0.
    pub root: bool,
    /// Whether this process may write the cgroup2 root's `cgroup.subtree_control`.
    pub cgroup2_writable: bool,
    /// Whether `/dev/kvm` exists.
    pub kvm_device: bool,
    /// `qemu-system-x86_64` on PATH, if any.
    pub qemu: Option<String>,
}

/// Reads host facts under `root` (normally `/`).
pub fn read_facts(root: &Path) -> HostFacts {
    let p = |rel: &str| root.join(rel.trim_start_matches('/'));
    let mounts = read_mounts(&p("/proc/self/mountinfo"));
    let (cgroup2_mount, v2_root) = match mounts.iter().find(|m| m.fstype == "cgroup2") {
        Some(m) => (Some(m.point.clone()), Some(Cgroup::new(p(&m.point)))),
        None => (None, None),
    };
    let v2_controllers = v2_root
        .as_ref()
        .and_then(|cg| cg.read_controllers().ok())
        .unwrap_or_default();
    let controllers = WANTED_CONTROLLERS
        .iter()
        .map(|c| (c.to_string(), controller_state(c, &v2_controllers, &mounts)))
        .collect();
    let root_subtree_control = v2_root
        .as_ref()
        .and_then(|cg| cg.read_subtree_control().ok())
        .unwrap_or_default();
    let cgroup2_writable = v2_root.is_some_and(|cg| writable(&cg.file("cgroup.subtree_control")));
    HostFacts {
        kernel_release: read_trim(&p("/proc/sys/kernel/osrelease"))
            .unwrap_or_else(|| "unknown".into()),
        kernel_cmdline: read_trim(&p("/proc/cmdline")),
        cpu_model: read_cpu_model(&p("/proc/cpuinfo")),
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        mem_total_bytes: read_meminfo_key(&p("/proc/meminfo"), "MemTotal"),
        hybrid: mounts
            .iter()
            .any(|m| m.fstype == "cgroup" && !m.v1_controllers().is_empty()),
        cgroup2_mount,
        controllers,
        root_subtree_control,
        swap: read_swaps(&p("/proc/swaps")),
        psi: std::fs::read_to_string(p("/proc/pressure/memory")).is_ok(),
        hugepage_sizes_bytes: read_hugepage_sizes(&p("/sys/kernel/mm/hugepages")),
        thp_enabled: read_trim(&p("/sys/kernel/mm/transparent_hugepage/enabled"))
            .and_then(|s| bracketed(&s)),
        lru_gen_enabled: read_trim(&p("/sys/kernel/mm/lru_gen/enabled")),
        kernel_config: read_kernel_config(
            &p("/boot"),
            &read_trim(&p("/proc/sys/kernel/osrelease")).unwrap_or_default(),
        ),
        data_dir: Some(data_dir(root).display().to_string()),
        data_free_bytes: free_bytes(&data_dir(root)),
        clocksource: read_trim(&p(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )),
        root: nix::unistd::geteuid().is_root(),
        cgroup2_writable,
        kvm_device: p("/dev/kvm").exists(),
        qemu: which("qemu-system-x86_64"),
    }
}

/// Config options doctor reports on.
pub const CONFIG_KEYS: [&str; 9] = [
    "CONFIG_MEMCG",
    "CONFIG_BLK_CGROUP",
    "CONFIG_BLK_DEV_THROTTLING",
    "CONFIG_CGROUP_HUGETLB",
    "CONFIG_PSI",
    "CONFIG_SWAP",
    "CONFIG_ZSWAP",
    "CONFIG_LRU_GEN",
    "CONFIG_TRANSPARENT_HUGEPAGE",
];

/// Reads the `CONFIG_KEYS` that are set in `<boot>/config-<release>`.
pub fn read_kernel_config(boot: &Path, release: &str) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(boot.join(format!("config-{release}"))).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| CONFIG_KEYS.contains(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Where file workloads go: `/data` inside our VM, else the current directory.
fn data_dir(root: &Path) -> PathBuf {
    let vm_data = root.join("data");
    if crate::vm::guest::in_vm() && vm_data.is_dir() {
        vm_data
    } else {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
    }
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

/// One line of mountinfo that matters here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Mount point.
    pub point: String,
    /// Filesystem type.
    pub fstype: String,
    /// Super-block options (for v1: the controllers).
    pub super_opts: String,
}

impl Mount {
    /// Controllers a v1 mount holds (`name=systemd` is not a controller).
    pub fn v1_controllers(&self) -> Vec<&str> {
        self.super_opts
            .split(',')
            .filter(|o| !matches!(*o, "rw" | "ro") && !o.contains('='))
            .collect()
    }
}

/// Parses `/proc/self/mountinfo` for cgroup mounts.
pub fn read_mounts(path: &Path) -> Vec<Mount> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    parse_mountinfo(&text)
}

/// Parses mountinfo text, keeping cgroup and cgroup2 mounts.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let point = left.split_whitespace().nth(4)?.to_string();
            let mut r = right.split_whitespace();
            let fstype = r.next()?.to_string();
            let super_opts = r.nth(1).unwrap_or_default().to_string();
            matches!(fstype.as_str(), "cgroup" | "cgroup2").then_some(Mount {
                point,
                fstype,
                super_opts,
            })
        })
        .collect()
}

fn controller_state(name: &str, v2: &[String], mounts: &[Mount]) -> ControllerState {
    if v2.iter().any(|c| c == name) {
        return ControllerState::V2;
    }
    let v1_name = if name == "io" { "blkio" } else { name };
    if let Some(m) = mounts
        .iter()
        .find(|m| m.fstype == "cgroup" && m.v1_controllers().contains(&v1_name))
    {
        return ControllerState::V1 {
            mount: m.point.clone(),
        };
    }
    ControllerState::Absent
}

fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn bracketed(s: &str) -> Option<String> {
    let start = s.find('[')?;
    let end = s[start..].find(']')?;
    Some(s[start + 1..start + end].to_string())
}

/// The CPU model name from `/proc/cpuinfo` under `root`.
pub fn cpu_model(root: &Path) -> Option<String> {
    read_cpu_model(&root.join("proc/cpuinfo"))
}

fn read_cpu_model(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Reads one `/proc/meminfo` key in bytes.
pub fn read_meminfo_key(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.split(':').next() == Some(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn read_swaps(path: &Path) -> Vec<SwapArea> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            Some(SwapArea {
                path: w.first()?.to_string(),
                size_bytes: w.get(2)?.parse::<u64>().ok()? * 1024,
                used_bytes: w.get(3)?.parse::<u64>().ok()? * 1024,
            })
        })
        .collect()
}

fn read_hugepage_sizes(dir: &Path) -> Vec<u64> {
    let mut sizes: Vec<u64> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let kb = name
                        .strip_prefix("hugepages-")?
                        .strip_suffix("kB")?
                        .parse::<u64>()
                        .ok()?;
                    Some(kb * 1024)
                })
                .collect()
        })
        .unwrap_or_default();
    sizes.sort_unstable();
    sizes
}

fn writable(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// Finds an executable on PATH.
pub fn which(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.is_file() && nix::unistd::access(p.as_path(), nix::unistd::AccessFlags::X_OK).is_ok()
        })
        .map(|p: PathBuf| p.display().to_string())
}

/// Whether the cgroup memory controller's files exist in the v2 root (`optional` read).
pub fn v2_memory_usable(facts: &HostFacts) -> bool {
    matches!(facts.controllers.get("memory"), Some(ControllerState::V2))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n\
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    #[test]
    fn mountinfo_finds_v1_and_v2() {
        let m = parse_mountinfo(HYBRID);
        assert_eq!(m.len(), 4);
        assert_eq!(m[3].point, "/sys/fs/cgroup/unified");
        assert_eq!(m[0].v1_controllers(), vec!["memory"]);
        assert!(
            m[2].v1_controllers().is_empty(),
            "name=systemd is not a controller"
        );
    }

    #[test]
    fn io_is_blkio_in_v1() {
        let m = parse_mountinfo(HYBRID);
        let st = controller_state("io", &["hugetlb".into()], &m);
        assert_eq!(
            st,
            ControllerState::V1 {
                mount: "/sys/fs/cgroup/blkio".into()
            }
        );
        assert_eq!(
            controller_state("hugetlb", &["hugetlb".into()], &m),
            ControllerState::V2
        );
        assert_eq!(controller_state("pids", &[], &m), ControllerState::Absent);
    }

    #[test]
    fn thp_mode_is_the_bracketed_word() {
        assert_eq!(
            bracketed("always [madvise] never").as_deref(),
            Some("madvise")
        );
        assert_eq!(bracketed("never"), None);
    }
}
