//! Contact forms and callback buttons in static HTML, by the words and vendors of
//! `probes/forms.toml`.
//!
//! A contact form has a message (a `<textarea>`, or a field named like one) and a way to answer
//! (an e-mail, a name or a phone field); a search, login, newsletter or review form is not one.
//! A callback is a callback vendor's widget, or a form that asks for a phone number under words
//! that name a call back. A `tel:` link, or text that only mentions calling back, is neither.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::knowledge::{FormWords, HostVendor};
use crate::model::evidence::{Callback, ContactForm};

/// Fields of a form that are not filled by a person.
const NOT_FILLED: &[&str] = &["hidden", "submit", "button", "image", "reset"];

/// The contact forms and callbacks of one page (their `page` left empty for the caller).
pub fn find(doc: &Html, base: &Url, lines: &[String], k: &FormWords) -> (Vec<ContactForm>, Vec<Callback>) {
    let sel = |s: &str| Selector::parse(s).expect("static selector");
    let mut forms = Vec::new();
    let mut callbacks = Vec::new();
    // Both read the whole page: only for a page that has a form or a callback.
    let page_captcha = std::cell::OnceCell::new();
    let page_captcha = || page_captcha.get_or_init(|| captcha(&doc.root_element().html(), k)).clone();
    let promise = std::cell::OnceCell::new();
    let promise = || promise.get_or_init(|| promise_of(lines, k)).clone();
    for form in doc.select(&sel("form")) {
        let a = form.value();
        let action = a.attr("action").and_then(|h| base.join(h.trim()).ok()).map(|u| u.to_string());
        let fields = fields(&form);
        let (identity, text) = describe(&form);
        let kinds: Vec<&str> = fields.iter().map(|f| f.split(' ').next().unwrap_or_default()).collect();
        if kinds.contains(&"password") || kinds.contains(&"search") || a.attr("role") == Some("search") {
            continue;
        }
        let message =
            kinds.contains(&"textarea") || fields.iter().any(|f| f.starts_with("text ") && has_any(f, &k.message));
        let reply_to = kinds.iter().any(|k| matches!(*k, "email" | "tel" | "text"));
        // What the form calls itself (not all its text: a feedback form may offer the newsletter).
        let elsewhere = has_any(&identity, &k.not_contact);
        let vendor = action.as_deref().and_then(|u| vendor_of(u, &k.vendors));
        if message && reply_to && !elsewhere {
            forms.push(ContactForm {
                page: String::new(),
                action,
                vendor,
                consent: form.select(&sel("input[type=checkbox][required]")).next().is_some(),
                captcha: captcha(&form.html(), k).or_else(page_captcha),
                fields,
            });
        } else if !message && kinds.contains(&"tel") && has_any(&text, &k.callback_words) {
            callbacks.push(Callback { page: String::new(), vendor: None, promise: promise() });
        }
    }
    // Forms in a vendor's frame, or drawn by a vendor's script.
    for frame in doc.select(&sel("iframe[src], script[src]")) {
        let Some(src) = frame.value().attr("src").and_then(|s| base.join(s.trim()).ok()) else {
            continue;
        };
        let src = src.to_string();
        if let Some(vendor) = vendor_of(&src, &k.vendors) {
            if !forms.iter().any(|f| f.vendor.as_deref() == Some(vendor.as_str())) {
                forms.push(ContactForm {
                    page: String::new(),
                    action: Some(src.clone()),
                    vendor: Some(vendor),
                    fields: Vec::new(),
                    consent: false,
                    captcha: None,
                });
            }
        }
        if let Some(vendor) = vendor_of(&src, &k.callback_vendors) {
            if !callbacks.iter().any(|c| c.vendor.as_deref() == Some(vendor.as_str())) {
                callbacks.push(Callback { page: String::new(), vendor: Some(vendor), promise: promise() });
            }
        }
    }
    (forms, callbacks)
}

/// The form's fields a person fills, as `kind name`: the input's type (`textarea`, `select`),
/// then its name, id or placeholder, lower case.
fn fields(form: &ElementRef<'_>) -> Vec<String> {
    let sel = Selector::parse("input, textarea, select").expect("static selector");
    form.select(&sel)
        .filter_map(|f| {
            let a = f.value();
            let kind = match a.name() {
                "input" => a.attr("type").unwrap_or("text").to_lowercase(),
                other => other.to_string(),
            };
            if NOT_FILLED.contains(&kind.as_str()) {
                return None;
            }
            let name = ["name", "id", "placeholder", "aria-label"].iter().find_map(|n| a.attr(n)).unwrap_or_default();
            Some(format!("{kind} {}", name.trim().to_lowercase()))
        })
        .collect()
}

/// What the form calls itself (its id, class, action, name, and its buttons' words), and all
/// its text (labels too), lower case.
fn describe(form: &ElementRef<'_>) -> (String, String) {
    let a = form.value();
    let attrs = ["id", "class", "action", "name", "aria-label", "role"].iter().filter_map(|n| a.attr(n));
    let buttons = Selector::parse("input[type=submit], button").expect("static selector");
    let said: Vec<String> = form
        .select(&buttons)
        .map(|b| b.value().attr("value").map_or_else(|| b.text().collect::<String>(), str::to_string))
        .collect();
    let identity = attrs.map(str::to_string).chain(said).collect::<Vec<_>>().join(" ").to_lowercase();
    (identity, form.text().collect::<String>().to_lowercase())
}

fn has_any(text: &str, words: &[String]) -> bool {
    words.iter().any(|w| text.contains(w.as_str()))
}

fn vendor_of(url: &str, vendors: &[HostVendor]) -> Option<String> {
    vendors.iter().find(|v| v.serves(url)).map(|v| v.id.clone())
}

fn captcha(html: &str, k: &FormWords) -> Option<String> {
    k.captchas.iter().find(|c| c.markers.iter().any(|m| html.contains(m.as_str()))).map(|c| c.id.clone())
}

/// A callback's promise on the page: a line that names a call back and says how soon.
fn promise_of(lines: &[String], k: &FormWords) -> Option<String> {
    lines
        .iter()
        .filter(|l| has_any(&l.to_lowercase(), &k.callback_words))
        .find_map(|l| k.promise.iter().find_map(|re| re.captures(l).map(|c| format!("{} {}", &c[1], &c[2]))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(html: &str) -> (Vec<ContactForm>, Vec<Callback>) {
        let k = crate::knowledge::Knowledge::load().unwrap();
        let doc = Html::parse_document(html);
        let lines = crate::extract::text::lines(&doc);
        find(&doc, &Url::parse("https://shop.example/contacts").unwrap(), &lines, &k.forms)
    }

    #[test]
    fn a_feedback_form_is_a_contact_form_and_search_login_and_newsletter_are_not() {
        let (forms, callbacks) = found(
            r#"<form action="/feedback" method="post"><input name="name"><input type="email" name="email">
               <textarea name="message"></textarea><input type="checkbox" name="agree" required>
               <div class="g-recaptcha" data-sitekey="x"></div><button>Send</button></form>
               <form role="search" action="/search"><input name="q"></form>
               <form action="/login"><input name="user"><input type="password" name="pw"></form>
               <form class="newsletter" action="/subscribe"><input type="email" name="email"><button>Subscribe</button></form>
               <form class="product-review" action="/reviews"><input name="name"><textarea name="text"></textarea><button>Post review</button></form>"#,
        );
        assert_eq!(forms.len(), 1, "{forms:?}");
        let f = &forms[0];
        assert_eq!(f.action.as_deref(), Some("https://shop.example/feedback"));
        assert_eq!(f.fields, ["text name", "email email", "textarea message", "checkbox agree"]);
        assert!(f.consent && f.vendor.is_none());
        assert_eq!(f.captcha.as_deref(), Some("recaptcha"));
        assert!(callbacks.is_empty());
    }

    #[test]
    fn a_vendors_frame_is_the_stores_form_and_a_callback_needs_a_form_or_a_widget() {
        let (forms, callbacks) = found(
            r#"<p>Перезвоним за 28 секунд!</p>
               <iframe src="https://forms.yandex.ru/u/abc/?iframe=1"></iframe>
               <script src="https://cdn.envybox.io/widget/cbk.js"></script>
               <form action="/callback"><input type="tel" name="phone"><button>Перезвоните мне</button></form>
               <a href="tel:+74951234567">+7 495 123-45-67</a>"#,
        );
        assert_eq!(forms.iter().map(|f| f.vendor.as_deref()).collect::<Vec<_>>(), [Some("yandex-forms")]);
        let got: Vec<(Option<&str>, Option<&str>)> =
            callbacks.iter().map(|c| (c.vendor.as_deref(), c.promise.as_deref())).collect();
        assert_eq!(got, [(None, Some("28 секунд")), (Some("envybox"), Some("28 секунд"))]);
        let (offering, _) = found(
            r#"<form action="/ask"><input type="email" name="email"><textarea name="q"></textarea>
               <label><input type="checkbox" name="news"> Subscribe to our newsletter</label><button>Ask</button></form>"#,
        );
        assert_eq!(offering.len(), 1, "a feedback form that offers the newsletter is still one");
        let (_, decoys) = found(
            r#"<p>We will call you back within a day.</p><a href="tel:+12145550132">(214) 555-0132</a>
               <form action="/order"><input type="tel" name="phone"><button>Order</button></form>"#,
        );
        assert!(decoys.is_empty(), "{decoys:?}");
    }
}
