/**
 * The app without a network: the service worker that keeps the app shell (public/sw.js),
 * and a saved copy of what the signed-in person last saw — the head of the conversation
 * list and the recent messages of the conversations they opened — so the app opens
 * offline and shows it, marked as offline.
 *
 * The copy lives in localStorage under one key, for one user (the session's); it is
 * rewritten a moment after the store changes and removed at sign-out (and whenever
 * the session ends), so no one else's messages stay on a shared computer. A copy not
 * rewritten for SAVED_MAX_AGE_MS (the app not opened online for that long: the
 * session's refresh token, 30 days on AWS, cannot be checked offline) is no longer
 * offered, and is removed when found.
 */
import { contactsByNumber, uniqueContacts } from "./conversation_api";
import type { Store, Thread } from "./store";
import type { Contact, Conversation, Message, User } from "./types";

const KEY = "texting.saved";
const VERSION = 2; // 2: contacts as the server sends them (`phones`)
export const SAVED_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
const CONVERSATIONS = 50; // the head of the list
const THREADS = 10; // conversations whose messages are kept, the open one first
const MESSAGES = 30; // the newest of each
const SAVE_AFTER_MS = 1000;

export interface Saved {
  version: number;
  username: string;
  saved_at: string;
  me: User;
  users: Pick<User, "user_id" | "name">[];
  contacts: Contact[];
  conversations: Conversation[];
  threads: Record<string, Message[]>;
  activeId: string | null;
}

/** A saved copy fit to show: this version, this user, saved within SAVED_MAX_AGE_MS. */
export function usableSaved(saved: Saved | null, username: string, now: number): Saved | null {
  if (saved?.version !== VERSION || saved.username !== username) return null;
  const at = Date.parse(saved.saved_at);
  return Number.isFinite(at) && now - at <= SAVED_MAX_AGE_MS ? saved : null;
}

/** The saved copy for this session's user, if there is one still fit to show. */
export function savedFor(username: string): Saved | null {
  let saved: Saved | null;
  try {
    saved = JSON.parse(localStorage.getItem(KEY) || "null") as Saved | null;
  } catch {
    return null;
  }
  const usable = usableSaved(saved, username, Date.now());
  if (saved && !usable) forgetSaved(); // too old or another's: nothing to keep it for
  return usable;
}

export function forgetSaved(): void {
  localStorage.removeItem(KEY);
}

function snapshot(store: Store, username: string, opened: string[]): Saved {
  const s = store.state;
  const conversations = s.order.slice(0, CONVERSATIONS).map((id) => s.conversations.get(id)!).filter(Boolean);
  const threads: Record<string, Message[]> = {};
  for (const id of opened.slice(0, THREADS)) {
    const items = (s.threads.get(id)?.items || []).filter((m) => !m.pending);
    if (items.length) threads[id] = items.slice(-MESSAGES);
  }
  for (const id of Object.keys(threads)) {
    if (!conversations.some((c) => c.id === id) && s.conversations.has(id)) conversations.push(s.conversations.get(id)!);
  }
  const named = new Set<string>();
  for (const c of conversations) c.members.forEach((m) => named.add(m));
  for (const items of Object.values(threads)) items.forEach((m) => named.add(m.sender));
  return {
    version: VERSION,
    username,
    saved_at: new Date().toISOString(),
    me: s.me,
    users: [...named].map((id) => s.users.get(id)).filter((u): u is User => !!u).map((u) => ({ user_id: u.user_id, name: u.name })),
    contacts: uniqueContacts(s.contacts),
    conversations,
    threads,
    activeId: s.activeId,
  };
}

/** Keep the saved copy up to date with the store; returns the stop. */
export function keepSaved(store: Store, username: string): () => void {
  let timer = 0;
  const opened: string[] = Object.keys(savedFor(username)?.threads || {});
  const save = () => {
    try {
      localStorage.setItem(KEY, JSON.stringify(snapshot(store, username, opened)));
    } catch {
      /* storage full or refused: the app works, it just opens offline with less */
    }
  };
  const stop = store.subscribe(() => {
    const active = store.state.activeId;
    if (active && opened[0] !== active) {
      const at = opened.indexOf(active);
      if (at >= 0) opened.splice(at, 1);
      opened.unshift(active);
    }
    clearTimeout(timer);
    timer = window.setTimeout(save, SAVE_AFTER_MS);
  });
  return () => {
    clearTimeout(timer);
    stop();
  };
}

/** Fill a new store with the saved copy: what the app shows until the server answers. */
export function restore(store: Store, saved: Saved): void {
  const users = new Map(store.state.users);
  for (const u of saved.users) if (!users.has(u.user_id)) users.set(u.user_id, u as User);
  const conversations = new Map(saved.conversations.map((c) => [c.id, c]));
  const threads = new Map<string, Thread>(
    Object.entries(saved.threads).map(([id, items]) => [id, { items, olderCursor: null, loaded: true, loadingOlder: false }]),
  );
  store.set({
    users,
    contacts: contactsByNumber(saved.contacts),
    conversations,
    order: saved.conversations.filter((c) => !c.hidden).map((c) => c.id),
    listLoaded: true,
    listCursor: null,
    threads,
    activeId: saved.activeId && conversations.has(saved.activeId) ? saved.activeId : null,
    connection: "offline",
  });
}

// -- the service worker ------------------------------------------------------------------

/**
 * Register the service worker (a built app only: `vite dev` has no shell to cache).
 * `onUpdate` is called when a new build is installed and waiting; `applyUpdate` then
 * lets it take over, and the page reloads into it.
 */
export function registerWorker(onUpdate: () => void): void {
  if (!import.meta.env.PROD || !("serviceWorker" in navigator)) return;
  // The very first install also takes control, of a page that is that build: no reload.
  const hadBuild = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // A new build took over, because this page asked for it or another window did: reload
    // into it, once. A window left on the old build would ask for chunks its cache no
    // longer holds (activation deleted it); drafts are kept across the reload.
    if ((updating === "asked" || hadBuild) && updating !== "reloading") {
      updating = "reloading";
      location.reload();
    }
  });
  navigator.serviceWorker
    .register("./sw.js", { scope: "./" })
    .then((registration) => {
      const waiting = () => {
        if (registration.waiting && navigator.serviceWorker.controller) onUpdate();
      };
      waiting();
      registration.addEventListener("updatefound", () => {
        registration.installing?.addEventListener("statechange", waiting);
      });
      // A tab open for days still hears of new builds (browsers check on navigations).
      document.addEventListener("visibilitychange", () => {
        if (!document.hidden) void registration.update().catch(() => undefined);
      });
    })
    .catch(() => undefined); // no worker (a private window, a refusing browser): the app works online
}

let updating: "no" | "asked" | "reloading" = "no";

export async function applyUpdate(): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration();
  if (!registration?.waiting) {
    location.reload(); // another window already let the new build in
    return;
  }
  updating = "asked";
  registration.waiting.postMessage({ type: "skip-waiting" });
}
