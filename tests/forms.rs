//! The contact-form probe in real Chromium against fixture stores on loopback, with a scripted
//! store back-end that answers each submission by e-mail through the mail lab (real SMTP and
//! IMAP): a plain form, a form validated by script, a form in a modal behind a button, a form
//! in a help desk's frame of another origin, a CAPTCHA, a required phone, a failing form.

mod common;

#[path = "common/lab.rs"]
mod lab;

#[path = "common/mail.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod mail;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use mail::MailLab;
use shopaudit::probes::email::Mode;
use shopaudit::scenario::Scenario;
use shopaudit::{Outcome, Report};

/// How the store's back-end answers a submission.
#[derive(Debug, Clone, Copy)]
enum Answers {
    /// An automatic acknowledgement at once (no token, from the store's domain), then a
    /// person's answer quoting the question after the pause.
    AckThenHuman(Duration),
    /// Only the acknowledgement.
    AckOnly,
}

/// What the back-end saw and did.
#[derive(Default)]
struct Seen {
    /// Each submission's fields, and when it arrived.
    posts: Vec<(DateTime<Utc>, HashMap<String, String>)>,
    /// When each submission's last answer was delivered (the lab's 250 comes once it is in
    /// the mailbox).
    delivered: Vec<DateTime<Utc>>,
}

/// The fixture store and the help desk's own site, with the back-end behind both.
struct Store {
    url: url::Url,
    seen: Arc<Mutex<Seen>>,
    _store: shopaudit::serve::Served,
    _desk: shopaudit::serve::Served,
}

impl Store {
    fn posts(&self) -> usize {
        self.seen.lock().unwrap().posts.len()
    }

    fn message(&self, n: usize) -> String {
        self.seen.lock().unwrap().posts[n].1.get("message").cloned().unwrap_or_default()
    }

    /// Waits until the back-end delivered `n` answers; returns when the last one was.
    async fn delivered(&self, n: usize) -> DateTime<Utc> {
        for _ in 0..100 {
            if let Some(at) = self.seen.lock().unwrap().delivered.get(n - 1) {
                return *at;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the back-end did not answer {n} time(s)");
    }
}

async fn serve(lab: &MailLab, answers: Answers) -> Store {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let smtp = lab.smtp_port;
    let taken = {
        let seen = seen.clone();
        move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let fields: HashMap<String, String> =
                    if headers.get("content-type").is_some_and(|t| t.to_str().unwrap_or("").contains("json")) {
                        serde_json::from_str(&body).unwrap_or_default()
                    } else {
                        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
                    };
                let message = fields.get("message").cloned().unwrap_or_default();
                seen.lock().unwrap().posts.push((Utc::now(), fields));
                tokio::spawn(answer(smtp, seen, message, answers));
                axum::response::Html("<!doctype html><html><body><h1>Спасибо!</h1><p>Ваше сообщение отправлено, мы ответим в течение дня.</p></body></html>")
            }
        }
    };
    let desk = Router::new()
        .route("/ticket", post(taken.clone()))
        .merge(common::files_router(common::fixture_dir("forms-submit").join("desk")));
    let desk = shopaudit::serve::serve(desk, 0).await.unwrap();
    let desk_url = desk.url.as_str().trim_end_matches('/').to_string();
    let frame = std::fs::read_to_string(common::fixture_dir("forms-submit").join("frame.html"))
        .unwrap()
        .replace("DESK_URL", &desk_url);
    let store = Router::new()
        .route("/feedback", post(taken))
        .route("/broken", post(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error") }))
        .route("/frame.html", get(move || async move { axum::response::Html(frame) }))
        .merge(common::files_router(common::fixture_dir("forms-submit")));
    let store = shopaudit::serve::serve(store, 0).await.unwrap();
    Store { url: store.url.clone(), seen, _store: store, _desk: desk }
}

/// The store's mail system answering one submission.
async fn answer(smtp: u16, seen: Arc<Mutex<Seen>>, question: String, answers: Answers) {
    use lettre::AsyncTransport;
    let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(smtp)
        .tls(lettre::transport::smtp::client::Tls::None)
        .build();
    let envelope = lettre::address::Envelope::new(
        Some("support@store.test".parse().unwrap()),
        vec!["shopper@audit.test".parse().unwrap()],
    )
    .unwrap();
    let mail = |headers: &str, body: &str| {
        format!(
            "From: Store Support <support@127.0.0.1>\r\nTo: shopper@audit.test\r\nMessage-ID: <{}@store.test>\r\n\
             Date: {}\r\n{headers}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
            uuid::Uuid::new_v4(),
            Utc::now().to_rfc2822()
        )
    };
    let ack = mail(
        "Auto-Submitted: auto-replied\r\nSubject: Ваше обращение принято\r\n",
        "Мы получили ваше обращение и ответим в ближайшее время.",
    );
    transport.send_raw(&envelope, ack.as_bytes()).await.unwrap();
    let Answers::AckThenHuman(pause) = answers else {
        seen.lock().unwrap().delivered.push(Utc::now());
        return;
    };
    tokio::time::sleep(pause).await;
    let quoted: String = question.lines().map(|l| format!("> {l}\r\n")).collect();
    let human = mail(
        "Subject: Ответ на ваш вопрос\r\n",
        &format!(
            "Здравствуйте, Анна!\r\n\r\nДа, размер 42 есть в наличии.\r\n\r\nС уважением,\r\nЮлия Иванова\r\n\r\n\
             Вы писали:\r\n{quoted}"
        ),
    );
    transport.send_raw(&envelope, human.as_bytes()).await.unwrap();
    seen.lock().unwrap().delivered.push(Utc::now());
}

fn scenario(store: &Store, lab: &MailLab, page: &str, extra: &str) -> Scenario {
    let text = format!(
        r#"[store]
url = "{url}"
[crawl]
max_pages = 2
[browser]
enabled = true
required = true
loopback_only = true
observe = "1s"
viewports = ["desktop"]
{shopper}{extra}
[form]
enabled = true
page = "{page}"
sla = "1h"
[[form.questions]]
id = "size"
text = "Здравствуйте! Есть ли у вас кроссовки Runner в размере 42?"
expect = ["42"]
"#,
        url = store.url,
        shopper = lab.shopper_tables(""),
    );
    Scenario::parse(&text, std::path::Path::new("runners.toml")).unwrap()
}

async fn run(
    s: &Scenario,
    db: &std::path::Path,
    mode: Mode,
    chromium: &Arc<shopaudit::probes::browser::Chromium>,
) -> Report {
    let options = shopaudit::Options {
        email: Some(mode),
        db: Some(db.into()),
        browser: Some(chromium.clone()),
        ..Default::default()
    };
    shopaudit::audit_with(s, &options, &shopaudit::Quiet).await.unwrap()
}

/// A submission in a failure message, without its pictures.
fn brief(s: &shopaudit::model::evidence::Submission) -> String {
    format!("{} {:?} {:?} {:?}", s.outcome, s.place, s.said, s.filled)
}

fn check(r: &Report, id: &str) -> (Outcome, String) {
    let f = r.findings.iter().find(|f| f.check == id).unwrap_or_else(|| panic!("no finding for {id}"));
    (f.outcome, f.detail.clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_form_takes_the_question_once_and_its_answer_is_filed_and_timed() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckThenHuman(Duration::from_secs(2))).await;
    let chromium = common::chromium();
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store, &lab, "/plain.html", "");

    // A dry run fills the form and stops: nothing reaches the store, nothing is recorded.
    let dry = run(&s, &db, Mode::DryRun, &chromium).await;
    assert_eq!(
        dry.evidence.forms.submissions[0].outcome.as_str(),
        "dry_run",
        "{}",
        brief(&dry.evidence.forms.submissions[0])
    );
    assert_eq!(store.posts(), 0);
    assert!(dry.evidence.forms.answers.is_empty());

    let first = run(&s, &db, Mode::Send, &chromium).await;
    assert!(first.run.probes.contains(&"form".to_string()));
    let sub = &first.evidence.forms.submissions[0];
    assert_eq!((sub.outcome.as_str(), sub.place.as_deref()), ("accepted", Some("on the page")), "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("Спасибо"), "{}", brief(sub));
    assert!(sub.filled.iter().any(|f| f.starts_with("checkbox")), "the consent box is ticked: {:?}", sub.filled);
    assert!(!sub.filled.iter().any(|f| f.starts_with("phone")), "no phone unless the scenario gives one");
    assert_eq!(sub.screenshots.len(), 2, "the filled form and what followed");
    assert_eq!(check(&first, "form.accepts").0, Outcome::Pass, "{}", check(&first, "form.accepts").1);
    assert_eq!(store.posts(), 1);
    let posted = store.seen.lock().unwrap().posts[0].1.clone();
    assert_eq!(posted.get("email").map(String::as_str), Some("shopper@audit.test"));
    assert_eq!(posted.get("name").map(String::as_str), Some("Anna Petrova"));
    assert_eq!(posted.get("agree").map(String::as_str), Some("on"));
    let token = &first.evidence.forms.answers[0];
    assert!(store.message(0).contains("Ref. "), "the question carries its token: {}", store.message(0));
    assert_eq!(token.to, store.url.join("/plain.html").unwrap().to_string());

    let delivered = store.delivered(1).await;
    let r = run(&s, &db, Mode::Send, &chromium).await;
    assert!(r.evidence.forms.submissions.is_empty(), "never sent twice");
    assert_eq!(store.posts(), 1);
    let a = &r.evidence.forms.answers[0];
    assert_eq!(a.state.as_str(), "answered", "{a:?}");
    // The acknowledgement carries no token: it is the store's only outstanding item, from its
    // domain. The answer quotes the question, token and all.
    let how: Vec<&str> = a.replies.iter().map(|r| r.matched_by.as_str()).collect();
    assert_eq!(how, ["store domain", "token"], "{a:?}");
    let produced = (delivered.fixed_offset() - a.sent_at.unwrap()).num_milliseconds();
    let measured = a.first_human_response_ms.unwrap() as i64;
    assert!((measured - produced).abs() <= 1000, "measured {measured} ms, the back-end took {produced} ms");
    for id in ["form.accepts", "form.answered", "form.first_response_time"] {
        assert_eq!(check(&r, id).0, Outcome::Pass, "{id}: {}", check(&r, id).1);
    }
    // The portfolio counts the form beside the letters.
    let row = shopaudit::portfolio::StoreRow::of(&r, "runners/report.html", Vec::new(), &[]);
    assert_eq!((row.form_sent, row.form_answered, row.form_answer_rate, row.letters_sent), (1, 1, Some(1.0), 0));
    assert_eq!(row.median_first_human_form_response_ms, a.first_human_response_ms);
    // The reports show the question, how it went and its answers.
    let html = shopaudit::report::Format::Html.render(&first).unwrap();
    // Kept for a person to look at (`chromium --screenshot target/form-report.html`).
    let _ = std::fs::write(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/form-report.html"), &html);
    assert!(html.contains("Questions through the contact form") && html.contains("filled in"), "the HTML report");
    assert!(html.contains("Спасибо! Ваше сообщение отправлено"));
    let md = shopaudit::report::Format::Md.render(&r).unwrap();
    assert!(md.contains("## Questions through the contact form") && md.contains("| answered |"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_validated_by_script_refuses_a_bare_first_name_and_takes_a_full_one() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckOnly).await;
    let chromium = common::chromium();

    // The store's script wants a first and last name: "Anna" alone is refused.
    let db = lab.dir.path().join("refused.sqlite");
    let mut s = scenario(&store, &lab, "/script.html", "");
    s.shopper.as_mut().unwrap().name = "Anna".into();
    let r = run(&s, &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(sub.outcome.as_str(), "refused", "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("Укажите имя и фамилию"), "{}", brief(sub));
    let (outcome, detail) = check(&r, "form.accepts");
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    assert_eq!(store.posts(), 0);
    // Refused for good: the next run does not try again.
    let again = run(&s, &db, Mode::Send, &chromium).await;
    assert!(again.evidence.forms.submissions.is_empty());
    assert_eq!(check(&again, "form.accepts").0, Outcome::Fail, "the history remembers the refusal");

    let db = lab.dir.path().join("taken.sqlite");
    let r = run(&scenario(&store, &lab, "/script.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(sub.outcome.as_str(), "accepted", "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("ответим вам в течение часа"), "{}", brief(sub));
    assert_eq!(store.posts(), 1);
    assert_eq!(store.seen.lock().unwrap().posts[0].1.get("name").map(String::as_str), Some("Anna Petrova"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_in_a_modal_and_one_in_a_help_desks_frame_are_worked() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckOnly).await;
    let chromium = common::chromium();

    let db = lab.dir.path().join("modal.sqlite");
    let r = run(&scenario(&store, &lab, "/modal.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!((sub.outcome.as_str(), sub.place.as_deref()), ("accepted", Some("behind a button")), "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("сообщение отправлено"), "{}", brief(sub));

    let db = lab.dir.path().join("frame.sqlite");
    let r = run(&scenario(&store, &lab, "/frame.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(
        (sub.outcome.as_str(), sub.place.as_deref()),
        ("accepted", Some("in a frame of another site")),
        "{}",
        brief(sub)
    );
    assert!(sub.said.as_deref().unwrap().contains("Обращение №5521 принято"), "{}", brief(sub));
    assert!(sub.filled.iter().any(|f| f == "subject subject"), "{:?}", sub.filled);
    assert_eq!(store.posts(), 2);
    assert!(store.message(1).contains("Runner в размере 42"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captcha_or_a_required_phone_blocks_and_a_failing_form_fails() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckOnly).await;
    let chromium = common::chromium();

    let db = lab.dir.path().join("captcha.sqlite");
    let r = run(&scenario(&store, &lab, "/captcha.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(sub.outcome.as_str(), "blocked", "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("recaptcha"), "{}", brief(sub));
    assert_eq!(check(&r, "form.accepts").0, Outcome::Warn);
    assert!(r.evidence.forms.answers.is_empty(), "nothing was sent, nothing recorded");

    let db = lab.dir.path().join("phone.sqlite");
    let r = run(&scenario(&store, &lab, "/phone.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(sub.outcome.as_str(), "blocked", "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("phone"), "{}", brief(sub));
    // With a phone in the scenario the same form takes the question.
    let mut s = scenario(&store, &lab, "/phone.html", "");
    s.shopper.as_mut().unwrap().phone = Some("+7 900 000-00-00".into());
    let r = run(&s, &db, Mode::Send, &chromium).await;
    assert_eq!(
        r.evidence.forms.submissions[0].outcome.as_str(),
        "accepted",
        "{}",
        brief(&r.evidence.forms.submissions[0])
    );
    assert_eq!(store.posts(), 1);

    let db = lab.dir.path().join("failing.sqlite");
    let r = run(&scenario(&store, &lab, "/failing.html", ""), &db, Mode::Send, &chromium).await;
    let sub = &r.evidence.forms.submissions[0];
    assert_eq!(sub.outcome.as_str(), "refused", "{}", brief(sub));
    assert!(sub.said.as_deref().unwrap().contains("500"), "{}", brief(sub));
    assert_eq!(check(&r, "form.accepts").0, Outcome::Fail);
    assert_eq!(check(&r, "form.answered").0, Outcome::Error, "no question reached the store");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledgement_alone_leaves_the_form_unanswered_after_its_deadline() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckOnly).await;
    let chromium = common::chromium();
    let db = lab.dir.path().join("history.sqlite");
    let mut s = scenario(&store, &lab, "/plain.html", "");
    s.form.sla = Some(shopaudit::scenario::Span(Duration::from_secs(3)));
    let first = run(&s, &db, Mode::Send, &chromium).await;
    assert_eq!(first.evidence.forms.submissions[0].outcome.as_str(), "accepted");
    assert_eq!(check(&first, "form.answered").0, Outcome::NotApplicable, "inside the deadline");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let r = run(&s, &db, Mode::Send, &chromium).await;
    let a = &r.evidence.forms.answers[0];
    assert_eq!(a.state.as_str(), "unanswered", "{a:?}");
    assert_eq!(a.replies.len(), 1, "the acknowledgement, filed by the store's domain");
    for id in ["form.answered", "form.first_response_time"] {
        assert_eq!(check(&r, id).0, Outcome::Fail, "{id}: {}", check(&r, id).1);
    }
    let row = shopaudit::portfolio::StoreRow::of(&r, "runners/report.html", Vec::new(), &[]);
    assert_eq!((row.form_sent, row.form_answered, row.form_answer_rate), (1, 0, Some(0.0)));
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_without_a_token_is_not_filed_by_a_guess_when_several_questions_wait() {
    let lab = MailLab::start();
    let store = serve(&lab, Answers::AckOnly).await;
    let chromium = common::chromium();
    let db = lab.dir.path().join("history.sqlite");
    let mut s = scenario(&store, &lab, "/plain.html", "");
    let mut second = s.form.questions[0].clone();
    second.id = "colour".into();
    second.text = "А есть ли Runner в синем цвете?".into();
    s.form.questions.push(second);
    let first = run(&s, &db, Mode::Send, &chromium).await;
    assert_eq!(first.evidence.forms.submissions.len(), 2);
    assert_eq!(store.posts(), 2);
    store.delivered(2).await;
    // Both acknowledgements come from the store's domain without a token, while both
    // questions wait: neither is filed, and the report says so.
    let mut r = run(&s, &db, Mode::Send, &chromium).await;
    for _ in 0..20 {
        if r.evidence.forms.unfiled.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        r = run(&s, &db, Mode::Send, &chromium).await;
    }
    assert_eq!(r.evidence.forms.unfiled.len(), 2, "{:?}", r.evidence.forms.unfiled);
    assert!(r.evidence.forms.unfiled.iter().all(|u| u.waiting == 2 && u.from == "support@127.0.0.1"));
    assert!(r.evidence.forms.answers.iter().all(|a| a.replies.is_empty()));
    let (_, detail) = check(&r, "form.answered");
    assert!(detail.contains("were not filed"), "{detail}");
    assert!(shopaudit::report::Format::Html.render(&r).unwrap().contains("Not filed, for want of a reply token"));
}
