/**
 * The store's merge and ordering rules, as pure functions: the server's own rules,
 * applied to whatever order REST answers and WebSocket frames arrive in.
 *
 * - A delivery status only moves forward (queued → sending → sent → a final one).
 * - A deleted message stays deleted (its text stays blank), whatever older copy
 *   (an earlier `message.created`, a page read before the delete) lands later.
 * - A placeholder (a send not yet acknowledged) is replaced by the server's message
 *   with the same client_id and sender, and never shown beside it.
 * - Messages are kept sorted by seq, one copy per id; placeholders last.
 * - A message deleted for the caller only is not the list's preview: the newest one
 *   still shown takes its place (none known: the server's word is read).
 * - A shared conversation change carries the conversation's own last message: it never
 *   replaces the caller's own preview (which steps over what they hid) unless the
 *   conversation moved on past it.
 *
 * store_rules.test.ts holds them to it (`make web-unit`).
 */
import type { Conversation, LastMessage, Message, Presence } from "./types";

// Delivery statuses only move forward, as the server stores them; events arrive in any
// order (two status changes in quick succession fan out side by side), and a page read
// before an event may land after it.
const STATUS_RANK: Record<string, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  unknown: 3,
};

export function rank(status: string): number {
  return STATUS_RANK[status] ?? -1;
}

/** A newer view of a shown message: never back to an older status, never undeleted. */
export function merged(known: Message, incoming: Message): Message {
  const next: Message = { ...known, ...incoming, pending: incoming.pending, failed: incoming.failed, media_keys: incoming.media_keys };
  if (!known.pending && rank(known.status) > rank(incoming.status)) {
    next.status = known.status;
    next.error_code = known.error_code;
  }
  if (known.deleted && !incoming.deleted) {
    next.deleted = true;
    next.deleted_at = known.deleted_at;
    next.text = known.text;
    next.media = known.media;
  }
  return next;
}

function sameSend(a: Message, b: Message): boolean {
  return a.client_id === b.client_id && a.sender === b.sender;
}

/**
 * `items` with `incoming` merged in: by id; a placeholder replaced by the server's copy
 * of the same send; a placeholder arriving after that copy (a send that failed on the
 * way back although the server stored it) stepped over; `deleted` (ids the server said
 * are deleted, perhaps before their message was shown) applied.
 */
export function mergeMessages(items: Message[], incoming: Message[], deleted: ReadonlySet<string> = new Set()): Message[] {
  const out = items.slice();
  for (let message of incoming) {
    if (deleted.has(message.id) && !message.deleted) message = { ...message, deleted: true, text: "", media: [] };
    const at = out.findIndex(
      (m) => m.id === message.id || (m.pending && !message.pending ? sameSend(m, message) : false),
    );
    const known = at >= 0 ? out[at] : undefined;
    if (known) {
      out[at] = merged(known, message);
      continue;
    }
    if (message.pending && out.some((m) => !m.pending && sameSend(m, message))) continue;
    out.push(message);
  }
  out.sort((a, b) => (a.pending ? Infinity : a.seq) - (b.pending ? Infinity : b.seq));
  return out;
}

/** Most recent activity first; the id breaks ties so the order is stable. */
export function byActivity(a: Conversation, b: Conversation): number {
  return a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : a.id < b.id ? 1 : -1;
}

export function newerPresence(old: Presence | undefined, next: Presence): boolean {
  return !old || !old.updated_at || !next.updated_at || next.updated_at >= old.updated_at;
}

/** The server's unread rule: last_seq − read_seq, never below zero. */
export function unread(lastSeq: number, readSeq: number): number {
  return Math.max(0, lastSeq - readSeq);
}

/** What a conversation list shows of a message. */
export function previewOf(m: Message): LastMessage {
  return { id: m.id, seq: m.seq, sender: m.sender, text: m.text, created_at: m.created_at, deleted: m.deleted, channel: m.channel };
}

/**
 * The preview once message `hiddenId` is deleted for the caller only (`shown`: the
 * thread's messages still shown): unchanged (undefined) unless it was that message;
 * then the newest shown message up to the conversation's last, or none.
 */
export function previewWithout(conversation: Conversation, shown: Message[], hiddenId: string): LastMessage | null | undefined {
  if (conversation.last_message?.id !== hiddenId) return undefined;
  const left = shown.filter((m) => !m.pending && m.id !== hiddenId && m.seq <= conversation.last_seq);
  const newest = left.reduce<Message | undefined>((top, m) => (!top || m.seq > top.seq ? m : top), undefined);
  return newest ? previewOf(newest) : null;
}

/**
 * The preview after a `conversation.updated` frame: the frame's only when the
 * conversation moved past the one shown (`last_seq`), or when the caller's own change
 * deleted everything for them (`cleared_seq` up to `last_seq`); else the one shown
 * stays (undefined), since a shared frame's is the conversation's own, which may be a
 * message the caller hid.
 */
export function previewAfterUpdate(
  old: Conversation,
  update: { last_seq?: number; last_message?: LastMessage | null; cleared_seq?: number },
): LastMessage | null | undefined {
  const lastSeq = update.last_seq ?? old.last_seq;
  if (update.cleared_seq !== undefined && update.cleared_seq >= lastSeq) return null;
  if (update.last_message === undefined || lastSeq <= old.last_seq) return undefined;
  return update.last_message;
}

/** A list row's line for its last message: a note says so (never "You:", as a text would). */
export function previewLine(last: LastMessage | null, meId: string): string {
  if (!last) return "No messages yet";
  if (last.deleted) return "Message deleted";
  const body = last.text || "Attachment";
  if (last.channel === "note") return `Note: ${body}`;
  return `${last.sender === meId ? "You: " : ""}${body}`;
}
