//! `shopaudit run DIR` over several fixture stores: the lock, letters answered differently per
//! store by a scripted agent over the real mail lab, the portfolio's figures, regressions,
//! chat availability held against posted hours over runs, and photos shared across stores.

mod common;

#[path = "common/lab.rs"]
mod lab;

#[path = "common/chat.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod chat;

#[path = "common/mail.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod mail;

use std::path::Path;
use std::process::Output;

use mail::MailLab;

async fn shopaudit(args: Vec<String>) -> Output {
    let bin = env!("CARGO_BIN_EXE_shopaudit");
    tokio::task::spawn_blocking(move || std::process::Command::new(bin).args(args).output().unwrap()).await.unwrap()
}

async fn run(dir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["run".into(), dir.display().to_string()];
    args.extend(["--out", "OUT", "--db", "DB"].iter().map(|a| match *a {
        "OUT" => dir.join("out").display().to_string(),
        "DB" => dir.join("history.sqlite").display().to_string(),
        a => a.to_string(),
    }));
    args.extend(extra.iter().map(|a| a.to_string()));
    shopaudit(args).await
}

fn portfolio(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/portfolio.json")).unwrap()).unwrap()
}

fn row<'a>(p: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    p["stores"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no {name} in {p}"))
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A store's scenario that sends one letter to support@store.test through the lab.
fn letter_scenario(store: &url::Url, name: &str, lab: &MailLab, subject: &str, sla: &str) -> String {
    format!(
        "[store]\nname = \"{name}\"\nurl = \"{store}\"\n[browser]\nenabled = false\n{}\
         [email]\nenabled = true\nto = \"support@store.test\"\n\
         [[email.letters]]\nid = \"q\"\nsubject = \"{subject}\"\nbody = \"Здравствуйте! Доставляете ли вы в Казань?\"\n\
         expect = [\"Казан\", \"стоимост\"]\nsla = \"{sla}\"\n",
        lab.shopper_tables("")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn letters_over_runs_become_the_portfolio_figures_and_a_regression_is_exit_4() {
    let lab = MailLab::start();
    let (a, b) = (common::serve_store("en-good").await, common::serve_store("de-store").await);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("portfolio.toml"), "[agency]\nname = \"Northwind Audits\"\n").unwrap();
    std::fs::write(d.join("a.toml"), letter_scenario(&a.url, "Answers Shop", &lab, "Доставка в Казань", "24h"))
        .unwrap();
    std::fs::write(d.join("b.toml"), letter_scenario(&b.url, "Silent Shop", &lab, "Возврат товара", "3s")).unwrap();
    std::fs::write(d.join("c.toml"), "[store]\nurl = \"http://127.0.0.1:9/\"\nmax_pages = 3\n").unwrap();

    let first = run(d, &[]).await;
    assert_eq!(first.status.code(), Some(2), "a broken scenario is exit 2: {}", said(&first));
    assert!(said(&first).contains("unknown field `max_pages`"), "{}", said(&first));
    let p = portfolio(d);
    assert_eq!(p["schema"], "shopaudit/portfolio/v1");
    assert_eq!(p["agency"]["name"], "Northwind Audits");
    assert_eq!(p["stores"].as_array().unwrap().len(), 3);
    assert!(row(&p, "c")["error"].as_str().unwrap().contains("line 3"), "{p}");
    assert!(row(&p, "c")["score"].is_null(), "a store that could not be audited has no score: {p}");
    assert_eq!(row(&p, "Answers Shop")["letters_sent"], 1);
    assert_eq!(row(&p, "Answers Shop")["letters_waiting"], 1, "inside its 24 h deadline");
    assert!(row(&p, "Answers Shop")["answer_rate"].is_null(), "a waiting letter is not yet a rate: {p}");
    assert_eq!(lab.messages("support@store.test").await.len(), 2, "one letter per store");

    // The agent answers the first store's letter (acknowledgement, then a signed answer) and
    // leaves the second unanswered past its 3 s deadline.
    mail::support_agent_for(&lab, "Доставка в Казань", mail::Behaviour::AckThenAnswer).await;
    std::fs::remove_file(d.join("c.toml")).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let logins = lab.logins("shopper@audit.test");
    assert!(logins >= 2, "dovecot logs the shopper's logins: {logins}");
    let second = run(d, &["--fail-on-regression"]).await;
    assert_eq!(
        lab.logins("shopper@audit.test") - logins,
        2,
        "the mailbox both stores share is read once before them and once after"
    );
    assert_eq!(second.status.code(), Some(4), "Silent Shop now fails email.answered: {}", said(&second));
    let worse = said(&second).lines().find(|l| l.contains("Silent Shop")).unwrap().to_string();
    assert!(worse.contains("worse than last run: ") && worse.contains("email.answered"), "{worse}");
    let p = portfolio(d);
    let answers = row(&p, "Answers Shop");
    let report: shopaudit::Report = shopaudit::report::read(&d.join("out/a/report.json")).unwrap();
    let human_ms = report.evidence.email_probes[0].first_human_response_ms.unwrap();
    assert_eq!(
        (&answers["letters_sent"], &answers["letters_answered"], &answers["answer_rate"]),
        (&1.into(), &1.into(), &1.0.into())
    );
    assert_eq!((&answers["complete_answer_rate"], &answers["auto_ack_rate"]), (&1.0.into(), &1.0.into()));
    assert_eq!(answers["answered_within_sla_rate"], 1.0);
    assert_eq!(answers["median_first_human_response_ms"], human_ms);
    assert_eq!(answers["report"], "a/report.html");
    assert_eq!(answers["score"], report.summary.score.unwrap(), "the report's score");
    let silent = row(&p, "Silent Shop");
    assert_eq!((&silent["answer_rate"], &silent["answered_within_sla_rate"]), (&0.0.into(), &0.0.into()));
    assert_eq!(silent["median_first_human_response_ms"], serde_json::Value::Null);
    assert!(silent["failed"]["critical"].as_u64().unwrap() >= 1);
    // hours.honored holds the letters to their deadlines in business time.
    assert_eq!(
        common::outcome(&report, "hours.honored"),
        shopaudit::Outcome::Pass,
        "{}",
        common::detail(&report, "hours.honored")
    );
    let silent_report = shopaudit::report::read(&d.join("out/b/report.json")).unwrap();
    assert_eq!(common::outcome(&silent_report, "hours.honored"), shopaudit::Outcome::Fail);
    let html = std::fs::read_to_string(d.join("out/portfolio.html")).unwrap();
    assert!(html.contains("Northwind Audits") && html.contains("href=\"a&#x2f;report.html\""), "{html}");
    assert!(std::fs::read_to_string(d.join("out/portfolio.md"))
        .unwrap()
        .contains("| [Answers Shop](a/report.html) | 100% (1/1)"));
    assert_eq!(lab.messages("support@store.test").await.len(), 2, "no letter is sent twice");

    // An overlapping run stops at once.
    let held = shopaudit::lock::Lock::take(&d.join("out/.shopaudit.lock")).unwrap();
    let overlapping = run(d, &[]).await;
    assert_eq!(overlapping.status.code(), Some(3));
    assert!(said(&overlapping).contains("another shopaudit run is working in"), "{}", said(&overlapping));
    drop(held);
}

/// A store whose only page is the browser fixture `page`, with posted chat hours.
fn browser_scenario(store: &url::Url, page: &str, name: &str) -> String {
    format!(
        "[store]\nname = \"{name}\"\nurl = \"{}\"\ntimezone = \"Europe/Moscow\"\n[crawl]\nmax_pages = 1\n\
         [browser]\nenabled = true\nrequired = true\nloopback_only = true\nobserve = \"1s\"\nviewports = [\"desktop\"]\n\
         [hours]\nchat = \"24/7\"\n",
        store.join(page).unwrap()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_offline_inside_24_7_fails_hours_honored_over_runs() {
    let store = common::serve_store("browser").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("off.toml"), browser_scenario(&store.url, "jivo-offline.html", "Night Shop")).unwrap();
    std::fs::write(d.join("on.toml"), browser_scenario(&store.url, "jivo-online.html", "Day Shop")).unwrap();
    for _ in 0..2 {
        let o = run(d, &["--no-email"]).await;
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", said(&o));
    }
    let p = portfolio(d);
    assert_eq!(
        (&row(&p, "Night Shop")["chat_checks"], &row(&p, "Night Shop")["chat_online_in_hours_share"]),
        (&2.into(), &0.0.into())
    );
    assert_eq!(
        (&row(&p, "Day Shop")["chat_checks"], &row(&p, "Day Shop")["chat_online_in_hours_share"]),
        (&2.into(), &1.0.into())
    );
    let night: shopaudit::Report = shopaudit::report::read(&d.join("out/off/report.json")).unwrap();
    assert_eq!(common::outcome(&night, "hours.honored"), shopaudit::Outcome::Fail);
    assert!(
        common::detail(&night, "hours.honored")
            .contains("online in 0 of 2 readings inside the posted hours (24/7, Europe/Moscow)"),
        "{}",
        common::detail(&night, "hours.honored")
    );
    let c = night.evidence.compliance.as_ref().unwrap();
    assert_eq!(c.availability.iter().map(|h| h.checks).sum::<usize>(), 2);
    assert_eq!(c.chat_failure_shots.len(), 2, "the page as it looked each time");
    assert!(c.chat_failure_shots[0].image.starts_with("data:image/jpeg;base64,"));
    let html = std::fs::read_to_string(d.join("out/off/report.html")).unwrap();
    assert!(html.contains("aria-label=\"chat availability by hour of the week\""), "the chart is drawn");
    let day: shopaudit::Report = shopaudit::report::read(&d.join("out/on/report.json")).unwrap();
    assert_eq!(common::outcome(&day, "hours.honored"), shopaudit::Outcome::Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_staff_photo_on_two_stores_is_stock_on_both() {
    let (one, two) = (common::serve_store("en-good").await, common::serve_store("en-good").await);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = |url: &url::Url, name: &str| {
        format!("[store]\nname = \"{name}\"\nurl = \"{url}\"\n[browser]\nenabled = false\n")
    };
    std::fs::write(d.join("one.toml"), scenario(&one.url, "First Copy")).unwrap();
    let alone = run(d, &["--no-email"]).await;
    assert!(alone.status.code().is_some(), "{}", said(&alone));
    let report = |slug: &str| -> shopaudit::Report {
        shopaudit::report::read(&d.join(format!("out/{slug}/report.json"))).unwrap()
    };
    assert_eq!(common::outcome(&report("one"), "photos.no_stock_staff"), shopaudit::Outcome::Pass);
    std::fs::write(d.join("two.toml"), scenario(&two.url, "Second Copy")).unwrap();
    run(d, &["--no-email"]).await;
    for slug in ["one", "two"] {
        let r = report(slug);
        assert_eq!(common::outcome(&r, "photos.no_stock_staff"), shopaudit::Outcome::Fail, "{slug}");
        let other = if slug == "one" { "Second Copy" } else { "First Copy" };
        assert!(
            common::detail(&r, "photos.no_stock_staff").contains(&format!("the same photo is on {other}")),
            "{}",
            common::detail(&r, "photos.no_stock_staff")
        );
    }
}

/// A week on a simulated clock, a run every two hours: letters go out daily at the schedule's
/// seeded times, half of them outside the posted hours; the agent answers within an hour in
/// office hours and at 09:30 on the next working morning otherwise. The portfolio's figures are
/// what the agent did, exactly.
#[tokio::test(flavor = "multi_thread")]
async fn a_simulated_week_of_scheduled_letters_and_their_figures() {
    use chrono::{Datelike, Duration, TimeZone, Timelike, Utc};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    let lab = MailLab::start();
    let store = common::serve_store("en-good").await; // posts "Mon–Fri 9am–5pm"
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = letter_scenario(&store.url, "Week Shop", &lab, "Доставка в Казань", "8h")
        .replace("[store]\n", "[store]\ntimezone = \"Europe/Moscow\"\n")
        + "[schedule]\nletters = \"daily\"\noutside_hours_share = 0.5\nseed = 7\n";
    std::fs::write(d.join("week.toml"), &scenario).unwrap();

    let moscow: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
    // A Monday in the past: dovecot keeps an APPEND's arrival time only when it is not in the
    // future.
    let start = moscow.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap().with_timezone(&Utc);
    let now = Arc::new(AtomicI64::new(start.timestamp()));
    let clock_now = now.clone();
    let clock =
        shopaudit::clock::Clock::from_fn(move || Utc.timestamp_opt(clock_now.load(Ordering::SeqCst), 0).unwrap());
    let settings = shopaudit::run::Settings {
        out: d.join("out"),
        db: d.join("history.sqlite").into(),
        concurrency: 1,
        email: Some(shopaudit::probes::email::Mode::Send),
        browser: false,
        clock: clock.clone(),
        keep: shopaudit::history::Keep::All,
    };
    let open = |t: chrono::DateTime<Utc>| {
        let l = t.with_timezone(&moscow);
        l.weekday().num_days_from_monday() < 5 && (9..17).contains(&l.hour())
    };
    // When the agent answers a letter sent at `sent`.
    let answer_at = |sent: chrono::DateTime<Utc>| {
        if open(sent) {
            return sent + Duration::hours(1);
        }
        let mut t = sent.with_timezone(&moscow);
        loop {
            t = (t + Duration::days(if t.hour() < 9 { 0 } else { 1 })).with_hour(9).unwrap().with_minute(30).unwrap();
            if t.weekday().num_days_from_monday() < 5 {
                return t.with_timezone(&Utc);
            }
        }
    };
    let mut queued: Vec<(chrono::DateTime<Utc>, Vec<u8>)> = Vec::new();
    let mut letters: Vec<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)> = Vec::new(); // sent, answered
    let mut seen = std::collections::BTreeSet::new();
    // Through to the Wednesday 00:00 run, which sends Tuesday's letter whatever its time (the
    // seed draws it; with the store's key in the seed, any time of day).
    let end = start + Duration::days(9);
    let mut t = start;
    while t <= end {
        now.store(t.timestamp(), Ordering::SeqCst);
        // Replies whose time has come arrive before the run, as mail between two cron runs.
        for (at, raw) in queued.iter().filter(|(at, _)| *at <= t) {
            lab.append("shopper@audit.test", raw, *at).await;
        }
        queued.retain(|(at, _)| *at > t);
        shopaudit::run::run(d, &settings).await.unwrap();
        for letter in lab.messages("support@store.test").await {
            let id = format!("<{}>", letter.message_id().unwrap());
            if seen.insert(id.clone()) {
                let answer = answer_at(t); // sent by this run, at this simulated time
                letters.push((t, answer));
                let raw = format!(
                    "From: support@store.test\r\nTo: shopper@audit.test\r\nMessage-ID: <{}@store.test>\r\nIn-Reply-To: {id}\r\n\
                     Subject: Re: Доставка в Казань\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                     Здравствуйте! Доставка в Казань есть, стоимость 300 рублей.\r\n\r\nС уважением,\r\nЮлия Иванова\r\n",
                    uuid::Uuid::new_v4()
                );
                queued.push((answer, raw.into_bytes()));
            }
        }
        t += Duration::hours(2);
    }
    let last_run = t - Duration::hours(2);

    // One letter a day of the store's calendar: 9 Moscow days from Monday 00:00 to the end of
    // Tuesday a week later (a plan late at night that no run reached goes out at the next run,
    // just after midnight), some in office hours and some at night or at the weekend.
    assert_eq!(letters.len(), 9, "{letters:?}");
    let outside = letters.iter().filter(|(sent, _)| !open(*sent)).count();
    assert!(outside >= 4 && outside < letters.len(), "half outside the posted hours: {letters:?}");
    let mut delays: Vec<u64> = letters
        .iter()
        .filter(|(_, answer)| *answer <= last_run)
        .map(|(sent, answer)| (*answer - *sent).num_milliseconds() as u64)
        .collect();
    delays.sort_unstable();
    let rank = |p: usize| delays[(p * delays.len()).div_ceil(100) - 1];
    let p = portfolio(d);
    let week = row(&p, "Week Shop");
    // Letters whose answer comes after the last run are still inside their deadline: waiting,
    // and left out of the rates.
    let waiting = letters.len() - delays.len();
    let (n, answered) = ((letters.len() - waiting) as f64, delays.len() as f64);
    assert_eq!(week["letters_sent"], letters.len());
    assert_eq!(week["letters_waiting"], waiting);
    assert_eq!(week["letters_answered"], delays.len());
    assert_eq!(week["answer_rate"], answered / n);
    assert_eq!(week["complete_answer_rate"], answered / n);
    assert_eq!(week["answered_within_sla_rate"], answered / n, "within 8 business hours, nights and weekends aside");
    assert_eq!(week["auto_ack_rate"], 0.0);
    assert_eq!(week["median_first_human_response_ms"], rank(50));
    assert_eq!(week["p90_first_human_response_ms"], rank(90));
    assert!(rank(90) > 8 * 3600 * 1000, "a weekend letter waits for Monday in calendar time");
    let report = shopaudit::report::read(&d.join("out/week/report.json")).unwrap();
    assert_eq!(
        common::outcome(&report, "hours.honored"),
        shopaudit::Outcome::Pass,
        "{}",
        common::detail(&report, "hours.honored")
    );
    assert_eq!(report.evidence.compliance.as_ref().unwrap().response_times.len(), delays.len());
    let html = std::fs::read_to_string(d.join("out/week/report.html")).unwrap();
    assert!(html.contains("aria-label=\"first human answer per letter\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_midway_leaves_nothing_the_next_run_trips_over() {
    let lab = MailLab::start();
    let (a, b) = (common::serve_store("en-good").await, common::serve_store("de-store").await);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.toml"), letter_scenario(&a.url, "First Shop", &lab, "Доставка в Казань", "24h")).unwrap();
    std::fs::write(d.join("b.toml"), letter_scenario(&b.url, "Second Shop", &lab, "Возврат товара", "24h")).unwrap();
    // The first store's letter reaches its mailbox, then the server stalls before its 250: the
    // run is killed there, holding the lock, with the second store not yet begun.
    std::fs::write(lab.dir.path().join("smtp-stall"), "60").unwrap();
    let mut killed = std::process::Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["run", d.to_str().unwrap(), "--concurrency", "1", "-q", "--out"])
        .arg(d.join("out"))
        .arg("--db")
        .arg(d.join("history.sqlite"))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while lab.messages("support@store.test").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the first letter never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    std::fs::remove_file(lab.dir.path().join("smtp-stall")).unwrap();

    let next = run(d, &[]).await;
    assert!(next.status.code().is_some_and(|c| c <= 1), "the next run completes: {}", said(&next));
    let p = portfolio(d);
    assert_eq!(
        (&row(&p, "First Shop")["letters_sent"], &row(&p, "Second Shop")["letters_sent"]),
        (&1.into(), &1.into())
    );
    let first = shopaudit::report::read(&d.join("out/a/report.json")).unwrap();
    assert!(
        first.evidence.email_probes[0].server.as_deref().unwrap().starts_with("reconciled"),
        "{:?}",
        first.evidence.email_probes
    );
    let subjects: Vec<String> =
        lab.messages("support@store.test").await.iter().map(|m| m.subject().unwrap_or_default().to_string()).collect();
    assert_eq!(subjects.len(), 2, "one letter per store, none twice: {subjects:?}");
    assert!(!std::fs::read_dir(d.join("out"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(".partial")));
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_answers_over_runs_count_in_the_portfolio() {
    let lab = chat::ChatLab::start(chat::Operator::Answers {
        after: std::time::Duration::from_millis(2500),
        name: "Julia Ivanova",
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = format!(
        "[store]\nname = \"Chat Shop\"\nurl = \"{}\"\n[crawl]\nmax_pages = 1\n\
         [browser]\nrequired = true\nloopback_only = true\nobserve = \"1s\"\nviewports = [\"desktop\"]\n\
         [chat]\nenabled = true\nsla = \"20s\"\nselectors = {{ launcher = \"#lab-launcher\", input = \".lab-input\", \
         send = \".lab-send\", operator_message = \".lab-msg.lab-operator\", operator_name = \".lab-name\" }}\n\
         [[chat.questions]]\nid = \"size\"\ntext = \"Size 42?\"\nexpect = [\"42\"]\n",
        lab.url
    );
    std::fs::write(d.join("chat.toml"), scenario).unwrap();
    for _ in 0..2 {
        let o = run(d, &["--no-email"]).await;
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", said(&o));
    }
    let p = portfolio(d);
    let shop = row(&p, "Chat Shop");
    assert_eq!(
        (&shop["chat_questions"], &shop["chat_answered"], &shop["chat_answer_rate"]),
        (&2.into(), &2.into(), &1.0.into())
    );
    let median = shop["median_first_human_chat_reply_ms"].as_i64().unwrap();
    assert!((median - 2500).abs() <= 1000, "{median} ms against the operator's 2.5 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_readings_at_night_and_on_saturday_are_outside_weekday_hours() {
    use chrono::TimeZone;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;

    let store = common::serve_store("browser").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = browser_scenario(&store.url, "jivo-offline.html", "Office Shop")
        .replace("chat = \"24/7\"", "chat = \"Mo-Fr 09:00-18:00\"");
    std::fs::write(d.join("office.toml"), scenario).unwrap();
    let moscow: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
    let now = Arc::new(AtomicI64::new(0));
    let read = now.clone();
    let settings = shopaudit::run::Settings {
        out: d.join("out"),
        db: d.join("history.sqlite").into(),
        concurrency: 1,
        email: None,
        browser: true,
        clock: shopaudit::clock::Clock::from_fn(move || {
            chrono::Utc.timestamp_opt(read.load(Ordering::SeqCst), 0).unwrap()
        }),
        keep: shopaudit::history::Keep::All,
    };
    // Monday 03:00 and 14:00, Saturday 14:00, Moscow time.
    for (day, hour) in [(2, 3), (2, 14), (7, 14)] {
        now.store(moscow.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap().timestamp(), Ordering::SeqCst);
        shopaudit::run::run(d, &settings).await.unwrap();
    }
    let report = shopaudit::report::read(&d.join("out/office/report.json")).unwrap();
    let c = report.evidence.compliance.unwrap();
    assert_eq!((c.chat_checks, c.chat_in_hours, c.chat_online_in_hours), (3, 1, 0), "{:?}", c.availability);
    let cells: Vec<(u32, u32, bool)> = c.availability.iter().map(|h| (h.day, h.hour, h.in_hours)).collect();
    assert_eq!(cells, [(0, 3, false), (0, 14, true), (5, 14, false)]);
    assert!(
        c.chat_failures[0].starts_with("Mon 2026-11-02 14:00 (Europe/Moscow, inside Mo-Fr 09:00-18:00)"),
        "{:?}",
        c.chat_failures
    );
}

/// Two scenarios for one site (two shoppers, say) are two stores: each has its own runs and
/// regressions, keyed by the scenario file's stem or `store.id`, and its own report folder.
#[tokio::test(flavor = "multi_thread")]
async fn two_scenarios_for_one_site_are_two_stores() {
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = |name: &str, extra: &str| {
        format!("[store]\n{extra}name = \"{name}\"\nurl = \"{}\"\n[browser]\nenabled = false\n", store.url)
    };
    std::fs::write(d.join("anna.toml"), scenario("Shop for Anna", "")).unwrap();
    // Skips the check the other one fails: were they one store, the other would regress.
    std::fs::write(
        d.join("boris.toml"),
        scenario("Shop for Boris", "id = \"shop-boris\"\n") + "[checks]\nskip = [\"site.https\"]\n",
    )
    .unwrap();
    for _ in 0..2 {
        let o = run(d, &["--no-email", "--fail-on-regression"]).await;
        assert!(o.status.code().is_some_and(|c| c != 4 && c != 2), "{}", said(&o));
    }
    let history = shopaudit::history::History::open(&d.join("history.sqlite")).unwrap();
    for (key, name) in [("anna", "Shop for Anna"), ("shop-boris", "Shop for Boris")] {
        let (latest, folder) = history.latest_run(&shopaudit::model::StoreKey::new(key)).await.unwrap().unwrap();
        assert_eq!((latest.store.key.as_str(), latest.store.name.as_str()), (key, name));
        assert_eq!(folder.unwrap().parent().unwrap(), d.join("out").join(key), "a folder per run, in the store's");
        let written = shopaudit::report::read(&d.join("out").join(key).join("report.json")).unwrap();
        assert_eq!(written.store.name, name);
    }
    assert!(history.latest_run(&shopaudit::model::StoreKey::new(store.url.as_str())).await.unwrap().is_none());
}

/// Regression (reliability #2): `run --no-browser` holds for every store, even one whose
/// scenario requires a browser (it used to start, or look for, one per store).
#[tokio::test(flavor = "multi_thread")]
async fn no_browser_holds_for_every_store() {
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = format!(
        "[store]\nname = \"Needs Chromium\"\nurl = \"{}\"\n[browser]\nenabled = true\nrequired = true\n\
         path = \"/nonexistent/chromium\"\n",
        store.url
    );
    std::fs::write(d.join("needs.toml"), scenario).unwrap();
    let o = run(d, &["--no-email", "--no-browser"]).await;
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", said(&o));
    let report = shopaudit::report::read(&d.join("out/needs/report.json")).unwrap();
    assert!(report.evidence.browser.is_none(), "no browser looked at the store");
    assert!(!report.run.probes.iter().any(|p| p == "browser"));
}

/// Regression (reliability #3): a store that could be audited last run and answers 404 now is
/// exit 3 and a regression, never the cleanest store of the portfolio.
#[tokio::test(flavor = "multi_thread")]
async fn a_store_gone_404_is_a_regression_that_cannot_be_audited() {
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario =
        |url: &url::Url| format!("[store]\nname = \"Vanishing\"\nurl = \"{url}\"\n[browser]\nenabled = false\n");
    std::fs::write(d.join("shop.toml"), scenario(&store.url)).unwrap();
    let first = run(d, &["--no-email", "--fail-on-regression"]).await;
    assert!(first.status.code().is_some_and(|c| c <= 1), "{}", said(&first));
    std::fs::write(d.join("shop.toml"), scenario(&store.url.join("gone.html").unwrap())).unwrap();
    let second = run(d, &["--no-email", "--fail-on-regression"]).await;
    assert_eq!(second.status.code(), Some(3), "{}", said(&second));
    let p = portfolio(d);
    let row = row(&p, "Vanishing");
    assert!(row["error"].as_str().unwrap().contains("HTTP 404"), "{row}");
    assert!(!row["regressions"].as_array().unwrap().is_empty(), "{row}");
}

/// Every run's report is kept (issue 15): in the history, openable by its run, and on disk in a
/// folder of its own beside `latest` and `report.json`, until `--keep` drops the oldest; a
/// store that cannot be audited is remembered as such, and said on stderr even with `-q`.
#[tokio::test(flavor = "multi_thread")]
async fn every_report_is_kept_until_keep_drops_it_and_an_unaudited_store_is_remembered() {
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = |url: &url::Url| format!("[store]\nname = \"Kept\"\nurl = \"{url}\"\n[browser]\nenabled = false\n");
    std::fs::write(d.join("shop.toml"), scenario(&store.url)).unwrap();
    for _ in 0..3 {
        let o = run(d, &["--no-email"]).await;
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", said(&o));
    }
    let folders = || {
        let mut names: Vec<String> = std::fs::read_dir(d.join("out/shop"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("20"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(folders().len(), 3, "{:?}", folders());
    let p = portfolio(d);
    let kept = row(&p, "Kept");
    assert_eq!(kept["trend"].as_array().unwrap().len(), 3, "{kept}");
    assert_eq!(kept["change"], 0, "{kept}");
    assert!(kept["last_audited"].is_string(), "{kept}");
    let history = shopaudit::history::History::open(&d.join("history.sqlite")).unwrap();
    let key = shopaudit::model::StoreKey::new("shop");
    let runs = history.runs(Some(&key)).await.unwrap();
    assert_eq!(runs.len(), 3);
    let newest = folders().pop().unwrap();
    assert_eq!(std::fs::read_link(d.join("out/shop/latest")).unwrap(), Path::new(&newest));
    let latest = shopaudit::report::read(&d.join("out/shop/report.json")).unwrap();
    assert_eq!(latest.run.id, runs[2].id);
    assert_eq!(runs[2].out_dir.as_deref(), Some(d.join("out/shop").join(&newest).as_path()));
    let first = history.run(&key, &runs[0].id).await.unwrap().unwrap();
    assert_eq!((first.summary.score, first.failing()), (runs[0].score, runs[0].failing.clone()));

    let o = run(d, &["--no-email", "--keep", "2"]).await;
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", said(&o));
    assert_eq!(folders().len(), 2, "{:?}", folders());
    assert_eq!(history.runs(Some(&key)).await.unwrap().len(), 2);
    assert!(history.run(&key, &runs[0].id).await.unwrap().is_none());

    std::fs::write(d.join("shop.toml"), scenario(&store.url.join("gone.html").unwrap())).unwrap();
    let gone = run(d, &["--no-email", "-q"]).await;
    assert_eq!(gone.status.code(), Some(3), "{}", said(&gone));
    assert!(gone.stdout.is_empty(), "{}", said(&gone));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("could not run"), "{}", said(&gone));
    let unaudited = history.unaudited(Some(&key)).await.unwrap();
    assert_eq!(unaudited.len(), 1);
    assert!(unaudited[0].error.contains("HTTP 404"), "{:?}", unaudited);
    let bad = run(d, &["--keep", "0"]).await;
    assert_eq!(bad.status.code(), Some(2), "{}", said(&bad));
}

/// Alerts (issue 15): a webhook receiver on loopback and the mail lab each get exactly one
/// alert per event across repeated runs (a new regression; a store that could not be audited
/// twice in a row), with the link to the store's page; the webhook's address, a secret, is
/// never printed.
#[tokio::test(flavor = "multi_thread")]
async fn each_event_is_told_once_by_webhook_and_by_mail_across_runs() {
    use axum::routing::post;
    let lab = MailLab::start();
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let client_heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let listen = |to: std::sync::Arc<std::sync::Mutex<Vec<String>>>| {
        post(move |body: String| async move {
            to.lock().unwrap().push(body);
            "ok"
        })
    };
    let hook = axum::Router::new()
        .route("/hooks/secret-path", listen(heard.clone()))
        .route("/hooks/client", listen(client_heard.clone()));
    let receiver = shopaudit::serve::serve(hook, 0).await.unwrap();
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hook_url = format!("{}hooks/secret-path", receiver.url);
    std::fs::write(d.join("hook-url"), format!("{hook_url}\n")).unwrap();
    // The store's own [alerts]: its client's channel, told the same events.
    std::fs::write(d.join("client-hook"), format!("{}hooks/client", receiver.url)).unwrap();
    std::fs::write(
        d.join("portfolio.toml"),
        format!(
            "[agency]\nname = \"Northwind\"\n[alerts]\nbase_url = \"http://127.0.0.1:8080/\"\nwebhook_file = \"hook-url\"\n\
             email_to = [\"support@store.test\"]\nemail_from = \"shopaudit@audit.test\"\n\
             [alerts.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
            lab.smtp_port
        ),
    )
    .unwrap();
    let scenario = |url: &url::Url, skip: &str| {
        format!(
            "[store]\nname = \"Told\"\nurl = \"{url}\"\n[browser]\nenabled = false\n[checks]\nskip = [{skip}]\n\
             [alerts]\nwebhook_file = \"client-hook\"\n"
        )
    };
    let gone = store.url.join("gone.html").unwrap();
    let steps = [
        (scenario(&store.url, "\"site.https\""), 0),
        (scenario(&store.url, ""), 1), // site.https fails now: a regression
        (scenario(&store.url, ""), 1),
        (scenario(&gone, ""), 1), // could not be audited once: not yet
        (scenario(&gone, ""), 2), // twice in a row
        (scenario(&gone, ""), 2),
    ];
    for (i, (text, told)) in steps.iter().enumerate() {
        std::fs::write(d.join("shop.toml"), text).unwrap();
        let o = run(d, &["--no-email"]).await;
        assert!(!said(&o).contains("secret-path"), "the webhook's address is never printed: {}", said(&o));
        assert_eq!(heard.lock().unwrap().len(), *told, "after run {}: {}", i + 1, said(&o));
        assert_eq!(client_heard.lock().unwrap().len(), *told, "the store's own channel, run {}", i + 1);
        if i == 1 {
            // The store's own report and the portfolio say what got worse, too.
            let report = shopaudit::report::read(&d.join("out/shop/report.json")).unwrap();
            assert_eq!(report.run.regressions, ["site.https"]);
            let html = std::fs::read_to_string(d.join("out/shop/report.html")).unwrap();
            assert!(html.contains("worse than the audit before"));
            let md = std::fs::read_to_string(d.join("out/portfolio.md")).unwrap();
            assert!(md.contains("site.https"), "{md}");
        }
    }
    let heard = heard.lock().unwrap().clone();
    let first: serde_json::Value = serde_json::from_str(&heard[0]).unwrap();
    let text = first["text"].as_str().unwrap();
    assert!(
        text.contains("Told got worse: site.https") && text.contains("http://127.0.0.1:8080/stores/shop"),
        "{text}"
    );
    assert!(heard[1].contains("could not be audited 2 times in a row"), "{}", heard[1]);
    let mails = lab.messages("support@store.test").await;
    let subjects: Vec<String> = mails.iter().map(|m| m.subject().unwrap_or_default().to_string()).collect();
    assert_eq!(subjects, ["shopaudit: regression (shop)", "shopaudit: unaudited (shop)"]);
}

/// Regression (reliability #12): a history that fails after the audits (here a trigger refuses
/// to record runs, as a full disk or another program's lock would) costs what the history
/// would have added, never the reports and the portfolio; the run says so and exits 3.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_failing_mid_run_still_leaves_every_report_and_the_portfolio() {
    let store = common::serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in ["one", "two"] {
        let scenario = format!("[store]\nname = \"{name}\"\nurl = \"{}\"\n[browser]\nenabled = false\n", store.url);
        std::fs::write(d.join(format!("{name}.toml")), scenario).unwrap();
    }
    drop(shopaudit::history::History::open(&d.join("history.sqlite")).unwrap());
    let db = rusqlite::Connection::open(d.join("history.sqlite")).unwrap();
    db.execute_batch("CREATE TRIGGER full BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk is full'); END;")
        .unwrap();
    let o = run(d, &["--no-email"]).await;
    assert_eq!(o.status.code(), Some(3), "{}", said(&o));
    assert!(said(&o).contains("disk is full") && said(&o).contains("were written without it"), "{}", said(&o));
    for name in ["one", "two"] {
        assert!(d.join(format!("out/{name}/report.html")).exists(), "{name}: {}", said(&o));
    }
    let p = portfolio(d);
    assert_eq!(p["stores"].as_array().unwrap().len(), 2, "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_study_set_prints_its_figures_beside_the_published_ones() {
    let lab = MailLab::start();
    let store = common::serve_store("no-contacts").await; // posts no hours: calendar deadlines
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let study = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/study");
    std::fs::copy(study.join("portfolio.toml"), d.join("portfolio.toml")).unwrap();
    // The template as a user fills it in: the store, its address, the shopper's mailbox; the
    // schedule left out so that every letter is due at once, and a deadline of seconds.
    let template = std::fs::read_to_string(study.join("store.toml.example")).unwrap();
    let (head, rest) = template.split_once("\n[shopper]\n").unwrap();
    let (_, rest) = rest.split_once("\n[email]\n").unwrap();
    let (email, _) = rest.split_once("\n[schedule]\n").unwrap();
    let filled = format!("{head}\n{}[email]\n{email}", lab.shopper_tables(""))
        .replace("https://store.example/", store.url.as_str())
        .replace("support@store.example", "support@store.test")
        .replace("sla = \"24h\"", "sla = \"30s\"");
    std::fs::write(d.join("acme.toml"), filled).unwrap();

    // The deadline is generous enough for a loaded machine to answer inside it; the second
    // run waits until it has passed since the letters went out (by the end of the first run),
    // so that the unanswered letter is decided.
    let first = run(d, &[]).await;
    let sent = std::time::Instant::now();
    assert!(first.status.code().is_some_and(|c| c <= 1), "{}", said(&first));
    assert_eq!(lab.messages("support@store.test").await.len(), 3, "three letters, two questions each");
    // The product letter is answered completely, shipping by half, returns not at all.
    let answers = [
        ("Question about the Trail Runner shoes", "Hello Anna! Yes, size 9 is in stock, with a two-year warranty."),
        ("Shipping to Springfield", "Hello Anna! Shipping to Springfield takes three business days."),
    ];
    for (subject, text) in answers {
        mail::support_agent_for(&lab, subject, mail::Behaviour::Answer(text)).await;
    }
    let deadline = std::time::Duration::from_secs(31);
    tokio::time::sleep(deadline.saturating_sub(sent.elapsed())).await;
    let second = run(d, &[]).await;
    assert!(second.status.code().is_some_and(|c| c <= 1), "{}", said(&second));
    let p = portfolio(d);
    let figures = &p["figures"];
    assert_eq!((&figures["letters"], &figures["complete_answer_rate"]), (&3.into(), &0.3333.into()), "{p}");
    assert_eq!(figures["best_store"], "Example Store");
    assert_eq!(p["benchmark"]["complete_answer_rate"], 0.54);
    let md = std::fs::read_to_string(d.join("out/portfolio.md")).unwrap();
    assert!(md.contains("| Letters answered completely | 33% of 3 letters | 54% |"), "{md}");
    assert!(md.contains("| The best store's complete answers | 33% (Example Store) | 89% |"), "{md}");
    let html = std::fs::read_to_string(d.join("out/portfolio.html")).unwrap();
    assert!(html.contains("Beside the published figures") && html.contains("Published study (2012)"));
    let report = shopaudit::report::read(&d.join("out/acme/report.json")).unwrap();
    let shipping = report.evidence.email_probes.iter().find(|l| l.id == "shipping").unwrap();
    assert_eq!(shipping.completeness.map(|c| c.as_str()), Some("partial"));
}
