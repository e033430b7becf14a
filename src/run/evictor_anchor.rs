//! `eviction_phase = "at MARK"`: the evictor's schedule starts at a mark of the run. The run
//! loop, recording the mark, hands it to the evictor and waits (at most [`HANDOFF_MS`]) until
//! the evictor has taken its first look, so that look comes before any workload waiting for
//! the mark starts: a spike that starts there lands a full period before the next look,
//! whatever the set-up before it cost (inside `run all` it varied by 20 s under TCG).

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long the run loop waits for the evictor's first look at the mark.
pub const HANDOFF_MS: u64 = 500;

/// Where the hand-off stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Waiting,
    Marked,
    Looked,
}

/// The mark the evictor's looks start at, shared by the run loop and the evictor.
pub struct Anchor {
    key: String,
    stage: Mutex<Stage>,
    cv: Condvar,
}

impl Anchor {
    /// An anchor at the mark `key` (its canonical text, `web-app:done`).
    pub fn new(key: String) -> Anchor {
        Anchor {
            key,
            stage: Mutex::new(Stage::Waiting),
            cv: Condvar::new(),
        }
    }

    /// The run loop: `key` was just recorded. At the anchor's mark, wakes the evictor and
    /// waits for its look (at most [`HANDOFF_MS`]); true when the look was taken.
    pub fn reached(&self, key: &str) -> bool {
        if key != self.key {
            return false;
        }
        let Ok(mut st) = self.stage.lock() else {
            return false;
        };
        if *st == Stage::Waiting {
            *st = Stage::Marked;
        }
        self.cv.notify_all();
        let wait = Duration::from_millis(HANDOFF_MS);
        match self
            .cv
            .wait_timeout_while(st, wait, |s| *s != Stage::Looked)
        {
            Ok((st, _)) => *st == Stage::Looked,
            Err(_) => false,
        }
    }

    /// The evictor: waits for the mark, checking `stopped` every 20 ms; true once it came.
    pub fn wait(&self, stopped: &dyn Fn() -> bool) -> bool {
        let Ok(mut st) = self.stage.lock() else {
            return false;
        };
        while *st == Stage::Waiting {
            if stopped() {
                return false;
            }
            st = match self.cv.wait_timeout(st, Duration::from_millis(20)) {
                Ok((st, _)) => st,
                Err(_) => return false,
            };
        }
        true
    }

    /// The evictor: its first look is taken; lets the run loop go on.
    pub fn looked(&self) {
        if let Ok(mut st) = self.stage.lock() {
            *st = Stage::Looked;
        }
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_run_loop_waits_for_the_look_at_the_mark_only() {
        let a = Arc::new(Anchor::new("web:done".into()));
        assert!(!a.reached("web:start"), "another mark passes at once");
        let b = a.clone();
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        let t = std::thread::spawn(move || {
            assert!(b.wait(&|| false));
            std::thread::sleep(Duration::from_millis(50));
            o.lock().unwrap().push("look");
            b.looked();
        });
        assert!(a.reached("web:done"));
        order.lock().unwrap().push("after the mark");
        t.join().unwrap();
        assert_eq!(*order.lock().unwrap(), ["look", "after the mark"]);
    }

    #[test]
    fn a_stopped_evictor_stops_waiting_and_the_loop_gives_up_after_the_handoff() {
        let a = Anchor::new("web:done".into());
        assert!(!a.wait(&|| true));
        let t0 = std::time::Instant::now();
        assert!(!a.reached("web:done"), "nobody looked");
        assert!(t0.elapsed() >= Duration::from_millis(HANDOFF_MS));
    }
}
