//! email.answered, email.first_response_time, email.acknowledged, email.ticket_reference,
//! email.personal_signature, email.answer_quality, email.literacy: the mystery shopper's letters. A letter
//! still inside its answer deadline is not judged yet (`not_applicable`), neither pass nor fail.

use super::{list, Check, CheckId, Input, Judged, Severity, Verdict};
use crate::model::evidence::{Addressed, Completeness, EmailProbe, EmailReply, LetterState, MatchedBy, ReplyKind};

/// An acknowledgement is expected within this long ...
const ACK_WITHIN_MS: u64 = 15 * 60 * 1000;
/// ... when the human answer takes longer than this.
const SLOW_ANSWER_MS: u64 = 60 * 60 * 1000;

/// The letters that went out, or the verdict when there are none.
fn sent<'a>(input: &Input<'a>) -> Result<Vec<&'a EmailProbe>, Verdict> {
    went_out(
        &input.evidence.email_probes,
        input.evidence.mailbox_error.as_deref(),
        "No letters were sent to this store (email.enabled is off, or none was due).",
        "No letter reached the store",
    )
}

/// Of the shopper's written questions (`all`), those that reached the store, or the verdict:
/// `none` when none was sent, `lost` (and why) when none arrived, an error when the mailbox
/// could not be read.
pub(super) fn went_out<'a>(
    all: &'a [EmailProbe],
    mailbox_error: Option<&str>,
    none: &str,
    lost: &str,
) -> Result<Vec<&'a EmailProbe>, Verdict> {
    let letters: Vec<_> = all.iter().filter(|l| l.state != LetterState::DryRun).collect();
    if letters.is_empty() {
        return Err(Verdict::not_applicable(none));
    }
    let delivered: Vec<_> = letters.iter().copied().filter(|l| l.state.went_out()).collect();
    if delivered.is_empty() {
        let why: Vec<String> = letters
            .iter()
            .map(|l| format!("{}: {} ({})", l.label(), l.state, l.server.as_deref().unwrap_or("no detail")))
            .collect();
        return Err(Verdict::error(format!("{lost}: {}.", list(&why, 2))));
    }
    if let Some(why) = mailbox_error {
        return Err(Verdict::error(format!("The shopper's mailbox could not be read, so replies are unknown: {why}")));
    }
    Ok(delivered)
}

/// Human replies, first per letter, with their letter.
fn human_answers<'a>(letters: &[&'a EmailProbe]) -> Vec<(&'a EmailProbe, &'a EmailReply)> {
    letters.iter().filter_map(|l| l.replies.iter().find(|r| r.kind == ReplyKind::Human).map(|r| (*l, r))).collect()
}

/// What the letter's answer left out: each question no human reply in time addressed, with
/// its words; for a report from before questions, the first human reply's missing words.
fn unanswered(l: &EmailProbe, first: &EmailReply) -> Vec<String> {
    let Some(completeness) = l.completeness else {
        return match (l.questions.is_empty(), first.missing.is_empty()) {
            (true, false) => vec![format!("does not mention {}", first.missing.join(", "))],
            _ => Vec::new(),
        };
    };
    if completeness == Completeness::Complete {
        return Vec::new();
    }
    let open: Vec<&Addressed> = l.questions.iter().filter(|q| !q.answered).collect();
    let asked = l.questions.len();
    open.iter()
        .map(|q| format!("{} of {asked} question(s) unanswered: {:?} ({})", open.len(), q.id, q.expect.join(", ")))
        .take(1)
        .chain(open.iter().skip(1).map(|q| format!("{:?} ({})", q.id, q.expect.join(", "))))
        .collect()
}

fn minutes(ms: u64) -> String {
    match ms / 60_000 {
        0 => format!("{} s", ms / 1000),
        m if m < 120 => format!("{m} min"),
        m => format!("{:.1} h", m as f64 / 60.0),
    }
}

pub const ANSWERED: Check = Check {
    id: CheckId::EmailAnswered,
    title: "Every letter got a human answer",
    failure_title: "Letters to support go unanswered",
    description: "Not answering at all is the commonest failure: in a study of 1,125 letters to 25 large retailers, 46% got no complete answer. An unanswered letter is a lost sale and a lost customer.",
    severity: Severity::Critical,
    reads: &["evidence.email_probes"],
    run: answered,
};

fn answered(input: &Input<'_>) -> Judged {
    answered_of(&sent(input)?, "letter")
}

/// Every one of `letters` (letters, or questions put through a form: `noun`) got a person's
/// answer within its deadline.
pub(super) fn answered_of(letters: &[&EmailProbe], noun: &str) -> Judged {
    let unanswered: Vec<String> = letters
        .iter()
        .filter(|l| l.state.unanswered())
        .map(|l| match l.state {
            LetterState::Bounced => format!(
                "{} was sent back by the store's server ({})",
                l.label(),
                l.server.as_deref().unwrap_or("no detail")
            ),
            _ => format!("{} (\u{201c}{}\u{201d})", l.label(), l.subject),
        })
        .collect();
    let waiting: Vec<String> = letters
        .iter()
        .filter(|l| matches!(l.state, LetterState::Pending | LetterState::Acknowledged))
        .map(|l| l.label())
        .collect();
    let done = letters.len() - waiting.len();
    if !unanswered.is_empty() {
        return Ok(Verdict::fail(
            format!(
                "{} of {} {noun}s got no human answer within their deadline: {}.",
                unanswered.len(),
                letters.len(),
                list(&unanswered, 3)
            ),
            unanswered,
        ));
    }
    if done == 0 {
        return Ok(Verdict::not_applicable(format!(
            "Waiting: {} {noun}(s) still inside their deadline.",
            waiting.len()
        )));
    }
    let answered: Vec<String> =
        letters.iter().filter(|l| l.state == LetterState::Answered).map(|l| l.label()).collect();
    Ok(Verdict::pass(
        format!(
            "{} {noun}(s) answered by a person{}.",
            answered.len(),
            if waiting.is_empty() { String::new() } else { format!("; {} still waiting", waiting.len()) }
        ),
        answered,
    ))
}

pub const FIRST_RESPONSE_TIME: Check = Check {
    id: CheckId::EmailFirstResponseTime,
    title: "Answers come within the promised time",
    failure_title: "Answers come too late",
    description: "A buyer who waits a day for an answer has bought elsewhere. The best retailer in the classic mystery-shopping study answered in about 41 minutes.",
    severity: Severity::Major,
    reads: &["evidence.email_probes[].first_human_response_ms", "evidence.email_probes[].sla_ms"],
    run: first_response_time,
};

fn first_response_time(input: &Input<'_>) -> Judged {
    first_response_of(&sent(input)?, "letter")
}

/// The first human answer to each of `letters` came within its deadline.
pub(super) fn first_response_of(letters: &[&EmailProbe], noun: &str) -> Judged {
    let mut late = Vec::new();
    let mut ok = Vec::new();
    for l in letters {
        // Inside posted hours when the store posts them (a 24/7 promise is calendar time).
        let measured = l.first_human_response_business_ms.or(l.first_human_response_ms);
        let basis = if l.first_human_response_business_ms.is_some() { " in business hours" } else { "" };
        match measured {
            Some(ms) if ms > l.sla_ms => {
                late.push(format!("{}: {}{basis} (deadline {})", l.label(), minutes(ms), minutes(l.sla_ms)))
            }
            Some(ms) => ok.push(format!("{}: {}{basis}", l.label(), minutes(ms))),
            None if l.state.unanswered() => late.push(format!("{}: no answer after {}", l.label(), minutes(l.sla_ms))),
            None => {}
        }
    }
    Ok(if !late.is_empty() {
        Verdict::fail(format!("{} {noun}(s) answered late or not at all: {}.", late.len(), list(&late, 3)), late)
    } else if ok.is_empty() {
        Verdict::not_applicable("No answer yet, and no deadline has passed.")
    } else {
        Verdict::pass(format!("First human answers: {}.", list(&ok, 3)), ok)
    })
}

pub const ACKNOWLEDGED: Check = Check {
    id: CheckId::EmailAcknowledged,
    title: "The shopper is told the letter arrived",
    failure_title: "No word that the letter arrived",
    description: "When the real answer takes time, an acknowledgement or a ticket receipt within minutes tells the buyer someone is on it; silence makes them write again, or leave.",
    severity: Severity::Minor,
    reads: &["evidence.email_probes[].replies"],
    run: acknowledged,
};

fn acknowledged(input: &Input<'_>) -> Judged {
    let letters = sent(input)?;
    let mut silent = Vec::new();
    let mut told = Vec::new();
    for l in &letters {
        let quick = l.first_response_ms.is_some_and(|ms| ms <= ACK_WITHIN_MS);
        let slow_answer = l.first_human_response_ms.is_none_or(|ms| ms > SLOW_ANSWER_MS);
        let decided = l.first_human_response_ms.is_some() || l.state.unanswered();
        if quick {
            told.push(l.label());
        } else if slow_answer && decided {
            silent.push(format!("{}: nothing within {}", l.label(), minutes(ACK_WITHIN_MS)));
        }
    }
    Ok(if !silent.is_empty() {
        Verdict::fail(format!("The answer took over an hour and nothing came first: {}.", list(&silent, 3)), silent)
    } else if told.is_empty() {
        Verdict::not_applicable("No reply yet to judge.")
    } else {
        Verdict::pass(format!("{} letter(s) got a reply within {}.", told.len(), minutes(ACK_WITHIN_MS)), told)
    })
}

pub const TICKET_REFERENCE: Check = Check {
    id: CheckId::EmailTicketReference,
    title: "Replies stay in the thread and carry a ticket number",
    failure_title: "Replies lose the thread",
    description: "A reply that keeps the thread (In-Reply-To/References) and quotes a ticket or case number lets the buyer and the next agent find the conversation again.",
    severity: Severity::Minor,
    reads: &["evidence.email_probes[].replies[].matched_by", "evidence.email_probes[].replies[].ticket"],
    run: ticket_reference,
};

fn ticket_reference(input: &Input<'_>) -> Judged {
    let letters = sent(input)?;
    let replies: Vec<(&EmailProbe, &EmailReply)> =
        letters.iter().flat_map(|l| l.replies.iter().map(move |r| (*l, r))).collect();
    if replies.is_empty() {
        return Ok(Verdict::not_applicable("No reply yet to judge."));
    }
    let unthreaded: Vec<String> = replies
        .iter()
        .filter(|(_, r)| r.matched_by != MatchedBy::Thread)
        .map(|(l, r)| format!("{}: reply from {} matched by {}", l.label(), r.from, r.matched_by))
        .collect();
    let tickets: Vec<String> =
        replies.iter().filter_map(|(l, r)| r.ticket.as_ref().map(|t| format!("{}: #{t}", l.label()))).collect();
    Ok(if !unthreaded.is_empty() {
        Verdict::fail(
            format!("{} reply(ies) started a new thread: {}.", unthreaded.len(), list(&unthreaded, 2)),
            unthreaded,
        )
    } else if tickets.is_empty() {
        Verdict::warn("Replies keep the thread but carry no ticket or case number.", Vec::new())
    } else {
        Verdict::pass(format!("Replies keep the thread and carry ticket numbers ({}).", list(&tickets, 3)), tickets)
    })
}

pub const PERSONAL_SIGNATURE: Check = Check {
    id: CheckId::EmailPersonalSignature,
    title: "Answers are signed by a person",
    failure_title: "Answers are signed by nobody",
    description: "\u{201c}Julia Ivanova, customer support\u{201d} tells the buyer a person read the letter and answers for it; \u{201c}Support Team\u{201d} does not.",
    severity: Severity::Minor,
    reads: &["evidence.email_probes[].replies[].signed_by"],
    run: personal_signature,
};

fn personal_signature(input: &Input<'_>) -> Judged {
    let letters = sent(input)?;
    let answers = human_answers(&letters);
    if answers.is_empty() {
        return Ok(Verdict::not_applicable("No human answer yet."));
    }
    let unsigned: Vec<String> = answers
        .iter()
        .filter(|(_, r)| r.signed_by.is_none())
        .map(|(l, r)| format!("{}: from {}", l.label(), r.from))
        .collect();
    let signed: Vec<String> =
        answers.iter().filter_map(|(l, r)| r.signed_by.as_ref().map(|n| format!("{}: {n}", l.label()))).collect();
    Ok(if unsigned.is_empty() {
        Verdict::pass(format!("Signed by {}.", list(&signed, 3)), signed)
    } else {
        Verdict::fail(format!("{} answer(s) carry no person's name: {}.", unsigned.len(), list(&unsigned, 2)), unsigned)
    })
}

pub const ANSWER_QUALITY: Check = Check {
    id: CheckId::EmailAnswerQuality,
    title: "Answers address the question",
    failure_title: "Answers miss the question",
    description: "An answer must answer: every question of the letter addressed (its expected words appear in some human reply before the deadline), more than a link to the terms of service, and a greeting for the buyer. A letter that asks two things is answered completely only when both are answered: the second headline number of mystery shopping.",
    severity: Severity::Major,
    reads: &[
        "evidence.email_probes[].questions",
        "evidence.email_probes[].completeness",
        "evidence.email_probes[].replies[].missing",
    ],
    run: answer_quality,
};

fn answer_quality(input: &Input<'_>) -> Judged {
    let letters = sent(input)?;
    let answers = human_answers(&letters);
    if answers.is_empty() {
        return Ok(Verdict::not_applicable("No human answer yet."));
    }
    let mut misses = Vec::new();
    let mut rude = Vec::new();
    let mut tone = Vec::new();
    for (l, r) in &answers {
        // What an answer says is judged when it came before the deadline (a late one is the
        // response time's failure); how it reads (links, language, greeting, an apology for
        // being late) always.
        let in_time = l.completeness.is_some() || l.questions.is_empty();
        let unanswered = unanswered(l, r);
        if in_time && r.only_link {
            misses.push(format!("{}: only a link", l.label()));
        } else if in_time && !unanswered.is_empty() {
            misses.push(format!("{}: {}", l.label(), unanswered.join("; ")));
        }
        match &l.reading {
            Some(reading) => {
                super::reading::faults(&l.label(), reading, &mut misses, &mut rude);
                tone.push(super::reading::tone(&l.label(), reading));
            }
            None if !r.greets => rude.push(format!("{}: no greeting", l.label())),
            None => {}
        }
    }
    let evidence = |mut found: Vec<String>| {
        found.extend(tone.iter().cloned());
        found
    };
    Ok(if !misses.is_empty() {
        Verdict::fail(format!("{}.", list(&misses, 2)), evidence(misses))
    } else if !rude.is_empty() {
        Verdict::warn(format!("Complete, but {}.", list(&rude, 2)), evidence(rude))
    } else {
        Verdict::pass(
            format!(
                "{} answer(s) complete: every expected word, in the buyer's language, a greeting, no other shop's links.",
                answers.len()
            ),
            evidence(Vec::new()),
        )
    })
}

pub const LITERACY: Check = Check {
    id: CheckId::EmailLiteracy,
    title: "Answers are spelt correctly",
    failure_title: "Answers are misspelt",
    description: "Illiterate answers are one of the failures buyers meet most: a letter full of mistakes reads as careless, and the buyer doubts the rest. Misspellings are counted per 100 words with the Hunspell dictionary of the answer's language (Russian, English, Greek, German); names, brands, product codes, links, the store's own words and the shopper's letter are not counted.",
    severity: Severity::Minor,
    reads: &["evidence.email_probes[].reading"],
    run: literacy,
};

fn literacy(input: &Input<'_>) -> Judged {
    let letters = sent(input)?;
    let answers: Vec<(String, &crate::model::evidence::Reading)> =
        letters.iter().filter_map(|l| l.reading.as_ref().map(|r| (l.label(), r))).collect();
    Ok(super::reading::literacy(&answers, "No human answer yet."))
}
