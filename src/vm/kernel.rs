//! Kernels for the VM: `debian:6.1`, `debian:6.12`, `debian:sid`, `debian:<package or version>`,
//! or a path to a bzImage. Debian packages are downloaded with `apt-get download` (never
//! installed), unpacked with `dpkg-deb -x`, and the kernel, its config and the modules the VM
//! needs (with dependencies, decompressed) are kept in `<cache>/kernels/<release>/`.
//! sid is reached through an apt configuration of our own in the cache; the host's apt
//! sources are never changed.

use super::apt::Apt;
use super::modinfo;
pub use super::userkernel::{bzimage_release, from_path};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modules the guest needs when the kernel does not build them in.
pub const VM_MODULES: [&str; 2] = ["virtio_pci", "virtio_blk"];

/// What a kernel in the cache is and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// `uname -r` of the kernel.
    pub release: String,
    /// How the user named it (`debian:6.12`, a path).
    pub spec: String,
    /// Debian packages it came from, with versions and sha256 of each .deb.
    pub packages: Vec<PackageInfo>,
    /// Module file names in load order (in `modules/`).
    pub modules: Vec<String>,
    /// The kernel image.
    pub vmlinuz: PathBuf,
    /// The kernel config, if shipped.
    pub config: Option<PathBuf>,
}

/// One downloaded package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageInfo {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// sha256 of the .deb.
    pub sha256: String,
}

/// The cache root: `$CGHARNESS_CACHE`, else `$XDG_CACHE_HOME/cgharness`, else `~/.cache/cgharness`.
pub fn cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("CGHARNESS_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("cgharness");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache").join("cgharness")
}

pub(crate) fn kernels_dir() -> PathBuf {
    cache_root().join("kernels")
}

fn alias_file(spec: &str) -> PathBuf {
    kernels_dir()
        .join("alias")
        .join(spec.replace([':', '/'], "_"))
}

/// Releases in the cache, sorted.
pub fn cached_releases() -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(kernels_dir()) else {
        return Ok(out);
    };
    for e in rd.flatten() {
        if e.path().join("kernel.json").is_file() {
            out.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Loads a cached kernel's info by release.
pub fn load(release: &str) -> anyhow::Result<KernelInfo> {
    let path = kernels_dir().join(release).join("kernel.json");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// Finds a kernel for `spec`: a cached alias, a release, a bzImage path, or fetches it.
pub fn resolve(spec: &str, modules_dir: Option<&Path>) -> anyhow::Result<KernelInfo> {
    if !spec.starts_with("debian:") {
        let scheme = spec.split_once(':').filter(|(s, _)| !s.contains('/'));
        if scheme.is_some() && !Path::new(spec).exists() {
            return Err(crate::exit::usage(format!("unknown kernel spec {spec:?}: use debian:6.1, debian:6.12, debian:sid, debian:<package or version>, or a bzImage path")));
        }
        return from_path(Path::new(spec), modules_dir);
    }
    if let Ok(release) = std::fs::read_to_string(alias_file(spec)) {
        if let Ok(info) = load(release.trim()) {
            return Ok(info);
        }
    }
    fetch(spec)
}

/// Downloads and unpacks the kernel named by `spec` into the cache; refreshes its alias.
pub fn fetch(spec: &str) -> anyhow::Result<KernelInfo> {
    let what = spec.strip_prefix("debian:").ok_or_else(|| crate::exit::usage(format!("unknown kernel spec {spec:?}: use debian:6.1, debian:6.12, debian:sid, debian:<package or version>, or a bzImage path")))?;
    let apt = if what == "sid" {
        Apt::sid()?
    } else {
        Apt::host()
    };
    let packages = apt.packages_for(what)?;
    let work = tempfile::Builder::new()
        .prefix("fetch-")
        .tempdir_in(ensure_dir(&kernels_dir())?)?;
    eprintln!("fetching {spec}: {}", packages.join(" "));
    let mut infos = Vec::new();
    for p in &packages {
        let deb = apt.download(p, work.path())?;
        let bytes = std::fs::read(&deb)?;
        let version = deb_version(&deb).unwrap_or_default();
        infos.push(PackageInfo {
            name: p.clone(),
            version,
            sha256: sha256_hex(&bytes),
        });
        let st = Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(work.path().join("root"))
            .status()
            .context("running dpkg-deb (is dpkg installed?)")?;
        if !st.success() {
            bail!("dpkg-deb -x {} failed", deb.display());
        }
    }
    let info = install_unpacked(spec, &work.path().join("root"), infos)?;
    std::fs::create_dir_all(alias_file(spec).parent().unwrap_or(Path::new(".")))?;
    std::fs::write(alias_file(spec), &info.release)?;
    Ok(info)
}

/// Creates a directory (and parents) and returns its path.
pub(crate) fn ensure_dir(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
    Ok(p.to_path_buf())
}

/// The kernel release an unpacked package tree holds, and its modules directory.
fn unpacked_release(root: &Path) -> anyhow::Result<(String, PathBuf)> {
    let mods_root = [root.join("lib/modules"), root.join("usr/lib/modules")]
        .into_iter()
        .find(|p| p.is_dir())
        .context("the packages hold no lib/modules directory")?;
    let release = std::fs::read_dir(&mods_root)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .context("no kernel release under lib/modules")?;
    let mdir = mods_root.join(&release);
    Ok((release, mdir))
}

/// Moves vmlinuz, config and the needed modules from an unpacked package tree into the cache.
fn install_unpacked(
    spec: &str,
    root: &Path,
    packages: Vec<PackageInfo>,
) -> anyhow::Result<KernelInfo> {
    let (release, mdir) = unpacked_release(root)?;
    let vmlinuz = [
        root.join(format!("boot/vmlinuz-{release}")),
        mdir.join("vmlinuz.unsigned"),
        mdir.join("vmlinuz"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .with_context(|| format!("no vmlinuz for {release} in the packages"))?;
    let config = [
        root.join(format!("boot/config-{release}")),
        mdir.join("config"),
    ]
    .into_iter()
    .find(|p| p.is_file());
    let dest = kernels_dir().join(&release);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::create_dir_all(dest.join("modules"))?;
    std::fs::copy(&vmlinuz, dest.join("vmlinuz"))?;
    if let Some(c) = &config {
        std::fs::copy(c, dest.join("config"))?;
    }
    let builtin = std::fs::read_to_string(mdir.join("modules.builtin"))
        .map(|t| modinfo::parse_builtin(&t))
        .unwrap_or_default();
    let mut modules = Vec::new();
    for (name, data) in
        modinfo::resolve(&modinfo::index_modules(&mdir), &VM_MODULES, &builtin, &mdir)?
    {
        std::fs::write(dest.join("modules").join(format!("{name}.ko")), data)?;
        modules.push(format!("{name}.ko"));
    }
    let info = KernelInfo {
        release: release.clone(),
        spec: spec.to_string(),
        packages,
        modules,
        vmlinuz: dest.join("vmlinuz"),
        config: config.map(|_| dest.join("config")),
    };
    std::fs::write(dest.join("kernel.json"), serde_json::to_vec_pretty(&info)?)?;
    Ok(info)
}

/// `pkg_1.2-3_amd64.deb` → `1.2-3` (with `%3a` for epochs decoded).
fn deb_version(deb: &Path) -> Option<String> {
    let name = deb.file_name()?.to_string_lossy().into_owned();
    Some(name.split('_').nth(1)?.replace("%3a", ":"))
}

/// The highest name in natural (numeric-aware) order.
pub fn newest(names: &[String]) -> Option<&String> {
    names
        .iter()
        .max_by(|a, b| natural_key(a).cmp(&natural_key(b)))
}

fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), std::mem::take(&mut text)));
                num.clear();
            }
            text.push(c);
        }
    }
    out.push((num.parse().unwrap_or(0), text));
    out
}

/// Hex sha256 of bytes.
pub fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_is_numeric_not_lexical() {
        let names: Vec<String> = [
            "linux-image-6.1.0-9-cloud-amd64-unsigned",
            "linux-image-6.1.0-56-cloud-amd64-unsigned",
            "linux-image-6.1.0-55-cloud-amd64-unsigned",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            newest(&names).unwrap(),
            "linux-image-6.1.0-56-cloud-amd64-unsigned"
        );
        let v: Vec<String> = [
            "linux-image-6.12.9+deb12-cloud-amd64-unsigned",
            "linux-image-6.12.117+deb12-cloud-amd64-unsigned",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(newest(&v).unwrap(), &v[1]);
    }

    #[test]
    fn deb_file_names_give_versions() {
        assert_eq!(
            deb_version(Path::new(
                "/x/linux-image-6.12.117+deb12-cloud-amd64-unsigned_6.12.117-1~deb12u1_amd64.deb"
            ))
            .unwrap(),
            "6.12.117-1~deb12u1"
        );
    }
}
