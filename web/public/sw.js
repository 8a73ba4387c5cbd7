/*
 * The web app's service worker (plain JavaScript, no library; docs/web.md).
 *
 * - The app shell (the page, its hashed assets, the manifest and icons) is cached at
 *   install under a cache named for this build, and served from there: the app opens
 *   offline. config.json is network-first (a stage may change it), the cached copy
 *   when the network is out. Nothing else is ever cached: API answers pass through,
 *   so no one's messages stay here after a sign-out (the page keeps its own saved
 *   copy per user and clears it then).
 * - A new build installs beside the running one and waits; the page offers "Reload
 *   to update" (it posts "skip-waiting"), or the new build takes over when every
 *   window of the app has closed. Activation deletes every older shell cache.
 * - A push shows the notification its payload describes, one per conversation (its
 *   tag), silent when the payload says so, unless a window of the app says it is
 *   showing that conversation right now, or no one is signed in (a push still on its
 *   way after a sign-out). A click focuses a window of the app and asks it to open the
 *   conversation, or opens the payload's URL (`/#/conversations/{id}`), in the app's
 *   scope whatever path the app is served from.
 *
 * The build (vite.config.js) replaces VERSION and SHELL below; in `vite dev` the
 * page does not register this worker.
 */
const VERSION = "__VERSION__";
const SHELL = [/*__SHELL__*/];
const CACHE = `shell-${VERSION}`;
const CONFIG = "config.json";
const ASK_MS = 500; // how long a window has to say it shows the pushed conversation
// Present while someone is signed in (the page writes it, and deletes it at sign-out):
// a push that arrives with no one signed in is dropped (lib/push.ts).
const SESSION = "texting-session";

const scope = () => new URL(self.registration.scope);
const inScope = (url) => url.origin === scope().origin && url.pathname.startsWith(scope().pathname);

// -- the shell ----------------------------------------------------------------------------

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Bypass the HTTP cache: the page is revalidated, never an older build's.
      await cache.addAll(SHELL.map((path) => new Request(path, { cache: "no-cache" })));
      await cache.add(new Request(CONFIG, { cache: "no-store" })).catch(() => undefined);
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("shell-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim(); // the first install serves the page that installed it
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

/** A navigation to the app (a path naming no file), not to the API behind it. */
function isPage(request, url) {
  const last = url.pathname.slice(scope().pathname.length);
  return request.mode === "navigate" && !last.includes(".") && !last.startsWith("api/");
}

async function fromShell(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreSearch: true })) || fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(CONFIG, response.clone());
    return response;
  } catch (error) {
    const saved = await cache.match(CONFIG);
    if (saved) return saved;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (!inScope(url)) return;
  const path = url.pathname.slice(scope().pathname.length);
  if (isPage(request, url)) event.respondWith(fromShell(new Request(scope().href)));
  else if (path === CONFIG) event.respondWith(networkFirst(request));
  else if (SHELL.includes(path)) event.respondWith(fromShell(request));
});

// -- push ---------------------------------------------------------------------------------

/** Whether a window of the app is showing this conversation to its person right now
 * (visible, focused, that conversation open): it asks each window, which answers. */
async function shownInAWindow(conversationId) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const answers = windows.map(
    (client) =>
      new Promise((resolve) => {
        const channel = new MessageChannel();
        const timer = setTimeout(() => resolve(false), ASK_MS);
        channel.port1.onmessage = (event) => {
          clearTimeout(timer);
          resolve(event.data === true);
        };
        client.postMessage({ type: "showing?", conversation_id: conversationId }, [channel.port2]);
      }),
  );
  return (await Promise.all(answers)).some(Boolean);
}

function readPayload(data) {
  if (!data) return {};
  try {
    const payload = data.json();
    return payload && typeof payload === "object" ? payload : {};
  } catch {
    return { body: data.text() };
  }
}

/** Where a click leads when no window of the app is open: the payload's own URL when
 * it is the app's; a route of the app's (`#/…`, as the server sends `/#/conversations/{id}`
 * for an app it assumes at the origin's root) at the app's own scope; else the app
 * opened at the conversation. Never a page outside the app. */
function targetUrl(data) {
  if (typeof data.url === "string" && data.url) {
    try {
      const url = new URL(data.url, scope());
      if (inScope(url)) return url.href;
      if (url.origin === scope().origin && url.hash.startsWith("#/")) return scope().href + url.hash;
    } catch {
      /* not a URL: the conversation's own below */
    }
  }
  const id = data.conversation_id;
  return id ? `${scope().href}#/conversations/${encodeURIComponent(id)}` : scope().href;
}

async function onPush(payload) {
  if (!(await caches.has(SESSION))) return; // signed out: nothing of theirs is shown
  const id = typeof payload.conversation_id === "string" ? payload.conversation_id : "";
  if (id && (await shownInAWindow(id))) return;
  const tag = payload.tag || (id ? `conversation-${id}` : "texting");
  const silent = payload.silent === true;
  await self.registration.showNotification(payload.title || "Texting", {
    body: payload.body || "",
    tag,
    renotify: !silent, // a new message in the same conversation alerts again, unless silent
    silent,
    icon: "icons/icon-192.png",
    badge: "icons/icon-192.png",
    data: { conversation_id: id, message_id: payload.message_id || "", url: targetUrl(payload) },
  });
}

self.addEventListener("push", (event) => {
  event.waitUntil(onPush(readPayload(event.data)));
});

async function onClick(data) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.filter((client) => inScope(new URL(client.url)));
  const client = app.find((c) => c.focused) || app.find((c) => c.visibilityState === "visible") || app[0];
  if (!client) return self.clients.openWindow(data.url || targetUrl(data));
  if (data.conversation_id) client.postMessage({ type: "open-conversation", conversation_id: data.conversation_id });
  return client.focus();
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(onClick(event.notification.data || {}));
});
