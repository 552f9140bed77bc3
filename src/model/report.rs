//! The report (`report.json`, `shopaudit/report/v1`, docs/REPORT.md): the single source of
//! truth that the Markdown and HTML renderings, the history and the portfolio read.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::evidence::{Evidence, Page};
use super::finding::{Finding, Outcome, Severity};
use super::kinds::StoreKey;

/// The report contract's schema id.
pub const SCHEMA: &str = "shopaudit/report/v1";

/// A whole audit (`report.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Which tool wrote it.
    pub tool: Tool,
    /// The store.
    pub store: StoreInfo,
    /// This run.
    pub run: RunInfo,
    /// Every page fetched.
    pub pages: Vec<Page>,
    /// What the probes saw.
    pub evidence: Evidence,
    /// Every check's result, in catalogue order.
    pub findings: Vec<Finding>,
    /// Findings counted by outcome.
    pub summary: Summary,
}

/// `tool`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// "shopaudit".
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// `store`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The store's identity in the history (see [`StoreKey`]); empty in reports written
    /// before stores had keys, which were keyed by their URL.
    #[serde(default)]
    pub key: StoreKey,
    /// Display name.
    pub name: String,
    /// Start URL.
    pub url: String,
    /// IANA zone, null when unknown.
    pub timezone: Option<String>,
}

/// `run`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique run id.
    pub id: String,
    /// When the audit started.
    pub started_at: DateTime<FixedOffset>,
    /// When it ended.
    pub finished_at: DateTime<FixedOffset>,
    /// Probes that ran: static, browser, email.
    pub probes: Vec<String>,
    /// Checks failing in this run that passed in the store's run before (`shopaudit run` and
    /// the fleet compare them; empty for a single audit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<String>,
}

/// `summary`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Errors.
    pub error: usize,
    /// 0-100: a pass counts 100, a warning 50, a failure 0, over the checks that judged the
    /// store (not applicable and errors left out); none when nothing was judged. Reports
    /// written before it was kept have none until judged again.
    #[serde(default)]
    pub score: Option<u8>,
}

impl Summary {
    /// Counts findings by outcome, and the score.
    pub fn of(findings: &[Finding]) -> Self {
        let mut s = Summary::default();
        for f in findings {
            *match f.outcome {
                Outcome::Pass => &mut s.pass,
                Outcome::Fail => &mut s.fail,
                Outcome::Warn => &mut s.warn,
                Outcome::NotApplicable => &mut s.not_applicable,
                Outcome::Error => &mut s.error,
            } += 1;
        }
        let judged = s.pass + s.fail + s.warn;
        s.score = (s.pass * 100 + s.warn * 50).checked_div(judged).and_then(|n| u8::try_from(n).ok());
        s
    }
}

impl StoreInfo {
    /// The key its history rows carry: the store's key, or for a report written before
    /// stores had keys, its URL.
    pub fn history_key(&self) -> StoreKey {
        if self.key.is_empty() {
            StoreKey::new(self.url.clone())
        } else {
            self.key.clone()
        }
    }
}

impl Report {
    /// An empty report of store `key`, for tests.
    #[cfg(test)]
    pub fn empty(key: &str) -> Report {
        let at = DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap_or_default();
        Report {
            schema: SCHEMA.into(),
            tool: Tool { name: "shopaudit".into(), version: "0".into() },
            store: StoreInfo {
                key: StoreKey::new(key),
                name: key.into(),
                url: "http://127.0.0.1/".into(),
                timezone: None,
            },
            run: RunInfo {
                id: "1".into(),
                started_at: at,
                finished_at: at,
                probes: Vec::new(),
                regressions: Vec::new(),
            },
            pages: Vec::new(),
            evidence: Evidence::default(),
            findings: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// The checks that failed, by id, in catalogue order.
    pub fn failing(&self) -> Vec<String> {
        self.findings.iter().filter(|f| f.outcome == Outcome::Fail).map(|f| f.check.clone()).collect()
    }

    /// True when a finding at or above `threshold` failed: the audit's exit status 1.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.outcome == Outcome::Fail && f.severity >= threshold)
    }

    /// Findings that need attention (fail, warn, error), worst first.
    pub fn problems(&self) -> Vec<&Finding> {
        let rank = |o: Outcome| match o {
            Outcome::Fail => 0,
            Outcome::Error => 1,
            Outcome::Warn => 2,
            _ => 3,
        };
        let mut out: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Fail | Outcome::Warn | Outcome::Error))
            .collect();
        out.sort_by_key(|f| (rank(f.outcome), std::cmp::Reverse(f.severity)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(outcomes: &[Outcome]) -> Vec<Finding> {
        outcomes
            .iter()
            .map(|&outcome| Finding {
                check: "x".into(),
                outcome,
                severity: Severity::Minor,
                title: String::new(),
                detail: String::new(),
                evidence: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_score_counts_passes_and_half_the_warnings_over_what_was_judged() {
        use Outcome::*;
        let score = |o: &[Outcome]| Summary::of(&findings(o)).score;
        assert_eq!(score(&[Pass, Pass, Fail, Warn]), Some(62)); // (200 + 50) / 4, rounded down
        assert_eq!(score(&[Pass, NotApplicable, Error]), Some(100), "only what judged the store counts");
        assert_eq!(score(&[Fail, Fail]), Some(0));
        assert_eq!(score(&[NotApplicable, Error]), None, "nothing judged: no score, not 0 or 100");
    }
}
