//! `shopaudit bench`: the speed and memory figures quoted in the README, measured on
//! loopback: extraction time per 100 KB page, the demo store, and a generated store of many
//! pages. Figures, never pass/fail: timing belongs in a benchmark, not in tests.

use std::fmt::Write;
use std::time::Instant;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::error::Result;
use crate::knowledge::Knowledge;
use crate::probes::Quiet;
use crate::scenario::{Scenario, WebUrl};
use crate::{demo, extract, serve};

/// One measured figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The value with its unit.
    pub value: String,
}

/// Runs the benchmark; `pages` is the size of the generated store.
pub async fn run(pages: usize) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let mut add = |name: &str, value: String| figures.push(Figure { name: name.into(), value });

    let knowledge = Knowledge::load()?;
    let page = generated_page(7, pages.max(10), 100 * 1024);
    let url = url::Url::parse("http://127.0.0.1/p/7.html").map_err(|e| crate::Error::Usage(e.to_string()))?;
    let rounds = 500;
    // The regex engines build their automata lazily: the first rounds are not the steady state.
    for _ in 0..20 {
        std::hint::black_box(extract::page(&page, &url, None, &knowledge));
    }
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(extract::page(&page, &url, None, &knowledge));
    }
    let per_page = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
    add("extraction, one 100 KB page", format!("{per_page:.2} ms (mean of {rounds}, after 20 to warm up)"));

    let store = demo::start(0).await?;
    let mut scenario = demo::scenario(&store)?;
    scenario.browser.enabled = false; // measured on its own below
    let started = Instant::now();
    let report = crate::audit(&scenario, &Quiet).await?;
    add("demo store audit", format!("{} ms for {} pages", started.elapsed().as_millis(), report.pages.len()));

    let generated = serve::serve(generated_store(pages), 0).await?;
    let mut scenario = Scenario::for_url(WebUrl(generated.url.clone()));
    scenario.crawl.max_pages = pages;
    scenario.browser.enabled = false;
    let started = Instant::now();
    let report = crate::audit(&scenario, &Quiet).await?;
    let secs = started.elapsed().as_secs_f64();
    add(
        &format!("generated store of {pages} pages"),
        format!("{:.2} s, {:.0} pages/s ({} pages read)", secs, report.pages.len() as f64 / secs, report.pages.len()),
    );
    if let Some(kb) = peak_rss_kb() {
        add("peak memory of shopaudit (VmHWM)", format!("{:.1} MB", kb as f64 / 1024.0));
    }
    add("peak memory, 8 huge staff photos", huge_photos().await?);
    match crate::probes::browser::find(None) {
        Some(path) => figures.extend(browser(&path).await?),
        None => add("browser", "skipped: no Chromium found".into()),
    }
    Ok(figures)
}

/// Chromium on the demo store: launch time, time per page without the observation window
/// (one tab at a time), and the peak resident memory of the whole Chromium process tree with
/// 8 tabs open at once.
async fn browser(path: &std::path::Path) -> Result<Vec<Figure>> {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::model::Viewport;
    use crate::probes::browser::{probe, Chromium, Confinement};

    let mut figures = Vec::new();
    let store = demo::start(0).await?;
    let pages: Vec<String> = [
        "",
        "contacts.html",
        "about.html",
        "delivery.html",
        "cart.html",
        "privacy.html",
        "product/runner-42.html",
        "product/trail-x.html",
    ]
    .iter()
    .filter_map(|p| store.url.join(p).ok().map(|u| u.to_string()))
    .collect();
    let knowledge = Arc::new(Knowledge::load()?);
    let started = Instant::now();
    let path = path.to_path_buf();
    let chromium = Arc::new(
        tokio::task::spawn_blocking(move || Chromium::launch(&path, Confinement::LoopbackOnly))
            .await
            .map_err(|e| crate::Error::browser_by("the browser start crashed", e))??,
    );
    figures.push(Figure { name: "browser launch".into(), value: format!("{} ms", started.elapsed().as_millis()) });

    let started = Instant::now();
    let clock = crate::clock::Clock::system();
    let seen = probe(
        chromium.clone(),
        pages.clone(),
        &[Viewport::Desktop],
        Duration::ZERO,
        knowledge.clone(),
        1,
        clock.clone(),
    )
    .await;
    let per_page = started.elapsed().as_secs_f64() / seen.visits.len().max(1) as f64;
    figures.push(Figure {
        name: "browser time per page (no watch)".into(),
        value: format!("{:.2} s (mean of {}, one tab at a time)", per_page, seen.visits.len()),
    });

    let pid = chromium.pid();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(kb) = pid.and_then(tree_rss_kb) {
                    peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let seen = probe(chromium, pages, &[Viewport::Desktop], Duration::from_secs(3), knowledge, 8, clock).await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    figures.push(Figure {
        name: "Chromium process tree, 8 tabs".into(),
        value: format!(
            "{:.0} MB peak PSS (whole process tree, {} visits at once)",
            peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0,
            seen.visits.len()
        ),
    });
    Ok(figures)
}

/// Proportional resident memory (PSS: shared pages split between the processes that share
/// them) of `root` and all its descendants, from /proc (Linux only).
fn tree_rss_kb(root: u32) -> Option<u64> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    let rss = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(tree.into_iter().filter_map(rss).sum())
}

/// A store of `pages` pages, each about 30 KB, linking onwards.
fn generated_store(pages: usize) -> Router {
    Router::new().route("/", get(move || async move { html(generated_page(0, pages, 30 * 1024)) })).route(
        "/p/{file}",
        get(move |Path(file): Path<String>| async move {
            let n = file.trim_end_matches(".html").parse::<usize>().unwrap_or(usize::MAX);
            if n < pages {
                html(generated_page(n, pages, 30 * 1024))
            } else {
                serve::respond(StatusCode::NOT_FOUND, "text/html", Vec::new())
            }
        }),
    )
}

fn html(body: String) -> axum::response::Response {
    serve::respond(StatusCode::OK, "text/html; charset=utf-8", body.into_bytes())
}

/// A realistic page: header navigation, product cards, a footer with contacts and hours.
fn generated_page(n: usize, pages: usize, size: usize) -> String {
    let mut s = String::with_capacity(size + 4096);
    let _ = write!(
        s,
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Товар {n}</title></head><body>\
         <header><nav><a href=\"/\">Главная</a> <a href=\"/p/1.html\">Контакты</a> <a href=\"/p/2.html\">Доставка</a> \
         <a href=\"/p/3.html\">Вопросы и ответы</a></nav></header><main>"
    );
    let mut card = 0;
    while s.len() < size {
        let link = (n * 7 + card) % pages.max(1);
        let _ = write!(
            s,
            "<div class=\"card\"><a href=\"/p/{link}.html\"><img src=\"/img/{card}.jpg\" alt=\"Товар {card}\"></a>\
             <h3>Кроссовки модель {card}</h3><p>Удобные кроссовки для бега и прогулок, размеры 36–46, цвет чёрный. \
             Цена 5 990 руб. Артикул {n}{card:05}.</p></div>"
        );
        card += 1;
    }
    let _ = write!(
        s,
        "</main><footer><p>Телефон: +7 (495) 123-45-67, почта: support@shop.example</p>\
         <p>Служба поддержки: Пн–Пт с 9:00 до 18:00, перерыв 13–14</p><a href=\"/p/4.html\">Политика конфиденциальности</a>\
         </footer></body></html>"
    );
    s
}

/// Audits a store whose 8 staff photos are large (four of 4800x4800, decoded within the pixel
/// budget, and four of 11900x7000, which are not): the peak resident memory of the audit alone
/// (the high-water mark is reset first). Reliability #7: under 512 MB whatever the images.
async fn huge_photos() -> Result<String> {
    let (decoded, skipped) =
        (png_of(4800, 4800, png::ColorType::Rgb)?, png_of(11900, 7000, png::ColorType::Grayscale)?);
    let page = (0..8).map(|i| format!("<img src=\"/team-{i}.png\" alt=\"our support team\">")).collect::<String>();
    let page = format!("<html><head><title>Team</title></head><body><h1>Our team</h1>{page}</body></html>");
    let router = Router::new().route("/", get(move || async move { html(page) })).route(
        "/{file}",
        get(move |Path(file): Path<String>| async move {
            let n: usize = file.trim_start_matches("team-").trim_end_matches(".png").parse().unwrap_or(0);
            let body = if n.is_multiple_of(2) { decoded.clone() } else { skipped.clone() };
            serve::respond(StatusCode::OK, "image/png", body)
        }),
    );
    let store = serve::serve(router, 0).await?;
    let mut scenario = Scenario::for_url(WebUrl(store.url.clone()));
    scenario.browser.enabled = false;
    // Writing 5 to clear_refs resets this process's VmHWM (Linux 4.0 and later).
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        return Ok("skipped: cannot reset the peak (no /proc/self/clear_refs)".into());
    }
    let started = Instant::now();
    let report = crate::audit(&scenario, &Quiet).await?;
    let looked = report.evidence.images.iter().filter(|i| i.phash.is_some()).count();
    Ok(format!(
        "{} ({} of {} photos decoded, {} ms)",
        peak_rss_kb().map_or("unknown".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0)),
        looked,
        report.evidence.images.len(),
        started.elapsed().as_millis()
    ))
}

/// A PNG of `width` x `height` with a gradient, written row by row (the image is never held).
fn png_of(width: u32, height: u32, color: png::ColorType) -> Result<Vec<u8>> {
    let failed = |e: png::EncodingError| crate::Error::Usage(format!("cannot make the bench's PNG: {e}"));
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(std::io::Cursor::new(&mut out), width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(failed)?;
    let channels = if color == png::ColorType::Rgb { 3 } else { 1 };
    let mut rows = writer.stream_writer().map_err(failed)?;
    for y in 0..height {
        let row: Vec<u8> = (0..width as usize * channels).map(|x| ((x / channels) as u32 ^ y) as u8).collect();
        std::io::Write::write_all(&mut rows, &row).map_err(|e| crate::Error::Usage(e.to_string()))?;
    }
    rows.finish().map_err(failed)?;
    drop(writer);
    Ok(out)
}

/// Peak resident memory of this process, from /proc (Linux only).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `shopaudit run` over `stores` generated loopback stores (5 pages each, the browser on both
/// screens with a 1 s watch, one shared Chromium): wall time and the peak memory of this
/// process and everything it started.
pub async fn portfolio(stores: usize) -> Result<Vec<Figure>> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;

    let server = serve::serve(many_stores(), 0).await?;
    let dir = tempfile::tempdir().map_err(|e| crate::Error::io("cannot create", std::env::temp_dir(), e))?;
    for i in 0..stores {
        let text = format!(
            "[store]\nname = \"Store {i}\"\nurl = \"{}s/{i}/\"\n[crawl]\nmax_pages = 5\n\
             [browser]\nloopback_only = true\nobserve = \"1s\"\n",
            server.url
        );
        let path = dir.path().join(format!("store-{i:03}.toml"));
        std::fs::write(&path, text).map_err(|e| crate::Error::io("cannot write", &path, e))?;
    }
    let settings = crate::run::Settings {
        out: dir.path().join("reports"),
        db: dir.path().join("history.sqlite").into(),
        concurrency: 2,
        email: None,
        browser: true,
        clock: crate::clock::Clock::system(),
        keep: crate::history::Keep::All,
    };
    let peak = Arc::new(AtomicU64::new(0));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        std::thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                if let Some(kb) = tree_rss_kb(std::process::id()) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        })
    };
    let started = Instant::now();
    let done = crate::run::run(dir.path(), &settings).await;
    let secs = started.elapsed().as_secs_f64();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let done = done?;
    let audited = done.stores.iter().filter(|s| s.report.is_ok()).count();
    let browsed = done
        .stores
        .iter()
        .filter_map(|s| s.report.as_ref().ok())
        .filter(|r| r.evidence.browser.as_ref().is_some_and(|b| b.error.is_none()))
        .count();
    Ok(vec![
        Figure {
            name: format!("run over {stores} stores (static + browser)"),
            value: format!("{:.0} s wall time, {audited} audited, {browsed} in the browser", secs),
        },
        Figure {
            name: "peak memory, shopaudit and Chromium".into(),
            value: format!("{:.0} MB (PSS of the whole process tree)", peak.load(Ordering::Relaxed) as f64 / 1024.0),
        },
    ])
}

/// Many small stores under `/s/{store}/`: a home page and four key pages each.
fn many_stores() -> Router {
    Router::new()
        .route(
            "/s/{store}/{*page}",
            get(|Path((store, page)): Path<(usize, String)>| async move { html(small_page(store, &page)) }),
        )
        .route("/s/{store}/", get(|Path(store): Path<usize>| async move { html(small_page(store, "")) }))
}

fn small_page(store: usize, page: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Store {store} {page}</title></head><body>\
         <nav><a href=\"/s/{store}/contacts.html\">Contacts</a> <a href=\"/s/{store}/delivery.html\">Delivery</a> \
         <a href=\"/s/{store}/faq.html\">FAQ</a> <a href=\"/s/{store}/privacy.html\">Privacy policy</a></nav>\
         <main><h1>Store {store}</h1><p>Running shoes, sizes 36 to 46.</p></main>\
         <footer><p>Phone +44 20 7946 0{store:03}, support@store{store}.example. Support hours: Mon–Fri 9am–5pm.</p></footer>\
         </body></html>"
    )
}
