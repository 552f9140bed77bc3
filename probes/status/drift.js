async ({ waitFor }) => {
  const drift = await waitFor(() => window.drift && typeof window.drift.on === "function" && window.drift, 8000);
  if (!drift) return { status: "unknown", how: "drift.on never became available", open: null };
  const online = await new Promise((resolve) => { drift.on("ready", (api, payload) => resolve(payload && payload.isOnline)); setTimeout(() => resolve(undefined), 5000); });
  return { status: online === true ? "online" : online === false ? "offline" : "unknown", how: `drift ready payload.isOnline = ${JSON.stringify(online)}`, open: null };
}
