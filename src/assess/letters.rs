//! Letter states: the history's letters and the replies filed to them, turned into the
//! report's `email_probes[]` (answered, acknowledged, pending, unanswered ...) by the store's
//! terms and the clock. Pure: the caller reads the history.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use crate::extract::{answer, reading, refusal};
use crate::history::{Letter, SendState, StoredReply, Written};
use crate::knowledge::spelling::Dictionaries;
use crate::knowledge::AnswerWords;
use crate::model::evidence::{Asked, EmailProbe, EmailReply, LetterState, ReplyKind};
use crate::model::{Report, StoreKey};
use crate::scenario::Scenario;

/// What a store's letters are judged by: whose they are, the store's zone, and per letter the
/// answer deadline and the words a complete answer holds.
#[derive(Debug, Clone)]
pub struct Terms {
    /// The store's key in the history.
    pub store: StoreKey,
    /// The store's zone, for business time.
    pub tz: chrono_tz::Tz,
    /// The store's host: links to it send the buyer nowhere else.
    pub host: String,
    /// The deadline of a letter the terms do not list.
    pub default_sla: Duration,
    /// Letter id → (deadline, what it asks).
    pub letters: HashMap<String, (Duration, Vec<Asked>)>,
    /// The same for the questions put through the contact form.
    pub forms: HashMap<String, (Duration, Vec<Asked>)>,
}

impl Terms {
    /// The scenario's terms.
    pub fn of(scenario: &Scenario) -> Self {
        let email = &scenario.email;
        Terms {
            store: scenario.key.clone(),
            tz: scenario.tz(),
            host: scenario.host(),
            default_sla: email.default_sla(),
            letters: email.letters.iter().map(|l| (l.id.clone(), (email.sla_of(l), l.questions.clone()))).collect(),
            forms: scenario
                .form
                .questions
                .iter()
                .map(|q| (q.id.clone(), (scenario.form.sla(), q.questions.clone())))
                .collect(),
        }
    }

    /// The terms a saved report was judged by, for refreshing it from the history: its
    /// letters' own deadlines, and the scenario's default for letters it did not show yet.
    pub fn of_report(report: &Report) -> Self {
        let evidence = &report.evidence;
        Terms {
            store: report.store.history_key(),
            tz: report.store.timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(chrono_tz::UTC),
            host: url::Url::parse(&report.store.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default(),
            default_sla: evidence.email_sla_ms.map_or(crate::model::defaults::EMAIL_SLA, Duration::from_millis),
            letters: saved_terms(&evidence.email_probes),
            forms: saved_terms(&evidence.forms.answers),
        }
    }

    /// A letter's deadline and questions.
    fn of_letter(&self, l: &Letter) -> (Duration, Vec<Asked>) {
        let terms = match l.via {
            Written::Email => &self.letters,
            Written::Form => &self.forms,
        };
        terms.get(&l.letter).cloned().unwrap_or((self.default_sla, Vec::new()))
    }
}

/// Each saved letter's deadline and questions, by id.
fn saved_terms(saved: &[EmailProbe]) -> HashMap<String, (Duration, Vec<Asked>)> {
    saved.iter().map(|l| (l.id.clone(), (Duration::from_millis(l.sla_ms), asked_of(l)))).collect()
}

/// What a saved letter asked: its questions, or for a report from before questions, its
/// expected words as the one question.
fn asked_of(l: &EmailProbe) -> Vec<Asked> {
    if l.questions.is_empty() && !l.expect.is_empty() {
        return vec![Asked { id: "answer".into(), expect: l.expect.clone() }];
    }
    l.questions.iter().map(|q| Asked { id: q.id.clone(), expect: q.expect.clone() }).collect()
}

/// The letters the report shows: a letter retried after a failure shows as its latest
/// attempt; a scheduled letter shows once per time it went out.
pub fn shown(all: &[Letter]) -> Vec<&Letter> {
    let superseded = |i: usize, l: &Letter| {
        l.state == SendState::Failed
            && all[i + 1..].iter().any(|n| n.via == l.via && n.letter == l.letter && n.attempt == l.attempt + 1)
    };
    all.iter().enumerate().filter(|(i, l)| !superseded(*i, l)).map(|(_, l)| l).collect()
}

/// What answers are read with: the tone words, the spelling dictionaries, and the words on the
/// store's pages.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// `probes/answers.toml`.
    pub words: &'a AnswerWords,
    /// Hunspell dictionaries.
    pub dictionaries: &'a Dictionaries,
    /// The store's vocabulary, lower case.
    pub vocabulary: &'a std::collections::BTreeSet<String>,
}

/// One letter as evidence: its replies (bounces left out), how long they took, in wall and
/// business time, where it stands at `now`, and how the person's answer reads.
pub fn judge(
    l: &Letter,
    stored: &[StoredReply],
    terms: &Terms,
    business: Option<&str>,
    now: DateTime<FixedOffset>,
    reader: &Reader<'_>,
) -> EmailProbe {
    let (sla, asked) = terms.of_letter(l);
    let expect = answer::all_words(&asked);
    let since =
        |at: DateTime<FixedOffset>| l.sent_at.map(|sent| u64::try_from((at - sent).num_milliseconds()).unwrap_or(0));
    let replies: Vec<EmailReply> = stored
        .iter()
        .filter_map(|r| {
            Some(EmailReply {
                received_at: r.received_at,
                from: r.from.clone(),
                kind: r.kind.reply()?,
                ticket: r.ticket.clone(),
                signed_by: r.signed_by.clone(),
                received_from: r.received_from.clone(),
                matched_by: r.matched_by,
                why_auto: r.why_auto.clone(),
                missing: answer::lacks(&expect, &r.text),
                only_link: only_link(&r.text),
                greets: reading::greets(&r.text, &reader.words.greetings),
            })
        })
        .collect();
    let first_at = replies.first().map(|r| r.received_at);
    let human_at = replies.iter().find(|r| r.kind == ReplyKind::Human).map(|r| r.received_at);
    let (first, first_human) = (first_at.and_then(since), human_at.and_then(since));
    let in_hours = |at: Option<DateTime<FixedOffset>>| {
        let (osm, sent, at) = (business?, l.sent_at?, at?);
        crate::business_time::open_ms(osm, terms.tz, sent, at)
    };
    let overdue = l.sent_at.is_some_and(|sent| (now - sent).to_std().unwrap_or_default() > sla);
    // The answer is every human reply before the deadline, together; the deadline counts in
    // posted hours when the store posts them, as email.first_response_time does.
    let sla_ms = u64::try_from(sla.as_millis()).unwrap_or(u64::MAX);
    let in_time: Vec<&str> = stored
        .iter()
        .filter(|r| r.kind.reply() == Some(ReplyKind::Human))
        .filter(|r| in_hours(Some(r.received_at)).or_else(|| since(r.received_at)).is_some_and(|ms| ms <= sla_ms))
        .map(|r| r.text.as_str())
        .collect();
    let (questions, completeness) = answer::addressed(&asked, &in_time);
    let late = in_hours(human_at).or(first_human).is_some_and(|ms| ms > sla_ms);
    let reading = answer_reading(l, stored, terms, reader, late);
    let state = match l.state {
        SendState::Sending => LetterState::Sending,
        SendState::Failed if l.failure.as_deref().is_some_and(refusal::blames_recipient) => LetterState::Bounced,
        SendState::Failed => LetterState::Failed,
        SendState::Sent if first_human.is_some() => LetterState::Answered,
        SendState::Sent if overdue => LetterState::Unanswered,
        SendState::Sent if first.is_some() => LetterState::Acknowledged,
        SendState::Sent => LetterState::Pending,
    };
    EmailProbe {
        id: l.letter.clone(),
        message_id: l.message_id.clone(),
        to: l.to.clone(),
        subject: l.subject.clone(),
        sent_at: l.sent_at,
        state,
        first_response_ms: first,
        first_human_response_ms: first_human,
        business_hours: business.map(str::to_string),
        first_response_business_ms: in_hours(first_at),
        first_human_response_business_ms: in_hours(human_at),
        replies,
        // A bounce comes after the server's 250: then the failure is the news.
        server: match l.state {
            SendState::Failed if state == LetterState::Bounced => l.failure.clone(),
            SendState::Failed => l.failure.clone().or_else(|| l.server_response.clone()),
            _ => l.server_response.clone().or_else(|| l.failure.clone()),
        },
        sla_ms,
        expect,
        questions,
        completeness,
        attempt: l.attempt,
        reading,
    }
}

/// How the person's replies, together, read against the shopper's letter; none before a
/// person answered.
fn answer_reading(
    l: &Letter,
    stored: &[StoredReply],
    terms: &Terms,
    reader: &Reader<'_>,
    late: bool,
) -> Option<crate::model::evidence::Reading> {
    let human: Vec<&StoredReply> = stored.iter().filter(|r| r.kind.reply() == Some(ReplyKind::Human)).collect();
    if human.is_empty() {
        return None;
    }
    let text = human.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n\n");
    // The help desk that answered is the store's own, whatever its domain.
    let mut own = vec![terms.host.clone()];
    own.extend(human.iter().filter_map(|r| r.from.rsplit_once('@').map(|(_, d)| d.to_string())));
    let names = reading::signed_names(&l.body);
    let ctx = reading::Context { asked: &l.body, names: &names, vocabulary: reader.vocabulary, own_hosts: &own, late };
    Some(reading::read(&text, &ctx, reader.words, reader.dictionaries))
}

/// A reply that is mostly a link ("see https://shop/terms") does not answer the question.
fn only_link(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let links = words.iter().filter(|w| w.starts_with("http://") || w.starts_with("https://")).count();
    links > 0 && words.len() <= 12
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::MailKind;
    use crate::model::evidence::{Completeness, MatchedBy};

    /// Knowledge, no dictionaries and no store words, for reading answers in tests.
    struct Reading(crate::knowledge::Knowledge, Dictionaries, std::collections::BTreeSet<String>);

    impl Reading {
        fn new() -> Self {
            let k = crate::knowledge::Knowledge::load().unwrap();
            Reading(k, Dictionaries::at(std::path::Path::new("/nonexistent")), Default::default())
        }

        fn reader(&self) -> Reader<'_> {
            Reader { words: &self.0.answers, dictionaries: &self.1, vocabulary: &self.2 }
        }
    }

    fn at(hours: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap() + chrono::Duration::hours(hours)
    }

    fn sent(id: &str, state: SendState, attempt: u32) -> Letter {
        Letter {
            id: 1,
            letter: id.into(),
            message_id: "<1@shopper.test>".into(),
            to: "help@shop.test".into(),
            subject: "Delivery".into(),
            body: "Do you deliver to Kazan?\nAnna".into(),
            state,
            sent_at: (state == SendState::Sent).then(|| at(0)),
            server_response: Some("250 queued".into()),
            failure: (state == SendState::Failed).then(|| "550 no such user".into()),
            created_at: at(0),
            attempt,
            retry: false,
            via: Written::Email,
        }
    }

    fn reply(kind: MailKind, after_hours: i64, text: &str) -> StoredReply {
        StoredReply {
            source: format!("INBOX;1;{after_hours}"),
            message_id: None,
            received_at: at(after_hours),
            received_from: "imap internaldate".into(),
            from: "anna@shop.test".into(),
            kind,
            why_auto: None,
            ticket: None,
            signed_by: None,
            matched_by: MatchedBy::Thread,
            text: text.into(),
        }
    }

    fn terms(default_sla_hours: u64) -> Terms {
        Terms {
            store: StoreKey::new("shop"),
            tz: chrono_tz::UTC,
            host: "shop.test".into(),
            default_sla: Duration::from_secs(default_sla_hours * 3600),
            letters: HashMap::new(),
            forms: HashMap::new(),
        }
    }

    #[test]
    fn a_letter_stands_where_its_replies_and_the_clock_put_it() {
        let r = Reading::new();
        let t = terms(24);
        let state = |letter: &Letter, replies: &[StoredReply], now_hours| {
            judge(letter, replies, &t, None, at(now_hours), &r.reader()).state
        };
        let letter = sent("q", SendState::Sent, 1);
        assert_eq!(state(&letter, &[], 1), LetterState::Pending);
        assert_eq!(state(&letter, &[reply(MailKind::Auto, 0, "Ticket 12 opened")], 1), LetterState::Acknowledged);
        assert_eq!(state(&letter, &[reply(MailKind::Human, 2, "Hello, yes")], 3), LetterState::Answered);
        assert_eq!(state(&letter, &[reply(MailKind::Auto, 0, "Ticket 12 opened")], 25), LetterState::Unanswered);
        assert_eq!(
            state(&letter, &[reply(MailKind::Bounce, 0, "550")], 1),
            LetterState::Pending,
            "a bounce is no reply"
        );
        let refused = sent("q", SendState::Failed, 1);
        assert_eq!(
            state(&refused, &[], 1),
            LetterState::Bounced,
            "550 no such user: the store's address does not work"
        );
        let ours = Letter { failure: Some("535 5.7.8 authentication failed".into()), ..refused };
        assert_eq!(state(&ours, &[], 1), LetterState::Failed, "our own server's refusal");
        assert_eq!(state(&sent("q", SendState::Sending, 1), &[], 1), LetterState::Sending);
    }

    #[test]
    fn a_refreshed_report_judges_new_letters_by_the_scenarios_deadline_not_the_default() {
        let r = Reading::new();
        let mut report = Report::empty("shop");
        report.evidence.email_sla_ms = Some(2 * 3600 * 1000);
        let t = Terms::of_report(&report);
        let probe = judge(&sent("new", SendState::Sent, 1), &[], &t, None, at(3), &r.reader());
        assert_eq!((probe.state, probe.sla_ms), (LetterState::Unanswered, 2 * 3600 * 1000));
        report.evidence.email_sla_ms = None; // a report written before the field existed
        let old = judge(&sent("new", SendState::Sent, 1), &[], &Terms::of_report(&report), None, at(3), &r.reader());
        assert_eq!(old.state, LetterState::Pending);
    }

    #[test]
    fn a_retried_letter_shows_as_its_latest_attempt() {
        let all = [sent("q", SendState::Failed, 1), sent("q", SendState::Sent, 2), sent("r", SendState::Failed, 1)];
        let shown: Vec<(&str, u32)> = shown(&all).iter().map(|l| (l.letter.as_str(), l.attempt)).collect();
        assert_eq!(shown, [("q", 2), ("r", 1)]);
    }

    #[test]
    fn replies_are_read_for_words_links_and_greetings() {
        let r = Reading::new();
        let mut t = terms(24);
        let asked = Asked { id: "answer".into(), expect: vec!["Kazan".into(), "price".into()] };
        t.letters.insert("q".into(), (Duration::from_secs(86_400), vec![asked]));
        let probe = judge(
            &sent("q", SendState::Sent, 1),
            &[
                reply(MailKind::Human, 1, "Hello! We deliver to kazan."),
                reply(MailKind::Human, 2, "see https://shop.test/faq"),
            ],
            &t,
            None,
            at(3),
            &r.reader(),
        );
        let (first, second) = (&probe.replies[0], &probe.replies[1]);
        assert_eq!(first.missing, ["price"]);
        assert!(first.greets && !first.only_link);
        assert!(!second.greets && second.only_link);
        assert_eq!(probe.completeness, Some(Completeness::Missed), "neither reply holds both words");
    }

    #[test]
    fn two_questions_are_answered_completely_only_by_replies_in_time() {
        let r = Reading::new();
        let mut t = terms(24);
        let asked = |id: &str, word: &str| Asked { id: id.into(), expect: vec![word.into()] };
        t.letters.insert(
            "q".into(),
            (Duration::from_secs(4 * 3600), vec![asked("where", "Kazan"), asked("cost", "price|стоимост")]),
        );
        let replies = [
            reply(MailKind::Human, 1, "Hello! We deliver to Kazan."),
            reply(MailKind::Human, 3, "The price is 300 roubles."),
            reply(MailKind::Human, 30, "Стоимость 300 рублей."),
        ];
        let two = judge(&sent("q", SendState::Sent, 1), &replies[..2], &t, None, at(40), &r.reader());
        assert_eq!(two.completeness, Some(Completeness::Complete));
        assert!(two.questions.iter().all(|q| q.answered));
        // The cost only after the deadline: the answer in time was partial.
        let late = judge(
            &sent("q", SendState::Sent, 1),
            &[replies[0].clone(), replies[2].clone()],
            &t,
            None,
            at(40),
            &r.reader(),
        );
        assert_eq!(late.completeness, Some(Completeness::Partial));
        assert_eq!(late.questions.iter().filter(|q| !q.answered).map(|q| q.id.as_str()).collect::<Vec<_>>(), ["cost"]);
    }
}
