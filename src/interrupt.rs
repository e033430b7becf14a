//! SIGINT, SIGTERM and SIGHUP: the first one sets a flag instead of killing, so long
//! operations stop at a safe point and their guards (scratch cgroups, qemu children) clean
//! up; `main` then dies by that same signal ([`die_if_interrupted`]), never `exit(130)`, so a
//! shell, CI or systemd sees "killed by SIGTERM", not a failure of its own. A second signal
//! kills at once, by the signal's default action; the reaper then cleans up.

use std::sync::atomic::{AtomicI32, Ordering};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The signals handled.
pub const SIGNALS: [i32; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Installs the handlers (idempotent in effect: a second install adds handlers that do the
/// same).
pub fn install() -> std::io::Result<()> {
    for sig in SIGNALS {
        // SAFETY: the handler only touches an atomic and, on a second signal, restores the
        // default action and re-raises it (emulate_default_handler is async-signal-safe).
        unsafe {
            signal_hook::low_level::register(sig, move || {
                if SIGNAL.swap(sig, Ordering::SeqCst) != 0 {
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                }
            })?;
        }
    }
    Ok(())
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// The signal received, if any.
pub fn received() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// The signal's name (`SIGTERM`).
pub fn name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// After cleanup: if a signal was received, restore its default action and raise it, so the
/// process dies by it. Returns only when no signal was received.
pub fn die_if_interrupted() {
    let Some(sig) = received() else { return };
    // SAFETY: resetting to SIG_DFL, unblocking and raising are plain libc calls.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    // Not reached for the handled signals (their default action terminates).
    std::process::exit(128 + sig);
}
