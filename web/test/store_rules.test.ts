/** The merge rules as pure functions, each on its own (the store applies them together). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { merged, mergeMessages, rank, unread } from "../src/lib/store_rules.ts";
import { message } from "./fake_api.ts";

test("statuses rank forward: queued, sending, sent, then the final ones", () => {
  assert.ok(rank("queued") < rank("sending") && rank("sending") < rank("sent") && rank("sent") < rank("delivered"));
  assert.equal(rank("delivered"), rank("failed"));
  assert.ok(rank("something new") < rank("queued"));
});

test("an older copy of a deleted message stays deleted, text and media too", () => {
  const gone = message(1, { deleted: true, deleted_at: "2026-01-02", text: "", media: [] });
  const older = message(1, { media: [{ index: 0, content_type: "image/png", size: 3 }] });
  const after = merged(gone, older);
  assert.deepEqual([after.deleted, after.deleted_at, after.text, after.media], [true, "2026-01-02", "", []]);
});

test("a placeholder's status is replaced by the server's, whatever it is", () => {
  const placeholder = message(0, { id: "pending:k", client_id: "k", status: "sending", pending: true });
  const stored = message(4, { client_id: "k", status: "queued" });
  assert.deepEqual(mergeMessages([placeholder], [stored]).map((m) => [m.id, m.status, m.pending]), [["m4", "queued", undefined]]);
});

test("messages sort by seq with placeholders last, one copy per id", () => {
  const placeholder = message(0, { id: "pending:k", client_id: "k", pending: true });
  const items = mergeMessages([placeholder, message(3)], [message(1), message(3), message(2)]);
  assert.deepEqual(items.map((m) => m.id), ["m1", "m2", "m3", "pending:k"]);
});

test("an id the server deleted is shown deleted when its message first arrives", () => {
  const items = mergeMessages([], [message(5)], new Set(["m5"]));
  assert.deepEqual([items[0]?.deleted, items[0]?.text], [true, ""]);
});

test("unread is last_seq minus read_seq, never below zero", () => {
  assert.equal(unread(7, 4), 3);
  assert.equal(unread(4, 7), 0);
});
