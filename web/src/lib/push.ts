/**
 * Web Push in the browser (docs/web.md, "Notifications"): once the person allows
 * notifications, this browser subscribes with the stage's VAPID key (GET /push/key)
 * and registers the subscription as this device's push token (POST /devices,
 * platform "webpush"). The service worker shows the pushes; the page answers its two
 * questions: "is this conversation on screen?" (then no notification) and "open this
 * conversation" (after a click on one).
 */
import type { Api } from "./api";
import { deviceId } from "./realtime";

const PUSH_KEY = "texting.push"; // "1" once this browser's subscription is registered
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

/**
 * Subscribe this browser and register it for the signed-in person. Called after the
 * person allowed notifications, and at each start while they stay allowed (a new
 * VAPID key, or a subscription the browser renewed, is registered again).
 */
export async function subscribe(api: Api): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission !== "granted") return Notification.permission === "denied" ? "denied" : "failed";
  try {
    const worker = await registration();
    if (!worker) return "unsupported";
    const { public_key } = await api.get<{ public_key: string }>("/push/key");
    const key = fromBase64Url(public_key);
    let subscription = await worker.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await api.post("/devices", { device_id: deviceId(), platform: "webpush", token: JSON.stringify(subscription) });
    localStorage.setItem(PUSH_KEY, "1");
    return "subscribed";
  } catch {
    localStorage.removeItem(PUSH_KEY);
    return "failed"; // no push service reachable, or the stage has no Web Push: the tab still notifies
  }
}

/** Forget this browser's subscription (at sign-out; the server drops the device then). */
export async function unsubscribe(): Promise<void> {
  localStorage.removeItem(PUSH_KEY);
  if (!pushSupported()) return;
  try {
    const worker = await navigator.serviceWorker.getRegistration();
    const subscription = await worker?.pushManager.getSubscription();
    await subscription?.unsubscribe();
  } catch {
    /* nothing subscribed, or the browser refused: the server has dropped the device anyway */
  }
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
