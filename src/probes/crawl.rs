//! The crawl: same-origin pages from the start URL, breadth-first, the pages a shopper looks
//! at (contacts, delivery, FAQ, a product, the cart ...) first, up to `max_pages`, with
//! bounded concurrency. A failed page is recorded and the crawl goes on; only an unreachable
//! start page stops the audit.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use tokio::task::JoinSet;
use url::Url;

use crate::error::{Error, Result};
use crate::extract::{self, PageFacts};
use crate::knowledge::Knowledge;
use crate::model::evidence::Page;
use crate::probes::Progress;
use crate::probes::{decode, http};
use crate::scenario::Scenario;

/// Tag-manager containers read per store: a store has one or two; more is a page listing
/// others' snippets, not its own configuration.
const MAX_CONTAINERS: usize = 3;

/// Page kinds a shopper looks for, in the order they are visited.
const KEY_KINDS: &[&str] = &["contacts", "about", "delivery", "returns", "faq", "cart", "privacy", "terms"];

/// A fetched page with what it says (`None` when it could not be read as HTML).
#[derive(Debug)]
pub struct CrawledPage {
    /// The page record for the report.
    pub page: Page,
    /// Its facts.
    pub facts: Option<PageFacts>,
}

#[derive(Debug, Clone)]
struct Queued {
    url: Url,
    kind: String,
    depth: Option<u32>,
}

/// Crawls the store. Pages come back in the order they were fetched; the start page first.
pub async fn crawl(
    scenario: &Scenario,
    client: &http::Client,
    knowledge: &Arc<Knowledge>,
    progress: &dyn Progress,
) -> Result<Vec<CrawledPage>> {
    let settings = &scenario.crawl;
    let max_pages = settings.max_pages.max(1);
    let country = scenario.store.country.map(|c| c.0);
    let start = scenario.store.url.0.clone();

    let home = visit(
        client,
        Queued { url: start.clone(), kind: "home".into(), depth: Some(0) },
        settings.max_page_bytes,
        country,
        knowledge.clone(),
    )
    .await;
    // A start page that answers 404 or 500 is a store that cannot be audited, never a store
    // with nothing wrong.
    if let Some(reason) = &home.page.error {
        let reason = match home.page.status {
            Some(status) => format!("its start page answered HTTP {status}"),
            None => reason.clone(),
        };
        return Err(Error::Unreachable { url: start.to_string(), reason });
    }
    let origin = home.page.final_url.as_deref().and_then(|u| Url::parse(u).ok()).unwrap_or(start.clone()).origin();

    let mut seen: HashSet<String> = HashSet::from([start.to_string()]);
    if let Some(final_url) = &home.page.final_url {
        seen.insert(final_url.clone());
    }
    // Frontier ordered by (priority, depth, discovery order).
    let mut frontier: BTreeMap<(u8, u32, usize), Queued> = BTreeMap::new();
    let mut discovered = 0usize;
    let mut enqueue = |frontier: &mut BTreeMap<_, _>, seen: &mut HashSet<String>, q: Queued| {
        if q.url.origin() != origin || !extract::links::is_page(&q.url) || !seen.insert(q.url.to_string()) {
            return;
        }
        discovered += 1;
        let priority = match q.kind.as_str() {
            k if KEY_KINDS.contains(&k) => 0,
            "product" => 1,
            "blog" => 3,
            _ => 2,
        };
        frontier.insert((priority, q.depth.unwrap_or(0), discovered), q);
    };
    for key in &settings.key_pages {
        if let Ok(url) =
            home.page.final_url.as_deref().and_then(|u| Url::parse(u).ok()).unwrap_or(start.clone()).join(key)
        {
            let kind = extract::links::classify(&url, "", knowledge).unwrap_or_else(|| "key".into());
            enqueue(&mut frontier, &mut seen, Queued { url, kind, depth: None });
        }
    }
    let mut pages = vec![home];
    let mut next_links = |frontier: &mut BTreeMap<_, _>, seen: &mut HashSet<String>, crawled: &CrawledPage| {
        let depth = crawled.page.depth.map(|d| d + 1);
        for link in crawled.facts.iter().flat_map(|f| &f.links) {
            let kind = link.kind.clone().unwrap_or_else(|| "other".into());
            enqueue(frontier, seen, Queued { url: link.url.clone(), kind, depth });
        }
    };
    next_links(&mut frontier, &mut seen, &pages[0]);
    progress.page_done(&pages[0].page.url, 1, max_pages);

    let mut in_flight = JoinSet::new();
    let mut started = 1usize;
    loop {
        while started < max_pages && in_flight.len() < settings.concurrency.max(1) {
            let Some((_, q)) = frontier.pop_first() else {
                break;
            };
            started += 1;
            let (client, k) = (client.clone(), knowledge.clone());
            let cap = settings.max_page_bytes;
            in_flight.spawn(async move { visit(&client, q, cap, country, k).await });
        }
        let Some(done) = in_flight.join_next().await else {
            break;
        };
        let crawled = done.map_err(|e| Error::Usage(format!("crawl task failed: {e}")))?;
        next_links(&mut frontier, &mut seen, &crawled);
        progress.page_done(&crawled.page.url, pages.len() + 1, max_pages);
        pages.push(crawled);
    }
    look_inside_containers(&mut pages, client, settings.max_page_bytes, knowledge).await;
    Ok(pages)
}

/// Reads the tag-manager containers the pages load and adds the chats they carry to the
/// pages that load them, so a widget whose snippet lives only in the container's
/// configuration is found without a browser. A container that cannot be read adds nothing:
/// the browser probe still sees what it adds.
async fn look_inside_containers(pages: &mut [CrawledPage], client: &http::Client, cap: usize, k: &Knowledge) {
    let mut containers: Vec<Url> = Vec::new();
    for url in pages.iter().flat_map(|p| p.facts.iter().flat_map(|f| &f.containers)) {
        if !containers.contains(url) && containers.len() < MAX_CONTAINERS {
            containers.push(url.clone());
        }
    }
    for container in containers {
        let embeds = match http::get(client, &container, cap).await {
            Ok(fetched) if fetched.status < 400 => {
                extract::chat::in_container(&String::from_utf8_lossy(&fetched.body), &container, k)
            }
            Ok(fetched) => {
                tracing::debug!(%container, status = fetched.status, "tag-manager container not read");
                continue;
            }
            Err(e) => {
                tracing::debug!(%container, error = %e, "tag-manager container not read");
                continue;
            }
        };
        for facts in pages.iter_mut().filter_map(|p| p.facts.as_mut()).filter(|f| f.containers.contains(&container)) {
            extract::chat::merge(&mut facts.chat, embeds.clone());
        }
    }
}

/// Fetches one page and extracts its facts on a blocking thread.
async fn visit(
    client: &http::Client,
    q: Queued,
    cap: usize,
    country: Option<phonenumber::country::Id>,
    knowledge: Arc<Knowledge>,
) -> CrawledPage {
    let mut page = Page { url: q.url.to_string(), kind: q.kind, depth: q.depth, ..Page::default() };
    let fetched = match http::get(client, &q.url, cap).await {
        Ok(f) => f,
        Err(reason) => {
            page.error = Some(reason.to_string());
            return CrawledPage { page, facts: None };
        }
    };
    page.status = Some(fetched.status);
    page.elapsed_ms = u64::try_from(fetched.elapsed.as_millis()).unwrap_or(u64::MAX);
    page.bytes = fetched.body.len() as u64;
    page.truncated = fetched.truncated;
    if fetched.final_url != q.url {
        page.final_url = Some(fetched.final_url.to_string());
    }
    if fetched.status >= 400 {
        page.error = Some(format!("HTTP {}", fetched.status));
    }
    let is_html = fetched.content_type.as_deref().is_none_or(|ct| ct.contains("html") || ct.starts_with("text/plain"));
    if !is_html || fetched.status >= 400 {
        return CrawledPage { page, facts: None };
    }
    let url = fetched.final_url.clone();
    let facts = tokio::task::spawn_blocking(move || {
        let tld = url.host_str().and_then(|h| h.rsplit('.').next()).map(|t| t.as_bytes().to_vec());
        let (html, charset) = decode::decode(&fetched.body, fetched.content_type.as_deref(), tld.as_deref());
        (extract::page(&html, &url, country, &knowledge), charset)
    })
    .await;
    match facts {
        Ok((facts, charset)) => {
            page.charset = Some(charset.to_string());
            page.title.clone_from(&facts.title);
            CrawledPage { page, facts: Some(facts) }
        }
        Err(e) => {
            page.error = Some(format!("could not read the page: {e}"));
            CrawledPage { page, facts: None }
        }
    }
}
