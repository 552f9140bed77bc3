//! The HTML report for a store owner: one self-contained file (styles inline, images as data
//! URIs, no external resources), rendered with minijinja from `reports/report.html.j2`.
//! Auto-escaping is on, so nothing taken from the store's pages can become markup.

use minijinja::{context, Environment};

use super::Report;
use crate::checks::{find, Outcome};
use crate::error::{Error, Result};

const TEMPLATE: &str = include_str!("../../reports/report.html.j2");
const STYLE: &str = include_str!("../../reports/report.css");

/// Renders the HTML report.
pub fn render(report: &Report) -> Result<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_filter("href", safe_href);
    env.add_filter("duration", |ms: Option<u64>| ms.map_or_else(|| "—".to_string(), super::human_duration));
    env.add_filter("when", |at: Option<String>| {
        at.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map_or_else(|| "—".to_string(), |t| t.format("%Y-%m-%d %H:%M %:z").to_string())
    });
    env.add_template("report.html", TEMPLATE).map_err(bundled)?;
    let problems: Vec<_> = report
        .problems()
        .into_iter()
        .map(|f| {
            let check = find(&f.check);
            context! {
                finding => f,
                severity => f.severity.as_str(),
                why => check.map(|c| c.description).unwrap_or_default(),
            }
        })
        .collect();
    let judged = report.summary.pass + report.summary.fail + report.summary.warn;
    let score = (report.summary.pass * 100 + report.summary.warn * 50).checked_div(judged);
    let staff_photos: Vec<_> = report.evidence.images.iter().filter(|i| i.staff).collect();
    let shots = browser_shots(report);
    let worst = report.problems().first().map(|f| f.outcome == Outcome::Fail);
    env.get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                r => report,
                style => minijinja::Value::from_safe_string(STYLE.to_string()),
                problems,
                score,
                worst,
                staff_photos,
                shots,
                browser => report.evidence.browser.as_ref().map(|b| context! {
                    product => b.product.clone(),
                    observe_s => b.observe_ms / 1000,
                    error => b.error.clone(),
                }),
                pages_read => report.pages.iter().filter(|p| p.error.is_none()).count(),
                started => report.run.started_at.format("%Y-%m-%d %H:%M %:z").to_string(),
            })
        })
        .map_err(bundled)
}

/// Screenshots worth showing: every visit that found a chat or was ambushed, and the start
/// page, each with a caption of what the browser saw.
fn browser_shots(report: &Report) -> Vec<minijinja::Value> {
    let Some(browser) = &report.evidence.browser else { return Vec::new() };
    let home = report.pages.first().map(|p| p.final_url.clone().unwrap_or_else(|| p.url.clone()));
    let mut shots = Vec::new();
    for v in browser.visits.iter().filter(|v| v.error.is_none()) {
        let invitations: Vec<_> = v.popups.iter().filter(|p| p.is_invitation()).collect();
        let interesting = !v.chats.is_empty() || !invitations.is_empty() || Some(&v.page) == home.as_ref();
        if !interesting {
            continue;
        }
        let mut notes = Vec::new();
        let mut bad = false;
        for c in &v.chats {
            let launcher = match &c.launcher {
                Some(l) if l.problems.is_empty() => "button visible".to_string(),
                Some(l) => {
                    bad = true;
                    l.problems.join(", ")
                }
                None => "no button found".to_string(),
            };
            let status = match c.status {
                crate::evidence::ChatStatus::Online => "online",
                crate::evidence::ChatStatus::Offline => "offline",
                crate::evidence::ChatStatus::Unknown => "status unknown",
            };
            notes.push(format!("{}: {status}, {launcher}", c.vendor));
        }
        for p in &invitations {
            bad = true;
            notes.push(format!(
                "“{}” opened by itself after {:.1} s",
                p.text.chars().take(60).collect::<String>(),
                p.opened_at as f64 / 1000.0
            ));
        }
        if v.chats.is_empty() {
            notes.push("no chat widget".to_string());
        }
        let image = v.popup_screenshot.clone().filter(|_| !invitations.is_empty()).or_else(|| v.screenshot.clone());
        shots.push(context! { page => v.page.clone(), viewport => v.viewport.as_str(), image, notes, bad });
    }
    shots
}

fn bundled(e: minijinja::Error) -> Error {
    Error::Bundled { file: "reports/report.html.j2", message: format!("{e:#}") }
}

/// Only http(s) and data:image URLs become links or image sources; anything else (such as
/// `javascript:`) is replaced by "#".
fn safe_href(url: String) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("data:image/jpeg;base64,") {
        url
    } else {
        "#".to_string()
    }
}
