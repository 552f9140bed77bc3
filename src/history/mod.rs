//! The history: what outlives a run, so that a cron run can collect answers to letters an
//! earlier run sent, figures over time can be drawn, and a letter is never lost or sent twice.
//! A letter is written in state `sending` before a byte goes to the mail server, then becomes
//! `sent` with the server's answer or `failed` with its refusal; a letter still `sending`
//! after a crash is reported, never silently sent again.
//!
//! Every row belongs to a store by its [`StoreKey`]. The rows are the same whatever keeps them:
//! [`Backend`] is the storage, [`Sqlite`] the embedded default.

pub mod blobs;
mod postgres;
mod sqlite;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};

use crate::error::Result;
use crate::model::StoreKey;
pub use postgres::{redact, Postgres};
pub use sqlite::Sqlite;

/// Schema changes, applied in order, the same on every backend: SQLite records how many ran in
/// `PRAGMA user_version`, PostgreSQL in `shopaudit_schema` (and reads them in its own types,
/// [`postgres`]).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE letters (
        id INTEGER PRIMARY KEY,
        store TEXT NOT NULL,
        letter TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        token TEXT NOT NULL,
        from_addr TEXT NOT NULL,
        to_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
        created_at TEXT NOT NULL,
        sent_at TEXT,
        server_response TEXT,
        failure TEXT
    );
    CREATE INDEX letters_by_store ON letters (store, letter);",
    "CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        letter_id INTEGER NOT NULL REFERENCES letters (id),
        source TEXT NOT NULL UNIQUE,
        message_id TEXT,
        received_at TEXT NOT NULL,
        received_from TEXT NOT NULL,
        from_addr TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('auto', 'human', 'bounce')),
        why_auto TEXT,
        ticket TEXT,
        signed_by TEXT,
        matched_by TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE TABLE mailboxes (key TEXT PRIMARY KEY, uid_validity INTEGER NOT NULL, last_uid INTEGER NOT NULL);",
    // `retry`: the failure was not the server's final word (a 4xx, a refused connection, an
    // interrupted run with no copy of the letter in the shopper's mailbox), so a later run may
    // send the letter again, as a new attempt with a new Message-ID.
    "ALTER TABLE letters ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE letters ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        store TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        out_dir TEXT,
        report TEXT NOT NULL
    );
    CREATE INDEX runs_by_store ON runs (store, started_at);",
    "CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        store TEXT NOT NULL,
        question TEXT NOT NULL,
        page TEXT NOT NULL,
        asked_at TEXT,
        outcome TEXT NOT NULL,
        first_reply_ms INTEGER,
        first_human_reply_ms INTEGER,
        operator_name TEXT,
        missing TEXT NOT NULL,
        error TEXT
    );
    CREATE INDEX conversations_by_store ON conversations (store, asked_at);",
    "CREATE TABLE observations (
        id INTEGER PRIMARY KEY,
        store TEXT NOT NULL,
        at TEXT NOT NULL,
        page TEXT NOT NULL,
        viewport TEXT NOT NULL,
        vendor TEXT NOT NULL,
        status TEXT NOT NULL,
        how TEXT NOT NULL
    );
    CREATE INDEX observations_by_store ON observations (store, at);",
    // What the page looked like when the chat was not online: the proof a report shows.
    "ALTER TABLE observations ADD COLUMN screenshot TEXT;",
    // Exactly once: a letter's slot ("once", a period's planned time, a retry of a row) is
    // claimed by the insert that records it, so two processes cannot both send it.
    "ALTER TABLE letters ADD COLUMN slot TEXT;
    CREATE UNIQUE INDEX letters_claimed ON letters (store, letter, slot) WHERE slot IS NOT NULL;",
    // The fleet's stores (`shopaudit submit`): each store's scenario as written, the latest
    // version only; a store left out of the latest submission is kept, inactive.
    "CREATE TABLE scenarios (
        store TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        text TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        active INTEGER NOT NULL
    );
    CREATE TABLE portfolio (one INTEGER PRIMARY KEY CHECK (one = 1), text TEXT NOT NULL, submitted_at TEXT NOT NULL);",
    // The fleet's due work (a store's audit, a chat reading, a mailbox's collection): one row
    // per slot, inserted in the transaction that queues the job, so that it is queued once
    // however many workers plan it; `done_at` and `error` say how it ended.
    "CREATE TABLE claims (
        store TEXT NOT NULL,
        kind TEXT NOT NULL,
        slot TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        done_at TEXT,
        error TEXT,
        PRIMARY KEY (store, kind, slot)
    );",
    // Every report is kept (the agency's view opens any past one): its score and failing
    // checks beside it for trends, its pictures once each in `blobs` by content hash; audits
    // that could not run are kept too; clients' read-only links, stored hashed.
    "ALTER TABLE runs ADD COLUMN score INTEGER;
    ALTER TABLE runs ADD COLUMN failing TEXT;
    CREATE TABLE blobs (hash TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE run_blobs (run TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (run, hash));
    CREATE INDEX run_blobs_by_hash ON run_blobs (hash);
    CREATE TABLE unaudited (id INTEGER PRIMARY KEY, store TEXT NOT NULL, at TEXT NOT NULL, error TEXT NOT NULL);
    CREATE INDEX unaudited_by_store ON unaudited (store, at);
    CREATE TABLE shares (hash TEXT PRIMARY KEY, store TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);",
    // An alert is claimed here before it is sent, so each event is told once, whichever run
    // or worker sees it first.
    "CREATE TABLE alerts (store TEXT NOT NULL, event TEXT NOT NULL, raised_at TEXT NOT NULL, PRIMARY KEY (store, event));",
    // The fleet's mailbox watches (IMAP IDLE): one worker holds each mailbox's lease until
    // `until_ms` (milliseconds since the epoch, by the database's clock, so that the
    // machines' clocks need not agree); a dead holder's lease runs out and another takes it.
    "CREATE TABLE watches (mailbox TEXT PRIMARY KEY, holder TEXT NOT NULL, until_ms INTEGER NOT NULL);",
    // How an answer reads is judged whenever replies are filed, also by `collect`, which
    // crawls nothing: the letter's own text (its words are not the store's misspellings, its
    // language is the one asked in) and the words on the store's pages at its last audit
    // (names, brands and products, one per line) are kept for it.
    "ALTER TABLE letters ADD COLUMN body TEXT;
    CREATE TABLE vocabulary (store TEXT PRIMARY KEY, words TEXT NOT NULL);",
    // A question put through the store's contact form is kept as a letter is (recorded before
    // the click, claimed once, its answers filed and timed the same way); `via` says which.
    // Its `to_addr` is the form's page.
    "ALTER TABLE letters ADD COLUMN via TEXT NOT NULL DEFAULT 'email';",
    // Mail from a store's domain with no token while several of its questions waited: kept
    // for the report to say so, never filed by a guess.
    "CREATE TABLE unfiled (
        id INTEGER PRIMARY KEY,
        store TEXT NOT NULL,
        source TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        from_addr TEXT NOT NULL,
        subject TEXT NOT NULL,
        waiting INTEGER NOT NULL
    );
    CREATE INDEX unfiled_by_store ON unfiled (store);",
];

/// A store's scenario as the fleet keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The store.
    pub store: StoreKey,
    /// The scenario's file name, for messages and for the paths it names.
    pub file: String,
    /// The scenario as written.
    pub text: String,
    /// When it was submitted (as read back; `submit` stamps every store with its own time):
    /// work done "every run" is due once per submission.
    pub at: DateTime<FixedOffset>,
}

/// A letter about to be sent.
#[derive(Debug, Clone)]
pub struct NewLetter<'a> {
    /// The store.
    pub store: &'a StoreKey,
    /// The scenario's letter id.
    pub letter: &'a str,
    /// `<…>` as sent.
    pub message_id: &'a str,
    /// The discreet token that identifies replies.
    pub token: &'a str,
    /// The shopper's address.
    pub from: &'a str,
    /// The store's address.
    pub to: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// The letter's text.
    pub body: &'a str,
    /// 1 for the first attempt, then 2, 3 … after retryable failures.
    pub attempt: u32,
    /// Now, by the audit's clock.
    pub at: DateTime<FixedOffset>,
    /// How it reaches the store.
    pub via: Written,
    /// What this letter is the one of: "once", a scheduled period's planned time, "retry of
    /// <row>". Two processes claiming one slot of one store's letter: only the first records
    /// it. None claims nothing (a letter sent on every run).
    pub slot: Option<&'a str>,
}

crate::model::named_enum! {
    /// How the shopper's written question reaches the store.
    #[derive(Default)]
    pub enum Written ("written channel") {
        /// A letter to the store's address.
        #[default]
        Email = "email",
        /// The store's contact form.
        Form = "form",
    }
}

crate::model::named_enum! {
    /// Where the sending of a letter stands.
    pub enum SendState ("send state") {
        /// Recorded before a byte went out; the server's acceptance not yet confirmed.
        Sending = "sending",
        /// The server accepted it.
        Sent = "sent",
        /// The server refused it, it bounced, or it was never sent.
        Failed = "failed",
    }
}

crate::model::named_enum! {
    /// What a reply filed to a letter is.
    pub enum MailKind ("mail kind") {
        /// An automatic reply.
        Auto = "auto",
        /// A person's reply.
        Human = "human",
        /// A delivery failure report.
        Bounce = "bounce",
    }
}

impl MailKind {
    /// The kind as the report shows a reply; a bounce is no reply.
    pub fn reply(self) -> Option<crate::model::evidence::ReplyKind> {
        match self {
            MailKind::Auto => Some(crate::model::evidence::ReplyKind::Auto),
            MailKind::Human => Some(crate::model::evidence::ReplyKind::Human),
            MailKind::Bounce => None,
        }
    }
}

/// A letter as the history holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Row id.
    pub id: i64,
    /// The scenario's letter id.
    pub letter: String,
    /// Message-ID.
    pub message_id: String,
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// The letter's text; empty for letters recorded before it was kept.
    pub body: String,
    /// Where the sending stands.
    pub state: SendState,
    /// When the server accepted it.
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// The server's answer on acceptance.
    pub server_response: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// When it was recorded, before sending.
    pub created_at: DateTime<FixedOffset>,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// A failure a later run may retry.
    pub retry: bool,
    /// A letter, or a question put through the contact form.
    pub via: Written,
}

/// A letter the shopper sent, for matching replies to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Row id.
    pub id: i64,
    /// Message-ID, `<…>`.
    pub message_id: String,
    /// The discreet token.
    pub token: String,
    /// The store's address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// The server's acceptance is recorded (state `sent`); otherwise the run sending it was
    /// interrupted or its outcome was unclear.
    pub confirmed: bool,
    /// The store it went to.
    pub store: StoreKey,
    /// A letter, or a contact-form question (whose `to` is the form's page).
    pub via: Written,
    /// A person's reply is already filed under it.
    pub answered: bool,
}

/// A reply, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// Where it was read: mailbox, UID validity and UID; never stored twice.
    pub source: String,
    /// Its Message-ID.
    pub message_id: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<FixedOffset>,
    /// Which clock: "imap internaldate" or "date header".
    pub received_from: String,
    /// Sender.
    pub from: String,
    /// A machine's, a person's, or a bounce.
    pub kind: MailKind,
    /// Why it is automatic.
    pub why_auto: Option<String>,
    /// Ticket number.
    pub ticket: Option<String>,
    /// Signer.
    pub signed_by: Option<String>,
    /// How it was tied to the letter.
    pub matched_by: crate::model::evidence::MatchedBy,
    /// Its own text.
    pub text: String,
}

/// One reading of the chat's status, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// When it was read.
    pub at: DateTime<FixedOffset>,
    /// On which page.
    pub page: String,
    /// The browser's viewport.
    pub viewport: crate::model::Viewport,
    /// The widget's vendor.
    pub vendor: String,
    /// What the widget said.
    pub status: crate::model::evidence::ChatStatus,
    /// How the status was read.
    pub how: String,
    /// The page as it looked, when the chat was not online.
    pub screenshot: Option<String>,
}

/// A kept run, as lists and trends read it (the report itself is read with [`Backend::run`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// The run's id.
    pub id: String,
    /// The store.
    pub store: StoreKey,
    /// The store's name then.
    pub name: String,
    /// When the audit started.
    pub started_at: DateTime<FixedOffset>,
    /// The report's 0-100 score; none when nothing was judged.
    pub score: Option<u8>,
    /// The checks that failed, by id.
    pub failing: Vec<String>,
    /// Where its files were written, if anywhere.
    pub out_dir: Option<PathBuf>,
}

/// An audit that could not run, and why (the why carries no secret: errors never do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unaudited {
    /// The store.
    pub store: StoreKey,
    /// When it was tried.
    pub at: DateTime<FixedOffset>,
    /// Why it could not run.
    pub error: String,
}

/// How many past reports the history keeps (`--keep`): all (the default), the latest N of each
/// store, or those of the last N days. The latest report of a store is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// Every report.
    #[default]
    All,
    /// The latest N reports of each store.
    Runs(usize),
    /// Reports from the last N days.
    Days(u32),
}

impl RunRow {
    /// Checks failing in the latest of `runs` (oldest first) that passed in the one before.
    pub fn regressions(runs: &[RunRow]) -> Vec<String> {
        let [.., before, latest] = runs else { return Vec::new() };
        latest.failing.iter().filter(|c| !before.failing.contains(c)).cloned().collect()
    }

    /// The figures of a run kept before they were columns, read from its report.
    fn of_older(row: RunRow, report: &crate::model::Report) -> RunRow {
        RunRow { score: report.summary.score, failing: report.failing(), ..row }
    }
}

impl Keep {
    /// The runs of `rows` this retention drops at `now`: never a store's latest.
    pub fn dropped(self, rows: Vec<RunRow>, now: DateTime<FixedOffset>) -> Vec<RunRow> {
        let mut by_store: std::collections::BTreeMap<StoreKey, Vec<RunRow>> = Default::default();
        for row in rows {
            by_store.entry(row.store.clone()).or_default().push(row);
        }
        let mut dropped = Vec::new();
        for mut runs in by_store.into_values() {
            runs.sort_by_key(|r| std::cmp::Reverse(r.started_at));
            for (nth, run) in runs.into_iter().enumerate().skip(1) {
                let gone = match self {
                    Keep::All => false,
                    Keep::Runs(n) => nth >= n,
                    Keep::Days(days) => now - run.started_at > chrono::Duration::days(i64::from(days)),
                };
                if gone {
                    dropped.push(run);
                }
            }
        }
        dropped
    }
}

impl std::str::FromStr for Keep {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        let bad =
            || format!("\"{s}\" is not a retention: give \"all\", a number of runs (\"20\") or of days (\"90d\")");
        if s.eq_ignore_ascii_case("all") {
            return Ok(Keep::All);
        }
        match s.strip_suffix('d') {
            Some(days) => days.parse().ok().filter(|d| *d > 0).map(Keep::Days).ok_or_else(bad),
            None => s.parse().ok().filter(|n| *n > 0).map(Keep::Runs).ok_or_else(bad),
        }
    }
}

/// Screenshots of readings when the chat was not online, kept per store.
pub const SCREENSHOTS_KEPT: usize = 6;

/// A chat conversation as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastConversation {
    /// The scenario's question id.
    pub question: String,
    /// When the question was sent.
    pub asked_at: Option<DateTime<FixedOffset>>,
    /// How it ended.
    pub outcome: crate::model::evidence::ConversationOutcome,
    /// Until the first human reply.
    pub first_human_reply_ms: Option<u64>,
}

/// `history.sqlite` in the user's data folder: `$XDG_DATA_HOME/shopaudit`, else
/// `~/.local/share/shopaudit` on Linux (the platform's own place elsewhere); the working
/// folder when there is no home.
pub fn default_path() -> PathBuf {
    directories::ProjectDirs::from("", "", "shopaudit")
        .map_or_else(|| PathBuf::from("shopaudit"), |dirs| dirs.data_dir().to_path_buf())
        .join("history.sqlite")
}

/// Where the history is kept. SQLite ([`Sqlite`], the embedded default) implements it;
/// another database implements the same rows, so every layer above speaks to this trait.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Records a letter in state `sending`, before it is sent, claiming its slot in the same
    /// statement: none when another process has claimed that slot of that store's letter (it
    /// sends the letter; this one must not).
    async fn begin_letter(&self, l: &NewLetter<'_>) -> Result<Option<i64>>;
    /// The server accepted the letter.
    async fn mark_sent(&self, id: i64, at: DateTime<FixedOffset>, response: &str) -> Result<()>;
    /// The shopper's copy of a letter arrived: the server took it, whatever the run that sent
    /// it managed to record. `at` is the copy's arrival.
    async fn confirm_from_copy(&self, id: i64, at: DateTime<FixedOffset>, mailbox: &str) -> Result<()>;
    /// The send ended without a clear answer (a timeout after the data): the letter stays
    /// `sending`, with what happened, until its copy confirms it or time says it never left.
    async fn note_unconfirmed(&self, id: i64, what: &str) -> Result<()>;
    /// The server refused the letter, or it could not be sent; `retry` when a later run may try
    /// again (the refusal was not final).
    async fn mark_failed(&self, id: i64, reason: &str, retry: bool) -> Result<()>;
    /// The latest letter with this scenario id for this store (to this recipient, when `to`
    /// names one), if any.
    async fn latest(&self, store: &StoreKey, letter: &str, to: Option<&str>) -> Result<Option<Letter>>;
    /// Every letter to this store, oldest first.
    async fn letters(&self, store: &StoreKey) -> Result<Vec<Letter>>;
    /// Letters that may have reached the store (any store): what replies may answer, and what
    /// the shopper's copies of letters reconcile.
    async fn sent_letters(&self) -> Result<Vec<Sent>>;
    /// Stores a reply to a letter; a reply already stored (same source) is ignored.
    async fn add_reply(&self, letter_id: i64, r: &StoredReply) -> Result<bool>;
    /// Replies to a letter, oldest first.
    async fn replies(&self, letter_id: i64) -> Result<Vec<StoredReply>>;
    /// The last UID read from a mailbox, if its UID validity is still `uid_validity`.
    async fn cursor(&self, mailbox: &str, uid_validity: u32) -> Result<u32>;
    /// Remembers how far a mailbox was read.
    async fn set_cursor(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()>;
    /// Takes over the rows an older shopaudit keyed by the store's start URL (before stores
    /// had keys) for the store `key`. The first scenario naming that URL takes them all; a
    /// second scenario for the same site starts its own history.
    async fn adopt(&self, key: &StoreKey, url: &str) -> Result<()>;
    /// Keeps a run's report, and where its files were written, so that `shopaudit report` and
    /// `shopaudit collect` can bring it up to date as answers arrive and the agency's view can
    /// open it later; the same run recorded again (brought up to date) replaces its report.
    /// Its screenshots are stored once each by content hash ([`blobs`]).
    async fn record_run(&self, report: &crate::model::Report, out_dir: Option<&Path>) -> Result<()>;
    /// Every kept run of `store` (of every store when none), oldest first.
    async fn runs(&self, store: Option<&StoreKey>) -> Result<Vec<RunRow>>;
    /// One kept run's report, pictures and all.
    async fn run(&self, store: &StoreKey, id: &str) -> Result<Option<crate::model::Report>>;
    /// Remembers an audit that could not run.
    async fn record_unaudited(&self, failed: &Unaudited) -> Result<()>;
    /// The audits of `store` (of every store when none) that could not run, oldest first.
    async fn unaudited(&self, store: Option<&StoreKey>) -> Result<Vec<Unaudited>>;
    /// Drops the reports of `store` (of every store when none) that `keep` does not keep (never
    /// a store's latest), and the pictures no kept report names; the runs dropped, whose files
    /// the caller may remove.
    async fn prune(&self, keep: Keep, store: Option<&StoreKey>, now: DateTime<FixedOffset>) -> Result<Vec<RunRow>>;
    /// Stores a client's read-only link to `store`, by its hash (the link itself is never kept).
    async fn share(&self, store: &StoreKey, hash: &str, at: DateTime<FixedOffset>) -> Result<()>;
    /// Ends every link to `store`; how many there were.
    async fn revoke(&self, store: &StoreKey, at: DateTime<FixedOffset>) -> Result<usize>;
    /// The store a live link's hash opens.
    async fn shared(&self, hash: &str) -> Result<Option<StoreKey>>;
    /// Keeps a message from the store's domain that no question could be tied to (`source` as
    /// for replies: never kept twice).
    async fn add_unfiled(&self, store: &StoreKey, source: &str, mail: &crate::model::evidence::Unfiled) -> Result<()>;
    /// The store's unfiled messages, oldest first.
    async fn unfiled(&self, store: &StoreKey) -> Result<Vec<crate::model::evidence::Unfiled>>;
    /// Keeps the words found on the store's pages (one per line), replacing the last audit's.
    async fn save_vocabulary(&self, store: &StoreKey, words: &str) -> Result<()>;
    /// The words kept by [`Backend::save_vocabulary`]; empty before the first audit.
    async fn vocabulary(&self, store: &StoreKey) -> Result<String>;
    /// Claims the alert for `event` of `store`: false when it was raised before (by anyone).
    async fn claim_alert(&self, store: &StoreKey, event: &str, at: DateTime<FixedOffset>) -> Result<bool>;
    /// Gives a claimed alert back after it could not be delivered, so that a later run tries
    /// again.
    async fn release_alert(&self, store: &StoreKey, event: &str) -> Result<()>;
    /// The store's latest recorded run: its report, and the folder its files went to.
    async fn latest_run(&self, store: &StoreKey) -> Result<Option<(crate::model::Report, Option<PathBuf>)>>;
    /// The run before the latest, for what got worse since.
    async fn previous_run(&self, store: &StoreKey) -> Result<Option<crate::model::Report>>;
    /// Keeps the chat conversations of a run, for answer rates and times over many runs.
    async fn record_conversations(
        &self,
        store: &StoreKey,
        talks: &[crate::model::evidence::Conversation],
    ) -> Result<()>;
    /// Every conversation held with a store, oldest first: question id, when, outcome, and the
    /// time to the first human reply.
    async fn conversations(&self, store: &StoreKey) -> Result<Vec<PastConversation>>;
    /// Keeps what the browser saw of the chat's status in a run, for availability over time.
    async fn record_observations(
        &self,
        store: &StoreKey,
        browser: &crate::model::evidence::BrowserEvidence,
    ) -> Result<()>;
    /// Every chat status the browser saw at a store, oldest first.
    async fn observations(&self, store: &StoreKey) -> Result<Vec<Observation>>;
    /// Replaces the fleet's stores with `scenarios` (and its `portfolio.toml`, if any) in one
    /// transaction: a store not among them stops being scheduled; its history stays.
    async fn submit(&self, scenarios: &[Submitted], portfolio: Option<&str>, at: DateTime<FixedOffset>) -> Result<()>;
    /// The stores of the latest submission, by key, and its `portfolio.toml`.
    async fn submitted(&self) -> Result<(Vec<Submitted>, Option<String>)>;
}

/// The password for a `postgres://` URL as libpq would find it (`PGPASSWORD`, the
/// `PGPASSFILE`, `~/.pgpass`), for the fleet's other connections to the same database.
pub fn postgres_password(url: &str) -> Option<Vec<u8>> {
    postgres::password_for(&url.parse().ok()?)
}

/// Where the history is: a SQLite file (the embedded default) or a PostgreSQL database shared
/// by several machines. Written as `--db PATH` or `--db postgres://user@host:port/database`
/// (the password from `PGPASSWORD` or a `PGPASSFILE`, never in the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl std::str::FromStr for Location {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_string()))
        } else if s.is_empty() {
            Err("an empty history path".into())
        } else {
            Ok(Location::Sqlite(PathBuf::from(s)))
        }
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Location::Sqlite(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Location::Sqlite(path.to_path_buf())
    }
}

impl std::fmt::Display for Location {
    /// The path, or the URL without a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

impl Default for Location {
    /// [`default_path`].
    fn default() -> Self {
        Location::Sqlite(default_path())
    }
}

/// The history: a handle on its backend, cheap to clone and to share between tasks.
#[derive(Clone)]
pub struct History(Arc<dyn Backend>);

impl History {
    /// Opens (creating if needed) the SQLite history at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(History(Arc::new(Sqlite::open(path)?)))
    }

    /// Opens the history wherever it is, bringing its schema up to date.
    pub async fn connect(location: &Location) -> Result<Self> {
        match location {
            Location::Sqlite(path) => Self::open(path),
            Location::Postgres(url) => Ok(History(Arc::new(Postgres::connect(url).await?))),
        }
    }

    /// A history kept by another backend.
    pub fn with(backend: Arc<dyn Backend>) -> Self {
        History(backend)
    }
}

impl std::ops::Deref for History {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
