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
  document.addEventListener("play", (e) => {
    const m = e.target;
    if (!(m instanceof HTMLMediaElement)) return;
    state.media.push({
      tag: m.tagName.toLowerCase(), src: m.currentSrc || m.src || "", muted: m.muted,
      volume: m.volume, at: now(), input: state.input,
    });
  }, true);

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
      const big = v && ((floating && v.coverage >= 0.3) || (semantic && v.coverage >= 0.05));
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
