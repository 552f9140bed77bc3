//! The library's errors. Each says what went wrong, where, and why, in one sentence a store
//! owner can act on; the CLI maps them to exit codes.

use std::path::PathBuf;

/// What caused an error: the library's own error (lettre's, reqwest's, rustls', the IMAP
/// client's, SQLite's, PostgreSQL's ...), kept whole so that a caller can look inside with
/// [`std::error::Error::source`] rather than parse a message.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can stop an audit or a command before it produces a report.
///
/// Problems with single pages, images or probes never become an `Error`: they are recorded
/// in the report (`pages[].error`, an `error` finding) and the audit goes on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario file could not be read or is not valid. The message names line and column.
    #[error("scenario {path}: {message}")]
    Scenario {
        /// The scenario file.
        path: PathBuf,
        /// What is wrong, with line and column where the file says it.
        message: String,
    },

    /// The command line or a setting is not usable.
    #[error("{0}")]
    Usage(String),

    /// The store's start page could not be fetched at all.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The start URL.
        url: String,
        /// Why, in words (DNS, refused, TLS, timeout, redirect loop ...).
        reason: String,
    },

    /// The browser could not be found or started, and the scenario requires it.
    #[error("browser: {what}{}", because(.source))]
    Browser {
        /// What failed, and where.
        what: String,
        /// The browser driver's own error, when there is one.
        source: Option<Cause>,
    },

    /// The history database could not be opened or written.
    #[error("history {path}: {}", said(.message, .source))]
    History {
        /// The SQLite file, or the PostgreSQL URL without its password.
        path: PathBuf,
        /// What we were doing, or what is wrong with the database.
        message: String,
        /// The database driver's error, when there is one.
        source: Option<Cause>,
    },

    /// Sending the shopper's letters could not even start (bad mail server settings, no
    /// password).
    #[error("e-mail: {what}{}", because(.source))]
    Email {
        /// What is wrong, naming the setting.
        what: String,
        /// The mail library's or TLS library's error, when there is one.
        source: Option<Cause>,
    },

    /// The shopper's mailbox could not be read this time (connection, TLS, login, a server
    /// that stalls); the next run reads it again and nothing is lost.
    #[error("mailbox: {what}{}", because(.source))]
    Mailbox {
        /// The server and the step that failed.
        what: String,
        /// The IMAP client's or the network's error.
        source: Option<Cause>,
    },

    /// Writing or reading a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What we were doing ("cannot write", "cannot read").
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },

    /// A bundled data file under `probes/` or a report template is broken. Only a build from
    /// modified sources can hit this; the tests load every bundled file.
    #[error("bundled data {file} is invalid: {message}")]
    Bundled {
        /// The bundled file.
        file: &'static str,
        /// The parser's complaint.
        message: String,
    },

    /// The HTTP client could not be set up (for example a CA file that is not PEM).
    #[error("HTTP client: {what}{}", because(.source))]
    Client {
        /// What we were setting up.
        what: String,
        /// reqwest's error.
        source: Option<Cause>,
    },

    /// Another `shopaudit run` holds the output folder's lock.
    #[error("{0}")]
    Locked(String),
}

impl Error {
    /// An I/O error on `path` while doing `action`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }

    /// The browser cannot be used, for a reason of ours (none found, a bad option).
    pub fn browser(what: impl Into<String>) -> Self {
        Error::Browser { what: what.into(), source: None }
    }

    /// The browser driver failed while doing `what`.
    pub fn browser_by(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Browser { what: what.into(), source: Some(source.into()) }
    }

    /// A mail setting is missing or wrong.
    pub fn email(what: impl Into<String>) -> Self {
        Error::Email { what: what.into(), source: None }
    }

    /// The mail or TLS library refused `what`.
    pub fn email_by(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Email { what: what.into(), source: Some(source.into()) }
    }

    /// The mailbox could not be read, for a reason of ours (a server that stalls).
    pub fn mailbox(what: impl Into<String>) -> Self {
        Error::Mailbox { what: what.into(), source: None }
    }

    /// The IMAP client or the network failed while doing `what`.
    pub fn mailbox_by(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Mailbox { what: what.into(), source: Some(source.into()) }
    }

    /// The HTTP client could not be built while doing `what`.
    pub fn client_by(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Client { what: what.into(), source: Some(source.into()) }
    }

    /// The history at `path` is unusable: `message` says why, in our words.
    pub fn history(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::History { path: path.into(), message: message.into(), source: None }
    }

    /// The database driver failed on the history at `path` while doing `message`.
    pub fn history_by(path: impl Into<PathBuf>, message: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::History { path: path.into(), message: message.into(), source: Some(source.into()) }
    }
}

/// An error and all its sources on one line, joined by ": ", each part said once (libraries
/// such as reqwest repeat their cause, or the URL, in the outer message).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        // reqwest repeats the URL in the outer message; keep the informative tail.
        let text = text.split(" for url (").next().unwrap_or(&text).to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

/// What went wrong, then its cause's chain; either may be missing.
fn said(message: &str, source: &Option<Cause>) -> String {
    match (message, source) {
        ("", Some(cause)) => chain(cause.as_ref()),
        (_, source) => format!("{message}{}", because(source)),
    }
}

/// The cause of an error as the tail of its message: empty, or ": " and the cause's chain.
fn because(source: &Option<Cause>) -> String {
    match source {
        Some(cause) => format!(": {}", chain(cause.as_ref())),
        None => String::new(),
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_probe_error_keeps_its_cause_and_says_it_once() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let e = Error::mailbox_by("IMAP 127.0.0.1:1143: connect", refused);
        assert_eq!(e.to_string(), "mailbox: IMAP 127.0.0.1:1143: connect: connection refused");
        let cause = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the io::Error is kept");
        assert_eq!(cause.kind(), std::io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn an_error_of_ours_has_no_cause() {
        let e = Error::email("email.enabled is true but email.to is missing");
        assert_eq!(e.to_string(), "e-mail: email.enabled is true but email.to is missing");
        assert!(e.source().is_none());
    }

    #[test]
    fn a_driver_error_alone_is_the_history_message() {
        let e = Error::history_by("h.db", "", std::io::Error::other("database is locked"));
        assert_eq!(e.to_string(), "history h.db: database is locked");
        let e = Error::history("h.db", "written by a newer shopaudit (schema 99); upgrade shopaudit");
        assert_eq!(e.to_string(), "history h.db: written by a newer shopaudit (schema 99); upgrade shopaudit");
    }

    #[test]
    fn a_chain_says_each_part_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer: inner")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(chain(&e), "outer: inner");
    }
}
