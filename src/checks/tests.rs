//! The registry's invariants, and each check's rule on hand-built evidence (the fixture-store
//! integration tests run the same checks on real pages).

use super::*;
use crate::model::evidence::{ChatEmbed, ContactKind, ContactMention, Image, KeyLink, PostedHours, Site, Stock};
use crate::model::Channel;

const HOME: &str = "http://127.0.0.1/";
const CONTACTS: &str = "http://127.0.0.1/contacts.html";

#[test]
fn ids_are_unique_and_documented() {
    let doc = include_str!("../../docs/CHECKS.md");
    let mut seen = std::collections::HashSet::new();
    for c in CHECKS {
        assert!(seen.insert(c.id), "duplicate id {}", c.id);
        assert!(doc.contains(&format!("| {} |", c.id)), "{} is not in docs/CHECKS.md", c.id);
        assert!(!c.title.is_empty() && !c.failure_title.is_empty() && c.description.len() > 40, "{}", c.id);
    }
}

#[test]
fn every_check_id_has_its_check_in_report_order() {
    let registry: Vec<CheckId> = CHECKS.iter().map(|c| c.id).collect();
    assert_eq!(
        registry,
        CheckId::ALL,
        "CHECKS and check_ids! (src/model/kinds.rs) must list the same ids in one order"
    );
    for id in CheckId::ALL {
        assert_eq!(id.as_str().parse::<CheckId>(), Ok(*id));
        assert_eq!(find(id.as_str()).map(|c| c.id), Some(*id));
    }
    assert!("no.such".parse::<CheckId>().is_err());
}

fn page(url: &str, kind: &str, depth: Option<u32>) -> Page {
    Page { url: url.into(), status: Some(200), kind: kind.into(), depth, ..Page::default() }
}

fn pages() -> Vec<Page> {
    vec![
        page(HOME, "home", Some(0)),
        page(CONTACTS, "contacts", Some(1)),
        page("http://127.0.0.1/deep/hours.html", "other", Some(2)),
    ]
}

fn judge(id: &str, ev: &Evidence) -> Outcome {
    let k = Knowledge::load().unwrap();
    let pages = pages();
    let input = Input { store: "Shop", pages: &pages, evidence: ev, knowledge: &k };
    (find(id).unwrap().run)(&input).unwrap_or_else(|early| early).outcome
}

fn mention(kind: ContactKind, value: &str, page: &str) -> ContactMention {
    ContactMention { kind, value: value.into(), page: page.into() }
}

#[test]
fn chat_present_and_on_every_page() {
    let mut ev = Evidence::default();
    assert_eq!(judge("chat.present", &ev), Outcome::Fail);
    assert_eq!(judge("chat.on_every_page", &ev), Outcome::NotApplicable);
    ev.chat.vendors = vec!["jivo".into()];
    ev.chat.pages = vec![CONTACTS.into()];
    ev.chat.embeds =
        vec![ChatEmbed { vendor: "jivo".into(), page: CONTACTS.into(), how: "script".into(), matched: "x".into() }];
    assert_eq!(judge("chat.present", &ev), Outcome::Pass);
    assert_eq!(judge("chat.on_every_page", &ev), Outcome::Fail);
    ev.chat.pages.push(HOME.into());
    assert_eq!(judge("chat.on_every_page", &ev), Outcome::Pass);
}

#[test]
fn contacts_rules() {
    let mut ev = Evidence::default();
    assert_eq!(judge("contacts.on_home", &ev), Outcome::Fail);
    ev.links.push(KeyLink {
        kind: "contacts".into(),
        url: CONTACTS.into(),
        text: "Contacts".into(),
        page: HOME.into(),
    });
    assert_eq!(judge("contacts.on_home", &ev), Outcome::Pass);

    assert_eq!(judge("contacts.single_email", &ev), Outcome::NotApplicable);
    for a in ["support@s.ru", "jobs@s.ru", "press@s.ru", "noreply@s.ru"] {
        ev.contacts.mentions.push(mention(ContactKind::Email, a, CONTACTS));
    }
    assert_eq!(judge("contacts.single_email", &ev), Outcome::Pass, "non-customer addresses do not count");
    for a in ["sales@s.ru", "delivery@s.ru"] {
        ev.contacts.mentions.push(mention(ContactKind::Email, a, CONTACTS));
    }
    assert_eq!(judge("contacts.single_email", &ev), Outcome::Warn);

    assert_eq!(judge("contacts.channels", &ev), Outcome::Fail);
    ev.contacts.emails = vec!["support@s.ru".into()];
    ev.contacts.phones = vec!["+74951234567".into()];
    assert_eq!(judge("contacts.channels", &ev), Outcome::Fail);
    ev.contacts.messengers = vec!["telegram".into()];
    assert_eq!(judge("contacts.channels", &ev), Outcome::Pass);
}

fn hours(text: &str, osm: Option<&str>, pages: &[&str]) -> PostedHours {
    PostedHours {
        channel: Channel::Support,
        text: text.into(),
        opening_hours: osm.map(str::to_string),
        page: pages.first().map(|p| p.to_string()),
        pages: pages.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn hours_rules() {
    let mut ev = Evidence::default();
    assert_eq!(judge("hours.posted", &ev), Outcome::Fail);
    assert_eq!(judge("hours.on_home", &ev), Outcome::NotApplicable);
    ev.hours.push(hours("Mo-Fr", Some("Mo-Fr 09:00-18:00"), &[]));
    assert_eq!(judge("hours.posted", &ev), Outcome::Fail, "hours only in the scenario are not published");
    ev.hours.push(hours("deep", Some("Mo-Fr 09:00-18:00"), &["http://127.0.0.1/deep/hours.html"]));
    assert_eq!(judge("hours.posted", &ev), Outcome::Pass);
    assert_eq!(judge("hours.on_home", &ev), Outcome::Fail);
    ev.hours.push(hours("по будням", None, &[CONTACTS]));
    assert_eq!(judge("hours.posted", &ev), Outcome::Warn);
    assert_eq!(judge("hours.on_home", &ev), Outcome::Pass, "one click away");
}

#[test]
fn photos_rule() {
    let mut ev = Evidence::default();
    assert_eq!(judge("photos.no_stock_staff", &ev), Outcome::NotApplicable);
    let staff = Image {
        url: "http://127.0.0.1/team.jpg".into(),
        page: HOME.into(),
        staff: true,
        bytes: Some(10),
        ..Image::default()
    };
    ev.images.push(staff.clone());
    assert_eq!(judge("photos.no_stock_staff", &ev), Outcome::Pass);
    ev.images.push(Image { stock: Some(Stock { agency: "istock".into(), signals: vec!["xmp".into()] }), ..staff });
    assert_eq!(judge("photos.no_stock_staff", &ev), Outcome::Fail);
    ev.images = vec![Image { url: "x".into(), staff: true, error: Some("HTTP 404".into()), ..Image::default() }];
    assert_eq!(judge("photos.no_stock_staff", &ev), Outcome::Error);
}

#[test]
fn site_rules() {
    let mut ev = Evidence::default();
    assert_eq!(judge("site.https", &ev), Outcome::Fail);
    ev.site = Site { https: true, http_redirects_to_https: Some(true), http_probe: None };
    assert_eq!(judge("site.https", &ev), Outcome::Pass);
    ev.site.http_redirects_to_https = Some(false);
    assert_eq!(judge("site.https", &ev), Outcome::Fail);
    assert_eq!(judge("site.privacy_policy", &ev), Outcome::Fail);
    assert_eq!(judge("selfservice.faq", &ev), Outcome::Fail);
    ev.links.push(KeyLink { kind: "privacy".into(), url: "p".into(), text: "Privacy".into(), page: HOME.into() });
    ev.links.push(KeyLink { kind: "faq".into(), url: "f".into(), text: "FAQ".into(), page: HOME.into() });
    assert_eq!(judge("site.privacy_policy", &ev), Outcome::Pass);
    assert_eq!(judge("selfservice.faq", &ev), Outcome::Pass);
}

#[test]
fn unreadable_site_is_an_error_not_a_verdict() {
    let k = Knowledge::load().unwrap();
    let pages = vec![Page { url: HOME.into(), error: Some("timed out".into()), ..Page::default() }];
    let ev = Evidence::default();
    let findings = run(&Input { store: "Shop", pages: &pages, evidence: &ev, knowledge: &k }, &[]);
    assert!(findings.iter().all(|f| f.outcome == Outcome::Error));
    let skipped =
        run(&Input { store: "Shop", pages: &pages, evidence: &ev, knowledge: &k }, &[crate::model::CheckId::SiteHttps]);
    assert_eq!(skipped.len(), CHECKS.len() - 1);
}
