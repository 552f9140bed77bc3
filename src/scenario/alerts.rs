//! `[alerts]` in portfolio.toml: where the agency is told when a store gets worse. Webhook URLs
//! are secrets (anyone holding one can post to the channel), so they come from a variable or
//! a file, as passwords do.

use std::path::Path;

use serde::Deserialize;

use super::{MailServer, Secret};

/// Readings in a row with the chat offline inside posted hours before an alert, by default.
pub const CHAT_OFFLINE_READINGS: usize = 3;

/// `[alerts]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Where `shopaudit serve` is reached ("https://audit.example/"), for the link in each
    /// alert; without it the link is the report file.
    pub base_url: Option<url::Url>,
    /// The variable holding an incoming-webhook URL (Slack, Mattermost).
    pub webhook_env: Option<String>,
    /// Or the file holding it.
    pub webhook_file: Option<String>,
    /// Who gets alerts by e-mail.
    #[serde(default)]
    pub email_to: Vec<String>,
    /// Whom alert e-mail comes from.
    pub email_from: Option<String>,
    /// The mail server alert e-mail goes through (the shape of `[shopper.smtp]`).
    pub smtp: Option<MailServer>,
    /// Readings in a row with the chat offline inside posted hours before an alert
    /// (default [`CHAT_OFFLINE_READINGS`]).
    pub chat_offline_readings: Option<usize>,
}

impl Alerts {
    /// What is missing or contradictory, said as a user fixes it.
    pub fn validate(&self) -> Result<(), String> {
        if self.webhook_env.is_some() && self.webhook_file.is_some() {
            return Err("[alerts]: give either webhook_env or webhook_file, not both".into());
        }
        if !self.email_to.is_empty() && (self.smtp.is_none() || self.email_from.is_none()) {
            return Err("[alerts]: email_to needs email_from and an [alerts.smtp] server".into());
        }
        if self.chat_offline_readings == Some(0) {
            return Err("[alerts]: chat_offline_readings must be 1 or more".into());
        }
        Ok(())
    }

    /// The store's page in `shopaudit serve`, when `base_url` says where that is.
    pub fn page_of(&self, store: &str) -> Option<String> {
        self.base_url.as_ref()?.join(&format!("stores/{store}")).ok().map(String::from)
    }

    /// The webhook's secret, if one is set.
    pub fn webhook(&self) -> Option<Secret> {
        match (&self.webhook_env, &self.webhook_file) {
            (Some(var), _) => Some(Secret::Env(var.clone())),
            (None, Some(file)) => Some(Secret::File(file.clone())),
            (None, None) => None,
        }
    }

    /// Files it names are relative to portfolio.toml's folder (a worker's `--secrets-dir`).
    pub fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut String| {
            if Path::new(p.as_str()).is_relative() {
                *p = base.join(p.as_str()).to_string_lossy().into_owned();
            }
        };
        if let Some(file) = &mut self.webhook_file {
            resolve(file);
        }
        if let Some(smtp) = &mut self.smtp {
            if let Some(ca) = &mut smtp.ca_file {
                resolve(ca);
            }
            if let Some(Secret::File(file)) = &mut smtp.password {
                resolve(file);
            }
        }
    }
}
