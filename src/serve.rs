//! A small static HTTP server on 127.0.0.1 for the demo store and the benchmark (and the
//! tests' fixture stores): real sockets, real HTTP, nothing mocked.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{header, Response, StatusCode, Uri};
use axum::Router;
use include_dir::Dir;
use tokio::sync::oneshot;
use url::Url;

use crate::error::{Error, Result};

/// A running server; stops when dropped.
pub struct Served {
    /// `http://127.0.0.1:PORT/`
    pub url: Url,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `router` on a free loopback port (or `port` if given).
pub async fn serve(router: Router, port: u16) -> Result<Served> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let local = listener.local_addr().map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    let url = Url::parse(&format!("http://{local}/")).map_err(|e| Error::Usage(e.to_string()))?;
    Ok(Served { url, stop: Some(stop) })
}

/// A router that serves the files of an embedded folder; `/` and folders serve `index.html`.
pub fn embedded(dir: &'static Dir<'static>) -> Router {
    Router::new().fallback(move |uri: Uri| async move {
        let mut path = uri.path().trim_start_matches('/').to_string();
        if path.is_empty() || path.ends_with('/') {
            path.push_str("index.html");
        }
        match dir.get_file(&path) {
            Some(file) => respond(StatusCode::OK, content_type(&path), file.contents().to_vec()),
            None => respond(StatusCode::NOT_FOUND, "text/html; charset=utf-8", b"<h1>Not found</h1>".to_vec()),
        }
    })
}

/// A response with a body and content type.
pub fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// The Content-Type for a file name (`mime_guess`). HTML is sent without a charset, like a
/// bare static server, so pages must say their own (which is what the charset detection is for).
pub fn content_type(path: &str) -> &'static str {
    mime_guess::from_path(path).first_raw().unwrap_or("application/octet-stream")
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_goes_without_a_charset_and_the_unknown_as_bytes() {
        assert_eq!(super::content_type("shop/index.HTML"), "text/html");
        assert_eq!(super::content_type("team.jpg"), "image/jpeg");
        assert_eq!(super::content_type("README"), "application/octet-stream");
    }
}
