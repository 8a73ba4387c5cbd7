/**
 * The contact center's set-up, as the admin pages edit it: the `setup` part of the
 * store's `cc` slice (store_cc.ts). It holds what the API answered (queues with every
 * setting, channels, agents' routing profiles, canned replies) and replaces an item by
 * the API's answer to a save, never by what the form sent: what shows is what is
 * stored. A refused save throws the `ApiError` (its `code` names the field) and changes
 * nothing here.
 *
 * A saved queue also renames it for the agent console and the supervisor page
 * (`cc.queues`), which read the same list.
 */
import type * as Gen from "./api_types.gen";
import type { Agent, Canned, Queue } from "./cc_types";
import { enc, type Page } from "./http";
import type { Store } from "./store";

export type QueueBody = Gen.Operations["put_queue"]["body"];
export type AgentBody = Gen.Operations["put_agent"]["body"];
export type CannedBody = Gen.Operations["put_canned"]["body"];

/** The API answers at most 50 canned replies a page; the list reads every page (up to 2,000). */
const CANNED_PAGE = 50;
const CANNED_PAGES = 40;

/** A queue with every setting (GET /queues answers the queue's whole record). */
export interface QueueConfig extends Queue {
  skills: Record<string, number>;
  priority: number;
  timezone: string;
  hours: Record<string, string>;
  closed_message: string;
  entry_message: string;
  full_message: string;
  offer_timeout_s: number;
  auto_accept: boolean;
  idle_after_s: number;
  wrap_up_s: number;
  service_level_s: number;
  abandon_after_s: number;
  last_agent_window_s: number;
  overflow_after_s: number;
  overflow_level: number | null;
  overflow_queue_id: string | null;
  max_waiting: number;
}

export interface Channel {
  e164: string;
  queue_id: string;
}

/** A business number of the company that could be a channel (GET /admin/numbers). */
export interface BusinessNumber {
  e164: string;
  sms_capable: boolean;
  users: string[];
}

export interface SetupState {
  queues: QueueConfig[];
  channels: Channel[];
  agents: Agent[];
  canned: Canned[];
  numbers: BusinessNumber[];
  loaded: boolean;
  /** why the set-up could not be read (the contact center is off, not an admin…) */
  error: string | null;
}

export function emptySetup(): SetupState {
  return { queues: [], channels: [], agents: [], canned: [], numbers: [], loaded: false, error: null };
}

/** `items` with `next` in place of the item of the same key, or added at the end. */
export function replaced<T>(items: T[], next: T, key: (item: T) => string): T[] {
  const at = items.findIndex((item) => key(item) === key(next));
  return at < 0 ? [...items, next] : items.map((item, i) => (i === at ? next : item));
}

export class CcSetup {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  get state(): SetupState {
    return this.store.state.cc.setup;
  }

  private patch(patch: Partial<SetupState>, cc: Partial<Store["state"]["cc"]> = {}): void {
    const now = this.store.state.cc;
    this.store.set({ cc: { ...now, ...cc, setup: { ...now.setup, ...patch } } });
  }

  /** Everything the set-up screens show, read again. */
  async load(): Promise<void> {
    const api = this.store.api;
    try {
      const [queues, channels, agents, canned, numbers] = await Promise.all([
        api.get<Page<QueueConfig>>("/queues"),
        api.get<Page<Channel>>("/admin/contact-center/channels"),
        api.get<Page<Agent>>("/admin/contact-center/agents"),
        api.all<Canned>(`/canned-responses?limit=${CANNED_PAGE}`, CANNED_PAGES),
        api.all<BusinessNumber>("/admin/numbers?limit=100", 10),
      ]);
      this.patch(
        { queues: queues.items, channels: channels.items, agents: agents.items, canned, numbers, loaded: true, error: null },
        { queues: queues.items },
      );
    } catch (error) {
      this.patch({ loaded: true, error: (error as Error).message });
    }
  }

  async saveQueue(queueId: string, body: QueueBody): Promise<QueueConfig> {
    const saved = await this.store.api.put<QueueConfig>(`/admin/contact-center/queues/${enc(queueId)}`, body);
    const key = (q: Queue) => q.queue_id;
    this.patch({ queues: replaced(this.state.queues, saved, key) }, { queues: replaced(this.store.state.cc.queues, saved, key) });
    return saved;
  }

  async saveChannel(e164: string, queueId: string): Promise<Channel> {
    const saved = await this.store.api.put<Channel>(`/admin/contact-center/channels/${enc(e164)}`, { queue_id: queueId });
    this.patch({ channels: replaced(this.state.channels, saved, (c) => c.e164) });
    return saved;
  }

  async saveAgent(userId: string, body: AgentBody): Promise<Agent> {
    const saved = await this.store.api.put<Agent>(`/admin/contact-center/agents/${enc(userId)}`, body);
    this.patch({ agents: replaced(this.state.agents, saved, (a) => a.agent_id) });
    return saved;
  }

  async saveCanned(replyId: string, body: CannedBody): Promise<Canned> {
    const saved = await this.store.api.put<Canned>(`/admin/contact-center/canned-responses/${enc(replyId)}`, body);
    this.patch({ canned: replaced(this.state.canned, saved, (c) => c.id) });
    return saved;
  }

  // -- deletes: the item leaves the lists once the API says it is gone (a 409 throws) ----

  async deleteQueue(queueId: string): Promise<void> {
    await this.store.api.del(`/admin/contact-center/queues/${enc(queueId)}`);
    const kept = (q: Queue) => q.queue_id !== queueId;
    this.patch({ queues: this.state.queues.filter(kept) }, { queues: this.store.state.cc.queues.filter(kept) });
  }

  async deleteChannel(e164: string): Promise<void> {
    await this.store.api.del(`/admin/contact-center/channels/${enc(e164)}`);
    this.patch({ channels: this.state.channels.filter((c) => c.e164 !== e164) });
  }

  async deleteCanned(replyId: string): Promise<void> {
    await this.store.api.del(`/admin/contact-center/canned-responses/${enc(replyId)}`);
    this.patch({ canned: this.state.canned.filter((c) => c.id !== replyId) });
  }
}
