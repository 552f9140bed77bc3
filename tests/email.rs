//! The shopper's letters over real SMTP into a real mailbox (the project's mail lab), with the
//! history that keeps a letter from being lost or sent twice.

mod common;

#[path = "common/lab.rs"]
mod lab;

#[path = "common/mail.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod mail;

use mail::{support_agent, support_agent_paced, Behaviour, MailLab};
use shopaudit::probes::email::Mode;
use shopaudit::scenario::Scenario;

fn scenario(store: &url::Url, lab: &MailLab, to: &str, extra_smtp: &str) -> Scenario {
    scenario_with(store, lab, to, extra_smtp, "24h")
}

/// A scenario that also reads the shopper's mailbox, with the letter's answer deadline.
fn scenario_with(store: &url::Url, lab: &MailLab, to: &str, extra_smtp: &str, sla: &str) -> Scenario {
    // Named as scenario_file names it: the file and the parsed scenario are one store.
    Scenario::parse(&scenario_text(store, lab, to, extra_smtp, sla), std::path::Path::new("store.toml")).unwrap()
}

/// The same scenario as a file, as a cron job names it.
fn scenario_file(store: &url::Url, lab: &MailLab) -> std::path::PathBuf {
    let file = lab.dir.path().join("store.toml");
    std::fs::write(&file, scenario_text(store, lab, "support@store.test", "", "24h")).unwrap();
    file
}

fn scenario_text(store: &url::Url, lab: &MailLab, to: &str, extra_smtp: &str, sla: &str) -> String {
    format!(
        r#"[store]
url = "{store}"
[browser]
enabled = false
{shopper}[email]
enabled = true
to = "{to}"
sla = "{sla}"
[[email.letters]]
id = "delivery"
subject = "Доставка в Казань"
body = "Здравствуйте! Доставляете ли вы в Казань?\nАнна"
expect = ["Казан", "стоимост"]
"#,
        shopper = lab.shopper_tables(extra_smtp),
    )
}

async fn run(s: &Scenario, db: &std::path::Path, mode: Mode) -> shopaudit::Report {
    let options = shopaudit::Options { email: Some(mode), db: Some(db.into()), ..Default::default() };
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
async fn a_sender_refused_by_the_shoppers_own_server_is_an_error_not_the_stores_failure() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    std::fs::write(lab.dir.path().join("smtp-refuse-sender"), "550 5.7.1 sender blocked by policy").unwrap();
    let r = run(&scenario(&store.url, &lab, "support@store.test", ""), &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "failed", "{letter:?}");
    assert!(letter.server.as_deref().unwrap().contains("5.7.1"), "{letter:?}");
    assert_eq!(outcome(&r, "email.answered"), shopaudit::Outcome::Error, "our side failed: nothing is known");
    assert!(lab.messages("support@store.test").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_address_in_the_scenario_gets_its_own_letter() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let old = run(&scenario(&store.url, &lab, "nobody@store.test", ""), &db, Mode::Send).await;
    assert_eq!(old.evidence.email_probes[0].state.as_str(), "bounced");
    // The store fixes its published address and the agency its scenario: the letter goes to
    // the new address, once; the bounce stays in the history.
    let s = scenario(&store.url, &lab, "support@store.test", "");
    let new = run(&s, &db, Mode::Send).await;
    let to: Vec<(&str, &str)> = new.evidence.email_probes.iter().map(|l| (l.to.as_str(), l.state.as_str())).collect();
    assert_eq!(to, [("nobody@store.test", "bounced"), ("support@store.test", "pending")]);
    run(&s, &db, Mode::Send).await;
    assert_eq!(lab.messages("support@store.test").await.len(), 1, "sent once to the new address");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_recipient_is_the_stores_failure_with_the_servers_words() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "nobody@store.test", "");
    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "bounced", "the published address does not work: {letter:?}");
    assert!(letter.server.as_deref().unwrap().contains("550"), "{letter:?}");
    assert_eq!(outcome(&r, "email.answered"), shopaudit::Outcome::Fail, "not an error of the probe");
    assert!(
        common::detail(&r, "email.answered").contains("sent back by the store's server (permanent error (550): 5.1.1"),
        "{}",
        common::detail(&r, "email.answered")
    );
    let again = run(&s, &db, Mode::Send).await;
    assert_eq!(again.evidence.email_probes[0].attempt, 1, "a 5xx refusal is final: never retried");
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
    let s = scenario(&store.url, &lab, "support@store.test", &extra);
    let options = shopaudit::Options { email: Some(Mode::Send), db: Some(db.clone().into()), ..Default::default() };
    let err = shopaudit::audit_with(&s, &options, &shopaudit::Quiet).await.unwrap_err();
    assert!(err.to_string().contains("refused the shopper's login"), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    let history = shopaudit::history::History::open(&db).unwrap();
    assert!(history.letters(&s.key).await.unwrap().is_empty(), "no letter spent on our own setting");
    // Without a mailbox to check against, the same holds in the dry run's words.
    let dry = run(&s, &db, Mode::DryRun).await;
    assert!(!shopaudit::report::to_json(&dry).unwrap().contains("hunter2"));
    assert!(!shopaudit::report::Format::Md.render(&dry).unwrap().contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_login_sends_nothing_and_the_letter_goes_out_once_the_password_is_fixed() {
    let lab = MailLab::start();
    std::fs::write(lab.dir.path().join("smtp-login"), "shopper@audit.test:right-one").unwrap();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let password = lab.dir.path().join("smtp-password");
    std::fs::write(&password, "wrong-one").unwrap();
    let extra = format!("user = \"shopper@audit.test\"\npassword_file = \"{}\"", password.display());
    let s = scenario(&store.url, &lab, "support@store.test", &extra);
    let options = shopaudit::Options { email: Some(Mode::Send), db: Some(db.clone().into()), ..Default::default() };
    let err = shopaudit::audit_with(&s, &options, &shopaudit::Quiet).await.unwrap_err();
    assert!(err.to_string().contains("535"), "{err}");
    assert!(!err.to_string().contains("wrong-one"), "{err}");
    assert!(matches!(err, shopaudit::Error::Email { .. }), "a setting to fix (exit 2): {err:?}");
    let history = shopaudit::history::History::open(&db).unwrap();
    assert!(history.letters(&s.key).await.unwrap().is_empty());
    assert!(lab.messages("support@store.test").await.is_empty());

    std::fs::write(&password, "right-one").unwrap();
    let r = run(&s, &db, Mode::Send).await;
    assert_eq!(r.evidence.email_probes.len(), 1);
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "pending", "{:?}", r.evidence.email_probes[0]);
    assert_eq!(lab.messages("support@store.test").await.len(), 1, "sent once the password was fixed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_settings_error_records_no_letter() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let missing = "user = \"shopper@audit.test\"\npassword_env = \"SHOPAUDIT_TEST_NO_SUCH_VAR\"";
    let options = shopaudit::Options { email: Some(Mode::Send), db: Some(db.clone().into()), ..Default::default() };
    let s = scenario(&store.url, &lab, "support@store.test", missing);
    let err = shopaudit::audit_with(&s, &options, &shopaudit::Quiet).await.unwrap_err();
    assert!(err.to_string().contains("SHOPAUDIT_TEST_NO_SUCH_VAR is not set"), "{err}");
    let history = shopaudit::history::History::open(&db).unwrap();
    assert!(history.letters(&s.key).await.unwrap().is_empty(), "nothing stranded in 'sending'");
}

fn outcome(r: &shopaudit::Report, check: &str) -> shopaudit::Outcome {
    common::outcome(r, check)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_acknowledged_threaded_signed_complete_answer_passes_every_email_check() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    let first = run(&s, &db, Mode::Send).await;
    assert_eq!(first.evidence.email_probes[0].state.as_str(), "pending");
    for check in ["email.answered", "email.first_response_time", "email.answer_quality"] {
        assert_eq!(
            outcome(&first, check),
            shopaudit::Outcome::NotApplicable,
            "{check}: inside the deadline, not judged yet"
        );
    }

    // The agent acknowledges at once and answers three seconds later.
    let delivered = support_agent_paced(&lab, Behaviour::AckThenAnswer, std::time::Duration::from_secs(3)).await;
    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "answered", "{letter:?}");
    assert_eq!(letter.replies.len(), 2);
    let sent = letter.sent_at.unwrap();
    for (measured, at) in [(letter.first_response_ms, delivered[0]), (letter.first_human_response_ms, delivered[1])] {
        let produced = (at.fixed_offset() - sent).num_milliseconds();
        let measured = measured.unwrap() as i64;
        assert!((measured - produced).abs() <= 1000, "measured {measured} ms, the agent took {produced} ms");
    }
    assert!(letter.first_human_response_ms.unwrap() >= 2000, "{letter:?}");
    assert_eq!(letter.replies[0].kind.as_str(), "auto");
    assert_eq!(letter.replies[1].kind.as_str(), "human");
    assert_eq!(letter.replies[1].ticket.as_deref(), Some("48213"));
    assert_eq!(letter.replies[1].signed_by.as_deref(), Some("Юлия Иванова"));
    assert!(letter.replies.iter().all(|r| r.matched_by.as_str() == "thread" && r.received_from == "imap internaldate"));
    let ms = letter.first_human_response_ms.unwrap();
    // en-good posts "Support hours: Mon–Fri 9am–5pm": business time is counted in it (UTC here).
    assert_eq!(letter.business_hours.as_deref(), Some("Mo-Fr 09:00-17:00"));
    assert!(letter.first_human_response_business_ms.unwrap() <= ms);
    for check in [
        "email.answered",
        "email.first_response_time",
        "email.acknowledged",
        "email.ticket_reference",
        "email.personal_signature",
        "email.answer_quality",
        "email.literacy",
    ] {
        assert_eq!(
            outcome(&r, check),
            shopaudit::Outcome::Pass,
            "{check}: {:?}",
            r.findings.iter().find(|f| f.check == check)
        );
    }
    let again = run(&s, &db, Mode::Send).await;
    assert_eq!(again.evidence.email_probes[0].replies.len(), 2, "a reply is never filed twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_thread_with_only_a_link_fails_threading_quality_and_signature() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    support_agent(&lab, Behaviour::NewThreadLinkOnly).await;
    let r = run(&s, &db, Mode::Send).await;
    let reply = &r.evidence.email_probes[0].replies[0];
    assert_eq!((reply.kind.as_str(), reply.matched_by.as_str()), ("human", "subject and domain"));
    assert!(reply.only_link);
    assert_eq!(outcome(&r, "email.answered"), shopaudit::Outcome::Pass);
    assert_eq!(outcome(&r, "email.ticket_reference"), shopaudit::Outcome::Fail);
    assert_eq!(outcome(&r, "email.answer_quality"), shopaudit::Outcome::Fail);
    assert_eq!(outcome(&r, "email.personal_signature"), shopaudit::Outcome::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_windows_1251_answer_is_read() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    support_agent(&lab, Behaviour::Windows1251).await;
    let r = run(&s, &db, Mode::Send).await;
    let reply = &r.evidence.email_probes[0].replies[0];
    assert_eq!(reply.signed_by.as_deref(), Some("Марк Петров"));
    assert!(reply.missing.is_empty(), "Казань and стоимость found in windows-1251: {reply:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn silence_past_the_deadline_fails_answered_and_response_time() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario_with(&store.url, &lab, "support@store.test", "", "1s");
    run(&s, &db, Mode::Send).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = run(&s, &db, Mode::Send).await;
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "unanswered");
    assert_eq!(outcome(&r, "email.answered"), shopaudit::Outcome::Fail);
    assert_eq!(outcome(&r, "email.first_response_time"), shopaudit::Outcome::Fail);
    assert_eq!(outcome(&r, "email.acknowledged"), shopaudit::Outcome::Fail);
}

#[tokio::test(flavor = "multi_thread")]
async fn cron_path_audit_then_collect_then_letters_on_the_command_line() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let file = scenario_file(&store.url, &lab);
    let (f, d) = (file.to_str().unwrap(), db.to_str().unwrap());
    let out = lab.dir.path().join("out");
    let out = out.to_str().unwrap();
    let dry = shopaudit_cli(&["audit", f, "--dry-run", "--db", d, "--out", out, "--json", "-", "-q"]).await;
    assert!(String::from_utf8_lossy(&dry.stdout).contains("\"state\": \"dry_run\""));
    assert!(lab.messages("support@store.test").await.is_empty(), "--dry-run sent nothing");
    let sent = shopaudit_cli(&["audit", f, "--db", d, "--out", out, "-q"]).await;
    assert!(sent.status.code().is_some(), "{}", String::from_utf8_lossy(&sent.stderr));
    support_agent(&lab, Behaviour::AckThenAnswer).await;
    let collected = shopaudit_cli(&["collect", f, "--db", d]).await;
    let said = String::from_utf8_lossy(&collected.stdout).to_string();
    assert!(said.contains("2 reply(ies) filed"), "{said}{}", String::from_utf8_lossy(&collected.stderr));
    assert!(said.contains("report updated in"), "{said}");
    let updated = shopaudit::report::read(&std::path::Path::new(out).join("report.json")).unwrap();
    assert_eq!(updated.evidence.email_probes[0].state.as_str(), "answered", "collect rewrote the run's report");
    assert_eq!(common::outcome(&updated, "email.answered"), shopaudit::Outcome::Pass);
    let rendered = shopaudit_cli(&["report", f, "--db", d, "--json", "-", "-q"]).await;
    let json = String::from_utf8_lossy(&rendered.stdout).to_string();
    assert!(json.contains("\"state\": \"answered\""), "{json}{}", String::from_utf8_lossy(&rendered.stderr));
    let never = shopaudit_cli(&["report", "http://127.0.0.1:9/", "--db", d]).await;
    assert_eq!(never.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&never.stderr).contains("holds no run of http://127.0.0.1:9/"));
    let listed = String::from_utf8_lossy(&shopaudit_cli(&["letters", f, "--db", d]).await.stdout).to_string();
    assert!(
        listed.contains("delivery") && listed.contains("sent") && listed.contains("support@store.test"),
        "{listed}"
    );
}

/// Runs the binary on a blocking thread, so the fixture servers keep serving.
async fn shopaudit_cli(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let bin = env!("CARGO_BIN_EXE_shopaudit");
    tokio::task::spawn_blocking(move || std::process::Command::new(bin).args(args).output().unwrap()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn smtp_and_imap_over_implicit_tls_and_starttls_with_the_scenarios_ca() {
    let lab = MailLab::start_tls();
    let store = common::serve_store("en-good").await;
    let ca = lab.ca.clone().unwrap();
    let password = lab.dir.path().join("imap-password");
    std::fs::write(&password, "secret").unwrap();
    let scenario_with = |smtp_ca: &str, imap_ca: &str, tls: &str, smtp: u16, imap: u16| {
        let text = format!(
            "[store]\nurl = \"{}\"\n[browser]\nenabled = false\n[shopper]\nname = \"Anna\"\nemail = \"shopper@audit.test\"\n\
             [shopper.smtp]\nhost = \"127.0.0.1\"\nport = {smtp}\ntls = \"{tls}\"\n{smtp_ca}\n\
             [shopper.imap]\nhost = \"127.0.0.1\"\nport = {imap}\ntls = \"{tls}\"\nuser = \"shopper@audit.test\"\n\
             password_file = \"{}\"\n{imap_ca}\n[email]\nenabled = true\nto = \"support@store.test\"\n\
             [[email.letters]]\nid = \"tls\"\nsubject = \"Доставка\"\nbody = \"Здравствуйте\"\n",
            store.url,
            password.display()
        );
        Scenario::parse(&text, std::path::Path::new("t.toml")).unwrap()
    };
    let scenario = |ca_line: &str, tls: &str, smtp: u16, imap: u16| scenario_with(ca_line, ca_line, tls, smtp, imap);
    let ca_line = format!("ca_file = \"{}\"", ca.display());
    // An IMAP server the shopper cannot trust: no letter goes out, since its answers could
    // not be read (reliability #10).
    let untrusted = scenario("", "implicit", lab.smtps_port, lab.imaps_port);
    let r = run(&untrusted, &lab.dir.path().join("h0.sqlite"), Mode::Send).await;
    assert!(r.evidence.email_probes.is_empty(), "{:?}", r.evidence.email_probes);
    assert!(r.evidence.mailbox_error.as_deref().unwrap().contains("UnknownIssuer"), "{:?}", r.evidence.mailbox_error);
    // An SMTP server the shopper cannot trust: the letter fails, and says why.
    let untrusted_smtp = scenario_with("", &ca_line, "implicit", lab.smtps_port, lab.imaps_port);
    let r = run(&untrusted_smtp, &lab.dir.path().join("h1.sqlite"), Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "failed");
    assert!(letter.server.as_deref().unwrap().to_lowercase().contains("certificate"), "{letter:?}");

    let trusted = scenario(&ca_line, "implicit", lab.smtps_port, lab.imaps_port);
    let db = lab.dir.path().join("h2.sqlite");
    let r = run(&trusted, &db, Mode::Send).await;
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "pending", "{:?}", r.evidence.email_probes[0]);
    support_agent(&lab, Behaviour::AckThenAnswer).await;
    let r = run(&trusted, &db, Mode::Send).await;
    assert_eq!(
        r.evidence.email_probes[0].state.as_str(),
        "answered",
        "replies read over IMAPS: {:?}",
        r.evidence.email_probes[0]
    );

    // The plain ports, upgraded with STARTTLS (a fresh history: the letter goes out again).
    let upgraded = scenario(&ca_line, "starttls", lab.smtp_port, lab.imap_port);
    let db = lab.dir.path().join("h3.sqlite");
    let r = run(&upgraded, &db, Mode::Send).await;
    assert_eq!(r.evidence.mailbox_error, None);
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "pending", "{:?}", r.evidence.email_probes[0]);
    support_agent(&lab, Behaviour::AckThenAnswer).await;
    let r = run(&upgraded, &db, Mode::Send).await;
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "answered", "replies read after STARTTLS");
    let untrusted = scenario("", "starttls", lab.smtp_port, lab.imap_port);
    let r = run(&untrusted, &lab.dir.path().join("h4.sqlite"), Mode::Send).await;
    assert!(r.evidence.mailbox_error.as_deref().unwrap().contains("UnknownIssuer"), "{:?}", r.evidence.mailbox_error);
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_watch_files_replies_as_they_come_and_survives_a_dropped_connection() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let mut s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    let file = lab.dir.path().join("watch.toml");
    let password = lab.dir.path().join("imap-password");
    std::fs::write(
        &file,
        format!(
            "[store]\nurl = \"{}\"\n[shopper]\nname = \"Anna\"\nemail = \"shopper@audit.test\"\n[shopper.imap]\n\
             host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nuser = \"shopper@audit.test\"\npassword_file = \"{}\"\n",
            s.store.url,
            lab.imap_port,
            password.display()
        ),
    )
    .unwrap();
    let mut watcher = std::process::Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["collect", "--watch", file.to_str().unwrap(), "--db", db.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let history = shopaudit::history::History::open(&db).unwrap();
    let store_key = s.key.clone();
    let wait_for = |want: usize| filed_replies(&history, &store_key, want);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await; // the watcher is idling
    support_agent(&lab, Behaviour::NewThreadLinkOnly).await;
    assert_eq!(wait_for(1).await, 1, "filed while idling");

    // Drop the watcher's connection, as a server restart or a network cut would.
    let kicked = std::process::Command::new("doveadm")
        .args(["-c", lab.dir.path().join("dovecot.conf").to_str().unwrap(), "kick", "shopper@audit.test"])
        .output()
        .unwrap();
    assert!(kicked.status.success(), "{}", String::from_utf8_lossy(&kicked.stderr));
    s.email.letters[0].id = "second".into();
    s.email.letters[0].subject = "Возврат".into();
    run(&s, &db, Mode::Send).await;
    // The agent answers every letter again; only the new answers are new messages.
    support_agent(&lab, Behaviour::NewThreadLinkOnly).await;
    let filed = wait_for(3).await;
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(filed >= 3, "reconnected after the drop and filed the new answers: {filed}");
}

fn stall_smtp(lab: &MailLab, seconds: Option<u32>) {
    let file = lab.dir.path().join("smtp-stall");
    match seconds {
        Some(s) => std::fs::write(file, s.to_string()).unwrap(),
        None => std::fs::remove_file(file).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_between_sending_and_sent_loses_nothing_and_sends_nothing_twice() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let file = scenario_file(&store.url, &lab);
    // The server takes the letter, then stalls before its 250: the auditor is killed right there.
    stall_smtp(&lab, Some(60));
    let mut auditor = std::process::Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["audit", file.to_str().unwrap(), "--db", db.to_str().unwrap(), "-q", "--out"])
        .arg(lab.dir.path().join("out"))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while lab.messages("support@store.test").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the letter never reached the store");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    auditor.kill().unwrap();
    auditor.wait().unwrap();
    stall_smtp(&lab, None);
    let s = scenario(&store.url, &lab, "support@store.test", "");
    let key = s.key.clone();
    let history = shopaudit::history::History::open(&db).unwrap();
    assert_eq!(history.letters(&key).await.unwrap()[0].state.as_str(), "sending", "killed before the 250 was recorded");

    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!((letter.state.as_str(), letter.attempt), ("pending", 1), "{letter:?}");
    assert!(letter.server.as_deref().unwrap().starts_with("reconciled"), "{letter:?}");
    assert!(letter.sent_at.is_some());
    let inbox = lab.messages("support@store.test").await;
    assert_eq!(inbox.len(), 1, "never sent twice");
    assert!(inbox[0].header("Bcc").is_none(), "the shopper's copy leaves no trace at the store");

    support_agent(&lab, Behaviour::AckThenAnswer).await;
    let r = run(&s, &db, Mode::Send).await;
    assert_eq!(r.evidence.email_probes[0].state.as_str(), "answered", "{:?}", r.evidence.email_probes[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_letter_that_never_left_is_given_up_and_sent_again_once() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    let key = s.key.clone();
    // A run killed before the server took anything, long ago: recorded, never delivered.
    let history = shopaudit::history::History::open(&db).unwrap();
    let row = history
        .begin_letter(&shopaudit::history::NewLetter {
            via: shopaudit::history::Written::Email,
            store: &key,
            letter: "delivery",
            message_id: "<20260101000000.lost@audit.test>",
            token: "lost",
            from: "shopper@audit.test",
            to: "support@store.test",
            subject: "Доставка в Казань",
            body: "Доставляете ли вы в Казань?",
            attempt: 1,
            at: chrono::Utc::now().fixed_offset(),
            slot: Some("once"),
        })
        .await
        .unwrap()
        .unwrap();
    let long_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let raw = rusqlite::Connection::open(&db).unwrap();
    raw.execute("UPDATE letters SET created_at = ?1 WHERE id = ?2", rusqlite::params![long_ago, row]).unwrap();

    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!((letter.state.as_str(), letter.attempt), ("pending", 2), "{letter:?}");
    let first = &history.letters(&key).await.unwrap()[0];
    assert_eq!(first.state.as_str(), "failed");
    assert!(first.failure.as_deref().unwrap().contains("no copy reached"), "{first:?}");
    assert_eq!(lab.messages("support@store.test").await.len(), 1, "sent once, by the second attempt");
    run(&s, &db, Mode::Send).await;
    assert_eq!(lab.messages("support@store.test").await.len(), 1, "and not again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bounce_from_the_stores_server_fails_email_answered_with_the_reason() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    support_agent(&lab, Behaviour::Bounce).await;
    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "bounced", "{letter:?}");
    assert_eq!(letter.server.as_deref(), Some("bounced: 552 5.2.2 Mailbox full"));
    assert_eq!(outcome(&r, "email.answered"), shopaudit::Outcome::Fail);
    assert_eq!(outcome(&r, "email.first_response_time"), shopaudit::Outcome::Fail);
    assert!(letter.replies.is_empty(), "a bounce is not an answer");
    let again = run(&s, &db, Mode::Send).await;
    assert_eq!(again.evidence.email_probes[0].attempt, 1, "a bounce is final: never retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_helpdesk_on_another_domain_in_a_new_thread_is_matched_by_subject() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    support_agent(&lab, Behaviour::HelpdeskOtherDomain).await;
    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    assert_eq!(letter.state.as_str(), "answered", "{letter:?}");
    let reply = &letter.replies[0];
    assert_eq!((reply.matched_by.as_str(), reply.from.as_str()), ("subject", "acme@helpdesk.test"));
    assert_eq!((reply.ticket.as_deref(), reply.signed_by.as_deref()), (Some("7731"), Some("Mark Stone")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_greek_acknowledgement_is_automatic_by_its_wording() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    run(&s, &db, Mode::Send).await;
    support_agent(&lab, Behaviour::Greek).await;
    let r = run(&s, &db, Mode::Send).await;
    let letter = &r.evidence.email_probes[0];
    let kinds: Vec<&str> = letter.replies.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["auto", "human"], "{letter:?}");
    assert!(letter.replies[0].why_auto.as_deref().unwrap().starts_with("wording"));
    assert_eq!(letter.replies[0].ticket.as_deref(), Some("5521"));
    assert_eq!(letter.replies[1].signed_by.as_deref(), Some("Μαρία Παπαδοπούλου"));
    assert_eq!(outcome(&r, "email.acknowledged"), shopaudit::Outcome::Pass);
}

/// Replies filed for the store's letters, once `want` are there or 30 s have passed.
async fn filed_replies(
    history: &shopaudit::history::History,
    store: &shopaudit::model::StoreKey,
    want: usize,
) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut filed = 0;
        for l in history.letters(store).await.unwrap() {
            filed += history.replies(l.id).await.unwrap().len();
        }
        if filed >= want || std::time::Instant::now() >= deadline {
            return filed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Regression (reliability #10): a letter whose answers could not be read proves nothing, so
/// none is sent while the shopper's IMAP login fails; the report says why.
#[tokio::test(flavor = "multi_thread")]
async fn no_letter_goes_out_while_the_shoppers_mailbox_cannot_be_read() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario(&store.url, &lab, "support@store.test", "");
    std::fs::write(lab.dir.path().join("imap-password"), "not-the-password").unwrap();
    let r = run(&s, &db, Mode::Send).await;
    let why = r.evidence.mailbox_error.clone().unwrap_or_default();
    assert!(why.contains("no letter was sent"), "{why}");
    assert!(lab.messages("support@store.test").await.is_empty(), "nothing reached the store");
    assert_eq!(common::outcome(&r, "email.answered"), shopaudit::Outcome::NotApplicable);
}

/// Regression (reliability #9): a mailbox that cannot be reached was exit 2 with "fix
/// [shopper]", and one broken scenario stopped `collect` for every other store. Each store is
/// read on its own; connection trouble is exit 3, to be read again next run.
#[tokio::test(flavor = "multi_thread")]
async fn collect_reads_each_store_on_its_own_and_connection_trouble_is_exit_3() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let dir = lab.dir.path();
    let good = scenario_file(&store.url, &lab);
    let unreachable = dir.join("unreachable.toml");
    let text = scenario_text(&store.url, &lab, "support@store.test", "", "24h")
        .replace(&format!("port = {}", lab.imap_port), "port = 9");
    std::fs::write(&unreachable, text).unwrap();
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, "[store\n").unwrap();
    let db = dir.join("history.sqlite");
    let (d, u, b, g) =
        (db.to_str().unwrap(), unreachable.to_str().unwrap(), broken.to_str().unwrap(), good.to_str().unwrap());

    let o = shopaudit_cli(&["collect", u, "--db", d]).await;
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("next run") && !err.contains("fix [shopper]"), "{err}");

    let o = shopaudit_cli(&["collect", b, u, g, "--db", d]).await;
    let (out, err) = (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string());
    assert!(out.contains(&format!("{g}: 0 new message(s)")), "the good store is read: {out}{err}");
    assert!(err.contains("line 1") && err.contains("IMAP 127.0.0.1:9"), "{err}");
    assert_eq!(o.status.code(), Some(2), "a broken scenario is the most urgent: {err}");
}

/// A server that accepts connections and never says a word (reliability #1).
async fn silent_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

/// An SMTP server that greets and takes the envelope, then says nothing after DATA.
async fn stalling_smtp() -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 stall.test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    match verb.as_str() {
                        "EHLO" | "HELO" => write.write_all(b"250 stall.test\r\n").await.unwrap(),
                        "MAIL" | "RCPT" => write.write_all(b"250 OK\r\n").await.unwrap(),
                        _ => {} // DATA and whatever follows: silence, the connection held open
                    }
                }
            });
        }
    });
    port
}

/// `shopaudit ARGS`, ended (and failed) if it has not finished in a minute: a hang fails the
/// test instead of holding the suite.
async fn shopaudit_within_a_minute(args: &[&str]) -> std::process::Output {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("shopaudit hung on a silent mail server")
        .unwrap()
}

/// Regression (reliability #1): an IMAP server that accepts and never greets held `collect`
/// (and `audit`, `run`) for as long as it kept the connection open.
#[tokio::test(flavor = "multi_thread")]
async fn an_imap_server_that_never_greets_is_given_up_on() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let silent = silent_server().await;
    let file = lab.dir.path().join("silent.toml");
    let text = scenario_text(&store.url, &lab, "support@store.test", "", "24h")
        .replace(&format!("port = {}", lab.imap_port), &format!("port = {silent}"))
        .replace("[shopper.imap]\n", "[shopper.imap]\ntimeout = \"1s\"\n");
    std::fs::write(&file, text).unwrap();
    let db = lab.dir.path().join("history.sqlite");
    let o = shopaudit_within_a_minute(&["collect", file.to_str().unwrap(), "--db", db.to_str().unwrap()]).await;
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("greeting: no answer within 1s"), "{err}");
}

/// Regression (reliability #1): an SMTP server that greets, takes the envelope and stalls held
/// the audit; lettre's timeout did not cover it. The letter stays unconfirmed (its copy, or its
/// absence, decides later) and the audit goes on.
#[tokio::test(flavor = "multi_thread")]
async fn an_smtp_server_that_stalls_after_the_envelope_is_given_up_on() {
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let stalling = stalling_smtp().await;
    let text = scenario_text(&store.url, &lab, "support@store.test", "", "24h")
        .replace(&format!("port = {}", lab.smtp_port), &format!("port = {stalling}"))
        .replace("[shopper.smtp]\n", "[shopper.smtp]\ntimeout = \"1s\"\n");
    let s = Scenario::parse(&text, std::path::Path::new("store.toml")).unwrap();
    let db = lab.dir.path().join("history.sqlite");
    let r = tokio::time::timeout(std::time::Duration::from_secs(60), run(&s, &db, Mode::Send))
        .await
        .expect("the audit hung on a stalling SMTP server");
    let history = shopaudit::history::History::open(&db).unwrap();
    let letter = &history.letters(&s.key).await.unwrap()[0];
    assert_eq!(letter.state.as_str(), "sending", "unconfirmed, not sent: {letter:?}");
    let said = letter.failure.clone().unwrap_or_default();
    assert!(said.contains("timed out") || said.contains("no answer within"), "{letter:?}");
    assert!(r.evidence.email_probes.iter().all(|l| l.state.as_str() != "answered"));
}

/// A letter answered by a person with `text`, `after` the letter, judged with `sla`; the
/// letter's words may come in English too. The store posts no hours: its deadline is
/// calendar time.
async fn answered_with(text: &'static str, after: std::time::Duration, sla: &str) -> shopaudit::Report {
    let lab = MailLab::start();
    let store = common::serve_store("no-contacts").await;
    let db = lab.dir.path().join("history.sqlite");
    let s = scenario_text(&store.url, &lab, "support@store.test", "", sla)
        .replace(r#"expect = ["Казан", "стоимост"]"#, r#"expect = ["Казан|Kazan", "стоимост|cost"]"#);
    let s = Scenario::parse(&s, std::path::Path::new("store.toml")).unwrap();
    run(&s, &db, Mode::Send).await;
    tokio::time::sleep(after).await;
    support_agent(&lab, Behaviour::Answer(text)).await;
    run(&s, &db, Mode::Send).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_answer_fails_literacy_with_the_words() {
    let r = answered_with(
        "Здравствуйте, Анна! Да, доставляем в Казань, стоимость 300 рублей, заказ прийдет чериз три дня, курьер позвонит заранние.\r\n\r\nС уважением,\r\nЮлия Иванова",
        std::time::Duration::ZERO,
        "24h",
    )
    .await;
    assert_eq!(outcome(&r, "email.literacy"), shopaudit::Outcome::Fail);
    let detail = common::detail(&r, "email.literacy");
    assert!(detail.contains("прийдет, чериз, заранние"), "{detail}");
    let html = shopaudit::report::Format::Html.render(&r).unwrap();
    assert!(html.contains("How it reads: ") && html.contains("3 misspelt (прийдет, чериз, заранние)"), "{html}");

    let english = answered_with(
        "Hello Anna! Yes, we deliver to Kazan, the cost is 300 roubles; we will recieve your order and ship it tommorow.\r\n\r\nBest regards,\r\nMark Stone",
        std::time::Duration::ZERO,
        "24h",
    )
    .await;
    assert_eq!(outcome(&english, "email.literacy"), shopaudit::Outcome::Fail);
    assert!(common::detail(&english, "email.literacy").contains("recieve, tommorow"));
    assert_eq!(outcome(&r, "email.answer_quality"), shopaudit::Outcome::Pass, "literate or not, it answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_in_another_language_fails_answer_quality() {
    let r = answered_with(
        "Hello Anna! Yes, we deliver to Kazan by courier, the cost is 300 roubles and it takes three days.\r\n\r\nBest regards,\r\nMark Stone",
        std::time::Duration::ZERO,
        "24h",
    )
    .await;
    assert_eq!(outcome(&r, "email.answer_quality"), shopaudit::Outcome::Fail);
    let detail = common::detail(&r, "email.answer_quality");
    assert!(detail.contains("answered in English to a letter in Russian"), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_sending_the_buyer_to_a_marketplace_fails_answer_quality() {
    let r = answered_with(
        "Здравствуйте, Анна! В Казань доставляем, стоимость 300 рублей. Но этот чайник дешевле здесь: \
         https://www.ozon.ru/product/chaynik-bosch-123/\r\n\r\nС уважением,\r\nЮлия Иванова",
        std::time::Duration::ZERO,
        "24h",
    )
    .await;
    assert_eq!(outcome(&r, "email.answer_quality"), shopaudit::Outcome::Fail);
    let detail = common::detail(&r, "email.answer_quality");
    assert!(
        detail.contains("sends the buyer to other shops (https://www.ozon.ru/product/chaynik-bosch-123/)"),
        "{detail}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_answer_owes_an_apology() {
    let late = std::time::Duration::from_millis(3500);
    let sorry = answered_with(
        "Здравствуйте, Анна! Извините за задержку. Да, доставляем в Казань, стоимость 300 рублей.\r\n\r\nС уважением,\r\nЮлия Иванова",
        late,
        "2s",
    )
    .await;
    let letter = &sorry.evidence.email_probes[0];
    let reading = letter.reading.clone().unwrap();
    assert!(reading.late && reading.apologizes && reading.names_buyer, "{reading:?} {letter:?}");
    assert_eq!(
        outcome(&sorry, "email.answer_quality"),
        shopaudit::Outcome::Pass,
        "{}",
        common::detail(&sorry, "email.answer_quality")
    );
    let curt = answered_with(
        "Здравствуйте, Анна! Да, доставляем в Казань, стоимость 300 рублей.\r\n\r\nС уважением,\r\nЮлия Иванова",
        late,
        "2s",
    )
    .await;
    assert_eq!(outcome(&curt, "email.answer_quality"), shopaudit::Outcome::Warn);
    assert!(common::detail(&curt, "email.answer_quality").contains("late, without an apology"));
}
