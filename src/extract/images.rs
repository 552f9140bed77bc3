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
    /// Absolute URL: the file fetched.
    pub url: Url,
    /// The same picture's other files (`srcset` sizes, a `<picture>`'s formats).
    pub variants: Vec<Url>,
    /// Alt text.
    pub alt: Option<String>,
    /// The context says it shows staff, operators or the team.
    pub staff: bool,
}

static BACKGROUND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"background(?:-image)?\s*:[^;]*url\(\s*['"]?([^'")]+)['"]?\s*\)"#).expect("static regex")
});

/// `<img>` elements and inline-style background images. `data:` URIs and SVG icons are left
/// out. One picture is one image, however many files serve it: the one fetched is the
/// lazy-loading attribute's (the `src` is often a placeholder then), else `src`, else the
/// first `srcset` entry; the others (every `srcset` entry, a `<picture>`'s sources) are its
/// variants, whose names are judged too: a stock file is often served only as a thumbnail.
pub fn images(doc: &Html, base: &Url, k: &Knowledge) -> Vec<ImageRef> {
    let img = Selector::parse("img").expect("static selector");
    let styled = Selector::parse("[style]").expect("static selector");
    let source = Selector::parse("source[srcset]").expect("static selector");
    let mut out = Vec::new();
    for e in doc.select(&img) {
        let v = e.value();
        let single = ["data-src", "data-lazy-src", "data-original", "src"].iter().filter_map(|a| v.attr(a));
        let sets = ["data-srcset", "srcset"].iter().filter_map(|a| v.attr(a)).flat_map(srcset);
        // A <picture>'s <source>s are the same picture in other formats and sizes.
        let picture = e
            .parent()
            .and_then(ElementRef::wrap)
            .filter(|p| p.value().name() == "picture")
            .map(|p| p.select(&source).filter_map(|s| s.value().attr("srcset")).flat_map(srcset).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut urls: Vec<Url> = Vec::new();
        for candidate in single.chain(sets).chain(picture) {
            let candidate = candidate.trim();
            if candidate.is_empty() || candidate.starts_with("data:") {
                continue;
            }
            if let Some(url) = resolve(base, candidate).filter(|u| !urls.contains(u)) {
                urls.push(url);
            }
        }
        if urls.is_empty() {
            continue;
        }
        let url = urls.remove(0);
        let alt = v.attr("alt").map(str::trim).filter(|a| !a.is_empty()).map(str::to_string);
        let staff = is_staff(&e, &url, k);
        out.push(ImageRef { url, variants: urls, alt, staff });
    }
    for e in doc.select(&styled) {
        let style = e.value().attr("style").unwrap_or_default();
        for c in BACKGROUND.captures_iter(style) {
            if let Some(url) = resolve(base, &c[1]) {
                let staff = is_staff(&e, &url, k);
                out.push(ImageRef { url, variants: Vec::new(), alt: None, staff });
            }
        }
    }
    out
}

/// The addresses of a `srcset` ("a.jpg 1x, b.jpg 2x").
fn srcset(set: &str) -> impl Iterator<Item = &str> {
    set.split(',').filter_map(|entry| entry.split_whitespace().next())
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
