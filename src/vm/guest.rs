//! The guest's init: cgharness itself as PID 1 in our VM. It mounts proc/sys/devtmpfs/cgroup2,
//! loads the kernel modules it was given, enables swap, mounts the ext4 data disk, runs the
//! planned command in `/out`, writes `/out` plus an exit record to the results disk and powers
//! off. It never returns: on any failure it records the error and powers off, so the host sees
//! an exit record or, if the kernel died, none at all.

use super::channel::{self, ExitRecord};
use super::plan::GuestPlan;
use nix::mount::{mount, MsFlags};
use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the plan lies in the initramfs.
pub const PLAN_PATH: &str = "/cgharness/plan.json";
/// Where modules lie in the initramfs.
pub const MODULES_DIR: &str = "/cgharness/modules";
/// Printed once init runs, so the host can tell an early kernel death from a failed run.
pub const INIT_MARKER: &str = "cgharness-init: started";

/// Runs as PID 1 and powers the machine off; never returns.
pub fn main_as_init() -> ! {
    let start_ms = uptime_ms();
    println!("{INIT_MARKER} at uptime {start_ms} ms");
    let record = match run_init(start_ms) {
        Ok(r) => r,
        Err(e) => {
            println!("cgharness-init: error: {e:#}");
            ExitRecord::init_failed(format!("{e:#}"), start_ms)
        }
    };
    if let Err(e) = finish(&record) {
        println!("cgharness-init: could not write the results disk: {e:#}");
    }
    nix::unistd::sync();
    let _ = nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_POWER_OFF);
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn run_init(start_ms: u64) -> anyhow::Result<ExitRecord> {
    mount_basics()?;
    let plan: GuestPlan = serde_json::from_slice(&std::fs::read(PLAN_PATH)?)?;
    for m in &plan.modules {
        load_module(&Path::new(MODULES_DIR).join(m))?;
        step(&format!("module {m} loaded"));
    }
    let disks = wait_for_disks(&plan.disk_serials(), Duration::from_secs(10))?;
    step("disks found");
    if let Some(swap) = disks.get(channel::SWAP_SERIAL) {
        swapon(swap)?;
        step("swap on");
    }
    if let Some(data) = disks.get(channel::DATA_SERIAL) {
        std::fs::create_dir_all("/data")?;
        mount(
            Some(data.as_path()),
            "/data",
            Some("ext4"),
            MsFlags::MS_NOATIME,
            None::<&str>,
        )
        .map_err(|e| anyhow::anyhow!("mounting {} on /data: {e}", data.display()))?;
    }
    step("data mounted");
    loopback_up();
    out_dir(disks.contains_key(channel::DATA_SERIAL))?;
    let cmd_start_ms = uptime_ms();
    let status = std::process::Command::new(&plan.argv[0])
        .args(&plan.argv[1..])
        .current_dir("/out")
        .env("PATH", "/cgharness/bin:/bin")
        .env("CGHARNESS_IN_VM", "1")
        .envs(plan.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .status();
    let cmd_end_ms = uptime_ms();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(-1),
        nix::sys::signal::Signal::SIGKILL,
    );
    let (code, signal) = match status {
        Ok(s) => (s.code(), s.signal()),
        Err(e) => anyhow::bail!("starting {}: {e}", plan.argv[0]),
    };
    let mut rec = ExitRecord::finished(code, signal, start_ms, cmd_start_ms, cmd_end_ms);
    rec.guest = guest_facts();
    Ok(rec)
}

/// What the guest kernel says about itself, for the record.
fn guest_facts() -> std::collections::BTreeMap<String, String> {
    let f = crate::host::read_facts(Path::new("/"));
    let mut m = std::collections::BTreeMap::new();
    m.insert("kernel_release".to_string(), f.kernel_release);
    let optional = [
        ("clocksource", f.clocksource),
        ("thp_enabled", f.thp_enabled),
        ("lru_gen_enabled", f.lru_gen_enabled),
        ("cpu_model", f.cpu_model),
        ("mem_total_bytes", f.mem_total_bytes.map(|b| b.to_string())),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    m
}

/// Logs an init step with the uptime to the console (kept in console.log, not echoed).
fn step(what: &str) {
    println!("cgharness-init: {what} at uptime {} ms", uptime_ms());
}

fn finish(record: &ExitRecord) -> anyhow::Result<()> {
    let disks = wait_for_disks(
        &[channel::RESULTS_SERIAL.to_string()],
        Duration::from_secs(2),
    )?;
    let dev = disks
        .get(channel::RESULTS_SERIAL)
        .ok_or_else(|| anyhow::anyhow!("no results disk"))?;
    let archive = channel::archive_dir(Path::new("/out"))?;
    channel::write_results(dev, record, &archive)
}

/// The command's working directory `/out`: on the data disk when there is one (bind-mounted
/// from `/data/.cgharness-out`), as the guest's root is memory: records of earlier runs there
/// were shmem inside a node-pressure scenario's shortage (31 MiB after `run all`'s first 13
/// scenarios at 1/16, taken from an 8G/16 node).
fn out_dir(on_disk: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all("/out")?;
    if !on_disk {
        return Ok(());
    }
    let src = Path::new("/data/.cgharness-out");
    std::fs::create_dir_all(src)?;
    mount(
        Some(src),
        "/out",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| anyhow::anyhow!("bind-mounting {} on /out: {e}", src.display()))
}

fn mount_basics() -> anyhow::Result<()> {
    let none: Option<&str> = None;
    for (src, target, fstype) in [
        ("proc", "/proc", "proc"),
        ("sysfs", "/sys", "sysfs"),
        ("devtmpfs", "/dev", "devtmpfs"),
        ("tmpfs", "/tmp", "tmpfs"),
    ] {
        std::fs::create_dir_all(target)?;
        mount(Some(src), target, Some(fstype), MsFlags::empty(), none)
            .map_err(|e| anyhow::anyhow!("mounting {fstype} on {target}: {e}"))?;
    }
    std::fs::create_dir_all("/sys/fs/cgroup")?;
    mount(
        Some("cgroup2"),
        "/sys/fs/cgroup",
        Some("cgroup2"),
        MsFlags::empty(),
        none,
    )
    .map_err(|e| anyhow::anyhow!("mounting cgroup2: {e}"))?;
    Ok(())
}

fn load_module(path: &Path) -> anyhow::Result<()> {
    let f = std::fs::File::open(path)?;
    let params = CString::default();
    // SAFETY: finit_module takes an open fd, a NUL-terminated parameter string and flags.
    let r = unsafe { libc::syscall(libc::SYS_finit_module, f.as_raw_fd(), params.as_ptr(), 0) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EEXIST) {
            anyhow::bail!("loading module {}: {e}", path.display());
        }
    }
    Ok(())
}

/// Maps virtio disk serials to device paths, waiting for the driver to probe them.
fn wait_for_disks(
    serials: &[String],
    wait: Duration,
) -> anyhow::Result<std::collections::BTreeMap<String, PathBuf>> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let mut found = std::collections::BTreeMap::new();
        for e in std::fs::read_dir("/sys/block")
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Ok(s) = std::fs::read_to_string(e.path().join("serial")) {
                found.insert(s.trim().to_string(), PathBuf::from("/dev").join(&name));
            }
        }
        if serials.iter().all(|s| found.contains_key(s)) {
            return Ok(found);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!(
                "disks {serials:?} did not appear (found {:?})",
                found.keys().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn swapon(dev: &Path) -> anyhow::Result<()> {
    let c = CString::new(dev.as_os_str().as_encoded_bytes())?;
    // SAFETY: swapon takes a NUL-terminated path and flags.
    if unsafe { libc::swapon(c.as_ptr(), 0) } != 0 {
        anyhow::bail!(
            "swapon {}: {}",
            dev.display(),
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

fn loopback_up() {
    // SAFETY: plain socket + ioctl on a zeroed ifreq naming "lo"; failures are ignored.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        if s < 0 {
            return;
        }
        let mut req: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            req.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(s, libc::SIOCGIFFLAGS, &mut req) == 0 {
            req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            libc::ioctl(s, libc::SIOCSIFFLAGS, &req);
        }
        libc::close(s);
    }
}

/// The OOM killer never picks PID 1; `cgharness run` in our VM puts itself at
/// oom_score_adj −1000 so a node-wide OOM in a scenario cannot take the harness either (the
/// run module gives every workload its own value, 0 unless the plan says otherwise). Only the
/// harness: other guest programs (the guest kernel tests) keep the default, or the processes
/// they start would be unkillable.
pub fn protect_from_oom() {
    match std::fs::write("/proc/self/oom_score_adj", "-1000") {
        Ok(()) => eprintln!("harness at oom_score_adj -1000"),
        Err(e) => eprintln!("warning: oom_score_adj -1000 refused: {e}"),
    }
}

/// Locks the harness's pages as they are touched (`mlockall(MCL_CURRENT | MCL_FUTURE |
/// MCL_ONFAULT)`), so a node-wide shortage in a scenario cannot page the harness out from
/// under its sampler. Children do not inherit it. Called before each `pressure = "node"`
/// scenario. First it unlocks and gives the allocator's free memory back (`malloc_trim`):
/// inside `run all` the heap kept ~30 MiB from the scenarios before, and locked, that was
/// memory taken from the node (6.12 at 1/16: the kubelet's memory.available was already
/// below evictionHard when the spike began).
pub fn lock_in_memory() {
    // SAFETY: munlockall and malloc_trim take no pointers; trimming only returns free
    // allocator pages to the kernel.
    unsafe {
        libc::munlockall();
        #[cfg(target_env = "gnu")]
        libc::malloc_trim(0);
    }
    // SAFETY: mlockall takes flags only and changes no memory.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) };
    if rc != 0 {
        eprintln!(
            "warning: mlockall: {} (the harness may be paged out under node pressure)",
            std::io::Error::last_os_error()
        );
    }
}

/// Whether this process runs inside cgharness's own VM (set by the guest init).
pub fn in_vm() -> bool {
    std::env::var_os("CGHARNESS_IN_VM").is_some_and(|v| v == "1")
}

/// Milliseconds since boot (CLOCK_BOOTTIME).
pub fn uptime_ms() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
        .map(|t| t.tv_sec() as u64 * 1000 + t.tv_nsec() as u64 / 1_000_000)
        .unwrap_or(0)
}
