// LiveChat: `LiveChatWidget.on("new_event", callback)` fires for every chat event; the agent's
// messages are `{ type: "message", text, author: { type: "agent" } }` (Chat Widget JS API).
async ({ waitFor, heard }) => {
  const api = await waitFor(() => window.LiveChatWidget && typeof window.LiveChatWidget.on === "function" && window.LiveChatWidget, 8000);
  if (!api) return null;
  api.on("new_event", (e) => {
    if (e && e.type === "message" && e.author && e.author.type === "agent") heard(e.text, null, null);
  });
  return "LiveChatWidget new_event";
}
