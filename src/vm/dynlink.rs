//! What a dynamically linked cgharness needs to run as the guest's init: its program
//! interpreter at the path the kernel asks for (PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2)
//! and the shared objects the running process has mapped (/proc/self/maps: exactly what the
//! loader loaded, with no `ldd` to run), each at its own path, which is in the loader's default
//! search path (the guest has no ld.so.cache). Parsing is pure; `for_running_binary` reads.

use super::harness::Carried;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// ELF program header type of the interpreter's path.
const PT_INTERP: u32 = 3;

/// `(p_type, p_offset, p_filesz)` of each program header, or `None` when `b` is not a whole
/// 64-bit little-endian ELF header table.
fn program_headers(b: &[u8]) -> Option<Vec<(u32, usize, usize)>> {
    let rd16 = |o: usize| {
        b.get(o..o + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as usize)
    };
    let rd32 = |o: usize| {
        b.get(o..o + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let rd64 = |o: usize| {
        b.get(o..o + 8)
            .and_then(|s| s.try_into().ok())
            .map(|a: [u8; 8]| u64::from_le_bytes(a) as usize)
    };
    if b.get(0..4) != Some(b"\x7fELF") {
        return None;
    }
    let (phoff, phentsize, phnum) = (rd64(0x20)?, rd16(0x36)?, rd16(0x38)?);
    (0..phnum)
        .map(|i| {
            let at = phoff.checked_add(i.checked_mul(phentsize)?)?;
            Some((rd32(at)?, rd64(at + 8)?, rd64(at + 32)?))
        })
        .collect()
}

/// Whether an ELF file has no program interpreter (statically linked, static-pie included).
pub fn is_static_elf(b: &[u8]) -> bool {
    program_headers(b).is_some_and(|h| h.iter().all(|&(t, _, _)| t != PT_INTERP))
}

/// The program interpreter a 64-bit little-endian ELF names, or `None` for a static one.
pub fn interpreter(b: &[u8]) -> Option<String> {
    let (_, off, size) = program_headers(b)?
        .into_iter()
        .find(|&(t, _, _)| t == PT_INTERP)?;
    let raw = b.get(off..off.checked_add(size)?)?;
    let path = raw.split(|&c| c == 0).next()?;
    String::from_utf8(path.to_vec()).ok()
}

/// The shared objects in `/proc/PID/maps` text: file-backed mappings with an absolute path
/// whose name has `.so` in it (not the program `exe`, not locale or gconv caches, not
/// `/memfd:` or `/dev/` mappings), each once, in the order first mapped. A " (deleted)"
/// suffix (the file was replaced since it was loaded) is dropped: the replacement is carried.
pub fn mapped_objects(maps: &str, exe: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        // address perms offset dev inode path (the path may hold spaces)
        let mut f = line.splitn(6, char::is_whitespace);
        let inode = f.nth(4).unwrap_or("0");
        let path = f.next().unwrap_or("").trim_start();
        let path = path.strip_suffix(" (deleted)").unwrap_or(path);
        let p = Path::new(path);
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let wanted = inode != "0"
            && path.starts_with('/')
            && !path.starts_with("/dev/")
            && !path.starts_with("/memfd:")
            && name.contains(".so")
            && p != exe;
        if wanted && !out.iter().any(|o| o == p) {
            out.push(p.to_path_buf());
        }
    }
    out
}

/// The files to carry: the interpreter at `interp` (the path in the binary, read from the
/// host through any symlink) and each object at its own path, the interpreter's canonical
/// copy (`interp_real`) left out as the loader never opens it by that name.
pub fn carried(interp: &str, interp_real: &Path, objects: &[PathBuf]) -> Vec<Carried> {
    let at = |p: &Path| Carried {
        src: p.to_path_buf(),
        dest: p.display().to_string(),
        mode: 0o755,
    };
    std::iter::once(at(Path::new(interp)))
        .chain(
            objects
                .iter()
                .filter(|o| o.as_path() != interp_real && o.as_path() != Path::new(interp))
                .map(|o| at(o)),
        )
        .collect()
}

/// The interpreter and shared objects of the running (dynamically linked) cgharness at `exe`.
pub fn for_running_binary(exe: &Path) -> anyhow::Result<Vec<Carried>> {
    let bytes = std::fs::read(exe).with_context(|| format!("reading {}", exe.display()))?;
    let interp = interpreter(&bytes).with_context(|| {
        format!(
            "{} names no program interpreter, yet is not static",
            exe.display()
        )
    })?;
    let interp_real = std::fs::canonicalize(&interp)
        .with_context(|| format!("{interp}, the dynamic loader {} names", exe.display()))?;
    let maps = std::fs::read_to_string("/proc/self/maps").context("reading /proc/self/maps")?;
    let mut objects = mapped_objects(&maps, exe);
    // Keep only ELF files: a mapped data file with ".so" in its name is not a library.
    objects.retain(|o| {
        let mut head = [0u8; 4];
        std::fs::File::open(o)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok_and(|()| &head == b"\x7fELF")
    });
    Ok(carried(&interp, &interp_real, &objects))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0000000-55d0c0100000 r--p 00000000 fe:01 1234 /home/u/.cargo/bin/cgharness
55d0c0100000-55d0c0200000 r-xp 00100000 fe:01 1234 /home/u/.cargo/bin/cgharness
55d0c1000000-55d0c1100000 rw-p 00000000 00:00 0 [heap]
7f0000000000-7f0000100000 r--p 00000000 fe:01 501 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
7f0000200000-7f0000300000 r--p 00000000 fe:01 502 /usr/lib/x86_64-linux-gnu/libm.so.6
7f0000400000-7f0000500000 r--p 00000000 fe:01 503 /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)
7f0000500000-7f0000600000 r-xp 00100000 fe:01 503 /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)
7f0000600000-7f0000700000 r--p 00000000 fe:01 600 /usr/lib/locale/locale-archive
7f0000700000-7f0000701000 rw-s 00000000 00:01 7 /memfd:wayland.so (deleted)
7f0000800000-7f0000900000 r--p 00000000 fe:01 504 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f0000a00000-7f0000a01000 r--p 00000000 fe:01 505 /opt/with space/libx.so
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0 [vdso]
";

    #[test]
    fn maps_give_each_shared_object_once_and_not_the_program() {
        let got = mapped_objects(MAPS, Path::new("/home/u/.cargo/bin/cgharness"));
        let want: Vec<PathBuf> = [
            "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/usr/lib/x86_64-linux-gnu/libm.so.6",
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            "/opt/with space/libx.so",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_loader_goes_where_the_binary_asks_for_it_and_libraries_where_they_are() {
        let objects = mapped_objects(MAPS, Path::new("/home/u/.cargo/bin/cgharness"));
        let c = carried(
            "/lib64/ld-linux-x86-64.so.2",
            Path::new("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
            &objects,
        );
        let dests: Vec<&str> = c.iter().map(|c| c.dest.as_str()).collect();
        assert_eq!(
            dests,
            [
                "/lib64/ld-linux-x86-64.so.2",
                "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/usr/lib/x86_64-linux-gnu/libm.so.6",
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/opt/with space/libx.so",
            ]
        );
        assert_eq!(c[0].src, PathBuf::from("/lib64/ld-linux-x86-64.so.2"));
        assert!(c.iter().all(|c| c.mode == 0o755));
    }

    #[test]
    fn system_binaries_name_their_interpreter_and_scripts_none() {
        let sh = std::fs::read("/bin/sh").unwrap();
        let interp = interpreter(&sh).expect("/bin/sh is dynamically linked");
        assert!(
            interp.starts_with('/') && interp.contains("ld-"),
            "{interp}"
        );
        assert_eq!(interpreter(b"#!/bin/sh\n"), None);
        assert_eq!(
            interpreter(&sh[..64]),
            None,
            "a truncated header is no answer"
        );
    }

    #[test]
    fn this_test_binary_carries_its_loader_and_libc() {
        let exe = std::env::current_exe().unwrap();
        let c = for_running_binary(&exe).unwrap();
        let interp = interpreter(&std::fs::read(&exe).unwrap()).unwrap();
        assert_eq!(c[0].dest, interp, "the loader at the path the kernel opens");
        for lib in ["libc.so.6", "libm.so.6", "libgcc_s.so.1"] {
            assert!(
                c.iter().any(|c| c.dest.ends_with(&format!("/{lib}"))),
                "{lib} in {c:?}"
            );
        }
        assert!(c.iter().all(|c| c.src.is_file()));
    }
}
