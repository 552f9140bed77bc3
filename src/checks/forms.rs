//! form.present: a buyer can write to the store even where it publishes no address.

use super::{list, read_pages, Check, CheckId, Input, Judged, Severity, Verdict};

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
