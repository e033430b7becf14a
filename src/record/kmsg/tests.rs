//! The OOM parser against kernel logs captured in our VMs (tests/fixtures/<release>/dmesg.txt)
//! and against the formats of seed 001 and of memory.oom.group.

use super::*;

fn fixture(kernel: &str) -> Vec<Record> {
    let p = crate::cgroupfs::testtree::fixture_path(kernel, "dmesg.txt");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(parse_dmesg)
        .collect()
}

/// A kernel log captured from a record (`/dev/kmsg` lines) in tests/fixtures/<release>/.
fn kmsg_fixture(kernel: &str, name: &str) -> Vec<Record> {
    let p = crate::cgroupfs::testtree::fixture_path(kernel, name);
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(parse_kmsg)
        .collect()
}

#[test]
fn real_memcg_kills_on_three_kernels() {
    for (k, pid, anon_kb) in [
        ("6.1.0-56-cloud-amd64", 98, 65184),
        ("6.12.117+deb12-cloud-amd64", 153, 65024),
        ("7.2.13+deb14-cloud-amd64", 115, 65320),
    ] {
        let kills = oom_kills(&fixture(k));
        assert_eq!(kills.len(), 1, "{k}");
        let kill = &kills[0];
        assert_eq!(
            (kill.pid, kill.comm.as_str(), kill.kind),
            (pid, "dd", Some(OomKind::Memcg)),
            "{k}"
        );
        assert_eq!(kill.anon_rss_bytes, Some(anon_kb * 1024), "{k}");
        assert_eq!(kill.file_rss_bytes, Some(0), "{k}");
        assert_eq!(kill.oom_score_adj, Some(0), "{k}");
        assert_eq!(kill.invoker.as_deref(), Some("dd"), "{k}");
        assert_eq!(kill.constraint.as_deref(), Some("CONSTRAINT_MEMCG"), "{k}");
        assert_eq!(
            (kill.oom_memcg.as_deref(), kill.task_memcg.as_deref()),
            (Some("/fx"), Some("/fx")),
            "{k}"
        );
        // anon-rss ≈ the 64M limit (0.85–1.0×, as the seed's 984988kB in 1 GiB).
        let ratio = kill.anon_rss_bytes.unwrap() as f64 / (64u64 << 20) as f64;
        assert!((0.85..=1.0).contains(&ratio), "{k}: {ratio}");
        assert!(kill.usec > 9_000_000, "{k}");
    }
}

#[test]
fn kmsg_records_unescape_and_parse() {
    let r = parse_kmsg("4,1093,12834753,-;Memory cgroup out of memory: Killed process 98 (dd) total-vm:207060kB, anon-rss:65184kB, file-rss:0kB, shmem-rss:912kB, UID:0 pgtables:164kB oom_score_adj:1000").unwrap();
    assert_eq!(r.usec, 12_834_753);
    let k = &oom_kills(&[r])[0];
    assert_eq!(
        (k.pid, k.oom_score_adj, k.shmem_rss_bytes),
        (98, Some(1000), Some(912 * 1024))
    );
    let block =
        parse_kmsg("6,1090,12832444,-;Memory cgroup stats for /fx:\\x0aanon 0\\x0afile 8192")
            .unwrap();
    assert_eq!(
        block.text.lines().count(),
        3,
        "6.1 writes the stats block as one escaped record"
    );
    assert!(parse_kmsg(" SUBSYSTEM=memory").is_none());
    assert_eq!(unescape("a\\x5cb\\xZZ"), "a\\b\\xZZ");
}

#[test]
fn seed_001_older_format_with_score_and_reaper() {
    let recs: Vec<Record> = [
        "[100.000001] java invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=994",
        "[100.000002] Memory cgroup out of memory: Kill process 4242 (java) score 1100 or sacrifice child",
        "[100.000003] Killed process 4242 (java) total-vm:9000000kB, anon-rss:7152284kB, file-rss:0kB, shmem-rss:0kB",
        "[100.000004] oom_reaper: reaped process 4242 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
    ]
    .iter()
    .filter_map(|l| parse_dmesg(l))
    .collect();
    let kills = oom_kills(&recs);
    assert_eq!(
        kills.len(),
        2,
        "the choice line and the kill line are both reported"
    );
    assert_eq!(kills[0].score, Some(1100));
    assert_eq!(kills[1].anon_rss_bytes, Some(7_152_284 * 1024));
    assert!(
        kills[1].reaped && !kills[0].reaped,
        "the reaper marks the latest kill of that pid"
    );
    assert_eq!(
        kills[1].kind, None,
        "a bare 'Killed process' line does not say whose limit"
    );
}

#[test]
fn global_oom_and_oom_group() {
    let recs: Vec<Record> = [
        "[5.000000] stress invoked oom-killer: gfp_mask=0x140cca, order=0, oom_score_adj=0",
        "[5.000001] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/pod/a,task=a,pid=7,uid=0",
        "[5.000002] Out of memory: Killed process 7 (a) total-vm:100kB, anon-rss:50kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:1000",
        // The kernel's order (oom_kill_process): the chosen victim, the group line, then
        // every member of the group, the victim again.
        "[6.000000] b invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
        "[6.000001] Memory cgroup out of memory: Killed process 8 (b) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
        "[6.000002] Tasks in /pod are going to be killed due to memory.oom.group set",
        "[6.000003] Memory cgroup out of memory: Killed process 8 (b) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
        "[6.000004] Memory cgroup out of memory: Killed process 9 (c) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0",
        "[6.000005] Memory cgroup out of memory: OOM victim 10 (d e) is already exiting. Skip killing the task",
    ]
    .iter()
    .filter_map(|l| parse_dmesg(l))
    .collect();
    let kills = oom_kills(&recs);
    assert_eq!(kills.len(), 5);
    assert_eq!(
        (
            kills[0].kind,
            kills[0].constraint.as_deref(),
            kills[0].oom_group
        ),
        (Some(OomKind::Global), Some("CONSTRAINT_NONE"), false)
    );
    assert_eq!(kills[0].task_memcg.as_deref(), Some("/pod/a"));
    // The victim's first kill line comes before the group line and is part of the group kill.
    assert!(kills[1].oom_group && !kills[1].repeat, "{:?}", kills[1]);
    assert!(kills[2].oom_group && kills[2].repeat && kills[2].pid == 8);
    assert!(kills[3].oom_group && !kills[3].repeat && kills[3].pid == 9);
    assert_eq!(kills[3].invoker.as_deref(), Some("b"));
    assert!(kills[4].skipped_exiting && kills[4].comm == "d e" && kills[4].pid == 10);
    // memory.events oom_kill counts kill lines (the victim twice), not skipped tasks.
    assert_eq!(kill_count(&kills), 4);
    assert_eq!(victim_count(&kills), 3);
}

#[test]
fn comm_with_spaces_and_parentheses() {
    let r = parse_dmesg("[1.0] Memory cgroup out of memory: Killed process 5 (my (odd) prog) total-vm:8kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:-997").unwrap();
    let k = &oom_kills(&[r])[0];
    assert_eq!(
        (k.comm.as_str(), k.oom_score_adj),
        ("my (odd) prog", Some(-997))
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        let recs: Vec<Record> = [parse_kmsg(&s), parse_dmesg(&s), Some(Record { usec: 0, text: s.clone() })].into_iter().flatten().collect();
        let _ = oom_kills(&recs);
        let _ = unescape(&s);
    }
}

/// A memory.oom.group kill as the three kernels logged it (tests/scenarios/oom-group.toml in
/// `cgharness vm`: the 100 MiB allocator `hog`, the 1 MiB `member`, and `safe` at
/// OOM_SCORE_ADJ_MIN, never killed; every comm is `init`, the guest's cgharness).
#[test]
fn real_oom_group_kills_on_three_kernels() {
    for (k, victim, member) in [
        ("6.1.0-56-cloud-amd64", 94, 93),
        ("6.12.117+deb12-cloud-amd64", 149, 148),
        ("7.2.13+deb14-cloud-amd64", 114, 113),
    ] {
        let kills = oom_kills(&kmsg_fixture(k, "oom-group.kmsg"));
        let summary: Vec<(u32, bool, bool)> = kills
            .iter()
            .map(|k| (k.pid, k.oom_group, k.repeat))
            .collect();
        // The victim first (before the group line), then the member, then the victim again.
        assert_eq!(
            summary,
            vec![
                (victim, true, false),
                (member, true, false),
                (victim, true, true)
            ],
            "{k}"
        );
        assert_eq!(
            kills[0].constraint.as_deref(),
            Some("CONSTRAINT_MEMCG"),
            "{k}"
        );
        assert_eq!(kill_count(&kills), 3, "{k}: memory.events oom_kill says 3");
        assert_eq!(victim_count(&kills), 2, "{k}");
    }
}

#[test]
fn a_kill_line_size_too_large_for_bytes_is_missing_not_a_panic() {
    // Found by `scripts/fuzz kmsg` (fuzz/regressions/kmsg/kb-times-1024-overflows): 2^54 kB
    // fits in u64, its bytes do not.
    let r = parse_dmesg("[1.0] Memory cgroup out of memory: Killed process 7 (a) total-vm:18014398509481984kB, anon-rss:50kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0").unwrap();
    let kills = oom_kills(&[r]);
    assert_eq!(kills.len(), 1);
    assert_eq!(kills[0].total_vm_bytes, None);
    assert_eq!(kills[0].anon_rss_bytes, Some(50 * 1024));
}

#[test]
fn a_dmesg_time_too_large_for_microseconds_is_no_record_not_a_panic() {
    // 18446744073710 s is more µs than u64 holds (fuzz/regressions/kmsg/dmesg-seconds-overflow).
    assert_eq!(parse_dmesg("[18446744073710.000000] x"), None);
    assert_eq!(
        parse_dmesg("[18446744073709.551615] x").map(|r| r.usec),
        Some(u64::MAX)
    );
}

#[test]
fn real_global_kills_on_three_kernels() {
    // tests/scenarios/global-oom.toml in our VM (1 GiB, the harness at −1000): one kill, of
    // the workload, by the global OOM killer.
    for (k, pid, anon_kb) in [
        ("6.1.0-56-cloud-amd64", 92, 911420),
        ("6.12.117+deb12-cloud-amd64", 148, 910080),
        ("7.2.13+deb14-cloud-amd64", 109, 893956),
    ] {
        let kills = oom_kills(&kmsg_fixture(k, "global-oom.kmsg"));
        assert_eq!(kills.len(), 1, "{k}");
        let kill = &kills[0];
        assert_eq!((kill.pid, kill.kind), (pid, Some(OomKind::Global)), "{k}");
        assert_eq!(kill.constraint.as_deref(), Some("CONSTRAINT_NONE"), "{k}");
        assert_eq!(kill.oom_memcg, None, "{k}: a global OOM has no OOM memcg");
        let task = kill.task_memcg.as_deref().unwrap_or_default();
        assert!(task.ends_with("/hog"), "{k}: {task}");
        assert_eq!(kill.anon_rss_bytes, Some(anon_kb * 1024), "{k}");
        assert_eq!(kill.oom_score_adj, Some(0), "{k}");
        assert_eq!(victim_count(&kills), 1, "{k}");
    }
}

/// pod-oom-group on 7.2 (`run all --scale 1/16`): with memory.oom.group one OOM event kills
/// both processes; without it (singleProcessOOMKill) the first event kills only the largest,
/// and a second event 2 ms later killed the other while the first victim's pages were still
/// charged (the victim had left the task list; usage stayed at the limit).
#[test]
fn a_second_oom_event_is_told_apart_from_a_group_kill() {
    let k = "7.2.13+deb14-cloud-amd64";
    let group = oom_kills(&kmsg_fixture(k, "pod-oom-group.kmsg"));
    assert_eq!(first_event_victims(&group), Some(2));
    assert!(group.iter().all(|g| g.event == 1));
    let single = oom_kills(&kmsg_fixture(k, "second-oom-before-uncharge.kmsg"));
    let order: Vec<(u32, u32)> = single.iter().map(|s| (s.pid, s.event)).collect();
    assert_eq!(order, vec![(154, 1), (156, 2)]);
    assert_eq!(first_event_victims(&single), Some(1));
    assert_eq!(victim_count(&single), 2);
    assert_eq!(first_event_victims(&[]), None);
}
