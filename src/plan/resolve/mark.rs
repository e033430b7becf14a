//! Marks: the points in a run that phases span and `after =` waits for (`run:start`,
//! `reader:pass_end:1`, `hog:spike`), parsed and checked against the scenario's workloads.

use super::super::WorkloadPlan;
use crate::spec::{suggest, Source, SpecError};
use serde::{Deserialize, Serialize};

/// What happened at a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkEvent {
    /// The workload was started (or the run began).
    Start,
    /// The workload reported its work done (it may hold memory after this).
    Done,
    /// The workload finished pass N.
    PassEnd(u32),
    /// An anon workload's `--spike` is touched and held.
    Spike,
    /// An anon workload's `--spike` was freed.
    SpikeEnd,
    /// The workload exited (or the run ended).
    Exit,
}

/// A point in a run: `run:start`, `reader:pass_end:1`, `hog:exit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// `run` or a workload name.
    pub who: String,
    /// What happened.
    pub event: MarkEvent,
}

impl Mark {
    /// Parses `NAME[:start|done|exit|end|pass_end[:N]|spike|spike_end]`; a bare name means
    /// exit.
    pub fn parse(text: &str) -> Result<Mark, String> {
        let mut parts = text.split(':');
        let who = parts.next().unwrap_or_default().to_string();
        let ev = parts.next().unwrap_or("exit");
        let n = parts.next();
        let event = match (ev, n) {
            ("start", None) => MarkEvent::Start,
            ("done", None) => MarkEvent::Done,
            ("exit" | "end", None) => MarkEvent::Exit,
            ("spike", None) => MarkEvent::Spike,
            ("spike_end", None) => MarkEvent::SpikeEnd,
            ("pass_end", n) => MarkEvent::PassEnd(
                n.unwrap_or("0")
                    .parse()
                    .map_err(|_| format!("{text:?}: pass_end:N needs a number"))?,
            ),
            _ => {
                return Err(format!(
                "{text:?}: a mark is NAME, NAME:start, NAME:done, NAME:exit, NAME:pass_end[:N], \
                 NAME:spike or NAME:spike_end"
            ))
            }
        };
        Ok(Mark { who, event })
    }

    /// The mark's canonical text.
    pub fn key(&self) -> String {
        let ev = match self.event {
            MarkEvent::Start => "start".to_string(),
            MarkEvent::Done => "done".to_string(),
            MarkEvent::PassEnd(n) => format!("pass_end:{n}"),
            MarkEvent::Spike => "spike".to_string(),
            MarkEvent::SpikeEnd => "spike_end".to_string(),
            MarkEvent::Exit if self.who == "run" => "end".to_string(),
            MarkEvent::Exit => "exit".to_string(),
        };
        format!("{}:{ev}", self.who)
    }
}

/// Parses a mark of the scenario and checks that it can happen. `acts` are the names of
/// waits and actions, whose marks are `NAME:start` and `NAME:done` (a bare name: done).
pub(super) fn mark_of(
    src: &Source,
    text: &str,
    known: &[WorkloadPlan],
    acts: &[String],
) -> Result<Mark, SpecError> {
    let mut m = Mark::parse(text).map_err(|e| src.error_at(text, e))?;
    if acts.contains(&m.who) {
        return match m.event {
            MarkEvent::Start | MarkEvent::Done => Ok(m),
            MarkEvent::Exit => {
                m.event = MarkEvent::Done;
                Ok(m)
            }
            _ => Err(src.error_at(
                text,
                format!("mark {text:?}: a wait or action has NAME:start and NAME:done"),
            )),
        };
    }
    if m.who != "run" && !known.iter().any(|w| w.name == m.who) {
        let names = known.iter().map(|w| w.name.as_str());
        let h = suggest::hint(&m.who, names.chain(acts.iter().map(String::as_str)));
        return Err(src.error_at(
            text,
            format!("mark {text:?}: no earlier workload `{}`{h}", m.who),
        ));
    }
    if matches!(m.event, MarkEvent::Spike | MarkEvent::SpikeEnd) {
        let argv = known.iter().find(|w| w.name == m.who).map(|w| &w.argv);
        let spikes = argv.is_some_and(|a| {
            a.first().is_some_and(|x| x == "anon")
                && a.iter()
                    .any(|x| x == "--spike" || x.starts_with("--spike="))
        });
        if !spikes {
            return Err(src.error_at(
                text,
                format!(
                    "mark {text:?} never happens: only `anon … --spike SIZE` emits spike marks; \
                     add --spike to workload `{}` or use another mark",
                    m.who
                ),
            ));
        }
    }
    Ok(m)
}
