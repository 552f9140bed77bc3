//! ux.no_intrusive_popup, ux.no_autoplay_audio.

use super::{browser_visits, list, where_, Check, CheckId, Input, Judged, Severity, Verdict};

pub const NO_INTRUSIVE_POPUP: Check = Check {
    id: CheckId::UxNoIntrusivePopup,
    title: "Nothing jumps at the buyer",
    failure_title: "Popups ambush the buyer",
    description: "Invitations, modals and chat windows that open by themselves, and come back after being closed, drive buyers away; a visible button they can use when they want is enough. Cookie and age dialogs do not count.",
    severity: Severity::Major,
    reads: &["evidence.browser.visits[].popups", "evidence.browser.visits[].chats[].open"],
    run: no_intrusive_popup,
};

fn no_intrusive_popup(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let mut found = Vec::new();
    for v in &visits {
        for p in v.popups.iter().filter(|p| p.is_invitation()) {
            let again = match p.opens {
                0 | 1 => String::new(),
                2 => ", and came back once after being closed".to_string(),
                n => format!(", and came back {} times after being closed", n - 1),
            };
            found.push(format!(
                "{}: <{}> \u{201c}{}\u{201d} opened by itself after {:.1} s, covering {:.0}% of the screen{again}",
                where_(v),
                p.element,
                p.text,
                p.opened_at as f64 / 1000.0,
                p.coverage * 100.0
            ));
        }
        for c in v.chats.iter().filter(|c| c.open == Some(true)) {
            found.push(format!("{}: the {} chat window opened by itself", where_(v), c.vendor));
        }
    }
    let consent = visits.iter().flat_map(|v| &v.popups).filter(|p| p.consent).count();
    let watched = input.evidence.browser.as_ref().map_or(0, |b| b.observe_ms) as f64 / 1000.0;
    Ok(if found.is_empty() {
        let note = if consent > 0 {
            format!(" ({consent} cookie or consent dialog(s) were seen; they do not count.)")
        } else {
            String::new()
        };
        Verdict::pass(
            format!("{} visits watched for {watched:.0} s each; nothing opened by itself.{note}", visits.len()),
            Vec::new(),
        )
    } else {
        let pages: std::collections::BTreeSet<&str> = visits
            .iter()
            .filter(|v| v.popups.iter().any(|p| p.is_invitation()) || v.chats.iter().any(|c| c.open == Some(true)))
            .map(|v| v.page.as_str())
            .collect();
        Verdict::fail(
            format!("{} automatic invitation(s) on {} page(s): {}.", found.len(), pages.len(), list(&found, 1)),
            found,
        )
    })
}

pub const NO_AUTOPLAY_AUDIO: Check = Check {
    id: CheckId::UxNoAutoplayAudio,
    title: "No sound starts by itself",
    failure_title: "The page plays sound by itself",
    description: "Music or a voice that starts without a click makes buyers close the tab, often in an office or on public transport. A muted background video is fine.",
    severity: Severity::Major,
    reads: &["evidence.browser.visits[].media"],
    run: no_autoplay_audio,
};

fn no_autoplay_audio(input: &Input<'_>) -> Judged {
    let visits = browser_visits(input)?;
    let loud: Vec<String> = visits
        .iter()
        .flat_map(|v| {
            v.media.iter().filter(|m| m.is_autoplay_sound()).map(move |m| {
                format!(
                    "{}: <{}> {} started after {:.1} s at volume {:.0}%",
                    where_(v),
                    m.tag,
                    m.src,
                    m.at as f64 / 1000.0,
                    m.volume * 100.0
                )
            })
        })
        .collect();
    let muted = visits.iter().flat_map(|v| &v.media).filter(|m| m.muted).count();
    Ok(if loud.is_empty() {
        let note = if muted > 0 { format!(" {muted} muted video(s) played, which is fine.") } else { String::new() };
        Verdict::pass(format!("No audible media started by itself in {} visits.{note}", visits.len()), Vec::new())
    } else {
        Verdict::fail(format!("Sound started without a click: {}.", list(&loud, 1)), loud)
    })
}
