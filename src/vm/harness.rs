//! The static cgharness that runs as the guest's init, and host files carried into the guest.
//!
//! The running binary is used when it is statically linked; otherwise, in a source checkout,
//! a static build is made with cargo (`-C target-feature=+crt-static`) into `target/static`;
//! `CGHARNESS_GUEST_BIN` overrides both.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether an ELF file has no program interpreter (statically linked, static-pie included).
pub fn is_static_elf(b: &[u8]) -> bool {
    let rd16 = |o: usize| {
        b.get(o..o + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as usize)
    };
    let rd64 = |o: usize| {
        b.get(o..o + 8)
            .and_then(|s| s.try_into().ok())
            .map(|a: [u8; 8]| u64::from_le_bytes(a) as usize)
    };
    if b.get(0..4) != Some(b"\x7fELF") {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (rd64(0x20), rd16(0x36), rd16(0x38)) else {
        return false;
    };
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        b.get(at..at + 4)
            .map(|t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]))
            != Some(3)
    })
}

/// Finds (or builds) a static cgharness for the guest.
pub fn static_binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("CGHARNESS_GUEST_BIN") {
        let p = PathBuf::from(p);
        let b =
            std::fs::read(&p).with_context(|| format!("CGHARNESS_GUEST_BIN={}", p.display()))?;
        if !is_static_elf(&b) {
            bail!(crate::exit::usage(format!(
                "CGHARNESS_GUEST_BIN={} is not statically linked",
                p.display()
            )));
        }
        return Ok(p);
    }
    let me = std::env::current_exe().context("locating the running cgharness")?;
    if is_static_elf(&std::fs::read(&me)?) {
        return Ok(me);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !manifest.join("Cargo.toml").is_file() {
        return Err(crate::exit::host_cannot(
            "this cgharness is dynamically linked and no source tree is at hand to build a static one; \
             build with scripts/build-static or set CGHARNESS_GUEST_BIN to a static cgharness",
        ));
    }
    build_static(manifest)
}

/// Builds the static binary from the source tree; cargo makes a no-op build cheap.
pub fn build_static(manifest: &Path) -> anyhow::Result<PathBuf> {
    let target_dir = manifest.join("target/static");
    eprintln!("building a static cgharness for the guest (cargo build --release, crt-static)…");
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "x86_64-unknown-linux-gnu",
            "--bin",
            "cgharness",
        ])
        .arg("--manifest-path")
        .arg(manifest.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .status()
        .context("running cargo to build the static guest binary")?;
    if !st.success() {
        bail!("the static build of cgharness failed");
    }
    Ok(target_dir.join("x86_64-unknown-linux-gnu/release/cgharness"))
}

/// A host file to place in the initramfs at `dest` (absolute guest path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// Host path.
    pub src: PathBuf,
    /// Guest path.
    pub dest: String,
    /// Mode bits.
    pub mode: u32,
}

/// What `--include PATH` carries: the file into `/cgharness/bin/<name>` and, for a dynamic
/// executable, each shared library `ldd` names at its own path.
pub fn carry(path: &Path) -> anyhow::Result<Vec<Carried>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| crate::exit::usage(format!("--include {}: {e}", path.display())))?;
    let name = path
        .file_name()
        .context("--include needs a file name")?
        .to_string_lossy()
        .into_owned();
    let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777;
    let mut out = vec![Carried {
        src: path.to_path_buf(),
        dest: format!("/cgharness/bin/{name}"),
        mode,
    }];
    let head = std::fs::read(path)?;
    if head.starts_with(b"\x7fELF") && !is_static_elf(&head) {
        let ldd = Command::new("ldd")
            .arg(path)
            .output()
            .context("running ldd")?;
        for lib in parse_ldd(&String::from_utf8_lossy(&ldd.stdout)) {
            out.push(Carried {
                dest: lib.display().to_string(),
                src: lib,
                mode: 0o755,
            });
        }
    }
    Ok(out)
}

/// Library paths from `ldd` output (`libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`).
pub fn parse_ldd(text: &str) -> Vec<PathBuf> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let p = l.split_once("=>").map(|(_, r)| r.trim()).unwrap_or(l);
            let p = p.split_whitespace().next()?;
            p.starts_with('/').then(|| PathBuf::from(p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_lines_give_absolute_libraries() {
        let t = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f)\n\t/lib64/ld-linux-x86-64.so.2 (0x7f)\n";
        assert_eq!(
            parse_ldd(t),
            vec![
                PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"),
                PathBuf::from("/lib64/ld-linux-x86-64.so.2")
            ]
        );
    }

    #[test]
    fn system_binaries_are_dynamic() {
        let b = std::fs::read("/bin/sh").unwrap();
        assert!(!is_static_elf(&b));
        assert!(!is_static_elf(b"#!/bin/sh\n"));
    }
}
