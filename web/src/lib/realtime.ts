/**
 * The WebSocket to the public API: reconnects on its own (network drop, laptop sleep,
 * a silent half-open socket found out by a missing pong, API Gateway's 1009 close
 * after a message over 128 KB) and, on every (re)open, runs the store's exact
 * catch-up before live events are trusted again. It never sends a frame over that
 * limit itself: the gateway would close the socket for it.
 *
 * Frames are typed in frames.ts: what it sends is a `ClientAction`, what it hands the
 * store a `ServerFrame` (anything else off the socket is dropped).
 */
import type { Api } from "./api";
import { recheck } from "./auth";
import type { Store } from "./store";
import { type ClientAction, parseFrame } from "./frames";

const PING_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 15_000;
const RECHECK_EVERY_MS = 60_000;
/** API Gateway's bound on one WebSocket frame (a message over it must be split, and a
 * browser sends each message as one frame); a bigger one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 32 * 1024;

export function deviceId(): string {
  let id = localStorage.getItem("texting.device");
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem("texting.device", id);
  }
  return id;
}

export class Realtime {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private refusedOpens = 0;
  private lastRecheck = 0;
  private timer: number | undefined;
  private pingTimer: number | undefined;
  private pongTimer: number | undefined;
  private stopped = false;
  private presenceTargets: string[] = [];
  private requestSeq = 0;

  constructor(
    private readonly api: Api,
    private readonly store: Store,
  ) {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onVisibility);
    store.onPresenceTargets = (ids) => {
      this.presenceTargets = ids;
      this.sendAction({ action: "presence.subscribe", user_ids: ids });
    };
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.drop();
  }

  /** Sends an action; false when the socket is not open or the frame would not fit. */
  sendAction(frame: ClientAction): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    const data = JSON.stringify({ request_id: `r${++this.requestSeq}`, ...frame });
    if (new TextEncoder().encode(data).length > MAX_FRAME_BYTES) return false;
    this.socket.send(data);
    return true;
  }

  private onOnline = () => {
    this.attempt = 0;
    if (!this.socket) void this.open();
    else this.ping(); // a socket that survived the drop must prove it is alive
  };

  private onOffline = () => {
    this.drop();
    this.store.set({ connection: "offline" });
  };

  private onVisibility = () => {
    this.sendAction({ action: "state", state: document.hidden ? "background" : "foreground" });
    if (!document.hidden) this.ping(); // back from sleep: check the socket now
  };

  private drop(): void {
    clearTimeout(this.timer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onerror = socket.onopen = null;
      socket.close();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.timer = window.setTimeout(() => void this.open(), delay);
  }

  private ping(): void {
    if (!this.sendAction({ action: "ping" })) return;
    clearTimeout(this.pongTimer);
    this.pongTimer = window.setTimeout(() => {
      this.drop();
      this.store.set({ connection: "connecting" });
      this.schedule();
    }, PONG_TIMEOUT_MS);
  }

  private async open(): Promise<void> {
    if (this.stopped || this.socket) return;
    this.store.set({ connection: this.store.state.connection === "offline" ? "offline" : "connecting" });
    let token: string;
    try {
      token = await this.api.token();
    } catch {
      this.schedule();
      return;
    }
    if (this.stopped || this.socket) return;
    const url = `${this.api.config.ws_url}?token=${encodeURIComponent(token)}&device_id=${encodeURIComponent(deviceId())}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    let opened = false;
    socket.onopen = async () => {
      opened = true;
      this.refusedOpens = 0;
      this.attempt = 0;
      this.sendAction({ action: "state", state: document.hidden ? "background" : "foreground" });
      if (this.presenceTargets.length) this.sendAction({ action: "presence.subscribe", user_ids: this.presenceTargets });
      clearInterval(this.pingTimer);
      this.pingTimer = window.setInterval(() => this.ping(), PING_MS);
      try {
        await this.store.catchUp();
        if (this.socket === socket) this.store.set({ connection: "online" });
      } catch {
        if (this.socket === socket) {
          this.drop();
          this.schedule();
        }
      }
    };
    socket.onmessage = (event) => {
      const frame = parseFrame(String(event.data));
      if (!frame) return;
      if (frame.type === "pong") {
        clearTimeout(this.pongTimer);
        return;
      }
      void this.store.handle(frame);
    };
    // Any close (1009 included: the gateway refused one message) reconnects after the
    // first backoff step (an open socket had reset it), and the catch-up on open fetches
    // whatever arrived meanwhile.
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      clearInterval(this.pingTimer);
      clearTimeout(this.pongTimer);
      this.store.set({ connection: navigator.onLine ? "connecting" : "offline" });
      if (!opened && navigator.onLine) this.refused();
      this.schedule();
    };
  }

  /** The handshake was refused (or the server unreachable) twice running: ask the pool
   * whether this session still stands, at most once a minute. An offboarded person's
   * refresh is refused, which ends the session (the sign-in page shows); anything else
   * leaves the backoff to go on. */
  private refused(): void {
    this.refusedOpens++;
    if (this.refusedOpens < 2 || Date.now() - this.lastRecheck < RECHECK_EVERY_MS) return;
    this.lastRecheck = Date.now();
    void recheck(this.api.config, this.api.session).catch(() => undefined);
  }
}
