/** The contact center's set-up: the client's checks by the API's rules, which field an
 * API error names, and the store's `cc.setup` taking the API's answers (never the form's). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DAYS, RULES, checkHours, checkSkills, checkText, checkWhole, fieldOfError, span, type FieldErrors } from "../src/lib/cc_setup_rules.ts";
import { ApiError } from "../src/lib/http.ts";
import { Store } from "../src/lib/store.ts";
import { FakeApi, ME } from "./fake_api.ts";

test("a blank or control-character name is refused, a name with spaces inside is not", () => {
  const rule = RULES.queue.name!;
  assert.match(checkText(rule, "name", ""), /required/);
  assert.match(checkText(rule, "name", "   "), /blank/);
  assert.match(checkText(rule, "name", "Sup\u0000port"), /blank or hold control/);
  assert.equal(checkText(rule, "name", "Night support"), "");
});

test("lengths are counted in characters, as the API counts them, not UTF-16 units", () => {
  const rule = RULES.canned.shortcut!; // at most 40
  assert.equal(checkText(rule, "shortcut", "😀".repeat(40)), "");
  assert.match(checkText(rule, "shortcut", "😀".repeat(41)), /at most 40/);
});

test("whole numbers are bounded by the API's row; empty means the API's default", () => {
  const rule = RULES.queue.offer_timeout_s!;
  assert.equal(checkWhole(rule, "offer_timeout_s", ""), "");
  assert.equal(checkWhole(rule, "offer_timeout_s", "30"), "");
  assert.match(checkWhole(rule, "offer_timeout_s", "4"), /from 5 to 600/);
  assert.match(checkWhole(rule, "offer_timeout_s", "2.5"), /from 5 to 600/);
  assert.match(checkWhole(rule, "offer_timeout_s", "ten"), /from 5 to 600/);
});

test("skills: lowercase names, each once, levels 1-5; the error names the row", () => {
  const errors: FieldErrors = {};
  checkSkills([{ skill: "support", level: 3 }, { skill: "Sales", level: 1 }, { skill: "support", level: 2 }, { skill: "x", level: 6 }], errors, RULES.queue.skills!);
  assert.deepEqual(Object.keys(errors).sort(), ["skills.1", "skills.2", "skills.3"]);
  assert.match(errors["skills.3"]!, /level of x must be 1-5/);
});

test("hours: opening before closing; closing at 00:00 is midnight (24:00)", () => {
  const week = Object.fromEntries(DAYS.map((d) => [d, { open: false, from: "09:00", to: "17:00" }])) as Parameters<typeof checkHours>[0];
  week.mon = { open: true, from: "18:00", to: "09:00" };
  week.tue = { open: true, from: "18:00", to: "00:00" };
  const errors: FieldErrors = {};
  checkHours(week, errors, RULES.queue.hours!);
  assert.deepEqual(errors, { "hours.mon": "opening must be before closing" });
  assert.equal(span(week.tue), "18:00-24:00");
});

test("an API error code names the field of the form it belongs to, else the form", () => {
  assert.equal(fieldOfError("queue", "invalid_timezone"), "timezone");
  assert.equal(fieldOfError("queue", "invalid_overflow_queue_id"), "overflow_queue_id");
  assert.equal(fieldOfError("queue", "queue_not_found"), "overflow_queue_id");
  assert.equal(fieldOfError("channel", "number_not_found"), "e164");
  assert.equal(fieldOfError("agent", "queue_not_found"), "queues");
  assert.equal(fieldOfError("canned", "invalid_text"), "text");
  assert.equal(fieldOfError("canned", "invalid_queues"), "queues");
  assert.equal(fieldOfError("canned", "queue_not_found"), "queues");
  assert.equal(fieldOfError("queue", "invalid_body"), "");
  assert.equal(fieldOfError("agent", "admin_only"), "");
});

function setupApi(): FakeApi {
  const support = { queue_id: "q1", name: "Support", skills: {}, hours: {}, timezone: "UTC" };
  return new FakeApi()
    .on("GET", "/queues", { items: [support], next_cursor: null })
    .on("GET", "/admin/contact-center/channels", { items: [{ e164: "+14155550180", queue_id: "q1" }], next_cursor: null })
    .on("GET", "/admin/contact-center/agents", { items: [], next_cursor: null })
    .on("GET", "/canned-responses?limit=50", { items: [{ id: "r1", shortcut: "hi", title: "Hi", text: "Hello", queues: [] }], next_cursor: null })
    .on("GET", "/admin/numbers?limit=100", { items: [{ e164: "+14155550180", sms_capable: true, users: [] }], next_cursor: null });
}

test("a saved queue is the API's answer, in the set-up and in the queue names the pages show", async () => {
  const api = setupApi().on("PUT", "/admin/contact-center/queues/q1", () => ({ queue_id: "q1", name: "Help desk", skills: { support: 2 } }));
  const store = new Store(api, ME);
  await store.cc.setup.load();
  assert.equal(store.state.cc.setup.loaded, true);
  assert.equal(store.state.cc.setup.channels.length, 1);
  await store.cc.setup.saveQueue("q1", { name: "  Help desk  " });
  assert.deepEqual(store.state.cc.setup.queues.map((q) => q.name), ["Help desk"]);
  assert.equal(store.cc.queueName("q1"), "Help desk");
});

test("a refused save throws the API's error and changes nothing", async () => {
  const api = setupApi().on("PUT", "/admin/contact-center/queues/q2", () => {
    throw new ApiError(400, "invalid_timezone", "Mars/Olympus is not a time zone");
  });
  const store = new Store(api, ME);
  await store.cc.setup.load();
  const before = store.state.cc.setup;
  await assert.rejects(store.cc.setup.saveQueue("q2", { name: "Night", timezone: "Mars/Olympus" }), { code: "invalid_timezone" });
  assert.equal(store.state.cc.setup, before);
});

test("a new channel and an agent's profile are added; a set-up that cannot be read says why", async () => {
  const api = setupApi()
    .on("PUT", "/admin/contact-center/channels/%2B14155550199", { e164: "+14155550199", queue_id: "q1" })
    .on("PUT", "/admin/contact-center/agents/u1", { agent_id: "u1", name: "Ann", role: "agent", skills: {}, queues: ["q1"], max_concurrent: 6 });
  const store = new Store(api, ME);
  await store.cc.setup.load();
  await store.cc.setup.saveChannel("+14155550199", "q1");
  await store.cc.setup.saveAgent("u1", { queues: ["q1"] });
  assert.deepEqual(store.state.cc.setup.channels.map((c) => c.e164), ["+14155550180", "+14155550199"]);
  assert.deepEqual(store.state.cc.setup.agents.map((a) => a.agent_id), ["u1"]);

  const off = new Store(new FakeApi(), ME);
  await off.cc.setup.load();
  assert.match(off.state.cc.setup.error || "", /no answer for GET \/queues/);
});

test("a deleted queue, channel and canned reply leave the set-up and the queue names once the API says so", async () => {
  const api = setupApi()
    .on("DELETE", "/admin/contact-center/channels/%2B14155550180", undefined)
    .on("DELETE", "/admin/contact-center/queues/q1", undefined)
    .on("DELETE", "/admin/contact-center/canned-responses/r1", undefined);
  const store = new Store(api, ME);
  await store.cc.setup.load();
  await store.cc.setup.deleteChannel("+14155550180");
  await store.cc.setup.deleteQueue("q1");
  await store.cc.setup.deleteCanned("r1");
  const setup = store.state.cc.setup;
  assert.deepEqual([setup.channels, setup.queues, setup.canned, store.state.cc.queues], [[], [], [], []]);
});

test("a refused delete throws the API's reason and keeps the item", async () => {
  const api = setupApi().on("DELETE", "/admin/contact-center/queues/q1", () => {
    throw new ApiError(409, "queue_has_channels", "channels still route to this queue: +14155550180");
  });
  const store = new Store(api, ME);
  await store.cc.setup.load();
  const before = store.state.cc.setup;
  await assert.rejects(store.cc.setup.deleteQueue("q1"), { code: "queue_has_channels" });
  assert.equal(store.state.cc.setup, before);
});
