//! Reports: the JSON report (`shopaudit/report/v1`, docs/REPORT.md) is the single source of
//! truth; Markdown and HTML are renderings of it.

mod html;
pub mod markdown;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::checks::{Finding, Outcome, Severity};
use crate::error::{Error, Result};
use crate::evidence::{Evidence, Page};

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
}

impl Summary {
    /// Counts findings by outcome.
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
        s
    }
}

impl Report {
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

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `report.json`
    Json,
    /// `report.md`
    Md,
    /// `report.html`
    Html,
}

impl Format {
    /// The file name written in the output folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Md => "report.md",
            Format::Html => "report.html",
        }
    }

    /// Renders the report in this format.
    pub fn render(self, report: &Report) -> Result<String> {
        match self {
            Format::Json => to_json(report),
            Format::Md => Ok(markdown::render(report)),
            Format::Html => html::render(report),
        }
    }
}

/// Pretty JSON of the report.
pub fn to_json(report: &Report) -> Result<String> {
    serde_json::to_string_pretty(report).map_err(|e| Error::Usage(format!("cannot serialise the report: {e}")))
}

/// Writes the report in each format into `dir` (created if needed); each file is written
/// to a temporary name and renamed, so a killed run never leaves half a report.
pub fn write(report: &Report, dir: &Path, formats: &[Format]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    formats.iter().map(|format| write_atomic(&dir.join(format.file_name()), &format.render(report)?)).collect()
}

/// Writes `text` to `path` whole or not at all (a sibling `.partial` file, then a rename): a
/// killed run leaves the previous file in place.
pub fn write_atomic(path: &Path, text: &str) -> Result<PathBuf> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, text).map_err(|e| Error::io("cannot write", &partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| Error::io("cannot write", path, e))?;
    Ok(path.to_path_buf())
}

/// A store name as a folder name: "Acme Coffee!" → "acme-coffee".
pub fn slug(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() {
        "store".into()
    } else {
        s
    }
}

/// Reads a `report.json`.
pub fn read(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{} is not a shopaudit report: {e}", path.display())))
}

/// A duration for people: "3.2 s", "41 min", "2 h 5 min", "3 d 4 h".
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{:.1} s", ms as f64 / 1000.0),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A moment as the store's clock shows it (in `timezone`, else as recorded), to the minute.
pub(crate) fn local_time(at: chrono::DateTime<chrono::FixedOffset>, timezone: Option<&str>) -> String {
    match timezone.and_then(|t| t.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string(),
        None => at.format("%Y-%m-%d %H:%M %:z").to_string(),
    }
}

/// An optional duration for a report cell: "—" when unknown.
pub fn maybe_duration(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_string(), human_duration)
}

/// An optional share as a percentage: "—" when unknown.
pub fn maybe_percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |x| format!("{:.0}%", x * 100.0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn moments_are_shown_on_the_stores_clock() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-27T19:25:00Z").unwrap();
        assert_eq!(super::local_time(at, Some("Europe/Berlin")), "2026-11-27 20:25 +01:00");
        assert_eq!(super::local_time(at, Some("Asia/Tokyo")), "2026-11-28 04:25 +09:00");
        assert_eq!(super::local_time(at, None), "2026-11-27 19:25 +00:00");
        assert_eq!(super::local_time(at, Some("Not/AZone")), "2026-11-27 19:25 +00:00");
    }
}
