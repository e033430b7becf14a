//! The settings read from workload command lines as scenarios write them, defaults filled in.

use super::*;

fn of(line: &str) -> Fidelity {
    let argv: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    fidelity(&argv)
}

fn get<'a>(f: &'a Fidelity, name: &str) -> &'a Setting {
    f.settings
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} in {f:?}"))
}

#[test]
fn an_anon_mapping_says_its_length_alignment_fill_and_thp_advice_with_defaults() {
    let f = of("anon --bytes 64M --hold-ms 1000");
    assert_eq!(f.kind, "anon");
    assert_eq!(get(&f, "length").value, "64.0 MiB");
    let a = get(&f, "align");
    assert!(
        a.default && a.value.contains("THP-aligned on 6.12+"),
        "{a:?}"
    );
    assert_eq!(
        (get(&f, "fill").value.as_str(), get(&f, "fill").default),
        ("nonzero", true)
    );
    assert_eq!(get(&f, "touch").value, "word");
    assert!(get(&f, "THP advice").value.starts_with("none"));
    assert_eq!(
        (get(&f, "hold").value.as_str(), get(&f, "hold").default),
        ("1000 ms", false)
    );
    assert_eq!(
        f.to_string().split(", ").next(),
        Some("length 64.0 MiB"),
        "{f}"
    );
}

#[test]
fn only_a_length_that_is_a_multiple_of_2_mib_is_thp_aligned_by_the_kernel() {
    let odd = of("anon --bytes 63M");
    assert!(get(&odd, "align").value.contains("not a 2 MiB multiple"));
    assert_eq!(get(&odd, "hold").value, "until killed");
    let page = of("anon --bytes=64M --align page --thp on --fill zero --mlock");
    let a = get(&page, "align");
    assert!(!a.default && a.value.starts_with("page"), "{a:?}");
    assert_eq!(get(&page, "THP advice").value, "MADV_HUGEPAGE");
    assert_eq!(get(&page, "fill").value, "zero");
    assert_eq!(get(&page, "mlock").value, "yes");
    let spike = of("anon --bytes 64M --spike 3M --spike-ms 200");
    assert!(get(&spike, "spike").value.starts_with("3.0 MiB for 200 ms"));
}

#[test]
fn file_reads_say_block_size_access_and_fadvise() {
    let plain = of("file-read --path /data/f --passes 2 --checksum");
    let b = get(&plain, "block size");
    assert_eq!(
        (b.value.as_str(), b.default),
        ("1.0 MiB (page-aligned buffer)", true)
    );
    assert_eq!(get(&plain, "access").value, "read(2) in order");
    assert_eq!(get(&plain, "fadvise").value, "none");
    assert_eq!(get(&plain, "passes").value, "2");
    assert_eq!(get(&plain, "checksum").value, "MD5");
    let rnd = of("shared-read --path /f --block-size 64K --mode random --fadvise dontneed");
    assert_eq!(
        get(&rnd, "block size").value,
        "64.0 KiB (page-aligned buffer)"
    );
    assert!(get(&rnd, "access").value.contains("shuffled"));
    assert_eq!(
        get(&rnd, "fadvise").value,
        "POSIX_FADV_DONTNEED before each pass"
    );
    assert_eq!(get(&rnd, "checksum").value, "none");
}

#[test]
fn file_writes_say_block_size_fsync_and_o_direct() {
    let w = of("file-write --path /f --bytes 256M --sync-at-end");
    assert_eq!(get(&w, "fsync").value, "fdatasync at the end");
    assert_eq!(get(&w, "I/O").value, "buffered (page cache)");
    assert_eq!(get(&w, "block size").value, "1.0 MiB");
    let d = of("file-write --path /f --bytes 1G --direct --sync-every 64M --rate 10M");
    assert_eq!(get(&d, "I/O").value, "O_DIRECT");
    assert_eq!(get(&d, "fsync").value, "fdatasync every 64.0 MiB");
    assert_eq!(get(&d, "rate").value, "10.0 MiB/s");
}

#[test]
fn other_kinds_say_what_decides_their_answer() {
    assert_eq!(get(&of("hugetlb --bytes 8M"), "page size").value, "2.0 MiB");
    assert_eq!(get(&of("shmem --bytes 8M"), "dir").value, "/dev/shm");
    assert_eq!(
        get(&of("command -- stress-ng --vm 1"), "program").value,
        "stress-ng --vm 1"
    );
    assert_eq!(get(&of("idle"), "hold").value, "until killed");
    assert!(of("anon --bytes ${size}")
        .to_string()
        .contains("length ${size}"));
}
