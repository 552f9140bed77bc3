//! `shopaudit demo`: the bundled store on 127.0.0.1, audited.

use console::style;
use shopaudit::Error;

use super::{Exit, OutputArgs};

/// Serve the bundled demo store on 127.0.0.1, audit it and write the reports.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    out: OutputArgs,
    /// Keep serving the demo store after the audit, to look at it in a browser.
    #[arg(long)]
    serve: bool,
    /// Port for the demo store (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let store = shopaudit::demo::start(args.port).await?;
    let scenario = shopaudit::demo::scenario(&store)?;
    if !args.out.quiet {
        eprintln!("Demo store serving at {}", style(&store.url).cyan());
    }
    let report = super::audit_with_progress(&scenario, &shopaudit::Options::send(), args.out.quiet).await?;
    super::finish(&report, &args.out, scenario.checks.fail_on)?;
    // Kept in the default history like any audit that keeps one: `shopaudit serve` shows it.
    super::history(&None).await?.record_run(&report, Some(&args.out.dir(&report))).await?;
    if args.serve {
        eprintln!("Still serving the demo store at {}; Ctrl-C to stop.", store.url);
        let _ = tokio::signal::ctrl_c().await;
    }
    // The demo fails checks on purpose; that is its point, not an error.
    Ok(Exit::Clean)
}
