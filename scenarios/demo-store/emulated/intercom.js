// Intercom: no public availability call. The launcher's own words say it ("we reply in a few
// minutes" when the team is online, "leave us a message" when not).
ShopauditEmu.build({
  className: "intercom-launcher",
  label: (s) => (s === "online" ? "Online, we reply in a few minutes" : "Offline, leave us a message"),
  ready(state) {
    window.Intercom = (cmd) => { if (cmd === "show") state.setOpen(true); };
  },
});
