//! How often the extractors are right, field by field, on a labelled corpus (`shopaudit
//! accuracy DIR`): store pages with the posted hours, phones, addresses, social accounts, chat
//! vendors, stock photos and callback widgets a person reads on them, and real-shaped mail
//! with what it is (a person's answer, an automatic reply, a bounce of which letter).
//!
//! A case counts for a field when it states that field; it is right when the extractor finds
//! exactly what it states (as a set: order does not matter). A case that states nothing (`[]`)
//! is a decoy: finding anything there is a false alarm.
//!
//! The corpus is `pages.toml` (`[[page]]`: `name`, `url`, `html` or `file`, then any of
//! `hours`, `phones`, `emails`, `social`, `vendors`, `stock`, `callbacks`) and `mail.toml`
//! (`[[mail]]`: `name`, `file` of the raw message, `kind` = "human" | "auto" | "bounce",
//! `bounced` = the returned letter's Message-ID), files relative to the corpus folder.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::knowledge::Knowledge;
use crate::model::evidence::ContactKind;

/// One field's figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Field {
    /// The field: hours, phones, emails, social, vendors, stock, callbacks, mail.
    pub name: &'static str,
    /// Cases that state it.
    pub cases: usize,
    /// Of those, the extractor found exactly what they state.
    pub right: usize,
    /// Cases that state there is none.
    pub decoys: usize,
    /// Decoys where the extractor found something.
    pub false_alarms: usize,
    /// What it got wrong: `case: expected [..], found [..]`.
    pub wrong: Vec<String>,
    /// Every value some case states, so that a test can see what the corpus covers.
    #[serde(skip)]
    pub labels: BTreeSet<String>,
}

impl Field {
    /// `right / cases`; none without cases.
    pub fn accuracy(&self) -> Option<f64> {
        (self.cases > 0).then(|| self.right as f64 / self.cases as f64)
    }

    fn new(name: &'static str) -> Self {
        Field { name, cases: 0, right: 0, decoys: 0, false_alarms: 0, wrong: Vec::new(), labels: BTreeSet::new() }
    }

    /// Scores one case: `want` as labelled, `got` as found.
    fn score(&mut self, case: &str, want: &BTreeSet<String>, got: &BTreeSet<String>) {
        self.cases += 1;
        self.labels.extend(want.iter().cloned());
        if want.is_empty() {
            self.decoys += 1;
            self.false_alarms += usize::from(!got.is_empty());
        }
        if want == got {
            self.right += 1;
        } else {
            self.wrong.push(format!("{case}: expected {want:?}, found {got:?}"));
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pages {
    #[serde(default)]
    page: Vec<PageCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageCase {
    name: String,
    #[serde(default = "default_url")]
    url: String,
    html: Option<String>,
    file: Option<String>,
    /// What the tag-manager containers the page loads answer, as a file beside the corpus:
    /// the static probe reads them for chats the page itself does not name.
    container: Option<String>,
    hours: Option<Vec<String>>,
    phones: Option<Vec<String>>,
    emails: Option<Vec<String>>,
    social: Option<Vec<String>>,
    vendors: Option<Vec<String>>,
    stock: Option<Vec<String>>,
    callbacks: Option<Vec<String>>,
}

fn default_url() -> String {
    "https://shop.example/contacts".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mails {
    #[serde(default)]
    mail: Vec<MailCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MailCase {
    name: String,
    file: String,
    kind: String,
    bounced: Option<String>,
}

/// Measures every field on the corpus in `dir`.
pub fn measure(dir: &Path, k: &Knowledge) -> Result<Vec<Field>> {
    let read = |name: &str| -> Result<Option<String>> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("cannot read", path, e)),
        }
    };
    // pages.toml, then pages-<kind>.toml files in name order: one file per field keeps
    // each readable.
    let mut page_files: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("pages-") && name.ends_with(".toml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io("cannot list", dir, e)),
    };
    page_files.sort();
    page_files.insert(0, "pages.toml".into());
    let mut pages = Pages { page: Vec::new() };
    for name in &page_files {
        if let Some(text) = read(name)? {
            pages.page.extend(parse::<Pages>(dir, name, &text)?.page);
        }
    }
    let mails: Mails = match read("mail.toml")? {
        Some(text) => parse(dir, "mail.toml", &text)?,
        None => Mails { mail: Vec::new() },
    };
    if pages.page.is_empty() && mails.mail.is_empty() {
        return Err(Error::Usage(format!("{} holds no pages.toml or mail.toml with cases", dir.display())));
    }
    let names = ["hours", "phones", "emails", "social", "vendors", "stock", "callbacks"];
    let mut fields: Vec<Field> = names.iter().map(|n| Field::new(n)).collect();
    for case in &pages.page {
        let html = match (&case.html, &case.file) {
            (Some(html), _) => html.clone(),
            (None, Some(file)) => read(file)?.ok_or_else(|| {
                Error::Usage(format!("case {:?}: {} does not exist", case.name, dir.join(file).display()))
            })?,
            (None, None) => return Err(Error::Usage(format!("case {:?} has neither html nor file", case.name))),
        };
        let url = url::Url::parse(&case.url)
            .map_err(|e| Error::Usage(format!("case {:?}: url {:?}: {e}", case.name, case.url)))?;
        let container = match &case.container {
            Some(file) => Some(read(file)?.ok_or_else(|| {
                Error::Usage(format!("case {:?}: {} does not exist", case.name, dir.join(file).display()))
            })?),
            None => None,
        };
        let found = found_on(&html, &url, container.as_deref(), k);
        let labelled =
            [&case.hours, &case.phones, &case.emails, &case.social, &case.vendors, &case.stock, &case.callbacks];
        for ((field, want), got) in fields.iter_mut().zip(labelled).zip(found) {
            if let Some(want) = want {
                field.score(&case.name, &want.iter().cloned().collect(), &got);
            }
        }
    }
    let mut mail = Field::new("mail");
    for case in &mails.mail {
        let path = dir.join(&case.file);
        let raw = std::fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        let want: BTreeSet<String> = std::iter::once(case.kind.clone()).chain(case.bounced.clone()).collect();
        mail.score(&case.name, &want, &mail_facts(&raw, case.bounced.as_deref(), k));
    }
    if mail.cases > 0 {
        fields.push(mail);
    }
    fields.retain(|f| f.cases > 0);
    Ok(fields)
}

/// A corpus file, or where it is broken.
fn parse<T: serde::de::DeserializeOwned>(dir: &Path, name: &str, text: &str) -> Result<T> {
    toml::from_str(text)
        .map_err(|e| Error::Usage(format!("{}: {}", dir.join(name).display(), crate::scenario::located(text, &e))))
}

/// What the extractors find on one page, field by field in the order of [`measure`]'s names.
fn found_on(html: &str, url: &url::Url, container: Option<&str>, k: &Knowledge) -> [BTreeSet<String>; 7] {
    let mut facts = crate::extract::page(html, url, None, k);
    // As the crawl does: each container the page loads answers with the case's file.
    for at in facts.containers.clone() {
        let found = container.map(|text| crate::extract::chat::in_container(text, &at, k)).unwrap_or_default();
        crate::extract::chat::merge(&mut facts.chat, found);
    }
    let contacts = |kinds: &[ContactKind]| -> BTreeSet<String> {
        facts.contacts.iter().filter(|c| kinds.contains(&c.kind)).map(|c| c.value.clone()).collect()
    };
    let hours =
        facts.hours.iter().filter_map(|h| h.opening_hours.as_ref().map(|o| format!("{} {o}", h.channel))).collect();
    let stock = facts
        .images
        .iter()
        .filter_map(|i| {
            std::iter::once(&i.url)
                .chain(&i.variants)
                .find_map(|u| crate::extract::stock::judge_url(u.as_str(), &[], k).map(|s| s.agency))
        })
        .collect();
    let callbacks = facts.callbacks.iter().map(|c| c.vendor.clone().unwrap_or_else(|| "plain".into())).collect();
    [
        hours,
        contacts(&[ContactKind::Phone]),
        contacts(&[ContactKind::Email]),
        contacts(&[ContactKind::Social, ContactKind::Messenger]),
        facts.chat.iter().map(|e| e.vendor.clone()).collect(),
        stock,
        callbacks,
    ]
}

/// What a message is, as the mailbox files it: its kind, and for a bounce whether it names
/// the returned letter (`bounced`) among the Message-IDs it quotes, which is what ties it to
/// the letter.
fn mail_facts(raw: &[u8], bounced: Option<&str>, k: &Knowledge) -> BTreeSet<String> {
    let Some(reply) = crate::extract::reply::read(raw, k) else {
        return BTreeSet::from(["unreadable".to_string()]);
    };
    let kind = match (&reply.bounce, &reply.auto) {
        (Some(_), _) => "bounce",
        (None, Some(_)) => "auto",
        (None, None) => "human",
    };
    let tied = bounced.filter(|id| reply.bounce.is_some() && reply.threads.iter().any(|t| t == id));
    std::iter::once(kind.to_string()).chain(tied.map(str::to_string)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_counts_right_wrong_and_false_alarms() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let mut f = Field::new("phones");
        f.score("a", &set(&["+1"]), &set(&["+1"]));
        f.score("b", &set(&["+1"]), &set(&["+1", "+2"]));
        f.score("decoy", &set(&[]), &set(&["+3"]));
        f.score("quiet decoy", &set(&[]), &set(&[]));
        assert_eq!((f.cases, f.right, f.decoys, f.false_alarms), (4, 2, 2, 1));
        assert_eq!(f.accuracy(), Some(0.5));
        assert!(f.wrong[0].starts_with("b: expected"), "{:?}", f.wrong);
    }
}
