//! Exit codes and the typed failure that carries one through `anyhow`.
//!
//! 0 ok, 1 an expectation failed, 2 usage or input error, 3 this host cannot run it,
//! 4 infrastructure failure (VM crashed or timed out, qemu failed). `--bisect` maps 4 to 125
//! so `git bisect run` skips kernels that cannot be tested.

use std::fmt;

/// The process exit status of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done and held.
    Ok,
    /// An expectation failed.
    ExpectationFailed,
    /// The command line or an input file is wrong.
    Usage,
    /// This host cannot run it (what is missing is said).
    HostCannot,
    /// The infrastructure failed (VM crashed, timed out, qemu failed).
    Infrastructure,
    /// A guest's own status passed through by `vm` (a program's exit code under `--exec`,
    /// 128 + the signal that killed it, a harness that panicked with 101).
    Guest(i32),
}

impl Exit {
    /// The code to exit with; with `bisect`, an infrastructure failure becomes 125 (skip).
    pub fn code(self, bisect: bool) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::ExpectationFailed => 1,
            Exit::Usage => 2,
            Exit::HostCannot => 3,
            Exit::Infrastructure if bisect => 125,
            Exit::Infrastructure => 4,
            Exit::Guest(c) => c,
        }
    }

    /// How bad a status is: a failed expectation outranks a could-not-run (3 must never hide
    /// a real failure), and usage and infrastructure errors outrank both.
    fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::HostCannot => 1,
            Exit::ExpectationFailed | Exit::Guest(_) => 2,
            Exit::Usage => 3,
            Exit::Infrastructure => 4,
        }
    }

    /// The worse of two statuses, by [`Exit::combine`]'s order (1 beats 3).
    pub fn worse(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The status of several scenarios run one after the other: the first usage error or
    /// infrastructure failure (they stop everything); otherwise 1 if any expectation failed,
    /// else 3 if any could not run here, else 0. A could-not-run never hides a failure.
    pub fn combine(outcomes: impl IntoIterator<Item = Exit>) -> Exit {
        let mut failed = false;
        let mut cannot = false;
        for e in outcomes {
            match e {
                Exit::Usage | Exit::Infrastructure => return e,
                Exit::ExpectationFailed | Exit::Guest(_) => failed = true,
                Exit::HostCannot => cannot = true,
                Exit::Ok => {}
            }
        }
        if failed {
            Exit::ExpectationFailed
        } else if cannot {
            Exit::HostCannot
        } else {
            Exit::Ok
        }
    }

    /// The status for a raw exit code reported by a guest (0–4; anything else is infrastructure).
    pub fn from_code(code: i32) -> Exit {
        match code {
            0 => Exit::Ok,
            1 => Exit::ExpectationFailed,
            2 => Exit::Usage,
            3 => Exit::HostCannot,
            _ => Exit::Infrastructure,
        }
    }
}

/// An error that decides the exit code. Anything else that reaches `main` exits 4.
#[derive(Debug)]
pub struct Failure {
    /// The exit status it maps to.
    pub exit: Exit,
    /// What to tell the user, including what to do.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// A usage or input error (exit 2).
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure {
        exit: Exit::Usage,
        message: message.into(),
    }
    .into()
}

/// The host lacks something (exit 3).
pub fn host_cannot(message: impl Into<String>) -> anyhow::Error {
    Failure {
        exit: Exit::HostCannot,
        message: message.into(),
    }
    .into()
}

/// Infrastructure failure (exit 4).
pub fn infrastructure(message: impl Into<String>) -> anyhow::Error {
    Failure {
        exit: Exit::Infrastructure,
        message: message.into(),
    }
    .into()
}

/// The exit status an error maps to: the first [`Failure`] in its chain, else infrastructure.
pub fn exit_of(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>().map(|f| f.exit))
        .unwrap_or(Exit::Infrastructure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn failure_survives_context() {
        let e = Err::<(), _>(host_cannot("no memory controller"))
            .context("doctor")
            .unwrap_err();
        assert_eq!(exit_of(&e), Exit::HostCannot);
        assert_eq!(exit_of(&anyhow::anyhow!("plain")), Exit::Infrastructure);
    }

    #[test]
    fn combine_never_lets_a_could_not_run_hide_a_failure() {
        use Exit::*;
        assert_eq!(
            Exit::combine([HostCannot, ExpectationFailed, Ok]),
            ExpectationFailed
        );
        assert_eq!(
            Exit::combine([ExpectationFailed, HostCannot]),
            ExpectationFailed
        );
        assert_eq!(Exit::combine([Ok, HostCannot, Ok]), HostCannot);
        assert_eq!(Exit::combine([Ok, Ok]), Ok);
        assert_eq!(
            Exit::combine([ExpectationFailed, Infrastructure]),
            Infrastructure
        );
        assert_eq!(Exit::combine([HostCannot, Usage, ExpectationFailed]), Usage);
        assert_eq!(Exit::combine([]), Ok);
        assert_eq!(HostCannot.worse(ExpectationFailed), ExpectationFailed);
        assert_eq!(ExpectationFailed.worse(HostCannot), ExpectationFailed);
        assert_eq!(ExpectationFailed.worse(Infrastructure), Infrastructure);
    }

    #[test]
    fn bisect_skips_infrastructure_only() {
        assert_eq!(Exit::Infrastructure.code(true), 125);
        assert_eq!(Exit::Infrastructure.code(false), 4);
        assert_eq!(Exit::ExpectationFailed.code(true), 1);
        assert_eq!(Exit::from_code(137), Exit::Infrastructure);
    }
}
