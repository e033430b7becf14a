//! Before and after a run: named disks, the harness's files (written, fsynced, dropped from
//! the cache so the run starts cold), kernel knobs (inside our VM only, or when the host
//! already has the wanted value) and the cgroup tree with its limits.

use crate::cgroupfs::io::DevId;
use crate::cgroupfs::Cgroup;
use crate::exit::host_cannot;
use crate::host::SwapArea;
use crate::plan::{CgroupPlan, FilePlan};
use crate::record::raw::KnobRecord;
use crate::scratch::ScratchCgroup;
use crate::spec::knobs::{self, Target};
use anyhow::Context;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

fn dev_of(raw: u64) -> DevId {
    DevId {
        major: libc::major(raw),
        minor: libc::minor(raw),
    }
}

/// The whole disk a (possibly partition) device belongs to: io.max takes disks only.
pub fn whole_disk(sys: &Path, dev: DevId) -> DevId {
    let dir = sys.join(format!("dev/block/{dev}"));
    if !dir.join("partition").exists() {
        return dev;
    }
    std::fs::read_to_string(dir.join("../dev"))
        .ok()
        .and_then(|s| DevId::parse(s.trim()))
        .unwrap_or(dev)
}

/// `data` (the disk holding `data_dir`) and `swap` (the first swap area's disk).
pub fn devices(data_dir: &Path, swaps: &[SwapArea]) -> BTreeMap<String, DevId> {
    let sys = Path::new("/sys");
    let mut out = BTreeMap::new();
    if let Ok(m) = std::fs::metadata(data_dir) {
        out.insert("data".to_string(), whole_disk(sys, dev_of(m.dev())));
    }
    if let Some(Ok(m)) = swaps.first().map(|s| std::fs::metadata(&s.path)) {
        let raw = if m.rdev() != 0 { m.rdev() } else { m.dev() };
        out.insert("swap".to_string(), whole_disk(sys, dev_of(raw)));
    }
    out
}

fn fill_block(buf: &mut [u8], seed: &mut u64) {
    for chunk in buf.chunks_exact_mut(8) {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        chunk.copy_from_slice(&seed.to_ne_bytes());
    }
}

/// Free bytes for an unprivileged writer on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(dir).ok()?;
    Some(st.blocks_available() as u64 * st.fragment_size() as u64)
}

/// Checks, before anything is created, that the data directory can hold the largest set of
/// files one run creates (they are deleted after each run), with 64 MiB to spare: exit 3
/// naming what is needed.
pub fn check_free_space(runs: &[crate::plan::RunPlan], data_dir: &Path) -> anyhow::Result<()> {
    let need = runs
        .iter()
        .map(|r| r.files.iter().map(|f| f.size_bytes).sum::<u64>())
        .max()
        .unwrap_or(0);
    if need == 0 {
        return Ok(());
    }
    let spare = 64 << 20;
    match free_bytes(data_dir) {
        Some(free) if free < need + spare => Err(host_cannot(format!(
            "the scenario's files need {} (+{} to spare) in {}, which has {} free: free some space, point --data-dir elsewhere, or shrink the run (--scale)",
            crate::size::format_bytes(need),
            crate::size::format_bytes(spare),
            data_dir.display(),
            crate::size::format_bytes(free)
        ))),
        _ => Ok(()),
    }
}

/// Creates a file as planned, fsyncs it and drops it from the page cache. An empty file is
/// not created: the workload that writes it creates it, so the kernel's cgroup writeback
/// attributes the inode to the workload's cgroup, not to the harness's (a file the harness
/// created had 22–33 MiB of a writer's 64 MiB of writeback charged to the harness's cgroup
/// on a systemd host). A stale file of that name is removed.
pub fn create_file(f: &FilePlan) -> anyhow::Result<()> {
    let ctx = || format!("creating {} ({} bytes)", f.path.display(), f.size_bytes);
    if f.size_bytes == 0 {
        return match std::fs::remove_file(&f.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).with_context(ctx),
            _ => Ok(()),
        };
    }
    let mut file = std::fs::File::create(&f.path).with_context(ctx)?;
    if f.fill == "sparse" {
        file.set_len(f.size_bytes).with_context(ctx)?;
    } else {
        let mut buf = vec![0u8; 1 << 20];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut left = f.size_bytes;
        while left > 0 {
            if f.fill == "random" {
                fill_block(&mut buf, &mut seed);
            }
            let n = left.min(buf.len() as u64) as usize;
            file.write_all(&buf[..n]).with_context(ctx)?;
            left -= n as u64;
        }
    }
    file.sync_all().with_context(ctx)?;
    drop_cache(&f.path);
    Ok(())
}

/// Drops a file's clean pages from the page cache (POSIX_FADV_DONTNEED).
pub fn drop_cache(path: &Path) {
    if let Ok(file) = std::fs::File::open(path) {
        use std::os::fd::AsRawFd;
        // SAFETY: advisory call on an fd we own.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
}

/// Inside our VM: writes back dirty pages and drops every clean cache.
pub fn drop_all_caches() {
    // SAFETY: sync(2) takes no arguments.
    unsafe { libc::sync() };
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "3");
}

/// Inside our VM: frees the swap cache that outlives a run. Pages a workload swapped out stay
/// in swap (and its swap cache) charged to its cgroup after it exits; drop_caches does not
/// touch them, and they kept removed cgroups dying for good (2 after every anon-swap run on
/// 6.1, until `swapoff`). Each swap device in use is turned off (reading back what is still
/// referenced, which after a run is nothing) and on again. Returns whether any was cycled.
pub fn release_swap_cache() -> bool {
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    let mut cycled = false;
    for line in swaps.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (Some(dev), Some(used)) = (cols.first(), cols.get(3)) else {
            continue;
        };
        if *used == "0" {
            continue;
        }
        let Ok(c) = std::ffi::CString::new(*dev) else {
            continue;
        };
        // SAFETY: NUL-terminated path; swap devices of our own VM.
        let off = unsafe { libc::swapoff(c.as_ptr()) } == 0;
        // SAFETY: as above.
        if unsafe { libc::swapon(c.as_ptr(), 0) } != 0 {
            eprintln!(
                "  warning: swapon {dev} after cleanup failed: {}",
                std::io::Error::last_os_error()
            );
        }
        cycled |= off;
    }
    cycled
}

fn knob_path(target: Target, devices: &BTreeMap<String, DevId>) -> Option<PathBuf> {
    match target {
        Target::File(p) => Some(PathBuf::from(p)),
        Target::DataDiskReadAhead => devices
            .get("data")
            .map(|d| PathBuf::from(format!("/sys/dev/block/{d}/queue/read_ahead_kb"))),
        Target::Cgroup2Options => None,
    }
}

/// A knob's current value and whether it already is what the scenario wants.
fn knob_state(
    name: &str,
    value: &str,
    devices: &BTreeMap<String, DevId>,
    cgroup2_options: Option<&str>,
) -> anyhow::Result<(Option<String>, bool, Target)> {
    let (_, target, _) = knobs::find(name).map_err(anyhow::Error::msg)?;
    let before = match knob_path(*target, devices) {
        Some(p) => std::fs::read_to_string(&p)
            .ok()
            .map(|t| knobs::current_setting(&t)),
        None => cgroup2_options.map(str::to_string),
    };
    let matches = match *target {
        Target::Cgroup2Options => before
            .as_deref()
            .is_some_and(|b| value.split(',').all(|o| b.split(',').any(|x| x == o))),
        _ => before.as_deref() == Some(value),
    };
    Ok((before, matches, *target))
}

/// The command that sets a knob by hand.
fn fix_command(target: Target, value: &str, devices: &BTreeMap<String, DevId>) -> String {
    match knob_path(target, devices) {
        Some(p) => format!("echo {value} | sudo tee {}", p.display()),
        None => format!("sudo mount -o remount,{value} /sys/fs/cgroup"),
    }
}

/// On a host: every knob of every run must already have its wanted value (the harness
/// changes kernel knobs only inside its own VM). Checked before anything is created; exit 3
/// with the command that sets each one that differs.
pub fn check_knobs_on_host(
    runs: &[crate::plan::RunPlan],
    devices: &BTreeMap<String, DevId>,
    cgroup2_options: Option<&str>,
) -> anyhow::Result<()> {
    let drops = runs
        .iter()
        .flat_map(|r| &r.actions)
        .any(|a| matches!(a.op, crate::plan::acts::ActionOp::DropCaches { .. }));
    if drops {
        return Err(host_cannot(
            "the scenario drops the kernel's caches (an [[action]] with drop_caches), which cgharness does only inside its own VM: run it with `cgharness vm --kernel debian:6.12 -- run …`".to_string(),
        ));
    }
    let mut wrong: Vec<String> = Vec::new();
    for run in runs {
        for (name, value) in &run.knobs {
            let (before, matches, target) = knob_state(name, value, devices, cgroup2_options)?;
            let line = format!(
                "{name} = {value} (here: {}): `{}`",
                before.as_deref().unwrap_or("unreadable"),
                fix_command(target, value, devices)
            );
            if !matches && !wrong.contains(&line) {
                wrong.push(line);
            }
        }
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(host_cannot(format!(
        "the scenario needs kernel knobs this host has set otherwise, and cgharness changes kernel knobs only inside its own VM. Set them yourself (and back afterwards), narrow the run with --variant, or run it in a VM (`cgharness vm --kernel debian:6.12 -- run …`):\n  {}",
        wrong.join("\n  ")
    )))
}

/// Sets knobs. In our VM they are written; on a host a knob that differs from the wanted
/// value stops the run (exit 3) — the harness changes nothing outside its own subtree there.
pub fn apply_knobs(
    wanted: &[(String, String)],
    in_vm: bool,
    devices: &BTreeMap<String, DevId>,
    cgroup2_options: Option<&str>,
) -> anyhow::Result<Vec<KnobRecord>> {
    let mut out = Vec::new();
    for (name, value) in wanted {
        let (before, matches, target) = knob_state(name, value, devices, cgroup2_options)?;
        if !matches && !in_vm {
            return Err(host_cannot(format!(
                "the scenario needs kernel knob {name} = {value} (here: {}); cgharness changes kernel knobs only inside its own VM: run it with `cgharness vm --kernel … -- run …`, or set it yourself: `{}`",
                before.as_deref().unwrap_or("unreadable"),
                fix_command(target, value, devices)
            )));
        }
        if !matches {
            write_knob(target, value, devices)
                .with_context(|| format!("setting kernel knob {name} = {value}"))?;
        }
        out.push(KnobRecord {
            name: name.clone(),
            before,
            during: value.clone(),
        });
    }
    Ok(out)
}

fn write_knob(
    target: Target,
    value: &str,
    devices: &BTreeMap<String, DevId>,
) -> anyhow::Result<()> {
    match knob_path(target, devices) {
        Some(p) => std::fs::write(&p, value)
            .with_context(|| format!("writing {value:?} to {}", p.display())),
        None => {
            let flags = nix::mount::MsFlags::MS_REMOUNT;
            nix::mount::mount(
                None::<&str>,
                "/sys/fs/cgroup",
                None::<&str>,
                flags,
                Some(value),
            )
            .context("remounting cgroup2")
        }
    }
}

/// Puts knobs back as they were (inside our VM).
pub fn restore_knobs(records: &[KnobRecord], devices: &BTreeMap<String, DevId>) {
    for k in records {
        if let (Some(before), Ok((_, target, _))) = (&k.before, knobs::find(&k.name)) {
            if *target != Target::Cgroup2Options && before != &k.during {
                let _ = write_knob(*target, before, devices);
            }
        }
    }
}

/// Creates the tree under the run's top and writes each cgroup's limits, then its optional
/// writes (those `run` kept: their controller is enabled). Returns every cgroup by its path
/// (the top as `top`).
pub fn build_tree(
    scratch: &ScratchCgroup,
    plan: &[CgroupPlan],
) -> anyhow::Result<Vec<(String, Cgroup)>> {
    let mut out = vec![("top".to_string(), scratch.root().clone())];
    for c in plan {
        let cg = scratch.add_child(&c.name)?;
        for (file, value) in &c.writes {
            write_planned(&cg, &c.name, file, value)?;
        }
        for (file, value) in &c.optional_writes {
            // libcontainer skips hugetlb.<size>.rsvd.max on kernels without it (before 5.7).
            if file.ends_with(".rsvd.max") && !cg.file(file).exists() {
                continue;
            }
            write_planned(&cg, &c.name, file, value)?;
        }
        out.push((c.name.clone(), cg));
    }
    Ok(out)
}

/// One planned write; a file the kernel lacks is a host that cannot run the scenario.
fn write_planned(cg: &Cgroup, name: &str, file: &str, value: &str) -> anyhow::Result<()> {
    if !cg.file(file).exists() {
        let why = match file {
            "io.weight" => "io.weight needs the iocost or BFQ controller on the disk (the VM's virtio disks use `none`)",
            "memory.zswap.max" => "this kernel has no zswap (memory.zswap.* is absent)",
            f if f.starts_with("hugetlb.") => "this kernel offers no huge pages of that size to cgroups",
            _ => "this kernel lacks the file",
        };
        return Err(host_cannot(format!(
            "cgroup `{name}`: cannot set {file}: {why}"
        )));
    }
    cg.write_text(file, value)?;
    Ok(())
}

/// On a real node kubepods.slice sits right under the root cgroup, so under a node-wide
/// shortage its memory.min (MemoryQoS) is its own. Ours sits under the run's top and the
/// harness's parent, whose memory.min 0 would cap every protection below at 0: a
/// `pressure = "node"` run sets both to max, which protects nothing by itself (a child's
/// protection is still its own memory.min) but lets the kubelet's values through.
pub(super) fn pass_protection(scratch: &crate::scratch::ScratchCgroup) {
    let top = scratch.root();
    let parent = top.path().parent().map(crate::cgroupfs::Cgroup::new);
    for cg in std::iter::once(top.clone()).chain(parent) {
        if let Err(e) = cg.write_memory_min(crate::size::Limit::Max) {
            eprintln!(
                "warning: memory.min max on {}: {e} (MemoryQoS protection may not reach the pods)",
                cg.path().display()
            );
        }
    }
}

#[cfg(test)]
#[path = "setup_tests.rs"]
mod tests;
