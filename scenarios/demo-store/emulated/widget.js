// The shared part of the emulated widgets: a launcher button and a chat window. When offline
// the window is a leave-a-message form, as real widgets show.
window.ShopauditEmu = {
  // The window's contents: a header with the title (and operator), or the offline form.
  windowHtml(cfg, title) {
    const avatar = cfg.avatar ? '<img class="emu-avatar" src="' + cfg.avatar + '" alt="" width="40" height="40"> ' : "";
    const operator = cfg.operator ? ' <span class="emu-operator-name">' + cfg.operator + "</span>" : "";
    return cfg.status === "online"
      ? '<div class="emu-header">' + avatar + '<b class="emu-title">' + (cfg.title || title || "Chat") + "</b>" + operator + '</div><div class="emu-messages"></div><div class="emu-typing" style="display:none">typing…</div><input class="emu-input" placeholder="Type a message"> <button class="emu-send">Send</button>'
      : '<b class="emu-title">Leave us a message</b><form><input type="email" placeholder="Your e-mail"><textarea placeholder="Your message"></textarea><button>Send</button></form>';
  },
  // A scripted operator in an online window: `greeting` shown at once, and `answer` sent
  // `answerAfter` ms after the visitor's first message ("typing…" for the second before), by
  // `operator`. `tell(text, name)` reports each operator message to the vendor's API emulation.
  chat(root, cfg, tell) {
    const list = root.querySelector(".emu-messages");
    const input = root.querySelector(".emu-input");
    if (!list || !input) return;
    const say = (who, text) => {
      const p = document.createElement("p");
      p.className = "emu-msg emu-" + who;
      p.textContent = text;
      list.appendChild(p);
      if (who === "operator") tell(text, cfg.operator || null);
    };
    if (cfg.greeting) say("operator", cfg.greeting);
    let asked = false;
    const send = () => {
      const text = input.value.trim();
      if (!text) return;
      input.value = "";
      say("visitor", text);
      if (asked || cfg.answerAfter == null) return;
      asked = true;
      const typing = root.querySelector(".emu-typing");
      setTimeout(() => { typing.style.display = "block"; }, Math.max(0, cfg.answerAfter - 1000));
      setTimeout(() => { typing.style.display = "none"; say("operator", cfg.answer || "Thank you, let me check."); }, cfg.answerAfter);
    };
    root.querySelector(".emu-send").addEventListener("click", send);
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") send(); });
  },
  build(spec) {
    const cfg = Object.assign({ status: "online", delay: 0, autoOpen: null, launcherCss: "", container: null }, window.EMU || {});
    const state = { cfg, open: false, launcher: null, window: null, listeners: {} };
    const emit = (name, ...args) => (state.listeners[name] || []).forEach((f) => f(...args));
    state.on = (name, f) => { (state.listeners[name] = state.listeners[name] || []).push(f); };
    state.setOpen = (open) => {
      state.open = open;
      if (state.window) state.window.style.display = open ? "block" : "none";
      emit(open ? "open" : "close");
    };
    const mount = () => {
      const launcher = document.createElement(spec.tag || "div");
      if (spec.id) launcher.id = spec.id;
      if (spec.className) launcher.className = spec.className;
      for (const [k, v] of Object.entries(spec.attrs || {})) launcher.setAttribute(k, v);
      const corner = cfg.container ? "position:static;display:inline-block;" : "position:fixed;right:20px;bottom:20px;";
      launcher.style.cssText = corner + "width:64px;height:64px;border-radius:32px;background:#1a73e8;color:#fff;font:12px sans-serif;display:flex;align-items:center;justify-content:center;cursor:pointer;z-index:1000;" + cfg.launcherCss;
      if (spec.tag !== "iframe") launcher.textContent = spec.label ? spec.label(cfg.status) : "Chat";
      const toggle = () => state.setOpen(!state.open);
      // A person's click on a launcher that is a frame lands in the frame's document, as on
      // the real widgets built so.
      if (spec.tag === "iframe") launcher.addEventListener("load", () => launcher.contentDocument.addEventListener("click", toggle));
      else launcher.addEventListener("click", toggle);
      const win = document.createElement("div");
      win.className = "emu-chat-window";
      win.style.cssText = "position:fixed;right:20px;bottom:100px;width:340px;height:460px;background:#fff;border:1px solid #ccc;border-radius:10px;box-shadow:0 4px 20px rgba(0,0,0,.2);display:none;z-index:1001;font:14px sans-serif;padding:12px;box-sizing:border-box";
      if (cfg.crossSite) {
        // The window served from the vendor's own site, as most real ones are: "localhost"
        // is another site than the store's 127.0.0.1.
        const frame = document.createElement("iframe");
        const inner = Object.assign({}, cfg, { title: cfg.title || spec.title });
        frame.src = location.protocol + "//localhost:" + location.port + "/emulated/window.html#" + encodeURIComponent(JSON.stringify(inner));
        frame.style.cssText = "border:0;width:100%;height:100%";
        win.appendChild(frame);
      } else {
        win.innerHTML = window.ShopauditEmu.windowHtml(cfg, spec.title);
        window.ShopauditEmu.chat(win, cfg, (text, name) => emit("agent", text, name));
      }
      const close = document.createElement("button");
      close.className = "close";
      close.setAttribute("aria-label", "Close");
      close.textContent = "×";
      close.addEventListener("click", () => state.setOpen(false));
      win.prepend(close);
      (cfg.container ? document.querySelector(cfg.container) : document.body).appendChild(launcher);
      document.body.appendChild(win);
      state.launcher = launcher;
      state.window = win;
      if (cfg.autoOpen != null) setTimeout(() => state.setOpen(true), cfg.autoOpen);
      spec.ready(state);
    };
    const start = () => setTimeout(mount, cfg.delay);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
    return state;
  },
};
