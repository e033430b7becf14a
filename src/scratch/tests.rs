//! ScratchCgroup on a fake tree (a temp dir laid out like cgroupfs). What only a kernel can do
//! (kill, populated, rmdir of a cgroup) is tested in the VM (tests/guest_kernel.rs).

use super::*;
use crate::cgroupfs::testtree::cgroup_with;

fn fake_mount() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let files = [
        ("cgroup.controllers", "cpuset cpu io memory hugetlb pids"),
        ("cgroup.subtree_control", ""),
        ("cgroup.procs", ""),
    ];
    cgroup_with(d.path(), "", &files);
    cgroup_with(d.path(), "cgharness", &files);
    d
}

#[test]
fn create_makes_the_run_cgroup_and_records_the_owner_with_its_files() {
    let m = fake_mount();
    let state = tempfile::tempdir().unwrap();
    let parent = m.path().join("cgharness");
    let files = vec![PathBuf::from("/data/cgharness-x-42-big")];
    let s = ScratchCgroup::create(&parent, "run-1", &["memory"], state.path(), &files).unwrap();
    assert_eq!(
        std::fs::read_to_string(m.path().join("cgroup.subtree_control")).unwrap(),
        "",
        "nothing above the run's own cgroup is written"
    );
    assert!(parent.join("run-1").is_dir());
    let owner: Owner =
        serde_json::from_slice(&std::fs::read(state.path().join("run-1.owner.json")).unwrap())
            .unwrap();
    assert_eq!(owner.pid, std::process::id());
    assert_eq!(owner.cgroup, parent.join("run-1"));
    assert_eq!(owner.files, files);
    assert!(owner_alive(Path::new("/proc"), &owner));
    std::mem::forget(s); // a fake tree cannot be torn down like a cgroup
}

#[test]
fn an_owner_file_of_an_older_version_without_files_still_reads() {
    let o: Owner =
        serde_json::from_str(r#"{"pid":7,"start_ticks":1,"cgroup":"/sys/fs/cgroup/cgharness/r"}"#)
            .unwrap();
    assert!(o.files.is_empty());
}

fn owner_file(dir: &Path, name: &str, pid: u32, cgroup: &Path) {
    let o = Owner {
        pid,
        start_ticks: 1,
        cgroup: cgroup.to_path_buf(),
        files: Vec::new(),
    };
    std::fs::write(
        dir.join(format!("{name}.owner.json")),
        serde_json::to_vec(&o).unwrap(),
    )
    .unwrap();
}

#[test]
fn sweep_removes_only_dead_owners_under_the_parent() {
    let state = tempfile::tempdir().unwrap();
    let parent = Path::new("/sys/fs/cgroup/cgharness");
    owner_file(state.path(), "a", 10, &parent.join("a"));
    owner_file(state.path(), "b", 20, &parent.join("b"));
    owner_file(
        state.path(),
        "c",
        30,
        Path::new("/sys/fs/cgroup/system.slice"),
    );
    owner_file(state.path(), "d", 40, parent);
    std::fs::write(state.path().join("e.owner.json"), "not json").unwrap();
    std::fs::write(state.path().join("unrelated.txt"), "x").unwrap();
    let plan = plan_sweep(state.path(), parent, &|o| o.pid == 20);
    let kinds: Vec<String> = plan
        .iter()
        .map(|(_, a)| match a {
            SweepAction::Remove(o) => format!("remove {}", o.pid),
            SweepAction::KeepLive(o) => format!("keep {}", o.pid),
            SweepAction::Ignore(_, why) => format!("ignore: {why}"),
        })
        .collect();
    assert_eq!(kinds[0], "remove 10");
    assert_eq!(kinds[1], "keep 20");
    assert!(
        kinds[2].starts_with("ignore") && kinds[2].contains("system.slice"),
        "{kinds:?}"
    );
    assert!(
        kinds[3].starts_with("ignore"),
        "the parent itself is never removed: {kinds:?}"
    );
    assert!(kinds[4].contains("unreadable"), "{kinds:?}");
    assert_eq!(
        kinds.len(),
        5,
        "files that are not owner files are not looked at"
    );
}

#[test]
fn start_time_guards_against_pid_reuse() {
    let me = std::process::id();
    let ticks = process_start_ticks(Path::new("/proc"), me).unwrap();
    let cg = PathBuf::from("/x");
    assert!(owner_alive(
        Path::new("/proc"),
        &Owner {
            pid: me,
            start_ticks: ticks,
            cgroup: cg.clone(),
            files: Vec::new(),
        }
    ));
    assert!(!owner_alive(
        Path::new("/proc"),
        &Owner {
            pid: me,
            start_ticks: ticks + 1,
            cgroup: cg,
            files: Vec::new(),
        }
    ));
}
