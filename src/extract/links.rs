//! Links and what they lead to: the page kinds a shopper looks for (contacts, delivery, FAQ,
//! privacy ...), recognised by link text and URL with the vocabulary in `probes/pages.toml`.

use scraper::{Html, Selector};
use url::Url;

use crate::extract::text::element_text;
use crate::knowledge::Knowledge;

/// A link found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Absolute, without fragment.
    pub url: Url,
    /// Link text, title and aria-label.
    pub text: String,
    /// The kind of page it leads to, if recognised.
    pub kind: Option<String>,
}

/// File endings that are never HTML pages.
const NOT_PAGES: &[&str] = &[
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".zip", ".rar", ".doc", ".docx", ".xls", ".xlsx", ".mp4",
    ".mp3", ".avi", ".css", ".js", ".xml", ".ico", ".7z", ".exe",
];

/// The base URL for relative links: `<base href>` if present.
pub fn base(doc: &Html, page: &Url) -> Url {
    let sel = Selector::parse("base[href]").expect("static selector");
    doc.select(&sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page.join(href).ok())
        .unwrap_or_else(|| page.clone())
}

/// Every `<a href>` of the page, resolved.
pub fn links(doc: &Html, base: &Url, k: &Knowledge) -> Vec<Link> {
    let sel = Selector::parse("a[href]").expect("static selector");
    doc.select(&sel)
        .filter_map(|a| {
            let href = a.value().attr("href")?.trim();
            let mut url = base.join(href).ok()?;
            url.set_fragment(None);
            let mut text = element_text(&a);
            for attr in ["title", "aria-label"] {
                if let Some(extra) = a.value().attr(attr) {
                    text.push(' ');
                    text.push_str(extra);
                }
            }
            let text = text.trim().to_string();
            let kind = classify(&url, &text, k);
            Some(Link { url, text, kind })
        })
        .collect()
}

/// What kind of page `url` is, judged by the link text and the URL path.
pub fn classify(url: &Url, text: &str, k: &Knowledge) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    k.page_kinds.classify(text, url.path()).map(str::to_string)
}

/// Whether a same-origin link is worth crawling as a page.
pub fn is_page(url: &Url) -> bool {
    let path = url.path().to_lowercase();
    matches!(url.scheme(), "http" | "https") && !NOT_PAGES.iter().any(|ext| path.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_key_pages_in_four_languages() {
        let k = Knowledge::load().unwrap();
        let base = Url::parse("https://shop.example/dir/").unwrap();
        let doc = Html::parse_document(
            r#"<base href="https://shop.example/"><a href="kontakty">Контакты</a>
               <a href="/epikoinonia.html">Επικοινωνία</a><a href="/x" title="Kontakt">✉</a>
               <a href="/dostavka/">Доставка и оплата</a><a href="/privacy-policy">Policy</a>
               <a href="/product/42#reviews">Boots</a><a href="/img/a.jpg">photo</a>"#,
        );
        let base = super::base(&doc, &base);
        let got: Vec<(String, Option<String>)> =
            links(&doc, &base, &k).into_iter().map(|l| (l.url.to_string(), l.kind)).collect();
        let kind = |s: &str| Some(s.to_string());
        assert_eq!(
            got,
            vec![
                ("https://shop.example/kontakty".into(), kind("contacts")),
                ("https://shop.example/epikoinonia.html".into(), kind("contacts")),
                ("https://shop.example/x".into(), kind("contacts")),
                ("https://shop.example/dostavka/".into(), kind("delivery")),
                ("https://shop.example/privacy-policy".into(), kind("privacy")),
                ("https://shop.example/product/42".into(), kind("product")),
                ("https://shop.example/img/a.jpg".into(), None),
            ]
        );
        assert!(!is_page(&Url::parse("https://shop.example/img/a.jpg").unwrap()));
    }
}
