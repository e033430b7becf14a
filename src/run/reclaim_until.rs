//! The kernel selftests' `reclaim_until(memcg, goal)` (test_memcontrol.c, 6.12 lines 876–901,
//! 7.2 lines 896–921) as an action: memory.reclaim in rounds of `current − goal`, judged as
//! the selftest judges it. The loop is pure over two closures (read memory.current, write
//! memory.reclaim); the caller does the I/O.

/// Rounds, as in the selftest.
const ROUNDS: usize = 5;

/// How a reclaim_until ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The selftest's return value: some write returned 0 and usage reached the goal.
    pub ok: bool,
    /// Each write: the bytes asked for and the errno name it answered with (None: 0).
    pub writes: Vec<(u64, Option<String>)>,
    /// Why it failed, in words.
    pub why: Option<String>,
}

/// The selftest's `values_close(a, b, err)`: `|a − b| <= (a + b) / 100 * err` in integer
/// arithmetic (the division truncates first).
pub fn values_close(a: u64, b: u64, err: u64) -> bool {
    a.abs_diff(b) <= (a + b) / 100 * err
}

/// Runs the loop: at most [`ROUNDS`] times, read current; stop when below `goal` or within 3%
/// of it; fail if an earlier write returned 0 (usage still above after a claimed success);
/// write `current − goal`; a 0 return is a success to remember, EAGAIN goes round again,
/// anything else fails.
pub fn reclaim_until(
    goal: u64,
    read_current: &mut dyn FnMut() -> std::io::Result<u64>,
    write: &mut dyn FnMut(u64) -> std::io::Result<()>,
) -> Outcome {
    let mut out = Outcome {
        ok: false,
        writes: Vec::new(),
        why: None,
    };
    let mut reclaimed = false;
    for _ in 0..ROUNDS {
        let current = match read_current() {
            Ok(c) => c,
            Err(e) => return fail(out, format!("reading memory.current: {e}")),
        };
        if current < goal || values_close(current, goal, 3) {
            out.ok = reclaimed;
            if !reclaimed {
                out.why = Some(format!(
                    "usage reached {current} bytes, but no memory.reclaim write returned 0"
                ));
            }
            return out;
        }
        if reclaimed {
            return fail(
                out,
                format!(
                "memory.reclaim returned 0, yet usage is {current} bytes, above the goal {goal}"
            ),
            );
        }
        let ask = current - goal;
        match write(ask) {
            Ok(()) => {
                reclaimed = true;
                out.writes.push((ask, None));
            }
            Err(e) => {
                let name = errno_name(&e);
                out.writes.push((ask, Some(name.clone())));
                if name != "EAGAIN" {
                    return fail(out, format!("memory.reclaim {ask}: {e}"));
                }
            }
        }
    }
    fail(out, format!("still above the goal after {ROUNDS} rounds"))
}

fn fail(mut out: Outcome, why: String) -> Outcome {
    out.ok = false;
    out.why = Some(why);
    out
}

/// `EAGAIN`, `EINVAL`, …, or `EIO` for an error that carries no errno.
pub fn errno_name(e: &std::io::Error) -> String {
    format!(
        "{:?}",
        nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Error;

    const M: u64 = 1 << 20;

    /// A cgroup holding `start` bytes; each write frees what `frees` says for the amount asked
    /// and answers with `answer`.
    fn run(start: u64, goal: u64, frees: fn(u64) -> u64, answer: fn(u64) -> i32) -> Outcome {
        let cur = std::cell::Cell::new(start);
        let mut read = || Ok(cur.get());
        let mut write = |ask: u64| {
            cur.set(cur.get().saturating_sub(frees(ask)));
            match answer(ask) {
                0 => Ok(()),
                n => Err(Error::from_raw_os_error(n)),
            }
        };
        reclaim_until(goal, &mut read, &mut write)
    }

    #[test]
    fn a_zero_return_that_reaches_the_goal_succeeds_after_one_write() {
        let o = run(100 * M, 30 * M, |a| a, |_| 0);
        assert!(o.ok, "{o:?}");
        assert_eq!(o.writes, vec![(70 * M, None)]);
    }

    #[test]
    fn eagain_goes_round_again_with_the_new_difference() {
        let o = run(
            100 * M,
            30 * M,
            |a| if a > 40 * M { a / 2 } else { a },
            |a| if a > 40 * M { libc::EAGAIN } else { 0 },
        );
        assert!(o.ok, "{o:?}");
        assert_eq!(
            o.writes,
            vec![(70 * M, Some("EAGAIN".into())), (35 * M, None)]
        );
    }

    #[test]
    fn reaching_the_goal_only_through_eagain_fails() {
        let o = run(100 * M, 30 * M, |_| 100 * M, |_| libc::EAGAIN);
        assert!(!o.ok);
        assert_eq!(o.writes.len(), 1);
        assert!(o
            .why
            .unwrap()
            .contains("no memory.reclaim write returned 0"));
    }

    #[test]
    fn a_zero_return_that_leaves_usage_above_fails() {
        let o = run(100 * M, 30 * M, |_| 10 * M, |_| 0);
        assert!(!o.ok);
        assert!(o.why.unwrap().contains("above the goal"));
    }

    #[test]
    fn values_close_truncates_like_the_c_one() {
        // (a + b) / 100 = 1 (not 1.99) in integer arithmetic: a bound of 3, not 5.97.
        assert!(values_close(100, 97, 3));
        assert!(!values_close(100, 96, 3));
        assert!(values_close(31 * M, 30 * M, 3));
    }
}
