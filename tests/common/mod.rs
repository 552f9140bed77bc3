//! Fixture stores for integration tests: files under tests/fixtures/<store>/ served over real
//! HTTP on 127.0.0.1, plus routes every store shares for the hard cases (a redirect loop, a
//! page slower than the crawl timeout, a page of several MB).

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

pub fn fixture_dir(store: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(store)
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
        .fallback(move |uri: Uri| {
            let dir = dir.clone();
            async move {
                let mut path = uri.path().trim_start_matches('/').to_string();
                if path.is_empty() || path.ends_with('/') {
                    path.push_str("index.html");
                }
                if path.split('/').any(|seg| seg == "..") {
                    return StatusCode::BAD_REQUEST.into_response();
                }
                match tokio::fs::read(dir.join(&path)).await {
                    Ok(bytes) => ([(header::CONTENT_TYPE, serve::content_type(&path))], bytes)
                        .into_response(),
                    Err(_) => StatusCode::NOT_FOUND.into_response(),
                }
            }
        });
    serve::serve(router, 0)
        .await
        .expect("fixture server starts")
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
    let mut scenario = Scenario::for_url(WebUrl(served.url.clone()));
    tweak(&mut scenario);
    shopaudit::audit(&scenario, &shopaudit::Quiet)
        .await
        .expect("audit runs")
}

/// The outcome of one check.
pub fn outcome(report: &Report, check: &str) -> Outcome {
    report
        .findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no finding for {check}"))
        .outcome
}
