//! Durations and moments as people read them, shared by every rendering and by the prose
//! that assess and checks write.

use chrono::{DateTime, FixedOffset};

/// A duration for people: "3.2 s", "41 min", "2 h 5 min", "3 d 4 h".
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{:.1} s", ms as f64 / 1000.0),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A moment as the store's clock shows it (in `timezone`, else as recorded), to the minute.
pub fn local_time(at: DateTime<FixedOffset>, timezone: Option<&str>) -> String {
    match timezone.and_then(|t| t.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string(),
        None => at.format("%Y-%m-%d %H:%M %:z").to_string(),
    }
}

/// An optional duration for a report cell: "—" when unknown.
pub fn maybe_duration(ms: Option<u64>) -> String {
    ms.map_or_else(|| "—".to_string(), human_duration)
}

/// An optional share as a percentage: "—" when unknown.
pub fn maybe_percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |x| format!("{:.0}%", x * 100.0))
}

#[cfg(test)]
mod tests {
    #[test]
    fn moments_are_shown_on_the_stores_clock() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-27T19:25:00Z").unwrap();
        assert_eq!(super::local_time(at, Some("Europe/Berlin")), "2026-11-27 20:25 +01:00");
        assert_eq!(super::local_time(at, Some("Asia/Tokyo")), "2026-11-28 04:25 +09:00");
        assert_eq!(super::local_time(at, None), "2026-11-27 19:25 +00:00");
        assert_eq!(super::local_time(at, Some("Not/AZone")), "2026-11-27 19:25 +00:00");
    }
}
