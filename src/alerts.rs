//! Telling the agency when a store gets worse (`[alerts]` in portfolio.toml): a new regression,
//! a store that could not be audited twice in a row, the chat offline inside posted hours
//! several readings in a row, a letter unanswered past its deadline. Each event is found from
//! the history ([`events`], pure), claimed there, and only then sent (a webhook in the shape
//! Slack and Mattermost take, and e-mail), so it is told once whichever run or worker sees
//! it first; one that could not be delivered is given back for the next run.

use chrono::{DateTime, FixedOffset};

use crate::error::{Error, Result};
use crate::history::{History, Observation, RunRow, Unaudited};
use crate::model::evidence::ChatStatus;
use crate::model::{Report, StoreKey};
use crate::scenario::alerts::{Alerts, CHAT_OFFLINE_READINGS};

crate::model::named_enum! {
    /// What happened.
    pub enum Kind ("alert") {
        /// Checks fail that passed in the audit before.
        Regression = "regression",
        /// The store could not be audited, twice in a row or more.
        Unaudited = "unaudited",
        /// The chat was offline inside posted hours, readings in a row.
        ChatOffline = "chat offline",
        /// A letter went unanswered past its deadline.
        Unanswered = "unanswered",
    }
}

/// One thing to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The store.
    pub store: StoreKey,
    /// What happened.
    pub kind: Kind,
    /// Names this event among all of the store's: the same event found again has the same
    /// key, so it is told once.
    pub key: String,
    /// What to tell, in a sentence.
    pub text: String,
}

/// What the history says about one store, for [`events`].
pub struct Seen<'a> {
    /// The store.
    pub store: &'a StoreKey,
    /// Its name.
    pub name: &'a str,
    /// Its kept runs, oldest first.
    pub runs: &'a [RunRow],
    /// Its audits that could not run, oldest first.
    pub unaudited: &'a [Unaudited],
    /// Its chat readings, oldest first.
    pub readings: &'a [Observation],
    /// Its latest report.
    pub latest: Option<&'a Report>,
}

/// The events in what the history says of a store; `offline_readings` readings in a row make a
/// chat alert.
pub fn events(seen: &Seen<'_>, offline_readings: usize) -> Vec<Event> {
    let event = |kind: Kind, key: String, text: String| Event { store: seen.store.clone(), kind, key, text };
    let mut out = Vec::new();
    if let Some(latest) = seen.runs.last() {
        let worse = RunRow::regressions(seen.runs);
        if !worse.is_empty() {
            let checks = worse.join(", ");
            let text = format!("{} got worse: {checks} now failing (passed in the audit before)", seen.name);
            out.push(event(Kind::Regression, format!("regression {}", latest.id), text));
        }
    }
    let since = seen.runs.last().map(|r| r.started_at);
    let streak: Vec<&Unaudited> = seen.unaudited.iter().filter(|u| since.is_none_or(|s| u.at > s)).collect();
    if let [first, .., last] = streak.as_slice() {
        let text = format!("{} could not be audited {} times in a row: {}", seen.name, streak.len(), last.error);
        out.push(event(Kind::Unaudited, format!("unaudited since {}", first.at.to_rfc3339()), text));
    }
    if let Some(first) = offline_streak(seen, offline_readings) {
        let text = format!(
            "{}: the chat was offline inside posted hours {offline_readings} readings in a row, since {}",
            seen.name,
            first.format("%Y-%m-%d %H:%M %:z")
        );
        out.push(event(Kind::ChatOffline, format!("chat offline since {}", first.to_rfc3339()), text));
    }
    for letter in seen.latest.iter().flat_map(|r| &r.evidence.email_probes) {
        if letter.state.unanswered() {
            let sent = letter.sent_at.map_or_else(String::new, |t| t.format(" sent %Y-%m-%d %H:%M %:z").to_string());
            let text = format!(
                "{}: letter \"{}\"{sent} has no answer from a person past its deadline ({})",
                seen.name,
                letter.id,
                crate::model::time::human_duration(letter.sla_ms)
            );
            out.push(event(Kind::Unanswered, format!("unanswered {}", letter.message_id), text));
        }
    }
    out
}

/// When the latest unbroken run of at least `n` readings inside posted hours with the chat not
/// online began (readings outside posted hours neither count nor break it).
fn offline_streak(seen: &Seen<'_>, n: usize) -> Option<DateTime<FixedOffset>> {
    let compliance = seen.latest?.evidence.compliance.as_ref()?;
    let hours = compliance.hours.as_deref()?;
    let tz: chrono_tz::Tz = compliance.timezone.parse().ok()?;
    let mut streak = Vec::new();
    for o in seen.readings.iter().rev() {
        if o.status == ChatStatus::Unknown || crate::business_time::is_open(hours, tz, o.at) != Some(true) {
            continue;
        }
        if o.status == ChatStatus::Online {
            break;
        }
        streak.push(o.at);
    }
    (streak.len() >= n).then(|| streak.last().copied()).flatten()
}

/// Finds each store's events and tells the new ones, to the portfolio's `[alerts]` and to the
/// store's own; `link` gives where to read more about a store. Returns what could not be told,
/// and why (given back for the next run, which tells it again wherever it goes).
pub async fn raise(
    history: &History,
    portfolio: Option<&Alerts>,
    stores: &[(StoreKey, Option<Alerts>)],
    link: &(dyn Fn(&StoreKey) -> Option<String> + Sync),
    now: DateTime<FixedOffset>,
) -> Result<Vec<String>> {
    let mut trouble = Vec::new();
    for (store, own) in stores {
        let told: Vec<&Alerts> = portfolio.into_iter().chain(own.as_ref()).collect();
        if told.is_empty() {
            continue;
        }
        // The store's own threshold, else the portfolio's.
        let readings = told.iter().rev().find_map(|a| a.chat_offline_readings).unwrap_or(CHAT_OFFLINE_READINGS);
        let runs = history.runs(Some(store)).await?;
        let latest = history.latest_run(store).await?.map(|(r, _)| r);
        let seen = Seen {
            store,
            name: latest.as_ref().map_or(store.as_str(), |r| r.store.name.as_str()),
            runs: &runs,
            unaudited: &history.unaudited(Some(store)).await?,
            readings: &history.observations(store).await?,
            latest: latest.as_ref(),
        };
        for event in events(&seen, readings) {
            if !history.claim_alert(store, &event.key, now).await? {
                continue;
            }
            let text = match link(store) {
                Some(link) => format!("shopaudit: {} {link}", event.text),
                None => format!("shopaudit: {}", event.text),
            };
            let mut failed = Vec::new();
            for alerts in &told {
                if let Err(e) = deliver(alerts, &event, &text).await {
                    failed.push(format!("{} alert for {store}: {e}", event.kind));
                }
            }
            if failed.is_empty() {
                tracing::info!(store = %store, "alert told: {}", event.text);
            } else {
                history.release_alert(store, &event.key).await?;
                trouble.extend(failed);
            }
        }
    }
    Ok(trouble)
}

/// Sends one alert everywhere `[alerts]` says.
async fn deliver(alerts: &Alerts, event: &Event, text: &str) -> Result<()> {
    if let Some(secret) = alerts.webhook() {
        let url = secret.read()?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .map_err(|e| Error::Usage(format!("no HTTP client: {e}")))?;
        // The webhook's address is a secret: errors are told without it.
        let answer = client
            .post(url.trim())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::json!({ "text": text }).to_string())
            .send()
            .await
            .map_err(|e| Error::Usage(format!("the webhook: {}", crate::error::chain(&e.without_url()))))?;
        if !answer.status().is_success() {
            return Err(Error::Usage(format!("the webhook answered HTTP {}", answer.status().as_u16())));
        }
    }
    if let (Some(smtp), Some(from), false) = (&alerts.smtp, &alerts.email_from, alerts.email_to.is_empty()) {
        use lettre::AsyncTransport;
        let bad = |what: &str, e: Box<dyn std::error::Error + Send + Sync>| {
            Error::email_by(format!("alert e-mail: {what}"), e)
        };
        let mut message = lettre::Message::builder()
            .from(from.parse().map_err(|e| bad("email_from", Box::new(e)))?)
            .subject(format!("shopaudit: {} ({})", event.kind, event.store));
        for to in &alerts.email_to {
            message = message.to(to.parse().map_err(|e| bad("email_to", Box::new(e)))?);
        }
        let message = message.body(text.to_string()).map_err(|e| bad("the message", Box::new(e)))?;
        crate::probes::email::transport(smtp)?.send(message).await.map_err(|e| bad("sending", Box::new(e)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::Compliance;

    fn at(hour: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-11-02T{hour:02}:00:00+00:00")).unwrap()
        // a Monday
    }

    fn run(id: &str, hour: u32, failing: &[&str]) -> RunRow {
        RunRow {
            id: id.into(),
            store: StoreKey::new("s"),
            name: "S".into(),
            started_at: at(hour),
            score: Some(50),
            failing: failing.iter().map(|c| c.to_string()).collect(),
            out_dir: None,
        }
    }

    fn reading(hour: u32, status: ChatStatus) -> Observation {
        Observation {
            at: at(hour),
            page: "/".into(),
            viewport: crate::model::Viewport::Desktop,
            vendor: "jivo".into(),
            status,
            how: "api".into(),
            screenshot: None,
        }
    }

    fn kinds(events: &[Event]) -> Vec<Kind> {
        events.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn a_regression_and_two_failed_audits_in_a_row_are_events_and_one_is_not() {
        let store = StoreKey::new("s");
        let runs = [run("r1", 1, &["a"]), run("r2", 2, &["a", "b"])];
        let failed = |hour| Unaudited { store: store.clone(), at: at(hour), error: "HTTP 404".into() };
        let found = |unaudited: &[Unaudited]| {
            events(&Seen { store: &store, name: "S", runs: &runs, unaudited, readings: &[], latest: None }, 3)
        };
        let once = found(&[failed(3)]);
        assert_eq!(kinds(&once), [Kind::Regression]);
        assert!(once[0].text.contains("b now failing") && once[0].key == "regression r2");
        let twice = found(&[failed(0), failed(3), failed(4)]);
        assert_eq!(kinds(&twice), [Kind::Regression, Kind::Unaudited]);
        assert!(twice[1].text.contains("2 times in a row"), "the failure before the latest run does not count");
        let same = found(&[failed(0), failed(3), failed(4), failed(5)]);
        assert_eq!(same[1].key, twice[1].key, "one event however long the streak");
    }

    #[test]
    fn the_chat_offline_inside_posted_hours_n_readings_in_a_row_is_one_event() {
        let store = StoreKey::new("s");
        let mut report = Report::empty("s");
        report.evidence.compliance =
            Some(Compliance { hours: Some("Mo-Fr 09:00-18:00".into()), timezone: "UTC".into(), ..Default::default() });
        let seen = |readings: &[Observation]| {
            events(&Seen { store: &store, name: "S", runs: &[], unaudited: &[], readings, latest: Some(&report) }, 3)
        };
        let off = ChatStatus::Offline;
        let night_between = [reading(10, off), reading(11, off), reading(12, off), reading(22, ChatStatus::Online)];
        let found = seen(&night_between);
        assert_eq!(kinds(&found), [Kind::ChatOffline], "a reading outside hours neither counts nor breaks it");
        assert!(found[0].key.ends_with("T10:00:00+00:00"), "{}", found[0].key);
        let broken = [reading(10, off), reading(11, ChatStatus::Online), reading(12, off), reading(13, off)];
        assert!(seen(&broken).is_empty(), "online inside hours breaks the streak");
    }

    #[test]
    fn a_letter_unanswered_past_its_deadline_is_an_event_an_answered_one_is_not() {
        let store = StoreKey::new("s");
        let mut report = Report::empty("s");
        let letter = |id: &str, state| {
            serde_json::from_value::<crate::model::evidence::EmailProbe>(serde_json::json!({
                "id": id, "message_id": format!("<{id}@x>"), "to": "support@s.test", "subject": "Q",
                "sent_at": "2026-11-02T09:00:00+00:00", "state": state, "first_response_ms": null,
                "first_human_response_ms": null, "business_hours": null, "first_response_business_ms": null,
                "first_human_response_business_ms": null, "replies": [], "server": null,
                "sla_ms": 86_400_000, "expect": [], "attempt": 1
            }))
            .unwrap()
        };
        report.evidence.email_probes = vec![letter("q1", "unanswered"), letter("q2", "answered")];
        let seen = Seen { store: &store, name: "S", runs: &[], unaudited: &[], readings: &[], latest: Some(&report) };
        let found = events(&seen, 3);
        assert_eq!(kinds(&found), [Kind::Unanswered]);
        assert_eq!(found[0].key, "unanswered <q1@x>");
        assert!(found[0].text.contains("\"q1\"") && found[0].text.contains("1 d 0 h"), "{}", found[0].text);
    }
}
