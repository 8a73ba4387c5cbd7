/**
 * New-message alerts: an audible tone (Web Audio, no file to load) and a browser
 * notification. Both fire when the tab is hidden, the window is not focused, or
 * the message is for a conversation other than the open one. Permission is only
 * asked from a click (browsers ignore or punish a request without a user gesture).
 * A hidden tab whose browser receives Web Push leaves the notification to the
 * service worker (the server pushes to a device in the background), so a message is
 * announced once. The app badge (installed app's icon) shows the unread count.
 */
import { pushActive } from "./push";

let audio: AudioContext | null = null;

export function notificationsSupported(): boolean {
  return typeof Notification !== "undefined";
}

export async function askPermission(): Promise<NotificationPermission | "unsupported"> {
  if (!notificationsSupported()) return "unsupported";
  unlockAudio();
  return Notification.requestPermission();
}

/** Audio may only start after a user gesture; the first click anywhere unlocks it. */
export function unlockAudio(): void {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") void audio.resume();
  } catch {
    audio = null;
  }
}

export function tone(): void {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.0001, now);
  gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.35);
  gain.connect(audio.destination);
  const notes: [number, number][] = [
    [880, 0],
    [1320, 0.12],
  ];
  for (const [freq, start] of notes) {
    const osc = audio.createOscillator();
    osc.frequency.value = freq;
    osc.connect(gain);
    osc.start(now + start);
    osc.stop(now + start + 0.2);
  }
}

/** The notification's tag: one notification per conversation, the latest message's. */
export function conversationTag(conversationId: string): string {
  return `conversation-${conversationId}`;
}

export function showNotification(title: string, body: string, conversationId: string, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  if (document.hidden && pushActive()) return; // the push shows it
  const tag = conversationTag(conversationId);
  try {
    const note = new Notification(title, { body, tag });
    note.onclick = () => {
      window.focus();
      onClick();
      note.close();
    };
  } catch {
    // Android's Chrome only shows notifications from a service worker (its click is
    // the worker's, which asks this page to open the conversation).
    void navigator.serviceWorker
      ?.getRegistration()
      .then((registration) =>
        registration?.showNotification(title, { body, tag, icon: "icons/icon-192.png", data: { conversation_id: conversationId } }),
      )
      .catch(() => undefined);
  }
}

/** The unread count on the installed app's icon, where the platform has badges. */
export function setBadge(unread: number): void {
  const nav = navigator as Navigator & { setAppBadge?: (n?: number) => Promise<void>; clearAppBadge?: () => Promise<void> };
  if (!nav.setAppBadge) return;
  const done = unread > 0 ? nav.setAppBadge(unread) : nav.clearAppBadge?.();
  void done?.catch(() => undefined);
}
