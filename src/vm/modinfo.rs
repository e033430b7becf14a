//! Kernel modules without kmod: read `depends=` from a module's ELF `.modinfo` section,
//! decompress `.ko.xz`, and order a module set so dependencies load first.
//!
//! Pure functions over bytes plus a directory walk; nothing here runs a program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Errors reading modules.
#[derive(Debug, thiserror::Error)]
pub enum ModError {
    /// Not a 64-bit little-endian ELF, or its section table is out of bounds.
    #[error("{0}: not a loadable x86-64 kernel module (bad ELF)")]
    BadElf(String),
    /// No `.modinfo` section.
    #[error("{0}: no .modinfo section")]
    NoModinfo(String),
    /// `.ko.xz` could not be decompressed.
    #[error("{path}: xz decompression failed: {reason}")]
    Xz {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A needed module is neither in the tree nor built in.
    #[error("module {name} (needed by {needed_by}) is not in {dir} and not built into the kernel")]
    Missing {
        /// The module.
        name: String,
        /// Who needs it.
        needed_by: String,
        /// The modules directory searched.
        dir: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], off: usize) -> Option<usize> {
    usize::try_from(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?)).ok()
}

/// Returns the bytes of the ELF section named `name` (ELF64 little-endian only).
pub fn elf_section<'a>(elf: &'a [u8], name: &str) -> Option<&'a [u8]> {
    if elf.get(0..4)? != b"\x7fELF" || *elf.get(4)? != 2 || *elf.get(5)? != 1 {
        return None;
    }
    let shoff = u64_at(elf, 0x28)?;
    let shentsize = usize::from(u16_at(elf, 0x3a)?);
    let shnum = usize::from(u16_at(elf, 0x3c)?);
    let shstrndx = usize::from(u16_at(elf, 0x3e)?);
    let header = |i: usize| -> Option<(u32, usize, usize)> {
        let base = shoff.checked_add(i.checked_mul(shentsize)?)?;
        Some((
            u32_at(elf, base)?,
            u64_at(elf, base + 0x18)?,
            u64_at(elf, base + 0x20)?,
        ))
    };
    let (_, str_off, str_size) = header(shstrndx)?;
    let strtab = elf.get(str_off..str_off.checked_add(str_size)?)?;
    (0..shnum).find_map(|i| {
        let (name_off, off, size) = header(i)?;
        let rest = strtab.get(name_off as usize..)?;
        let end = rest.iter().position(|&c| c == 0)?;
        (&rest[..end] == name.as_bytes()).then(|| elf.get(off..off.checked_add(size)?))?
    })
}

/// The `key=value` strings of a module's `.modinfo`.
pub fn modinfo(elf: &[u8]) -> Vec<(String, String)> {
    let Some(sec) = elf_section(elf, ".modinfo") else {
        return Vec::new();
    };
    sec.split(|&c| c == 0)
        .filter_map(|s| std::str::from_utf8(s).ok())
        .filter_map(|s| s.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The modules a module depends on (its `depends=` entry), with `-` normalised to `_`.
pub fn depends(elf: &[u8]) -> Vec<String> {
    modinfo(elf)
        .into_iter()
        .filter(|(k, _)| k == "depends")
        .flat_map(|(_, v)| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(normalise)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Module names treat `-` and `_` alike; we use `_`.
pub fn normalise(name: &str) -> String {
    name.replace('-', "_")
}

/// Reads a module file, decompressing `.ko.xz`.
pub fn read_module(path: &Path) -> Result<Vec<u8>, ModError> {
    let bytes = std::fs::read(path).map_err(|source| ModError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut bytes.as_slice(), &mut out).map_err(|e| ModError::Xz {
            path: path.display().to_string(),
            reason: format!("{e:?}"),
        })?;
        return Ok(out);
    }
    Ok(bytes)
}

/// Indexes `*.ko`, `*.ko.xz` under a modules dir by normalised name.
pub fn index_modules(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name
                .strip_suffix(".ko.xz")
                .or_else(|| name.strip_suffix(".ko"))
            {
                out.insert(normalise(stem), p);
            }
        }
    }
    out
}

/// Resolves `wanted` and their dependencies to (name, decompressed bytes) in load order.
/// A wanted module absent from `index` is assumed built in when `builtin` lists it or the
/// index has no entry at all for it and no one else needs it; a missing dependency is an error.
pub fn resolve(
    index: &BTreeMap<String, PathBuf>,
    wanted: &[&str],
    builtin: &[String],
    dir: &Path,
) -> Result<Vec<(String, Vec<u8>)>, ModError> {
    let mut order: Vec<(String, Vec<u8>)> = Vec::new();
    for w in wanted {
        visit(
            index,
            &normalise(w),
            "the VM",
            builtin,
            dir,
            &mut order,
            &mut Vec::new(),
        )?;
    }
    Ok(order)
}

fn visit(
    index: &BTreeMap<String, PathBuf>,
    name: &str,
    needed_by: &str,
    builtin: &[String],
    dir: &Path,
    order: &mut Vec<(String, Vec<u8>)>,
    path: &mut Vec<String>,
) -> Result<(), ModError> {
    if order.iter().any(|(n, _)| n == name) || path.iter().any(|n| n == name) {
        return Ok(());
    }
    let Some(file) = index.get(name) else {
        if builtin.iter().any(|b| b == name) || needed_by == "the VM" {
            return Ok(());
        }
        return Err(ModError::Missing {
            name: name.into(),
            needed_by: needed_by.into(),
            dir: dir.display().to_string(),
        });
    };
    let bytes = read_module(file)?;
    if elf_section(&bytes, ".modinfo").is_none() {
        return Err(ModError::NoModinfo(file.display().to_string()));
    }
    path.push(name.to_string());
    for dep in depends(&bytes) {
        visit(index, &dep, name, builtin, dir, order, path)?;
    }
    path.pop();
    order.push((name.to_string(), bytes));
    Ok(())
}

/// Names in a `modules.builtin` file (`kernel/drivers/virtio/virtio.ko` → `virtio`).
pub fn parse_builtin(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.rsplit('/').next())
        .filter_map(|f| f.strip_suffix(".ko"))
        .map(normalise)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ELF64 with a `.shstrtab` and a `.modinfo` section.
    pub fn tiny_module(modinfo: &[u8]) -> Vec<u8> {
        let shstr = b"\0.shstrtab\0.modinfo\0";
        let mut elf = vec![0u8; 64];
        elf[0..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2;
        elf[5] = 1;
        let shstr_off = elf.len();
        elf.extend_from_slice(shstr);
        let mi_off = elf.len();
        elf.extend_from_slice(modinfo);
        let shoff = elf.len();
        let sh = |name: u32, off: usize, size: usize| {
            let mut h = vec![0u8; 64];
            h[0..4].copy_from_slice(&name.to_le_bytes());
            h[0x18..0x20].copy_from_slice(&(off as u64).to_le_bytes());
            h[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
            h
        };
        let null = sh(0, 0, 0);
        let s1 = sh(1, shstr_off, shstr.len());
        let s2 = sh(11, mi_off, modinfo.len());
        elf.extend(null);
        elf.extend(s1);
        elf.extend(s2);
        elf[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
        elf[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
        elf[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        elf[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
        elf
    }

    #[test]
    fn reads_depends_from_modinfo() {
        let m = tiny_module(b"license=GPL\0depends=virtio,virtio_ring\0name=virtio_blk\0");
        assert_eq!(depends(&m), vec!["virtio", "virtio_ring"]);
        assert!(depends(&tiny_module(b"depends=\0")).is_empty());
    }

    #[test]
    fn garbage_is_not_an_elf() {
        assert!(elf_section(b"not an elf at all", ".modinfo").is_none());
        assert!(elf_section(&[0x7f, b'E', b'L', b'F', 2, 1], ".modinfo").is_none());
    }

    #[test]
    fn resolves_dependencies_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("virtio_blk.ko"),
            tiny_module(b"depends=virtio_ring\0"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("virtio_ring.ko"),
            tiny_module(b"depends=\0"),
        )
        .unwrap();
        let idx = index_modules(dir.path());
        let order = resolve(&idx, &["virtio_pci", "virtio_blk"], &[], dir.path()).unwrap();
        let names: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec!["virtio_ring", "virtio_blk"],
            "virtio_pci is built in here"
        );
    }

    #[test]
    fn missing_dependency_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("virtio_blk.ko"),
            tiny_module(b"depends=virtio_ring\0"),
        )
        .unwrap();
        let err =
            resolve(&index_modules(dir.path()), &["virtio_blk"], &[], dir.path()).unwrap_err();
        assert!(err.to_string().contains("virtio_ring"), "{err}");
    }
}
