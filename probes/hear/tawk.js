// tawk.to: `Tawk_API.onChatMessageAgent(message)` fires for each agent message, and
// `onAgentJoinChat({ name, image })` says who joined (developer.tawk.to/jsapi). Both are plain
// properties: the store's own handlers are kept and still called.
async ({ waitFor, heard, chain }) => {
  const api = await waitFor(() => window.Tawk_API && typeof window.Tawk_API.maximize === "function" && window.Tawk_API, 8000);
  if (!api) return null;
  let agent = { name: null, image: null };
  chain(api, "onAgentJoinChat", (data) => { if (data) agent = { name: data.name || null, image: data.image || null }; });
  chain(api, "onChatMessageAgent", (message) => heard(message, agent.name, agent.image));
  return "Tawk_API.onChatMessageAgent";
}
