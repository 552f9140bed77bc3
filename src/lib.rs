//! shopaudit: a mystery-shopper compliance auditor for online stores.
//!
//! One pipeline, in the spirit of Lighthouse (gatherers -> artifacts -> audits -> report):
//!
//! ```text
//! Scenario ─► probes (all I/O) ─► Evidence (plain data) ─► checks (pure) ─► Report ─► JSON / MD / HTML
//! ```
//!
//! - [`scenario`]: the TOML contract, validated with line and column.
//! - [`probes`]: the crawl, images and HTTPS, then the browser (real Chromium), then the
//!   shopper's letters (SMTP, recorded in the [`history`]); all add to one
//!   [`Evidence`](evidence::Evidence).
//! - [`extract`]: pure per-page extractors (chat, contacts, hours, images, links).
//! - [`knowledge`]: vendor fingerprints, stock signatures and vocabularies from `probes/*.toml`.
//! - [`checks`]: the catalogue; each check an id, titles, why it matters, and a pure function.
//! - [`report`]: the `shopaudit/report/v1` JSON, and Markdown and HTML renderings of it.

pub mod accuracy;
pub mod alerts;
pub mod assess;
pub mod bench;
pub mod business_time;
pub mod checks;
pub mod clock;
pub mod demo;
pub mod error;
pub mod extract;
pub mod fleet;
pub mod followup;
pub mod history;
pub mod hours;
pub mod knowledge;
pub mod lock;
pub mod model;
pub mod portfolio;
pub mod probes;
pub mod report;
pub mod run;
pub mod scenario;
pub mod schedule;
pub mod serve;
pub mod web;

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

pub use error::{Error, Result};
pub use model::{Finding, Outcome, Report, Severity};
pub use probes::{Progress, Quiet};
pub use scenario::Scenario;

/// What an audit may do beyond looking, and where it keeps its history.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Letters: `None` sends none (`--no-email`); otherwise sent or only shown (`--dry-run`),
    /// and then only when the scenario enables them.
    pub email: Option<probes::email::Mode>,
    /// The history; the SQLite file at [`history::default_path`] when `None`.
    pub db: Option<history::Location>,
    /// A browser shared with other audits (`shopaudit run`); `None` starts one for this audit.
    pub browser: Option<Arc<probes::browser::Chromium>>,
    /// Where "now" comes from: the system clock, or a test's simulated time.
    pub clock: clock::Clock,
    /// Who reads the shopper's mailbox around the letters: the audit, or its caller.
    pub mailbox: probes::email::MailboxReads,
}

impl Options {
    /// Sends the letters a scenario enables, with the default history.
    pub fn send() -> Self {
        Options { email: Some(probes::email::Mode::Send), ..Options::default() }
    }
}

/// Audits one store with the default [`Options::send`]: runs the probes, the checks, and
/// returns the report.
///
/// Fails only when the audit cannot run at all (the start page is unreachable, a setting is
/// unusable); problems with single pages or probes are findings in the report.
pub async fn audit(scenario: &Scenario, progress: &dyn Progress) -> Result<Report> {
    audit_with(scenario, &Options::send(), progress).await
}

/// [`audit`] with explicit options.
pub async fn audit_with(scenario: &Scenario, options: &Options, progress: &dyn Progress) -> Result<Report> {
    let knowledge = Arc::new(knowledge::Knowledge::load()?);
    let started_at = now(scenario, &options.clock);
    let reach = probes::http::Reach::of(&scenario.store.url.0).await;
    let client = probes::http::client(&scenario.crawl, reach)?;
    let ctx = probes::Context { scenario, client: &client, knowledge: &knowledge, clock: &options.clock, progress };
    tracing::info!(store = %scenario.key, "auditing {}", scenario.store.url);
    let (pages, mut evidence) = probes::gather_static(ctx).await?;
    tracing::info!(store = %scenario.key, "{} page(s) read", pages.iter().filter(|p| p.error.is_none()).count());
    let mut browsed = probes::gather_browser(ctx, &pages, &evidence, options.browser.clone()).await?;
    let chromium = browsed.chromium.take();
    probes::assemble::fold_browser(&mut evidence, browsed);
    if let Some(b) = &evidence.browser {
        tracing::info!(store = %scenario.key, "the browser looked at {} page view(s)", b.visits.len());
    }
    let sends = options.email.is_some() && scenario.email.enabled;
    let submits = options.email.is_some() && scenario.form.enabled && !scenario.form.questions.is_empty();
    let mut email_ran = false;
    // The history is kept when asked for (--db, `shopaudit run`), and whenever the shopper acted:
    // letters and questions must be remembered across runs.
    if options.db.is_some() || sends || submits || !evidence.chat.conversations.is_empty() {
        let history = history::History::connect(&options.db.clone().unwrap_or_default()).await?;
        let key = &scenario.key;
        take_over_rows_keyed_by_url(&history, scenario).await?;
        // The store's words, for judging answers' spelling also when `collect` files them.
        if !evidence.vocabulary.is_empty() {
            let words = evidence.vocabulary.iter().map(String::as_str).collect::<Vec<_>>().join("\n");
            // Most audits find the same words: a read is cheaper than rewriting ~0.5 MB.
            if history.vocabulary(key).await? != words {
                history.save_vocabulary(key, &words).await?;
            }
        }
        if let (Some(mode), true) = (options.email, submits) {
            progress.stage("contact form");
            evidence.forms.submissions = probes::form::submit_due(
                scenario,
                &evidence,
                &history,
                &knowledge,
                chromium.clone(),
                mode,
                &options.clock,
            )
            .await?;
            // The form's answers come to the shopper's mailbox; the letters' probe reads it
            // when it runs, else it is read here (acknowledgements often come at once).
            let imap = scenario.shopper.as_ref().and_then(|s| s.imap.as_ref());
            if let (Some(imap), false, probes::email::Mode::Send, probes::email::MailboxReads::Here) =
                (imap, sends, mode, &options.mailbox)
            {
                if let Err(e) = probes::mailbox::collect(imap, &history, &knowledge).await {
                    evidence.mailbox_error = Some(e.to_string());
                }
            }
        }
        drop(chromium);
        if let (Some(mode), true) = (options.email, sends) {
            progress.stage("e-mail");
            let dry_run;
            (dry_run, evidence.mailbox_error) = probes::email::send_due(
                scenario,
                &evidence,
                &history,
                &knowledge,
                mode,
                &options.mailbox,
                &options.clock,
            )
            .await?;
            evidence.email_probes = dry_run;
            evidence.email_sla_ms = Some(u64::try_from(scenario.email.default_sla().as_millis()).unwrap_or(u64::MAX));
            email_ran = true;
        }
        if sends || submits {
            let terms = assess::letters::Terms::of(scenario);
            let written = letters(&history, &terms, &evidence.hours, now(scenario, &options.clock), &knowledge).await?;
            let dry_run = std::mem::take(&mut evidence.email_probes);
            evidence.email_probes = if sends { written.letters } else { Vec::new() };
            evidence.email_probes.extend(dry_run);
            evidence.forms.answers = written.forms;
            evidence.forms.unfiled = written.unfiled;
        }
        history.record_conversations(key, &evidence.chat.conversations).await?;
        if let Some(browser) = &evidence.browser {
            history.record_observations(key, browser).await?;
        }
        let thresholds = scenario.compliance.thresholds();
        let readings = history.observations(key).await?;
        evidence.compliance =
            assess::compliance::assess(&readings, scenario.tz(), &evidence.hours, &evidence.email_probes, thresholds);
    }
    let store = scenario.store_name();
    let input = checks::Input { store: &store, pages: &pages, evidence: &evidence, knowledge: &knowledge };
    let findings = checks::run(&input, &scenario.checks.skip);
    Ok(Report {
        schema: model::SCHEMA.to_string(),
        tool: model::Tool { name: "shopaudit".into(), version: env!("CARGO_PKG_VERSION").into() },
        store: model::StoreInfo {
            key: scenario.key.clone(),
            name: store.clone(),
            url: scenario.store.url.to_string(),
            timezone: scenario.store.timezone.map(|t| t.0.name().to_string()),
        },
        run: model::RunInfo {
            id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at: now(scenario, &options.clock),
            probes: ran(&evidence, email_ran, submits),
            regressions: Vec::new(),
        },
        summary: model::Summary::of(&findings),
        pages,
        evidence,
        findings,
    })
}

/// Judges a saved report's evidence again with this build's checks, without any I/O
/// (`shopaudit check --from report.json`).
pub fn recheck(saved: &Report, skip: &[model::CheckId]) -> Result<Report> {
    Ok(recheck_with(saved, skip, &knowledge::Knowledge::load()?))
}

/// [`recheck`] with knowledge already loaded.
fn recheck_with(saved: &Report, skip: &[model::CheckId], knowledge: &knowledge::Knowledge) -> Report {
    let input = checks::Input { store: &saved.store.name, pages: &saved.pages, evidence: &saved.evidence, knowledge };
    let findings = checks::run(&input, skip);
    Report { summary: model::Summary::of(&findings), findings, ..saved.clone() }
}

/// A saved report brought up to date from the history: its letters with every reply filed
/// since, judged again by the same checks (`shopaudit report`, and `shopaudit collect`).
pub async fn refresh(saved: &Report, history: &history::History, clock: &clock::Clock) -> Result<Report> {
    let mut report = saved.clone();
    let terms = assess::letters::Terms::of_report(saved);
    let now = clock.now().fixed_offset();
    let knowledge = knowledge::Knowledge::load()?;
    let written = letters(history, &terms, &saved.evidence.hours, now, &knowledge).await?;
    report.evidence.email_probes = written.letters;
    report.evidence.forms.answers = written.forms;
    report.evidence.forms.unfiled = written.unfiled;
    let thresholds =
        saved.evidence.compliance.as_ref().map_or_else(crate::model::Thresholds::default, |c| c.thresholds);
    let readings = history.observations(&terms.store).await?;
    report.evidence.compliance = assess::compliance::assess(
        &readings,
        terms.tz,
        &saved.evidence.hours,
        &report.evidence.email_probes,
        thresholds,
    );
    let skipped: Vec<model::CheckId> = checks::CHECKS
        .iter()
        .filter(|c| !saved.findings.iter().any(|f| f.check == c.id.as_str()))
        .map(|c| c.id)
        .collect();
    Ok(recheck_with(&report, &skipped, &knowledge))
}

/// The store's letters and form questions in the history, with their replies, as report
/// evidence.
async fn letters(
    history: &history::History,
    terms: &assess::letters::Terms,
    posted: &[model::evidence::PostedHours],
    now: chrono::DateTime<chrono::FixedOffset>,
    knowledge: &knowledge::Knowledge,
) -> Result<Written> {
    let business = model::evidence::PostedHours::for_email(posted);
    let all = history.letters(&terms.store).await?;
    let vocabulary = history.vocabulary(&terms.store).await?.lines().map(str::to_string).collect();
    let reader = assess::letters::Reader {
        words: &knowledge.answers,
        dictionaries: knowledge::spelling::Dictionaries::system(),
        vocabulary: &vocabulary,
    };
    let mut out = Written { letters: Vec::new(), forms: Vec::new(), unfiled: history.unfiled(&terms.store).await? };
    for letter in assess::letters::shown(&all) {
        let replies = history.replies(letter.id).await?;
        let judged = assess::letters::judge(letter, &replies, terms, business, now, &reader);
        match letter.via {
            history::Written::Email => out.letters.push(judged),
            history::Written::Form => out.forms.push(judged),
        }
    }
    Ok(out)
}

/// The shopper's written questions as evidence: the letters, and those put through the form.
struct Written {
    letters: Vec<model::evidence::EmailProbe>,
    forms: Vec<model::evidence::EmailProbe>,
    /// Mail from the store's domain no question could be tied to.
    unfiled: Vec<model::evidence::Unfiled>,
}

/// Proposes `chat.selectors` for the store's chat widget (`shopaudit chat-parts`): opens its
/// start page in Chromium (`chrome`, else the scenario's, else the usual places), clicks the
/// launcher as a person does, and finds the parts. Nothing is typed or sent.
pub async fn chat_parts(
    scenario: &Scenario,
    chrome: Option<&std::path::Path>,
    launcher: Option<&str>,
) -> Result<probes::parts::Proposal> {
    let explicit = chrome.map(std::path::Path::to_path_buf).or(scenario.browser.path.as_deref().map(Into::into));
    let path = probes::browser::find(explicit.as_deref())
        .ok_or_else(|| Error::browser(probes::browser::not_found(explicit.as_deref())))?;
    let page = scenario.store.url.to_string();
    let reach = probes::http::Reach::of(&scenario.store.url.0).await;
    let confinement = probes::browser::Confinement::of(reach, scenario.browser.loopback_only);
    let launcher = launcher.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let chromium = probes::browser::Chromium::launch(&path, confinement)?;
        let knowledge = knowledge::Knowledge::load()?;
        probes::parts::propose(&chromium, &page, launcher.as_deref(), &knowledge)
            .map_err(|e| Error::browser_by(format!("reading the chat's parts on {page}"), e))
    })
    .await
    .map_err(|e| Error::browser_by("the browser crashed", e))?
}

/// The scenario's store takes over the rows an older shopaudit keyed by its start URL
/// ([`history::Backend::adopt`]); every command that reads or writes a store's history
/// starts here.
pub(crate) async fn take_over_rows_keyed_by_url(history: &history::History, scenario: &Scenario) -> Result<()> {
    history.adopt(&scenario.key, &scenario.store.url.to_string()).await
}

/// Ends every Chromium this process started: for Ctrl-C, when blocking browser threads may
/// still hold one.
pub fn interrupted() {
    probes::browser::kill_all();
}

/// The probes that looked at the store.
fn ran(evidence: &model::Evidence, email: bool, form: bool) -> Vec<String> {
    let mut probes = vec!["static".to_string()];
    if evidence.browser.as_ref().is_some_and(|b| b.error.is_none()) {
        probes.push("browser".into());
    }
    if email {
        probes.push("email".into());
    }
    if form {
        probes.push("form".into());
    }
    probes
}

/// Now, in the store's time zone when known (UTC otherwise).
fn now(scenario: &Scenario, clock: &clock::Clock) -> DateTime<FixedOffset> {
    let utc = clock.now();
    match scenario.store.timezone {
        Some(tz) => utc.with_timezone(&tz.0).fixed_offset(),
        None => utc.fixed_offset(),
    }
}
