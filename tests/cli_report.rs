//! `report DIR`: junit.xml, summary.md and metrics.prom over a results tree (two real anon-oom
//! reports, one of them edited to fail a check), read back by real consumers — Python's
//! junitparser (Debian's python3-junitparser) and `promtool check metrics` (Debian's
//! prometheus), both installed by scripts/setup --tests.

mod common;
use common::{cgharness, ok_stdout, repo};
use std::path::Path;
use std::process::{Command, Stdio};

/// tests/fixtures/compare copied into `dir`, the 6.12 report's second check failed.
fn results(dir: &Path) {
    for k in ["6.1", "6.12"] {
        let d = dir.join(k).join("anon-oom");
        std::fs::create_dir_all(&d).unwrap();
        let src = repo("tests/fixtures/compare")
            .join(k)
            .join("anon-oom/report.json");
        let mut r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(src).unwrap()).unwrap();
        if k == "6.12" {
            r["passed"] = false.into();
            r["variants"][0]["checks"][1]["outcome"]["pass"] = false.into();
            r["variants"][0]["checks"][1]["verdict"] = false.into();
        }
        std::fs::write(d.join("report.json"), r.to_string()).unwrap();
    }
}

/// Prints per testcase: suite, its tests and failures, the case, its failure message.
const PY_JUNIT: &str = r#"
import sys
from junitparser import JUnitXml, Failure
for s in JUnitXml.fromfile(sys.argv[1]):
    for c in s:
        f = [r for r in c.result if isinstance(r, Failure)]
        print(s.name, s.tests, s.failures, '|', c.name, '|', f[0].message if f else 'ok')
"#;

fn tool(path: &str) -> &str {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: run scripts/setup --tests (it installs prometheus and python3-junitparser)"
    );
    path
}

#[test]
fn junit_metrics_and_summary_are_read_by_real_consumers() {
    let dir = tempfile::tempdir().unwrap();
    results(dir.path());
    let out = ok_stdout(cgharness().arg("report").arg(dir.path()));
    assert!(
        out.contains("junit.xml") && out.contains("metrics.prom"),
        "{out}"
    );
    let junit = dir.path().join("junit.xml");
    let py = Command::new(tool("/usr/bin/python3"))
        .arg("-c")
        .arg(PY_JUNIT)
        .arg(&junit)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.contains("anon-oom on 6.12.117+deb12-cloud-amd64 5 1 | cgroup.pod.memory_events.oom_kill >= 1 | observed 1 vs 1"), "{text}");
    assert!(text
        .contains("anon-oom on 6.1.0-56-cloud-amd64 5 0 | workload.hog.killed_by == 'oom' | ok"));
    let prom = Command::new(tool("/usr/bin/promtool"))
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(dir.path().join("metrics.prom")).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        prom.status.success() && prom.stdout.is_empty() && prom.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&prom.stdout),
        String::from_utf8_lossy(&prom.stderr)
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.starts_with("## cgharness: 1 of 2 scenario runs passed"),
        "{summary}"
    );
}

#[test]
fn report_on_a_directory_without_reports_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = cgharness().arg("report").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no report.json"));
    assert!(!dir.path().join("junit.xml").exists());
}
