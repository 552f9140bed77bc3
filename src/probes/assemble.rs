//! Folds the facts of every crawled page into one [`Evidence`]: distinct contacts with the
//! pages they appear on, hours statements de-duplicated across footers, chat embeds by page,
//! and the first link to each kind of key page.

use std::collections::{BTreeMap, BTreeSet};

use crate::evidence::{
    ChatEmbed, ChatEvidence, ContactKind, ContactMention, Contacts, Evidence, KeyLink, PostedHours,
};
use crate::probes::crawl::CrawledPage;
use crate::scenario::Scenario;

/// Link kinds worth keeping as evidence.
const KEY_LINK_KINDS: &[&str] = &[
    "contacts", "faq", "privacy", "delivery", "returns", "about", "terms", "cart",
];

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
        let page = crawled
            .page
            .final_url
            .clone()
            .unwrap_or_else(|| crawled.page.url.clone());
        for embed in &facts.chat {
            vendors.insert(embed.vendor.clone());
            ev.chat.embeds.push(ChatEmbed {
                vendor: embed.vendor.clone(),
                page: page.clone(),
                how: embed.how.to_string(),
                matched: embed.matched.clone(),
            });
        }
        for found in &facts.contacts {
            mentions.insert(ContactMention {
                kind: found.kind,
                value: found.value.clone(),
                page: page.clone(),
            });
        }
        for statement in &facts.hours {
            match hours
                .iter_mut()
                .find(|h| h.channel == statement.channel && h.text == statement.text)
            {
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
    let mut take = |kind| {
        by_kind
            .remove(&kind)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default()
    };
    Contacts {
        emails: take(ContactKind::Email),
        phones: take(ContactKind::Phone),
        messengers: take(ContactKind::Messenger),
        social: take(ContactKind::Social),
        mentions,
    }
}
