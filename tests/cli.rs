//! The `shopaudit` binary as a user runs it: exit codes, output files, JSON on stdout,
//! clear errors for bad scenarios and unreachable stores, and an HTML report that escapes
//! everything taken from the store.

mod common;

use std::process::{Command, Output};

use common::serve_store;

fn shopaudit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .args(args)
        .env_remove("SHOPAUDIT_LOG")
        .env("XDG_DATA_HOME", data_home())
        .output()
        .expect("binary runs")
}

/// The history the commands keep by default goes to a folder of the test run's, never the
/// user's own (the demo keeps one: it talks to its chat).
fn data_home() -> std::path::PathBuf {
    static DIR: std::sync::LazyLock<tempfile::TempDir> = std::sync::LazyLock::new(|| tempfile::tempdir().unwrap());
    DIR.path().to_path_buf()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the binary on a separate thread so the fixture server keeps serving meanwhile.
async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || shopaudit(&args.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_writes_three_reports_and_exits_by_severity() {
    let store = serve_store("en-good").await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap().to_string();
    let o = run(vec![
        "audit".into(),
        store.url.to_string(),
        "--no-browser".into(),
        "--out".into(),
        dir.clone(),
        "--quiet".into(),
    ])
    .await;
    assert_eq!(o.status.code(), Some(1), "site.https is critical and fails on loopback: {}", text(&o.stderr));
    for file in ["report.json", "report.md", "report.html"] {
        assert!(out.path().join(file).is_file(), "{file}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "shopaudit/report/v1");
    assert_eq!(json["tool"]["name"], "shopaudit");
    assert_eq!(json["run"]["probes"], serde_json::json!(["static"]), "--no-browser");
    assert!(json["evidence"]["ux"].is_null() && json["evidence"]["chat"]["visible"].is_null());
    assert_eq!(json["evidence"]["chat"]["status"], "unknown");

    let skip_https = run(vec![
        "audit".into(),
        store.url.to_string(),
        "--no-browser".into(),
        "--out".into(),
        dir.clone(),
        "--quiet".into(),
        "--fail-on".into(),
        "major".into(),
        "--format".into(),
        "json".into(),
    ])
    .await;
    assert_eq!(skip_https.status.code(), Some(1));
    let scenario = out.path().join("s.toml");
    std::fs::write(
        &scenario,
        format!("[store]\nurl = \"{}\"\n[browser]\nenabled = false\n[checks]\nskip = [\"site.https\"]\n", store.url),
    )
    .unwrap();
    let clean =
        run(vec!["audit".into(), scenario.to_str().unwrap().into(), "--out".into(), dir, "--quiet".into()]).await;
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_to_stdout_for_pipes() {
    let store = serve_store("many-emails").await;
    let out = tempfile::tempdir().unwrap();
    let o = run(vec![
        "audit".into(),
        store.url.to_string(),
        "--no-browser".into(),
        "--json".into(),
        "-".into(),
        "--format".into(),
        "md".into(),
        "--out".into(),
        out.path().to_str().unwrap().into(),
    ])
    .await;
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is only JSON");
    assert_eq!(json["summary"]["warn"], 1);
    assert!(text(&o.stderr).contains("contacts.single_email"), "the summary goes to stderr");
    assert!(out.path().join("report.md").is_file() && !out.path().join("report.html").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn html_and_markdown_escape_what_the_store_wrote() {
    let store = serve_store("xss").await;
    let out = tempfile::tempdir().unwrap();
    let o = run(vec![
        "audit".into(),
        store.url.to_string(),
        "--no-browser".into(),
        "--out".into(),
        out.path().to_str().unwrap().into(),
        "-q".into(),
    ])
    .await;
    assert!(o.status.code().is_some());
    let json = std::fs::read_to_string(out.path().join("report.json")).unwrap();
    assert!(json.contains("<script>alert(3)</script>"), "the evidence keeps the store's text as it was");
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert_eq!(html.matches("<script").count(), 0, "no script element at all in the report");
    assert!(!html.contains("<img src=x"), "no live element from the store");
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"), "shown as text");
    assert!(!html.contains("src=\"javascript:"), "no javascript: URL");
    assert!(
        html.contains("&lt;script&gt;alert(3)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(3)&lt;/script&gt;")
    );
    assert!(!html.contains("http://") || !html.contains("<link"), "no external resources");
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(!md.contains("<script>"), "markdown escapes too");
}

/// A bare host is tried over HTTPS; when the site is plain HTTP, the error says how to audit it
/// (issue 15), and -v tells what each step did.
#[tokio::test(flavor = "multi_thread")]
async fn a_bare_host_is_tried_over_https_and_the_error_says_how_to_audit_http() {
    let store = serve_store("en-good").await;
    let host = format!("127.0.0.1:{}", store.url.port().unwrap());
    let o = run(vec!["audit".into(), host.clone(), "--no-browser".into(), "--no-email".into(), "-q".into()]).await;
    assert_eq!(o.status.code(), Some(3), "{:?} {}", o.status, text(&o.stderr));
    assert!(text(&o.stderr).contains(&format!("give http://{host}/")), "{}", text(&o.stderr));
    let out = tempfile::tempdir().unwrap();
    let told = run(vec![
        "audit".into(),
        store.url.to_string(),
        "--no-browser".into(),
        "--no-email".into(),
        "-q".into(),
        "-v".into(),
        "--out".into(),
        out.path().display().to_string(),
    ])
    .await;
    assert!(text(&told.stderr).contains("page(s) read"), "-v: {}", text(&told.stderr));
}

#[test]
fn unreachable_store_is_exit_3_with_one_sentence() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let o = shopaudit(&["audit", &format!("http://127.0.0.1:{port}/"), "--no-browser", "-q"]);
    assert_eq!(o.status.code(), Some(3));
    let err = text(&o.stderr);
    assert!(err.contains(&format!("cannot reach http://127.0.0.1:{port}/")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

/// Regression (reliability #12): a report folder or a history that cannot be written is said
/// before any work, not after the whole audit: the store here is unreachable, and the error is
/// about the folder, not the store.
#[test]
fn an_unwritable_out_or_db_is_said_before_the_audit() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = format!("http://127.0.0.1:{port}/");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let under_file = file.join("reports").display().to_string();
    let o = shopaudit(&["audit", &store, "--no-browser", "-q", "--out", &under_file]);
    let err = text(&o.stderr);
    assert!(err.contains("is not a folder") && !err.contains("cannot reach"), "{err}");
    assert_ne!(o.status.code(), Some(0));
    let db = file.join("history.sqlite").display().to_string();
    let out = dir.path().join("out").display().to_string();
    let o = shopaudit(&["audit", &store, "--no-browser", "-q", "--out", &out, "--db", &db]);
    let err = text(&o.stderr);
    assert!(err.contains("history.sqlite") && !err.contains("cannot reach"), "{err}");
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(!dir.path().join("out").exists(), "nothing written");
}

/// Regression (reliability #5): a password written inline is rejected, and neither the
/// rejection nor `run`'s portfolio repeats it (the TOML library quotes the offending line).
#[test]
fn an_inline_password_is_rejected_without_being_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-never-shown";
    let stores = dir.path().join("stores");
    std::fs::create_dir(&stores).unwrap();
    let path = stores.join("leaky.toml");
    std::fs::write(
        &path,
        format!(
            "[store]\nurl = \"http://127.0.0.1:9/\"\n[shopper]\nname = \"A\"\nemail = \"a@b.c\"\n\
             [shopper.smtp]\nhost = \"127.0.0.1\"\nport = 25\ntls = \"none\"\npassword = \"{secret}\"\n"
        ),
    )
    .unwrap();
    let o = shopaudit(&["audit", path.to_str().unwrap(), "--no-browser", "-q"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("line 10, column 1") && err.contains("unknown field `password`"), "{err}");
    assert!(!text(&o.stdout).contains(secret) && !err.contains(secret), "{err}");

    let out = dir.path().join("out");
    let o = shopaudit(&[
        "run",
        stores.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--db",
        dir.path().join("history.sqlite").to_str().unwrap(),
        "--no-browser",
        "--no-email",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains(secret) && !text(&o.stderr).contains(secret));
    let portfolio = std::fs::read_to_string(out.join("portfolio.json")).unwrap();
    assert!(portfolio.contains("unknown field `password`"), "{portfolio}");
    for file in ["portfolio.json", "portfolio.md", "portfolio.html"] {
        let written = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!written.contains(secret), "{file} repeats the password");
    }
}

#[test]
fn broken_scenarios_say_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[store]\nurl = \"https://a.example/\"\ncolour = \"red\"\n", "line 3, column 1", "unknown field `colour`"),
        ("[store]\nurl = \"https://a.example/\"\ntimezone = \"Mars/Base\"\n", "line 3", "IANA time zone"),
        ("[store]\nurl = \"ftp://a.example/\"\n", "line 2", "http:// or https://"),
        ("[store]\nurl = \"https://a.example/\"\n[crawl]\ntimeout = \"soon\"\n", "line 4", "not a duration"),
        // Reliability #13: a zero timeout was accepted, then reported as an unreachable store.
        ("[store]\nurl = \"https://a.example/\"\n[crawl]\ntimeout = \"0s\"\n", "line 4", "is zero"),
        ("[store]\nurl = \"https://a.example/\"\n[email]\nsla = \"200y\"\n", "line 4", "longer than a year"),
        ("[store]\nurl = \"https://a.example/\"\n[checks]\nskip = [\"chat.pressent\"]\n", "line 4", "unknown check id"),
        ("[store]\nurl = \"https://a.example/\"\n[hours]\nsupport = \"Mon to Fri\"\n", "line 4", "opening_hours"),
        ("[store]\nurl = \"https://a.example/\"\n[shopper]\nname = \"A\"\nemail = \"a@b.c\"\n[shopper.smtp]\nhost = \"smtp.example\"\nport = 25\ntls = \"none\"\n", "line", "loopback"),
        // Reliability #10: letters enabled without a shopper sent nothing and said nothing.
        ("[store]\nurl = \"https://a.example/\"\n[email]\nenabled = true\nto = \"s@a.example\"\n[[email.letters]]\nid = \"q\"\nsubject = \"Q\"\nbody = \"Q?\"\n", "email.enabled is true", "no [shopper]"),
        ("[store]\nurl = \"https://a.example/\"\n[form]\nenabled = true\n[[form.questions]]\nid = \"q\"\ntext = \"Q?\"\n", "form.enabled is true", "no [shopper]"),
        ("[store]\nurl = \"https://a.example/\"\n[form]\nselectors = { button = \"#x\" }\n", "line 4", "unknown variant `button`"),
        ("[store\nurl = 1", "line 1", ""),
    ];
    for (i, (toml, place, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("s{i}.toml"));
        std::fs::write(&path, toml).unwrap();
        let o = shopaudit(&["audit", path.to_str().unwrap(), "--no-browser", "-q"]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(place) && err.contains(message), "case {i}: {err}");
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
    let missing = shopaudit(&["audit", "no/such/scenario.toml"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(text(&missing.stderr).contains("cannot read scenario no/such/scenario.toml"));
}

#[test]
fn checks_and_explain() {
    let list = text(&shopaudit(&["checks"]).stdout);
    for c in shopaudit::checks::CHECKS {
        assert!(list.contains(c.id.as_str()), "{}", c.id);
    }
    let one = shopaudit(&["explain", "contacts.single_email"]);
    assert!(text(&one.stdout).contains("Why it matters"));
    let unknown = shopaudit(&["explain", "no.such"]);
    assert_eq!(unknown.status.code(), Some(2));
    let typo = shopaudit(&["explain", "contacts.single_emial"]);
    assert!(text(&typo.stderr).contains("did you mean contacts.single_email?"), "{}", text(&typo.stderr));
    let json: serde_json::Value = serde_json::from_slice(&shopaudit(&["checks", "--json"]).stdout).unwrap();
    let ids: Vec<&str> = json.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, shopaudit::checks::CHECKS.iter().map(|c| c.id.as_str()).collect::<Vec<_>>());
}

/// New-user friction (issue 15): a scenario to start from is one command away, and a wrong
/// opening-hours value is answered with the right form, not the parser's insides.
#[test]
fn an_example_to_start_from_and_hours_errors_that_show_the_form() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, file) in [(None, "full.toml"), (Some("--minimal"), "minimal.toml")] {
        let printed = shopaudit(&["example"].into_iter().chain(flag).collect::<Vec<_>>());
        let path = dir.path().join(file);
        std::fs::write(&path, &printed.stdout).unwrap();
        shopaudit::Scenario::from_file(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let bad = dir.path().join("hours.toml");
    std::fs::write(&bad, "[store]\nurl = \"http://127.0.0.1:9/\"\n[hours]\nchat = \"Mon-Fri 9 to 6\"\n").unwrap();
    let said = text(&shopaudit(&["audit", bad.to_str().unwrap(), "--no-browser"]).stderr);
    assert!(said.contains("line 4, column 8") && said.contains("Mo-Fr 09:00-18:00"), "{said}");
    assert!(!said.contains("EOI") && !said.contains("docs/"), "{said}");
}

#[test]
fn demo_runs_and_recheck_reproduces_it_offline() {
    let out = tempfile::tempdir().unwrap();
    let o = shopaudit(&["demo", "--out", out.path().to_str().unwrap(), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let saved = out.path().join("report.json");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    let outcome = |r: &serde_json::Value, id: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == id)
            .map(|f| f["outcome"].as_str().unwrap().to_string())
    };
    assert_eq!(outcome(&report, "photos.no_stock_staff").as_deref(), Some("fail"));
    assert_eq!(outcome(&report, "contacts.single_email").as_deref(), Some("warn"));
    assert_eq!(outcome(&report, "chat.present").as_deref(), Some("pass"));
    assert_eq!(outcome(&report, "hours.posted").as_deref(), Some("pass"));

    let again = tempfile::tempdir().unwrap();
    let o = shopaudit(&[
        "check",
        "--from",
        saved.to_str().unwrap(),
        "--out",
        again.path().to_str().unwrap(),
        "-q",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "the demo's site.https failure is critical");
    let rechecked: serde_json::Value =
        serde_json::from_slice(&std::fs::read(again.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(rechecked["findings"], report["findings"]);
}

#[test]
fn every_example_scenario_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            shopaudit::Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 3, "a minimal, a full and the demo scenario");
}

#[test]
fn regression_output_into_a_closed_pipe_ends_quietly() {
    // `shopaudit checks | head -1` once panicked with "failed printing to stdout". The read end
    // is closed before the child has started, so its first line meets a broken pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopaudit"))
        .arg("checks")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
}

/// Regression (reliability #6): a 280-character name lost the report after the whole audit
/// ("File name too long"), and a huge one was printed whole. Names are cut for paths and
/// messages.
#[tokio::test(flavor = "multi_thread")]
async fn a_very_long_store_name_is_cut_for_folders_and_messages() {
    let store = serve_store("en-good").await;
    let dir = tempfile::tempdir().unwrap();
    let stem = "ш".repeat(120);
    let path = dir.path().join(format!("{stem}.toml"));
    let name = "Лавка ".repeat(50_000);
    std::fs::write(&path, format!("[store]\nname = \"{name}\"\nurl = \"{}\"\n", store.url)).unwrap();
    let (bin, cwd) = (env!("CARGO_BIN_EXE_shopaudit"), dir.path().to_path_buf());
    let o = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .args(["audit", path.to_str().unwrap(), "--no-browser"])
            .current_dir(cwd)
            .env("XDG_DATA_HOME", data_home())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", text(&o.stderr));
    assert!(o.stdout.len() + o.stderr.len() < 20_000, "the name is not printed whole");
    let reports: Vec<_> = std::fs::read_dir(dir.path().join("reports")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].join("report.html").is_file());
    let report = shopaudit::report::read(&reports[0].join("report.json")).unwrap();
    assert!(report.store.name.chars().count() <= 120, "{}", report.store.name.len());
}

/// Regression (reliability #3): a start page answering 404 exited 0 with "26 errors", even
/// with `--fail-on minor`. A store that cannot be audited is exit 3, never a pass.
#[tokio::test(flavor = "multi_thread")]
async fn a_start_page_that_answers_404_cannot_be_audited() {
    let store = serve_store("en-good").await;
    let gone = store.url.join("no-such-page.html").unwrap().to_string();
    let o =
        run(vec!["audit".into(), gone, "--no-browser".into(), "--fail-on".into(), "minor".into(), "-q".into()]).await;
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("answered HTTP 404"), "{err}");
}

#[test]
fn a_folder_holding_only_a_template_says_to_copy_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/study/store.toml.example"),
        dir.path().join("store.toml.example"),
    )
    .unwrap();
    let o = shopaudit(&["run", dir.path().to_str().unwrap(), "--out", dir.path().join("out").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("copy store.toml.example to a .toml file per store"), "{}", text(&o.stderr));
}
