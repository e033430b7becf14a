//! Ctrl-C and SIGTERM: set a flag instead of dying, so long operations stop at a safe point
//! and their guards (scratch cgroups, qemu children) clean up. A second signal exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();

/// Installs the handlers (idempotent). The second SIGINT/SIGTERM terminates with status 130.
pub fn install() -> std::io::Result<()> {
    let flag = FLAG
        .get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone())?;
        signal_hook::flag::register(sig, flag.clone())?;
    }
    Ok(())
}

/// Whether the user asked to stop.
pub fn requested() -> bool {
    FLAG.get()
        .map(|f| f.load(Ordering::SeqCst))
        .unwrap_or(false)
}
