// Tidio: `tidioChatApi.on("messageFromOperator", callback)` fires for each operator message
// (developers.tidio.com, widget events).
async ({ waitFor, heard }) => {
  const api = await waitFor(() => window.tidioChatApi && typeof window.tidioChatApi.on === "function" && window.tidioChatApi, 8000);
  if (!api) return null;
  api.on("messageFromOperator", (data) => heard(data, data && (data.operatorName || data.name), null));
  return "tidioChatApi messageFromOperator";
}
