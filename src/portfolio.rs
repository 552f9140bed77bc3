//! The agency's view over every store of a `shopaudit run`: one row per store with the two
//! numbers of the classic mystery-shopping study (answer rate, complete-answer rate), response
//! times, chat availability inside posted hours and failed checks by severity
//! (`shopaudit/portfolio/v1`, docs/REPORT.md), as JSON, Markdown and a sortable HTML page.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::evidence::{ConversationOutcome, ReplyKind};
use crate::model::Report;
use crate::model::{Outcome, Severity};

/// Scores drawn in a store's trend.
pub const TREND_RUNS: usize = 20;

/// The portfolio's schema id.
pub const SCHEMA: &str = "shopaudit/portfolio/v1";

/// `portfolio.json`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    /// [`SCHEMA`].
    pub schema: String,
    /// Whose report it is.
    pub agency: Agency,
    /// When it was written.
    pub generated_at: DateTime<FixedOffset>,
    /// One row per store, in the folder's order.
    pub stores: Vec<StoreRow>,
    /// The figures of all the stores together, as a published study counts them.
    #[serde(default)]
    pub figures: Figures,
    /// A published study's figures to set them beside (`[benchmark]` in portfolio.toml).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<Benchmark>,
}

/// The stores' letters together: the headline numbers of a mystery-shopping study.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Letters whose deadline passed (or that were answered), over every store.
    pub letters: usize,
    /// Of those, answered completely (every question), over every store.
    pub complete_answer_rate: Option<f64>,
    /// The store with the highest complete-answer rate.
    pub best_store: Option<String>,
    /// Its complete-answer rate.
    pub best_complete_answer_rate: Option<f64>,
    /// Its median time to a person's first answer.
    pub best_median_first_human_response_ms: Option<u64>,
}

impl Figures {
    /// The figures of these rows.
    pub fn of(rows: &[StoreRow]) -> Figures {
        let rows: Vec<&StoreRow> = rows.iter().collect();
        let letters: usize = rows.iter().map(|s| s.letters_decided()).sum();
        let best = rows.iter().filter(|s| s.complete_answer_rate.is_some()).reduce(|best, s| {
            if s.complete_answer_rate > best.complete_answer_rate {
                s
            } else {
                best
            }
        });
        Figures {
            letters,
            complete_answer_rate: pooled(&rows, |s| s.complete_answer_rate).map(|r| (r * 10_000.0).round() / 10_000.0),
            best_store: best.map(|s| s.name.clone()),
            best_complete_answer_rate: best.and_then(|s| s.complete_answer_rate),
            best_median_first_human_response_ms: best.and_then(|s| s.median_first_human_response_ms),
        }
    }
}

/// A published study's figures (`[benchmark]` in portfolio.toml), each optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benchmark {
    /// The study, as the pages cite it.
    pub name: String,
    /// Its share of letters answered completely.
    #[serde(default)]
    pub complete_answer_rate: Option<f64>,
    /// Its best store's share.
    #[serde(default)]
    pub best_complete_answer_rate: Option<f64>,
    /// Its best store's median time to a person's first answer.
    #[serde(default)]
    pub best_median_first_human_response_ms: Option<u64>,
}

/// The agency, from `portfolio.toml` (white label).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// Shown atop the reports.
    pub name: String,
    /// The logo file, relative to the scenarios folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
}

/// One store's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreRow {
    /// Store name.
    pub name: String,
    /// Start URL.
    pub url: String,
    /// Its report, relative to the portfolio; null when the audit could not run.
    pub report: Option<String>,
    /// Letters that reached the store.
    pub letters_sent: usize,
    /// Of those, answered by a person.
    pub letters_answered: usize,
    /// Of those sent, still inside their deadline without a person's answer: left out of
    /// the rates until their deadline passes.
    #[serde(default)]
    pub letters_waiting: usize,
    /// Human answer received, any time.
    pub answer_rate: Option<f64>,
    /// Every question of the letter addressed by the human replies before its deadline.
    pub complete_answer_rate: Option<f64>,
    /// Human answer within the letter's deadline (in posted hours when posted).
    pub answered_within_sla_rate: Option<f64>,
    /// An automatic acknowledgement arrived.
    pub auto_ack_rate: Option<f64>,
    /// Median time to the first human answer.
    pub median_first_human_response_ms: Option<u64>,
    /// 90th percentile of the same.
    pub p90_first_human_response_ms: Option<u64>,
    /// Readings of the chat's status in the history.
    pub chat_checks: usize,
    /// Share of readings inside posted hours that found the chat online.
    pub chat_online_in_hours_share: Option<f64>,
    /// Questions asked in the chat over the history.
    #[serde(default)]
    pub chat_questions: usize,
    /// Of those, answered by a person within the deadline.
    #[serde(default)]
    pub chat_answered: usize,
    /// `chat_answered / chat_questions`.
    #[serde(default)]
    pub chat_answer_rate: Option<f64>,
    /// Median time to a person's first reply in the chat.
    #[serde(default)]
    pub median_first_human_chat_reply_ms: Option<u64>,
    /// Questions the contact form took.
    #[serde(default)]
    pub form_sent: usize,
    /// Of those, answered by a person.
    #[serde(default)]
    pub form_answered: usize,
    /// Of those, still inside their deadline without a person's answer.
    #[serde(default)]
    pub form_waiting: usize,
    /// `form_answered` over the questions decided (answered, or past their deadline).
    #[serde(default)]
    pub form_answer_rate: Option<f64>,
    /// Median time to the first human answer to a question sent through the form.
    #[serde(default)]
    pub median_first_human_form_response_ms: Option<u64>,
    /// Failed checks by severity.
    pub failed: Failed,
    /// The report's 0-100 score; none for a store that could not be audited.
    #[serde(default)]
    pub score: Option<u8>,
    /// Why the store could not be audited this run.
    #[serde(default)]
    pub error: Option<String>,
    /// Checks that fail now and did not in the store's previous run.
    #[serde(default)]
    pub regressions: Vec<String>,
    /// The score against the audit before.
    #[serde(default)]
    pub change: Option<i16>,
    /// Scores of the last audits, oldest first.
    #[serde(default)]
    pub trend: Vec<u8>,
    /// When the latest report's audit started.
    #[serde(default)]
    pub last_audited: Option<DateTime<FixedOffset>>,
}

/// Failed checks by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    /// Critical.
    pub critical: usize,
    /// Major.
    pub major: usize,
    /// Minor.
    pub minor: usize,
}

/// A store's written questions (letters, or questions through the form) that reached it, how
/// many still wait inside their deadline (left out of the rates: they may yet be answered),
/// and the times to the first human answers, sorted.
struct Tally<'a> {
    went: Vec<&'a crate::model::evidence::EmailProbe>,
    waiting: usize,
    times: Vec<u64>,
}

impl<'a> Tally<'a> {
    fn of(all: &'a [crate::model::evidence::EmailProbe]) -> Self {
        let went: Vec<_> = all.iter().filter(|l| l.sent_at.is_some() && l.state.went_out()).collect();
        let waiting = went.iter().filter(|l| l.state.waiting()).count();
        let mut times: Vec<u64> = went.iter().filter_map(|l| l.first_human_response_ms).collect();
        times.sort_unstable();
        Tally { went, waiting, times }
    }

    /// `k` of the `decided` questions; none when none is decided.
    fn rate(k: usize, decided: usize) -> Option<f64> {
        (decided > 0).then(|| k as f64 / decided as f64)
    }
}

/// A rate over every store's decided letters together: each store's rate weighted by its
/// letters past their deadline or answered; none without any.
pub fn pooled(rows: &[&StoreRow], rate: fn(&StoreRow) -> Option<f64>) -> Option<f64> {
    let decided: usize = rows.iter().map(|s| s.letters_decided()).sum();
    (decided > 0)
        .then(|| rows.iter().map(|s| rate(s).unwrap_or(0.0) * s.letters_decided() as f64).sum::<f64>() / decided as f64)
}

impl StoreRow {
    /// Letters past their deadline or answered: the ones the rates count.
    pub fn letters_decided(&self) -> usize {
        self.letters_sent - self.letters_waiting.min(self.letters_sent)
    }

    /// A store's figures from its report (whose letters are every letter in the history) and
    /// the chat conversations the history holds.
    pub fn of(
        report: &Report,
        path: &str,
        regressions: Vec<String>,
        talks: &[crate::history::PastConversation],
    ) -> StoreRow {
        let asked: Vec<_> = talks.iter().filter(|t| t.asked_at.is_some()).collect();
        let mut replies: Vec<u64> = asked
            .iter()
            .filter(|t| t.outcome == ConversationOutcome::Answered)
            .filter_map(|t| t.first_human_reply_ms)
            .collect();
        replies.sort_unstable();
        let Tally { went: letters, waiting, times } = Tally::of(&report.evidence.email_probes);
        let rate = |k: usize| Tally::rate(k, letters.len() - waiting);
        let forms = Tally::of(&report.evidence.forms.answers);
        let within = letters
            .iter()
            .filter(|l| {
                l.first_human_response_business_ms.or(l.first_human_response_ms).is_some_and(|ms| ms <= l.sla_ms)
            })
            .count();
        let failed =
            |s: Severity| report.findings.iter().filter(|f| f.outcome == Outcome::Fail && f.severity == s).count();
        StoreRow {
            name: report.store.name.clone(),
            url: report.store.url.clone(),
            report: Some(path.to_string()),
            letters_sent: letters.len(),
            letters_answered: times.len(),
            answer_rate: rate(times.len()),
            letters_waiting: waiting,
            complete_answer_rate: rate(letters.iter().filter(|l| l.answered_completely()).count()),
            answered_within_sla_rate: rate(within),
            auto_ack_rate: rate(letters.iter().filter(|l| l.replies.iter().any(|r| r.kind == ReplyKind::Auto)).count()),
            median_first_human_response_ms: percentile(&times, 50),
            p90_first_human_response_ms: percentile(&times, 90),
            chat_checks: report.evidence.compliance.as_ref().map_or(0, |c| c.chat_checks),
            chat_online_in_hours_share: report.evidence.compliance.as_ref().and_then(|c| c.chat_online_in_hours_share),
            chat_questions: asked.len(),
            chat_answered: replies.len(),
            chat_answer_rate: (!asked.is_empty()).then(|| replies.len() as f64 / asked.len() as f64),
            median_first_human_chat_reply_ms: percentile(&replies, 50),
            form_sent: forms.went.len(),
            form_answered: forms.times.len(),
            form_waiting: forms.waiting,
            form_answer_rate: Tally::rate(forms.times.len(), forms.went.len() - forms.waiting),
            median_first_human_form_response_ms: percentile(&forms.times, 50),
            failed: Failed {
                critical: failed(Severity::Critical),
                major: failed(Severity::Major),
                minor: failed(Severity::Minor),
            },
            score: report.summary.score,
            error: None,
            regressions,
            change: None,
            trend: Vec::new(),
            last_audited: Some(report.run.started_at),
        }
    }

    /// The row with what the store's kept runs (oldest first) say over time: the change since
    /// the audit before, the trend of the last [`TREND_RUNS`] scores, when last audited.
    pub fn over_time(self, runs: &[crate::history::RunRow]) -> StoreRow {
        let change = match runs {
            [.., before, latest] => latest.score.zip(before.score).map(|(l, b)| i16::from(l) - i16::from(b)),
            _ => None,
        };
        let trend = runs.iter().rev().take(TREND_RUNS).rev().filter_map(|r| r.score).collect();
        StoreRow { change, trend, last_audited: runs.last().map(|r| r.started_at), ..self }
    }

    /// A store that could not be audited this run.
    pub fn broken(name: &str, url: &str, error: String) -> StoreRow {
        StoreRow { name: name.to_string(), url: url.to_string(), error: Some(error), ..Default::default() }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

const TEMPLATE: &str = include_str!("../reports/portfolio.html.j2");
const STYLE: &str = include_str!("../reports/report.css");
/// Sorts the league table by a clicked column; the only script in any report.
const SORT_JS: &str = include_str!("../reports/sort.js");

impl Portfolio {
    /// The portfolio of these rows, with their figures.
    pub fn new(
        agency: Agency,
        benchmark: Option<Benchmark>,
        generated_at: DateTime<FixedOffset>,
        stores: Vec<StoreRow>,
    ) -> Portfolio {
        Portfolio { schema: SCHEMA.to_string(), agency, generated_at, figures: Figures::of(&stores), stores, benchmark }
    }

    /// Writes `portfolio.json`, `.md` and `.html` into `out`, each file atomically; `logo` as
    /// for [`Portfolio::html`].
    pub fn write(&self, out: &std::path::Path, logo: Option<&str>) -> Result<Vec<std::path::PathBuf>> {
        use crate::report::write_atomic;
        std::fs::create_dir_all(out).map_err(|e| Error::io("cannot create", out, e))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::Usage(e.to_string()))?;
        Ok(vec![
            write_atomic(&out.join("portfolio.json"), &json)?,
            write_atomic(&out.join("portfolio.md"), &self.markdown())?,
            write_atomic(&out.join("portfolio.html"), &self.html(logo)?)?,
        ])
    }

    /// The HTML page; `logo` is the agency's logo as a data URI.
    pub fn html(&self, logo: Option<&str>) -> Result<String> {
        use sha2::Digest;
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_filter("percent", crate::model::time::maybe_percent);
        env.add_filter("duration", crate::model::time::maybe_duration);
        env.add_filter("when", |at: Option<String>| {
            at.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map_or_else(|| "—".to_string(), |t| crate::model::time::local_time(t, None))
        });
        let bundled =
            |e: minijinja::Error| Error::Bundled { file: "reports/portfolio.html.j2", message: format!("{e:#}") };
        env.add_template("portfolio.html", TEMPLATE).map_err(bundled)?;
        // The script is allowed by its hash alone: nothing else on the page can run.
        let hash = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, sha2::Sha256::digest(SORT_JS));
        let logo = logo.filter(|l| l.starts_with("data:image/"));
        env.get_template("portfolio.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    p => self,
                    trends => self.stores.iter().map(|s| crate::report::charts::sparkline(&s.trend)).collect::<Vec<_>>(),
                    logo,
                    style => minijinja::Value::from_safe_string(STYLE.to_string()),
                    script => minijinja::Value::from_safe_string(SORT_JS.to_string()),
                    script_hash => hash,
                    generated => self.generated_at.format("%Y-%m-%d %H:%M %:z").to_string(),
                })
            })
            .map_err(bundled)
    }

    /// The Markdown page.
    pub fn markdown(&self) -> String {
        use std::fmt::Write;
        let esc = crate::report::markdown::escape;
        let (pct, dur) = (crate::model::time::maybe_percent, crate::model::time::maybe_duration);
        let mut md = format!(
            "# {}: stores audited\n\n{} stores · {}\n\n| Store | Answer rate | Complete answers | Within deadline | Median first human answer | Chat online in hours | Chat answered | Form answered | Failed (critical/major/minor) | Score | Change | Trend | Last audited |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
            esc(&self.agency.name),
            self.stores.len(),
            self.generated_at.format("%Y-%m-%d %H:%M %:z")
        );
        for s in &self.stores {
            let name = match &s.report {
                Some(path) => format!("[{}]({})", esc(&s.name), path.replace(' ', "%20")),
                None => esc(&s.name),
            };
            let name = if s.regressions.is_empty() {
                name
            } else {
                format!("{name} (worse: {})", esc(&s.regressions.join(", ")))
            };
            let failed = match &s.error {
                Some(e) => format!("could not run: {}", esc(e)),
                None => format!("{}/{}/{}", s.failed.critical, s.failed.major, s.failed.minor),
            };
            let _ = writeln!(
                md,
                "| {name} | {} ({}/{}{}) | {} | {} | {} | {} | {} | {} | {failed} | {} | {} | {} | {} |",
                pct(s.answer_rate),
                s.letters_answered,
                s.letters_decided(),
                match s.letters_waiting {
                    0 => String::new(),
                    n => format!(", {n} waiting"),
                },
                pct(s.complete_answer_rate),
                pct(s.answered_within_sla_rate),
                dur(s.median_first_human_response_ms),
                pct(s.chat_online_in_hours_share),
                pct(s.chat_answer_rate),
                match s.form_sent {
                    0 => "—".to_string(),
                    _ => format!("{} ({}/{})", pct(s.form_answer_rate), s.form_answered, s.form_sent - s.form_waiting),
                },
                s.score.map_or_else(|| "—".to_string(), |n| n.to_string()),
                s.change.map_or_else(|| "—".to_string(), |n| format!("{n:+}")),
                s.trend.iter().map(u8::to_string).collect::<Vec<_>>().join(" "),
                s.last_audited.map_or_else(|| "—".to_string(), |t| t.format("%Y-%m-%d %H:%M %:z").to_string()),
            );
        }
        if let Some(b) = &self.benchmark {
            let f = &self.figures;
            let best = f.best_store.as_deref().map_or_else(String::new, |n| format!(" ({})", esc(n)));
            let _ = write!(
                md,
                "\n## Beside the published figures\n\n| | These stores | {} |\n|---|---|---|\n\
                 | Letters answered completely | {} of {} letters | {} |\n\
                 | The best store's complete answers | {}{best} | {} |\n\
                 | The best store's median first human answer | {} | {} |\n",
                esc(&b.name),
                pct(f.complete_answer_rate),
                f.letters,
                pct(b.complete_answer_rate),
                pct(f.best_complete_answer_rate),
                pct(b.best_complete_answer_rate),
                dur(f.best_median_first_human_response_ms),
                dur(b.best_median_first_human_response_ms),
            );
        }
        md
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), Some(9));
    }
}
