//! report.html in a real browser: Debian's Chromium (installed by scripts/setup --tests) loads a
//! report.html written by `cgharness report` from a real anon-oom record (7.2, 1/16; in
//! tests/fixtures/html/), headless and offline; tests/browser/check_report.py then reads the
//! rendered DOM against the record: the memory chart draws one series per non-zero counter
//! with one point per sample, the memory.max line sits where the y axis' ticks put
//! 67108864 B, and the kill marker where the x axis' ticks put the kernel's kill time. The
//! screenshot is kept in the test output (target/tmp/browser/report.png). compare.html of the
//! same record on both sides must draw every series, limit and kill twice, at the same places.
//! The median-with-band chart is checked on that record merged over 3 boots with 4 runs (the
//! others derived from it: stretched in time, pod memory scaled): check_report.py --band
//! computes from the run files the median, min and max at each grid time and checks the drawn
//! median vertex by vertex, the shaded band along min and max, and each run's kill.
//! "Checks across variants" is checked on tests/fixtures/html/eviction-race: the sweep
//! (12 variants) on 6.12 at 1/16, the first 2 of its 5 runs per variant, each sample and mark
//! kept to memory.current, swap.current, memory.events and anon/file/shmem (vmstat, meminfo,
//! PSI and finals dropped; every 6th sample), and the model observe's text replaced by the
//! clamped one sweeps/eviction-race.toml now has (the runs predate it). check_report.py
//! --across reads k/n from the analysed report.json's per-run outcomes and checks each
//! variant's point and Wilson bar, and the model's hollow markers, against the axes' ticks.

mod common;
use common::{cgharness, ok_stdout, repo};
use std::ffi::OsString;
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
        "{CHROMIUM} is missing: run scripts/setup --tests (it installs chromium)"
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

/// (boot, repetition, time stretch, value scale) of each derived run; the first is the
/// record as it was taken.
const DERIVED: [(u32, u32, f64, f64); 4] = [
    (1, 0, 1.0, 1.0),
    (1, 1, 1.15, 0.85),
    (2, 0, 0.9, 1.1),
    (3, 0, 1.3, 0.95),
];

/// `n` scaled by `f`, rounded.
fn scaled(n: u64, f: f64) -> u64 {
    (n as f64 * f).round() as u64
}

/// Every `"t_ns"`-like time in `v` stretched by `f` around `t0`.
fn stretch(v: &mut serde_json::Value, key: &str, t0: u64, f: f64) {
    if let Some(t) = v[key].as_u64() {
        v[key] = (t0 + scaled(t - t0, f)).into();
    }
}

/// A sample's pod values scaled: memory.current, and anon and file in memory.stat.
fn scale_pod(set: &mut serde_json::Value, f: f64) {
    let pod = &mut set["cgroups"]["pod"];
    if let Some(c) = pod["current"].as_str() {
        pod["current"] = format!("{}\n", scaled(c.trim().parse().unwrap(), f)).into();
    }
    if let Some(stat) = pod["stat"].as_str() {
        let lines: Vec<String> = stat
            .lines()
            .map(|l| match l.split_once(' ') {
                Some((k @ ("anon" | "file"), n)) => {
                    format!("{k} {}", scaled(n.parse().unwrap(), f))
                }
                _ => l.to_string(),
            })
            .collect();
        pod["stat"] = format!("{}\n", lines.join("\n")).into();
    }
}

/// The anon-oom run as another boot or repetition: its samples, marks, workload times and
/// OOM kill later or sooner by `stretch` from its start, pod memory scaled by `scale`.
fn derived_run(
    run: &serde_json::Value,
    boot: u32,
    rep: u32,
    stretch_by: f64,
    scale: f64,
) -> serde_json::Value {
    let mut r = run.clone();
    let t0 = r["marks"][0]["set"]["t_ns"].as_u64().unwrap();
    let usec = 26957416i64; // the kill's kmsg time, µs
    let kill_ns = usec * 1000 + r["kmsg_offset_ns"].as_i64().unwrap();
    let new_kill = t0 as i64 + scaled(kill_ns as u64 - t0, stretch_by) as i64;
    r["kmsg_offset_ns"] = (new_kill - usec * 1000).into();
    for s in r["samples"].as_array_mut().unwrap() {
        stretch(s, "t_ns", t0, stretch_by);
        scale_pod(s, scale);
    }
    for m in r["marks"].as_array_mut().unwrap() {
        stretch(&mut m["set"], "t_ns", t0, stretch_by);
        scale_pod(&mut m["set"], scale);
    }
    for w in r["workloads"].as_array_mut().unwrap() {
        stretch(w, "start_ns", t0, stretch_by);
        stretch(w, "exit_ns", t0, stretch_by);
    }
    for e in r["events"].as_array_mut().unwrap() {
        stretch(e, "t_ns", t0, stretch_by);
    }
    r["boot"] = boot.into();
    r["plan"]["repetition"] = rep.into();
    r
}

/// tests/fixtures/html/anon-oom as a record merged over 3 boots with 4 runs (boot 1 ran it
/// twice), per [`DERIVED`], and its report.json from `cgharness analyze`.
fn derive_runs(to: &Path) {
    let from = repo("tests/fixtures/html/anon-oom");
    let dir = to.join("anon-oom");
    std::fs::create_dir_all(dir.join("runs")).unwrap();
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(from.join(f)).unwrap()).unwrap()
    };
    let mut header = read("record.json");
    header["boots"] = 3.into();
    std::fs::write(dir.join("record.json"), header.to_string()).unwrap();
    let run = read("runs/run-0.json");
    assert_eq!(run["kmsg"].to_string().matches("26957416").count(), 1);
    for (k, (boot, rep, t, v)) in DERIVED.iter().enumerate() {
        let r = derived_run(&run, *boot, *rep, *t, *v);
        std::fs::write(dir.join(format!("runs/run-{k}.json")), r.to_string()).unwrap();
    }
    analyze_into(&dir);
}

/// The run records [`derive_runs`] wrote in `scenario_dir`, in order.
fn derived_paths(scenario_dir: &Path) -> Vec<OsString> {
    (0..DERIVED.len())
        .map(|k| scenario_dir.join(format!("runs/run-{k}.json")).into())
        .collect()
}

/// Runs tests/browser/check_report.py MODE DOM ARGS… on `dom` (saved in `dir`), fails the
/// test unless it says ok, and returns what it said.
fn py_check(dir: &Path, dom: &str, mode: &str, args: &[OsString]) -> String {
    let dom_file = dir.join("dom.html");
    std::fs::write(&dom_file, dom).unwrap();
    let o = Command::new("/usr/bin/python3")
        .arg(repo("tests/browser/check_report.py"))
        .arg(mode)
        .arg(&dom_file)
        .args(args)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success() && said.starts_with("ok:"),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    said
}

/// `cgharness analyze DIR --json` written to DIR/report.json (exit 1, an expectation that
/// failed, is an answer too).
fn analyze_into(dir: &Path) {
    let o = cgharness()
        .arg("analyze")
        .arg(dir)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::write(dir.join("report.json"), &o.stdout).unwrap();
}

#[test]
fn the_band_chart_draws_the_median_over_runs_inside_their_range() {
    let dir = tempfile::tempdir().unwrap();
    derive_runs(dir.path());
    ok_stdout(cgharness().arg("report").arg(dir.path()));
    let page = dir.path().join("anon-oom/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("median of 4 runs") && html.contains("boot 3, run 0"),
        "{html:.800}"
    );
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    let mut args: Vec<OsString> = vec!["pod".into()];
    args.extend(derived_paths(&dir.path().join("anon-oom")));
    let said = py_check(dir.path(), &dom, "--band", &args);
    let png = screenshot(&page, dir.path(), "band");
    eprintln!("{said}screenshot: {}", png.display());
}

/// `cgharness compare DIR/a DIR/b --html DIR/compare.html`: the page and the command's output.
fn compare_html(dir: &Path) -> (std::path::PathBuf, std::process::Output) {
    let page = dir.join("compare.html");
    let o = cgharness()
        .arg("compare")
        .args([dir.join("a"), dir.join("b")])
        .arg("--html")
        .arg(&page)
        .output()
        .unwrap();
    (page, o)
}

#[test]
fn compare_html_overlays_both_sides_where_the_axes_say() {
    let dir = tempfile::tempdir().unwrap();
    for side in ["a", "b"] {
        copy_fixture(&dir.path().join(side));
    }
    let (page, o) = compare_html(dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    assert!(
        dom.contains("anon-oom — PASS → PASS") && dom.contains("verdict changed in 0"),
        "{dom:.800}"
    );
    let run = dir.path().join("a/anon-oom/runs/run-0.json");
    let said = check(&dom, dir.path(), &run, &["anon-oom default pod", "2"]);
    let png = screenshot(&page, dir.path(), "compare");
    eprintln!("{said}screenshot: {}", png.display());
}

#[test]
fn compare_html_overlays_each_sides_median_and_band_from_three_runs() {
    let dir = tempfile::tempdir().unwrap();
    for side in ["a", "b"] {
        derive_runs(&dir.path().join(side));
    }
    let (page, o) = compare_html(dir.path());
    assert!(
        o.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    assert!(
        dom.contains("pod: memory, A median of 4 runs and B median of 4 runs"),
        "{dom:.800}"
    );
    let mut args: Vec<OsString> = vec!["pod".into(), "anon-oom default pod".into()];
    args.extend(derived_paths(&dir.path().join("a/anon-oom")));
    let said = py_check(dir.path(), &dom, "--compare-band", &args);
    let png = screenshot(&page, dir.path(), "compare-band");
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

#[test]
fn the_checks_across_variants_chart_puts_each_variants_rate_on_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let from = repo("tests/fixtures/html/eviction-race");
    let sweep = dir.path().join("eviction-race");
    std::fs::create_dir_all(sweep.join("runs")).unwrap();
    std::fs::copy(from.join("record.json"), sweep.join("record.json")).unwrap();
    for e in std::fs::read_dir(from.join("runs")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), sweep.join("runs").join(e.file_name())).unwrap();
    }
    analyze_into(&sweep);
    ok_stdout(cgharness().arg("report").arg(dir.path()));
    let page = sweep.join("report.html");
    let dom = chromium(&page, &dir.path().join("profile"), "--dump-dom");
    assert!(
        dom.contains("Checks across variants") && dom.contains("data-variants=\"12\""),
        "{dom:.800}"
    );
    let said = py_check(
        dir.path(),
        &dom,
        "--across",
        &[sweep.join("report.json").into()],
    );
    assert!(said.contains("12 points of 12"), "{said}");
    let png = screenshot(&page, dir.path(), "across");
    eprintln!("{said}screenshot: {}", png.display());
}

/// Renders `page` headless into target/tmp/browser/NAME.png (kept as the test's output) and
/// checks that a PNG came out.
fn screenshot(page: &Path, dir: &Path, name: &str) -> std::path::PathBuf {
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser/{name}.png"));
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    chromium(
        page,
        &dir.join("profile"),
        &format!("--screenshot={}", png.display()),
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    png
}
