//! `workload anon`: map and touch anonymous memory like `stress-ng --vm --vm-keep`, with a
//! paced first touch (a slow climb or a staircase), re-touch passes, free-and-repeat cycles
//! and a spike on top, then hold.

use super::{bytes_arg, hold_of, Toggle};
use crate::workload::anon::{Align, AnonRegion, Fill, Method};
use crate::workload::fidelity::defaults;
use crate::workload::hold;
use crate::workload::progress::{Progress, BATCH_BYTES};
use std::time::{Duration, Instant};

/// Options of `workload anon`.
#[derive(Debug, clap::Args)]
pub struct AnonArgs {
    /// Bytes to map and touch (memparse: 4G = 4 GiB).
    #[arg(long)]
    bytes: String,
    /// How pages are first touched.
    #[arg(long, value_enum, default_value = defaults::METHOD)]
    method: Method,
    /// What the pages hold (non-zero by default: 6.12+ treats zero pages specially).
    #[arg(long, value_enum, default_value = defaults::FILL)]
    fill: Fill,
    /// Ask for (on) or against (off) transparent huge pages (madvise).
    #[arg(long)]
    thp: Option<Toggle>,
    /// Where the mapping starts: `kernel` (its choice: 6.12+ puts a length that is a multiple
    /// of 2 MiB on a 2 MiB boundary), `huge` (on a 2 MiB boundary) or `page` (one page past
    /// one, never huge-page aligned). The output says where it started.
    #[arg(long, value_enum, default_value = defaults::ALIGN)]
    align: Align,
    /// mlock the region.
    #[arg(long)]
    mlock: bool,
    /// Re-touch passes (every byte rewritten) after the first touch.
    #[arg(long, default_value_t = defaults::ANON_PASSES)]
    passes: u32,
    /// Hold time after touching, ms (default: until killed).
    #[arg(long)]
    hold_ms: Option<u64>,
    /// Limit the first touch's growth to this many bytes per second (a slow climb).
    #[arg(long)]
    rate: Option<String>,
    /// With --rate: grow in steps of this size at full speed, pausing between them (a
    /// staircase); default 2M.
    #[arg(long, requires = "rate")]
    step: Option<String>,
    /// After touching, map and touch this much more, hold it --spike-ms, then free it (a
    /// sudden spike on top of the working set). In a scenario this gives the marks
    /// `NAME:spike` (held) and `NAME:spike_end` (freed).
    #[arg(long)]
    spike: Option<String>,
    /// How long the spike is held, ms.
    #[arg(long, default_value_t = defaults::SPIKE_MS, requires = "spike")]
    spike_ms: u64,
    /// Free the region and map and touch it again, this many times in all (free-and-repeat
    /// instead of keep); the last one is held.
    #[arg(long, default_value_t = defaults::CYCLES, value_parser = clap::value_parser!(u32).range(1..))]
    cycles: u32,
}

/// Sleeps so that `done` bytes take at least `done / rate` seconds since `start`.
fn pace(start: Instant, done: u64, rate: Option<u64>) {
    if let Some(r) = rate.filter(|r| *r > 0) {
        let due = Duration::from_secs_f64(done as f64 / r as f64);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

impl AnonArgs {
    fn region(&self) -> anyhow::Result<AnonRegion> {
        let region = AnonRegion::map_aligned(bytes_arg("bytes", &self.bytes)?, self.align)?;
        if let Some(t) = self.thp {
            region.advise_thp(t == Toggle::On)?;
        }
        if self.mlock {
            region.lock()?;
        }
        Ok(region)
    }

    /// The first touch, paced by --rate/--step; returns (pages, ns).
    fn first_touch(
        &self,
        region: &mut AnonRegion,
        p: &mut Progress,
    ) -> anyhow::Result<(usize, u64)> {
        let rate = self
            .rate
            .as_ref()
            .map(|r| bytes_arg("rate", r))
            .transpose()?;
        let step = self
            .step
            .as_ref()
            .map(|s| bytes_arg("step", s))
            .transpose()?;
        // Without a progress reader or pacing, touch in one piece: chunking a large memset
        // keeps glibc below its non-temporal-store threshold (measured: 19 → 15 GiB/s).
        let batch = match (rate, p.enabled()) {
            (Some(_), _) => step.unwrap_or(2 << 20) as u64,
            (None, true) => BATCH_BYTES,
            (None, false) => u64::MAX,
        };
        let rate = rate.map(|r| r as u64);
        let start = Instant::now();
        let pages = region.touch_reporting(self.method, self.fill, batch, &mut |b| {
            p.emit("progress", b, 0);
            pace(start, b, rate);
        })?;
        Ok((pages, start.elapsed().as_nanos() as u64))
    }

    /// Maps, touches, holds and frees `--spike` bytes more.
    fn spike(&self, p: &mut Progress, pass: u32) -> anyhow::Result<()> {
        let Some(s) = &self.spike else { return Ok(()) };
        let mut extra = AnonRegion::map(bytes_arg("spike", s)?)?;
        extra.touch(self.method, self.fill)?;
        p.emit("spike", extra.len() as u64, pass);
        std::thread::sleep(Duration::from_millis(self.spike_ms));
        drop(extra);
        p.emit("spike_end", 0, pass);
        Ok(())
    }

    pub(super) fn run(self, p: &mut Progress) -> anyhow::Result<()> {
        let batch = if p.enabled() { BATCH_BYTES } else { u64::MAX };
        p.emit("start", 0, 0);
        let (mut pass, mut first_ns, mut pass_ns, mut pages) = (0, Vec::new(), Vec::new(), 0);
        let mut held: Option<AnonRegion> = None;
        for cycle in 0..self.cycles {
            drop(held.take()); // free the previous cycle's region before mapping again
            let mut region = self.region()?;
            let (n, ns) = self.first_touch(&mut region, p)?;
            (pages, pass) = (n, pass + u32::from(cycle > 0));
            first_ns.push(ns);
            p.emit("pass_end", region.len() as u64, pass);
            for _ in 0..self.passes {
                pass += 1;
                let t = Instant::now();
                region.fill_reporting(self.fill, batch, &mut |b| p.emit("progress", b, pass));
                pass_ns.push(t.elapsed().as_nanos() as u64);
                p.emit("pass_end", region.len() as u64, pass);
            }
            held = Some(region);
        }
        let len = held.as_ref().map_or(0, |r| r.len());
        self.spike(p, pass)?;
        p.emit("end", len as u64, pass);
        let aligned = held.as_ref().map(AnonRegion::huge_aligned);
        let doc = serde_json::json!({"workload": "anon", "bytes": len, "pages": pages,
            "method": self.method, "fill": self.fill, "align": self.align,
            "start_2m_aligned": aligned, "first_touch_ns": first_ns.first(),
            "cycle_touch_ns": first_ns, "pass_ns": pass_ns});
        println!("{doc}");
        hold(hold_of(self.hold_ms));
        Ok(())
    }
}
