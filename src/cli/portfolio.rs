//! `shopaudit portfolio --db URL --out DIR`: the fleet's reports and portfolio, rendered from
//! its database on any machine.

use std::path::PathBuf;

use shopaudit::history::Location;
use shopaudit::Error;

use super::Exit;

/// Write the fleet's portfolio and each store's latest report (with every answer filed since)
/// from its database, on any machine.
#[derive(clap::Args)]
pub struct Args {
    /// The fleet's PostgreSQL: postgres://user@host:port/database (password from PGPASSWORD
    /// or PGPASSFILE).
    #[arg(long, value_name = "URL", env = "SHOPAUDIT_DB", hide_env_values = true)]
    db: Location,
    /// Where they go: DIR/portfolio.*, DIR/<store>/report.*.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Say nothing when it worked.
    #[arg(long, short)]
    quiet: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let Location::Postgres(url) = &args.db else {
        return Err(Error::Usage(
            "the fleet's portfolio is in its PostgreSQL (--db postgres://…); on SQLite, `shopaudit run` writes it"
                .into(),
        ));
    };
    let history = super::history(&Some(args.db.clone())).await?;
    let queue = shopaudit::fleet::queue::Queue::connect(url, 2).await?;
    let written = shopaudit::fleet::render(&history, &queue, &args.out, &shopaudit::clock::Clock::system()).await?;
    if !args.quiet {
        println!("{} file(s) written to {}", written.len(), args.out.display());
    }
    Ok(Exit::Clean)
}
