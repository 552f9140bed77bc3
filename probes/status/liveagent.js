async ({ waitFor }) => {
  // Live Agent's deployment shows the button the page registered with showWhenOnline when
  // agents are available, and the one registered with showWhenOffline when not: its own word.
  const la = await waitFor(() => window.liveagent && typeof window.liveagent.startChat === "function" && window.liveagent, 8000);
  if (!la) return { status: "unknown", how: "liveagent never loaded", open: null };
  const shown = (prefix) => [...document.querySelectorAll(`[id^='${prefix}']`)].find((e) => getComputedStyle(e).display !== "none" && e.getClientRects().length > 0);
  const seen = await waitFor(() => (shown("liveagent_button_online_") ? "online" : shown("liveagent_button_offline_") ? "offline" : undefined), 8000);
  if (!seen) return { status: "unknown", how: "liveagent showed neither an online nor an offline button", open: null };
  const el = shown(`liveagent_button_${seen}_`);
  return { status: seen, how: `liveagent.showWhen${seen === "online" ? "Online" : "Offline"} showed #${el.id}`, open: null };
}
