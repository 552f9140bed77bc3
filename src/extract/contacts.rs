//! Contact channels on a page: e-mail addresses (mailto:, text, obfuscated forms such as
//! `name [at] shop [dot] ru` or `name собака shop.ru`, Cloudflare-protected addresses), phone
//! numbers normalised to E.164 with libphonenumber's data, and messenger and social links.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};

use crate::knowledge::Knowledge;
use crate::model::evidence::ContactKind;

/// A contact found on a page, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// What it is.
    pub kind: ContactKind,
    /// Address, E.164 number, or network id.
    pub value: String,
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    // ASCII boundaries: Unicode ones are far slower on Cyrillic text, and addresses are ASCII.
    Regex::new(r"(?i)(?-u:\b)[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}(?-u:\b)")
        .expect("static regex")
});
static BRACKET_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*[\[({<]\s*(?:at|собака|@)\s*[\])}>]\s*").expect("static regex"));
static BRACKET_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*[\[({<]\s*(?:dot|точка|\.)\s*[\])}>]\s*").expect("static regex"));
static SPACED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)([a-z0-9][a-z0-9._%+-]*)\s+(?:at|собака)\s+([a-z0-9-]+(?:(?:\s+(?:dot|точка)\s+|\.)[a-z0-9-]+)+)",
    )
    .expect("static regex")
});
static SPACED_DOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\s+(?:dot|точка)\s+").expect("static regex"));
/// North American numbers as written: "(214) 555-0132", "214.555.0133", "1-800-555-0100".
static NANP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[\s.-]?\d{3}[\s.-]\d{4}\s*$").expect("static regex")
});
/// Australian toll-free and local-rate numbers: "1800 160 401", "1300 360 221".
static AU_FREE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*1[38]00[\s-]?\d{3}[\s-]?\d{3}\s*$").expect("static regex"));
/// What a label before a number says it is not a phone to call: a fax, an order or a tax number.
static NOT_PHONE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(fax|факс|φαξ|telefax|order|заказ|bestell|παραγγελ|инн|огрн|кпп|vat|ust-id|αφμ|№|#)\s*[:.№#]?\s*(no\.?|nr\.?|number|номер)?\s*[:.]?\s*$")
        .expect("static regex")
});
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+\s?\d|\(\d|(?-u:\b)\d)[\d \u{a0}\-().]{5,20}\d(?-u:\b)").expect("static regex"));

/// The longest text around a link read as a credit line.
const CREDIT_LINE: usize = 150;

/// Words that precede " at " in prose ("find us at shop.ru") and are never an address.
const PROSE_BEFORE_AT: &[&str] =
    &["us", "me", "him", "her", "them", "it", "you", "online", "home", "here", "site", "store", "shop"];
const NOT_TLDS: &[&str] = &["png", "jpg", "jpeg", "gif", "webp", "svg", "js", "css", "html", "php"];

/// All contacts on the page, de-duplicated and sorted.
pub fn contacts(doc: &Html, lines: &[String], country: Option<phonenumber::country::Id>, k: &Knowledge) -> Vec<Found> {
    let mut found = Vec::new();
    let push = |found: &mut Vec<Found>, kind, value: String| found.push(Found { kind, value });
    let anchors = Selector::parse("a[href]").expect("static selector");
    for a in doc.select(&anchors) {
        let href = a.value().attr("href").unwrap_or_default().trim();
        let lower = href.to_lowercase();
        if let Some(rest) = lower.strip_prefix("mailto:") {
            let address = rest.split('?').next().unwrap_or_default();
            let decoded = percent_decode(address);
            emails_in(&decoded).into_iter().for_each(|e| push(&mut found, ContactKind::Email, e));
        } else if let Some(rest) = href.strip_prefix("tel:").or_else(|| href.strip_prefix("TEL:")) {
            if let Some(e164) = phone(&percent_decode(rest), country, true) {
                push(&mut found, ContactKind::Phone, e164);
            }
        } else if let Some((_, hex)) = href.split_once("/cdn-cgi/l/email-protection#") {
            // Cloudflare's e-mail protection rewrites a mailto: link into this, with the
            // address in the fragment as it writes data-cfemail.
            if let Some(address) = cloudflare_email(hex) {
                emails_in(&address).into_iter().for_each(|e| push(&mut found, ContactKind::Email, e));
            }
        } else if !lower.starts_with(['/', '#', '?', '.']) {
            // A link within the site ("/delivery") is neither a messenger nor a network.
            let target = lower.trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.");
            if !own_account(&a, target, k) {
                continue;
            }
            if let Some(id) = network(&k.messengers, target) {
                push(&mut found, ContactKind::Messenger, id);
            } else if let Some(id) = network(&k.social, target) {
                push(&mut found, ContactKind::Social, id);
            }
        }
    }
    let protected = Selector::parse("[data-cfemail]").expect("static selector");
    for e in doc.select(&protected) {
        if let Some(address) = e.value().attr("data-cfemail").and_then(cloudflare_email) {
            emails_in(&address).into_iter().for_each(|e| push(&mut found, ContactKind::Email, e));
        }
    }
    for line in lines {
        // Cheap byte tests first: most lines hold neither an address nor a phone.
        if could_hold_email(line) {
            emails_in(&deobfuscate(line)).into_iter().for_each(|e| push(&mut found, ContactKind::Email, e));
        }
        if line.bytes().filter(u8::is_ascii_digit).count() < 7 {
            continue;
        }
        for m in PHONE.find_iter(line) {
            if not_a_phone(&line[..m.start()]) {
                continue;
            }
            if let Some(e164) = phone(m.as_str(), country, false) {
                push(&mut found, ContactKind::Phone, e164);
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn network(table: &[(String, Vec<Regex>)], target: &str) -> Option<String> {
    table.iter().find(|(_, patterns)| patterns.iter().any(|re| re.is_match(target))).map(|(id, _)| id.clone())
}

/// The text before a number says it is a fax, an order or a tax number.
fn not_a_phone(before: &str) -> bool {
    let start = before.char_indices().rev().nth(24).map_or(0, |(i, _)| i);
    NOT_PHONE_LABEL.is_match(&before[start..])
}

/// Whether a network link is the store's own account: not a share button, and not inside a
/// credit to whoever made the site ("Design by", "Разработка сайта").
fn own_account(a: &scraper::ElementRef<'_>, target: &str, k: &Knowledge) -> bool {
    if k.not_own_links.iter().any(|re| re.is_match(target)) {
        return false;
    }
    // The link's own words, or its parent's when they are a line ("Design by <a>Studio</a>"),
    // not a whole footer that also holds the store's own links.
    let own_words = a.text().collect::<String>();
    let around = a
        .parent()
        .and_then(scraper::ElementRef::wrap)
        .map(|p| p.text().collect::<String>())
        .filter(|t| t.chars().count() <= CREDIT_LINE)
        .unwrap_or(own_words)
        .to_lowercase();
    !k.credits.iter().any(|c| around.contains(c.as_str()))
}

/// Whether a line has an `@` or one of the words that stand for it ("at", "собака", any case).
fn could_hold_email(line: &str) -> bool {
    line.contains('@')
        || line.as_bytes().windows(2).any(|w| w.eq_ignore_ascii_case(b"at"))
        || ["собака", "Собака", "СОБАКА"].iter().any(|w| line.contains(w))
}

/// Lower-case addresses in `text`.
pub fn emails_in(text: &str) -> Vec<String> {
    EMAIL
        .find_iter(text)
        .map(|m| m.as_str().trim_end_matches('.').to_lowercase())
        .filter(|e| {
            let tld = e.rsplit('.').next().unwrap_or_default();
            !NOT_TLDS.contains(&tld)
        })
        .collect()
}

/// Undoes the usual ways of hiding an address from harvesters.
pub fn deobfuscate(line: &str) -> String {
    let line = BRACKET_AT.replace_all(line, "@");
    let line = BRACKET_DOT.replace_all(&line, ".");
    SPACED
        .replace_all(&line, |c: &regex::Captures<'_>| {
            let local = &c[1];
            if PROSE_BEFORE_AT.contains(&local.to_lowercase().as_str()) {
                c[0].to_string()
            } else {
                format!("{local}@{}", SPACED_DOT.replace_all(&c[2], "."))
            }
        })
        .into_owned()
}

/// Decodes Cloudflare's e-mail protection: the first byte is the XOR key for the rest.
fn cloudflare_email(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<_>>()?;
    let (key, rest) = bytes.split_first()?;
    String::from_utf8(rest.iter().map(|b| b ^ key).collect()).ok()
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Normalises a phone number to E.164. Text candidates must look like a phone number as
/// written (a leading `+`, or digits grouped by spaces, dashes or brackets), so that order
/// numbers and prices are not taken for phones.
fn phone(candidate: &str, country: Option<phonenumber::country::Id>, from_link: bool) -> Option<String> {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return None;
    }
    let grouped = candidate.trim_start().starts_with('+')
        || candidate.contains(['(', '-', ' ', '\u{a0}'])
        || NANP.is_match(candidate);
    if !from_link && !grouped {
        return None;
    }
    let valid = |country| {
        let number = phonenumber::parse(country, candidate).ok()?;
        phonenumber::is_valid(&number).then(|| number.format().mode(phonenumber::Mode::E164).to_string())
    };
    if let Some(e164) = valid(country) {
        return Some(e164);
    }
    // A site whose country is not known still writes North American and Australian toll-free
    // numbers in shapes no other plan uses.
    let shaped = match country {
        None if NANP.is_match(candidate) => Some(phonenumber::country::Id::US),
        None if AU_FREE.is_match(candidate) => Some(phonenumber::country::Id::AU),
        _ => None,
    };
    shaped.and_then(|c| valid(Some(c))).or_else(|| trunk_prefix_workaround(candidate, country))
}

/// The `phonenumber` crate strips Russia's trunk prefix "8" even after "+7", so every
/// "+7 800 …" and "8 (800) …" toll-free number comes out one digit short and invalid
/// (libphonenumber itself strips it only when the rest stays valid). For the +7 zone only,
/// rebuild the number from its own digits when that is what happened.
fn trunk_prefix_workaround(candidate: &str, country: Option<phonenumber::country::Id>) -> Option<String> {
    use phonenumber::country::Id;
    let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
    let international = candidate.trim_start().starts_with('+');
    let national = !international && matches!(country, Some(Id::RU | Id::KZ));
    let rest = match (international, national, digits.strip_prefix('7'), digits.strip_prefix('8')) {
        (true, _, Some(rest), _) | (_, true, _, Some(rest)) => rest,
        _ => return None,
    };
    (rest.len() == 10 && rest.starts_with('8')).then(|| format!("+7{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::lines;

    fn found(html: &str, country: Option<&str>) -> Vec<(ContactKind, String)> {
        let k = Knowledge::load().unwrap();
        let doc = Html::parse_document(html);
        let country = country.map(|c| c.parse().unwrap());
        contacts(&doc, &lines(&doc), country, &k).into_iter().map(|f| (f.kind, f.value)).collect()
    }

    fn emails(html: &str) -> Vec<String> {
        found(html, None).into_iter().filter(|(k, _)| *k == ContactKind::Email).map(|(_, v)| v).collect()
    }

    #[test]
    fn finds_plain_and_obfuscated_emails() {
        assert_eq!(emails(r#"<a href="mailto:Support@Shop.ru?subject=Hi">write</a>"#), ["support@shop.ru"]);
        assert_eq!(emails("<p>info [at] shop [dot] ru</p>"), ["info@shop.ru"]);
        assert_eq!(emails("<p>sales(at)shop.ru</p>"), ["sales@shop.ru"]);
        assert_eq!(emails("<p>Пишите: zakaz собака shop.ru</p>"), ["zakaz@shop.ru"]);
        assert_eq!(emails("<p>help at shop dot com</p>"), ["help@shop.com"]);
        assert_eq!(emails("<p>Find us at shop.ru, logo@2x.png</p>"), Vec::<String>::new());
        // Cloudflare: key 0x42 XOR "a@b.co"
        let hex: String =
            std::iter::once(0x42u8).chain(b"a@b.co".iter().map(|b| b ^ 0x42)).map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            emails(&format!(r#"<a class="__cf_email__" data-cfemail="{hex}">[email&#160;protected]</a>"#)),
            ["a@b.co"]
        );
    }

    #[test]
    fn normalises_phones_with_the_country() {
        let html = r#"<a href="tel:+74951234567">call</a><p>8 (800) 555-35-35</p>
                      <p>+7 495 123-45-67</p><p>Заказ № 12345678, цена 1 299 руб.</p>"#;
        let phones: Vec<String> =
            found(html, Some("RU")).into_iter().filter(|(k, _)| *k == ContactKind::Phone).map(|(_, v)| v).collect();
        assert_eq!(phones, ["+74951234567", "+78005553535"]);
        let greek = found("<p>Τηλ: 210 123 4567</p>", Some("GR"));
        assert_eq!(greek, [(ContactKind::Phone, "+302101234567".to_string())]);
    }

    #[test]
    fn north_american_and_australian_numbers_without_a_country_and_no_faxes_or_orders() {
        let phones = |html: &str| -> Vec<String> {
            found(html, None).into_iter().filter(|(k, _)| *k == ContactKind::Phone).map(|(_, v)| v).collect()
        };
        assert_eq!(phones("<p>Call (214) 555-0132</p>"), ["+12145550132"]);
        assert_eq!(phones("<p>Support: 214.555.0133</p>"), ["+12145550133"]);
        assert_eq!(phones("<p>Toll free 1-800-555-0100</p>"), ["+18005550100"]);
        assert_eq!(phones("<p>Freecall 1800 160 401</p>"), ["+611800160401"]);
        assert_eq!(phones(r#"<a class="btn" href="tel:(214) 555-0132">Call us</a>"#), ["+12145550132"]);
        assert_eq!(phones("<p>Fax: (214) 555-0199</p>"), Vec::<String>::new());
        assert_eq!(phones("<p>Order # 214-555-0134 shipped</p>"), Vec::<String>::new());
        assert_eq!(phones("<p>Version 2024.01.15 released</p>"), Vec::<String>::new());
        let ru: Vec<String> = found("<p>Тел.: +7 495 123-45-67, факс: +7 495 123-45-68</p>", Some("RU"))
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(ru, ["+74951234567"]);
    }

    #[test]
    fn regression_phonenumber_strips_eight_after_plus_seven() {
        let phones = |html| found(html, Some("RU")).into_iter().map(|(_, v)| v).collect::<Vec<_>>();
        assert_eq!(phones("<p>+7 800 555-35-35</p>"), ["+78005553535"]);
        assert_eq!(phones(r#"<a href="tel:88005553535">free</a>"#), ["+78005553535"]);
        assert!(phones("<p>8 (812) 55-35</p>").is_empty(), "too short stays out");
    }

    #[test]
    fn share_buttons_and_the_site_makers_profiles_are_not_the_stores_accounts() {
        let html = r#"<footer>
            <a href="https://www.instagram.com/acme.shoes/">Instagram</a>
            <a href="https://uk.linkedin.com/company/acme-shoes">LinkedIn</a>
            <a href="https://www.facebook.com/sharer/sharer.php?u=https://acme.example/">Share</a>
            <a href="https://twitter.com/intent/tweet?url=x">Tweet</a>
            <a href="https://t.me/share/url?url=x">Telegram</a>
            <a href="https://vk.com/share.php?url=x">VK</a>
            <p>Разработка сайта — <a href="https://vk.com/webstudio42">Студия 42</a></p>
            <p class="credit">Theme by <a href="https://www.facebook.com/themevendor">ThemeVendor</a></p>
            </footer>"#;
        let networks: Vec<String> = found(html, None).into_iter().map(|(_, v)| v).collect();
        assert_eq!(networks, ["instagram", "linkedin"]);
    }

    #[test]
    fn recognises_messengers_and_social() {
        let html = r#"<a href="https://wa.me/79991234567">WhatsApp</a><a href="https://t.me/shop">tg</a>
                      <a href="viber://chat?number=%2B7999">viber</a><a href="https://vk.com/shop">VK</a>
                      <a href="https://www.instagram.com/shop/">ig</a>"#;
        let got = found(html, None);
        let kinds: Vec<(ContactKind, &str)> = got.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (ContactKind::Messenger, "telegram"),
                (ContactKind::Messenger, "viber"),
                (ContactKind::Messenger, "whatsapp"),
                (ContactKind::Social, "instagram"),
                (ContactKind::Social, "vk"),
            ]
        );
    }
}
