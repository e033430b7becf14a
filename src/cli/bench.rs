//! `cgharness bench`: our workloads next to their peers, interleaved, ≥5 repetitions.

use crate::bench::{self, Row};
use crate::exit::{usage, Exit};
use crate::size::parse_memparse;
use std::path::PathBuf;
use std::process::Command;

const BENCH_HELP: &str = "\
Targets: anon first touch ≥ 1.0× stress-ng --vm (write64) and ≥ 0.9× a plain page-touch loop;
re-touch ≥ 0.9× memset; progress events cost ≤ 1%; cached file-read ≥ 1.0× cat; checksum mode ≥ 1.0× md5sum.
Cold file-read drops only its own file's cache (POSIX_FADV_DONTNEED; no drop_caches on a host)
and is shown next to the device's sequential read (dd iflag=direct), without a target.
Peers that are not installed are skipped with a note. Figures drift with load: compare the
ratios, which are measured side by side in one run.";

/// Options of `bench`.
#[derive(Debug, clap::Args)]
#[command(after_help = BENCH_HELP)]
pub struct BenchArgs {
    /// What to benchmark.
    #[arg(value_enum, default_value = "all")]
    pub what: What,
    /// Bytes per run (anon size, file size).
    #[arg(long, default_value = "1G")]
    pub size: String,
    /// Repetitions (interleaved).
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Directory for the file-read benchmark's file.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Also write rows and ratios as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// Everything.
    All,
    /// Anonymous memory: first touch and re-touch.
    Anon,
    /// Cached file reads, plain and with MD5.
    FileRead,
}

fn me() -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?)
}

/// Runs `cgharness workload ARGS` (with progress events to stderr, discarded, when `progress`).
fn ours_json(args: &[&str], progress: bool) -> Option<serde_json::Value> {
    let exe = me().ok()?;
    let mut c = Command::new(exe);
    c.arg("workload");
    if progress {
        c.args(["--progress-fd", "2"]);
    }
    let out = bench::stdout_of(c.args(args))?;
    serde_json::from_str(out.lines().next()?).ok()
}

fn push(rows: &mut Vec<Row>, name: &str, rate: Option<f64>) {
    let Some(r) = rate else { return };
    match rows.iter_mut().find(|x| x.name == name) {
        Some(row) => row.rates.push(r),
        None => rows.push(Row {
            name: name.into(),
            rates: vec![r],
        }),
    }
}

/// One first-touch candidate: its row name and how to measure it (bytes/s).
type Candidate<'a> = (&'static str, Box<dyn Fn() -> Option<f64> + 'a>);

/// One repetition. The first-touch candidates run in an order rotated by `rep`, each after the
/// same warm-up, so no candidate always follows the same one: which position ran slow moved
/// with the host's memory (1.1 vs 1.85 GiB/s for the same command), not with the candidate.
fn anon_rep(rows: &mut Vec<Row>, bytes: usize, rep: usize) {
    let b = bytes.to_string();
    let first = move |method: &'static str, progress: bool| {
        let b = b.clone();
        move || {
            ours_json(
                &["anon", "--bytes", &b, "--method", method, "--hold-ms", "0"],
                progress,
            )
            .and_then(|v| v["first_touch_ns"].as_f64())
            .map(|ns| bytes as f64 / (ns / 1e9))
        }
    };
    let mut list: Vec<Candidate> = vec![
        (
            "anon first touch (ours, word)",
            Box::new(first("word", false)),
        ),
        (
            "anon first touch (ours, word, progress)",
            Box::new(first("word", true)),
        ),
        ("plain page-touch loop", Box::new(move || plain_loop(bytes))),
        (
            "anon first touch (ours, memset)",
            Box::new(first("memset", false)),
        ),
        (
            "stress-ng --vm write64",
            Box::new(move || bench::stress_ng_rate(bytes)),
        ),
    ];
    let n = list.len();
    list.rotate_left(rep % n);
    for (name, measure) in list {
        // The host hands freed memory back to its hypervisor ~2 s after a free, so a first
        // touch right after another one's free is faster: warm the same amount before each.
        let _ = bench::plain_touch_rate(bytes);
        push(rows, name, measure());
    }
    retouch_rows(rows, bytes);
}

/// Re-touch of a resident buffer (ours, the fastest of 3 passes) against memset's bandwidth.
fn retouch_rows(rows: &mut Vec<Row>, bytes: usize) {
    let b = bytes.to_string();
    let retouch = ours_json(
        &["anon", "--bytes", &b, "--passes", "3", "--hold-ms", "0"],
        false,
    )
    .and_then(|v| {
        v["pass_ns"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).fold(f64::MAX, f64::min))
    })
    .map(|ns| bytes as f64 / (ns / 1e9));
    push(rows, "anon re-touch (ours)", retouch);
    push(rows, "memset, resident buffer", bench::memset_rate(bytes));
}

/// The plain loop in a fresh process, measured like ours: in the same process as the warm-up
/// it reused that process's just-freed memory and ran up to 1.6× faster than the same loop in
/// a new process (1.86 vs 1.15 GiB/s medians on 2026-11-24), a gap no workload could close.
fn plain_loop(bytes: usize) -> Option<f64> {
    let out = bench::stdout_of(Command::new(me().ok()?).args([
        "probe",
        "touch-loop",
        "--bytes",
        &bytes.to_string(),
    ]))?;
    out.trim().strip_prefix("bytes_per_s=")?.parse().ok()
}

fn rate_of(bytes: usize, secs: Option<f64>) -> Option<f64> {
    secs.map(|s| bytes as f64 / s)
}

/// Cached reads: ours vs cat and dd; checksum mode vs md5sum. One untimed read comes first:
/// in each repetition the cached rows follow the anon rows (GiBs freed, which this VM's host
/// takes back about 2 s later), the cold read and the 1 GiB write, and whichever reader came
/// first paid for that — ours, always (0.89–0.90× cat in `bench`, where interleaved runs of
/// the same binaries gave ~1.0×). After the warm-up every cached reader meets the file alike.
fn cached_rows(rows: &mut Vec<Row>, exe: &std::path::Path, file: &std::path::Path, bytes: usize) {
    let f = file.as_os_str();
    let _ = bench::wall_secs(Command::new("cat").arg(f));
    let ours = |extra: &[&str]| {
        let mut c = Command::new(exe);
        c.args(["workload", "file-read"])
            .args(extra)
            .arg("--path")
            .arg(f);
        rate_of(bytes, bench::wall_secs(&mut c))
    };
    push(rows, "file-read cached (ours)", ours(&[]));
    let cat = bench::wall_secs(Command::new("cat").arg(f));
    push(rows, "cat", rate_of(bytes, cat));
    let mut dd = Command::new("dd");
    dd.arg(format!("if={}", file.display()))
        .args(["of=/dev/null", "bs=1M"]);
    push(rows, "dd bs=1M", rate_of(bytes, bench::wall_secs(&mut dd)));
    push(rows, "file-read --checksum (ours)", ours(&["--checksum"]));
    let md5 = bench::wall_secs(Command::new("md5sum").arg(f));
    push(rows, "md5sum", rate_of(bytes, md5));
}

/// Cold reads: ours after dropping this file's cache (POSIX_FADV_DONTNEED on our own file;
/// no system-wide drop_caches on a host) vs the device's sequential read (dd iflag=direct).
/// Ours leaves the file cached again for the next repetition.
fn cold_rows(rows: &mut Vec<Row>, exe: &std::path::Path, file: &std::path::Path, bytes: usize) {
    let mut dd = Command::new("dd");
    dd.arg(format!("if={}", file.display()))
        .args(["of=/dev/null", "bs=1M", "iflag=direct"]);
    push(
        rows,
        "dd bs=1M iflag=direct (device)",
        rate_of(bytes, bench::wall_secs(&mut dd)),
    );
    let mut ours = Command::new(exe);
    ours.args(["workload", "file-read", "--fadvise", "dontneed", "--path"])
        .arg(file);
    push(
        rows,
        "file-read cold (ours)",
        rate_of(bytes, bench::wall_secs(&mut ours)),
    );
}

/// Buffered writes + fdatasync: ours vs dd.
fn write_rows(rows: &mut Vec<Row>, exe: &std::path::Path, file: &std::path::Path, bytes: usize) {
    let out = file.with_extension("w");
    let mut ours = Command::new(exe);
    ours.args(["workload", "file-write", "--sync-at-end", "--bytes"])
        .arg(bytes.to_string())
        .arg("--path")
        .arg(&out);
    push(
        rows,
        "file-write + fdatasync (ours)",
        rate_of(bytes, bench::wall_secs(&mut ours)),
    );
    let mut dd = Command::new("dd");
    dd.args([
        "if=/dev/zero",
        &format!("of={}", out.display()),
        "bs=1M",
        &format!("count={}", bytes >> 20),
        "conv=fdatasync",
    ]);
    push(
        rows,
        "dd bs=1M conv=fdatasync",
        rate_of(bytes, bench::wall_secs(&mut dd)),
    );
    let _ = std::fs::remove_file(&out);
}

fn file_rep(rows: &mut Vec<Row>, file: &std::path::Path, bytes: usize) -> anyhow::Result<()> {
    let exe = me()?;
    cached_rows(rows, &exe, file, bytes);
    cold_rows(rows, &exe, file, bytes);
    write_rows(rows, &exe, file, bytes);
    Ok(())
}

/// The ratios `bench` prints: (candidate, peer, target; 0 = no target).
const RATIOS: &[(&str, &str, f64)] = &[
    (
        "anon first touch (ours, memset)",
        "stress-ng --vm write64",
        1.0,
    ),
    (
        "anon first touch (ours, word)",
        "plain page-touch loop",
        0.9,
    ),
    ("anon re-touch (ours)", "memset, resident buffer", 0.9),
    (
        "anon first touch (ours, word, progress)",
        "anon first touch (ours, word)",
        0.99,
    ),
    ("file-read cached (ours)", "cat", 1.0),
    ("file-read cached (ours)", "dd bs=1M", 0.0),
    ("file-read --checksum (ours)", "md5sum", 1.0),
    (
        "file-read cold (ours)",
        "dd bs=1M iflag=direct (device)",
        0.0,
    ),
    (
        "file-write + fdatasync (ours)",
        "dd bs=1M conv=fdatasync",
        0.0,
    ),
];

fn note_missing_peers() {
    for (tool, what) in [
        ("stress-ng", "anon"),
        ("md5sum", "file-read"),
        ("cat", "file-read"),
        ("dd", "file-read"),
    ] {
        if crate::host::which(tool).is_none() {
            eprintln!("note: {tool} not installed: its {what} comparison is skipped (apt-get install {tool})");
        }
    }
}

/// Every repetition's rows, candidates interleaved within each.
fn measure(a: &BenchArgs, bytes: usize) -> anyhow::Result<Vec<Row>> {
    let file = match a.what {
        What::Anon => None,
        _ => Some(
            bench::make_cached_file(&a.dir, bytes)
                .map_err(|e| usage(format!("--dir {}: {e}", a.dir.display())))?,
        ),
    };
    let mut rows = Vec::new();
    if a.what != What::FileRead {
        // Like hyperfine's warm-up runs: the very first touch of this much memory on a fresh
        // machine is slow for every candidate (the hypervisor backs the pages), and would
        // land on whichever candidate runs first.
        for _ in 0..2 {
            let _ = bench::plain_touch_rate(bytes);
        }
    }
    for rep in 1..=a.reps {
        eprintln!("rep {rep}/{}", a.reps);
        if a.what != What::FileRead {
            anon_rep(&mut rows, bytes, rep - 1);
        }
        if let Some(f) = &file {
            file_rep(&mut rows, f.path(), bytes)?;
        }
    }
    Ok(rows)
}

/// Runs `bench`.
pub fn run(a: BenchArgs) -> anyhow::Result<Exit> {
    let bytes =
        usize::try_from(parse_memparse(&a.size).map_err(|e| usage(format!("--size: {e}")))?)?;
    if a.reps == 0 {
        return Err(usage("--reps must be at least 1"));
    }
    note_missing_peers();
    let rows = measure(&a, bytes)?;
    let ratios = bench::ratios(&rows, RATIOS);
    print!("{}", bench::render(&rows, &ratios));
    if let Some(p) = &a.json {
        let host = crate::host::read_facts(std::path::Path::new("/"));
        let doc = serde_json::json!({"schema_version": 1, "tool_version": env!("CARGO_PKG_VERSION"),
            "kernel_release": host.kernel_release, "host": host,
            "size_bytes": bytes, "reps": a.reps, "rows": rows, "ratios": ratios});
        std::fs::write(p, serde_json::to_vec_pretty(&doc)?)?;
    }
    Ok(Exit::Ok)
}
