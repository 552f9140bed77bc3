//! The fleet: many machines sharing one history and one work queue in PostgreSQL.
//!
//! - [`submit`] hands the fleet a folder of scenarios (validated as `shopaudit run` does).
//! - [`due`] says, purely, which work the stores' `[schedule]`s make due now: a whole audit per
//!   `audit` period, a chat reading per `chat_readings` period, a mailbox's collection.
//! - [`queue`] claims each due item once for the whole fleet (a row unique by store, kind and
//!   slot, inserted in the transaction that queues the job) and hands jobs to the job engine
//!   (apalis on PostgreSQL: leases by heartbeat, a dead worker's jobs taken over).
//! - [`worker`] is `shopaudit worker`: plans, claims, and does the jobs with its own Chromium.

pub mod queue;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::history::{History, Submitted};
use crate::model::StoreKey;
use crate::portfolio::{Portfolio, StoreRow};
use crate::scenario::{Cadence, Scenario};

crate::model::named_enum! {
    /// What a job does.
    #[derive(PartialOrd, Ord)]
    pub enum Kind ("kind of work") {
        /// The whole audit: crawl, browser, letters that are due, the report kept.
        Audit = "audit",
        /// The browser only reads the chat's status (kept as readings, for `hours.honored`).
        ChatReading = "chat reading",
        /// A shopper mailbox read and its replies filed.
        Collect = "collect",
        /// Letters sent at their planned time between audits (a crawl for where to, no browser).
        Letters = "letters",
    }
}

/// One piece of due work, as claimed and queued.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// What it does.
    pub kind: Kind,
    /// What the claim is on: the store's key, or for a collection the mailbox's.
    pub key: String,
    /// The store whose scenario says how (for a collection: one of the stores reading it).
    pub store: StoreKey,
    /// Which period it belongs to (see [`crate::schedule::slot`]).
    pub slot: String,
}

/// A stored store as a worker reads it: its scenario, parsed, and what its letters' plan
/// depends on.
#[derive(Debug, Clone)]
pub struct Store {
    /// As stored.
    pub submitted: Submitted,
    /// Parsed, its paths resolved against the worker's secrets folder.
    pub scenario: Scenario,
    /// When each of its letters (by id) last went out.
    pub last_letters: BTreeMap<String, DateTime<Utc>>,
    /// The posted hours its letters are planned inside or outside of, as its latest audit
    /// found them (the letters' own crawl plans the same way).
    pub email_hours: Option<String>,
}

/// The work the stores make due at `now`; a mailbox's collection every `collect_every`.
/// Pure: every worker computes the same items, and the claims decide who does each.
pub fn due(stores: &[Store], now: DateTime<Utc>, collect_every: std::time::Duration) -> Vec<Job> {
    let mut jobs = BTreeSet::new();
    let mut mailboxes = BTreeSet::new();
    for Store { submitted, scenario, last_letters, email_hours } in stores {
        let tz = scenario.tz();
        let at = submitted.at.with_timezone(&Utc);
        let schedule = scenario.schedule.as_ref();
        let audit = schedule.and_then(|s| s.audit.clone()).unwrap_or(Cadence::EveryRun);
        let key = scenario.key.clone();
        let job = |kind, slot| Job { kind, key: key.as_str().to_string(), store: key.clone(), slot };
        jobs.insert(job(Kind::Audit, crate::schedule::slot(&audit, tz, now, at)));
        // Readings of their own only when they come more often than the audits that read too.
        if let Some(readings) = schedule.and_then(|s| s.chat_readings.clone()) {
            if scenario.browser.enabled && readings != audit {
                jobs.insert(job(Kind::ChatReading, crate::schedule::slot(&readings, tz, now, at)));
            }
        }
        // Letters on a schedule of their own go out at their planned times, between audits.
        if let Some(schedule) = schedule.filter(|s| matches!(s.letters, Some(Cadence::Every(_)))) {
            for letter in scenario.email.letters.iter().filter(|_| scenario.email.enabled) {
                let plan = crate::schedule::Plan {
                    schedule,
                    store: key.as_str(),
                    letter: &letter.id,
                    tz,
                    hours: email_hours.as_deref(),
                };
                if let crate::schedule::Due::Now(planned) = plan.due(now, last_letters.get(&letter.id).copied()) {
                    jobs.insert(job(Kind::Letters, format!("{} {}", letter.id, planned.to_rfc3339())));
                }
            }
        }
        if let Some(imap) = mailbox_of(scenario) {
            let every = Cadence::Every(collect_every);
            let slot = crate::schedule::slot(&every, chrono_tz::UTC, now, at);
            let mailbox = imap.mailbox_key();
            // One job per mailbox, however many stores read it: the first store by key says how.
            if mailboxes.insert(mailbox.clone()) {
                jobs.insert(Job { kind: Kind::Collect, key: mailbox, store: key.clone(), slot });
            }
        }
    }
    jobs.into_iter().collect()
}

/// The shopper mailbox a store's replies arrive in, when it writes letters.
pub fn mailbox_of(scenario: &Scenario) -> Option<&crate::scenario::MailServer> {
    scenario.shopper.as_ref().and_then(|s| s.imap.as_ref()).filter(|_| scenario.email.enabled)
}

/// What a submission changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Every store now scheduled, by key.
    pub stores: Vec<StoreKey>,
    /// Stores of the previous submission left out of this one: no longer scheduled, their
    /// history kept.
    pub removed: Vec<StoreKey>,
}

/// Validates every scenario of `dir` (and its `portfolio.toml`) exactly as `shopaudit run`
/// does, then stores them as the fleet's stores in one transaction, replacing the previous
/// submission. Nothing is stored when any of them is broken.
pub async fn submit(dir: &Path, history: &History, clock: &crate::clock::Clock) -> Result<Submission> {
    crate::run::agency(dir)?;
    let portfolio_file = dir.join("portfolio.toml");
    let portfolio = match std::fs::read_to_string(&portfolio_file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("cannot read", &portfolio_file, e)),
    };
    let at = clock.now().fixed_offset();
    let mut by_key: BTreeMap<StoreKey, Submitted> = BTreeMap::new();
    for path in crate::run::scenario_files(dir)? {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        let scenario = Scenario::parse(&text, &path)?;
        let file = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if let Some(other) = by_key.get(&scenario.key) {
            return Err(Error::Usage(format!(
                "{} and {file} are both store {:?}: give each its own store.id",
                other.file,
                scenario.key.as_str()
            )));
        }
        by_key.insert(scenario.key.clone(), Submitted { store: scenario.key, file, text, at });
    }
    let (before, _) = history.submitted().await?;
    let scenarios: Vec<Submitted> = by_key.into_values().collect();
    history.submit(&scenarios, portfolio.as_deref(), at).await?;
    let stores: Vec<StoreKey> = scenarios.into_iter().map(|s| s.store).collect();
    let removed = before.into_iter().map(|s| s.store).filter(|k| !stores.contains(k)).collect();
    Ok(Submission { stores, removed })
}

/// The fleet's portfolio: every submitted store's latest audit as it was recorded (as `run`'s
/// rows are), or why its latest slot could not be audited; stores not audited yet are left
/// out.
pub async fn portfolio(history: &History, queue: &queue::Queue, clock: &crate::clock::Clock) -> Result<Portfolio> {
    let (submitted, settings) = history.submitted().await?;
    let settings = settings.unwrap_or_default();
    let settings =
        crate::run::portfolio_of(&settings, std::path::Path::new("portfolio.toml"), std::path::Path::new(""))?;
    let ended = queue.audits_ended().await?;
    let mut rows = Vec::new();
    for store in &submitted {
        let latest = history.latest_run(&store.store).await?.map(|(report, _)| report);
        let failed = ended.get(&store.store).and_then(|e| Some((e.at, e.error.as_ref()?)));
        match (latest, failed) {
            (Some(report), failed) if failed.is_none_or(|(at, _)| at <= report.run.finished_at) => {
                let talks = history.conversations(&store.store).await?;
                let link = format!("{}/report.html", folder(&store.store));
                let previous = history.previous_run(&store.store).await?;
                let worse = previous.map(|p| crate::run::regressions(&p, &report)).unwrap_or_default();
                let runs = history.runs(Some(&store.store)).await?;
                rows.push(StoreRow::of(&report, &link, worse, &talks).over_time(&runs));
            }
            (report, Some((_, why))) => {
                // A store audited before that cannot be audited now got worse.
                let worse = report.as_ref().map(|_| vec![format!("could not be audited ({why})")]);
                let (name, url) =
                    report.map_or_else(|| (store.store.to_string(), String::new()), |r| (r.store.name, r.store.url));
                let mut row = StoreRow::broken(&name, &url, why.clone());
                row.regressions = worse.unwrap_or_default();
                rows.push(row);
            }
            (Some(_) | None, None) => {} // not audited yet
        }
    }
    Ok(Portfolio::new(settings.agency, settings.benchmark, clock.now().fixed_offset(), rows))
}

/// Writes into `out`, from the fleet's database alone (any machine can): each submitted
/// store's latest report, brought up to date with every answer filed since, and the
/// portfolio. Returns the files written.
pub async fn render(
    history: &History,
    queue: &queue::Queue,
    out: &Path,
    clock: &crate::clock::Clock,
) -> Result<Vec<std::path::PathBuf>> {
    crate::report::check_writable(out)?;
    let (submitted, _) = history.submitted().await?;
    let mut written = Vec::new();
    for store in &submitted {
        if let Some((report, _)) = history.latest_run(&store.store).await? {
            let report = crate::refresh(&report, history, clock).await?;
            written.push(write_report(&report, out)?);
        }
    }
    written.extend(portfolio(history, queue, clock).await?.write(out, None)?);
    Ok(written)
}

/// A store's folder under the fleet's output folder, as the portfolio links it.
fn folder(store: &StoreKey) -> String {
    crate::report::slug(store.as_str())
}

/// A store's report as JSON, Markdown and HTML in its run's folder under the store's folder
/// in `out` (past runs kept beside it, [`crate::report::keep`]); returns the run's folder.
fn write_report(report: &crate::model::Report, out: &Path) -> Result<std::path::PathBuf> {
    crate::report::keep(report, &out.join(folder(&report.store.key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn store(schedule: &str, last_letter: Option<DateTime<Utc>>) -> Store {
        let text = format!(
            "[store]\nid = \"shop\"\nurl = \"http://127.0.0.1:9/\"\n\
             [shopper]\nname = \"Anna\"\nemail = \"anna@audit.test\"\n\
             [shopper.smtp]\nhost = \"127.0.0.1\"\nport = 25\ntls = \"none\"\n\
             [shopper.imap]\nhost = \"127.0.0.1\"\nport = 143\ntls = \"none\"\n\
             [email]\nenabled = true\nto = \"support@shop.test\"\n\
             [[email.letters]]\nid = \"q\"\nsubject = \"Delivery\"\nbody = \"Do you deliver?\"\n\
             [schedule]\n{schedule}\n"
        );
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap().fixed_offset();
        let submitted = Submitted { store: StoreKey::new("shop"), file: "shop.toml".into(), text, at };
        let scenario = Scenario::parse(&submitted.text, Path::new("shop.toml")).unwrap();
        let last_letters = last_letter.into_iter().map(|t| ("q".to_string(), t)).collect();
        Store { submitted, scenario, last_letters, email_hours: None }
    }

    fn kinds(jobs: &[Job]) -> Vec<Kind> {
        jobs.iter().map(|j| j.kind).collect()
    }

    #[test]
    fn a_daily_audit_is_due_once_per_day_and_its_letters_at_their_planned_time() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 23, 59, 0).unwrap();
        let every = std::time::Duration::from_secs(300);
        let s = store("audit = \"daily\"\nletters = \"daily\"\nseed = 3", None);
        let jobs = due(std::slice::from_ref(&s), now, every);
        // By the day's end the day's letter is due; the audit's slot is the day's midnight.
        assert_eq!(kinds(&jobs), [Kind::Audit, Kind::Collect, Kind::Letters]);
        assert_eq!(jobs[0].slot, "2026-12-02T00:00:00+00:00");
        assert!(jobs[2].slot.starts_with("q 2026-12-02T"), "{}", jobs[2].slot);
        // The same plan from any worker, any moment of that slot.
        assert_eq!(due(std::slice::from_ref(&s), now - chrono::Duration::minutes(1), every)[0], jobs[0]);
        // Its letter gone out today: only the audit and the mailbox remain due.
        let sent = store("audit = \"daily\"\nletters = \"daily\"\nseed = 3", Some(now));
        assert_eq!(kinds(&due(&[sent], now, every)), [Kind::Audit, Kind::Collect]);
        // Letters sent with every audit are the audit's, not jobs of their own.
        let with_audits = store("letters = \"every run\"", None);
        let jobs = due(&[with_audits], now, every);
        assert_eq!(kinds(&jobs), [Kind::Audit, Kind::Collect]);
        assert_eq!(jobs[0].slot, "submitted 2026-12-01T00:00:00+00:00", "once per submission by default");
    }
}
