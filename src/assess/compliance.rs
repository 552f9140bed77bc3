//! Whether the store keeps its posted hours over time: every chat status the browser read and
//! every letter's answer, as the history holds them, held against the posted opening_hours in
//! the store's zone. Pure: the caller reads the history. "24/7" on the page, yet the chat was offline in 7 of 10 readings inside those
//! hours, is what `hours.honored` reports.

use chrono::{Datelike, Timelike};

use crate::history::Observation;
use crate::model::evidence::LetterState::{Acknowledged, Answered, Unanswered};
use crate::model::evidence::{ChatStatus, Compliance, EmailProbe, HourOfWeek, PostedHours, ResponsePoint};
use crate::model::{Channel, Thresholds};

/// The store's history held against its posted hours; `None` when the history holds nothing
/// about it yet.
pub fn assess(
    observations: &[Observation],
    tz: chrono_tz::Tz,
    posted: &[PostedHours],
    letters: &[EmailProbe],
    thresholds: Thresholds,
) -> Option<Compliance> {
    let judged: Vec<&EmailProbe> = letters
        .iter()
        .filter(|l| l.sent_at.is_some() && matches!(l.state, Answered | Unanswered | Acknowledged))
        .filter(|l| l.state != Acknowledged || l.first_human_response_ms.is_some())
        .collect();
    if observations.is_empty() && judged.is_empty() {
        return None;
    }
    let hours_for = |channels: &[Channel]| {
        channels.iter().find_map(|c| posted.iter().find(|h| h.channel == *c).and_then(|h| h.opening_hours.clone()))
    };
    let chat_hours = hours_for(&[Channel::Chat, Channel::Support]);
    let mut c = Compliance {
        hours: chat_hours.clone(),
        timezone: tz.name().to_string(),
        chat_checks: observations.len(),
        thresholds,
        ..Default::default()
    };
    for o in observations {
        let local = o.at.with_timezone(&tz);
        let in_hours = chat_hours.as_deref().and_then(|h| crate::business_time::is_open(h, tz, o.at)).unwrap_or(false);
        let online = o.status == ChatStatus::Online;
        let (day, hour) = (local.weekday().num_days_from_monday(), local.hour());
        match c.availability.iter_mut().find(|h| h.day == day && h.hour == hour) {
            Some(cell) => {
                cell.checks += 1;
                cell.online += usize::from(online);
            }
            None => c.availability.push(HourOfWeek { day, hour, checks: 1, online: usize::from(online), in_hours }),
        }
        if in_hours && o.status != ChatStatus::Unknown {
            c.chat_in_hours += 1;
            if online {
                c.chat_online_in_hours += 1;
            } else {
                if let Some(image) = &o.screenshot {
                    c.chat_failure_shots.push(crate::model::evidence::Screenshot {
                        moment: format!("{} ({}), {}", local.format("%a %Y-%m-%d %H:%M"), tz.name(), o.viewport),
                        image: image.clone(),
                    });
                }
                c.chat_failures.push(format!(
                    "{} ({}, inside {}): {} on {} ({}), {}",
                    local.format("%a %Y-%m-%d %H:%M"),
                    tz.name(),
                    chat_hours.as_deref().unwrap_or_default(),
                    o.status,
                    o.page,
                    o.viewport,
                    o.how
                ));
            }
        }
    }
    c.availability.sort_by_key(|h| (h.day, h.hour));
    let keep = c.chat_failure_shots.len().saturating_sub(6);
    c.chat_failure_shots.drain(..keep);
    c.chat_online_in_hours_share =
        (c.chat_in_hours > 0).then(|| c.chat_online_in_hours as f64 / c.chat_in_hours as f64);
    for l in &judged {
        c.letters += 1;
        // In posted hours when the store posts them, else in calendar time.
        let took = l.first_human_response_business_ms.or(l.first_human_response_ms);
        match took {
            Some(ms) if ms <= l.sla_ms => c.letters_within_sla += 1,
            Some(ms) => c.letter_failures.push(format!(
                "{}: answered after {} ({}), deadline {}",
                l.id,
                crate::model::time::human_duration(ms),
                if l.first_human_response_business_ms.is_some() { "in posted hours" } else { "calendar time" },
                crate::model::time::human_duration(l.sla_ms)
            )),
            None => c.letter_failures.push(format!(
                "{}: no answer by a person within {}",
                l.id,
                crate::model::time::human_duration(l.sla_ms)
            )),
        }
        if let (Some(sent_at), Some(ms)) = (l.sent_at, l.first_human_response_ms) {
            c.response_times.push(ResponsePoint {
                sent_at,
                first_human_response_ms: ms,
                business_ms: l.first_human_response_business_ms,
            });
        }
    }
    Some(c)
}
