//! `shopaudit letters STORE`: the shopper's letters to a store (and questions put through its
//! contact form) and their state.

use console::style;
use shopaudit::history::Location;
use shopaudit::{Error, Scenario};

use super::Exit;

/// List the shopper's letters to a store and their state.
#[derive(clap::Args)]
pub struct Args {
    /// The store's start URL, or its scenario file.
    store: String,
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<Location>,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let scenario = Scenario::from_target(&args.store)?;
    let letters = shopaudit::followup::letters(&scenario, &super::history(&args.db).await?).await?;
    if letters.is_empty() {
        println!("No letters to {} yet.", scenario.store.url);
    }
    for l in letters {
        let when = l.sent_at.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
        let note = l.failure.or(l.server_response).unwrap_or_default();
        println!(
            "{:<5} {:<16} {:<8} {:<16} {:<28} {}  {}",
            l.via,
            l.letter,
            l.state,
            when,
            l.to,
            l.subject,
            style(note).dim()
        );
    }
    Ok(Exit::Clean)
}
