//! `shopaudit serve`: the agency's live view over the history.

use std::net::SocketAddr;
use std::path::PathBuf;

use shopaudit::history::Location;
use shopaudit::Error;

use super::Exit;

/// Serve the agency's live view over the history: every store with its score and trend, each
/// store's charts, letters, conversations and every past report, the stores failing a check;
/// and the read-only pages of clients' links (`shopaudit share`). The sign-in password comes
/// from --password-file or the SHOPAUDIT_PASSWORD variable, never the command line.
#[derive(clap::Args)]
pub struct Args {
    /// The history: a SQLite file (default: ~/.local/share/shopaudit/history.sqlite) or a
    /// postgres://user@host:port/database URL (password from PGPASSWORD or PGPASSFILE).
    #[arg(long, value_name = "PATH|URL", env = "SHOPAUDIT_DB", hide_env_values = true)]
    db: Option<Location>,
    /// Where to listen. Beyond loopback only with --behind-tls-proxy.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A file holding the agency's sign-in password (else the SHOPAUDIT_PASSWORD variable).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// A reverse proxy in front of this server terminates HTTPS: listening beyond loopback is
    /// allowed, and cookies are marked Secure.
    #[arg(long)]
    behind_tls_proxy: bool,
}

pub async fn run(args: Args) -> Result<Exit, Error> {
    if !args.listen.ip().is_loopback() && !args.behind_tls_proxy {
        return Err(Error::Usage(format!(
            "{} is reachable from other machines, and sign-ins and client links must not cross a network in \
             clear text: listen on 127.0.0.1, or put an HTTPS proxy in front and pass --behind-tls-proxy",
            args.listen
        )));
    }
    let plain = match &args.password_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| Error::io("cannot read the password file", path, e))?,
        None => std::env::var("SHOPAUDIT_PASSWORD").map_err(|_| {
            Error::Usage("serve needs the agency's password: --password-file FILE or SHOPAUDIT_PASSWORD".into())
        })?,
    };
    let password = shopaudit::web::auth::Password::new(plain.trim_end_matches(['\r', '\n']))?;
    drop(plain);
    let history = super::history(&args.db).await?;
    let router =
        shopaudit::web::router(shopaudit::web::Settings { history, password, secure_cookies: args.behind_tls_proxy })?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::io("cannot listen on", args.listen.to_string(), e))?;
    let at = listener.local_addr().map_err(|e| Error::io("cannot listen on", args.listen.to_string(), e))?;
    eprintln!("shopaudit serve: http://{at}/ (Ctrl-C to stop)");
    let stop = async {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match terminate.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
    };
    shopaudit::web::serve(router, listener, stop).await?;
    Ok(Exit::Clean)
}
