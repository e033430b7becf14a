//! Host mode on a real systemd host: boots a stock Debian 13 system in qemu
//! (`scripts/systemd-guest`, an image built from Debian's archive and cached by content) and
//! runs `tests/host/hostmode.sh` there with the static harness: `sudo` from a login session,
//! a `Delegate=yes` service stopped mid-run, the harness SIGKILLed mid-run, a capped service
//! that delegates nothing (its cap carried onto the runs' scope), non-root runs in delegated
//! subtrees and without the kernel log, and an audit of the cgroup tree before and after. `#[ignore]`d: scripts/test runs it with `--ignored`
//! (CGHARNESS_STATIC_BIN names the static harness).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The payload's CHECK lines: (name, ok, detail).
fn checks(text: &str) -> Vec<(String, bool, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("CHECK "))
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            let name = it.next()?.to_string();
            let ok = it.next()? == "ok";
            Some((name, ok, it.next().unwrap_or("").to_string()))
        })
        .collect()
}

#[test]
#[ignore = "boots a Debian 13 systemd guest: scripts/test runs it"]
fn the_harness_is_a_good_citizen_of_a_systemd_host() {
    let bin =
        std::env::var("CGHARNESS_STATIC_BIN").expect("CGHARNESS_STATIC_BIN (scripts/build-static)");
    let work = tempfile::tempdir().unwrap();
    let payload = work.path().join("payload");
    std::fs::create_dir_all(&payload).unwrap();
    std::fs::copy(
        repo().join("tests/host/hostmode.sh"),
        payload.join("run.sh"),
    )
    .unwrap();
    std::fs::copy(repo().join("tests/host/lib.sh"), payload.join("lib.sh")).unwrap();
    std::fs::copy(&bin, payload.join("cgharness")).unwrap();
    let out = std::env::var_os("CGHARNESS_HOST_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.path().join("out"));
    let status = Command::new(repo().join("scripts/systemd-guest"))
        .args(["run"])
        .arg(&payload)
        .arg(&out)
        .args(["--mem", "2G", "--timeout", "420"])
        .status()
        .unwrap();
    let text = std::fs::read_to_string(out.join("checks.txt")).unwrap_or_default();
    let got = checks(&text);
    let log = std::fs::read_to_string(out.join("run.log")).unwrap_or_default();
    let expected = [
        "sudo-exit",
        "sudo-transient-scope",
        "sudo-bound-to-session",
        "sudo-nothing-left",
        "pods-exit",
        "pods-in-own-scope",
        "pods-negative-adj",
        "pods-no-top-level-kubepods",
        "pods-nothing-left",
        "pods-node-pressure-refused",
        "stop-workload-started",
        "stop-harness-in-leaf",
        "stop-within-7s",
        "stop-died-by-sigterm",
        "stop-nothing-left",
        "stop-system-running",
        "kill9-nothing-left",
        "kill9-had-a-data-file",
        "cap-carried-to-scope",
        "cap-held-by-the-kernel",
        "cap-warned",
        "cap-nothing-left",
        "nonroot-parent-in-user-scope",
        "nonroot-doctor-names-delegation",
        "nonroot-parent-in-user-service",
        "nonroot-limit-kill-passes",
        "nonroot-limit-kill-says-why",
        "nonroot-unwritable-out",
        "nonroot-nothing-left",
        "audit-tree-unchanged",
        "system-running",
    ];
    for name in expected {
        let c = got.iter().find(|c| c.0 == name);
        assert!(
            matches!(c, Some((_, true, _))),
            "check {name}: {c:?}\n(guest exit {status}; out in {}; run.log tail:\n{})",
            out.display(),
            tail(&log, 40)
        );
    }
    assert!(status.success(), "guest payload exit {status}");
    if std::env::var_os("CGHARNESS_HOST_OUT").is_none() {
        let _ = std::fs::remove_dir_all(Path::new(&out));
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[test]
fn check_lines_are_parsed_with_their_detail() {
    let got = checks("x\nCHECK a ok took 3 ms\nCHECK b FAIL left: /x\n");
    assert_eq!(got[0], ("a".into(), true, "took 3 ms".into()));
    assert_eq!(got[1], ("b".into(), false, "left: /x".into()));
}
