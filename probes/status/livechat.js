async ({ waitFor }) => {
  const state = await waitFor(() => window.LiveChatWidget && typeof window.LiveChatWidget.get === "function" && window.LiveChatWidget.get("state"), 8000);
  if (!state) return { status: "unknown", how: "LiveChatWidget.get('state') never answered", open: null };
  return {
    status: state.availability === "online" ? "online" : state.availability === "offline" ? "offline" : "unknown",
    how: `LiveChatWidget.get('state') returned ${JSON.stringify(state)}`,
    open: state.visibility === "maximized",
  };
}
