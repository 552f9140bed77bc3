// Proposes selectors for a chat widget's parts (`shopaudit chat-parts`), in one document. The
// probe runs it in the page and in each frame of another site. `MODE` is replaced:
// "launcher" looks for the button a shopper clicks (the first of `LAUNCHERS` on the page: the
// user's selector, then the known vendors'; else a floating button that mentions the chat); "window" looks, after that click, for the message box, the send
// button, the operator's messages and name. Nothing is typed or sent.
(() => {
  const shown = (e) => {
    const s = getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || parseFloat(s.opacity) < 0.1) return false;
    const r = e.getBoundingClientRect();
    return r.width * r.height > 0;
  };
  const text = (e) => (e.innerText || e.textContent || "").replace(/\s+/g, " ").trim();
  const label = (e) => [e.id, typeof e.className === "string" ? e.className : "", e.getAttribute("aria-label"), e.title, e.getAttribute("name")].join(" ");
  // Class names that look generated (hashes, numbers) change with every release of a widget.
  const stable = (c) => /^[a-z][a-z-_]{1,40}$/i.test(c) && !/\d/.test(c) && !/^(is|has)-/.test(c);
  const unique = (sel, el) => { try { const all = document.querySelectorAll(sel); return all.length === 1 && all[0] === el; } catch (e) { return false; } };
  // A selector for `el`: its id, else its tag and stable classes, else the same under its parent.
  const selector = (el, depth = 0) => {
    if (el.id && stable(el.id) && unique("#" + CSS.escape(el.id), el)) return "#" + CSS.escape(el.id);
    const classes = [...el.classList].filter(stable).slice(0, 3).map((c) => "." + CSS.escape(c)).join("");
    const own = el.tagName.toLowerCase() + classes;
    if (unique(own, el) || depth >= 3 || !el.parentElement || el.parentElement === document.body) return own;
    return selector(el.parentElement, depth + 1) + " > " + own;
  };
  // The class selector all of `els` share (the operator's messages): their common classes.
  const shared = (els) => {
    const common = [...els[0].classList].filter((c) => stable(c) && els.every((e) => e.classList.contains(c)));
    return common.length ? common.slice(0, 3).map((c) => "." + CSS.escape(c)).join("") : null;
  };
  const chatWords = /chat|чат|support|поддержк|help|помощ|message|сообщени|consult|консульт|онлайн|online|ask|вопрос|kontakt|συνομιλ/i;
  if (MODE === "launcher") {
    const named = LAUNCHERS.find((s) => { try { const e = document.querySelector(s); return e && shown(e); } catch (e) { return false; } });
    if (named) return JSON.stringify({ launcher: named, how: "as named, or a known vendor's" });
    // Floating in the lower part of the first screen, and saying "chat" somewhere.
    const candidates = [...document.querySelectorAll("button, a, [role=button], iframe, div")].filter((e) => {
      if (!shown(e)) return false;
      const r = e.getBoundingClientRect();
      const fixed = (() => { for (let p = e; p; p = p.parentElement) if (getComputedStyle(p).position === "fixed") return true; return false; })();
      return fixed && r.top > innerHeight / 2 && r.width < 400 && r.height < 200 && chatWords.test(label(e) + " " + text(e).slice(0, 60));
    });
    const best = candidates.sort((a, b) => a.getBoundingClientRect().width * a.getBoundingClientRect().height - b.getBoundingClientRect().width * b.getBoundingClientRect().height)[0];
    return JSON.stringify(best ? { launcher: selector(best), how: "a floating button that mentions the chat" } : { launcher: null, how: null });
  }
  const boxes = [...document.querySelectorAll("textarea, [contenteditable=true], [contenteditable=''], input[type=text], input:not([type])")]
    .filter((e) => shown(e) && !/mail|search|phone|tel|name/i.test(label(e)));
  // A box in a form that asks for an e-mail address is the offline form, not the chat.
  const offlineForm = (e) => { const f = e.closest("form"); return !!f && !!f.querySelector("input[type=email], input[name*=mail i]"); };
  const input = boxes.find((e) => !offlineForm(e));
  if (!input) return JSON.stringify({ found: false, offline: boxes.some(offlineForm) });
  // The send button: in the message box's neighbourhood, saying "send" or being the only one.
  let send = null;
  for (let p = input.parentElement, i = 0; p && i < 4 && !send; p = p.parentElement, i++) {
    const closing = /close|закры|schlie|κλείσ|minimi|сверн|^\s*[×✕x]\s*$/i;
    const buttons = [...p.querySelectorAll("button, [role=button], input[type=submit]")].filter((b) => shown(b) && !closing.test(label(b) + " " + text(b)));
    send = buttons.find((b) => /send|submit|отправ|senden|αποστολ|envoyer|enviar/i.test(label(b) + " " + text(b))) || (buttons.length === 1 ? buttons[0] : null);
  }
  // Messages: elements with text whose classes say "message", not the composer's.
  const messages = [...document.querySelectorAll("*")].filter((e) => shown(e) && !e.contains(input) && text(e).length >= 2 &&
    [...e.classList].some((c) => /mess|msg|bubble|reply|answer/i.test(c)) && !/visitor|client|customer|user|outgoing|mine|own|self/i.test(label(e)));
  const leaves = messages.filter((m) => !messages.some((o) => o !== m && m.contains(o)));
  const names = [...document.querySelectorAll("*")].filter((e) => shown(e) && e.children.length === 0 && text(e) && text(e).length <= 60 &&
    /(^|[-_ ])(name|agent|operator)([-_ ]|$)|operator-?name|agent-?name/i.test(typeof e.className === "string" ? e.className : ""));
  return JSON.stringify({
    found: true,
    input: selector(input),
    send: send ? selector(send) : null,
    operator_message: leaves.length ? shared(leaves) : null,
    greeting: leaves.length ? text(leaves[0]).slice(0, 80) : null,
    operator_name: names.length ? selector(names[0]) : null,
  });
})()
