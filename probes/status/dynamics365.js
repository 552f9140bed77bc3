async ({ waitFor }) => {
  // Dynamics 365's live chat SDK answers getAgentAvailability() once "lcw:ready" has fired.
  const sdk = await waitFor(() => {
    const lcw = window.Microsoft && window.Microsoft.Omnichannel && window.Microsoft.Omnichannel.LiveChatWidget;
    return lcw && lcw.SDK && typeof lcw.SDK.getAgentAvailability === "function" && lcw.SDK;
  }, 8000);
  if (!sdk) return { status: "unknown", how: "Microsoft.Omnichannel.LiveChatWidget.SDK never became available", open: null };
  let answer;
  try {
    answer = await Promise.race([sdk.getAgentAvailability(), new Promise((resolve) => setTimeout(resolve, 5000))]);
  } catch (e) {
    return { status: "unknown", how: `getAgentAvailability() failed: ${e}`, open: null };
  }
  if (!answer || typeof answer.isAgentAvailable !== "boolean") {
    return { status: "unknown", how: `getAgentAvailability() returned ${JSON.stringify(answer)}`, open: null };
  }
  return {
    status: answer.isAgentAvailable ? "online" : "offline",
    how: `Microsoft.Omnichannel.LiveChatWidget.SDK.getAgentAvailability() returned isAgentAvailable: ${answer.isAgentAvailable}`,
    open: null,
  };
}
