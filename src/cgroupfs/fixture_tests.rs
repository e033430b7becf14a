//! Every reader against files captured from real kernels (tests/fixtures/<release>/, made by
//! scripts/capture-fixtures): a cgroup `fx` with memory.max 64M that read a 48 MiB file from the
//! data disk (254:0), pushed 120 MiB of random anon through swap (254:16), then was OOM-killed
//! with swap.max 0 and emptied. The assertions are what that sequence must leave behind.

use super::parse::keyed_to_map;
use super::*;
use crate::cgroupfs::io::DevId;
use crate::cgroupfs::testtree::fixture_path;

const KERNELS: [&str; 3] = [
    "6.1.0-56-cloud-amd64",
    "6.12.117+deb12-cloud-amd64",
    "7.2.13+deb14-cloud-amd64",
];
const DATA: DevId = DevId {
    major: 254,
    minor: 0,
};
const SWAP: DevId = DevId {
    major: 254,
    minor: 16,
};

fn fx(kernel: &str) -> Cgroup {
    Cgroup::new(fixture_path(kernel, "fx"))
}

fn root(kernel: &str) -> Cgroup {
    Cgroup::new(fixture_path(kernel, "root"))
}

#[test]
fn memory_events_show_the_oom_kill() {
    for k in KERNELS {
        let ev = fx(k).read_memory_events().unwrap();
        assert_eq!(ev.oom_kill, Some(1), "{k}");
        assert!(ev.oom >= Some(1), "{k}");
        assert!(ev.max.unwrap() > 0, "{k}: the limit was hit");
        assert_eq!(ev.oom_group_kill, Some(0), "{k}");
        let local = fx(k).read_memory_events_local().unwrap();
        assert_eq!(local.oom_kill, Some(1), "{k}");
    }
    // 7.2 adds sock_throttled; older kernels lack it and it must not appear as 0.
    assert!(fx(KERNELS[2])
        .read_memory_events()
        .unwrap()
        .other
        .contains_key("sock_throttled"));
    assert!(!fx(KERNELS[0])
        .read_memory_events()
        .unwrap()
        .other
        .contains_key("sock_throttled"));
}

#[test]
fn memory_stat_keeps_every_key() {
    for k in KERNELS {
        let text = fx(k).read_text("memory.stat").unwrap();
        let st = fx(k).read_memory_stat().unwrap();
        assert_eq!(
            keyed_to_map(&st).len(),
            text.lines().count(),
            "{k}: no key dropped"
        );
        assert!(st.pgfault.unwrap() > 20_000, "{k}: 168 MiB were touched");
        assert!(
            st.anon.is_some() && st.file.is_some() && st.shmem.is_some(),
            "{k}"
        );
        assert!(st.other.contains_key("sock"), "{k}");
    }
    // Keys that only newer kernels print are None on 6.1, never 0.
    let old = fx(KERNELS[0]).read_memory_stat().unwrap();
    let new = fx(KERNELS[2]).read_memory_stat().unwrap();
    let missing_on_old: Vec<_> = keyed_to_map(&new)
        .into_keys()
        .filter(|key| !keyed_to_map(&old).contains_key(key))
        .collect();
    assert!(!missing_on_old.is_empty(), "7.2 has keys 6.1 lacks");
}

#[test]
fn io_stat_has_both_disks() {
    for k in KERNELS {
        let io = fx(k).read_io_stat().unwrap();
        assert_eq!(
            io.keys().copied().collect::<Vec<_>>(),
            vec![DATA, SWAP],
            "{k}"
        );
        assert!(
            io[&DATA].rbytes.unwrap() >= 48 << 20,
            "{k}: the 48 MiB file was read from disk"
        );
        assert!(io[&DATA].wbytes.unwrap() >= 48 << 20, "{k}: and written");
        assert!(
            io[&SWAP].wbytes.unwrap() > 32 << 20,
            "{k}: anon was swapped out"
        );
        assert_eq!(io[&SWAP].dbytes, Some(0), "{k}");
        assert!(io[&SWAP].other.is_empty(), "{k}");
    }
}

#[test]
fn limits_read_back() {
    for k in KERNELS {
        let cg = fx(k);
        assert_eq!(
            cg.read_limit(memory::MAX).unwrap(),
            Limit::Bytes(64 << 20),
            "{k}"
        );
        assert_eq!(
            cg.read_limit(memory::SWAP_MAX).unwrap(),
            Limit::Bytes(0),
            "{k}"
        );
        assert_eq!(cg.read_limit(memory::HIGH).unwrap(), Limit::Max, "{k}");
        assert_eq!(cg.read_limit(memory::LOW).unwrap(), Limit::Bytes(0), "{k}");
        assert!(!cg.read_memory_oom_group().unwrap(), "{k}");
        assert!(cg.read_io_max().unwrap().is_empty(), "{k}");
        assert_eq!(cg.read_io_weight().unwrap().default, Some(100), "{k}");
        let cpu = cg.read_cpu_max().unwrap();
        assert_eq!(
            (cpu.quota_usec, cpu.period_usec),
            (Limit::Max, 100_000),
            "{k}"
        );
        assert_eq!(cg.read_cpu_weight().unwrap(), 100, "{k}");
        assert_eq!(cg.read_pids_max().unwrap(), Limit::Max, "{k}");
        assert_eq!(cg.read_hugetlb_max("2MB").unwrap(), Limit::Max, "{k}");
        assert_eq!(cg.read_hugetlb_rsvd_max("1GB").unwrap(), Limit::Max, "{k}");
    }
}

#[test]
fn usage_after_the_kill_is_small_and_emptied() {
    for k in KERNELS {
        let cg = fx(k);
        assert!(cg.read_memory_current().unwrap() < 64 << 20, "{k}");
        assert!(
            cg.read_memory_peak().unwrap() >= 60 << 20,
            "{k}: the peak reached the limit"
        );
        assert!(cg.read_memory_swap_current().unwrap() < 64 << 20, "{k}");
        assert_eq!(cg.read_cgroup_events().unwrap().populated, Some(0), "{k}");
        assert!(cg.read_procs().unwrap().is_empty(), "{k}");
        assert_eq!(cg.read_pids_current().unwrap(), 0, "{k}");
        assert!(!cg.read_freeze().unwrap(), "{k}");
        assert_eq!(cg.read_hugetlb_current("2MB").unwrap(), 0, "{k}");
        assert_eq!(cg.read_hugetlb_rsvd_current("2MB").unwrap(), 0, "{k}");
        assert_eq!(cg.read_hugetlb_events("2MB").unwrap().max, Some(0), "{k}");
        assert_eq!(cg.read_memory_swap_events().unwrap().max, Some(0), "{k}");
    }
}

#[test]
fn swap_fail_events_differ_by_kernel() {
    // Same sequence, swap.max set to 0 while anon was swapped: 6.1 and 6.12 count failed swap
    // allocations, 7.2 does not try to allocate swap past swap.max at all.
    assert_eq!(
        fx(KERNELS[0]).read_memory_swap_events().unwrap().fail,
        Some(7)
    );
    assert_eq!(
        fx(KERNELS[1]).read_memory_swap_events().unwrap().fail,
        Some(7)
    );
    assert_eq!(
        fx(KERNELS[2]).read_memory_swap_events().unwrap().fail,
        Some(0)
    );
}

#[test]
fn files_that_differ_by_kernel() {
    // memory.swap.peak is absent on 6.1: a missing file is None, not 0.
    assert!(optional(fx(KERNELS[0]).read_memory_swap_peak())
        .unwrap()
        .is_none());
    for k in &KERNELS[1..] {
        assert!(
            fx(k).read_memory_swap_peak().unwrap() > 32 << 20,
            "{k}: swap peaked while 120 MiB ran in 64M"
        );
    }
    // zswap files only on 7.2 (6.1 and 6.12 cloud kernels lack zswap).
    assert!(!fx(KERNELS[1]).file(memory::ZSWAP_MAX).exists());
    assert_eq!(
        fx(KERNELS[2]).read_limit(memory::ZSWAP_MAX).unwrap(),
        Limit::Max
    );
}

#[test]
fn pressure_keeps_totals() {
    for k in KERNELS {
        let p = fx(k).read_memory_pressure().unwrap();
        assert!(
            p.some.total_usec > 100_000,
            "{k}: reclaim stalled the cgroup"
        );
        assert!(p.full.unwrap().total_usec > 0, "{k}");
        assert!(p.some.avg10 > 0.0, "{k}");
        fx(k).read_io_pressure().unwrap();
        fx(k).read_cpu_pressure().unwrap();
        root(k).read_memory_pressure().unwrap();
    }
}

#[test]
fn cgroup_and_cpu_stat() {
    for k in KERNELS {
        let st = fx(k).read_cpu_stat().unwrap();
        assert!(st.usage_usec.unwrap() > 0, "{k}");
        assert_eq!(st.nr_throttled, Some(0), "{k}");
        let cs = fx(k).read_cgroup_stat().unwrap();
        assert_eq!(cs.nr_descendants, Some(0), "{k}");
        let rc = root(k).read_controllers().unwrap();
        for c in ["memory", "io", "cpu", "pids", "hugetlb"] {
            assert!(rc.contains(&c.to_string()), "{k}: root offers {c}");
        }
        assert!(fx(k).read_subtree_control().unwrap().is_empty(), "{k}");
        assert!(
            root(k).read_cgroup_stat().unwrap().nr_descendants >= Some(1),
            "{k}"
        );
    }
}

#[test]
fn numa_stat_has_node_zero() {
    for k in KERNELS {
        let n = fx(k).read_memory_numa_stat().unwrap();
        assert!(n["anon"].contains_key(&0), "{k}");
        assert!(n.len() > 10, "{k}");
    }
}
