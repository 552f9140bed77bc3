//! `shopaudit collect SCENARIO...`: the shoppers' mailboxes read, replies filed, reports
//! brought up to date.

use std::path::{Path, PathBuf};

use shopaudit::followup::Mailbox;
use shopaudit::history::Location;
use shopaudit::Error;

use super::Exit;

/// Read the shoppers' mailboxes once and file the replies to their letters (for cron).
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files whose [shopper.imap] mailboxes to read (each read once).
    #[arg(required = true)]
    scenarios: Vec<PathBuf>,
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<Location>,
    /// Stay connected (IMAP IDLE) and file each reply as it arrives; reconnects on drops.
    #[arg(long)]
    watch: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let history = super::history(&args.db).await?;
    let exit = std::sync::Mutex::new(Exit::Clean);
    let heard = |path: &Path, mailbox: Mailbox| match mailbox {
        Mailbox::None => eprintln!("{}: no [shopper.imap]; nothing to read", path.display()),
        Mailbox::Shared => {}
        Mailbox::Read(found) if args.watch && found.read == 0 => {}
        Mailbox::Read(found) => {
            println!("{}: {} new message(s), {} reply(ies) filed", path.display(), found.read, found.replies)
        }
        Mailbox::Failed(e) => {
            let (code, hint) = Exit::of(&e);
            let mut worst = exit.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *worst = worst.worst(code);
            eprintln!("{}: {e}\n  hint: {hint}", path.display());
        }
    };
    for (store, dir) in shopaudit::followup::collect(&args.scenarios, &history, args.watch, &heard).await? {
        println!("{store}: report updated in {}", dir.display());
    }
    Ok(exit.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}
