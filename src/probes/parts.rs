//! `shopaudit chat-parts URL`: proposes the `chat.selectors` a scenario needs for the
//! conversation probe, since each vendor's widget is built differently and no preset can be
//! trusted without checking it against the live widget. It opens the page, clicks the launcher
//! as a person does, and looks in every document of the tab (the vendor's frames too) for the
//! message box, the send button and the operator's messages (`probes/browser/parts.js`).
//! Nothing is typed or sent.

use std::time::Duration;

use serde::Deserialize;

use crate::knowledge::Knowledge;
use crate::model::Viewport;
use crate::probes::browser::{self, Chromium};
use crate::probes::frames::{Frames, Place};
use crate::probes::step::{Step, StepError};

const PARTS_JS: &str = include_str!("../../probes/browser/parts.js");

/// How long a widget may take to put its launcher on the page.
const LAUNCHER_WAIT: Duration = Duration::from_secs(5);

/// How long a widget may take to show its window after the click.
const SETTLE: Duration = Duration::from_millis(2500);

/// The proposed selectors, each `None` when nothing fitting was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    /// The button a shopper clicks, and how it was found.
    pub launcher: Option<(String, String)>,
    /// The known vendor whose launcher it is, and whether its API tells the operator's messages.
    pub vendor: Option<(String, bool)>,
    /// Where the widget's window is: the page itself, or the address of its frame.
    pub window: Option<String>,
    /// What was found in the window.
    pub parts: WindowParts,
    /// After the click the widget showed only a leave-a-message form: nobody is online now.
    pub offline: bool,
}

/// The parts found in the widget's window, as `parts.js` reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WindowParts {
    /// The message box.
    pub input: Option<String>,
    /// The send button (without one, the probe presses Enter).
    pub send: Option<String>,
    /// The operator's messages (the greeting, when the widget shows one).
    pub operator_message: Option<String>,
    /// The first such message, so the user can tell it is the right thing.
    pub greeting: Option<String>,
    /// The operator's displayed name.
    pub operator_name: Option<String>,
}

#[derive(Deserialize)]
struct Found {
    launcher: Option<String>,
    how: Option<String>,
}

#[derive(Deserialize)]
struct Window {
    found: bool,
    #[serde(default)]
    offline: bool,
    /// The frame of the page's own site the message box is in.
    frame: Option<String>,
    #[serde(flatten)]
    parts: WindowParts,
}

/// Opens `page` in a fresh tab of `chromium`, clicks the launcher (`launcher`, else a known
/// vendor's, else a floating button that mentions the chat) and proposes selectors.
pub fn propose(chromium: &Chromium, page: &str, launcher: Option<&str>, k: &Knowledge) -> Step<Proposal> {
    let tab = chromium.browser().new_tab()?;
    let proposal = look(&tab, page, launcher, k);
    let _ = tab.close(false);
    proposal
}

fn look(tab: &headless_chrome::Tab, page: &str, launcher: Option<&str>, k: &Knowledge) -> Step<Proposal> {
    browser::emulate(tab, Viewport::Desktop)?;
    browser::navigate(tab, page)?;
    let candidates: Vec<&str> =
        launcher.into_iter().chain(k.vendors.iter().flat_map(|v| v.launcher.iter().map(String::as_str))).collect();
    let parts_js = browser::with_prelude(PARTS_JS);
    let script = |mode: &str| {
        parts_js
            .replace("LAUNCHERS", &serde_json::to_string(&candidates).unwrap_or_else(|_| "[]".into()))
            .replace("MODE", &format!("{mode:?}"))
    };
    let mut frames = Frames::new(tab);
    // Widgets often load after the page: give the launcher a few seconds to appear.
    let found = browser::poll(LAUNCHER_WAIT, Duration::from_millis(250), || {
        let found: Found = serde_json::from_str(&frames.evaluate(&Place::Page, &script("launcher"))?)
            .map_err(StepError::answer("the launcher script"))?;
        Ok(found.launcher.is_some().then_some(found))
    })?;
    let mut proposal = Proposal::default();
    let Some(Found { launcher: Some(selector), how }) = found else {
        return Ok(proposal);
    };
    let element = format!(
        "document.querySelector({})",
        serde_json::to_string(&selector).map_err(StepError::answer("the launcher"))?
    );
    frames.click(&Place::Page, &element)?;
    proposal.vendor = k
        .vendors
        .iter()
        .find(|v| Some(selector.as_str()) != launcher && v.launcher.contains(&selector))
        .map(|v| (v.id.clone(), v.hear_script.is_some()));
    let how = match (&proposal.vendor, Some(selector.as_str()) == launcher) {
        (_, true) => "as named with --launcher".to_string(),
        (Some((vendor, _)), false) => format!("{vendor}'s, known to the probe"),
        (None, false) => how.unwrap_or_default(),
    };
    proposal.launcher = Some((selector, how));
    std::thread::sleep(SETTLE);
    // The widget's own frames first: a search box on the page is not the chat's message box.
    let places = frames.places()?;
    let urls: Vec<Option<String>> =
        places.iter().skip(1).map(|place| frames.evaluate(place, "location.href").ok()).collect();
    for (place, url) in places.iter().skip(1).zip(urls).chain(std::iter::once((&Place::Page, None))) {
        let Ok(json) = frames.evaluate(place, &script("window")) else { continue };
        let window: Window = serde_json::from_str(&json).map_err(StepError::answer("the window script"))?;
        proposal.offline |= window.offline;
        if window.found {
            proposal.window = Some(url.or(window.frame).unwrap_or_else(|| "the page itself".into()));
            proposal.parts = window.parts;
            break;
        }
    }
    Ok(proposal)
}

/// The proposal as a `[chat]` table to paste into a scenario, with what was not found.
pub fn toml(p: &Proposal) -> String {
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    let Some((launcher, how)) = &p.launcher else {
        return "# No chat launcher was found: name it with --launcher SELECTOR.\n".into();
    };
    out.push_str(&format!("# The launcher: {how}.\n"));
    if let Some((vendor, heard)) = &p.vendor {
        out.push_str(&format!(
            "# With `enabled = true` and no selectors the probe opens {vendor}'s widget and finds the\n\
             # message box itself{}. The selectors below pin the parts down.\n",
            if *heard { ", and hears the operator through the vendor's API" } else { "" }
        ));
    }
    match &p.window {
        Some(window) => out.push_str(&format!("# The chat's window: {window}.\n")),
        None if p.offline => out.push_str(
            "# After the click the chat showed only a leave-a-message form: nobody is online now.\n\
             # Run this again while operators are online to find the message box.\n",
        ),
        None => out.push_str("# After the click no message box showed: is the chat behind a form?\n"),
    }
    match &p.parts.greeting {
        Some(greeting) => out.push_str(&format!("# The first operator message seen: {}\n", quote(greeting))),
        None if p.parts.input.is_some() => {
            out.push_str("# The widget showed no operator message yet: name operator_message from a real one.\n")
        }
        None => {}
    }
    let parts = [
        ("launcher", Some(launcher)),
        ("input", p.parts.input.as_ref()),
        ("send", p.parts.send.as_ref()),
        ("operator_message", p.parts.operator_message.as_ref()),
        ("operator_name", p.parts.operator_name.as_ref()),
    ];
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| if *k == "send" { "send (optional: without it the probe presses Enter)" } else { k })
        .collect();
    if !missing.is_empty() {
        out.push_str(&format!("# Not found (name them yourself): {}.\n", missing.join(", ")));
    }
    let found: Vec<String> = parts.iter().filter_map(|(k, v)| v.map(|v| format!("{k} = {}", quote(v)))).collect();
    out.push_str("[chat]\nenabled = true\n");
    out.push_str(&format!("selectors = {{ {} }}\n", found.join(", ")));
    out
}
