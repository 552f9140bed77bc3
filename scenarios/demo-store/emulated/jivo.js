// JivoChat: jivo_api.chatMode() answers "online"/"offline" once the widget is ready; a window
// the widget opens itself calls the page's jivo_onOpen callback.
ShopauditEmu.build({
  tag: "jdiv", className: "launcher_jv", label: (s) => (s === "online" ? "Chat" : "Message"), title: "Demo Sneakers support",
  ready(state) {
    state.on("open", () => { if (typeof window.jivo_onOpen === "function") window.jivo_onOpen(); });
    window.jivo_api = { chatMode: () => state.cfg.status, open: () => state.setOpen(true), close: () => state.setOpen(false) };
  },
});
