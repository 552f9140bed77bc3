//! Chat widgets in static HTML, recognised by the vendor fingerprints in `probes/vendors.toml`.
//!
//! Only real embeds count: a `<script src>` from the vendor, an inline snippet, or an element
//! the snippet renders. Parsing the HTML first means a snippet inside an HTML comment and a
//! vendor merely named in an article are never mistaken for a widget.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use crate::knowledge::Knowledge;

/// A vendor fingerprint that matched on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// Vendor id.
    pub vendor: String,
    /// `script`, `inline`, `frame` or `dom`.
    pub how: &'static str,
    /// The script URL, marker or selector.
    pub matched: String,
}

/// The widgets embedded in `doc`, at most one entry per vendor; `other` only when no known
/// vendor matched.
pub fn embeds(doc: &Html, base: &Url, k: &Knowledge) -> Vec<Embed> {
    let selector = Selector::parse("script").expect("static selector");
    let iframe = Selector::parse("iframe[src]").expect("static selector");
    let absolute = |src: &str| base.join(src.trim()).map_or_else(|_| src.to_string(), |u| u.to_string());
    let frames: Vec<String> = doc.select(&iframe).filter_map(|f| f.value().attr("src")).map(absolute).collect();
    let mut sources = Vec::new();
    let mut inline = Vec::new();
    for script in doc.select(&selector) {
        match script.value().attr("src") {
            Some(src) => sources.push(absolute(src)),
            None => inline.push(script.text().collect::<String>()),
        }
    }
    let mut found: Vec<Embed> = Vec::new();
    for vendor in &k.vendors {
        if vendor.id == "other" && !found.is_empty() {
            continue;
        }
        let by_script = sources
            .iter()
            .find(|src| vendor.scripts.iter().any(|re| re.is_match(src)))
            .map(|src| ("script", src.clone()));
        let by_inline = || {
            vendor
                .inline
                .iter()
                .find(|marker| inline.iter().any(|code| code.contains(marker.as_str())))
                .map(|marker| ("inline", marker.clone()))
        };
        let by_frame = || {
            frames.iter().find(|src| vendor.frames.iter().any(|re| re.is_match(src))).map(|src| ("frame", src.clone()))
        };
        let by_dom = || {
            vendor
                .dom
                .iter()
                .find(|(_, sel)| doc.select(sel).next().is_some())
                .map(|(source, _)| ("dom", source.clone()))
        };
        if let Some((how, matched)) = by_script.or_else(by_inline).or_else(by_frame).or_else(by_dom) {
            found.push(Embed { vendor: vendor.id.clone(), how, matched });
        }
    }
    found
}

/// Adds `found` to a page's `chat`, each vendor once (a container may name one the page
/// already embeds).
pub fn merge(chat: &mut Vec<Embed>, found: Vec<Embed>) {
    for embed in found {
        if !chat.iter().any(|e| e.vendor == embed.vendor) {
            chat.push(embed);
        }
    }
}

/// The tag-manager containers `doc` loads: by a `<script src>` of a known container, or
/// through Google Tag Manager's documented snippet, which builds the address in code from the
/// container id (`'…/gtm.js?id='+i` … `'GTM-XXXX'`), on Google's host or the store's own.
pub fn containers(doc: &Html, base: &Url, k: &Knowledge) -> Vec<Url> {
    static GTM_LOADER: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r#"['"]((?:https?:)?//[^'"\s]*)?/gtm\.js\?id=['"]"#).expect("static regex"));
    static GTM_ID: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"\bGTM-[A-Z0-9]{4,10}\b").expect("static regex"));
    let selector = Selector::parse("script").expect("static selector");
    let mut found: Vec<Url> = Vec::new();
    for script in doc.select(&selector) {
        let url = match script.value().attr("src") {
            Some(src) => base.join(src.trim()).ok().filter(|u| k.tag_managers.iter().any(|re| re.is_match(u.as_str()))),
            None => {
                let code = script.text().collect::<String>();
                let loader = GTM_LOADER.captures(&code);
                let id = GTM_ID.find(&code);
                loader.zip(id).and_then(|(loader, id)| {
                    let host = loader.get(1).map_or("", |h| h.as_str());
                    base.join(&format!("{host}/gtm.js?id={}", id.as_str())).ok()
                })
            }
        };
        if let Some(url) = url.filter(|u| !found.contains(u)) {
            found.push(url);
        }
    }
    found
}

/// The widgets a tag-manager container at `container` adds: a vendor's loader address or
/// snippet marker anywhere in its configuration, read after undoing the string escapes that
/// touch them (`\/`, `\"`, `\'`; escaped angle brackets are left, as no marker has one).
/// The generic `other` is left out: a file name alone, in a configuration, says nothing.
pub fn in_container(text: &str, container: &Url, k: &Knowledge) -> Vec<Embed> {
    let text = text.replace("\\/", "/").replace("\\\"", "\"").replace("\\'", "'");
    k.vendors
        .iter()
        .filter(|v| v.id != "other")
        .filter(|v| {
            v.scripts.iter().any(|re| re.is_match(&text))
                || v.inline.iter().any(|marker| text.contains(marker.as_str()))
        })
        .map(|v| Embed { vendor: v.id.clone(), how: "tag manager", matched: container.to_string() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendors(html: &str) -> Vec<String> {
        let k = Knowledge::load().unwrap();
        let base = Url::parse("https://shop.example/").unwrap();
        embeds(&Html::parse_document(html), &base, &k).into_iter().map(|e| e.vendor).collect()
    }

    #[test]
    fn tag_manager_containers_by_script_and_by_googles_snippet() {
        let k = Knowledge::load().unwrap();
        let base = Url::parse("https://shop.example/catalog/").unwrap();
        let found = |html: &str| -> Vec<String> {
            containers(&Html::parse_document(html), &base, &k).into_iter().map(|u| u.to_string()).collect()
        };
        let google = "<script>(function(w,d,s,l,i){j.src='https://www.googletagmanager.com/gtm.js?id='+i+dl;})(window,document,'script','dataLayer','GTM-AB12CD');</script>";
        assert_eq!(found(google), ["https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD"]);
        let own_host = "<script>(function(w,d,s,l,i){j.src='/gtm.js?id='+i;})(window,document,'script','dataLayer','GTM-AB12CD');</script>";
        assert_eq!(found(own_host), ["https://shop.example/gtm.js?id=GTM-AB12CD"]);
        let tealium = "<script src='//tags.tiqcdn.com/utag/shop/main/prod/utag.js'></script>";
        assert_eq!(found(tealium), ["https://tags.tiqcdn.com/utag/shop/main/prod/utag.js"]);
        // An analytics tag, and a snippet naming a container in a comment, load none.
        assert!(found("<script src='https://www.googletagmanager.com/gtag/js?id=G-1'></script>").is_empty());
        assert!(
            found("<!-- <script src='https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD'></script> -->").is_empty()
        );

        let container = Url::parse("https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD").unwrap();
        let escaped = r#"{"vtp_html":"\u003Cscript\u003Ewindow.__lc={};__lc.license=1;\u003C\/script\u003E"}"#;
        let ids: Vec<String> = in_container(escaped, &container, &k).into_iter().map(|e| e.vendor).collect();
        assert_eq!(ids, ["livechat"]);
        let analytics = r#"{"function":"__googtag","vtp_tagId":"G-1","vtp_eventName":"chat_widget_open.js"}"#;
        assert!(in_container(analytics, &container, &k).is_empty());
    }

    #[test]
    fn finds_script_inline_and_dom_embeds() {
        assert_eq!(vendors(r#"<script src="//code.jivo.ru/widget/AbC123" async></script>"#), ["jivo"]);
        assert_eq!(
            vendors("<script>var Tawk_API=Tawk_API||{};(function(){var s1=document.createElement('script');s1.src='https://embed.tawk.to/1/default';})();</script>"),
            ["tawk"]
        );
        assert_eq!(vendors(r#"<div class="fb-customerchat" page_id="1"></div>"#), ["facebook"]);
        assert_eq!(
            vendors(
                r#"<script src="https://client.crisp.chat/l.js"></script><script src="https://code.tidio.co/abc.js"></script>"#
            ),
            ["crisp", "tidio"]
        );
    }

    #[test]
    fn jivos_older_loader_and_zoho_salesiq() {
        let jivo = "<script>(function(){ var widget_id = 'HN53noYcn2';var d=document;function l(){\
                    var s = document.createElement('script'); s.src = '//code.jivosite.com/script/widget/'+widget_id;}})();</script>";
        assert_eq!(vendors(jivo), ["jivo"]);
        assert_eq!(vendors(r#"<script src="https://code.jivo.ru/script/widget/AbC123"></script>"#), ["jivo"]);
        let zoho = r#"<script>var $zoho=$zoho || {};$zoho.salesiq = $zoho.salesiq || {widgetcode:"abc", values:{},ready:function(){}};
                      var d=document;s=d.createElement("script");s.id="zsiqscript";s.src="https://salesiq.zoho.eu/widget";</script>"#;
        assert_eq!(vendors(zoho), ["zoho-salesiq"]);
        assert_eq!(
            vendors(r#"<script id="zsiqscript" src="https://salesiq.zohopublic.com/widget?wc=abc"></script>"#),
            ["zoho-salesiq"]
        );
    }

    #[test]
    fn comments_and_article_text_are_not_embeds() {
        assert!(vendors(r#"<!-- <script src="//code.jivo.ru/widget/AbC123"></script> -->"#).is_empty());
        assert!(vendors("<p>We compared JivoChat, Tawk_API and code.jivo.ru/widget/ in our blog.</p>").is_empty());
    }

    #[test]
    fn unknown_chat_loader_is_other_but_known_vendor_wins() {
        assert_eq!(vendors(r#"<script src="/js/live-chat.min.js"></script>"#), ["other"]);
        assert_eq!(
            vendors(r#"<script src="/js/live-chat.min.js"></script><script src="https://embed.tawk.to/1/x"></script>"#),
            ["tawk"]
        );
    }
}
