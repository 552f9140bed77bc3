//! form.present, form.accepts, form.answered, form.first_response_time: a buyer can write to
//! the store even where it publishes no address, and the form takes the question and gets it
//! answered.

use super::{list, read_pages, Check, CheckId, Input, Judged, Severity, Verdict};
use crate::model::evidence::{EmailProbe, LetterState, Submitted};

pub const PRESENT: Check = Check {
    id: CheckId::FormPresent,
    title: "A buyer can write to the store",
    failure_title: "No way to write to the store",
    description: "Many stores publish no support address: then the feedback form on the contacts page is the buyer's only written channel. A store with neither leaves a buyer who cannot get through on the phone with nowhere to ask.",
    severity: Severity::Major,
    reads: &["evidence.forms.forms", "evidence.contacts.emails"],
    run: present,
};

fn present(input: &Input<'_>) -> Judged {
    if read_pages(input).next().is_none() {
        return Ok(Verdict::error("No page of the store could be read."));
    }
    let ev = input.evidence;
    let forms: Vec<String> = ev
        .forms
        .forms
        .iter()
        .map(|f| match &f.vendor {
            Some(v) => format!("{} (served by {v})", f.page),
            None => f.page.clone(),
        })
        .collect();
    Ok(match (forms.is_empty(), ev.contacts.emails.is_empty()) {
        (false, _) => Verdict::pass(format!("A contact form on {}.", list(&forms, 2)), forms),
        (true, false) => Verdict::not_applicable(format!(
            "No contact form was found, and none is needed: the store publishes {}.",
            list(&ev.contacts.emails, 2)
        )),
        (true, true) => Verdict::fail(
            "No written channel: the store publishes no e-mail address and no contact form was found on the pages read.",
            Vec::new(),
        ),
    })
}

pub const ACCEPTS: Check = Check {
    id: CheckId::FormAccepts,
    title: "The contact form takes a question",
    failure_title: "The contact form refuses questions",
    description: "A form that answers a buyer's question with a validation error, an error page or nothing at all loses the buyer at the last step; one that demands a phone number or a CAPTCHA makes writing harder. The probe fills the form as a person does and sends it once.",
    severity: Severity::Major,
    reads: &["evidence.forms.submissions", "evidence.forms.answers"],
    run: accepts,
};

fn accepts(input: &Input<'_>) -> Judged {
    let forms = &input.evidence.forms;
    // This run's submissions, then what the history says of questions sent before.
    let mut seen: Vec<(String, Submitted, String)> = forms
        .submissions
        .iter()
        .map(|s| {
            let said = s.said.clone().unwrap_or_default();
            (s.question_id.clone(), s.outcome, format!("{} ({}): {said}", s.question_id, s.page))
        })
        .collect();
    for a in forms.answers.iter().rev() {
        if seen.iter().any(|(id, ..)| id == &a.id) {
            continue;
        }
        let (outcome, said) = match a.state {
            LetterState::Failed => (Submitted::Refused, a.server.clone().unwrap_or_default()),
            LetterState::Sending => (Submitted::Unconfirmed, a.server.clone().unwrap_or_default()),
            LetterState::DryRun => (Submitted::DryRun, String::new()),
            _ => (Submitted::Accepted, a.server.clone().unwrap_or_default()),
        };
        seen.push((a.id.clone(), outcome, format!("{} ({}): {said}", a.label(), a.to)));
    }
    let of = |want: &[Submitted]| -> Vec<String> {
        seen.iter().filter(|(_, o, _)| want.contains(o)).map(|(.., said)| said.clone()).collect()
    };
    let (refused, lost, blocked, accepted) =
        (of(&[Submitted::Refused]), of(&[Submitted::NotFound]), of(&[Submitted::Blocked]), of(&[Submitted::Accepted]));
    if !refused.is_empty() {
        return Ok(Verdict::fail(format!("The form refused the question: {}.", list(&refused, 2)), refused));
    }
    if !lost.is_empty() {
        // The crawl saw a form the probe could not find: the probe's miss, not the store's.
        return Ok(if forms.forms.is_empty() {
            Verdict::fail(format!("No contact form to take the question: {}.", list(&lost, 2)), lost)
        } else {
            Verdict::error(format!(
                "The crawl found a contact form, but the probe could not work it: {}. Name it in form.selectors.",
                list(&lost, 2)
            ))
        });
    }
    let broken = of(&[Submitted::Failed, Submitted::Unconfirmed]);
    if !broken.is_empty() {
        return Ok(Verdict::error(format!("The form could not be worked to the end: {}.", list(&broken, 2))));
    }
    if !blocked.is_empty() {
        return Ok(Verdict::warn(
            format!("Not sent, and a buyer meets the same hurdle: {}.", list(&blocked, 2)),
            blocked,
        ));
    }
    if accepted.is_empty() {
        return Ok(Verdict::not_applicable(
            "No question was put through the form (form.enabled is off, none was due, or a dry run).",
        ));
    }
    Ok(Verdict::pass(format!("The form took the question: {}.", list(&accepted, 2)), accepted))
}

/// The questions the form took, or the verdict when there are none.
fn taken<'a>(input: &Input<'a>) -> Result<Vec<&'a EmailProbe>, Verdict> {
    let ev = input.evidence;
    super::email::went_out(
        &ev.forms.answers,
        ev.mailbox_error.as_deref(),
        "No question was put through the contact form (form.enabled is off, or none was due).",
        "The form took no question (see form.accepts)",
    )
}

pub const ANSWERED: Check = Check {
    id: CheckId::FormAnswered,
    title: "Every question sent through the form got a human answer",
    failure_title: "Questions sent through the form go unanswered",
    description: "Where the form is the only written channel, an unanswered form is an unanswered buyer. Its answer comes by e-mail, timed from the click that sent it, and is judged as a letter's is.",
    severity: Severity::Critical,
    reads: &["evidence.forms.answers"],
    run: answered,
};

fn answered(input: &Input<'_>) -> Judged {
    let mut verdict = super::email::answered_of(&taken(input)?, "question")?;
    // Mail the mailbox could not tie to one question may be an answer: said, not guessed.
    let unfiled = &input.evidence.forms.unfiled;
    if !unfiled.is_empty() {
        let said: Vec<String> = unfiled
            .iter()
            .map(|u| format!("from {} ({:?}), {} question(s) waiting", u.from, u.subject, u.waiting))
            .collect();
        verdict.detail += &format!(
            " {} message(s) from the store's domain carried no reply token while several questions waited, so they \
             were not filed: {}.",
            unfiled.len(),
            list(&said, 2)
        );
        verdict.evidence.extend(said);
    }
    Ok(verdict)
}

pub const FIRST_RESPONSE_TIME: Check = Check {
    id: CheckId::FormFirstResponseTime,
    title: "Answers to the form come within the promised time",
    failure_title: "Answers to the form come too late",
    description: "A buyer who asked through the form waits for the answer as for a letter's: the first human answer is timed from the submission, in posted hours when the store posts them.",
    severity: Severity::Major,
    reads: &["evidence.forms.answers[].first_human_response_ms", "evidence.forms.answers[].sla_ms"],
    run: first_response_time,
};

fn first_response_time(input: &Input<'_>) -> Judged {
    super::email::first_response_of(&taken(input)?, "question")
}
