//! The static probe and its checks on fixture stores served over real HTTP: every check
//! passes on one store and fails on another.

mod common;

use common::{audit_store, audit_store_at, outcome};
use shopaudit::model::Channel;
use shopaudit::Outcome::{Fail, NotApplicable, Pass, Warn};

#[tokio::test]
async fn russian_store_in_windows_1251_and_koi8_r() {
    let r = audit_store("ru-cp1251", |s| s.store.country = Some("RU".parse().unwrap())).await;
    let home = &r.pages[0];
    assert_eq!(home.charset.as_deref(), Some("windows-1251"));
    assert_eq!(home.title.as_deref(), Some("Обувь Москва"));
    let dostavka = r.pages.iter().find(|p| p.url.ends_with("dostavka.html")).unwrap();
    assert!(dostavka.charset.as_deref().unwrap().starts_with("KOI8"), "{dostavka:?}");
    assert_eq!(dostavka.kind, "delivery");

    let ev = &r.evidence;
    assert_eq!(ev.contacts.phones, ["+74951234567", "+78005553535"]);
    assert_eq!(ev.contacts.emails, ["zakaz@obuv-moskva.ru"]);
    assert_eq!(ev.contacts.messengers, ["telegram"]);
    assert_eq!(ev.contacts.social, ["vk"]);
    assert_eq!(ev.chat.vendors, ["jivo"]);
    let support = ev.hours.iter().find(|h| h.channel == Channel::Support).unwrap();
    assert_eq!(support.text, "Служба поддержки: Пн–Пт с 9:00 до 18:00, перерыв 13–14");
    assert_eq!(support.opening_hours.as_deref(), Some("Mo-Fr 09:00-13:00,14:00-18:00"));
    let chat = ev.hours.iter().find(|h| h.channel == Channel::Chat).unwrap();
    assert_eq!(chat.opening_hours.as_deref(), Some("Mo-Su 10:00-22:00"));
    let store = ev.hours.iter().find(|h| h.channel == Channel::Store).unwrap();
    assert_eq!(store.opening_hours.as_deref(), Some("24/7"));

    assert_eq!(outcome(&r, "chat.present"), Pass);
    assert_eq!(outcome(&r, "chat.on_every_page"), Pass);
    assert_eq!(outcome(&r, "contacts.on_home"), Pass);
    assert_eq!(outcome(&r, "contacts.single_email"), Pass);
    assert_eq!(outcome(&r, "contacts.channels"), Pass);
    assert_eq!(outcome(&r, "hours.posted"), Pass);
    assert_eq!(outcome(&r, "hours.on_home"), Pass);
    assert_eq!(outcome(&r, "site.privacy_policy"), Pass);
    assert_eq!(outcome(&r, "selfservice.faq"), Pass);
    assert_eq!(outcome(&r, "site.https"), Fail, "loopback fixtures are plain HTTP");
    assert_eq!(outcome(&r, "photos.no_stock_staff"), NotApplicable);
}

#[tokio::test]
async fn good_english_store_passes_and_real_staff_photo_is_not_stock() {
    let r = audit_store("en-good", |_| {}).await;
    for check in [
        "chat.present",
        "chat.on_every_page",
        "contacts.on_home",
        "contacts.single_email",
        "contacts.channels",
        "hours.posted",
        "hours.on_home",
        "photos.no_stock_staff",
        "site.privacy_policy",
        "selfservice.faq",
    ] {
        assert_eq!(outcome(&r, check), Pass, "{check}: {:?}", r.findings.iter().find(|f| f.check == check));
    }
    let ev = &r.evidence;
    assert_eq!(ev.chat.vendors, ["livechat"]);
    assert_eq!(ev.hours[0].opening_hours.as_deref(), Some("Mo-Fr 09:00-17:00"));
    assert_eq!(ev.contacts.phones, ["+442079460000"]);
    let julia = ev.images.iter().find(|i| i.url.ends_with("julia-support.jpg")).unwrap();
    assert!(julia.staff && julia.stock.is_none());
    assert!(julia.credits.iter().any(|c| c == "exif: © 2024 Julia Ivanova"), "{:?}", julia.credits);
    assert!(julia.phash.is_some() && julia.thumbnail.as_deref().unwrap().starts_with("data:image/jpeg;base64,"));
    assert_eq!(r.summary.fail, 1, "only site.https fails: {:?}", r.problems());
}

#[tokio::test]
async fn greek_and_german_stores() {
    let el = audit_store("el-store", |_| {}).await;
    assert_eq!(el.evidence.contacts.phones, ["+302101234567"], "country guessed from lang=el");
    assert_eq!(el.evidence.hours[0].opening_hours.as_deref(), Some("Mo-Fr 09:00-17:00"));
    assert_eq!(el.evidence.hours[0].channel, Channel::Support);
    assert_eq!(outcome(&el, "hours.on_home"), Pass, "one click away, on Επικοινωνία");
    assert_eq!(outcome(&el, "selfservice.faq"), Pass);
    assert_eq!(outcome(&el, "site.privacy_policy"), Fail);
    assert_eq!(outcome(&el, "chat.present"), Fail);

    let de = audit_store("de-store", |_| {}).await;
    assert_eq!(de.evidence.contacts.emails, ["service@schuhe-berlin.example"]);
    assert_eq!(de.evidence.contacts.phones, ["+49301234567"]);
    assert_eq!(de.evidence.hours.len(), 1, "\"So erreichen Sie uns\" is not Sunday: {:?}", de.evidence.hours);
    assert_eq!(de.evidence.hours[0].opening_hours.as_deref(), Some("Mo-Fr 08:00-18:00"));
    assert_eq!(outcome(&de, "site.privacy_policy"), Pass);
    assert_eq!(outcome(&de, "contacts.channels"), Fail);
}

#[tokio::test]
async fn too_many_addresses_warn() {
    let r = audit_store("many-emails", |_| {}).await;
    assert_eq!(outcome(&r, "contacts.single_email"), Warn);
    let f = r.findings.iter().find(|f| f.check == "contacts.single_email").unwrap();
    assert_eq!(f.evidence.len(), 6, "press@ is not for customers: {:?}", f.evidence);
    assert_eq!(outcome(&r, "contacts.on_home"), Pass, "a contacts link on the home page is enough");
}

#[tokio::test]
async fn hours_buried_deep_fail_hours_on_home() {
    let r = audit_store("hours-deep", |_| {}).await;
    assert_eq!(outcome(&r, "hours.posted"), Pass);
    assert_eq!(outcome(&r, "hours.on_home"), Fail);
}

#[tokio::test]
async fn commented_snippet_and_blog_mentions_are_not_a_chat() {
    let r = audit_store("commented-chat", |_| {}).await;
    assert!(r.evidence.chat.vendors.is_empty(), "{:?}", r.evidence.chat);
    assert_eq!(outcome(&r, "chat.present"), Fail);
    assert_eq!(outcome(&r, "chat.on_every_page"), NotApplicable);
}

#[tokio::test]
async fn a_chat_only_in_a_tag_manager_container_is_found_without_a_browser() {
    // The page loads Google Tag Manager's container by its documented snippet (the address is
    // built in code); the container's escaped "Custom HTML" tag adds jivo's loader.
    let r = audit_store("gtm-chat", |_| {}).await;
    assert_eq!(outcome(&r, "chat.present"), Pass, "{}", common::detail(&r, "chat.present"));
    let embed = r.evidence.chat.embeds.iter().find(|e| e.vendor == "jivo").expect("jivo found");
    assert_eq!(embed.how, "tag manager");
    assert!(embed.matched.ends_with("/gtm.js?id=GTM-TEST1"), "{}", embed.matched);

    // The same page with a container of analytics tags only: no chat.
    let r = audit_store("gtm-no-chat", |_| {}).await;
    assert!(r.evidence.chat.embeds.is_empty(), "{:?}", r.evidence.chat.embeds);
    assert_eq!(outcome(&r, "chat.present"), Fail);
}

#[tokio::test]
async fn stock_staff_photos_by_every_signal() {
    let r = audit_store("stock-photos", |_| {}).await;
    let stock = |name: &str| {
        let i = r.evidence.images.iter().find(|i| i.url.ends_with(name)).unwrap();
        i.stock.as_ref().map(|s| (s.agency.clone(), s.signals.clone()))
    };
    assert_eq!(stock("stock-iptc.jpg"), Some(("shutterstock".into(), vec!["iptc".into()])));
    assert_eq!(stock("stock-xmp.jpg"), Some(("istock".into(), vec!["xmp".into()])));
    assert_eq!(stock("stock-exif.jpg"), Some(("depositphotos".into(), vec!["exif".into()])));
    assert_eq!(stock("iStock-1165248386.jpg"), Some(("istock".into(), vec!["filename".into()])));
    assert_eq!(stock("own-copyright.jpg"), None);
    assert_eq!(outcome(&r, "photos.no_stock_staff"), Fail);
}

#[tokio::test]
async fn store_without_contacts_fails_the_contact_checks() {
    let r = audit_store("no-contacts", |_| {}).await;
    assert_eq!(outcome(&r, "contacts.on_home"), Fail);
    assert_eq!(outcome(&r, "contacts.channels"), Fail);
    assert_eq!(outcome(&r, "hours.posted"), Fail);
    assert_eq!(outcome(&r, "site.privacy_policy"), Fail);
    assert_eq!(outcome(&r, "selfservice.faq"), Fail);
    assert_eq!(outcome(&r, "contacts.single_email"), NotApplicable);
    assert!(r.evidence.hours.is_empty(), "\"2-3 days\" is not hours");
}

#[tokio::test]
async fn broken_pages_are_recorded_and_the_audit_goes_on() {
    let r =
        audit_store("broken", |s| s.crawl.timeout = shopaudit::scenario::Span(std::time::Duration::from_secs(1))).await;
    let page = |suffix: &str| {
        r.pages.iter().find(|p| p.url.ends_with(suffix)).unwrap_or_else(|| panic!("{suffix} not crawled"))
    };
    assert!(page("/loop-a").error.as_deref().unwrap().contains("redirect loop"), "{:?}", page("/loop-a"));
    assert_eq!(page("/slow.html").error.as_deref(), Some("timed out"));
    assert_eq!(page("/missing.html").error.as_deref(), Some("HTTP 404"));
    let huge = page("/huge.html");
    assert!(huge.truncated && huge.bytes == 5 * 1024 * 1024, "{huge:?}");
    assert!(r.evidence.contacts.emails.contains(&"huge-contacts@broken.example".to_string()));
    assert!(!r.evidence.contacts.emails.contains(&"tail@broken.example".to_string()), "cut off");
    assert_eq!(outcome(&r, "contacts.single_email"), Pass, "the rest of the audit still ran");
}

#[tokio::test]
async fn skipped_checks_are_not_reported() {
    let r = audit_store("no-contacts", |s| s.checks.skip = vec!["site.https".parse().unwrap()]).await;
    assert!(r.findings.iter().all(|f| f.check != "site.https"));
    assert_eq!(
        r.summary.pass + r.summary.fail + r.summary.warn + r.summary.not_applicable + r.summary.error,
        r.findings.len()
    );
}

#[tokio::test]
async fn key_pages_are_audited_without_links() {
    let r = audit_store("no-contacts", |s| s.crawl.key_pages = vec!["/hidden-contacts.html".into()]).await;
    let hidden = r.pages.iter().find(|p| p.url.ends_with("/hidden-contacts.html")).unwrap();
    assert_eq!(hidden.depth, None);
    assert_eq!(hidden.error.as_deref(), Some("HTTP 404"));
}

#[tokio::test]
async fn https_store_with_redirect_passes_site_https() {
    let tls = common::serve_tls_store("en-good").await;
    let r = audit_store_at(tls.http_url.clone(), |s| s.crawl.ca_file = Some(tls.ca_file.display().to_string())).await;
    assert!(r.pages[0].final_url.as_deref().unwrap().starts_with("https://localhost:"), "{:?}", r.pages[0]);
    assert!(r.evidence.site.https);
    assert_eq!(r.evidence.site.http_redirects_to_https, Some(true));
    assert_eq!(outcome(&r, "site.https"), Pass);
    assert!(r.pages.len() > 3, "the crawl continued on the HTTPS origin: {:?}", r.pages);
    assert_eq!(r.summary.fail, 0, "{:?}", r.problems());
}

#[tokio::test]
async fn untrusted_certificate_is_unreachable_with_the_reason() {
    let tls = common::serve_tls_store("en-good").await;
    let scenario = shopaudit::Scenario::for_url(shopaudit::scenario::WebUrl(tls.https_url.clone()));
    let err = shopaudit::audit(&scenario, &shopaudit::Quiet).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, shopaudit::Error::Unreachable { .. }), "{message}");
    assert!(message.contains("certificate") || message.contains("UnknownIssuer"), "{message}");
}

/// Regression (reliability #7): eight 11900x7000 PNGs of 243 KB each took 1.33 GB to decode.
/// A staff photo over the pixel budget is judged by its name and metadata, never decoded.
#[tokio::test]
async fn a_giant_staff_photo_is_not_decoded() {
    let r = audit_store("giant-photo", |_| {}).await;
    let photo = r.evidence.images.iter().find(|i| i.url.ends_with("operator.png")).unwrap();
    assert!(photo.staff, "{photo:?}");
    let why = photo.error.as_deref().unwrap_or_default();
    assert!(why.contains("too large to look at (11900x7000"), "{photo:?}");
    assert!(photo.phash.is_none() && photo.thumbnail.is_none());
}

#[tokio::test]
async fn contact_forms_and_callbacks_are_found_and_decoys_are_not() {
    let r = audit_store("forms", |s| s.crawl.max_pages = 10).await;
    let mut forms: Vec<(String, Option<&str>, bool, Option<&str>)> = r
        .evidence
        .forms
        .forms
        .iter()
        .map(|f| (f.page.rsplit('/').next().unwrap().to_string(), f.vendor.as_deref(), f.consent, f.captcha.as_deref()))
        .collect();
    forms.sort(); // in the crawl's order, which is the network's
    assert_eq!(
        forms,
        [
            ("contacts.html".into(), None, true, Some("recaptcha")),
            ("help.html".into(), Some("yandex-forms"), false, None)
        ],
        "the feedback form and the vendor's frame; not the search or the newsletter: {:?}",
        r.evidence.forms
    );
    let callbacks: Vec<(Option<&str>, Option<&str>)> =
        r.evidence.forms.callbacks.iter().map(|c| (c.vendor.as_deref(), c.promise.as_deref())).collect();
    assert_eq!(callbacks, [(Some("envybox"), Some("28 секунд")), (None, None)], "not the order form or the tel: link");
    assert_eq!(outcome(&r, "form.present"), Pass);
}

#[tokio::test]
async fn no_address_and_no_form_fails_form_present_and_an_address_needs_no_form() {
    let r = audit_store("no-contacts", |_| {}).await;
    assert_eq!(outcome(&r, "form.present"), Fail);
    let r = audit_store("many-emails", |_| {}).await;
    assert_eq!(outcome(&r, "form.present"), NotApplicable, "{:?}", r.evidence.forms);
}

#[tokio::test]
async fn callback_widgets_of_seven_vendors_are_the_phone_channel_and_decoys_are_not() {
    let r = audit_store("callbacks", |s| s.crawl.max_pages = 12).await;
    let mut vendors: Vec<&str> = r.evidence.forms.callbacks.iter().filter_map(|c| c.vendor.as_deref()).collect();
    vendors.sort_unstable();
    assert_eq!(
        vendors,
        ["callbackhunter", "callibri", "callpage", "calltouch", "envybox", "leadback", "ringostat"],
        "{:?}",
        r.evidence.forms.callbacks
    );
    assert_eq!(r.evidence.forms.callbacks.len(), 7, "no callback from the tel: link or the text about calling back");
    let promises: Vec<&str> = r.evidence.forms.callbacks.iter().filter_map(|c| c.promise.as_deref()).collect();
    assert!(promises.contains(&"28 секунд") && promises.contains(&"30 секунд"), "{promises:?}");
    assert!(promises.iter().any(|p| p.contains("28 seconds")), "{promises:?}");
}
