//! Probes do all the I/O and judge nothing: they fetch the store and turn what they saw into
//! [`Evidence`]. The static probe returns the evidence of the pages; each later probe returns
//! its own piece ([`Browsed`]), and [`assemble`] folds the pieces in.

pub mod assemble;
pub mod browser;
pub mod conversation;
pub mod crawl;
pub mod decode;
pub mod email;
pub mod form;
mod frames;
pub mod guard;
pub mod http;
pub mod images;
pub mod mailbox;
pub mod parts;
pub mod step;

use std::sync::Arc;

use crate::error::Result;
use crate::knowledge::Knowledge;
use crate::model::evidence::{Evidence, Page, Site};
use crate::scenario::Scenario;

/// Hears how an audit advances; the CLI draws a progress bar from it. Every method has an
/// empty default, so a caller implements only what it shows.
pub trait Progress: Send + Sync {
    /// A stage started: "crawl", "images", "https".
    fn stage(&self, _name: &str) {}
    /// A page was fetched: `done` of at most `limit`.
    fn page_done(&self, _url: &str, _done: usize, _limit: usize) {}
}

/// A [`Progress`] that shows nothing.
pub struct Quiet;

impl Progress for Quiet {}

/// What every probe of one audit shares: the scenario, one HTTP client, the knowledge, the
/// clock that says "now", and who hears how the audit advances.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The scenario being audited.
    pub scenario: &'a Scenario,
    /// The audit's HTTP client (cookies, timeouts, user agent from the scenario).
    pub client: &'a http::Client,
    /// Vendor fingerprints, vocabularies and scripts.
    pub knowledge: &'a Arc<Knowledge>,
    /// Where "now" comes from.
    pub clock: &'a crate::clock::Clock,
    /// Hears the stages and pages.
    pub progress: &'a dyn Progress,
}

/// The static probe: crawl, images, HTTPS. Returns the pages and the evidence they give.
pub async fn gather_static(ctx: Context<'_>) -> Result<(Vec<Page>, Evidence)> {
    let Context { scenario, client, knowledge, progress, .. } = ctx;
    progress.stage("crawl");
    let crawled = crawl::crawl(scenario, client, knowledge, progress).await?;
    let mut evidence = assemble::assemble(&crawled, scenario);
    progress.stage("images");
    let refs = crawled
        .iter()
        .filter_map(|c| c.facts.as_ref().map(|f| (f, c.page.final_url.clone().unwrap_or_else(|| c.page.url.clone()))))
        .flat_map(|(f, page)| f.images.iter().map(move |i| (i.clone(), page.clone())))
        .collect();
    evidence.images = images::probe(client, refs, knowledge).await;
    progress.stage("https");
    evidence.site = https(scenario, client.reach(), &crawled[0].page).await?;
    Ok((crawled.into_iter().map(|c| c.page).collect(), evidence))
}

/// Is the store served over HTTPS, and does plain HTTP redirect there?
async fn https(scenario: &Scenario, reach: http::Reach, home: &Page) -> Result<Site> {
    let start = &scenario.store.url.0;
    let landed = home.final_url.as_deref().and_then(|u| url::Url::parse(u).ok()).unwrap_or_else(|| start.clone());
    let https = landed.scheme() == "https";
    if start.scheme() == "http" {
        return Ok(Site {
            https,
            http_redirects_to_https: Some(https),
            http_probe: Some(format!("{start} led to {landed}")),
        });
    }
    if landed.port().is_some() {
        return Ok(Site {
            https,
            http_redirects_to_https: None,
            http_probe: Some(format!(
                "the store uses port {}; there is no plain-HTTP twin to try",
                landed.port().unwrap_or_default()
            )),
        });
    }
    let mut plain = landed.clone();
    let _ = plain.set_scheme("http");
    let client = http::client_without_redirects(&scenario.crawl, reach)?;
    let answer = match client.request(&plain) {
        Ok(request) => request.send().await.map_err(http::FetchError::from),
        Err(why) => Err(why.into()),
    };
    let site = match answer {
        Ok(response) => {
            let location =
                response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("");
            let redirects = response.status().is_redirection() && location.starts_with("https://");
            Site {
                https,
                http_redirects_to_https: Some(redirects),
                http_probe: Some(
                    format!("{plain} answered {} {location}", response.status().as_u16()).trim_end().to_string(),
                ),
            }
        }
        Err(why) => Site { https, http_redirects_to_https: None, http_probe: Some(format!("{plain}: {why}")) },
    };
    Ok(site)
}

/// What the browser probe brought back, for [`assemble::fold_browser`] to fold into the
/// evidence.
#[derive(Debug, Default)]
pub struct Browsed {
    /// What the browser saw, or why it could not start; none when the scenario disables it.
    pub seen: Option<crate::model::evidence::BrowserEvidence>,
    /// The operators' photos in the chat, judged for stock like the site's own.
    pub avatars: Vec<crate::model::evidence::Image>,
    /// The chat conversations, one per question.
    pub conversations: Vec<crate::model::evidence::Conversation>,
    /// The browser that looked, for the contact-form probe, which runs after it (it records
    /// in the history).
    pub chromium: Option<Arc<browser::Chromium>>,
}

/// The browser probe, when the scenario enables it: finds and starts Chromium, visits the key
/// pages, reads the operators' photos and holds the chat conversations. A browser that cannot
/// start is an error only when the scenario requires one; otherwise the reason is kept in
/// `seen.error`.
pub async fn gather_browser(
    ctx: Context<'_>,
    pages: &[Page],
    evidence: &Evidence,
    shared: Option<Arc<browser::Chromium>>,
) -> Result<Browsed> {
    launch_and_look(ctx, pages, evidence, shared).await
}

async fn launch_and_look(
    ctx: Context<'_>,
    pages: &[Page],
    evidence: &Evidence,
    shared: Option<Arc<browser::Chromium>>,
) -> Result<Browsed> {
    use crate::error::Error;
    let settings = &ctx.scenario.browser;
    if !settings.enabled {
        return Ok(Browsed::default());
    }
    let unusable = |why: String| Browsed {
        seen: Some(crate::model::evidence::BrowserEvidence { error: Some(why), ..Default::default() }),
        ..Browsed::default()
    };
    if let Some(chromium) = shared {
        ctx.progress.stage("browser");
        return Ok(look(ctx, pages, evidence, chromium).await);
    }
    let explicit = settings.path.as_deref().map(std::path::Path::new);
    let Some(path) = browser::find(explicit) else {
        let why = browser::not_found(explicit);
        if settings.required {
            return Err(Error::browser(why));
        }
        return Ok(unusable(why));
    };
    ctx.progress.stage("browser");
    let confinement = browser::Confinement::of(ctx.client.reach(), settings.loopback_only);
    let launched = tokio::task::spawn_blocking(move || browser::Chromium::launch(&path, confinement))
        .await
        .map_err(|e| Error::browser_by("the browser start crashed", e))?;
    match launched {
        Ok(chromium) => Ok(look(ctx, pages, evidence, Arc::new(chromium)).await),
        Err(e) if settings.required => Err(e),
        Err(e) => Ok(unusable(e.to_string())),
    }
}

/// The browser's visits, the operators' photos, and the conversations, in one Chromium.
async fn look(ctx: Context<'_>, pages: &[Page], evidence: &Evidence, chromium: Arc<browser::Chromium>) -> Browsed {
    let Context { scenario, client, knowledge, progress, .. } = ctx;
    let settings = &scenario.browser;
    let visit = browser::pages_to_visit(pages, 5);
    let home = visit.first().cloned();
    let seen = browser::probe(
        chromium.clone(),
        visit,
        &settings.viewports,
        settings.observe.0,
        knowledge.clone(),
        browser::MAX_TABS,
        ctx.clock.clone(),
    )
    .await;
    // Operators' photos are staff photos: judge them for stock like the site's own.
    let avatars: Vec<(crate::extract::images::ImageRef, String)> = seen
        .visits
        .iter()
        .flat_map(|v| {
            v.chats.iter().filter_map(|c| c.window.as_ref()).flat_map(move |w| w.avatars.iter().map(move |a| (a, v)))
        })
        .filter(|(a, _)| !evidence.images.iter().any(|i| &i.url == *a))
        .filter_map(|(a, v)| {
            let url = url::Url::parse(a).ok()?;
            Some((
                crate::extract::images::ImageRef {
                    url,
                    variants: Vec::new(),
                    alt: Some("chat operator".into()),
                    staff: true,
                },
                v.page.clone(),
            ))
        })
        .collect();
    let avatars = if avatars.is_empty() { Vec::new() } else { images::probe(client, avatars, knowledge).await };
    // The conversation where a shopper would start it: the first page the widget said it was
    // online on, else the first page it was seen on, else the start page.
    let online = |v: &&crate::model::evidence::Visit| {
        v.chats.iter().any(|c| c.status == crate::model::evidence::ChatStatus::Online)
    };
    let page = seen
        .visits
        .iter()
        .find(online)
        .or_else(|| seen.visits.iter().find(|v| !v.chats.is_empty()))
        .map(|v| v.page.clone())
        .or(home);
    let mut conversations = Vec::new();
    if scenario.chat.enabled && !scenario.chat.questions.is_empty() {
        progress.stage("chat conversation");
        let page = page.unwrap_or_else(|| scenario.store.url.to_string());
        let vendors = assemble::chat_vendors(&evidence.chat.vendors, &seen);
        conversations =
            converse(scenario, chromium.clone(), page, &vendors, knowledge, ctx.clock, &evidence.vocabulary).await;
    }
    Browsed { seen: Some(seen), avatars, conversations, chromium: Some(chromium) }
}

/// One conversation per question, one after another (each is a new visitor).
async fn converse(
    scenario: &Scenario,
    chromium: Arc<browser::Chromium>,
    page: String,
    vendors: &[String],
    knowledge: &Arc<Knowledge>,
    clock: &crate::clock::Clock,
    vocabulary: &std::collections::BTreeSet<String>,
) -> Vec<crate::model::evidence::Conversation> {
    let unusable = |why: String| {
        scenario
            .chat
            .questions
            .iter()
            .map(|q| crate::model::evidence::Conversation {
                question_id: q.id.clone(),
                page: page.clone(),
                error: Some(why.clone()),
                ..Default::default()
            })
            .collect()
    };
    let widget = match conversation::known(scenario, knowledge, vendors) {
        Ok(known) => known,
        Err(why) => return unusable(why.to_string()),
    };
    let plan = Arc::new(conversation::Plan {
        page: page.clone(),
        widget,
        sla: scenario.chat.sla.map_or(crate::model::defaults::CHAT_SLA, |s| s.0),
        leave: scenario
            .chat
            .leave_message
            .then(|| scenario.shopper.as_ref().map(|s| (s.name.clone(), s.email.clone())))
            .flatten(),
        clock: clock.clone(),
        reading: conversation::ReadWith {
            names: scenario
                .shopper
                .as_ref()
                .map(|s| s.name.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            host: scenario.host(),
            vocabulary: vocabulary.clone(),
        },
    });
    let mut out = Vec::new();
    for question in scenario.chat.questions.clone() {
        let (chromium, plan, knowledge) = (chromium.clone(), plan.clone(), knowledge.clone());
        let held =
            tokio::task::spawn_blocking(move || conversation::hold(&chromium, &plan, &question, &knowledge)).await;
        match held {
            Ok(talk) => out.push(talk),
            Err(e) => return unusable(format!("the conversation crashed: {e}")),
        }
    }
    out
}
