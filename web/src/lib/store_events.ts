/**
 * The store's live events: each server frame applied by the store's rules (a frame
 * type of the contact center goes to `store.cc`). A `message.created` whose seq skips
 * one fetches the gap; an older copy of a deleted message stays deleted; the sender's
 * typing indicator ends with their message; a conversation's shared change keeps the
 * caller's own read horizon and own preview; a message the caller hid before it was
 * shown moves only the conversation's head (no preview, no alert).
 */
import { type ServerFrame, unhandled } from "./frames";
import type { Store } from "./store";
import { newerPresence, previewAfterUpdate, previewOf, unread } from "./store_rules";
import type { Message, Presence } from "./types";

export class LiveEvents {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async handle(frame: ServerFrame): Promise<void> {
    switch (frame.type) {
      case "message.created":
      case "message.updated":
        await this.onMessage(frame.data, frame.type === "message.created");
        break;
      case "message.ack":
        await this.onMessage(frame.data.message, false);
        break;
      case "conversation.read": {
        const data = frame.data;
        if (data.user_id === this.store.state.me.user_id) {
          const old = this.store.state.conversations.get(data.conversation_id);
          if (old && data.seq >= old.read_seq) {
            this.store.patchConversation(data.conversation_id, {
              read_seq: data.seq,
              unread_count: Math.max(0, data.unread_count ?? old.last_seq - data.seq),
            });
          }
        }
        break;
      }
      case "conversation.updated": {
        const data = frame.data;
        const removed: string[] = data.removed || [];
        if (removed.includes(this.store.state.me.user_id)) {
          this.store.patchConversation(data.id, { hidden: true });
          break;
        }
        // the caller's own membership (read horizon, mute, hide) is not in a shared event
        const { read_seq, unread_count, muted, hidden, removed: _, last_message, ...shared } = data;
        const old = this.store.state.conversations.get(data.id);
        if (old) {
          const preview = previewAfterUpdate(old, data);
          this.store.patchConversation(data.id, {
            ...shared,
            ...(preview !== undefined ? { last_message: preview } : {}),
            unread_count: unread(shared.last_seq ?? old.last_seq, old.read_seq),
          });
        } else await this.store.ensureConversation(data.id);
        break;
      }
      case "presence.changed": {
        this.putPresence([[frame.data.user_id, frame.data.presence]]);
        const routing = frame.data.presence.agent_status;
        if (routing && frame.data.user_id === this.store.state.me.user_id) this.store.cc.onOwnAgentStatus(routing);
        break;
      }
      case "presence.snapshot":
        this.putPresence(Object.entries(frame.data.users || {}));
        break;
      case "typing": {
        const data = frame.data;
        if (data.user_id === this.store.state.me.user_id) break;
        const typing = new Map(this.store.state.typing);
        const who = new Map(typing.get(data.conversation_id) || []);
        who.set(data.user_id, Date.now() + (data.expires_in || 5) * 1000);
        typing.set(data.conversation_id, who);
        this.store.set({ typing });
        this.store.later(() => this.expireTyping(), (data.expires_in || 5) * 1000 + 50);
        break;
      }
      case "notification.missed":
        if (frame.data.total > 0) this.store.set({ missed: frame.data });
        break;
      case "interaction.offered":
      case "interaction.updated":
        this.store.cc.putInteraction(frame.data);
        break;
      case "queue.updated":
        this.store.cc.onQueueUpdated(frame.data);
        break;
      case "interaction.timeline":
        this.store.cc.live.onTimeline(frame.data);
        break;
      case "interaction.message":
        this.store.cc.live.onMonitoredMessage(frame.data);
        break;
      case "registration.needs_updates": // the admin pages listen (onFrame)
      case "pong": // realtime.ts answers the keep-alive itself
      case "state.ack":
      case "read.ack": // the REST read already moved the horizon; conversation.read follows
      case "sync.result": // catch-up runs over REST
      case "error":
        break;
      default:
        unhandled(frame);
    }
  }

  private putPresence(entries: [string, Presence][]): void {
    const users = new Map(this.store.state.users);
    let me = this.store.state.me;
    for (const [id, presence] of entries) {
      const user = users.get(id);
      if (user && newerPresence(user.presence, presence)) users.set(id, { ...user, presence });
      if (id === me.user_id && newerPresence(me.presence, presence)) me = { ...me, presence };
    }
    this.store.set({ users, me });
  }

  private expireTyping(): void {
    const now = Date.now();
    const typing = new Map<string, Map<string, number>>();
    for (const [conversation, who] of this.store.state.typing) {
      const left = new Map([...who].filter(([, until]) => until > now));
      if (left.size) typing.set(conversation, left);
    }
    this.store.set({ typing });
  }

  async onMessage(incoming: Message, created: boolean): Promise<void> {
    if (!incoming) return;
    if (incoming.hidden) {
      // deleted for the caller on one of their devices: gone from this one too
      this.store.forgetMessage(incoming.conversation_id, incoming.id);
      return;
    }
    if (incoming.deleted) this.store.deleted.add(incoming.id);
    // an older copy (a message.created after the delete) is shown as deleted
    const message = this.store.deleted.has(incoming.id) && !incoming.deleted ? { ...incoming, deleted: true, text: "" } : incoming;
    const id = message.conversation_id;
    const conversation = await this.store.ensureConversation(id);
    if (!conversation) return;
    const thread = this.store.state.threads.get(id);
    const known = thread?.items.some((m) => m.id === message.id) ?? false;
    // a seq that skips one: an event went missing, and the gap is fetched once the
    // message itself is shown and listed (the sync moves the conversation's last_seq,
    // which would hide the message from the list's head and its alert)
    const gap = !!thread?.loaded && !known && message.seq > this.store.syncFrom(id) + 1;
    // a thread whose first page is being read keeps it too: never lost to the race
    if (thread) this.store.putMessages(id, [message]);
    this.list(message, created, known);
    if (gap) await this.store.sync([id]).catch(() => undefined); // the next gap or reconnect asks again
  }

  /** The conversation's head, preview and alert for a live message already shown. */
  private list(message: Message, created: boolean, known: boolean): void {
    const id = message.conversation_id;
    // The typing indicator of the sender ends with their message.
    const who = this.store.state.typing.get(id);
    if (who?.has(message.sender)) {
      const typing = new Map(this.store.state.typing);
      const rest = new Map(who);
      rest.delete(message.sender);
      typing.set(id, rest);
      this.store.set({ typing });
    }
    const current = this.store.state.conversations.get(id)!;
    if (this.store.forgotten.has(message.id)) {
      // hidden for the caller before its message.created reached this device: the head
      // moves (the server's unread counts it), never the preview, and no alert
      if (message.seq > current.last_seq) {
        this.store.patchConversation(id, {
          last_seq: message.seq,
          unread_count: unread(message.seq, current.read_seq),
          updated_at: message.created_at,
        });
      }
      return;
    }
    if (message.seq > current.last_seq || (current.last_message?.id === message.id)) {
      const mine = message.sender === this.store.state.me.user_id;
      const last_seq = Math.max(current.last_seq, message.seq);
      const read_seq = mine ? Math.max(current.read_seq, message.seq) : current.read_seq;
      this.store.patchConversation(id, {
        last_seq,
        read_seq,
        unread_count: unread(last_seq, read_seq),
        updated_at: message.seq > current.last_seq ? message.created_at : current.updated_at,
        // hidden until the next message: one the user has not read (a list read in the
        // meantime may already carry it as the last one) or their own
        ...(created && (mine || message.seq > current.read_seq) ? { hidden: false } : {}),
        last_message: previewOf(message),
      });
      if (created && !known && !mine) {
        const flash = new Set(this.store.state.flash);
        flash.add(id);
        this.store.set({ flash });
        this.store.later(() => {
          const rest = new Set(this.store.state.flash);
          rest.delete(id);
          this.store.set({ flash: rest });
        }, 4000);
        this.store.onIncoming(this.store.state.conversations.get(id)!, message);
      }
    }
  }
}
