//! The check catalogue (docs/CHECKS.md): each check is a small value with an id, titles for
//! pass and failure, why it matters, its severity, the evidence it reads, and one pure
//! function. The registry [`CHECKS`] is the single list the runner, the CLI
//! (`shopaudit checks`, `explain`) and the scenario's `skip` key use. Adding a check is adding
//! one item here and its tests.

mod chat;
mod contacts;
mod conversation;
mod email;
mod forms;
mod hours;
mod photos;
mod reading;
mod site;
mod ux;

use crate::knowledge::Knowledge;
use crate::model::evidence::{Evidence, Page, Visit};
use crate::model::{CheckId, Finding, Outcome, Severity};

/// What a check reads.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The store's display name.
    pub store: &'a str,
    /// The crawled pages, start page first.
    pub pages: &'a [Page],
    /// The evidence.
    pub evidence: &'a Evidence,
    /// Static knowledge (for example which addresses are not for customers).
    pub knowledge: &'a Knowledge,
}

/// A check's conclusion before the runner adds the check's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome.
    pub outcome: Outcome,
    /// One or two sentences for the store owner.
    pub detail: String,
    /// Pages, quotes, images that back it.
    pub evidence: Vec<String>,
}

impl Verdict {
    fn new(outcome: Outcome, detail: impl Into<String>, evidence: Vec<String>) -> Self {
        Verdict { outcome, detail: detail.into(), evidence }
    }
    fn pass(detail: impl Into<String>, evidence: Vec<String>) -> Self {
        Self::new(Outcome::Pass, detail, evidence)
    }
    fn fail(detail: impl Into<String>, evidence: Vec<String>) -> Self {
        Self::new(Outcome::Fail, detail, evidence)
    }
    fn warn(detail: impl Into<String>, evidence: Vec<String>) -> Self {
        Self::new(Outcome::Warn, detail, evidence)
    }
    fn not_applicable(detail: impl Into<String>) -> Self {
        Self::new(Outcome::NotApplicable, detail, Vec::new())
    }
    fn error(detail: impl Into<String>) -> Self {
        Self::new(Outcome::Error, detail, Vec::new())
    }
}

/// One check of the catalogue.
#[derive(Debug)]
pub struct Check {
    /// Stable id, e.g. `contacts.single_email`.
    pub id: CheckId,
    /// Title when it passes.
    pub title: &'static str,
    /// Title when it fails.
    pub failure_title: &'static str,
    /// Why it matters, for a store owner.
    pub description: &'static str,
    /// How much a failure hurts.
    pub severity: Severity,
    /// The evidence it reads (`evidence.contacts`, `pages` ...).
    pub reads: &'static [&'static str],
    /// The rule.
    pub run: fn(&Input<'_>) -> Judged,
}

/// What a rule returns. `Err` is a verdict reached before the rule could judge (its probe did
/// not run or broke), so rules share their preconditions as helpers used with `?`.
pub type Judged = Result<Verdict, Verdict>;

/// Every check, in report order.
pub static CHECKS: &[Check] = &[
    chat::PRESENT,
    chat::ON_EVERY_PAGE,
    chat::VISIBLE,
    chat::ONLINE,
    chat::OFFLINE_FALLBACK,
    chat::OPERATOR_IDENTITY,
    chat::BRANDING,
    conversation::ANSWERS,
    conversation::LITERACY,
    contacts::ON_HOME,
    contacts::SINGLE_EMAIL,
    contacts::CHANNELS,
    forms::PRESENT,
    forms::ACCEPTS,
    forms::ANSWERED,
    forms::FIRST_RESPONSE_TIME,
    hours::POSTED,
    hours::ON_HOME,
    hours::HONORED,
    photos::NO_STOCK_STAFF,
    site::HTTPS,
    site::PRIVACY_POLICY,
    site::FAQ,
    ux::NO_INTRUSIVE_POPUP,
    ux::NO_AUTOPLAY_AUDIO,
    email::ANSWERED,
    email::FIRST_RESPONSE_TIME,
    email::ACKNOWLEDGED,
    email::TICKET_REFERENCE,
    email::PERSONAL_SIGNATURE,
    email::ANSWER_QUALITY,
    email::LITERACY,
];

/// The check with this id.
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id.as_str() == id)
}

/// Runs every check not in `skip`.
pub fn run(input: &Input<'_>, skip: &[CheckId]) -> Vec<Finding> {
    CHECKS
        .iter()
        .filter(|c| !skip.contains(&c.id))
        .map(|c| {
            let verdict = if input.pages.iter().all(|p| p.error.is_some()) {
                Verdict::error("no page of the store could be read, so there is nothing to judge")
            } else {
                (c.run)(input).unwrap_or_else(|early| early)
            };
            let title = if matches!(verdict.outcome, Outcome::Pass | Outcome::NotApplicable) {
                c.title
            } else {
                c.failure_title
            };
            Finding {
                check: c.id.as_str().to_string(),
                outcome: verdict.outcome,
                severity: c.severity,
                title: title.to_string(),
                detail: verdict.detail,
                evidence: verdict.evidence,
            }
        })
        .collect()
}

/// Pages that were read (no error), with the URL they ended at.
fn read_pages<'a>(input: &Input<'a>) -> impl Iterator<Item = (&'a Page, &'a str)> {
    input.pages.iter().filter(|p| p.error.is_none()).map(|p| (p, p.final_url.as_deref().unwrap_or(&p.url)))
}

/// The start page's final URL.
fn home_url<'a>(input: &Input<'a>) -> Option<&'a str> {
    input.pages.first().map(|p| p.final_url.as_deref().unwrap_or(&p.url))
}

/// The browser's successful visits, or the verdict to give when there are none: the browser
/// probe did not run (not applicable) or could not look (error).
fn browser_visits<'a>(input: &Input<'a>) -> Result<Vec<&'a Visit>, Verdict> {
    let Some(browser) = &input.evidence.browser else {
        return Err(Verdict::not_applicable(
            "The browser probe did not run (--no-browser, or browser.enabled = false).",
        ));
    };
    if let Some(why) = &browser.error {
        return Err(Verdict::error(format!("The browser could not look at the store: {why}")));
    }
    let ok: Vec<_> = browser.visits.iter().filter(|v| v.error.is_none()).collect();
    if ok.is_empty() {
        let why: Vec<String> = browser.visits.iter().filter_map(|v| v.error.clone()).collect();
        return Err(Verdict::error(format!("No page could be opened in the browser: {}.", list(&why, 2))));
    }
    Ok(ok)
}

/// "the home page (mobile)" style label for a visit.
fn where_(v: &Visit) -> String {
    format!("{} ({})", v.page, v.viewport.as_str())
}

/// "a, b, c and 4 more" for short details.
fn list(items: &[String], most: usize) -> String {
    match items.len() {
        n if n <= most => items.join(", "),
        n => format!("{} and {} more", items[..most].join(", "), n - most),
    }
}

#[cfg(test)]
mod cases;
#[cfg(test)]
mod tests;
