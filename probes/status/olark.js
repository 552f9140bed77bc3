async ({ waitFor }) => {
  const olark = await waitFor(() => typeof window.olark === "function" && window.olark, 8000);
  if (!olark) return { status: "unknown", how: "olark() never became available", open: null };
  const status = await new Promise((resolve) => {
    olark("api.chat.onOperatorsAvailable", () => resolve("online"));
    olark("api.chat.onOperatorsAway", () => resolve("offline"));
    setTimeout(() => resolve(undefined), 5000);
  });
  return { status: status || "unknown", how: status ? `olark api.chat.onOperators${status === "online" ? "Available" : "Away"} fired` : "olark operator callbacks did not fire", open: null };
}
