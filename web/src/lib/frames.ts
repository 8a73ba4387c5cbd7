/**
 * Every WebSocket frame, typed in one place (frames are not in the OpenAPI document).
 *
 * - `ServerEvent`: what the server's fan-out sends (chalicelib/services/realtime.py,
 *   the stream's and the contact center's events, typing, the missed-messages notice);
 * - `ServerReply`: its answer to one of this device's actions (`data.request_id` echoes
 *   the action's);
 * - `ClientAction`: what a device may send, one member per entry of the server's
 *   `ACTIONS` table (chalicelib/api/websocket.py).
 *
 * tests/build/test_frames.py reads the type names below and the server's, so the two
 * cannot drift apart; switches over `ServerFrame["type"]` end in `unhandled(frame)`, so
 * a new frame type fails the typecheck until every switch says what it does with it.
 */
import type { Interaction, MonitoredMessage, QueueStats, TimelineEntry } from "./cc_types";
import type { Conversation, Message, MissedNotice, Presence, SyncResult } from "./types";

/** A frame as parsed off the socket, before it is known to be one of ours. */
export interface RawFrame {
  type: string;
  data?: unknown;
}

export interface ConversationRead {
  conversation_id: string;
  user_id: string;
  seq: number;
  unread_count?: number;
}

/** A conversation's shared fields changed (name, members, ...); `removed`: members who left. */
export type ConversationUpdate = Partial<Conversation> & { id: string; removed?: string[] };

export interface PresenceChange {
  user_id: string;
  /** an agent's routing status rides along (`agent_status`) */
  presence: Presence & { agent_status?: string };
}

export interface Typing {
  conversation_id: string;
  user_id: string;
  expires_in?: number;
}

export type ServerEvent =
  | { type: "message.created"; data: Message }
  | { type: "message.updated"; data: Message }
  | { type: "conversation.read"; data: ConversationRead }
  | { type: "conversation.updated"; data: ConversationUpdate }
  | { type: "presence.changed"; data: PresenceChange }
  | { type: "notification.missed"; data: MissedNotice }
  | { type: "typing"; data: Typing }
  | { type: "interaction.offered"; data: Interaction }
  | { type: "interaction.updated"; data: Interaction }
  | { type: "queue.updated"; data: QueueStats }
  | { type: "interaction.timeline"; data: TimelineEntry }
  | { type: "interaction.message"; data: MonitoredMessage }
  | { type: "registration.needs_updates"; data: Record<string, unknown> };

type Reply<T = object> = T & { request_id?: unknown };

export type ServerReply =
  | { type: "pong"; data: Reply }
  | { type: "state.ack"; data: Reply<{ state: string }> }
  | { type: "message.ack"; data: Reply<{ created: boolean; message: Message }> }
  | { type: "read.ack"; data: Reply<{ conversation: Conversation }> }
  | { type: "sync.result"; data: Reply<SyncResult> }
  | { type: "presence.snapshot"; data: Reply<{ users?: Record<string, Presence> }> }
  | { type: "error"; data: Reply<{ code: string; message: string }> };

export type ServerFrame = ServerEvent | ServerReply;
export type ServerFrameType = ServerFrame["type"];

export type ClientAction =
  | { action: "ping" }
  | { action: "send"; conversation_id: string; client_id: string; text?: string; media?: string[] }
  | { action: "read"; conversation_id: string; seq: number }
  | { action: "sync"; conversations: Record<string, number>; limit?: number }
  | { action: "typing"; conversation_id: string }
  | { action: "state"; state: "foreground" | "background" }
  | { action: "presence.subscribe"; user_ids: string[] };

export type ActionName = ClientAction["action"];

/** Every server frame type, once: a `Record` over the union, so none is missing or extra. */
const SERVER_FRAME_TYPES: Record<ServerFrameType, true> = {
  "message.created": true,
  "message.updated": true,
  "conversation.read": true,
  "conversation.updated": true,
  "presence.changed": true,
  "notification.missed": true,
  typing: true,
  "interaction.offered": true,
  "interaction.updated": true,
  "queue.updated": true,
  "interaction.timeline": true,
  "interaction.message": true,
  "registration.needs_updates": true,
  pong: true,
  "state.ack": true,
  "message.ack": true,
  "read.ack": true,
  "sync.result": true,
  "presence.snapshot": true,
  error: true,
};

export function isServerFrameType(type: string): type is ServerFrameType {
  return Object.hasOwn(SERVER_FRAME_TYPES, type);
}

/** A frame off the socket as one of ours; null for anything else (bad JSON, a type this
 * client does not know, data that is not an object). */
export function parseFrame(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const { type, data } = raw as RawFrame;
  if (typeof type !== "string" || !isServerFrameType(type)) return null;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  return raw as ServerFrame;
}

/** The end of an exhaustive switch: a frame type no case handles fails the typecheck. */
export function unhandled(frame: never): void {
  void frame;
}
