//! The cgharness that runs as the guest's init, and host files carried into the guest.
//!
//! In order: `CGHARNESS_GUEST_BIN` (a static cgharness); the running binary when it is
//! static; a static `cgharness-guest` installed beside it; for a binary in a cargo target
//! directory (a developer's build) with its source tree at hand, a static release build made
//! with cargo into `target/static` (as before: a debug build's workloads would run several
//! times slower in the guest); otherwise the running binary itself, dynamically linked, with
//! its loader and shared libraries (see `dynlink`) — what `cargo install --path .` gives, with
//! no source tree needed. [`choose`] decides from facts gathered first; it does no I/O.

use super::dynlink;
pub use super::dynlink::is_static_elf;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The static guest binary looked for beside the running cgharness.
pub const BESIDE_NAME: &str = "cgharness-guest";

/// What is known about the candidates for the guest's init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `CGHARNESS_GUEST_BIN`, if set.
    pub env: Option<PathBuf>,
    /// Whether the running binary is statically linked.
    pub exe_static: bool,
    /// `cgharness-guest` beside the running binary, if present, and whether it is static.
    pub beside: Option<(PathBuf, bool)>,
    /// Whether the running binary lies in a cargo target directory (a `CACHEDIR.TAG` written
    /// by cargo up to four levels above it).
    pub exe_in_cargo_target: bool,
    /// The source tree this binary was built from, if it is still there.
    pub source_tree: Option<PathBuf>,
}

/// Where the guest's init comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// `CGHARNESS_GUEST_BIN` (checked to be static when read).
    Env(PathBuf),
    /// The running binary, statically linked.
    MyselfStatic,
    /// A static `cgharness-guest` beside the running binary.
    Beside(PathBuf),
    /// A `cgharness-guest` beside the running binary that is not static: an error.
    BesideNotStatic(PathBuf),
    /// A static build from the source tree.
    BuildFromSource(PathBuf),
    /// The running binary, dynamically linked, with its loader and libraries.
    MyselfDynamic,
}

/// Chooses the guest's init (the order is in the module docs).
pub fn choose(f: &Found) -> Choice {
    if let Some(p) = &f.env {
        return Choice::Env(p.clone());
    }
    if f.exe_static {
        return Choice::MyselfStatic;
    }
    match (&f.beside, &f.source_tree) {
        (Some((p, true)), _) => Choice::Beside(p.clone()),
        (Some((p, false)), _) => Choice::BesideNotStatic(p.clone()),
        (None, Some(tree)) if f.exe_in_cargo_target => Choice::BuildFromSource(tree.clone()),
        (None, _) => Choice::MyselfDynamic,
    }
}

/// Whether `exe` lies in a cargo target directory: `is_tag(dir/CACHEDIR.TAG)` for one of the
/// four directories above it (`target/debug/cgharness`, `target/<triple>/release/cgharness`).
pub fn in_cargo_target(exe: &Path, is_tag: &dyn Fn(&Path) -> bool) -> bool {
    exe.ancestors()
        .skip(1)
        .take(4)
        .any(|d| is_tag(&d.join("CACHEDIR.TAG")))
}

/// Whether `p` is the cache-directory tag cargo writes at the top of a target directory.
fn is_cargo_tag(p: &Path) -> bool {
    std::fs::read(p).is_ok_and(|b| b.starts_with(b"Signature: 8a477f597d28d172789f06886806bc55"))
}

/// The guest's init: the binary and the files it needs beside it in the initramfs.
#[derive(Debug, Clone)]
pub struct GuestInit {
    /// The binary, placed as `/init`.
    pub path: PathBuf,
    /// Its loader and shared libraries when it is dynamically linked (else empty).
    pub carried: Vec<Carried>,
}

/// Finds (or builds) the guest's init; says once per process which one when it is not the
/// running static binary or a source build (which says so itself).
pub fn guest_init() -> anyhow::Result<GuestInit> {
    let exe = std::env::current_exe().context("locating the running cgharness")?;
    let found = gather(&exe)?;
    let only = |path: PathBuf| GuestInit {
        path,
        carried: Vec::new(),
    };
    match choose(&found) {
        Choice::Env(p) => env_binary(p).map(only),
        Choice::MyselfStatic => Ok(only(exe)),
        Choice::Beside(p) => {
            note_once(&format!("guest init: {} (static)", p.display()));
            Ok(only(p))
        }
        Choice::BesideNotStatic(p) => Err(crate::exit::host_cannot(format!(
            "{} is not statically linked; replace it with the output of scripts/build-static, \
             or remove it to let this cgharness run in the guest with its shared libraries",
            p.display()
        ))),
        Choice::BuildFromSource(tree) => build_static(&tree).map(only),
        Choice::MyselfDynamic => myself_dynamic(exe),
    }
}

/// Facts for [`choose`], read from the file system.
fn gather(exe: &Path) -> anyhow::Result<Found> {
    let head = std::fs::read(exe).with_context(|| format!("reading {}", exe.display()))?;
    let beside = exe.with_file_name(BESIDE_NAME);
    let beside = std::fs::read(&beside)
        .ok()
        .map(|b| (beside, is_static_elf(&b)));
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"));
    Ok(Found {
        env: std::env::var_os("CGHARNESS_GUEST_BIN").map(PathBuf::from),
        exe_static: is_static_elf(&head),
        beside,
        exe_in_cargo_target: in_cargo_target(exe, &is_cargo_tag),
        source_tree: tree
            .join("Cargo.toml")
            .is_file()
            .then(|| tree.to_path_buf()),
    })
}

fn env_binary(p: PathBuf) -> anyhow::Result<PathBuf> {
    let b = std::fs::read(&p).with_context(|| format!("CGHARNESS_GUEST_BIN={}", p.display()))?;
    if !is_static_elf(&b) {
        bail!(crate::exit::usage(format!(
            "CGHARNESS_GUEST_BIN={} is not statically linked",
            p.display()
        )));
    }
    Ok(p)
}

fn myself_dynamic(exe: PathBuf) -> anyhow::Result<GuestInit> {
    let carried = dynlink::for_running_binary(&exe).map_err(|e| {
        crate::exit::host_cannot(format!(
            "{e:#}: this cgharness is dynamically linked and its loader and libraries cannot be \
             carried into the guest; install a static one beside it as {BESIDE_NAME} \
             (scripts/build-static) or set CGHARNESS_GUEST_BIN"
        ))
    })?;
    let names: Vec<String> = carried
        .iter()
        .skip(1)
        .filter_map(|c| Some(c.src.file_name()?.to_string_lossy().into_owned()))
        .collect();
    let debug = if cfg!(debug_assertions) {
        "; a debug build: its workloads run slower than a release build's"
    } else {
        ""
    };
    note_once(&format!(
        "guest init: {} (dynamically linked: with its loader {} and {}{debug})",
        exe.display(),
        carried.first().map(|c| c.dest.as_str()).unwrap_or("?"),
        names.join(", ")
    ));
    Ok(GuestInit { path: exe, carried })
}

/// Prints `msg` to stderr the first time only (a matrix or `--boots` asks once per boot).
fn note_once(msg: &str) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SAID.swap(true, std::sync::atomic::Ordering::SeqCst) {
        eprintln!("{msg}");
    }
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

    fn found() -> Found {
        Found {
            env: None,
            exe_static: false,
            beside: None,
            exe_in_cargo_target: false,
            source_tree: None,
        }
    }

    #[test]
    fn an_installed_dynamic_binary_runs_itself_though_its_source_tree_is_there() {
        let f = Found {
            source_tree: Some("/src/cgharness".into()),
            ..found()
        };
        assert_eq!(choose(&f), Choice::MyselfDynamic);
        assert_eq!(choose(&found()), Choice::MyselfDynamic);
    }

    #[test]
    fn a_build_in_a_cargo_target_dir_gets_a_static_build_from_its_tree() {
        let f = Found {
            exe_in_cargo_target: true,
            source_tree: Some("/src/cgharness".into()),
            ..found()
        };
        assert_eq!(choose(&f), Choice::BuildFromSource("/src/cgharness".into()));
        let gone = Found {
            source_tree: None,
            ..f
        };
        assert_eq!(choose(&gone), Choice::MyselfDynamic, "no tree: no exit 3");
    }

    #[test]
    fn a_static_guest_beside_wins_over_building_and_a_dynamic_one_there_is_refused() {
        let beside = |st: bool| Found {
            beside: Some(("/opt/bin/cgharness-guest".into(), st)),
            exe_in_cargo_target: true,
            source_tree: Some("/src".into()),
            ..found()
        };
        assert_eq!(
            choose(&beside(true)),
            Choice::Beside("/opt/bin/cgharness-guest".into())
        );
        assert_eq!(
            choose(&beside(false)),
            Choice::BesideNotStatic("/opt/bin/cgharness-guest".into())
        );
    }

    #[test]
    fn the_env_then_a_static_self_come_first() {
        let f = Found {
            env: Some("/x".into()),
            exe_static: true,
            beside: Some(("/b".into(), true)),
            ..found()
        };
        assert_eq!(choose(&f), Choice::Env("/x".into()));
        let f = Found { env: None, ..f };
        assert_eq!(choose(&f), Choice::MyselfStatic);
    }

    #[test]
    fn cargo_target_dirs_are_found_by_their_tag_up_to_four_levels() {
        let tag = |p: &Path| p == Path::new("/w/target/CACHEDIR.TAG");
        assert!(in_cargo_target(
            Path::new("/w/target/debug/cgharness"),
            &tag
        ));
        assert!(in_cargo_target(
            Path::new("/w/target/x86_64-unknown-linux-gnu/release/cgharness"),
            &tag
        ));
        assert!(in_cargo_target(
            Path::new("/w/target/a/b/c/cgharness"),
            &tag
        ));
        assert!(!in_cargo_target(
            Path::new("/home/u/.cargo/bin/cgharness"),
            &tag
        ));
        assert!(!in_cargo_target(
            Path::new("/w/target/a/b/c/d/cgharness"),
            &tag
        ));
    }

    #[test]
    fn this_test_binary_is_in_a_cargo_target_dir_and_the_system_shell_is_not() {
        let exe = std::env::current_exe().unwrap();
        assert!(in_cargo_target(&exe, &is_cargo_tag), "{}", exe.display());
        assert!(!in_cargo_target(Path::new("/bin/sh"), &is_cargo_tag));
    }

    #[test]
    fn system_binaries_are_dynamic() {
        let b = std::fs::read("/bin/sh").unwrap();
        assert!(!is_static_elf(&b));
        assert!(!is_static_elf(b"#!/bin/sh\n"));
    }
}
