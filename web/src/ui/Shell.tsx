import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { askPermission, notificationsSupported, setBadge, showNotification, tone, unlockAudio } from "../lib/notify";
import { answerWorker, dismissHomeScreenHint, homeScreenHintDismissed, needsHomeScreen, subscribe } from "../lib/push";
import type { Store } from "../lib/store";
import { currentPath, PAGES } from "../routes";
import { MessagesPage } from "./MessagesPage";
import { PresenceControls } from "./Presence";
import { BellIcon, CloseIcon } from "./icons";
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

/** Whether the person is looking at this conversation right now. */
function looking(store: Store, conversationId: string): boolean {
  return !document.hidden && document.hasFocus() && currentPath() === "" && store.state.activeId === conversationId;
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
  // on a phone the page links scroll within the header: the current one stays in sight
  useEffect(() => {
    document.querySelector('.topbar nav [aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, [path, pages.length]);

  // Tab title and the installed app's badge: the unread count, seen from outside the app.
  const unread = store.totalUnread();
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Texting` : "Texting";
    setBadge(unread);
  }, [unread]);
  useEffect(() => () => {
    // signed out (or the app restarted): no one's count stays in the title or on the icon
    document.title = "Texting";
    setBadge(0);
  }, []);

  // The service worker asks before showing a push, and hands over a clicked one.
  useEffect(
    () =>
      answerWorker({
        showing: (id) => looking(store, id),
        open: (id) => {
          location.hash = "#/";
          void store.ensureConversation(id).then((c) => c && store.set({ activeId: c.id })).catch(() => undefined);
        },
      }),
    [store],
  );

  async function enableNotifications() {
    const answer = await askPermission();
    setPermission(answer);
    if (answer === "granted") void subscribe(app.api);
  }

  // On an iPhone or iPad, notifications reach only the app added to the Home Screen.
  const [homeScreenHint, setHomeScreenHint] = useState(() => needsHomeScreen() && !homeScreenHintDismissed());

  // Tone and notification for messages the user is not looking at.
  useEffect(() => {
    store.onIncoming = (conversation, message) => {
      if (conversation.muted) return;
      if (looking(store, conversation.id)) return;
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
  const connectionText = app.savedOnly || connection === "offline"
    ? "Offline — showing saved messages"
    : connection === "online" ? "Connected" : "Connecting…";
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
        <span class={`connection ${app.savedOnly ? "offline" : connection}`} role="status">
          <span class="connection-text">{connectionText}</span>
        </span>
        {permission === "default" && !homeScreenHint && (
          <button type="button" class="secondary icon-button" aria-label="Enable notifications"
            title="Enable notifications" onClick={() => void enableNotifications()}>
            <BellIcon /><span class="icon-label" aria-hidden="true">Enable notifications</span>
          </button>
        )}
        <PresenceControls />
      </header>
      {homeScreenHint && (
        <aside class="home-screen-hint" aria-label="Notifications on this device">
          <p>
            To get notifications on this {/iPad/.test(navigator.userAgent) ? "iPad" : "iPhone"}, add Texting to your Home
            Screen: tap <strong>Share</strong>, then <strong>Add to Home Screen</strong>, and open it from there.
          </p>
          <button type="button" class="secondary" onClick={() => { dismissHomeScreenHint(); setHomeScreenHint(false); }}>
            Dismiss
          </button>
        </aside>
      )}
      {state.missed && (
        // one line: on a phone the conversation keeps the screen
        <div class="missed" role="status">
          <span class="missed-text" title={missedText(state.missed.total, state.missed.conversations.length)}>
            {missedText(state.missed.total, state.missed.conversations.length)}
          </span>
          <button type="button" class="secondary icon-button" aria-label="Dismiss" title="Dismiss"
            onClick={() => store.set({ missed: null })}>
            <CloseIcon /><span class="icon-label" aria-hidden="true">Dismiss</span>
          </button>
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

/** The missed notice, counts first: on a phone with large text the line is cut at its
 * end, never its numbers (the whole sentence is its title and is read out in full). */
function missedText(total: number, conversations: number): string {
  return `${total} missed message${total === 1 ? "" : "s"} in ${conversations} conversation${conversations === 1 ? "" : "s"} while you were away.`;
}
