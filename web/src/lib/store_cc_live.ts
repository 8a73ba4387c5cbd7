/**
 * Supervisors' live view, the `live` part of the store's `cc` slice (store_cc.ts): each
 * supervised queue's live interactions (GET /queues/{id}/interactions, read again on
 * every `queue.updated` of that queue), the one interaction being monitored (its
 * transcript and timeline, then `interaction.message` and `interaction.timeline`
 * frames), and every interaction's timeline as the frames bring it, so the agent
 * console shows the private notes ("whispers") on its own interactions.
 *
 * Rules: a message replaces the one of the same seq (statuses move forward, as in the
 * threads); a timeline entry is kept once by id, in time order. A monitor lasts
 * MONITOR_TTL_S on the server: the page renews it while open (`renewMonitor`).
 */
import type { Interaction, MonitoredMessage, TimelineEntry } from "./cc_types";
import { enc, type Page } from "./http";
import type { Store } from "./store";
import type { Message } from "./types";

export const MONITOR_RENEW_MS = 120_000; // the server's monitor record lives 300 s
/** Pages of a queue's live list read in one load (the server's page holds 200): a queue
 * with more open interactions lists the longest in the queue and says more exist. */
export const LIVE_PAGES = 10;

export interface Monitored {
  interaction: Interaction;
  messages: Message[];
  /** the cursor of the transcript's page before the oldest shown (null: none older) */
  earlier: string | null;
}

export interface LiveState {
  /** queue id → its live interactions, as last read (every page, up to LIVE_PAGES) */
  byQueue: Map<string, Interaction[]>;
  /** queue ids whose live list had more pages than were read */
  more: Set<string>;
  monitored: Monitored | null;
  /** interaction id → its timeline (read, then live) */
  timelines: Map<string, TimelineEntry[]>;
  error: string | null;
}

export function emptyLive(): LiveState {
  return { byQueue: new Map(), more: new Set(), monitored: null, timelines: new Map(), error: null };
}

/** `entries` with `next` added once (by id), in time order. */
export function withEntry(entries: TimelineEntry[], next: TimelineEntry): TimelineEntry[] {
  if (entries.some((e) => e.id === next.id)) return entries;
  return [...entries, next].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
}

/** `messages` with `next` in place of the message of the same seq, in seq order. */
export function withMessage(messages: Message[], next: Message): Message[] {
  const others = messages.filter((m) => m.seq !== next.seq);
  return [...others, next].sort((a, b) => a.seq - b.seq);
}

type MonitorAnswer = Interaction & { messages: Message[]; messages_cursor?: string | null; timeline: TimelineEntry[] };

export class CcLive {
  private readonly store: Store;
  private wanted: string[] = []; // the queues the page lists

  constructor(store: Store) {
    this.store = store;
  }

  get state(): LiveState {
    return this.store.state.cc.live;
  }

  private patch(patch: Partial<LiveState>): void {
    const cc = this.store.state.cc;
    this.store.set({ cc: { ...cc, live: { ...cc.live, ...patch } } });
  }

  notes(interactionId: string): TimelineEntry[] {
    return (this.state.timelines.get(interactionId) || []).filter((e) => e.kind === "note");
  }

  // -- reading -----------------------------------------------------------------------------

  async loadQueue(queueId: string): Promise<void> {
    if (!this.wanted.includes(queueId)) this.wanted = [...this.wanted, queueId];
    try {
      const path = `/queues/${enc(queueId)}/interactions`;
      let page = await this.store.api.get<Page<Interaction>>(path);
      // every page, in order (longest in the queue first); one that moved while the
      // pages were read is listed once, where it was read last
      const found = new Map<string, Interaction>();
      const take = (items: Interaction[]) => items.forEach((i) => { found.delete(i.id); found.set(i.id, i); });
      take(page.items);
      for (let read = 1; page.next_cursor && read < LIVE_PAGES; read++) {
        page = await this.store.api.get<Page<Interaction>>(`${path}?cursor=${encodeURIComponent(page.next_cursor)}`);
        take(page.items);
      }
      const items = [...found.values()];
      const byQueue = new Map(this.state.byQueue).set(queueId, items);
      const more = new Set(this.state.more);
      if (page.next_cursor) more.add(queueId);
      else more.delete(queueId);
      const monitored = this.state.monitored;
      const fresh = monitored && items.find((i) => i.id === monitored.interaction.id);
      this.patch({ byQueue, more, error: null, ...(fresh ? { monitored: { ...monitored, interaction: { ...monitored.interaction, ...fresh } } } : {}) });
    } catch (error) {
      this.patch({ error: (error as Error).message });
    }
  }

  /** A queue's figures changed: its live list is read again (the throttled event paces it). */
  onQueueChanged(queueId: string): void {
    if (this.wanted.includes(queueId)) void this.loadQueue(queueId);
  }

  async loadTimeline(interactionId: string): Promise<void> {
    try {
      const full = await this.store.api.get<Interaction>(`/interactions/${enc(interactionId)}`);
      this.putTimeline(interactionId, full.timeline || []);
    } catch {
      // the next frame or reload brings it
    }
  }

  private putTimeline(interactionId: string, entries: TimelineEntry[]): void {
    let merged = this.state.timelines.get(interactionId) || [];
    for (const entry of entries) merged = withEntry(merged, entry);
    this.patch({ timelines: new Map(this.state.timelines).set(interactionId, merged) });
  }

  // -- monitoring ----------------------------------------------------------------------------

  async monitor(interaction: Interaction): Promise<void> {
    const answer = await this.store.api.post<MonitorAnswer>(`/interactions/${enc(interaction.id)}/monitor`);
    const { messages, messages_cursor, timeline, ...rest } = answer;
    this.patch({ monitored: { interaction: rest as Interaction, messages, earlier: messages_cursor ?? null } });
    this.putTimeline(interaction.id, timeline);
  }

  /** The monitored transcript's page before the oldest text shown (the server starts
   * with the newest page). */
  async loadEarlier(): Promise<void> {
    const now = this.state.monitored;
    if (!now || !now.earlier) return;
    const path = `/interactions/${enc(now.interaction.id)}/monitor?cursor=${encodeURIComponent(now.earlier)}`;
    const answer = await this.store.api.post<MonitorAnswer>(path);
    const current = this.state.monitored;
    if (!current || current.interaction.id !== now.interaction.id) return;
    let messages = current.messages;
    for (const message of answer.messages) messages = withMessage(messages, message);
    this.patch({ monitored: { ...current, messages, earlier: answer.messages_cursor ?? null } });
  }

  async renewMonitor(): Promise<void> {
    const now = this.state.monitored;
    if (now) await this.store.api.post(`/interactions/${enc(now.interaction.id)}/monitor`).catch(() => undefined);
  }

  async stopMonitoring(): Promise<void> {
    const now = this.state.monitored;
    this.patch({ monitored: null });
    if (now) await this.store.api.del(`/interactions/${enc(now.interaction.id)}/monitor`).catch(() => undefined);
  }

  onMonitoredMessage(frame: MonitoredMessage): void {
    const now = this.state.monitored;
    if (!now || now.interaction.conversation_id !== frame.message.conversation_id) return;
    this.patch({ monitored: { ...now, messages: withMessage(now.messages, frame.message) } });
  }

  onTimeline(entry: TimelineEntry): void {
    this.putTimeline(entry.interaction_id, [entry]);
  }

  // -- actions (each answer replaces what it changed) ----------------------------------------

  /** A private note; `clientId` is the note's own (the note box keeps it until the
   * note is stored, so a retry posts it once). */
  async note(interactionId: string, text: string, clientId: string = crypto.randomUUID()): Promise<void> {
    const entry = await this.store.api.post<TimelineEntry>(`/interactions/${enc(interactionId)}/notes`, { text, client_id: clientId });
    this.putTimeline(interactionId, [entry]);
  }

  async barge(interaction: Interaction): Promise<void> {
    const after = await this.store.api.post<Interaction>(`/interactions/${enc(interaction.id)}/barge`);
    this.store.cc.putInteraction(after);
    await this.loadQueue(interaction.queue_id);
  }

  async move(interaction: Interaction, to: { agent_id: string } | { queue_id: string }): Promise<void> {
    await this.store.api.post<Interaction>(`/interactions/${enc(interaction.id)}/transfer`, to);
    await Promise.all(this.wanted.map((q) => this.loadQueue(q)));
  }

  async setAgentStatus(agentId: string, status: string): Promise<void> {
    await this.store.api.put(`/agents/${enc(agentId)}/status`, { status });
  }
}
