//! hours.posted, hours.on_home, hours.honored.

use super::{home_url, list, Check, CheckId, Input, Judged, Severity, Verdict};

pub const POSTED: Check = Check {
    id: CheckId::HoursPosted,
    title: "Support hours are published",
    failure_title: "Support hours are not published",
    description: "A buyer who writes at night wants to know when to expect an answer. Published hours set that expectation, and they are the promise later runs hold the store to.",
    severity: Severity::Major,
    reads: &["evidence.hours"],
    run: posted,
};

fn posted(input: &Input<'_>) -> Judged {
    let on_site: Vec<_> = input.evidence.hours.iter().filter(|h| h.page.is_some()).collect();
    if on_site.is_empty() {
        let promised = input.evidence.hours.iter().any(|h| h.page.is_none());
        let detail = if promised {
            "The scenario states hours, but the site itself does not publish them."
        } else {
            "No support or opening hours were found on the pages read."
        };
        return Ok(Verdict::fail(detail, Vec::new()));
    }
    let evidence: Vec<String> = on_site
        .iter()
        .map(|h| {
            format!(
                "{}: \u{201c}{}\u{201d} -> {} ({})",
                h.channel.as_str(),
                h.text,
                h.opening_hours.as_deref().unwrap_or("not understood"),
                h.page.as_deref().unwrap_or("")
            )
        })
        .collect();
    let unread: Vec<String> =
        on_site.iter().filter(|h| h.opening_hours.is_none()).map(|h| format!("\u{201c}{}\u{201d}", h.text)).collect();
    Ok(if unread.is_empty() {
        Verdict::pass(format!("{} hours statement(s) found and understood.", on_site.len()), evidence)
    } else {
        Verdict::warn(
            format!("Hours are published but {} could not be understood: {}.", unread.len(), list(&unread, 2)),
            evidence,
        )
    })
}

pub const ON_HOME: Check = Check {
    id: CheckId::HoursOnHome,
    title: "Hours are easy to find",
    failure_title: "Hours are hard to find",
    description:
        "Hours belong on the home page or one click away (the contacts page); buried deeper, buyers never see them.",
    severity: Severity::Minor,
    reads: &["evidence.hours", "pages"],
    run: on_home,
};

fn on_home(input: &Input<'_>) -> Judged {
    let on_site: Vec<_> = input.evidence.hours.iter().filter(|h| h.page.is_some()).collect();
    if on_site.is_empty() {
        return Ok(Verdict::not_applicable("No hours were found on the site."));
    }
    let Some(home) = home_url(input) else {
        return Ok(Verdict::error("the start page was not read"));
    };
    if let Some(h) = on_site.iter().find(|h| h.pages.iter().any(|p| p == home)) {
        return Ok(Verdict::pass(format!("The home page states \u{201c}{}\u{201d}.", h.text), vec![home.to_string()]));
    }
    let depth_of = |url: &str| {
        input.pages.iter().find(|p| p.url == url || p.final_url.as_deref() == Some(url)).and_then(|p| p.depth)
    };
    if let Some((h, page)) =
        on_site.iter().flat_map(|h| h.pages.iter().map(move |p| (h, p))).find(|(_, p)| depth_of(p) == Some(1))
    {
        return Ok(Verdict::pass(
            format!("Hours are one click from the home page, on {page}."),
            vec![format!("\u{201c}{}\u{201d} on {page}", h.text)],
        ));
    }
    let pages: Vec<String> = on_site.iter().flat_map(|h| h.pages.clone()).collect();
    Ok(Verdict::fail(format!("Hours appear only deeper in the site: {}.", list(&pages, 3)), pages))
}

pub const HONORED: Check = Check {
    id: CheckId::HoursHonored,
    title: "The posted hours are kept",
    failure_title: "The posted hours are not kept",
    description: "\u{201c}24/7\u{201d} on the page and nobody in the chat at night, or letters sent on Saturday answered on Tuesday, break the promise the store made. Only readings over many runs, at night and on weekends too, show whether it holds.",
    severity: Severity::Major,
    reads: &["evidence.compliance"],
    run: honored,
};

fn honored(input: &Input<'_>) -> Judged {
    let Some(c) = &input.evidence.compliance else {
        return Ok(Verdict::not_applicable(
            "No history yet: `shopaudit run` (or `audit --db`) keeps every reading and letter to judge this over time.",
        ));
    };
    let percent = |x: f64| format!("{:.0}%", x * 100.0);
    let mut failed = Vec::new();
    let mut said = Vec::new();
    if let (Some(hours), Some(share)) = (&c.hours, c.chat_online_in_hours_share) {
        let line = format!(
            "the chat was online in {} of {} readings inside the posted hours ({hours}, {})",
            c.chat_online_in_hours, c.chat_in_hours, c.timezone
        );
        if share < c.thresholds.chat_online {
            failed.push(format!("{line}: {}, below {}", percent(share), percent(c.thresholds.chat_online)));
        } else {
            said.push(line);
        }
    }
    if c.letters > 0 {
        let share = c.letters_within_sla as f64 / c.letters as f64;
        let line = format!(
            "{} of {} letters were answered by a person within their deadline",
            c.letters_within_sla, c.letters
        );
        if share < c.thresholds.letters_within_sla {
            failed.push(format!("{line} ({}, below {})", percent(share), percent(c.thresholds.letters_within_sla)));
        } else {
            said.push(line);
        }
    }
    if failed.is_empty() && said.is_empty() {
        return Ok(Verdict::not_applicable(
            "Nothing to hold against posted hours yet: no hours are posted, or no reading fell inside them and no letter is due.",
        ));
    }
    Ok(if failed.is_empty() {
        Verdict::pass(format!("{}.", capitalised(&said.join("; "))), said)
    } else {
        let mut evidence = failed.clone();
        evidence.extend(c.chat_failures.iter().take(10).cloned());
        evidence.extend(c.letter_failures.iter().take(10).cloned());
        Verdict::fail(format!("{}.", capitalised(&failed.join("; "))), evidence)
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
