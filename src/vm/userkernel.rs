//! A kernel the user built: `vm --kernel path/to/bzImage [--modules DIR]`. The image is
//! checked (a regular file with the x86 boot header), its modules resolved from DIR and
//! checked against its release (vermagic), and both copied into the kernel cache side by side,
//! where the initramfs builder finds them. Bad input is exit 2 before anything boots.

use super::kernel::{kernels_dir, sha256_hex, KernelInfo, VM_MODULES};
use super::modinfo;
use anyhow::Context;
use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

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
