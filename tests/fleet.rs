//! The fleet on real parts: a PostgreSQL of the test's own (scripts/pg-lab), the mail lab,
//! fixture stores on loopback, and `shopaudit worker` processes sharing the queue. Every store
//! is audited once for its slot and every letter sent once, even with a worker killed with -9
//! in the middle of an audit and another inside SMTP; the fleet's portfolio gives the figures
//! `shopaudit run` gives; a mailbox is watched (IDLE) by one worker, and taken over when it dies.

mod common;

#[path = "common/lab.rs"]
mod lab;

#[path = "common/pg.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod pg;

#[path = "common/web.rs"]
mod web;

#[path = "common/mail.rs"]
#[allow(dead_code)] // each test binary uses a different part
mod mail;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use mail::MailLab;
use pg::PgLab;

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A worker that drains the queue, beating every second.
fn worker(pg: &PgLab, out: &Path, secrets: &Path) -> Child {
    spawn_worker(pg, secrets, &["--drain", "--concurrency", "2", "--out", &out.display().to_string()])
}

/// `shopaudit worker` on the lab's database without a browser, planning and beating every
/// second, with `extra` options.
fn spawn_worker(pg: &PgLab, secrets: &Path, extra: &[&str]) -> Child {
    let secrets = secrets.display().to_string();
    let mut args =
        vec!["worker", "--db", &pg.url, "--no-browser", "--tick", "1s", "--beat", "1s", "--secrets-dir", &secrets];
    args.extend_from_slice(extra);
    pg.shopaudit(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
}

/// Waits for a child with a deadline, killing it when the deadline passes.
fn finish(mut child: Child, within: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > within {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

fn rows(portfolio: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    portfolio["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

/// The checks a report fails.
fn failing(report: &Path) -> Vec<String> {
    let report = shopaudit::report::read(report).unwrap();
    report.findings.iter().filter(|f| f.outcome == shopaudit::Outcome::Fail).map(|f| f.check.clone()).collect()
}

/// The figures of a portfolio row that do not depend on when the run happened.
fn figures(row: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "letters_sent": row["letters_sent"],
        "failed": row["failed"],
        "error": row["error"].is_string(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_audit_thirty_stores_once_and_send_every_letter_once_despite_kills_in_an_audit_and_in_smtp() {
    let pg = PgLab::start();
    let mail = MailLab::start();
    let (good, slow) = (common::serve_store("en-good").await, common::serve_store("de-store").await);
    let folder = tempfile::tempdir().unwrap();
    let d = folder.path().join("scenarios");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("portfolio.toml"), "[agency]\nname = \"Northwind Audits\"\n").unwrap();
    let stores = 30;
    for i in 0..stores {
        // Every third store starts at a page that takes five seconds: a worker is killed there.
        let url = if i % 3 == 0 { format!("{}slow.html", slow.url) } else { good.url.to_string() };
        let mut text = format!("[store]\nid = \"s{i:02}\"\nname = \"Store {i:02}\"\nurl = \"{url}\"\n");
        if i % 4 == 1 {
            text += &format!(
                "{}[email]\nenabled = true\nto = \"support@store.test\"\n[[email.letters]]\nid = \"q\"\n\
                 subject = \"Letter from store {i:02}\"\nbody = \"Do you deliver to Kazan?\"\n",
                mail.shopper_tables("")
            );
        }
        std::fs::write(d.join(format!("s{i:02}.toml")), text).unwrap();
    }

    // The folder through `shopaudit run` on SQLite first: the figures the fleet must match.
    let run_out = folder.path().join("run-out");
    let sqlite = folder.path().join("history.sqlite");
    let ran = Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(["run", &d.display().to_string(), "--no-browser", "--out"])
        .arg(&run_out)
        .arg("--db")
        .arg(&sqlite)
        .output()
        .unwrap();
    assert!(ran.status.code().is_some_and(|c| c <= 1), "{}", said(&ran));

    let submitted = pg.shopaudit(&["submit", &d.display().to_string(), "--db", &pg.url]).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));

    let out = folder.path().join("fleet-out");
    // From now on the store's mail server waits 3 s after delivering a letter before its 250,
    // as an overloaded server does: a worker can be killed after the letter went, unconfirmed.
    let stall = mail.dir.path().join("smtp-stall");
    std::fs::write(&stall, "3").unwrap();
    let mut workers: Vec<Child> = (0..3).map(|_| worker(&pg, &out, &d)).collect();

    // Kill -9 a worker in the middle of an audit: a slow start page, no letter to send.
    let auditing = |store: &str| {
        let i: usize = store.trim_start_matches('s').parse().unwrap();
        i.is_multiple_of(3) && i % 4 != 1
    };
    let victim = wait_for("a worker auditing a slow store", || running(&pg, &workers, auditing));
    let mut victim = workers.remove(victim);
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();

    // Kill -9 another in the middle of sending: a letter on its way for a second already,
    // delivered, its 250 not yet heard.
    let sender = wait_for("a worker inside SMTP", || {
        let sending = pg.try_sql("SELECT store FROM letters WHERE state = 'sending' ORDER BY id").ok()?;
        let store = sending.first()?.clone();
        let i = running(&pg, &workers, |s| s == store)?;
        std::thread::sleep(Duration::from_secs(1));
        let still = pg.try_sql(&format!("SELECT state FROM letters WHERE store = '{store}' ORDER BY id DESC LIMIT 1"));
        (still.ok()? == ["sending"] && running(&pg, &workers, |s| s == store) == Some(i)).then_some(i)
    });
    let mut sender = workers.remove(sender);
    sender.kill().unwrap();
    sender.wait().unwrap();
    std::fs::remove_file(&stall).unwrap();

    for w in workers {
        let o = finish(w, Duration::from_secs(180));
        assert!(o.status.success(), "{}", said(&o));
    }

    // Every store audited once for its slot, whoever died.
    let runs = pg.sql("SELECT store, count(*) FROM runs GROUP BY store ORDER BY store");
    assert_eq!(runs.len(), stores, "{runs:?}");
    let jobs = pg.sql("SELECT convert_from(job, 'UTF8'), status, attempts, lock_by, last_result FROM apalis.jobs");
    assert!(runs.iter().all(|r| r.ends_with("|1")), "one run per store: {runs:?}\n{}", jobs.join("\n"));
    let audits = pg.sql("SELECT count(*), count(done_at), count(error) FROM claims WHERE kind = 'audit'");
    assert_eq!(audits, [format!("{stores}|{stores}|0")]);
    let taken_over =
        pg.sql("SELECT count(*) FROM apalis.jobs WHERE attempts > 1 OR last_result::text LIKE '%heartbeat%'");
    let taken_over: usize = taken_over[0].parse().unwrap();
    assert!(taken_over >= 2, "both killed workers' jobs were taken over: {}", jobs.join("\n"));

    // Every letter once from the fleet (and once from the earlier `run`): two per store.
    let messages = mail.messages("support@store.test").await;
    for i in (0..stores).filter(|i| i % 4 == 1) {
        let subject = format!("Letter from store {i:02}");
        let n = messages.iter().filter(|m| m.subject() == Some(subject.as_str())).count();
        assert_eq!(n, 2, "{subject}: once by `run`, once by the fleet");
    }

    // The fleet's portfolio gives the figures `run` gave.
    let read = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("portfolio.json")).unwrap()).unwrap()
    };
    let (fleet, single) = (read(&out), read(&run_out));
    assert_eq!(fleet["agency"]["name"], "Northwind Audits");
    let (fleet, single) = (rows(&fleet), rows(&single));
    assert_eq!(fleet.len(), stores);
    for (name, row) in &single {
        let failing =
            |dir: &Path| failing(&dir.join(row["report"].as_str().unwrap().replace("report.html", "report.json")));
        assert_eq!(failing(&out), failing(&run_out), "{name}");
        assert_eq!(figures(&fleet[name]), figures(row), "{name}");
    }
    assert!(out.join("s01/report.html").exists());

    // Any machine renders the same from the database alone.
    let elsewhere = folder.path().join("elsewhere");
    let o = pg.shopaudit(&["portfolio", "--db", &pg.url, "--out", &elsewhere.display().to_string()]).output().unwrap();
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(read(&elsewhere)["stores"], read(&out)["stores"]);
    assert_eq!(failing(&elsewhere.join("s01/report.json")), failing(&out.join("s01/report.json")));
}

/// A worker needs the fleet's PostgreSQL: a SQLite path is a usage error that says what to use.
#[test]
fn a_worker_on_sqlite_is_told_to_use_run() {
    let o = Command::new(env!("CARGO_BIN_EXE_shopaudit")).args(["worker", "--db", "/tmp/x.sqlite"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", said(&o));
    assert!(said(&o).contains("shopaudit run"), "{}", said(&o));
}

/// The first worker of `workers` that holds a running job, by the pid in its queue name.
/// The worker (of `workers`) running a job for a store that `which` picks, by the pid in its
/// name.
fn running(pg: &PgLab, workers: &[Child], which: impl Fn(&str) -> bool) -> Option<usize> {
    let jobs = pg
        .try_sql("SELECT lock_by, convert_from(job, 'UTF8')::json->>'store' FROM apalis.jobs WHERE status = 'Running'")
        .ok()?;
    jobs.iter().find_map(|row| {
        let (by, store) = row.split_once('|')?;
        let pid: u32 = by.split('-').rev().nth(1)?.parse().ok()?;
        which(store).then(|| workers.iter().position(|c| c.id() == pid)).flatten()
    })
}

fn holding_a_job(pg: &PgLab, workers: &[Child]) -> Option<usize> {
    let running = pg.try_sql("SELECT lock_by FROM apalis.jobs WHERE status = 'Running'").unwrap_or_default();
    running.iter().find_map(|w| {
        let pid: u32 = w.split('-').rev().nth(1)?.parse().ok()?;
        workers.iter().position(|c| c.id() == pid)
    })
}

fn wait_for<T>(what: &str, mut found: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = found() {
            return t;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "never: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM lets a worker finish the job in hand, then it leaves; then the database stopped
/// for ten seconds in the middle of the other worker's work: it waits, connects again and
/// carries on, and every store is audited once.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_job_in_hand_and_a_database_away_for_ten_seconds_is_waited_for() {
    let pg = PgLab::start();
    let slow = common::serve_store("de-store").await;
    let folder = tempfile::tempdir().unwrap();
    let d = folder.path().join("scenarios");
    std::fs::create_dir(&d).unwrap();
    let stores = 6;
    for i in 0..stores {
        let text = format!("[store]\nid = \"slow{i}\"\nurl = \"{}slow.html\"\n", slow.url);
        std::fs::write(d.join(format!("slow{i}.toml")), text).unwrap();
    }
    let submitted = pg.shopaudit(&["submit", &d.display().to_string(), "--db", &pg.url]).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));
    let out = folder.path().join("out");
    let mut workers: Vec<Child> = (0..2).map(|_| worker(&pg, &out, &d)).collect();

    // SIGTERM to a worker in the middle of a job: it finishes that job, then leaves.
    let i = wait_for("a job running", || holding_a_job(&pg, &workers));
    let term = workers.remove(i);
    let in_hand =
        pg.sql(&format!("SELECT id FROM apalis.jobs WHERE status = 'Running' AND lock_by LIKE '%-{}-%'", term.id()));
    // SAFETY: a plain kill(2) of our own child process.
    assert_eq!(unsafe { libc::kill(term.id() as i32, libc::SIGTERM) }, 0);
    let left = finish(term, Duration::from_secs(60));
    assert!(left.status.success() && said(&left).contains("SIGTERM"), "{}", said(&left));
    assert!(!in_hand.is_empty(), "it held a job when it was told to stop");
    for id in &in_hand {
        let status = pg.sql(&format!("SELECT status FROM apalis.jobs WHERE id = '{id}'"));
        assert_eq!(status, ["Done"], "the job in hand was finished");
    }

    // The database away for ten seconds while the other worker is in the middle of a job.
    wait_for("a job running on the other worker", || holding_a_job(&pg, &workers));
    pg.lab("stop");
    std::thread::sleep(Duration::from_secs(10));
    pg.lab("resume");

    let mut noticed = String::new();
    for w in workers {
        let o = finish(w, Duration::from_secs(180));
        assert!(o.status.success(), "{}", said(&o));
        noticed += &said(&o);
    }
    // The worker saw the database go: its connection closed, or it waited for one.
    let signs = ["reconnecting", "starting again", "history connection", "time to acquire"];
    assert!(signs.iter().any(|s| noticed.contains(s)), "the outage was noticed: {noticed}");
    let runs = pg.sql("SELECT store, count(*) FROM runs GROUP BY store ORDER BY store");
    let jobs = pg.sql("SELECT convert_from(job, 'UTF8'), status, attempts, lock_by, last_result FROM apalis.jobs");
    assert_eq!(runs.len(), stores, "{runs:?}\n{}", jobs.join("\n"));
    assert!(runs.iter().all(|r| r.ends_with("|1")), "one run per store: {runs:?}\n{}", jobs.join("\n"));
    let audits = pg.sql("SELECT count(*), count(done_at), count(error) FROM claims WHERE kind = 'audit'");
    assert_eq!(audits, [format!("{stores}|{stores}|0")], "{}", jobs.join("\n"));
}

/// deploy/shopaudit-worker@.service and deploy/worker.env as shipped: the worker started as
/// ExecStart says, with the example environment pointed at the test's database, works, and
/// leaves cleanly on the unit's KillSignal.
#[tokio::test(flavor = "multi_thread")]
async fn the_systemd_unit_starts_a_worker_that_works_and_stops_on_its_kill_signal() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let unit = std::fs::read_to_string(deploy.join("shopaudit-worker@.service")).unwrap();
    let key = |k: &str| unit.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_else(|| panic!("{k}"));
    let exec: Vec<&str> = key("ExecStart").split_whitespace().collect();
    assert_eq!(exec, ["/usr/local/bin/shopaudit", "worker"], "everything else comes from the environment file");
    assert_eq!(key("KillSignal"), "SIGTERM");

    let pg = PgLab::start();
    let store = common::serve_store("en-good").await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("shop.toml"),
        format!("[store]\nurl = \"{}\"\n[browser]\nenabled = false\n", store.url),
    )
    .unwrap();
    let out = folder.path().join("reports");
    let mut env: BTreeMap<String, String> = std::fs::read_to_string(deploy.join("worker.env"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).unwrap())
        .collect();
    let ours = [
        ("SHOPAUDIT_DB", format!("{}?sslmode=require", pg.url)),
        ("PGPASSFILE", pg.passfile.display().to_string()),
        ("PGSSLROOTCERT", pg.ca.display().to_string()),
        ("SHOPAUDIT_SECRETS_DIR", folder.path().display().to_string()),
        ("SHOPAUDIT_OUT", out.display().to_string()),
    ];
    for (k, v) in ours {
        assert!(env.insert(k.to_string(), v).is_some(), "worker.env sets {k}");
    }
    let submitted = pg.shopaudit(&["submit", &folder.path().display().to_string(), "--db", &pg.url]).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));
    let worker = Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(&exec[1..])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .envs(&env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let audited = wait_for("the store audited", || {
        pg.try_sql("SELECT count(*) FROM runs").ok().filter(|n| n.first().is_some_and(|n| n != "0"))
    });
    assert_eq!(audited, ["1"]);
    // SAFETY: a plain kill(2) of our own child process.
    assert_eq!(unsafe { libc::kill(worker.id() as i32, libc::SIGTERM) }, 0);
    let left = finish(worker, Duration::from_secs(60));
    assert!(left.status.success(), "{}", said(&left));
    assert!(out.join("shop/report.html").exists() && out.join("portfolio.html").exists());
}

/// A store's report as the history keeps it, failing `failing` (and passing nothing else).
fn report(run: &str, minutes: i64, failing: &[&str]) -> shopaudit::Report {
    let at =
        chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00+00:00").unwrap() + chrono::Duration::minutes(minutes);
    let findings: Vec<serde_json::Value> = failing
        .iter()
        .map(|c| serde_json::json!({"check": c, "outcome": "fail", "severity": "major", "title": "", "detail": "", "evidence": []}))
        .collect();
    serde_json::from_value(serde_json::json!({
        "schema": "shopaudit/report/v1", "tool": {"name": "shopaudit", "version": "0"},
        "store": {"key": "shop", "name": "Shop", "url": "http://127.0.0.1:9/", "timezone": null},
        "run": {"id": run, "started_at": at, "finished_at": at, "probes": []},
        "pages": [], "evidence": shopaudit::model::Evidence::default(), "findings": findings,
        "summary": {"pass": 0, "fail": failing.len(), "warn": 0, "not_applicable": 0, "error": 0},
    }))
    .unwrap()
}

/// The fleet's portfolio says what got worse: checks failing now that passed in the store's
/// previous run, and a store that cannot be audited any more.
#[tokio::test(flavor = "multi_thread")]
async fn the_fleets_portfolio_names_what_got_worse_since_the_previous_run() {
    let pg = PgLab::start();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("shop.toml"), "[store]\nurl = \"http://127.0.0.1:9/\"\n").unwrap();
    let submitted = pg.shopaudit(&["submit", &folder.path().display().to_string(), "--db", &pg.url]).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));
    std::env::set_var("PGPASSFILE", &pg.passfile); // this test alone connects from this process
    let history = shopaudit::history::History::connect(&pg.url.parse().unwrap()).await.unwrap();
    let queue = shopaudit::fleet::queue::Queue::connect(&pg.url, 2).await.unwrap();
    let clock = shopaudit::clock::Clock::system();
    let row = || async {
        let p = shopaudit::fleet::portfolio(&history, &queue, &clock).await.unwrap();
        assert_eq!(p.stores.len(), 1);
        p.stores[0].clone()
    };

    history.record_run(&report("r1", 0, &["site.https"]), None).await.unwrap();
    assert!(row().await.regressions.is_empty(), "a first run is worse than nothing");
    history.record_run(&report("r2", 60, &["site.https", "chat.present"]), None).await.unwrap();
    assert_eq!(row().await.regressions, ["chat.present"]);

    // The next slot could not audit it: the row says so, and that it got worse.
    let job = shopaudit::fleet::Job {
        kind: shopaudit::fleet::Kind::Audit,
        key: "shop".into(),
        store: shopaudit::model::StoreKey::new("shop"),
        slot: "next".into(),
    };
    let later = chrono::DateTime::parse_from_rfc3339("2026-12-01T12:00:00+00:00").unwrap();
    assert_eq!(queue.claim(std::slice::from_ref(&job), later).await.unwrap().len(), 1);
    assert!(queue.claim(std::slice::from_ref(&job), later).await.unwrap().is_empty(), "claimed once");
    let ended = shopaudit::fleet::queue::Ended { at: later, error: Some("cannot reach http://127.0.0.1:9/".into()) };
    queue.end(&job, &ended).await.unwrap();
    let broken = row().await;
    assert_eq!(broken.error.as_deref(), Some("cannot reach http://127.0.0.1:9/"));
    assert_eq!(broken.score, None);
    assert!(broken.regressions[0].starts_with("could not be audited"), "{:?}", broken.regressions);

    // The agency's view reads the same PostgreSQL.
    let router = shopaudit::web::router(shopaudit::web::Settings {
        history: history.clone(),
        password: shopaudit::web::auth::Password::new("pw").unwrap(),
        secure_cookies: false,
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shopaudit::web::serve(router, listener, std::future::pending()));
    let c = web::client();
    assert_eq!(web::sign_in(&c, &url, "pw").await.status(), 303);
    let page = c.get(format!("{url}/stores/shop")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("chat.present") && page.contains("runs/r1\"") && page.contains("runs/r2\""), "{page}");
}

/// The fleet's database across machines is reached over TLS (`?sslmode=require`), the server's
/// certificate verified against PGSSLROOTCERT: the history's connection (`submit`) and the job
/// engine's pool (`portfolio`) both work; the server refuses plain text, and shopaudit refuses a
/// server its CA did not sign.
#[test]
fn the_fleets_database_is_reached_over_verified_tls() {
    let pg = PgLab::start_tls();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("shop.toml"), "[store]\nurl = \"http://127.0.0.1:9/\"\n").unwrap();
    let dir = folder.path().display().to_string();
    let tls = format!("{}?sslmode=require", pg.url);
    let submitted = pg.shopaudit(&["submit", &dir, "--db", &tls]).env("PGSSLROOTCERT", &pg.ca).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));
    let out = folder.path().join("site").display().to_string();
    let rendered =
        pg.shopaudit(&["portfolio", "--db", &tls, "--out", &out]).env("PGSSLROOTCERT", &pg.ca).output().unwrap();
    assert!(rendered.status.success(), "{}", said(&rendered));
    assert_eq!(pg.sql("SELECT count(*) FROM scenarios"), ["1"]);
    let plain = pg.shopaudit(&["submit", &dir, "--db", &pg.url]).output().unwrap();
    assert_eq!(plain.status.code(), Some(3), "{}", said(&plain));
    assert!(said(&plain).contains("no encryption"), "{}", said(&plain));
    let unknown_ca = pg.shopaudit(&["submit", &dir, "--db", &tls]).env_remove("PGSSLROOTCERT").output().unwrap();
    assert_eq!(unknown_ca.status.code(), Some(3), "{}", said(&unknown_ca));
    assert!(said(&unknown_ca).to_lowercase().contains("certificate"), "{}", said(&unknown_ca));
}

/// A worker that watches the shopper mailboxes and never collects them on a schedule of its
/// own (once an hour), so that a reply filed within seconds was filed by a watch.
fn watcher(pg: &PgLab, secrets: &Path) -> Child {
    spawn_worker(pg, secrets, &["--watch-mail", "--collect-every", "1h"])
}

/// The worker (of `workers`) that holds the watch on the only mailbox, by the pid in its name.
fn watch_holder(pg: &PgLab, workers: &[Child]) -> Option<usize> {
    let holders = pg.try_sql("SELECT holder FROM watches").ok()?;
    let [holder] = holders.as_slice() else { return None };
    let pid: u32 = holder.split('-').rev().nth(1)?.parse().ok()?;
    workers.iter().position(|w| w.id() == pid)
}

#[tokio::test(flavor = "multi_thread")]
async fn one_worker_watches_a_mailbox_and_another_takes_the_watch_over_when_it_is_killed() {
    let pg = PgLab::start();
    let lab = MailLab::start();
    let store = common::serve_store("en-good").await;
    let folder = tempfile::tempdir().unwrap();
    let d = folder.path().join("scenarios");
    std::fs::create_dir(&d).unwrap();
    for i in 0..2 {
        // Two stores, one mailbox: it is still watched once.
        let text = format!(
            "[store]\nid = \"w{i}\"\nurl = \"{}\"\n{}[email]\nenabled = true\nto = \"support@store.test\"\n\
             [[email.letters]]\nid = \"q\"\nsubject = \"Watched letter {i}\"\nbody = \"Do you deliver to Kazan?\"\n",
            store.url,
            lab.shopper_tables("")
        );
        std::fs::write(d.join(format!("w{i}.toml")), text).unwrap();
    }
    let submitted = pg.shopaudit(&["submit", &d.display().to_string(), "--db", &pg.url]).output().unwrap();
    assert!(submitted.status.success(), "{}", said(&submitted));
    let mut workers: Vec<Child> = (0..2).map(|_| watcher(&pg, &d)).collect();

    // Both letters sent (and their blind copies seen by the watch), one watch for the mailbox.
    wait_for("both letters sent", || {
        let sent = pg.try_sql("SELECT count(*) FROM letters WHERE state = 'sent'").ok()?;
        (sent == ["2"]).then_some(())
    });
    let first = wait_for("one worker watching", || watch_holder(&pg, &workers));
    assert_eq!(pg.sql("SELECT count(*) FROM watches"), ["1"]);
    assert_eq!(pg.sql("SELECT count(*) FROM claims WHERE kind = 'collect'"), ["0"], "a watched mailbox needs no job");

    // The holder killed outright; the store answers; the other worker takes the watch over
    // once the lease (three beats) has run out, and files the answers as they come.
    let mut victim = workers.remove(first);
    victim.kill().unwrap();
    victim.wait().unwrap();
    let killed = Instant::now();
    mail::support_agent(&lab, mail::Behaviour::AckThenAnswer).await;
    let survivor = wait_for("the watch taken over", || watch_holder(&pg, &workers));
    assert_eq!(survivor, 0);
    wait_for("every answer filed", || {
        let filed = pg.try_sql("SELECT count(*) FROM replies WHERE kind IN ('auto', 'human')").ok()?;
        (filed == ["4"]).then_some(())
    });
    // Lease (3 s) and the next beat, then one IDLE wake-up: far inside the hourly collection.
    assert!(killed.elapsed() < Duration::from_secs(30), "taken over in {:?}", killed.elapsed());
    assert_eq!(pg.sql("SELECT count(*) FROM claims WHERE kind = 'collect'"), ["0"]);
    let filed_once = pg.sql("SELECT count(*), count(DISTINCT message_id) FROM replies WHERE kind IN ('auto', 'human')");
    assert_eq!(filed_once, ["4|4"], "each answer filed once");

    // SIGTERM: the survivor gives its watch up at once.
    let last = workers.remove(0);
    // SAFETY: a plain kill(2) of our own child process.
    assert_eq!(unsafe { libc::kill(last.id() as i32, libc::SIGTERM) }, 0);
    let o = finish(last, Duration::from_secs(60));
    assert!(o.status.success(), "{}", said(&o));
    assert_eq!(pg.sql("SELECT count(*) FROM watches"), ["0"], "{}", said(&o));
}
