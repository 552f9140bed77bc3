//! Turning page bytes into text. Order of authority: the HTTP header's charset, a byte-order
//! mark, a `<meta>` charset in the first 4 KB, then statistical detection (chardetng), so
//! windows-1251 and KOI8-R pages read correctly even when the server does not say.

use std::sync::LazyLock;

use encoding_rs::Encoding;
use regex::bytes::Regex;

static META: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_\-:.]+)"#).expect("static regex"));

/// Decodes `bytes`; returns the text and the encoding's name.
pub fn decode(bytes: &[u8], content_type: Option<&str>, tld: Option<&[u8]>) -> (String, &'static str) {
    let from_header = content_type
        .and_then(|ct| {
            ct.split(';').find_map(|p| p.trim().strip_prefix("charset=").or_else(|| p.trim().strip_prefix("CHARSET=")))
        })
        .and_then(|label| Encoding::for_label(label.trim_matches(['"', '\'']).as_bytes()));
    let encoding = from_header
        .or_else(|| Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| {
            let head = &bytes[..bytes.len().min(4096)];
            META.captures(head).and_then(|c| Encoding::for_label(&c[1]))
        })
        .unwrap_or_else(|| {
            let mut detector = chardetng::EncodingDetector::new();
            detector.feed(bytes, true);
            detector.guess(tld, true)
        });
    // A page that declares UTF-16 in <meta> cannot really be UTF-16 (the meta was readable as
    // ASCII); browsers treat that as UTF-8, and so do we.
    let encoding = if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        if from_header.is_some() {
            encoding
        } else {
            encoding_rs::UTF_8
        }
    } else {
        encoding
    };
    let (text, used, _) = encoding.decode(bytes);
    (text.into_owned(), used.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_then_meta_then_detection() {
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("<p>Контакты и доставка по всей России</p>");
        assert_eq!(
            decode(&cp1251, Some("text/html; charset=windows-1251"), None).0,
            "<p>Контакты и доставка по всей России</p>"
        );
        let mut with_meta = b"<meta charset=\"windows-1251\">".to_vec();
        with_meta.extend_from_slice(&cp1251);
        assert!(decode(&with_meta, Some("text/html"), None).0.contains("Контакты"));
        let (koi8, _, _) =
            encoding_rs::KOI8_R.encode("<p>Режим работы: ежедневно с 10 до 22, служба поддержки магазина</p>");
        let (text, name) = decode(&koi8, None, Some(b"ru"));
        assert!(name.starts_with("KOI8"), "{name}"); // chardetng names the KOI8-U superset
        assert!(text.contains("ежедневно"));
        assert_eq!(decode("ünïcödé".as_bytes(), None, None).0, "ünïcödé");
    }
}
