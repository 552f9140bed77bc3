async ({ waitFor }) => {
  const crisp = await waitFor(() => window.$crisp && typeof window.$crisp.is === "function" && window.$crisp, 8000);
  if (!crisp) return { status: "unknown", how: "$crisp.is() never became available", open: null };
  const available = crisp.is("website:available");
  return {
    status: available === true ? "online" : available === false ? "offline" : "unknown",
    how: `$crisp.is("website:available") returned ${JSON.stringify(available)}`,
    open: crisp.is("chat:opened") === true,
  };
}
