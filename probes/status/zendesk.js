async ({ waitFor }) => {
  const zE = await waitFor(() => typeof window.zE === "function" && window.zE, 8000);
  if (zE) {
    const status = await new Promise((resolve) => {
      try { zE("webWidget:on", "chat:status", resolve); } catch (e) { resolve(undefined); }
      setTimeout(() => resolve(undefined), 5000);
    });
    if (status !== undefined) {
      return {
        status: status === "online" ? "online" : status === "away" || status === "offline" ? "offline" : "unknown",
        how: `zE('webWidget:on', 'chat:status') reported ${JSON.stringify(status)}`,
        open: null,
      };
    }
  }
  const zopim = window.$zopim && window.$zopim.livechat;
  if (zopim && typeof zopim.setOnStatus === "function") {
    const status = await new Promise((resolve) => { zopim.setOnStatus(resolve); setTimeout(() => resolve(undefined), 5000); });
    return { status: status === "online" ? "online" : status ? "offline" : "unknown", how: `$zopim.livechat.setOnStatus reported ${JSON.stringify(status)}`, open: null };
  }
  return { status: "unknown", how: "neither zE chat:status nor $zopim answered", open: null };
}
