//! `shopaudit run DIR`: every store of a folder, for cron, and the portfolio.

use std::path::PathBuf;

use shopaudit::history::Location;
use shopaudit::{Error, Scenario, Severity};

use super::Exit;

/// Audit every store of a folder of scenarios (for cron): reports, letters, and the portfolio.
#[derive(clap::Args)]
pub struct Args {
    /// A folder of scenario files (*.toml), with an optional portfolio.toml.
    dir: PathBuf,
    /// Where the reports and portfolio go (default: DIR/reports).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL")]
    db: Option<Location>,
    /// Stores audited at once.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Send no letters.
    #[arg(long)]
    no_email: bool,
    /// No browser for any store.
    #[arg(long)]
    no_browser: bool,
    /// Exit 4 when a store fails a check it passed in its previous run.
    #[arg(long)]
    fail_on_regression: bool,
    /// Exit 1 when a finding this severe or worse fails: info, minor, major or critical
    /// (default: each scenario's, else critical).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Past reports to keep, in the history and under --out: "all", a number of runs per
    /// store ("20"), or of days ("90d"). A store's latest report always stays.
    #[arg(long, value_name = "RUNS|DAYSd", default_value = "all")]
    keep: shopaudit::history::Keep,
    /// No summary (stores that could not be audited are still said, on stderr).
    #[arg(long, short)]
    quiet: bool,
    /// Print the portfolio (`shopaudit/portfolio/v1`) as JSON on stdout instead of the summary.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let settings = shopaudit::run::Settings {
        out: args.out.unwrap_or_else(|| args.dir.join("reports")),
        db: args.db.unwrap_or_default(),
        concurrency: args.concurrency,
        email: (!args.no_email).then_some(shopaudit::probes::email::Mode::Send),
        browser: !args.no_browser,
        clock: shopaudit::clock::Clock::system(),
        keep: args.keep,
    };
    let done = shopaudit::run::run(&args.dir, &settings).await?;
    let mut exit = Exit::Clean;
    for store in &done.stores {
        let said = match &store.report {
            Ok(report) => {
                let scenario_fail_on = Scenario::from_file(&store.scenario).ok().and_then(|s| s.checks.fail_on);
                if report.fails_at(args.fail_on.or(scenario_fail_on).unwrap_or(Severity::Critical)) {
                    exit = exit.worst(Exit::Failed);
                }
                if args.fail_on_regression && !store.regressions.is_empty() {
                    exit = exit.worst(Exit::Regressed);
                }
                let dir = store.dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
                let worse = if store.regressions.is_empty() {
                    String::new()
                } else {
                    format!("  worse than last run: {}", store.regressions.join(", "))
                };
                Ok(format!(
                    "  {:<28} {} failed, {} warnings, {} passed  {}{worse}",
                    report.store.name, report.summary.fail, report.summary.warn, report.summary.pass, dir
                ))
            }
            Err(e) => {
                exit = exit.worst(if matches!(e, Error::Usage(_)) { Exit::Usage } else { Exit::CannotRun });
                let worse = if store.regressions.is_empty() { "" } else { "  (it could be audited last run)" };
                Err(format!("  {:<28} could not run: {e}{worse}", store.scenario.display()))
            }
        };
        // A store that could not be audited is an error: on stderr, so that cron mails it,
        // even with --quiet.
        match said {
            Ok(line) if !args.quiet && !args.json => println!("{line}"),
            Ok(_) => {}
            Err(line) => eprintln!("{line}"),
        }
    }
    if args.json {
        let json = serde_json::to_string_pretty(&done.portfolio).map_err(|e| Error::Usage(e.to_string()))?;
        println!("{json}");
    } else if !args.quiet {
        for path in &done.written {
            println!("  wrote {}", path.display());
        }
    }
    if let Some(e) = &done.history_error {
        // The reports and the portfolio are written; what the history would have added is not.
        eprintln!("error: {e}\n  the reports and the portfolio were written without it; check --db PATH");
        exit = exit.worst(Exit::CannotRun);
    }
    Ok(exit)
}
