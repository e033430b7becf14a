//! Real-kernel tests that run *inside* cgharness's VM (as root, cgroup2 at /sys/fs/cgroup,
//! swap on a virtio disk, ext4 at /data). They are `#[ignore]`d on the host, where they cannot
//! run; tests/vm_kernels.rs builds this file statically and runs it with `--ignored` in a VM
//! on each kernel (Debian 6.1, 6.12, sid). Workload processes are `/init workload …`: the
//! guest's init is cgharness itself.

use cgharness::cgroupfs::io::{DevId, IoMax};
use cgharness::cgroupfs::misc::CpuMax;
use cgharness::cgroupfs::{Cgroup, Limit};
use cgharness::placement::tree;
use cgharness::scratch::{plan_sweep, remove_subtree, Owner, ScratchCgroup, SweepAction};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod harness;
mod workloads;

const MOUNT: &str = "/sys/fs/cgroup";
const CONTROLLERS: [&str; 5] = ["memory", "io", "pids", "cpu", "hugetlb"];

pub(crate) fn parent() -> PathBuf {
    Path::new(MOUNT).join("cgharness")
}

pub(crate) fn state() -> PathBuf {
    PathBuf::from("/tmp/cgharness-state")
}

/// The parent made ready as `run` makes it without systemd: created below the mount, the
/// controllers enabled from the mount down.
pub(crate) fn ready_parent() {
    let mut undo = tree::prepare(Path::new(MOUNT), &parent(), false).expect("prepare parent");
    tree::enable(Path::new(MOUNT), &mut undo, &CONTROLLERS, &|_| {
        String::new()
    })
    .expect("enable controllers");
}

pub(crate) fn scratch(name: &str) -> ScratchCgroup {
    ready_parent();
    ScratchCgroup::create(&parent(), name, &CONTROLLERS, &state(), &[])
        .expect("create scratch cgroup")
}

pub(crate) fn workload(args: &[&str]) -> Command {
    let mut c = Command::new(std::env::var("CGHARNESS_BIN").unwrap_or_else(|_| "/init".into()));
    c.arg("workload").args(args);
    c
}

pub(crate) fn data_dev() -> DevId {
    let st = nix::sys::stat::stat("/data").expect("/data is mounted");
    DevId {
        major: nix::sys::stat::major(st.st_dev) as u32,
        minor: nix::sys::stat::minor(st.st_dev) as u32,
    }
}

pub(crate) fn swap_dev() -> DevId {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap();
    let dev = swaps
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .expect("a swap device is on");
    let st = nix::sys::stat::stat(dev).unwrap();
    DevId {
        major: nix::sys::stat::major(st.st_rdev) as u32,
        minor: nix::sys::stat::minor(st.st_rdev) as u32,
    }
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn limits_written_read_back_exactly() {
    let s = scratch("limits");
    let cg = s.add_child("pod/ctr").unwrap();
    type Writer = fn(&Cgroup, Limit) -> Result<(), cgharness::cgroupfs::CgError>;
    let memory: [(&str, Writer, Limit); 6] = [
        (
            "memory.max",
            Cgroup::write_memory_max,
            Limit::Bytes(64 << 20),
        ),
        (
            "memory.high",
            Cgroup::write_memory_high,
            Limit::Bytes(48 << 20),
        ),
        (
            "memory.low",
            Cgroup::write_memory_low,
            Limit::Bytes(8 << 20),
        ),
        (
            "memory.min",
            Cgroup::write_memory_min,
            Limit::Bytes(4 << 20),
        ),
        (
            "memory.swap.max",
            Cgroup::write_memory_swap_max,
            Limit::Bytes(0),
        ),
        (
            "memory.swap.high",
            Cgroup::write_memory_swap_high,
            Limit::Bytes(16 << 20),
        ),
    ];
    for (_, write, value) in &memory {
        write(&cg, *value).unwrap();
    }
    cg.write_memory_oom_group(true).unwrap();
    cg.write_pids_max(Limit::Bytes(100)).unwrap();
    cg.write_cpu_max(CpuMax {
        quota_usec: Limit::Bytes(50_000),
        period_usec: 100_000,
    })
    .unwrap();
    cg.write_cpu_weight(200).unwrap();
    cg.write_hugetlb_max("2MB", Limit::Bytes(4 << 20)).unwrap();
    let io = IoMax {
        wbps: Limit::Bytes(1 << 20),
        ..IoMax::unlimited(data_dev())
    };
    cg.write_io_max(&io).unwrap();
    for (file, _, value) in &memory {
        assert_eq!(cg.read_limit(file).unwrap(), *value, "{file}");
    }
    assert!(cg.read_memory_oom_group().unwrap());
    assert_eq!(cg.read_pids_max().unwrap(), Limit::Bytes(100));
    assert_eq!(
        cg.read_cpu_max().unwrap(),
        CpuMax {
            quota_usec: Limit::Bytes(50_000),
            period_usec: 100_000
        }
    );
    assert_eq!(cg.read_cpu_weight().unwrap(), 200);
    assert_eq!(cg.read_hugetlb_max("2MB").unwrap(), Limit::Bytes(4 << 20));
    assert_eq!(
        cg.read_io_max().unwrap(),
        vec![io],
        "io.max reads back as written"
    );
    // A value the kernel rejects is an error naming the file and the value.
    let err = cg.write_text("memory.max", "lots").unwrap_err().to_string();
    assert!(
        err.contains("memory.max") && err.contains("\"lots\""),
        "{err}"
    );
    // A misspelt file fails and is not created.
    assert!(cg.write_text("memory.maxx", "1").is_err());
    drop(s);
    assert!(
        !parent().join("limits").exists(),
        "dropped scratch cgroups are removed"
    );
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn processes_are_placed_before_they_run_and_killed_on_teardown() {
    let mut s = scratch("place");
    let cg = s.add_child("a/b").unwrap();
    let mut child = ScratchCgroup::spawn_in(&cg, &mut workload(&["idle"])).unwrap();
    let pid = child.id();
    assert_eq!(cg.read_procs().unwrap(), vec![pid]);
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    assert_eq!(own.trim(), "0::/cgharness/place/a/b");
    assert_eq!(s.root().read_cgroup_events().unwrap().populated, Some(1));
    assert!(state().join("place.owner.json").is_file());
    s.teardown().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "teardown kills through cgroup.kill"
    );
    assert!(!parent().join("place").exists());
    assert!(
        !state().join("place.owner.json").exists(),
        "the owner file goes with the subtree"
    );
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn subtree_removal_kills_every_level() {
    let s = scratch("tree");
    let mut children = Vec::new();
    for leaf in ["x/1", "x/2", "y"] {
        let cg = s.add_child(leaf).unwrap();
        children.push(ScratchCgroup::spawn_in(&cg, &mut workload(&["idle"])).unwrap());
    }
    assert_eq!(s.root().read_cgroup_stat().unwrap().nr_descendants, Some(4));
    remove_subtree(s.root(), Duration::from_secs(5)).unwrap();
    for mut c in children {
        assert_eq!(c.wait().unwrap().signal(), Some(libc::SIGKILL));
    }
    assert!(!s.root().exists());
    assert!(Cgroup::new(parent())
        .children()
        .unwrap()
        .iter()
        .all(|c| c != "tree"));
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn clean_sweeps_a_dead_owners_subtree_only() {
    let live = scratch("live");
    let dead_cg = Cgroup::new(parent().join("dead"));
    dead_cg.mkdir().unwrap();
    let mut orphan = ScratchCgroup::spawn_in(&dead_cg, &mut workload(&["idle"])).unwrap();
    let data = PathBuf::from("/data/cgharness-dead-999999-big");
    std::fs::write(&data, vec![1u8; 1 << 20]).unwrap();
    let dead = Owner {
        files: vec![data.clone()],
        pid: 999_999,
        start_ticks: 1,
        cgroup: dead_cg.path().to_path_buf(),
    };
    std::fs::write(
        state().join("dead.owner.json"),
        serde_json::to_vec(&dead).unwrap(),
    )
    .unwrap();
    let proc_root = Path::new("/proc");
    let plan = plan_sweep(&state(), &parent(), &|o| {
        cgharness::scratch::owner_alive(proc_root, o)
    });
    let mut removed = Vec::new();
    for (file, action) in plan {
        match action {
            SweepAction::Remove(o) => {
                let files = cgharness::scratch::remove_dead(&file, &o).unwrap();
                assert_eq!(
                    files,
                    vec![data.clone()],
                    "the dead run's data file goes too"
                );
                assert!(!file.exists());
                removed.push(o.cgroup);
            }
            SweepAction::KeepLive(o) => assert_eq!(o.cgroup, parent().join("live")),
            SweepAction::Ignore(f, why) => panic!("unexpected {f:?}: {why}"),
        }
    }
    assert_eq!(removed, vec![parent().join("dead")]);
    assert!(!data.exists());
    assert_eq!(orphan.wait().unwrap().signal(), Some(libc::SIGKILL));
    assert!(live.root().exists(), "a live run is left alone");
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn a_delegated_parent_holding_the_harness_and_a_caller_is_prepared_and_restored() {
    let deleg = Cgroup::new(Path::new(MOUNT).join("deleg"));
    deleg.mkdir().unwrap();
    Cgroup::new(MOUNT).enable_controllers(&["memory"]).unwrap();
    deleg.write_procs(std::process::id()).unwrap();
    let caller = ScratchCgroup::spawn_in(&deleg, &mut workload(&["idle"])).unwrap();
    let cgroup_of = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    // The harness and a co-resident process (a CI job's shell) move into leaves.
    let mut undo = tree::prepare(deleg.path(), deleg.path(), true).unwrap();
    assert_eq!(
        cgroup_of(std::process::id()).trim(),
        "0::/deleg/cgharness-harness"
    );
    assert_eq!(cgroup_of(caller.id()).trim(), "0::/deleg/cgharness-caller");
    tree::enable(deleg.path(), &mut undo, &["memory"], &|_| String::new()).unwrap();
    assert!(deleg
        .read_subtree_control()
        .unwrap()
        .contains(&"memory".to_string()));
    let mut s = ScratchCgroup::create(deleg.path(), "r", &["memory"], &state(), &[]).unwrap();
    assert!(s.root().file("memory.max").exists());
    s.teardown().unwrap();
    // Released: controllers taken back, both processes back where they were, leaves gone.
    let left = tree::release(&undo, true);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(cgroup_of(std::process::id()).trim(), "0::/deleg");
    assert_eq!(cgroup_of(caller.id()).trim(), "0::/deleg");
    assert!(deleg.read_subtree_control().unwrap().is_empty());
    assert!(deleg.children().unwrap().is_empty());
    kill_and_reap(caller);
    Cgroup::new(MOUNT).write_procs(std::process::id()).unwrap();
    deleg.rmdir().unwrap();
}

fn kill_and_reap(mut child: std::process::Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn memory_peak_reset_is_per_fd_on_6_12_and_later() {
    let s = scratch("peak");
    let cg = s.add_child("ctr").unwrap();
    let st = ScratchCgroup::spawn_in(
        &cg,
        &mut workload(&["anon", "--bytes", "24M", "--hold-ms", "0"]),
    )
    .unwrap()
    .wait()
    .unwrap();
    assert!(st.success());
    let mut watch = cg.watch_memory_peak().unwrap();
    let before = watch.read().unwrap();
    assert!(before >= 24 << 20, "the peak saw the 24M touch: {before}");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    match watch.reset() {
        Ok(()) => {
            assert!(!release.starts_with("6.1."), "6.1 has no memory.peak reset");
            let after = watch.read().unwrap();
            assert!(
                after < 4 << 20,
                "the fd's peak restarts from the current usage: {after}"
            );
            assert_eq!(
                cg.read_memory_peak().unwrap(),
                before,
                "another fd still sees the old peak"
            );
        }
        Err(e) => assert!(release.starts_with("6.1."), "{release}: {e}"),
    }
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn kept_open_readers_follow_a_live_cgroup() {
    use cgharness::cgroupfs::snapshot::CgroupReader;
    let s = scratch("sampler");
    let cg = s.add_child("ctr").unwrap();
    let mut reader = CgroupReader::open(&cg).unwrap();
    let idle = reader.sample().unwrap();
    assert!(idle.memory_current_bytes.unwrap() < 1 << 20);
    let mut child =
        ScratchCgroup::spawn_in(&cg, &mut workload(&["anon", "--bytes", "24M"])).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    // memory.current can pass 24M before memory.stat's anon does (page tables count in
    // current, and memory.stat is flushed lazily), so follow both until both show the touch.
    let busy = loop {
        let sample = reader.sample().unwrap();
        let anon = sample.memory_stat.as_ref().and_then(|st| st.anon).unwrap();
        if sample.memory_current_bytes.unwrap() >= 24 << 20 && anon >= 24 << 20 {
            break sample;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "memory.current and memory.stat never showed 24M through pread"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        busy.memory_events.is_some() && busy.io_stat.is_some() && busy.memory_pressure.is_some()
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn a_parent_the_harness_created_is_removed_once_its_last_run_is_gone() {
    use cgharness::placement::{decide, read_facts, session::Session, Mode};
    let parent = Path::new(MOUNT).join("own-parent-test/runs");
    let pf = read_facts(Path::new(MOUNT), Some(&parent), true);
    let mode = decide(&pf, Some(&parent)).unwrap();
    assert_eq!(
        mode,
        Mode::GivenParent {
            parent: parent.clone()
        }
    );
    let exe = PathBuf::from(std::env::var("CGHARNESS_BIN").unwrap_or_else(|_| "/init".into()));
    let s = Session::establish(&pf, mode, &exe).unwrap();
    s.enable(&["memory", "pids"]).unwrap();
    let mut run = ScratchCgroup::create(&parent, "r", &["memory"], &state(), &[]).unwrap();
    assert!(run.root().file("memory.max").exists());
    assert!(parent.exists());
    run.teardown().unwrap();
    let left = s.release();
    assert!(left.is_empty(), "{left:?}");
    assert!(
        !Path::new(MOUNT).join("own-parent-test").exists(),
        "both levels it created are gone"
    );
}
