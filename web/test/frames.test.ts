/** Frames off the socket: only ours, with object data, reach the store. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseFrame } from "../src/lib/frames.ts";

test("a known frame type with object data is parsed", () => {
  assert.deepEqual(parseFrame('{"type":"typing","data":{"conversation_id":"d1","user_id":"u"}}'), {
    type: "typing",
    data: { conversation_id: "d1", user_id: "u" },
  });
});

test("bad JSON, unknown types, inherited names and non-object data are dropped", () => {
  for (const text of ["not json", "[]", '"x"', '{"type":"nope","data":{}}', '{"type":"toString","data":{}}',
    '{"type":"typing","data":null}', '{"type":"typing","data":[1]}', '{"type":"typing"}', '{"data":{}}']) {
    assert.equal(parseFrame(text), null, text);
  }
});
