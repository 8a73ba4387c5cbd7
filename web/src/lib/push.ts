/**
 * Web Push in the browser (docs/web.md, "Notifications"): once the person allows
 * notifications, this browser subscribes with the stage's VAPID key (GET /push/key)
 * and registers the subscription as this device's push token (POST /devices,
 * platform "webpush"). The service worker shows the pushes; the page answers its two
 * questions: "is this conversation on screen?" (then no notification) and "open this
 * conversation" (after a click on one).
 */
import type { Api } from "./api";
import { enc } from "./http";
import { deviceId } from "./realtime";

const PUSH_KEY = "texting.push"; // "1" once this browser's subscription is registered
// Who is signed in, for the service worker (it cannot read localStorage): a cache of
// its own holding one entry while someone is; a push that finds none is dropped.
export const SESSION_CACHE = "texting-session";
const SESSION_ENTRY = "signed-in";
const IOS_HINT_KEY = "texting.ios-hint-dismissed";
const READY_MS = 10_000;

export type PushState = "subscribed" | "unsupported" | "denied" | "failed";

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && typeof Notification !== "undefined";
}

/** Whether this browser's subscription is registered with the server (pushes reach it). */
export function pushActive(): boolean {
  return localStorage.getItem(PUSH_KEY) === "1" && typeof Notification !== "undefined" && Notification.permission === "granted";
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function sameKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const current = subscription.options.applicationServerKey;
  if (!current) return false;
  const bytes = new Uint8Array(current);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

async function registration(): Promise<ServiceWorkerRegistration | null> {
  if (!(await navigator.serviceWorker.getRegistration())) return null;
  const timeout = new Promise<null>((resolve) => window.setTimeout(() => resolve(null), READY_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

// Each sign-out starts a new generation: a subscribe() begun before it (its requests
// still in flight) must not register the browser for the person who left.
let generation = 0;

/**
 * Subscribe this browser and register it for the signed-in person. Called after the
 * person allowed notifications, and at each start while they stay allowed (a new
 * VAPID key, or a subscription the browser renewed, is registered again).
 * `signedIn` says whether that person's session is still this tab's: asked before the
 * registration (POST /devices) and after it; a session that ended meanwhile leaves no
 * subscription and no device behind.
 */
export async function subscribe(api: Api, signedIn: () => boolean = () => true): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission !== "granted") return Notification.permission === "denied" ? "denied" : "failed";
  const started = generation;
  const current = () => started === generation && signedIn();
  try {
    const worker = await registration();
    if (!worker) return "unsupported";
    const { public_key } = await api.get<{ public_key: string }>("/push/key");
    if (!current()) return "failed";
    const key = fromBase64Url(public_key);
    let subscription = await worker.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    if (!current()) {
      await subscription.unsubscribe().catch(() => false);
      return "failed";
    }
    const device = deviceId();
    await api.post("/devices", { device_id: device, platform: "webpush", token: JSON.stringify(subscription) });
    if (!current()) {
      // signed out while the registration was on its way: take both back
      await subscription.unsubscribe().catch(() => false);
      await api.del(`/devices/${enc(device)}`).catch(() => undefined);
      return "failed";
    }
    localStorage.setItem(PUSH_KEY, "1");
    return "subscribed";
  } catch {
    localStorage.removeItem(PUSH_KEY);
    return "failed"; // no push service reachable, or the stage has no Web Push: the tab still notifies
  }
}

/**
 * At sign-out (here or in another tab, or the session ended): forget this browser's
 * subscription (the server drops the device too), close the notifications still shown,
 * and tell the service worker no one is signed in (a push still on its way is dropped).
 */
export async function unsubscribe(): Promise<void> {
  generation += 1;
  localStorage.removeItem(PUSH_KEY);
  await markSignedOut();
  if (!("serviceWorker" in navigator)) return;
  try {
    const worker = await navigator.serviceWorker.getRegistration();
    for (const shown of (await worker?.getNotifications()) || []) shown.close();
    const subscription = "PushManager" in window ? await worker?.pushManager.getSubscription() : null;
    await subscription?.unsubscribe();
  } catch {
    /* nothing subscribed, or the browser refused: the server has dropped the device anyway */
  }
}

/** Tell the service worker someone is signed in here: its pushes are shown. */
export async function markSignedIn(): Promise<void> {
  if (typeof caches === "undefined") return;
  try {
    const cache = await caches.open(SESSION_CACHE);
    await cache.put(SESSION_ENTRY, new Response("1"));
  } catch {
    /* no Cache Storage (a private window): no worker either */
  }
}

async function markSignedOut(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(SESSION_CACHE).catch(() => false);
}

export interface WorkerQuestions {
  /** Whether the person is looking at this conversation right now. */
  showing: (conversationId: string) => boolean;
  /** Open this conversation (a notification was clicked). */
  open: (conversationId: string) => void;
}

/** Answer the service worker; returns the stop. */
export function answerWorker(answers: WorkerQuestions): () => void {
  if (!("serviceWorker" in navigator)) return () => undefined;
  const onMessage = (event: MessageEvent) => {
    const data = event.data as { type?: string; conversation_id?: unknown } | null;
    const id = typeof data?.conversation_id === "string" ? data.conversation_id : "";
    if (data?.type === "showing?") event.ports[0]?.postMessage(!!id && answers.showing(id));
    else if (data?.type === "open-conversation" && id) answers.open(id);
  };
  navigator.serviceWorker.addEventListener("message", onMessage);
  navigator.serviceWorker.startMessages();
  return () => navigator.serviceWorker.removeEventListener("message", onMessage);
}

/** The conversation a URL opens (`#/conversations/<id>`, what a notification opens). */
export function conversationInUrl(hash = location.hash): string | null {
  const match = /^#\/conversations\/([^/?#]+)/.exec(hash);
  return match ? decodeURIComponent(match[1]!) : null;
}

// -- iPhone and iPad ------------------------------------------------------------------------

/** iOS and iPadOS Safari deliver Web Push only to a web app opened from the Home Screen. */
export function needsHomeScreen(): boolean {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = (navigator as { standalone?: boolean }).standalone === true || matchMedia("(display-mode: standalone)").matches;
  return ios && !standalone;
}

export function homeScreenHintDismissed(): boolean {
  return localStorage.getItem(IOS_HINT_KEY) === "1";
}

export function dismissHomeScreenHint(): void {
  localStorage.setItem(IOS_HINT_KEY, "1");
}
