// Zendesk Web Widget: zE('webWidget:on', 'chat:status', cb) calls back at once with the status.
ShopauditEmu.build({
  tag: "iframe", id: "launcher", attrs: { title: "Button to launch messaging window", srcdoc: "<body style='margin:0;background:#17494d'></body>" },
  ready(state) {
    window.zE = (api, event, cb) => {
      if (api === "webWidget:on" && event === "chat:status") cb(state.cfg.status === "online" ? "online" : "offline");
      if (api === "webWidget" && event === "open") state.setOpen(true);
    };
  },
});
