//! `run`, `list`, `show` and `analyze` as a user meets them on a machine without a usable
//! cgroup v2 memory controller: input errors exit 2 naming file, line and fix; a host that
//! cannot run the scenario exits 3 saying what is missing. (Runs themselves are tested on
//! real kernels in tests/vm_kernels.rs.)

mod common;
use common::{cgharness, ok_stdout, repo};
use predicates::prelude::*;
use std::path::PathBuf;

fn scenario(name: &str) -> PathBuf {
    repo("tests/scenarios").join(name)
}

#[test]
fn list_shows_the_whole_catalogue_with_seeds() {
    let text = ok_stdout(cgharness().arg("list"));
    for name in [
        "page-cache-thrash",
        "anon-oom",
        "anon-swap",
        "page-cache-ownership",
        "reclaim-protection",
        "writeback-io-max",
        "limit-kill",
        "memory-high-throttle",
        "hugetlb-limit",
        "thp-swap-accounting",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing from:\n{text}"
        );
    }
    assert!(text.contains("000 A/B") && text.contains("001 (1)"));
}

#[test]
fn show_explains_parameters_variants_and_expectations() {
    cgharness()
        .args(["show", "page-cache-thrash"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "file_size      = 4G         (scaled by --scale)",
        ))
        .stdout(predicate::str::contains("variants: limit = 1G, 8G"))
        .stdout(predicate::str::contains(
            "phase.second-read.io.data.rbytes >= 0.9 * param.file_size",
        ));
}

#[test]
fn show_gives_each_workload_s_settings_that_change_the_kernel_s_answer() {
    let text = ok_stdout(cgharness().args(["show", "page-cache-thrash"]));
    assert!(
        text.contains("      file-read: block size 1.0 MiB (page-aligned buffer), access read(2) in order, fadvise none, passes 2, checksum MD5"),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("align.toml");
    std::fs::write(
        &file,
        r#"name = "align"
description = "two mappings"

[params]
size = { size = "64M" }

[[cgroup]]
name = "pod"

[[workload]]
name = "whole"
cgroup = "pod"
run = "anon --bytes ${size} --hold-ms 0"

[[workload]]
name = "odd"
cgroup = "pod"
run = "anon --bytes 63M --thp off --hold-ms 0"

[[expect]]
check = "workload.whole.exit_code == 0"
"#,
    )
    .unwrap();
    let text = ok_stdout(cgharness().arg("show").arg(&file));
    let below = |name: &str| {
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with(name))
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        below("whole").contains("length 64.0 MiB, align kernel (a 2 MiB multiple: THP-aligned on 6.12+, not on 6.1), fill nonzero"),
        "{text}"
    );
    let odd = below("odd");
    assert!(
        odd.contains("align kernel (not a 2 MiB multiple") && odd.contains("MADV_NOHUGEPAGE"),
        "{text}"
    );
}

#[test]
fn a_misspelt_scenario_name_exits_2_with_a_suggestion() {
    cgharness()
        .args(["run", "page-cache-trash"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `page-cache-thrash`?",
        ));
}

#[test]
fn all_mixes_with_other_names_and_each_is_checked_before_anything_runs() {
    cgharness()
        .args(["run", "all", "page-cache-trash"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("page-cache-trash: no such scenario")
                .and(predicate::str::contains("all:").not()),
        );
}

#[test]
fn a_misspelt_key_exits_2_naming_file_line_and_fix() {
    cgharness()
        .arg("run")
        .arg(scenario("typo.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "typo.toml:7: unknown field `swap_mx`",
        ))
        .stderr(predicate::str::contains("did you mean `swap_max`?"));
}

#[test]
fn bad_flags_exit_2_before_touching_anything() {
    let cases: [&[&str]; 4] = [
        &["run", "anon-oom", "--scale", "2"],
        &["run", "anon-oom", "--set", "limt=1G"],
        &["run", "anon-oom", "--set", "limit=1Q"],
        &["run", "page-cache-thrash", "--variant", "limit=3G"],
    ];
    let expect = ["(0, 1]", "did you mean `limit`", "1Q", "matches none"];
    for (args, want) in cases.iter().zip(expect) {
        cgharness()
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(want));
    }
}

#[test]
fn a_host_without_v2_memory_exits_3_and_points_to_the_vm() {
    let d = tempfile::tempdir().unwrap();
    let mi = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
    std::fs::create_dir_all(d.path().join("proc/self")).unwrap();
    std::fs::write(d.path().join("proc/self/mountinfo"), mi).unwrap();
    std::fs::create_dir_all(d.path().join("sys/fs/cgroup/unified")).unwrap();
    std::fs::write(
        d.path().join("sys/fs/cgroup/unified/cgroup.controllers"),
        "hugetlb\n",
    )
    .unwrap();
    cgharness()
        .args(["run", "anon-oom", "--scale", "1/16", "--host-root"])
        .arg(d.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "memory controller is bound to cgroup v1",
        ))
        .stderr(predicate::str::contains("cgharness vm --kernel"));
}

#[test]
fn analyze_refuses_what_is_not_a_record() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("record.json");
    std::fs::write(&p, "{\"schema_version\": 99}").unwrap();
    cgharness()
        .arg("analyze")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("schema_version Some(99)"));
    std::fs::write(&p, "not json").unwrap();
    cgharness()
        .arg("analyze")
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not JSON"));
}
