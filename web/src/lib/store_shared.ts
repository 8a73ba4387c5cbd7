/**
 * Shared lines (docs/web.md, "Shared lines"): a business number several people answer
 * from. The store keeps each conversation's `assignee` and `labels` as the server said
 * (REST answers and `conversation.updated` frames); this part filters the list into the
 * "Mine / Unassigned / All" views by the server's own rule and writes assignments,
 * labels and notes through the REST API.
 */
import { ApiError, enc } from "./http";
import type { Store } from "./store";
import type { Conversation, Message } from "./types";

export type LineView = "all" | "mine" | "unassigned";

/** An SMS conversation more than one person answers (the server's `is_shared_line`). */
export function isSharedLine(c: Conversation): boolean {
  return c.type === "sms" && c.members.length > 1;
}

/** The server's views, applied to the conversations the store holds, in list order. */
export function inView(order: string[], conversations: Map<string, Conversation>, view: LineView, me: string): string[] {
  if (view === "all") return order;
  return order.filter((id) => {
    const c = conversations.get(id);
    if (!c || !isSharedLine(c)) return false;
    return view === "mine" ? c.assignee === me : !c.assignee;
  });
}

/** Assign (or, with null, unassign); a lost race shows who won. */
export async function assign(store: Store, id: string, assignee: string | null): Promise<void> {
  try {
    const answer = await store.api.patch<Conversation>(`/conversations/${enc(id)}`, { assignee });
    store.patchConversation(id, { assignee: answer.assignee, labels: answer.labels });
  } catch (error) {
    if (error instanceof ApiError && error.code === "assignment_changed") {
      const now = await store.api.get<Conversation>(`/conversations/${enc(id)}`);
      store.patchConversation(id, { assignee: now.assignee });
    }
    throw error;
  }
}

export async function setLabels(store: Store, id: string, labels: string[]): Promise<void> {
  const answer = await store.api.patch<Conversation>(`/conversations/${enc(id)}`, { labels });
  store.patchConversation(id, { labels: answer.labels });
}

/** A private note to the people on the line: stored and shown, never sent. */
export async function sendNote(store: Store, id: string, text: string): Promise<void> {
  const message = await store.api.post<Message>(`/conversations/${enc(id)}/messages`, {
    client_id: crypto.randomUUID(),
    text,
    note: true,
  });
  store.putMessages(id, [message]);
}
