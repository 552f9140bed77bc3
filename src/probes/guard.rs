//! The browser's gate for a store on a public address: a forward proxy on 127.0.0.1 that
//! Chromium must send every connection through. It resolves each host itself at the moment of
//! connecting and connects only to public addresses, so no page, redirect, image, script or
//! frame of the store can make the browser reach loopback, private, link-local or metadata
//! addresses, whether written in the URL or behind a name (the crawl's HTTP client holds the
//! same line with [`super::http::Reach`]). Chromium resolves nothing itself while it uses a
//! proxy, so there is no second lookup to disagree with ours.
//!
//! HTTPS (and WebSocket over TLS) goes through `CONNECT` untouched; plain HTTP is forwarded one
//! request per connection (`Connection: close`), so a connection never carries requests for
//! two hosts.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::http::is_public;

/// The longest request head read from the browser.
const MAX_HEAD: usize = 64 * 1024;
/// Deadline for the browser's request head, the lookup, and the connection to the store.
const STEP: Duration = Duration::from_secs(15);

/// A running gate; stops when dropped.
#[derive(Debug)]
pub struct Guard {
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Guard {
    /// Listens on a free loopback port, serving on `runtime` (callable from a blocking thread).
    pub fn start(runtime: &tokio::runtime::Handle) -> std::io::Result<Guard> {
        let listener = StdListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let task = runtime.spawn(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
            while let Ok((browser, _)) = listener.accept().await {
                tokio::spawn(async move {
                    if let Err(e) = serve(browser).await {
                        tracing::debug!("browser gate: {e}");
                    }
                });
            }
        });
        Ok(Guard { address, task })
    }

    /// The value of Chromium's `--proxy-server`.
    pub fn proxy(&self) -> String {
        format!("http://{}", self.address)
    }
}

/// One connection from the browser: one CONNECT tunnel, or one plain-HTTP request.
async fn serve(mut browser: TcpStream) -> std::io::Result<()> {
    let (head, rest) = tokio::time::timeout(STEP, read_head(&mut browser)).await.map_err(timed_out)??;
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(&head), Ok(httparse::Status::Complete(_))) {
        return refuse(&mut browser, "400 Bad Request", "not an HTTP request").await;
    }
    let (method, target) = (request.method.unwrap_or_default(), request.path.unwrap_or_default());
    if method.eq_ignore_ascii_case("CONNECT") {
        let Some((host, port)) = target.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?))) else {
            return refuse(&mut browser, "400 Bad Request", "CONNECT needs host:port").await;
        };
        let mut store = match connect_public(host.trim_matches(['[', ']']), port).await {
            Ok(store) => store,
            Err(why) => return refuse(&mut browser, "403 Forbidden", &why).await,
        };
        browser.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
        store.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut browser, &mut store).await.map(drop)
    } else {
        let Ok(url) = url::Url::parse(target) else {
            return refuse(&mut browser, "400 Bad Request", "a proxy request names a whole URL").await;
        };
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return refuse(&mut browser, "400 Bad Request", "no host in the URL").await;
        };
        let mut store = match connect_public(host.trim_matches(['[', ']']), port).await {
            Ok(store) => store,
            Err(why) => return refuse(&mut browser, "403 Forbidden", &why).await,
        };
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
        let hop = ["connection", "proxy-connection", "keep-alive", "proxy-authorization"];
        for h in request.headers.iter().filter(|h| !hop.contains(&h.name.to_ascii_lowercase().as_str())) {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&rest);
        store.write_all(&out).await?;
        tokio::io::copy_bidirectional(&mut browser, &mut store).await.map(drop)
    }
}

/// The request head up to its blank line, and whatever the browser sent after it.
async fn read_head(browser: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "request head too long"));
        }
        let n = browser.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A connection to `host` at one of its public addresses, or why there is none.
async fn connect_public(host: &str, port: u16) -> Result<TcpStream, String> {
    let found = tokio::time::timeout(STEP, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| format!("{host}: no answer from DNS"))?
        .map_err(|e| format!("{host}: {e}"))?;
    let (public, private): (Vec<SocketAddr>, Vec<SocketAddr>) = found.partition(|a| is_public(a.ip()));
    if public.is_empty() {
        let what = private.first().map_or("no address".to_string(), |a| a.ip().to_string());
        return Err(format!(
            "{host} is {what}, not a public address: a store on the internet never leads the auditor there"
        ));
    }
    let mut last = String::new();
    for address in public {
        match tokio::time::timeout(STEP, TcpStream::connect(address)).await {
            Ok(Ok(store)) => return Ok(store),
            Ok(Err(e)) => last = format!("{address}: {e}"),
            Err(_) => last = format!("{address}: no answer within {} s", STEP.as_secs()),
        }
    }
    Err(last)
}

/// Answers the browser with an error of ours and ends the connection.
async fn refuse(browser: &mut TcpStream, status: &str, why: &str) -> std::io::Result<()> {
    let body = format!("shopaudit: {why}\n");
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    browser.write_all(answer.as_bytes()).await?;
    browser.shutdown().await
}

fn timed_out(_: tokio::time::error::Elapsed) -> std::io::Error {
    std::io::ErrorKind::TimedOut.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ask(guard: &Guard, request: &str) -> String {
        let mut c = TcpStream::connect(guard.address).await.unwrap();
        c.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer).await;
        answer
    }

    #[tokio::test]
    async fn loopback_private_and_metadata_addresses_are_refused_by_address_and_by_name() {
        let guard = Guard::start(&tokio::runtime::Handle::current()).unwrap();
        for target in ["127.0.0.1:9", "localhost:80", "10.1.2.3:443", "169.254.169.254:80", "[::1]:443"] {
            let answer = ask(&guard, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
            assert!(
                answer.starts_with("HTTP/1.1 403") && answer.contains("not a public address"),
                "{target}: {answer}"
            );
        }
        let answer = ask(&guard, "GET http://127.0.0.1:9/x HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        let answer = ask(&guard, "GET /relative HTTP/1.1\r\n\r\n").await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    }
}
