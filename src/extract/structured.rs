//! Hours the page states for machines: schema.org `openingHoursSpecification` and
//! `openingHours` in JSON-LD, and `itemprop="openingHours"` in microdata. A business's own
//! hours are the store's (a shop, a pick-up point); a `contactPoint`'s `hoursAvailable` are
//! its support's.

use scraper::{Html, Selector};
use serde_json::Value;

use crate::hours::Statement;
use crate::model::Channel;

/// JSON-LD blocks read per page, and their size: a page is not a database.
const MAX_BLOCKS: usize = 20;
const MAX_BLOCK_BYTES: usize = 256 * 1024;
const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// The hours statements of the page's structured data.
pub fn hours(doc: &Html) -> Vec<Statement> {
    let mut out = Vec::new();
    let scripts = Selector::parse(r#"script[type="application/ld+json"]"#).expect("static selector");
    for script in doc.select(&scripts).take(MAX_BLOCKS) {
        let text: String = script.text().collect();
        if text.len() > MAX_BLOCK_BYTES {
            continue;
        }
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            walk(&value, Channel::Store, 0, &mut out);
        }
    }
    let micro = Selector::parse(r#"[itemprop="openingHours"]"#).expect("static selector");
    for e in doc.select(&micro) {
        let text = e.value().attr("content").map_or_else(|| e.text().collect::<String>(), str::to_string);
        push(&mut out, Channel::Store, "schema.org openingHours", &text);
    }
    out
}

fn walk(v: &Value, channel: Channel, depth: usize, out: &mut Vec<Statement>) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk(i, channel, depth + 1, out)),
        Value::Object(map) => {
            if let Some(spec) = map.get("openingHoursSpecification") {
                push(out, channel, "schema.org openingHoursSpecification", &specification(spec));
            }
            match map.get("openingHours") {
                Some(Value::String(s)) => push(out, channel, "schema.org openingHours", s),
                Some(Value::Array(list)) => {
                    let rules: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
                    push(out, channel, "schema.org openingHours", &rules.join("; "));
                }
                _ => {}
            }
            if let Some(available) = map.get("hoursAvailable") {
                push(out, Channel::Support, "schema.org hoursAvailable", &specification(available));
            }
            for (key, child) in map {
                if !matches!(key.as_str(), "openingHoursSpecification" | "openingHours" | "hoursAvailable") {
                    walk(child, if key == "contactPoint" { Channel::Support } else { channel }, depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// `OpeningHoursSpecification` objects as opening_hours rules ("Mo,Tu 09:00-18:00; Sa 10:00-16:00").
fn specification(v: &Value) -> String {
    let specs: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    // (days, opens, closes): specifications with the same times join, as a page that gives
    // one per day means "Mo-Fr 09:00-18:00".
    let mut rules: Vec<(u8, String, String)> = Vec::new();
    for spec in specs {
        let days: u8 = match spec.get("dayOfWeek") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).filter_map(day).fold(0, |set, d| set | d),
            Some(Value::String(d)) => day(d).unwrap_or(0),
            _ => 0,
        };
        let (Some(opens), Some(closes)) =
            (spec.get("opens").and_then(Value::as_str), spec.get("closes").and_then(Value::as_str))
        else {
            continue;
        };
        let time = |t: &str| t.get(..5).unwrap_or(t).to_string();
        let (opens, closes) = (time(opens), time(closes));
        let closes =
            if closes == "23:59" || closes == "00:00" && opens == "00:00" { "24:00".to_string() } else { closes };
        if days == 0 {
            continue;
        }
        match rules.iter_mut().find(|(_, o, c)| *o == opens && *c == closes) {
            Some((set, _, _)) => *set |= days,
            None => rules.push((days, opens, closes)),
        }
    }
    rules.sort_by_key(|(days, _, _)| days.trailing_zeros());
    rules
        .iter()
        .map(|(days, opens, closes)| format!("{} {opens}-{closes}", crate::hours::format_days(*days)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// schema.org's day ("Monday", "https://schema.org/Monday") as a day bit (Monday bit 0).
fn day(name: &str) -> Option<u8> {
    let bare = name.rsplit('/').next().unwrap_or(name).to_lowercase();
    DAYS.iter().position(|long| *long == bare).map(|i| 1 << i)
}

fn push(out: &mut Vec<Statement>, channel: Channel, source: &str, rules: &str) {
    let rules = rules.trim();
    if rules.is_empty() || out.iter().any(|s| s.text.ends_with(rules) && s.channel == channel) {
        return;
    }
    let opening_hours = rules.parse::<opening_hours::OpeningHours>().is_ok().then(|| rules.to_string());
    out.push(Statement { channel, text: format!("{source}: {rules}"), opening_hours });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(html: &str) -> Vec<(Channel, Option<String>)> {
        hours(&Html::parse_document(html)).into_iter().map(|s| (s.channel, s.opening_hours)).collect()
    }

    #[test]
    fn json_ld_and_microdata_hours_are_statements() {
        let store = r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"Store",
            "openingHoursSpecification":[
              {"@type":"OpeningHoursSpecification","dayOfWeek":["Monday","Tuesday","Wednesday","Thursday","Friday"],"opens":"09:00","closes":"18:00"},
              {"@type":"OpeningHoursSpecification","dayOfWeek":"https://schema.org/Saturday","opens":"10:00:00","closes":"16:00:00"}],
            "contactPoint":{"@type":"ContactPoint","contactType":"customer service",
              "hoursAvailable":{"@type":"OpeningHoursSpecification","dayOfWeek":["Monday","Tuesday","Wednesday","Thursday","Friday","Saturday","Sunday"],"opens":"00:00","closes":"23:59"}}}
            </script>"#;
        assert_eq!(
            found(store),
            [
                (Channel::Store, Some("Mo-Fr 09:00-18:00; Sa 10:00-16:00".into())),
                (Channel::Support, Some("Mo-Su 00:00-24:00".into())),
            ]
        );
        let listed = r#"<script type="application/ld+json">[{"@type":"LocalBusiness","openingHours":["Mo-Fr 08:00-20:00","Sa 09:00-14:00"]}]</script>
            <span itemprop="openingHours" content="Mo-Su 10:00-22:00">Daily 10-22</span>"#;
        assert_eq!(
            found(listed),
            [
                (Channel::Store, Some("Mo-Fr 08:00-20:00; Sa 09:00-14:00".into())),
                (Channel::Store, Some("Mo-Su 10:00-22:00".into())),
            ]
        );
        assert!(found(r#"<script type="application/ld+json">{"openingHours": 5, "@type": [</script>"#).is_empty());
    }
}
