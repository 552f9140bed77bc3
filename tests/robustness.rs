//! Property tests: the parsers and extractors take whatever the web or a user throws at them
//! (arbitrary text, HTML-shaped noise, random bytes in any charset) without panicking.

use proptest::prelude::*;
use shopaudit::extract::{self, stock};
use shopaudit::hours;
use shopaudit::knowledge::Knowledge;
use shopaudit::probes::decode::decode;
use std::sync::LazyLock;

static K: LazyLock<Knowledge> = LazyLock::new(|| Knowledge::load().unwrap());

/// Fragments real pages are made of, so the generator reaches deep into the extractors.
fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<div class=\"team\">".to_string()),
        Just("<a href=\"mailto:a@b.ru\">".to_string()),
        Just("<a href=\"tel:+7 800\">".to_string()),
        Just("<a href=\"https://t.me/x\">".to_string()),
        Just("<img src=\"shutterstock_123456.jpg\" alt=\"operator\">".to_string()),
        Just("<script src=\"//code.jivo.ru/widget/x\"></script>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("Пн–Пт с 9:00 до 18:00, перерыв 13–14".to_string()),
        Just("Mon-Fri 9am-5pm; Sat".to_string()),
        Just("24/7".to_string()),
        Just(" [at] ".to_string()),
        Just(" собака ".to_string()),
        Just("+7 (495) 123-45-67".to_string()),
        Just("<base href=\"::\">".to_string()),
        Just("<div style=\"background:url(\">".to_string()),
        "[ -~а-яё0-9:–—\\-,.;/]{0,40}",
    ]
}

fn html_like() -> impl Strategy<Value = String> {
    prop::collection::vec(html_piece(), 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn page_extraction_never_panics(html in html_like()) {
        let url = url::Url::parse("https://shop.example/a/b.html").unwrap();
        let _ = extract::page(&html, &url, Some("RU".parse().unwrap()), &K);
    }

    #[test]
    fn page_extraction_survives_arbitrary_text(text in any::<String>()) {
        let url = url::Url::parse("http://127.0.0.1/").unwrap();
        let _ = extract::page(&text, &url, None, &K);
    }

    #[test]
    fn hours_normaliser_never_panics(text in any::<String>()) {
        let _ = hours::normalise_text(&text, &K.hours);
    }

    #[test]
    fn hours_normaliser_output_is_always_valid(text in "[0-9 :.\\-–а-яa-zA-Z,;/]{0,60}") {
        if let Some(osm) = hours::normalise_text(&text, &K.hours) {
            prop_assert!(osm.parse::<opening_hours::OpeningHours>().is_ok(), "{osm}");
        }
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048), header in prop::option::of("[ -~]{0,40}")) {
        let _ = decode(&bytes, header.as_deref(), Some(b"ru"));
    }

    #[test]
    fn image_metadata_of_any_bytes_never_panics(mut bytes in prop::collection::vec(any::<u8>(), 0..4096), jpeg in any::<bool>()) {
        if jpeg {
            bytes.splice(0..0, [0xFF, 0xD8, 0xFF, 0xED, 0x00, 0x40]);
            bytes.extend_from_slice(b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x6e\x00\xff");
        }
        let _ = stock::credits(&bytes);
    }

    #[test]
    fn scenario_parser_never_panics(text in "(\\[[a-z.]{0,12}\\]\n|[a-z_]{1,10} = (\"[^\"\n]{0,20}\"|[0-9]{1,4}|true|\\[\\])\n){0,12}") {
        let _ = shopaudit::Scenario::parse(&text, std::path::Path::new("fuzz.toml"));
    }
}

#[test]
fn deeply_nested_html_does_not_overflow_the_stack() {
    let html = "<div>".repeat(100_000) + "support@deep.example" + &"</div>".repeat(100_000);
    let url = url::Url::parse("https://shop.example/").unwrap();
    let facts = extract::page(&html, &url, None, &K);
    assert_eq!(facts.contacts.len(), 1);
}
