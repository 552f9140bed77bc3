//! site.https, site.privacy_policy, selfservice.faq.

use super::{read_pages, Check, CheckId, Input, Judged, Severity, Verdict};

pub const HTTPS: Check = Check {
    id: CheckId::SiteHttps,
    title: "The store is served over HTTPS",
    failure_title: "The store is not secured with HTTPS",
    description: "Browsers mark plain-HTTP pages \u{201c}Not secure\u{201d}, right where the buyer types an address and a card number.",
    severity: Severity::Critical,
    reads: &["evidence.site"],
    run: https,
};

fn https(input: &Input<'_>) -> Judged {
    let site = &input.evidence.site;
    let probe: Vec<String> = site.http_probe.iter().cloned().collect();
    Ok(match (site.https, site.http_redirects_to_https) {
        (false, _) => Verdict::fail("The store's pages are served over plain HTTP.", probe),
        (true, Some(true)) => Verdict::pass("Pages are served over HTTPS and plain HTTP redirects there.", probe),
        (true, Some(false)) => {
            Verdict::fail("Pages are served over HTTPS, but plain HTTP does not redirect to it.", probe)
        }
        (true, None) => {
            Verdict::warn("Pages are served over HTTPS; whether plain HTTP redirects could not be tried.", probe)
        }
    })
}

pub const PRIVACY_POLICY: Check = Check {
    id: CheckId::SitePrivacyPolicy,
    title: "A privacy policy is linked",
    failure_title: "No privacy policy",
    description: "Buyers hand over names, addresses and phone numbers; the law in most countries, and their trust, require saying what happens to them.",
    severity: Severity::Major,
    reads: &["evidence.links"],
    run: privacy_policy,
};

fn privacy_policy(input: &Input<'_>) -> Judged {
    Ok(link_to(input, "privacy", "No link to a privacy policy was found on the pages read."))
}

pub const FAQ: Check = Check {
    id: CheckId::SelfserviceFaq,
    title: "A FAQ or help centre is linked",
    failure_title: "No FAQ or help centre",
    description:
        "Most questions (delivery, returns, sizes) repeat. A FAQ answers them at 3 a.m. and takes load off support.",
    severity: Severity::Minor,
    reads: &["evidence.links", "pages"],
    run: faq,
};

fn faq(input: &Input<'_>) -> Judged {
    Ok(link_to(input, "faq", "No link to a FAQ, help centre or knowledge base was found."))
}

fn link_to(input: &Input<'_>, kind: &str, missing: &str) -> Verdict {
    if let Some(link) = input.evidence.links.iter().find(|l| l.kind == kind) {
        return Verdict::pass(
            format!("\u{201c}{}\u{201d} on {} links to {}.", link.text, link.page, link.url),
            vec![link.url.clone()],
        );
    }
    if let Some((_, url)) = read_pages(input).find(|(p, _)| p.kind == kind) {
        return Verdict::pass(format!("The page {url} is reachable."), vec![url.to_string()]);
    }
    Verdict::fail(missing, Vec::new())
}
