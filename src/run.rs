//! `shopaudit run DIR`: every store of a folder in one go, for cron. One lock per output
//! folder; stores audited a few at a time with one shared browser; letters sent where due;
//! every mailbox read once before the stores and once after; photos compared across stores;
//! each store's reports written (each file atomically) and kept in the history; and the
//! portfolio over all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::StreamExt;

use crate::error::{Error, Result};
use crate::history::History;
use crate::model::Report;
use crate::portfolio::{Agency, Portfolio, StoreRow};
use crate::probes::Quiet;
use crate::scenario::Scenario;
use crate::{audit_with, Options};

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the reports and the portfolio go.
    pub out: PathBuf,
    /// The history.
    pub db: crate::history::Location,
    /// Stores audited at once.
    pub concurrency: usize,
    /// Letters: sent, only shown, or none.
    pub email: Option<crate::probes::email::Mode>,
    /// Use a browser where the scenarios allow it.
    pub browser: bool,
    /// Where "now" comes from.
    pub clock: crate::clock::Clock,
    /// Which past reports stay, in the history and under `out`.
    pub keep: crate::history::Keep,
}

/// One store's part in the run.
#[derive(Debug)]
pub struct StoreResult {
    /// Its scenario file.
    pub scenario: PathBuf,
    /// Its report, or why there is none (a broken scenario, an unreachable store).
    pub report: std::result::Result<Report, Error>,
    /// Its folder under the output folder.
    pub dir: Option<PathBuf>,
    /// Checks that fail now and did not in its previous run.
    pub regressions: Vec<String>,
}

/// What the run did.
#[derive(Debug)]
pub struct Finished {
    /// Every store, in the folder's order.
    pub stores: Vec<StoreResult>,
    /// The portfolio written next to them.
    pub portfolio: Portfolio,
    /// The files written for the portfolio.
    pub written: Vec<PathBuf>,
    /// The first failure to read or write the history after the audits: every report and the
    /// portfolio were still written, without what the history would have added (replies filed
    /// since, regressions, the run's record).
    pub history_error: Option<Error>,
}

/// `portfolio.toml`
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PortfolioFile {
    /// Whose reports they are.
    #[serde(default)]
    pub agency: Agency,
    /// Whom to tell when a store gets worse.
    pub alerts: Option<crate::scenario::alerts::Alerts>,
    /// A published study's figures to set the stores' beside.
    pub benchmark: Option<crate::portfolio::Benchmark>,
}

/// Runs every scenario in `dir`.
pub async fn run(dir: &Path, settings: &Settings) -> Result<Finished> {
    let _lock = crate::lock::Lock::take(&settings.out.join(".shopaudit.lock"))?;
    let PortfolioFile { agency, alerts, benchmark } = portfolio_file(dir)?;
    let files = scenario_files(dir)?;
    let scenarios: Vec<(PathBuf, Result<Scenario>)> = files
        .into_iter()
        .map(|path| {
            let mut scenario = Scenario::from_file(&path);
            if let (Ok(s), false) = (&mut scenario, settings.browser) {
                // `--no-browser` holds for every store, whatever its scenario says.
                s.browser.enabled = false;
            }
            (path, scenario)
        })
        .collect();
    let browser = shared_browser(&scenarios, settings).await;
    let history = History::connect(&settings.db).await?;
    let knowledge = crate::knowledge::Knowledge::load()?;
    let sends = settings.email == Some(crate::probes::email::Mode::Send);
    // Each shopper mailbox is read once before the stores (their letters' copies reconcile
    // what an interrupted run left) and once after, however many stores share it.
    let unread = if sends { read_mailboxes(&scenarios, &history, &knowledge).await } else { BTreeMap::new() };
    let options = Options {
        email: settings.email,
        db: Some(settings.db.clone()),
        browser,
        clock: settings.clock.clone(),
        mailbox: crate::probes::email::MailboxReads::Caller(std::sync::Arc::new(unread)),
    };
    let audits = futures::stream::iter(scenarios.iter().map(|(_, s)| {
        let options = &options;
        async move {
            match s {
                Ok(scenario) => audit_with(scenario, options, &Quiet).await,
                // A broken scenario is the user's to fix: a usage error, with line and column.
                Err(e) => Err(Error::Usage(e.to_string())),
            }
        }
    }))
    .buffered(settings.concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    drop(options);

    let mut reports: Vec<std::result::Result<Report, Error>> = audits;
    // From here on a history that fails (read-only now, locked by another program) costs what
    // it would have added, never the reports and the portfolio.
    let mut trouble = None;
    // Answers that came while the stores were audited, then every report again.
    if sends {
        for (key, why) in read_mailboxes(&scenarios, &history, &knowledge).await {
            tracing::warn!("collecting replies from {key}: {why}");
        }
    }
    let shared = crate::assess::stock::shared_photos(&mut reports.iter_mut().flatten().collect::<Vec<_>>());
    if sends || shared {
        for report in reports.iter_mut().flatten() {
            if let Some(fresh) = noted(&mut trouble, crate::refresh(report, &history, &settings.clock).await) {
                *report = fresh;
            }
        }
    }

    let mut stores = Vec::new();
    let mut rows = Vec::new();
    let mut taken = BTreeSet::new();
    for ((path, scenario), report) in scenarios.iter().zip(reports) {
        let mut result = StoreResult { scenario: path.clone(), report, dir: None, regressions: Vec::new() };
        match &mut result.report {
            Ok(report) => {
                let slug = unique(crate::report::slug(report.store.key.as_str()), &mut taken);
                let previous = noted(&mut trouble, history.latest_run(&report.store.key).await).flatten();
                result.regressions = previous.map(|(p, _)| regressions(&p, report)).unwrap_or_default();
                report.run.regressions.clone_from(&result.regressions);
                let dir = crate::report::keep(report, &settings.out.join(&slug))?;
                noted(&mut trouble, history.record_run(report, Some(&dir)).await);
                let talks = noted(&mut trouble, history.conversations(&report.store.key).await).unwrap_or_default();
                let runs = noted(&mut trouble, history.runs(Some(&report.store.key)).await).unwrap_or_default();
                let row = StoreRow::of(report, &format!("{slug}/report.html"), result.regressions.clone(), &talks);
                rows.push(row.over_time(&runs));
                result.dir = Some(dir);
            }
            Err(e) => {
                let (name, url) = match scenario {
                    Ok(s) => {
                        // A store audited before that cannot be audited now got worse.
                        if noted(&mut trouble, history.latest_run(&s.key).await).flatten().is_some() {
                            result.regressions = vec![format!("could not be audited ({e})")];
                        }
                        let failed = crate::history::Unaudited {
                            store: s.key.clone(),
                            at: settings.clock.now().fixed_offset(),
                            error: e.to_string(),
                        };
                        noted(&mut trouble, history.record_unaudited(&failed).await);
                        (s.store_name(), s.store.url.to_string())
                    }
                    Err(_) => {
                        (path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default(), String::new())
                    }
                };
                let mut row = StoreRow::broken(&name, &url, e.to_string());
                row.regressions.clone_from(&result.regressions);
                rows.push(row);
            }
        }
        stores.push(result);
    }
    if settings.keep != crate::history::Keep::All {
        let now = settings.clock.now().fixed_offset();
        for dropped in noted(&mut trouble, history.prune(settings.keep, None, now).await).unwrap_or_default() {
            if let Some(dir) = dropped.out_dir.filter(|d| d.starts_with(&settings.out)) {
                crate::report::forget(&dir)?;
            }
        }
    }
    let told: Vec<(crate::model::StoreKey, Option<crate::scenario::alerts::Alerts>)> =
        scenarios.iter().filter_map(|(_, s)| s.as_ref().ok().map(|s| (s.key.clone(), s.alerts.clone()))).collect();
    if alerts.is_some() || told.iter().any(|(_, own)| own.is_some()) {
        let out = &settings.out;
        let link = |key: &crate::model::StoreKey| match alerts.as_ref().filter(|a| a.base_url.is_some()) {
            Some(alerts) => alerts.page_of(key.as_str()),
            None => url::Url::from_file_path(out.join(crate::report::slug(key.as_str())).join("report.html"))
                .ok()
                .map(|u| u.to_string()),
        };
        let now = settings.clock.now().fixed_offset();
        let raised = crate::alerts::raise(&history, alerts.as_ref(), &told, &link, now).await;
        for why in noted(&mut trouble, raised).unwrap_or_default() {
            tracing::warn!("{why}");
        }
    }
    let portfolio = Portfolio::new(agency.clone(), benchmark, settings.clock.now().fixed_offset(), rows);
    let logo = agency.logo.as_ref().and_then(|l| data_uri(&dir.join(l)));
    let written = portfolio.write(&settings.out, logo.as_deref())?;
    Ok(Finished { stores, portfolio, written, history_error: trouble })
}

/// The value, or none with the first error kept in `trouble`.
fn noted<T>(trouble: &mut Option<Error>, result: Result<T>) -> Option<T> {
    result.map_err(|e| trouble.get_or_insert(e)).ok()
}

/// Reads each shopper mailbox of the scenarios once; says why a mailbox could not be read, by
/// its key.
async fn read_mailboxes(
    scenarios: &[(PathBuf, Result<Scenario>)],
    history: &History,
    knowledge: &crate::knowledge::Knowledge,
) -> BTreeMap<String, String> {
    let mut read = BTreeSet::new();
    let mut failed = BTreeMap::new();
    let mailboxes = scenarios.iter().filter_map(|(_, s)| s.as_ref().ok()?.shopper.as_ref()?.imap.as_ref());
    for imap in mailboxes {
        if read.insert(imap.mailbox_key()) {
            if let Err(e) = crate::probes::mailbox::collect(imap, history, knowledge).await {
                failed.insert(imap.mailbox_key(), e.to_string());
            }
        }
    }
    failed
}

pub(crate) fn agency(dir: &Path) -> Result<Agency> {
    portfolio_file(dir).map(|p| p.agency)
}

/// The folder's `portfolio.toml`, if any (its paths resolved against the folder).
pub(crate) fn portfolio_file(dir: &Path) -> Result<PortfolioFile> {
    let path = dir.join("portfolio.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    portfolio_of(&text, &path, dir)
}

/// A `portfolio.toml`'s text read (`path` for messages), the files it names relative to `base`.
pub(crate) fn portfolio_of(text: &str, path: &Path, base: &Path) -> Result<PortfolioFile> {
    let mut file = toml::from_str::<PortfolioFile>(text)
        .map_err(|e| Error::Scenario { path: path.to_path_buf(), message: crate::scenario::located(text, &e) })?;
    if file.agency.name.is_empty() {
        file.agency.name = "shopaudit".into();
    }
    if let Some(alerts) = &mut file.alerts {
        alerts.validate().map_err(|message| Error::Scenario { path: path.to_path_buf(), message })?;
        alerts.resolve_paths(base);
    }
    Ok(file)
}

/// The folder's scenarios: every `*.toml` but `portfolio.toml`, by name.
pub(crate) fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot read the scenarios folder", dir, e))?;
    let paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    let mut files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.file_name().is_some_and(|n| n != "portfolio.toml"))
        .cloned()
        .collect();
    files.sort();
    if files.is_empty() {
        // A template (scenarios/study/store.toml.example) is meant to be copied first.
        let template = paths.iter().find(|p| p.to_string_lossy().ends_with(".toml.example"));
        let hint = template.map_or_else(String::new, |t| {
            let name = t.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            format!("; copy {name} to a .toml file per store and fill it in")
        });
        return Err(Error::Usage(format!("{} holds no scenario files (*.toml){hint}", dir.display())));
    }
    Ok(files)
}

/// One Chromium for every store, confined as every store that uses a browser needs (loopback
/// only, or public addresses only); `None` lets each audit start its own (stores that need
/// different confinements), or report why it cannot.
async fn shared_browser(
    scenarios: &[(PathBuf, Result<Scenario>)],
    settings: &Settings,
) -> Option<Arc<crate::probes::browser::Chromium>> {
    use crate::probes::browser::{Chromium, Confinement};
    let browsing: Vec<&Scenario> =
        scenarios.iter().filter_map(|(_, s)| s.as_ref().ok()).filter(|s| s.browser.enabled).collect();
    if !settings.browser || browsing.is_empty() {
        return None;
    }
    let path = crate::probes::browser::find(browsing[0].browser.path.as_deref().map(Path::new))?;
    let mut needs: Vec<Confinement> = Vec::new();
    for s in &browsing {
        let need = Confinement::of(crate::probes::http::Reach::of(&s.store.url.0).await, s.browser.loopback_only);
        if !needs.contains(&need) {
            needs.push(need);
        }
    }
    let [confinement] = needs[..] else { return None };
    tokio::task::spawn_blocking(move || Chromium::launch(&path, confinement).ok()).await.ok().flatten().map(Arc::new)
}

/// Checks failing now that did not fail in the previous run.
pub(crate) fn regressions(previous: &Report, now: &Report) -> Vec<String> {
    let failed = |r: &Report| -> BTreeSet<String> {
        r.findings.iter().filter(|f| f.outcome == crate::model::Outcome::Fail).map(|f| f.check.clone()).collect()
    };
    failed(now).difference(&failed(previous)).cloned().collect()
}

fn unique(slug: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = slug.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{slug}-{n}");
        n += 1;
    }
    candidate
}

fn data_uri(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let mime = match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    };
    Some(format!("data:{mime};base64,{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)))
}
