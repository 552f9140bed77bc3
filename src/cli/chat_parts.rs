//! `shopaudit chat-parts TARGET`: proposed `chat.selectors` for a store's widget.

use std::path::PathBuf;

use shopaudit::{Error, Scenario};

use super::Exit;

/// Propose `chat.selectors` for a store's chat widget: opens the page, clicks the launcher
/// as a person does, and finds the message box, the send button and the operator's
/// messages, in the vendor's frames too. Nothing is typed or sent.
#[derive(clap::Args)]
pub struct Args {
    /// The page with the chat: a URL, or a scenario file (its store URL).
    target: String,
    /// The launcher's CSS selector, when it is not found by itself.
    #[arg(long)]
    launcher: Option<String>,
    /// The Chromium or Chrome executable (default: $CHROME, then the usual paths).
    #[arg(long, value_name = "PATH")]
    chrome: Option<PathBuf>,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    let scenario = Scenario::from_target(&args.target)?;
    let proposal = shopaudit::chat_parts(&scenario, args.chrome.as_deref(), args.launcher.as_deref()).await?;
    print!("{}", shopaudit::probes::parts::toml(&proposal));
    let complete = proposal.parts.input.is_some() && proposal.parts.operator_message.is_some();
    Ok(if complete { Exit::Clean } else { Exit::Failed })
}
