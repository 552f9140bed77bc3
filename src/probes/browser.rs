//! The browser probe: the system Chromium, driven with headless_chrome, looks at each key
//! page as a visitor would, in a desktop and a mobile viewport. One browser per audit, a tab
//! per visit, a bounded number of tabs at once. It watches the page for a while without
//! touching it (popups, autoplaying sound), finds the chat widgets alive in the page, asks
//! each vendor's own API whether operators are online (scripts under `probes/status/`), and
//! measures whether the launcher is really visible on the first screen.
//!
//! headless_chrome's API is blocking, so every visit runs on a blocking thread.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use headless_chrome::protocol::cdp::{Emulation, Page};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::knowledge::Knowledge;
use crate::model::evidence::{BrowserEvidence, ChatStatus, ChatWindow, Launcher, LiveChat, Media, Popup, Visit};
use crate::model::Viewport;
use crate::probes::frames::{Frames, Place};
use crate::probes::step::{Step, StepError};

const OBSERVE_JS: &str = include_str!("../../probes/browser/observe.js");
const INSPECT_JS: &str = include_str!("../../probes/browser/inspect.js");
const OPEN_JS: &str = include_str!("../../probes/browser/open.js");
const PRELUDE_JS: &str = include_str!("../../probes/browser/prelude.js");

/// A page script with the shared helpers (`probes/browser/prelude.js`) pasted in where it says
/// `PRELUDE;`.
pub(crate) fn with_prelude(script: &str) -> String {
    script.replace("  PRELUDE;\n", PRELUDE_JS)
}

/// `waitFor(cond, ms)` for vendor scripts: the first truthy value of `cond()`, tried every
/// 100 ms, or undefined after `ms`.
pub(crate) const WAIT_FOR_JS: &str = "const waitFor = (cond, ms) => new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => {
        let v; try { v = cond(); } catch (e) {}
        if (v) return resolve(v);
        if (Date.now() - t0 > ms) return resolve(undefined);
        setTimeout(tick, 100);
    };
    tick();
});";
/// How long a chat window may take to open after the click on its launcher.
const WINDOW_OPENS: Duration = Duration::from_millis(1200);
/// Tabs open at once.
pub const MAX_TABS: usize = 4;
/// Where Debian and other distributions put Chromium or Chrome.
const CANDIDATES: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/snap/bin/chromium",
];
const MOBILE_UA: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// Chromium processes this process started, so Ctrl-C can end them too.
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// The browser executable: `explicit` (`--chrome`, `browser.path`), else `$CHROME`, else
/// the usual system paths. Never downloads one.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return path.is_file().then(|| path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("CHROME").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    CANDIDATES.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Why [`find`] found no browser, in words a user can act on.
pub fn not_found(explicit: Option<&Path>) -> String {
    match explicit {
        Some(p) => format!("{} is not a file", p.display()),
        None => "no Chromium found (looked at $CHROME, /usr/bin/chromium and the usual places); install it with \
                 `apt-get install chromium`, or pass --chrome PATH"
            .to_string(),
    }
}

/// Where a launched Chromium may connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confinement {
    /// Only 127.0.0.1 and localhost: tests and the demo (`browser.loopback_only`).
    LoopbackOnly,
    /// Only public addresses, through [`super::guard::Guard`]: a store on the internet.
    PublicOnly,
    /// Anywhere: a store on a loopback or private network itself (an intranet store).
    Open,
}

impl Confinement {
    /// The confinement for a store the crawl reaches as `reach`.
    pub fn of(reach: super::http::Reach, loopback_only: bool) -> Self {
        match (loopback_only, reach) {
            (true, _) => Confinement::LoopbackOnly,
            (false, super::http::Reach::Public) => Confinement::PublicOnly,
            (false, super::http::Reach::Any) => Confinement::Open,
        }
    }
}

/// One running Chromium with its own empty profile; closed when dropped.
pub struct Chromium {
    browser: Browser,
    product: String,
    pid: Option<u32>,
    _profile: tempfile::TempDir,
    /// The gate its connections go through, for a store on a public address.
    _guard: Option<super::guard::Guard>,
}

impl Chromium {
    /// Starts Chromium headless with the flags a root user on a closed network needs, confined
    /// as `confinement` says. Call it from a blocking thread of the runtime (`spawn_blocking`):
    /// the gate of [`Confinement::PublicOnly`] serves on that runtime.
    pub fn launch(path: &Path, confinement: Confinement) -> Result<Self> {
        let profile = tempfile::tempdir()
            .map_err(|e| Error::io("cannot create a browser profile in", std::env::temp_dir(), e))?;
        let mut flags: Vec<OsString> = [
            "--disable-quic",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-background-networking",
            "--autoplay-policy=no-user-gesture-required",
            "--mute-audio",
            "--hide-scrollbars",
            // Chat widgets live in frames of the vendor's site. With site isolation such a
            // frame is another renderer and another CDP target, out of the conversation
            // probe's reach (src/probes/frames.rs). The profile is empty and thrown away,
            // so there is nothing for isolation to protect; pages see no difference.
            "--disable-site-isolation-trials",
            // Several tabs work at once and none is in front: without these, Chromium slows
            // the timers and frames of background tabs, and a keystroke waits for a frame.
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
            "--disable-features=IsolateOrigins,site-per-process",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let mut guard = None;
        match confinement {
            Confinement::LoopbackOnly => {
                flags.push("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost".into())
            }
            Confinement::PublicOnly => {
                let runtime = tokio::runtime::Handle::try_current()
                    .map_err(|e| Error::browser_by("the browser's gate needs the runtime", e))?;
                let gate = super::guard::Guard::start(&runtime)
                    .map_err(|e| Error::browser_by("the browser's gate did not start", e))?;
                flags.push(format!("--proxy-server={}", gate.proxy()).into());
                // Chromium sends loopback addresses past any proxy unless told not to, and
                // WebRTC may reach out over UDP around it.
                flags.push("--proxy-bypass-list=<-loopback>".into());
                flags.push("--force-webrtc-ip-handling-policy=disable_non_proxied_udp".into());
                guard = Some(gate);
            }
            Confinement::Open => {}
        }
        let options = LaunchOptions::default_builder()
            .path(Some(path.to_path_buf()))
            .headless(true)
            .sandbox(false)
            .enable_gpu(false)
            .user_data_dir(Some(profile.path().to_path_buf()))
            .idle_browser_timeout(Duration::from_secs(3600))
            .window_size(Some((1366, 768)))
            .args(flags.iter().map(OsString::as_os_str).collect())
            .build()
            .map_err(|e| Error::browser_by("bad launch options", e))?;
        let browser =
            Browser::new(options).map_err(|e| Error::browser_by(format!("{} did not start", path.display()), e))?;
        let product = browser.get_version().map(|v| v.product).unwrap_or_else(|_| "Chromium".into());
        let pid = browser.get_process_id();
        if let (Some(pid), Ok(mut running)) = (pid, RUNNING.lock()) {
            running.push(pid);
        }
        Ok(Chromium { browser, product, pid, _profile: profile, _guard: guard })
    }

    /// The driven browser, for callers that open their own tabs (tests, tools).
    pub fn browser(&self) -> &Browser {
        &self.browser
    }

    /// The browser's process id, when known.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The browser's product string, e.g. "Chrome/131.0.6778.85".
    pub fn product(&self) -> &str {
        &self.product
    }
}

impl std::fmt::Debug for Chromium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chromium").field("product", &self.product).field("pid", &self.pid).finish()
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let (Some(pid), Ok(mut running)) = (self.pid, RUNNING.lock()) {
            running.retain(|p| *p != pid);
        }
    }
}

/// Ends every Chromium this process started (for Ctrl-C, when destructors will not run).
pub fn kill_all() {
    let pids = RUNNING.lock().map(|r| r.clone()).unwrap_or_default();
    for pid in pids {
        let _ = std::process::Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    }
}

/// Visits every page in every viewport, at most `tabs` at once ([`MAX_TABS`] in audits); each
/// chat's status is stamped by `clock`, the audit's.
pub async fn probe(
    chromium: Arc<Chromium>,
    pages: Vec<String>,
    viewports: &[Viewport],
    observe: Duration,
    knowledge: Arc<Knowledge>,
    tabs: usize,
    clock: crate::clock::Clock,
) -> BrowserEvidence {
    let permits = Arc::new(Semaphore::new(tabs.max(1)));
    // Opening a tab costs about half a second; each finished visit hands its tab on.
    let pool: Arc<Mutex<Vec<Arc<Tab>>>> = Arc::new(Mutex::new(Vec::new()));
    let mut jobs = Vec::new();
    for page in &pages {
        for &viewport in viewports {
            let (chromium, knowledge, permits, pool, page, clock) =
                (chromium.clone(), knowledge.clone(), permits.clone(), pool.clone(), page.clone(), clock.clone());
            jobs.push(tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                let result = tokio::task::spawn_blocking({
                    let page = page.clone();
                    move || visit(&chromium, &pool, &page, (viewport, observe), &knowledge, &clock)
                })
                .await;
                match result {
                    Ok(Ok(v)) => v,
                    Ok(Err(e)) => failed(page, viewport, e.to_string()),
                    Err(e) => failed(page, viewport, format!("the visit crashed: {e}")),
                }
            }));
        }
    }
    let mut visits = Vec::new();
    for job in jobs {
        if let Ok(v) = job.await {
            visits.push(v);
        }
    }
    let tabs = pool.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
    let _ = tokio::task::spawn_blocking(move || {
        for tab in tabs {
            let _ = tab.close(false);
        }
    })
    .await;
    BrowserEvidence {
        product: chromium.product().to_string(),
        error: None,
        observe_ms: u64::try_from(observe.as_millis()).unwrap_or(u64::MAX),
        visits,
    }
}

fn failed(page: String, viewport: Viewport, error: String) -> Visit {
    Visit {
        page,
        viewport,
        error: Some(error),
        load_ms: 0,
        chats: Vec::new(),
        popups: Vec::new(),
        media: Vec::new(),
        screenshot: None,
        popup_screenshot: None,
    }
}

#[derive(Deserialize)]
struct Inspected {
    chats: Vec<FoundChat>,
    popups: Vec<Popup>,
    media: Vec<Media>,
}

#[derive(Deserialize)]
struct FoundChat {
    vendor: String,
    found_by: String,
    launcher: Option<Launcher>,
}

#[derive(Deserialize)]
struct Status {
    status: ChatStatus,
    how: String,
    open: Option<bool>,
}

/// One page in one viewport, on a blocking thread.
fn visit(
    chromium: &Chromium,
    pool: &Mutex<Vec<Arc<Tab>>>,
    page: &str,
    (viewport, observe): (Viewport, Duration),
    k: &Knowledge,
    clock: &crate::clock::Clock,
) -> Step<Visit> {
    let reused = pool.lock().ok().and_then(|mut p| p.pop());
    let tab = match reused {
        Some(tab) => tab,
        None => {
            let tab = chromium.browser.new_tab().map_err(|e| e.context("cannot open a tab"))?;
            tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
                source: OBSERVE_JS.to_string(),
                world_name: None,
                include_command_line_api: None,
                run_immediately: None,
            })?;
            tab
        }
    };
    let result = look(&tab, page, (viewport, observe), k, clock);
    match (&result, pool.lock()) {
        // A tab whose visit failed may be stuck: close it rather than reuse it.
        (Ok(_), Ok(mut p)) => p.push(tab),
        _ => {
            let _ = tab.close(false);
        }
    }
    result
}

/// Sizes the tab and sets touch and User-Agent for the viewport. Tabs are reused across pages
/// and viewports, so every emulated property is set each time.
pub fn emulate(tab: &Tab, viewport: Viewport) -> Step<()> {
    tab.set_default_timeout(Duration::from_secs(30));
    let (width, height, mobile) = match viewport {
        Viewport::Desktop => (1366, 768, false),
        Viewport::Mobile => (390, 844, true),
    };
    tab.call_method(Emulation::SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })?;
    tab.call_method(Emulation::SetTouchEmulationEnabled { enabled: mobile, max_touch_points: mobile.then_some(5) })?;
    let (ua, platform) =
        if mobile { (MOBILE_UA, "Android") } else { (crate::probes::http::DEFAULT_USER_AGENT, "Linux") };
    tab.set_user_agent(ua, None, Some(platform))?;
    Ok(())
}

fn look(
    tab: &Arc<Tab>,
    page: &str,
    (viewport, observe): (Viewport, Duration),
    k: &Knowledge,
    clock: &crate::clock::Clock,
) -> Step<Visit> {
    emulate(tab, viewport)?;
    let started = Instant::now();
    navigate(tab, page)?;
    let load_ms = millis(started.elapsed());
    tracing::debug!(page, load_ms, "loaded");

    // Watch without touching; photograph the first invitation that opens by itself.
    let mut popup_screenshot = None;
    while started.elapsed() < observe + Duration::from_millis(load_ms) {
        std::thread::sleep(Duration::from_millis(250));
        if popup_screenshot.is_none() {
            let open = evaluate(tab, "JSON.stringify((window.__shopaudit||{popups:[]}).popups.filter(p => !p.consent && !p.input && p.shown).length)", false)
                .ok()
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            if open > 0 {
                popup_screenshot = screenshot(tab);
            }
        }
    }

    // Scripts too: a widget a tag manager adds after load, or whose own script never ran
    // (blocked, broken), is still embedded (the patterns are plain enough for both engines).
    let vendors: Vec<serde_json::Value> = k
        .vendors
        .iter()
        .map(|v| {
            // `other` is what no known vendor is: its generic script names say nothing alone.
            let scripts: Vec<&str> =
                if v.id == "other" { Vec::new() } else { v.scripts.iter().map(regex::Regex::as_str).collect() };
            let frames: Vec<&str> = v.frames.iter().map(regex::Regex::as_str).collect();
            serde_json::json!({ "id": v.id, "globals": v.globals, "launcher": v.launcher, "scripts": scripts, "frames": frames })
        })
        .collect();
    let script = INSPECT_JS.replace("VENDORS", &serde_json::Value::Array(vendors).to_string());
    tracing::debug!(page, ms = millis(started.elapsed()), "watched");
    let inspected: Inspected =
        serde_json::from_str(&evaluate(tab, &script, false)?).map_err(StepError::answer("page inspection"))?;

    // Photograph the first screen before the probe touches anything (the offline check clicks).
    let outline = inspected.chats.iter().find_map(|c| c.launcher.as_ref()).map(|l| l.rect);
    let shot = outlined_screenshot(tab, outline);
    tracing::debug!(page, ms = millis(started.elapsed()), "inspected and photographed");
    let mut chats = Vec::new();
    for found in inspected.chats {
        let vendor = k.vendors.iter().find(|v| v.id == found.vendor);
        let status_at = clock.now().fixed_offset();
        let status = match vendor.and_then(|v| v.status_script) {
            Some(script) => ask_status(tab, script, found.launcher.as_ref().map(|l| l.selector.as_str())),
            None => Status { status: ChatStatus::Unknown, how: "no status script for this vendor".into(), open: None },
        };
        // Open the widget only after its status and the watch are recorded: this is a click.
        let window = found.launcher.as_ref().and_then(|l| open_window(tab, &l.selector));
        let offline_form = (status.status == ChatStatus::Offline)
            .then(|| window.as_ref().filter(|w| w.readable).map(|w| w.form))
            .flatten();
        chats.push(LiveChat {
            vendor: found.vendor,
            found_by: found.found_by,
            launcher: found.launcher,
            status: status.status,
            status_how: status.how,
            status_at,
            open: status.open,
            offline_form,
            window,
        });
    }
    tracing::debug!(page, ms = millis(started.elapsed()), "status read");
    Ok(Visit {
        page: page.to_string(),
        viewport,
        error: None,
        load_ms,
        chats,
        popups: inspected.popups,
        media: inspected.media,
        screenshot: shot,
        popup_screenshot,
    })
}

/// Opens `page` in the tab and waits for its load event.
pub(crate) fn navigate(tab: &Tab, page: &str) -> Step<()> {
    // Mark the current document, so the load wait cannot mistake it for the next one.
    evaluate(tab, "(() => { window.__shopaudit_stale = true; return ''; })()", false)?;
    tab.navigate_to(page)?;
    wait_for_load(tab, page)
}

/// Waits for the page's own load event. (headless_chrome's `wait_until_navigated` waits for
/// Chrome's "network almost idle", which by definition costs half a second of quiet.)
fn wait_for_load(tab: &Tab, page: &str) -> Step<()> {
    let probe = "JSON.stringify(!window.__shopaudit_stale && location.href !== 'about:blank' && document.readyState === 'complete')";
    poll(Duration::from_secs(30), Duration::from_millis(25), || {
        Ok(evaluate(tab, probe, false).is_ok_and(|done| done == "true").then_some(()))
    })?
    .ok_or_else(|| StepError::Load { page: page.to_string(), limit: Duration::from_secs(30) })
}

/// Looks every `every` until `look` finds something or `limit` passes (the last look is at
/// the limit); an error from `look` ends the wait.
pub(crate) fn poll<T>(limit: Duration, every: Duration, mut look: impl FnMut() -> Step<Option<T>>) -> Step<Option<T>> {
    let start = Instant::now();
    loop {
        if let Some(found) = look()? {
            return Ok(Some(found));
        }
        if start.elapsed() >= limit {
            return Ok(None);
        }
        std::thread::sleep(every);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Evaluates `expression`, which must produce a string (scripts return JSON text).
pub(crate) fn evaluate(tab: &Tab, expression: &str, await_promise: bool) -> Step<String> {
    let result = tab.evaluate(expression, await_promise)?;
    match result.value {
        Some(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StepError::Script(result.description.unwrap_or_else(|| "no result".into()))),
    }
}

/// Runs a vendor's status script (an async function) with the `waitFor` helper.
fn ask_status(tab: &Tab, script: &str, launcher: Option<&str>) -> Status {
    let expression = format!(
        "(async () => {{
            {WAIT_FOR_JS}
            const ask = {script};
            try {{ return JSON.stringify(await ask({{ waitFor, launcher: {launcher} }})); }}
            catch (e) {{ return JSON.stringify({{ status: 'unknown', how: 'the status call threw: ' + e, open: null }}); }}
        }})()",
        launcher = serde_json::to_string(&launcher).unwrap_or_else(|_| "null".into()),
    );
    match evaluate(tab, &expression, true)
        .and_then(|json| serde_json::from_str::<Status>(&json).map_err(StepError::answer("the status script")))
    {
        Ok(status) => status,
        Err(e) => Status { status: ChatStatus::Unknown, how: format!("the status script failed: {e}"), open: None },
    }
}

/// Opens the widget with one click on its launcher, as a person clicks, and reads the window
/// (`probes/browser/open.js`), inside the window's frame when it is another site's.
fn open_window(tab: &Tab, launcher: &str) -> Option<ChatWindow> {
    #[derive(Deserialize)]
    struct Opened {
        #[serde(flatten)]
        window: ChatWindow,
        frame: Option<String>,
    }
    let selector = serde_json::to_string(launcher).ok()?;
    let open_js = with_prelude(OPEN_JS);
    let script = |mode: &str| open_js.replace("LAUNCHER", &selector).replace("MODE", &format!("{mode:?}"));
    let mut frames = Frames::new(tab);
    if frames.evaluate(&Place::Page, &script("before")).ok()? != "true" {
        return None;
    }
    if !frames.click(&Place::Page, &format!("document.querySelector({selector})")).ok()? {
        return None;
    }
    std::thread::sleep(WINDOW_OPENS);
    let opened = serde_json::from_str::<Opened>(&frames.evaluate(&Place::Page, &script("after")).ok()?).ok()?;
    let Some(src) = opened.frame else {
        return Some(opened.window);
    };
    let read = frames.showing(&src).and_then(|place| {
        let place = place.ok_or_else(|| StepError::Page(format!("no frame shows {src}")))?;
        frames.evaluate(&place, &script("read"))
    });
    match read
        .and_then(|json| serde_json::from_str::<ChatWindow>(&json).map_err(StepError::answer("the window script")))
    {
        Ok(window) => Some(window),
        Err(e) => Some(ChatWindow {
            reason: Some(format!("the chat window is a frame of another site ({e})")),
            ..opened.window
        }),
    }
}

/// The first screen as a JPEG data URI, with a red outline around `rect` if given.
fn outlined_screenshot(tab: &Tab, rect: Option<[i64; 4]>) -> Option<String> {
    if let Some([x, y, w, h]) = rect {
        let _ = evaluate(
            tab,
            &format!(
                "(() => {{ const d = document.createElement('div'); d.id = '__shopaudit_outline';
                  d.style.cssText = 'position:fixed;left:{}px;top:{}px;width:{}px;height:{}px;border:4px solid #e11;border-radius:6px;z-index:2147483647;pointer-events:none;box-sizing:content-box';
                  document.documentElement.appendChild(d); return ''; }})()",
                x - 6,
                y - 6,
                w + 4,
                h + 4
            ),
            false,
        );
    }
    let shot = screenshot(tab);
    let _ = evaluate(
        tab,
        "(() => { const d = document.getElementById('__shopaudit_outline'); if (d) d.remove(); return ''; })()",
        false,
    );
    shot
}

pub(crate) fn screenshot(tab: &Tab) -> Option<String> {
    // Headless Chromium draws only the tab in front once input has moved the focus (a click
    // in another tab), and a photograph of a tab behind waited a minute or more for a frame.
    let _ = tab.call_method(Page::BringToFront(None));
    let jpeg = tab.capture_screenshot(Page::CaptureScreenshotFormatOption::Jpeg, Some(60), None, true).ok()?;
    Some(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg)))
}

/// The pages worth a browser's time: the start page and one of each key kind.
pub fn pages_to_visit(pages: &[crate::model::evidence::Page], most: usize) -> Vec<String> {
    let mut kinds = HashSet::new();
    let mut out = Vec::new();
    for p in pages.iter().filter(|p| p.error.is_none()) {
        let wanted = matches!(p.kind.as_str(), "home" | "contacts" | "product" | "cart" | "delivery");
        if wanted && kinds.insert(p.kind.clone()) && out.len() < most {
            out.push(p.final_url.clone().unwrap_or_else(|| p.url.clone()));
        }
    }
    out
}
