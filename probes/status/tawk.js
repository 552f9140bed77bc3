async ({ waitFor }) => {
  const api = await waitFor(() => window.Tawk_API && typeof window.Tawk_API.getStatus === "function" && window.Tawk_API.getStatus() && window.Tawk_API, 8000);
  if (!api) return { status: "unknown", how: "Tawk_API.getStatus() never answered", open: null };
  const s = api.getStatus();
  const open = typeof api.isChatMaximized === "function" ? api.isChatMaximized() : null;
  return {
    status: s === "online" ? "online" : s === "away" || s === "offline" ? "offline" : "unknown",
    how: `Tawk_API.getStatus() returned ${JSON.stringify(s)}`,
    open,
  };
}
