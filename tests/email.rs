//! The shopper's letters over real SMTP into a real mailbox (the project's mail lab), with the
//! history that keeps a letter from being lost or sent twice.

mod common;

#[path = "common/mail.rs"]
mod mail;

use mail::MailLab;
use shopaudit::probes::email::Mode;
use shopaudit::scenario::Scenario;

fn scenario(store: &url::Url, lab: &MailLab, to: &str, extra_smtp: &str) -> Scenario {
    let text = format!(
        r#"[store]
url = "{store}"
[browser]
enabled = false
[shopper]
name = "Anna Petrova"
email = "shopper@audit.test"
[shopper.smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
{extra_smtp}
[email]
enabled = true
to = "{to}"
[[email.letters]]
id = "delivery"
subject = "Доставка в Казань"
body = "Здравствуйте! Доставляете ли вы в Казань?\nАнна"
expect = ["Казан"]
"#,
        port = lab.smtp_port
    );
    Scenario::parse(&text, std::path::Path::new("test.toml")).unwrap()
}

async fn run(s: &Scenario, db: &std::path::Path, mode: Mode) -> shopaudit::Report {
    let options = shopaudit::Options { email: Some(mode), db: Some(db.to_path_buf()) };
    shopaudit::audit_with(s, &options, &shopaudit::Quiet).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_letter_reaches_the_store_once_and_is_pending() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");

    let r = run(&s, &db, Mode::Send).await;
    assert!(r.run.probes.contains(&"email".to_string()));
    let letter = &r.evidence.email_probes[0];
    assert_eq!((letter.id.as_str(), letter.state.as_str()), ("delivery", "pending"), "{letter:?}");
    assert!(letter.server.as_deref().unwrap().starts_with("250"), "{letter:?}");
    assert!(letter.sent_at.is_some());

    let inbox = lab.messages("support@store.test").await;
    assert_eq!(inbox.len(), 1);
    let got = &inbox[0];
    assert_eq!(format!("<{}>", got.message_id().unwrap()), letter.message_id);
    assert_eq!(got.subject(), Some("Доставка в Казань"));
    assert_eq!(got.from().unwrap().first().unwrap().address(), Some("shopper@audit.test"));
    assert!(got.body_text(0).unwrap().contains("Казань"));

    let again = run(&s, &db, Mode::Send).await;
    assert_eq!(again.evidence.email_probes.len(), 1, "the history remembers the letter");
    assert_eq!(lab.messages("support@store.test").await.len(), 1, "never sent twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_recipient_is_a_failed_letter_with_the_servers_words() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let r = run(&scenario(&store.url, &lab, "nobody@store.test", ""), &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state, "failed");
    assert!(letter.server.as_deref().unwrap().contains("550"), "{letter:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_shows_the_letter_and_sends_nothing() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    let r = run(&s, &db, Mode::DryRun).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!((letter.state.as_str(), letter.to.as_str()), ("dry_run", "support@store.test"));
    assert!(letter.server.as_deref().unwrap().contains(&format!("127.0.0.1:{}", lab.smtp_port)));
    assert!(lab.messages("support@store.test").await.is_empty());
    let real = run(&s, &db, Mode::Send).await;
    assert_eq!(real.evidence.email_probes.len(), 1, "the dry run recorded nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_never_appears_in_the_report_or_errors() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let secret_file = lab.dir.path().join("smtp-password");
    std::fs::write(&secret_file, "hunter2-do-not-print\n").unwrap();
    // The lab's SMTP server offers no login, so the attempt fails: the failure must not leak.
    let extra = format!("user = \"shopper@audit.test\"\npassword_file = \"{}\"", secret_file.display());
    let r = run(&scenario(&store.url, &lab, "support@store.test", &extra), &db, Mode::Send).await;
    let json = shopaudit::report::to_json(&r).unwrap();
    assert_eq!(r.evidence.email_probes[0].state, "failed", "{json}");
    assert!(!json.contains("hunter2"));
    let markdown = shopaudit::report::Format::Md.render(&r).unwrap();
    assert!(!markdown.contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_settings_error_records_no_letter() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let missing = "user = \"shopper@audit.test\"\npassword_env = \"SHOPAUDIT_TEST_NO_SUCH_VAR\"";
    let options = shopaudit::Options { email: Some(Mode::Send), db: Some(db.clone()) };
    let s = scenario(&store.url, &lab, "support@store.test", missing);
    let err = shopaudit::audit_with(&s, &options, &shopaudit::Quiet).await.unwrap_err();
    assert!(err.to_string().contains("SHOPAUDIT_TEST_NO_SUCH_VAR is not set"), "{err}");
    let history = shopaudit::history::History::open(&db).unwrap();
    assert!(history.letters(&s.store.url.to_string()).unwrap().is_empty(), "nothing stranded in 'sending'");
}
