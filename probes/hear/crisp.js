// Crisp: `$crisp.push(["on", "message:received", callback])` fires for each operator message,
// with `content` and the operator's `user.nickname` (docs.crisp.chat, $crisp methods).
async ({ waitFor, heard }) => {
  const crisp = await waitFor(() => window.$crisp && typeof window.$crisp.push === "function" && window.$crisp, 8000);
  if (!crisp) return null;
  crisp.push(["on", "message:received", (m) => {
    if (m && m.from && m.from !== "operator") return;
    heard(m && m.content, m && m.user && m.user.nickname, m && m.user && m.user.avatar);
  }]);
  return "$crisp message:received";
}
