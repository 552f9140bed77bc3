  // The page scripts' shared helpers (pasted where a script says `PRELUDE;`, inside its own
  // function, so nothing lands in the page's globals): what a person sees of an element, and a
  // chat widget's parts found without selectors, in any document (the page, or a frame).
  const shown = (e) => {
    const s = e.ownerDocument.defaultView.getComputedStyle(e);
    if (s.display === "none" || s.visibility === "hidden" || parseFloat(s.opacity) < 0.1) return false;
    const r = e.getBoundingClientRect();
    return r.width * r.height > 0;
  };
  // This document and its frames of the same site, whose documents a script can reach.
  const docs = () => {
    const out = [];
    const walk = (d) => {
      out.push(d);
      for (const f of d.querySelectorAll("iframe, frame")) {
        try { if (f.contentDocument) walk(f.contentDocument); } catch (e) { /* another site's frame */ }
      }
    };
    walk(document);
    return out;
  };
  const text = (e) => (e.innerText || e.textContent || "").replace(/\s+/g, " ").trim();
  const label = (e) => [e.id, typeof e.className === "string" ? e.className : "", e.getAttribute("aria-label"), e.title, e.getAttribute("name")].join(" ");
  const floats = (e) => {
    for (let p = e; p && p.nodeType === 1; p = p.parentElement) if (p.ownerDocument.defaultView.getComputedStyle(p).position === "fixed") return p;
    return null;
  };
  // The widget around `e`: the outermost floating box in the page, or the whole frame it lives in.
  const widgetRoot = (e) => {
    const doc = e.ownerDocument;
    if (doc.defaultView !== doc.defaultView.top) return doc.body;
    let root = null;
    for (let p = floats(e); p; p = p.parentElement && floats(p.parentElement)) root = p;
    return root;
  };
  // A box in a form that asks for an e-mail address belongs to the offline form, not the chat.
  const inOfflineForm = (e) => { const f = e.closest("form"); return !!f && !!f.querySelector("input[type=email], input[name*=mail i]"); };
  const boxes = (doc) => [...doc.querySelectorAll("textarea, [contenteditable=true], [contenteditable=''], input[type=text], input:not([type])")]
    .filter((e) => shown(e) && !/mail|search|phone|tel|name/i.test(label(e)) && widgetRoot(e));
  // The chat's message box: in a frame, or floating over the page (a store's own forms do not float).
  const messageBox = (doc) => boxes(doc).find((e) => !inOfflineForm(e)) || null;
  // Only an offline form's boxes float here: nobody is online.
  const offlineOnly = (doc) => !messageBox(doc) && boxes(doc).some(inOfflineForm);
  // The send button: near the message box, saying "send", or the only button there; never a close button.
  const sendButton = (input) => {
    const closing = /close|закры|schlie|κλείσ|minimi|сверн|^\s*[×✕x]\s*$/i;
    for (let p = input.parentElement, i = 0; p && i < 4; p = p.parentElement, i++) {
      const buttons = [...p.querySelectorAll("button, [role=button], input[type=submit]")].filter((b) => shown(b) && !closing.test(label(b) + " " + text(b)));
      const send = buttons.find((b) => /send|submit|отправ|senden|αποστολ|envoyer|enviar/i.test(label(b) + " " + text(b))) || (buttons.length === 1 ? buttons[0] : null);
      if (send) return send;
    }
    return null;
  };
  // The operator's messages around the message box: text whose classes say "message", and not
  // the shopper's own.
  const operatorMessages = (input) => {
    const root = widgetRoot(input);
    if (!root) return [];
    const found = [...root.querySelectorAll("*")].filter((e) => shown(e) && !e.contains(input) && text(e).length >= 2 &&
      [...e.classList].some((c) => /mess|msg|bubble|reply|answer/i.test(c)) && !/visitor|client|customer|user|outgoing|mine|own|self/i.test(label(e)));
    return found.filter((m) => !found.some((o) => o !== m && m.contains(o)));
  };
  // The operator's displayed name in the widget, by its classes.
  const operatorName = (input) => {
    const root = widgetRoot(input);
    if (!root) return null;
    return [...root.querySelectorAll("*")].find((e) => shown(e) && e.children.length === 0 && text(e) && text(e).length <= 60 &&
      /(^|[-_ ])(name|agent|operator)([-_ ]|$)|operator-?name|agent-?name/i.test(typeof e.className === "string" ? e.className : "")) || null;
  };
  // A "typing…" indicator in the widget, by its words or its classes.
  const typingShown = (input) => {
    const root = widgetRoot(input);
    if (!root) return null;
    return [...root.querySelectorAll("*")].find((e) => shown(e) && e.children.length === 0 &&
      (/typing|печата|набира|schreibt|γράφει/i.test(text(e)) && text(e).length <= 40 || /(^|[-_ ])typing([-_ ]|$)/i.test(typeof e.className === "string" ? e.className : ""))) || null;
  };
