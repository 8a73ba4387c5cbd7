/** Supervisors' live view in the store: a monitored transcript and timelines merged from
 * REST answers and frames in any order; the agent console's private notes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Interaction, TimelineEntry } from "../src/lib/cc_types.ts";
import type { Message } from "../src/lib/types.ts";
import { FakeApi, ME } from "./fake_api.ts";
import { Store } from "../src/lib/store.ts";
import { LIVE_PAGES } from "../src/lib/store_cc_live.ts";

const IX: Interaction = {
  id: "i1",
  state: "active",
  queue_id: "q1",
  agent_id: "bob",
  conversation_id: "s1",
  channel: "+14155550100",
  customer: { id: "k1", name: "Ann", phone: "+14155550199" },
  created_at: "2026-01-01T00:00:00.000Z",
};

function entry(id: string, at: string, kind = "note"): TimelineEntry {
  return { id, interaction_id: "i1", kind, by: "sam", at, text: `note ${id}`, detail: {} };
}

function message(seq: number, text: string, status = "received"): Message {
  return { id: `s1.${seq}`, seq, conversation_id: "s1", text, status, direction: "inbound", sender: "ext", created_at: "2026-01-01T00:00:00Z" } as unknown as Message;
}

test("a monitored transcript takes each text once, in order, and ignores other conversations", async () => {
  const api = new FakeApi().on("POST", "/interactions/i1/monitor", { ...IX, messages: [message(1, "hello")], timeline: [entry("t1", "2026-01-01T00:00:01Z", "monitor")] });
  const store = new Store(api, ME);
  await store.cc.live.monitor(IX);
  store.cc.live.onMonitoredMessage({ interaction_id: "i1", message: message(3, "third") });
  store.cc.live.onMonitoredMessage({ interaction_id: "i1", message: message(2, "second") });
  store.cc.live.onMonitoredMessage({ interaction_id: "i1", message: message(2, "second", "delivered") });
  store.cc.live.onMonitoredMessage({ interaction_id: "i9", message: { ...message(4, "elsewhere"), conversation_id: "s9" } });
  const shown = store.state.cc.live.monitored!.messages;
  assert.deepEqual(shown.map((m) => [m.seq, m.text]), [[1, "hello"], [2, "second"], [3, "third"]]);
  assert.equal(shown[1]!.status, "delivered");
  await store.cc.live.stopMonitoring();
  assert.equal(store.state.cc.live.monitored, null);
  assert.deepEqual(api.requests.at(-1), { method: "DELETE", path: "/interactions/i1/monitor", body: undefined });
});

test("timeline entries are kept once, in time order, and only notes are the agent's whispers", () => {
  const store = new Store(new FakeApi(), ME);
  store.cc.live.onTimeline(entry("t2", "2026-01-01T00:00:02Z"));
  store.cc.live.onTimeline(entry("t1", "2026-01-01T00:00:01Z", "transfer"));
  store.cc.live.onTimeline(entry("t2", "2026-01-01T00:00:02Z"));
  assert.deepEqual(store.state.cc.live.timelines.get("i1")!.map((e) => e.id), ["t1", "t2"]);
  assert.deepEqual(store.cc.live.notes("i1").map((e) => e.id), ["t2"]);
});

test("a monitor starts with the newest page and pages back with its cursor, each text once", async () => {
  const api = new FakeApi()
    .on("POST", "/interactions/i1/monitor", { ...IX, messages: [message(3, "third"), message(4, "fourth")], messages_cursor: "c1", timeline: [] })
    .on("POST", "/interactions/i1/monitor?cursor=c1", { ...IX, messages: [message(1, "hello"), message(2, "second"), message(3, "third")], messages_cursor: null, timeline: [] });
  const store = new Store(api, ME);
  await store.cc.live.monitor(IX);
  assert.equal(store.state.cc.live.monitored!.earlier, "c1");
  await store.cc.live.loadEarlier();
  const shown = store.state.cc.live.monitored!;
  assert.deepEqual(shown.messages.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(shown.earlier, null);
});

test("a note carries the client_id it is given, so sending it again posts it once", async () => {
  const api = new FakeApi().on("POST", "/interactions/i1/notes", entry("t1", "2026-01-01T00:00:01Z"));
  const store = new Store(api, ME);
  await store.cc.live.note("i1", "offer the refund", "n-1");
  await store.cc.live.note("i1", "offer the refund", "n-1");
  const sent = api.requests.filter((r) => r.path === "/interactions/i1/notes").map((r) => r.body);
  assert.deepEqual(sent, [{ text: "offer the refund", client_id: "n-1" }, { text: "offer the refund", client_id: "n-1" }]);
  assert.deepEqual(store.state.cc.live.timelines.get("i1")!.map((e) => e.id), ["t1"]);
});

test("a queue's live list follows every page of the server's, each interaction once", async () => {
  const ix = (n: number): Interaction => ({ ...IX, id: `i${n}`, state: "waiting", agent_id: null });
  const api = new FakeApi()
    .on("GET", "/queues/q1/interactions", { items: [ix(1), ix(2)], next_cursor: "c1" })
    .on("GET", "/queues/q1/interactions?cursor=c1", { items: [ix(3), ix(2)], next_cursor: "c2" })
    .on("GET", "/queues/q1/interactions?cursor=c2", { items: [ix(4)], next_cursor: null });
  const store = new Store(api, ME);
  await store.cc.live.loadQueue("q1");
  assert.deepEqual(store.state.cc.live.byQueue.get("q1")!.map((i) => i.id), ["i1", "i3", "i2", "i4"]);
  assert.equal(store.state.cc.live.more.has("q1"), false);
});

test("a queue with more live pages than one load reads says more exist", async () => {
  const api = new FakeApi();
  for (let n = 0; n < LIVE_PAGES + 2; n++) {
    const path = n === 0 ? "/queues/q1/interactions" : `/queues/q1/interactions?cursor=c${n}`;
    api.on("GET", path, { items: [{ ...IX, id: `i${n}` }], next_cursor: `c${n + 1}` });
  }
  const store = new Store(api, ME);
  await store.cc.live.loadQueue("q1");
  assert.equal(store.state.cc.live.byQueue.get("q1")!.length, LIVE_PAGES);
  assert.equal(store.state.cc.live.more.has("q1"), true);
});
