//! A shopper's eyes and hands in every document of a tab, whichever site its frame comes from.
//!
//! Chat widgets live in frames, often served from the vendor's own site, where the page's script
//! cannot reach (`contentDocument` is null). Over CDP each such frame gets an isolated world of
//! ours, so a probe script runs there as it runs in the page. The page keeps its own world: the
//! store's script sees nothing of ours, and same-origin rules inside the page are unchanged.
//! This needs the frames in the tab's own renderer: Chromium is started with site isolation off
//! (`browser::Chromium::launch`); otherwise another site's frame is a separate target.
//!
//! Clicks and keystrokes are the browser's own input events at the element's place on the
//! screen, as a person's are: a launcher that is itself a frame opens, widgets that ignore
//! scripted events answer, and whatever covers the element gets the click instead.

use std::collections::HashMap;
use std::time::Duration;

use headless_chrome::protocol::cdp::types::Method;
use headless_chrome::Tab;
use serde::{Deserialize, Serialize};

use crate::probes::step::{Step, StepError};

/// Where a script runs: the page itself, or our world in one frame of another origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// The top document (and, through it, every frame of its own origin).
    Page,
    /// A frame, by its CDP frame id, whose origin differs from its parent's.
    Frame(String),
}

/// The documents of one tab, with the worlds created in them so far.
pub(crate) struct Frames<'a> {
    tab: &'a Tab,
    worlds: HashMap<String, u64>,
}

impl<'a> Frames<'a> {
    pub(crate) fn new(tab: &'a Tab) -> Self {
        Frames { tab, worlds: HashMap::new() }
    }

    /// The places to look, in document order: the page, then each frame a page script cannot
    /// enter (its origin differs from its parent's). Frames come and go as widgets open, so
    /// this is read anew each time.
    pub(crate) fn places(&mut self) -> Step<Vec<Place>> {
        let frames = self.foreign()?;
        Ok(std::iter::once(Place::Page).chain(frames.into_iter().map(|(id, _)| Place::Frame(id))).collect())
    }

    /// The frame of another origin showing `url` (the `src` a page script saw), else the
    /// only one from that origin: a frame's address can change after its `src` (redirects).
    pub(crate) fn showing(&mut self, url: &str) -> Step<Option<Place>> {
        let frames = self.foreign()?;
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        let exact = frames.iter().find(|(_, at)| at == url);
        let same_origin: Vec<_> = frames.iter().filter(|(_, at)| origin(at) == origin(url)).collect();
        let found = exact.or(if same_origin.len() == 1 { same_origin.first().copied() } else { None });
        Ok(found.map(|(id, _)| Place::Frame(id.clone())))
    }

    /// Each frame of another origin than its parent's, as (frame id, address); the worlds of
    /// frames now gone are forgotten.
    fn foreign(&mut self) -> Step<Vec<(String, String)>> {
        let tree = self.tab.call_method(GetFrameTree {})?.frame_tree;
        let mut out = Vec::new();
        walk(&tree, &mut out);
        self.worlds.retain(|id, _| out.iter().any(|(live, _)| live == id));
        Ok(out)
    }

    /// Evaluates `expression` (which must produce a string) at `place`.
    pub(crate) fn evaluate(&mut self, place: &Place, expression: &str) -> Step<String> {
        let reply = self.run(place, expression, true)?;
        match reply.result.value {
            Some(serde_json::Value::String(s)) => Ok(s),
            _ => Err(StepError::Script(reply.failure())),
        }
    }

    /// Clicks, as a person does, the element `expression` produces at `place`: scrolled into
    /// view, then the mouse pressed and released at its centre. `false` when it produced none.
    pub(crate) fn click(&mut self, place: &Place, expression: &str) -> Step<bool> {
        let reply = self.run(place, expression, false)?;
        let (Some(object_id), Some("node")) = (reply.result.object_id, reply.result.subtype.as_deref()) else {
            return Ok(false);
        };
        let _ = self.tab.call_method(ScrollIntoView { object_id: object_id.clone() });
        let quads = self.tab.call_method(ContentQuads { object_id })?.quads;
        let Some(quad) = quads.into_iter().find(|q| q.len() == 8) else {
            return Err(StepError::page("the element has no place on the screen"));
        };
        let (x, y) = ((quad[0] + quad[2] + quad[4] + quad[6]) / 4.0, (quad[1] + quad[3] + quad[5] + quad[7]) / 4.0);
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            let pressed = kind != "mouseMoved";
            self.tab.call_method(MouseEvent {
                kind,
                x,
                y,
                button: if pressed { "left" } else { "none" },
                click_count: u32::from(pressed),
            })?;
        }
        Ok(true)
    }

    /// Evaluates at `place`; a frame that has navigated since its world was made gets a new
    /// one.
    fn run(&mut self, place: &Place, expression: &str, by_value: bool) -> Step<EvaluateReply> {
        let Place::Frame(frame) = place else {
            return self.evaluate_in(None, expression, by_value);
        };
        let first = self.world(frame).and_then(|ctx| self.evaluate_in(Some(ctx), expression, by_value));
        match first {
            Err(e) if e.lost_context() => {
                self.worlds.remove(frame);
                self.world(frame).and_then(|ctx| self.evaluate_in(Some(ctx), expression, by_value))
            }
            other => other,
        }
    }

    fn world(&mut self, frame: &str) -> Step<u64> {
        if let Some(ctx) = self.worlds.get(frame) {
            return Ok(*ctx);
        }
        let made = self.tab.call_method(CreateWorld { frame_id: frame.to_string(), world_name: "shopaudit" })?;
        self.worlds.insert(frame.to_string(), made.execution_context_id);
        Ok(made.execution_context_id)
    }

    fn evaluate_in(&self, context_id: Option<u64>, expression: &str, by_value: bool) -> Step<EvaluateReply> {
        self.tab
            .call_method(Evaluate {
                expression: expression.to_string(),
                context_id,
                return_by_value: by_value,
                await_promise: true,
                user_gesture: true,
                silent: true,
            })
            .map_err(StepError::from)
    }
}

/// Types `text` into whatever has the focus, one key at a time, `pace` apart, as a person types
/// (the browser's own key events: keydown, input, keyup).
pub(crate) fn type_text(tab: &Tab, text: &str, pace: Duration) -> Step<()> {
    for ch in text.chars() {
        let typed = ch.to_string();
        tab.call_method(KeyEvent { kind: "keyDown", text: Some(&typed), ..KeyEvent::default() })?;
        tab.call_method(KeyEvent { kind: "keyUp", ..KeyEvent::default() })?;
        std::thread::sleep(pace);
    }
    Ok(())
}

/// Presses Enter on whatever has the focus.
pub(crate) fn press_enter(tab: &Tab) -> Step<()> {
    let enter =
        KeyEvent { key: Some("Enter"), code: Some("Enter"), windows_virtual_key_code: Some(13), ..KeyEvent::default() };
    tab.call_method(KeyEvent { kind: "keyDown", text: Some("\r"), ..enter })?;
    tab.call_method(KeyEvent { kind: "keyUp", ..enter })?;
    Ok(())
}

fn walk(node: &FrameNode, out: &mut Vec<(String, String)>) {
    for child in node.child_frames.iter().flatten() {
        if child.frame.security_origin != node.frame.security_origin {
            out.push((child.frame.id.clone(), child.frame.url.clone()));
        }
        walk(child, out);
    }
}

// The CDP calls below carry only the fields used here: headless_chrome's own types require
// every field of the protocol version they were generated from, and a newer Chromium's
// replies may not parse.

#[derive(Debug, Serialize)]
struct GetFrameTree {}

impl Method for GetFrameTree {
    const NAME: &'static str = "Page.getFrameTree";
    type ReturnObject = FrameTreeReply;
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameTreeReply {
    frame_tree: FrameNode,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameNode {
    frame: FrameInfo,
    child_frames: Option<Vec<FrameNode>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FrameInfo {
    id: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    security_origin: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateWorld {
    frame_id: String,
    world_name: &'static str,
}

impl Method for CreateWorld {
    const NAME: &'static str = "Page.createIsolatedWorld";
    type ReturnObject = CreateWorldReply;
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateWorldReply {
    execution_context_id: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Evaluate {
    expression: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_id: Option<u64>,
    return_by_value: bool,
    await_promise: bool,
    user_gesture: bool,
    silent: bool,
}

impl Method for Evaluate {
    const NAME: &'static str = "Runtime.evaluate";
    type ReturnObject = EvaluateReply;
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EvaluateReply {
    result: RemoteObject,
    exception_details: Option<ExceptionDetails>,
}

impl EvaluateReply {
    fn failure(&self) -> String {
        let thrown = self.exception_details.as_ref().map(|d| d.text.clone());
        thrown.or_else(|| self.result.description.clone()).unwrap_or_else(|| "no result".into())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoteObject {
    subtype: Option<String>,
    value: Option<serde_json::Value>,
    object_id: Option<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ExceptionDetails {
    text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ScrollIntoView {
    object_id: String,
}

impl Method for ScrollIntoView {
    const NAME: &'static str = "DOM.scrollIntoViewIfNeeded";
    type ReturnObject = serde_json::Value;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentQuads {
    object_id: String,
}

impl Method for ContentQuads {
    const NAME: &'static str = "DOM.getContentQuads";
    type ReturnObject = ContentQuadsReply;
}

#[derive(Debug, Deserialize)]
struct ContentQuadsReply {
    quads: Vec<Vec<f64>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MouseEvent {
    #[serde(rename = "type")]
    kind: &'static str,
    x: f64,
    y: f64,
    button: &'static str,
    click_count: u32,
}

impl Method for MouseEvent {
    const NAME: &'static str = "Input.dispatchMouseEvent";
    type ReturnObject = serde_json::Value;
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyEvent<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    windows_virtual_key_code: Option<u32>,
}

impl Method for KeyEvent<'_> {
    const NAME: &'static str = "Input.dispatchKeyEvent";
    type ReturnObject = serde_json::Value;
}
