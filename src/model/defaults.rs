//! Defaults every layer agrees on: what a scenario leaves unsaid, and the thresholds a store
//! is held to. Public, so the CLI, the library and the docs say the same.

use std::time::Duration;

/// Pages fetched at most, unless the scenario says otherwise.
pub const MAX_PAGES: usize = 30;
/// Per-request timeout.
pub const CRAWL_TIMEOUT: Duration = Duration::from_secs(20);
/// Requests in flight at once (one host).
pub const CONCURRENCY: usize = 4;
/// Largest page body read.
pub const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;

/// The letter's answer deadline when the scenario names none.
pub const EMAIL_SLA: Duration = Duration::from_secs(24 * 3600);
/// The chat answer's deadline when the scenario names none.
pub const CHAT_SLA: Duration = Duration::from_secs(3 * 60);

/// Default least share of chat readings inside the posted hours that find it online.
pub const MIN_CHAT_ONLINE_SHARE: f64 = 0.9;
/// Default least share of letters answered within their deadline in business time.
pub const MIN_LETTERS_WITHIN_SLA_SHARE: f64 = 1.0;

/// The thresholds `hours.honored` holds a store to; kept in the report, so a report judged
/// again later (`shopaudit report`, `collect`) keeps its scenario's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// Least online share inside the posted hours.
    #[serde(rename = "min_chat_online_share")]
    pub chat_online: f64,
    /// Least share of letters answered within their deadline.
    #[serde(rename = "min_letters_within_sla_share")]
    pub letters_within_sla: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { chat_online: MIN_CHAT_ONLINE_SHARE, letters_within_sla: MIN_LETTERS_WITHIN_SLA_SHARE }
    }
}
