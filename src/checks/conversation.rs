//! chat.answers: a question typed into the store's chat gets a person's answer in time;
//! chat.literacy: the answer is spelt correctly.

use super::{list, Check, CheckId, Input, Judged, Severity, Verdict};
use crate::model::evidence::ConversationOutcome::{Answered, AutoOnly, NoReply, OfflineForm};
use crate::model::evidence::{Conversation, LineKind};

pub const ANSWERS: Check = Check {
    id: CheckId::ChatAnswers,
    title: "A person answers the chat in time",
    failure_title: "Nobody answered the chat",
    description: "A widget that says \u{201c}online\u{201d} proves nothing: some are set to always look online, and the commonest complaint about store chats is that nobody answers. Only a question and an answer prove someone is there.",
    severity: Severity::Critical,
    reads: &["evidence.chat.conversations"],
    run: answers,
};

fn answers(input: &Input<'_>) -> Judged {
    let talks = &input.evidence.chat.conversations;
    if talks.is_empty() {
        return Ok(Verdict::not_applicable(
            "No question was asked in the chat (chat.enabled is off, no chat.questions, or no browser).",
        ));
    }
    let broken: Vec<String> =
        talks.iter().filter_map(|t| t.error.as_ref().map(|e| format!("{}: {e}", t.question_id))).collect();
    if !broken.is_empty() {
        return Ok(Verdict::error(format!("The question could not be asked: {}.", list(&broken, 2))));
    }
    let seconds = |ms: u64| format!("{:.1} s", ms as f64 / 1000.0);
    let mut failed = Vec::new();
    let mut incomplete = Vec::new();
    let mut good = Vec::new();
    for t in talks {
        let said = |what: String| format!("{}: {what}", t.question_id);
        // Sending the buyer to other shops, or answering in another language, is no answer.
        let mut faults = Vec::new();
        if let Some(r) = &t.reading {
            super::reading::faults(&t.question_id, r, &mut faults, &mut Vec::new());
        }
        match (t.outcome, t.first_human_reply_ms) {
            (Answered, Some(_)) if !faults.is_empty() => incomplete.extend(faults),
            (Answered, Some(ms)) if !t.missing.is_empty() => {
                incomplete.push(said(format!("{} answered in {} without {}", who(t), seconds(ms), left_out(t))))
            }
            (Answered, Some(ms)) => good.push(said(format!("{} answered in {}", who(t), seconds(ms)))),
            (AutoOnly, _) => failed.push(said(format!(
                "only automatic replies in {} (\u{201c}{}\u{201d})",
                seconds(t.sla_ms),
                t.transcript.iter().rfind(|l| l.kind == LineKind::Auto).map_or("", |l| l.text.as_str())
            ))),
            (OfflineForm, _) if t.message_left => {
                failed.push(said("the chat was offline; a message was left in its form".into()))
            }
            (OfflineForm, _) => failed.push(said("the chat was offline and offered only a form".into())),
            (NoReply, _) | (Answered, None) => failed.push(said(format!("no reply in {}", seconds(t.sla_ms)))),
        }
    }
    Ok(if !failed.is_empty() {
        Verdict::fail(format!("{}.", list(&failed, 2)), failed)
    } else if !incomplete.is_empty() {
        Verdict::warn(format!("Answered, but not completely: {}.", list(&incomplete, 2)), incomplete)
    } else {
        Verdict::pass(format!("{}.", list(&good, 2)), good)
    })
}

fn who(t: &Conversation) -> String {
    t.operator_name.as_ref().map_or_else(|| "a person".to_string(), |n| format!("\u{201c}{n}\u{201d}"))
}

/// What the answer left out: the questions it did not address (when the question lists
/// several), else the words it lacked.
fn left_out(t: &Conversation) -> String {
    let open: Vec<String> = t.questions.iter().filter(|q| !q.answered).map(|q| format!("{:?}", q.id)).collect();
    match t.questions.len() {
        0 | 1 => t.missing.join(", "),
        asked => format!("an answer to {} of {asked} questions ({})", open.len(), open.join(", ")),
    }
}

pub const LITERACY: Check = Check {
    id: CheckId::ChatLiteracy,
    title: "Chat answers are spelt correctly",
    failure_title: "Chat answers are misspelt",
    description: "Buyers judge a store by how its people write: an answer full of mistakes reads as careless, or as no answer at all. Misspellings are counted per 100 words with the Hunspell dictionary of the answer's language; names, brands, product codes, links, the store's own words and the shopper's question are not counted.",
    severity: Severity::Minor,
    reads: &["evidence.chat.conversations[].reading"],
    run: literacy,
};

fn literacy(input: &Input<'_>) -> Judged {
    let answers: Vec<(String, &crate::model::evidence::Reading)> = input
        .evidence
        .chat
        .conversations
        .iter()
        .filter_map(|t| t.reading.as_ref().map(|r| (t.question_id.clone(), r)))
        .collect();
    Ok(super::reading::literacy(&answers, "No person answered in the chat."))
}
