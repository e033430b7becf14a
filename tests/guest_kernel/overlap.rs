//! Two harnesses at once in the VM: a run that finds another harness's run live skips the
//! machine-wide cleanup (swap off/on charged the live run's swapped pages back to its memcg
//! and OOM-killed its workload 3 times in 6) and records the overlap.

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
        .args(["run", "anon-swap", "--scale", "1/16", "--repeat", "1", "--quiet", "--out"])
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
