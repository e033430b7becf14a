//! qemu: the argv built by small pure functions, and a runner that holds the child in a guard
//! (killed on drop), enforces a deadline, streams the serial console to a log (and, optionally,
//! to the terminal) and watches stderr for a KVM internal error, on which qemu pauses rather
//! than exits.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::timing::ScenarioTiming;

/// Called with each scenario line as the guest prints it (the UI's progress line).
#[derive(Clone)]
pub struct ScenarioSink(pub Arc<dyn Fn(&ScenarioTiming) + Send + Sync>);

impl std::fmt::Debug for ScenarioSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScenarioSink")
    }
}

/// What the console pump saw.
#[derive(Default)]
struct Seen {
    tail: Vec<String>,
    init_after: Option<Duration>,
    scenarios: Vec<ScenarioTiming>,
}

/// The accelerator.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    /// Try KVM, fall back to TCG on the first failure.
    Auto,
    /// Hardware virtualisation.
    Kvm,
    /// Software emulation.
    Tcg,
}

/// A virtio disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// Image file (raw).
    pub path: PathBuf,
    /// virtio serial the guest finds it by.
    pub serial: String,
    /// Discard writes (qemu `snapshot=on`), keeping a cached image pristine.
    pub snapshot: bool,
}

/// Everything qemu is started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuConfig {
    /// bzImage.
    pub kernel: PathBuf,
    /// initramfs.
    pub initrd: PathBuf,
    /// Kernel command line.
    pub cmdline: String,
    /// Guest memory, MiB.
    pub mem_mib: u64,
    /// vCPUs.
    pub cpus: u32,
    /// `Kvm` or `Tcg` (never `Auto` here).
    pub accel: Accel,
    /// Disks, in order.
    pub disks: Vec<Disk>,
}

/// The kernel command line: console on ttyS0, quiet, panic powers off at once.
pub fn cmdline(extra: &str) -> String {
    let base = "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic rdinit=/init";
    if extra.trim().is_empty() {
        base.to_string()
    } else {
        format!("{base} {}", extra.trim())
    }
}

/// The qemu argument vector (without the program name).
pub fn argv(c: &QemuConfig) -> Vec<String> {
    let mut a: Vec<String> = [
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-serial",
        "stdio",
        "-monitor",
        "none",
        "-no-reboot",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (accel, cpu) = match c.accel {
        Accel::Kvm => ("kvm", "host"),
        _ => ("tcg", "max"),
    };
    a.extend(["-accel".into(), accel.into(), "-cpu".into(), cpu.into()]);
    a.extend([
        "-m".into(),
        format!("{}M", c.mem_mib),
        "-smp".into(),
        c.cpus.to_string(),
    ]);
    a.extend([
        "-kernel".into(),
        c.kernel.display().to_string(),
        "-initrd".into(),
        c.initrd.display().to_string(),
    ]);
    a.extend(["-append".into(), c.cmdline.clone()]);
    for (i, d) in c.disks.iter().enumerate() {
        let snap = if d.snapshot { ",snapshot=on" } else { "" };
        a.push("-drive".into());
        a.push(format!(
            "if=none,id=d{i},file={},format=raw,cache=unsafe{snap}",
            d.path.display()
        ));
        a.push("-device".into());
        a.push(format!("virtio-blk-pci,drive=d{i},serial={}", d.serial));
    }
    a
}

/// How a qemu run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// qemu exited by itself (the guest powered off, or qemu failed) with this status.
    Exited(Option<i32>),
    /// The deadline passed and qemu was killed.
    TimedOut,
    /// KVM reported an internal error (qemu paused) and was killed.
    KvmError(String),
    /// The user interrupted; qemu was killed.
    Interrupted,
}

/// A qemu process that is killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The outcome of [`run`].
#[derive(Debug)]
pub struct RunOutcome {
    /// How it ended.
    pub ending: Ending,
    /// Whether the guest init's start marker was seen on the console.
    pub init_started: bool,
    /// From qemu's start to the init's start marker on the console (the boot).
    pub init_after: Option<Duration>,
    /// The guest's scenario lines (`run` in our VM), in the order they came.
    pub scenarios: Vec<ScenarioTiming>,
    /// The last console lines (for error messages).
    pub tail: Vec<String>,
    /// qemu's stderr.
    pub stderr: String,
    /// Wall time from spawn to end.
    pub wall: Duration,
}

/// Runs qemu until it exits, the deadline passes or the user interrupts. The console goes to
/// `console_log`, and to stdout when `echo` is set; each scenario line to `sink` as it comes.
pub fn run(
    qemu: &str,
    cfg: &QemuConfig,
    timeout: Duration,
    console_log: &Path,
    echo: bool,
    sink: Option<ScenarioSink>,
) -> anyhow::Result<RunOutcome> {
    let start = Instant::now();
    let child = Command::new(qemu)
        .args(argv(cfg))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            crate::exit::host_cannot(format!(
                "cannot start {qemu}: {e}; install it with `apt-get install qemu-system-x86`"
            ))
        })?;
    let mut guard = Guard(child);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stdout = guard
        .0
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("qemu stdout not captured"))?;
    let log = std::fs::File::create(console_log)?;
    let console = {
        let seen = seen.clone();
        let pump = Pump { start, echo, sink };
        std::thread::spawn(move || pump.run(stdout, log, &seen))
    };
    let stderr_buf = Arc::new(Mutex::new(String::new()));
    let stderr = guard
        .0
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("qemu stderr not captured"))?;
    let err_thread = {
        let buf = stderr_buf.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut b) = buf.lock() {
                    b.push_str(&line);
                    b.push('\n');
                }
            }
        })
    };
    let ending = wait(&mut guard, start, timeout, &stderr_buf)?;
    drop(guard);
    let _ = console.join();
    let _ = err_thread.join();
    let seen = seen
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    let stderr = stderr_buf.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(RunOutcome {
        ending,
        init_started: seen.init_after.is_some(),
        init_after: seen.init_after,
        scenarios: seen.scenarios,
        tail: seen.tail,
        stderr,
        wall: start.elapsed(),
    })
}

fn wait(
    guard: &mut Guard,
    start: Instant,
    timeout: Duration,
    stderr: &Mutex<String>,
) -> anyhow::Result<Ending> {
    loop {
        if let Some(st) = guard.0.try_wait()? {
            return Ok(Ending::Exited(st.code()));
        }
        let err_text = stderr.lock().map(|s| s.clone()).unwrap_or_default();
        if err_text.contains("KVM internal error") || err_text.contains("KVM: entry failed") {
            return Ok(Ending::KvmError(err_text));
        }
        if start.elapsed() > timeout {
            return Ok(Ending::TimedOut);
        }
        if crate::interrupt::requested() {
            return Ok(Ending::Interrupted);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The console reader's settings.
struct Pump {
    start: Instant,
    echo: bool,
    sink: Option<ScenarioSink>,
}

impl Pump {
    /// Copies the console to `log` (and stdout when echoing), noting the init's start, the
    /// scenario lines and the last lines.
    fn run(self, stdout: impl std::io::Read, mut log: std::fs::File, seen: &Mutex<Seen>) {
        let mut reader = BufReader::new(stdout);
        let mut raw = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut raw) {
            if n == 0 {
                break;
            }
            let _ = log.write_all(&raw);
            let line = String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_string();
            raw.clear();
            let Ok(mut seen) = seen.lock() else { break };
            if line.starts_with(super::guest::INIT_MARKER) {
                seen.init_after.get_or_insert(self.start.elapsed());
                continue;
            }
            if let Some(t) = ScenarioTiming::parse(&line) {
                if let Some(sink) = &self.sink {
                    (sink.0)(&t);
                }
                seen.scenarios.push(t);
                continue;
            }
            if self.echo
                && !line.starts_with("cgharness-init:")
                && !line.ends_with("reboot: Power down")
            {
                println!("{line}");
            }
            seen.tail.push(line);
            if seen.tail.len() > 30 {
                seen.tail.remove(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(accel: Accel) -> QemuConfig {
        QemuConfig {
            kernel: "/k/vmlinuz".into(),
            initrd: "/k/initrd".into(),
            cmdline: cmdline("transparent_hugepage=never"),
            mem_mib: 1024,
            cpus: 2,
            accel,
            disks: vec![Disk {
                path: "/d/data.img".into(),
                serial: "cgh-data".into(),
                snapshot: true,
            }],
        }
    }

    #[test]
    fn tcg_argv_has_kernel_disks_and_no_defaults() {
        let a = argv(&cfg(Accel::Tcg));
        let s = a.join(" ");
        assert!(s.starts_with("-nodefaults"), "{s}");
        assert!(s.contains("-accel tcg -cpu max -m 1024M -smp 2"), "{s}");
        assert!(
            s.contains("if=none,id=d0,file=/d/data.img,format=raw,cache=unsafe,snapshot=on"),
            "{s}"
        );
        assert!(s.contains("virtio-blk-pci,drive=d0,serial=cgh-data"), "{s}");
        let i = a.iter().position(|x| x == "-append").unwrap();
        assert!(
            a[i + 1].ends_with("rdinit=/init transparent_hugepage=never"),
            "{}",
            a[i + 1]
        );
    }

    #[test]
    fn kvm_uses_host_cpu() {
        assert!(argv(&cfg(Accel::Kvm))
            .join(" ")
            .contains("-accel kvm -cpu host"));
    }

    #[test]
    fn panics_power_off_instead_of_hanging() {
        let c = cmdline("");
        assert!(c.contains("panic=-1") && c.contains("console=ttyS0"), "{c}");
    }
}
