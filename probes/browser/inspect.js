// Evaluated after the observation window: which chat widgets live in the page (by the vendor's
// globals or launcher elements), is each launcher really visible in the first viewport, and
// what did the observer record. `VENDORS` is replaced with data from probes/vendors.toml.
(() => {
  const vendors = VENDORS;
  scrollTo(0, 0);
  const lookup = (path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), window);
  const launcherState = (el) => {
    const problems = [];
    if (el.getClientRects().length === 0) problems.push("not rendered (display: none on it or a parent)");
    let opacity = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      opacity *= parseFloat(s.opacity);
      if (s.visibility === "hidden") { problems.push("visibility: hidden"); break; }
    }
    if (opacity < 0.1) problems.push("transparent (opacity " + opacity.toFixed(2) + ")");
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) problems.push("zero size");
    const inside = r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
    if (!inside && problems.length === 0) {
      problems.push(r.top >= innerHeight ? "below the first screen (only reachable by scrolling)" : "off-screen");
    }
    if (inside && problems.length === 0) {
      const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
      const y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
      const top = document.elementFromPoint(x, y);
      if (top && top !== el && !el.contains(top) && !top.contains(el)) {
        const id = top.id ? "#" + top.id : "";
        problems.push("covered by <" + top.tagName.toLowerCase() + id + ">");
      }
    }
    return { rect: [r.left, r.top, r.width, r.height].map(Math.round), problems };
  };
  const chats = [];
  // Every script the page asked for: its tags (also those a tag manager added) and what the
  // network fetched.
  const loaded = [...new Set([...document.scripts].map((s) => s.src).filter(Boolean)
    .concat(performance.getEntriesByType("resource").filter((r) => r.initiatorType === "script").map((r) => r.name)))];
  // Every frame the page holds or loaded: a widget may live only in its vendor's frame.
  const frames = [...new Set([...document.querySelectorAll("iframe")].map((f) => f.src).filter(Boolean)
    .concat(performance.getEntriesByType("resource").filter((r) => r.initiatorType === "iframe").map((r) => r.name)))];
  const pattern = (p) => { try { return p.startsWith("(?i)") ? new RegExp(p.slice(4), "i") : new RegExp(p); } catch (e) { return null; } };
  for (const v of vendors) {
    const global = v.globals.find((g) => lookup(g) !== undefined);
    let launcher = null, selector = null;
    for (const s of v.launcher) {
      let el = null;
      try { el = document.querySelector(s); } catch (e) { /* a selector this engine does not know */ }
      if (el) { launcher = el; selector = s; break; }
    }
    const patterns = v.scripts.map(pattern).filter(Boolean);
    const script = loaded.find((u) => patterns.some((re) => re.test(u)));
    const framePatterns = v.frames.map(pattern).filter(Boolean);
    const frame = frames.find((u) => framePatterns.some((re) => re.test(u)));
    if (!global && !launcher && !script && !frame) continue;
    const found_by = global ? "global " + global : launcher ? "element " + selector : script ? "script " + script : "frame " + frame;
    chats.push({ vendor: v.id, found_by, launcher: launcher ? { selector, ...launcherState(launcher) } : null });
  }
  const s = window.__shopaudit || { input: false, popups: [], media: [], vendorOpen: [] };
  return JSON.stringify({
    chats, input: s.input, vendor_open: s.vendorOpen,
    popups: s.popups.map(({ shown, ...p }) => p),
    media: s.media.map((m) => ({ ...m, still_playing: [...document.querySelectorAll("audio, video")].some((e) => (e.currentSrc || e.src) === m.src && !e.paused) })),
    viewport: [innerWidth, innerHeight],
  });
})()
