// Proposes selectors for a chat widget's parts (`shopaudit chat-parts`), in one document. The
// probe runs it in the page and in each frame of another site. `MODE` is replaced:
// "launcher" looks for the button a shopper clicks (the first of `LAUNCHERS` on the page: the
// user's selector, then the known vendors'; else a floating button that mentions the chat); "window" looks, after that click, for the message box, the send
// button, the operator's messages and name. Nothing is typed or sent.
(() => {
  PRELUDE;
  // Class names that look generated (hashes, numbers) change with every release of a widget.
  const stable = (c) => /^[a-z][a-z-_]{1,40}$/i.test(c) && !/\d/.test(c) && !/^(is|has)-/.test(c);
  const unique = (sel, el) => { try { const all = el.ownerDocument.querySelectorAll(sel); return all.length === 1 && all[0] === el; } catch (e) { return false; } };
  // A selector for `el`: its id, else its tag and stable classes, else the same under its parent.
  const selector = (el, depth = 0) => {
    if (el.id && stable(el.id) && unique("#" + CSS.escape(el.id), el)) return "#" + CSS.escape(el.id);
    const classes = [...el.classList].filter(stable).slice(0, 3).map((c) => "." + CSS.escape(c)).join("");
    const own = el.tagName.toLowerCase() + classes;
    if (unique(own, el) || depth >= 3 || !el.parentElement || el.parentElement === el.ownerDocument.body) return own;
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
    // Whose it is (the user's or which vendor's) the probe says.
    if (named) return JSON.stringify({ launcher: named, how: null });
    // Floating in the lower part of the first screen, and saying "chat" somewhere.
    const candidates = [...document.querySelectorAll("button, a, [role=button], iframe, div")].filter((e) => {
      if (!shown(e)) return false;
      const r = e.getBoundingClientRect();
      return floats(e) && r.top > innerHeight / 2 && r.width < 400 && r.height < 200 && chatWords.test(label(e) + " " + text(e).slice(0, 60));
    });
    const best = candidates.sort((a, b) => a.getBoundingClientRect().width * a.getBoundingClientRect().height - b.getBoundingClientRect().width * b.getBoundingClientRect().height)[0];
    return JSON.stringify(best ? { launcher: selector(best), how: "a floating button that mentions the chat" } : { launcher: null, how: null });
  }
  // The page and its frames of the same site (a frame of another site is a place of its own).
  const input = docs().map(messageBox).find(Boolean);
  if (!input) return JSON.stringify({ found: false, offline: docs().some(offlineOnly) });
  const send = sendButton(input);
  const leaves = operatorMessages(input);
  const name = operatorName(input);
  return JSON.stringify({
    found: true,
    frame: input.ownerDocument === document ? null : input.ownerDocument.location.href,
    input: selector(input),
    send: send ? selector(send) : null,
    operator_message: leaves.length ? shared(leaves) : null,
    greeting: leaves.length ? text(leaves[0]).slice(0, 80) : null,
    operator_name: name ? selector(name) : null,
  });
})()
