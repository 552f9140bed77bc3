//! `shopaudit worker --db URL`: one of the fleet's workers.

use std::path::PathBuf;
use std::time::Duration;

use shopaudit::history::Location;
use shopaudit::Error;

use super::Exit;

/// Work for the fleet: take due audits, chat readings and mailbox reads from the shared
/// PostgreSQL queue and do them, until SIGTERM (jobs in hand are finished first).
#[derive(clap::Args)]
pub struct Args {
    /// The fleet's PostgreSQL: postgres://user@host:port/database (password from PGPASSWORD
    /// or PGPASSFILE, never in the URL).
    #[arg(long, value_name = "URL", env = "SHOPAUDIT_DB", hide_env_values = true)]
    db: Location,
    /// Jobs done at once on this machine.
    #[arg(long, default_value_t = 2, env = "SHOPAUDIT_CONCURRENCY")]
    concurrency: usize,
    /// Where the files the submitted scenarios name (password_file, ca_file) are on this
    /// machine (default: the current folder).
    #[arg(long, value_name = "DIR", env = "SHOPAUDIT_SECRETS_DIR")]
    secrets_dir: Option<PathBuf>,
    /// Also write each store's report and the portfolio here (they are kept in the database
    /// either way).
    #[arg(long, value_name = "DIR", env = "SHOPAUDIT_OUT")]
    out: Option<PathBuf>,
    /// How often the due work is planned.
    #[arg(long, default_value = "30s", value_parser = duration)]
    tick: Duration,
    /// How often this worker says it is alive; after three missed beats its jobs go to
    /// another worker.
    #[arg(long, default_value = "10s", value_parser = duration)]
    beat: Duration,
    /// How often each shopper mailbox is read (when nobody watches it).
    #[arg(long, default_value = "5m", value_parser = duration)]
    collect_every: Duration,
    /// Watch the shopper mailboxes (IMAP IDLE) and file replies as they arrive. Each mailbox
    /// is watched by one worker of the fleet at a time; when it stops or dies, another takes
    /// the watch over within three beats.
    #[arg(long, conflicts_with = "drain")]
    watch_mail: bool,
    /// Past reports to keep per store: "all", a number of runs ("20"), or of days ("90d").
    /// A store's latest report always stays.
    #[arg(long, value_name = "RUNS|DAYSd", default_value = "all", env = "SHOPAUDIT_KEEP")]
    keep: shopaudit::history::Keep,
    /// No browser for any store.
    #[arg(long)]
    no_browser: bool,
    /// Do the work due now, wait until the fleet has finished it, then exit (for cron and
    /// tests).
    #[arg(long)]
    drain: bool,
}

fn duration(s: &str) -> Result<Duration, String> {
    shopaudit::scenario::parse_duration(s)
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let Location::Postgres(db) = args.db else {
        return Err(Error::Usage(
            "a worker needs the fleet's PostgreSQL (--db postgres://…); one machine on SQLite uses `shopaudit run`"
                .into(),
        ));
    };
    let secrets_dir = match args.secrets_dir {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| Error::io("cannot read", ".", e))?,
    };
    let settings = shopaudit::fleet::worker::Settings {
        db,
        concurrency: args.concurrency.max(1),
        secrets_dir,
        out: args.out,
        tick: args.tick,
        beat: args.beat,
        collect_every: args.collect_every,
        browser: !args.no_browser,
        drain: args.drain,
        watch_mail: args.watch_mail,
        clock: shopaudit::clock::Clock::system(),
        keep: args.keep,
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Usage(format!("cannot listen for SIGTERM: {e}")))?;
    let stop = async move {
        terminate.recv().await;
        eprintln!("SIGTERM: finishing the jobs in hand");
    };
    let worked = shopaudit::fleet::worker::work(settings, stop).await?;
    eprintln!("worker stopped; it claimed {} job(s) for the fleet", worked.claimed);
    Ok(Exit::Clean)
}
