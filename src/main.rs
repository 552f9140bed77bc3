//! The `shopaudit` command: parses arguments, hands each command to its file under `cli/`,
//! and maps the outcome to an exit code. Everything else lives in the library.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli::Exit;
use console::style;
use shopaudit::Error;

/// A mystery shopper for online stores: audits support, chat, contacts, hours and photos.
#[derive(Parser)]
#[command(name = "shopaudit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More on stderr: -v says what each step does, -vv is for debugging. SHOPAUDIT_LOG takes
    /// a full filter instead (e.g. SHOPAUDIT_LOG=shopaudit=debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
}

/// One variant a command; each command's file documents it (its `Args` doc is the help).
#[derive(Subcommand)]
enum Command {
    Audit(cli::audit::Args),
    Run(cli::run::Args),
    Submit(cli::submit::Args),
    Worker(cli::worker::Args),
    Portfolio(cli::portfolio::Args),
    Serve(cli::serve::Args),
    Share(cli::share::Args),
    Demo(cli::demo::Args),
    Example(cli::example::Args),
    Check(cli::check::Args),
    Collect(cli::collect::Args),
    Report(cli::report::Args),
    Letters(cli::letters::Args),
    ChatParts(cli::chat_parts::Args),
    Checks(cli::checks::Args),
    Explain(cli::explain::Args),
    Bench(cli::bench::Args),
    Accuracy(cli::accuracy::Args),
}

async fn dispatch(command: Command) -> Result<Exit, Error> {
    match command {
        Command::Audit(args) => cli::audit::run(args).await,
        Command::Run(args) => cli::run::run(args).await,
        Command::Submit(args) => cli::submit::run(args).await,
        Command::Worker(args) => cli::worker::run(args).await,
        Command::Portfolio(args) => cli::portfolio::run(args).await,
        Command::Serve(args) => cli::serve::run(args).await,
        Command::Share(args) => cli::share::run(args).await,
        Command::Demo(args) => cli::demo::run(args).await,
        Command::Example(args) => cli::example::run(args).await,
        Command::Check(args) => cli::check::run(args).await,
        Command::Collect(args) => cli::collect::run(args).await,
        Command::Report(args) => cli::report::run(args).await,
        Command::Letters(args) => cli::letters::run(args).await,
        Command::ChatParts(args) => cli::chat_parts::run(args).await,
        Command::Checks(args) => cli::checks::run(args).await,
        Command::Explain(args) => cli::explain::run(args).await,
        Command::Bench(args) => cli::bench::run(args).await,
        Command::Accuracy(args) => cli::accuracy::run(args).await,
    }
}

fn main() -> ExitCode {
    end_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn,headless_chrome=error",
        1 => "info,headless_chrome=error",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SHOPAUDIT_LOG").unwrap_or_else(|_| level.into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::Usage(format!("cannot start the async runtime: {e}"))),
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = dispatch(cli.command) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    match outcome {
        Some(Ok(exit)) => ExitCode::from(exit as u8),
        Some(Err(e)) => fail(&e),
        None => {
            // Blocking browser threads may still hold Chromium; end it before leaving.
            shopaudit::interrupted();
            eprintln!("interrupted");
            ExitCode::from(130)
        }
    }
}

/// Printing into a closed pipe (`shopaudit checks | head -2`) makes `println!` panic; a
/// command-line tool ends quietly instead, as if by SIGPIPE (exit 141). SIGPIPE itself stays
/// ignored, as Rust sets it: restoring it would let a store that resets a connection while TLS
/// writes to it kill the whole audit.
fn end_quietly_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// One sentence saying what went wrong, a hint, and the exit code.
fn fail(e: &Error) -> ExitCode {
    let (code, hint) = Exit::of(e);
    eprintln!("{} {e}\n  {} {hint}", style("error:").red().bold(), style("hint:").dim());
    ExitCode::from(code as u8)
}
