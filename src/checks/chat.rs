//! chat.present, chat.on_every_page, chat.visible, chat.online, chat.offline_fallback,
//! chat.operator_identity, chat.branding.

use super::{browser_visits, list, read_pages, where_, Check, CheckId, Input, Judged, Severity, Verdict};
use crate::model::evidence::ChatStatus;

/// Pages on which a buyer expects to find the chat.
const KEY_KINDS: &[&str] = &["home", "product", "delivery", "cart", "contacts", "terms", "returns"];

pub const PRESENT: Check = Check {
    id: CheckId::ChatPresent,
    title: "A live chat is available",
    failure_title: "No live chat on the site",
    description: "Buyers with a question about an order want an answer while they still have the cart open. A live chat is the fastest channel; without it many simply leave.",
    severity: Severity::Major,
    reads: &["evidence.chat.vendors", "evidence.chat.embeds", "pages"],
    run: present,
};

fn present(input: &Input<'_>) -> Judged {
    let chat = &input.evidence.chat;
    let read = read_pages(input).count();
    if chat.vendors.is_empty() {
        return Ok(Verdict::fail(
            format!("No live-chat widget was found in the HTML of the {read} pages read. (A widget injected later by a tag manager is seen only by the browser probe.)"),
            Vec::new(),
        ));
    }
    Ok(Verdict::pass(
        format!("{} embedded on {} of {read} pages read.", chat.vendors.join(" and "), chat.pages.len()),
        chat.embeds.iter().map(|e| format!("{} on {} ({}: {})", e.vendor, e.page, e.how, e.matched)).take(10).collect(),
    ))
}

pub const ON_EVERY_PAGE: Check = Check {
    id: CheckId::ChatOnEveryPage,
    title: "The chat is on every key page",
    failure_title: "The chat is missing from some key pages",
    description: "Questions come up on the product page, at delivery terms and in the cart. A chat that is only on the contacts page is not there when the buyer needs it.",
    severity: Severity::Minor,
    reads: &["evidence.chat.pages", "pages"],
    run: on_every_page,
};

fn on_every_page(input: &Input<'_>) -> Judged {
    let chat = &input.evidence.chat;
    if chat.vendors.is_empty() {
        return Ok(Verdict::not_applicable("There is no chat widget to look for."));
    }
    let key: Vec<(&str, &str)> = read_pages(input)
        .filter(|(p, _)| KEY_KINDS.contains(&p.kind.as_str()))
        .map(|(p, url)| (p.kind.as_str(), url))
        .collect();
    let missing: Vec<String> = key
        .iter()
        .filter(|(_, url)| !chat.pages.iter().any(|p| p == url))
        .map(|(kind, url)| format!("{kind}: {url}"))
        .collect();
    Ok(if missing.is_empty() {
        Verdict::pass(
            format!("The widget is on all {} key pages read.", key.len()),
            key.iter().map(|(_, u)| u.to_string()).collect(),
        )
    } else {
        Verdict::fail(
            format!("The widget is missing on {} of {} key pages: {}.", missing.len(), key.len(), list(&missing, 3)),
            missing,
        )
    })
}

pub const VISIBLE: Check = Check {
    id: CheckId::ChatVisible,
    title: "The chat button is in plain sight",
    failure_title: "Buyers cannot see the chat button",
    description: "A chat nobody can find does not exist. The launcher must be on the first screen, not hidden, transparent, covered by a banner or only in the footer, on desktop and on phones.",
    severity: Severity::Major,
    reads: &["evidence.browser.visits[].chats[].launcher"],
    run: visible,
};

fn visible(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let with_chat: Vec<_> = visits.iter().filter(|v| !v.chats.is_empty()).collect();
    if with_chat.is_empty() {
        return Ok(Verdict::not_applicable("No chat widget came alive in the browser."));
    }
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    for v in &with_chat {
        for chat in &v.chats {
            match &chat.launcher {
                None => problems.push(format!(
                    "{}: {} loaded but no launcher button could be found",
                    where_(v),
                    chat.vendor
                )),
                Some(l) if !l.problems.is_empty() => {
                    problems.push(format!("{}: {} launcher {}", where_(v), chat.vendor, l.problems.join(", ")))
                }
                Some(_) => fine.push(where_(v)),
            }
        }
    }
    Ok(if problems.is_empty() {
        Verdict::pass(format!("The launcher is visible on the first screen in all {} visits.", fine.len()), fine)
    } else {
        Verdict::fail(
            format!("{} of {} visits: {}.", problems.len(), problems.len() + fine.len(), list(&problems, 2)),
            problems,
        )
    })
}

pub const ONLINE: Check = Check {
    id: CheckId::ChatOnline,
    title: "Operators are online",
    failure_title: "The chat says nobody is there",
    description: "A chat that shows \u{201c}offline\u{201d} most of the day is worse than none: it promises help and withholds it. Over repeated runs this becomes the share of checks inside posted hours when operators were online.",
    severity: Severity::Major,
    reads: &["evidence.browser.visits[].chats[].status"],
    run: online,
};

fn online(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let readings: Vec<(String, &crate::model::evidence::LiveChat)> =
        visits.iter().flat_map(|v| v.chats.iter().map(move |c| (where_(v), c))).collect();
    if readings.is_empty() {
        return Ok(Verdict::not_applicable("No chat widget came alive in the browser."));
    }
    let evidence: Vec<String> = readings.iter().map(|(w, c)| format!("{w}: {} ({})", c.vendor, c.status_how)).collect();
    let known: Vec<_> = readings.iter().filter(|(_, c)| c.status != ChatStatus::Unknown).collect();
    Ok(match known.first() {
        None => Verdict::not_applicable(format!(
            "The widget did not say whether operators are online: {}.",
            readings[0].1.status_how
        )),
        Some(_) if known.iter().all(|(_, c)| c.status == ChatStatus::Online) => {
            Verdict::pass(format!("Operators were reported online ({}).", known[0].1.status_how), evidence)
        }
        Some(_) => {
            let off = known.iter().find(|(_, c)| c.status == ChatStatus::Offline).map_or_else(String::new, |(w, c)| {
                format!("{w} at {}: {}", c.status_at.format("%Y-%m-%d %H:%M UTC"), c.status_how)
            });
            Verdict::fail(format!("The chat reported operators offline: {off}."), evidence)
        }
    })
}

pub const OFFLINE_FALLBACK: Check = Check {
    id: CheckId::ChatOfflineFallback,
    title: "An offline chat still takes a message",
    failure_title: "An offline chat is a dead end",
    description: "When nobody is online the widget should still let the buyer leave a message or show another way to get help; a closed door loses the buyer.",
    severity: Severity::Minor,
    reads: &["evidence.browser.visits[].chats[].offline_form", "evidence.chat.conversations"],
    run: offline_fallback,
};

fn offline_fallback(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    // The conversation probe used the form: its confirmation is the proof.
    let left: Vec<_> = input.evidence.chat.conversations.iter().filter(|t| t.message_left).collect();
    if !left.is_empty() {
        let unconfirmed: Vec<String> = left
            .iter()
            .filter(|t| t.confirmation.is_none())
            .map(|t| format!("{}: {}", t.page, t.question_id))
            .collect();
        if !unconfirmed.is_empty() {
            return Ok(Verdict::fail(
                format!("A message left in the offline form got no confirmation: {}.", list(&unconfirmed, 2)),
                unconfirmed,
            ));
        }
        let confirmed: Vec<String> = left
            .iter()
            .filter_map(|t| t.confirmation.as_ref().map(|c| format!("{}: \u{201c}{c}\u{201d}", t.page)))
            .collect();
        return Ok(Verdict::pass(
            format!("Offline, the widget took a message and confirmed it: {}.", list(&confirmed, 1)),
            confirmed,
        ));
    }
    let offline: Vec<_> = visits
        .iter()
        .flat_map(|v| v.chats.iter().map(move |c| (v, c)))
        .filter(|(_, c)| c.status == ChatStatus::Offline)
        .collect();
    if offline.is_empty() {
        return Ok(Verdict::not_applicable("The chat was not offline, so there was no fallback to look for."));
    }
    let dead: Vec<String> = offline
        .iter()
        .filter(|(_, c)| c.offline_form == Some(false))
        .map(|(v, c)| format!("{}: {}", where_(v), c.vendor))
        .collect();
    let with_form: Vec<String> = offline
        .iter()
        .filter(|(_, c)| c.offline_form == Some(true))
        .map(|(v, c)| format!("{}: {}", where_(v), c.vendor))
        .collect();
    Ok(if !dead.is_empty() {
        Verdict::fail(
            format!("Opened while offline, the widget offered no form to leave a message: {}.", list(&dead, 2)),
            dead,
        )
    } else if !with_form.is_empty() {
        Verdict::pass("Opened while offline, the widget offers a form to leave a message.", with_form)
    } else {
        Verdict::not_applicable("The offline widget's window could not be read (it lives in a frame of another site).")
    })
}

pub const OPERATOR_IDENTITY: Check = Check {
    id: CheckId::ChatOperatorIdentity,
    title: "Operators introduce themselves",
    failure_title: "The operator is a placeholder or a joke",
    description: "\u{201c}Operator 7\u{201d}, \u{201c}Support Bot\u{201d}, a jokey nickname or a stock photo make the buyer unsure whom they are talking to. A real name (\u{201c}Julia Ivanova, support\u{201d}) builds trust.",
    severity: Severity::Minor,
    reads: &["evidence.browser.visits[].chats[].window", "evidence.chat.conversations", "evidence.images"],
    run: operator_identity,
};

fn operator_identity(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let windows: Vec<_> =
        visits.iter().flat_map(|v| &v.chats).filter_map(|c| c.window.as_ref()).filter(|w| w.readable).collect();
    // Names seen in the window, and the name of whoever answered the conversation probe.
    let talks = &input.evidence.chat.conversations;
    let names: std::collections::BTreeSet<&str> = windows
        .iter()
        .flat_map(|w| w.operator_names.iter().map(String::as_str))
        .chain(talks.iter().filter_map(|t| t.operator_name.as_deref()))
        .collect();
    let avatars: std::collections::BTreeSet<&str> = windows
        .iter()
        .flat_map(|w| w.avatars.iter().map(String::as_str))
        .chain(talks.iter().filter_map(|t| t.operator_avatar.as_deref()))
        .collect();
    if names.is_empty() && avatars.is_empty() {
        return Ok(Verdict::not_applicable("The chat window showed no operator name or photo (or could not be read)."));
    }
    let words = &input.knowledge.chat;
    let mut problems = Vec::new();
    for name in &names {
        let lower = name.to_lowercase();
        if words.placeholder.iter().any(|re| re.is_match(name.trim())) {
            problems.push(format!("\u{201c}{name}\u{201d} is a placeholder, not a person"));
        } else if lower.split(|c: char| !c.is_alphanumeric()).any(|w| words.jokey.iter().any(|j| j == w)) {
            problems.push(format!("\u{201c}{name}\u{201d} is a jokey nickname"));
        }
    }
    for image in input.evidence.images.iter().filter(|i| avatars.contains(i.url.as_str())) {
        if let Some(stock) = &image.stock {
            problems.push(format!("the operator's photo {} is a stock image ({})", image.url, stock.agency));
        }
    }
    let shown: Vec<String> = names.iter().map(|n| format!("\u{201c}{n}\u{201d}")).collect();
    Ok(if problems.is_empty() {
        Verdict::pass(
            format!(
                "Operators appear as {}.",
                if shown.is_empty() { "a real photo".to_string() } else { list(&shown, 3) }
            ),
            shown,
        )
    } else {
        Verdict::fail(format!("{}.", list(&problems, 2)), problems)
    })
}

pub const BRANDING: Check = Check {
    id: CheckId::ChatBranding,
    title: "The chat carries the store's name",
    failure_title: "The chat looks like the vendor's, not the store's",
    description: "A widget with the vendor's default title and colours leaves the buyer wondering whether they are talking to the store at all. Its title should name the store.",
    severity: Severity::Minor,
    reads: &["evidence.browser.visits[].chats[].window.title", "store.name"],
    run: branding,
};

fn branding(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let titles: std::collections::BTreeSet<&str> = visits
        .iter()
        .flat_map(|v| &v.chats)
        .filter_map(|c| c.window.as_ref()?.title.as_deref())
        .filter(|t| !t.trim().is_empty())
        .collect();
    if titles.is_empty() {
        return Ok(Verdict::not_applicable("The chat window showed no title (or could not be read)."));
    }
    let squash = |s: &str| s.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<String>();
    let store = squash(input.store);
    let words = &input.knowledge.chat;
    let quoted: Vec<String> = titles.iter().map(|t| format!("\u{201c}{t}\u{201d}")).collect();
    if !store.is_empty() && titles.iter().any(|t| squash(t).contains(&store)) {
        return Ok(Verdict::pass(format!("The chat is titled {}.", list(&quoted, 2)), quoted));
    }
    let unbranded = titles.iter().any(|t| {
        let lower = t.trim().to_lowercase();
        words.unbranded_titles.contains(&lower) || words.vendor_names.iter().any(|v| lower.contains(v.as_str()))
    });
    Ok(if unbranded {
        Verdict::fail(
            format!("The chat is titled {}, a default that does not name {}.", list(&quoted, 2), input.store),
            quoted,
        )
    } else {
        Verdict::warn(format!("The chat is titled {}, which does not name {}.", list(&quoted, 2), input.store), quoted)
    })
}
