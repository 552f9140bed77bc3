//! The library's errors. Each says what went wrong, where, and why, in one sentence a store
//! owner can act on; the CLI maps them to exit codes.

use std::path::PathBuf;

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
    #[error("browser: {0}")]
    Browser(String),

    /// The history database could not be opened or written.
    #[error("history {path}: {message}")]
    History {
        /// The SQLite file.
        path: PathBuf,
        /// SQLite's complaint.
        message: String,
    },

    /// Sending the shopper's letters could not even start (bad mail server settings, no
    /// password).
    #[error("e-mail: {0}")]
    Email(String),

    /// The shopper's mailbox could not be read this time (connection, TLS, login, a server
    /// that stalls); the next run reads it again and nothing is lost.
    #[error("mailbox: {0}")]
    Mailbox(String),

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
    #[error("HTTP client: {0}")]
    Client(String),

    /// Another `shopaudit run` holds the output folder's lock.
    #[error("{0}")]
    Locked(String),
}

impl Error {
    /// An I/O error on `path` while doing `action`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { action, path: path.into(), source }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
