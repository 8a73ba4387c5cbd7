/** The contact center's slice of the store: interactions and queue figures merged from
 * REST answers and events in any order. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Interaction, QueueStats } from "../src/lib/cc_types.ts";
import { FakeApi, ME } from "./fake_api.ts";
import { Store } from "../src/lib/store.ts";

function interaction(changes: Partial<Interaction> = {}): Interaction {
  return {
    id: "i1",
    state: "offered",
    queue_id: "q1",
    agent_id: "me",
    conversation_id: "d9",
    channel: "+14155550100",
    customer: { id: "k1", name: "Ann", phone: "+14155550199" },
    created_at: "2026-01-01T00:00:00.000Z",
    ...changes,
  };
}

function stats(days: QueueStats["days"], changes: Partial<QueueStats> = {}): QueueStats {
  return {
    queue_id: "q1",
    name: "Sales",
    waiting: 0,
    longest_wait_s: 0,
    agents_available: 1,
    agents_busy: 0,
    agents_away: 0,
    active: 0,
    agents: [],
    service_level_s: 60,
    days,
    ...changes,
  };
}

const day = (d: string, offered: number) => ({
  day: d, offered, answered: 0, abandoned: 0, timed_out: 0, average_wait_s: 0, average_handle_s: 0, service_level: null,
});

test("an update without the screen pop keeps the one the offer carried", async () => {
  const store = new Store(new FakeApi(), ME);
  const cases = [{ id: "case1", subject: "Boiler", status: "open", created_at: "2026" }];
  await store.handle({ type: "interaction.offered", data: interaction({ customer: { id: "k1", name: "Ann", phone: "+1", cases } }) });
  await store.handle({ type: "interaction.updated", data: interaction({ state: "active", customer: { id: "k1", name: "Ann", phone: "+1" } }) });
  const shown = store.cc.open();
  assert.equal(shown.length, 1);
  assert.equal(shown[0]?.state, "active");
  assert.deepEqual(shown[0]?.customer.cases, cases);
  assert.deepEqual(store.cc.screenPop(shown[0]!)?.cases, cases);
});

test("open interactions are the agent's, oldest first; ended ones leave", async () => {
  const api = new FakeApi().on("GET", "/agent", { agent_id: "me", name: "Me", role: "agent", status: "available", skills: {}, queues: ["q1"], max_concurrent: 2, active: 0, open: 0 });
  api.on("GET", "/interactions?limit=100", { items: [], next_cursor: null });
  api.on("GET", "/queues", { items: [{ queue_id: "q1", name: "Sales" }], next_cursor: null });
  const store = new Store(api, ME);
  await store.cc.openAgentConsole();
  await store.handle({ type: "interaction.offered", data: interaction({ id: "i2", created_at: "2026-01-02" }) });
  await store.handle({ type: "interaction.offered", data: interaction({ id: "i1", created_at: "2026-01-01" }) });
  await store.handle({ type: "interaction.offered", data: interaction({ id: "i3", agent_id: "bob" }) });
  assert.deepEqual(store.cc.open().map((i) => i.id), ["i1", "i2"]);
  await store.handle({ type: "interaction.updated", data: interaction({ id: "i1", state: "ended" }) });
  assert.deepEqual(store.cc.open().map((i) => i.id), ["i2"]);
  assert.equal(store.cc.queueName("q1"), "Sales");
});

test("a reconnect re-reads the console (offers sent while the socket was down are not replayed)", async () => {
  const api = new FakeApi().on("GET", "/agent", { agent_id: "me", name: "Me", role: "agent", status: "available", skills: {}, queues: [], max_concurrent: 2, active: 0, open: 0 });
  api.on("GET", "/interactions?limit=100", { items: [], next_cursor: null });
  api.on("GET", "/queues", { items: [], next_cursor: null });
  api.on("GET", "/conversations?limit=100", { items: [], next_cursor: null });
  const store = new Store(api, ME);
  await store.cc.openAgentConsole();
  api.on("GET", "/interactions?limit=100", { items: [interaction()], next_cursor: null });
  await store.catchUp();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(store.cc.open().map((i) => i.id), ["i1"]);
});

test("queue.updated replaces now and today; older days stay as last read", async () => {
  const api = new FakeApi().on("GET", "/queues", { items: [{ queue_id: "q1", name: "Sales" }], next_cursor: null });
  api.on("GET", "/queues/q1/stats?days=7", stats([day("2026-01-02", 3), day("2026-01-01", 5)]));
  const store = new Store(api, ME);
  await store.cc.openSupervisor();
  await store.handle({ type: "queue.updated", data: stats([day("2026-01-02", 4)], { waiting: 2 }) });
  const live = store.state.cc.stats.get("q1")!.stats;
  assert.equal(live.waiting, 2);
  assert.deepEqual(live.days.map((d) => [d.day, d.offered]), [["2026-01-02", 4], ["2026-01-01", 5]]);
  await store.handle({ type: "queue.updated", data: stats([day("2026-01-03", 1)], { queue_id: "q2", name: "Support" }) });
  assert.deepEqual(store.state.cc.statsOrder, ["q1", "q2"]);
});

test("a supervisor's change of the agent's own routing status shows in the console; another user's does not", async () => {
  const api = new FakeApi().on("GET", "/agent", { agent_id: "me", name: "Me", role: "agent", status: "available", skills: {}, queues: [], max_concurrent: 2, active: 0, open: 0 });
  api.on("GET", "/interactions?limit=100", { items: [], next_cursor: null });
  api.on("GET", "/queues", { items: [], next_cursor: null });
  const store = new Store(api, ME);
  await store.cc.openAgentConsole();
  const presence = { status: "online", chosen_status: "auto", message: "", message_expires_at: null, online: true, updated_at: "2026-01-01T00:00:00Z" };
  await store.handle({ type: "presence.changed", data: { user_id: "bob", presence: { ...presence, agent_status: "offline" } } });
  assert.equal(store.state.cc.agent?.status, "available");
  await store.handle({ type: "presence.changed", data: { user_id: "me", presence: { ...presence, agent_status: "away" } } });
  assert.equal(store.state.cc.agent?.status, "away");
  await store.handle({ type: "presence.changed", data: { user_id: "me", presence } }); // no routing status: unchanged
  assert.equal(store.state.cc.agent?.status, "away");
});
