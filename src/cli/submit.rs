//! `shopaudit submit DIR --db URL`: a folder of scenarios handed to the fleet.

use shopaudit::history::Location;
use shopaudit::Error;

use super::Exit;

/// Hand a folder of scenarios (and its portfolio.toml) to the fleet's shared history: validated
/// as `run` validates them, each store's previous version replaced; a store left out stops
/// being scheduled, and its history stays.
#[derive(clap::Args)]
pub struct Args {
    /// A folder of scenario files (*.toml), with an optional portfolio.toml.
    dir: std::path::PathBuf,
    /// The shared history: postgres://user@host:port/database (password from PGPASSWORD or
    /// PGPASSFILE), or a SQLite file.
    #[arg(long, value_name = "URL|PATH")]
    db: Location,
    /// Say nothing when it worked.
    #[arg(long, short)]
    quiet: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let history = super::history(&Some(args.db.clone())).await?;
    let done = shopaudit::fleet::submit(&args.dir, &history, &shopaudit::clock::Clock::system()).await?;
    if !args.quiet {
        let keys = |k: &[shopaudit::model::StoreKey]| k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        println!("submitted {} store(s) to {}: {}", done.stores.len(), args.db, keys(&done.stores));
        if !done.removed.is_empty() {
            println!("no longer scheduled (their history stays): {}", keys(&done.removed));
        }
    }
    Ok(Exit::Clean)
}
