//! What `vm` prints for a matrix `run`, without booting: a fake qemu on PATH prints a guest
//! console (a report, the guest's scenario lines) and writes an exit record to the results
//! disk, as the guest's init does. Default: one progress line per scenario per kernel and the
//! final table, no console; `-v` echoes the console; `-q` prints only the final table.

use assert_cmd::Command;
use std::path::Path;

const CONSOLE: &str = "\
cgharness-init: started at uptime 90 ms
REPORT-TEXT of anon-oom (the guest's full report)
cgharness-scenario: anon-oom PASS wall_ms=1500 prepare_ms=200 run_ms=1000 cleanup_ms=150 save_ms=100 idle_ms=50
cgharness-scenario: limit-kill FAIL wall_ms=2500 prepare_ms=300 run_ms=2000 cleanup_ms=100 save_ms=50 idle_ms=50
";

const FAKE_QEMU: &str = r#"#!/bin/bash
[ "$1" = --version ] && { echo "QEMU emulator version 0.0 (fake)"; exit 0; }
for a in "$@"; do
  case "$a" in if=none,*file=*) f=${a#*file=}; f=${f%%,format=*} ;; esac
done
cat "$(dirname "$0")/console.txt"
dd if="$(dirname "$0")/payload" of="$f" conv=notrunc status=none
"#;

/// A bzImage-shaped file: the boot header's magic and a release string.
fn bzimage(path: &Path, release: &str) {
    let mut b = vec![0u8; 0x1000];
    b[0x202..0x206].copy_from_slice(b"HdrS");
    b[0x20e..0x210].copy_from_slice(&0x400u16.to_le_bytes());
    b[0x600..0x600 + release.len()].copy_from_slice(release.as_bytes());
    std::fs::write(path, b).unwrap();
}

/// The results disk's content: the exit record's header, then an empty newc archive.
fn payload() -> Vec<u8> {
    let archive = cgharness::vm::cpio::write(&[]);
    let rec = serde_json::json!({
        "exit_code": 1, "signal": null, "init_error": null, "init_start_uptime_ms": 90,
        "command_start_uptime_ms": 120, "command_end_uptime_ms": 4200,
        "archive_bytes": archive.len(),
    });
    let mut b = format!("CGHARNESS-RESULT 1\n{rec}\n").into_bytes();
    b.resize(4096, 0);
    b.extend(archive);
    b
}

/// Runs `vm` over two fake kernels with `flags`; (exit code, stdout, stderr, out dir).
fn matrix(flags: &[&str]) -> (i32, String, String, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let bin = d.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let qemu = bin.join("qemu-system-x86_64");
    std::fs::write(&qemu, FAKE_QEMU).unwrap();
    std::fs::set_permissions(&qemu, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(bin.join("console.txt"), CONSOLE).unwrap();
    std::fs::write(bin.join("payload"), payload()).unwrap();
    // An ELF with no program interpreter passes for a static guest init.
    let mut elf = b"\x7fELF".to_vec();
    elf.resize(64, 0);
    std::fs::write(d.path().join("init"), elf).unwrap();
    bzimage(&d.path().join("k1"), "6.1.0-fake");
    bzimage(&d.path().join("k2"), "6.12.0-fake");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = tempfile::tempdir().unwrap();
    let o = Command::cargo_bin("cgharness")
        .unwrap()
        .env("PATH", path)
        .env("CGHARNESS_CACHE", d.path().join("cache"))
        .env("CGHARNESS_GUEST_BIN", d.path().join("init"))
        .args(["vm", "--accel", "tcg", "--disk", "0", "--swap", "0"])
        .args(flags)
        .arg("--kernel")
        .arg(d.path().join("k1"))
        .arg("--kernel")
        .arg(d.path().join("k2"))
        .arg("--out")
        .arg(out.path().join("o"))
        .args(["--", "run", "anon-oom", "limit-kill"])
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        o.status.code().unwrap_or(-1),
        text(&o.stdout),
        text(&o.stderr),
        out,
    )
}

#[test]
fn a_matrix_run_prints_a_line_per_scenario_per_kernel_and_the_table() {
    let (code, stdout, stderr, out) = matrix(&[]);
    assert_eq!(code, 1, "the guest's exit 1 passes through: {stderr}");
    for (i, k) in [(1, "k1"), (2, "k2")] {
        let line = format!("[{i}/2] ");
        assert!(
            stderr.lines().any(|l| l.starts_with(&line)
                && l.contains(k)
                && l.ends_with("anon-oom PASS 1.5 s")),
            "{stderr}"
        );
    }
    assert!(stderr.contains("6.12.0-fake: boot "), "{stderr}");
    assert!(!stdout.contains("REPORT-TEXT") && !stderr.contains("REPORT-TEXT"));
    assert!(stdout.contains("scenario    6.1.0-fake"), "{stdout}");
    assert!(stdout.contains("limit-kill  FAIL"), "{stdout}");
    let console = std::fs::read_to_string(out.path().join("o/6.1.0-fake/console.log")).unwrap();
    assert!(
        console.contains("REPORT-TEXT"),
        "the console stays in console.log"
    );
    let vm: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("o/6.12.0-fake/vm.json")).unwrap())
            .unwrap();
    assert_eq!(vm["timing"]["scenarios"][1]["cleanup_ms"], 100);
    assert_eq!(vm["phase_totals"]["run_ms"], 3000);
    assert!(vm["timing"]["boot_ms"].as_u64().is_some(), "{vm}");
}

#[test]
fn verbose_echoes_the_console_and_quiet_prints_only_the_table() {
    let (_, stdout, _, _) = matrix(&["-v"]);
    assert!(stdout.contains("REPORT-TEXT"), "{stdout}");
    let (code, stdout, stderr, _) = matrix(&["-q"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim(), "", "nothing but the table: {stderr}");
    assert!(!stdout.contains("REPORT-TEXT"));
    let rows: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows.len(),
        9,
        "header, 2 scenarios, boot and 5 phases: {stdout}"
    );
    let (code, _, stderr, _) = matrix(&["-q", "-v"]);
    assert_eq!(code, 2, "-q and -v conflict: {stderr}");
}
