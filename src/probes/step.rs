//! Why one step in the browser failed. The report records it as text (`pages[].error`, a
//! conversation's `error`), but the probes keep it typed, so that a lost frame is told from
//! a script's exception without reading the message.

use std::time::Duration;

/// A step in the browser that did not work.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The DevTools protocol call failed: the tab crashed, the target went away, a frame's
    /// world was lost, the call timed out.
    #[error("{0:#}")]
    Protocol(#[from] anyhow::Error),
    /// The page's script threw, or produced something other than text.
    #[error("script failed: {0}")]
    Script(String),
    /// A script's answer is not the JSON its reader expects.
    #[error("{what}: {source}")]
    Answer {
        /// Whose answer.
        what: &'static str,
        /// serde_json's complaint.
        source: serde_json::Error,
    },
    /// The page did not fire its load event in time.
    #[error("{page} did not finish loading within {} s", .limit.as_secs())]
    Load {
        /// The page's address.
        page: String,
        /// How long we waited.
        limit: Duration,
    },
    /// The page or widget did not do what a person would see it do (a part gone, nothing
    /// appeared after a click), in the probe's words.
    #[error("{0}")]
    Page(String),
}

impl StepError {
    /// A script's answer that does not read as `what` expects.
    pub fn answer(what: &'static str) -> impl Fn(serde_json::Error) -> StepError {
        move |source| StepError::Answer { what, source }
    }

    /// The page or widget did not do what a person would see it do.
    pub fn page(what: impl Into<String>) -> Self {
        StepError::Page(what.into())
    }

    /// The frame's JavaScript world is gone (it navigated): Chrome answers "Cannot find
    /// context with specified id", and a new world must be made.
    pub fn lost_context(&self) -> bool {
        let StepError::Protocol(e) = self else { return false };
        e.downcast_ref::<headless_chrome::types::RemoteError>().is_some_and(|r| r.message.contains("context"))
    }
}

/// A step's result.
pub type Step<T> = Result<T, StepError>;
