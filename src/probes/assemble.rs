//! Folds the facts of every crawled page into one [`Evidence`]: distinct contacts with the
//! pages they appear on, hours statements de-duplicated across footers, chat embeds by page,
//! and the first link to each kind of key page.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::evidence::{
    BrowserEvidence, Callback, ChatEmbed, ChatEvidence, ChatStatus, ContactForm, ContactKind, ContactMention, Contacts,
    Evidence, KeyLink, PostedHours, Ux, Visit,
};
use crate::probes::crawl::CrawledPage;
use crate::scenario::Scenario;

/// Link kinds worth keeping as evidence.
const KEY_LINK_KINDS: &[&str] = &["contacts", "faq", "privacy", "delivery", "returns", "about", "terms", "cart"];

/// Evidence from the crawl (images and the HTTPS probe are added by the caller).
pub fn assemble(pages: &[CrawledPage], scenario: &Scenario) -> Evidence {
    let mut ev = Evidence::default();
    let mut mentions = BTreeSet::new();
    let mut hours: Vec<PostedHours> = Vec::new();
    let mut links_seen = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    for crawled in pages {
        let Some(facts) = &crawled.facts else {
            continue;
        };
        let page = crawled.page.final_url.clone().unwrap_or_else(|| crawled.page.url.clone());
        let room = crate::extract::reading::MAX_STORE_WORDS.saturating_sub(ev.vocabulary.len());
        ev.vocabulary.extend(facts.words.iter().take(room).cloned());
        for embed in &facts.chat {
            vendors.insert(embed.vendor.clone());
            ev.chat.embeds.push(ChatEmbed {
                vendor: embed.vendor.clone(),
                page: page.clone(),
                how: embed.how.to_string(),
                matched: embed.matched.clone(),
            });
        }
        for form in &facts.forms {
            let same = |f: &&ContactForm| f.action == form.action && f.vendor == form.vendor && f.fields == form.fields;
            if !ev.forms.forms.iter().any(|f| same(&f)) {
                ev.forms.forms.push(ContactForm { page: page.clone(), ..form.clone() });
            }
        }
        for callback in &facts.callbacks {
            if !ev.forms.callbacks.iter().any(|c| c.vendor == callback.vendor) {
                ev.forms.callbacks.push(Callback { page: page.clone(), ..callback.clone() });
            }
        }
        for found in &facts.contacts {
            mentions.insert(ContactMention { kind: found.kind, value: found.value.clone(), page: page.clone() });
        }
        for statement in &facts.hours {
            match hours.iter_mut().find(|h| h.channel == statement.channel && h.text == statement.text) {
                Some(known) if !known.pages.contains(&page) => known.pages.push(page.clone()),
                Some(_) => {}
                None => hours.push(PostedHours {
                    channel: statement.channel,
                    text: statement.text.clone(),
                    opening_hours: statement.opening_hours.clone(),
                    page: Some(page.clone()),
                    pages: vec![page.clone()],
                }),
            }
        }
        for link in &facts.links {
            let Some(kind) = link.kind.as_deref().filter(|k| KEY_LINK_KINDS.contains(k)) else {
                continue;
            };
            if links_seen.insert((kind.to_string(), link.url.to_string(), page.clone())) {
                ev.links.push(KeyLink {
                    kind: kind.to_string(),
                    url: link.url.to_string(),
                    text: link.text.clone(),
                    page: page.clone(),
                });
            }
        }
    }
    for (channel, osm) in &scenario.hours {
        hours.push(PostedHours {
            channel: *channel,
            text: osm.0.clone(),
            opening_hours: Some(osm.0.clone()),
            page: None,
            pages: Vec::new(),
        });
    }
    ev.hours = hours;
    let embed_pages: BTreeSet<String> = ev.chat.embeds.iter().map(|e| e.page.clone()).collect();
    ev.chat = ChatEvidence {
        vendors: vendors.into_iter().collect(),
        pages: embed_pages.into_iter().collect(),
        embeds: std::mem::take(&mut ev.chat.embeds),
        ..ChatEvidence::default()
    };
    ev.contacts = contacts(mentions.into_iter().collect());
    ev
}

fn contacts(mentions: Vec<ContactMention>) -> Contacts {
    let mut by_kind: BTreeMap<ContactKind, BTreeSet<String>> = BTreeMap::new();
    for m in &mentions {
        by_kind.entry(m.kind).or_default().insert(m.value.clone());
    }
    let mut take = |kind| by_kind.remove(&kind).map(|s| s.into_iter().collect()).unwrap_or_default();
    Contacts {
        emails: take(ContactKind::Email),
        phones: take(ContactKind::Phone),
        messengers: take(ContactKind::Messenger),
        social: take(ContactKind::Social),
        mentions,
    }
}

/// The chat vendors of the static pages and those the browser saw injected at run time.
pub fn chat_vendors(found: &[String], seen: &BrowserEvidence) -> Vec<String> {
    let ok = seen.visits.iter().filter(|v| v.error.is_none());
    let vendors: BTreeSet<String> =
        found.iter().cloned().chain(ok.flat_map(|v| v.chats.iter().map(|c| c.vendor.clone()))).collect();
    vendors.into_iter().collect()
}

/// Folds the browser probe's piece into the evidence: the operators' photos join the images,
/// the conversations are kept, and the visits give the contract's summary fields: widgets
/// injected at run time join `chat.vendors` and `chat.pages`; `chat.visible` is true only when the launcher
/// was visible in every visit that had a widget; `chat.status` is the first status a widget
/// reported; `ux` says whether any page ambushed the visitor.
pub fn fold_browser(ev: &mut Evidence, browsed: super::Browsed) {
    ev.images.extend(browsed.avatars);
    ev.chat.conversations = browsed.conversations;
    let Some(seen) = browsed.seen else { return };
    let ok: Vec<&Visit> = seen.visits.iter().filter(|v| v.error.is_none()).collect();
    let mut pages: BTreeSet<String> = ev.chat.pages.iter().cloned().collect();
    pages.extend(ok.iter().filter(|v| !v.chats.is_empty()).map(|v| v.page.clone()));
    ev.chat.vendors = chat_vendors(&ev.chat.vendors, &seen);
    ev.chat.pages = pages.into_iter().collect();
    if !ok.is_empty() {
        let with_chat: Vec<&&Visit> = ok.iter().filter(|v| !v.chats.is_empty()).collect();
        ev.chat.visible = Some(
            !with_chat.is_empty()
                && with_chat
                    .iter()
                    .all(|v| v.chats.iter().any(|c| c.launcher.as_ref().is_some_and(|l| l.problems.is_empty()))),
        );
        ev.chat.status = ok
            .iter()
            .flat_map(|v| &v.chats)
            .map(|c| c.status)
            .find(|s| *s != ChatStatus::Unknown)
            .unwrap_or(ChatStatus::Unknown);
        let mut names: Vec<String> = ok
            .iter()
            .flat_map(|v| &v.chats)
            .filter_map(|c| c.window.as_ref())
            .flat_map(|w| w.operator_names.iter().cloned())
            .collect();
        names.sort();
        names.dedup();
        ev.chat.operator_names = names;
        ev.ux = Some(Ux {
            intrusive_popup: ok.iter().flat_map(|v| &v.popups).any(crate::model::evidence::Popup::is_invitation),
            autoplay_audio: ok.iter().flat_map(|v| &v.media).any(crate::model::evidence::Media::is_autoplay_sound),
        });
    }
    ev.browser = Some(seen);
}
