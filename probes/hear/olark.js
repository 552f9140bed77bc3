// Olark: `olark("api.chat.onMessageToVisitor", callback)` fires for each operator message, with
// `message.body` and the operator's `message.nickname` (olark.com/api).
async ({ waitFor, heard }) => {
  const olark = await waitFor(() => typeof window.olark === "function" && window.olark, 8000);
  if (!olark) return null;
  olark("api.chat.onMessageToVisitor", (e) => heard(e && e.message && e.message.body, e && e.message && e.message.nickname, null));
  return "olark api.chat.onMessageToVisitor";
}
