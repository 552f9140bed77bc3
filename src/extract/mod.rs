//! Pure extraction: one page's HTML in, its facts out. No I/O, no judgement; unit-tested on
//! real-looking HTML and fuzzed. The crawl calls [`page`] for every page it fetches.

pub mod answer;
pub mod chat;
pub mod contacts;
pub mod depth;
pub mod forms;
pub mod images;
pub mod links;
pub mod reading;
pub mod refusal;
pub mod reply;
pub mod stock;
pub mod structured;
pub mod text;

use scraper::{Html, Selector};
use url::Url;

use crate::hours;
use crate::knowledge::Knowledge;

/// What one page says.
#[derive(Debug, Clone, Default)]
pub struct PageFacts {
    /// The `<title>`.
    pub title: Option<String>,
    /// `<html lang>`, lower case, primary subtag only.
    pub lang: Option<String>,
    /// Every link.
    pub links: Vec<links::Link>,
    /// Chat widgets embedded.
    pub chat: Vec<chat::Embed>,
    /// Tag-manager containers the page loads, whose configuration may add a chat.
    pub containers: Vec<Url>,
    /// Contacts.
    pub contacts: Vec<contacts::Found>,
    /// Posted hours.
    pub hours: Vec<hours::Statement>,
    /// Images.
    pub images: Vec<images::ImageRef>,
    /// The distinct words of its text, lower case: the store's vocabulary, which an answer's
    /// spelling is not faulted for.
    pub words: std::collections::BTreeSet<String>,
    /// Contact forms.
    pub forms: Vec<crate::model::evidence::ContactForm>,
    /// Callback buttons and forms.
    pub callbacks: Vec<crate::model::evidence::Callback>,
}

/// Extracts the facts of one page. `country` is the scenario's; without it the country is
/// guessed from the page's language and the domain, for phone numbers written without a code.
pub fn page(html: &str, url: &Url, country: Option<phonenumber::country::Id>, k: &Knowledge) -> PageFacts {
    let doc = Html::parse_document(&depth::flatten(html, depth::MAX_DEPTH));
    let base = links::base(&doc, url);
    let lines = text::lines(&doc);
    let title_sel = Selector::parse("title").expect("static selector");
    let title = doc.select(&title_sel).next().map(|t| text::element_text(&t)).filter(|t| !t.is_empty());
    let html_sel = Selector::parse("html[lang]").expect("static selector");
    let lang = doc
        .select(&html_sel)
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(|l| l.split(['-', '_']).next().unwrap_or_default().trim().to_lowercase())
        .filter(|l| !l.is_empty());
    let country = country.or_else(|| guess_country(url, lang.as_deref()));
    let (forms, callbacks) = forms::find(&doc, &base, &lines, &k.forms);
    PageFacts {
        forms,
        callbacks,
        links: links::links(&doc, &base, k),
        chat: chat::embeds(&doc, &base, k),
        containers: chat::containers(&doc, &base, k),
        contacts: contacts::contacts(&doc, &lines, country, k),
        hours: hours::find(&lines, &k.hours).into_iter().chain(structured::hours(&doc)).collect(),
        images: images::images(&doc, &base, k),
        words: reading::vocabulary(title.iter().chain(&lines).map(String::as_str), reading::MAX_PAGE_WORDS),
        title,
        lang,
    }
}

/// The country a site most likely serves: its country-code domain, else its language.
fn guess_country(url: &Url, lang: Option<&str>) -> Option<phonenumber::country::Id> {
    let host = url.host_str().unwrap_or_default();
    let tld = host.rsplit('.').next().unwrap_or_default();
    // Country-code domains name their country, except those sold to everyone as a brand
    // ("shop.io", "brand.co", "get.me"), which say nothing of where buyers call.
    const GENERIC: &[&str] =
        &["ac", "ai", "am", "cc", "co", "fm", "gg", "io", "la", "ly", "me", "sh", "to", "tv", "ws"];
    let by_tld = match tld {
        "ru" | "su" | "рф" | "xn--p1ai" => Some("RU"),
        "uk" => Some("GB"),
        t if t.len() == 2 && t.bytes().all(|b| b.is_ascii_lowercase()) && !GENERIC.contains(&t) => Some(t),
        _ => None,
    };
    let code = by_tld.or(match lang {
        Some("ru") => Some("RU"),
        Some("el") => Some("GR"),
        Some("de") => Some("DE"),
        _ => None,
    })?;
    code.to_ascii_uppercase().parse().ok()
}
