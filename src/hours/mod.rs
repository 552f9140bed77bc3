//! Posted hours: find the lines where a store says when it is available and normalise them
//! to OpenStreetMap `opening_hours` ("Пн–Пт с 9:00 до 18:00, перерыв 13–14" ->
//! "Mo-Fr 09:00-13:00,14:00-18:00").
//!
//! Each language's words are data (`probes/hours/*.toml`). A line is tokenised with one
//! language's vocabulary at a time, parsed by a small state machine into rules (days, time
//! ranges, breaks, days off), and the language that explains the line best wins. The result is
//! validated with the `opening-hours` crate; text that cannot be normalised keeps a null
//! `opening_hours` rather than a guess.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::model::Channel;

/// One language's words for posted hours. All entries lower case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursLexicon {
    /// ISO 639-1 code.
    pub language: String,
    /// `mo` .. `su` -> spellings.
    pub days: BTreeMap<String, Vec<String>>,
    /// Word classes: every_day, weekdays, weekend, all_day, from, to, break, closed, am, pm,
    /// suffix, and, context, unrelated.
    pub words: BTreeMap<String, Vec<String>>,
    /// Channel id -> words that say the hours are for it.
    pub channels: BTreeMap<String, Vec<String>>,
}

/// Lines longer than this are prose, not an hours statement.
const MAX_LINE_CHARS: usize = 300;
const ALL_DAYS: u8 = 0b111_1111;
const WEEKDAYS: u8 = 0b001_1111;
const DAY_NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// One language's hours vocabulary, compiled for lookup.
#[derive(Debug)]
pub struct Vocab {
    language: String,
    words: HashMap<String, Tok>,
    /// Multi-word phrases, longest first, with the token they stand for.
    phrases: Vec<(String, Tok)>,
    channels: Vec<(String, Channel)>,
    context: Vec<String>,
    /// What hours of something other than help are about: ordering, payment, delivery.
    unrelated: Vec<String>,
    /// Words that state hours without a digit ("круглосуточно", "closed"), as one matcher.
    triggers: Regex,
}

/// Hours found in a page's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// What the hours are for.
    pub channel: Channel,
    /// The line(s) as written.
    pub text: String,
    /// Normalised and validated, or `None`.
    pub opening_hours: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Day(u8),
    EveryDay,
    /// "weekdays", "будни": Monday to Friday.
    Weekdays,
    /// "weekends", "Wochenende": Saturday and Sunday.
    Weekend,
    AllDay,
    AllWeek,
    From,
    To,
    Break,
    Closed,
    Am,
    Pm,
    Suffix,
    And,
    Dash,
    Comma,
    Semi,
    /// Hours, minutes, and whether it was written with two digits after a separator-less start.
    Num(u32, Option<u32>, bool),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    days: u8,
    times: Vec<(u16, u16)>,
    off: bool,
    /// No day was named: only trusted when the line talks about hours or a channel.
    implicit: bool,
}

impl Vocab {
    /// Compiles a lexicon.
    pub fn new(lexicon: &HoursLexicon) -> Result<Self, String> {
        let mut words = HashMap::new();
        let mut phrases = Vec::new();
        let mut add = |entry: &str, tok: Tok| {
            let entry = entry.to_lowercase();
            if entry.contains(|c: char| !c.is_alphabetic() && c != '\'') {
                phrases.push((entry, tok));
            } else {
                words.insert(entry, tok);
            }
        };
        if lexicon.days.len() != 7 {
            return Err(format!("[days] must name all seven days, not {}", lexicon.days.len()));
        }
        for (day, spellings) in &lexicon.days {
            let index = DAY_NAMES
                .iter()
                .position(|d| d.eq_ignore_ascii_case(day))
                .ok_or_else(|| format!("unknown day {day:?} in [days]"))?;
            for s in spellings {
                add(s, Tok::Day(index as u8));
            }
        }
        for (class, entries) in &lexicon.words {
            let tok = match class.as_str() {
                "every_day" => Tok::EveryDay,
                "weekdays" => Tok::Weekdays,
                "weekend" => Tok::Weekend,
                "all_day" => Tok::AllDay,
                "from" => Tok::From,
                "to" => Tok::To,
                "break" => Tok::Break,
                "closed" => Tok::Closed,
                "am" => Tok::Am,
                "pm" => Tok::Pm,
                "suffix" => Tok::Suffix,
                "and" => Tok::And,
                "context" | "unrelated" => continue,
                other => return Err(format!("unknown word class {other:?} in [words]")),
            };
            for e in entries {
                add(e, tok);
            }
        }
        phrases.sort_by_key(|(p, _)| std::cmp::Reverse(p.chars().count()));
        let mut channels = Vec::new();
        for (name, entries) in &lexicon.channels {
            let channel = match name.as_str() {
                "support" => Channel::Support,
                "chat" => Channel::Chat,
                "phone" => Channel::Phone,
                "email" => Channel::Email,
                "store" => Channel::Store,
                other => return Err(format!("unknown channel {other:?} in [channels]")),
            };
            channels.extend(entries.iter().map(|e| (e.to_lowercase(), channel)));
        }
        let context = lexicon.words.get("context").cloned().unwrap_or_default();
        let unrelated = lexicon.words.get("unrelated").cloned().unwrap_or_default();
        let triggers: Vec<String> = ["all_day", "closed"]
            .iter()
            .flat_map(|class| lexicon.words.get(*class).into_iter().flatten())
            .map(|w| regex::escape(&w.to_lowercase()))
            .collect();
        let triggers =
            regex::RegexBuilder::new(&triggers.join("|")).case_insensitive(true).build().map_err(|e| e.to_string())?;
        Ok(Vocab { triggers, language: lexicon.language.clone(), words, phrases, channels, context, unrelated })
    }

    /// The language code.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// Tokens of a line already passed through [`normalise`].
    fn tokens(&self, normalised: &str) -> Vec<Tok> {
        let mut text = normalised.to_string();
        for (phrase, tok) in &self.phrases {
            if text.contains(phrase.as_str()) {
                text = replace_phrase(&text, phrase, sentinel(*tok));
            }
        }
        let chars: Vec<char> = text.chars().collect();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                let (tok, next) = number(&chars, i);
                toks.push(tok);
                i = next;
            } else if c.is_alphabetic() || c == '\u{E000}' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphabetic() || chars[i] == '\'' || chars[i] == '\u{E000}') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                toks.push(from_sentinel(&word).or_else(|| self.words.get(&word).copied()).unwrap_or(Tok::Other));
            } else {
                match c {
                    '-' => toks.push(Tok::Dash),
                    ',' | '/' => toks.push(Tok::Comma),
                    ';' | '|' => toks.push(Tok::Semi),
                    '&' => toks.push(Tok::And),
                    _ => {}
                }
                i += 1;
            }
        }
        toks
    }

    fn mentions(&self, lower: &str) -> Option<(usize, Channel)> {
        self.channels
            .iter()
            .filter_map(|(word, channel)| lower.find(word.as_str()).map(|at| (at, *channel)))
            .min_by_key(|(at, _)| *at)
    }

    fn talks_about_hours(&self, lower: &str) -> bool {
        self.context.iter().any(|w| lower.contains(w.as_str())) || self.mentions(lower).is_some()
    }
}

/// Lower case, one kind of dash, and am/pm without dots.
fn normalise(line: &str) -> String {
    let mut s: String = line
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '–' | '—' | '−' | '‒' | '―' | '‐' | '‑' => '-',
            '\u{a0}' | '\u{202f}' => ' ',
            _ => c,
        })
        .collect();
    for (from, to) in [("a.m.", "am"), ("p.m.", "pm"), ("μ.μ.", "μμ"), ("π.μ.", "πμ")] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    for week in ["24/7", "24x7", "24×7", "24 / 7", "24*7"] {
        if s.contains(week) {
            s = s.replace(week, " \u{E000}allweek\u{E000} ");
        }
    }
    s
}

/// Something shaped like a time or a time range, with hours up to 24: "9:00", "9.30", "9am",
/// "18 Uhr", "9-18", "10 до 22", "24/7". Lines with digits but nothing of this shape (prices,
/// article numbers, "sizes 36–46") are not parsed at all.
static TIME_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        // ASCII word boundaries: Unicode ones push the regex engine off its fast path on
        // Cyrillic or Greek text (30x slower); digits are ASCII anyway.
        r"(?i)24\s*[/x×*]\s*7|(?-u:\b)(?:[01]?\d|2[0-4])[:.]\d{2}(?-u:\b)|(?-u:\b)(?:[01]?\d|2[0-4])\s*(?:am|pm|a\.m|p\.m|uhr|ч|h|μμ|πμ)(?:[^\p{L}]|$)|(?-u:\b)(?:[01]?\d|2[0-4])\s*[-–—−‒―]\s*(?:[01]?\d|2[0-4])(?-u:\b)|(?-u:\b)(?:[01]?\d|2[0-4])\s+\p{L}{1,8}\.?\s+(?:[01]?\d|2[0-4])(?-u:\b)",
    )
    .expect("static regex")
});

fn sentinel(tok: Tok) -> &'static str {
    match tok {
        Tok::EveryDay => " \u{E000}everyday\u{E000} ",
        Tok::Weekdays => " \u{E000}weekdays\u{E000} ",
        Tok::Weekend => " \u{E000}weekend\u{E000} ",
        Tok::AllDay => " \u{E000}allday\u{E000} ",
        Tok::Break => " \u{E000}break\u{E000} ",
        Tok::Closed => " \u{E000}closed\u{E000} ",
        Tok::Am => " \u{E000}am\u{E000} ",
        Tok::Pm => " \u{E000}pm\u{E000} ",
        Tok::To => " \u{E000}to\u{E000} ",
        Tok::From => " \u{E000}from\u{E000} ",
        Tok::Suffix => " \u{E000}suffix\u{E000} ",
        Tok::And => " \u{E000}and\u{E000} ",
        _ => " ",
    }
}

fn from_sentinel(word: &str) -> Option<Tok> {
    let inner = word.strip_prefix('\u{E000}')?.strip_suffix('\u{E000}')?;
    Some(match inner {
        "everyday" => Tok::EveryDay,
        "weekdays" => Tok::Weekdays,
        "weekend" => Tok::Weekend,
        "allday" => Tok::AllDay,
        "allweek" => Tok::AllWeek,
        "break" => Tok::Break,
        "closed" => Tok::Closed,
        "am" => Tok::Am,
        "pm" => Tok::Pm,
        "to" => Tok::To,
        "from" => Tok::From,
        "suffix" => Tok::Suffix,
        "and" => Tok::And,
        _ => Tok::Other,
    })
}

/// Replaces `phrase` where it stands as whole words.
fn replace_phrase(text: &str, phrase: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(phrase) {
        let before_ok = rest[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = &rest[at + phrase.len()..];
        let after_ok = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..at]);
        out.push_str(if before_ok && after_ok { with } else { phrase });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Reads "9", "09:00", "9.30" at `i`.
fn number(chars: &[char], mut i: usize) -> (Tok, usize) {
    let start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    let digits: String = chars[start..i].iter().collect();
    let Ok(hours) = digits.parse::<u32>() else {
        return (Tok::Other, i);
    };
    if digits.len() > 2 {
        return (Tok::Other, i);
    }
    let two_digit_minutes = |j: usize| {
        j + 2 <= chars.len()
            && chars[j].is_ascii_digit()
            && chars[j + 1].is_ascii_digit()
            && chars.get(j + 2).is_none_or(|c| !c.is_ascii_digit())
    };
    if i < chars.len() && matches!(chars[i], ':' | '.') && two_digit_minutes(i + 1) {
        let minutes = (chars[i + 1].to_digit(10).unwrap_or(0)) * 10 + chars[i + 2].to_digit(10).unwrap_or(0);
        return (Tok::Num(hours, Some(minutes), false), i + 3);
    }
    (Tok::Num(hours, None, digits.len() == 2 && digits.starts_with('0')), i)
}

fn day_allowed(toks: &[Tok], i: usize) -> bool {
    matches!(
        toks.get(i + 1),
        None | Some(
            Tok::Dash
                | Tok::To
                | Tok::Comma
                | Tok::And
                | Tok::Num(..)
                | Tok::From
                | Tok::Day(_)
                | Tok::Closed
                | Tok::AllDay
                | Tok::Semi
        )
    )
}

fn day_range(a: u8, b: u8) -> u8 {
    let mut set = 0;
    let mut d = a;
    loop {
        set |= 1 << d;
        if d == b {
            return set;
        }
        d = (d + 1) % 7;
    }
}

fn parse_days(toks: &[Tok], mut j: usize) -> (u8, usize) {
    let mut set = 0;
    while let Some(Tok::Day(a)) = toks.get(j) {
        j += 1;
        if let (Some(Tok::Dash | Tok::To), Some(Tok::Day(b))) = (toks.get(j), toks.get(j + 1)) {
            set |= day_range(*a, *b);
            j += 2;
        } else {
            set |= 1 << a;
        }
        match (toks.get(j), toks.get(j + 1)) {
            (Some(Tok::Comma | Tok::And), Some(Tok::Day(_))) => j += 1,
            _ => break,
        }
    }
    (set, j)
}

/// A clock time as written: "9", "09:30", "5pm", "18 Uhr".
#[derive(Debug, Clone, Copy)]
struct Time {
    hours: u32,
    minutes: Option<u32>,
    /// Followed by an hours word ("Uhr", "ч", "h").
    suffix: bool,
    /// `Some(true)` for pm, `Some(false)` for am.
    pm: Option<bool>,
}

impl Time {
    /// Minutes since midnight, if this is a real time of day.
    fn minutes(self) -> Option<u16> {
        let m = self.minutes.unwrap_or(0);
        let h = match (self.pm, self.hours) {
            (Some(true), h @ 1..=11) => h + 12,
            (Some(false), 12) => 0,
            (Some(_), 13..) => return None,
            (_, h) => h,
        };
        if h > 24 || m > 59 || (h == 24 && m > 0) {
            return None;
        }
        u16::try_from(h * 60 + m).ok()
    }

    /// Says on its own that it is a time (minutes, am/pm or an hours word).
    fn explicit(self) -> bool {
        self.minutes.is_some() || self.suffix || self.pm.is_some()
    }
}

/// Reads a time at `j`: an hour, then am/pm or an hours suffix; "9-00" style minutes when
/// `dash_minutes` allows them. Returns the time and where reading stopped.
fn time_at(toks: &[Tok], mut j: usize, dash_minutes: bool) -> Option<(Time, usize)> {
    let Tok::Num(hours, minutes, _) = *toks.get(j)? else {
        return None;
    };
    let mut time = Time { hours, minutes, suffix: false, pm: None };
    j += 1;
    // "с 9-00 до 18-00": a dash before two-digit minutes.
    if dash_minutes && time.minutes.is_none() && toks.get(j) == Some(&Tok::Dash) {
        if let Some(Tok::Num(m, None, true)) = toks.get(j + 1) {
            time.minutes = Some(*m);
            j += 2;
        }
    }
    while let Some(t) = toks.get(j) {
        match t {
            Tok::Am => time.pm = Some(false),
            Tok::Pm => time.pm = Some(true),
            Tok::Suffix => time.suffix = true,
            _ => break,
        }
        j += 1;
    }
    Some((time, j))
}

/// Reads "[from] T (-|to) T" at `i`. Bare "1-3" is not a time range unless days, a break or a
/// "from" word, minutes, am/pm or an hours suffix say so.
fn parse_range(toks: &[Tok], i: usize, expected: bool) -> Option<((u16, u16), usize)> {
    let from = toks.get(i) == Some(&Tok::From);
    let j = if from { i + 1 } else { i };
    // Dash-minutes in the first time only when "to" follows, or "9-18" would read as 9:18.
    let dash_minutes = matches!((toks.get(j + 2), toks.get(j + 3)), (Some(Tok::Num(_, None, true)), Some(Tok::To)));
    let (start, j) = time_at(toks, j, dash_minutes)?;
    if !matches!(toks.get(j), Some(Tok::Dash | Tok::To)) {
        return None;
    }
    let (end, j) = time_at(toks, j + 1, true)?;
    if !(from || start.explicit() || end.explicit() || expected) {
        return None;
    }
    let (start, end) = (start.minutes()?, end.minutes()?);
    (start != end).then_some(((start, end), j))
}

fn parse(toks: &[Tok]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut pending: Option<u8> = None;
    let mut in_break = false;
    let mut i = 0;
    let whole_day = |days, implicit| Rule { days, times: vec![(0, 1440)], off: false, implicit };
    while i < toks.len() {
        match toks[i] {
            Tok::AllWeek => {
                rules.push(whole_day(ALL_DAYS, false));
                pending = None;
                i += 1;
            }
            Tok::Day(_) if day_allowed(toks, i) => {
                let (set, next) = parse_days(toks, i);
                pending = Some(set);
                i = next;
            }
            Tok::EveryDay => {
                pending = Some(ALL_DAYS);
                i += 1;
            }
            Tok::Weekdays => {
                pending = Some(WEEKDAYS);
                i += 1;
            }
            Tok::Weekend => {
                pending = Some(ALL_DAYS & !WEEKDAYS);
                i += 1;
            }
            Tok::AllDay => {
                let days = pending.take();
                rules.push(whole_day(days.unwrap_or(ALL_DAYS), false));
                i += 1;
            }
            Tok::Closed => {
                if let Some(days) = pending.take() {
                    rules.push(Rule { days, times: Vec::new(), off: true, implicit: false });
                }
                i += 1;
            }
            Tok::Break => {
                in_break = true;
                i += 1;
            }
            Tok::From | Tok::Num(..) => {
                let Some((range, next)) = parse_range(toks, i, pending.is_some() || in_break) else {
                    i += 1;
                    continue;
                };
                i = next;
                if std::mem::take(&mut in_break) {
                    if let Some(rule) = rules.last_mut() {
                        rule.times = subtract(&rule.times, range);
                    }
                } else if let Some(days) = pending.take() {
                    rules.push(Rule { days, times: vec![range], off: false, implicit: false });
                } else if let Some(rule) = rules.last_mut().filter(|r| !r.off && r.times != [(0, 1440)]) {
                    rule.times.push(range);
                } else {
                    rules.push(Rule { days: ALL_DAYS, times: vec![range], off: false, implicit: true });
                }
            }
            _ => i += 1,
        }
    }
    // "с 9-00 до 18-00 пн-пт": days named after the times.
    if let (Some(days), Some(rule)) = (pending, rules.last_mut()) {
        if rule.implicit {
            rule.days = days;
            rule.implicit = false;
        }
    }
    rules
}

fn subtract(times: &[(u16, u16)], (bs, be): (u16, u16)) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for &(s, e) in times {
        if s < bs && be < e {
            out.push((s, bs));
            out.push((be, e));
        } else {
            out.push((s, e));
        }
    }
    out
}

/// A set of days (bit 0 Monday .. bit 6 Sunday) as opening_hours writes it: runs of three
/// or more as ranges ("Mo-Fr"), the rest listed ("Sa,Su").
pub fn format_days(days: u8) -> String {
    let mut parts = Vec::new();
    let mut d = 0;
    while d < 7 {
        if days & (1 << d) == 0 {
            d += 1;
            continue;
        }
        let start = d;
        while d + 1 < 7 && days & (1 << (d + 1)) != 0 {
            d += 1;
        }
        match d - start {
            0 => parts.push(DAY_NAMES[start].to_string()),
            1 => parts.push(format!("{},{}", DAY_NAMES[start], DAY_NAMES[d])),
            _ => parts.push(format!("{}-{}", DAY_NAMES[start], DAY_NAMES[d])),
        }
        d += 1;
    }
    parts.join(",")
}

fn format_time(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Renders rules in opening_hours syntax.
fn to_osm(rules: &[Rule]) -> String {
    if let [rule] = rules {
        if rule.days == ALL_DAYS && rule.times == [(0, 1440)] {
            return "24/7".to_string();
        }
    }
    rules
        .iter()
        .map(|r| {
            let times = if r.off {
                "off".to_string()
            } else {
                r.times
                    .iter()
                    .map(|&(s, e)| format!("{}-{}", format_time(s), format_time(e)))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!("{} {}", format_days(r.days), times)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Normalises rules and keeps the result only if the opening-hours crate accepts it.
fn validated(rules: &[Rule]) -> Option<String> {
    let osm = to_osm(rules);
    osm.parse::<opening_hours::OpeningHours>().is_ok().then_some(osm)
}

/// Normalises one hours text with the best-fitting vocabulary, as used for a single line.
pub fn normalise_text(text: &str, vocabs: &[Vocab]) -> Option<String> {
    let (rules, _) = best_parse(text, vocabs)?;
    validated(&rules)
}

/// The vocabulary that explains `line` best (most rules with named days, then most rules;
/// the first vocabulary on a tie), and its rules.
fn best_parse<'v>(line: &str, vocabs: &'v [Vocab]) -> Option<(Vec<Rule>, &'v Vocab)> {
    if line.chars().count() > MAX_LINE_CHARS {
        return None;
    }
    // Only a time ("9-18", "24/7") or a trigger word can state hours: most lines have neither.
    let time_like = line.bytes().any(|b| b.is_ascii_digit()) && TIME_LIKE.is_match(line);
    if !time_like && !vocabs.iter().any(|v| v.triggers.is_match(line)) {
        return None;
    }
    let normalised = normalise(line);
    let score = |rules: &[Rule]| (rules.iter().filter(|r| !r.implicit).count(), rules.len());
    let mut best: Option<(Vec<Rule>, &Vocab)> = None;
    for vocab in vocabs {
        if !time_like && !vocab.triggers.is_match(line) {
            continue;
        }
        let rules = parse(&vocab.tokens(&normalised));
        if !rules.is_empty() && best.as_ref().is_none_or(|(b, _)| score(&rules) > score(b)) {
            best = Some((rules, vocab));
        }
    }
    best
}

/// Finds hours statements in a page's text lines. Consecutive lines ("Mon–Fri 9–18" then
/// "Sat 10–16") join into one statement; a short line before them ("Support hours:") can
/// name the channel.
pub fn find(lines: &[String], vocabs: &[Vocab]) -> Vec<Statement> {
    let mut found: Vec<(Statement, Vec<Rule>, usize)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((rules, vocab)) = best_parse(line, vocabs) else {
            continue;
        };
        let lower = line.to_lowercase();
        let previous = index.checked_sub(1).map(|p| lines[p].to_lowercase());
        let label = previous.as_deref().filter(|p| p.chars().count() <= 80);
        // A line of times alone has no language of its own ("Support hours: 10:00-20:00"
        // parses alike in every vocabulary), so any language's words for hours or a channel
        // may vouch for it.
        let talks = |text: &str| vocabs.iter().any(|v| v.talks_about_hours(text));
        let trusted = rules.iter().all(|r| !r.implicit) || talks(&lower) || label.is_some_and(talks);
        // "Оплата онлайн 24/7", "Order online 24/7": the hours of ordering or paying, not of
        // anyone who helps, unless the line names a channel too.
        // (Words of every language: "24/7" says nothing of which one the line is in.)
        let unrelated = vocabs.iter().any(|v| v.unrelated.iter().any(|w| lower.contains(w.as_str())))
            && vocabs.iter().all(|v| v.mentions(&lower).is_none());
        if !trusted || unrelated {
            continue;
        }
        // A line's channel in the words of its hours' language, else of any: "Chat: 24/7" has
        // no language of its own.
        let mentions = |text: &str| vocab.mentions(text).or_else(|| vocabs.iter().find_map(|v| v.mentions(text)));
        let own_channel = mentions(&lower).map(|(_, c)| c);
        if own_channel.is_none() {
            if let Some((statement, joined, last)) = found.last_mut().filter(|(_, _, last)| *last + 1 == index) {
                joined.extend(rules);
                statement.text = format!("{}; {}", statement.text, line);
                statement.opening_hours = validated(joined);
                *last = index;
                continue;
            }
        }
        let channel = own_channel.or_else(|| label.and_then(mentions).map(|(_, c)| c)).unwrap_or(Channel::Support);
        let opening_hours = validated(&rules);
        found.push((Statement { channel, text: line.clone(), opening_hours }, rules, index));
    }
    found.into_iter().map(|(s, _, _)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Knowledge;

    fn norm(text: &str) -> Option<String> {
        let k = Knowledge::load().unwrap();
        normalise_text(text, &k.hours)
    }

    #[test]
    fn normalises_the_issue_examples() {
        let cases = [
            ("Пн–Пт с 9:00 до 18:00, перерыв 13–14", "Mo-Fr 09:00-13:00,14:00-18:00"),
            ("ежедневно с 10 до 22", "Mo-Su 10:00-22:00"),
            ("Работаем круглосуточно", "24/7"),
            ("Mon–Fri 9am–5pm", "Mo-Fr 09:00-17:00"),
            ("Support 24/7", "24/7"),
            ("Δευτέρα – Παρασκευή 09:00 – 17:00", "Mo-Fr 09:00-17:00"),
            ("Mo.–Fr. 8–18 Uhr", "Mo-Fr 08:00-18:00"),
        ];
        for (text, want) in cases {
            assert_eq!(norm(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn normalises_real_world_variants() {
        let cases = [
            ("Пн-Пт 9-18, Сб 10-16, Вс — выходной", "Mo-Fr 09:00-18:00; Sa 10:00-16:00; Su off"),
            ("с 9-00 до 18-00 пн-пт", "Mo-Fr 09:00-18:00"),
            ("Mon-Fri 9:00 AM - 5:30 PM, Sat 10am-2pm", "Mo-Fr 09:00-17:30; Sa 10:00-14:00"),
            ("Montag bis Freitag von 9 bis 17 Uhr", "Mo-Fr 09:00-17:00"),
            ("Пн, Ср, Пт: 10:00–19:00", "Mo,We,Fr 10:00-19:00"),
            ("Сб-Вс круглосуточно", "Sa,Su 00:00-24:00"),
            ("Καθημερινά 10:00 - 21:00", "Mo-Su 10:00-21:00"),
        ];
        for (text, want) in cases {
            assert_eq!(norm(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn ignores_what_is_not_hours() {
        for text in [
            "Доставка 1-3 дня",
            "Телефон: +7 (495) 123-45-67",
            "So erreichen Sie uns: 030 1234567",
            "We ship to 24 countries",
            "Sun cream 50 ml, 2-3 pcs",
        ] {
            assert_eq!(norm(text), None, "{text}");
        }
    }

    #[test]
    fn finds_channels_and_joins_lines() {
        let k = Knowledge::load().unwrap();
        let lines: Vec<String> = [
            "Служба поддержки:",
            "Пн–Пт 9:00–18:00",
            "Сб 10:00–16:00",
            "Наш адрес: Москва, ул. Ленина, 1",
            "Онлайн-чат работает ежедневно с 10 до 22",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let found = find(&lines, &k.hours);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].channel, Channel::Support);
        assert_eq!(found[0].text, "Пн–Пт 9:00–18:00; Сб 10:00–16:00");
        assert_eq!(found[0].opening_hours.as_deref(), Some("Mo-Fr 09:00-18:00; Sa 10:00-16:00"));
        assert_eq!(found[1].channel, Channel::Chat);
        assert_eq!(found[1].opening_hours.as_deref(), Some("Mo-Su 10:00-22:00"));
    }

    #[test]
    fn the_hours_of_ordering_paying_or_a_pickup_point_are_not_support_hours() {
        let k = Knowledge::load().unwrap();
        for (lines, want) in [
            (
                vec!["Оплата онлайн 24/7", "Служба поддержки: Пн-Пт 9:00-18:00"],
                vec![(Channel::Support, "Mo-Fr 09:00-18:00")],
            ),
            (
                vec!["Order online 24/7", "Customer service: Mon-Fri 9am-5pm"],
                vec![(Channel::Support, "Mo-Fr 09:00-17:00")],
            ),
            (
                vec!["Пункт выдачи: Пн-Вс 10:00-21:00", "Служба поддержки: Пн-Пт 9:00-18:00"],
                vec![(Channel::Store, "Mo-Su 10:00-21:00"), (Channel::Support, "Mo-Fr 09:00-18:00")],
            ),
            (vec!["Online bestellen rund um die Uhr"], vec![]),
            (vec!["Телефон доставки: ежедневно 9-21"], vec![(Channel::Phone, "Mo-Su 09:00-21:00")]),
        ] {
            let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            let found: Vec<(Channel, String)> =
                find(&lines, &k.hours).into_iter().map(|s| (s.channel, s.opening_hours.unwrap_or_default())).collect();
            let want: Vec<(Channel, String)> = want.into_iter().map(|(c, o)| (c, o.to_string())).collect();
            assert_eq!(found, want, "{lines:?}");
        }
    }

    #[test]
    fn a_time_range_without_days_needs_context() {
        let k = Knowledge::load().unwrap();
        let lines = vec!["Доставка с 10 до 22".to_string()];
        assert!(find(&lines, &k.hours).is_empty());
        let lines = vec!["Работаем с 10 до 22".to_string()];
        assert_eq!(find(&lines, &k.hours)[0].opening_hours.as_deref(), Some("Mo-Su 10:00-22:00"));
    }
}
