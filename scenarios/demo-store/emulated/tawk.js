// tawk.to: Tawk_API.getStatus() is "online", "away" or "offline"; isChatMaximized().
window.Tawk_API = window.Tawk_API || {};
ShopauditEmu.build({
  tag: "iframe", attrs: { title: "chat widget", srcdoc: "<body style='margin:0;background:#03a84e'></body>" },
  ready(state) {
    Object.assign(window.Tawk_API, {
      getStatus: () => (state.cfg.status === "online" ? "online" : "away"),
      isChatMaximized: () => state.open,
      maximize: () => state.setOpen(true),
    });
    // Each agent message, and who joined, as tawk's callbacks report them.
    let agent = null;
    state.on("agent", (text, name) => {
      if (name !== agent && typeof window.Tawk_API.onAgentJoinChat === "function") window.Tawk_API.onAgentJoinChat({ name, position: "", image: "", id: name });
      agent = name;
      if (typeof window.Tawk_API.onChatMessageAgent === "function") window.Tawk_API.onChatMessageAgent(text);
    });
    if (typeof window.Tawk_API.onLoad === "function") window.Tawk_API.onLoad();
  },
});
