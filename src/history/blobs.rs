//! Screenshots kept once by content hash: a report keeps every picture it took as a data URI
//! (hundreds of KB); the history stores each picture once, and each kept report names it.

use sha2::{Digest, Sha256};

/// How a stored report names a picture kept apart.
const PREFIX: &str = "shopaudit-blob:sha256:";

/// Pictures smaller than this stay inside the report: a reference would save nothing.
const SMALLEST: usize = 512;

/// A picture taken out of a report, to be stored once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The SHA-256 of `data`, in hex.
    pub hash: String,
    /// The data URI, as the report had it.
    pub data: String,
}

/// The report as JSON with every large data URI replaced by a reference, and the pictures.
pub fn take_out(report: &crate::model::Report) -> serde_json::Result<(String, Vec<Blob>)> {
    let mut value = serde_json::to_value(report)?;
    let mut blobs = Vec::new();
    walk(&mut value, &mut |s| {
        if s.len() >= SMALLEST && s.starts_with("data:") {
            let hash = hex(&Sha256::digest(s.as_bytes()));
            let data = std::mem::replace(s, format!("{PREFIX}{hash}"));
            if !blobs.iter().any(|b: &Blob| b.hash == hash) {
                blobs.push(Blob { hash, data });
            }
        }
    });
    Ok((serde_json::to_string(&value)?, blobs))
}

/// The hashes a stored report names.
pub fn named(json: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find(PREFIX) {
        rest = &rest[at + PREFIX.len()..];
        let hash: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        if !hashes.contains(&hash) {
            hashes.push(hash);
        }
    }
    hashes
}

/// The stored report with its pictures put back; a picture missing from the history (pruned by
/// hand) is left out rather than shown broken.
pub fn put_back(json: &str, blobs: &[Blob]) -> serde_json::Result<crate::model::Report> {
    let mut value: serde_json::Value = serde_json::from_str(json)?;
    walk(&mut value, &mut |s| {
        if let Some(hash) = s.strip_prefix(PREFIX) {
            *s = blobs.iter().find(|b| b.hash == hash).map(|b| b.data.clone()).unwrap_or_default();
        }
    });
    // A picture the history no longer has reads as no picture.
    null_empty_images(&mut value);
    serde_json::from_value(value)
}

fn walk(value: &mut serde_json::Value, each: &mut impl FnMut(&mut String)) {
    match value {
        serde_json::Value::String(s) => each(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, each)),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| walk(v, each)),
        _ => {}
    }
}

/// Optional picture fields left empty become null, as the report had none.
fn null_empty_images(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, v) in fields.iter_mut() {
                if name.ends_with("screenshot") && v.as_str() == Some("") {
                    *v = serde_json::Value::Null;
                } else {
                    null_empty_images(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(null_empty_images),
        _ => {}
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_shown_twice_is_kept_once_and_comes_back_in_both_places() {
        use crate::model::evidence::{BrowserEvidence, Visit};
        let mut report = crate::model::Report::empty("shop");
        let picture = format!("data:image/jpeg;base64,{}", "A".repeat(2000));
        let visit = |viewport| Visit {
            page: "http://127.0.0.1:9/".into(),
            viewport,
            error: None,
            load_ms: 1,
            chats: vec![],
            popups: vec![],
            media: vec![],
            screenshot: Some(picture.clone()),
            popup_screenshot: None,
        };
        report.evidence.browser = Some(BrowserEvidence {
            visits: vec![visit(crate::model::Viewport::Desktop), visit(crate::model::Viewport::Mobile)],
            ..BrowserEvidence::default()
        });
        let (json, blobs) = take_out(&report).unwrap();
        assert_eq!(blobs.len(), 1);
        assert!(!json.contains("AAAA"), "{json}");
        assert_eq!(named(&json), vec![blobs[0].hash.clone()]);
        assert_eq!(put_back(&json, &blobs).unwrap(), report);
        let lost = put_back(&json, &[]).unwrap();
        assert_eq!(lost.evidence.browser.unwrap().visits[0].screenshot, None);
    }
}
