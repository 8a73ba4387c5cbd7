/**
 * The employee app's one store: what the server said (conversations, messages,
 * presence, the contact center's agents, interactions and queues) and the rules that
 * keep it exact. Pages read from it (`useStoreState`) and act through it; none keeps
 * its own copy. REST answers and WebSocket frames (frames.ts) go through the same
 * rules (store_rules.ts): statuses only move forward, deleted stays deleted,
 * placeholders are stepped over.
 *
 * - Messages of a conversation are kept sorted by `seq` and deduplicated by `id`
 *   (delivery is at least once). `seen(conversation)` is the highest seq shown (the
 *   read horizon); `syncFrom(conversation)` the end of the unbroken run of shown
 *   seqs (store_sync.ts): after a reconnect, POST /sync from it returns exactly what
 *   was missed.
 * - A live `message.created` whose seq skips one (an event lost in flight)
 *   triggers a sync of that conversation, so a gap never stays on screen.
 * - Unread counts follow the server's rule, last_seq − read_seq; a
 *   `conversation.read` from any of the user's devices moves read_seq.
 * - The contact center's state is the `cc` slice, kept by `store.cc` (store_cc.ts).
 */
import type { Api } from "./api";
import { type CcState, ContactCenter, emptyCc } from "./store_cc";
import type { ServerFrame } from "./frames";
import { ApiError, enc, type Page } from "./http";
import { LiveEvents } from "./store_events";
import { byActivity, mergeMessages, previewWithout } from "./store_rules";
import { Sync } from "./store_sync";
import { contactsByNumber } from "./conversation_api";
import type { Contact, Conversation, Media, Message, MissedNotice, User } from "./types";

export { newerPresence } from "./store_rules";

/** What the store asks of the REST API (the real `Api`, or a fake in the unit tests). */
export type StoreApi = Pick<Api, "get" | "post" | "put" | "patch" | "del" | "all">;

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
  cc: CcState; // the contact center (store_cc.ts)
}

type Listener = () => void;

const PAGE = 100;
const SYNC_BATCH = 50;
const REVEAL_PAGES = 20; // pages of 50 read back to reach a search result's message

export class Store {
  state: State;
  readonly api: StoreApi;
  readonly cc: ContactCenter;
  readonly catchup: Sync;
  private readonly events: LiveEvents;
  /** ids the server said are deleted, shown or not yet: an older copy stays deleted */
  readonly deleted = new Set<string>();
  /** ids deleted for this user only ("delete for me"): never shown again, whatever arrives */
  readonly forgotten = new Set<string>();
  private listeners = new Set<Listener>();
  private frameListeners = new Set<(frame: ServerFrame) => void>();
  onIncoming: (conversation: Conversation, message: Message) => void = () => {};
  onPresenceTargets: (userIds: string[]) => void = () => {};
  /** how the store waits (typing expiry, the green flash); tests replace it */
  later: (run: () => void, ms: number) => void = (run, ms) => void setTimeout(run, ms);

  constructor(api: StoreApi, me: User) {
    this.api = api;
    this.cc = new ContactCenter(this);
    this.catchup = new Sync(this);
    this.events = new LiveEvents(this);
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
      cc: emptyCc(),
    };
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every live frame, for pages with events of their own (the agent console). */
  onFrame(listener: (frame: ServerFrame) => void): () => void {
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

  /** The unread count shown outside the app (tab title, app badge): muted and hidden
   * conversations left out (a hidden one counts again when a message brings it back). */
  totalUnread(): number {
    let total = 0;
    for (const c of this.state.conversations.values()) if (!c.muted && !c.hidden) total += c.unread_count;
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
    if (!existing) this.patchThread(id, {}); // live messages from now on are kept
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

  /** Insert or replace messages, by id; sorted by seq; a pending send is replaced by its
   * ack (store_rules.mergeMessages). */
  putMessages(id: string, messages: Message[], patch: Partial<Thread> = {}): void {
    for (const m of messages) if (m.deleted) this.deleted.add(m.id);
    messages = messages.filter((m) => !this.forgotten.has(m.id));
    const threads = new Map(this.state.threads);
    const thread = threads.get(id) || { items: [], olderCursor: null, loaded: false, loadingOlder: false };
    threads.set(id, { ...thread, ...patch, items: mergeMessages(thread.items, messages, this.deleted) });
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

  /** Where catch-up asks from (store_sync.ts). */
  syncFrom(id: string): number {
    return this.catchup.syncFrom(id);
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
    void this.cc.catchUp().catch(() => undefined);
    const loaded = [...this.state.threads.entries()].filter(([, t]) => t.loaded).map(([id]) => id);
    for (let i = 0; i < loaded.length; i += SYNC_BATCH) {
      await this.sync(loaded.slice(i, i + SYNC_BATCH));
    }
  }

  async sync(ids: string[]): Promise<void> {
    await this.catchup.sync(ids);
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

  // -- live events (store_events.ts) ---------------------------------------------------------

  /** One frame off the socket, by type (every type is named: frames.ts `unhandled`). */
  async handle(frame: ServerFrame): Promise<void> {
    for (const listener of this.frameListeners) listener(frame);
    await this.events.handle(frame);
  }

  /** A message the server sent or acknowledged, by the live events' rules. */
  private onMessage(message: Message, created: boolean): Promise<void> {
    return this.events.onMessage(message, created);
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

  /** Send a failed message again, with the same client_id (the server stores it once)
   * and its attachments' upload keys. */
  async retry(message: Message): Promise<void> {
    if (message.media_keys?.length) {
      await this.sendWithMedia(message.conversation_id, message.text, message.media_keys, message.media || [], message.client_id);
    } else {
      await this.send(message.conversation_id, message.text, message.client_id);
    }
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

  /** Send with attachments (upload keys); `shown` describes them on the pending message,
   * which keeps the keys: a failed send is retried with them (`retry`). */
  async sendWithMedia(id: string, text: string, keys: string[], shown: Media[], clientId: string = crypto.randomUUID()): Promise<void> {
    const pending: Message = {
      id: `pending:${clientId}`, conversation_id: id, seq: 0, client_id: clientId, sender: this.state.me.user_id,
      text, status: "sending", created_at: new Date().toISOString(), pending: true, media: shown, media_keys: keys,
    };
    this.putMessages(id, [pending]);
    try {
      const body = { client_id: clientId, text, ...(keys.length ? { media: keys } : {}) };
      const message = await this.api.post<Message>(`/conversations/${enc(id)}/messages`, body);
      await this.onMessage({ ...message, pending: undefined, failed: undefined }, false);
      if (!this.state.threads.get(id)?.items.some((m) => m.id === message.id)) {
        this.putMessages(id, [{ ...message, pending: undefined, failed: undefined, media_keys: undefined }]);
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
    this.forgotten.add(messageId);
    if (thread) this.patchThread(conversationId, { items: thread.items.filter((m) => m.id !== messageId) });
    const conversation = this.state.conversations.get(conversationId);
    const preview = conversation && previewWithout(conversation, thread?.items || [], messageId);
    if (preview !== undefined) this.patchConversation(conversationId, { last_message: preview });
    // no thread here to find the one before it: the server knows (the member's own preview)
    if (preview === null && !thread?.loaded) void this.refreshPreview(conversationId);
  }

  /** The caller's list preview as the server has it, unless the conversation moved on. */
  private async refreshPreview(id: string): Promise<void> {
    try {
      const fresh = await this.api.get<Conversation>(`/conversations/${enc(id)}`);
      const now = this.state.conversations.get(id);
      if (now && fresh.last_seq === now.last_seq && !now.last_message) {
        this.patchConversation(id, { last_message: fresh.last_message });
      }
    } catch {
      /* no preview until the next list read or message */
    }
  }

  /** A conversation deleted for the caller: out of the list and its history dropped; a new
   * message brings it back with only what follows (the server keeps the horizon). */
  forgetConversation(id: string): void {
    const threads = new Map(this.state.threads);
    threads.delete(id);
    this.catchup.forget(id);
    this.set({ threads, activeId: this.state.activeId === id ? null : this.state.activeId });
    this.patchConversation(id, { hidden: true, unread_count: 0, last_message: null });
  }
}
