// LiveChat: LiveChatWidget.get('state') -> { availability, visibility }.
ShopauditEmu.build({
  id: "chat-widget-container",
  ready(state) {
    window.LiveChatWidget = {
      get: (what) => (what === "state" ? { availability: state.cfg.status, visibility: state.open ? "maximized" : "minimized" } : undefined),
      call: (method) => { if (method === "maximize") state.setOpen(true); },
      on: (name, f) => state.on(name === "visibility_changed" ? "open" : name, f),
    };
  },
});
