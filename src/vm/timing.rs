//! Where a `vm` run's time goes: the guest's one line per scenario (its verdict, wall time and
//! phases), written to the console by `run` inside our VM and parsed on the host as it comes
//! in, and the per-kernel totals (boot + phases summed over scenarios). Pure: no I/O, no
//! printing; the line is the only protocol between the guest's `run` and the host's `vm`.

use serde::{Deserialize, Serialize};

/// What starts a scenario line on the guest console.
pub const SCENARIO_MARKER: &str = "cgharness-scenario:";

/// One scenario's outcome and where its wall time went, in ms. A phase that could not be
/// measured (the scenario stopped before running) is `None`, never 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ScenarioTiming {
    /// The scenario's name as `run` was given it.
    pub scenario: String,
    /// `PASS`, `FAIL`, `CANNOT` (exit 3), `ERROR` (usage or infrastructure).
    pub verdict: String,
    /// From the scenario's start (catalogue lookup) to its report written, ms.
    pub wall_ms: u64,
    /// Scratch cgroups, files created (written, fsynced, dropped), knobs set, summed over runs.
    pub prepare_ms: Option<u64>,
    /// Tree, recorders and workloads until the last workload ended, summed over runs.
    pub run_ms: Option<u64>,
    /// Knobs restored, cgroups removed, files deleted, drop_caches, swap cycling and the wait
    /// for dying cgroups, summed over runs.
    pub cleanup_ms: Option<u64>,
    /// record.json after every run, then the analysis and report.json/html/junit files.
    pub save_ms: Option<u64>,
    /// The rest of the wall time: plan, placement, controllers, terminal output.
    pub idle_ms: Option<u64>,
}

/// The phase keys of a scenario line, in order.
const PHASES: [&str; 5] = ["prepare_ms", "run_ms", "cleanup_ms", "save_ms", "idle_ms"];

impl ScenarioTiming {
    fn phase(&self, i: usize) -> Option<u64> {
        [
            self.prepare_ms,
            self.run_ms,
            self.cleanup_ms,
            self.save_ms,
            self.idle_ms,
        ][i]
    }

    fn phase_mut(&mut self, key: &str) -> Option<&mut Option<u64>> {
        Some(match key {
            "prepare_ms" => &mut self.prepare_ms,
            "run_ms" => &mut self.run_ms,
            "cleanup_ms" => &mut self.cleanup_ms,
            "save_ms" => &mut self.save_ms,
            "idle_ms" => &mut self.idle_ms,
            _ => return None,
        })
    }

    /// Fills `idle_ms` as the wall time the four measured phases leave (when all are known).
    pub fn with_idle(mut self) -> ScenarioTiming {
        let parts = [self.prepare_ms, self.run_ms, self.cleanup_ms, self.save_ms];
        if parts.iter().all(Option::is_some) {
            let used: u64 = parts.iter().flatten().sum();
            self.idle_ms = Some(self.wall_ms.saturating_sub(used));
        }
        self
    }

    /// The console line: `cgharness-scenario: NAME VERDICT wall_ms=N prepare_ms=N …` (a phase
    /// not measured is left out).
    pub fn to_line(&self) -> String {
        let mut s = format!(
            "{SCENARIO_MARKER} {} {} wall_ms={}",
            self.scenario, self.verdict, self.wall_ms
        );
        for (i, key) in PHASES.iter().enumerate() {
            if let Some(v) = self.phase(i) {
                s.push_str(&format!(" {key}={v}"));
            }
        }
        s
    }

    /// Parses a console line written by [`ScenarioTiming::to_line`]; anything else (or a line
    /// a kernel message broke into) is `None`. Unknown `key=value` words are skipped.
    pub fn parse(line: &str) -> Option<ScenarioTiming> {
        let rest = line.trim_end().strip_prefix(SCENARIO_MARKER)?;
        let mut words = rest.split_whitespace();
        let mut t = ScenarioTiming {
            scenario: words.next()?.to_string(),
            verdict: words.next()?.to_string(),
            ..ScenarioTiming::default()
        };
        let mut wall = None;
        for w in words {
            let (k, v) = w.split_once('=')?;
            let v: u64 = v.parse().ok()?;
            match (k, t.phase_mut(k)) {
                ("wall_ms", _) => wall = Some(v),
                (_, Some(slot)) => *slot = Some(v),
                (_, None) => {}
            }
        }
        t.wall_ms = wall?;
        Some(t)
    }
}

/// One kernel's (one boot's) time: qemu start to init start, and its scenarios.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KernelTiming {
    /// Host wall time from qemu's start to the guest's `cgharness-init: started` line, ms
    /// (`None` when init never started).
    pub boot_ms: Option<u64>,
    /// Host wall time from qemu's start to its exit, ms.
    pub qemu_wall_ms: u64,
    /// The scenarios' lines, in the order they came.
    pub scenarios: Vec<ScenarioTiming>,
}

/// A phase's total over a kernel's scenarios, ms: `None` when no scenario measured it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PhaseTotals {
    /// Summed `prepare_ms`.
    pub prepare_ms: Option<u64>,
    /// Summed `run_ms`.
    pub run_ms: Option<u64>,
    /// Summed `cleanup_ms`.
    pub cleanup_ms: Option<u64>,
    /// Summed `save_ms`.
    pub save_ms: Option<u64>,
    /// Summed `idle_ms`.
    pub idle_ms: Option<u64>,
}

impl PhaseTotals {
    /// The totals as (name, ms) in phase order.
    pub fn named(&self) -> [(&'static str, Option<u64>); 5] {
        [
            ("prepare", self.prepare_ms),
            ("run", self.run_ms),
            ("cleanup", self.cleanup_ms),
            ("save", self.save_ms),
            ("idle", self.idle_ms),
        ]
    }
}

impl KernelTiming {
    /// Each phase summed over the scenarios that measured it.
    pub fn totals(&self) -> PhaseTotals {
        let sum = |i: usize| {
            let v: Vec<u64> = self.scenarios.iter().filter_map(|s| s.phase(i)).collect();
            (!v.is_empty()).then(|| v.iter().sum())
        };
        PhaseTotals {
            prepare_ms: sum(0),
            run_ms: sum(1),
            cleanup_ms: sum(2),
            save_ms: sum(3),
            idle_ms: sum(4),
        }
    }
}

/// Seconds for a terminal: one decimal below 10 s, whole seconds above.
pub fn seconds(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} s", (ms + 500) / 1000)
    }
}

/// The one-line time budget of a kernel: `REL: boot 1.8 s, prepare 12 s, run 80 s, …`
/// (phases no scenario measured are left out; `boot ?` when init never started).
pub fn summary_line(release: &str, t: &KernelTiming) -> String {
    let boot = t.boot_ms.map_or_else(|| "?".to_string(), seconds);
    let mut s = format!("{release}: boot {boot}");
    for (name, ms) in t.totals().named() {
        if let Some(ms) = ms {
            s.push_str(&format!(", {name} {}", seconds(ms)));
        }
    }
    s.push_str(&format!(
        " ({} scenarios, qemu {} in all)",
        t.scenarios.len(),
        seconds(t.qemu_wall_ms)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, phases: [u64; 4], wall: u64) -> ScenarioTiming {
        ScenarioTiming {
            scenario: name.into(),
            verdict: "PASS".into(),
            wall_ms: wall,
            prepare_ms: Some(phases[0]),
            run_ms: Some(phases[1]),
            cleanup_ms: Some(phases[2]),
            save_ms: Some(phases[3]),
            idle_ms: None,
        }
        .with_idle()
    }

    #[test]
    fn a_line_round_trips_and_idle_is_the_rest() {
        let t = one("anon-oom", [1200, 8000, 2100, 300], 11_900);
        assert_eq!(t.idle_ms, Some(300));
        let line = t.to_line();
        assert_eq!(
            line,
            "cgharness-scenario: anon-oom PASS wall_ms=11900 prepare_ms=1200 run_ms=8000 cleanup_ms=2100 save_ms=300 idle_ms=300"
        );
        assert_eq!(ScenarioTiming::parse(&line), Some(t));
    }

    #[test]
    fn an_unmeasured_phase_stays_missing_and_broken_lines_are_refused() {
        let t = ScenarioTiming {
            scenario: "x".into(),
            verdict: "ERROR".into(),
            wall_ms: 40,
            ..Default::default()
        }
        .with_idle();
        assert_eq!(t.idle_ms, None, "no idle without the four phases");
        assert_eq!(
            ScenarioTiming::parse(&t.to_line()).unwrap().prepare_ms,
            None
        );
        let cut = "cgharness-scenario: anon-oom PASS wall_ms=11[   3.1] oom-kill";
        assert_eq!(ScenarioTiming::parse(cut), None);
        assert_eq!(ScenarioTiming::parse("PASS: anon-oom"), None);
        assert_eq!(
            ScenarioTiming::parse("cgharness-scenario: a PASS prepare_ms=1"),
            None,
            "wall time is required"
        );
    }

    #[test]
    fn totals_sum_what_was_measured_and_the_summary_names_them() {
        let mut err = one("b", [0, 0, 0, 0], 0);
        err.prepare_ms = None;
        err.idle_ms = None;
        let t = KernelTiming {
            boot_ms: Some(1840),
            qemu_wall_ms: 118_000,
            scenarios: vec![one("a", [12_000, 80_000, 20_000, 3000], 116_000), err],
        };
        let tot = t.totals();
        assert_eq!(tot.prepare_ms, Some(12_000));
        assert_eq!(tot.idle_ms, Some(1000));
        assert_eq!(
            summary_line("6.12.118", &t),
            "6.12.118: boot 1.8 s, prepare 12 s, run 80 s, cleanup 20 s, save 3.0 s, idle 1.0 s (2 scenarios, qemu 118 s in all)"
        );
        let none = KernelTiming::default();
        assert_eq!(
            summary_line("k", &none),
            "k: boot ? (0 scenarios, qemu 0.0 s in all)"
        );
    }
}
