/**
 * The contact center's part of the one store: the agent's profile, their offers and
 * interactions, the queues and their live figures. It keeps its state in the store's
 * `cc` slice (one state, one subscription, one WebSocket) and applies the contact
 * center's events by the same rules REST answers go through:
 *
 * - an interaction is replaced by a newer copy of itself, its screen pop (the customer
 *   record an offer carries) kept when the copy carries none;
 * - a queue's `queue.updated` replaces its figures of now and of today; older days
 *   stay as the last read left them;
 * - offers and updates sent while the socket was down are not replayed: what was read
 *   before is read again on every (re)connect (`catchUp`).
 *
 * Transcripts are the store's threads (`Store.loadThread`, `Store.send`): an agent's
 * reply goes through the same placeholders and merge rules as any message.
 */
import { ApiError, enc, type Page } from "./http";
import type { Agent, Canned, Customer, Interaction, Queue, QueueStats } from "./cc_types";
import type { SmsPreview } from "./types";
import type { Store } from "./store";
import { CcSetup, emptySetup, type SetupState } from "./store_cc_setup";
import { CcLive, emptyLive, type LiveState } from "./store_cc_live";

export const STATS_DAYS = 7;
const OPEN_STATES = ["offered", "active", "wrap_up"];

export interface LiveStats {
  stats: QueueStats;
  at: number; // when these figures arrived (the longest wait grows from there)
}

export interface CcState {
  agent: Agent | null;
  /** why the agent console cannot show (not an agent), or the last action's error */
  agentError: string | null;
  queues: Queue[];
  interactions: Map<string, Interaction>;
  /** interactions whose full record could not be read: their listed customer is all there is */
  popFailed: Set<string>;
  stats: Map<string, LiveStats>;
  statsOrder: string[]; // queue ids, as GET /queues lists them, then any an event named
  statsError: string | null;
  /** the admin pages' set-up (store_cc_setup.ts) */
  setup: SetupState;
  /** supervisors' live view and every interaction's timeline (store_cc_live.ts) */
  live: LiveState;
}

export function emptyCc(): CcState {
  return {
    agent: null,
    agentError: null,
    queues: [],
    interactions: new Map(),
    popFailed: new Set(),
    stats: new Map(),
    statsOrder: [],
    statsError: null,
    setup: emptySetup(),
    live: emptyLive(),
  };
}

// An interaction's own states move one way for its agent (offered → active → wrap-up →
// ended); "waiting" (back in the queue) and a new offer after it are not ranked.
const STATE_RANK: Record<string, number> = { offered: 1, active: 2, wrap_up: 3, ended: 4 };

/** Whether `next` is an older copy than `old`: a lower `version` when both carry the
 * server's; without it, a state behind the known one, unless it is a later offer (its
 * `offer_expires_at` after the known offer's). */
function olderCopy(old: Interaction, next: Interaction): boolean {
  if (typeof old.version === "number" && typeof next.version === "number") return next.version < old.version;
  const was = STATE_RANK[old.state];
  const is = STATE_RANK[next.state];
  if (was === undefined || is === undefined || is >= was) return false;
  const laterOffer = next.state === "offered" && old.state !== "ended" && !!next.offer_expires_at &&
    !!old.offer_expires_at && next.offer_expires_at > old.offer_expires_at;
  return !laterOffer;
}

/**
 * A copy of an interaction merged into the one known: a newer copy replaces it (a
 * screen pop already shown kept when the copy carries none); an older one (events and
 * REST answers arrive in any order) changes nothing.
 */
export function mergeInteraction(old: Interaction | undefined, next: Interaction): Interaction {
  if (!old) return next;
  if (olderCopy(old, next)) return old;
  return { ...old, ...next, customer: { ...old.customer, ...next.customer } };
}

/** Figures of now (and today) from an event, the older days kept from the last read. */
export function withQueueUpdate(old: QueueStats | undefined, next: QueueStats): QueueStats {
  if (!old) return next;
  const fresh = new Map(next.days.map((d) => [d.day, d]));
  const days = old.days.map((d) => fresh.get(d.day) || d);
  for (const d of next.days) if (!days.some((o) => o.day === d.day)) days.unshift(d);
  return { ...old, ...next, days };
}

export class ContactCenter {
  private readonly store: Store;
  private agentWanted = false; // the agent console was opened: keep it current on reconnect
  private statsWanted = false; // so was the supervisor page
  /** The admin pages' set-up: queues, channels, routing profiles, canned replies. */
  readonly setup: CcSetup;
  /** Supervisors' live view (monitor, notes, take-over, moves) and interactions' timelines. */
  readonly live: CcLive;

  constructor(store: Store) {
    this.store = store;
    this.setup = new CcSetup(store);
    this.live = new CcLive(store);
  }

  get state(): CcState {
    return this.store.state.cc;
  }

  private patch(patch: Partial<CcState>): void {
    this.store.set({ cc: { ...this.state, ...patch } });
  }

  // -- reading --------------------------------------------------------------------------

  /** The agent's interactions still open (offers, active, wrap-up), oldest first, so a
   * card never moves when another arrives. */
  open(): Interaction[] {
    const me = this.state.agent?.agent_id;
    return [...this.state.interactions.values()]
      .filter((i) => OPEN_STATES.includes(i.state) && (!me || !i.agent_id || i.agent_id === me))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  queueName(id: string): string {
    return this.state.queues.find((q) => q.queue_id === id)?.name || id;
  }

  /** The customer record to show: the screen pop once read (null while it is being read). */
  screenPop(interaction: Interaction): Customer | null {
    if (interaction.customer?.cases) return interaction.customer;
    return this.state.popFailed.has(interaction.id) ? interaction.customer : null;
  }

  // -- loading --------------------------------------------------------------------------

  /** The agent console's data: profile, open interactions, queue names. */
  async openAgentConsole(): Promise<void> {
    this.agentWanted = true;
    await Promise.all([this.reload(), this.loadQueues()]);
  }

  async reload(): Promise<void> {
    await Promise.all([this.loadAgent(), this.loadInteractions()]);
  }

  async loadAgent(): Promise<void> {
    try {
      const agent = await this.store.api.get<Agent>("/agent");
      this.patch({ agent: { ...agent, channels: agent.channels ?? this.state.agent?.channels }, agentError: null });
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      this.patch({ agentError: status === 404 || status === 403 ? "You are not a contact-center agent." : (error as Error).message });
    }
  }

  /** The open interactions as listed; one that changed while the list was read (an
   * offer, an update: a new copy in the map) is kept, merged by the ordering rules. */
  async loadInteractions(): Promise<void> {
    const before = this.state.interactions;
    let listed: Interaction[];
    try {
      listed = await this.store.api.all<Interaction>("/interactions?limit=100", 5);
    } catch {
      return; // the next reload tries again
    }
    const now = this.state.interactions;
    const interactions = new Map(listed.map((next) => [next.id, mergeInteraction(now.get(next.id), next)]));
    for (const [id, meanwhile] of now) {
      if (before.get(id) === meanwhile) continue; // unchanged since the request: the listing says
      const listedCopy = listed.find((i) => i.id === id);
      interactions.set(id, listedCopy ? mergeInteraction(listedCopy, meanwhile) : meanwhile);
    }
    this.patch({ interactions });
  }

  async loadQueues(): Promise<Queue[]> {
    try {
      const page = await this.store.api.get<Page<Queue>>("/queues");
      this.patch({ queues: page.items });
      return page.items;
    } catch {
      return this.state.queues;
    }
  }

  /** The supervisor page's figures: every queue's, then each `queue.updated` replaces them. */
  async openSupervisor(): Promise<void> {
    this.statsWanted = true;
    try {
      const page = await this.store.api.get<Page<Queue>>("/queues");
      this.patch({ queues: page.items, statsOrder: page.items.map((q) => q.queue_id), statsError: null });
      await Promise.all(
        page.items.map(async (q) => {
          const stats = await this.store.api.get<QueueStats>(`/queues/${enc(q.queue_id)}/stats?days=${STATS_DAYS}`);
          this.putStats(stats);
        }),
      );
    } catch (error) {
      this.patch({ statsError: (error as Error).message });
    }
  }

  private putStats(next: QueueStats): void {
    const stats = new Map(this.state.stats);
    stats.set(next.queue_id, { stats: withQueueUpdate(stats.get(next.queue_id)?.stats, next), at: Date.now() });
    const order = this.state.statsOrder;
    this.patch({ stats, statsOrder: order.includes(next.queue_id) ? order : [...order, next.queue_id] });
  }

  async loadScreenPop(interaction: Interaction): Promise<void> {
    if (interaction.customer?.cases) return;
    try {
      const full = await this.store.api.get<Interaction>(`/interactions/${enc(interaction.id)}`);
      this.putInteraction(full);
    } catch {
      this.patch({ popFailed: new Set(this.state.popFailed).add(interaction.id) });
    }
  }

  /** After a (re)connect: what the pages opened is read again (events are not replayed). */
  async catchUp(): Promise<void> {
    const work: Promise<unknown>[] = [];
    if (this.agentWanted) work.push(this.reload());
    if (this.statsWanted) work.push(this.openSupervisor());
    await Promise.all(work);
  }

  // -- live events ------------------------------------------------------------------------

  putInteraction(next: Interaction): void {
    const interactions = new Map(this.state.interactions);
    interactions.set(next.id, mergeInteraction(interactions.get(next.id), next));
    this.patch({ interactions });
  }

  onQueueUpdated(next: QueueStats): void {
    this.putStats(next);
    this.live.onQueueChanged(next.queue_id);
  }

  /** The agent's own routing status as an event said it (a supervisor set it, or
   * another device did): the console shows what routing will do. */
  onOwnAgentStatus(status: string): void {
    const agent = this.state.agent;
    if (agent && agent.status !== status) this.patch({ agent: { ...agent, status } });
  }

  // -- actions ----------------------------------------------------------------------------

  async setStatus(status: string): Promise<void> {
    try {
      const updated = await this.store.api.put<Agent>("/agent/status", { status });
      // the status answer carries no channels: keep the ones GET /agent listed
      this.patch({ agent: { ...updated, channels: updated.channels ?? this.state.agent?.channels }, agentError: null });
    } catch (error) {
      this.patch({ agentError: (error as Error).message });
    }
    await this.reload();
  }

  /** Accept or reject an offer; the error (an offer already gone) is thrown after a re-read. */
  async answer(interaction: Interaction, what: "accept" | "reject"): Promise<void> {
    try {
      const after = await this.store.api.post<Interaction | undefined>(`/interactions/${enc(interaction.id)}/${what}`);
      if (after?.id) this.putInteraction(after);
    } finally {
      await this.reload();
    }
  }

  /** Transfer or end an interaction: the interaction as it is after. */
  async act(interaction: Interaction, what: "transfer" | "end", body: Record<string, string>): Promise<Interaction | undefined> {
    const after = await this.store.api.post<Interaction | undefined>(`/interactions/${enc(interaction.id)}/${what}`, body);
    if (after?.id) this.putInteraction(after);
    await this.reload();
    return after;
  }

  /** An outbound text to a customer: a new interaction, active at once. */
  async startOutbound(channel: string, to: string, clientId: string, text: string): Promise<void> {
    await this.store.api.post("/interactions", { channel, to, client_id: clientId, text });
    await this.reload();
  }

  // -- look-ups (answers for a form, not state) ----------------------------------------------

  async searchCanned(query: string, interactionId: string): Promise<Canned[]> {
    const page = await this.store.api.get<Page<Canned>>(`/canned-responses?q=${enc(query)}&interaction_id=${enc(interactionId)}`);
    return page.items;
  }

  /** Segments and cost of a text; a number still being typed is left out (default country). */
  async preview(text: string, to: string): Promise<SmsPreview> {
    const plain = () => this.store.api.post<SmsPreview>("/sms/preview", { text });
    return to.trim() ? this.store.api.post<SmsPreview>("/sms/preview", { text, to }).catch(plain) : plain();
  }

  async findCustomers(phone: string): Promise<Customer[]> {
    const page = await this.store.api.get<Page<Customer>>(`/customers?phone=${enc(phone.trim())}`);
    return page.items;
  }
}
