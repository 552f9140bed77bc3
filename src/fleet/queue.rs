//! The fleet's work queue: apalis on the shared PostgreSQL (its own `apalis` schema), with our
//! claims beside it. A due item is claimed by inserting its row into `claims`, unique by
//! (store, kind, slot), in the same transaction that queues its job: ten workers planning the
//! same slot queue it once. apalis then leases each job to one worker by heartbeat; a worker
//! that stops beating (killed, cut off) loses its jobs to the next worker that beats.

use std::collections::BTreeMap;
use std::time::Duration;

use apalis_postgres::{Config, PgPool, PostgresStorage};
use chrono::{DateTime, FixedOffset};

use super::{Job, Kind};
use crate::error::{Error, Result};
use crate::model::StoreKey;

/// The queue's name among apalis's queues in the database.
const QUEUE: &str = "shopaudit";

/// The shared queue.
#[derive(Clone)]
pub struct Queue {
    pool: PgPool,
    /// The URL without its password, for messages.
    shown: String,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("url", &self.shown).finish()
    }
}

/// How a claimed job ended, as the portfolio reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Why the work could not be done, if it could not (a store that cannot be audited).
    pub error: Option<String>,
}

impl Queue {
    /// Connects to the history's database (`url` as `--db` takes it, the password from
    /// `PGPASSWORD` or the `PGPASSFILE`) with room for `connections`, and brings apalis's own
    /// tables up to date. The history's schema (with `claims`) is brought up by
    /// [`crate::history::History::connect`] first.
    pub async fn connect(url: &str, connections: u32) -> Result<Self> {
        let shown = crate::history::redact(url);
        let fail = |what: &str, e: crate::error::Cause| Error::history_by(&shown, what, e);
        let mut options: apalis_postgres::PgConnectOptions =
            url.parse().map_err(|e: sqlx::Error| fail("not a PostgreSQL URL", e.into()))?;
        if let Some(password) = crate::history::postgres_password(url) {
            options = options.password(&String::from_utf8_lossy(&password));
        }
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.application_name("shopaudit worker"))
            .await
            .map_err(|e| fail("cannot connect", e.into()))?;
        PostgresStorage::<()>::setup(&pool).await.map_err(|e| fail("cannot set up the job queue", e.into()))?;
        Ok(Queue { pool, shown })
    }

    /// The job engine's storage for a worker whose heartbeat comes every `beat`, fetching at
    /// most `batch` jobs at a time; its jobs are taken over after three beats missed.
    pub fn storage(&self, beat: Duration, batch: usize) -> PostgresStorage<Job> {
        let config =
            Config::default().queue(QUEUE).batch_size(batch.max(1)).heartbeat_interval(beat).missed_heartbeats(3);
        PostgresStorage::new(&self.pool).with_config(config)
    }

    /// Claims each of `jobs` that nobody has claimed yet and queues it, each in one
    /// transaction; returns the ones this call claimed.
    pub async fn claim(&self, jobs: &[Job], at: DateTime<FixedOffset>) -> Result<Vec<Job>> {
        let mut claimed = Vec::new();
        for job in jobs {
            let mut tx = self.pool.begin().await.map_err(|e| self.err(e))?;
            let inserted = sqlx::query(
                "INSERT INTO claims (store, kind, slot, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&job.key)
            .bind(job.kind.as_str())
            .bind(&job.slot)
            .bind(at.to_rfc3339())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?
            .rows_affected();
            if inserted == 0 {
                continue; // another worker's, or done already
            }
            let args = serde_json::to_vec(job).map_err(|e| self.err(e))?;
            // A job whose worker died is taken over (its attempts counted up). A store that
            // cannot be audited is that slot's outcome, not a failed job; a job fails only
            // when the worker itself could not do it (the database away), and is tried again.
            let task = apalis::prelude::TaskBuilder::new(args).max_attempts(3).build();
            apalis_postgres::queries::push_tasks(&mut *tx, QUEUE, vec![task]).await.map_err(|e| self.err(e))?;
            tx.commit().await.map_err(|e| self.err(e))?;
            claimed.push(job.clone());
        }
        Ok(claimed)
    }

    /// Records how a claimed job ended.
    pub async fn end(&self, job: &Job, ended: &Ended) -> Result<()> {
        sqlx::query("UPDATE claims SET done_at = $4, error = $5 WHERE store = $1 AND kind = $2 AND slot = $3")
            .bind(&job.key)
            .bind(job.kind.as_str())
            .bind(&job.slot)
            .bind(ended.at.to_rfc3339())
            .bind(ended.error.as_deref())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))
            .map(drop)
    }

    /// Whether a claimed job has been done already.
    pub async fn is_done(&self, job: &Job) -> Result<bool> {
        sqlx::query_scalar("SELECT done_at IS NOT NULL FROM claims WHERE store = $1 AND kind = $2 AND slot = $3")
            .bind(&job.key)
            .bind(job.kind.as_str())
            .bind(&job.slot)
            .fetch_optional(&self.pool)
            .await
            .map(|done: Option<bool>| done.unwrap_or(false))
            .map_err(|e| self.err(e))
    }

    /// Each store's latest finished audit: when, and why it failed if it did.
    pub async fn audits_ended(&self) -> Result<BTreeMap<StoreKey, Ended>> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT DISTINCT ON (store) store, done_at, error FROM claims
             WHERE kind = $1 AND done_at IS NOT NULL ORDER BY store, done_at DESC",
        )
        .bind(Kind::Audit.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|(store, at, error)| {
                let at = DateTime::parse_from_rfc3339(&at).map_err(|e| self.err(e))?;
                Ok((StoreKey::new(store), Ended { at, error }))
            })
            .collect()
    }

    /// Says that `worker` is alive, so that it keeps its jobs' leases. The job engine beats
    /// too, but only between jobs; this beat comes from a task of its own, so that a long
    /// audit keeps its lease for as long as its process lives, and loses it when it dies.
    pub async fn keep_alive(&self, worker: &apalis::prelude::WorkerContext) -> Result<()> {
        let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
        apalis_postgres::queries::keep_alive(&mut *conn, QUEUE, worker).await.map_err(|e| self.err(e))
    }

    /// Takes the watch on `mailbox` for `holder`, or keeps it, for `lease` from now by the
    /// database's clock; `false` when another holder's lease is still running.
    pub async fn hold_watch(&self, mailbox: &str, holder: &str, lease: Duration) -> Result<bool> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let taken = sqlx::query(
            "INSERT INTO watches (mailbox, holder, until_ms)
             VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + $3)
             ON CONFLICT (mailbox) DO UPDATE SET holder = EXCLUDED.holder, until_ms = EXCLUDED.until_ms
             WHERE watches.holder = EXCLUDED.holder
                OR watches.until_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
        )
        .bind(mailbox)
        .bind(holder)
        .bind(lease_ms)
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Gives up `holder`'s watch on `mailbox` (a worker stopping), so that another takes it
    /// at once rather than when the lease runs out.
    pub async fn release_watch(&self, mailbox: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM watches WHERE mailbox = $1 AND holder = $2")
            .bind(mailbox)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The mailboxes some worker watches now (its lease running): they need no collection
    /// jobs.
    pub async fn watched(&self) -> Result<std::collections::BTreeSet<String>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT mailbox FROM watches WHERE until_ms >= (extract(epoch FROM clock_timestamp()) * 1000)::bigint",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().collect())
    }

    /// How many claimed jobs are not finished: queued, running, or held by a dead worker.
    pub async fn open(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT count(*) FROM claims WHERE done_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))
    }

    fn err(&self, e: impl Into<crate::error::Cause>) -> Error {
        Error::history_by(&self.shown, "", e)
    }
}
