//! `cgharness vm` on real kernels: Debian 6.1, 6.12 and sid (override with
//! CGHARNESS_TEST_KERNELS=debian:6.12,…). Needs qemu and network access to Debian's archive on
//! first use, so these are `#[ignore]`d in a plain `cargo test`; scripts/test runs them with
//! `--ignored`. The static cgharness and the static guest tests come from scripts/build-static
//! and scripts/build-guest-tests (or CGHARNESS_STATIC_BIN / CGHARNESS_GUEST_TESTS).

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::*;

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn doctor_in_each_guest_can_run_scenarios() {
    let out = KeptDir::new("doctor_in_each_guest_can_run_scenarios");
    let o = vm(out.path(), &[], &["doctor", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let dirs = release_dirs(out.path());
    assert_eq!(dirs.len(), kernels().len());
    for d in dirs {
        let console = std::fs::read_to_string(d.join("console.log")).unwrap();
        assert!(
            console.contains("\"can_run_scenarios\": true"),
            "{}: {console}",
            d.display()
        );
        for c in ["memory", "io", "cpu", "pids", "hugetlb"] {
            assert!(
                console.contains(&format!("\"{c}\": \"v2\"")),
                "{}: {c} in v2",
                d.display()
            );
        }
        let rec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("vm.json")).unwrap()).unwrap();
        assert_eq!(rec["schema_version"], 1);
        assert_eq!(rec["exit"]["exit_code"], 0);
        assert_eq!(
            d.file_name().unwrap().to_string_lossy(),
            rec["kernel"]["release"].as_str().unwrap()
        );
        let sha = rec["kernel"]["packages"][0]["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64, "the kernel package is pinned by sha256");
        assert!(rec["qemu_version"].as_str().unwrap().contains("QEMU"));
        assert_eq!(
            rec["exit"]["guest"]["kernel_release"],
            rec["kernel"]["release"]
        );
        assert_eq!(
            rec["exit"]["guest"]["thp_enabled"], "always",
            "THP is on by default with 1 GiB guests"
        );
        assert!(rec["exit"]["guest"]["clocksource"].as_str().is_some());
    }
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn guest_kernel_tests_pass_on_each_kernel() {
    let tests = built("CGHARNESS_GUEST_TESTS", "build-guest-tests");
    let name = tests.file_name().unwrap().to_string_lossy().into_owned();
    let expected = [
        include_str!("guest_kernel/main.rs"),
        include_str!("guest_kernel/workloads.rs"),
        include_str!("guest_kernel/harness.rs"),
    ]
    .iter()
    .map(|src| src.matches("#[ignore = \"runs inside the VM").count())
    .sum::<usize>();
    let out = KeptDir::new("guest_kernel_tests_pass_on_each_kernel");
    let include = tests.display().to_string();
    let o = vm(
        out.path(),
        &[
            "--include",
            &include,
            "--include",
            "/usr/bin/md5sum",
            "--include",
            "/usr/bin/cat",
            "--exec",
        ],
        &[&name, "--ignored", "--test-threads=1"],
    );
    let dirs = release_dirs(out.path());
    for d in &dirs {
        let console = std::fs::read_to_string(d.join("console.log")).unwrap();
        assert!(
            console.contains(&format!("test result: ok. {expected} passed; 0 failed")),
            "{}:\n{console}",
            d.display()
        );
    }
    assert_eq!(dirs.len(), kernels().len(), "{}", text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn a_timeout_kills_qemu_and_exits_4() {
    let out = KeptDir::new("a_timeout_kills_qemu_and_exits_4");
    let o = vm_6_12(out.path(), &["--timeout", "1500ms"], &["workload", "idle"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("timed out after"),
        "{}",
        text(&o.stderr)
    );
    assert!(!qemu_running(out.path()), "a qemu process outlived the run");
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn a_kernel_that_dies_before_init_is_retried_then_exits_4_or_125() {
    let out = KeptDir::new("a_kernel_that_dies_before_init_is_retried_then_exits_4_or_125");
    let run = |bisect: bool| {
        let mut c = Command::new(cgharness_bin());
        c.args([
            "vm",
            "--kernel",
            "debian:6.12",
            "--cmdline",
            "rdinit=/nonexistent",
            "--retries",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(out.path());
        if bisect {
            c.arg("--bisect");
        }
        c.args(["--", "doctor"]).output().unwrap()
    };
    let o = run(false);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("retrying") && err.contains("died before our init started"),
        "{err}"
    );
    assert!(
        err.contains("Kernel panic") || err.contains("VFS"),
        "the last console lines are shown: {err}"
    );
    assert_eq!(
        run(true).status.code(),
        Some(125),
        "--bisect skips kernels that cannot be tested"
    );
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn guest_exit_codes_pass_through() {
    let out = KeptDir::new("guest_exit_codes_pass_through");
    let o = vm_6_12(out.path(), &[], &["doctor", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "the guest's usage error is ours: {}",
        text(&o.stderr)
    );
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn included_dynamic_programs_run_with_their_libraries() {
    let out = KeptDir::new("included_dynamic_programs_run_with_their_libraries");
    let host = Command::new("md5sum")
        .arg(cgharness_bin())
        .output()
        .unwrap();
    let sum = text(&host.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let o = vm_6_12(
        out.path(),
        &["--include", "/usr/bin/md5sum", "--exec"],
        &["md5sum", "/init"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let console = std::fs::read_to_string(release_dirs(out.path())[0].join("console.log")).unwrap();
    assert!(
        console.contains(&format!("{sum}  /init")),
        "md5sum in the guest saw the same /init: {console}"
    );
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn ctrl_c_kills_the_vm_and_leaves_no_qemu() {
    let out = KeptDir::new("ctrl_c_kills_the_vm_and_leaves_no_qemu");
    let child = vm_6_12(out.path(), &["--timeout", "2m"], &["workload", "idle"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !qemu_running(out.path()) {
        assert!(std::time::Instant::now() < deadline, "qemu never started");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let o = child.wait_with_output().unwrap();
    // Cleaned up, then died by the signal itself (never a made-up exit code), so a shell, CI
    // or systemd sees an interruption, not a failure.
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(o.status.signal(), Some(libc::SIGINT), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("interrupted"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        !qemu_running(out.path()),
        "qemu outlived the interrupted run"
    );
}

#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn a_bzimage_path_with_a_modules_dir_boots() {
    // A cached Debian 6.1 kernel stands in for a user's own build: its release is read from the
    // bzImage header and its six virtio modules are resolved from the directory's .modinfo.
    let fetched = tempfile::tempdir().unwrap();
    let o = vm(fetched.path(), &[], &["workload", "idle", "--hold-ms", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let cache = std::env::var_os("CGHARNESS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/cgharness"));
    let k = std::fs::read_dir(cache.join("kernels"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("6.1.0-")
        })
        .expect("debian:6.1 is cached");
    // As a user has it: the image in one place (a build tree's arch/x86/boot), the modules in
    // another (lib/modules/<release> of `make modules_install`), neither in our cache.
    let user = tempfile::tempdir().unwrap();
    let image = user.path().join("arch/x86/boot/bzImage");
    std::fs::create_dir_all(image.parent().unwrap()).unwrap();
    std::fs::copy(k.join("vmlinuz"), &image).unwrap();
    let mods = user
        .path()
        .join("mods/lib/modules")
        .join(k.file_name().unwrap());
    std::fs::create_dir_all(&mods).unwrap();
    for e in std::fs::read_dir(k.join("modules")).unwrap().flatten() {
        std::fs::copy(e.path(), mods.join(e.file_name())).unwrap();
    }
    let out = KeptDir::new("a_bzimage_path_with_a_modules_dir_boots");
    let o = Command::new(cgharness_bin())
        .args(["vm", "--quiet", "--kernel"])
        .arg(&image)
        .arg("--modules")
        .arg(&mods)
        .arg("--out")
        .arg(out.path())
        .args(["--", "doctor"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(release_dirs(out.path())[0].join("vm.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        rec["kernel"]["release"].as_str().unwrap(),
        k.file_name().unwrap().to_string_lossy()
    );
    assert_eq!(rec["kernel"]["modules"].as_array().unwrap().len(), 6);
}

/// What `cargo install --path .` gives (a dynamically linked debug build here, reusing this
/// test build's artifacts), run from outside the source tree with its Cargo.toml hidden when
/// the test can (root: a private mount namespace binds /dev/null over it), boots debian:6.12
/// and passes anon-oom with itself as the guest's init, its loader and libraries carried in.
#[test]
#[ignore = "boots VMs; run by scripts/test"]
fn an_installed_binary_runs_vm_without_its_source_tree() {
    let root = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let o = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        // --offline: this build has every crate already; the index is not asked.
        .args([
            "install",
            "--quiet",
            "--offline",
            "--locked",
            "--debug",
            "--path",
        ])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--root")
        .arg(root.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    assert!(o.status.success(), "cargo install: {}", text(&o.stderr));
    eprintln!("cargo install --debug: {:.1} s", t.elapsed().as_secs_f64());
    let bin = root.path().join("bin/cgharness");
    let interp = installed_interpreter(&bin);
    let out = KeptDir::new("an_installed_binary_runs_vm_without_its_source_tree");
    let cwd = tempfile::tempdir().unwrap();
    let mut c = hide_source_tree();
    c.arg(&bin)
        .args(["vm", "--quiet", "--kernel", "debian:6.12", "--out"])
        .arg(out.path())
        .args(["--", "run", "anon-oom", "--scale", "1/16"])
        .current_dir(cwd.path())
        .env_remove("CARGO")
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CGHARNESS_GUEST_BIN");
    let t = std::time::Instant::now();
    let o = c.output().unwrap();
    let err = text(&o.stderr);
    eprintln!(
        "vm from the installed binary: {:.1} s\n{err}",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(o.status.code(), Some(0), "{err}");
    let said = format!(
        "guest init: {} (dynamically linked: with its loader {interp}",
        bin.display()
    );
    assert!(
        err.contains(&said),
        "the installed binary is the init: {err}"
    );
    assert!(!err.contains("building a static"), "{err}");
    let console = std::fs::read_to_string(release_dirs(out.path())[0].join("console.log")).unwrap();
    assert!(console.contains("PASS: anon-oom"), "{console}");
}

/// The program interpreter the installed binary names (it must have one: a dynamic build).
fn installed_interpreter(bin: &Path) -> String {
    let o = Command::new("readelf").arg("-l").arg(bin).output().unwrap();
    let t = text(&o.stdout);
    let i = t
        .find("Requesting program interpreter: ")
        .expect("cargo install gives a dynamically linked binary");
    t[i..]
        .trim_start_matches("Requesting program interpreter: ")
        .split(']')
        .next()
        .unwrap()
        .to_string()
}

/// A command prefix that runs the rest with this checkout's Cargo.toml hidden (root and
/// util-linux's unshare: a private mount namespace binds /dev/null over it), else plainly.
fn hide_source_tree() -> Command {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    // SAFETY: geteuid cannot fail.
    let can = unsafe { libc::geteuid() } == 0
        && Command::new("unshare").arg("--version").output().is_ok();
    if !can {
        eprintln!(
            "not hiding {}: needs root and unshare; the log line decides",
            manifest.display()
        );
        let mut c = Command::new("env");
        c.arg("--");
        return c;
    }
    let mut c = Command::new("unshare");
    c.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg("mount --bind /dev/null \"$0\" && test ! -f \"$0\" && exec \"$@\"")
        .arg(manifest);
    c
}
