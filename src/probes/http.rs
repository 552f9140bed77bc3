//! The HTTP client every probe shares: a browser's User-Agent, cookies kept across the crawl,
//! a timeout on every request, a redirect limit that also catches loops, bodies read only up
//! to a byte cap, and a [`Reach`]: a store on the internet never makes the auditor fetch from
//! a loopback, private, link-local or cloud-metadata address, whether by a link, an image or
//! a redirect, and whether the address is written in the URL or a host name resolves to it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::Policy;
use url::{Host, Url};

use crate::error::{chain, Error, Result};
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

/// Which addresses the auditor may fetch from, decided by where the store itself is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The store is on the internet: only public addresses.
    Public,
    /// The store is on a loopback or private network itself (a test, the demo, an intranet
    /// store): its own kind of address is allowed too.
    Any,
}

impl Reach {
    /// The reach for a store that starts at `url`: [`Reach::Any`] only when the store's own
    /// host is, or resolves to, a non-public address. A host that does not resolve is held to
    /// [`Reach::Public`] (its crawl then fails on its own).
    pub async fn of(url: &Url) -> Reach {
        let port = url.port_or_known_default().unwrap_or(80);
        let addrs: Vec<IpAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(Host::Domain(name)) => match tokio::net::lookup_host((name, port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(_) => Vec::new(),
            },
            None => Vec::new(),
        };
        if addrs.iter().any(|ip| !is_public(*ip)) {
            Reach::Any
        } else {
            Reach::Public
        }
    }

    /// `Err` when `url` names an address this reach does not allow.
    pub fn allows(self, url: &Url) -> Result<(), Refused> {
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if self == Reach::Public && !is_public(ip) {
            return Err(Refused { host: ip.to_string(), ip });
        }
        Ok(())
    }
}

/// True for addresses on the internet; false for loopback, private (RFC 1918, unique local),
/// link-local (where cloud metadata services live), shared (CGNAT), "this network",
/// unspecified, broadcast and multicast addresses: none is a store's to send us to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// A store on the internet sent us (a link, an image, a redirect, a name that resolves) to an
/// address inside our network.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} is {ip}, a loopback, private or link-local address: a store on the internet is never followed there")]
pub struct Refused {
    /// The host as the store wrote it.
    pub host: String,
    /// The address it names or resolves to.
    pub ip: IpAddr,
}

/// Why a GET brought nothing back.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The address is one this reach refuses.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The request failed: DNS, connection, TLS, a timeout, a redirect refused or looping.
    #[error("{}", describe(.0))]
    Http(#[from] reqwest::Error),
}

/// Resolves host names as the system does, then keeps only public addresses: a store's link,
/// image or redirect to a name that resolves inside our network is refused.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.iter().copied().filter(|a| is_public(a.ip())).collect();
            match (public.is_empty(), found.first()) {
                (true, Some(first)) => Err(Refused { host, ip: first.ip() }.into()),
                _ => Ok(Box::new(public.into_iter()) as Addrs),
            }
        })
    }
}

/// The shared client: reqwest's, and the reach every request is held to.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    reach: Reach,
}

impl Client {
    /// A GET request for `url`, or why this reach refuses it.
    pub fn request(&self, url: &Url) -> Result<reqwest::RequestBuilder, Refused> {
        self.reach.allows(url)?;
        Ok(self.inner.get(url.clone()))
    }

    /// The addresses this client may fetch from.
    pub fn reach(&self) -> Reach {
        self.reach
    }
}

/// Builds the shared client from the scenario's `[crawl]` settings.
pub fn client(crawl: &Crawl, reach: Reach) -> Result<Client> {
    build(crawl, reach, redirect_policy(reach))
}

/// The same client settings, but redirects are returned rather than followed.
pub fn client_without_redirects(crawl: &Crawl, reach: Reach) -> Result<Client> {
    build(crawl, reach, Policy::none())
}

fn build(crawl: &Crawl, reach: Reach, redirects: Policy) -> Result<Client> {
    let mut b = builder(crawl)?.redirect(redirects);
    if reach == Reach::Public {
        b = b.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(Client { inner: b.build().map_err(|e| Error::client_by("cannot build it", e))?, reach })
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
            .map_err(|e| Error::client_by(format!("CA file {path} is not a PEM certificate"), e))?;
        b = b.add_root_certificate(cert);
    }
    Ok(b)
}

fn redirect_policy(reach: Reach) -> Policy {
    Policy::custom(move |attempt| {
        if let Err(why) = reach.allows(attempt.url()) {
            attempt.error(format!("redirect refused: {why}"))
        } else if attempt.previous().iter().any(|u| u == attempt.url()) {
            let url = attempt.url().to_string();
            attempt.error(format!("redirect loop back to {url}"))
        } else if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// GETs `url`, reading at most `cap` body bytes.
pub async fn get(client: &Client, url: &Url, cap: usize) -> Result<Fetched, FetchError> {
    let started = Instant::now();
    let mut response = client.request(url)?.send().await?;
    let final_url = response.url().clone();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internet_addresses_are_public() {
        let public = ["93.184.216.34", "8.8.8.8", "198.51.100.7", "2606:4700::1111", "::ffff:8.8.8.8"];
        let inside = [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ];
        for ip in public {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in inside {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_public_reach_refuses_addresses_written_in_the_url() {
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(Reach::Public.allows(&url("http://169.254.169.254/latest/meta-data/")).is_err());
        assert!(Reach::Public.allows(&url("http://[::1]:8080/")).is_err());
        assert!(Reach::Public.allows(&url("http://93.184.216.34/")).is_ok());
        assert!(Reach::Public.allows(&url("http://shop.example/")).is_ok(), "names are checked when resolved");
        assert!(Reach::Any.allows(&url("http://127.0.0.1:8080/")).is_ok());
    }

    #[tokio::test]
    async fn the_reach_follows_where_the_store_is() {
        assert_eq!(Reach::of(&Url::parse("http://127.0.0.1:8080/").unwrap()).await, Reach::Any);
        assert_eq!(Reach::of(&Url::parse("http://localhost:8080/").unwrap()).await, Reach::Any);
        assert_eq!(Reach::of(&Url::parse("http://10.0.0.5/").unwrap()).await, Reach::Any);
        assert_eq!(Reach::of(&Url::parse("https://93.184.216.34/").unwrap()).await, Reach::Public);
    }
}
