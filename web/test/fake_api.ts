/** A REST API in memory for the store's unit tests: answers by "METHOD path", records
 * every request, and can hold an answer back (a request in flight) until released. */
import { ApiError, type Page } from "../src/lib/http.ts";
import { Store, type StoreApi } from "../src/lib/store.ts";
import type { Conversation, Message, User } from "../src/lib/types.ts";

type Answer = unknown | ((body: unknown) => unknown);

export interface Held {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class FakeApi implements StoreApi {
  answers = new Map<string, Answer>();
  requests: { method: string; path: string; body?: unknown }[] = [];
  held = new Map<string, Held>();
  private holding = new Set<string>();

  on(method: string, path: string, answer: Answer): this {
    this.answers.set(`${method} ${path}`, answer);
    return this;
  }

  /** The next request to `method path` stays in flight until `held.get(key)` settles it. */
  hold(method: string, path: string): void {
    this.holding.add(`${method} ${path}`);
  }

  private async answer<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.requests.push({ method, path, body });
    const key = `${method} ${path}`;
    if (this.holding.delete(key)) {
      return new Promise<T>((resolve, reject) => {
        this.held.set(key, { resolve: (v) => resolve(v as T), reject });
      });
    }
    if (!this.answers.has(key)) throw new ApiError(404, "not_found", `no answer for ${key}`);
    const found = this.answers.get(key);
    return (typeof found === "function" ? (found as (b: unknown) => unknown)(body) : found) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.answer<T>("GET", path);
  }
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.answer<T>("POST", path, body);
  }
  put<T>(path: string, body: unknown = {}): Promise<T> {
    return this.answer<T>("PUT", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.answer<T>("PATCH", path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.answer<T>("DELETE", path);
  }
  async all<T>(path: string): Promise<T[]> {
    return (await this.answer<Page<T>>("GET", path)).items;
  }
}

export const ME: User = { user_id: "me", company_id: "c", name: "Me", role: "member", numbers: [] };

export function conversation(changes: Partial<Conversation> = {}): Conversation {
  return {
    id: "d1",
    type: "im",
    members: ["me", "ann"],
    updated_at: "2026-01-01T00:00:00.000Z",
    last_seq: 0,
    read_seq: 0,
    unread_count: 0,
    last_message: null,
    ...changes,
  };
}

export function message(seq: number, changes: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: "d1",
    seq,
    client_id: `k${seq}`,
    sender: "ann",
    text: `text ${seq}`,
    status: "sent",
    created_at: `2026-01-01T00:00:${String(seq).padStart(2, "0")}.000Z`,
    ...changes,
  };
}

/** A store whose conversation d1 is listed and whose thread holds `shown` (loaded). */
export async function storeWith(shown: Message[] = [], changes: Partial<Conversation> = {}): Promise<{ store: Store; api: FakeApi }> {
  const api = new FakeApi();
  const last = shown.reduce((top, m) => Math.max(top, m.seq), 0);
  const listed = conversation({ last_seq: last, read_seq: last, ...changes });
  api.on("GET", "/conversations?limit=100", { items: [listed], next_cursor: null });
  api.on("GET", "/conversations/d1", listed);
  api.on("GET", "/conversations/d1/messages?limit=50", { items: shown, next_cursor: null });
  const store = new Store(api, ME);
  store.later = () => undefined; // typing expiry and the green flash: not under test here
  store.catchup.later = () => undefined;
  await store.loadMoreConversations();
  await store.loadThread("d1");
  return { store, api };
}

export function shown(store: Store, id = "d1"): Message[] {
  return store.state.threads.get(id)?.items || [];
}
