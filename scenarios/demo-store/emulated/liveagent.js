// Salesforce Live Agent's deployment API: the page's snippet registers its online and offline
// buttons with liveagent.showWhenOnline / showWhenOffline (queued in window._laq), then calls
// liveagent.init; the deployment shows the one that matches the agents' availability.
(function () {
  const cfg = Object.assign({ status: "online", delay: 0 }, window.EMU || {});
  const online = [], offline = [];
  window.liveagent = {
    BUTTON_EVENT: { BUTTON_AVAILABLE: "BUTTON_AVAILABLE", BUTTON_UNAVAILABLE: "BUTTON_UNAVAILABLE" },
    showWhenOnline: (id, el) => online.push(el),
    showWhenOffline: (id, el) => offline.push(el),
    startChat: () => {},
    init: () => {
      (window._laq || []).forEach((f) => f());
      setTimeout(() => (cfg.status === "online" ? online : offline).forEach((el) => { el.style.display = ""; }), cfg.delay + 300);
    },
  };
})();
