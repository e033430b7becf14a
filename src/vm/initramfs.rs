//! The guest's initramfs: a base archive (cgharness as `/init`, `/dev/console`, the kernel's
//! modules, carried files: a dynamic init's loader and libraries, `--include`d files) cached by content hash, plus a small per-run archive
//! with the plan, appended (the kernel unpacks concatenated newc archives in order).

use super::cpio::{self, Entry};
use super::guest::{MODULES_DIR, PLAN_PATH};
use super::harness::Carried;
use super::kernel::{self, KernelInfo};
use super::plan::GuestPlan;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Directories every guest needs, parents first.
const DIRS: [&str; 7] = [
    "dev",
    "proc",
    "sys",
    "tmp",
    "cgharness",
    "cgharness/modules",
    "cgharness/bin",
];

/// Builds (or reuses) the base archive and returns its path and content key.
pub fn base(
    harness: &[u8],
    k: &KernelInfo,
    carried: &[Carried],
) -> anyhow::Result<(PathBuf, String)> {
    let modules_dir = k
        .vmlinuz
        .parent()
        .map(|p| p.join("modules"))
        .unwrap_or_default();
    let mut files: Vec<(String, u32, Vec<u8>)> = vec![("init".into(), 0o755, harness.to_vec())];
    for m in &k.modules {
        let p = modules_dir.join(m);
        let data = std::fs::read(&p).with_context(|| format!("reading module {}", p.display()))?;
        files.push((
            format!("{}/{m}", MODULES_DIR.trim_start_matches('/')),
            0o644,
            data,
        ));
    }
    if let Some(cfg) = &k.config {
        let data = std::fs::read(cfg).with_context(|| format!("reading {}", cfg.display()))?;
        files.push((format!("boot/config-{}", k.release), 0o644, data));
    }
    for c in carried {
        let data = std::fs::read(&c.src)
            .with_context(|| format!("reading {} for the guest", c.src.display()))?;
        files.push((c.dest.trim_start_matches('/').to_string(), c.mode, data));
    }
    let key = content_key(&files);
    let dir = kernel::cache_root().join("initramfs");
    let path = dir.join(format!("{key}.cpio"));
    if path.is_file() {
        // Mark it used, so pruning keeps the archives in use.
        if let Ok(f) = std::fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        return Ok((path, key));
    }
    std::fs::create_dir_all(&dir)?;
    let bytes = cpio::write(&entries(files));
    let tmp = super::disks::unique_tmp(&path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    prune(&dir, KEEP_ARCHIVES, KEEP_YOUNGER_THAN);
    Ok((path, key))
}

/// Archives kept however old: three kernels times a few harness builds.
const KEEP_ARCHIVES: usize = 12;
/// Archives used this recently are kept however many there are (another run may be booting one).
const KEEP_YOUNGER_THAN: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes cached archives beyond the `keep` most recently used, sparing any used within
/// `min_age`. Every harness rebuild makes a new archive per kernel (~13 MiB each); without this
/// the cache grew to 5 GiB in a week of development. Best effort: errors are ignored.
fn prune(dir: &std::path::Path, keep: usize, min_age: std::time::Duration) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "cpio"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    found.sort_by_key(|f| std::cmp::Reverse(f.0));
    let now = std::time::SystemTime::now();
    for (mtime, p) in found.into_iter().skip(keep) {
        let age = now.duration_since(mtime).unwrap_or_default();
        if age >= min_age {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// 24 hex digits of the SHA-256 over every file's path, mode, length and bytes.
fn content_key(files: &[(String, u32, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    for (path, mode, data) in files {
        h.update(path.as_bytes());
        h.update(mode.to_le_bytes());
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn entries(files: Vec<(String, u32, Vec<u8>)>) -> Vec<Entry> {
    let mut dirs: Vec<String> = DIRS.iter().map(|s| s.to_string()).collect();
    for (path, _, _) in &files {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            acc = if acc.is_empty() {
                part.to_string()
            } else {
                format!("{acc}/{part}")
            };
            if !dirs.contains(&acc) {
                dirs.push(acc.clone());
            }
        }
    }
    let mut out: Vec<Entry> = dirs.into_iter().map(|path| Entry::Dir { path }).collect();
    out.push(Entry::CharDev {
        path: "dev/console".into(),
        major: 5,
        minor: 1,
    });
    out.extend(
        files
            .into_iter()
            .map(|(path, mode, data)| Entry::File { path, mode, data }),
    );
    out
}

/// The per-run archive holding the plan.
pub fn plan_archive(plan: &GuestPlan) -> anyhow::Result<Vec<u8>> {
    let json = serde_json::to_vec_pretty(plan)?;
    Ok(cpio::write(&[Entry::File {
        path: PLAN_PATH.trim_start_matches('/').into(),
        mode: 0o644,
        data: json,
    }]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_before_files() {
        let e = entries(vec![(
            "lib/x86_64-linux-gnu/libc.so.6".into(),
            0o755,
            vec![1],
        )]);
        let pos = |p: &str| {
            e.iter()
                .position(|x| matches!(x, Entry::Dir { path } if path == p))
                .unwrap()
        };
        assert!(pos("lib") < pos("lib/x86_64-linux-gnu"));
        let file = e
            .iter()
            .position(|x| matches!(x, Entry::File { .. }))
            .unwrap();
        assert!(pos("lib/x86_64-linux-gnu") < file);
        assert!(e
            .iter()
            .any(|x| matches!(x, Entry::CharDev { path, .. } if path == "dev/console")));
    }

    #[test]
    fn prune_keeps_the_recent_and_the_young() {
        let d = tempfile::tempdir().unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let now = std::time::SystemTime::now();
        for i in 0..5u64 {
            let p = d.path().join(format!("{i}.cpio"));
            let f = std::fs::File::create(&p).unwrap();
            // 0 and 1 are minutes old; 2, 3, 4 are 2, 3 and 4 hours old.
            let age = if i < 2 { 60 * i } else { 3600 * i };
            f.set_modified(now - std::time::Duration::from_secs(age))
                .unwrap();
        }
        std::fs::write(d.path().join("other.img"), b"x").unwrap();
        prune(d.path(), 1, hour);
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["0.cpio", "1.cpio", "other.img"]);
        prune(d.path(), 0, std::time::Duration::ZERO);
        assert!(!d.path().join("0.cpio").exists());
        assert!(d.path().join("other.img").exists());
    }

    #[test]
    fn plan_archive_reads_back() {
        let plan = GuestPlan {
            argv: vec!["/init".into(), "doctor".into()],
            modules: vec![],
            swap: false,
            data: false,
            env: vec![],
        };
        let files = cpio::read(&plan_archive(&plan).unwrap()).unwrap();
        assert_eq!(files[0].path, "cgharness/plan.json");
        let back: GuestPlan = serde_json::from_slice(&files[0].data).unwrap();
        assert_eq!(back, plan);
    }
}
