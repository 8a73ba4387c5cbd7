/**
 * The cold review's findings on the client store (issue 20), each held to its rule:
 * a failed send keeps its attachments for Retry, catch-up never moves the read
 * horizon back, hidden conversations stay out of the unread total, the agent console
 * keeps an offer that arrived while its list was read and ignores older copies, the
 * saved offline copy expires, and a file of no known type is refused aloud.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { attachReason, filesOf } from "../src/lib/attachments.ts";
import { checkNewId, timeZones } from "../src/lib/cc_setup_rules.ts";
import type { Interaction } from "../src/lib/cc_types.ts";
import { DEFAULT_LIMITS } from "../src/lib/conversation_api.ts";
import { ApiError } from "../src/lib/http.ts";
import { SAVED_MAX_AGE_MS, type Saved, usableSaved } from "../src/lib/offline.ts";
import { mergeInteraction } from "../src/lib/store_cc.ts";
import { conversation, FakeApi, ME, message, shown, storeWith } from "./fake_api.ts";
import { Store } from "../src/lib/store.ts";

describe("a failed send with attachments", () => {
  test("keeps its upload keys, and Retry sends them again under the same client_id", async () => {
    const { store, api } = await storeWith([message(1)]);
    const media = [{ index: 0, content_type: "image/png", size: 10, filename: "shop.png" }];
    api.on("POST", "/conversations/d1/messages", () => {
      throw new ApiError(0, "network_error", "The server cannot be reached.");
    });
    await store.sendWithMedia("d1", "the shop", ["uploads/k1"], media, "c-7");
    const failed = shown(store).find((m) => m.client_id === "c-7")!;
    assert.equal(failed.failed, "The server cannot be reached.");
    assert.deepEqual(failed.media_keys, ["uploads/k1"]);
    assert.deepEqual(failed.media, media);

    // When the network is back and the person presses Retry
    api.on("POST", "/conversations/d1/messages", (body) => message(2, { sender: "me", client_id: "c-7", text: "the shop", media, ...(body as object) }));
    await store.retry(failed);

    const sent = api.requests.filter((r) => r.method === "POST").map((r) => r.body);
    assert.deepEqual(sent.at(-1), { client_id: "c-7", text: "the shop", media: ["uploads/k1"] });
    const after = shown(store).filter((m) => m.client_id === "c-7");
    assert.deepEqual(after.map((m) => [m.id, m.pending ?? false, m.failed, m.media_keys]), [["m2", false, undefined, undefined]]);
  });
});

describe("catch-up never moves the read horizon back", () => {
  test("a sync answer read before a read on another device keeps the newer horizon", async () => {
    const { store, api } = await storeWith([message(1), message(2), message(3)], { read_seq: 1, unread_count: 2 });
    api.hold("POST", "/sync");
    const syncing = store.sync(["d1"]);
    // another device reads up to 3 while the sync is on its way
    await store.handle({ type: "conversation.read", data: { conversation_id: "d1", user_id: "me", seq: 3, unread_count: 0 } });
    api.held.get("POST /sync")!.resolve({
      conversations: { d1: { messages: [], next_cursor: null, through_seq: 3, last_seq: 3, read_seq: 1, unread_count: 2 } },
    });
    await syncing;
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.read_seq, after.unread_count], [3, 0]);
  });

  test("a newer horizon in the answer is taken", async () => {
    const { store, api } = await storeWith([message(1), message(2)], { read_seq: 0, unread_count: 2 });
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [], next_cursor: null, through_seq: 2, last_seq: 2, read_seq: 2, unread_count: 0 } },
    });
    await store.sync(["d1"]);
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.read_seq, after.unread_count], [2, 0]);
  });
});

describe("the unread total (tab title, app badge)", () => {
  test("leaves out hidden and muted conversations", async () => {
    const api = new FakeApi().on("GET", "/conversations?limit=100", {
      items: [
        conversation({ id: "d1", last_seq: 3, unread_count: 3 }),
        conversation({ id: "d2", last_seq: 2, unread_count: 2, hidden: true }),
        conversation({ id: "d3", last_seq: 4, unread_count: 4, muted: true }),
      ],
      next_cursor: null,
    });
    const store = new Store(api, ME);
    await store.loadMoreConversations();
    assert.equal(store.totalUnread(), 3);
  });

  test("counts a hidden conversation again when a message brings it back", async () => {
    const { store } = await storeWith([message(1)], { hidden: true });
    assert.equal(store.totalUnread(), 0);
    await store.handle({ type: "message.created", data: message(2) });
    assert.equal(store.totalUnread(), 1);
  });
});

function interaction(changes: Partial<Interaction> = {}): Interaction {
  return {
    id: "i1",
    state: "offered",
    queue_id: "q1",
    agent_id: "me",
    conversation_id: "s1",
    channel: "+14155550100",
    customer: { id: "k1", name: "Ann", phone: "+14155550199" },
    created_at: "2026-01-01T00:00:00.000Z",
    offer_expires_at: "2026-01-01T00:00:30+00:00",
    ...changes,
  };
}

describe("the agent console's interactions", () => {
  test("an offer that arrives while the list is being read is kept", async () => {
    const api = new FakeApi();
    api.hold("GET", "/interactions?limit=100");
    const store = new Store(api, ME);
    const loading = store.cc.loadInteractions();
    await store.handle({ type: "interaction.offered", data: interaction({ id: "fresh" }) });
    api.held.get("GET /interactions?limit=100")!.resolve({ items: [interaction({ id: "listed", state: "active" })], next_cursor: null });
    await loading;
    assert.deepEqual([...store.state.cc.interactions.keys()].sort(), ["fresh", "listed"]);
  });

  test("one not listed and unchanged while the list was read leaves", async () => {
    const api = new FakeApi().on("GET", "/interactions?limit=100", { items: [], next_cursor: null });
    const store = new Store(api, ME);
    await store.handle({ type: "interaction.offered", data: interaction() });
    await store.cc.loadInteractions();
    assert.equal(store.state.cc.interactions.size, 0);
  });

  test("a late offer does not bring back an interaction already accepted or ended", () => {
    const offered = interaction();
    const active = mergeInteraction(offered, interaction({ state: "active", offer_expires_at: undefined }));
    assert.equal(mergeInteraction(active, offered).state, "active");
    const ended = mergeInteraction(active, interaction({ state: "ended", offer_expires_at: undefined }));
    assert.equal(mergeInteraction(ended, offered).state, "ended");
    assert.equal(mergeInteraction(ended, interaction({ state: "active" })).state, "ended");
  });

  test("a new offer of the same interaction (later expiry) is taken", () => {
    const active = mergeInteraction(interaction(), interaction({ state: "active" }));
    const again = interaction({ offer_expires_at: "2026-01-01T00:05:30+00:00" });
    assert.equal(mergeInteraction(active, again).state, "offered");
  });

  test("the server's version orders copies when both carry it", () => {
    const v3 = interaction({ state: "active", version: 3 });
    assert.equal(mergeInteraction(v3, interaction({ state: "wrap_up", version: 2 })).state, "active");
    assert.equal(mergeInteraction(v3, interaction({ state: "offered", version: 4 })).state, "offered");
  });
});

describe("the saved offline copy", () => {
  const saved = (savedAt: number): Saved => ({
    version: 2, username: "bob", saved_at: new Date(savedAt).toISOString(), me: ME,
    users: [], contacts: [], conversations: [], threads: {}, activeId: null,
  });

  test("is offered to its own user while it is young", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    assert.ok(usableSaved(saved(now - 60_000), "bob", now));
    assert.equal(usableSaved(saved(now - 60_000), "alice", now), null);
  });

  test("is not offered once older than its age limit", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    assert.equal(usableSaved(saved(now - SAVED_MAX_AGE_MS - 1), "bob", now), null);
    assert.equal(usableSaved({ ...saved(now), saved_at: "not a date" }, "bob", now), null);
  });
});

describe("attachments", () => {
  test("a dropped file of no known type is refused with the reason", () => {
    const folder = new File([], "Invoices");
    const data = { files: [folder] } as unknown as DataTransfer;
    const files = filesOf(data);
    assert.equal(files.length, 1);
    assert.match(attachReason(files, DEFAULT_LIMITS, null), /Invoices cannot be sent: its kind of file is unknown/);
  });

  test("a WebP picture goes in an IM but not in a text", () => {
    const webp = new File([new Uint8Array(10)], "cat.webp", { type: "image/webp" });
    assert.equal(attachReason([webp], DEFAULT_LIMITS, null), "");
    assert.match(attachReason([webp], DEFAULT_LIMITS, { to: "+14155550199", from: "+14155550100" }), /only JPEG, PNG, GIF, PDF files/);
  });

  test("MMS switched off refuses any attachment to a text", () => {
    const png = new File([new Uint8Array(10)], "a.png", { type: "image/png" });
    const off = { ...DEFAULT_LIMITS, sms: { ...DEFAULT_LIMITS.sms, enabled: false } };
    assert.match(attachReason([png], off, { to: "+14155550199", from: "+14155550100" }), /MMS is switched off/);
  });
});

describe("the contact center's set-up forms", () => {
  test("a new queue or canned reply with an ID in use is refused beside the field", () => {
    assert.match(checkNewId("support", ["sales", "support"], "queue"), /A queue with the ID support already exists/);
    assert.equal(checkNewId("billing", ["sales", "support"], "queue"), "");
  });

  test("time zones are listed without Intl.supportedValuesOf (older Safari)", () => {
    const zones = timeZones({});
    assert.equal(zones[0], "UTC");
    assert.ok(zones.includes("America/New_York"));
    assert.deepEqual(timeZones({ supportedValuesOf: () => ["Europe/Paris", "UTC"] }), ["UTC", "Europe/Paris"]);
    assert.ok(timeZones({ supportedValuesOf: () => { throw new RangeError("no"); } }).length > 1);
  });
});
