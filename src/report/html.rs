//! The HTML report for a store owner: one self-contained file (styles inline, images as data
//! URIs, no external resources), rendered with minijinja from `reports/report.html.j2`.
//! Auto-escaping is on, so nothing taken from the store's pages can become markup.

use minijinja::{context, Environment};

use super::Report;
use crate::checks::find;
use crate::error::{Error, Result};
use crate::model::Outcome;

const TEMPLATE: &str = include_str!("../../reports/report.html.j2");
const STYLE: &str = include_str!("../../reports/report.css");

/// Renders the HTML report.
pub fn render(report: &Report) -> Result<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_filter("href", safe_href);
    env.add_filter("duration", crate::model::time::maybe_duration);
    let timezone = report.store.timezone.clone();
    env.add_filter("when", move |at: Option<String>| {
        at.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map_or_else(|| "—".to_string(), |t| crate::model::time::local_time(t, timezone.as_deref()))
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
    let score = report.summary.score;
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
                availability => report.evidence.compliance.as_ref().and_then(availability_svg).map(minijinja::Value::from_safe_string),
                responses => report.evidence.compliance.as_ref().and_then(|c| {
                    let deadline = report.evidence.email_probes.iter().map(|l| l.sla_ms).max().unwrap_or(0);
                    response_svg(c, deadline)
                }).map(minijinja::Value::from_safe_string),
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
                crate::model::evidence::ChatStatus::Online => "online",
                crate::model::evidence::ChatStatus::Offline => "offline",
                crate::model::evidence::ChatStatus::Unknown => "status unknown",
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

/// The availability chart: chat readings by local weekday and hour, green when online, red
/// when not, outlined inside the posted hours. Only numbers and our own labels go in.
pub fn availability_svg(c: &crate::model::evidence::Compliance) -> Option<String> {
    if c.availability.is_empty() {
        return None;
    }
    let (cell, left, top) = (22, 34, 18);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"chat availability by hour of the week\" class=\"chart\">",
        left + 24 * cell + 4,
        top + 7 * cell + 4
    );
    for h in (0..24).step_by(3) {
        svg += &format!("<text x=\"{}\" y=\"12\" font-size=\"10\">{h:02}</text>", left + h * cell + 2);
    }
    for (d, day) in ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"].iter().enumerate() {
        svg += &format!("<text x=\"4\" y=\"{}\" font-size=\"11\">{day}</text>", top + d * cell + 15);
        for h in 0..24 {
            let found = c.availability.iter().find(|x| x.day as usize == d && x.hour as usize == h);
            let fill = match found {
                None => "#f1f5f9".to_string(),
                Some(x) => {
                    let share = x.online as f64 / x.checks.max(1) as f64;
                    format!("hsl({:.0},70%,55%)", share * 120.0)
                }
            };
            let stroke =
                if found.is_some_and(|x| x.in_hours) { " stroke=\"#0f172a\" stroke-width=\"1.5\"" } else { "" };
            let title = found.map_or(String::new(), |x| {
                format!("<title>{day} {h:02}:00: online in {} of {}</title>", x.online, x.checks)
            });
            svg += &format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" fill=\"{fill}\"{stroke}>{title}</rect>",
                left + h * cell,
                top + d * cell,
                cell - 3,
                cell - 3
            );
        }
    }
    Some(svg + "</svg>")
}

/// The response-time chart: one bar per answered letter in order, calendar time, with the part
/// inside posted hours darker; the dashed line is the longest deadline.
fn response_svg(c: &crate::model::evidence::Compliance, deadline_ms: u64) -> Option<String> {
    if c.response_times.is_empty() {
        return None;
    }
    let hours = |ms: u64| ms as f64 / 3_600_000.0;
    let max =
        c.response_times.iter().map(|p| hours(p.first_human_response_ms)).fold(hours(deadline_ms), f64::max).max(1.0);
    let (w, h, left, bar) = (560.0, 160.0, 40.0, (520.0 / c.response_times.len() as f64).min(40.0));
    let y = |v: f64| 10.0 + (h - 10.0) * (1.0 - v / max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {}\" role=\"img\" aria-label=\"first human answer per letter\" class=\"chart\">",
        h + 20.0
    );
    svg += &format!(
        "<text x=\"0\" y=\"14\" font-size=\"10\">{max:.0} h</text><text x=\"0\" y=\"{h}\" font-size=\"10\">0</text>"
    );
    for (i, p) in c.response_times.iter().enumerate() {
        let x = left + i as f64 * bar;
        let total = hours(p.first_human_response_ms);
        svg += &format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#93c5fd\"><title>{}: {}</title></rect>",
            y(total),
            bar - 3.0,
            h - y(total),
            p.sent_at.format("%Y-%m-%d %H:%M"),
            crate::model::time::human_duration(p.first_human_response_ms)
        );
        if let Some(b) = p.business_ms {
            svg += &format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#1d4ed8\"/>",
                y(hours(b)),
                bar - 3.0,
                h - y(hours(b))
            );
        }
    }
    let line = y(hours(deadline_ms));
    svg += &format!(
        "<line x1=\"{left}\" x2=\"{w}\" y1=\"{line:.1}\" y2=\"{line:.1}\" stroke=\"#dc2626\" stroke-dasharray=\"4 3\"/>"
    );
    Some(svg + "</svg>")
}
