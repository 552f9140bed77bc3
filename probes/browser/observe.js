// Injected before any script of the page runs (Page.addScriptToEvaluateOnNewDocument).
// Watches, without touching the page, for what a visitor would suffer: dialogs, overlays and
// chat windows that open by themselves, and media that starts playing with sound. Trusted
// user input (there is none during the observation window) is recorded so that anything
// opened after a click is not blamed on the page.
(() => {
  if (window.__shopaudit) return;
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const state = (window.__shopaudit = { input: false, popups: [], media: [], vendorOpen: [] });
  const ids = new WeakMap();
  for (const type of ["pointerdown", "mousedown", "keydown", "touchstart", "wheel"]) {
    addEventListener(type, (e) => { if (e.isTrusted) state.input = true; }, true);
  }
  // Vendors' "the widget opened" callbacks that a page defines as globals.
  for (const hook of ["jivo_onOpen"]) {
    let pageFn;
    Object.defineProperty(window, hook, {
      configurable: true,
      get: () => (...args) => {
        state.vendorOpen.push({ hook, at: now(), input: state.input });
        return typeof pageFn === "function" ? pageFn(...args) : undefined;
      },
      set: (fn) => { pageFn = fn; },
    });
  }
  // Sound, wherever it starts: a media element in the page; one never put in the page (a chat
  // widget's invitation sound is often `new Audio(...).play()`); Web Audio; and any of these in
  // a frame, which tells the page at the top.
  const framed = window !== window.top;
  const heard = (entry) => {
    state.media.push(entry);
    if (framed) { try { window.top.postMessage({ __shopaudit: "media", entry }, "*"); } catch (e) { /* gone */ } }
  };
  if (!framed) {
    addEventListener("message", (e) => {
      if (e.data && e.data.__shopaudit === "media" && e.data.entry) {
        const m = e.data.entry;
        state.media.push({ ...m, src: m.src || "(a frame of " + e.origin + ")", input: m.input || state.input });
      }
    });
  }
  const media = (m) => ({
    tag: m.tagName.toLowerCase(), src: m.currentSrc || m.src || "", muted: m.muted,
    volume: m.volume, at: now(), input: state.input,
  });
  document.addEventListener("play", (e) => {
    const m = e.target;
    if (m instanceof HTMLMediaElement) heard(media(m));
  }, true);
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    const started = play.apply(this, args);
    // An element in the document is heard by the listener above.
    if (!this.isConnected && started && started.then) started.then(() => heard(media(this)), () => {});
    return started;
  };
  if (window.AudioScheduledSourceNode) {
    const start = AudioScheduledSourceNode.prototype.start;
    AudioScheduledSourceNode.prototype.start = function (...args) {
      if (this.context && this.context.state === "running") {
        heard({ tag: "webaudio", src: this.constructor.name, muted: false, volume: 1, at: now(), input: state.input });
      }
      return start.apply(this, args);
    };
  }

  const CONSENT = /cookie|consent|gdpr|privacy|куки|cookies|согласи|персональн|datenschutz|einwilligung|συναίνεση|απόρρητ|18\+|возраст|age verification|alter/i;
  const CLOSE = /^(×|✕|✖|x|close|закрыть|schließen|κλείσιμο|не сейчас|no thanks|nein danke)$/i;
  const describe = (el) => {
    const id = el.id ? "#" + el.id : "";
    const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).slice(0, 2).join(".") : "";
    const text = (el.innerText || "").replace(/\s+/g, " ").trim().slice(0, 120);
    return { element: el.tagName.toLowerCase() + id + cls, text };
  };
  const visible = (el) => {
    const s = getComputedStyle(el);
    if (s.display === "none" || s.visibility === "hidden" || parseFloat(s.opacity) < 0.1) return null;
    const r = el.getBoundingClientRect();
    const w = Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0));
    const h = Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0));
    if (w * h === 0) return null;
    return { coverage: (w * h) / (innerWidth * innerHeight), position: s.position };
  };
  const candidates = new Set();
  const consider = (el) => { if (el instanceof HTMLElement) candidates.add(el); };
  const scan = () => {
    if (!document.body) return;
    for (const el of document.querySelectorAll("dialog, [role=dialog], [role=alertdialog], [aria-modal=true]")) consider(el);
    for (const el of document.body.children) consider(el);
    for (const el of candidates) {
      const v = visible(el);
      const semantic = el.matches("dialog[open], [role=dialog], [role=alertdialog], [aria-modal=true]");
      const floating = v && (v.position === "fixed" || v.position === "absolute" || v.position === "sticky");
      // A chat window that opens itself is an invitation too, though it covers less: a
      // floating box that asks for text (or a vendor's frame of that size), whether or not the
      // vendor's script has loaded to say so.
      const chatty = floating && v.coverage >= 0.08 &&
        (el.matches("iframe") || el.querySelector("textarea, [contenteditable=true], iframe") !== null);
      const big = v && ((floating && v.coverage >= 0.3) || (semantic && v.coverage >= 0.05) || chatty);
      let id = ids.get(el);
      let entry = id === undefined ? null : state.popups[id];
      if (big && !entry) {
        const d = describe(el);
        entry = { ...d, opened_at: now(), opens: 1, shown: true, input: state.input,
                  coverage: v.coverage, consent: CONSENT.test(d.text + " " + d.element), closed_by_probe: false };
        ids.set(el, state.popups.length);
        state.popups.push(entry);
        if (!entry.consent && !entry.input) setTimeout(() => tryClose(el, entry), 1000);
      } else if (entry) {
        if (big && !entry.shown) { entry.opens += 1; entry.shown = true; }
        if (!big) entry.shown = false;
        if (big) entry.coverage = Math.max(entry.coverage, v.coverage);
      }
    }
  };
  // Close an invitation once, as a visitor would, to see whether it comes back. The click is
  // synthetic (isTrusted false), so it does not count as the visitor's input.
  const tryClose = (el, entry) => {
    const buttons = el.querySelectorAll("button, a, [role=button], .close, [aria-label]");
    for (const b of buttons) {
      const label = ((b.getAttribute("aria-label") || "") + " " + (b.innerText || "")).trim();
      if (CLOSE.test(label) || /close|закрыть|schließen/i.test(b.getAttribute("aria-label") || "") || b.classList.contains("close")) {
        b.click();
        entry.closed_by_probe = true;
        return;
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) consider(n);
  }).observe(document, { childList: true, subtree: true });
  setInterval(scan, 150);
  addEventListener("DOMContentLoaded", scan);
})();
