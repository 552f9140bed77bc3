//! What each page shows, read from the history: plain data for the templates. A client's
//! view of a store leaves out everything that could tell its staff who the shopper is (names,
//! addresses, the letters' words): only outcomes and times.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::error::Result;
use crate::history::{History, RunRow, Submitted, Unaudited};
use crate::model::{Report, StoreKey};
use crate::portfolio::StoreRow;
use crate::report::charts::{self, Series};

/// An e-mail address in words.
static ADDRESS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("static regex")
});

/// The 1,125-letter mystery shop of 25 large retailers: letters answered completely.
pub const STUDY_COMPLETE_RATE: f64 = 0.54;

/// The same study's best retailer.
pub const STUDY_BEST_RATE: f64 = 0.889;

/// One store in the portfolio.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// The store's key (its page is `/stores/<key>`).
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its start page.
    pub url: String,
    /// The latest report's score.
    pub score: Option<u8>,
    /// Since the audit before.
    pub change: Option<i16>,
    /// Scores of the last audits, drawn.
    pub trend: String,
    /// When last audited.
    pub last_audited: Option<DateTime<FixedOffset>>,
    /// When next due, for a store the fleet audits on a schedule.
    pub next_due: Option<DateTime<Utc>>,
    /// Checks failing now that passed in the audit before.
    pub regressions: Vec<String>,
    /// Worse than the audit before: checks newly failing, or no audit possible any more.
    pub worse: bool,
    /// Why its latest audit could not run, when that came after its latest report.
    pub unaudited: Option<String>,
    /// Answer rates and failures from the latest report.
    pub figures: Option<StoreRow>,
}

/// The portfolio page.
#[derive(Debug, Clone, Serialize)]
pub struct Portfolio {
    /// Every store, worst first: open regressions, then stores that could not be audited,
    /// then by score, lowest first.
    pub lines: Vec<Line>,
    /// Letters that reached the stores, and the shares answered and answered completely.
    pub letters: usize,
    /// Answered by a person.
    pub answer_rate: Option<f64>,
    /// Answered completely.
    pub complete_answer_rate: Option<f64>,
    /// [`STUDY_COMPLETE_RATE`].
    pub study_complete_rate: f64,
    /// [`STUDY_BEST_RATE`].
    pub study_best_rate: f64,
}

/// Every store the history knows: those with reports, those that could never be audited, and
/// those submitted to the fleet.
pub async fn known(history: &History) -> Result<BTreeSet<StoreKey>> {
    let mut keys: BTreeSet<StoreKey> = history.runs(None).await?.into_iter().map(|r| r.store).collect();
    keys.extend(history.unaudited(None).await?.into_iter().map(|u| u.store));
    keys.extend(history.submitted().await?.0.into_iter().map(|s| s.store));
    Ok(keys)
}

/// The portfolio, now.
pub async fn portfolio(history: &History, now: DateTime<Utc>) -> Result<Portfolio> {
    let mut runs: BTreeMap<StoreKey, Vec<RunRow>> = BTreeMap::new();
    for row in history.runs(None).await? {
        runs.entry(row.store.clone()).or_default().push(row);
    }
    let mut failed: BTreeMap<StoreKey, Vec<Unaudited>> = BTreeMap::new();
    for u in history.unaudited(None).await? {
        failed.entry(u.store.clone()).or_default().push(u);
    }
    let submitted: BTreeMap<StoreKey, Submitted> =
        history.submitted().await?.0.into_iter().map(|s| (s.store.clone(), s)).collect();
    let mut lines = Vec::new();
    for key in known(history).await? {
        let rows = runs.remove(&key).unwrap_or_default();
        let failures = failed.remove(&key).unwrap_or_default();
        lines.push(line(history, &key, &rows, &failures, submitted.get(&key), now).await?);
    }
    lines.sort_by_key(|l| (!l.worse, l.unaudited.is_none(), l.score.is_some(), l.score, l.name.clone()));
    let with_letters: Vec<&StoreRow> = lines.iter().filter_map(|l| l.figures.as_ref()).collect();
    let letters: usize = with_letters.iter().map(|f| f.letters_sent).sum();
    Ok(Portfolio {
        letters,
        answer_rate: crate::portfolio::pooled(&with_letters, |f| f.answer_rate),
        complete_answer_rate: crate::portfolio::pooled(&with_letters, |f| f.complete_answer_rate),
        lines,
        study_complete_rate: STUDY_COMPLETE_RATE,
        study_best_rate: STUDY_BEST_RATE,
    })
}

/// One store's line, from its kept runs and failed audits (oldest first) and its scenario in
/// the fleet, if any.
async fn line(
    history: &History,
    key: &StoreKey,
    rows: &[RunRow],
    failures: &[Unaudited],
    submitted: Option<&Submitted>,
    now: DateTime<Utc>,
) -> Result<Line> {
    let latest = rows.last();
    let report = match latest {
        Some(row) => history.run(key, &row.id).await?,
        None => None,
    };
    let talks = history.conversations(key).await?;
    let scenario = submitted.and_then(|s| crate::Scenario::parse(&s.text, std::path::Path::new(&s.file)).ok());
    let next_due = scenario.as_ref().and_then(|s| {
        let cadence = s.schedule.as_ref()?.audit.as_ref()?;
        crate::schedule::next_start(cadence, s.tz(), now)
    });
    // Could not be audited since its latest report (or ever).
    let unaudited = failures.last().filter(|f| latest.is_none_or(|r| r.started_at < f.at)).map(|f| f.error.clone());
    let regressions = RunRow::regressions(rows);
    let over_time = StoreRow::default().over_time(rows);
    Ok(Line {
        key: key.to_string(),
        name: latest.map_or_else(|| key.to_string(), |r| r.name.clone()),
        url: report.as_ref().map(|r| r.store.url.clone()).unwrap_or_default(),
        score: latest.and_then(|r| r.score),
        change: over_time.change,
        trend: charts::sparkline(&over_time.trend),
        last_audited: over_time.last_audited,
        next_due,
        worse: !regressions.is_empty() || (unaudited.is_some() && latest.is_some()),
        regressions,
        unaudited,
        figures: report.as_ref().map(|r| StoreRow::of(r, "", Vec::new(), &talks)),
    })
}

/// A past report in a store's list.
#[derive(Debug, Clone, Serialize)]
pub struct PastRun {
    /// Its id (its page is `…/runs/<id>`).
    pub id: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Its score.
    pub score: Option<u8>,
    /// How many checks failed.
    pub failed: usize,
}

/// A letter as the store's page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct LetterLine {
    /// The scenario's letter id.
    pub id: String,
    /// Subject and recipient: the agency's view only.
    pub subject: Option<String>,
    /// The store's address it went to: the agency's view only.
    pub to: Option<String>,
    /// When it went out.
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// Where it stands.
    pub state: String,
    /// Until a person answered.
    pub first_human_response_ms: Option<u64>,
    /// Its deadline.
    pub sla_ms: u64,
    /// Its replies.
    pub replies: Vec<ReplyLine>,
}

/// A reply to a letter.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyLine {
    /// When it came.
    pub at: DateTime<FixedOffset>,
    /// A person's, or automatic.
    pub kind: String,
    /// Who sent it: the agency's view only.
    pub from: Option<String>,
}

/// A chat conversation.
#[derive(Debug, Clone, Serialize)]
pub struct TalkLine {
    /// The scenario's question id.
    pub question: String,
    /// When it was asked.
    pub asked_at: Option<DateTime<FixedOffset>>,
    /// How it ended.
    pub outcome: String,
    /// Until the first human reply.
    pub first_human_reply_ms: Option<u64>,
}

/// A finding as a client reads it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientFinding {
    /// The check's title for this outcome.
    pub title: String,
    /// pass, fail, warn …
    pub outcome: String,
    /// How much it matters.
    pub severity: String,
    /// What was found, the shopper taken out.
    pub detail: String,
}

/// A store's page.
#[derive(Debug, Clone, Serialize)]
pub struct StorePage {
    /// The store's line, as in the portfolio.
    pub line: Line,
    /// Score over time.
    pub score_chart: String,
    /// Chat availability by hour of the week against the posted hours.
    pub availability: Option<String>,
    /// First human answers to letters over time, against their deadline.
    pub email_chart: String,
    /// First human replies in the chat over time.
    pub chat_chart: String,
    /// Every letter.
    pub letters: Vec<LetterLine>,
    /// Every chat conversation.
    pub conversations: Vec<TalkLine>,
    /// Every kept report, newest first.
    pub runs: Vec<PastRun>,
    /// Audits that could not run, newest first.
    pub unaudited: Vec<(DateTime<FixedOffset>, String)>,
}

/// A store's page, for the agency (`client` false) or for the store's own people.
pub async fn store(history: &History, key: &StoreKey, client: bool, now: DateTime<Utc>) -> Result<Option<StorePage>> {
    let rows = history.runs(Some(key)).await?;
    let failures = history.unaudited(Some(key)).await?;
    let (submitted, _) = history.submitted().await?;
    let submitted = submitted.into_iter().find(|s| &s.store == key);
    if rows.is_empty() && failures.is_empty() && submitted.is_none() {
        return Ok(None);
    }
    let line = line(history, key, &rows, &failures, submitted.as_ref(), now).await?;
    let latest: Option<Report> = match rows.last() {
        Some(row) => history.run(key, &row.id).await?,
        None => None,
    };
    let mut points: Vec<(DateTime<FixedOffset>, Option<f64>)> =
        rows.iter().map(|r| (r.started_at, r.score.map(f64::from))).collect();
    points.extend(failures.iter().map(|f| (f.at, None)));
    points.sort_by_key(|p| p.0);
    let score_chart =
        charts::over_time(&Series { label: "score over time", points, limit: None, floor_max: 100.0, unit: "" });
    let letters: Vec<LetterLine> = latest.as_ref().map_or_else(Vec::new, |r| {
        r.evidence
            .email_probes
            .iter()
            .map(|l| LetterLine {
                id: l.id.clone(),
                subject: (!client).then(|| l.subject.clone()),
                to: (!client).then(|| l.to.clone()),
                sent_at: l.sent_at,
                state: l.state.as_str().to_string(),
                first_human_response_ms: l.first_human_response_ms,
                sla_ms: l.sla_ms,
                replies: l
                    .replies
                    .iter()
                    .map(|x| ReplyLine {
                        at: x.received_at,
                        kind: x.kind.as_str().to_string(),
                        from: (!client).then(|| x.from.clone()),
                    })
                    .collect(),
            })
            .collect()
    });
    let hours = |ms: u64| ms as f64 / 3_600_000.0;
    let email_chart = charts::over_time(&Series {
        label: "first human answer to each letter, hours",
        points: letters.iter().filter_map(|l| Some((l.sent_at?, l.first_human_response_ms.map(hours)))).collect(),
        limit: letters.iter().map(|l| hours(l.sla_ms)).reduce(f64::max),
        floor_max: 1.0,
        unit: " h",
    });
    let talks = history.conversations(key).await?;
    let chat_chart = charts::over_time(&Series {
        label: "first human reply in the chat, minutes",
        points: talks
            .iter()
            .filter_map(|t| Some((t.asked_at?, t.first_human_reply_ms.map(|ms| ms as f64 / 60_000.0))))
            .collect(),
        // The chat's deadline, as the latest audit's conversations had it.
        limit: latest
            .iter()
            .flat_map(|r| &r.evidence.chat.conversations)
            .map(|t| t.sla_ms as f64 / 60_000.0)
            .reduce(f64::max),
        floor_max: 1.0,
        unit: " min",
    });
    Ok(Some(StorePage {
        line,
        score_chart,
        availability: latest
            .as_ref()
            .and_then(|r| r.evidence.compliance.as_ref())
            .and_then(crate::report::availability_svg),
        email_chart,
        chat_chart,
        letters,
        conversations: talks
            .iter()
            .map(|t| TalkLine {
                question: t.question.clone(),
                asked_at: t.asked_at,
                outcome: t.outcome.as_str().to_string(),
                first_human_reply_ms: t.first_human_reply_ms,
            })
            .collect(),
        runs: rows
            .iter()
            .rev()
            .map(|r| PastRun { id: r.id.clone(), at: r.started_at, score: r.score, failed: r.failing.len() })
            .collect(),
        unaudited: failures.iter().rev().map(|f| (f.at, f.error.clone())).collect(),
    }))
}

/// A store failing a check, and since which audit.
#[derive(Debug, Clone, Serialize)]
pub struct Failing {
    /// The store's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// The first audit of the unbroken run of audits failing it, up to the latest.
    pub since: DateTime<FixedOffset>,
    /// How many audits in a row.
    pub audits: usize,
}

/// Which stores fail check `id` in their latest report, since when; longest failing first.
pub async fn check(history: &History, id: &str) -> Result<Vec<Failing>> {
    let mut runs: BTreeMap<StoreKey, Vec<RunRow>> = BTreeMap::new();
    for row in history.runs(None).await? {
        runs.entry(row.store.clone()).or_default().push(row);
    }
    let mut out: Vec<Failing> = runs
        .into_values()
        .filter_map(|rows| {
            let streak: Vec<&RunRow> = rows.iter().rev().take_while(|r| r.failing.iter().any(|c| c == id)).collect();
            let first = streak.last()?;
            Some(Failing {
                key: first.store.to_string(),
                name: rows.last().map_or_else(String::new, |r| r.name.clone()),
                since: first.started_at,
                audits: streak.len(),
            })
        })
        .collect();
    out.sort_by_key(|f| (f.since, f.key.clone()));
    Ok(out)
}

/// A past report as a client sees it: each check's verdict, what to fix first, with the
/// shopper's name and address taken out of the words.
pub fn for_client(report: &Report, shopper: &[String]) -> Vec<ClientFinding> {
    let problems = report.problems();
    let rest = report.findings.iter().filter(|f| !problems.iter().any(|p| std::ptr::eq(*p, *f)));
    problems
        .iter()
        .copied()
        .chain(rest)
        .map(|f| {
            let mut detail = f.detail.clone();
            for who in shopper.iter().filter(|w| w.len() > 2) {
                detail = detail.replace(who.as_str(), "the shopper");
            }
            // Any other address but the store's own is the shopper's side: out.
            detail = ADDRESS
                .replace_all(&detail, |m: &regex::Captures<'_>| {
                    let found = m[0].to_ascii_lowercase();
                    if report.evidence.contacts.emails.contains(&found) {
                        m[0].to_string()
                    } else {
                        "an address".to_string()
                    }
                })
                .into_owned();
            ClientFinding {
                title: f.title.clone(),
                outcome: f.outcome.as_str().to_string(),
                severity: f.severity.as_str().to_string(),
                detail,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_reads_what_to_fix_first_and_never_who_the_shopper_is() {
        let mut report = Report::empty("s");
        report.findings = serde_json::from_value(serde_json::json!([
            {"check": "site.https", "outcome": "pass", "severity": "major", "title": "Secure", "detail": "", "evidence": []},
            {"check": "email.answered", "outcome": "fail", "severity": "critical", "title": "Unanswered",
             "detail": "Anna Petrova <anna@audit.test> got no answer from help@s.test, cc boss@audit.test", "evidence": []},
        ]))
        .unwrap();
        report.evidence.contacts.emails = vec!["help@s.test".into()];
        let seen = for_client(&report, &["anna@audit.test".into(), "Anna Petrova".into()]);
        assert_eq!(seen.iter().map(|f| f.outcome.as_str()).collect::<Vec<_>>(), ["fail", "pass"]);
        assert_eq!(seen[0].detail, "the shopper <the shopper> got no answer from help@s.test, cc an address");
    }
}
