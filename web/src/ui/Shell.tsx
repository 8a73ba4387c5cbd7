import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { askPermission, notificationsSupported, showNotification, tone, unlockAudio } from "../lib/notify";
import { currentPath, PAGES } from "../routes";
import { MessagesPage } from "./MessagesPage";
import { PresenceControls } from "./Presence";
import { SearchBox } from "./Search";

function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return path;
}

function LazyPage({ load }: { load: () => Promise<{ default: ComponentType }> }) {
  const [Page, setPage] = useState<ComponentType | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    load()
      .then((module) => live && setPage(() => module.default))
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [load]);
  if (error) return <p class="error" role="alert">{error}</p>;
  return Page ? <Page /> : <p role="status">Loading…</p>;
}

export function Shell() {
  const app = useApp();
  const { store } = app;
  const state = useStoreState(store);
  const path = usePath();
  const [permission, setPermission] = useState(notificationsSupported() ? Notification.permission : "unsupported");
  const [probed, setProbed] = useState<Record<string, boolean>>({});
  useEffect(() => {
    for (const p of PAGES) {
      if (p.probe) void p.probe(app.api, state.me).then((ok) => setProbed((old) => ({ ...old, [p.path]: ok })));
    }
  }, [app.api]);
  const pages = PAGES.filter((p) => p.visible(state.me) && (!p.probe || probed[p.path]));
  const page = pages.find((p) => p.path === path);

  // Tab title: the unread count, so it shows on a background tab.
  const unread = store.totalUnread();
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Texting` : "Texting";
  }, [unread]);

  // Tone and notification for messages the user is not looking at.
  useEffect(() => {
    store.onIncoming = (conversation, message) => {
      if (conversation.muted) return;
      const looking = !document.hidden && document.hasFocus() && store.state.activeId === conversation.id && currentPath() === "";
      if (looking) return;
      tone();
      const from = conversation.type === "sms" && message.direction === "inbound"
        ? store.numberName(message.sender)
        : store.userName(message.sender);
      showNotification(from, message.text || "Sent an attachment", conversation.id, () => {
        location.hash = "#/";
        store.set({ activeId: conversation.id });
      });
    };
    const unlock = () => unlockAudio();
    window.addEventListener("pointerdown", unlock, { once: true });
    window.addEventListener("keydown", unlock, { once: true });
    return () => {
      window.removeEventListener("pointerdown", unlock);
      window.removeEventListener("keydown", unlock);
    };
  }, [store]);

  const connection = state.connection;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="#/">Texting</a>
        <nav aria-label="Pages">
          <a href="#/" aria-current={page ? undefined : "page"}>Messages</a>
          {pages.map((p) => (
            <a key={p.path} href={`#/${p.path}`} aria-current={page === p ? "page" : undefined}>{p.label}</a>
          ))}
        </nav>
        <SearchBox />
        <span class={`connection ${connection}`} role="status">
          {connection === "online" ? "Connected" : connection === "offline" ? "Offline — reconnecting when the network is back" : "Connecting…"}
        </span>
        {permission === "default" && (
          <button type="button" class="secondary" onClick={async () => setPermission(await askPermission())}>
            Enable notifications
          </button>
        )}
        <PresenceControls />
      </header>
      {state.missed && (
        <div class="missed" role="status">
          <span>
            While you were away you missed {state.missed.total} message{state.missed.total === 1 ? "" : "s"} in{" "}
            {state.missed.conversations.length} conversation{state.missed.conversations.length === 1 ? "" : "s"}.
          </span>
          <button type="button" class="secondary" onClick={() => store.set({ missed: null })}>Dismiss</button>
        </div>
      )}
      {page ? (
        <main class="page" tabIndex={0}><LazyPage load={page.load} /></main>
      ) : (
        <MessagesPage />
      )}
    </div>
  );
}
