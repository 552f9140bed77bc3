//! The command line's shared parts: exit codes, the report output options, the progress bar
//! and the terminal summary. Each command is a file of its own that parses its options and
//! calls one library function.

pub mod accuracy;
pub mod audit;
pub mod bench;
pub mod chat_parts;
pub mod check;
pub mod checks;
pub mod collect;
pub mod demo;
pub mod example;
pub mod explain;
pub mod letters;
pub mod portfolio;
pub mod report;
pub mod run;
pub mod serve;
pub mod share;
pub mod submit;
pub mod worker;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use shopaudit::history::{History, Location};
use shopaudit::report::{self as render, Format};
use shopaudit::{Error, Outcome, Progress, Report, Scenario, Severity};

/// Exit codes (README, docs/REPORT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above the threshold failed.
    Clean = 0,
    /// A finding at or above the threshold failed.
    Failed = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// The audit could not run.
    CannotRun = 3,
    /// `run --fail-on-regression`: a store got worse.
    Regressed = 4,
}

impl Exit {
    /// The more urgent of two, for cron: a broken scenario, then a store that could not run,
    /// then a regression, then failed checks.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Usage => 4,
            Exit::CannotRun => 3,
            Exit::Regressed => 2,
            Exit::Failed => 1,
            Exit::Clean => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// The exit code and the hint for an error that stopped a command.
    pub fn of(e: &Error) -> (Exit, &'static str) {
        match e {
            Error::Scenario { .. } => {
                (Exit::Usage, "fix the scenario file; `shopaudit example` prints every key, explained")
            }
            Error::Usage(_) | Error::Client { .. } => (Exit::Usage, "see `shopaudit --help`"),
            Error::Unreachable { .. } => {
                (Exit::CannotRun, "check the address, and that the site is up from this machine")
            }
            Error::Browser { .. } => (
                Exit::CannotRun,
                "install Chromium (`apt-get install chromium`), pass --chrome PATH, or run with --no-browser",
            ),
            Error::Email { .. } => {
                (Exit::Usage, "fix [shopper] / [email] in the scenario; `shopaudit example` shows both, explained")
            }
            Error::Mailbox { .. } => {
                (Exit::CannotRun, "check the shopper's mail server from this machine; the next run reads it again")
            }
            Error::History { .. } => (Exit::CannotRun, "check --db PATH, its folder and permissions"),
            Error::Io { .. } => (Exit::CannotRun, "check the path and its permissions"),
            Error::Bundled { .. } => (Exit::CannotRun, "this build is broken; please report it"),
            Error::Locked(_) => (Exit::CannotRun, "wait for it to finish; overlapping cron runs are refused by design"),
        }
    }
}

/// Where and how an audit's reports are written, and when it fails.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Folder for the reports (default: ./reports/<store>-<time>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Which reports to write: json, md, html.
    #[arg(long, value_delimiter = ',', default_value = "json,md,html")]
    pub format: Vec<Format>,
    /// Also write the JSON report here; `-` for standard output.
    #[arg(long)]
    pub json: Option<String>,
    /// Exit 1 when a finding this severe or worse fails: info, minor, major or critical
    /// (default: the scenario's, else critical).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

impl OutputArgs {
    /// The report folder: `--out`, else `./reports/<store>-<time>/`.
    pub fn dir(&self, report: &Report) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let slug = render::slug(report.store.history_key().as_str());
            Path::new("reports").join(format!("{}-{}", slug, report.run.started_at.format("%Y%m%d-%H%M%S")))
        })
    }
}

/// Fails now, before any work, when the reports (`--out`, else `./reports/`) or `--json` could
/// not be written.
pub fn check_output(out: &OutputArgs) -> Result<(), Error> {
    render::check_writable(out.out.as_deref().unwrap_or(Path::new("reports")))?;
    match out.json.as_deref() {
        Some("-") | None => Ok(()),
        Some(path) => render::check_writable(Path::new(path).parent().unwrap_or(Path::new("."))),
    }
}

/// The history at `--db`, else the default SQLite file.
pub async fn history(db: &Option<Location>) -> Result<History, Error> {
    History::connect(&db.clone().unwrap_or_default()).await
}

/// A progress bar on the terminal (hidden when quiet or not a terminal) while one store is
/// audited.
pub async fn audit_with_progress(
    scenario: &Scenario,
    options: &shopaudit::Options,
    quiet: bool,
) -> Result<Report, Error> {
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(scenario.crawl.max_pages as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} pages  {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let result = shopaudit::audit_with(scenario, options, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    result
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn stage(&self, name: &str) {
        self.0.set_message(name.to_string());
    }
    fn page_done(&self, url: &str, done: usize, limit: usize) {
        self.0.set_length(limit as u64);
        self.0.set_position(done as u64);
        self.0.set_message(url.to_string());
    }
}

/// Writes the reports, prints the summary, and says how the audit exits.
pub fn finish(report: &Report, out: &OutputArgs, scenario_fail_on: Option<Severity>) -> Result<Exit, Error> {
    let to_stdout = out.json.as_deref() == Some("-");
    let written = render::write(report, &out.dir(report), &out.format)?;
    match out.json.as_deref() {
        Some("-") => println!("{}", render::to_json(report)?),
        Some(path) => std::fs::write(path, render::to_json(report)?).map_err(|e| Error::io("cannot write", path, e))?,
        None => {}
    }
    if !out.quiet {
        summary(report, &written, to_stdout);
    }
    let threshold = out.fail_on.or(scenario_fail_on).unwrap_or(Severity::Critical);
    Ok(if report.fails_at(threshold) { Exit::Failed } else { Exit::Clean })
}

/// The terminal summary: to stderr when stdout carries JSON, coloured only on a terminal.
fn summary(report: &Report, written: &[PathBuf], to_stderr: bool) {
    let mut lines = Vec::new();
    let s = &report.summary;
    lines.push(format!(
        "{} {}  {} failed, {} warnings, {} passed, {} n/a, {} errors",
        style("shopaudit").bold(),
        style(&report.store.name).cyan(),
        style(s.fail).red().bold(),
        style(s.warn).yellow().bold(),
        style(s.pass).green().bold(),
        s.not_applicable,
        s.error
    ));
    for f in &report.findings {
        let mark = match f.outcome {
            Outcome::Pass => style("PASS").green(),
            Outcome::Fail => style("FAIL").red().bold(),
            Outcome::Warn => style("WARN").yellow(),
            Outcome::NotApplicable => style("n/a ").dim(),
            Outcome::Error => style("ERR ").magenta(),
        };
        lines.push(format!("  {mark} {:<26} {}", f.check, f.title));
    }
    for path in written {
        lines.push(format!("  wrote {}", path.display()));
    }
    for line in lines {
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}
