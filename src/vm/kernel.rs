//! Kernels for the VM: `debian:6.1`, `debian:6.12`, `debian:sid`, `debian:<package or version>`,
//! or a path to a bzImage. Debian packages are downloaded with `apt-get download` (never
//! installed), unpacked with `dpkg-deb -x`, and the kernel, its config and the modules the VM
//! needs (with dependencies, decompressed) are kept in `<cache>/kernels/<release>/`.
//! sid is reached through an apt configuration of our own in the cache; the host's apt
//! sources are never changed.

use super::apt::Apt;
use super::modinfo;
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

fn kernels_dir() -> PathBuf {
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

/// The largest kernel image read (a distribution bzImage is 8–15 MiB).
const MAX_KERNEL_BYTES: u64 = 256 << 20;

/// Reads a user's kernel image, refusing (exit 2, saying what was wrong) anything that is not
/// a regular file of sane size carrying the x86 boot header ("HdrS" at 0x202).
fn read_bzimage(path: &Path) -> anyhow::Result<Vec<u8>> {
    let usage = |why: String| crate::exit::usage(format!("kernel {}: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|_| {
        usage("no such file; give a bzImage path or debian:6.1, debian:6.12, debian:sid".into())
    })?;
    if !meta.is_file() {
        return Err(usage(
            "not a regular file; give a bzImage (arch/x86/boot/bzImage or /boot/vmlinuz-*)".into(),
        ));
    }
    if meta.len() > MAX_KERNEL_BYTES {
        return Err(usage(format!("{} bytes is not a kernel image", meta.len())));
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.get(0x202..0x206) != Some(b"HdrS".as_slice()) {
        return Err(usage("not an x86 kernel image (no Linux boot header \"HdrS\" at 0x202): give arch/x86/boot/bzImage or a /boot/vmlinuz-*, not vmlinux or a compressed archive".into()));
    }
    Ok(bytes)
}

/// Checks that the modules' `vermagic` names the kernel's release (exit 2 otherwise: modules
/// of another build do not load, and the guest would hang without its disks).
fn check_vermagic(release: &str, modules: &[(String, Vec<u8>)], dir: &Path) -> anyhow::Result<()> {
    for (name, data) in modules {
        let info = modinfo::modinfo(data);
        let Some((_, vm)) = info.iter().find(|(k, _)| k == "vermagic") else {
            continue;
        };
        let built_for = vm.split_whitespace().next().unwrap_or_default();
        if built_for != release {
            return Err(crate::exit::usage(format!(
                "--modules {}: {name}.ko was built for {built_for}, but the kernel is {release}; give the modules directory of this very build (`make modules_install INSTALL_MOD_PATH=DIR` puts it in DIR/lib/modules/{release})",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Uses a bzImage the user built (and optionally its modules dir). The image is copied into
/// the kernel cache next to its modules, where the initramfs builder looks for them.
pub fn from_path(path: &Path, modules_dir: Option<&Path>) -> anyhow::Result<KernelInfo> {
    let bytes = read_bzimage(path)?;
    let release = bzimage_release(&bytes).unwrap_or_else(|| "custom".into());
    let mut modules = Vec::new();
    let dir = kernels_dir().join(format!("path-{}", &sha256_hex(&bytes)[..12]));
    std::fs::create_dir_all(dir.join("modules"))?;
    if let Some(m) = modules_dir {
        if !m.is_dir() {
            return Err(crate::exit::usage(format!(
                "--modules {}: not a directory; give the kernel's modules directory (lib/modules/<release>)",
                m.display()
            )));
        }
        let builtin = std::fs::read_to_string(m.join("modules.builtin"))
            .map(|t| modinfo::parse_builtin(&t))
            .unwrap_or_default();
        let found = modinfo::resolve(&modinfo::index_modules(m), &VM_MODULES, &builtin, m)?;
        check_vermagic(&release, &found, m)?;
        for (name, data) in found {
            std::fs::write(dir.join("modules").join(format!("{name}.ko")), data)?;
            modules.push(format!("{name}.ko"));
        }
    }
    let vmlinuz = dir.join("vmlinuz");
    std::fs::write(&vmlinuz, &bytes).with_context(|| format!("writing {}", vmlinuz.display()))?;
    Ok(KernelInfo {
        release,
        spec: path.display().to_string(),
        packages: Vec::new(),
        modules,
        vmlinuz,
        config: None,
    })
}

/// The version string a bzImage carries (offset at 0x20E + 0x200 in the setup header).
pub fn bzimage_release(b: &[u8]) -> Option<String> {
    if b.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let off = usize::from(u16::from_le_bytes(b.get(0x20e..0x210)?.try_into().ok()?)) + 0x200;
    let s = b.get(off..off + 256)?;
    let end = s.iter().position(|&c| c == 0 || c == b' ')?;
    String::from_utf8(s[..end].to_vec()).ok()
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

    #[test]
    fn a_missing_kernel_path_is_a_usage_error() {
        let e = from_path(Path::new("/nonexistent/bzImage"), None).unwrap_err();
        assert_eq!(crate::exit::exit_of(&e), crate::exit::Exit::Usage);
        assert!(e.to_string().contains("debian:6.12"), "{e}");
    }

    #[test]
    fn what_is_not_a_kernel_image_is_refused_before_booting() {
        let d = tempfile::tempdir().unwrap();
        let text = d.path().join("passwd");
        std::fs::write(&text, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
        for p in [text.as_path(), d.path(), Path::new("/dev/null")] {
            let e = from_path(p, None).unwrap_err();
            assert_eq!(crate::exit::exit_of(&e), crate::exit::Exit::Usage, "{e}");
        }
        let e = from_path(&text, None).unwrap_err();
        assert!(e.to_string().contains("HdrS"), "{e}");
    }

    #[test]
    fn modules_of_another_build_are_refused_naming_both_releases() {
        let m = crate::vm::modinfo::tests::tiny_module(
            b"vermagic=6.1.0-56-cloud-amd64 SMP preempt mod_unload modversions \0name=virtio_blk\0",
        );
        let found = vec![("virtio_blk".to_string(), m)];
        let e = check_vermagic("6.12.117+deb12-cloud-amd64", &found, Path::new("/m")).unwrap_err();
        assert_eq!(crate::exit::exit_of(&e), crate::exit::Exit::Usage);
        let msg = e.to_string();
        assert!(
            msg.contains("6.1.0-56-cloud-amd64") && msg.contains("6.12.117"),
            "{msg}"
        );
        assert!(check_vermagic("6.1.0-56-cloud-amd64", &found, Path::new("/m")).is_ok());
    }
}
