/**
 * The store's merge and ordering rules, driven as the app drives them: REST answers
 * from a fake API, WebSocket frames through `store.handle`, in the orders the network
 * can deliver them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ServerFrame } from "../src/lib/frames.ts";
import { ApiError } from "../src/lib/http.ts";
import { previewLine, previewOf } from "../src/lib/store_rules.ts";
import { Store } from "../src/lib/store.ts";
import { conversation, FakeApi, ME, message, shown, storeWith } from "./fake_api.ts";

const created = (data: ReturnType<typeof message>): ServerFrame => ({ type: "message.created", data });
const updated = (data: ReturnType<typeof message>): ServerFrame => ({ type: "message.updated", data });

/** Waits (a bounded number of turns) until the held request `key` has been made. */
async function inFlight(api: FakeApi, key: string): Promise<void> {
  for (let turn = 0; turn < 100 && !api.held.has(key); turn++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(api.held.has(key), `${key} was never asked`);
}

describe("delivery statuses only move forward", () => {
  test("a delivered after a sent shows delivered", async () => {
    const { store } = await storeWith([message(1, { sender: "me", status: "sent" })]);
    await store.handle(updated(message(1, { sender: "me", status: "delivered" })));
    assert.equal(shown(store)[0]?.status, "delivered");
  });

  test("a stale sent after delivered never downgrades", async () => {
    const { store } = await storeWith([message(1, { sender: "me", status: "queued" })]);
    await store.handle(updated(message(1, { sender: "me", status: "delivered" })));
    await store.handle(updated(message(1, { sender: "me", status: "sent" })));
    assert.equal(shown(store)[0]?.status, "delivered");
  });

  test("a page read before the status event, landing after it, keeps the newer status", async () => {
    const { store } = await storeWith([message(1, { sender: "me", status: "sent" })]);
    await store.handle(updated(message(1, { sender: "me", status: "failed", error_code: "30003" })));
    store.putMessages("d1", [message(1, { sender: "me", status: "sent", error_code: null })]);
    assert.equal(shown(store)[0]?.status, "failed");
    assert.equal(shown(store)[0]?.error_code, "30003");
  });
});

describe("placeholders", () => {
  test("an optimistic send is shown at once, then replaced by the server's message", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/conversations/d1/messages");
    const sending = store.send("d1", "hello", "c-1");
    assert.deepEqual(shown(store).map((m) => [m.text, m.pending ?? false]), [["text 1", false], ["hello", true]]);
    api.held.get("POST /conversations/d1/messages")!.resolve(message(2, { sender: "me", client_id: "c-1", text: "hello" }));
    await sending;
    assert.deepEqual(shown(store).map((m) => [m.id, m.pending ?? false]), [["m1", false], ["m2", false]]);
  });

  test("the server's message.created before the send's answer is shown once", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/conversations/d1/messages");
    const sending = store.send("d1", "hello", "c-1");
    const stored = message(2, { sender: "me", client_id: "c-1", text: "hello" });
    await store.handle(created(stored));
    assert.deepEqual(shown(store).map((m) => m.id), ["m1", "m2"]);
    api.held.get("POST /conversations/d1/messages")!.resolve(stored);
    await sending;
    assert.deepEqual(shown(store).map((m) => m.id), ["m1", "m2"]);
  });

  test("another person's message with the same client_id is not taken for my placeholder", async () => {
    const { store, api } = await storeWith([]);
    api.hold("POST", "/conversations/d1/messages");
    void store.send("d1", "mine", "same");
    await store.handle(created(message(1, { sender: "ann", client_id: "same", text: "theirs" })));
    assert.deepEqual(shown(store).map((m) => m.text), ["theirs", "mine"]);
    assert.equal(shown(store)[1]?.pending, true);
  });

  test("a send that failed is marked, and a retry replaces the failed copy", async () => {
    const { store, api } = await storeWith([]);
    api.on("POST", "/conversations/d1/messages", () => {
      throw new ApiError(0, "network_error", "The server cannot be reached.");
    });
    await store.send("d1", "hello", "c-1");
    assert.equal(shown(store).length, 1);
    assert.equal(shown(store)[0]?.failed, "The server cannot be reached.");
    api.on("POST", "/conversations/d1/messages", message(1, { sender: "me", client_id: "c-1", text: "hello" }));
    await store.retry(shown(store)[0]!);
    assert.deepEqual(shown(store).map((m) => [m.id, m.failed]), [["m1", undefined]]);
  });
});

describe("re-sync during a send", () => {
  test("a catch-up that brings the message being sent replaces its placeholder", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/conversations/d1/messages");
    const sending = store.send("d1", "hello", "c-1");
    const stored = message(2, { sender: "me", client_id: "c-1", text: "hello" });
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [stored], next_cursor: null, through_seq: 2, last_seq: 2, read_seq: 2, unread_count: 0 } },
    });
    await store.catchUp();
    assert.deepEqual(shown(store).map((m) => [m.id, m.pending ?? false]), [["m1", false], ["m2", false]]);
    api.held.get("POST /conversations/d1/messages")!.resolve(stored);
    await sending;
    assert.deepEqual(shown(store).map((m) => m.id), ["m1", "m2"]);
  });

  test("the send's answer lost after the catch-up brought the message: no failed twin", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/conversations/d1/messages");
    const sending = store.send("d1", "hello", "c-1");
    api.on("POST", "/sync", {
      conversations: {
        d1: { messages: [message(2, { sender: "me", client_id: "c-1", text: "hello" })], next_cursor: null, through_seq: 2, last_seq: 2, read_seq: 2, unread_count: 0 },
      },
    });
    await store.catchUp();
    api.held.get("POST /conversations/d1/messages")!.reject(new ApiError(0, "network_error", "lost"));
    await sending;
    assert.deepEqual(shown(store).map((m) => [m.id, m.failed]), [["m1", undefined], ["m2", undefined]]);
  });

  test("catch-up asks from the end of the unbroken run of shown messages", async () => {
    const { store, api } = await storeWith([message(1), message(2), message(4)]);
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [message(3)], next_cursor: null, through_seq: 4, last_seq: 4, read_seq: 4, unread_count: 0 } },
    });
    await store.catchUp();
    const sync = api.requests.find((r) => r.path === "/sync");
    assert.deepEqual(sync?.body, { conversations: { d1: 2 }, limit: 100 });
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2, 3, 4]);
    assert.equal(store.syncFrom("d1"), 4);
  });

  test("a live message whose seq skips one fetches the gap", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [message(2), message(3)], next_cursor: null, through_seq: 3, last_seq: 3, read_seq: 1, unread_count: 2 } },
    });
    await store.handle(created(message(3)));
    assert.deepEqual(api.requests.find((r) => r.path === "/sync")?.body, { conversations: { d1: 1 }, limit: 100 });
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2, 3]);
  });

  test("a catch-up while a gap's sync is in flight ends only once the gap is shown", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/sync");
    const live = store.handle(created(message(4))); // the gap's sync: in flight
    let caughtUp = false;
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [], next_cursor: null, through_seq: 4, last_seq: 4, read_seq: 1, unread_count: 3 } },
    });
    const catching = store.catchUp().then(() => { caughtUp = true; });
    await inFlight(api, "POST /sync");
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(caughtUp, false, "the reconnect's catch-up must not end while the gap is being read");
    api.held.get("POST /sync")!.resolve({
      conversations: { d1: { messages: [message(2), message(3)], next_cursor: null, through_seq: 4, last_seq: 4, read_seq: 1, unread_count: 3 } },
    });
    await Promise.all([live, catching]);
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2, 3, 4]);
    // nothing is behind once the sync in flight ended: it is not asked again
    const syncs = api.requests.filter((r) => r.path === "/sync").map((r) => r.body);
    assert.deepEqual(syncs, [{ conversations: { d1: 1 }, limit: 100 }]);
  });

  test("a live message that skips one is listed and alerts, though its gap's sync moves last_seq", async () => {
    const { store, api } = await storeWith([message(1)]);
    const alerts: string[] = [];
    store.onIncoming = (_conversation, m) => alerts.push(m.id);
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [message(2)], next_cursor: null, through_seq: 3, last_seq: 3, read_seq: 1, unread_count: 2 } },
    });
    await store.handle(created(message(3)));
    assert.deepEqual(alerts, ["m3"]);
    const listed = store.state.conversations.get("d1")!;
    assert.deepEqual([listed.last_seq, listed.last_message?.id, listed.unread_count], [3, "m3", 2]);
  });

  test("a gap's sync that fails leaves the message shown and asks again at the next gap", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.on("POST", "/sync", () => {
      throw new ApiError(0, "network_error", "The server cannot be reached.");
    });
    await store.handle(created(message(3))); // settles: no rejection left unhandled
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 3]);
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [message(2), message(4)], next_cursor: null, through_seq: 5, last_seq: 5, read_seq: 1, unread_count: 4 } },
    });
    await store.handle(created(message(5)));
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2, 3, 4, 5]);
  });

  test("a sync in flight that read before the newest message is asked again after it", async () => {
    const { store, api } = await storeWith([message(1)]);
    api.hold("POST", "/sync");
    const first = store.handle(created(message(3)));
    api.on("POST", "/sync", {
      conversations: { d1: { messages: [message(4)], next_cursor: null, through_seq: 5, last_seq: 5, read_seq: 1, unread_count: 4 } },
    });
    await inFlight(api, "POST /sync");
    const second = store.handle(created(message(5)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // the sync in flight read before message 4 was stored: it brings 2 only
    api.held.get("POST /sync")!.resolve({
      conversations: { d1: { messages: [message(2)], next_cursor: null, through_seq: 3, last_seq: 3, read_seq: 1, unread_count: 2 } },
    });
    await Promise.all([first, second]);
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(api.requests.filter((r) => r.path === "/sync").map((r) => r.body), [
      { conversations: { d1: 1 }, limit: 100 },
      { conversations: { d1: 3 }, limit: 100 },
    ]);
  });

  test("a message arriving while the thread's first page is read is kept", async () => {
    const { store, api } = await storeWith([]);
    api.hold("GET", "/conversations/d2/messages?limit=50");
    api.on("GET", "/conversations/d2", { ...store.state.conversations.get("d1")!, id: "d2" });
    const loading = store.loadThread("d2");
    await store.handle(created(message(5, { conversation_id: "d2" })));
    api.held.get("GET /conversations/d2/messages?limit=50")!.resolve({ items: [message(4, { conversation_id: "d2" })], next_cursor: null });
    await loading;
    assert.deepEqual(shown(store, "d2").map((m) => m.seq), [4, 5]);
  });
});

describe("deleted messages never come back", () => {
  test("an older message.created after the delete leaves it deleted", async () => {
    const first = message(1);
    const preview = { id: first.id, seq: 1, sender: first.sender, text: first.text, created_at: first.created_at, deleted: false };
    const { store } = await storeWith([first], { last_message: preview });
    await store.handle(updated(message(1, { deleted: true, text: "" })));
    await store.handle(created(message(1)));
    assert.equal(shown(store)[0]?.deleted, true);
    assert.equal(shown(store)[0]?.text, "");
    assert.equal(store.state.conversations.get("d1")?.last_message?.deleted, true);
  });

  test("a page read before the delete, landing after it, leaves it deleted", async () => {
    const { store } = await storeWith([message(2)]);
    await store.handle(updated(message(2, { deleted: true, text: "" })));
    store.putMessages("d1", [message(1), message(2)]);
    assert.deepEqual(shown(store).map((m) => [m.seq, m.deleted ?? false, m.text]), [[1, false, "text 1"], [2, true, ""]]);
  });

  test("a delete heard before the message was ever shown still applies to its page", async () => {
    const { store, api } = await storeWith([]);
    api.on("GET", "/conversations/d2", { ...store.state.conversations.get("d1")!, id: "d2" });
    await store.handle(updated(message(7, { conversation_id: "d2", deleted: true, text: "" })));
    api.on("GET", "/conversations/d2/messages?limit=50", { items: [message(7, { conversation_id: "d2" })], next_cursor: null });
    await store.loadThread("d2");
    assert.equal(shown(store, "d2")[0]?.deleted, true);
    assert.equal(shown(store, "d2")[0]?.text, "");
  });
});

describe("unread counts", () => {
  test("another person's message counts; my own moves my read horizon", async () => {
    const { store } = await storeWith([message(1)]);
    await store.handle(created(message(2)));
    assert.equal(store.state.conversations.get("d1")?.unread_count, 1);
    await store.handle(created(message(3, { sender: "me" })));
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.last_seq, after.read_seq, after.unread_count], [3, 3, 0]);
  });

  test("a read on another of my devices lowers the count; a stale one never raises it", async () => {
    const { store } = await storeWith([message(1)]);
    for (const seq of [2, 3, 4]) await store.handle(created(message(seq)));
    assert.equal(store.state.conversations.get("d1")?.unread_count, 3);
    await store.handle({ type: "conversation.read", data: { conversation_id: "d1", user_id: "me", seq: 3, unread_count: 1 } });
    assert.equal(store.state.conversations.get("d1")?.unread_count, 1);
    await store.handle({ type: "conversation.read", data: { conversation_id: "d1", user_id: "me", seq: 2, unread_count: 2 } });
    assert.equal(store.state.conversations.get("d1")?.unread_count, 1);
    await store.handle({ type: "conversation.read", data: { conversation_id: "d1", user_id: "ann", seq: 4, unread_count: 0 } });
    assert.equal(store.state.conversations.get("d1")?.unread_count, 1);
  });

  test("the same message twice (delivery is at least once) counts once", async () => {
    const { store } = await storeWith([message(1)]);
    await store.handle(created(message(2)));
    await store.handle(created(message(2)));
    assert.equal(store.state.conversations.get("d1")?.unread_count, 1);
    assert.deepEqual(shown(store).map((m) => m.seq), [1, 2]);
  });

  test("marking read sends the horizon and zeroes the count; muted conversations are not in the total", async () => {
    const { store, api } = await storeWith([message(1)]);
    await store.handle(created(message(2)));
    assert.equal(store.totalUnread(), 1);
    api.on("POST", "/conversations/d1/read", {});
    await store.markRead("d1");
    assert.deepEqual(api.requests.at(-1), { method: "POST", path: "/conversations/d1/read", body: { seq: 2 } });
    assert.equal(store.totalUnread(), 0);
    await store.handle(created(message(3)));
    store.patchConversation("d1", { muted: true });
    assert.equal(store.totalUnread(), 0);
  });

  test("a shared conversation change keeps my horizon and recounts from last_seq", async () => {
    const { store } = await storeWith([message(1)]);
    await store.handle({ type: "conversation.updated", data: { id: "d1", name: "Team", last_seq: 4, read_seq: 0, unread_count: 9 } });
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.name, after.read_seq, after.unread_count], ["Team", 1, 3]);
  });
});

describe("delete for me", () => {
  test("a message deleted for me never comes back, whatever copy arrives later", async () => {
    const { store } = await storeWith([message(1), message(2)]);
    store.forgetMessage("d1", "m1");
    assert.deepEqual(shown(store).map((m) => m.id), ["m2"]);
    await store.handle(updated(message(1, { text: "edited" })));
    store.putMessages("d1", [message(1)]);
    assert.deepEqual(shown(store).map((m) => m.id), ["m2"]);
  });

  test("a message deleted for me leaves the list's preview to the one before it", async () => {
    const { store } = await storeWith([message(1), message(2), message(3)], { last_message: previewOf(message(3)) });
    store.forgetMessage("d1", "m3");
    assert.equal(store.state.conversations.get("d1")?.last_message?.id, "m2");
    store.forgetMessage("d1", "m1"); // not the preview: it stays
    assert.equal(store.state.conversations.get("d1")?.last_message?.id, "m2");
    store.forgetMessage("d1", "m2");
    assert.equal(store.state.conversations.get("d1")?.last_message, null);
  });

  test("a delete for me on another of my devices takes the message and its preview here too", async () => {
    const { store } = await storeWith([message(1), message(2)], { last_message: previewOf(message(2)) });
    await store.handle(updated(message(2, { text: "", hidden: true })));
    assert.deepEqual(shown(store).map((m) => m.id), ["m1"]);
    assert.equal(store.state.conversations.get("d1")?.last_message?.text, "text 1");
    await store.handle(updated(message(2, { status: "delivered" }))); // a late status: still gone
    assert.deepEqual(shown(store).map((m) => m.id), ["m1"]);
    assert.equal(store.state.conversations.get("d1")?.last_message?.id, "m1");
  });

  test("a hidden conversation comes back even when a list read already brought its new message", async () => {
    const { store } = await storeWith([message(1)]);
    store.patchConversation("d1", { hidden: true });
    const next = message(2);
    // the conversation list, read in the meantime, already has message 2 as the last one
    store.patchConversation("d1", { last_seq: 2, last_message: { id: next.id, seq: 2, sender: next.sender, text: next.text, created_at: next.created_at, deleted: false } });
    await store.handle(created(next));
    assert.equal(store.state.conversations.get("d1")?.hidden, false);
  });

  test("a hidden conversation comes back with the next message", async () => {
    const { store } = await storeWith([message(1)]);
    store.patchConversation("d1", { hidden: true });
    await store.handle(created(message(2)));
    assert.equal(store.state.conversations.get("d1")?.hidden, false);
  });

  test("a shared conversation change never brings back a message I hid into my preview", async () => {
    const { store } = await storeWith([message(1), message(2)], { last_message: previewOf(message(2)) });
    store.forgetMessage("d1", "m2");
    // the conversation's own last message (m2) rides on a rename seen by every member
    await store.handle({ type: "conversation.updated", data: { id: "d1", name: "Team", last_seq: 2, last_message: previewOf(message(2)) } });
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.name, after.last_message?.id], ["Team", "m1"]);
    // a change that comes with a newer message takes its preview
    await store.handle({ type: "conversation.updated", data: { id: "d1", name: "Team", last_seq: 3, last_message: previewOf(message(3)) } });
    assert.equal(store.state.conversations.get("d1")?.last_message?.id, "m3");
  });

  test("a delete for me of everything on another device empties the preview", async () => {
    const { store } = await storeWith([message(1)], { last_message: previewOf(message(1)) });
    await store.handle({ type: "conversation.updated", data: { id: "d1", last_seq: 1, cleared_seq: 1, last_message: null, removed: [] } });
    assert.equal(store.state.conversations.get("d1")?.last_message, null);
  });

  test("a hide heard before its message was shown moves the head only: no preview, no alert", async () => {
    const { store } = await storeWith([message(1)], { last_message: previewOf(message(1)) });
    const alerts: string[] = [];
    store.onIncoming = (_conversation, m) => alerts.push(m.id);
    await store.handle(updated(message(2, { text: "", hidden: true })));
    await store.handle(created(message(2, { text: "the hidden text" })));
    const after = store.state.conversations.get("d1")!;
    assert.deepEqual([after.last_seq, after.last_message?.id, after.last_message?.text], [2, "m1", "text 1"]);
    assert.deepEqual(alerts, []);
    assert.equal(store.state.flash.has("d1"), false);
    assert.deepEqual(shown(store).map((m) => m.id), ["m1"]);
  });

  test("a hide on another device of a conversation not opened here reads its preview from the server", async () => {
    const api = new FakeApi();
    const listed = conversation({ last_seq: 2, read_seq: 2, last_message: previewOf(message(2)) });
    api.on("GET", "/conversations?limit=100", { items: [listed], next_cursor: null });
    api.on("GET", "/conversations/d1", { ...listed, last_message: previewOf(message(1)) });
    const store = new Store(api, ME);
    store.later = () => undefined;
    await store.loadMoreConversations();
    await store.handle(updated(message(2, { text: "", hidden: true })));
    const deadline = Date.now() + 2000;
    while (store.state.conversations.get("d1")?.last_message?.id !== "m1" && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(store.state.conversations.get("d1")?.last_message?.text, "text 1");
    assert.ok(api.requests.some((r) => r.method === "GET" && r.path === "/conversations/d1"));
  });
});

describe("notes", () => {
  test("a note that is the last message shows in the list as a note, not as a text of mine", async () => {
    const { store } = await storeWith([message(1)]);
    await store.handle(created(message(2, { sender: "me", channel: "note", text: "called back" })));
    const last = store.state.conversations.get("d1")!.last_message;
    assert.equal(last?.channel, "note");
    assert.equal(previewLine(last, "me"), "Note: called back");
    assert.equal(previewLine(previewOf(message(3, { sender: "me", text: "hi" })), "me"), "You: hi");
  });
});
