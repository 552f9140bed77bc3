// Dynamics 365 Omnichannel live chat: the SDK at Microsoft.Omnichannel.LiveChatWidget.SDK,
// "lcw:ready" on window when it can be called, and getAgentAvailability() resolving to
// { isAgentAvailable, positionInQueue } for the widget's queue.
window.Microsoft = window.Microsoft || {};
ShopauditEmu.build({
  tag: "div", id: "oc-lcw-chat-button", label: () => "Chat",
  ready(state) {
    window.Microsoft.Omnichannel = {
      LiveChatWidget: {
        SDK: {
          getAgentAvailability: async () => ({ isAgentAvailable: state.cfg.status === "online", positionInQueue: 0 }),
          startChat: () => state.setOpen(true),
          closeChat: () => state.setOpen(false),
        },
      },
    };
    window.dispatchEvent(new Event("lcw:ready"));
  },
});
