//! The embedded history: one SQLite file (WAL mode, versioned migrations, a 10 s wait on a
//! busy database), the default for owners and small agencies; no server to run.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use backon::BlockingRetryable;
use chrono::{DateTime, FixedOffset};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{
    blobs, Backend, Keep, Letter, MailKind, NewLetter, Observation, PastConversation, RunRow, SendState, Sent,
    StoredReply, Submitted, Unaudited, SCREENSHOTS_KEPT,
};
use crate::error::{Error, Result};
use crate::model::StoreKey;

/// The SQLite history file.
pub struct Sqlite {
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn db_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::history_by(path, "", e)
}

impl Sqlite {
    /// Opens (creating if needed) the history at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::history_by(path, format!("cannot create its folder {}", dir.display()), e))?;
        }
        let mut conn = Connection::open(path).map_err(db_error(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_error(path))?;
        // Switching a new file to WAL takes an exclusive lock, and SQLite answers "locked" at
        // once, without its busy handler, while another opener holds it: try again shortly.
        let wal = || conn.pragma_update(None, "journal_mode", "WAL");
        wal.retry(
            backon::ConstantBuilder::default().with_delay(std::time::Duration::from_millis(20)).with_max_times(500),
        )
        .when(|e| e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy))
        .call()
        .map_err(db_error(path))?;
        // The schema's version is read and brought up to date under the write lock: two
        // processes opening a new history at once must not both create its tables.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_error(path))?;
        let version: usize =
            tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).map_err(db_error(path))? as usize;
        if version > super::MIGRATIONS.len() {
            return Err(Error::history(
                path,
                format!("written by a newer shopaudit (schema {version}); upgrade shopaudit"),
            ));
        }
        for sql in super::MIGRATIONS.iter().skip(version) {
            tx.execute_batch(sql).map_err(db_error(path))?;
        }
        // Written even when unchanged: a history that cannot be written (a read-only file or
        // folder) is found here, before any work, not after a whole run.
        tx.pragma_update(None, "user_version", super::MIGRATIONS.len()).map_err(db_error(path))?;
        tx.commit().map_err(db_error(path))?;
        Ok(Sqlite { conn: Mutex::new(conn), path: path.to_path_buf() })
    }

    /// The connection; a panic elsewhere while it was held leaves it usable (each statement
    /// is whole or not at all).
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err<E: Into<crate::error::Cause>>(&self) -> impl Fn(E) -> Error + '_ {
        |e| Error::history_by(&self.path, "", e)
    }

    /// Every row of `sql`, read by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).map_err(self.err())?;
        let rows = stmt.query_map(params, row).map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }
}

impl Sqlite {
    /// The store's run `back` runs before the latest (0: the latest), and its folder.
    fn run_back(&self, store: &StoreKey, back: usize) -> Result<Option<(crate::model::Report, Option<PathBuf>)>> {
        let row: Option<(String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT report, out_dir FROM runs WHERE store = ?1 ORDER BY started_at DESC LIMIT 1 OFFSET ?2",
                params![store.as_str(), back],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err())?;
        let Some((json, dir)) = row else { return Ok(None) };
        let report = self.report(store, &json)?;
        Ok(Some((report, dir.map(PathBuf::from))))
    }

    /// A stored report read back, its pictures put back from `blobs`.
    fn report(&self, store: &StoreKey, json: &str) -> Result<crate::model::Report> {
        let mut found = Vec::new();
        for hash in blobs::named(json) {
            let data: Option<String> = self
                .conn()
                .query_row("SELECT data FROM blobs WHERE hash = ?1", params![hash], |r| r.get(0))
                .optional()
                .map_err(self.err())?;
            found.extend(data.map(|data| blobs::Blob { hash, data }));
        }
        let mut report = blobs::put_back(json, &found)
            .map_err(|e| Error::history_by(&self.path, format!("the stored report of {store} does not read"), e))?;
        // A report stored before stores had keys belongs to the store that adopted it.
        if report.store.key.is_empty() {
            report.store.key = store.clone();
        }
        Ok(report)
    }
}

#[async_trait::async_trait]
impl Backend for Sqlite {
    async fn begin_letter(&self, l: &NewLetter<'_>) -> Result<Option<i64>> {
        // One guard for the insert and its row id: another task's insert must not come between.
        let conn = self.conn();
        let added = conn
            .execute(
                "INSERT INTO letters (store, letter, message_id, token, from_addr, to_addr, subject, state, created_at,
                     attempt, slot, body, via)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'sending', ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (store, letter, slot) WHERE slot IS NOT NULL DO NOTHING",
                params![
                    l.store.as_str(),
                    l.letter,
                    l.message_id,
                    l.token,
                    l.from,
                    l.to,
                    l.subject,
                    l.at.to_rfc3339(),
                    l.attempt,
                    l.slot,
                    l.body,
                    l.via.as_str()
                ],
            )
            .map_err(self.err())?;
        Ok((added > 0).then(|| conn.last_insert_rowid()))
    }

    async fn mark_sent(&self, id: i64, at: DateTime<FixedOffset>, response: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE letters SET state = 'sent', sent_at = ?2, server_response = ?3 WHERE id = ?1",
                params![id, at.to_rfc3339(), response],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    async fn confirm_from_copy(&self, id: i64, at: DateTime<FixedOffset>, mailbox: &str) -> Result<()> {
        self.conn()
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

    async fn note_unconfirmed(&self, id: i64, what: &str) -> Result<()> {
        self.conn()
            .execute("UPDATE letters SET failure = ?2 WHERE id = ?1", params![id, what])
            .map(|_| ())
            .map_err(self.err())
    }

    async fn mark_failed(&self, id: i64, reason: &str, retry: bool) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE letters SET state = 'failed', failure = ?2, retry = ?3 WHERE id = ?1",
                params![id, reason, retry],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    async fn latest(&self, store: &StoreKey, letter: &str, to: Option<&str>) -> Result<Option<Letter>> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {LETTER_COLUMNS} FROM letters WHERE store = ?1 AND letter = ?2 AND (?3 IS NULL OR to_addr = ?3)
                     ORDER BY id DESC LIMIT 1"
                ),
                params![store.as_str(), letter, to],
                row_to_letter,
            )
            .optional()
            .map_err(self.err())
    }

    async fn letters(&self, store: &StoreKey) -> Result<Vec<Letter>> {
        self.rows(
            &format!("SELECT {LETTER_COLUMNS} FROM letters WHERE store = ?1 ORDER BY id"),
            params![store.as_str()],
            row_to_letter,
        )
    }

    async fn sent_letters(&self) -> Result<Vec<Sent>> {
        self.rows(
            "SELECT id, message_id, token, to_addr, subject, state, store, via,
                 EXISTS (SELECT 1 FROM replies WHERE letter_id = letters.id AND kind = 'human')
             FROM letters WHERE state = 'sent' OR state = 'sending' OR retry = 1 ORDER BY id",
            [],
            |r| {
                Ok(Sent {
                    id: r.get(0)?,
                    message_id: r.get(1)?,
                    token: r.get(2)?,
                    to: r.get(3)?,
                    subject: r.get(4)?,
                    confirmed: named::<SendState>(r, 5)? == SendState::Sent,
                    store: StoreKey::new(r.get::<_, String>(6)?),
                    via: named(r, 7)?,
                    answered: r.get(8)?,
                })
            },
        )
    }

    async fn add_reply(&self, letter_id: i64, r: &StoredReply) -> Result<bool> {
        let added = self
            .conn()
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
                    r.kind.as_str(),
                    r.why_auto,
                    r.ticket,
                    r.signed_by,
                    r.matched_by.as_str(),
                    r.text
                ],
            )
            .map_err(self.err())?;
        if added > 0 && r.kind == MailKind::Bounce {
            self.mark_failed(letter_id, &format!("bounced: {}", r.text), false).await?;
        }
        Ok(added > 0)
    }

    async fn replies(&self, letter_id: i64) -> Result<Vec<StoredReply>> {
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
                    kind: named(r, 5)?,
                    why_auto: r.get(6)?,
                    ticket: r.get(7)?,
                    signed_by: r.get(8)?,
                    matched_by: named(r, 9)?,
                    text: r.get(10)?,
                })
            },
        )
    }

    async fn cursor(&self, mailbox: &str, uid_validity: u32) -> Result<u32> {
        let row: Option<(u32, u32)> = self
            .conn()
            .query_row("SELECT uid_validity, last_uid FROM mailboxes WHERE key = ?1", params![mailbox], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(self.err())?;
        Ok(row.filter(|(v, _)| *v == uid_validity).map_or(0, |(_, last)| last))
    }

    async fn set_cursor(&self, mailbox: &str, uid_validity: u32, last_uid: u32) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO mailboxes (key, uid_validity, last_uid) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET uid_validity = ?2, last_uid = ?3",
                params![mailbox, uid_validity, last_uid],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    async fn adopt(&self, key: &StoreKey, url: &str) -> Result<()> {
        if key.as_str() == url {
            return Ok(());
        }
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        for table in ["letters", "runs", "conversations", "observations"] {
            tx.execute(&format!("UPDATE {table} SET store = ?1 WHERE store = ?2"), params![key.as_str(), url])
                .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    async fn record_run(&self, report: &crate::model::Report, out_dir: Option<&Path>) -> Result<()> {
        let (json, pictures) = blobs::take_out(report).map_err(self.err())?;
        let failing = report.failing().join(" ");
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        for b in &pictures {
            tx.execute(
                "INSERT INTO blobs (hash, data) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![b.hash, b.data],
            )
            .map_err(self.err())?;
        }
        // The pictures the report being replaced named, if any: the only ones that may be orphaned.
        let before: Vec<String> = {
            let mut stmt = tx.prepare("SELECT hash FROM run_blobs WHERE run = ?1").map_err(self.err())?;
            let rows = stmt.query_map(params![report.run.id], |r| r.get(0)).map_err(self.err())?;
            rows.collect::<std::result::Result<_, _>>().map_err(self.err())?
        };
        tx.execute("DELETE FROM run_blobs WHERE run = ?1", params![report.run.id]).map_err(self.err())?;
        for b in &pictures {
            tx.execute("INSERT INTO run_blobs (run, hash) VALUES (?1, ?2)", params![report.run.id, b.hash])
                .map_err(self.err())?;
        }
        tx.execute(
            "INSERT INTO runs (id, store, name, started_at, out_dir, report, score, failing)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET report = ?6, out_dir = coalesce(?5, out_dir), score = ?7, failing = ?8",
            params![
                report.run.id,
                report.store.history_key().as_str(),
                report.store.name,
                report.run.started_at.to_rfc3339(),
                out_dir.map(|d| d.display().to_string()),
                json,
                report.summary.score,
                failing
            ],
        )
        .map_err(self.err())?;
        // Pictures only the replaced report named go with it.
        for hash in &before {
            tx.execute(
                "DELETE FROM blobs WHERE hash = ?1 AND NOT EXISTS (SELECT 1 FROM run_blobs WHERE hash = ?1)",
                params![hash],
            )
            .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    async fn runs(&self, store: Option<&StoreKey>) -> Result<Vec<RunRow>> {
        let rows = self.rows(
            "SELECT id, store, name, started_at, score, failing, out_dir,
                    CASE WHEN failing IS NULL THEN report END FROM runs
                 WHERE ?1 IS NULL OR store = ?1 ORDER BY started_at, id",
            params![store.map(StoreKey::as_str)],
            |r| {
                let failing: Option<String> = r.get(5)?;
                let older: Option<String> = r.get(7)?;
                let row = RunRow {
                    id: r.get(0)?,
                    store: StoreKey::new(r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    started_at: time(r, 3)?,
                    score: r.get(4)?,
                    failing: failing.unwrap_or_default().split_whitespace().map(str::to_string).collect(),
                    out_dir: r.get::<_, Option<String>>(6)?.map(PathBuf::from),
                };
                Ok((row, older))
            },
        )?;
        rows.into_iter()
            .map(|(row, older)| match older {
                // Kept by a shopaudit before scores were columns: read from the report.
                Some(json) => Ok(RunRow::of_older(row, &self.report(&StoreKey::new(""), &json)?)),
                None => Ok(row),
            })
            .collect()
    }

    async fn run(&self, store: &StoreKey, id: &str) -> Result<Option<crate::model::Report>> {
        let json: Option<String> = self
            .conn()
            .query_row("SELECT report FROM runs WHERE store = ?1 AND id = ?2", params![store.as_str(), id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())?;
        json.map(|json| self.report(store, &json)).transpose()
    }

    async fn record_unaudited(&self, failed: &Unaudited) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO unaudited (store, at, error) VALUES (?1, ?2, ?3)",
                params![failed.store.as_str(), failed.at.to_rfc3339(), failed.error],
            )
            .map(drop)
            .map_err(self.err())
    }

    async fn unaudited(&self, store: Option<&StoreKey>) -> Result<Vec<Unaudited>> {
        self.rows(
            "SELECT store, at, error FROM unaudited WHERE ?1 IS NULL OR store = ?1 ORDER BY at, id",
            params![store.map(StoreKey::as_str)],
            |r| Ok(Unaudited { store: StoreKey::new(r.get::<_, String>(0)?), at: time(r, 1)?, error: r.get(2)? }),
        )
    }

    async fn prune(&self, keep: Keep, store: Option<&StoreKey>, now: DateTime<FixedOffset>) -> Result<Vec<RunRow>> {
        let dropped = keep.dropped(self.runs(store).await?, now);
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        for run in &dropped {
            tx.execute("DELETE FROM runs WHERE id = ?1", params![run.id]).map_err(self.err())?;
            tx.execute("DELETE FROM run_blobs WHERE run = ?1", params![run.id]).map_err(self.err())?;
        }
        tx.execute("DELETE FROM blobs WHERE hash NOT IN (SELECT hash FROM run_blobs)", []).map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        Ok(dropped)
    }

    async fn share(&self, store: &StoreKey, hash: &str, at: DateTime<FixedOffset>) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO shares (hash, store, created_at) VALUES (?1, ?2, ?3)",
                params![hash, store.as_str(), at.to_rfc3339()],
            )
            .map(drop)
            .map_err(self.err())
    }

    async fn revoke(&self, store: &StoreKey, at: DateTime<FixedOffset>) -> Result<usize> {
        self.conn()
            .execute(
                "UPDATE shares SET revoked_at = ?2 WHERE store = ?1 AND revoked_at IS NULL",
                params![store.as_str(), at.to_rfc3339()],
            )
            .map_err(self.err())
    }

    async fn add_unfiled(&self, store: &StoreKey, source: &str, mail: &crate::model::evidence::Unfiled) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO unfiled (store, source, received_at, from_addr, subject, waiting)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (source) DO NOTHING",
                params![
                    store.as_str(),
                    source,
                    mail.received_at.to_rfc3339(),
                    mail.from,
                    mail.subject,
                    i64::try_from(mail.waiting).unwrap_or(i64::MAX)
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    async fn unfiled(&self, store: &StoreKey) -> Result<Vec<crate::model::evidence::Unfiled>> {
        self.rows(
            "SELECT received_at, from_addr, subject, waiting FROM unfiled WHERE store = ?1 ORDER BY id",
            params![store.as_str()],
            |r| {
                Ok(crate::model::evidence::Unfiled {
                    received_at: time(r, 0)?,
                    from: r.get(1)?,
                    subject: r.get(2)?,
                    waiting: usize::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                })
            },
        )
    }

    async fn save_vocabulary(&self, store: &StoreKey, words: &str) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO vocabulary (store, words) VALUES (?1, ?2)
                 ON CONFLICT (store) DO UPDATE SET words = excluded.words",
                params![store.as_str(), words],
            )
            .map(drop)
            .map_err(self.err())
    }

    async fn vocabulary(&self, store: &StoreKey) -> Result<String> {
        self.conn()
            .query_row("SELECT words FROM vocabulary WHERE store = ?1", params![store.as_str()], |r| r.get(0))
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(self.err())
    }

    async fn claim_alert(&self, store: &StoreKey, event: &str, at: DateTime<FixedOffset>) -> Result<bool> {
        self.conn()
            .execute(
                "INSERT INTO alerts (store, event, raised_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![store.as_str(), event, at.to_rfc3339()],
            )
            .map(|n| n == 1)
            .map_err(self.err())
    }

    async fn release_alert(&self, store: &StoreKey, event: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM alerts WHERE store = ?1 AND event = ?2", params![store.as_str(), event])
            .map(drop)
            .map_err(self.err())
    }

    async fn shared(&self, hash: &str) -> Result<Option<StoreKey>> {
        self.conn()
            .query_row("SELECT store FROM shares WHERE hash = ?1 AND revoked_at IS NULL", params![hash], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map(|s| s.map(StoreKey::new))
            .map_err(self.err())
    }

    async fn latest_run(&self, store: &StoreKey) -> Result<Option<(crate::model::Report, Option<PathBuf>)>> {
        self.run_back(store, 0)
    }

    async fn previous_run(&self, store: &StoreKey) -> Result<Option<crate::model::Report>> {
        Ok(self.run_back(store, 1)?.map(|(report, _)| report))
    }

    async fn record_conversations(
        &self,
        store: &StoreKey,
        talks: &[crate::model::evidence::Conversation],
    ) -> Result<()> {
        for t in talks {
            self.conn()
                .execute(
                    "INSERT INTO conversations (store, question, page, asked_at, outcome, first_reply_ms,
                         first_human_reply_ms, operator_name, missing, error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        store.as_str(),
                        t.question_id,
                        t.page,
                        t.question_sent_at.map(|at| at.to_rfc3339()),
                        t.outcome.as_str(),
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

    async fn conversations(&self, store: &StoreKey) -> Result<Vec<PastConversation>> {
        self.rows(
            "SELECT question, asked_at, outcome, first_human_reply_ms FROM conversations
                 WHERE store = ?1 ORDER BY id",
            params![store.as_str()],
            |r| {
                let asked_at = match r.get_ref(1)? {
                    rusqlite::types::ValueRef::Null => None,
                    _ => Some(time(r, 1)?),
                };
                Ok(PastConversation {
                    question: r.get(0)?,
                    asked_at,
                    outcome: named(r, 2)?,
                    first_human_reply_ms: r.get(3)?,
                })
            },
        )
    }

    async fn record_observations(
        &self,
        store: &StoreKey,
        browser: &crate::model::evidence::BrowserEvidence,
    ) -> Result<()> {
        for v in &browser.visits {
            for c in &v.chats {
                self.conn()
                    .execute(
                        "INSERT INTO observations (store, at, page, viewport, vendor, status, how, screenshot)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            store.as_str(),
                            c.status_at.to_rfc3339(),
                            v.page,
                            v.viewport.as_str(),
                            c.vendor,
                            c.status.as_str(),
                            c.status_how,
                            v.screenshot.as_ref().filter(|_| c.status != crate::model::evidence::ChatStatus::Online)
                        ],
                    )
                    .map_err(self.err())?;
            }
        }
        // Only the latest failures' pictures are shown; older ones would only grow the file.
        self.conn()
            .execute(
                "UPDATE observations SET screenshot = NULL WHERE store = ?1 AND screenshot IS NOT NULL
                 AND id NOT IN (SELECT id FROM observations WHERE store = ?1 AND screenshot IS NOT NULL
                                ORDER BY id DESC LIMIT ?2)",
                params![store.as_str(), SCREENSHOTS_KEPT],
            )
            .map(|_| ())
            .map_err(self.err())
    }

    async fn submit(&self, scenarios: &[Submitted], portfolio: Option<&str>, at: DateTime<FixedOffset>) -> Result<()> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(self.err())?;
        tx.execute("UPDATE scenarios SET active = 0", []).map_err(self.err())?;
        for s in scenarios {
            tx.execute(
                "INSERT INTO scenarios (store, file, text, submitted_at, active) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT (store) DO UPDATE SET file = ?2, text = ?3, submitted_at = ?4, active = 1",
                params![s.store.as_str(), s.file, s.text, at.to_rfc3339()],
            )
            .map_err(self.err())?;
        }
        tx.execute("DELETE FROM portfolio", []).map_err(self.err())?;
        if let Some(text) = portfolio {
            tx.execute(
                "INSERT INTO portfolio (one, text, submitted_at) VALUES (1, ?1, ?2)",
                params![text, at.to_rfc3339()],
            )
            .map_err(self.err())?;
        }
        tx.commit().map_err(self.err())
    }

    async fn submitted(&self) -> Result<(Vec<Submitted>, Option<String>)> {
        let scenarios = self.rows(
            "SELECT store, file, text, submitted_at FROM scenarios WHERE active = 1 ORDER BY store",
            [],
            |r| {
                Ok(Submitted {
                    store: StoreKey::new(r.get::<_, String>(0)?),
                    file: r.get(1)?,
                    text: r.get(2)?,
                    at: time(r, 3)?,
                })
            },
        )?;
        let portfolio =
            self.conn().query_row("SELECT text FROM portfolio", [], |r| r.get(0)).optional().map_err(self.err())?;
        Ok((scenarios, portfolio))
    }

    async fn observations(&self, store: &StoreKey) -> Result<Vec<Observation>> {
        self.rows(
            "SELECT at, page, viewport, vendor, status, how, screenshot FROM observations
                 WHERE store = ?1 ORDER BY at",
            params![store.as_str()],
            |r| {
                Ok(Observation {
                    at: time(r, 0)?,
                    page: r.get(1)?,
                    viewport: named(r, 2)?,
                    vendor: r.get(3)?,
                    status: named(r, 4)?,
                    how: r.get(5)?,
                    screenshot: r.get(6)?,
                })
            },
        )
    }
}

/// The columns [`row_to_letter`] reads, in its order.
const LETTER_COLUMNS: &str =
    "id, letter, message_id, to_addr, subject, state, sent_at, server_response, failure, created_at, attempt, retry, body, via";

/// An RFC 3339 column; a value that does not parse is a damaged history, said so.
fn time(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(&r.get::<_, String>(column)?)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

/// A column holding one of the names of a `named_enum!`; another value is a damaged history.
fn named<T: std::str::FromStr<Err = String>>(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<T> {
    r.get::<_, String>(column)?
        .parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into()))
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
        state: named(r, 5)?,
        sent_at,
        server_response: r.get(7)?,
        failure: r.get(8)?,
        created_at: time(r, 9)?,
        attempt: r.get(10)?,
        retry: r.get(11)?,
        body: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        via: named(r, 13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// A letter of `store` with the given id, Message-ID and slot, recorded now.
    fn new<'a>(store: &'a StoreKey, letter: &'a str, message_id: &'a str, slot: Option<&'a str>) -> NewLetter<'a> {
        NewLetter {
            store,
            letter,
            message_id,
            token: "t",
            from: "a@x",
            to: "b@y",
            subject: "S",
            body: "B",
            via: crate::history::Written::Email,
            attempt: 1,
            at: Utc::now().fixed_offset(),
            slot,
        }
    }

    #[tokio::test]
    async fn letters_move_from_sending_to_sent_or_failed_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite");
        let h = Sqlite::open(&path).unwrap();
        let store = StoreKey::new("s");
        let a = h.begin_letter(&new(&store, "a", "<1@x>", None)).await.unwrap().unwrap();
        let b = h.begin_letter(&new(&store, "b", "<2@x>", None)).await.unwrap().unwrap();
        assert_eq!(h.latest(&store, "a", None).await.unwrap().unwrap().state, SendState::Sending);
        h.mark_sent(a, Utc::now().fixed_offset(), "250 2.0.0 delivered").await.unwrap();
        h.mark_failed(b, "550 5.1.1 no such mailbox", false).await.unwrap();
        drop(h);
        let h = Sqlite::open(&path).unwrap();
        let all = h.letters(&store).await.unwrap();
        assert_eq!(all.iter().map(|l| l.state).collect::<Vec<_>>(), [SendState::Sent, SendState::Failed]);
        assert_eq!(all[1].failure.as_deref(), Some("550 5.1.1 no such mailbox"));
        assert!(
            h.begin_letter(&new(&store, "a", "<1@x>", None)).await.is_err(),
            "a Message-ID is never recorded twice"
        );
    }

    #[tokio::test]
    async fn a_letters_slot_is_claimed_once_whoever_asks() {
        let dir = tempfile::tempdir().unwrap();
        let (one, two) =
            (Sqlite::open(&dir.path().join("h.sqlite")).unwrap(), Sqlite::open(&dir.path().join("h.sqlite")).unwrap());
        let store = StoreKey::new("s");
        let new = |mid, slot| new(&store, "q", mid, slot);
        assert!(one.begin_letter(&new("<1@x>", Some("2026-12-02T10:17:00+00:00"))).await.unwrap().is_some());
        assert_eq!(two.begin_letter(&new("<2@x>", Some("2026-12-02T10:17:00+00:00"))).await.unwrap(), None);
        assert!(two.begin_letter(&new("<3@x>", Some("2026-12-03T08:05:00+00:00"))).await.unwrap().is_some());
        assert!(two.begin_letter(&new("<4@x>", None)).await.unwrap().is_some(), "no slot, no claim");
        assert_eq!(one.letters(&store).await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn every_run_is_kept_with_its_pictures_once_until_a_retention_drops_it() {
        let dir = tempfile::tempdir().unwrap();
        let h = Sqlite::open(&dir.path().join("h.sqlite")).unwrap();
        let mut sample = crate::model::Report::empty("s");
        let picture = format!("data:image/jpeg;base64,{}", "B".repeat(4000));
        sample.evidence.compliance = Some(crate::model::evidence::Compliance {
            chat_failure_shots: vec![crate::model::evidence::Screenshot { moment: "offline".into(), image: picture }],
            ..Default::default()
        });
        for i in 0..5 {
            let mut r = sample.clone();
            r.run.id = format!("run-{i}");
            r.run.started_at += chrono::Duration::days(i);
            h.record_run(&r, None).await.unwrap();
        }
        let count = |table: &str| -> i64 {
            h.conn().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
        };
        assert_eq!((count("runs"), count("blobs")), (5, 1), "every run, one picture");
        assert_eq!(h.run(&sample.store.key, "run-1").await.unwrap().unwrap().evidence, sample.evidence);
        let rows = h.runs(Some(&sample.store.key)).await.unwrap();
        assert_eq!(
            rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["run-0", "run-1", "run-2", "run-3", "run-4"]
        );
        let now = sample.run.started_at + chrono::Duration::days(4);
        let ids = |rows: Vec<RunRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(h.prune(Keep::Days(2), None, now).await.unwrap()), ["run-1", "run-0"]);
        assert_eq!(ids(h.prune(Keep::Runs(1), Some(&sample.store.key), now).await.unwrap()), ["run-3", "run-2"]);
        let later = now + chrono::Duration::days(400);
        assert!(h.prune(Keep::Days(1), None, later).await.unwrap().is_empty(), "the latest stays");
        assert_eq!((count("runs"), count("blobs")), (1, 1));
        assert_eq!(h.latest_run(&sample.store.key).await.unwrap().unwrap().0.run.id, "run-4");
        let mut plain = sample.clone();
        plain.run.id = "run-4".into();
        plain.run.started_at = now;
        plain.evidence.compliance = None;
        h.record_run(&plain, None).await.unwrap();
        assert_eq!(count("blobs"), 0, "a picture no kept report names goes");
    }

    #[tokio::test]
    async fn two_stores_on_one_site_keep_apart_and_the_first_adopts_the_old_rows() {
        let dir = tempfile::tempdir().unwrap();
        let h = Sqlite::open(&dir.path().join("h.sqlite")).unwrap();
        let url = "http://shop.example/";
        let (legacy, anna, boris) = (StoreKey::new(url), StoreKey::new("anna"), StoreKey::new("boris"));
        let letter = |store, mid| new(store, "q", mid, None);
        // Written by an older shopaudit, keyed by the start URL.
        h.begin_letter(&letter(&legacy, "<old@x>")).await.unwrap();
        h.adopt(&anna, url).await.unwrap();
        h.adopt(&boris, url).await.unwrap();
        h.begin_letter(&letter(&boris, "<new@x>")).await.unwrap();
        let ids = |letters: Vec<Letter>| letters.into_iter().map(|l| l.message_id).collect::<Vec<_>>();
        assert_eq!(ids(h.letters(&anna).await.unwrap()), ["<old@x>"]);
        assert_eq!(ids(h.letters(&boris).await.unwrap()), ["<new@x>"]);
        assert!(h.letters(&legacy).await.unwrap().is_empty());
    }

    /// Regression (reliability #11): two processes opening a new history at once; one failed
    /// with "table letters already exists" in 6 of 10 tries.
    #[test]
    fn many_openers_of_a_new_history_at_once_all_succeed() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("new.sqlite");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let openers: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Sqlite::open(&path).map(drop).map_err(|e| e.to_string())
                    })
                })
                .collect();
            for opener in openers {
                assert_eq!(opener.join().unwrap(), Ok(()));
            }
        }
    }
}
