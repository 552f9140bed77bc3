//! `shopaudit example`: a scenario with every key, explained, to start from.

use shopaudit::Error;

use super::Exit;

/// Print a scenario with every section and key, explained (`--minimal`: the least that runs).
/// `shopaudit example > mystore.toml`, then edit.
#[derive(clap::Args)]
pub struct Args {
    /// Only what a scenario needs.
    #[arg(long)]
    minimal: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    print!("{}", shopaudit::scenario::example(args.minimal));
    Ok(Exit::Clean)
}
