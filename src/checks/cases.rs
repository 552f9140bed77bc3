//! One evidence that passes and one that fails, for every check id. The match is exhaustive,
//! so a new check id does not compile until it has both; the edge cases (no evidence, a
//! broken probe, a letter still inside its deadline) follow below.

use chrono::{DateTime, FixedOffset};

use super::*;
use crate::model::evidence::*;
use crate::model::{Channel, Thresholds, Viewport};

const HOME: &str = "http://127.0.0.1/";
const CONTACTS: &str = "http://127.0.0.1/contacts.html";

fn at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00+03:00").unwrap()
}

fn pages() -> Vec<Page> {
    let page = |url: &str, kind: &str, depth| Page {
        url: url.into(),
        status: Some(200),
        kind: kind.into(),
        depth,
        ..Page::default()
    };
    vec![page(HOME, "home", Some(0)), page(CONTACTS, "contacts", Some(1))]
}

/// Loaded once: the table judges a hundred evidences.
static KNOWLEDGE: std::sync::LazyLock<Knowledge> = std::sync::LazyLock::new(|| Knowledge::load().unwrap());

fn judge(id: CheckId, ev: &Evidence) -> Verdict {
    let pages = pages();
    let input = Input { store: "Acme Shoes", pages: &pages, evidence: ev, knowledge: &KNOWLEDGE };
    (find(id.as_str()).unwrap().run)(&input).unwrap_or_else(|early| early)
}

fn link(kind: &str, page: &str) -> KeyLink {
    KeyLink { kind: kind.into(), url: format!("{HOME}{kind}.html"), text: kind.into(), page: page.into() }
}

fn email(value: &str) -> ContactMention {
    ContactMention { kind: ContactKind::Email, value: value.into(), page: CONTACTS.into() }
}

fn posted(pages: &[&str]) -> PostedHours {
    PostedHours {
        channel: Channel::Support,
        text: "Mon-Fri 9-18".into(),
        opening_hours: Some("Mo-Fr 09:00-18:00".into()),
        page: pages.first().map(|p| p.to_string()),
        pages: pages.iter().map(|p| p.to_string()).collect(),
    }
}

fn staff_photo(stock: bool) -> Image {
    Image {
        url: format!("{HOME}team.jpg"),
        page: HOME.into(),
        staff: true,
        bytes: Some(10_000),
        stock: stock.then(|| Stock { agency: "istock".into(), signals: vec!["xmp credit".into()] }),
        ..Image::default()
    }
}

fn chat(status: ChatStatus) -> LiveChat {
    LiveChat {
        vendor: "jivo".into(),
        found_by: "global".into(),
        launcher: Some(Launcher { selector: "#jivo-launcher".into(), rect: [1250, 690, 60, 60], problems: Vec::new() }),
        status,
        status_how: "jivo_api.chatMode()".into(),
        status_at: at(),
        open: Some(false),
        offline_form: None,
        window: None,
    }
}

fn window(title: &str, operator: &str) -> ChatWindow {
    ChatWindow {
        readable: true,
        title: Some(title.into()),
        operator_names: vec![operator.into()],
        ..ChatWindow::default()
    }
}

/// A browser that visited the home page on a desktop and saw `chats`, `popups` and `media`.
fn seen(chats: Vec<LiveChat>, popups: Vec<Popup>, media: Vec<Media>) -> Evidence {
    let visit = Visit {
        page: HOME.into(),
        viewport: Viewport::Desktop,
        error: None,
        load_ms: 300,
        chats,
        popups,
        media,
        screenshot: None,
        popup_screenshot: None,
    };
    Evidence {
        browser: Some(BrowserEvidence {
            product: "Chromium".into(),
            error: None,
            observe_ms: 15_000,
            visits: vec![visit],
        }),
        ..Evidence::default()
    }
}

fn popup(consent: bool) -> Popup {
    Popup {
        element: "div".into(),
        text: "Subscribe and get 10% off".into(),
        opened_at: 3_000,
        opens: 2,
        input: false,
        coverage: 0.6,
        consent,
        closed_by_probe: true,
    }
}

fn sound(muted: bool) -> Media {
    Media {
        tag: "audio".into(),
        src: format!("{HOME}jingle.mp3"),
        muted,
        volume: 1.0,
        at: 500,
        input: false,
        still_playing: true,
    }
}

/// A person's answer of 40 words that greets, names the buyer and thanks, with `misspelt`.
fn reading(misspelt: &[&str]) -> Reading {
    Reading {
        words: 40,
        spelling: Spelling::Checked {
            dictionaries: vec!["en".into()],
            checked: 30,
            misspelt: misspelt.iter().map(|w| w.to_string()).collect(),
        },
        language: Some("eng".into()),
        asked_in: Some("eng".into()),
        script: Some("Latin".into()),
        asked_script: Some("Latin".into()),
        elsewhere: Vec::new(),
        greets: true,
        names_buyer: true,
        thanks: true,
        apologizes: false,
        late: false,
    }
}

fn talk(outcome: ConversationOutcome, human_ms: Option<u64>) -> Evidence {
    let mut ev = Evidence::default();
    ev.chat.conversations = vec![Conversation {
        question_id: "size".into(),
        page: HOME.into(),
        question_sent_at: Some(at()),
        first_reply_ms: human_ms,
        first_human_reply_ms: human_ms,
        outcome,
        operator_name: Some("Julia Ivanova".into()),
        sla_ms: 180_000,
        ..Conversation::default()
    }];
    ev
}

fn reply(kind: ReplyKind, after_ms: i64) -> EmailReply {
    EmailReply {
        received_at: at() + chrono::Duration::milliseconds(after_ms),
        from: "julia@acme.example".into(),
        kind,
        ticket: Some("4711".into()),
        signed_by: Some("Julia Ivanova".into()),
        received_from: "imap internaldate".into(),
        matched_by: MatchedBy::Thread,
        why_auto: None,
        missing: Vec::new(),
        only_link: false,
        greets: true,
    }
}

/// A letter sent at [`at`] with a 24 h deadline, and its replies.
fn letter(state: LetterState, replies: Vec<EmailReply>) -> Evidence {
    let first = |kind: Option<ReplyKind>| {
        replies
            .iter()
            .filter(|r| kind.is_none_or(|k| r.kind == k))
            .map(|r| (r.received_at - at()).num_milliseconds() as u64)
            .min()
    };
    let probe = EmailProbe {
        id: "delivery".into(),
        message_id: "<1@audit.test>".into(),
        to: "support@acme.example".into(),
        subject: "Delivery to Kazan".into(),
        sent_at: Some(at()),
        state,
        first_response_ms: first(None),
        first_human_response_ms: first(Some(ReplyKind::Human)),
        business_hours: None,
        first_response_business_ms: None,
        first_human_response_business_ms: None,
        server: Some("250 2.0.0 queued".into()),
        sla_ms: 24 * 3600 * 1000,
        expect: vec!["Kazan".into()],
        questions: vec![Addressed { id: "answer".into(), expect: vec!["Kazan".into()], answered: !replies.is_empty() }],
        completeness: replies.iter().any(|r| r.kind == ReplyKind::Human).then_some(Completeness::Complete),
        attempt: 1,
        reading: replies.iter().any(|r| r.kind == ReplyKind::Human).then(|| reading(&[])),
        replies,
    };
    Evidence { email_probes: vec![probe], ..Evidence::default() }
}

/// The letter's evidence as a question put through the contact form instead.
fn through_form(mut ev: Evidence) -> Evidence {
    ev.forms.answers = std::mem::take(&mut ev.email_probes);
    ev.forms.answers.iter_mut().for_each(|a| a.to = CONTACTS.into());
    ev
}

/// This run put the question through the form, with this outcome and these words.
fn submitted(outcome: Submitted, said: &str) -> Evidence {
    let mut ev = Evidence::default();
    ev.forms.submissions.push(Submission {
        place: Some("on the page".into()),
        said: Some(said.into()),
        filled: vec!["email email".into(), "message message".into()],
        sent_at: Some(at()),
        ..Submission::new("size", CONTACTS, outcome)
    });
    ev
}

fn with_reply(change: impl FnOnce(&mut EmailReply)) -> Evidence {
    let mut r = reply(ReplyKind::Human, 2 * 3600 * 1000);
    change(&mut r);
    letter(LetterState::Answered, vec![reply(ReplyKind::Auto, 60_000), r])
}

fn record(online_share: f64) -> Evidence {
    let readings = 10;
    let online = (online_share * readings as f64).round() as usize;
    let compliance = Compliance {
        hours: Some("24/7".into()),
        timezone: "Europe/Moscow".into(),
        chat_checks: readings,
        chat_in_hours: readings,
        chat_online_in_hours: online,
        chat_online_in_hours_share: Some(online_share),
        thresholds: Thresholds::default(),
        ..Compliance::default()
    };
    Evidence { compliance: Some(compliance), ..Evidence::default() }
}

/// (passes, fails) for a check.
fn case(id: CheckId) -> (Evidence, Evidence) {
    use CheckId::*;
    let with = |change: &dyn Fn(&mut Evidence)| {
        let mut ev = Evidence::default();
        change(&mut ev);
        ev
    };
    match id {
        ChatPresent => (
            with(&|ev| {
                ev.chat.vendors = vec!["jivo".into()];
                ev.chat.pages = vec![HOME.into()];
            }),
            Evidence::default(),
        ),
        ChatOnEveryPage => (
            with(&|ev| {
                ev.chat.vendors = vec!["jivo".into()];
                ev.chat.pages = vec![HOME.into(), CONTACTS.into()];
            }),
            with(&|ev| {
                ev.chat.vendors = vec!["jivo".into()];
                ev.chat.pages = vec![CONTACTS.into()];
            }),
        ),
        ChatVisible => {
            let mut hidden = chat(ChatStatus::Online);
            if let Some(l) = &mut hidden.launcher {
                l.problems = vec!["is hidden by CSS (display: none)".into()];
            }
            (seen(vec![chat(ChatStatus::Online)], vec![], vec![]), seen(vec![hidden], vec![], vec![]))
        }
        ChatOnline => (
            seen(vec![chat(ChatStatus::Online)], vec![], vec![]),
            seen(vec![chat(ChatStatus::Offline)], vec![], vec![]),
        ),
        ChatOfflineFallback => {
            let offline = |form| LiveChat { offline_form: Some(form), ..chat(ChatStatus::Offline) };
            (seen(vec![offline(true)], vec![], vec![]), seen(vec![offline(false)], vec![], vec![]))
        }
        ChatOperatorIdentity => {
            let named = |name: &str| LiveChat { window: Some(window("Acme Shoes", name)), ..chat(ChatStatus::Online) };
            (seen(vec![named("Julia Ivanova")], vec![], vec![]), seen(vec![named("Operator 7")], vec![], vec![]))
        }
        ChatBranding => {
            let titled = |title: &str| LiveChat { window: Some(window(title, "Julia")), ..chat(ChatStatus::Online) };
            (seen(vec![titled("Acme Shoes support")], vec![], vec![]), seen(vec![titled("JivoChat")], vec![], vec![]))
        }
        ChatAnswers => (talk(ConversationOutcome::Answered, Some(40_000)), talk(ConversationOutcome::NoReply, None)),
        ChatLiteracy => {
            let spelt = |misspelt: &[&str]| {
                let mut ev = talk(ConversationOutcome::Answered, Some(40_000));
                ev.chat.conversations[0].reading = Some(reading(misspelt));
                ev
            };
            (spelt(&[]), spelt(&["recieve", "adress"]))
        }
        EmailLiteracy => (with_reply(|_| {}), {
            let mut ev = with_reply(|_| {});
            ev.email_probes[0].reading = Some(reading(&["recieve", "adress"]));
            ev
        }),
        ContactsOnHome => (with(&|ev| ev.links.push(link("contacts", HOME))), Evidence::default()),
        ContactsSingleEmail => (
            with(&|ev| ev.contacts.mentions = vec![email("support@acme.example"), email("jobs@acme.example")]),
            with(&|ev| {
                ev.contacts.mentions = ["support", "sales", "orders", "delivery", "returns", "info"]
                    .iter()
                    .map(|a| email(&format!("{a}@acme.example")))
                    .collect()
            }),
        ),
        ContactsChannels => (
            with(&|ev| {
                ev.contacts.emails = vec!["support@acme.example".into()];
                ev.contacts.phones = vec!["+74951234567".into()];
                ev.contacts.messengers = vec!["telegram".into()];
            }),
            with(&|ev| ev.contacts.emails = vec!["support@acme.example".into()]),
        ),
        FormPresent => (
            with(&|ev| {
                ev.forms.forms.push(ContactForm {
                    page: CONTACTS.into(),
                    action: Some(format!("{HOME}feedback")),
                    vendor: None,
                    fields: vec!["email email".into(), "textarea message".into()],
                    consent: false,
                    captcha: None,
                })
            }),
            Evidence::default(),
        ),
        HoursPosted => (with(&|ev| ev.hours.push(posted(&[CONTACTS]))), Evidence::default()),
        HoursOnHome => (
            with(&|ev| ev.hours.push(posted(&[CONTACTS]))),
            with(&|ev| ev.hours.push(posted(&["http://127.0.0.1/deep/hours.html"]))),
        ),
        HoursHonored => (record(1.0), record(0.3)),
        PhotosNoStockStaff => {
            (with(&|ev| ev.images = vec![staff_photo(false)]), with(&|ev| ev.images = vec![staff_photo(true)]))
        }
        SiteHttps => (
            with(&|ev| ev.site = Site { https: true, http_redirects_to_https: Some(true), http_probe: None }),
            with(&|ev| ev.site = Site { https: false, http_redirects_to_https: Some(false), http_probe: None }),
        ),
        SitePrivacyPolicy => (with(&|ev| ev.links.push(link("privacy", HOME))), Evidence::default()),
        SelfserviceFaq => (with(&|ev| ev.links.push(link("faq", HOME))), Evidence::default()),
        UxNoIntrusivePopup => (seen(vec![], vec![popup(true)], vec![]), seen(vec![], vec![popup(false)], vec![])),
        UxNoAutoplayAudio => (seen(vec![], vec![], vec![sound(true)]), seen(vec![], vec![], vec![sound(false)])),
        FormAccepts => {
            (submitted(Submitted::Accepted, "Спасибо! Мы ответим в течение дня."), {
                submitted(Submitted::Refused, "Укажите корректный адрес")
            })
        }
        FormAnswered => (
            through_form(letter(LetterState::Answered, vec![reply(ReplyKind::Human, 3_600_000)])),
            through_form(letter(LetterState::Unanswered, vec![])),
        ),
        FormFirstResponseTime => (
            through_form(letter(LetterState::Answered, vec![reply(ReplyKind::Human, 3_600_000)])),
            through_form(letter(LetterState::Answered, vec![reply(ReplyKind::Human, 30 * 3_600_000)])),
        ),
        EmailAnswered => (
            letter(LetterState::Answered, vec![reply(ReplyKind::Human, 3_600_000)]),
            letter(LetterState::Unanswered, vec![]),
        ),
        EmailFirstResponseTime => (
            letter(LetterState::Answered, vec![reply(ReplyKind::Human, 3_600_000)]),
            letter(LetterState::Answered, vec![reply(ReplyKind::Human, 30 * 3_600_000)]),
        ),
        EmailAcknowledged => (
            letter(LetterState::Answered, vec![reply(ReplyKind::Auto, 60_000), reply(ReplyKind::Human, 3 * 3_600_000)]),
            letter(LetterState::Answered, vec![reply(ReplyKind::Human, 3 * 3_600_000)]),
        ),
        EmailTicketReference => (with_reply(|_| {}), with_reply(|r| r.matched_by = MatchedBy::Token)),
        EmailPersonalSignature => (with_reply(|_| {}), with_reply(|r| r.signed_by = None)),
        EmailAnswerQuality => (with_reply(|_| {}), {
            let mut partial = with_reply(|_| {});
            let letter = &mut partial.email_probes[0];
            letter.questions.push(Addressed { id: "cost".into(), expect: vec!["cost|price".into()], answered: false });
            letter.completeness = Some(Completeness::Partial);
            partial
        }),
    }
}

/// The worst a check concludes: `fail`, but for a check that only ever warns by design.
fn worst(id: CheckId) -> Outcome {
    match id {
        // Several addresses confuse; they do not lose the buyer (docs/CHECKS.md).
        CheckId::ContactsSingleEmail => Outcome::Warn,
        _ => Outcome::Fail,
    }
}

#[test]
fn every_check_passes_and_fails_on_its_own_evidence() {
    for id in CheckId::ALL {
        let (passes, fails) = case(*id);
        let good = judge(*id, &passes);
        assert_eq!(good.outcome, Outcome::Pass, "{id} should pass: {}", good.detail);
        let bad = judge(*id, &fails);
        assert_eq!(bad.outcome, worst(*id), "{id} should fail: {}", bad.detail);
        assert!(!bad.detail.is_empty(), "{id}: a failure says why");
    }
}

#[test]
fn browser_checks_without_a_browser_are_not_applicable_and_with_a_broken_one_are_errors() {
    let browser_checks = [
        CheckId::ChatVisible,
        CheckId::ChatOnline,
        CheckId::ChatOfflineFallback,
        CheckId::ChatOperatorIdentity,
        CheckId::ChatBranding,
        CheckId::UxNoIntrusivePopup,
        CheckId::UxNoAutoplayAudio,
    ];
    let broken = Evidence {
        browser: Some(BrowserEvidence { error: Some("Chromium did not start".into()), ..BrowserEvidence::default() }),
        ..Evidence::default()
    };
    for id in browser_checks {
        assert_eq!(judge(id, &Evidence::default()).outcome, Outcome::NotApplicable, "{id}");
        let verdict = judge(id, &broken);
        assert_eq!(verdict.outcome, Outcome::Error, "{id}");
        assert!(verdict.detail.contains("Chromium did not start"), "{id}: {}", verdict.detail);
    }
}

#[test]
fn letters_inside_their_deadline_are_not_judged_and_undelivered_ones_are_errors() {
    let mail_checks = [
        CheckId::EmailAnswered,
        CheckId::EmailFirstResponseTime,
        CheckId::EmailAcknowledged,
        CheckId::EmailTicketReference,
        CheckId::EmailPersonalSignature,
        CheckId::EmailAnswerQuality,
    ];
    for id in mail_checks {
        assert_eq!(judge(id, &Evidence::default()).outcome, Outcome::NotApplicable, "{id}: no letters");
        assert_eq!(
            judge(id, &letter(LetterState::Pending, vec![])).outcome,
            Outcome::NotApplicable,
            "{id}: still waiting"
        );
        assert_eq!(judge(id, &letter(LetterState::Failed, vec![])).outcome, Outcome::Error, "{id}: never delivered");
        let unread = Evidence {
            mailbox_error: Some("login refused".into()),
            ..letter(LetterState::Answered, vec![reply(ReplyKind::Human, 1)])
        };
        assert_eq!(judge(id, &unread).outcome, Outcome::Error, "{id}: replies unknown");
    }
    let bounced = judge(CheckId::EmailAnswered, &letter(LetterState::Bounced, vec![]));
    assert_eq!(bounced.outcome, Outcome::Fail, "the store's published address sent the letter back");
    assert_eq!(judge(CheckId::EmailFirstResponseTime, &letter(LetterState::Bounced, vec![])).outcome, Outcome::Fail);
}

#[test]
fn chat_answers_distinguishes_bots_partial_answers_and_broken_probes() {
    let auto = talk(ConversationOutcome::AutoOnly, None);
    assert_eq!(judge(CheckId::ChatAnswers, &auto).outcome, Outcome::Fail);
    let mut partial = talk(ConversationOutcome::Answered, Some(20_000));
    partial.chat.conversations[0].missing = vec!["42".into()];
    assert_eq!(judge(CheckId::ChatAnswers, &partial).outcome, Outcome::Warn);
    let mut broken = talk(ConversationOutcome::NoReply, None);
    broken.chat.conversations[0].error = Some("no launcher for the widget".into());
    assert_eq!(judge(CheckId::ChatAnswers, &broken).outcome, Outcome::Error);
    assert_eq!(judge(CheckId::ChatAnswers, &Evidence::default()).outcome, Outcome::NotApplicable);
}

#[test]
fn hours_honored_needs_a_history_and_holds_letters_to_their_deadline() {
    assert_eq!(judge(CheckId::HoursHonored, &Evidence::default()).outcome, Outcome::NotApplicable);
    let mut letters = record(1.0);
    if let Some(c) = &mut letters.compliance {
        c.letters = 4;
        c.letters_within_sla = 3;
    }
    let verdict = judge(CheckId::HoursHonored, &letters);
    assert_eq!(verdict.outcome, Outcome::Fail, "3 of 4 is below the default 100%");
    assert!(verdict.detail.contains("3 of 4 letters"), "{}", verdict.detail);
}

#[test]
fn literacy_warns_above_one_per_hundred_and_needs_two_words_to_fail() {
    let judged = |words: usize, misspelt: &[&str]| {
        let mut ev = with_reply(|_| {});
        ev.email_probes[0].reading = Some(Reading { words, ..reading(misspelt) });
        judge(CheckId::EmailLiteracy, &ev)
    };
    assert_eq!(judged(40, &["recieve"]).outcome, Outcome::Warn, "2.5 per 100, one word");
    assert_eq!(judged(10, &["recieve"]).outcome, Outcome::Warn, "10 per 100, but one word");
    assert_eq!(judged(200, &["recieve"]).outcome, Outcome::Pass, "0.5 per 100");
    let failed = judged(40, &["recieve", "adress"]);
    assert_eq!(failed.outcome, Outcome::Fail);
    assert!(failed.detail.contains("recieve, adress"), "{}", failed.detail);
    let mut ev = with_reply(|_| {});
    ev.email_probes[0].reading = Some(Reading {
        spelling: Spelling::NoDictionary { language: "ru".into(), package: Some("hunspell-ru".into()) },
        ..reading(&[])
    });
    let unchecked = judge(CheckId::EmailLiteracy, &ev);
    assert_eq!(unchecked.outcome, Outcome::NotApplicable);
    assert!(unchecked.detail.contains("install hunspell-ru"), "{}", unchecked.detail);
}

#[test]
fn answer_quality_faults_other_shops_another_language_and_a_late_answer_without_apology() {
    let judged = |change: &dyn Fn(&mut Reading)| {
        let mut ev = with_reply(|_| {});
        change(ev.email_probes[0].reading.as_mut().unwrap());
        judge(CheckId::EmailAnswerQuality, &ev)
    };
    let elsewhere = judged(&|r| r.elsewhere = vec!["https://www.ozon.ru/product/kettle-1/".into()]);
    assert_eq!(elsewhere.outcome, Outcome::Fail);
    assert!(elsewhere.detail.contains("other shops (https://www.ozon.ru"), "{}", elsewhere.detail);
    let language = judged(&|r| r.language = Some("deu".into()));
    assert_eq!(language.outcome, Outcome::Fail);
    assert!(language.detail.contains("answered in German to a letter in English"), "{}", language.detail);
    assert_eq!(judged(&|r| r.late = true).outcome, Outcome::Warn, "late, no apology");
    assert_eq!(
        judged(&|r| {
            r.late = true;
            r.apologizes = true;
        })
        .outcome,
        Outcome::Pass
    );
    let unsure = judged(&|r| r.language = None);
    assert_eq!(unsure.outcome, Outcome::Pass, "no mismatch without a reliable guess");
    let script = judged(&|r| {
        r.language = None;
        r.script = Some("Cyrillic".into());
    });
    assert!(script.detail.contains("answered in Cyrillic script to a letter in English"), "{}", script.detail);
    assert!(unsure.evidence.iter().any(|e| e.contains("greets, by name, thanks")), "{:?}", unsure.evidence);
}

#[test]
fn a_published_address_needs_no_form_and_a_callback_is_a_phone() {
    let mut ev = Evidence::default();
    ev.contacts.emails = vec!["support@acme.example".into()];
    assert_eq!(judge(CheckId::FormPresent, &ev).outcome, Outcome::NotApplicable);
    ev.contacts.messengers = vec!["telegram".into()];
    assert_eq!(judge(CheckId::ContactsChannels, &ev).outcome, Outcome::Fail, "two channels");
    ev.forms.callbacks.push(Callback { page: CONTACTS.into(), vendor: Some("envybox".into()), promise: None });
    let with_callback = judge(CheckId::ContactsChannels, &ev);
    assert_eq!(with_callback.outcome, Outcome::Pass, "{}", with_callback.detail);
    assert!(with_callback.detail.contains("phone"));
}

#[test]
fn a_form_behind_a_captcha_warns_a_lost_form_is_the_probes_miss_and_old_questions_count() {
    let blocked = judge(CheckId::FormAccepts, &submitted(Submitted::Blocked, "a CAPTCHA (recaptcha) guards the form"));
    assert_eq!(blocked.outcome, Outcome::Warn, "{}", blocked.detail);
    let mut lost = submitted(Submitted::NotFound, "no contact form");
    assert_eq!(judge(CheckId::FormAccepts, &lost).outcome, Outcome::Fail, "no form anywhere");
    lost.forms.forms.push(ContactForm {
        page: CONTACTS.into(),
        action: None,
        vendor: None,
        fields: vec!["textarea message".into()],
        consent: false,
        captcha: None,
    });
    assert_eq!(judge(CheckId::FormAccepts, &lost).outcome, Outcome::Error, "the crawl saw one");
    assert_eq!(judge(CheckId::FormAccepts, &submitted(Submitted::DryRun, "")).outcome, Outcome::NotApplicable);
    // Nothing due this run: the history's record of the question decides.
    let earlier = through_form(letter(LetterState::Pending, vec![]));
    assert_eq!(judge(CheckId::FormAccepts, &earlier).outcome, Outcome::Pass);
    let refused = through_form(letter(LetterState::Failed, vec![]));
    assert_eq!(judge(CheckId::FormAccepts, &refused).outcome, Outcome::Fail);
    assert_eq!(judge(CheckId::FormAnswered, &refused).outcome, Outcome::Error, "no question reached the store");
    assert_eq!(judge(CheckId::FormAnswered, &Evidence::default()).outcome, Outcome::NotApplicable);
}
