/**
 * Exact catch-up after a gap (a reconnect, or a live event whose seq skips one):
 * per conversation, `syncFrom` is the end of the unbroken run of shown seqs, stepping
 * over numbers the server said hold none (`through_seq`); POST /sync from there
 * returns exactly what was missed, and its pages are read to the end.
 *
 * Catch-up stops before a number whose send is still in flight (`through_seq` below
 * `last_seq`): what follows arrives live, unless this device missed that too, so it
 * asks again a few seconds later, a bounded number of times (the server closes a
 * number whose send died).
 *
 * A sync asked for a conversation whose sync is already in flight waits for that one,
 * and asks again if the conversation is still behind what this device knows of it (its
 * `last_seq`, from the list's head and live messages): the one in flight may have read
 * before what the caller is asking for. So the reconnect's catch-up, which a live
 * message's gap may have started first, never ends with a gap it could have fetched.
 */
import { enc, type Page } from "./http";
import type { Store } from "./store";
import type { Conversation, Message, SyncResult } from "./types";

// Re-syncs while catch-up waits on a send in flight (the server closes a dead one after
// 10 s): a few seconds apart, a bounded number of times.
export const RESYNC_DELAY_MS = 3000;
const RESYNC_TRIES = 5;

/**
 * A conversation's numbers after a catch-up: the read horizon and the last seq only
 * move forward (as `conversation.read` and live messages move them), so a sync answer
 * read before a read elsewhere, or before a live message, takes nothing back.
 */
export function horizons(
  known: Pick<Conversation, "last_seq" | "read_seq" | "unread_count"> | undefined,
  entry: { last_seq: number; read_seq: number; unread_count: number },
): Pick<Conversation, "last_seq" | "read_seq" | "unread_count"> {
  const last_seq = Math.max(known?.last_seq ?? 0, entry.last_seq);
  const read_seq = Math.max(known?.read_seq ?? 0, entry.read_seq);
  if (last_seq === entry.last_seq && read_seq === entry.read_seq) return { last_seq, read_seq, unread_count: entry.unread_count };
  // the server's count (which also leaves out what was deleted "for me"), moved by
  // what this device knows beyond the answer
  const unread_count = Math.max(0, Math.min(entry.unread_count + (last_seq - entry.last_seq), last_seq - read_seq));
  return { last_seq, read_seq, unread_count };
}

export class Sync {
  private readonly store: Store;
  private inFlight = new Map<string, Promise<void>>(); // per conversation: its sync under way
  private through = new Map<string, number>(); // per conversation: numbers accounted for
  private resyncs = new Map<string, number>(); // per conversation: re-syncs while a send is in flight
  /** how a re-sync waits (tests run it at once) */
  later: (run: () => void, ms: number) => void = (run, ms) => void setTimeout(run, ms);

  constructor(store: Store) {
    this.store = store;
  }

  /**
   * Where catch-up asks from: the end of the unbroken run of shown messages, stepping
   * over numbers the server said hold none (`through_seq`). A message shown before a
   * lower one (stored out of order) is not stepped past, so catch-up stays exact.
   */
  syncFrom(id: string): number {
    const items = (this.store.state.threads.get(id)?.items || []).filter((m) => !m.pending);
    let at = this.through.get(id) ?? 0;
    const first = items[0];
    if (first && first.seq - 1 > at) at = first.seq - 1; // older pages not loaded
    for (const m of items) {
      if (m.seq === at + 1) at = m.seq;
      else if (m.seq > at + 1) break;
    }
    return at;
  }

  /** Forget what is known of a conversation's numbers (its history was dropped). */
  forget(id: string): void {
    this.through.delete(id);
    this.resyncs.delete(id);
  }

  private stepThrough(id: string, through: number | undefined): void {
    if (typeof through === "number" && through > (this.through.get(id) ?? 0)) this.through.set(id, through);
  }

  async sync(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    const busy = unique.filter((id) => this.inFlight.has(id));
    const free = unique.filter((id) => !this.inFlight.has(id));
    await Promise.all([free.length ? this.start(free) : undefined, busy.length ? this.again(busy) : undefined]);
  }

  /** After the syncs in flight end, whatever they settled to: a sync started since
   * (which read after this call) is waited for; a conversation still behind its known
   * `last_seq` is asked again. */
  private async again(ids: string[]): Promise<void> {
    await Promise.allSettled(ids.map((id) => this.inFlight.get(id)));
    const behind = ids.filter((id) => this.syncFrom(id) < (this.store.state.conversations.get(id)?.last_seq ?? Infinity));
    const busy = behind.filter((id) => this.inFlight.has(id));
    const free = behind.filter((id) => !this.inFlight.has(id));
    await Promise.all([free.length ? this.start(free) : undefined, ...busy.map((id) => this.inFlight.get(id))]);
  }

  private start(ids: string[]): Promise<void> {
    const run = this.fetch(ids);
    ids.forEach((id) => this.inFlight.set(id, run));
    const done = () => ids.forEach((id) => this.inFlight.get(id) === run && this.inFlight.delete(id));
    run.then(done, done);
    return run;
  }

  private async fetch(wanted: string[]): Promise<void> {
    const api = this.store.api;
    const request: Record<string, number> = {};
    for (const id of wanted) request[id] = this.syncFrom(id);
    const result = await api.post<SyncResult>("/sync", { conversations: request, limit: 100 });
    for (const [id, entry] of Object.entries(result.conversations)) {
      if (entry.error) continue;
      this.store.putMessages(id, entry.messages);
      this.stepThrough(id, entry.through_seq);
      let cursor: string | null = entry.next_cursor;
      while (cursor) {
        const more = await api.get<Page<Message> & { through_seq?: number }>(
          `/conversations/${enc(id)}/messages?after_seq=${request[id]}&limit=100&cursor=${enc(cursor)}`,
        );
        this.store.putMessages(id, more.items);
        this.stepThrough(id, more.through_seq);
        cursor = more.next_cursor;
      }
      this.store.patchConversation(id, horizons(this.store.state.conversations.get(id), entry));
      this.resyncWhileInFlight(id, entry.last_seq);
    }
  }

  private resyncWhileInFlight(id: string, lastSeq: number | undefined): void {
    const behind = typeof lastSeq === "number" && this.syncFrom(id) < lastSeq;
    const tries = this.resyncs.get(id) ?? 0;
    if (!behind || tries >= RESYNC_TRIES) {
      this.resyncs.delete(id);
      return;
    }
    this.resyncs.set(id, tries + 1);
    this.later(() => void this.sync([id]).catch(() => undefined), RESYNC_DELAY_MS);
  }
}
