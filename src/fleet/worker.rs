//! `shopaudit worker`: one of any number of identical processes on any number of machines.
//! Every `tick` it plans the work the submitted stores make due ([`super::due`]) and claims
//! what nobody has claimed ([`Queue::claim`]); meanwhile it takes queued jobs from the shared
//! queue, `concurrency` at a time, and does them with its own Chromium. A stop signal
//! (SIGTERM) lets the jobs in hand finish; a worker killed outright stops beating, and its
//! jobs go to the next worker once its lease (three beats) has run out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, ParallelizeExt, WorkerBuilder, WorkerBuilderExt, WorkerContext};

use super::queue::{Ended, Queue};
use super::{Job, Kind, Store};
use crate::error::{Error, Result};
use crate::history::{History, Location};
use crate::scenario::Scenario;

/// How a worker goes.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The shared PostgreSQL (`postgres://user@host:port/database`).
    pub db: String,
    /// Jobs done at once.
    pub concurrency: usize,
    /// Where the files a stored scenario names (`password_file`, `ca_file`) are on this
    /// machine; the database keeps only their names.
    pub secrets_dir: PathBuf,
    /// Where each store's report and the portfolio are written, if anywhere (they are kept in
    /// the history either way).
    pub out: Option<PathBuf>,
    /// How often the due work is planned.
    pub tick: Duration,
    /// How often the worker says it is alive; three missed and its jobs are taken over.
    pub beat: Duration,
    /// How often each shopper mailbox is read.
    pub collect_every: Duration,
    /// Use a browser where the scenarios allow it.
    pub browser: bool,
    /// Do the work due now, then stop (for cron and tests) instead of working until stopped.
    pub drain: bool,
    /// Watch shopper mailboxes (IMAP IDLE), each held by one worker of the fleet at a time,
    /// so that replies are filed as they arrive rather than every `collect_every`.
    pub watch_mail: bool,
    /// Where "now" comes from.
    pub clock: crate::clock::Clock,
    /// Which past reports of a store stay, after each of its audits.
    pub keep: crate::history::Keep,
}

/// What a worker did before it stopped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Worked {
    /// Jobs this worker claimed for the fleet.
    pub claimed: usize,
}

/// What every job of this worker shares.
struct Shared {
    history: History,
    queue: Queue,
    settings: Settings,
    knowledge: crate::knowledge::Knowledge,
}

/// Works until `stop` resolves (or, with [`Settings::drain`], until no claimed job is left).
pub async fn work(settings: Settings, stop: impl std::future::Future<Output = ()> + Send + 'static) -> Result<Worked> {
    let location = Location::Postgres(settings.db.clone());
    let history = History::connect(&location).await?;
    let queue = Queue::connect(&settings.db, u32::try_from(settings.concurrency).unwrap_or(8) + 4).await?;
    if let Some(out) = &settings.out {
        crate::report::check_writable(out)?;
    }
    let shared = Arc::new(Shared {
        history,
        queue: queue.clone(),
        settings: settings.clone(),
        knowledge: crate::knowledge::Knowledge::load()?,
    });
    // Stopping: asked to (SIGTERM), or, draining, no claimed work left in the fleet.
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let stopping = Arc::new(stopping);
    tokio::spawn({
        let stopping = stopping.clone();
        async move {
            stop.await;
            stopping.send_replace(true);
        }
    });
    let claimed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let planner = tokio::spawn(plan(shared.clone(), stopping.clone(), claimed.clone()));
    let watcher = settings.watch_mail.then(|| {
        let holder = format!("{}-{}-watch", host_name(), std::process::id());
        tokio::spawn(watch_mailboxes(shared.clone(), holder, stopped.clone()))
    });
    // The job engine gives up when the database goes away (a restart, a failover); the worker
    // then waits and starts it again, under a new name: the jobs the old one held are taken
    // over when its lease runs out, and a job whose claim is done is not done again.
    let mut lives = 0;
    loop {
        lives += 1;
        let context = WorkerContext::new(&format!("{}-{}-{lives}", host_name(), std::process::id()));
        let beating = tokio::spawn(beat(queue.clone(), context.clone(), settings.beat));
        let worker = WorkerBuilder::new(&context)
            .backend(queue.storage(settings.beat, settings.concurrency))
            .data(shared.clone())
            .concurrency(settings.concurrency.max(1))
            // Each job on a task of its own: one job's parsing never holds up another's I/O.
            .parallelize(tokio::spawn)
            .build(handle);
        let mut until = stopped.clone();
        let ran = worker
            .run_until(async move {
                let _ = until.wait_for(|stop| *stop).await;
                Ok::<(), std::io::Error>(())
            })
            .await;
        beating.abort();
        match ran {
            Err(e) if !*stopped.borrow() => {
                tracing::warn!("the job queue failed ({e}); starting again in {:?}", settings.beat * 3);
                tokio::time::sleep(settings.beat * 3).await;
            }
            _ => break,
        }
    }
    planner.abort();
    if let Some(watcher) = watcher {
        let _ = watcher.await; // it gives its watches up when it sees the stop
    }
    // The portfolio once, on the way out: written after every job it would cost a read of
    // every store's report each time (`shopaudit portfolio` renders it whenever wanted).
    if let Some(out) = &settings.out {
        super::portfolio(&shared.history, &queue, &settings.clock).await?.write(out, None)?;
    }
    Ok(Worked { claimed: claimed.load(std::sync::atomic::Ordering::Relaxed) })
}

/// Keeps this worker's leases while its process lives (see [`Queue::keep_alive`]); a beat
/// that fails (the database away for a moment) is tried again at the next.
async fn beat(queue: Queue, worker: WorkerContext, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = queue.keep_alive(&worker).await {
            tracing::debug!("heartbeat: {e}"); // before the engine has registered the worker
        }
    }
}

/// Plans and claims every tick, counting what it claimed in `claimed`; with `drain`, plans once and
/// says to stop when the fleet's claimed work is all done. A database that is away is waited
/// for: the next tick tries again.
async fn plan(
    shared: Arc<Shared>,
    stopping: Arc<tokio::sync::watch::Sender<bool>>,
    claimed: Arc<std::sync::atomic::AtomicUsize>,
) {
    let mut planned = false;
    loop {
        let tick = async {
            if !planned || !shared.settings.drain {
                let stores = stores(&shared).await?;
                let now = shared.settings.clock.now();
                let mut due = super::due(&stores, now, shared.settings.collect_every);
                // A watched mailbox files its replies as they come: no collection to plan, nor
                // on a worker that watches mailboxes itself (it takes the watch at its next beat).
                let watched = shared.queue.watched().await?;
                let watch_mail = shared.settings.watch_mail;
                due.retain(|job| job.kind != Kind::Collect || !(watch_mail || watched.contains(&job.key)));
                let n = shared.queue.claim(&due, now.fixed_offset()).await?.len();
                claimed.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                planned = true;
            }
            Ok::<bool, Error>(shared.settings.drain && shared.queue.open().await? == 0)
        };
        match tick.await {
            Ok(true) => {
                stopping.send_replace(true);
                return;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!("planning: {e}"),
        }
        tokio::time::sleep(shared.settings.tick).await;
    }
}

/// Holds the IMAP IDLE watch of each shopper mailbox this worker can take, one worker per
/// mailbox across the fleet: every beat it renews its leases and tries the mailboxes nobody
/// holds (or whose holder died: its lease ran out). A watch whose lease could not be renewed
/// for two beats is dropped before the lease runs out, so that two workers never read one
/// mailbox at once. On `stopped`, every watch is given up at once for another worker to take.
async fn watch_mailboxes(shared: Arc<Shared>, holder: String, mut stopped: tokio::sync::watch::Receiver<bool>) {
    struct Held {
        task: tokio::task::JoinHandle<()>,
        renewed: tokio::time::Instant,
    }
    let beat = shared.settings.beat;
    let mut held: BTreeMap<String, Held> = BTreeMap::new();
    loop {
        let mailboxes = match submitted_mailboxes(&shared).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("mailbox watches: {e}");
                BTreeMap::new()
            }
        };
        for (key, server) in &mailboxes {
            match shared.queue.hold_watch(key, &holder, beat * 3).await {
                Ok(true) => {
                    let renewed = tokio::time::Instant::now();
                    match held.get_mut(key) {
                        Some(watch) if !watch.task.is_finished() => watch.renewed = renewed,
                        _ => {
                            tracing::info!("watching {key}");
                            let task = tokio::spawn(watch_one(shared.clone(), server.clone()));
                            held.insert(key.clone(), Held { task, renewed });
                        }
                    }
                }
                Ok(false) => {
                    if let Some(watch) = held.remove(key) {
                        watch.task.abort();
                    }
                }
                Err(e) => tracing::warn!("mailbox watch {key}: {e}"),
            }
        }
        // Mailboxes no longer submitted, and watches whose lease may be running out unseen.
        let stale: Vec<String> = held
            .iter()
            .filter(|(key, watch)| !mailboxes.contains_key(*key) || watch.renewed.elapsed() >= beat * 2)
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            if let Some(watch) = held.remove(&key) {
                watch.task.abort();
                let _ = shared.queue.release_watch(&key, &holder).await;
            }
        }
        if tokio::time::timeout(beat, stopped.wait_for(|stop| *stop)).await.is_ok() {
            break;
        }
    }
    for (key, watch) in held {
        watch.task.abort();
        if let Err(e) = shared.queue.release_watch(&key, &holder).await {
            tracing::warn!("mailbox watch {key}: not given up ({e}); another worker takes it when its lease runs out");
        }
    }
}

/// One mailbox watched until the task is aborted; the history unwritable ends it (the next
/// beat starts it again).
async fn watch_one(shared: Arc<Shared>, server: crate::scenario::MailServer) {
    let heard = |c: crate::probes::mailbox::Collected| {
        tracing::debug!("{}: {} new, {} replies filed", server.mailbox_key(), c.read, c.replies);
    };
    if let Err(e) = crate::probes::mailbox::watch(&server, &shared.history, &shared.knowledge, &heard).await {
        tracing::warn!("watching {}: {e}", server.mailbox_key());
    }
}

/// Each shopper mailbox of the submitted stores, with how to reach it (the first store by key
/// that reads it says how, as for collection jobs).
async fn submitted_mailboxes(shared: &Shared) -> Result<BTreeMap<String, crate::scenario::MailServer>> {
    let (submitted, _) = shared.history.submitted().await?;
    let mut found = BTreeMap::new();
    for submitted in submitted {
        let Ok(scenario) = parse(&submitted, &shared.settings.secrets_dir) else { continue };
        if let Some(server) = super::mailbox_of(&scenario) {
            found.entry(server.mailbox_key()).or_insert_with(|| server.clone());
        }
    }
    Ok(found)
}

/// The submitted stores as this worker reads them; a scenario that no longer parses here (a
/// newer shopaudit submitted it) is left to the workers that can, and said.
async fn stores(shared: &Shared) -> Result<Vec<Store>> {
    let (submitted, _) = shared.history.submitted().await?;
    let mut stores = Vec::new();
    for submitted in submitted {
        let scenario = match parse(&submitted, &shared.settings.secrets_dir) {
            Ok(scenario) => scenario,
            Err(e) => {
                tracing::warn!("store {} is not planned on this worker: {e}", submitted.store);
                continue;
            }
        };
        let mut store = Store { submitted, scenario, last_letters: BTreeMap::new(), email_hours: None };
        let scheduled = store.scenario.schedule.as_ref().is_some_and(|s| s.letters.is_some());
        if scheduled && store.scenario.email.enabled {
            let key = &store.scenario.key;
            for letter in &store.scenario.email.letters {
                if let Some(last) = shared.history.latest(key, &letter.id, None).await? {
                    store.last_letters.insert(letter.id.clone(), last.created_at.to_utc());
                }
            }
            store.email_hours = shared.history.latest_run(key).await?.and_then(|(report, _)| {
                crate::model::evidence::PostedHours::for_email(&report.evidence.hours).map(str::to_string)
            });
        }
        stores.push(store);
    }
    Ok(stores)
}

fn parse(submitted: &crate::history::Submitted, secrets_dir: &Path) -> Result<Scenario> {
    let mut scenario = Scenario::parse(&submitted.text, &secrets_dir.join(&submitted.file))?;
    scenario.key = submitted.store.clone();
    Ok(scenario)
}

/// Does one job. The job engine's error is kept for the worker's own failures (the history
/// unreachable): the engine tries those again. A store that cannot be audited is that slot's
/// outcome, recorded with its claim, and shows in the portfolio.
async fn handle(job: Job, shared: Data<Arc<Shared>>) -> std::result::Result<(), BoxDynError> {
    if shared.queue.is_done(&job).await? {
        return Ok(()); // taken over from a worker that had finished it after all
    }
    // Only this job's store is parsed: a job costs the same with ten stores or ten thousand.
    let (submitted, portfolio) = shared.history.submitted().await?;
    let scenario = match submitted.iter().find(|s| s.store == job.store) {
        None => Err(format!("store {} is no longer submitted", job.store)),
        Some(s) => parse(s, &shared.settings.secrets_dir).map_err(|e| e.to_string()),
    };
    let own_alerts = scenario.as_ref().ok().map(|s| (s.key.clone(), s.alerts.clone()));
    let outcome = match scenario {
        Err(why) => Err(why),
        Ok(scenario) => match job.kind {
            Kind::Audit => audit(&shared, scenario, &submitted).await?,
            Kind::ChatReading => read_chat(&shared, scenario).await,
            Kind::Letters => send_letters(&shared, scenario).await,
            // Planned before a worker took the mailbox's watch: the watch reads it alone.
            Kind::Collect if shared.queue.watched().await?.contains(&job.key) => Ok(()),
            Kind::Collect => collect(&shared, &scenario).await,
        },
    };
    if let Err(why) = &outcome {
        tracing::warn!("{} of {} ({}): {why}", job.kind, job.key, job.slot);
    }
    let ended = Ended { at: shared.settings.clock.now().fixed_offset(), error: outcome.err() };
    shared.queue.end(&job, &ended).await?;
    if let (Some(store), Kind::Audit | Kind::ChatReading) = (own_alerts, job.kind) {
        tell(&shared, store, portfolio.as_deref()).await?;
    }
    Ok(())
}

/// Tells what got worse at a store (`[alerts]` of the submitted portfolio.toml and of the
/// store's scenario), once across the fleet: the claim is in the shared history.
async fn tell(
    shared: &Shared,
    store: (crate::model::StoreKey, Option<crate::scenario::alerts::Alerts>),
    portfolio: Option<&str>,
) -> Result<()> {
    let settings = &shared.settings;
    let alerts = match portfolio {
        Some(text) => crate::run::portfolio_of(text, Path::new("portfolio.toml"), &settings.secrets_dir)?.alerts,
        None => None,
    };
    if alerts.is_none() && store.1.is_none() {
        return Ok(());
    }
    let with_base = alerts.as_ref().or(store.1.as_ref()).filter(|a| a.base_url.is_some()).cloned();
    let link = |key: &crate::model::StoreKey| with_base.as_ref()?.page_of(key.as_str());
    let now = settings.clock.now().fixed_offset();
    for why in crate::alerts::raise(&shared.history, alerts.as_ref(), &[store], &link, now).await? {
        tracing::warn!("{why}");
    }
    Ok(())
}

/// The whole audit, its letters sent where due, the report kept (and written under `--out`).
/// The outer error is the worker's (the history failed); the inner one the store's.
async fn audit(
    shared: &Shared,
    mut scenario: Scenario,
    submitted: &[crate::history::Submitted],
) -> Result<std::result::Result<(), String>> {
    if !shared.settings.browser {
        scenario.browser.enabled = false;
    }
    let options = crate::Options {
        email: Some(crate::probes::email::Mode::Send),
        db: Some(Location::Postgres(shared.settings.db.clone())),
        browser: None,
        clock: shared.settings.clock.clone(),
        mailbox: crate::probes::email::MailboxReads::Here,
    };
    let mut report = match crate::audit_with(&scenario, &options, &crate::Quiet).await {
        Ok(report) => report,
        Err(e @ Error::History { .. }) => return Err(e),
        Err(e) => {
            let at = shared.settings.clock.now().fixed_offset();
            let failed = crate::history::Unaudited { store: scenario.key.clone(), at, error: e.to_string() };
            shared.history.record_unaudited(&failed).await?;
            return Ok(Err(failed.error));
        }
    };
    // Staff photos shown by other stores of the fleet are stock, on this store and on theirs
    // (their latest reports judged again), as `shopaudit run` finds them across its folder.
    // A store without staff photos has nothing to compare: the other reports are not read.
    let photographed = report.evidence.images.iter().any(|i| i.staff && i.phash.is_some());
    let mut others = Vec::new();
    for store in submitted.iter().filter(|s| photographed && s.store != report.store.key) {
        if let Some((other, _)) = shared.history.latest_run(&store.store).await? {
            others.push(other);
        }
    }
    let before = others.clone();
    let mut all: Vec<&mut crate::model::Report> = std::iter::once(&mut report).chain(others.iter_mut()).collect();
    if crate::assess::stock::shared_photos(&mut all) {
        report = crate::refresh(&report, &shared.history, &shared.settings.clock).await?;
        for (other, was) in others.iter().zip(&before) {
            if other.evidence.images != was.evidence.images {
                keep(shared, &crate::refresh(other, &shared.history, &shared.settings.clock).await?).await?;
            }
        }
    }
    keep(shared, &report).await?;
    Ok(Ok(()))
}

/// A report kept in the history, and written under `--out` when asked; past reports of the
/// store beyond `--keep` dropped.
async fn keep(shared: &Shared, report: &crate::model::Report) -> Result<()> {
    let mut report = report.clone();
    // What got worse since the store's run before (a run kept again keeps its own).
    if let Some((before, _)) = shared.history.latest_run(&report.store.key).await? {
        if before.run.id != report.run.id {
            report.run.regressions = crate::run::regressions(&before, &report);
        }
    }
    let report = &report;
    let dir = shared.settings.out.as_ref().map(|out| super::write_report(report, out)).transpose()?;
    shared.history.record_run(report, dir.as_deref()).await?;
    if shared.settings.keep != crate::history::Keep::All {
        let now = shared.settings.clock.now().fixed_offset();
        for dropped in shared.history.prune(shared.settings.keep, Some(&report.store.key), now).await? {
            if let Some(dir) = dropped.out_dir {
                crate::report::forget(&dir)?;
            }
        }
    }
    Ok(())
}

/// The chat's status read in the browser, nothing sent: the store's pages crawled for where
/// the chat is, the readings kept in the history.
async fn read_chat(shared: &Shared, mut scenario: Scenario) -> std::result::Result<(), String> {
    scenario.browser.enabled &= shared.settings.browser;
    partial(shared, scenario, None).await
}

/// The letters that are due, sent: the store's pages crawled for where to and its posted
/// hours, no browser; the letters and their replies kept in the history, for the next report.
async fn send_letters(shared: &Shared, mut scenario: Scenario) -> std::result::Result<(), String> {
    scenario.browser.enabled = false;
    partial(shared, scenario, Some(crate::probes::email::Mode::Send)).await
}

/// An audit for one of its parts alone (no questions in the chat; its report not kept, what it
/// found kept in the history).
async fn partial(
    shared: &Shared,
    mut scenario: Scenario,
    email: Option<crate::probes::email::Mode>,
) -> std::result::Result<(), String> {
    scenario.chat.questions.clear();
    scenario.chat.leave_message = false;
    let options = crate::Options {
        email,
        db: Some(Location::Postgres(shared.settings.db.clone())),
        browser: None,
        clock: shared.settings.clock.clone(),
        mailbox: crate::probes::email::MailboxReads::Here,
    };
    crate::audit_with(&scenario, &options, &crate::Quiet).await.map(drop).map_err(|e| e.to_string())
}

/// A shopper mailbox read, its replies filed.
async fn collect(shared: &Shared, scenario: &Scenario) -> std::result::Result<(), String> {
    let Some(imap) = scenario.shopper.as_ref().and_then(|s| s.imap.as_ref()) else {
        return Err("no [shopper.imap] to read".into());
    };
    crate::probes::mailbox::collect(imap, &shared.history, &shared.knowledge).await.map(drop).map_err(|e| e.to_string())
}

/// This machine's name, for the worker's name in the queue.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into())
}
