//! The guest's initramfs: a base archive (static cgharness as `/init`, `/dev/console`, the
//! kernel's modules, included files) cached by content hash, plus a small per-run archive
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
            .with_context(|| format!("reading --include {}", c.src.display()))?;
        files.push((c.dest.trim_start_matches('/').to_string(), c.mode, data));
    }
    let key = content_key(&files);
    let dir = kernel::cache_root().join("initramfs");
    let path = dir.join(format!("{key}.cpio"));
    if path.is_file() {
        return Ok((path, key));
    }
    std::fs::create_dir_all(&dir)?;
    let bytes = cpio::write(&entries(files));
    let tmp = super::disks::unique_tmp(&path);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok((path, key))
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
