//! The history in PostgreSQL, for a fleet of machines sharing one: the same rows as
//! [`super::Sqlite`], behind the same [`Backend`]. The password never comes from the command
//! line: the URL carries none, and it is read from `PGPASSWORD` or the `PGPASSFILE` (else
//! `~/.pgpass`) as libpq reads it. Every URL shown is shown without a password.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row};

use super::{
    Backend, Letter, MailKind, NewLetter, Observation, PastConversation, SendState, Sent, StoredReply, RUNS_KEPT,
    SCREENSHOTS_KEPT,
};
use crate::error::{Error, Result};
use crate::model::StoreKey;

/// Schema changes, applied in order under an advisory lock; `shopaudit_schema` records how
/// many ran. The tables are SQLite's (src/history/sqlite.rs), with PostgreSQL's types.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE letters (
        id BIGSERIAL PRIMARY KEY,
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
        failure TEXT,
        attempt BIGINT NOT NULL DEFAULT 1,
        retry BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE INDEX letters_by_store ON letters (store, letter);
    CREATE TABLE replies (
        id BIGSERIAL PRIMARY KEY,
        letter_id BIGINT NOT NULL REFERENCES letters (id),
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
    CREATE TABLE mailboxes (key TEXT PRIMARY KEY, uid_validity BIGINT NOT NULL, last_uid BIGINT NOT NULL);
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        store TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        out_dir TEXT,
        report TEXT NOT NULL
    );
    CREATE INDEX runs_by_store ON runs (store, started_at);
    CREATE TABLE conversations (
        id BIGSERIAL PRIMARY KEY,
        store TEXT NOT NULL,
        question TEXT NOT NULL,
        page TEXT NOT NULL,
        asked_at TEXT,
        outcome TEXT NOT NULL,
        first_reply_ms BIGINT,
        first_human_reply_ms BIGINT,
        operator_name TEXT,
        missing TEXT NOT NULL,
        error TEXT
    );
    CREATE INDEX conversations_by_store ON conversations (store, asked_at);
    CREATE TABLE observations (
        id BIGSERIAL PRIMARY KEY,
        store TEXT NOT NULL,
        at TEXT NOT NULL,
        page TEXT NOT NULL,
        viewport TEXT NOT NULL,
        vendor TEXT NOT NULL,
        status TEXT NOT NULL,
        how TEXT NOT NULL,
        screenshot TEXT
    );
    CREATE INDEX observations_by_store ON observations (store, at);",
    // Exactly once: a letter's slot is claimed by the insert that records it (as in SQLite).
    "ALTER TABLE letters ADD COLUMN slot TEXT;
    CREATE UNIQUE INDEX letters_claimed ON letters (store, letter, slot) WHERE slot IS NOT NULL;",
];

/// Any number that names shopaudit's schema lock among the database's advisory locks.
const SCHEMA_LOCK: i64 = 0x5348_4F50_4155_4454; // "SHOPAUDT"

/// The columns [`letter`] reads, in its order.
const LETTER_COLUMNS: &str =
    "id, letter, message_id, to_addr, subject, state, sent_at, server_response, failure, created_at, attempt, retry";

/// A history in a PostgreSQL database.
pub struct Postgres {
    client: Mutex<Client>,
    /// The URL without its password, for messages.
    shown: String,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").field("url", &self.shown).finish()
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host:port/database`) and brings the schema up to
    /// date; a database written by a newer shopaudit is refused.
    pub async fn connect(url: &str) -> Result<Self> {
        let shown = redact(url);
        let fail = |message: String| Error::History { path: PathBuf::from(&shown), message };
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| fail(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_password().is_some() {
            return Err(fail(
                "the URL carries a password; give it in PGPASSWORD or a PGPASSFILE instead, so that it is never \
                 on a command line"
                    .into(),
            ));
        }
        if let Some(password) = password_for(&config) {
            config.password(password);
        }
        config.connect_timeout(std::time::Duration::from_secs(15));
        config.application_name("shopaudit");
        let (mut client, connection) = config.connect(NoTls).await.map_err(|e| fail(chain(&e)))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("history connection: {e}");
            }
        });
        let tx = client.transaction().await.map_err(|e| fail(chain(&e)))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).await.map_err(|e| fail(chain(&e)))?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS shopaudit_schema (version BIGINT NOT NULL)")
            .await
            .map_err(|e| fail(chain(&e)))?;
        let version: i64 = tx
            .query_opt("SELECT version FROM shopaudit_schema", &[])
            .await
            .map_err(|e| fail(chain(&e)))?
            .map_or(0, |r| r.get(0));
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(fail(format!("written by a newer shopaudit (schema {version}); upgrade shopaudit")));
        }
        for sql in MIGRATIONS.iter().skip(usize::try_from(version).unwrap_or(0)) {
            tx.batch_execute(sql).await.map_err(|e| fail(chain(&e)))?;
        }
        tx.execute("DELETE FROM shopaudit_schema", &[]).await.map_err(|e| fail(chain(&e)))?;
        tx.execute("INSERT INTO shopaudit_schema (version) VALUES ($1)", &[&known])
            .await
            .map_err(|e| fail(chain(&e)))?;
        tx.commit().await.map_err(|e| fail(chain(&e)))?;
        Ok(Postgres { client: Mutex::new(client), shown })
    }

    fn err<E: std::fmt::Display>(&self) -> impl Fn(E) -> Error + '_ {
        |e| Error::History { path: PathBuf::from(&self.shown), message: e.to_string() }
    }

    async fn execute(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Result<u64> {
        self.client.lock().await.execute(sql, params).await.map_err(|e| self.err()(chain(&e)))
    }

    async fn query(&self, sql: &str, params: &[&(dyn tokio_postgres::types::ToSql + Sync)]) -> Result<Vec<Row>> {
        self.client.lock().await.query(sql, params).await.map_err(|e| self.err()(chain(&e)))
    }

    /// Reads every row with `read`; a row that does not read is a damaged history, said so.
    fn read<T>(&self, rows: Vec<Row>, read: impl Fn(&Row) -> std::result::Result<T, String>) -> Result<Vec<T>> {
        rows.iter().map(|r| read(r).map_err(self.err())).collect()
    }
}

/// The URL as it may be shown: without a password, should one be in it.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "a PostgreSQL URL that does not parse".into(),
    }
}

/// The password libpq would use: `PGPASSWORD`, else the first matching line of `PGPASSFILE`
/// (else `~/.pgpass`): `host:port:database:user:password`, `*` matching anything.
fn password_for(config: &tokio_postgres::Config) -> Option<Vec<u8>> {
    if let Some(p) = std::env::var_os("PGPASSWORD") {
        return Some(p.into_encoded_bytes());
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default();
    let database = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), database, user];
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let fields: Vec<&str> = line.splitn(5, ':').collect();
        let [h, p, d, u, password] = fields[..] else { return None };
        let matches = [h, p, d, u].iter().zip(wanted).all(|(f, w)| *f == "*" || *f == w);
        matches.then(|| password.as_bytes().to_vec())
    })
}

/// The error and what caused it, on one line.
fn chain(e: &tokio_postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}

fn time(r: &Row, column: usize) -> std::result::Result<DateTime<FixedOffset>, String> {
    let text: String = r.try_get(column).map_err(|e| e.to_string())?;
    DateTime::parse_from_rfc3339(&text).map_err(|e| format!("column {column}: {e}"))
}

fn maybe_time(r: &Row, column: usize) -> std::result::Result<Option<DateTime<FixedOffset>>, String> {
    let text: Option<String> = r.try_get(column).map_err(|e| e.to_string())?;
    text.map(|t| DateTime::parse_from_rfc3339(&t).map_err(|e| format!("column {column}: {e}"))).transpose()
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, column: usize) -> std::result::Result<T, String> {
    r.try_get(column).map_err(|e| e.to_string())
}

fn named<T: std::str::FromStr<Err = String>>(r: &Row, column: usize) -> std::result::Result<T, String> {
    get::<String>(r, column)?.parse()
}

fn ms(r: &Row, column: usize) -> std::result::Result<Option<u64>, String> {
    Ok(get::<Option<i64>>(r, column)?.map(|v| u64::try_from(v).unwrap_or(0)))
}

fn letter(r: &Row) -> std::result::Result<Letter, String> {
    Ok(Letter {
        id: get(r, 0)?,
        letter: get(r, 1)?,
        message_id: get(r, 2)?,
        to: get(r, 3)?,
        subject: get(r, 4)?,
        state: named(r, 5)?,
        sent_at: maybe_time(r, 6)?,
        server_response: get(r, 7)?,
        failure: get(r, 8)?,
        created_at: time(r, 9)?,
        attempt: u32::try_from(get::<i64>(r, 10)?).unwrap_or(1),
        retry: get(r, 11)?,
    })
}

fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl Backend for Postgres {
    async fn begin_letter(&self, l: &NewLetter<'_>) -> Result<Option<i64>> {
        let rows = self
            .query(
                "INSERT INTO letters (store, letter, message_id, token, from_addr, to_addr, subject, state, created_at,
                     attempt, slot)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, $9, $10)
                 ON CONFLICT (store, letter, slot) WHERE slot IS NOT NULL DO NOTHING RETURNING id",
                &[
                    &l.store.as_str(),
                    &l.letter,
                    &l.message_id,
                    &l.token,
                    &l.from,
                    &l.to,
                    &l.subject,
                    &l.at.to_rfc3339(),
                    &i64::from(l.attempt),
                    &l.slot,
                ],
            )
            .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    async fn mark_sent(&self, id: i64, at: DateTime<FixedOffset>, response: &str) -> Result<()> {
        self.execute(
            "UPDATE letters SET state = 'sent', sent_at = $2, server_response = $3 WHERE id = $1",
            &[&id, &at.to_rfc3339(), &response],
        )
        .await
        .map(drop)
    }

    async fn confirm_from_copy(&self, id: i64, at: DateTime<FixedOffset>, mailbox: &str) -> Result<()> {
        self.execute(
            "UPDATE letters SET state = 'sent', sent_at = $2, retry = FALSE,
                 server_response = 'reconciled: the run sending it stopped before the server''s answer was '
                     || 'recorded; its copy reached ' || $3 || ' at ' || $2
             WHERE id = $1 AND state != 'sent'",
            &[&id, &at.to_rfc3339(), &mailbox],
        )
        .await
        .map(drop)
    }

    async fn note_unconfirmed(&self, id: i64, what: &str) -> Result<()> {
        self.execute("UPDATE letters SET failure = $2 WHERE id = $1", &[&id, &what]).await.map(drop)
    }

    async fn mark_failed(&self, id: i64, reason: &str, retry: bool) -> Result<()> {
        self.execute(
            "UPDATE letters SET state = 'failed', failure = $2, retry = $3 WHERE id = $1",
            &[&id, &reason, &retry],
        )
        .await
        .map(drop)
    }

    async fn latest(&self, store: &StoreKey, letter_id: &str) -> Result<Option<Letter>> {
        let sql =
            format!("SELECT {LETTER_COLUMNS} FROM letters WHERE store = $1 AND letter = $2 ORDER BY id DESC LIMIT 1");
        let rows = self.query(&sql, &[&store.as_str(), &letter_id]).await?;
        Ok(self.read(rows, letter)?.pop())
    }

    async fn letters(&self, store: &StoreKey) -> Result<Vec<Letter>> {
        let sql = format!("SELECT {LETTER_COLUMNS} FROM letters WHERE store = $1 ORDER BY id");
        let rows = self.query(&sql, &[&store.as_str()]).await?;
        self.read(rows, letter)
    }

    async fn sent_letters(&self) -> Result<Vec<Sent>> {
        let rows = self
            .query(
                "SELECT id, message_id, token, to_addr, subject, state FROM letters
                     WHERE state = 'sent' OR state = 'sending' OR retry ORDER BY id",
                &[],
            )
            .await?;
        self.read(rows, |r| {
            Ok(Sent {
                id: get(r, 0)?,
                message_id: get(r, 1)?,
                token: get(r, 2)?,
                to: get(r, 3)?,
                subject: get(r, 4)?,
                confirmed: named::<SendState>(r, 5)? == SendState::Sent,
            })
        })
    }

    async fn add_reply(&self, letter_id: i64, r: &StoredReply) -> Result<bool> {
        let added = self
            .execute(
                "INSERT INTO replies (letter_id, source, message_id, received_at, received_from, from_addr, kind,
                     why_auto, ticket, signed_by, matched_by, text)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (source) DO NOTHING",
                &[
                    &letter_id,
                    &r.source,
                    &r.message_id,
                    &r.received_at.to_rfc3339(),
                    &r.received_from,
                    &r.from,
                    &r.kind.as_str(),
                    &r.why_auto,
                    &r.ticket,
                    &r.signed_by,
                    &r.matched_by.as_str(),
                    &r.text,
                ],
            )
            .await?;
        if added > 0 && r.kind == MailKind::Bounce {
            self.mark_failed(letter_id, &format!("bounced: {}", r.text), false).await?;
        }
        Ok(added > 0)
    }

    async fn replies(&self, letter_id: i64) -> Result<Vec<StoredReply>> {
        let rows = self
            .query(
                "SELECT source, message_id, received_at, received_from, from_addr, kind, why_auto, ticket, signed_by,
                        matched_by, text
                 FROM replies WHERE letter_id = $1 ORDER BY received_at",
                &[&letter_id],
            )
            .await?;
        self.read(rows, |r| {
            Ok(StoredReply {
                source: get(r, 0)?,
                message_id: get(r, 1)?,
                received_at: time(r, 2)?,
                received_from: get(r, 3)?,
                from: get(r, 4)?,
                kind: named(r, 5)?,
                why_auto: get(r, 6)?,
                ticket: get(r, 7)?,
                signed_by: get(r, 8)?,
                matched_by: named(r, 9)?,
                text: get(r, 10)?,
            })
        })
    }

    async fn cursor(&self, mailbox: &str, uid_validity: u32) -> Result<u32> {
        let rows = self.query("SELECT uid_validity, last_uid FROM mailboxes WHERE key = $1", &[&mailbox]).await?;
        let found = self.read(rows, |r| Ok((get::<i64>(r, 0)?, get::<i64>(r, 1)?)))?;
        Ok(found
            .first()
            .filter(|(v, _)| *v == i64::from(uid_validity))
            .map_or(0, |(_, last)| u32::try_from(*last).unwrap_or(0)))
    }

    async fn set_cursor(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()> {
        self.execute(
            "INSERT INTO mailboxes (key, uid_validity, last_uid) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET uid_validity = $2, last_uid = $3",
            &[&mailbox, &i64::from(uid_validity), &i64::from(last_uid)],
        )
        .await
        .map(drop)
    }

    async fn adopt(&self, key: &StoreKey, url: &str) -> Result<()> {
        if key.as_str() == url {
            return Ok(());
        }
        let mut client = self.client.lock().await;
        let tx = client.transaction().await.map_err(|e| self.err()(chain(&e)))?;
        for table in ["letters", "runs", "conversations", "observations"] {
            tx.execute(&format!("UPDATE {table} SET store = $1 WHERE store = $2"), &[&key.as_str(), &url])
                .await
                .map_err(|e| self.err()(chain(&e)))?;
        }
        tx.commit().await.map_err(|e| self.err()(chain(&e)))
    }

    async fn record_run(&self, report: &crate::model::Report, out_dir: Option<&Path>) -> Result<()> {
        let json = serde_json::to_string(report).map_err(self.err())?;
        let store = report.store.history_key();
        self.execute(
            "INSERT INTO runs (id, store, name, started_at, out_dir, report) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET report = $6, out_dir = coalesce($5, runs.out_dir)",
            &[
                &report.run.id,
                &store.as_str(),
                &report.store.name,
                &report.run.started_at.to_rfc3339(),
                &out_dir.map(|d| d.display().to_string()),
                &json,
            ],
        )
        .await?;
        self.execute(
            "DELETE FROM runs WHERE store = $1 AND id NOT IN
                 (SELECT id FROM runs WHERE store = $1 ORDER BY started_at DESC LIMIT $2)",
            &[&store.as_str(), &big(RUNS_KEPT)],
        )
        .await
        .map(drop)
    }

    async fn latest_run(&self, store: &StoreKey) -> Result<Option<(crate::model::Report, Option<PathBuf>)>> {
        let rows = self
            .query(
                "SELECT report, out_dir FROM runs WHERE store = $1 ORDER BY started_at DESC LIMIT 1",
                &[&store.as_str()],
            )
            .await?;
        let Some((json, dir)) = self.read(rows, |r| Ok((get::<String>(r, 0)?, get::<Option<String>>(r, 1)?)))?.pop()
        else {
            return Ok(None);
        };
        let mut report: crate::model::Report = serde_json::from_str(&json)
            .map_err(|e| self.err()(format!("the stored report of {store} does not read: {e}")))?;
        if report.store.key.is_empty() {
            report.store.key = store.clone();
        }
        Ok(Some((report, dir.map(PathBuf::from))))
    }

    async fn record_conversations(
        &self,
        store: &StoreKey,
        talks: &[crate::model::evidence::Conversation],
    ) -> Result<()> {
        for t in talks {
            self.execute(
                "INSERT INTO conversations (store, question, page, asked_at, outcome, first_reply_ms,
                     first_human_reply_ms, operator_name, missing, error)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &store.as_str(),
                    &t.question_id,
                    &t.page,
                    &t.question_sent_at.map(|at| at.to_rfc3339()),
                    &t.outcome.as_str(),
                    &t.first_reply_ms.map(big),
                    &t.first_human_reply_ms.map(big),
                    &t.operator_name,
                    &t.missing.join("\n"),
                    &t.error,
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn conversations(&self, store: &StoreKey) -> Result<Vec<PastConversation>> {
        let rows = self
            .query(
                "SELECT question, asked_at, outcome, first_human_reply_ms FROM conversations
                     WHERE store = $1 ORDER BY id",
                &[&store.as_str()],
            )
            .await?;
        self.read(rows, |r| {
            Ok(PastConversation {
                question: get(r, 0)?,
                asked_at: maybe_time(r, 1)?,
                outcome: named(r, 2)?,
                first_human_reply_ms: ms(r, 3)?,
            })
        })
    }

    async fn record_observations(
        &self,
        store: &StoreKey,
        browser: &crate::model::evidence::BrowserEvidence,
    ) -> Result<()> {
        for v in &browser.visits {
            for c in &v.chats {
                let shot = v.screenshot.as_ref().filter(|_| c.status != crate::model::evidence::ChatStatus::Online);
                self.execute(
                    "INSERT INTO observations (store, at, page, viewport, vendor, status, how, screenshot)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &store.as_str(),
                        &c.status_at.to_rfc3339(),
                        &v.page,
                        &v.viewport.as_str(),
                        &c.vendor,
                        &c.status.as_str(),
                        &c.status_how,
                        &shot,
                    ],
                )
                .await?;
            }
        }
        self.execute(
            "UPDATE observations SET screenshot = NULL WHERE store = $1 AND screenshot IS NOT NULL
             AND id NOT IN (SELECT id FROM observations WHERE store = $1 AND screenshot IS NOT NULL
                            ORDER BY id DESC LIMIT $2)",
            &[&store.as_str(), &big(SCREENSHOTS_KEPT)],
        )
        .await
        .map(drop)
    }

    async fn observations(&self, store: &StoreKey) -> Result<Vec<Observation>> {
        let rows = self
            .query(
                "SELECT at, page, viewport, vendor, status, how, screenshot FROM observations
                     WHERE store = $1 ORDER BY at",
                &[&store.as_str()],
            )
            .await?;
        self.read(rows, |r| {
            Ok(Observation {
                at: time(r, 0)?,
                page: get(r, 1)?,
                viewport: named(r, 2)?,
                vendor: get(r, 3)?,
                status: named(r, 4)?,
                how: get(r, 5)?,
                screenshot: get(r, 6)?,
            })
        })
    }
}
