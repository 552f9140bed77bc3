// Crisp: $crisp starts as a queue (an array); once loaded, $crisp.is("website:available").
window.$crisp = window.$crisp || [];
const crispRoot = document.createElement("div");
crispRoot.className = "crisp-client";
ShopauditEmu.build({
  tag: "a", attrs: { "aria-label": "Open chat", href: "#" },
  ready(state) {
    const queue = window.$crisp;
    window.$crisp = {
      is: (what) => (what === "website:available" ? state.cfg.status === "online" : what === "chat:opened" ? state.open : undefined),
      push: () => {},
    };
    if (Array.isArray(queue)) queue.length = 0;
    // Crisp renders its launcher inside .crisp-client.
    document.body.appendChild(crispRoot);
    crispRoot.appendChild(state.launcher);
  },
});
