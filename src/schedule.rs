//! When a letter goes out under `[schedule]`: once per period ("daily", "weekly", "3d"), at a
//! time drawn from the scenario's seed, so the same scenario plans the same times on every
//! machine; and a set share of the periods at a time outside the posted hours, in the store's
//! zone, so that a "24/7" or "Mo-Fr 09:00-18:00" promise is tested at night and on weekends.
//! The share is kept exactly over time (with 1/3, every third period), not left to chance.
//! Periods follow the store's calendar: "daily" is one letter per local day, from midnight in
//! the store's zone, and weeks start on its Mondays.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use sha2::{Digest, Sha256};

use crate::scenario::{Cadence, Schedule};

/// Periods are counted in local time from Monday 1970-01-05 00:00, so that weeks start on
/// Mondays.
const EPOCH: i64 = 4 * 86_400;

/// Whether a letter is due now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Send it: its planned time in this period has come.
    Now(DateTime<Utc>),
    /// Not yet: planned for this time in the current period.
    Later(DateTime<Utc>),
    /// Already sent in this period.
    Done,
}

/// What a letter's schedule depends on.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The scenario's `[schedule]`.
    pub schedule: &'a Schedule,
    /// The store's key: with the seed, it decides the times.
    pub store: &'a str,
    /// The letter's id.
    pub letter: &'a str,
    /// The store's zone.
    pub tz: chrono_tz::Tz,
    /// The posted hours letters are planned inside or outside of, if any.
    pub hours: Option<&'a str>,
}

impl Plan<'_> {
    /// Whether the letter is due at `now`, given when the last one was recorded. A planned
    /// time no run reached (cron ran hourly, the plan said 23:40) is sent late by the next run
    /// rather than skipped; never more than one letter per planned time.
    pub fn due(&self, now: DateTime<Utc>, last: Option<DateTime<Utc>>) -> Due {
        let Some(Cadence::Every(every)) = &self.schedule.letters else {
            return Due::Now(now); // every run
        };
        let every = Duration::from_std(*every).unwrap_or(Duration::days(7)).max(Duration::minutes(1));
        let period = self.period_at(now, every);
        let (previous, current) = (self.planned(period - 1, every), self.planned(period, every));
        let latest = if current <= now { current } else { previous };
        match last {
            Some(l) if l >= latest && current > now => Due::Later(current),
            Some(l) if l >= latest => Due::Done,
            // The first letter of a new schedule waits for its time in this period.
            None if current > now => Due::Later(current),
            _ => Due::Now(latest),
        }
    }

    /// The planned time in period `period`: inside or outside the posted hours as the share
    /// says, at a time drawn from the seed.
    pub fn planned(&self, period: i64, every: Duration) -> DateTime<Utc> {
        let start = start_of(period, every);
        let tz = self.tz;
        let share = self.schedule.outside_hours_share.map_or(0.0, |s| s.0);
        // Exactly `share` of the periods: period k is outside when ⌊(k+1)s⌋ > ⌊ks⌋.
        let outside = ((period + 1) as f64 * share).floor() > (period as f64 * share).floor();
        let mut draw = draw(self.schedule.seed.unwrap_or(0), self.store, self.letter, period);
        let minutes = every.num_minutes().max(1);
        let mut pick = || utc(tz, start + Duration::minutes(draw.random_range(0..minutes)));
        let Some(hours) = self.hours.and_then(|h| h.parse::<opening_hours::OpeningHours>().ok()) else {
            return pick();
        };
        for _ in 0..1000 {
            let at = pick();
            if hours.is_open(at.with_timezone(&self.tz).naive_local()) != outside {
                return at;
            }
        }
        pick() // no such time in this period (a weekend under weekday hours): any time will do
    }
}

impl Plan<'_> {
    /// The period `at` falls in, counted on the store's wall clock.
    pub fn period_at(&self, at: DateTime<Utc>, every: Duration) -> i64 {
        period_of(self.tz, at, every)
    }
}

/// The slot that periodic work (a store's whole audit, a chat reading) falls in at `now`: the
/// start of its period on the store's wall clock ("2026-12-02T00:00:00+03:00" for "daily");
/// work done "every run" has one slot per submission of the store. Every worker computes the
/// same slot, so the claim on it decides who does the work.
pub fn slot(cadence: &Cadence, tz: chrono_tz::Tz, now: DateTime<Utc>, submitted: DateTime<Utc>) -> String {
    match cadence {
        Cadence::EveryRun => format!("submitted {}", submitted.to_rfc3339()),
        Cadence::Every(every) => {
            let every = Duration::from_std(*every).unwrap_or(Duration::days(7)).max(Duration::minutes(1));
            let start = utc(tz, start_of(period_of(tz, now, every), every));
            start.with_timezone(&tz).to_rfc3339()
        }
    }
}

/// When the next period of `cadence` starts after `now` (the store's next audit, for the
/// agency's view); none for work done "every run", which is due at the next submission.
pub fn next_start(cadence: &Cadence, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match cadence {
        Cadence::EveryRun => None,
        Cadence::Every(every) => {
            let every = Duration::from_std(*every).unwrap_or(Duration::days(7)).max(Duration::minutes(1));
            Some(utc(tz, start_of(period_of(tz, now, every) + 1, every)))
        }
    }
}

/// The period `at` falls in, counted on the wall clock of `tz`.
fn period_of(tz: chrono_tz::Tz, at: DateTime<Utc>, every: Duration) -> i64 {
    let local = at.with_timezone(&tz).naive_local().and_utc().timestamp();
    (local - EPOCH).div_euclid(every.num_seconds())
}

/// The local time period `period` starts at.
fn start_of(period: i64, every: Duration) -> NaiveDateTime {
    DateTime::from_timestamp(EPOCH + period * every.num_seconds(), 0).unwrap_or_default().naive_utc()
}

/// A wall-clock time in `tz` as an instant; a time the clocks skip (spring forward) is taken
/// an hour later, and an ambiguous one (fall back) at its first occurrence.
fn utc(tz: chrono_tz::Tz, local: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&local)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// A reproducible stream of numbers for one letter in one period: ChaCha8, which `rand`
/// documents as portable (the same on every platform and version), keyed by the SHA-256 of
/// the seed and the letter's identity.
fn draw(seed: u64, store: &str, letter: &str, period: i64) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(Sha256::digest(format!("{seed}\u{0}{store}\u{0}{letter}\u{0}{period}")).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Share;

    fn schedule(share: f64, seed: u64) -> Schedule {
        Schedule {
            audit: None,
            chat_readings: None,
            letters: Some(Cadence::Every(std::time::Duration::from_secs(86_400))),
            outside_hours_share: Some(Share(share)),
            seed: Some(seed),
        }
    }

    #[test]
    fn the_next_daily_audit_starts_at_the_stores_midnight() {
        let moscow: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-02T22:30:00+00:00").unwrap().with_timezone(&Utc);
        let daily = Cadence::Every(std::time::Duration::from_secs(86_400));
        let next = next_start(&daily, moscow, now).unwrap();
        assert_eq!(next.with_timezone(&moscow).to_rfc3339(), "2026-12-04T00:00:00+03:00");
        assert_eq!(next_start(&Cadence::EveryRun, moscow, now), None);
    }

    #[test]
    fn a_third_of_the_days_outside_hours_at_reproducible_times() {
        let s = schedule(1.0 / 3.0, 42);
        let tz: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
        let plan = Plan { schedule: &s, store: "http://shop/", letter: "q", tz, hours: Some("Mo-Su 09:00-18:00") };
        let day = Duration::days(1);
        let first = plan.period_at(Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap(), day);
        let times: Vec<_> = (first..first + 30).map(|k| plan.planned(k, day)).collect();
        let outside = times
            .iter()
            .filter(|t| !crate::business_time::is_open("Mo-Su 09:00-18:00", tz, t.fixed_offset()).unwrap())
            .count();
        assert_eq!(outside, 10, "exactly a third of 30 days");
        assert!(times.iter().zip(first..).all(|(t, k)| plan.period_at(*t, day) == k), "each in its own period");
        let again: Vec<_> = (first..first + 30).map(|k| plan.planned(k, day)).collect();
        assert_eq!(times, again, "the same seed plans the same times");
        let other = schedule(1.0 / 3.0, 43);
        let reseeded = Plan { schedule: &other, ..plan };
        assert_ne!(times, (first..first + 30).map(|k| reseeded.planned(k, day)).collect::<Vec<_>>());
    }

    #[test]
    fn once_per_period_when_its_time_has_come() {
        let s = schedule(0.0, 1);
        let plan = Plan { schedule: &s, store: "s", letter: "q", tz: chrono_tz::UTC, hours: None };
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 23, 59, 0).unwrap();
        let Due::Now(at) = plan.due(now, None) else { panic!("due by the day's end") };
        assert_eq!(plan.due(now, Some(now)), Due::Done);
        // The next day: due at its own planned time, once.
        let day = Duration::days(1);
        let next = plan.planned(plan.period_at(now, day) + 1, day);
        assert_eq!(plan.due(next - Duration::minutes(1), Some(now)), Due::Later(next));
        assert_eq!(plan.due(next, Some(now)), Due::Now(next));
        assert_eq!(plan.due(next + Duration::hours(1), Some(next)), Due::Done);
        // A plan no run reached is sent late by the next run, not skipped.
        assert!(matches!(plan.due(next + day + day, Some(at)), Due::Now(_)));
        let every_run = Schedule { letters: Some(Cadence::EveryRun), ..schedule(0.0, 0) };
        let plan = Plan { schedule: &every_run, ..plan };
        assert_eq!(plan.due(now, Some(now)), Due::Now(now));
    }

    #[test]
    fn an_audits_slot_is_its_periods_start_on_the_stores_clock() {
        let tz: chrono_tz::Tz = "Europe/Moscow".parse().unwrap();
        let submitted = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let daily = Cadence::Every(std::time::Duration::from_secs(86_400));
        // 22:30 UTC is 01:30 the next day in Moscow: the slot is that Moscow day's midnight.
        let late = Utc.with_ymd_and_hms(2026, 12, 1, 22, 30, 0).unwrap();
        assert_eq!(slot(&daily, tz, late, submitted), "2026-12-02T00:00:00+03:00");
        let evening = Utc.with_ymd_and_hms(2026, 12, 1, 20, 59, 0).unwrap();
        assert_eq!(slot(&daily, tz, evening, submitted), "2026-12-01T00:00:00+03:00");
        let hourly = Cadence::Every(std::time::Duration::from_secs(3_600));
        assert_eq!(slot(&hourly, tz, late, submitted), "2026-12-02T01:00:00+03:00");
        // Once per submission: the same slot until the store is submitted again.
        let once = slot(&Cadence::EveryRun, tz, late, submitted);
        assert_eq!(once, slot(&Cadence::EveryRun, tz, evening, submitted));
        assert_ne!(once, slot(&Cadence::EveryRun, tz, late, late));
    }

    #[test]
    fn daily_means_one_letter_per_day_of_the_stores_calendar() {
        // Tokyo is 9 hours ahead of UTC: periods counted in UTC days would put two letters on
        // some Tokyo dates and none on others.
        let s = schedule(0.0, 7);
        let tz: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
        let plan = Plan { schedule: &s, store: "Tokyo Shoes", letter: "q", tz, hours: None };
        let day = Duration::days(1);
        let first = plan.period_at(Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap(), day);
        let dates: Vec<_> = (first..first + 60).map(|k| plan.planned(k, day).with_timezone(&tz).date_naive()).collect();
        let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let expected: Vec<_> = (0..60).map(|i| start + Duration::days(i)).collect();
        assert_eq!(dates, expected, "one letter on each Tokyo date, in order");
        // Weeks start on the store's Monday.
        let week = Duration::days(7);
        let monday_morning = Utc.with_ymd_and_hms(2026, 11, 1, 15, 30, 0).unwrap(); // Mon 00:30 in Tokyo
        let sunday_night = Utc.with_ymd_and_hms(2026, 11, 1, 14, 30, 0).unwrap(); // Sun 23:30 in Tokyo
        assert_eq!(plan.period_at(monday_morning, week), plan.period_at(sunday_night, week) + 1);
    }

    #[test]
    fn a_day_the_clocks_change_still_has_one_letter() {
        let s = schedule(0.0, 3);
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let plan = Plan { schedule: &s, store: "Berlin", letter: "q", tz, hours: None };
        let day = Duration::days(1);
        for (y, m, d) in [(2026, 3, 29), (2026, 10, 25)] {
            let k = plan.period_at(tz.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap().with_timezone(&Utc), day);
            let at = plan.planned(k, day).with_timezone(&tz);
            assert_eq!(at.date_naive(), chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap(), "{at}");
        }
    }
}
