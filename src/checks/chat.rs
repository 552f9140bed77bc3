//! chat.present, chat.on_every_page (static part).

use super::{list, read_pages, Check, Input, Severity, Verdict};

/// Pages on which a buyer expects to find the chat.
const KEY_KINDS: &[&str] = &[
    "home", "product", "delivery", "cart", "contacts", "terms", "returns",
];

pub const PRESENT: Check = Check {
    id: "chat.present",
    title: "A live chat is available",
    failure_title: "No live chat on the site",
    description: "Buyers with a question about an order want an answer while they still have the cart open. A live chat is the fastest channel; without it many simply leave.",
    severity: Severity::Major,
    reads: &["evidence.chat.vendors", "evidence.chat.embeds", "pages"],
    run: present,
};

fn present(input: &Input<'_>) -> Verdict {
    let chat = &input.evidence.chat;
    let read = read_pages(input).count();
    if chat.vendors.is_empty() {
        return Verdict::fail(
            format!("No live-chat widget was found in the HTML of the {read} pages read. (A widget injected later by a tag manager is seen only by the browser probe.)"),
            Vec::new(),
        );
    }
    Verdict::pass(
        format!(
            "{} embedded on {} of {read} pages read.",
            chat.vendors.join(" and "),
            chat.pages.len()
        ),
        chat.embeds
            .iter()
            .map(|e| format!("{} on {} ({}: {})", e.vendor, e.page, e.how, e.matched))
            .take(10)
            .collect(),
    )
}

pub const ON_EVERY_PAGE: Check = Check {
    id: "chat.on_every_page",
    title: "The chat is on every key page",
    failure_title: "The chat is missing from some key pages",
    description: "Questions come up on the product page, at delivery terms and in the cart. A chat that is only on the contacts page is not there when the buyer needs it.",
    severity: Severity::Minor,
    reads: &["evidence.chat.pages", "pages"],
    run: on_every_page,
};

fn on_every_page(input: &Input<'_>) -> Verdict {
    let chat = &input.evidence.chat;
    if chat.vendors.is_empty() {
        return Verdict::not_applicable("There is no chat widget to look for.");
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
    if missing.is_empty() {
        Verdict::pass(
            format!("The widget is on all {} key pages read.", key.len()),
            key.iter().map(|(_, u)| u.to_string()).collect(),
        )
    } else {
        Verdict::fail(
            format!(
                "The widget is missing on {} of {} key pages: {}.",
                missing.len(),
                key.len(),
                list(&missing, 3)
            ),
            missing,
        )
    }
}
