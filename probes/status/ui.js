// Vendors without a public availability call: read the widget's own words. A launcher or
// window that says "offline" / "leave a message" is offline; one that says "online" or shows
// a reply time is online; anything else stays unknown.
async ({ waitFor, launcher }) => {
  const el = launcher ? await waitFor(() => document.querySelector(launcher), 5000) : null;
  if (!el) return { status: "unknown", how: "no public status call and no launcher to read", open: null };
  const text = (el.innerText || el.getAttribute("aria-label") || el.title || "").replace(/\s+/g, " ").trim();
  const offline = /offline|leave (us )?a message|оставьте сообщение|не в сети|нет в сети|nicht erreichbar|εκτός σύνδεσης/i;
  const online = /online|в сети|reply in|replies in|отвечаем|antworten in|συνδεδεμένο/i;
  const status = offline.test(text) ? "offline" : online.test(text) ? "online" : "unknown";
  return { status, how: `no public status call; the launcher says ${JSON.stringify(text.slice(0, 80))}`, open: null };
}
