//! `shopaudit report STORE`: the latest report again, with every answer so far.

use shopaudit::history::Location;
use shopaudit::{Error, Scenario};

use super::{Exit, OutputArgs};

/// Render a store's latest report again, with every answer the history holds by now
/// (into the folder that run wrote to, unless --out says otherwise).
#[derive(clap::Args)]
pub struct Args {
    /// The store's start URL, host, or scenario file.
    store: String,
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<Location>,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(mut args: Args) -> Result<Exit, Error> {
    let scenario = Scenario::from_target(&args.store)?;
    let history = super::history(&args.db).await?;
    let (report, dir) = shopaudit::followup::latest_report(&scenario, &history).await?.ok_or_else(|| {
        Error::Usage(format!(
            "the history holds no run of {} (store {}) yet (`shopaudit audit` records one when it sends letters)",
            scenario.store.url, scenario.key
        ))
    })?;
    args.out.out = args.out.out.or(dir);
    super::finish(&report, &args.out, scenario.checks.fail_on)
}
