//! Fixture stores for integration tests: files under tests/fixtures/<store>/ served over real
//! HTTP (or HTTPS with a throwaway CA) on 127.0.0.1, plus routes every store shares for the
//! hard cases (a redirect loop, a page slower than the crawl timeout, a page of several MB).

#![allow(dead_code)] // each test binary uses a different part

use std::path::PathBuf;
use std::time::Duration;

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use shopaudit::scenario::{Scenario, WebUrl};
use shopaudit::serve::{self, Served};
use shopaudit::{Outcome, Report};

/// The system's Chromium, confined to loopback, for tests that look at pages as people do.
pub fn chromium() -> std::sync::Arc<shopaudit::probes::browser::Chromium> {
    let path = shopaudit::probes::browser::find(None).expect("Chromium is installed by scripts/setup");
    std::sync::Arc::new(
        shopaudit::probes::browser::Chromium::launch(&path, shopaudit::probes::browser::Confinement::LoopbackOnly)
            .unwrap(),
    )
}

pub fn fixture_dir(store: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(store)
}

/// Serves a fixture store on a free loopback port.
pub async fn serve_store(store: &str) -> Served {
    let dir = fixture_dir(store);
    assert!(dir.is_dir(), "no fixture store {store}");
    let router = Router::new()
        .route("/loop-a", get(|| async { Redirect::temporary("/loop-b") }))
        .route("/loop-b", get(|| async { Redirect::temporary("/loop-a") }))
        .route(
            "/slow.html",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                html("<p>finally</p>".into())
            }),
        )
        .route("/huge.html", get(|| async { html(huge_page()) }))
        .merge(files_router(dir));
    serve::serve(router, 0).await.expect("fixture server starts")
}

/// Serves the files of `dir`; `/` and folders serve `index.html`.
pub fn files_router(dir: PathBuf) -> Router {
    Router::new().fallback(move |uri: Uri| {
        let dir = dir.clone();
        async move {
            let mut path = uri.path().trim_start_matches('/').to_string();
            if path.is_empty() || path.ends_with('/') {
                path.push_str("index.html");
            }
            if path.split('/').any(|seg| seg == "..") {
                return StatusCode::BAD_REQUEST.into_response();
            }
            // The emulated chat widgets live with the demo store; every fixture can load them.
            let root = if path.starts_with("emulated/") {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo-store")
            } else {
                dir.clone()
            };
            match tokio::fs::read(root.join(&path)).await {
                Ok(bytes) => ([(header::CONTENT_TYPE, serve::content_type(&path))], bytes).into_response(),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        }
    })
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// About 6 MB: more than the default 5 MiB page cap.
fn huge_page() -> String {
    let mut s = String::from("<!doctype html><html><body><p>huge-contacts@broken.example</p>");
    while s.len() < 6 * 1024 * 1024 {
        s.push_str("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n");
    }
    s.push_str("<p>tail@broken.example</p></body></html>");
    s
}

/// Audits a fixture store through the library, after `tweak` adjusts the scenario.
pub async fn audit_store(store: &str, tweak: impl FnOnce(&mut Scenario)) -> Report {
    let served = serve_store(store).await;
    audit_store_at(served.url.clone(), tweak).await
}

/// Audits the store at `url` (static probe only, unless `tweak` turns the browser on).
pub async fn audit_store_at(url: url::Url, tweak: impl FnOnce(&mut Scenario)) -> Report {
    let mut scenario = Scenario::for_url(WebUrl(url));
    scenario.browser.enabled = false;
    tweak(&mut scenario);
    shopaudit::audit(&scenario, &shopaudit::Quiet).await.expect("audit runs")
}

/// Audits one page of the `browser` fixture store in real Chromium: that page is the start
/// page, watched for `observe_secs`, in the given viewports.
pub async fn browse(page: &str, viewports: &[shopaudit::model::Viewport], observe_secs: u64) -> Report {
    let served = serve_store("browser").await;
    let url = served.url.join(page).unwrap();
    let viewports = viewports.to_vec();
    audit_store_at(url, move |s| {
        s.store.name = Some("Good Shop".into());
        s.crawl.max_pages = 1;
        s.browser.enabled = true;
        s.browser.required = true;
        s.browser.loopback_only = true;
        s.browser.viewports = viewports;
        s.browser.observe = shopaudit::scenario::Span(Duration::from_secs(observe_secs));
    })
    .await
}

/// The detail of one check's finding.
pub fn detail(report: &Report, check: &str) -> String {
    report.findings.iter().find(|f| f.check == check).map(|f| f.detail.clone()).unwrap_or_default()
}

/// The outcome of one check.
pub fn outcome(report: &Report, check: &str) -> Outcome {
    report.findings.iter().find(|f| f.check == check).unwrap_or_else(|| panic!("no finding for {check}")).outcome
}

/// A store served over HTTPS with a certificate from a throwaway CA, and a plain-HTTP twin
/// that redirects to it. Returns the HTTP URL, the HTTPS URL, the CA's PEM file, and the
/// guards that keep both servers and the temp dir alive.
pub struct TlsStore {
    pub http_url: url::Url,
    pub https_url: url::Url,
    pub ca_file: PathBuf,
    _dir: tempfile::TempDir,
    _http: Served,
    _https: axum_server::Handle,
}

pub async fn serve_tls_store(store: &str) -> TlsStore {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "shopaudit test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
        )
        .unwrap();
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(std::sync::Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let https_port = listener.local_addr().unwrap().port();
    let handle = axum_server::Handle::new();
    let router = files_router(fixture_dir(store));
    let server = axum_server::from_tcp_rustls(listener, tls).handle(handle.clone());
    tokio::spawn(async move { server.serve(router.into_make_service()).await });
    let https_url = url::Url::parse(&format!("https://localhost:{https_port}/")).unwrap();
    let target = https_url.clone();
    let redirect = Router::new().fallback(move |uri: Uri| {
        let to = target.join(uri.path().trim_start_matches('/')).unwrap();
        async move { Redirect::permanent(to.as_str()) }
    });
    let http = serve::serve(redirect, 0).await.unwrap();
    TlsStore { http_url: http.url.clone(), https_url, ca_file, _dir: dir, _http: http, _https: handle }
}
