//! `shopaudit check --from report.json`: saved evidence judged again, offline.

use std::path::PathBuf;

use shopaudit::Error;

use super::{Exit, OutputArgs};

/// Judge a saved report.json again with this version's checks, without any network.
#[derive(clap::Args)]
pub struct Args {
    /// A report.json written by `shopaudit audit`.
    #[arg(long)]
    from: PathBuf,
    #[command(flatten)]
    out: OutputArgs,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let report = shopaudit::recheck(&shopaudit::report::read(&args.from)?, &[])?;
    super::finish(&report, &args.out, None)
}
