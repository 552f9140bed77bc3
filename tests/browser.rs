//! The browser probe in real Chromium against fixture pages on 127.0.0.1: emulations of six
//! vendors' widgets (their documented status calls and ready signals), online and offline, and
//! the ways a launcher hides or a page ambushes the buyer. Every browser check passes in one
//! test and fails in another.

mod common;

use common::{browse, detail, outcome};
use shopaudit::model::evidence::ChatStatus;
use shopaudit::model::Viewport::{Desktop, Mobile};
use shopaudit::Outcome::{Fail, NotApplicable, Pass};

#[tokio::test(flavor = "multi_thread")]
async fn six_vendors_report_online_through_their_own_api() {
    for (vendor, how) in [
        ("jivo", "jivo_api.chatMode()"),
        ("tawk", "Tawk_API.getStatus()"),
        ("livechat", "LiveChatWidget.get('state')"),
        ("crisp", "$crisp.is(\"website:available\")"),
        ("zendesk", "zE('webWidget:on', 'chat:status')"),
        ("intercom", "the launcher says"),
    ] {
        let r = browse(&format!("{vendor}-online.html"), &[Desktop], 1).await;
        let chat = &r.evidence.browser.as_ref().unwrap().visits[0].chats;
        assert_eq!(chat.len(), 1, "{vendor}: {chat:?}");
        assert_eq!(chat[0].vendor, vendor);
        assert_eq!(chat[0].status, ChatStatus::Online, "{vendor}: {}", chat[0].status_how);
        assert!(chat[0].status_how.contains(how), "{vendor}: {}", chat[0].status_how);
        assert_eq!(outcome(&r, "chat.online"), Pass, "{vendor}");
        assert_eq!(outcome(&r, "chat.visible"), Pass, "{vendor}: {}", detail(&r, "chat.visible"));
        assert_eq!(outcome(&r, "chat.offline_fallback"), NotApplicable, "{vendor}");
        assert_eq!(r.evidence.chat.status, ChatStatus::Online);
        assert_eq!(r.evidence.chat.visible, Some(true));
        assert!(r.run.probes.contains(&"browser".to_string()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn six_vendors_report_offline_and_offer_a_form() {
    for vendor in ["jivo", "tawk", "livechat", "crisp", "zendesk", "intercom"] {
        let r = browse(&format!("{vendor}-offline.html"), &[Desktop], 1).await;
        let chat = &r.evidence.browser.as_ref().unwrap().visits[0].chats[0];
        assert_eq!(chat.status, ChatStatus::Offline, "{vendor}: {}", chat.status_how);
        assert_eq!(outcome(&r, "chat.online"), Fail, "{vendor}");
        assert_eq!(chat.offline_form, Some(true), "{vendor}");
        assert_eq!(outcome(&r, "chat.offline_fallback"), Pass, "{vendor}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn salesforce_live_agent_and_dynamics_365_say_online_and_offline_their_own_way() {
    for (vendor, page, how) in [
        ("salesforce-liveagent", "liveagent", "liveagent.showWhen"),
        ("dynamics365", "dynamics365", "getAgentAvailability() returned isAgentAvailable"),
    ] {
        for (state, want, check) in [("online", ChatStatus::Online, Pass), ("offline", ChatStatus::Offline, Fail)] {
            let r = browse(&format!("{page}-{state}.html"), &[Desktop], 1).await;
            let chats = &r.evidence.browser.as_ref().unwrap().visits[0].chats;
            let chat = chats.iter().find(|c| c.vendor == vendor).unwrap_or_else(|| panic!("{page}-{state}: {chats:?}"));
            assert_eq!(chat.status, want, "{page}-{state}: {}", chat.status_how);
            assert!(chat.status_how.contains(how), "{page}-{state}: {}", chat.status_how);
            assert_eq!(outcome(&r, "chat.online"), check, "{page}-{state}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_that_is_only_a_vendors_frame_is_found_by_the_frames_address() {
    let r = browse("frame-only.html", &[Desktop], 1).await;
    let chats = &r.evidence.browser.as_ref().unwrap().visits[0].chats;
    let chat = chats.iter().find(|c| c.vendor == "cisco-bubble").unwrap_or_else(|| panic!("{chats:?}"));
    assert!(
        chat.found_by.starts_with("frame ") && chat.found_by.contains("/ccp/ui/BubbleChat.html"),
        "{}",
        chat.found_by
    );
    // Without the frame, the same page holds no chat.
    let r = browse("quiet.html", &[Desktop], 1).await;
    assert!(r.evidence.browser.as_ref().unwrap().visits[0].chats.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_transparent_footer_and_covered_launchers_fail() {
    for (page, problem) in [
        ("hidden.html", "not rendered"),
        ("transparent.html", "transparent"),
        ("footer.html", "below the first screen"),
        ("covered.html", "covered by <div#promo>"),
    ] {
        let r = browse(page, &[Desktop], 1).await;
        assert_eq!(outcome(&r, "chat.visible"), Fail, "{page}");
        assert!(detail(&r, "chat.visible").contains(problem), "{page}: {}", detail(&r, "chat.visible"));
        assert_eq!(r.evidence.chat.visible, Some(false));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widget_injected_after_load_is_found_live_and_screenshotted() {
    let r = browse("late.html", &[Desktop, Mobile], 3).await;
    assert!(r.evidence.chat.embeds.is_empty(), "nothing in the static HTML");
    assert_eq!(r.evidence.chat.vendors, ["jivo"], "found by its global in the live page");
    assert_eq!(outcome(&r, "chat.present"), Pass);
    let visits = &r.evidence.browser.as_ref().unwrap().visits;
    assert_eq!(visits.len(), 2);
    for v in visits {
        assert!(v.chats[0].found_by.contains("jivo_api"), "{:?}", v.chats[0]);
        let shot = v.screenshot.as_deref().unwrap();
        assert!(shot.starts_with("data:image/jpeg;base64,") && shot.len() > 2000);
    }
    assert_eq!(outcome(&r, "chat.visible"), Pass, "{}", detail(&r, "chat.visible"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widget_a_tag_manager_adds_is_found_by_its_script_in_the_live_page() {
    let r = browse("gtm.html", &[Desktop], 2).await;
    // The page's HTML names only the container; the static probe reads the container, and
    // the browser sees the script it adds.
    let statically: Vec<(&str, &str)> =
        r.evidence.chat.embeds.iter().map(|e| (e.vendor.as_str(), e.how.as_str())).collect();
    assert_eq!(statically, [("jivo", "tag manager")], "{:?}", r.evidence.chat.embeds);
    assert_eq!(r.evidence.chat.vendors, ["jivo"], "{:?}", r.evidence.chat);
    assert_eq!(outcome(&r, "chat.present"), Pass);
    let visit = &r.evidence.browser.as_ref().unwrap().visits[0];
    assert!(visit.chats[0].found_by.starts_with("script https://code.jivosite.com/widget/"), "{:?}", visit.chats[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn modal_that_opens_itself_fails_and_one_behind_a_click_does_not() {
    let r = browse("modal.html", &[Desktop], 4).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Fail, "{}", detail(&r, "ux.no_intrusive_popup"));
    let popup = &r.evidence.browser.as_ref().unwrap().visits[0].popups[0];
    assert!(popup.opened_at >= 1900 && popup.opened_at < 3500, "{popup:?}");
    assert!(popup.element.starts_with("div#invite") && popup.coverage > 0.9, "{popup:?}");
    assert!(r.evidence.browser.as_ref().unwrap().visits[0].popup_screenshot.is_some());
    assert!(r.evidence.ux.unwrap().intrusive_popup);

    let r = browse("click-modal.html", &[Desktop], 3).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Pass, "{}", detail(&r, "ux.no_intrusive_popup"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cookie_banner_is_not_an_invitation_but_a_returning_one_is_counted() {
    let r = browse("cookie.html", &[Desktop], 2).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Pass, "{}", detail(&r, "ux.no_intrusive_popup"));
    assert!(r.evidence.browser.as_ref().unwrap().visits[0].popups[0].consent);

    let r = browse("reopen.html", &[Desktop], 5).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Fail);
    let popup = &r.evidence.browser.as_ref().unwrap().visits[0].popups[0];
    assert!(popup.closed_by_probe && popup.opens >= 2, "{popup:?}");
    assert!(detail(&r, "ux.no_intrusive_popup").contains("came back"), "{}", detail(&r, "ux.no_intrusive_popup"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_window_that_opens_itself_is_an_invitation() {
    let r = browse("autoopen.html", &[Desktop], 3).await;
    assert_eq!(r.evidence.browser.as_ref().unwrap().visits[0].chats[0].open, Some(true));
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Fail, "{}", detail(&r, "ux.no_intrusive_popup"));
    let r = browse("jivo-online.html", &[Desktop], 2).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_window_that_opens_itself_without_its_vendors_script_is_an_invitation() {
    let r = browse("chat-autoopen.html", &[Desktop], 3).await;
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Fail, "{}", detail(&r, "ux.no_intrusive_popup"));
    let popup = &r.evidence.browser.as_ref().unwrap().visits[0].popups[0];
    assert!(popup.element.starts_with("div#chat-window") && popup.coverage < 0.3, "{popup:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_sound_and_audio_in_a_frame_are_autoplay() {
    let r = browse("sound-invite.html", &[Desktop], 2).await;
    assert_eq!(outcome(&r, "ux.no_autoplay_audio"), Fail, "{:?}", r.evidence.browser.as_ref().unwrap().visits[0].media);
    assert!(r.evidence.browser.as_ref().unwrap().visits[0].media.iter().any(|m| m.src.ends_with("/tone.wav")));
    let r = browse("frame-audio.html", &[Desktop], 3).await;
    assert_eq!(outcome(&r, "ux.no_autoplay_audio"), Fail, "{:?}", r.evidence.browser.as_ref().unwrap().visits[0].media);
    let media = &r.evidence.browser.as_ref().unwrap().visits[0].media;
    assert!(media.iter().any(|m| m.src.contains("localhost")), "{media:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audible_autoplay_fails_and_a_muted_video_passes() {
    let r = browse("audio.html", &[Desktop], 2).await;
    assert_eq!(outcome(&r, "ux.no_autoplay_audio"), Fail, "{:?}", r.evidence.browser);
    assert!(r.evidence.ux.unwrap().autoplay_audio);
    let r = browse("muted-video.html", &[Desktop], 2).await;
    assert_eq!(outcome(&r, "ux.no_autoplay_audio"), Pass, "{}", detail(&r, "ux.no_autoplay_audio"));
    assert!(r.evidence.browser.as_ref().unwrap().visits[0].media.iter().any(|m| m.muted), "the muted video did play");
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_checks_are_not_applicable_without_a_browser() {
    let served = common::serve_store("browser").await;
    let r = common::audit_store_at(served.url.join("jivo-online.html").unwrap(), |_| {}).await;
    for check in
        ["chat.visible", "chat.online", "chat.offline_fallback", "ux.no_intrusive_popup", "ux.no_autoplay_audio"]
    {
        assert_eq!(outcome(&r, check), NotApplicable, "{check}");
    }
    assert!(r.evidence.ux.is_none() && r.evidence.chat.visible.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_browser_that_is_missing_is_a_clear_error() {
    let served = common::serve_store("browser").await;
    let page = served.url.join("jivo-online.html").unwrap();
    let mut scenario = shopaudit::Scenario::for_url(shopaudit::scenario::WebUrl(page));
    scenario.browser.required = true;
    scenario.browser.path = Some("/no/such/chromium".into());
    let err = shopaudit::audit(&scenario, &shopaudit::Quiet).await.unwrap_err();
    assert!(matches!(err, shopaudit::Error::Browser { .. }), "{err}");
    scenario.browser.required = false;
    let r = shopaudit::audit(&scenario, &shopaudit::Quiet).await.unwrap();
    assert_eq!(
        outcome(&r, "chat.visible"),
        shopaudit::Outcome::Error,
        "not required: an error finding with the reason"
    );
    assert!(detail(&r, "chat.visible").contains("/no/such/chromium"), "{}", detail(&r, "chat.visible"));
}

#[tokio::test(flavor = "multi_thread")]
async fn regression_the_probes_own_click_is_not_an_invitation_on_a_phone() {
    // On a phone the opened chat window covers half the screen; the probe's click to look for
    // the offline form once counted as a popup, which the observer then closed.
    let r = browse("jivo-offline.html", &[Mobile], 1).await;
    let visit = &r.evidence.browser.as_ref().unwrap().visits[0];
    assert_eq!(visit.chats[0].offline_form, Some(true));
    assert!(visit.popups.iter().all(|p| !p.is_invitation()), "{:?}", visit.popups);
    assert_eq!(outcome(&r, "chat.offline_fallback"), Pass);
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Pass);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_named_operator_in_a_branded_window_passes() {
    let r = browse("identity-real.html", &[Desktop], 1).await;
    let window = r.evidence.browser.as_ref().unwrap().visits[0].chats[0].window.clone().unwrap();
    assert_eq!(window.title.as_deref(), Some("Good Shop support"), "{window:?}");
    assert_eq!(window.operator_names, ["Julia Ivanova"]);
    assert_eq!(r.evidence.chat.operator_names, ["Julia Ivanova"]);
    assert_eq!(outcome(&r, "chat.operator_identity"), Pass, "{}", detail(&r, "chat.operator_identity"));
    assert_eq!(outcome(&r, "chat.branding"), Pass, "{}", detail(&r, "chat.branding"));
    let avatar = r.evidence.images.iter().find(|i| i.url.ends_with("/img/julia.jpg")).expect("the avatar was checked");
    assert!(avatar.staff && avatar.stock.is_none());
    assert_eq!(outcome(&r, "ux.no_intrusive_popup"), Pass, "opening the window ourselves is not an invitation");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_in_a_frame_of_another_site_is_read_inside_the_frame() {
    // identity-cross-site.html is identity-real.html with its window served from "localhost",
    // another site than the store's 127.0.0.1, which the page's own script cannot read.
    let r = browse("identity-cross-site.html", &[Desktop], 1).await;
    let window = r.evidence.browser.as_ref().unwrap().visits[0].chats[0].window.clone().unwrap();
    assert!(window.readable, "{window:?}");
    assert_eq!(window.title.as_deref(), Some("Good Shop support"), "{window:?}");
    assert_eq!(window.operator_names, ["Julia Ivanova"]);
    assert!(window.avatars.iter().any(|a| a.starts_with("http://localhost:") && a.ends_with("/img/julia.jpg")));
    assert_eq!(outcome(&r, "chat.operator_identity"), Pass, "{}", detail(&r, "chat.operator_identity"));
    assert_eq!(outcome(&r, "chat.branding"), Pass, "{}", detail(&r, "chat.branding"));
}

#[tokio::test(flavor = "multi_thread")]
async fn placeholder_jokey_and_stock_operators_fail_and_default_titles_fail_branding() {
    for (page, problem, branding) in [
        ("identity-placeholder.html", "placeholder", Fail),
        ("identity-jokey.html", "jokey", Fail),
        ("identity-stock-avatar.html", "stock image (shutterstock)", Pass),
        ("identity-other-title.html", "", shopaudit::Outcome::Warn),
    ] {
        let r = browse(page, &[Desktop], 1).await;
        if problem.is_empty() {
            assert_eq!(outcome(&r, "chat.operator_identity"), Pass, "{page}: {}", detail(&r, "chat.operator_identity"));
        } else {
            assert_eq!(outcome(&r, "chat.operator_identity"), Fail, "{page}");
            assert!(
                detail(&r, "chat.operator_identity").contains(problem),
                "{page}: {}",
                detail(&r, "chat.operator_identity")
            );
        }
        assert_eq!(outcome(&r, "chat.branding"), branding, "{page}: {}", detail(&r, "chat.branding"));
    }
    let r = browse("identity-stock-avatar.html", &[Desktop], 1).await;
    assert_eq!(outcome(&r, "photos.no_stock_staff"), Fail, "the avatar counts as a staff photo");
}

#[tokio::test(flavor = "multi_thread")]
async fn regression_a_reused_tab_forgets_the_previous_viewport() {
    // Tabs are pooled. A desktop visit after a mobile one on the same tab once kept the phone's
    // touch screen and User-Agent, so a store that hides its chat from phones looked hidden on
    // the desktop too. (The old document is also marked before each navigation, so the load
    // wait cannot return with the previous page still loaded.)
    use std::sync::Arc;
    let served = common::serve_store("browser").await;
    let path = shopaudit::probes::browser::find(None).expect("Chromium is installed by scripts/setup");
    let chromium = Arc::new(
        tokio::task::spawn_blocking(move || {
            shopaudit::probes::browser::Chromium::launch(&path, shopaudit::probes::browser::Confinement::LoopbackOnly)
        })
        .await
        .unwrap()
        .unwrap(),
    );
    let pages: Vec<String> = ["phone-hidden.html", "quiet.html", "phone-hidden.html"]
        .iter()
        .map(|p| served.url.join(p).unwrap().to_string())
        .collect();
    let knowledge = Arc::new(shopaudit::knowledge::Knowledge::load().unwrap());
    let one_tab = 1;
    let seen = shopaudit::probes::browser::probe(
        chromium,
        pages,
        &[Mobile, Desktop],
        std::time::Duration::ZERO,
        knowledge,
        one_tab,
        shopaudit::clock::Clock::system(),
    )
    .await;
    assert_eq!(seen.visits.len(), 6);
    for v in &seen.visits {
        let problems: Vec<&String> =
            v.chats.iter().filter_map(|c| c.launcher.as_ref()).flat_map(|l| &l.problems).collect();
        match (v.page.ends_with("phone-hidden.html"), v.viewport) {
            (true, Mobile) => assert!(!problems.is_empty(), "hidden from phones: {v:?}"),
            (true, Desktop) => assert!(problems.is_empty(), "visible on desktop: {problems:?}"),
            (false, _) => assert!(v.chats.is_empty(), "quiet.html has no chat, not the previous page's: {:?}", v.chats),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn regression_a_click_in_one_tab_does_not_stall_the_photographs_in_another() {
    // Tabs are visited several at a time. Once the probe clicked a launcher with the browser's
    // own mouse in one tab, headless Chromium stopped drawing the others, and each photograph
    // there waited a minute or more for a frame: the demo store took 100 to 230 s instead of
    // 20. (A liveness bound, not a speed measurement: the figures are in the benchmark.)
    let store = shopaudit::demo::start(0).await.unwrap();
    let scenario = shopaudit::demo::scenario(&store).unwrap();
    let options = shopaudit::Options { email: None, ..Default::default() };
    let audit = shopaudit::audit_with(&scenario, &options, &shopaudit::Quiet);
    let r = tokio::time::timeout(std::time::Duration::from_secs(60), audit)
        .await
        .expect("the demo audit finishes without waiting on a tab behind")
        .unwrap();
    let shots = r.evidence.browser.as_ref().unwrap().visits.iter().filter(|v| v.screenshot.is_some()).count();
    assert!(shots >= 10, "every visit photographed: {shots}");
}
