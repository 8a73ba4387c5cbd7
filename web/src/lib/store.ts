/**
 * The employee app's state and the rules that keep it exact.
 *
 * - Messages of a conversation are kept sorted by `seq` and deduplicated by `id`
 *   (delivery is at least once). `seen(conversation)` is the highest seq shown (the
 *   read horizon); `syncFrom(conversation)` the end of the unbroken run of shown
 *   seqs, stepping over numbers /sync's `through_seq` says hold none: after a
 *   reconnect, POST /sync from it returns exactly what was missed.
 * - A live `message.created` whose seq skips one (an event lost in flight)
 *   triggers a sync of that conversation, so a gap never stays on screen.
 * - Unread counts follow the server's rule, last_seq − read_seq; a
 *   `conversation.read` from any of the user's devices moves read_seq.
 */
import { type Api, ApiError, enc, type Page } from "./api";
import { contactsByNumber } from "./conversation_api";
import { appEvent, type Contact, type Conversation, type Frame, type Media, type Message, type MissedNotice, type Presence, type User } from "./types";

export interface Thread {
  items: Message[]; // ascending seq; pending sends (no seq yet) at the end
  olderCursor: string | null;
  loaded: boolean;
  loadingOlder: boolean;
}

export interface State {
  me: User;
  users: Map<string, User>;
  contacts: Map<string, Contact>; // by E.164
  conversations: Map<string, Conversation>;
  order: string[]; // conversation ids, most recent activity first
  listCursor: string | null;
  listLoading: boolean;
  listLoaded: boolean;
  threads: Map<string, Thread>;
  activeId: string | null;
  typing: Map<string, Map<string, number>>; // conversation → user → expires at (ms)
  connection: "connecting" | "online" | "offline";
  missed: MissedNotice | null;
  flash: Set<string>; // conversations that just received a message ("the chat box turns green")
  jumpTo: string | null; // a message the open conversation scrolls to (a search result)
  error: string | null;
}

type Listener = () => void;

const PAGE = 100;
const SYNC_BATCH = 50;
const REVEAL_PAGES = 20; // pages of 50 read back to reach a search result's message
// Re-syncs while catch-up waits on a send in flight (the server closes a dead one after
// 10 s): a few seconds apart, a bounded number of times.
const RESYNC_DELAY_MS = 3000;
const RESYNC_TRIES = 5;

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

function rank(status: string): number {
  return STATUS_RANK[status] ?? -1;
}

/** A newer view of a shown message: never back to an older status, never undeleted. */
function merged(known: Message, incoming: Message): Message {
  const next: Message = { ...known, ...incoming, pending: incoming.pending, failed: incoming.failed };
  if (!known.pending && rank(known.status) > rank(incoming.status)) {
    next.status = known.status;
    next.error_code = known.error_code;
  }
  if (known.deleted && !incoming.deleted) {
    next.deleted = true;
    next.text = known.text;
  }
  return next;
}

function byActivity(a: Conversation, b: Conversation): number {
  return a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : a.id < b.id ? 1 : -1;
}

export function newerPresence(old: Presence | undefined, next: Presence): boolean {
  return !old || !old.updated_at || !next.updated_at || next.updated_at >= old.updated_at;
}

export class Store {
  state: State;
  private listeners = new Set<Listener>();
  private frameListeners = new Set<(frame: Frame) => void>();
  private syncing = new Set<string>();
  private through = new Map<string, number>(); // per conversation: numbers accounted for
  private resyncs = new Map<string, number>(); // per conversation: re-syncs while a send is in flight
  onIncoming: (conversation: Conversation, message: Message) => void = () => {};
  onPresenceTargets: (userIds: string[]) => void = () => {};

  constructor(
    readonly api: Api,
    me: User,
  ) {
    this.state = {
      me,
      users: new Map([[me.user_id, me]]),
      contacts: new Map(),
      conversations: new Map(),
      order: [],
      listCursor: null,
      listLoading: false,
      listLoaded: false,
      threads: new Map(),
      activeId: null,
      typing: new Map(),
      connection: "connecting",
      missed: null,
      flash: new Set(),
      jumpTo: null,
      error: null,
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every live frame, for pages with events of their own (the agent console). */
  onFrame(listener: (frame: Frame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  // -- names ----------------------------------------------------------------------------

  userName(id: string): string {
    return this.state.users.get(id)?.name || "Unknown";
  }

  numberName(e164: string): string {
    return this.state.contacts.get(e164)?.name || e164;
  }

  /** What the list and the header call a conversation: the other party's name or number. */
  title(c: Conversation): string {
    if (c.type === "sms") return this.numberName(c.external_number || "");
    if (c.name) return c.name;
    const others = c.members.filter((m) => m !== this.state.me.user_id);
    return others.map((m) => this.userName(m)).join(", ") || "Just you";
  }

  peerId(c: Conversation): string | null {
    if (c.type !== "im" || c.group) return null;
    return c.members.find((m) => m !== this.state.me.user_id) || null;
  }

  totalUnread(): number {
    let total = 0;
    for (const c of this.state.conversations.values()) if (!c.muted) total += c.unread_count;
    return total;
  }

  // -- loading ----------------------------------------------------------------------------

  async loadDirectory(): Promise<void> {
    const [people, contacts] = await Promise.all([
      this.api.all<User>("/directory?limit=100", 10),
      this.api.all<Contact>("/contacts?limit=100", 10).catch(() => [] as Contact[]),
    ]);
    const users = new Map(this.state.users);
    for (const person of people) users.set(person.user_id, { ...users.get(person.user_id), ...person });
    this.set({ users, contacts: contactsByNumber(contacts) });
    this.onPresenceTargets(people.map((p) => p.user_id).filter((id) => id !== this.state.me.user_id).slice(0, 200));
  }

  addContact(contact: Contact): void {
    const contacts = new Map(this.state.contacts);
    contacts.set(contact.phone, contact);
    this.set({ contacts });
  }

  mergeConversations(items: Conversation[], conversations = new Map(this.state.conversations)): Map<string, Conversation> {
    for (const item of items) {
      const old = conversations.get(item.id);
      conversations.set(item.id, old ? { ...old, ...item } : item);
    }
    return conversations;
  }

  private ordered(conversations: Map<string, Conversation>): string[] {
    return [...conversations.values()]
      .filter((c) => !c.hidden)
      .sort(byActivity)
      .map((c) => c.id);
  }

  /** The next page of the conversation list (infinite scroll). */
  async loadMoreConversations(): Promise<void> {
    const s = this.state;
    if (s.listLoading || (s.listLoaded && !s.listCursor)) return;
    this.set({ listLoading: true });
    try {
      const cursor = s.listCursor ? `&cursor=${enc(s.listCursor)}` : "";
      const page = await this.api.get<Page<Conversation>>(`/conversations?limit=${PAGE}${cursor}`);
      const conversations = this.mergeConversations(page.items);
      this.set({
        conversations,
        order: this.ordered(conversations),
        listCursor: page.next_cursor,
        listLoaded: true,
        listLoading: false,
      });
    } catch (error) {
      this.set({ listLoading: false, error: (error as Error).message });
    }
  }

  async loadThread(id: string): Promise<void> {
    const existing = this.state.threads.get(id);
    if (existing?.loaded) return;
    const page = await this.api.get<Page<Message>>(`/conversations/${enc(id)}/messages?limit=50`);
    this.putMessages(id, page.items, { olderCursor: page.next_cursor, loaded: true });
  }

  /** Open a conversation at one of its messages (a search result): its pages are read
   * back until that message is loaded (at most REVEAL_PAGES), then the thread scrolls to it. */
  async reveal(id: string, messageId: string): Promise<void> {
    await this.ensureConversation(id);
    this.set({ activeId: id, jumpTo: messageId });
    await this.loadThread(id);
    for (let page = 0; page < REVEAL_PAGES; page++) {
      const thread = this.state.threads.get(id);
      if (!thread || thread.items.some((m) => m.id === messageId) || !thread.olderCursor) break;
      await this.loadOlder(id);
    }
  }

  async loadOlder(id: string): Promise<void> {
    const thread = this.state.threads.get(id);
    if (!thread?.olderCursor || thread.loadingOlder) return;
    this.patchThread(id, { loadingOlder: true });
    const page = await this.api.get<Page<Message>>(
      `/conversations/${enc(id)}/messages?limit=50&cursor=${enc(thread.olderCursor)}`,
    );
    this.putMessages(id, page.items, { olderCursor: page.next_cursor, loadingOlder: false });
  }

  private patchThread(id: string, patch: Partial<Thread>): void {
    const threads = new Map(this.state.threads);
    const thread = threads.get(id) || { items: [], olderCursor: null, loaded: false, loadingOlder: false };
    threads.set(id, { ...thread, ...patch });
    this.set({ threads });
  }

  /** Insert or replace messages, by id; sorted by seq; a pending send is replaced by its ack. */
  putMessages(id: string, messages: Message[], patch: Partial<Thread> = {}): void {
    const threads = new Map(this.state.threads);
    const thread = threads.get(id) || { items: [], olderCursor: null, loaded: false, loadingOlder: false };
    const items = thread.items.slice();
    for (const message of messages) {
      const at = items.findIndex(
        (m) => m.id === message.id || (m.pending && m.client_id === message.client_id && m.sender === message.sender),
      );
      const known = at >= 0 ? items[at] : undefined;
      if (known) items[at] = merged(known, message);
      else items.push(message);
    }
    items.sort((a, b) => (a.pending ? Infinity : a.seq) - (b.pending ? Infinity : b.seq));
    threads.set(id, { ...thread, ...patch, items });
    this.set({ threads });
  }

  seen(id: string): number {
    const items = this.state.threads.get(id)?.items || [];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (item && !item.pending) return item.seq;
    }
    return 0;
  }

  /**
   * Where catch-up asks from: the end of the unbroken run of shown messages, stepping
   * over numbers the server said hold none (`through_seq`). A message shown before a
   * lower one (stored out of order) is not stepped past, so catch-up stays exact.
   */
  syncFrom(id: string): number {
    const items = (this.state.threads.get(id)?.items || []).filter((m) => !m.pending);
    let at = this.through.get(id) ?? 0;
    const first = items[0];
    if (first && first.seq - 1 > at) at = first.seq - 1; // older pages not loaded
    for (const m of items) {
      if (m.seq === at + 1) at = m.seq;
      else if (m.seq > at + 1) break;
    }
    return at;
  }

  private stepThrough(id: string, through: number | undefined): void {
    if (typeof through === "number" && through > (this.through.get(id) ?? 0)) this.through.set(id, through);
  }

  // -- catch-up -----------------------------------------------------------------------------

  /**
   * After (re)connecting: refresh the head of the list (what changed sorts first) and
   * fetch, per loaded conversation, exactly the messages after the last one shown.
   */
  async catchUp(): Promise<void> {
    const page = await this.api.get<Page<Conversation>>(`/conversations?limit=${PAGE}`);
    const conversations = this.mergeConversations(page.items);
    const patch: Partial<State> = { conversations, order: this.ordered(conversations) };
    if (!this.state.listLoaded) {
      patch.listCursor = page.next_cursor;
      patch.listLoaded = true;
    }
    this.set(patch);
    const loaded = [...this.state.threads.entries()].filter(([, t]) => t.loaded).map(([id]) => id);
    for (let i = 0; i < loaded.length; i += SYNC_BATCH) {
      await this.sync(loaded.slice(i, i + SYNC_BATCH));
    }
  }

  async sync(ids: string[]): Promise<void> {
    const wanted = ids.filter((id) => !this.syncing.has(id));
    if (!wanted.length) return;
    wanted.forEach((id) => this.syncing.add(id));
    try {
      const request: Record<string, number> = {};
      for (const id of wanted) request[id] = this.syncFrom(id);
      const result = await this.api.post<{ conversations: Record<string, any> }>("/sync", {
        conversations: request,
        limit: 100,
      });
      for (const [id, entry] of Object.entries(result.conversations)) {
        if (entry.error) continue;
        this.putMessages(id, entry.messages);
        this.stepThrough(id, entry.through_seq);
        let cursor: string | null = entry.next_cursor;
        while (cursor) {
          const more = await this.api.get<Page<Message> & { through_seq?: number }>(
            `/conversations/${enc(id)}/messages?after_seq=${request[id]}&limit=100&cursor=${enc(cursor)}`,
          );
          this.putMessages(id, more.items);
          this.stepThrough(id, more.through_seq);
          cursor = more.next_cursor;
        }
        this.patchConversation(id, {
          last_seq: entry.last_seq,
          read_seq: entry.read_seq,
          unread_count: entry.unread_count,
        });
        this.resyncWhileInFlight(id, entry.last_seq);
      }
    } finally {
      wanted.forEach((id) => this.syncing.delete(id));
    }
  }

  /**
   * Catch-up stops before a number whose send is still in flight (`through_seq` below
   * `last_seq`): what follows it arrives live, unless this device missed that too.
   * Ask again shortly; the server closes a number whose send died after a few seconds.
   */
  private resyncWhileInFlight(id: string, lastSeq: number | undefined): void {
    const behind = typeof lastSeq === "number" && this.syncFrom(id) < lastSeq;
    const tries = this.resyncs.get(id) ?? 0;
    if (!behind || tries >= RESYNC_TRIES) {
      this.resyncs.delete(id);
      return;
    }
    this.resyncs.set(id, tries + 1);
    setTimeout(() => void this.sync([id]).catch(() => undefined), RESYNC_DELAY_MS);
  }

  patchConversation(id: string, patch: Partial<Conversation>): void {
    const old = this.state.conversations.get(id);
    if (!old) return;
    const conversations = new Map(this.state.conversations);
    conversations.set(id, { ...old, ...patch });
    const reorder = patch.updated_at !== undefined || patch.hidden !== undefined;
    this.set({ conversations, order: reorder ? this.ordered(conversations) : this.state.order });
  }

  async ensureConversation(id: string): Promise<Conversation | null> {
    const known = this.state.conversations.get(id);
    if (known) return known;
    try {
      const conversation = await this.api.get<Conversation>(`/conversations/${enc(id)}`);
      const conversations = this.mergeConversations([conversation]);
      this.set({ conversations, order: this.ordered(conversations) });
      return conversation;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  // -- live events -------------------------------------------------------------------------

  async handle(frame: Frame): Promise<void> {
    for (const listener of this.frameListeners) listener(frame);
    const event = appEvent(frame);
    if (!event) return;
    switch (event.type) {
      case "message.created":
      case "message.updated":
        await this.onMessage(event.data, event.type === "message.created");
        break;
      case "message.ack":
        await this.onMessage(event.data.message, false);
        break;
      case "conversation.read": {
        const data = event.data;
        if (data.user_id === this.state.me.user_id) {
          const old = this.state.conversations.get(data.conversation_id);
          if (old && data.seq >= old.read_seq) {
            this.patchConversation(data.conversation_id, {
              read_seq: data.seq,
              unread_count: Math.max(0, data.unread_count ?? old.last_seq - data.seq),
            });
          }
        }
        break;
      }
      case "conversation.updated": {
        const data = event.data;
        const removed: string[] = data.removed || [];
        if (removed.includes(this.state.me.user_id)) {
          this.patchConversation(data.id, { hidden: true });
          break;
        }
        const { read_seq, unread_count, muted, hidden, ...shared } = data;
        if (this.state.conversations.has(data.id)) {
          const old = this.state.conversations.get(data.id)!;
          this.patchConversation(data.id, {
            ...shared,
            unread_count: Math.max(0, (shared.last_seq ?? old.last_seq) - old.read_seq),
          });
        } else await this.ensureConversation(data.id);
        break;
      }
      case "presence.changed":
      case "presence.snapshot": {
        const entries: [string, Presence][] =
          event.type === "presence.changed" ? [[event.data.user_id, event.data.presence]] : Object.entries(event.data.users || {});
        const users = new Map(this.state.users);
        for (const [id, presence] of entries) {
          const user = users.get(id);
          if (user && newerPresence(user.presence, presence)) users.set(id, { ...user, presence });
          if (id === this.state.me.user_id && newerPresence(this.state.me.presence, presence)) {
            this.state.me = { ...this.state.me, presence };
          }
        }
        this.set({ users, me: this.state.me });
        break;
      }
      case "typing": {
        const data = event.data;
        if (data.user_id === this.state.me.user_id) break;
        const typing = new Map(this.state.typing);
        const who = new Map(typing.get(data.conversation_id) || []);
        who.set(data.user_id, Date.now() + (data.expires_in || 5) * 1000);
        typing.set(data.conversation_id, who);
        this.set({ typing });
        setTimeout(() => this.expireTyping(), (data.expires_in || 5) * 1000 + 50);
        break;
      }
      case "notification.missed":
        if (event.data.total > 0) this.set({ missed: event.data });
        break;
    }
  }

  private expireTyping(): void {
    const now = Date.now();
    const typing = new Map<string, Map<string, number>>();
    for (const [conversation, who] of this.state.typing) {
      const left = new Map([...who].filter(([, until]) => until > now));
      if (left.size) typing.set(conversation, left);
    }
    this.set({ typing });
  }

  private async onMessage(message: Message, created: boolean): Promise<void> {
    if (!message) return;
    const id = message.conversation_id;
    const conversation = await this.ensureConversation(id);
    if (!conversation) return;
    const thread = this.state.threads.get(id);
    const known = thread?.items.some((m) => m.id === message.id) ?? false;
    if (thread?.loaded) {
      if (message.seq > this.syncFrom(id) + 1 && !known) {
        this.putMessages(id, [message]);
        await this.sync([id]); // an event went missing: fetch the gap
      } else {
        this.putMessages(id, [message]);
      }
    }
    // The typing indicator of the sender ends with their message.
    const who = this.state.typing.get(id);
    if (who?.has(message.sender)) {
      const typing = new Map(this.state.typing);
      const rest = new Map(who);
      rest.delete(message.sender);
      typing.set(id, rest);
      this.set({ typing });
    }
    const current = this.state.conversations.get(id)!;
    if (message.seq > current.last_seq || (current.last_message?.id === message.id)) {
      const mine = message.sender === this.state.me.user_id;
      const last_seq = Math.max(current.last_seq, message.seq);
      const read_seq = mine ? Math.max(current.read_seq, message.seq) : current.read_seq;
      this.patchConversation(id, {
        last_seq,
        read_seq,
        unread_count: Math.max(0, last_seq - read_seq),
        updated_at: message.seq > current.last_seq ? message.created_at : current.updated_at,
        ...(created && message.seq > current.last_seq ? { hidden: false } : {}), // hidden until the next message
        last_message: {
          id: message.id,
          seq: message.seq,
          sender: message.sender,
          text: message.text,
          created_at: message.created_at,
          deleted: message.deleted,
        },
      });
      if (created && !known && !mine) {
        const flash = new Set(this.state.flash);
        flash.add(id);
        this.set({ flash });
        setTimeout(() => {
          const rest = new Set(this.state.flash);
          rest.delete(id);
          this.set({ flash: rest });
        }, 4000);
        this.onIncoming(this.state.conversations.get(id)!, message);
      }
    }
  }

  // -- actions ------------------------------------------------------------------------------

  async send(id: string, text: string, clientId: string = crypto.randomUUID()): Promise<void> {
    const me = this.state.me.user_id;
    const pending: Message = {
      id: `pending:${clientId}`,
      conversation_id: id,
      seq: 0,
      client_id: clientId,
      sender: me,
      text,
      status: "sending",
      created_at: new Date().toISOString(),
      pending: true,
    };
    this.putMessages(id, [pending]);
    try {
      const message = await this.api.post<Message>(`/conversations/${enc(id)}/messages`, { client_id: clientId, text });
      await this.onMessage({ ...message, pending: undefined, failed: undefined }, false);
      if (!this.state.threads.get(id)?.items.some((m) => m.id === message.id)) {
        this.putMessages(id, [{ ...message, pending: undefined, failed: undefined }]);
      }
    } catch (error) {
      this.putMessages(id, [{ ...pending, failed: (error as Error).message || "not sent" }]);
    }
  }

  async retry(message: Message): Promise<void> {
    await this.send(message.conversation_id, message.text, message.client_id);
  }

  async markRead(id: string): Promise<void> {
    const conversation = this.state.conversations.get(id);
    const seq = this.seen(id);
    if (!conversation || seq <= conversation.read_seq) return;
    this.patchConversation(id, { read_seq: seq, unread_count: Math.max(0, conversation.last_seq - seq) });
    try {
      await this.api.post(`/conversations/${enc(id)}/read`, { seq });
    } catch {
      /* the next visit retries; the horizon only moves forward */
    }
  }

  async deleteMessage(message: Message): Promise<void> {
    const updated = await this.api.del<Message>(
      `/conversations/${enc(message.conversation_id)}/messages/${enc(message.id)}`,
    );
    if (updated) this.putMessages(message.conversation_id, [updated]);
  }

  // -- issue 20: attachments, contacts, "delete for me" -----------------------------------

  /** Send with attachments (upload keys); `shown` describes them on the pending message. */
  async sendWithMedia(id: string, text: string, keys: string[], shown: Media[], clientId: string = crypto.randomUUID()): Promise<void> {
    const pending: Message = {
      id: `pending:${clientId}`, conversation_id: id, seq: 0, client_id: clientId, sender: this.state.me.user_id,
      text, status: "sending", created_at: new Date().toISOString(), pending: true, media: shown,
    };
    this.putMessages(id, [pending]);
    try {
      const body = { client_id: clientId, text, ...(keys.length ? { media: keys } : {}) };
      const message = await this.api.post<Message>(`/conversations/${enc(id)}/messages`, body);
      await this.onMessage({ ...message, pending: undefined, failed: undefined }, false);
      if (!this.state.threads.get(id)?.items.some((m) => m.id === message.id)) {
        this.putMessages(id, [{ ...message, pending: undefined, failed: undefined }]);
      }
    } catch (error) {
      this.putMessages(id, [{ ...pending, failed: (error as Error).message || "not sent" }]);
    }
  }

  /** The caller's contacts, each number leading to its contact (a contact has several). */
  putContacts(contacts: Map<string, Contact>): void {
    this.set({ contacts });
  }

  /** A message deleted for the caller only: out of this device's thread for good. */
  forgetMessage(conversationId: string, messageId: string): void {
    const thread = this.state.threads.get(conversationId);
    if (!thread) return;
    this.patchThread(conversationId, { items: thread.items.filter((m) => m.id !== messageId) });
  }

  /** A conversation deleted for the caller: out of the list and its history dropped; a new
   * message brings it back with only what follows (the server keeps the horizon). */
  forgetConversation(id: string): void {
    const threads = new Map(this.state.threads);
    threads.delete(id);
    this.through.delete(id);
    this.set({ threads, activeId: this.state.activeId === id ? null : this.state.activeId });
    this.patchConversation(id, { hidden: true, unread_count: 0, last_message: null });
  }
}
