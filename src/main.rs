//! The `shopaudit` command: parses arguments, shows progress, writes reports and maps the
//! outcome to an exit code. Everything else lives in the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use console::style;
use indicatif::{ProgressBar, ProgressStyle};
use shopaudit::checks::CHECKS;
use shopaudit::report::{self, Format};
use shopaudit::scenario::{Scenario, WebUrl};
use shopaudit::{Error, Outcome, Progress, Report, Severity};

/// A mystery shopper for online stores: audits support, chat, contacts, hours and photos.
#[derive(Parser)]
#[command(name = "shopaudit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Audit a store: a URL, or a scenario file (TOML).
    Audit {
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
        /// The history file (default: ~/.local/share/shopaudit/history.sqlite).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Most pages to crawl (overrides the scenario).
        #[arg(long)]
        max_pages: Option<usize>,
    },
    /// Audit every store of a folder of scenarios (for cron): reports, letters, and the portfolio.
    Run {
        /// A folder of scenario files (*.toml), with an optional portfolio.toml.
        dir: PathBuf,
        /// Where the reports and portfolio go (default: DIR/reports).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The history file (default: ~/.local/share/shopaudit/history.sqlite).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
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
        /// No summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Serve the bundled demo store on 127.0.0.1, audit it and write the reports.
    Demo {
        #[command(flatten)]
        out: OutputArgs,
        /// Keep serving the demo store after the audit, to look at it in a browser.
        #[arg(long)]
        serve: bool,
        /// Port for the demo store (default: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Judge a saved report.json again with this version's checks, without any network.
    Check {
        /// A report.json written by `shopaudit audit`.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Read the shoppers' mailboxes once and file the replies to their letters (for cron).
    Collect {
        /// Scenario files whose [shopper.imap] mailboxes to read (each read once).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// The history file (default: ~/.local/share/shopaudit/history.sqlite).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// Stay connected (IMAP IDLE) and file each reply as it arrives; reconnects on drops.
        #[arg(long)]
        watch: bool,
    },
    /// Render a store's latest report again, with every answer the history holds by now
    /// (into the folder that run wrote to, unless --out says otherwise).
    Report {
        /// The store's start URL, host, or scenario file.
        store: String,
        /// The history file (default: ~/.local/share/shopaudit/history.sqlite).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
    },
    /// List the shopper's letters to a store and their state.
    Letters {
        /// The store's start URL, or its scenario file.
        store: String,
        /// The history file (default: ~/.local/share/shopaudit/history.sqlite).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Propose `chat.selectors` for a store's chat widget: opens the page, clicks the launcher
    /// as a person does, and finds the message box, the send button and the operator's
    /// messages, in the vendor's frames too. Nothing is typed or sent.
    ChatParts {
        /// The page with the chat: a URL, or a scenario file (its store URL).
        target: String,
        /// The launcher's CSS selector, when it is not found by itself.
        #[arg(long)]
        launcher: Option<String>,
        /// The Chromium or Chrome executable (default: $CHROME, then the usual paths).
        #[arg(long, value_name = "PATH")]
        chrome: Option<PathBuf>,
    },
    /// List every check with its id, severity and why it matters.
    Checks,
    /// Explain one check.
    Explain {
        /// A check id such as `contacts.single_email`.
        id: String,
    },
    /// Measure speed and memory on loopback and print the figures.
    Bench {
        /// Pages in the generated store.
        #[arg(long, default_value_t = 200)]
        pages: usize,
        /// Instead: `shopaudit run` over this many generated stores, with the browser.
        #[arg(long)]
        stores: Option<usize>,
    },
}

#[derive(clap::Args)]
struct OutputArgs {
    /// Folder for the reports (default: ./reports/<store>-<time>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Which reports to write: json, md, html.
    #[arg(long, value_delimiter = ',', default_value = "json,md,html")]
    format: Vec<Format>,
    /// Also write the JSON report here; `-` for standard output.
    #[arg(long)]
    json: Option<String>,
    /// Exit 1 when a finding this severe or worse fails: info, minor, major or critical
    /// (default: the scenario's, else critical).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
}

/// Exit codes (docs/REPORT.md).
#[derive(Clone, Copy)]
enum Exit {
    Clean = 0,
    Failed = 1,
    Usage = 2,
    CannotRun = 3,
    Regressed = 4,
}

fn main() -> ExitCode {
    restore_sigpipe();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHOPAUDIT_LOG")
                .unwrap_or_else(|_| "warn,headless_chrome=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::Usage(format!("cannot start the async runtime: {e}"))),
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    match outcome {
        Some(Ok(exit)) => ExitCode::from(exit as u8),
        Some(Err(e)) => fail(&e),
        None => {
            // Blocking browser threads may still hold Chromium; end it before leaving.
            shopaudit::probes::browser::kill_all();
            eprintln!("interrupted");
            ExitCode::from(130)
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`shopaudit checks | head -2`) would
/// panic; a command-line tool should end quietly instead, like any other.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn fail(e: &Error) -> ExitCode {
    let (code, hint) = match e {
        Error::Scenario { .. } => (Exit::Usage, "fix the scenario file; docs/SCENARIO.md lists every key"),
        Error::Usage(_) | Error::Client(_) => (Exit::Usage, "see `shopaudit --help`"),
        Error::Unreachable { .. } => (Exit::CannotRun, "check the address, and that the site is up from this machine"),
        Error::Browser(_) => (
            Exit::CannotRun,
            "install Chromium (`apt-get install chromium`), pass --chrome PATH, or run with --no-browser",
        ),
        Error::Email(_) => (Exit::Usage, "fix [shopper] / [email] in the scenario; docs/SCENARIO.md shows both"),
        Error::History { .. } => (Exit::CannotRun, "check --db PATH, its folder and permissions"),
        Error::Io { .. } => (Exit::CannotRun, "check the path and its permissions"),
        Error::Bundled { .. } => (Exit::CannotRun, "this build is broken; please report it"),
        Error::Locked(_) => (Exit::CannotRun, "wait for it to finish; overlapping cron runs are refused by design"),
    };
    eprintln!("{} {e}\n  {} {hint}", style("error:").red().bold(), style("hint:").dim());
    ExitCode::from(code as u8)
}

async fn run(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Audit { target, out, no_browser, chrome, no_email, dry_run, db, max_pages } => {
            let mut scenario = load_target(&target)?;
            if no_browser {
                scenario.browser.enabled = false;
            }
            if let Some(path) = chrome {
                scenario.browser.path = Some(path.display().to_string());
            }
            if let Some(n) = max_pages {
                scenario.crawl.max_pages = n;
            }
            let email = match (no_email, dry_run) {
                (true, _) => None,
                (false, true) => Some(shopaudit::probes::email::Mode::DryRun),
                (false, false) => Some(shopaudit::probes::email::Mode::Send),
            };
            let options = shopaudit::Options { email, db, ..Default::default() };
            let report = audit_with_progress(&scenario, &options, out.quiet).await?;
            let exit = finish(&report, &out, scenario.checks.fail_on)?;
            if email == Some(shopaudit::probes::email::Mode::Send) && report.run.probes.iter().any(|p| p == "email") {
                // Letters went out: keep the run, so answers that come later update its report.
                history(&options.db)?.record_run(&report, Some(&out_dir(&report, &out)))?;
            }
            Ok(exit)
        }
        Command::Run { dir, out, db, concurrency, no_email, no_browser, fail_on_regression, fail_on, quiet } => {
            let settings = shopaudit::run::Settings {
                out: out.unwrap_or_else(|| dir.join("reports")),
                db: db.unwrap_or_else(shopaudit::history::default_path),
                concurrency,
                email: (!no_email).then_some(shopaudit::probes::email::Mode::Send),
                browser: !no_browser,
                clock: shopaudit::clock::Clock::system(),
            };
            let done = shopaudit::run::run(&dir, &settings).await?;
            let mut exit = Exit::Clean;
            let mut worst = |e: Exit| {
                // Precedence for cron: a broken scenario, then a store that could not run, then
                // a regression, then failed checks.
                let rank = |e: Exit| match e {
                    Exit::Usage => 4,
                    Exit::CannotRun => 3,
                    Exit::Regressed => 2,
                    Exit::Failed => 1,
                    Exit::Clean => 0,
                };
                if rank(e) > rank(exit) {
                    exit = e;
                }
            };
            for store in &done.stores {
                let line = match &store.report {
                    Ok(report) => {
                        let scenario_fail_on = Scenario::from_file(&store.scenario).ok().and_then(|s| s.checks.fail_on);
                        let threshold = fail_on.or(scenario_fail_on).unwrap_or(Severity::Critical);
                        if report.fails_at(threshold) {
                            worst(Exit::Failed);
                        }
                        if fail_on_regression && !store.regressions.is_empty() {
                            worst(Exit::Regressed);
                        }
                        let dir = store.dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
                        let worse = if store.regressions.is_empty() {
                            String::new()
                        } else {
                            format!("  worse than last run: {}", store.regressions.join(", "))
                        };
                        format!(
                            "  {:<28} {} failed, {} warnings, {} passed  {}{worse}",
                            report.store.name, report.summary.fail, report.summary.warn, report.summary.pass, dir
                        )
                    }
                    Err(e) => {
                        worst(if matches!(e, Error::Usage(_)) { Exit::Usage } else { Exit::CannotRun });
                        format!("  {:<28} could not run: {e}", store.scenario.display())
                    }
                };
                if !quiet {
                    println!("{line}");
                }
            }
            if !quiet {
                for path in &done.written {
                    println!("  wrote {}", path.display());
                }
            }
            Ok(exit)
        }
        Command::Demo { out, serve, port } => {
            let store = shopaudit::demo::start(port).await?;
            let scenario = shopaudit::demo::scenario(&store)?;
            if !out.quiet {
                eprintln!("Demo store serving at {}", style(&store.url).cyan());
            }
            let report = audit_with_progress(&scenario, &shopaudit::Options::send(), out.quiet).await?;
            finish(&report, &out, scenario.checks.fail_on)?;
            if serve {
                eprintln!("Still serving the demo store at {}; Ctrl-C to stop.", store.url);
                let _ = tokio::signal::ctrl_c().await;
            }
            // The demo fails checks on purpose; that is its point, not an error.
            Ok(Exit::Clean)
        }
        Command::Check { from, out } => {
            let saved = report::read(&from)?;
            let report = shopaudit::recheck(&saved, &[])?;
            finish(&report, &out, None)
        }
        Command::Collect { scenarios, db, watch } => {
            let history = history(&db)?;
            let knowledge = shopaudit::knowledge::Knowledge::load()?;
            let mut read = std::collections::HashSet::new();
            let mut stores = Vec::new();
            for path in scenarios {
                let scenario = Scenario::from_file(&path)?;
                stores.push(scenario.store.url.to_string());
                let Some(imap) = scenario.shopper.as_ref().and_then(|s| s.imap.as_ref()) else {
                    eprintln!("{}: no [shopper.imap]; nothing to read", path.display());
                    continue;
                };
                if !read.insert(imap.mailbox_key()) {
                    continue;
                }
                if watch {
                    // One mailbox per watch: the first scenario's (several need several watches).
                    let name = path.display().to_string();
                    let heard = move |found: shopaudit::probes::mailbox::Collected| {
                        if found.read > 0 {
                            println!("{name}: {} new message(s), {} reply(ies) filed", found.read, found.replies);
                        }
                    };
                    shopaudit::probes::mailbox::watch(imap, &history, &knowledge, &heard).await?;
                }
                let found = shopaudit::probes::mailbox::collect(imap, &history, &knowledge).await?;
                println!("{}: {} new message(s), {} reply(ies) filed", path.display(), found.read, found.replies);
            }
            // Each store's latest report, brought up to date where it was written.
            for store in stores {
                let Some((saved, Some(dir))) = history.latest_run(&store)? else { continue };
                let report = shopaudit::refresh(&saved, &history, &shopaudit::clock::Clock::system())?;
                history.record_run(&report, None)?;
                report::write(&report, &dir, &[Format::Json, Format::Md, Format::Html])?;
                println!("{store}: report updated in {}", dir.display());
            }
            Ok(Exit::Clean)
        }
        Command::Report { store, db, mut out } => {
            let scenario = load_target(&store)?;
            let history = history(&db)?;
            let url = scenario.store.url.to_string();
            let (saved, dir) = history.latest_run(&url)?.ok_or_else(|| {
                Error::Usage(format!(
                    "the history holds no run of {url} yet (`shopaudit audit` records one when it sends letters)"
                ))
            })?;
            let report = shopaudit::refresh(&saved, &history, &shopaudit::clock::Clock::system())?;
            history.record_run(&report, None)?;
            out.out = out.out.or(dir);
            finish(&report, &out, scenario.checks.fail_on)
        }
        Command::Letters { store, db } => {
            let scenario = load_target(&store)?;
            let history = history(&db)?;
            let letters = history.letters(&scenario.store.url.to_string())?;
            if letters.is_empty() {
                println!("No letters to {} yet.", scenario.store.url);
            }
            for l in letters {
                let when = l.sent_at.map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
                let note = l.failure.or(l.server_response).unwrap_or_default();
                println!(
                    "{:<16} {:<8} {:<16} {:<28} {}  {}",
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
        Command::ChatParts { target, launcher, chrome } => {
            let scenario = load_target(&target)?;
            let page = scenario.store.url.to_string();
            let proposal = tokio::task::spawn_blocking(move || -> Result<_, Error> {
                let explicit = chrome.as_deref().or(scenario.browser.path.as_deref().map(Path::new));
                let path = shopaudit::probes::browser::find(explicit)
                    .ok_or_else(|| Error::Browser(shopaudit::probes::browser::not_found(explicit)))?;
                let chromium = shopaudit::probes::browser::Chromium::launch(&path, scenario.browser.loopback_only)?;
                let knowledge = shopaudit::knowledge::Knowledge::load()?;
                shopaudit::probes::parts::propose(&chromium, &page, launcher.as_deref(), &knowledge)
                    .map_err(Error::Browser)
            })
            .await
            .map_err(|e| Error::Browser(format!("the browser crashed: {e}")))??;
            print!("{}", shopaudit::probes::parts::toml(&proposal));
            Ok(if proposal.parts.input.is_some() && proposal.parts.operator_message.is_some() {
                Exit::Clean
            } else {
                Exit::Failed
            })
        }
        Command::Checks => {
            for c in CHECKS {
                println!("{:<26} {:<9} {}", style(c.id).bold(), c.severity.as_str(), c.title);
                println!("{:<34} {}", "", style(c.description).dim());
            }
            Ok(Exit::Clean)
        }
        Command::Explain { id } => {
            let c = shopaudit::checks::find(&id)
                .ok_or_else(|| Error::Usage(format!("no check has the id {id:?}; `shopaudit checks` lists them")))?;
            println!("{}  ({})\n", style(c.id).bold(), c.severity.as_str());
            println!("Passes:  {}\nFails:   {}\n", c.title, c.failure_title);
            println!("Why it matters: {}\n", c.description);
            println!("Reads: {}", c.reads.join(", "));
            Ok(Exit::Clean)
        }
        Command::Bench { pages, stores } => {
            let figures = match stores {
                Some(n) => shopaudit::bench::portfolio(n).await?,
                None => shopaudit::bench::run(pages).await?,
            };
            for f in figures {
                println!("{:<36} {}", f.name, f.value);
            }
            Ok(Exit::Clean)
        }
    }
}

fn history(db: &Option<PathBuf>) -> Result<shopaudit::history::History, Error> {
    shopaudit::history::History::open(&db.clone().unwrap_or_else(shopaudit::history::default_path))
}

/// A URL, a bare host, or a scenario file.
fn load_target(target: &str) -> Result<Scenario, Error> {
    if target.starts_with("http://") || target.starts_with("https://") {
        let url = target.parse::<WebUrl>().map_err(Error::Usage)?;
        return Ok(Scenario::for_url(url));
    }
    let path = Path::new(target);
    if path.exists() || target.ends_with(".toml") {
        return Scenario::from_file(path);
    }
    format!("https://{target}/")
        .parse::<WebUrl>()
        .map(Scenario::for_url)
        .map_err(|_| Error::Usage(format!("{target:?} is neither a URL nor a scenario file")))
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

async fn audit_with_progress(scenario: &Scenario, options: &shopaudit::Options, quiet: bool) -> Result<Report, Error> {
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

fn default_out(report: &Report) -> PathBuf {
    let slug = report::slug(&report.store.name);
    Path::new("reports").join(format!("{}-{}", slug, report.run.started_at.format("%Y%m%d-%H%M%S")))
}

fn out_dir(report: &Report, out: &OutputArgs) -> PathBuf {
    out.out.clone().unwrap_or_else(|| default_out(report))
}

fn finish(report: &Report, out: &OutputArgs, scenario_fail_on: Option<Severity>) -> Result<Exit, Error> {
    let to_stdout = out.json.as_deref() == Some("-");
    let dir = out_dir(report, out);
    let written = report::write(report, &dir, &out.format)?;
    match out.json.as_deref() {
        Some("-") => println!("{}", report::to_json(report)?),
        Some(path) => std::fs::write(path, report::to_json(report)?).map_err(|e| Error::io("cannot write", path, e))?,
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
