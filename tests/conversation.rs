//! The conversation probe in real Chromium against a real chat service (tests/common/chat.rs):
//! a question typed into the widget, and a scripted operator answering, or not.

mod common;

#[path = "common/chat.rs"]
mod chat;

use std::time::Duration;

use chat::{ChatLab, Operator};
use shopaudit::model::evidence::{Asked, Completeness};
use shopaudit::model::Viewport;
use shopaudit::scenario::{ChatSelector, Question, Span};
use shopaudit::{Outcome, Report};

const QUESTION: &str = "Hello! Do you have these shoes in size 42?";

/// Audits the chat lab's store with the conversation probe enabled (unless `tweak` says not).
async fn ask(lab: &ChatLab, sla_secs: u64, tweak: impl FnOnce(&mut shopaudit::Scenario)) -> Report {
    ask_at(lab, sla_secs, tweak, shopaudit::clock::Clock::system()).await
}

/// [`ask`] with the audit's clock.
async fn ask_at(
    lab: &ChatLab,
    sla_secs: u64,
    tweak: impl FnOnce(&mut shopaudit::Scenario),
    clock: shopaudit::clock::Clock,
) -> Report {
    let mut s = shopaudit::Scenario::for_url(shopaudit::scenario::WebUrl(lab.url.clone()));
    s.store.name = Some("Chat Lab Shoes".into());
    s.crawl.max_pages = 1;
    s.browser.enabled = true;
    s.browser.required = true;
    s.browser.loopback_only = true;
    s.browser.viewports = vec![Viewport::Desktop];
    s.browser.observe = Span(Duration::from_secs(1));
    s.chat.enabled = true;
    s.chat.sla = Some(Span(Duration::from_secs(sla_secs)));
    s.chat.selectors = chat::selectors();
    let size = Asked { id: "size".into(), expect: vec!["42".into()] };
    s.chat.questions = vec![Question { id: "size".into(), text: QUESTION.into(), questions: vec![size] }];
    tweak(&mut s);
    let options = shopaudit::Options { email: None, db: Some(lab.history().into()), clock, ..Default::default() };
    shopaudit::audit_with(&s, &options, &shopaudit::Quiet).await.expect("audit runs")
}

fn outcome(r: &Report, check: &str) -> Outcome {
    common::outcome(r, check)
}

/// A conversation without its screenshots, for failure messages.
fn brief(talk: &shopaudit::model::evidence::Conversation) -> String {
    format!("{:?}", shopaudit::model::evidence::Conversation { screenshots: Vec::new(), ..talk.clone() })
}

/// The probe's measurement against what the operator did, within a second.
fn assert_timed(measured: Option<u64>, produced: Option<i64>) {
    let (measured, produced) = (measured.unwrap() as i64, produced.unwrap());
    assert!((measured - produced).abs() <= 1000, "measured {measured} ms, the operator took {produced} ms");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_answering_in_time_passes_and_is_timed() {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(3), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |_| {}).await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!(talk.outcome.as_str(), "answered", "{}", brief(talk));
    assert_eq!(lab.log(|l| l.received.clone()), [QUESTION], "typed in full, sent once");
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    let kinds: Vec<(&str, &str)> = talk.transcript.iter().map(|l| (l.role.as_str(), l.kind.as_str())).collect();
    assert_eq!(kinds, [("operator", "greeting"), ("shopper", "question"), ("operator", "human")]);
    assert_eq!(talk.operator_name.as_deref(), Some("Julia Ivanova"));
    assert!(talk.rating_offered && talk.missing.is_empty() && !talk.typing_seen, "{}", brief(talk));
    let moments: Vec<&str> = talk.screenshots.iter().map(|s| s.moment.as_str()).collect();
    assert_eq!(moments, ["start", "answer"]);
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Pass, "{}", common::detail(&r, "chat.answers"));
    assert_eq!(outcome(&r, "chat.literacy"), Outcome::Pass, "{}", common::detail(&r, "chat.literacy"));
    assert_eq!(outcome(&r, "chat.operator_identity"), Outcome::Pass);
    let history = shopaudit::history::History::open(&lab.history()).unwrap();
    let kept = history.conversations(&r.store.key).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].outcome.as_str(), kept[0].first_human_reply_ms), ("answered", talk.first_human_reply_ms));
}

/// A conversation on the chat lab's store page `page`, answered by a person after 3 s: it must
/// be answered, timed, and the question sent once in full.
async fn answered_on(page: &str) -> (Report, shopaudit::model::evidence::Conversation) {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(3), name: "Julia Ivanova" }).await;
    let page = lab.url.join(page).unwrap();
    let r = ask(&lab, 20, |s| s.store.url = shopaudit::scenario::WebUrl(page.clone())).await;
    let talk = r.evidence.chat.conversations[0].clone();
    assert_eq!(talk.outcome.as_str(), "answered", "{}", brief(&talk));
    assert_eq!(lab.log(|l| l.received.clone()), [QUESTION], "typed in full, sent once");
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    (r, talk)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_widget_in_a_frame_of_another_site_is_reached() {
    // cross-site.html loads the widget from "localhost", another site than the store's
    // 127.0.0.1: the chat's frame is out of the page's reach, as on real stores.
    let (r, talk) = answered_on("cross-site.html").await;
    let kinds: Vec<&str> = talk.transcript.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["greeting", "question", "human"], "{}", brief(&talk));
    assert_eq!(talk.operator_name.as_deref(), Some("Julia Ivanova"));
    assert!(talk.rating_offered, "{}", brief(&talk));
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Pass, "{}", common::detail(&r, "chat.answers"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_launcher_that_is_a_frame_opens_with_a_persons_click() {
    // The launcher is an <iframe> of the vendor's site with the button inside: a script's
    // click on the frame element does nothing; the mouse at its place on the screen does.
    answered_on("cross-site.html?launcher=frame").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_reply_at_once_is_not_the_answer() {
    let lab = ChatLab::start(Operator::BotThenHuman { after: Duration::from_secs(3), name: "Mark Stone" }).await;
    let r = ask(&lab, 20, |_| {}).await;
    let talk = &r.evidence.chat.conversations[0];
    let kinds: Vec<&str> = talk.transcript.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["greeting", "question", "auto", "human"], "{}", brief(talk));
    assert!(talk.first_reply_ms.unwrap() < 2000, "{}", brief(talk));
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    assert_eq!(talk.operator_name.as_deref(), Some("Mark Stone"));
    assert_eq!(talk.transcript[2].text, chat::BOT_REPLY);
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Pass);
    // The transcript is the store's text: in the reports it stays text.
    let html = shopaudit::report::Format::Html.render(&r).unwrap();
    assert!(html.contains("An operator will join shortly. &lt;script&gt;alert(1)"));
    assert!(!html.contains("<script>alert(1)"));
    let md = shopaudit::report::Format::Md.render(&r).unwrap();
    assert!(md.contains("join shortly.") && !md.contains("<script>alert(1)"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_answering_fails_and_a_greeting_is_not_an_answer() {
    let lab = ChatLab::start(Operator::Never { name: "Julia Ivanova" }).await;
    let r = ask(&lab, 4, |_| {}).await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!((talk.outcome.as_str(), talk.first_reply_ms), ("no_reply", None), "{}", brief(talk));
    assert_eq!(talk.screenshots.last().unwrap().moment.as_str(), "timeout");
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Fail);
    assert!(common::detail(&r, "chat.answers").contains("no reply in 4.0 s"), "{}", common::detail(&r, "chat.answers"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jokey_nickname_in_the_conversation_fails_operator_identity() {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_millis(2500), name: "Пушистик" }).await;
    let r = ask(&lab, 20, |_| {}).await;
    assert_eq!(r.evidence.chat.conversations[0].operator_name.as_deref(), Some("Пушистик"));
    assert_eq!(outcome(&r, "chat.operator_identity"), Outcome::Fail);
    assert!(common::detail(&r, "chat.operator_identity").contains("jokey"));
}

#[tokio::test(flavor = "multi_thread")]
async fn typing_is_seen_and_an_answer_to_one_of_two_questions_warns() {
    let lab = ChatLab::start(Operator::TypesFirst { after: Duration::from_secs(3), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |s| {
        let city = Asked { id: "city".into(), expect: vec!["Kazan|Казань".into()] };
        s.chat.questions[0].questions.push(city);
    })
    .await;
    let talk = &r.evidence.chat.conversations[0];
    assert!(talk.typing_seen, "{}", brief(talk));
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    assert_eq!(talk.missing, ["Kazan|Казань"]);
    let answered: Vec<(&str, bool)> = talk.questions.iter().map(|q| (q.id.as_str(), q.answered)).collect();
    assert_eq!(answered, [("size", true), ("city", false)]);
    assert_eq!(talk.completeness, Some(Completeness::Partial));
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Warn);
    assert!(common::detail(&r, "chat.answers").contains("\"city\""), "{}", common::detail(&r, "chat.answers"));
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_the_form_is_filled_only_when_the_scenario_allows() {
    let shopper = |s: &mut shopaudit::Scenario| {
        s.shopper =
            Some(toml::from_str("name = \"Anna Petrova\"\nemail = \"anna@audit.test\"").expect("shopper table"));
    };
    let lab = ChatLab::start(Operator::Offline).await;
    let r = ask(&lab, 10, |s| {
        shopper(s);
        s.chat.leave_message = true;
    })
    .await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!((talk.outcome.as_str(), talk.message_left), ("offline_form", true), "{}", brief(talk));
    assert!(talk.confirmation.as_deref().unwrap().contains("Thank you"), "{}", brief(talk));
    assert_eq!(lab.log(|l| l.left.clone()).unwrap(), format!("Anna Petrova\nanna@audit.test\n{QUESTION}"));
    assert_eq!(outcome(&r, "chat.offline_fallback"), Outcome::Pass, "{}", common::detail(&r, "chat.offline_fallback"));
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Fail);

    // Without `leave_message` nothing is left; and with only the launcher named, the offline
    // form is told from a message box all the same.
    let lab = ChatLab::start(Operator::Offline).await;
    let r = ask(&lab, 10, |s| {
        shopper(s);
        s.chat.selectors.retain(|k, _| *k == ChatSelector::Launcher);
    })
    .await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!((talk.outcome.as_str(), talk.message_left), ("offline_form", false), "{}", brief(talk));
    assert_eq!(lab.log(|l| l.left.clone()), None, "chat.leave_message is off: nothing is left");
    assert!(lab.log(|l| l.received.is_empty()), "nothing was typed into the offline form");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_typed_into_a_chat_the_scenario_does_not_enable() {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(1), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |s| s.chat.enabled = false).await;
    assert!(r.evidence.chat.conversations.is_empty());
    assert!(lab.log(|l| l.received.is_empty()));
    assert_eq!(outcome(&r, "chat.answers"), Outcome::NotApplicable);

    let r = ask(&lab, 20, |s| s.chat.selectors.clear()).await;
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Error);
    assert!(
        common::detail(&r, "chat.answers").contains("no launcher for the widget"),
        "{}",
        common::detail(&r, "chat.answers")
    );
    assert!(lab.log(|l| l.received.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_only_the_launcher_named_the_probe_finds_the_rest_in_the_widget() {
    // The message box, the send button, the operator's messages and name are found as
    // chat-parts finds them: the bot's reply is told from the person's, and the shopper's own
    // message (marked "visitor") is not taken for an answer.
    let lab = ChatLab::start(Operator::BotThenHuman { after: Duration::from_secs(3), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |s| s.chat.selectors.retain(|k, _| *k == ChatSelector::Launcher)).await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!(talk.outcome.as_str(), "answered", "{}", brief(talk));
    assert_eq!(lab.log(|l| l.received.clone()), [QUESTION]);
    let kinds: Vec<&str> = talk.transcript.iter().map(|l| l.kind.as_str()).collect();
    assert_eq!(kinds, ["greeting", "question", "auto", "human"], "{}", brief(talk));
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    assert_eq!(talk.operator_name.as_deref(), Some("Julia Ivanova"));
    let how = talk.how.as_deref().unwrap_or_default();
    assert!(how.contains("launcher: the scenario's selector; message box: found in the widget"), "{how}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_known_vendors_widget_needs_no_selectors_and_is_heard_through_its_api() {
    // The widget dressed as tawk.to's: the vendor is detected on the page, its launcher (a
    // frame) comes from probes/vendors.toml, and the agent's messages and name only from
    // `Tawk_API` (the widget's markup has no telling classes), as probes/hear/tawk.js hears them.
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(3), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |s| {
        s.store.url = shopaudit::scenario::WebUrl(lab.url.join("tawk.html").unwrap());
        s.chat.selectors.clear();
    })
    .await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!(talk.outcome.as_str(), "answered", "{}", brief(talk));
    assert_eq!(lab.log(|l| l.received.clone()), [QUESTION]);
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    assert_eq!(talk.operator_name.as_deref(), Some("Julia Ivanova"));
    let how = talk.how.as_deref().unwrap_or_default();
    assert!(how.contains("tawk's known launcher") && how.contains("Tawk_API.onChatMessageAgent"), "{how}");
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Pass, "{}", common::detail(&r, "chat.answers"));

    // A preset naming a vendor the probe does not know is an error that says which it knows.
    let r = ask(&lab, 20, |s| {
        s.chat.selectors.clear();
        s.chat.preset = Some("nosuchchat".into());
    })
    .await;
    let detail = common::detail(&r, "chat.answers");
    assert!(
        detail.contains("chat.preset \"nosuchchat\" is not a vendor the probe knows") && detail.contains("tawk"),
        "{detail}"
    );
    assert_eq!(lab.log(|l| l.received.len()), 1, "nothing more was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_parts_proposes_selectors_that_hold_a_conversation() {
    // The widget of another site: `shopaudit chat-parts` finds its launcher ("Chat with us",
    // floating) and its parts without typing anything, and the proposal, pasted into a
    // scenario, holds the conversation.
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(2), name: "Julia Ivanova" }).await;
    let page = lab.url.join("cross-site.html").unwrap();
    // The binary runs on a blocking thread: the lab's server needs this runtime meanwhile.
    let parts = |target: String| async move {
        let bin = env!("CARGO_BIN_EXE_shopaudit");
        let run = move || std::process::Command::new(bin).args(["chat-parts", &target]).output().unwrap();
        tokio::task::spawn_blocking(run).await.unwrap()
    };
    let out = parts(page.to_string()).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("# The first operator message seen: \"Hello! How can I help you?\""), "{text}");
    let table: toml::Value = toml::from_str(&text).expect("the proposal is TOML");
    let selectors: std::collections::BTreeMap<ChatSelector, String> =
        table["chat"]["selectors"].clone().try_into().expect("chat.selectors");
    assert_eq!(selectors[&ChatSelector::Launcher], "#lab-launcher", "{text}");
    assert_eq!(selectors[&ChatSelector::OperatorMessage], ".lab-msg.lab-operator", "{text}");
    assert!(
        selectors[&ChatSelector::Input].contains("lab-input") && selectors[&ChatSelector::Send].contains("lab-send")
    );
    assert!(lab.log(|l| l.received.is_empty()), "nothing was typed or sent");
    let r = ask(&lab, 20, |s| {
        s.store.url = shopaudit::scenario::WebUrl(page.clone());
        s.chat.selectors = selectors.clone();
    })
    .await;
    assert_eq!(
        r.evidence.chat.conversations[0].outcome.as_str(),
        "answered",
        "{}",
        brief(&r.evidence.chat.conversations[0])
    );

    // Offline, the widget shows only the leave-a-message form: that is not the message box.
    let offline = ChatLab::start(Operator::Offline).await;
    let out = parts(offline.url.join("cross-site.html").unwrap().to_string()).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("only a leave-a-message form") && !text.contains("input = "), "{text}");

    // A known vendor's widget: the proposal says the probe needs none of it.
    let out = parts(lab.url.join("tawk.html").unwrap().to_string()).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("# The launcher: tawk's, known to the probe."), "{text}");
    assert!(text.contains("hears the operator through the vendor's API"), "{text}");
    // Its chat is a frame of the store's own site, which the page's script reaches into.
    assert!(text.contains("# The chat's window: http://") && text.contains("frame.html?vendor=tawk"), "{text}");
    assert!(text.contains("input = ") && text.contains("lab-input"), "{text}");

    // A page without a chat: nothing to propose, exit 1.
    let none = parts(lab.url.join("plain.html").unwrap().to_string()).await;
    assert_eq!(none.status.code(), Some(1), "{}", String::from_utf8_lossy(&none.stderr));
    assert!(String::from_utf8_lossy(&none.stdout).contains("No chat launcher was found"));
}

/// A conversation with the widget dressed as `vendor` (vendor.html), where only the vendor's
/// API tells the operator's messages: `chat.preset` brings the vendor's hear script.
async fn heard_through(vendor: &str, call: &str, name: Option<&str>) {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(2), name: "Julia Ivanova" }).await;
    let r = ask(&lab, 20, |s| {
        s.store.url = shopaudit::scenario::WebUrl(lab.url.join(&format!("vendor.html?api={vendor}")).unwrap());
        s.chat.selectors.retain(|k, _| *k == ChatSelector::Launcher);
        s.chat.preset = Some(vendor.into());
    })
    .await;
    let talk = &r.evidence.chat.conversations[0];
    assert_eq!(talk.outcome.as_str(), "answered", "{vendor}: {}", brief(talk));
    assert_timed(talk.first_human_reply_ms, lab.answer_ms());
    assert_eq!(talk.operator_name.as_deref(), name, "{vendor}");
    let how = talk.how.as_deref().unwrap_or_default();
    assert!(how.contains(&format!("the vendor's API ({call})")), "{vendor}: {how}");
}

#[tokio::test(flavor = "multi_thread")]
async fn crisp_is_heard_through_its_api() {
    heard_through("crisp", "$crisp message:received", Some("Julia Ivanova")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn livechat_is_heard_through_its_api() {
    heard_through("livechat", "LiveChatWidget new_event", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn olark_is_heard_through_its_api() {
    heard_through("olark", "olark api.chat.onMessageToVisitor", Some("Julia Ivanova")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tidio_is_heard_through_its_api() {
    heard_through("tidio", "tidioChatApi messageFromOperator", None).await;
}

/// One clock for every "now": a conversation held under the audit's clock (a test's simulated
/// Saturday night) is stamped with that clock, as the chat's readings are, not the system's.
#[tokio::test(flavor = "multi_thread")]
async fn the_transcript_is_stamped_by_the_audits_clock() {
    let lab = ChatLab::start(Operator::Answers { after: Duration::from_secs(1), name: "Julia Ivanova" }).await;
    let saturday = chrono::DateTime::parse_from_rfc3339("2026-01-03T23:30:00+00:00").unwrap().to_utc();
    let started = std::time::Instant::now();
    let clock = shopaudit::clock::Clock::from_fn(move || saturday + started.elapsed());
    let r = ask_at(&lab, 20, |_| {}, clock).await;
    let talk = &r.evidence.chat.conversations[0];
    let sent = talk.question_sent_at.expect("asked");
    assert!((sent.to_utc() - saturday).num_minutes().abs() < 5, "{sent}");
    assert!(talk.transcript.iter().all(|l| (l.at.to_utc() - saturday).num_minutes().abs() < 5), "{}", brief(talk));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_misspelt_chat_answer_fails_literacy_and_a_link_to_another_shop_is_no_answer() {
    let says = |text| Operator::Says { after: Duration::from_secs(2), name: "Julia Ivanova", text };
    let lab = ChatLab::start(says("Yes, size 42 is in stock, we can delivr it tommorow to the adress you give.")).await;
    let r = ask(&lab, 20, |_| {}).await;
    assert_eq!(outcome(&r, "chat.literacy"), Outcome::Fail, "{}", common::detail(&r, "chat.literacy"));
    assert!(common::detail(&r, "chat.literacy").contains("delivr, tommorow, adress"));
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Pass, "it answers, however spelt");

    let lab =
        ChatLab::start(says("Yes, size 42 is in stock, and cheaper at https://www.amazon.com/dp/B00042 today.")).await;
    let r = ask(&lab, 20, |_| {}).await;
    assert_eq!(outcome(&r, "chat.answers"), Outcome::Warn);
    let detail = common::detail(&r, "chat.answers");
    assert!(detail.contains("sends the buyer to other shops (https://www.amazon.com/dp/B00042)"), "{detail}");
}
