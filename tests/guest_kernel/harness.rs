//! `cgharness run` itself in the VM: two harnesses at once (a run that finds another
//! harness's run live skips the machine-wide cleanup — swap off/on charged the live run's
//! swapped pages back to its memcg and OOM-killed its workload 3 times in 6 — and records the
//! overlap), and an interrupted run (cleans up, then dies by the signal, never exit 0).

use super::{scratch, state};
use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn a_run_while_another_harness_is_live_skips_machine_wide_cleanup_and_says_so() {
    // Another harness's live run: this test process owns it (its owner file names our pid).
    let mut other = scratch("other-live");
    let out = Path::new("/tmp/overlap-run");
    let bin = std::env::var("CGHARNESS_BIN").unwrap_or_else(|_| "/init".into());
    let o = Command::new(&bin)
        .args([
            "run",
            "anon-swap",
            "--scale",
            "1/16",
            "--repeat",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .env("CGHARNESS_STATE_DIR", state())
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rec = cgharness::record::store::load(&out.join("record.json")).unwrap();
    let run = &rec.runs[0];
    assert!(
        run.overlapping_runs
            .iter()
            .any(|r| r.ends_with("/other-live")),
        "{:?}",
        run.overlapping_runs
    );
    assert!(
        !run.swap_cycled_in_cleanup,
        "swap was cycled while another run was live"
    );
    other.teardown().unwrap();
}

/// Pids of `cgharness workload` processes.
fn workload_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == b"workload"))
        })
        .collect()
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn an_interrupted_run_cleans_up_and_dies_by_its_signal() {
    use std::os::unix::process::ExitStatusExt;
    let out = Path::new("/tmp/interrupted-run");
    let bin = std::env::var("CGHARNESS_BIN").unwrap_or_else(|_| "/init".into());
    for sig in [libc::SIGINT, libc::SIGTERM] {
        let mut child = Command::new(&bin)
            .args([
                "run",
                "memory-high-throttle",
                "--scale",
                "1/16",
                "--repeat",
                "1",
            ])
            .args([
                "--parent",
                "/sys/fs/cgroup/interrupt-test/runs",
                "--quiet",
                "--out",
            ])
            .arg(out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while workload_pids().is_empty() {
            assert!(std::time::Instant::now() < deadline, "no workload started");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let t0 = std::time::Instant::now();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(sig), "{status:?}");
        assert!(
            t0.elapsed().as_secs() < 7,
            "cleanup took {:?}",
            t0.elapsed()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(workload_pids().is_empty(), "a workload outlived the run");
        assert!(
            !Path::new("/sys/fs/cgroup/interrupt-test").exists(),
            "the parent levels the run created are removed"
        );
    }
}
