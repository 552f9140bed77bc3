//! The agency's view on real parts: `shopaudit serve` over a history written through the
//! library, reached over HTTP on 127.0.0.1, and driven in real Chromium (at a phone's width).

mod common;

#[path = "common/web.rs"]
mod web;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use shopaudit::history::{History, Submitted, Unaudited};
use shopaudit::model::StoreKey;
use web::{client, sign_in};

const PASSWORD: &str = "correct horse battery staple";
const SHOPPER_EMAIL: &str = "anna.shopper@audit.test";

/// A `shopaudit serve` process, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["serve", "--db", &db.display().to_string(), "--listen", "127.0.0.1:0"])
        .env("SHOPAUDIT_PASSWORD", PASSWORD)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let url =
        line.split_whitespace().find(|w| w.starts_with("http://")).expect(&line).trim_end_matches('/').to_string();
    Server { child, url }
}

fn shopaudit(args: &[&str], db: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(args)
        .args(["--db", &db.display().to_string()])
        .env_remove("SHOPAUDIT_PASSWORD")
        .output()
        .unwrap()
}

/// A report of `store` from `day` days after 2026-11-01, failing `failing`.
fn report(
    store: &str,
    name: &str,
    run: &str,
    day: i64,
    score: u8,
    failing: &[&str],
    detail: &str,
) -> shopaudit::Report {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-01T09:00:00+00:00").unwrap() + chrono::Duration::days(day);
    let findings: Vec<serde_json::Value> = failing
        .iter()
        .map(|c| {
            serde_json::json!({"check": c, "outcome": "fail", "severity": "major",
                "title": format!("{c} fails"), "detail": detail, "evidence": []})
        })
        .collect();
    let mut report: shopaudit::Report = serde_json::from_value(serde_json::json!({
        "schema": "shopaudit/report/v1", "tool": {"name": "shopaudit", "version": "0"},
        "store": {"key": store, "name": name, "url": format!("http://127.0.0.1:9/{store}/"), "timezone": null},
        "run": {"id": run, "started_at": at, "finished_at": at, "probes": ["static"]},
        "pages": [], "evidence": shopaudit::model::Evidence::default(), "findings": findings,
        "summary": {"pass": 0, "fail": failing.len(), "warn": 0, "not_applicable": 0, "error": 0},
    }))
    .unwrap();
    report.summary.score = Some(score);
    report
}

/// Anna's store got worse (a regression), Boris's has a name that is markup, and Gone could
/// never be audited. Anna's scenario, with her shopper, is the fleet's.
async fn history(db: &Path) {
    let h = History::open(db).unwrap();
    h.record_run(&report("anna", "Anna's Shop", "a1", 0, 90, &[], ""), None).await.unwrap();
    let told = format!("the letter from Anna Petrova <{SHOPPER_EMAIL}> went unanswered");
    let mut latest = report("anna", "Anna's Shop", "a2", 1, 70, &["email.answered"], &told);
    latest.evidence.email_probes = vec![serde_json::from_value(serde_json::json!({
        "id": "delivery", "message_id": "<1@audit.test>", "to": "support@anna.test",
        "subject": "Delivery to Kazan?", "sent_at": "2026-11-01T10:00:00+00:00", "state": "answered",
        "first_response_ms": 7_200_000, "first_human_response_ms": 7_200_000, "business_hours": null,
        "first_response_business_ms": null, "first_human_response_business_ms": null, "server": null,
        "sla_ms": 86_400_000, "expect": [], "attempt": 1,
        "replies": [{"received_at": "2026-11-01T12:00:00+00:00", "from": "masha@anna.test", "kind": "human",
            "ticket": null, "signed_by": "Masha", "received_from": "127.0.0.1", "matched_by": "token",
            "why_auto": null, "missing": [], "only_link": false, "greets": true}],
    }))
    .unwrap()];
    h.record_run(&latest, None).await.unwrap();
    h.record_run(&report("boris", "<script>alert('x')</script> Boris", "b1", 1, 40, &["chat.present"], ""), None)
        .await
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-03T09:00:00+00:00").unwrap();
    h.record_unaudited(&Unaudited {
        store: StoreKey::new("gone"),
        at,
        error: "its start page answered HTTP 404".into(),
    })
    .await
    .unwrap();
    let text = format!(
        "[store]\nid = \"anna\"\nurl = \"http://127.0.0.1:9/anna/\"\n[shopper]\nname = \"Anna Petrova\"\nemail = \"{SHOPPER_EMAIL}\"\n"
    );
    let submitted = Submitted { store: StoreKey::new("anna"), file: "anna.toml".into(), text, at };
    h.submit(&[submitted], None, at).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_needs_a_sign_in_and_guessing_is_slowed_then_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    history(&db).await;
    let server = serve(&db);
    let c = client();
    for path in ["/", "/stores/anna", "/stores/anna/runs/a1", "/checks/email.answered"] {
        let r = c.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/login", "{path}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer");
        assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    }
    // A form without its token is refused, whatever the password.
    let forged = c.post(format!("{}/login", server.url)).form(&[("password", PASSWORD), ("csrf", "x")]).send().await;
    assert_eq!(forged.unwrap().status(), 403);
    let started = std::time::Instant::now();
    assert_eq!(sign_in(&c, &server.url, "guess").await.status(), 401);
    assert!(started.elapsed() >= Duration::from_secs(1), "a wrong password costs the guesser a second");
    for _ in 1..shopaudit::web::auth::FAILURES_ALLOWED {
        assert_eq!(sign_in(&c, &server.url, "guess").await.status(), 401);
    }
    let refused = sign_in(&c, &server.url, PASSWORD).await;
    assert_eq!(refused.status(), 429, "after five failures even the right password waits");
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(c.get(&server.url).send().await.unwrap().status(), 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portfolio_puts_what_got_worse_first_and_a_store_name_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    history(&db).await;
    let server = serve(&db);
    let c = client();
    let signed = sign_in(&c, &server.url, PASSWORD).await;
    assert_eq!(signed.status(), 303);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let page = c.get(&server.url).send().await.unwrap().text().await.unwrap();
    let (anna, gone, boris) =
        (page.find("Anna&#x27;s Shop").unwrap(), page.find(">gone<").unwrap(), page.find("Boris").unwrap());
    assert!(anna < gone && gone < boris, "the regression, then the store that could not be audited, then by score");
    assert!(page.contains("could not be audited") && page.contains("its start page answered HTTP 404"));
    assert!(page.contains("email.answered"), "the regression is named");
    assert!(page.contains("-20"), "the change since the audit before");
    assert!(!page.contains("<script>alert"), "a store's words never become markup");
    assert!(page.contains("&lt;script&gt;alert"));
    assert!(page.contains("54%") && page.contains("88.9%"), "the published study beside the agency's figures");

    let store = c.get(format!("{}/stores/anna", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(store.contains("anna/runs/a1\"") && store.contains("anna/runs/a2\""), "every report");
    assert_eq!(store.matches("<circle").count(), 3, "a dot per audit on the score chart, one per letter");
    assert!(store.contains("Delivery to Kazan?") && store.contains("masha@anna.test"), "the agency reads its letters");
    let past = c.get(format!("{}/stores/anna/runs/a1", server.url)).send().await.unwrap();
    assert_eq!(past.status(), 200);
    assert!(past.text().await.unwrap().contains("Anna&#x27;s Shop"));
    let check = c.get(format!("{}/checks/email.answered", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(check.contains("/stores/anna") && !check.contains("/stores/boris"), "only the stores failing it");
    assert!(check.contains("2026-11-02"), "since when");
    assert_eq!(c.get(format!("{}/checks/no.such", server.url)).send().await.unwrap().status(), 404);
    assert_eq!(c.get(format!("{}/stores/nobody", server.url)).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_link_shows_its_store_and_nothing_else_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    history(&db).await;
    let server = serve(&db);
    let shared = shopaudit(&["share", "anna", "--base-url", &server.url], &db);
    assert!(shared.status.success(), "{}", String::from_utf8_lossy(&shared.stderr));
    let link = String::from_utf8(shared.stdout).unwrap().trim().to_string();
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 43, "at least 256 random bits: {link}");
    let stored: Vec<String> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = conn.prepare("SELECT hash FROM shares").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(!stored.iter().any(|h| h.contains(token)), "links are stored hashed");
    let c = client();
    let page = c.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Anna&#x27;s Shop") && !page.contains("Boris"));
    assert!(!page.contains("Sign out"), "a client is not signed in");
    assert!(page.contains("delivery") && page.contains("2.0 h"), "a letter's outcome and time");
    assert!(!page.contains("Kazan") && !page.contains("masha@"), "never the letters' words or addresses");
    let run = c.get(format!("{link}/runs/a2")).send().await.unwrap().text().await.unwrap();
    assert!(run.contains("went unanswered"), "{run}");
    assert!(!run.contains(SHOPPER_EMAIL) && !run.contains("Anna Petrova"), "the shopper stays unknown: {run}");
    for other in [format!("{link}/runs/b1"), format!("{link}/runs/nope")] {
        assert_eq!(c.get(&other).send().await.unwrap().status(), 404, "{other}");
    }
    for agency in ["/", "/stores/boris", "/stores/anna"] {
        assert_eq!(c.get(format!("{}{agency}", server.url)).send().await.unwrap().status(), 303, "{agency}");
    }
    let unknown = shopaudit(&["share", "nobody"], &db);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("anna"), "the stores it has are named");
    let revoked = shopaudit(&["share", "anna", "--revoke"], &db);
    assert!(String::from_utf8_lossy(&revoked.stdout).contains("1 link(s)"));
    assert_eq!(c.get(&link).send().await.unwrap().status(), 404);
}

#[test]
fn serve_listens_beyond_loopback_only_behind_tls_and_needs_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let open = Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["serve", "--db", &db.display().to_string(), "--listen", "0.0.0.0:0"])
        .env("SHOPAUDIT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(open.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&open.stderr).contains("--behind-tls-proxy"));
    let none = shopaudit(&["serve", "--listen", "127.0.0.1:0"], &db);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("SHOPAUDIT_PASSWORD"));
    let file = dir.path().join("missing-password");
    let missing = shopaudit(&["serve", "--listen", "127.0.0.1:0", "--password-file", &file.display().to_string()], &db);
    assert_eq!(missing.status.code(), Some(3), "{}", String::from_utf8_lossy(&missing.stderr));
}

/// In real Chromium at a phone's width: sign in through the form, then the portfolio and a
/// store page render their figures and charts without the page growing sideways.
#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_signs_in_and_renders_in_chromium_at_a_phones_width() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    history(&db).await;
    let server = serve(&db);
    let url = server.url.clone();
    let chromium = common::chromium();
    let seen = tokio::task::spawn_blocking(move || {
        let tab = chromium.browser().new_tab().unwrap();
        shopaudit::probes::browser::emulate(&tab, shopaudit::model::Viewport::Mobile).unwrap();
        tab.navigate_to(&format!("{url}/stores/anna")).unwrap().wait_until_navigated().unwrap();
        let login = tab.get_url();
        tab.wait_for_element("input[name=password]").unwrap().click().unwrap();
        tab.type_str(PASSWORD).unwrap().press_key("Enter").unwrap();
        tab.wait_for_element("table.league").unwrap();
        let facts = |tab: &headless_chrome::Tab| -> serde_json::Value {
            let v = tab
                .evaluate(
                    r#"JSON.stringify({
                        rows: [...document.querySelectorAll("table.league tbody tr")].map(r => r.cells[0].innerText.split("\n")[0]),
                        svgs: document.querySelectorAll("svg").length,
                        wide: document.documentElement.scrollWidth,
                        h1: document.querySelector("h1").innerText,
                    })"#,
                    false,
                )
                .unwrap()
                .value
                .unwrap();
            serde_json::from_str(v.as_str().unwrap()).unwrap()
        };
        let portfolio = facts(&tab);
        let shot = |tab: &headless_chrome::Tab| {
            tab.capture_screenshot(headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png, None, None, true)
                .unwrap()
        };
        let portfolio_png = shot(&tab);
        tab.navigate_to(&format!("{url}/stores/anna")).unwrap().wait_until_navigated().unwrap();
        let store = facts(&tab);
        let store_png = shot(&tab);
        tab.navigate_to(&format!("{url}/checks/email.answered")).unwrap().wait_until_navigated().unwrap();
        let check = facts(&tab);
        (login, portfolio, store, check, portfolio_png, store_png)
    })
    .await
    .unwrap();
    let (login, portfolio, store, check, portfolio_png, store_png) = seen;
    assert!(login.ends_with("/login"), "{login}");
    assert_eq!(portfolio["rows"], serde_json::json!(["Anna's Shop", "gone", "<script>alert('x')</script> Boris"]));
    assert!(portfolio["svgs"].as_u64().unwrap() >= 1, "the trend is drawn: {portfolio}");
    assert_eq!(store["h1"], "Anna's Shop");
    assert!(store["svgs"].as_u64().unwrap() >= 1, "{store}");
    assert!(check["h1"].as_str().unwrap().starts_with("email.answered"), "{check}");
    for page in [&portfolio, &store, &check] {
        assert!(page["wide"].as_u64().unwrap() <= 390, "nothing wider than the phone: {page}");
    }
    // Kept for people to look at.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::write(target.join("dashboard-portfolio.png"), &portfolio_png).unwrap();
    std::fs::write(target.join("dashboard-store.png"), &store_png).unwrap();
}
