//! The conversation probe: asks the store's chat a real question, as a shopper would, and
//! times the answer. It runs only where the scenario enables it (`chat.enabled`), in a fresh
//! tab per question: one click on the launcher, the question typed at a person's pace, sent,
//! then the widget is watched until a person answers or the deadline passes. Greetings that
//! were there before the question are not answers; a reply sooner than a person can type, from
//! a bot's name, or in a bot's canned words is automatic (`probes/chat.toml`). With the chat
//! offline and `chat.leave_message` set, the leave-a-message form is filled instead.
//!
//! The scenario's selectors say where the widget's parts are. Where they are silent, a known
//! vendor's launcher opens the widget (`probes/vendors.toml`), the message box and send button
//! are found in the widget as `shopaudit chat-parts` finds them, and the operator's messages
//! come from the vendor's documented JavaScript API where it has one (`probes/hear/`), else
//! from the widget's own markup.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use headless_chrome::Tab;
use serde::Deserialize;

use crate::extract::{answer, reading};
use crate::knowledge::spelling::Dictionaries;
use crate::knowledge::Knowledge;
use crate::model::evidence::{ChatLine, ChatRole, Conversation, ConversationOutcome, LineKind, Moment, Screenshot};
use crate::model::Viewport;
use crate::probes::browser::{self, Chromium, WAIT_FOR_JS};
use crate::probes::frames::{self, Frames, Place};
use crate::probes::step::{Step, StepError};
use crate::scenario::{ChatSelector, Question, Scenario};

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
    /// What is known of the widget before it opens.
    pub widget: Known,
    /// The answer deadline.
    pub sla: Duration,
    /// The shopper's name and address, when the offline form may be filled.
    pub leave: Option<(String, String)>,
    /// Where "now" comes from: the audit's clock, so that the transcript's moments and the
    /// chat's readings agree (a test's simulated week, or the system's).
    pub clock: crate::clock::Clock,
    /// What the operator's answer is read against.
    pub reading: ReadWith,
}

/// What a chat answer is read against: the shopper's names, the store's host and its words.
#[derive(Debug, Clone, Default)]
pub struct ReadWith {
    /// The names the shopper goes by.
    pub names: Vec<String>,
    /// The store's host.
    pub host: String,
    /// The words on the store's pages, lower case.
    pub vocabulary: std::collections::BTreeSet<String>,
}

/// What is known of a store's widget before it opens.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// The scenario's selectors, with the vendor's launcher where the scenario names none.
    pub selectors: BTreeMap<ChatSelector, String>,
    /// The vendor whose knowledge is used: the scenario's `chat.preset`, else a detected one.
    pub vendor: Option<String>,
    /// The launcher selector is the vendor's, not the scenario's.
    pub vendor_launcher: bool,
    /// The vendor's script that hears the operator's messages (`probes/hear/`).
    pub hear: Option<&'static str>,
}

/// Why the probe cannot talk to the widget before it even tries.
#[derive(Debug, thiserror::Error)]
pub enum Unknown {
    /// `chat.preset` names a vendor the probe has no launcher for.
    #[error("chat.preset {name:?} is not a vendor the probe knows (known: {known})")]
    Preset {
        /// The preset as written.
        name: String,
        /// The vendors it could have named, comma-separated.
        known: String,
    },
    /// Neither a launcher nor a message box is named, and no known vendor is on the page.
    #[error(
        "no launcher for the widget: set chat.selectors.launcher (`shopaudit chat-parts URL` proposes one), or \
         chat.preset to a vendor the probe knows"
    )]
    NoLauncher,
}

/// What the probe knows of the widget: the scenario's selectors, over the knowledge of the
/// vendor named by `chat.preset` or else detected on the page. An error says what is missing.
pub fn known(scenario: &Scenario, k: &Knowledge, vendors: &[String]) -> Result<Known, Unknown> {
    let usable = |v: &&crate::knowledge::Vendor| !v.launcher.is_empty();
    let vendor = match &scenario.chat.preset {
        Some(name) => Some(k.vendors.iter().filter(usable).find(|v| &v.id == name).ok_or_else(|| {
            let ids: Vec<&str> = k.vendors.iter().filter(usable).map(|v| v.id.as_str()).collect();
            Unknown::Preset { name: name.clone(), known: ids.join(", ") }
        })?),
        None => vendors.iter().find_map(|id| k.vendors.iter().filter(usable).find(|v| &v.id == id)),
    };
    let mut selectors = scenario.chat.selectors.clone();
    let vendor_launcher = vendor.is_some() && !selectors.contains_key(&ChatSelector::Launcher);
    if let (Some(v), true) = (vendor, vendor_launcher) {
        selectors.insert(ChatSelector::Launcher, v.launcher.join(", "));
    }
    if !selectors.contains_key(&ChatSelector::Launcher) && !selectors.contains_key(&ChatSelector::Input) {
        return Err(Unknown::NoLauncher);
    }
    Ok(Known {
        selectors,
        vendor: vendor.map(|v| v.id.clone()),
        vendor_launcher,
        hear: vendor
            .and_then(|v| v.hear_script)
            .filter(|_| !scenario.chat.selectors.contains_key(&ChatSelector::OperatorMessage)),
    })
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

/// What the vendor's API reported: which call it was, and each operator message.
#[derive(Debug, Default, Deserialize)]
struct Ears {
    how: Option<String>,
    heard: Vec<Heard>,
}

#[derive(Debug, Deserialize)]
struct Heard {
    text: String,
    name: Option<String>,
    avatar: Option<String>,
}

/// The widget across the tab's documents: the launcher is often in the page and the chat in
/// a frame of the vendor's site, so each look reads every document and puts them together.
struct Widget<'a> {
    frames: Frames<'a>,
    /// `converse.js` with the selectors in; `HEARD` is filled in on each run.
    script: String,
    selectors: BTreeMap<ChatSelector, String>,
    /// The operator's messages come from the vendor's API, not the widget's markup.
    by_api: bool,
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
    /// The page script making `action`.
    fn script(&self, action: &str) -> String {
        self.script.replace("HEARD", if self.by_api { "true" } else { "false" }).replace("ACTION", action)
    }

    fn run(&mut self, place: &Place, action: &str) -> Step<String> {
        let script = self.script(action);
        self.frames.evaluate(place, &script)
    }

    /// What the shopper sees now, all documents together (the chat's own document first for
    /// the operator's name and avatar), and where the parts are.
    fn look(&mut self) -> Step<(Seen, Parts)> {
        let mut all = Vec::new();
        for place in self.frames.places()? {
            // A frame may be gone between the listing and the look.
            if let Ok(json) = self.run(&place, "actions.state()") {
                let seen: Seen = serde_json::from_str(&json).map_err(StepError::answer("widget script"))?;
                all.push((place, seen));
            }
        }
        let find = |want: fn(&Seen) -> bool| all.iter().find(|(_, s)| want(s)).map(|(p, _)| p.clone());
        // A message box the scenario does not name is looked for in the vendor's frames before
        // the page, as chat-parts does.
        let input = all.iter().rev().find(|(_, s)| s.input).map(|(p, _)| p.clone());
        let parts = Parts { launcher: find(|s| s.launcher), send: find(|s| s.send), form: find(|s| s.form), input };
        all.sort_by_key(|(place, _)| Some(place) != parts.input.as_ref());
        let mut out = Seen::default();
        for (_, s) in all {
            out.messages.extend(s.messages);
            out.name = out.name.or(s.name);
            out.avatar = out.avatar.or(s.avatar);
            out.typing |= s.typing;
            out.rating |= s.rating;
            out.form |= s.form;
        }
        (out.launcher, out.input) = (parts.launcher.is_some(), parts.input.is_some());
        // A form beside a message box is the widget's own (pre-chat details), not the offline one.
        out.form &= !out.input;
        if self.by_api {
            let ears = self.ears()?;
            out.messages = ears.heard.iter().map(|h| h.text.clone()).collect();
            if let Some(last) = ears.heard.last() {
                out.name = last.name.clone().or(out.name);
                out.avatar = last.avatar.clone().or(out.avatar);
            }
        }
        Ok((out, parts))
    }

    fn act(&mut self, place: &Place, action: &str) -> Step<Done> {
        let d: Done = serde_json::from_str(&self.run(place, action)?).map_err(StepError::answer("widget script"))?;
        if d.ok {
            Ok(d)
        } else {
            Err(StepError::Page(d.why.unwrap_or_else(|| "the widget did not respond".into())))
        }
    }

    /// How a part is named in errors: its selector, or "found in the widget".
    fn named(&self, part: ChatSelector) -> String {
        match self.selectors.get(&part) {
            Some(selector) => format!("the {} ({selector})", part.as_str()),
            None => format!("the {} (found in the widget)", part.as_str()),
        }
    }

    /// Clicks a part where it was seen, with the browser's own mouse.
    fn click(&mut self, place: &Place, part: ChatSelector) -> Step<()> {
        let element = self.script(&format!("actions.element('{}')", part.as_str()));
        if self.frames.click(place, &element)? {
            Ok(())
        } else {
            Err(StepError::Page(format!("{} is gone", self.named(part))))
        }
    }

    /// Looks every `POLL` until `want` holds or `limit` passes.
    fn until(&mut self, limit: Duration, want: impl Fn(&Seen) -> bool) -> Step<Option<Parts>> {
        browser::poll(limit, POLL, || {
            let (seen, parts) = self.look()?;
            Ok(want(&seen).then_some(parts))
        })
    }

    /// One click on the launcher, as a shopper opens the widget, then wait until it is usable:
    /// a message box, or the offline form.
    fn open(&mut self) -> Step<()> {
        let (seen, _) = self.look()?;
        if !seen.input {
            let found = self.until(PART_WAIT, |s| s.launcher)?;
            let launcher = found
                .and_then(|p| p.launcher)
                .ok_or_else(|| StepError::Page(format!("{} is not on the page", self.named(ChatSelector::Launcher))))?;
            self.click(&launcher, ChatSelector::Launcher)?;
        }
        if self.until(PART_WAIT, |s| s.input || s.form)?.is_none() {
            return Err(StepError::Page(format!("{} did not appear after the click", self.named(ChatSelector::Input))));
        }
        // Widgets learn whether anyone is online after they open: until a greeting or the
        // offline form shows (at most 1.5 s), the shopper reads the window before typing.
        self.until(SETTLE, |s| !s.messages.is_empty() || s.form)?;
        Ok(())
    }

    /// Hooks the vendor's documented message events in the page itself, where the vendor's
    /// API lives (our isolated worlds cannot see it). It does not wait for the API to load.
    fn listen(&mut self, hook: &str) -> Step<()> {
        let expression = format!(
            "(() => {{
                if (window.__shopaudit_ears) return 'null';
                const ears = window.__shopaudit_ears = {{ how: null, heard: [] }};
                {WAIT_FOR_JS}
                // Vendors pass a message as text or as an object around it.
                const words = (m) => typeof m === 'string' ? m
                    : m && typeof m === 'object' ? words(m.text) || words(m.message) || words(m.content) || words(m.body) : null;
                const heard = (message, name, avatar) => {{
                    const text = (words(message) || '').replace(/\\s+/g, ' ').trim();
                    if (text) ears.heard.push({{ text, name: typeof name === 'string' && name ? name : null, avatar: typeof avatar === 'string' && avatar ? avatar : null }});
                }};
                // A callback property keeps the store's own handler, called after ours.
                const chain = (api, key, ours) => {{
                    const theirs = api[key];
                    api[key] = function (...args) {{
                        try {{ ours(...args); }} catch (e) {{}}
                        if (typeof theirs === 'function') return theirs.apply(this, args);
                    }};
                }};
                const hook = {hook};
                hook({{ waitFor, heard, chain }}).then((how) => {{ ears.how = how || null; }}, () => {{}});
                return 'null';
            }})()"
        );
        self.frames.evaluate(&Place::Page, &expression).map(drop)
    }

    /// What the vendor's API has reported so far.
    fn ears(&mut self) -> Step<Ears> {
        let json = self.frames.evaluate(&Place::Page, "JSON.stringify(window.__shopaudit_ears || {heard: []})")?;
        serde_json::from_str(&json).map_err(StepError::answer("the vendor's API hook"))
    }
}

/// Holds one conversation in a fresh tab; never fails: what went wrong is in `error`.
pub fn hold(chromium: &Chromium, plan: &Plan, question: &Question, k: &Knowledge) -> Conversation {
    let mut talk = Conversation {
        question_id: question.id.clone(),
        page: plan.page.clone(),
        sla_ms: millis(plan.sla),
        expect: answer::all_words(&question.questions),
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
        talk.error = Some(e.to_string());
    }
    let _ = tab.close(false);
    talk
}

fn converse(tab: &Tab, plan: &Plan, q: &Question, k: &Knowledge, talk: &mut Conversation) -> Step<()> {
    browser::emulate(tab, Viewport::Desktop)?;
    browser::navigate(tab, &plan.page)?;
    let known = &plan.widget;
    let selectors = serde_json::to_string(&known.selectors).map_err(StepError::answer("the selectors"))?;
    let mut widget = Widget {
        frames: Frames::new(tab),
        script: browser::with_prelude(CONVERSE_JS).replace("SELECTORS", &selectors),
        selectors: known.selectors.clone(),
        by_api: false,
    };
    if let Some(hook) = known.hear {
        // Hearing is a help, not a need: without it the widget's markup is read.
        if let Err(e) = widget.listen(hook) {
            tracing::debug!(page = %plan.page, "the vendor's API hook was not installed: {e}");
        }
    }
    widget.open()?;
    shot(tab, talk, Moment::Start);
    // The operator's messages are read one way for the whole conversation: through the
    // vendor's API when it answered by now, else from the widget.
    let api = widget.ears()?.how;
    widget.by_api = api.is_some();
    talk.how = Some(how(known, api.as_deref()));
    let (before, parts) = widget.look()?;
    if let (true, Some(form)) = (before.form, &parts.form) {
        talk.outcome = ConversationOutcome::OfflineForm;
        if let Some((name, email)) = &plan.leave {
            let call = format!("actions.leave({}, {}, {})", js(name), js(email), js(&q.text));
            let left = widget.act(form, &call)?;
            talk.message_left = true;
            talk.confirmation = left.confirmation;
            talk.question_sent_at = Some(plan.clock.now().fixed_offset());
            talk.transcript.push(line(plan, ChatRole::Shopper, LineKind::Question, None, &q.text));
        }
        shot(tab, talk, Moment::Answer);
        return Ok(());
    }
    for greeting in &before.messages {
        talk.transcript.push(line(plan, ChatRole::Operator, LineKind::Greeting, before.name.clone(), greeting));
    }
    // Into the message box as a person writes: a click, the question a key at a time, then the
    // send button, or Enter.
    let input = parts.input.ok_or_else(|| StepError::page("the message box is gone"))?;
    widget.click(&input, ChatSelector::Input)?;
    frames::type_text(tab, &q.text, PACE)?;
    match &parts.send {
        Some(send) => widget.click(send, ChatSelector::Send)?,
        None => frames::press_enter(tab)?,
    }
    let sent = Instant::now();
    talk.question_sent_at = Some(plan.clock.now().fixed_offset());
    talk.transcript.push(line(plan, ChatRole::Shopper, LineKind::Question, None, &q.text));

    // Messages found in the markup may include the shopper's own when the widget does not
    // mark them: the question is never its answer.
    let asked = q.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut heard = before.messages.len();
    let mut human_text = None;
    while sent.elapsed() < plan.sla && human_text.is_none() {
        std::thread::sleep(POLL);
        let (now_seen, _) = widget.look()?;
        talk.typing_seen |= now_seen.typing;
        for text in now_seen.messages.iter().skip(heard).filter(|t| **t != asked) {
            let ms = millis(sent.elapsed());
            let automatic = ms < k.chat.instant_ms
                || now_seen.name.as_deref().is_some_and(|n| k.chat.bot_authors.iter().any(|re| re.is_match(n)))
                || k.chat.auto_phrases.iter().any(|re| re.is_match(text));
            let kind = if automatic { LineKind::Auto } else { LineKind::Human };
            talk.transcript.push(line(plan, ChatRole::Operator, kind, now_seen.name.clone(), text));
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
            talk.outcome = ConversationOutcome::Answered;
            talk.missing = answer::lacks(&talk.expect, text);
            (talk.questions, talk.completeness) = answer::addressed(&q.questions, &[text.as_str()]);
            let own = [plan.reading.host.clone()];
            let ctx = reading::Context {
                asked: &q.text,
                names: &plan.reading.names,
                vocabulary: &plan.reading.vocabulary,
                own_hosts: &own,
                late: false, // a person's reply after the deadline is never heard
            };
            talk.reading = Some(reading::read(text, &ctx, &k.answers, Dictionaries::system()));
            shot(tab, talk, Moment::Answer);
            talk.rating_offered = widget.until(RATING_WAIT, |s| s.rating)?.is_some();
        }
        None => {
            talk.outcome = if talk.first_reply_ms.is_some() {
                ConversationOutcome::AutoOnly
            } else {
                ConversationOutcome::NoReply
            };
            talk.missing = talk.expect.clone();
            talk.questions = answer::addressed(&q.questions, &[]).0;
            shot(tab, talk, Moment::Timeout);
        }
    }
    Ok(())
}

/// How the widget was worked, for the report: where each part came from.
fn how(known: &Known, api: Option<&str>) -> String {
    let found =
        |part| if known.selectors.contains_key(&part) { "the scenario's selector" } else { "found in the widget" };
    let launcher = match &known.vendor {
        Some(vendor) if known.vendor_launcher => format!("{vendor}'s known launcher"),
        _ if known.selectors.contains_key(&ChatSelector::Launcher) => "the scenario's selector".into(),
        _ => "none (the message box was on the page)".into(),
    };
    let messages = match api {
        Some(call) => format!("the vendor's API ({call})"),
        None => found(ChatSelector::OperatorMessage).into(),
    };
    format!("launcher: {launcher}; message box: {}; operator's messages: {messages}", found(ChatSelector::Input))
}

fn shot(tab: &Tab, talk: &mut Conversation, moment: Moment) {
    if let Some(image) = browser::screenshot(tab) {
        talk.screenshots.push(Screenshot { moment, image });
    }
}

fn line(plan: &Plan, role: ChatRole, kind: LineKind, author: Option<String>, text: &str) -> ChatLine {
    ChatLine { at: plan.clock.now().fixed_offset(), role, kind, author, text: text.into() }
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::WebUrl;

    fn scenario(preset: Option<&str>, named: &[(ChatSelector, &str)]) -> Scenario {
        let mut s = Scenario::for_url(WebUrl(url::Url::parse("http://127.0.0.1/").unwrap()));
        s.chat.preset = preset.map(str::to_string);
        s.chat.selectors = named.iter().map(|(k, v)| (*k, v.to_string())).collect();
        s
    }

    #[test]
    fn a_vendor_brings_its_launcher_and_ears_and_the_scenario_wins() {
        let k = Knowledge::load().unwrap();
        let tawk = known(&scenario(None, &[]), &k, &["tawk".into()]).unwrap();
        assert!(tawk.vendor_launcher && tawk.hear.is_some());
        assert!(tawk.selectors[&ChatSelector::Launcher].contains("chat widget"));

        let named = known(&scenario(Some("tawk"), &[(ChatSelector::Launcher, "#mine")]), &k, &[]).unwrap();
        assert_eq!((named.selectors[&ChatSelector::Launcher].as_str(), named.vendor_launcher), ("#mine", false));
        assert_eq!(named.vendor.as_deref(), Some("tawk"));

        // Named operator messages are read where the scenario says, not through the API.
        let read = known(&scenario(None, &[(ChatSelector::OperatorMessage, ".msg")]), &k, &["tawk".into()]).unwrap();
        assert!(read.hear.is_none());

        // jivo's launcher is known, its API tells no message: the widget's markup is read.
        let jivo = known(&scenario(None, &[]), &k, &["jivo".into()]).unwrap();
        assert!(jivo.vendor_launcher && jivo.hear.is_none());
    }

    #[test]
    fn without_a_launcher_or_a_known_vendor_nothing_is_tried() {
        let k = Knowledge::load().unwrap();
        let err = known(&scenario(None, &[]), &k, &[]).unwrap_err().to_string();
        assert!(err.contains("no launcher for the widget"), "{err}");
        let err = known(&scenario(Some("acme"), &[]), &k, &["tawk".into()]).unwrap_err().to_string();
        assert!(err.contains("\"acme\" is not a vendor the probe knows") && err.contains("jivo"), "{err}");
        // A message box on the page itself needs no launcher.
        assert!(known(&scenario(None, &[(ChatSelector::Input, "#ask")]), &k, &[]).is_ok());
    }
}
