//! What a check concluded, as the report keeps it: the severity of a failure, the outcome,
//! and the finding itself.

use serde::{Deserialize, Serialize};

/// How much a failure hurts the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// A small loss of trust.
    Minor,
    /// Buyers are lost.
    Major,
    /// Buyers cannot get help or are put at risk.
    Critical,
}

impl Severity {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [Severity::Info, Severity::Minor, Severity::Major, Severity::Critical]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?} (info, minor, major or critical)"))
    }
}

/// What a check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The rule holds.
    Pass,
    /// The rule is broken.
    Fail,
    /// Not broken, but worth fixing.
    Warn,
    /// The evidence does not exist (no chat, no staff photos ...).
    NotApplicable,
    /// The probe feeding the check broke; the detail says why.
    Error,
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
