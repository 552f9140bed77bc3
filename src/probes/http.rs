//! The HTTP client every probe shares: a browser's User-Agent, cookies kept across the crawl,
//! a timeout on every request, a redirect limit that also catches loops, and bodies read
//! only up to a byte cap.

use std::time::{Duration, Instant};

use reqwest::redirect::Policy;
use url::Url;

use crate::error::{Error, Result};
use crate::scenario::Crawl;

/// A current desktop Chromium's User-Agent, so stores serve what a buyer sees.
pub const DEFAULT_USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// A response body, read up to the cap.
#[derive(Debug)]
pub struct Fetched {
    /// Where redirects ended.
    pub final_url: Url,
    /// HTTP status.
    pub status: u16,
    /// The Content-Type header.
    pub content_type: Option<String>,
    /// The bytes read.
    pub body: Vec<u8>,
    /// The body was longer than the cap.
    pub truncated: bool,
    /// Time to the end of the body (or the cap).
    pub elapsed: Duration,
}

/// Builds the shared client from the scenario's `[crawl]` settings.
pub fn client(crawl: &Crawl) -> Result<reqwest::Client> {
    builder(crawl)?.redirect(redirect_policy()).build().map_err(|e| Error::Client(chain(&e)))
}

/// The same client settings, but redirects are returned rather than followed.
pub fn client_without_redirects(crawl: &Crawl) -> Result<reqwest::Client> {
    builder(crawl)?.redirect(Policy::none()).build().map_err(|e| Error::Client(chain(&e)))
}

fn builder(crawl: &Crawl) -> Result<reqwest::ClientBuilder> {
    let mut b = reqwest::Client::builder()
        .user_agent(crawl.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT))
        .cookie_store(true)
        .timeout(crawl.timeout.0)
        .connect_timeout(crawl.timeout.0.min(Duration::from_secs(10)))
        .gzip(true)
        .brotli(true)
        .deflate(true);
    if let Some(path) = &crawl.ca_file {
        let pem = std::fs::read(path).map_err(|e| Error::io("cannot read CA file", path, e))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|e| Error::Client(format!("CA file {path} is not a PEM certificate: {}", chain(&e))))?;
        b = b.add_root_certificate(cert);
    }
    Ok(b)
}

fn redirect_policy() -> Policy {
    Policy::custom(|attempt| {
        if attempt.previous().iter().any(|u| u == attempt.url()) {
            let url = attempt.url().to_string();
            attempt.error(format!("redirect loop back to {url}"))
        } else if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// GETs `url`, reading at most `cap` body bytes. The error is a sentence saying why.
pub async fn get(client: &reqwest::Client, url: &Url, cap: usize) -> Result<Fetched, String> {
    let started = Instant::now();
    let mut response = client.get(url.clone()).send().await.map_err(|e| describe(&e))?;
    let final_url = response.url().clone();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        let room = cap.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { final_url, status, content_type, body, truncated, elapsed: started.elapsed() })
}

/// One sentence from a reqwest error and its causes ("timed out", "redirect loop ...",
/// "connection refused", the TLS library's complaint).
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let detail = chain(e);
    if e.is_redirect() {
        return detail.rsplit(": ").next().unwrap_or(&detail).to_string();
    }
    detail
}

/// The error and all its sources, joined, without repeats.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        // reqwest repeats the URL in the outer message; keep the informative tail.
        let text = text.split(" for url (").next().unwrap_or(&text).to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}
