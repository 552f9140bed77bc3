//! The fleet under load, against a real PostgreSQL (scripts/pg-lab): generated loopback stores
//! (static audits: one small page each) submitted to the fleet and done by 1, 2 and 4
//! `shopaudit worker --drain` processes; the queue's own cost per job (claiming and queueing
//! alone); the database's growth per 1,000 audits; and `shopaudit run` over the same folder on
//! SQLite. Prints figures; judges nothing.
//!
//! `cargo bench --bench fleet [-- STORES]` (default 1,000 stores; needs `bash scripts/setup`).

#[path = "../tests/common/lab.rs"]
mod lab;

#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::time::Instant;

use axum::routing::get;

const PAGE: &str = "<!doctype html><html><head><title>Shop</title></head><body>\
    <h1>Shop</h1><p>Write to support@shop.example or call +7 495 123-45-67.</p>\
    <p>Support hours: Mon-Fri 09:00-18:00</p></body></html>";

#[tokio::main]
async fn main() {
    let stores: usize = std::env::args().filter_map(|a| a.parse().ok()).next().unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let pg = pg::PgLab::start();
    let (url, passfile) = (pg.url.clone(), pg.passfile.clone());

    let router = axum::Router::new().route("/", get(|| async { axum::response::Html(PAGE) }));
    let store = shopaudit::serve::serve(router, 0).await.unwrap();
    let folder = dir.path().join("scenarios");
    std::fs::create_dir(&folder).unwrap();
    for i in 0..stores {
        let text = format!("[store]\nid = \"s{i:05}\"\nurl = \"{}\"\n[browser]\nenabled = false\n", store.url);
        std::fs::write(folder.join(format!("s{i:05}.toml")), text).unwrap();
    }
    let shopaudit = |args: &[&str]| pg.shopaudit(args);
    let sql = |query: &str| pg.sql(query).join("");
    let f = folder.display().to_string();
    println!("{stores} static loopback stores, this machine ({} cores)", num_cpus());

    // `shopaudit run` on SQLite: the single machine's figure.
    let started = Instant::now();
    let db = dir.path().join("run.sqlite").display().to_string();
    let out = dir.path().join("run-out").display().to_string();
    let o = shopaudit(&["run", &f, "--no-browser", "--concurrency", "4", "--db", &db, "--out", &out]).output().unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
    let run_secs = started.elapsed().as_secs_f64();
    println!("  shopaudit run (SQLite, --concurrency 4): {run_secs:.1} s, {:.1} stores/s", stores as f64 / run_secs);

    for workers in [1, 2, 4] {
        // Each submission makes every store due again ("every run": once per submission).
        let o = shopaudit(&["submit", &f, "--db", &url, "-q"]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let before: f64 = sql("SELECT pg_database_size(current_database())").parse().unwrap_or(0.0);
        let started = Instant::now();
        let children: Vec<_> = (0..workers)
            .map(|_| {
                shopaudit(&[
                    "worker",
                    "--db",
                    &url,
                    "--drain",
                    "--no-browser",
                    "--concurrency",
                    "4",
                    "--tick",
                    "1s",
                    "--beat",
                    "2s",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
            })
            .collect();
        for mut c in children {
            c.wait().unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let after: f64 = sql("SELECT pg_database_size(current_database())").parse().unwrap_or(0.0);
        println!(
            "  fleet, {workers} worker(s) × 4 jobs: {secs:.1} s, {:.1} jobs/s; database +{:.1} MB per 1,000 audits",
            stores as f64 / secs,
            (after - before) / 1e6 * 1000.0 / stores as f64
        );
    }

    // The queue alone: claiming and queueing jobs that nobody has claimed, in the database.
    std::env::set_var("PGPASSFILE", &passfile);
    let queue = shopaudit::fleet::queue::Queue::connect(&url, 4).await.unwrap();
    let jobs: Vec<shopaudit::fleet::Job> = (0..stores)
        .map(|i| shopaudit::fleet::Job {
            kind: shopaudit::fleet::Kind::Audit,
            key: format!("bench{i}"),
            store: shopaudit::model::StoreKey::new(format!("bench{i}")),
            slot: "bench".into(),
        })
        .collect();
    let started = Instant::now();
    let claimed = queue.claim(&jobs, chrono::Utc::now().fixed_offset()).await.unwrap();
    let per_job = started.elapsed().as_secs_f64() * 1000.0 / claimed.len().max(1) as f64;
    let started = Instant::now();
    let again = queue.claim(&jobs, chrono::Utc::now().fixed_offset()).await.unwrap();
    let per_refusal = started.elapsed().as_secs_f64() * 1000.0 / jobs.len() as f64;
    assert!(again.is_empty());
    println!("  queue: {per_job:.2} ms to claim and queue a job; {per_refusal:.2} ms to find one claimed already");
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
