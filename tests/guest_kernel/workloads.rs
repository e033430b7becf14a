//! Workloads on a real kernel: what each one does to its cgroup's counters (OOM kills, swap,
//! page cache within memory.max, hugetlb SIGBUS, shmem, writeback, command, oom_score_adj).

use super::*;

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn anon_over_the_limit_without_swap_is_oom_killed() {
    let s = scratch("oom");
    let cg = s.add_child("ctr").unwrap();
    cg.write_memory_max(Limit::Bytes(32 << 20)).unwrap();
    cg.write_memory_swap_max(Limit::Bytes(0)).unwrap();
    let mut child =
        ScratchCgroup::spawn_in(&cg, &mut workload(&["anon", "--bytes", "96M"])).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "killed by the OOM killer: {status:?}"
    );
    let ev = cg.read_memory_events().unwrap();
    assert!(ev.oom_kill >= Some(1), "{ev:?}");
    assert_eq!(cg.read_memory_events_local().unwrap().oom_kill, Some(1));
    assert!(
        cg.read_memory_peak().unwrap() >= 30 << 20,
        "usage reached the limit first"
    );
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn anon_over_the_limit_with_swap_completes_and_swaps_out() {
    let s = scratch("swap");
    let cg = s.add_child("ctr").unwrap();
    cg.write_memory_max(Limit::Bytes(32 << 20)).unwrap();
    cg.write_memory_swap_max(Limit::Max).unwrap();
    let mut child = ScratchCgroup::spawn_in(
        &cg,
        &mut workload(&["anon", "--bytes", "64M", "--hold-ms", "300"]),
    )
    .unwrap();
    let mut swap_seen = 0;
    while child.try_wait().unwrap().is_none() {
        swap_seen = swap_seen.max(cg.read_memory_swap_current().unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success(), "no kill with swap");
    assert!(swap_seen >= 16 << 20, "swap.current rose to {swap_seen}");
    let io = cg.read_io_stat().unwrap();
    let sw = io
        .get(&swap_dev())
        .expect("swap-out is charged to the cgroup's io.stat");
    assert!(sw.wbytes.unwrap() >= 16 << 20, "{sw:?}");
    assert!(sw.wios.unwrap() > 0);
    assert_eq!(cg.read_memory_events().unwrap().oom_kill, Some(0));
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn file_read_larger_than_memory_max_completes_within_the_limit() {
    use std::io::Write;
    let path = Path::new("/data/big");
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0x5au8; 1 << 20];
    for _ in 0..48 {
        f.write_all(&block).unwrap();
    }
    f.sync_all().unwrap();
    drop(f);
    std::fs::write("/proc/sys/vm/drop_caches", "3").unwrap();
    let s = scratch("fileread");
    let cg = s.add_child("reader").unwrap();
    cg.write_memory_max(Limit::Bytes(16 << 20)).unwrap();
    let mut peak = cg.watch_memory_peak().unwrap();
    let out = ScratchCgroup::spawn_in(
        &cg,
        workload(&["file-read", "--passes", "2", "--path", "/data/big"])
            .stdout(std::process::Stdio::piped()),
    )
    .unwrap()
    .wait_with_output()
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passes"][1]["bytes"], 48u64 << 20);
    assert!(
        peak.read().unwrap() <= 16 << 20,
        "memory.peak stayed within memory.max"
    );
    assert!(cg.read_memory_stat().unwrap().file.unwrap() <= 16 << 20);
    let io = cg.read_io_stat().unwrap();
    assert!(
        io[&data_dev()].rbytes.unwrap() >= 80 << 20,
        "the 2nd pass re-read from disk: {io:?}"
    );
    assert_eq!(
        cg.read_memory_events().unwrap().oom_kill,
        Some(0),
        "page cache is reclaimed, nothing is killed"
    );
    std::fs::remove_file(path).unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn hugetlb_past_its_limit_dies_by_sigbus_and_is_counted() {
    std::fs::write("/proc/sys/vm/nr_hugepages", "8").unwrap();
    let s = scratch("huge");
    let cg = s.add_child("ctr").unwrap();
    cg.write_hugetlb_max("2MB", Limit::Bytes(4 << 20)).unwrap();
    let ok = ScratchCgroup::spawn_in(&cg, &mut workload(&["hugetlb", "--bytes", "4M"]))
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert!(ok.status.success(), "two pages fit: {ok:?}");
    let mut over =
        ScratchCgroup::spawn_in(&cg, &mut workload(&["hugetlb", "--bytes", "8M"])).unwrap();
    assert_eq!(
        over.wait().unwrap().signal(),
        Some(libc::SIGBUS),
        "hugetlb.2MB.max is enforced at fault time"
    );
    assert!(cg.read_hugetlb_events("2MB").unwrap().max >= Some(1));
    assert_eq!(
        cg.read_hugetlb_current("2MB").unwrap(),
        0,
        "the killed process's pages were freed"
    );
    std::fs::write("/proc/sys/vm/nr_hugepages", "0").unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn shmem_is_charged_as_shmem() {
    let s = scratch("shm");
    let cg = s.add_child("ctr").unwrap();
    let mut child = ScratchCgroup::spawn_in(
        &cg,
        workload(&["shmem", "--bytes", "32M", "--dir", "/tmp"])
            .stdout(std::process::Stdio::piped()),
    )
    .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let st = cg.read_memory_stat().unwrap();
    assert!(st.shmem.unwrap() >= 32 << 20, "{st:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(v["file"].as_str().unwrap()).unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn file_writes_are_charged_to_the_writer() {
    let s = scratch("writer");
    let cg = s.add_child("ctr").unwrap();
    let args = [
        "file-write",
        "--path",
        "/data/w",
        "--bytes",
        "24M",
        "--sync-every",
        "8M",
        "--sync-at-end",
    ];
    let out = ScratchCgroup::spawn_in(&cg, workload(&args).stdout(std::process::Stdio::piped()))
        .unwrap()
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"]["syncs"], 4);
    let io = cg.read_io_stat().unwrap();
    assert!(
        io[&data_dev()].wbytes.unwrap() >= 24 << 20,
        "writeback charged to the writer: {io:?}"
    );
    std::fs::remove_file("/data/w").unwrap();
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn command_workload_runs_md5sum_and_its_status_is_seen() {
    std::fs::write("/data/m", b"abc").unwrap();
    let s = scratch("cmd");
    let cg = s.add_child("ctr").unwrap();
    let out = ScratchCgroup::spawn_in(
        &cg,
        workload(&["command", "--", "md5sum", "/data/m"]).stdout(std::process::Stdio::piped()),
    )
    .unwrap()
    .wait_with_output()
    .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("900150983cd24fb0d6963f7d28e17f72"));
    let missing = ScratchCgroup::spawn_in(
        &cg,
        &mut workload(&["command", "--", "md5sum", "/data/nope"]),
    )
    .unwrap()
    .wait()
    .unwrap();
    assert_eq!(
        missing.code(),
        Some(1),
        "md5sum's own exit status comes through"
    );
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn oom_score_adj_is_set_before_the_workload_runs() {
    // The command reads its own value: it sees what the workload set before exec, with no
    // sleep to race (a 200 ms sleep lost that race once under TCG in CI).
    let s = scratch("adj");
    let cg = s.add_child("ctr").unwrap();
    let out = ScratchCgroup::spawn_in(
        &cg,
        workload(&[
            "--oom-score-adj",
            "-997",
            "command",
            "--",
            "cat",
            "/proc/self/oom_score_adj",
        ])
        .stdout(std::process::Stdio::piped()),
    )
    .unwrap()
    .wait_with_output()
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let adj = String::from_utf8_lossy(&out.stdout);
    assert_eq!(adj.trim(), "-997", "Kubernetes' Guaranteed value");
}

#[test]
#[ignore = "runs inside the VM: tests/vm_kernels.rs"]
fn page_cache_is_charged_to_the_first_reader() {
    use std::io::Write;
    let path = "/data/shared";
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&vec![0x5au8; 24 << 20]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    std::fs::write("/proc/sys/vm/drop_caches", "3").unwrap();
    let s = scratch("owner");
    let (a, b) = (
        s.add_child("first").unwrap(),
        s.add_child("second").unwrap(),
    );
    for cg in [&a, &b] {
        let st = ScratchCgroup::spawn_in(cg, &mut workload(&["file-read", "--path", path]))
            .unwrap()
            .wait()
            .unwrap();
        assert!(st.success());
    }
    let (fa, fb) = (
        a.read_memory_stat().unwrap().file.unwrap(),
        b.read_memory_stat().unwrap().file.unwrap(),
    );
    assert!(fa >= 23 << 20, "the first reader carries the file: {fa}");
    assert!(fb < 1 << 20, "the second reader is charged ≈ nothing: {fb}");
    let rb = b
        .read_io_stat()
        .unwrap()
        .get(&data_dev())
        .and_then(|d| d.rbytes)
        .unwrap_or(0);
    assert!(rb < 1 << 20, "and reads from the cache, not the disk: {rb}");
    std::fs::remove_file(path).unwrap();
}
