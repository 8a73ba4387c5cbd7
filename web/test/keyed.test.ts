/** State that belongs to a key (ui/keyed.ts): it starts over when the key changes, in
 * the read that sees the change, and a setter of an earlier visit changes nothing. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyedCell } from "../src/ui/keyed.ts";

test("a new key starts over from its initial value at once; the same key keeps what was set", () => {
  const cell = new KeyedCell<string | null>("a", null);
  const [, visit] = cell.read("a", null);
  assert.equal(cell.write(visit, "card of bob"), true);
  assert.deepEqual(cell.read("a", null)[0], "card of bob");
  assert.deepEqual(cell.read("b", null)[0], null);
});

test("the initial value may be computed, once per visit", () => {
  let made = 0;
  const initial = () => `draft ${++made}`;
  const cell = new KeyedCell("a", initial);
  assert.equal(cell.read("a", initial)[0], "draft 1");
  assert.equal(cell.read("a", initial)[0], "draft 1");
  assert.equal(cell.read("b", initial)[0], "draft 2");
});

test("a setter of an earlier visit is dropped, even when the key has come back", () => {
  const cell = new KeyedCell("a", "");
  const [, first] = cell.read("a", "");
  cell.read("b", "");
  const [, again] = cell.read("a", "");
  assert.equal(cell.write(first, "an upload of the first visit failed"), false);
  assert.equal(cell.read("a", "")[0], "");
  assert.equal(cell.write(again, "typed now"), true);
  assert.equal(cell.read("a", "")[0], "typed now");
});

test("updates apply at once and in order, so two before a render keep both", () => {
  const cell = new KeyedCell<Record<string, string>>("policy", () => ({}));
  const [, visit] = cell.read("policy", () => ({}));
  cell.write(visit, (old) => ({ ...old, sender_name: "Acme Plumbing" }));
  cell.write(visit, (old) => ({ ...old, toll_free: "never" }));
  assert.deepEqual(cell.read("policy", () => ({}))[0], { sender_name: "Acme Plumbing", toll_free: "never" });
});

test("writing the value it already holds is no change (no render asked)", () => {
  const cell = new KeyedCell("a", -1);
  const [, visit] = cell.read("a", -1);
  assert.equal(cell.write(visit, -1), false);
  assert.equal(cell.write(visit, (at) => at + 1), true);
});
