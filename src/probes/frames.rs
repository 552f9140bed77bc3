//! Script in every document of a tab, whichever site its frame comes from. Chat widgets live in
//! frames, often served from the vendor's own site, where the page's script cannot reach
//! (`contentDocument` is null). Over CDP each such frame gets an isolated world of ours, so a
//! probe script runs there as it runs in the page. The page keeps its own world: the store's
//! script sees nothing of ours, and same-origin rules inside the page are unchanged.
//!
//! This needs the frames in the tab's own renderer: Chromium is started with site isolation
//! off (`browser::Chromium::launch`); otherwise another site's frame is a separate target.

use std::collections::HashMap;

use headless_chrome::protocol::cdp::types::Method;
use headless_chrome::protocol::cdp::{Page, Runtime};
use headless_chrome::Tab;
use serde::{Deserialize, Serialize};

use crate::probes::browser::{self, cdp};

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
    worlds: HashMap<String, u32>,
}

impl<'a> Frames<'a> {
    pub(crate) fn new(tab: &'a Tab) -> Self {
        Frames { tab, worlds: HashMap::new() }
    }

    /// The places to look, in document order: the page, then each frame a page script cannot
    /// enter (its origin differs from its parent's). Frames come and go as widgets open, so
    /// this is read anew each time.
    pub(crate) fn places(&mut self) -> Result<Vec<Place>, String> {
        let frames = self.foreign()?;
        Ok(std::iter::once(Place::Page).chain(frames.into_iter().map(|(id, _)| Place::Frame(id))).collect())
    }

    /// The frame of another origin showing `url` (the `src` a page script saw), else the
    /// only one from that origin: a frame's address can change after its `src` (redirects).
    pub(crate) fn showing(&mut self, url: &str) -> Result<Option<Place>, String> {
        let frames = self.foreign()?;
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        let exact = frames.iter().find(|(_, at)| at == url);
        let same_origin: Vec<_> = frames.iter().filter(|(_, at)| origin(at) == origin(url)).collect();
        let found = exact.or(if same_origin.len() == 1 { same_origin.first().copied() } else { None });
        Ok(found.map(|(id, _)| Place::Frame(id.clone())))
    }

    /// Each frame of another origin than its parent's, as (frame id, address); the worlds of
    /// frames now gone are forgotten.
    fn foreign(&mut self) -> Result<Vec<(String, String)>, String> {
        let tree = self.tab.call_method(GetFrameTree {}).map_err(cdp)?.frame_tree;
        let mut out = Vec::new();
        walk(&tree, &mut out);
        self.worlds.retain(|id, _| out.iter().any(|(live, _)| live == id));
        Ok(out)
    }

    /// Evaluates `expression` (which must produce a string) at `place`. A frame that has
    /// navigated since its world was made gets a new one.
    pub(crate) fn evaluate(&mut self, place: &Place, expression: &str) -> Result<String, String> {
        let Place::Frame(frame) = place else {
            return browser::evaluate(self.tab, expression, true);
        };
        let first = self.world(frame).and_then(|ctx| self.evaluate_in(ctx, expression));
        match first {
            Err(e) if e.contains("context") => {
                self.worlds.remove(frame);
                self.world(frame).and_then(|ctx| self.evaluate_in(ctx, expression))
            }
            other => other,
        }
    }

    fn world(&mut self, frame: &str) -> Result<u32, String> {
        if let Some(ctx) = self.worlds.get(frame) {
            return Ok(*ctx);
        }
        let made = self
            .tab
            .call_method(Page::CreateIsolatedWorld {
                frame_id: frame.to_string(),
                world_name: Some("shopaudit".into()),
                grant_univeral_access: Some(false),
            })
            .map_err(cdp)?;
        self.worlds.insert(frame.to_string(), made.execution_context_id);
        Ok(made.execution_context_id)
    }

    fn evaluate_in(&self, context_id: u32, expression: &str) -> Result<String, String> {
        let reply = self
            .tab
            .call_method(Runtime::Evaluate {
                expression: expression.to_string(),
                object_group: None,
                include_command_line_api: None,
                silent: Some(true),
                context_id: Some(context_id),
                return_by_value: Some(true),
                generate_preview: None,
                user_gesture: Some(true),
                await_promise: Some(true),
                throw_on_side_effect: None,
                timeout: None,
                disable_breaks: None,
                repl_mode: None,
                allow_unsafe_eval_blocked_by_csp: None,
                unique_context_id: None,
                serialization_options: None,
            })
            .map_err(cdp)?;
        match reply.result.value {
            Some(serde_json::Value::String(s)) => Ok(s),
            _ => Err(format!(
                "script failed in a frame: {}",
                reply
                    .exception_details
                    .map(|d| d.text)
                    .or(reply.result.description)
                    .unwrap_or_else(|| "no result".into())
            )),
        }
    }
}

fn walk(node: &FrameNode, out: &mut Vec<(String, String)>) {
    for child in node.child_frames.iter().flatten() {
        if child.frame.security_origin != node.frame.security_origin {
            out.push((child.frame.id.clone(), child.frame.url.clone()));
        }
        walk(child, out);
    }
}

/// `Page.getFrameTree`, reading only the fields used here: headless_chrome's own type
/// requires every field of its protocol version, and a newer Chromium's tree may not parse.
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
