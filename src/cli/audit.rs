//! `shopaudit audit TARGET`: one store, a URL or a scenario file.

use std::path::{Path, PathBuf};

use shopaudit::history::Location;
use shopaudit::probes::email::Mode;
use shopaudit::{Error, Options, Scenario};

use super::{Exit, OutputArgs};

/// Audit a store: a URL, or a scenario file (TOML).
#[derive(clap::Args)]
pub struct Args {
    /// `https://shop.example/`, `shop.example`, or `scenarios/acme.toml`.
    target: String,
    #[command(flatten)]
    out: OutputArgs,
    /// Do not use a browser (no visibility, online status, popup or audio checks).
    #[arg(long)]
    no_browser: bool,
    /// The Chromium or Chrome executable (default: $CHROME, then /usr/bin/chromium ...).
    #[arg(long, value_name = "PATH")]
    chrome: Option<PathBuf>,
    /// Send no letters, even if the scenario enables them.
    #[arg(long)]
    no_email: bool,
    /// Show exactly which letters would be sent, to whom; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<Location>,
    /// Most pages to crawl (overrides the scenario).
    #[arg(long)]
    max_pages: Option<usize>,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let mut scenario = Scenario::from_target(&args.target)?;
    if args.no_browser {
        scenario.browser.enabled = false;
    }
    if let Some(path) = args.chrome {
        scenario.browser.path = Some(path.display().to_string());
    }
    if let Some(n) = args.max_pages {
        scenario.crawl.max_pages = n;
    }
    let email = match (args.no_email, args.dry_run) {
        (true, _) => None,
        (false, true) => Some(Mode::DryRun),
        (false, false) => Some(Mode::Send),
    };
    let options = Options { email, db: args.db, ..Default::default() };
    // What can be checked before the work is: where the reports go, and the history when the
    // audit will keep one.
    super::check_output(&args.out)?;
    let keeps_history = options.db.is_some() || scenario.chat.enabled || (email.is_some() && scenario.email.enabled);
    if keeps_history {
        super::history(&options.db).await?;
    }
    // A bare host is tried over HTTPS; a plain-HTTP site is audited by saying so.
    let bare = !args.target.contains("://") && !args.target.ends_with(".toml") && !Path::new(&args.target).exists();
    let report = match super::audit_with_progress(&scenario, &options, args.out.quiet).await {
        Err(Error::Unreachable { url, reason }) if bare => {
            let reason = format!(
                "{reason} (tried over HTTPS; for a site served over plain HTTP give http://{}/)",
                args.target.trim_end_matches('/')
            );
            return Err(Error::Unreachable { url, reason });
        }
        other => other?,
    };
    let exit = super::finish(&report, &args.out, scenario.checks.fail_on)?;
    // Every audit that keeps a history keeps its report there too.
    if keeps_history || report.run.probes.iter().any(|p| p == "email") {
        let history = super::history(&options.db).await?;
        history.record_run(&report, Some(&args.out.dir(&report))).await?;
    }
    Ok(exit)
}
