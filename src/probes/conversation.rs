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
use crate::probes::frames::{self, Frames, Place};
use crate::scenario::{ChatSelector, Question, Scenario, Viewport};

/// The answer deadline when the scenario names none.
pub const DEFAULT_SLA: Duration = Duration::from_secs(3 * 60);

/// Time between typed characters: a quick typist.
const PACE: Duration = Duration::from_millis(50);

/// How often the widget is read while waiting.
const POLL: Duration = Duration::from_millis(200);

/// After the answer, how long a rating offer may take to appear.
const RATING_WAIT: Duration = Duration::from_secs(3);

/// How long the launcher may take to appear, and the widget to open after the click.
const PART_WAIT: Duration = Duration::from_secs(10);

/// How long a widget may take to show a greeting or the offline form once open.
const SETTLE: Duration = Duration::from_millis(1500);

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
    let missing: Vec<&str> = [ChatSelector::Launcher, ChatSelector::Input, ChatSelector::OperatorMessage]
        .into_iter()
        .filter(|s| !out.contains_key(s))
        .map(ChatSelector::key)
        .collect();
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!("no selector for the widget's {} (set chat.selectors or chat.preset)", missing.join(", ")))
    }
}

/// What the widget shows in one document at one moment.
#[derive(Debug, Default, Deserialize)]
struct Seen {
    launcher: bool,
    input: bool,
    send: bool,
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

/// The widget across the tab's documents: the launcher is often in the page and the chat in
/// a frame of the vendor's site, so each look reads every document and puts them together.
struct Widget<'a> {
    frames: Frames<'a>,
    script: String,
}

/// Where each part was seen last, for acting on it there.
#[derive(Debug, Default)]
struct Parts {
    launcher: Option<Place>,
    input: Option<Place>,
    send: Option<Place>,
    form: Option<Place>,
}

impl Widget<'_> {
    fn run(&mut self, place: &Place, action: &str) -> Result<String, String> {
        self.frames.evaluate(place, &self.script.replace("ACTION", action))
    }

    /// What the shopper sees now, all documents together (the chat's own document first for
    /// the operator's name and avatar), and where the parts are.
    fn look(&mut self) -> Result<(Seen, Parts), String> {
        let mut all = Vec::new();
        for place in self.frames.places()? {
            // A frame may be gone between the listing and the look.
            if let Ok(json) = self.run(&place, "actions.state()") {
                let seen: Seen = serde_json::from_str(&json).map_err(|e| format!("widget script: {e}"))?;
                all.push((place, seen));
            }
        }
        let find = |want: fn(&Seen) -> bool| all.iter().find(|(_, s)| want(s)).map(|(p, _)| p.clone());
        let parts = Parts {
            launcher: find(|s| s.launcher),
            input: find(|s| s.input),
            send: find(|s| s.send),
            form: find(|s| s.form),
        };
        all.sort_by_key(|(_, s)| !s.input);
        let mut out = Seen { launcher: parts.launcher.is_some(), input: parts.input.is_some(), ..Seen::default() };
        for (_, s) in all {
            out.messages.extend(s.messages);
            out.name = out.name.or(s.name);
            out.avatar = out.avatar.or(s.avatar);
            out.typing |= s.typing;
            out.rating |= s.rating;
            out.form |= s.form;
        }
        // A form beside a message box is the widget's own (pre-chat details), not the offline one.
        out.form &= !out.input;
        Ok((out, parts))
    }

    fn act(&mut self, place: &Place, action: &str) -> Result<Done, String> {
        let d: Done = serde_json::from_str(&self.run(place, action)?).map_err(|e| format!("widget script: {e}"))?;
        if d.ok {
            Ok(d)
        } else {
            Err(d.why.unwrap_or_else(|| "the widget did not respond".into()))
        }
    }

    /// Clicks a part where it was seen, with the browser's own mouse.
    fn click(
        &mut self,
        place: &Place,
        part: ChatSelector,
        selectors: &BTreeMap<ChatSelector, String>,
    ) -> Result<(), String> {
        let name = part.key();
        let element = self.script.replace("ACTION", &format!("actions.element('{name}')"));
        if self.frames.click(place, &element)? {
            Ok(())
        } else {
            Err(format!("the {name} ({}) is gone", selectors.get(&part).map(String::as_str).unwrap_or_default()))
        }
    }

    /// Looks every `POLL` until `want` holds or `limit` passes.
    fn until(&mut self, limit: Duration, want: impl Fn(&Seen, &Parts) -> bool) -> Result<Option<Parts>, String> {
        let start = Instant::now();
        loop {
            let (seen, parts) = self.look()?;
            if want(&seen, &parts) {
                return Ok(Some(parts));
            }
            if start.elapsed() >= limit {
                return Ok(None);
            }
            std::thread::sleep(POLL);
        }
    }

    /// One click on the launcher, as a shopper opens the widget, then wait until it is usable:
    /// a message box, or the offline form.
    fn open(&mut self, selectors: &BTreeMap<ChatSelector, String>) -> Result<(), String> {
        let named = |part| selectors.get(&part).map(String::as_str).unwrap_or_default().to_string();
        let (seen, _) = self.look()?;
        if !seen.input {
            let found = self.until(PART_WAIT, |s, _| s.launcher)?;
            let launcher = found
                .and_then(|p| p.launcher)
                .ok_or_else(|| format!("the launcher ({}) is not on the page", named(ChatSelector::Launcher)))?;
            self.click(&launcher, ChatSelector::Launcher, selectors)?;
        }
        if self.until(PART_WAIT, |s, _| s.input || s.form)?.is_none() {
            return Err(format!("the message box ({}) did not appear after the click", named(ChatSelector::Input)));
        }
        // Widgets learn whether anyone is online after they open: until a greeting or the
        // offline form shows (at most 1.5 s), the shopper reads the window before typing.
        self.until(SETTLE, |s, _| !s.messages.is_empty() || s.form)?;
        Ok(())
    }
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
    let mut widget = Widget { frames: Frames::new(tab), script: CONVERSE_JS.replace("SELECTORS", &selectors) };
    widget.open(&plan.selectors)?;
    shot(tab, talk, "start");
    let (before, parts) = widget.look()?;
    if let (true, Some(form)) = (before.form, &parts.form) {
        talk.outcome = "offline_form".into();
        if let Some((name, email)) = &plan.leave {
            let call = format!("actions.leave({}, {}, {})", js(name), js(email), js(&q.text));
            let left = widget.act(form, &call)?;
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
    // Into the message box as a person writes: a click, the question a key at a time, then the
    // send button, or Enter.
    let input = parts.input.ok_or("the message box is gone")?;
    widget.click(&input, ChatSelector::Input, &plan.selectors)?;
    frames::type_text(tab, &q.text, PACE)?;
    match &parts.send {
        Some(send) => widget.click(send, ChatSelector::Send, &plan.selectors)?,
        None => frames::press_enter(tab)?,
    }
    let sent = Instant::now();
    talk.question_sent_at = Some(now());
    talk.transcript.push(line("shopper", "question", None, &q.text));

    let mut heard = before.messages.len();
    let mut human_text = None;
    while sent.elapsed() < plan.sla && human_text.is_none() {
        std::thread::sleep(POLL);
        let (now_seen, _) = widget.look()?;
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
                talk.rating_offered = widget.look()?.0.rating;
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
