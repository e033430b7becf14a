//! Booting one kernel until it hands back an exit record: retries of a kernel that died
//! before init started or panicked early (emulation crashes, not the scenario's doing), and
//! the fallback from KVM to TCG.

use super::*;

/// What every boot of one kernel shares.
pub(super) struct Boot<'a> {
    pub qemu: &'a str,
    pub req: &'a VmRequest,
    pub out: &'a Path,
    pub results: &'a Path,
}

/// Boots (on a fresh results disk each time) and reads the exit record. A guest whose kernel
/// panicked within its first 20 s of uptime without an exit record is booted again, up to
/// `retries` times, its console kept as console-early-panic-K.log: under TCG a 7.2 guest
/// oopsed at a patched NOP in the allocator at the run's first cgroup mkdir, 0.5 s into the
/// command (docs/kernel-notes.md) — a crash of the emulation, before the scenario did
/// anything. A later panic, or "System is deadlocked on memory", is never retried.
pub(super) fn boot_until_record(
    b: &Boot,
    cfg: &mut qemu::QemuConfig,
    memo: &mut Option<Accel>,
) -> anyhow::Result<(qemu::RunOutcome, u32, Option<channel::ExitRecord>)> {
    let (mut total, mut panics) = (0, 0);
    loop {
        disks::results_image(b.results.parent().unwrap_or(Path::new(".")))?;
        let (o, boots) = boot_with_retries(b.qemu, cfg, b.req, b.out, memo)?;
        total += boots;
        let record = channel::read_results(b.results, b.out)?;
        match (&record, early_panic(&o.tail)) {
            (None, Some(t)) if panics < b.req.retries => {
                panics += 1;
                let kept = b.out.join(format!("console-early-panic-{panics}.log"));
                let _ = std::fs::copy(b.out.join("console.log"), &kept);
                eprintln!(
                    "  the kernel panicked at uptime {t:.1} s with no exit record (kept in {}); booting again",
                    kept.display()
                );
            }
            _ => return Ok((o, total, record)),
        }
    }
}

/// The uptime of a `Kernel panic` line in the console tail, when it came in the first 20 s
/// and is not the deadlock panic.
fn early_panic(tail: &[String]) -> Option<f64> {
    if tail
        .iter()
        .any(|l| l.contains("System is deadlocked on memory"))
    {
        return None;
    }
    let line = tail
        .iter()
        .find(|l| l.contains("Kernel panic - not syncing"))?;
    let t: f64 = line
        .split(']')
        .next()?
        .trim_start_matches('[')
        .trim()
        .parse()
        .ok()?;
    (t < 20.0).then_some(t)
}

/// Boots, retrying a boot that died before init started and falling back from KVM to TCG.
fn boot_with_retries(
    qemu_bin: &str,
    cfg: &mut qemu::QemuConfig,
    req: &VmRequest,
    out: &Path,
    memo: &mut Option<Accel>,
) -> anyhow::Result<(qemu::RunOutcome, u32)> {
    let mut boots = 0;
    let mut early_deaths = 0;
    loop {
        boots += 1;
        let o = qemu::run(
            qemu_bin,
            cfg,
            req.timeout,
            &out.join("console.log"),
            req.echo,
            req.on_scenario.clone(),
        )?;
        let kvm_failed =
            cfg.accel == Accel::Kvm && (matches!(o.ending, Ending::KvmError(_)) || !o.init_started);
        if kvm_failed && req.accel == Accel::Auto {
            eprintln!(
                "  KVM failed ({}); falling back to TCG",
                first_line(&o.stderr)
            );
            cfg.accel = Accel::Tcg;
            *memo = Some(Accel::Tcg);
            remember_kvm_broken(&o.stderr);
            continue;
        }
        match &o.ending {
            Ending::TimedOut => {
                return Err(infrastructure(format!(
                    "the VM timed out after {:?} and was killed; last console lines:\n{}",
                    req.timeout,
                    o.tail.join("\n")
                )))
            }
            Ending::Interrupted => return Err(infrastructure("interrupted; the VM was killed")),
            Ending::KvmError(e) => {
                return Err(infrastructure(format!(
                    "KVM internal error (try --accel tcg):\n{e}"
                )))
            }
            Ending::Exited(_) if !o.init_started && early_deaths < req.retries => {
                early_deaths += 1;
                eprintln!("  the kernel died before init started (boot {boots}); retrying");
                continue;
            }
            Ending::Exited(_) => {
                if req.accel == Accel::Auto {
                    *memo = Some(cfg.accel);
                }
                return Ok((o, boots));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::early_panic;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_an_early_oops_panic_is_retried() {
        let oops = lines(&[
            "[    4.029771] RIP: 0010:__kmalloc_flags_noprof+0x1f2/0x6c0",
            "[    4.030320] Kernel panic - not syncing: Fatal exception in interrupt",
        ]);
        assert_eq!(early_panic(&oops), Some(4.03032));
        let late = lines(&["[   45.1] Kernel panic - not syncing: Fatal exception"]);
        assert_eq!(early_panic(&late), None);
        let deadlock =
            lines(&["[    9.0] Kernel panic - not syncing: System is deadlocked on memory"]);
        assert_eq!(early_panic(&deadlock), None);
        assert_eq!(early_panic(&lines(&["[ 3.0] all is well"])), None);
    }
}
