//! Images on a page and whether their context says they show the store's people: the alt and
//! title, the file name, the classes and ids around the image, and its caption are matched
//! against the staff words in `probes/stock.toml`.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::extract::text::element_text;
use crate::knowledge::Knowledge;

/// An image referenced by a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Absolute URL.
    pub url: Url,
    /// Alt text.
    pub alt: Option<String>,
    /// The context says it shows staff, operators or the team.
    pub staff: bool,
}

static BACKGROUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"background(?:-image)?\s*:[^;]*url\(\s*['"]?([^'")]+)['"]?\s*\)"#).expect("static regex")
});

/// `<img>` elements (src, lazy-loading attributes, or the first srcset entry) and inline-style
/// background images. `data:` URIs and SVG icons are left out.
pub fn images(doc: &Html, base: &Url, k: &Knowledge) -> Vec<ImageRef> {
    let img = Selector::parse("img").expect("static selector");
    let styled = Selector::parse("[style]").expect("static selector");
    let mut out = Vec::new();
    for e in doc.select(&img) {
        let v = e.value();
        let src = ["src", "data-src", "data-lazy-src", "data-original"]
            .iter()
            .find_map(|a| v.attr(a).filter(|s| !s.trim().is_empty() && !s.starts_with("data:")))
            .or_else(|| v.attr("srcset").and_then(|s| s.split_whitespace().next()));
        let Some(url) = src.and_then(|s| resolve(base, s)) else {
            continue;
        };
        let alt = v.attr("alt").map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
        let staff = is_staff(&e, &url, k);
        out.push(ImageRef { url, alt, staff });
    }
    for e in doc.select(&styled) {
        let style = e.value().attr("style").unwrap_or_default();
        for c in BACKGROUND.captures_iter(style) {
            if let Some(url) = resolve(base, &c[1]) {
                let staff = is_staff(&e, &url, k);
                out.push(ImageRef { url, alt: None, staff });
            }
        }
    }
    out
}

fn resolve(base: &Url, src: &str) -> Option<Url> {
    let url = base.join(src.trim()).ok()?;
    let svg = url.path().to_lowercase().ends_with(".svg");
    (matches!(url.scheme(), "http" | "https") && !svg).then_some(url)
}

fn is_staff(e: &ElementRef<'_>, url: &Url, k: &Knowledge) -> bool {
    let mut context = String::new();
    for attr in ["alt", "title", "class", "id"] {
        context.push_str(e.value().attr(attr).unwrap_or_default());
        context.push(' ');
    }
    context.push_str(url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default());
    for ancestor in e.ancestors().filter_map(ElementRef::wrap).take(3) {
        for attr in ["class", "id"] {
            context.push(' ');
            context.push_str(ancestor.value().attr(attr).unwrap_or_default());
        }
        if ancestor.value().name() == "figure" {
            let caption = Selector::parse("figcaption").expect("static selector");
            if let Some(c) = ancestor.select(&caption).next() {
                context.push(' ');
                context.push_str(&element_text(&c));
            }
        }
    }
    k.staff_words.is_match(&context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_and_staff_context() {
        let k = Knowledge::load().unwrap();
        let base = Url::parse("https://shop.example/about/").unwrap();
        let doc = Html::parse_document(
            r#"<img src="/img/boots.jpg" alt="Boots">
               <div class="team"><img data-src="julia.jpg" alt="Julia"></div>
               <figure><img srcset="op.jpg 1x, op@2x.jpg 2x"><figcaption>Наш оператор Анна</figcaption></figure>
               <img src="data:image/png;base64,AAAA"><img src="/icons/cart.svg">
               <div class="hero" style="background-image: url('/img/hero.webp')"></div>"#,
        );
        let got: Vec<(String, bool)> =
            images(&doc, &base, &k).into_iter().map(|i| (i.url.to_string(), i.staff)).collect();
        assert_eq!(
            got,
            vec![
                ("https://shop.example/img/boots.jpg".into(), false),
                ("https://shop.example/about/julia.jpg".into(), true),
                ("https://shop.example/about/op.jpg".into(), true),
                ("https://shop.example/img/hero.webp".into(), false),
            ]
        );
    }
}
