// Reads the chat window a shopper opens with one click on the launcher (nothing is typed): the
// title, the operators' names and photos, and whether there is a form to leave a message. The
// window is whatever new floating element appeared after the click. The probe runs this three
// times, `MODE` replaced: "before" notes what floats before the click; the probe then clicks
// the launcher (`LAUNCHER`, a selector) with the browser's own mouse, as a person does (many
// launchers are frames, which a script's click does not open); "after" finds the new window
// and reads it. When the window is a frame of another site, the page cannot read it: the
// answer names the frame, and the probe runs this inside it with "read".
(async () => {
  PRELUDE;
  const read = (doc) => {
    const all = [...doc.querySelectorAll("*")].filter(shown);
    const titleEl = all.find((e) => /^H[1-4]$/.test(e.tagName) || (/title|heading/i.test(label(e)) && text(e)));
    const operators = all
      // A message bubble "from the operator" is what they said, not who they are.
      .filter((e) => e.children.length === 0 && /operator|agent|consultant|manager|(^|[-_ ])name\b/i.test(label(e)) && !/mess|msg|bubble/i.test(label(e)))
      .map(text)
      .filter((t) => t && t.length <= 60);
    const avatars = all
      .filter((e) => e.tagName === "IMG" && (e.currentSrc || e.src) && !(e.currentSrc || e.src).startsWith("data:"))
      .map((e) => e.currentSrc || e.src);
    const form = all.some((e) => e.matches("textarea, input[type=email], input[name*=mail i]"));
    return { readable: true, reason: null, title: titleEl ? text(titleEl) : null, operator_names: [...new Set(operators)], avatars: [...new Set(avatars)], form };
  };
  if (MODE === "read") {
    // The frame may still be loading: its body gets a moment to fill.
    for (let i = 0; i < 30 && !(document.readyState === "complete" && text(document.body)); i++) await new Promise((r) => setTimeout(r, 100));
    return JSON.stringify(read(document.body));
  }
  const floating = () => [...document.querySelectorAll("body *")].filter((e) => {
    const p = getComputedStyle(e).position;
    return (p === "fixed" || p === "absolute") && shown(e);
  });
  if (MODE === "before") {
    // From here on the probe acts as the visitor: what opens now is not uninvited.
    if (window.__shopaudit) window.__shopaudit.input = true;
    window.__shopaudit_floating = new Set(floating());
    return JSON.stringify(!!document.querySelector(LAUNCHER));
  }
  const launcher = document.querySelector(LAUNCHER);
  const before = window.__shopaudit_floating || new Set();
  const apart = (e) => !launcher || (e !== launcher && !launcher.contains(e) && !e.contains(launcher));
  const fresh = floating().filter((e) => !before.has(e) && apart(e));
  const roots = fresh.filter((e) => !fresh.some((o) => o !== e && o.contains(e)));
  if (roots.length === 0) return JSON.stringify({ readable: false, reason: "no window opened after a click on the launcher" });
  const area = (e) => { const r = e.getBoundingClientRect(); return r.width * r.height; };
  const win = roots.sort((a, b) => area(b) - area(a))[0];
  // The window is a frame, or a box around one that fills it.
  const frame = win.tagName === "IFRAME" ? win : [...win.querySelectorAll("iframe")].find((f) => shown(f) && area(f) >= area(win) / 2);
  if (!frame) return JSON.stringify(read(win));
  let doc = null;
  try { doc = frame.contentDocument && frame.contentDocument.body; } catch (e) { doc = null; }
  if (doc) return JSON.stringify(read(doc));
  return JSON.stringify({ readable: false, reason: "the chat window is a frame of another site", frame: frame.src });
})()
