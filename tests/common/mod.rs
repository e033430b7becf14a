//! Helpers shared by the test files: the kernel matrix, the static binaries, `cgharness vm`
//! invocations, and the CLI tests' command and paths.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn kernels() -> Vec<String> {
    std::env::var("CGHARNESS_TEST_KERNELS")
        .unwrap_or_else(|_| "debian:6.1,debian:6.12,debian:sid".into())
        .split(',')
        .map(str::to_string)
        .collect()
}

pub fn built(env: &str, script: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env) {
        return PathBuf::from(p);
    }
    let out = Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scripts")
            .join(script),
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

pub fn cgharness_bin() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| built("CGHARNESS_STATIC_BIN", "build-static"))
}

pub fn vm(out: &Path, extra: &[&str], guest: &[&str]) -> Output {
    let mut c = Command::new(cgharness_bin());
    c.arg("vm").arg("--out").arg(out).args([
        "--quiet",
        "--disk",
        "1G",
        "--swap",
        "512M",
        "--timeout",
        "10m",
    ]);
    for k in kernels() {
        c.args(["--kernel", &k]);
    }
    c.args(extra).arg("--").args(guest);
    c.output().unwrap()
}

/// `cgharness vm --kernel debian:6.12 --quiet EXTRA --out OUT -- GUEST`, not yet run.
pub fn vm_6_12(out: &Path, extra: &[&str], guest: &[&str]) -> Command {
    let mut c = Command::new(cgharness_bin());
    c.args(["vm", "--kernel", "debian:6.12", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg("--")
        .args(guest);
    c
}

pub fn release_dirs(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("vm.json").is_file())
        .collect();
    v.sort();
    v
}

/// Whether a qemu process whose command line names `out` is running.
pub fn qemu_running(out: &Path) -> bool {
    let marker = out.display().to_string();
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let cmd = text(&std::fs::read(e.path().join("cmdline")).unwrap_or_default());
        cmd.contains("qemu-system") && cmd.contains(&marker)
    })
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The cgharness of this build, for the CLI tests (assert_cmd).
pub fn cgharness() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("cgharness").unwrap()
}

/// A path inside the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs a command that must succeed; its stdout.
pub fn ok_stdout(c: &mut assert_cmd::Command) -> String {
    String::from_utf8(c.assert().success().get_output().stdout.clone()).unwrap()
}

/// `cgharness k8s explain --json ARGS` (the binary cargo built), which must succeed: its JSON.
pub fn k8s_explain_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cgharness"))
        .args(["k8s", "explain", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A test's VM output directory that outlives the test, so a failure can be read afterwards
/// (console logs, records): `target/tmp/vm-tests/NAME`, emptied when the test starts.
pub struct KeptDir(PathBuf);

impl KeptDir {
    pub fn new(name: &str) -> KeptDir {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("vm-tests")
            .join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        eprintln!("output kept in {}", d.display());
        KeptDir(d)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}
