//! The contact-form probe: puts the scenario's questions to the store through its contact
//! form, as a buyer does, and only where the scenario enables it (`form.enabled`), only on the
//! store's own site. In a fresh tab per question it finds the form (the scenario's selectors,
//! else the form that asks for a message and an address, in the page, in a vendor's frame, or
//! in a modal behind a "write to us" button), fills in the shopper's name and address, a
//! phone only when the scenario gives one, the question with its token, ticks the consent
//! box, and sends it once. A CAPTCHA is never solved: the question is recorded as blocked.
//!
//! Each question is written to the history before the click (as letters are before SMTP), so
//! a crash never sends one twice; its answers come to the shopper's mailbox and are filed and
//! timed as a letter's are (`probes::mailbox`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use headless_chrome::Tab;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::{History, NewLetter, Written};
use crate::knowledge::Knowledge;
use crate::model::evidence::{Evidence, Moment, Screenshot, Submission, Submitted};
use crate::model::Viewport;
use crate::probes::browser::{self, Chromium};
use crate::probes::frames::{Frames, Place};
use crate::probes::step::{Step, StepError};
use crate::scenario::{FormSelector, Scenario};

const FORM_JS: &str = include_str!("../../probes/browser/form.js");

/// How long the form may take to appear, on the page or after the button that opens it.
const FORM_WAIT: Duration = Duration::from_secs(8);

/// How long the page may take to say whether it took the question.
const OUTCOME_WAIT: Duration = Duration::from_secs(15);

/// How often the page is read while waiting.
const POLL: Duration = Duration::from_millis(250);

/// What the shopper writes into the form.
#[derive(Debug, Clone, Serialize)]
struct Values {
    name: String,
    email: String,
    phone: Option<String>,
    subject: String,
    message: String,
}

/// Where the form is and what the page script knows.
struct Plan {
    page: String,
    script: String,
}

/// One question's trip through the form, owned, so that it crosses into the blocking task
/// that drives the tab: what is filled in, and what the history records at the click.
struct Click {
    plan: Arc<Plan>,
    values: Values,
    store: crate::model::StoreKey,
    question: String,
    from: String,
    message_id: String,
    token: String,
    attempt: u32,
    slot: Option<String>,
    history: History,
    clock: crate::clock::Clock,
    /// Fill the form and stop before the click.
    dry: bool,
}

impl Click {
    /// The history's row of this question, written before the click.
    fn letter(&self) -> NewLetter<'_> {
        NewLetter {
            store: &self.store,
            letter: &self.question,
            message_id: &self.message_id,
            token: &self.token,
            from: &self.from,
            to: &self.plan.page,
            subject: &self.values.subject,
            body: &self.values.message,
            attempt: self.attempt,
            at: self.clock.now().fixed_offset(),
            slot: self.slot.as_deref(),
            via: Written::Form,
        }
    }
}

/// What `find()` says of one document (nothing, when its script failed there).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Found {
    form: bool,
    captcha: Option<String>,
    opener: bool,
    fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Filled {
    ok: bool,
    why: Option<String>,
    #[serde(default)]
    filled: Vec<String>,
    #[serde(default)]
    missing: Vec<String>,
}

/// What the page says after sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum PageSays {
    Accepted,
    Refused,
    Waiting,
}

/// What `outcome()` read; no state when the script failed (the page between documents).
#[derive(Debug, Deserialize)]
struct Said {
    state: Option<PageSays>,
    said: Option<String>,
    why: Option<String>,
}

/// What the probe does at the click: record the question (its row), or find it claimed by
/// another process (none), which sends it.
type Record<'a> = dyn FnMut() -> Result<Option<i64>> + 'a;

/// Puts each due question through the store's form (or, in a dry run, fills it and stops), and
/// records what happened in the history; returns this run's submissions.
pub async fn submit_due(
    scenario: &Scenario,
    evidence: &Evidence,
    history: &History,
    knowledge: &Arc<Knowledge>,
    chromium: Option<Arc<Chromium>>,
    mode: crate::probes::email::Mode,
    clock: &crate::clock::Clock,
) -> Result<Vec<Submission>> {
    let form = &scenario.form;
    let Some(shopper) = scenario.shopper.as_ref().filter(|_| form.enabled && !form.questions.is_empty()) else {
        return Ok(Vec::new());
    };
    let page = page(scenario, evidence)?;
    let hours = crate::model::evidence::PostedHours::for_email(&evidence.hours);
    let plan = Arc::new(Plan { page: page.clone(), script: script(&form.selectors, knowledge) });
    let mut out = Vec::new();
    for question in &form.questions {
        let Some((attempt, slot)) =
            crate::probes::email::due(scenario, history, &question.id, &page, hours, clock).await?
        else {
            continue;
        };
        let Some(chromium) = chromium.clone() else {
            let mut s = Submission::new(&question.id, &page, Submitted::Failed);
            s.said = Some("the contact-form probe works the form in the browser, and browser.enabled is false".into());
            out.push(s);
            continue;
        };
        let token = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
        let click = Click {
            plan: plan.clone(),
            values: Values {
                name: shopper.name.clone(),
                email: shopper.email.clone(),
                phone: shopper.phone.clone(),
                subject: subject(&question.text),
                message: with_token(&question.text, &token),
            },
            store: scenario.key.clone(),
            question: question.id.clone(),
            from: shopper.email.clone(),
            message_id: format!("<form.{token}@{}>", shopper.email.rsplit('@').next().unwrap_or("shopaudit.invalid")),
            token,
            attempt,
            slot,
            history: history.clone(),
            clock: clock.clone(),
            dry: mode == crate::probes::email::Mode::DryRun,
        };
        let runtime = tokio::runtime::Handle::current();
        let done = tokio::task::spawn_blocking(move || {
            let mut record = || runtime.block_on(click.history.begin_letter(&click.letter()));
            submit(&chromium, &click, if click.dry { None } else { Some(&mut record) })
        })
        .await
        .map_err(|e| Error::browser_by("the contact-form probe crashed", e))?;
        let (submission, row) = match done? {
            Some(done) => done,
            None => {
                tracing::info!("form question {} of {} was claimed by another process", question.id, scenario.key);
                continue;
            }
        };
        if let Some(row) = row {
            let said = submission.said.clone().unwrap_or_default();
            match submission.outcome {
                Submitted::Accepted => {
                    history.mark_sent(row, submission.sent_at.unwrap_or(clock.now().fixed_offset()), &said).await?
                }
                Submitted::Refused => history.mark_failed(row, &said, false).await?,
                _ => history.note_unconfirmed(row, &said).await?,
            }
        }
        out.push(submission);
    }
    Ok(out)
}

/// The page whose form is used: `form.page` on the store's site, else where the crawl found
/// the store's contact form, else the start page. Never another site.
fn page(scenario: &Scenario, evidence: &Evidence) -> Result<String> {
    let start = &scenario.store.url.0;
    let page = match &scenario.form.page {
        Some(p) => start.join(p).map_err(|e| Error::Usage(format!("form.page {p:?} is not an address: {e}")))?,
        None => match evidence.forms.forms.first().and_then(|f| url::Url::parse(&f.page).ok()) {
            Some(found) => found,
            None => start.clone(),
        },
    };
    let bare = |u: &url::Url| u.host_str().unwrap_or_default().trim_start_matches("www.").to_lowercase();
    if bare(&page) != bare(start) || page.port_or_known_default() != start.port_or_known_default() {
        return Err(Error::Usage(format!(
            "form.page {page} is not on the store's site ({start}): questions go only to the store"
        )));
    }
    Ok(page.to_string())
}

/// The page script, with the scenario's selectors and the knowledge's words in.
fn script(selectors: &BTreeMap<FormSelector, String>, k: &Knowledge) -> String {
    let words = &k.forms;
    let captchas: Vec<_> =
        words.captchas.iter().map(|c| serde_json::json!({ "id": c.id, "markers": c.markers })).collect();
    let mut json = serde_json::json!(words.submit);
    json["message"] = serde_json::json!(words.message);
    json["not_contact"] = serde_json::json!(words.not_contact);
    json["captchas"] = serde_json::json!(captchas);
    let named: serde_json::Map<String, serde_json::Value> =
        FormSelector::ALL.iter().map(|s| (s.as_str().to_string(), serde_json::json!(selectors.get(s)))).collect();
    browser::with_prelude(FORM_JS)
        .replace("SELECTORS", &serde_json::Value::Object(named).to_string())
        .replace("WORDS", &json.to_string())
}

/// The question with its token, which files the store's answer under it: where the text
/// says `{token}`, else on a line of its own at the end, as a reference.
fn with_token(text: &str, token: &str) -> String {
    if text.contains("{token}") {
        text.replace("{token}", token)
    } else {
        format!("{}\n\nRef. {token}", text.trim_end())
    }
}

/// A subject field gets the question's first words.
fn subject(text: &str) -> String {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let mut out = String::new();
    for word in first.split_whitespace() {
        if out.chars().count() + word.chars().count() > 60 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// One question through the form in a fresh tab, with the history's row of it when it was
/// recorded at the click; `Ok(None)` when another process claimed it.
fn submit(
    chromium: &Chromium,
    click: &Click,
    record: Option<&mut Record<'_>>,
) -> Result<Option<(Submission, Option<i64>)>> {
    let mut s = Submission::new(&click.question, &click.plan.page, Submitted::Failed);
    let tab = match chromium.browser().new_tab() {
        Ok(tab) => tab,
        Err(e) => {
            s.said = Some(format!("cannot open a tab: {e:#}"));
            return Ok(Some((s, None)));
        }
    };
    let mut row = None;
    let worked = work(&tab, click, record, &mut s, &mut row);
    let _ = tab.close(false);
    match worked {
        Ok(true) => Ok(Some((s, row))),
        Ok(false) => Ok(None),
        Err(Stop::History(e)) => Err(e),
        Err(Stop::Step(e)) => {
            // Before the click the store is not blamed and the question stays unsent; after it,
            // the question was sent and what followed is unknown.
            if s.sent_at.is_some() {
                s.outcome = Submitted::Unconfirmed;
            }
            s.said = Some(e.to_string());
            Ok(Some((s, row)))
        }
    }
}

/// Why the work in the tab stopped early.
enum Stop {
    Step(StepError),
    History(Error),
}

impl From<StepError> for Stop {
    fn from(e: StepError) -> Self {
        Stop::Step(e)
    }
}

/// Works the form in `tab` into `s`, and `row` once the question is recorded; false when
/// another process claimed it.
fn work(
    tab: &Tab,
    click: &Click,
    record: Option<&mut Record<'_>>,
    s: &mut Submission,
    row: &mut Option<i64>,
) -> std::result::Result<bool, Stop> {
    let (plan, values) = (&click.plan, &click.values);
    browser::emulate(tab, Viewport::Desktop)?;
    browser::navigate(tab, &plan.page)?;
    let mut frames = Frames::new(tab);
    let run = |frames: &mut Frames<'_>, place: &Place, action: &str| {
        frames.evaluate(place, &plan.script.replace("ACTION", &format!("actions.{action}")))
    };
    // The form in any document, else a button that shows one.
    let find = |frames: &mut Frames<'_>| -> Step<Option<(Place, Found)>> {
        let mut opener = None;
        for place in frames.places()? {
            let Ok(json) = run(frames, &place, "find()") else { continue };
            let found: Found = serde_json::from_str(&json).map_err(StepError::answer("form script"))?;
            if found.form {
                return Ok(Some((place, found)));
            }
            if found.opener && opener.is_none() {
                opener = Some((place, found));
            }
        }
        Ok(opener)
    };
    let mut located = browser::poll(FORM_WAIT, POLL, || find(&mut frames))?;
    let mut behind_button = false;
    if let Some((place, _)) = located.take_if(|(_, f)| !f.form) {
        // Behind a button: one click on it, as a buyer opens the modal.
        let element = plan.script.replace("ACTION", "actions.opener()");
        if frames.click(&place, &element)? {
            behind_button = true;
            located = browser::poll(FORM_WAIT, POLL, || Ok(find(&mut frames)?.filter(|(_, f)| f.form)))?;
        }
    }
    let Some((place, found)) = located else {
        s.outcome = Submitted::NotFound;
        s.said = Some(format!("no contact form on {} (form.selectors.form names one)", plan.page));
        shot(tab, s, Moment::Start);
        return Ok(true);
    };
    s.place = Some(
        match (&place, behind_button) {
            (Place::Frame(_), _) => "in a frame of another site",
            (_, true) => "behind a button",
            _ => "on the page",
        }
        .to_string(),
    );
    if let Some(captcha) = found.captcha {
        s.outcome = Submitted::Blocked;
        s.said = Some(format!("a CAPTCHA ({captcha}) guards the form; shopaudit never solves one"));
        s.filled = found.fields;
        shot(tab, s, Moment::Start);
        return Ok(true);
    }
    let values_json = serde_json::to_string(values).map_err(StepError::answer("the shopper's values"))?;
    let filled: Filled = serde_json::from_str(&run(&mut frames, &place, &format!("fill({values_json})"))?)
        .map_err(StepError::answer("form script"))?;
    if !filled.ok {
        return Err(StepError::page(filled.why.unwrap_or_else(|| "the form could not be filled".into())).into());
    }
    s.filled = filled.filled;
    shot(tab, s, Moment::Start);
    if !filled.missing.is_empty() {
        s.outcome = Submitted::Blocked;
        s.said = Some(format!("the form requires what the scenario does not give: {}", filled.missing.join(", ")));
        return Ok(true);
    }
    let Some(record) = record else {
        s.outcome = Submitted::DryRun;
        s.said = Some("filled, not sent (--dry-run)".into());
        return Ok(true);
    };
    let before = run(&mut frames, &place, "text()")?;
    let Some(recorded) = record().map_err(Stop::History)? else {
        return Ok(false);
    };
    *row = Some(recorded);
    s.sent_at = Some(click.clock.now().fixed_offset());
    let started = Instant::now();
    let button = plan.script.replace("ACTION", "actions.submit()");
    if !frames.click(&place, &button)? {
        let sent: Filled =
            serde_json::from_str(&run(&mut frames, &place, "send()")?).map_err(StepError::answer("form script"))?;
        if !sent.ok {
            return Err(StepError::page(sent.why.unwrap_or_default()).into());
        }
    }
    let before_js = serde_json::to_string(&before).map_err(StepError::answer("page text"))?;
    let mut last_error = None;
    let said = browser::poll(OUTCOME_WAIT, POLL, || {
        // The page may be between documents after the click: read it again next time.
        match run(&mut frames, &place, &format!("outcome({before_js})")) {
            Ok(json) => {
                let said: Said = serde_json::from_str(&json).map_err(StepError::answer("form script"))?;
                if said.state.is_none() {
                    last_error = said.why.clone();
                }
                Ok(said.state.is_some_and(|s| s != PageSays::Waiting).then_some(said))
            }
            Err(e) => {
                last_error = Some(e.to_string());
                Ok(None)
            }
        }
    })?;
    shot(tab, s, Moment::Answer);
    match said {
        Some(Said { state, said, .. }) => {
            s.outcome = if state == Some(PageSays::Accepted) { Submitted::Accepted } else { Submitted::Refused };
            s.said = said.filter(|t| !t.is_empty());
        }
        None => {
            s.outcome = Submitted::Refused;
            let waited = started.elapsed().as_secs();
            s.said = Some(match last_error {
                Some(e) => format!("nothing readable showed within {waited} s after sending ({e})"),
                None => format!("the page showed nothing within {waited} s after sending"),
            });
        }
    }
    Ok(true)
}

fn shot(tab: &Tab, s: &mut Submission, moment: Moment) {
    if let Some(image) = browser::screenshot(tab) {
        s.screenshots.push(Screenshot { moment, image });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_goes_where_the_text_says_or_at_the_end() {
        assert_eq!(with_token("Есть ли размер 42?\n", "ab12"), "Есть ли размер 42?\n\nRef. ab12");
        assert_eq!(with_token("Заказ {token}: есть ли размер 42?", "ab12"), "Заказ ab12: есть ли размер 42?");
    }

    #[test]
    fn questions_go_only_to_the_stores_own_site() {
        let url = crate::scenario::WebUrl(url::Url::parse("https://www.shop.example/").unwrap());
        let mut scenario = Scenario::for_url(url);
        let mut evidence = Evidence::default();
        assert_eq!(page(&scenario, &evidence).unwrap(), "https://www.shop.example/");
        evidence.forms.forms.push(crate::model::evidence::ContactForm {
            page: "https://www.shop.example/contacts".into(),
            action: None,
            vendor: None,
            fields: Vec::new(),
            consent: false,
            captcha: None,
        });
        assert_eq!(
            page(&scenario, &evidence).unwrap(),
            "https://www.shop.example/contacts",
            "where the crawl found it"
        );
        scenario.form.page = Some("/feedback".into());
        assert_eq!(page(&scenario, &evidence).unwrap(), "https://www.shop.example/feedback");
        scenario.form.page = Some("https://shop.example/help".into());
        assert!(page(&scenario, &evidence).is_ok(), "with or without www");
        for elsewhere in
            ["https://elsewhere.example/contact", "https://www.shop.example:8443/contact", "//evil.example/x"]
        {
            scenario.form.page = Some(elsewhere.into());
            let err = page(&scenario, &evidence).unwrap_err().to_string();
            assert!(err.contains("is not on the store's site"), "{elsewhere}: {err}");
        }
    }

    #[test]
    fn a_subject_is_the_questions_first_words() {
        assert_eq!(subject("\n Do you have the Runner in size 42?\nAnna"), "Do you have the Runner in size 42?");
        let long = "word ".repeat(30);
        assert!(subject(&long).chars().count() <= 60);
    }
}
