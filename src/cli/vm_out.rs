//! What `vm` prints for a `run` in the guest: one progress line per scenario per kernel as the
//! guest reports it, and the final table (a verdict and seconds per scenario and kernel, then
//! boot and the phases summed per kernel). Renders only: the figures come from vm::timing.

use crate::vm::timing::{seconds, KernelTiming, ScenarioTiming};
use std::fmt::Write;

/// `[2/3] debian:6.12: anon-oom PASS 12.3 s`.
pub fn progress_line(i: usize, n: usize, kernel: &str, t: &ScenarioTiming) -> String {
    format!(
        "[{}/{n}] {kernel}: {} {} {}",
        i + 1,
        t.scenario,
        t.verdict,
        seconds(t.wall_ms)
    )
}

/// The final table over the kernels (`(label, timing)`, in the order given): a row per
/// scenario (in the order they first came) with each kernel's verdict and seconds (`-` where
/// a kernel has no line for it), then boot and each phase's total per kernel.
pub fn table(kernels: &[(String, KernelTiming)]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for (_, k) in kernels {
        for s in &k.scenarios {
            if !names.contains(&s.scenario.as_str()) {
                names.push(&s.scenario);
            }
        }
    }
    let first = names.iter().map(|n| n.len()).max().unwrap_or(0).max(8);
    let widths: Vec<usize> = kernels.iter().map(|(l, _)| l.len().max(14)).collect();
    let mut out = String::new();
    let mut row = |label: &str, cells: Vec<String>| {
        let _ = write!(out, "{label:<first$}");
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {c:<w$}");
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    };
    row("scenario", kernels.iter().map(|(l, _)| l.clone()).collect());
    for name in &names {
        let cells = kernels
            .iter()
            .map(
                |(_, k)| match k.scenarios.iter().find(|s| s.scenario == *name) {
                    Some(s) => format!("{:<6} {:>6}", s.verdict, seconds(s.wall_ms)),
                    None => "-".to_string(),
                },
            )
            .collect();
        row(name, cells);
    }
    let ms = |v: Option<u64>| v.map_or_else(|| "-".to_string(), seconds);
    row("boot", kernels.iter().map(|(_, k)| ms(k.boot_ms)).collect());
    for (i, phase) in ["prepare", "run", "cleanup", "save", "idle"]
        .iter()
        .enumerate()
    {
        let cells = kernels
            .iter()
            .map(|(_, k)| ms(k.totals().named()[i].1))
            .collect();
        row(phase, cells);
    }
    out
}

/// What the terminal gets: `quiet` (the final table only), `run` (a `run` in the guest:
/// progress lines per scenario and the table).
pub struct Ui {
    /// `-q`.
    pub quiet: bool,
    /// The guest command is `run`.
    pub run: bool,
}

impl Ui {
    /// `-q` or not; whether the guest command is `run`.
    pub fn new(quiet: bool, run: bool) -> Ui {
        Ui { quiet, run }
    }
}

/// Each kernel's (boot's) time, with its index to keep the kernels' order in the table.
pub type Timings = std::sync::Mutex<Vec<(usize, String, crate::vm::timing::KernelTiming)>>;

/// With `run` in the guest and not quiet: a progress line per scenario as it ends.
pub fn progress_sink(
    ui: &Ui,
    i: usize,
    n: usize,
    spec: &str,
) -> Option<crate::vm::qemu::ScenarioSink> {
    if ui.quiet || !ui.run {
        return None;
    }
    let spec = spec.to_string();
    Some(crate::vm::qemu::ScenarioSink(std::sync::Arc::new(
        move |t| {
            eprintln!("{}", progress_line(i, n, &spec, t));
        },
    )))
}

/// The final table, in the kernels' order (with `run`, and once a kernel reported).
pub fn print_table(ui: &Ui, timings: Timings) {
    let mut timings = timings.into_inner().unwrap_or_default();
    timings.sort_by_key(|t| t.0);
    if ui.run && !timings.is_empty() {
        let rows: Vec<_> = timings.into_iter().map(|(_, l, t)| (l, t)).collect();
        print!("\n{}", table(&rows));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, verdict: &str, wall: u64) -> ScenarioTiming {
        ScenarioTiming {
            scenario: name.into(),
            verdict: verdict.into(),
            wall_ms: wall,
            prepare_ms: Some(1000),
            run_ms: Some(wall - 2000),
            cleanup_ms: Some(500),
            save_ms: Some(400),
            idle_ms: Some(100),
        }
    }

    #[test]
    fn a_progress_line_names_kernel_scenario_verdict_and_seconds() {
        assert_eq!(
            progress_line(1, 3, "debian:6.12", &s("anon-oom", "PASS", 12_345)),
            "[2/3] debian:6.12: anon-oom PASS 12 s"
        );
    }

    #[test]
    fn the_table_has_a_row_per_scenario_and_the_phase_totals() {
        let a = KernelTiming {
            boot_ms: Some(1800),
            qemu_wall_ms: 30_000,
            scenarios: vec![s("anon-oom", "PASS", 9000), s("limit-kill", "FAIL", 12_000)],
        };
        let b = KernelTiming {
            boot_ms: None,
            qemu_wall_ms: 9000,
            scenarios: vec![s("anon-oom", "PASS", 8000)],
        };
        let t = table(&[("6.1.0-57".into(), a), ("7.2.13".into(), b)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 9, "{t}");
        assert_eq!(lines[0], "scenario    6.1.0-57        7.2.13");
        assert_eq!(lines[1], "anon-oom    PASS    9.0 s   PASS    8.0 s");
        assert_eq!(lines[2], "limit-kill  FAIL     12 s   -");
        assert_eq!(lines[3], "boot        1.8 s           -");
        assert_eq!(lines[4], "prepare     2.0 s           1.0 s");
        assert_eq!(lines[5], "run         17 s            6.0 s");
    }
}
