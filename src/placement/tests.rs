//! The placement decision over facts, the delegation walk, and preparing a parent on a fake
//! tree. Moving processes and systemd's scope are tested for real in the systemd guest.

use super::tree::{enable, release, Undo};
use super::*;
use crate::cgroupfs::testtree::cgroup_with;

fn facts() -> PlacementFacts {
    PlacementFacts {
        mount: PathBuf::from("/sys/fs/cgroup"),
        own_cgroup: Some(PathBuf::from(
            "/sys/fs/cgroup/user.slice/user-0.slice/session-3.scope",
        )),
        systemd: true,
        in_vm: false,
        euid: 0,
        delegated_ancestor: None,
        parent_delegated_ancestor: None,
        delegation: None,
        parent_unwritable: None,
    }
}

#[test]
fn systemd_without_delegation_asks_for_a_scope_of_the_right_manager() {
    assert_eq!(
        decide(&facts(), None),
        Ok(Mode::TransientScope { user: false })
    );
    let user = PlacementFacts {
        euid: 1000,
        ..facts()
    };
    assert_eq!(decide(&user, None), Ok(Mode::TransientScope { user: true }));
}

#[test]
fn a_delegated_unit_is_used_as_it_is() {
    let b = PathBuf::from("/sys/fs/cgroup/system.slice/ci.service");
    let f = PlacementFacts {
        delegated_ancestor: Some(b.clone()),
        ..facts()
    };
    assert_eq!(decide(&f, None), Ok(Mode::Delegated { boundary: b }));
}

#[test]
fn without_systemd_or_in_our_vm_the_harness_keeps_its_own_parent() {
    let own = Ok(Mode::OwnParent {
        parent: PathBuf::from("/sys/fs/cgroup/cgharness"),
    });
    assert_eq!(
        decide(
            &PlacementFacts {
                systemd: false,
                ..facts()
            },
            None
        ),
        own
    );
    assert_eq!(
        decide(
            &PlacementFacts {
                in_vm: true,
                ..facts()
            },
            None
        ),
        own
    );
}

#[test]
fn a_parent_systemd_did_not_delegate_is_refused_naming_the_fix() {
    let p = Path::new("/sys/fs/cgroup/system.slice/mine");
    let err = decide(&facts(), Some(p)).unwrap_err();
    assert_eq!(err, Refusal::NotDelegated(p.to_path_buf()));
    assert!(err.to_string().contains("Delegate=yes"), "{err}");
    let f = PlacementFacts {
        parent_delegated_ancestor: Some(PathBuf::from("/sys/fs/cgroup/system.slice/ci.service")),
        ..facts()
    };
    let inside = Path::new("/sys/fs/cgroup/system.slice/ci.service/runs");
    assert_eq!(
        decide(&f, Some(inside)),
        Ok(Mode::GivenParent {
            parent: inside.to_path_buf()
        })
    );
    assert!(matches!(
        decide(&f, Some(Path::new("/tmp/x"))),
        Err(Refusal::OutsideMount { .. })
    ));
}

#[test]
fn the_nearest_delegated_ancestor_is_found_and_the_mount_never_counts() {
    let mount = Path::new("/m");
    let marked = |p: &Path| p == Path::new("/m/system.slice/ci.service") || p == mount;
    assert_eq!(
        nearest_delegated(
            mount,
            Path::new("/m/system.slice/ci.service/job/x"),
            &marked
        ),
        Some(PathBuf::from("/m/system.slice/ci.service"))
    );
    assert_eq!(
        nearest_delegated(mount, Path::new("/m/user.slice"), &marked),
        None
    );
}

#[test]
fn proc_self_cgroup_is_read_from_its_v2_line() {
    let text = "12:memory:/x\n0::/system.slice/ci.service\n";
    assert_eq!(
        parse_proc_cgroup(text),
        Some(PathBuf::from("/system.slice/ci.service"))
    );
    assert_eq!(parse_proc_cgroup("5:cpu:/\n"), None);
}

fn fake_unit() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    cgroup_with(
        d.path(),
        "",
        &[
            ("cgroup.controllers", "cpu memory pids io hugetlb"),
            ("cgroup.subtree_control", ""),
        ],
    );
    cgroup_with(
        d.path(),
        "ci.service",
        &[
            ("cgroup.controllers", "cpu memory pids"),
            ("cgroup.subtree_control", ""),
            ("cgroup.procs", ""),
        ],
    );
    let unit = d.path().join("ci.service");
    (d, unit)
}

#[test]
fn enabling_writes_from_the_boundary_down_and_never_above_it() {
    let (d, unit) = fake_unit();
    let mut undo = Undo {
        parent: unit.clone(),
        restore_controllers: true,
        ..Undo::default()
    };
    enable(&unit, &mut undo, &["memory", "pids"], &|_| String::new()).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.path().join("cgroup.subtree_control")).unwrap(),
        "",
        "the root, above the boundary, is not written"
    );
    assert_eq!(
        undo.enabled,
        vec![
            (unit.clone(), "memory".into()),
            (unit.clone(), "pids".into())
        ]
    );
}

#[test]
fn a_controller_the_unit_lacks_is_refused_with_its_fix() {
    let (_d, unit) = fake_unit();
    let mut undo = Undo {
        parent: unit.clone(),
        ..Undo::default()
    };
    let err = enable(&unit, &mut undo, &["memory", "io"], &|c| {
        format!("Delegate=yes for {c}")
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("io") && msg.contains("Delegate=yes for io"),
        "{msg}"
    );
    assert!(
        msg.contains("cpu memory pids"),
        "names what is there: {msg}"
    );
}

#[test]
fn release_leaves_a_parent_alone_while_another_run_lives_in_it() {
    let (_d, unit) = fake_unit();
    cgroup_with(
        &unit,
        "other-run",
        &[("cgroup.events", "populated 1\nfrozen 0\n")],
    );
    let undo = Undo {
        parent: unit.clone(),
        created: vec![unit.join("cgharness-harness")],
        ..Undo::default()
    };
    let left = release(&undo, true);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains("another live run"), "{left:?}");
}

#[test]
fn every_mode_is_explained_in_a_sentence() {
    for m in [
        Mode::OwnParent {
            parent: PathBuf::from("/sys/fs/cgroup/cgharness"),
        },
        Mode::Delegated {
            boundary: PathBuf::from("/sys/fs/cgroup/system.slice/ci.service"),
        },
        Mode::TransientScope { user: false },
        Mode::TransientScope { user: true },
    ] {
        assert!(explain(&m).len() > 40, "{m:?}");
    }
    assert!(explain(&Mode::TransientScope { user: false }).contains("Delegate=yes"));
}

#[test]
fn a_user_manager_s_own_tree_is_not_a_delegation_to_the_harness() {
    let none = |_: &Path| false;
    assert!(is_manager_root(
        Path::new("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service"),
        &none
    ));
    let init = |p: &Path| p.ends_with("init.scope");
    assert!(is_manager_root(
        Path::new("/sys/fs/cgroup/machine.slice/x.service"),
        &init
    ));
    assert!(!is_manager_root(
        Path::new("/sys/fs/cgroup/system.slice/ci.service"),
        &none
    ));
}

#[test]
fn a_non_root_parent_is_judged_by_what_the_caller_may_write() {
    use super::delegation::access;
    let parent = PathBuf::from(
        "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope",
    );
    let given = Mode::GivenParent {
        parent: parent.clone(),
    };
    let user = PlacementFacts {
        euid: 1000,
        parent_delegated_ancestor: Some(parent.clone()),
        delegation: Some(
            "your user manager runs this process in run-r1.scope with Delegate=yes".into(),
        ),
        ..facts()
    };
    assert_eq!(access(&user, &given), Ok(()));
    let locked = PlacementFacts {
        parent_unwritable: Some(format!(
            "{}/cgroup.procs is not writable by uid 1000",
            parent.display()
        )),
        ..user.clone()
    };
    let why = access(&locked, &given).unwrap_err();
    assert!(why.contains("cgroup.procs is not writable"), "{why}");
    assert!(why.contains("Delegate=yes"), "{why}");
    // Root may write anywhere it is placed; a delegated unit or a scope is the caller's.
    assert_eq!(
        access(
            &PlacementFacts {
                euid: 0,
                ..locked.clone()
            },
            &given
        ),
        Ok(())
    );
    assert_eq!(
        access(&locked, &Mode::TransientScope { user: true }),
        Ok(())
    );
    let own = Mode::OwnParent {
        parent: PathBuf::from("/sys/fs/cgroup/cgharness"),
    };
    assert!(access(&locked, &own).unwrap_err().contains("needs root"));
}

#[test]
fn a_parent_inside_the_user_manager_s_delegated_scope_is_delegated() {
    // The user manager marks no xattr: the delegated ancestor comes from its Delegate=yes.
    let scope = PathBuf::from(
        "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope",
    );
    let f = PlacementFacts {
        euid: 1000,
        delegated_ancestor: Some(scope.clone()),
        parent_delegated_ancestor: Some(scope.clone()),
        ..facts()
    };
    assert_eq!(
        decide(&f, Some(&scope)),
        Ok(Mode::GivenParent {
            parent: scope.clone()
        })
    );
    assert_eq!(decide(&f, None), Ok(Mode::Delegated { boundary: scope }));
}

#[test]
fn parent_write_access_is_read_from_the_files_systemd_chowns() {
    // As root every file is writable; an absent --parent is judged by the nearest existing
    // cgroup above it.
    let t = tempfile::tempdir().unwrap();
    let cg = t.path().join("delegated");
    std::fs::create_dir(&cg).unwrap();
    std::fs::write(cg.join("cgroup.procs"), "").unwrap();
    std::fs::write(cg.join("cgroup.subtree_control"), "").unwrap();
    let got = super::delegation::parent_unwritable(t.path(), &cg.join("runs/deeper"));
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(got, None);
        std::fs::remove_file(cg.join("cgroup.procs")).unwrap();
        let missing = super::delegation::parent_unwritable(t.path(), &cg).unwrap();
        assert!(missing.contains("cgroup.procs"), "{missing}");
    } else {
        assert_eq!(got, None, "the test's own temp dir is writable");
    }
}
