//! The HTML report as a store owner sees it: the demo store is audited (browser included), its
//! report.html is opened in real Chromium, and the rendered page must show the headline, what
//! to fix first, and the browser's screenshots — loaded, not broken — without fetching anything.

mod common;

use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_report_shows_the_owner_what_the_browser_saw() {
    let store = shopaudit::demo::start(0).await.unwrap();
    let mut scenario = shopaudit::demo::scenario(&store).unwrap();
    scenario.browser.observe = shopaudit::scenario::Span(Duration::from_secs(4));
    let dir = tempfile::tempdir().unwrap();
    // The demo talks to its chat, so it keeps a history: the test's own, not the user's.
    let options =
        shopaudit::Options { db: Some(dir.path().join("history.sqlite").into()), ..shopaudit::Options::send() };
    let report = shopaudit::audit_with(&scenario, &options, &shopaudit::Quiet).await.unwrap();
    shopaudit::report::write(&report, dir.path(), &[shopaudit::report::Format::Html]).unwrap();
    let file = url::Url::from_file_path(dir.path().join("report.html")).unwrap().to_string();

    let chromium = common::chromium();
    let seen = tokio::task::spawn_blocking(move || {
        let tab = chromium.browser().new_tab().unwrap();
        tab.navigate_to(&file).unwrap();
        tab.wait_until_navigated().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let facts = tab
            .evaluate(
                r#"JSON.stringify({
                    h1: document.querySelector("h1").innerText,
                    fixFirst: [...document.querySelectorAll("h2")].some(h => h.innerText === "What to fix first"),
                    firstCard: document.querySelector("section.card h3").innerText,
                    shots: [...document.querySelectorAll(".shot img")].map(i => i.complete && i.naturalWidth > 100),
                    badShots: document.querySelectorAll(".shot.bad").length,
                    photos: [...document.querySelectorAll(".photo img")].map(i => i.complete && i.naturalWidth > 0),
                    talk: [...document.querySelectorAll("ul.talk li")].map(l => l.className),
                    fetched: performance.getEntriesByType("resource").map(r => r.name).filter(n => !n.startsWith("data:")),
                    height: document.body.scrollHeight,
                })"#,
                false,
            )
            .unwrap()
            .value
            .unwrap();
        let png = tab
            .capture_screenshot(headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .unwrap();
        (serde_json::from_str::<serde_json::Value>(facts.as_str().unwrap()).unwrap(), png)
    })
    .await
    .unwrap();
    let (facts, png) = seen;
    assert_eq!(facts["h1"], "Demo Sneakers");
    assert_eq!(facts["fixFirst"], true);
    assert_eq!(facts["firstCard"], "The store is not secured with HTTPS", "the worst first");
    let shots = facts["shots"].as_array().unwrap();
    assert!(shots.len() >= 3 && shots.iter().all(|s| s == true), "every screenshot renders: {facts}");
    assert!(facts["badShots"].as_u64().unwrap() >= 2, "the ambushed pages are marked: {facts}");
    assert!(facts["photos"].as_array().unwrap().iter().all(|p| p == true), "staff photos render: {facts}");
    assert_eq!(facts["fetched"], serde_json::json!([]), "a self-contained report fetches nothing");
    assert!(facts["height"].as_u64().unwrap() > 2000);
    // The demo's chat answers on the delivery page (a scripted operator in its emulated jivo,
    // worked with no selectors), and the report shows the conversation.
    let talk = &report.evidence.chat.conversations[0];
    assert_eq!(talk.outcome.as_str(), "answered", "{:?}", talk.error);
    assert!(talk.typing_seen, "the widget's \"typing…\" was seen");
    assert_eq!(talk.operator_name.as_deref(), Some("Kitty"));
    assert_eq!(facts["talk"], serde_json::json!(["operator greeting", "shopper question", "operator human"]));
    // Kept for people to look at: target/report-screenshot.png.
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/report-screenshot.png");
    std::fs::write(target, &png).unwrap();
    assert!(png.len() > 50_000, "a rendered page, not a blank one");
}
