//! `shopaudit serve`: the agency's live view over the history (SQLite or PostgreSQL), rendered
//! on the server, self-contained (no script at all, charts as inline SVG, styles served from
//! here), working on a phone.
//!
//! - `/` every store, `/stores/<key>` one store, `/stores/<key>/runs/<id>` any past report,
//!   `/checks/<id>` the stores failing a check: for the agency, signed in at `/login`.
//! - `/c/<token>` a client's read-only view of one store (links from `shopaudit share`); any
//!   other page answers 404 to it, and it never shows who the shopper is.
//!
//! Every answer carries `Referrer-Policy: no-referrer` (pages link out to stores and client
//! links hold their token) and a Content-Security-Policy that allows no script.

pub mod auth;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use minijinja::{context, Environment};

use crate::error::{Error, Result};
use crate::history::History;
use crate::model::StoreKey;
use auth::{Gate, Password, CSRF_COOKIE, SESSION_COOKIE};

const STYLE: &str = concat!(include_str!("../../reports/report.css"), include_str!("../../reports/web/web.css"));

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../reports/web/base.html.j2")),
    ("login.html", include_str!("../../reports/web/login.html.j2")),
    ("portfolio.html", include_str!("../../reports/web/portfolio.html.j2")),
    ("store.html", include_str!("../../reports/web/store.html.j2")),
    ("check.html", include_str!("../../reports/web/check.html.j2")),
    ("run.html", include_str!("../../reports/web/run.html.j2")),
];

/// The policy every page is served under: nothing runs, nothing is fetched from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// How the view is served.
pub struct Settings {
    /// The history it shows.
    pub history: History,
    /// The agency's sign-in password, hashed.
    pub password: Password,
    /// Cookies only over HTTPS: a proxy in front terminates TLS.
    pub secure_cookies: bool,
}

struct App {
    history: History,
    password: Password,
    secure: bool,
    gate: Gate,
    pages: Environment<'static>,
}

/// The application, ready to serve (with the peer's address: `into_make_service_with_connect_info`).
pub fn router(settings: Settings) -> Result<Router> {
    let mut pages = Environment::new();
    pages.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    pages.add_filter("percent", crate::model::time::maybe_percent);
    pages.add_filter("duration", crate::model::time::maybe_duration);
    pages.add_filter("when", |at: Option<String>| {
        at.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map_or_else(|| "—".to_string(), |t| crate::model::time::local_time(t, None))
    });
    for (name, text) in TEMPLATES {
        pages
            .add_template(name, text)
            .map_err(|e| Error::Bundled { file: "reports/web", message: format!("{name}: {e:#}") })?;
    }
    let app = Arc::new(App {
        history: settings.history,
        password: settings.password,
        secure: settings.secure_cookies,
        gate: Gate::default(),
        pages,
    });
    Ok(Router::new()
        .route("/style.css", get(style))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/", get(portfolio))
        .route("/stores/{key}", get(store))
        .route("/stores/{key}/runs/{id}", get(agency_run))
        .route("/checks/{id}", get(check))
        .route("/c/{token}", get(client_store))
        .route("/c/{token}/runs/{id}", get(client_run))
        .fallback(|| async { not_found() })
        .layer(axum::middleware::map_response(guard_headers))
        .with_state(app))
}

async fn guard_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

type Shared = State<Arc<App>>;

/// What a page needs besides its own data.
struct Frame<'a> {
    /// The agency's session, when signed in.
    session: Option<&'a auth::Session>,
    /// A client's view.
    client: bool,
    /// Where "home" is: `/` or the client's link.
    home: String,
}

impl App {
    fn render(&self, name: &str, frame: &Frame<'_>, data: minijinja::Value) -> Response {
        let page = self.pages.get_template(name).and_then(|t| {
            t.render(context! {
                signed_in => frame.session.is_some(),
                csrf => frame.session.map(|s| s.csrf.clone()),
                client => frame.client,
                home => frame.home.clone(),
                now => Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
                ..data
            })
        });
        match page {
            Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            Err(e) => failed(&Error::Bundled { file: "reports/web", message: format!("{name}: {e:#}") }),
        }
    }

    fn cookie(&self, name: &str, value: &str, max_age: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
    }

    /// The agency's session, if the request has one.
    fn session(&self, headers: &HeaderMap) -> Option<auth::Session> {
        cookie(headers, SESSION_COOKIE).and_then(|token| self.gate.session(&token))
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "404 not found\n").into_response()
}

/// A failure inside: logged in full, said briefly (the history's message may name paths).
fn failed(e: &Error) -> Response {
    tracing::error!("serve: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "500: the history could not be read; see the server's log\n").into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

async fn login_page(State(app): Shared, headers: HeaderMap) -> Response {
    if app.session(&headers).is_some() {
        return Redirect::to("/").into_response();
    }
    login_form(&app, StatusCode::OK, None)
}

/// The sign-in form with a fresh CSRF token in its cookie and its field.
fn login_form(app: &App, status: StatusCode, message: Option<&str>) -> Response {
    let csrf = match auth::random_token(32) {
        Ok(token) => token,
        Err(e) => return failed(&e),
    };
    let frame = Frame { session: None, client: false, home: "/".into() };
    let mut response = app.render("login.html", &frame, context! { form_csrf => csrf.clone(), message });
    *response.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&app.cookie(CSRF_COOKIE, &csrf, 3600)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[derive(serde::Deserialize)]
struct SignIn {
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(app): Shared,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    if !cookie(&headers, CSRF_COOKIE).is_some_and(|c| !c.is_empty() && auth::same(&c, &form.csrf)) {
        return login_form(&app, StatusCode::FORBIDDEN, Some("The form expired; sign in again."));
    }
    if let Some(wait) = app.gate.wait(peer.ip()) {
        let mut response = login_form(&app, StatusCode::TOO_MANY_REQUESTS, Some("Too many failed sign-ins; wait."));
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    let checked = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || app.password.verify(&form.password)).await.unwrap_or(false)
    };
    if !checked {
        app.gate.failed(peer.ip());
        // Each wrong password costs the guesser a second on top of the hash.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        return login_form(&app, StatusCode::UNAUTHORIZED, Some("Wrong password."));
    }
    match app.gate.open() {
        Ok((token, _)) => {
            let mut response = Redirect::to("/").into_response();
            let max_age = auth::SESSION_LIFETIME.as_secs();
            for c in [app.cookie(SESSION_COOKIE, &token, max_age), app.cookie(CSRF_COOKIE, "", 0)] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(e) => failed(&e),
    }
}

#[derive(serde::Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(app): Shared, headers: HeaderMap, Form(form): Form<Csrf>) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else { return Redirect::to("/login").into_response() };
    match app.gate.session(&token) {
        Some(s) if auth::same(&s.csrf, &form.csrf) => {
            app.gate.close(&token);
            let mut response = Redirect::to("/login").into_response();
            if let Ok(v) = HeaderValue::from_str(&app.cookie(SESSION_COOKIE, "", 0)) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        _ => (StatusCode::FORBIDDEN, "403: the form expired\n").into_response(),
    }
}

/// The agency's session, or the way to sign in.
macro_rules! signed_in {
    ($app:expr, $headers:expr) => {
        match $app.session(&$headers) {
            Some(session) => session,
            None => return Redirect::to("/login").into_response(),
        }
    };
}

async fn portfolio(State(app): Shared, headers: HeaderMap) -> Response {
    let session = signed_in!(app, headers);
    match views::portfolio(&app.history, Utc::now()).await {
        Ok(p) => app.render(
            "portfolio.html",
            &Frame { session: Some(&session), client: false, home: "/".into() },
            context! { p },
        ),
        Err(e) => failed(&e),
    }
}

async fn store(State(app): Shared, headers: HeaderMap, Path(key): Path<String>) -> Response {
    let session = signed_in!(app, headers);
    let frame = Frame { session: Some(&session), client: false, home: "/".into() };
    store_page(&app, &frame, &StoreKey::new(key.clone()), format!("/stores/{}", encode(&key))).await
}

async fn store_page(app: &App, frame: &Frame<'_>, key: &StoreKey, base: String) -> Response {
    match views::store(&app.history, key, frame.client, Utc::now()).await {
        Ok(Some(s)) => app.render("store.html", frame, context! { s, base }),
        Ok(None) => not_found(),
        Err(e) => failed(&e),
    }
}

async fn agency_run(State(app): Shared, headers: HeaderMap, Path((key, id)): Path<(String, String)>) -> Response {
    let _session = signed_in!(app, headers);
    match app.history.run(&StoreKey::new(key), &id).await {
        Ok(Some(report)) => match crate::report::Format::Html.render(&report) {
            Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            Err(e) => failed(&e),
        },
        Ok(None) => not_found(),
        Err(e) => failed(&e),
    }
}

async fn check(State(app): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let session = signed_in!(app, headers);
    let Some(found) = crate::checks::find(&id) else { return not_found() };
    match views::check(&app.history, &id).await {
        Ok(failing) => app.render(
            "check.html",
            &Frame { session: Some(&session), client: false, home: "/".into() },
            context! { id, title => found.failure_title, why => found.description, failing },
        ),
        Err(e) => failed(&e),
    }
}

/// The store a client's link opens; none for an unknown or revoked link.
async fn shared_store(app: &App, token: &str) -> Result<Option<StoreKey>> {
    app.history.shared(&auth::token_hash(token)).await
}

async fn client_store(State(app): Shared, Path(token): Path<String>) -> Response {
    match shared_store(&app, &token).await {
        Ok(Some(key)) => {
            let base = format!("/c/{}", encode(&token));
            let frame = Frame { session: None, client: true, home: base.clone() };
            store_page(&app, &frame, &key, base).await
        }
        Ok(None) => not_found(),
        Err(e) => failed(&e),
    }
}

async fn client_run(State(app): Shared, Path((token, id)): Path<(String, String)>) -> Response {
    let key = match shared_store(&app, &token).await {
        Ok(Some(key)) => key,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    let report = match app.history.run(&key, &id).await {
        Ok(Some(report)) => report,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    let shopper = match shopper_of(&app.history, &key).await {
        Ok(who) => who,
        Err(e) => return failed(&e),
    };
    let base = format!("/c/{}", encode(&token));
    let frame = Frame { session: None, client: true, home: base.clone() };
    app.render(
        "run.html",
        &frame,
        context! {
            name => report.store.name.clone(),
            at => report.run.started_at,
            score => report.summary.score,
            findings => views::for_client(&report, &shopper),
            base,
        },
    )
}

/// The shopper's name and address for a store, when the fleet holds its scenario: words a
/// client must never read.
async fn shopper_of(history: &History, key: &StoreKey) -> Result<Vec<String>> {
    let (submitted, _) = history.submitted().await?;
    Ok(submitted
        .iter()
        .filter(|s| &s.store == key)
        .filter_map(|s| crate::Scenario::parse(&s.text, std::path::Path::new(&s.file)).ok())
        .filter_map(|s| s.shopper)
        .flat_map(|s| [s.email, s.name])
        .collect())
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Serves until `stop` resolves, on `listener`.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let at = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(stop)
        .await
        .map_err(|e| Error::io("cannot serve on", at, e))
}
