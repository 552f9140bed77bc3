//! The history: an SQLite file (WAL mode, versioned migrations) that outlives a run, so that a
//! cron run can collect answers to letters an earlier run sent, and a letter is never lost or
//! sent twice. A letter is written in state `sending` before a byte goes to the mail server,
//! then becomes `sent` with the server's answer or `failed` with its refusal; a letter still
//! `sending` after a crash is reported, never silently sent again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Schema changes, applied in order; `PRAGMA user_version` records how many ran.
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
];

/// The history file.
pub struct History {
    conn: Connection,
}

/// A letter about to be sent.
#[derive(Debug, Clone)]
pub struct NewLetter<'a> {
    /// The store's start URL: the key that ties runs of one store together.
    pub store: &'a str,
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
    /// 1 for the first attempt, then 2, 3 … after retryable failures.
    pub attempt: u32,
    /// Now, by the audit's clock.
    pub at: DateTime<FixedOffset>,
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
    /// sending, sent or failed.
    pub state: String,
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
    /// auto, human or bounce.
    pub kind: String,
    /// Why it is automatic.
    pub why_auto: Option<String>,
    /// Ticket number.
    pub ticket: Option<String>,
    /// Signer.
    pub signed_by: Option<String>,
    /// thread, token, or subject and domain.
    pub matched_by: String,
    /// Its own text.
    pub text: String,
}

/// `$XDG_DATA_HOME/shopaudit/history.sqlite`, else `~/.local/share/shopaudit/history.sqlite`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("shopaudit").join("history.sqlite")
}

fn db_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::History { path: path.to_path_buf(), message: e.to_string() }
}

impl History {
    /// Opens (creating if needed) the history at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
        }
        let conn = Connection::open(path).map_err(db_error(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_error(path))?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_error(path))?;
        let version: usize =
            conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map_err(db_error(path))? as usize;
        if version > MIGRATIONS.len() {
            return Err(Error::History {
                path: path.to_path_buf(),
                message: format!("written by a newer shopaudit (schema {version}); upgrade shopaudit"),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            conn.execute_batch(&format!("BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;", i + 1))
                .map_err(db_error(path))?;
        }
        Ok(History { conn })
    }

    fn err<E: std::fmt::Display>(&self) -> impl Fn(E) -> Error + '_ {
        |e| Error::History { path: self.conn.path().map(PathBuf::from).unwrap_or_default(), message: e.to_string() }
    }

    /// Every row of `sql`, read by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).map_err(self.err())?;
        let rows = stmt.query_map(params, row).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Records a letter in state `sending`, before it is sent.
    pub fn begin_letter(&self, l: &NewLetter<'_>) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO letters (store, letter, message_id, token, from_addr, to_addr, subject, state, created_at,
                     attempt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'sending', ?8, ?9)",
                params![
                    l.store,
                    l.letter,
                    l.message_id,
                    l.token,
                    l.from,
                    l.to,
                    l.subject,
                    l.at.to_rfc3339(),
                    l.attempt
                ],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The server accepted the letter.
    pub fn mark_sent(&self, id: i64, at: DateTime<FixedOffset>, response: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE letters SET state = 'sent', sent_at = ?2, server_response = ?3 WHERE id = ?1",
                params![id, at.to_rfc3339(), response],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// The shopper's copy of a letter arrived: the server took it, whatever the run that sent
    /// it managed to record. `at` is the copy's arrival.
    pub fn confirm_from_copy(&self, id: i64, at: DateTime<FixedOffset>, mailbox: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE letters SET state = 'sent', sent_at = ?2, retry = 0,
                     server_response = 'reconciled: the run sending it stopped before the server''s answer was '
                         || 'recorded; its copy reached ' || ?3 || ' at ' || ?2
                 WHERE id = ?1 AND state != 'sent'",
                params![id, at.to_rfc3339(), mailbox],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// The send ended without a clear answer (a timeout after the data): the letter stays
    /// `sending`, with what happened, until its copy confirms it or time says it never left.
    pub fn note_unconfirmed(&self, id: i64, what: &str) -> Result<()> {
        self.conn
            .execute("UPDATE letters SET failure = ?2 WHERE id = ?1", params![id, what])
            .map(|_| ())
            .map_err(self.err())
    }

    /// The server refused the letter, or it could not be sent; `retry` when a later run may try
    /// again (the refusal was not final).
    pub fn mark_failed(&self, id: i64, reason: &str, retry: bool) -> Result<()> {
        self.conn
            .execute(
                "UPDATE letters SET state = 'failed', failure = ?2, retry = ?3 WHERE id = ?1",
                params![id, reason, retry],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// The latest letter with this scenario id for this store, if any.
    pub fn latest(&self, store: &str, letter: &str) -> Result<Option<Letter>> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {LETTER_COLUMNS} FROM letters WHERE store = ?1 AND letter = ?2 ORDER BY id DESC LIMIT 1"
                ),
                params![store, letter],
                row_to_letter,
            )
            .optional()
            .map_err(self.err())
    }

    /// Every letter to this store, oldest first.
    pub fn letters(&self, store: &str) -> Result<Vec<Letter>> {
        self.rows(
            &format!("SELECT {LETTER_COLUMNS} FROM letters WHERE store = ?1 ORDER BY id"),
            params![store],
            row_to_letter,
        )
    }
}

impl History {
    /// Letters that may have reached the store (any store): what replies may answer, and what
    /// the shopper's copies of letters reconcile.
    pub fn sent_letters(&self) -> Result<Vec<Sent>> {
        self.rows(
            "SELECT id, message_id, token, to_addr, subject, state FROM letters
                 WHERE state = 'sent' OR state = 'sending' OR retry = 1 ORDER BY id",
            [],
            |r| {
                Ok(Sent {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    token: r.get(2)?,
                    to: r.get(3)?,
                    subject: r.get(4)?,
                    confirmed: r.get::<_, String>(5)? == "sent",
                })
            },
        )
    }

    /// Stores a reply to a letter; a reply already stored (same source) is ignored.
    pub fn add_reply(&self, letter_id: i64, r: &StoredReply) -> Result<bool> {
        let added = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO replies (letter_id, source, message_id, received_at, received_from, from_addr, kind,
                     why_auto, ticket, signed_by, matched_by, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    letter_id,
                    r.source,
                    r.message_id,
                    r.received_at.to_rfc3339(),
                    r.received_from,
                    r.from,
                    r.kind,
                    r.why_auto,
                    r.ticket,
                    r.signed_by,
                    r.matched_by,
                    r.text
                ],
            )
            .map_err(self.err())?;
        if added > 0 && r.kind == "bounce" {
            self.mark_failed(letter_id, &format!("bounced: {}", r.text), false)?;
        }
        Ok(added > 0)
    }

    /// Replies to a letter, oldest first.
    pub fn replies(&self, letter_id: i64) -> Result<Vec<StoredReply>> {
        self.rows(
            "SELECT source, message_id, received_at, received_from, from_addr, kind, why_auto, ticket, signed_by,
                        matched_by, text
                 FROM replies WHERE letter_id = ?1 ORDER BY received_at",
            params![letter_id],
            |r| {
                Ok(StoredReply {
                    source: r.get(0)?,
                    message_id: r.get(1)?,
                    received_at: time(r, 2)?,
                    received_from: r.get(3)?,
                    from: r.get(4)?,
                    kind: r.get(5)?,
                    why_auto: r.get(6)?,
                    ticket: r.get(7)?,
                    signed_by: r.get(8)?,
                    matched_by: r.get(9)?,
                    text: r.get(10)?,
                })
            },
        )
    }

    /// The last UID read from a mailbox, if its UID validity is still `uid_validity`.
    pub fn cursor(&self, mailbox: &str, uid_validity: u32) -> Result<u32> {
        let row: Option<(u32, u32)> = self
            .conn
            .query_row("SELECT uid_validity, last_uid FROM mailboxes WHERE key = ?1", params![mailbox], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(self.err())?;
        Ok(row.filter(|(v, _)| *v == uid_validity).map_or(0, |(_, last)| last))
    }

    /// Remembers how far a mailbox was read.
    pub fn set_cursor(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO mailboxes (key, uid_validity, last_uid) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET uid_validity = ?2, last_uid = ?3",
                params![mailbox, uid_validity, last_uid],
            )
            .map(|_| ())
            .map_err(self.err())
    }
}

impl History {
    /// Keeps a run's report, and where its files were written, so that `shopaudit report` and
    /// `shopaudit collect` can bring it up to date as answers arrive. Reports carry screenshots
    /// (hundreds of KB): only the latest [`RUNS_KEPT`] of each store are kept, since figures
    /// over time come from the letters, conversations and readings, not from old reports.
    pub fn record_run(&self, report: &crate::model::Report, out_dir: Option<&Path>) -> Result<()> {
        let json = serde_json::to_string(report).map_err(self.err())?;
        self.conn
            .execute(
                "INSERT INTO runs (id, store, name, started_at, out_dir, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET report = ?6, out_dir = coalesce(?5, out_dir)",
                params![
                    report.run.id,
                    report.store.url,
                    report.store.name,
                    report.run.started_at.to_rfc3339(),
                    out_dir.map(|d| d.display().to_string()),
                    json
                ],
            )
            .map_err(self.err())?;
        self.conn
            .execute(
                "DELETE FROM runs WHERE store = ?1 AND id NOT IN
                     (SELECT id FROM runs WHERE store = ?1 ORDER BY started_at DESC LIMIT ?2)",
                params![report.store.url, RUNS_KEPT],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// The store's latest recorded run: its report, and the folder its files went to.
    pub fn latest_run(&self, store: &str) -> Result<Option<(crate::model::Report, Option<PathBuf>)>> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT report, out_dir FROM runs WHERE store = ?1 ORDER BY started_at DESC LIMIT 1",
                params![store],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err())?;
        let Some((json, dir)) = row else { return Ok(None) };
        let report = serde_json::from_str(&json).map_err(|e| Error::History {
            path: self.conn.path().map(PathBuf::from).unwrap_or_default(),
            message: format!("the stored report of {store} does not read: {e}"),
        })?;
        Ok(Some((report, dir.map(PathBuf::from))))
    }
}

impl History {
    /// Keeps the chat conversations of a run, for answer rates and times over many runs.
    pub fn record_conversations(&self, store: &str, talks: &[crate::model::evidence::Conversation]) -> Result<()> {
        for t in talks {
            self.conn
                .execute(
                    "INSERT INTO conversations (store, question, page, asked_at, outcome, first_reply_ms,
                         first_human_reply_ms, operator_name, missing, error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        store,
                        t.question_id,
                        t.page,
                        t.question_sent_at.map(|at| at.to_rfc3339()),
                        t.outcome,
                        t.first_reply_ms,
                        t.first_human_reply_ms,
                        t.operator_name,
                        t.missing.join("\n"),
                        t.error
                    ],
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// Every conversation held with a store, oldest first: question id, when, outcome, and the
    /// time to the first human reply.
    pub fn conversations(&self, store: &str) -> Result<Vec<PastConversation>> {
        self.rows(
            "SELECT question, asked_at, outcome, first_human_reply_ms FROM conversations
                 WHERE store = ?1 ORDER BY id",
            params![store],
            |r| {
                let asked_at = match r.get_ref(1)? {
                    rusqlite::types::ValueRef::Null => None,
                    _ => Some(time(r, 1)?),
                };
                Ok(PastConversation {
                    question: r.get(0)?,
                    asked_at,
                    outcome: r.get(2)?,
                    first_human_reply_ms: r.get(3)?,
                })
            },
        )
    }
}

impl History {
    /// Keeps what the browser saw of the chat's status in a run, for availability over time.
    pub fn record_observations(&self, store: &str, browser: &crate::model::evidence::BrowserEvidence) -> Result<()> {
        for v in &browser.visits {
            for c in &v.chats {
                self.conn
                    .execute(
                        "INSERT INTO observations (store, at, page, viewport, vendor, status, how, screenshot)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            store,
                            c.status_at.to_rfc3339(),
                            v.page,
                            v.viewport.as_str(),
                            c.vendor,
                            serde_json::to_value(c.status).ok().and_then(|s| s.as_str().map(String::from)),
                            c.status_how,
                            v.screenshot.as_ref().filter(|_| c.status != crate::model::evidence::ChatStatus::Online)
                        ],
                    )
                    .map_err(self.err())?;
            }
        }
        // Only the latest failures' pictures are shown; older ones would only grow the file.
        self.conn
            .execute(
                "UPDATE observations SET screenshot = NULL WHERE store = ?1 AND screenshot IS NOT NULL
                 AND id NOT IN (SELECT id FROM observations WHERE store = ?1 AND screenshot IS NOT NULL
                                ORDER BY id DESC LIMIT ?2)",
                params![store, SCREENSHOTS_KEPT],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    /// Every chat status the browser saw at a store, oldest first.
    pub fn observations(&self, store: &str) -> Result<Vec<Observation>> {
        self.rows(
            "SELECT at, page, viewport, vendor, status, how, screenshot FROM observations
                 WHERE store = ?1 ORDER BY at",
            params![store],
            |r| {
                Ok(Observation {
                    at: time(r, 0)?,
                    page: r.get(1)?,
                    viewport: r.get(2)?,
                    vendor: r.get(3)?,
                    status: r.get(4)?,
                    how: r.get(5)?,
                    screenshot: r.get(6)?,
                })
            },
        )
    }
}

/// One reading of the chat's status, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// When it was read.
    pub at: DateTime<FixedOffset>,
    /// On which page.
    pub page: String,
    /// desktop or mobile.
    pub viewport: String,
    /// The widget's vendor.
    pub vendor: String,
    /// online, offline or unknown.
    pub status: String,
    /// How the status was read.
    pub how: String,
    /// The page as it looked, when the chat was not online.
    pub screenshot: Option<String>,
}

/// Full reports kept per store.
pub const RUNS_KEPT: usize = 3;

/// Screenshots of readings when the chat was not online, kept per store.
pub const SCREENSHOTS_KEPT: usize = 6;

/// A chat conversation as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastConversation {
    /// The scenario's question id.
    pub question: String,
    /// When the question was sent.
    pub asked_at: Option<DateTime<FixedOffset>>,
    /// answered, auto_only, no_reply or offline_form.
    pub outcome: String,
    /// Until the first human reply.
    pub first_human_reply_ms: Option<u64>,
}

/// The columns [`row_to_letter`] reads, in its order.
const LETTER_COLUMNS: &str =
    "id, letter, message_id, to_addr, subject, state, sent_at, server_response, failure, created_at, attempt, retry";

/// An RFC 3339 column; a value that does not parse is a damaged history, said so.
fn time(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(&r.get::<_, String>(column)?)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

fn row_to_letter(r: &rusqlite::Row<'_>) -> rusqlite::Result<Letter> {
    let sent_at = match r.get_ref(6)? {
        rusqlite::types::ValueRef::Null => None,
        _ => Some(time(r, 6)?),
    };
    Ok(Letter {
        id: r.get(0)?,
        letter: r.get(1)?,
        message_id: r.get(2)?,
        to: r.get(3)?,
        subject: r.get(4)?,
        state: r.get(5)?,
        sent_at,
        server_response: r.get(7)?,
        failure: r.get(8)?,
        created_at: time(r, 9)?,
        attempt: r.get(10)?,
        retry: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn letters_move_from_sending_to_sent_or_failed_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let h = History::open(&path).unwrap();
        let new = |letter, mid| NewLetter {
            store: "http://s/",
            letter,
            message_id: mid,
            token: "t",
            from: "a@x",
            to: "b@y",
            subject: "S",
            attempt: 1,
            at: Utc::now().fixed_offset(),
        };
        let a = h.begin_letter(&new("a", "<1@x>")).unwrap();
        let b = h.begin_letter(&new("b", "<2@x>")).unwrap();
        assert_eq!(h.latest("http://s/", "a").unwrap().unwrap().state, "sending");
        h.mark_sent(a, Utc::now().fixed_offset(), "250 2.0.0 delivered").unwrap();
        h.mark_failed(b, "550 5.1.1 no such mailbox", false).unwrap();
        drop(h);
        let h = History::open(&path).unwrap();
        let all = h.letters("http://s/").unwrap();
        assert_eq!(all.iter().map(|l| l.state.as_str()).collect::<Vec<_>>(), ["sent", "failed"]);
        assert_eq!(all[1].failure.as_deref(), Some("550 5.1.1 no such mailbox"));
        assert!(h.begin_letter(&new("a", "<1@x>")).is_err(), "a Message-ID is never recorded twice");
    }

    #[test]
    fn only_the_latest_runs_of_a_store_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(&dir.path().join("h.sqlite")).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00+00:00").unwrap();
        let sample = crate::model::Report {
            schema: crate::model::SCHEMA.into(),
            tool: crate::model::Tool { name: "shopaudit".into(), version: "0".into() },
            store: crate::model::StoreInfo { name: "S".into(), url: "http://s/".into(), timezone: None },
            run: crate::model::RunInfo { id: String::new(), started_at: at, finished_at: at, probes: Vec::new() },
            summary: crate::model::Summary::of(&[]),
            pages: Vec::new(),
            evidence: crate::model::evidence::Evidence::default(),
            findings: Vec::new(),
        };
        for i in 0..5 {
            let mut r = sample.clone();
            r.run.id = format!("run-{i}");
            r.run.started_at += chrono::Duration::hours(i);
            h.record_run(&r, None).unwrap();
        }
        let kept: i64 = h.conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, RUNS_KEPT as i64);
        assert_eq!(h.latest_run(&sample.store.url).unwrap().unwrap().0.run.id, "run-4");
    }
}
