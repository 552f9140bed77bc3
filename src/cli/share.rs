//! `shopaudit share STORE`: a client's read-only link to one store's page.

use std::path::Path;

use shopaudit::history::Location;
use shopaudit::model::StoreKey;
use shopaudit::{Error, Scenario};

use super::Exit;

/// Print a client's read-only link to one store's page in `shopaudit serve` (that store and
/// nothing else; the shopper's identity never shown). `--revoke` ends every link to it.
#[derive(clap::Args)]
pub struct Args {
    /// The store: its key (`store.id`, else the scenario file's name) or its scenario file.
    store: String,
    /// The history `serve` reads: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL", env = "SHOPAUDIT_DB", hide_env_values = true)]
    db: Option<Location>,
    /// Where clients reach `serve`, as the link should start.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    base_url: String,
    /// End every link to this store instead.
    #[arg(long)]
    revoke: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let key = if args.store.ends_with(".toml") || Path::new(&args.store).is_file() {
        Scenario::from_file(Path::new(&args.store))?.key
    } else {
        StoreKey::new(args.store.clone())
    };
    let history = super::history(&args.db).await?;
    let now = chrono::Utc::now().fixed_offset();
    if args.revoke {
        let ended = history.revoke(&key, now).await?;
        println!("{ended} link(s) to {key} revoked");
        return Ok(Exit::Clean);
    }
    let known = shopaudit::web::views::known(&history).await?;
    if !known.contains(&key) {
        let some: Vec<String> = known.iter().take(10).map(ToString::to_string).collect();
        return Err(Error::Usage(format!(
            "the history has no store \"{key}\"{}",
            if some.is_empty() { String::new() } else { format!("; it has: {}", some.join(", ")) }
        )));
    }
    let token = shopaudit::web::auth::random_token(32)?;
    history.share(&key, &shopaudit::web::auth::token_hash(&token), now).await?;
    println!("{}/c/{token}", args.base_url.trim_end_matches('/'));
    Ok(Exit::Clean)
}
