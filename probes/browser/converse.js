// The conversation probe's eyes in one document: finds the widget's parts by the scenario's
// (or the preset's) selectors in this document and every frame of its own origin, hands them
// to the probe (which clicks and types with the browser's own input events), fills the
// offline form, and reads what the operator side shows. The probe runs it in
// the page and in each frame of another site (src/probes/frames.rs) and puts the answers
// together, so no action here waits for a part that may be in another document.
// `SELECTORS` is replaced with { launcher, input, send, operator_message, operator_name,
// typing, rating } (absent keys: null), `HEARD` with whether the vendor's API reports the
// operator's messages, and `ACTION` with the call to make.
(async () => {
  const sel = SELECTORS;
  PRELUDE;
  const all = (name) => (sel[name] ? docs().flatMap((d) => [...d.querySelectorAll(sel[name])]) : []);
  // A part the scenario does not name is found as chat-parts finds it: the message box in a
  // frame or floating over the page, the send button beside it, the operator's messages, name
  // and "typing…" around it (the messages from the vendor's API instead, where HEARD).
  const one = (name) => {
    if (sel[name]) return all(name).find(shown) || null;
    const find = { input: (i) => i, send: sendButton, operator_name: operatorName, typing: typingShown }[name];
    const input = find ? docs().map(messageBox).find(Boolean) : null;
    return input ? find(input) : null;
  };
  const operatorTexts = () => {
    if (sel.operator_message) return all("operator_message").map(text).filter((t) => t);
    const input = HEARD ? null : one("input");
    return input ? operatorMessages(input).map(text) : [];
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (cond, ms) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) { const v = cond(); if (v) return v; await sleep(100); }
    return null;
  };
  const offlineForm = () => docs().flatMap((d) => [...d.querySelectorAll("form")]).find((f) => shown(f) &&
    f.querySelector("textarea, input[type=email], input[name*=mail i]") && f.querySelector("input[type=email], input[name*=mail i]"));
  // What a shopper sees of the widget in this document now.
  const state = () => {
    const form = offlineForm();
    const avatar = docs().flatMap((d) => [...d.querySelectorAll("img")]).find((i) => shown(i) &&
      /avatar|operator|agent|photo/i.test((i.className || "") + " " + (i.alt || "") + " " + (i.closest("[class]") || {}).className));
    const win = one("input") || form;
    const windowText = win ? text(win.ownerDocument.body) : "";
    return {
      launcher: !!one("launcher"),
      input: !!one("input"),
      send: !!one("send"),
      messages: operatorTexts(),
      name: (one("operator_name") && text(one("operator_name"))) || null,
      avatar: avatar ? (avatar.currentSrc || avatar.src) : null,
      typing: !!one("typing"),
      rating: !!one("rating") || /оцените|rate (this|our|the) (chat|conversation)|how (did we do|was (this|our) (chat|conversation))|bewerten sie|αξιολογήστε/i.test(windowText),
      form: !!form,
    };
  };
  const setValue = (el, value) => {
    const proto = el.tagName === "TEXTAREA" ? el.ownerDocument.defaultView.HTMLTextAreaElement.prototype
      : el.ownerDocument.defaultView.HTMLInputElement.prototype;
    const setter = Object.getOwnPropertyDescriptor(proto, "value").set;
    setter.call(el, value);
    el.dispatchEvent(new el.ownerDocument.defaultView.Event("input", { bubbles: true }));
  };
  const actions = {
    state: async () => state(),
    // A part itself, for the probe to click or type into with the browser's own input events.
    element: async (name) => one(name),
    // The offline form: the shopper's name, address and question, then its confirmation.
    leave: async (name, email, message) => {
      const form = offlineForm();
      if (!form) return { ok: false, why: "no leave-a-message form" };
      const field = (q) => form.querySelector(q);
      const nameField = field("input[name*=name i], input[autocomplete=name]");
      const mailField = field("input[type=email], input[name*=mail i]");
      const textField = field("textarea, input[name*=message i], input[name*=text i]");
      if (nameField) setValue(nameField, name);
      setValue(mailField, email);
      if (textField) setValue(textField, message);
      const before = text(form.ownerDocument.body);
      const submit = form.querySelector("button[type=submit], input[type=submit], button:not([type])");
      if (submit) submit.click(); else form.requestSubmit();
      const changed = await until(() => { const now = text(form.ownerDocument.body); return now !== before ? now : null; }, 10000);
      return { ok: !!changed, why: changed ? null : "the form showed nothing after sending", confirmation: changed ? changed.slice(0, 300) : null };
    },
  };
  try {
    const out = await ACTION;
    return out && out.nodeType === 1 ? out : JSON.stringify(out);
  } catch (e) {
    return JSON.stringify({ ok: false, why: "the page script failed: " + e });
  }
})()
