//! contacts.on_home, contacts.single_email, contacts.channels.

use std::collections::BTreeSet;

use super::{home_url, list, read_pages, Check, CheckId, Input, Judged, Severity, Verdict};
use crate::model::evidence::ContactKind;

pub const ON_HOME: Check = Check {
    id: CheckId::ContactsOnHome,
    title: "Contacts are on the home page",
    failure_title: "No contacts on the home page",
    description: "A buyer who cannot find a phone number, an address or at least a contacts link on the first page assumes nobody will help after paying.",
    severity: Severity::Major,
    reads: &["evidence.contacts.mentions", "evidence.links", "pages"],
    run: on_home,
};

fn on_home(input: &Input<'_>) -> Judged {
    let Some(home) = home_url(input) else {
        return Ok(Verdict::error("the start page was not read"));
    };
    let ev = input.evidence;
    let direct: Vec<String> = ev
        .contacts
        .mentions
        .iter()
        .filter(|m| m.page == home && matches!(m.kind, ContactKind::Email | ContactKind::Phone))
        .map(|m| m.value.clone())
        .collect();
    let link = ev.links.iter().find(|l| l.kind == "contacts" && l.page == home);
    Ok(match (direct.is_empty(), link) {
        (false, _) => Verdict::pass(format!("The home page shows {}.", list(&direct, 3)), direct),
        (true, Some(l)) => {
            Verdict::pass(format!("The home page links to contacts (\u{201c}{}\u{201d}).", l.text), vec![l.url.clone()])
        }
        (true, None) => Verdict::fail(
            "The home page shows no phone number or e-mail address and no link to a contacts page.",
            vec![home.to_string()],
        ),
    })
}

pub const SINGLE_EMAIL: Check = Check {
    id: CheckId::ContactsSingleEmail,
    title: "One clear support address",
    failure_title: "Too many e-mail addresses to choose from",
    description: "Six addresses (sales@, delivery@, info@, support@ ...) make the buyer guess, and letters to the wrong one go unanswered. One or two addresses are enough.",
    severity: Severity::Minor,
    reads: &["evidence.contacts.mentions", "pages"],
    run: single_email,
};

fn single_email(input: &Input<'_>) -> Judged {
    let contact_pages: Vec<&str> =
        read_pages(input).filter(|(p, _)| p.kind == "contacts").map(|(_, url)| url).collect();
    if contact_pages.is_empty() {
        return Ok(Verdict::not_applicable("No contacts page was found."));
    }
    let stop = &input.knowledge.not_customer_facing;
    let addresses: BTreeSet<String> = input
        .evidence
        .contacts
        .mentions
        .iter()
        .filter(|m| m.kind == ContactKind::Email && contact_pages.contains(&m.page.as_str()))
        .map(|m| m.value.clone())
        .filter(|a| {
            let local = a.split('@').next().unwrap_or_default();
            !stop
                .iter()
                .any(|s| local == s || local.starts_with(&format!("{s}.")) || local.starts_with(&format!("{s}-")))
        })
        .collect();
    let addresses: Vec<String> = addresses.into_iter().collect();
    Ok(match addresses.len() {
        0 => Verdict::not_applicable("The contacts page shows no customer-facing e-mail address."),
        1 | 2 => Verdict::pass(format!("The contacts page gives {}.", addresses.join(" and ")), addresses),
        n => Verdict::warn(
            format!("The contacts page lists {n} addresses for customers: {}.", list(&addresses, 6)),
            addresses,
        ),
    })
}

pub const CHANNELS: Check = Check {
    id: CheckId::ContactsChannels,
    title: "Several ways to get in touch",
    failure_title: "Too few ways to get in touch",
    description: "Buyers have their favourite channel: some call, some write, some use a messenger. Offering at least three of phone, e-mail, chat, messengers and social networks reaches most of them.",
    severity: Severity::Minor,
    reads: &["evidence.contacts", "evidence.chat.vendors"],
    run: channels,
};

fn channels(input: &Input<'_>) -> Judged {
    let ev = input.evidence;
    let c = &ev.contacts;
    let mut have = Vec::new();
    for (name, present) in [
        // A "call me back" button is the phone channel too.
        ("phone", !c.phones.is_empty() || !ev.forms.callbacks.is_empty()),
        ("e-mail", !c.emails.is_empty()),
        ("chat", !ev.chat.vendors.is_empty()),
        ("messenger", !c.messengers.is_empty()),
        ("social", !c.social.is_empty()),
    ] {
        if present {
            have.push(name.to_string());
        }
    }
    let detail = if have.is_empty() {
        "No contact channel was found.".to_string()
    } else {
        format!("Channels found: {}.", have.join(", "))
    };
    Ok(if have.len() >= 3 {
        Verdict::pass(detail, have)
    } else {
        Verdict::fail(format!("{detail} At least three are expected."), have)
    })
}
