/**
 * New-message alerts: an audible tone (Web Audio, no file to load) and a browser
 * notification. Both fire when the tab is hidden, the window is not focused, or
 * the message is for a conversation other than the open one. Permission is only
 * asked from a click (browsers ignore or punish a request without a user gesture).
 */
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

export function showNotification(title: string, body: string, tag: string, onClick: () => void): void {
  if (!notificationsSupported() || Notification.permission !== "granted") return;
  try {
    const note = new Notification(title, { body, tag });
    note.onclick = () => {
      window.focus();
      onClick();
      note.close();
    };
  } catch {
    /* some platforms only allow notifications from a service worker */
  }
}
