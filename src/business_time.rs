//! Time inside posted hours: how much of an interval the store was open, by its own
//! opening_hours, in its own time zone. A letter sent on Friday at 17:00 and answered on
//! Monday at 10:00 waited 65 hours, but only 2 business hours under "Mo-Fr 09:00-18:00".

use chrono::{DateTime, FixedOffset};
use opening_hours::{OpeningHours, RuleKind};

/// Milliseconds between `from` and `to` that fall inside `osm` (opening_hours syntax) in the
/// time zone `tz`; `None` when `osm` does not parse. A `to` before `from` counts as no time at
/// all: arrival clocks (IMAP INTERNALDATE) have whole seconds, so a reply in the same second
/// as the letter can seem to precede it.
pub fn open_ms(osm: &str, tz: chrono_tz::Tz, from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) -> Option<u64> {
    let hours: OpeningHours = osm.parse().ok()?;
    if to <= from {
        return Some(0);
    }
    let local = |t: DateTime<FixedOffset>| t.with_timezone(&tz).naive_local();
    let open: i64 = hours
        .iter_range(local(from), local(to))
        .filter(|r| r.kind == RuleKind::Open)
        .map(|r| (r.range.end - r.range.start).num_milliseconds())
        .sum();
    u64::try_from(open).ok()
}

/// Whether `osm` says open at `at` in `tz`; `None` when `osm` does not parse.
pub fn is_open(osm: &str, tz: chrono_tz::Tz, at: DateTime<FixedOffset>) -> Option<bool> {
    let hours: OpeningHours = osm.parse().ok()?;
    Some(hours.is_open(at.with_timezone(&tz).naive_local()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn a_weekend_does_not_count_against_weekday_hours() {
        let tz: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
        // Friday 17:00 to Monday 10:00, Moscow time.
        let ms = open_ms("Mo-Fr 09:00-18:00", tz, at("2026-11-27T17:00:00+03:00"), at("2026-11-30T10:00:00+03:00"));
        assert_eq!(ms, Some(2 * 3600 * 1000));
        let always = open_ms("24/7", tz, at("2026-11-27T17:00:00+03:00"), at("2026-11-30T10:00:00+03:00"));
        assert_eq!(always, Some(65 * 3600 * 1000), "24/7 is calendar time");
    }

    #[test]
    fn the_store_time_zone_decides() {
        // 08:00 UTC is 11:00 in Moscow (open) but 09:00 in Berlin... only after 09:00 there.
        let (from, to) = (at("2026-11-27T07:00:00+00:00"), at("2026-11-27T08:00:00+00:00"));
        assert_eq!(open_ms("Mo-Fr 09:00-18:00", "Europe/Moscow".parse().unwrap(), from, to), Some(3600 * 1000));
        assert_eq!(open_ms("Mo-Fr 09:00-18:00", "Europe/Berlin".parse().unwrap(), from, to), Some(0));
        assert_eq!(open_ms("not hours", "Europe/Berlin".parse().unwrap(), from, to), None);
        assert_eq!(open_ms("24/7", "Europe/Berlin".parse().unwrap(), to, from), Some(0), "same-second reply");
        let moscow = "Europe/Moscow".parse().unwrap();
        assert_eq!(is_open("Mo-Fr 09:00-18:00", moscow, to), Some(true), "11:00 in Moscow");
        assert_eq!(is_open("Mo-Fr 09:00-18:00", moscow, at("2026-11-28T08:00:00+00:00")), Some(false), "Saturday");
    }
}
