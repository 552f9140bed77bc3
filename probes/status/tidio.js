async ({ waitFor }) => {
  const api = await waitFor(() => window.tidioChatApi && typeof window.tidioChatApi.on === "function" && window.tidioChatApi, 8000);
  if (!api) return { status: "unknown", how: "tidioChatApi never became available", open: null };
  const status = await new Promise((resolve) => { api.on("setStatus", resolve); setTimeout(() => resolve(undefined), 5000); });
  return { status: status === "online" ? "online" : status === "offline" ? "offline" : "unknown", how: `tidioChatApi setStatus reported ${JSON.stringify(status)}`, open: null };
}
