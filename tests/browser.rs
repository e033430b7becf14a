//! report.html in a real browser: Debian's Chromium (installed by scripts/setup) loads a
//! report.html written by `cgharness report` from a real anon-oom record (7.2, 1/16; in
//! tests/fixtures/html/), headless and offline; tests/browser/check_report.py then reads the
//! rendered DOM against the record: the memory chart draws one series per non-zero counter
//! with one point per sample, the memory.max line sits where the y axis' ticks put
//! 67108864 B, and the kill marker where the x axis' ticks put the kernel's kill time. The
//! screenshot is kept in the test output (target/tmp/browser/report.png). compare.html of the
//! same record on both sides must draw every series, limit and kill twice, at the same places.

mod common;
use common::{cgharness, ok_stdout, repo};
use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn copy_fixture(to: &Path) {
    let from = repo("tests/fixtures/html/anon-oom");
    std::fs::create_dir_all(to.join("anon-oom/runs")).unwrap();
    for f in ["record.json", "report.json", "runs/run-0.json"] {
        std::fs::copy(from.join(f), to.join("anon-oom").join(f)).unwrap();
    }
}

/// Chromium headless on `page`, with `mode` (`--dump-dom` or `--screenshot=…`); its stdout.
fn chromium(page: &Path, profile: &Path, mode: &str) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run scripts/setup (it installs chromium)"
    );
    let o = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(["--hide-scrollbars", "--window-size=1600,1200"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_memory_chart_shows_the_records_samples_limit_and_kill_where_the_axes_say() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    ok_stdout(cgharness().arg("report").arg(dir.path()));
    let page = dir.path().join("anon-oom/report.html");
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    assert!(
        dom.contains("anon-oom on 7.2.13+deb14-cloud-amd64"),
        "{dom:.500}"
    );
    let said = check(
        &dom,
        dir.path(),
        &dir.path().join("anon-oom/runs/run-0.json"),
        &[],
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("report.png");
    let _ = std::fs::remove_file(&png);
    chromium(
        &page,
        &dir.path().join("profile"),
        &format!("--screenshot={}", png.display()),
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "{}",
        png.display()
    );
    eprintln!("{said}screenshot: {}", png.display());
}

/// Runs tests/browser/check_report.py on a dumped DOM; returns what it printed.
fn check(dom: &str, dir: &Path, run: &Path, extra: &[&str]) -> String {
    let dom_file = dir.join("dom.html");
    std::fs::write(&dom_file, dom).unwrap();
    let o = Command::new("/usr/bin/python3")
        .arg(repo("tests/browser/check_report.py"))
        .arg(&dom_file)
        .arg(run)
        .arg("pod")
        .args(extra)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success() && said.starts_with("ok:"), "{said}");
    said
}

#[test]
fn compare_html_overlays_both_sides_where_the_axes_say() {
    let dir = tempfile::tempdir().unwrap();
    for side in ["a", "b"] {
        copy_fixture(&dir.path().join(side));
    }
    let page = dir.path().join("compare.html");
    let o = cgharness()
        .arg("compare")
        .args([dir.path().join("a"), dir.path().join("b")])
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    assert!(
        dom.contains("anon-oom — PASS → PASS") && dom.contains("verdict changed in 0"),
        "{dom:.800}"
    );
    let run = dir.path().join("a/anon-oom/runs/run-0.json");
    let said = check(&dom, dir.path(), &run, &["anon-oom default pod", "2"]);
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser/compare.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    chromium(
        &page,
        &dir.path().join("profile"),
        &format!("--screenshot={}", png.display()),
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    eprintln!("{said}screenshot: {}", png.display());
}

#[test]
fn the_index_links_every_report_and_loads() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    ok_stdout(cgharness().arg("report").arg(dir.path()));
    let dom = chromium(
        &dir.path().join("index.html"),
        &dir.path().join("profile"),
        "--dump-dom",
    );
    assert!(
        dom.contains("<a href=\"anon-oom/report.html\">anon-oom</a>"),
        "{dom}"
    );
    assert!(dom.contains("1 of 1 passed"));
}
