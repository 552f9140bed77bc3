// The contact-form probe's eyes and hands in one document (src/probes/form.rs): finds the
// store's contact form by the scenario's selectors or by its fields, fills it as a person
// does, and reads what the page says after sending. The probe runs it in the page and in each
// frame of another site, and clicks with the browser's own mouse.
// `SELECTORS` is replaced with { form, open, submit } (absent keys: null), `WORDS` with
// `[submit]` of probes/forms.toml plus the CAPTCHAs' markers, and `ACTION` with the call.
(async () => {
  const sel = SELECTORS;
  const words = WORDS;
  PRELUDE;
  const has = (list, s) => { const l = (s || "").toLowerCase(); return list.some((w) => l.includes(w)); };
  const all = (name) => (sel[name] ? docs().flatMap((d) => [...d.querySelectorAll(sel[name])]) : []);
  // What a field says about itself: its name, id, placeholder, autocomplete, type and labels.
  const about = (e) => [e.name, e.id, e.placeholder, e.getAttribute("autocomplete"), e.getAttribute("aria-label"), e.type,
    ...[...(e.labels || [])].map(text)].filter(Boolean).join(" ");
  const fields = (form) => [...form.querySelectorAll("input, textarea, select")].filter((e) =>
    !["hidden", "submit", "button", "reset", "image", "file"].includes(e.type) && !e.disabled);
  const kind = (e) => {
    const a = about(e);
    if (e.type === "checkbox") return "checkbox";
    if (e.type === "radio") return "radio";
    if (e.tagName === "SELECT") return "select";
    if (e.type === "email" || has(words.email, a)) return "email";
    if (e.type === "tel" || has(words.phone, a)) return "phone";
    if (e.tagName === "TEXTAREA") return "message";
    if (has(words.subject, a)) return "subject";
    if (has(words.name, a)) return "name";
    if (has(words.message, a)) return "message";
    return "other";
  };
  const captchaOf = (root) => {
    const html = (root.outerHTML || "") + " " + [...root.ownerDocument.scripts].map((s) => s.src).join(" ");
    const found = words.captchas.find((c) => c.markers.some((m) => html.includes(m)));
    return found ? found.id : null;
  };
  // The store's contact form: the scenario's, else the shown form that most looks like one
  // (a message box and an address; never a search, login or newsletter form).
  const contactForm = () => {
    if (sel.form) return all("form").find(shown) || null;
    let best = null, bestScore = 2;
    for (const f of docs().flatMap((d) => [...d.querySelectorAll("form")]).filter(shown)) {
      const kinds = fields(f).map(kind);
      let score = (kinds.includes("message") ? 3 : 0) + (kinds.includes("email") ? 2 : 0) + (kinds.includes("name") ? 1 : 0);
      if (f.querySelector("input[type=password]")) score -= 10;
      if (has(words.not_contact, [f.id, f.className, f.getAttribute("action"), f.getAttribute("role")].join(" "))) score -= 5;
      if (score > bestScore) { best = f; bestScore = score; }
    }
    return best;
  };
  const opener = () => {
    if (sel.open) return all("open").find(shown) || null;
    return docs().flatMap((d) => [...d.querySelectorAll("button, a, [role=button]")])
      .find((b) => shown(b) && !b.closest("form") && has(words.open, text(b) + " " + (b.getAttribute("aria-label") || ""))) || null;
  };
  const submitButton = (form) => {
    if (sel.submit) return all("submit").find(shown) || null;
    const buttons = [...form.querySelectorAll("button, input[type=submit], [role=button]")].filter(shown);
    return buttons.find((b) => b.type === "submit" || (b.tagName === "BUTTON" && !b.getAttribute("type"))) ||
      buttons.find((b) => /send|submit|отправ|senden|αποστολ|envoyer|enviar/i.test(text(b) + " " + (b.value || ""))) || null;
  };
  const setValue = (el, value) => {
    const win = el.ownerDocument.defaultView;
    const proto = el.tagName === "TEXTAREA" ? win.HTMLTextAreaElement.prototype : win.HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(el, value);
    for (const type of ["input", "change", "blur"]) el.dispatchEvent(new win.Event(type, { bubbles: true }));
  };
  const describe = (e) => kind(e) + " " + (e.name || e.id || "");
  // Newly shown messages: alerts and status boxes whose text was not on the page before.
  const fresh = (before) => docs().flatMap((d) => [...d.querySelectorAll("[role=alert], [role=status], [aria-live], [class*=success], [class*=error], [class*=invalid], [class*=message], [class*=notice], [class*=alert], [class*=result], [class*=thank]")])
    .filter((e) => shown(e) && text(e) && !before.includes(text(e)));
  const faulty = (e) => /error|invalid|fail|danger/i.test(typeof e.className === "string" ? e.className : "");
  const actions = {
    find: async () => {
      const form = contactForm();
      return { form: !!form, captcha: form ? captchaOf(form) : null, opener: !!opener(),
        fields: form ? fields(form).map(describe) : [] };
    },
    opener: async () => opener(),
    // Fills the form with the shopper's details; says which required fields it could not fill.
    fill: async (v) => {
      const form = contactForm();
      if (!form) return { ok: false, why: "the form is gone" };
      const filled = [], missing = [];
      let messageSet = false;
      for (const e of fields(form)) {
        const k = kind(e);
        const required = e.required || e.getAttribute("aria-required") === "true";
        const value = { name: v.name, email: v.email, phone: v.phone, subject: v.subject,
          message: messageSet ? null : v.message }[k];
        if (k === "checkbox") {
          if ((required || has(words.consent, about(e) + " " + text(e.closest("label") || e))) && !e.checked) { e.click(); filled.push(describe(e)); }
        } else if (k === "radio") {
          const group = form.querySelectorAll(`input[type=radio][name="${CSS.escape(e.name)}"]`);
          if (required && ![...group].some((r) => r.checked)) { e.click(); filled.push(describe(e)); }
        } else if (k === "select") {
          if (required && !e.value) {
            const option = [...e.options].find((o) => o.value && !o.disabled);
            if (option) { e.value = option.value; e.dispatchEvent(new e.ownerDocument.defaultView.Event("change", { bubbles: true })); filled.push(describe(e)); }
            else missing.push(describe(e));
          }
        } else if (value) {
          setValue(e, value);
          if (k === "message") messageSet = true;
          filled.push(describe(e));
        } else if (required && !e.value) {
          missing.push(describe(e));
        }
      }
      if (!messageSet) missing.push("message (no box for the question)");
      return { ok: true, filled, missing };
    },
    submit: async () => { const f = contactForm(); return f ? submitButton(f) : null; },
    // A form without a button is sent as pressing Enter would.
    send: async () => {
      const f = contactForm();
      if (!f || f.tagName !== "FORM") return { ok: false, why: "no send button and no form to send" };
      f.requestSubmit();
      return { ok: true };
    },
    text: async () => docs().map((d) => text(d.body)).join(" "),
    // What the page says after sending: accepted, refused, or nothing yet.
    outcome: async (before) => {
      const form = contactForm();
      const invalid = form ? fields(form).find((e) => e.matches(":invalid") || e.getAttribute("aria-invalid") === "true") : null;
      if (invalid) return { state: "refused", said: (invalid.validationMessage || "a field is marked invalid") + " (" + describe(invalid) + ")" };
      const nav = performance.getEntriesByType("navigation")[0];
      const now = docs().map((d) => text(d.body)).join(" ");
      if (nav && nav.responseStatus >= 400) return { state: "refused", said: `the page answered ${nav.responseStatus}: ${now.slice(0, 200)}` };
      const news = fresh(before);
      const errors = news.filter(faulty).map(text);
      if (errors.length) return { state: "refused", said: errors.join(" ").slice(0, 300) };
      const said = (news.map(text).join(" ") || (!form && now !== before ? now : "")).slice(0, 300);
      if (has(words.accepted, said)) return { state: "accepted", said };
      if (has(words.refused, said)) return { state: "refused", said };
      if (!form && now !== before) return { state: "accepted", said };
      return { state: "waiting", said: null };
    },
  };
  try {
    const out = await ACTION;
    return out && out.nodeType === 1 ? out : JSON.stringify(out);
  } catch (e) {
    return JSON.stringify({ ok: false, why: "the page script failed: " + e });
  }
})()
