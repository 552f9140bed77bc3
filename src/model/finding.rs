//! What a check concluded, as the report keeps it: the severity of a failure, the outcome,
//! and the finding itself.

use serde::{Deserialize, Serialize};

use super::named::named_enum;

named_enum! {
    /// How much a failure hurts the store.
    #[derive(PartialOrd, Ord)]
    pub enum Severity ("severity") {
        /// Worth knowing.
        Info = "info",
        /// A small loss of trust.
        Minor = "minor",
        /// Buyers are lost.
        Major = "major",
        /// Buyers cannot get help or are put at risk.
        Critical = "critical",
    }
}

named_enum! {
    /// What a check concluded.
    pub enum Outcome ("outcome") {
        /// The rule holds.
        Pass = "pass",
        /// The rule is broken.
        Fail = "fail",
        /// Not broken, but worth fixing.
        Warn = "warn",
        /// The evidence does not exist (no chat, no staff photos ...).
        NotApplicable = "not_applicable",
        /// The probe feeding the check broke; the detail says why.
        Error = "error",
    }
}

/// A check's result in the report (`findings[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The check id.
    pub check: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The check's severity.
    pub severity: Severity,
    /// The pass or failure title.
    pub title: String,
    /// What was found.
    pub detail: String,
    /// What backs it.
    pub evidence: Vec<String>,
}
