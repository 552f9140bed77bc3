//! The conversation probe: asks the store's chat a real question, as a shopper would, and
//! times the answer. It runs only where the scenario enables it (`chat.enabled`), in a fresh
//! tab per question: one click on the launcher, the question typed at a person's pace, sent,
//! then the widget is watched until a person answers or the deadline passes. Greetings that
//! were there before the question are not answers; a reply sooner than a person can type, from
//! a bot's name, or in a bot's canned words is automatic (`probes/chat.toml`). With the chat
//! offline and `chat.leave_message` set, the leave-a-message form is filled instead.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use headless_chrome::Tab;
use serde::Deserialize;

use crate::evidence::{ChatLine, Conversation, Screenshot};
use crate::knowledge::Knowledge;
use crate::probes::browser::{self, Chromium};
use crate::scenario::{ChatSelector, Question, Scenario, Viewport};

/// The answer deadline when the scenario names none.
pub const DEFAULT_SLA: Duration = Duration::from_secs(3 * 60);

/// Milliseconds between typed characters: a quick typist.
const PACE_MS: u64 = 50;

/// How often the widget is read while waiting.
const POLL: Duration = Duration::from_millis(200);

/// After the answer, how long a rating offer may take to appear.
const RATING_WAIT: Duration = Duration::from_secs(3);

const CONVERSE_JS: &str = include_str!("../../probes/browser/converse.js");

/// Where and how to hold the conversations.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The page to open the widget on.
    pub page: String,
    /// The widget's parts.
    pub selectors: BTreeMap<ChatSelector, String>,
    /// The answer deadline.
    pub sla: Duration,
    /// The shopper's name and address, when the offline form may be filled.
    pub leave: Option<(String, String)>,
}

/// The widget's parts: the preset's (the scenario's `chat.preset`, else a detected vendor's),
/// with the scenario's own selectors over them. An error says what is missing.
pub fn selectors(
    scenario: &Scenario,
    k: &Knowledge,
    vendors: &[String],
) -> Result<BTreeMap<ChatSelector, String>, String> {
    let mut out = match &scenario.chat.preset {
        Some(name) => k.chat.presets.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = k.chat.presets.keys().map(String::as_str).collect();
            format!(
                "chat.preset {name:?} is not known (known: {}); set chat.selectors instead",
                if known.is_empty() { "none yet".to_string() } else { known.join(", ") }
            )
        })?,
        None => vendors.iter().find_map(|v| k.chat.presets.get(v).cloned()).unwrap_or_default(),
    };
    out.extend(scenario.chat.selectors.clone());
    let missing: Vec<&str> = [
        (ChatSelector::Launcher, "launcher"),
        (ChatSelector::Input, "input"),
        (ChatSelector::OperatorMessage, "operator_message"),
    ]
    .iter()
    .filter(|(s, _)| !out.contains_key(s))
    .map(|(_, name)| *name)
    .collect();
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!("no selector for the widget's {} (set chat.selectors or chat.preset)", missing.join(", ")))
    }
}

/// What the widget shows at one moment.
#[derive(Debug, Deserialize)]
struct Seen {
    messages: Vec<String>,
    name: Option<String>,
    avatar: Option<String>,
    typing: bool,
    rating: bool,
    form: bool,
}

#[derive(Debug, Deserialize)]
struct Done {
    ok: bool,
    why: Option<String>,
    confirmation: Option<String>,
}

/// Holds one conversation in a fresh tab; never fails: what went wrong is in `error`.
pub fn hold(chromium: &Chromium, plan: &Plan, question: &Question, k: &Knowledge) -> Conversation {
    let mut talk = Conversation {
        question_id: question.id.clone(),
        page: plan.page.clone(),
        outcome: "no_reply".into(),
        sla_ms: millis(plan.sla),
        expect: question.expect.clone(),
        ..Default::default()
    };
    let tab = match chromium.browser().new_tab() {
        Ok(tab) => tab,
        Err(e) => {
            talk.error = Some(format!("cannot open a tab: {e:#}"));
            return talk;
        }
    };
    if let Err(e) = converse(&tab, plan, question, k, &mut talk) {
        talk.error = Some(e);
    }
    let _ = tab.close(false);
    talk
}

fn converse(tab: &Tab, plan: &Plan, q: &Question, k: &Knowledge, talk: &mut Conversation) -> Result<(), String> {
    browser::emulate(tab, Viewport::Desktop)?;
    browser::navigate(tab, &plan.page)?;
    let selectors = serde_json::to_string(&plan.selectors).map_err(|e| e.to_string())?;
    let act = |action: &str| -> Result<String, String> {
        browser::evaluate(tab, &CONVERSE_JS.replace("SELECTORS", &selectors).replace("ACTION", action), true)
    };
    let done = |action: &str| -> Result<Done, String> {
        let d: Done = serde_json::from_str(&act(action)?).map_err(|e| format!("widget script: {e}"))?;
        if d.ok {
            Ok(d)
        } else {
            Err(d.why.unwrap_or_else(|| "the widget did not respond".into()))
        }
    };
    let seen = || -> Result<Seen, String> {
        serde_json::from_str(&act("actions.state()")?).map_err(|e| format!("widget script: {e}"))
    };
    done("actions.open()")?;
    shot(tab, talk, "start");
    let before = seen()?;
    if before.form {
        talk.outcome = "offline_form".into();
        if let Some((name, email)) = &plan.leave {
            let call = format!("actions.leave({}, {}, {})", js(name), js(email), js(&q.text));
            let left = done(&call)?;
            talk.message_left = true;
            talk.confirmation = left.confirmation;
            talk.question_sent_at = Some(now());
            talk.transcript.push(line("shopper", "question", None, &q.text));
        }
        shot(tab, talk, "answer");
        return Ok(());
    }
    for greeting in &before.messages {
        talk.transcript.push(line("operator", "greeting", before.name.clone(), greeting));
    }
    done(&format!("actions.type({}, {PACE_MS})", js(&q.text)))?;
    done("actions.send()")?;
    let sent = Instant::now();
    talk.question_sent_at = Some(now());
    talk.transcript.push(line("shopper", "question", None, &q.text));

    let mut heard = before.messages.len();
    let mut human_text = None;
    while sent.elapsed() < plan.sla && human_text.is_none() {
        std::thread::sleep(POLL);
        let now_seen = seen()?;
        talk.typing_seen |= now_seen.typing;
        for text in now_seen.messages.iter().skip(heard) {
            let ms = millis(sent.elapsed());
            let automatic = ms < k.chat.instant_ms
                || now_seen.name.as_deref().is_some_and(|n| k.chat.bot_authors.iter().any(|re| re.is_match(n)))
                || k.chat.auto_phrases.iter().any(|re| re.is_match(text));
            let kind = if automatic { "auto" } else { "human" };
            talk.transcript.push(line("operator", kind, now_seen.name.clone(), text));
            talk.first_reply_ms.get_or_insert(ms);
            if !automatic && human_text.is_none() {
                talk.first_human_reply_ms = Some(ms);
                talk.operator_name = now_seen.name.clone();
                talk.operator_avatar = now_seen.avatar.clone();
                human_text = Some(text.clone());
            }
        }
        heard = heard.max(now_seen.messages.len());
    }
    match &human_text {
        Some(text) => {
            talk.outcome = "answered".into();
            let lower = text.to_lowercase();
            talk.missing = q.expect.iter().filter(|w| !lower.contains(&w.to_lowercase())).cloned().collect();
            shot(tab, talk, "answer");
            let asked = Instant::now();
            while asked.elapsed() < RATING_WAIT && !talk.rating_offered {
                talk.rating_offered = seen()?.rating;
                std::thread::sleep(POLL);
            }
        }
        None => {
            talk.outcome = if talk.first_reply_ms.is_some() { "auto_only" } else { "no_reply" }.into();
            talk.missing = q.expect.clone();
            shot(tab, talk, "timeout");
        }
    }
    Ok(())
}

fn shot(tab: &Tab, talk: &mut Conversation, moment: &str) {
    if let Some(image) = browser::screenshot(tab) {
        talk.screenshots.push(Screenshot { moment: moment.into(), image });
    }
}

fn line(role: &str, kind: &str, author: Option<String>, text: &str) -> ChatLine {
    ChatLine { at: now(), role: role.into(), kind: kind.into(), author, text: text.into() }
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
