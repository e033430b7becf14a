//! The run's tree on a fake cgroupfs (a temp dir laid out like one): required writes, then
//! the optional hugetlb writes, a missing `.rsvd.max` skipped as libcontainer skips it.

use super::*;
use crate::cgroupfs::testtree::cgroup_with;

fn fake_run(hugetlb_files: &[(&str, &str)]) -> (tempfile::TempDir, ScratchCgroup) {
    let d = tempfile::tempdir().unwrap();
    let base = [
        ("cgroup.controllers", "memory hugetlb"),
        ("cgroup.subtree_control", ""),
        ("cgroup.procs", ""),
    ];
    cgroup_with(d.path(), "parent", &base);
    let state = d.path().join("state");
    let controllers = ["memory", "hugetlb"];
    let s = ScratchCgroup::create(&d.path().join("parent"), "run", &controllers, &state, &[]);
    let s = s.unwrap();
    // What the kernel would show in the new cgroups.
    cgroup_with(d.path(), "parent/run", &base);
    let mut files = base.to_vec();
    files.push(("memory.max", "max"));
    files.extend_from_slice(hugetlb_files);
    cgroup_with(d.path(), "parent/run/pod", &files);
    (d, s)
}

fn plan(optional: &[(&str, &str)]) -> Vec<CgroupPlan> {
    let owned = |v: &[(&str, &str)]| {
        v.iter()
            .map(|(f, x)| (f.to_string(), x.to_string()))
            .collect()
    };
    vec![CgroupPlan {
        name: "pod".into(),
        writes: owned(&[("memory.max", "1073741824")]),
        optional_writes: owned(optional),
        ..CgroupPlan::default()
    }]
}

#[test]
fn optional_hugetlb_writes_follow_the_required_ones_and_skip_a_missing_rsvd() {
    let (d, s) = fake_run(&[("hugetlb.2MB.max", "max")]);
    let p = plan(&[
        ("hugetlb.2MB.max", "4194304"),
        ("hugetlb.2MB.rsvd.max", "4194304"),
    ]);
    build_tree(&s, &p).unwrap();
    let read = |f: &str| std::fs::read_to_string(d.path().join("parent/run/pod").join(f)).unwrap();
    assert_eq!(read("memory.max"), "1073741824");
    assert_eq!(read("hugetlb.2MB.max"), "4194304");
    assert!(!d
        .path()
        .join("parent/run/pod/hugetlb.2MB.rsvd.max")
        .exists());
    std::mem::forget(s);
}

#[test]
fn a_page_size_the_kernel_lacks_cannot_run() {
    let (_d, s) = fake_run(&[("hugetlb.2MB.max", "max"), ("hugetlb.2MB.rsvd.max", "max")]);
    let e = build_tree(&s, &plan(&[("hugetlb.1GB.max", "0")])).unwrap_err();
    let text = format!("{e:#}");
    assert!(text.contains("cannot set hugetlb.1GB.max"), "{text}");
    assert!(text.contains("no huge pages of that size"), "{text}");
    std::mem::forget(s);
}
