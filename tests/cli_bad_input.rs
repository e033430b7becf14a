//! The bad-input corpus: every input of every subcommand, given wrong the way a careless user
//! gives it, must end in exit 2 with a message that names what was wrong (and, where there is
//! one, the fix) — quickly, without touching the host, never a panic, a hang or exit 4.
//! Scenario files that are not regular files (a FIFO that never ends, /dev/zero, a
//! directory), oversized or not UTF-8; sizes, scales and quantities; flags; kernel paths and
//! package names; records and report directories for `analyze` and `compare`.

mod common;
use common::cgharness;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A fake host with a pure cgroup2 mount at /sys/fs/cgroup (nothing is ever written there).
fn fake_host(d: &Path) -> PathBuf {
    let root = d.join("host");
    std::fs::create_dir_all(root.join("proc/self")).unwrap();
    std::fs::write(
        root.join("proc/self/mountinfo"),
        "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("sys/fs/cgroup")).unwrap();
    std::fs::write(
        root.join("sys/fs/cgroup/cgroup.controllers"),
        "cpu io memory pids\n",
    )
    .unwrap();
    root
}

/// Input files the cases refer to, made once per test.
struct Corpus {
    _dir: tempfile::TempDir,
    fifo: PathBuf,
    big: PathBuf,
    binary: PathBuf,
    dir: PathBuf,
    text: PathBuf,
    host: PathBuf,
}

fn corpus() -> Corpus {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("never-ends.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let big = d.path().join("big.toml");
    std::fs::write(&big, "# x\n".repeat(600_000)).unwrap();
    let binary = d.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let dir = d.path().join("adir.toml");
    std::fs::create_dir(&dir).unwrap();
    let text = d.path().join("passwd");
    std::fs::write(&text, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let host = fake_host(d.path());
    Corpus {
        fifo,
        big,
        binary,
        dir,
        text,
        host,
        _dir: d,
    }
}

fn case(args: &[&str], host: &Path, want: &str) {
    let o = cgharness()
        .args(args)
        .env("CGHARNESS_HOST_ROOT", host)
        .env("CGHARNESS_STATE_DIR", host.join("state"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "cgharness {}: want exit 2 with {want:?}, got {:?}: {err}",
        args.join(" "),
        o.status
    );
    assert!(
        err.contains(want),
        "cgharness {}: stderr lacks {want:?}: {err}",
        args.join(" ")
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn scenario_files_that_are_not_sane_text_files_exit_2_at_once() {
    let c = corpus();
    let s = |p: &Path| p.display().to_string();
    for sub in ["run", "show"] {
        case(&[sub, &s(&c.fifo)], &c.host, "not a regular file");
        case(&[sub, "/dev/zero"], &c.host, "not a regular file");
        case(&[sub, &s(&c.dir)], &c.host, "a directory");
        case(&[sub, &s(&c.big)], &c.host, "at most 1048576 bytes");
        case(&[sub, &s(&c.binary)], &c.host, "not UTF-8");
        case(
            &[sub, "/nonexistent/x.toml"],
            &c.host,
            "cannot read the scenario file",
        );
        case(&[sub, "anon-om"], &c.host, "did you mean");
    }
}

#[test]
fn sizes_scales_and_flags_of_run_exit_2_naming_the_value() {
    let c = corpus();
    let table: &[(&[&str], &str)] = &[
        (&["run", "anon-oom", "--scale", "0"], "(0, 1]"),
        (&["run", "anon-oom", "--scale", "abc"], "abc"),
        (&["run", "anon-oom", "--scale", "1/0"], "1/0"),
        (&["run", "anon-oom", "--scale", "-1"], "-1"),
        (&["run", "anon-oom", "--set", "limit=4Q"], "4Q"),
        (
            &["run", "anon-oom", "--set", "limit"],
            "expected NAME=VALUE",
        ),
        (&["run", "anon-oom", "--set", "=1G"], "no parameter"),
        (
            &["run", "anon-oom", "--variant", "limit"],
            "expected NAME=VALUE",
        ),
        (&["run", "anon-oom", "--interval", "fast"], "--interval"),
        (
            &["run", "anon-oom", "--seed", "3"],
            "--seed goes with --order random",
        ),
        (&["run", "anon-oom", "--order", "sideways"], "sideways"),
        (
            &["run", "anon-oom", "--parent", "/tmp/elsewhere"],
            "not inside the cgroup2 mount",
        ),
        (&["workload", "anon", "--bytes", "1Q"], "1Q"),
        (
            &[
                "workload",
                "file-read",
                "--path",
                "/nonexistent",
                "--block",
                "0",
            ],
            "block",
        ),
        (&["bench", "--size", "3X"], "3X"),
    ];
    for (args, want) in table {
        case(args, &c.host, want);
    }
}

#[test]
fn kernel_paths_and_names_are_checked_before_anything_boots() {
    let c = corpus();
    let s = |p: &Path| p.display().to_string();
    let table: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "vm".into(),
                "--kernel".into(),
                s(&c.text),
                "--".into(),
                "doctor".into(),
            ],
            "HdrS",
        ),
        (
            vec![
                "vm".into(),
                "--kernel".into(),
                "/dev/null".into(),
                "--".into(),
                "doctor".into(),
            ],
            "not a regular file",
        ),
        (
            vec![
                "vm".into(),
                "--kernel".into(),
                "/nonexistent/bzImage".into(),
                "--".into(),
                "doctor".into(),
            ],
            "no such file",
        ),
        (
            vec![
                "vm".into(),
                "--kernel".into(),
                "ubuntu:24.04".into(),
                "--".into(),
                "doctor".into(),
            ],
            "unknown kernel spec",
        ),
        (
            vec![
                "vm".into(),
                "--kernel".into(),
                "debian:6.12".into(),
                "--mem".into(),
                "1Q".into(),
                "--".into(),
                "doctor".into(),
            ],
            "1Q",
        ),
        (
            vec!["kernel".into(), "fetch".into(), "nope:1".into()],
            "unknown kernel spec",
        ),
        // Looked up in the package index before anything downloads or boots.
        (
            vec!["kernel".into(), "fetch".into(), "debian:99.99".into()],
            "no Debian cloud kernel package matches",
        ),
        (
            vec![
                "kernel".into(),
                "fetch".into(),
                "debian:linux-image-0.0-nope".into(),
            ],
            "no such package",
        ),
    ];
    for (args, want) in table {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        case(&a, &c.host, want);
    }
}

/// A record saved before its first run ended: valid, with no runs.
fn record_without_runs(dir: &Path) -> PathBuf {
    use cgharness::plan::{build, Options};
    use cgharness::record::raw::{RawRecord, SCHEMA_VERSION};
    let src = cgharness::spec::catalogue::lookup("anon-oom").unwrap();
    let opts = Options::plain(1.0 / 16.0, "/data");
    let spec = cgharness::spec::parse(&src).unwrap();
    let plan = build(&src, spec, opts, &|_| Ok(())).unwrap();
    let rec = RawRecord {
        schema_version: SCHEMA_VERSION,
        tool_version: "test".into(),
        kernel_release: "6.12.117+deb12-cloud-amd64".into(),
        cmdline: Vec::new(),
        in_vm: true,
        host: cgharness::host::read_facts(dir),
        source: src,
        plan,
        order_seed: None,
        boots: 1,
        placement: None,
        runs: Vec::new(),
    };
    let p = dir.join("record.json");
    std::fs::write(&p, serde_json::to_vec(&rec).unwrap()).unwrap();
    p
}

#[test]
fn records_and_report_directories_that_are_wrong_exit_2() {
    let c = corpus();
    let s = |p: &Path| p.display().to_string();
    let empty = record_without_runs(&c.dir);
    case(&["analyze", &s(&empty)], &c.host, "no finished run");
    case(&["analyze", &s(&c.text)], &c.host, "not JSON");
    case(
        &["analyze", "/nonexistent/record.json"],
        &c.host,
        "/nonexistent/record.json",
    );
    case(
        &["compare", "/nonexistent/a", "/nonexistent/b"],
        &c.host,
        "/nonexistent/a",
    );
    case(&["compare", &s(&c.dir), &s(&c.dir)], &c.host, "report.json");
}

#[test]
fn a_workload_program_that_does_not_exist_is_refused_at_plan_time_with_its_line() {
    let c = corpus();
    let p = c.dir.parent().unwrap().join("cmd.toml");
    std::fs::write(
        &p,
        "name = \"cmd\"\ndescription = \"x\"\n\n[[cgroup]]\nname = \"pod\"\nmemory_max = \"64M\"\n\n[[workload]]\nname = \"w\"\ncgroup = \"pod\"\nrun = \"command -- /nonexistent/prog --flag\"\n\n[[expect]]\ncheck = \"workload.w.exit_code == 0\"\n",
    )
    .unwrap();
    let s = p.display().to_string();
    case(&["run", &s], &c.host, "cmd.toml:11");
    case(
        &["run", &s],
        &c.host,
        "/nonexistent/prog does not exist or is not executable",
    );
}

#[test]
fn files_larger_than_the_free_space_exit_3_before_anything_is_created() {
    let c = corpus();
    let data = c.dir.parent().unwrap().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let o = cgharness()
        .args([
            "run",
            "page-cache-thrash",
            "--set",
            "file_size=900T",
            "--data-dir",
        ])
        .arg(&data)
        .env("CGHARNESS_HOST_ROOT", &c.host)
        .env("CGHARNESS_STATE_DIR", c.host.join("state"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("900.0 TiB") && err.contains("free"), "{err}");
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        0,
        "no file was created"
    );
    assert!(!c.host.join("state").exists(), "no owner file either");
}

#[test]
fn a_malformed_expectation_is_refused_with_its_line() {
    let c = corpus();
    let p = c.dir.parent().unwrap().join("expr.toml");
    for (check, want) in [
        ("workload.w.exit_code ==", "expr.toml:9"),
        ("workload.w.exit_code == (1", "expr.toml:9"),
        ("cgroup.pod.memory_current >= 4Q", "expr.toml:9"),
    ] {
        std::fs::write(
            &p,
            format!("name = \"expr\"\ndescription = \"x\"\n\n[[cgroup]]\nname = \"pod\"\n\n[[expect]]\n# the check\ncheck = \"{check}\"\n\n[[workload]]\nname = \"w\"\ncgroup = \"pod\"\nrun = \"idle --hold-ms 0\"\n"),
        )
        .unwrap();
        case(&["run", &p.display().to_string()], &c.host, want);
    }
}

#[test]
fn a_plan_of_billions_of_runs_is_refused_instead_of_eating_memory() {
    let c = corpus();
    case(
        &["run", "anon-oom", "--repeat", "4000000000"],
        &c.host,
        "at most 10000",
    );
}

#[test]
fn an_output_directory_that_cannot_be_made_is_exit_2_naming_it_and_out() {
    let c = corpus();
    let file_in_the_way = format!("{}/sub", c.text.display());
    case(
        &["run", "anon-oom", "--out", &file_in_the_way],
        &c.host,
        "--out",
    );
    case(
        &["run", "anon-oom", "--out", &file_in_the_way],
        &c.host,
        "is not a directory",
    );
    case(
        &[
            "vm",
            "--kernel",
            "/nonexistent",
            "--out",
            &file_in_the_way,
            "--",
            "run",
            "x",
        ],
        &c.host,
        "is not a directory",
    );
    // Nothing was created on the way.
    assert!(
        !c.host.join("state").exists()
            || std::fs::read_dir(c.host.join("state"))
                .unwrap()
                .next()
                .is_none()
    );
}
