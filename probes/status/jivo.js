async ({ waitFor }) => {
  const api = await waitFor(() => window.jivo_api && typeof window.jivo_api.chatMode === "function" && window.jivo_api, 8000);
  if (!api) return { status: "unknown", how: "jivo_api.chatMode() never became available", open: null };
  const mode = api.chatMode();
  const opened = (window.__shopaudit && window.__shopaudit.vendorOpen.some((o) => o.hook === "jivo_onOpen" && !o.input)) || false;
  return {
    status: mode === "online" ? "online" : mode === "offline" ? "offline" : "unknown",
    how: `jivo_api.chatMode() returned ${JSON.stringify(mode)}`,
    open: opened,
  };
}
