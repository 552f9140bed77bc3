//! The history on both backends: the same rows and the same answers from the embedded SQLite
//! file and from a real PostgreSQL (scripts/pg-lab: initdb in a temporary folder, started on
//! 127.0.0.1, stopped by its PID). Then `shopaudit` itself with `--db postgres://...`, the
//! password read from a PGPASSFILE, never from the command line or shown.

mod common;

#[path = "common/lab.rs"]
mod lab;

#[path = "common/pg.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod pg;

use std::path::PathBuf;
use std::process::Command;

use pg::PgLab;

use chrono::{DateTime, FixedOffset};
use shopaudit::history::{History, Location, MailKind, NewLetter, SendState, StoredReply};
use shopaudit::model::evidence::{ConversationOutcome, MatchedBy};
use shopaudit::model::StoreKey;

fn at(minutes: i64) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap() + chrono::Duration::minutes(minutes)
}

/// The same story on any backend: a letter sent and answered, a failed retry, a mailbox
/// cursor, conversations, and a run kept and read back.
async fn the_same_rows_come_back(history: &History) {
    let store = StoreKey::new("shop");
    let new = |message_id: &'static str, attempt| NewLetter {
        via: shopaudit::history::Written::Email,
        store: &store,
        letter: "delivery",
        message_id,
        token: "tok123",
        from: "shopper@audit.test",
        to: "support@store.test",
        subject: "Delivery",
        body: "Do you deliver to Kazan?",
        attempt,
        at: at(0),
        slot: Some(if attempt == 1 { "once" } else { "retry of 1" }),
    };
    let first = history.begin_letter(&new("<1@audit.test>", 1)).await.unwrap().unwrap();
    assert_eq!(history.begin_letter(&new("<9@audit.test>", 1)).await.unwrap(), None, "claimed once");
    assert_eq!(history.latest(&store, "delivery", None).await.unwrap().unwrap().state, SendState::Sending);
    history.mark_failed(first, "421 try later", true).await.unwrap();
    let second = history.begin_letter(&new("<2@audit.test>", 2)).await.unwrap().unwrap();
    history.mark_sent(second, at(1), "250 queued").await.unwrap();
    let letters = history.letters(&store).await.unwrap();
    assert_eq!(
        letters.iter().map(|l| (l.state, l.attempt, l.retry)).collect::<Vec<_>>(),
        [(SendState::Failed, 1, true), (SendState::Sent, 2, false)]
    );
    assert_eq!(letters[1].sent_at, Some(at(1)));
    assert_eq!(letters[1].body, "Do you deliver to Kazan?", "the letter's text is kept for reading answers");
    assert_eq!(history.latest(&store, "delivery", Some("other@store.test")).await.unwrap(), None, "by recipient");
    assert_eq!(history.vocabulary(&store).await.unwrap(), "", "no audit yet");
    history.save_vocabulary(&store, "rapidoboil\nчайник").await.unwrap();
    history.save_vocabulary(&store, "bosch\nчайник").await.unwrap();
    assert_eq!(history.vocabulary(&store).await.unwrap(), "bosch\nчайник", "the last audit's words");
    let sent = history.sent_letters().await.unwrap();
    assert_eq!(sent.iter().filter(|s| s.confirmed).count(), 1);

    let reply = StoredReply {
        source: "INBOX;7;1".into(),
        message_id: Some("<r@store.test>".into()),
        received_at: at(30),
        received_from: "imap internaldate".into(),
        from: "anna@store.test".into(),
        kind: MailKind::Human,
        why_auto: None,
        ticket: Some("4711".into()),
        signed_by: Some("Anna".into()),
        matched_by: MatchedBy::Thread,
        text: "Hello, we deliver to Kazan".into(),
    };
    assert!(history.add_reply(second, &reply).await.unwrap());
    assert!(!history.add_reply(second, &reply).await.unwrap(), "never stored twice");
    assert_eq!(history.replies(second).await.unwrap(), vec![reply]);

    assert_eq!(history.cursor("INBOX@lab", 7).await.unwrap(), 0);
    history.set_cursor("INBOX@lab", 7, 42).await.unwrap();
    assert_eq!(history.cursor("INBOX@lab", 7).await.unwrap(), 42);
    assert_eq!(history.cursor("INBOX@lab", 8).await.unwrap(), 0, "a new UID validity starts over");

    let talk = shopaudit::model::evidence::Conversation {
        question_id: "size".into(),
        page: "http://127.0.0.1/".into(),
        question_sent_at: Some(at(5)),
        first_human_reply_ms: Some(40_000),
        outcome: ConversationOutcome::Answered,
        ..Default::default()
    };
    history.record_conversations(&store, &[talk]).await.unwrap();
    let talks = history.conversations(&store).await.unwrap();
    assert_eq!((talks[0].outcome, talks[0].first_human_reply_ms), (ConversationOutcome::Answered, Some(40_000)));

    let report: shopaudit::Report = serde_json::from_value(serde_json::json!({
        "schema": "shopaudit/report/v1", "tool": {"name": "shopaudit", "version": "0"},
        "store": {"key": "shop", "name": "Shop", "url": "http://127.0.0.1/", "timezone": null},
        "run": {"id": "run-1", "started_at": at(0), "finished_at": at(1), "probes": []},
        "pages": [], "evidence": shopaudit::model::Evidence::default(), "findings": [],
        "summary": {"pass": 0, "fail": 0, "warn": 0, "not_applicable": 0, "error": 0},
    }))
    .unwrap();
    history.record_run(&report, Some(std::path::Path::new("/reports/shop"))).await.unwrap();
    let (back, dir) = history.latest_run(&store).await.unwrap().unwrap();
    assert_eq!((back, dir), (report, Some(PathBuf::from("/reports/shop"))));
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_and_postgresql_keep_the_same_history() {
    let dir = tempfile::tempdir().unwrap();
    the_same_rows_come_back(&History::connect(&dir.path().join("h.sqlite").into()).await.unwrap()).await;

    let lab = PgLab::start();
    std::env::set_var("PGPASSFILE", lab.passfile.clone());
    let location: Location = lab.url.parse().unwrap();
    assert!(matches!(location, Location::Postgres(_)));
    the_same_rows_come_back(&History::connect(&location).await.unwrap()).await;
    // Opened again (a second machine, a later version of the same build): nothing to migrate.
    History::connect(&location).await.unwrap();

    // A password in the URL is refused, and never repeated.
    let password = std::fs::read_to_string(&lab.password_file).unwrap();
    let with_password: Location =
        lab.url.replace("shopaudit@", &format!("shopaudit:{}@", password.trim())).parse().unwrap();
    assert!(!with_password.to_string().contains(password.trim()), "{with_password}");
    let err = History::connect(&with_password).await.err().unwrap().to_string();
    assert!(err.contains("PGPASSWORD") && !err.contains(password.trim()), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_and_report_use_a_postgresql_history_and_a_newer_schema_is_refused() {
    let lab = PgLab::start();
    let store = common::serve_store("en-good").await;
    let out = lab.dir.path().join("reports");
    let shopaudit = |args: Vec<String>| {
        let passfile = lab.passfile.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_shopaudit"))
                    .args(args)
                    .env("PGPASSFILE", passfile)
                    .env_remove("PGPASSWORD")
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let audit_of = |target: &str| {
        let args = ["audit", target, "--no-browser", "-q", "--db", &lab.url, "--out", &out.display().to_string()];
        shopaudit(args.iter().map(|a| a.to_string()).collect())
    };
    let audit = audit_of(store.url.as_str()).await;
    let said = format!("{}{}", String::from_utf8_lossy(&audit.stdout), String::from_utf8_lossy(&audit.stderr));
    assert!(audit.status.code().is_some_and(|c| c <= 1), "{said}");
    assert!(out.join("report.json").exists(), "{said}");

    // A database a newer shopaudit has written is refused with a clear word, before any work.
    let psql = |sql: &str| {
        let password = std::fs::read_to_string(&lab.password_file).unwrap();
        let o = Command::new("psql")
            .arg(&lab.url)
            .args(["-qc", sql])
            .env("PGPASSWORD", password.trim())
            .output()
            .expect("psql (postgresql-client)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    psql("UPDATE shopaudit_schema SET version = version + 1");
    let refused = audit_of("http://127.0.0.1:9/").await;
    let err = String::from_utf8_lossy(&refused.stderr).to_string();
    assert_eq!(refused.status.code(), Some(3), "{err}");
    assert!(err.contains("newer shopaudit") && !err.contains("cannot reach"), "{err}");
}

/// `shopaudit submit` hands a folder to the fleet's PostgreSQL: validated as `run` validates it
/// (a broken scenario is line and column, and nothing is stored), each store replaced by its
/// new version, a store left out no longer scheduled.
#[tokio::test(flavor = "multi_thread")]
async fn submit_stores_a_folder_and_replaces_the_previous_one() {
    let lab = PgLab::start();
    let folder = tempfile::tempdir().unwrap();
    let d = folder.path();
    let scenario = |name: &str| format!("[store]\nname = \"{name}\"\nurl = \"http://127.0.0.1:9/\"\n");
    std::fs::write(d.join("anna.toml"), scenario("Anna's")).unwrap();
    std::fs::write(d.join("boris.toml"), scenario("Boris's")).unwrap();
    std::fs::write(d.join("portfolio.toml"), "[agency]\nname = \"Agency\"\n").unwrap();
    let submit = || {
        let (passfile, url, dir) = (lab.passfile.clone(), lab.url.clone(), d.to_path_buf());
        Command::new(env!("CARGO_BIN_EXE_shopaudit"))
            .args(["submit", &dir.display().to_string(), "--db", &url])
            .env("PGPASSFILE", passfile)
            .env_remove("PGPASSWORD")
            .output()
            .unwrap()
    };
    let said = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let first = submit();
    assert!(first.status.success(), "{}", said(&first));
    assert!(said(&first).contains("submitted 2 store(s)") && !said(&first).contains("PGPASS"), "{}", said(&first));

    std::env::set_var("PGPASSFILE", lab.passfile.clone());
    let history = History::connect(&lab.url.parse().unwrap()).await.unwrap();
    let (stores, portfolio) = history.submitted().await.unwrap();
    assert_eq!(stores.iter().map(|s| s.store.as_str()).collect::<Vec<_>>(), ["anna", "boris"]);
    assert!(portfolio.unwrap().contains("Agency"));

    // A broken scenario: line and column, exit 2, and the fleet keeps the previous submission.
    std::fs::write(d.join("boris.toml"), "[store]\nurl = 42\n").unwrap();
    let broken = submit();
    assert_eq!(broken.status.code(), Some(2), "{}", said(&broken));
    assert!(said(&broken).contains("boris.toml") && said(&broken).contains("line 2"), "{}", said(&broken));
    assert_eq!(history.submitted().await.unwrap().0.len(), 2);

    // Boris's store left out, Anna's changed: Anna's new version, Boris's no longer scheduled.
    std::fs::remove_file(d.join("boris.toml")).unwrap();
    std::fs::write(d.join("anna.toml"), scenario("Anna's Shoes")).unwrap();
    let second = submit();
    assert!(said(&second).contains("no longer scheduled (their history stays): boris"), "{}", said(&second));
    let (stores, _) = history.submitted().await.unwrap();
    assert_eq!(stores.len(), 1);
    assert!(stores[0].text.contains("Anna's Shoes"));
}
