/** The API's objects (docs/api.md), as far as the client reads them. */
export interface Presence {
  status: string;
  chosen_status: string;
  message: string;
  message_expires_at: string | null;
  online: boolean;
  updated_at: string;
}

export interface User {
  user_id: string;
  company_id: string;
  name: string;
  email?: string;
  extension?: string;
  role: string;
  license_type?: string;
  numbers: string[];
  sms_enabled?: boolean;
  policy_id?: string | null;
  username?: string | null;
  enabled?: boolean;
  presence?: Presence;
  photo_url?: string | null;
  company?: { company_id: string; name: string; sms_enabled: boolean; im_enabled: boolean };
}

export interface Entity {
  type: "url" | "phone";
  start: number;
  end: number;
  url?: string;
  e164?: string;
}

export interface Media {
  index: number;
  content_type: string;
  size: number;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_id: string;
  sender: string;
  text: string;
  status: string;
  created_at: string;
  deleted?: boolean;
  entities?: Entity[];
  media?: Media[];
  channel?: string;
  direction?: string;
  segments?: number;
  encoding?: string;
  error_code?: string | null;
  /** client-side only: not yet acknowledged by the server */
  pending?: boolean;
  failed?: string;
}

export interface Conversation {
  id: string;
  type: "im" | "sms";
  group?: boolean;
  name?: string;
  members: string[];
  updated_at: string;
  last_seq: number;
  read_seq: number;
  unread_count: number;
  muted?: boolean;
  hidden?: boolean;
  last_message: Pick<Message, "id" | "seq" | "sender" | "text" | "created_at" | "deleted"> | null;
  business_number?: string;
  external_number?: string;
  peer_presence?: Presence;
}

export interface Contact {
  id: string;
  name: string;
  phone: string;
}

export interface SmsPreview {
  segments: number;
  encoding: string;
  characters: number;
  remaining: number;
  per_segment: number;
  max_segments: number;
  non_gsm_characters: string[];
  estimated_cost?: { amount: string; currency: string; country: string };
}

/** A WebSocket frame as received: its data is whatever JSON the server sent. */
export interface Frame {
  type: string;
  data?: unknown;
}

export interface MissedNotice {
  total: number;
  conversations: { conversation_id: string; count: number }[];
}

/** The events the employee app acts on (docs/api.md), by type. */
export type AppEvent =
  | { type: "message.created" | "message.updated"; data: Message }
  | { type: "message.ack"; data: { message: Message } }
  | { type: "conversation.read"; data: { user_id: string; conversation_id: string; seq: number; unread_count?: number } }
  | { type: "conversation.updated"; data: Partial<Conversation> & { id: string; removed?: string[] } }
  | { type: "presence.changed"; data: { user_id: string; presence: Presence } }
  | { type: "presence.snapshot"; data: { users?: Record<string, Presence> } }
  | { type: "typing"; data: { user_id: string; conversation_id: string; expires_in?: number } }
  | { type: "notification.missed"; data: MissedNotice };

const APP_EVENTS = new Set<string>([
  "message.created", "message.updated", "message.ack", "conversation.read", "conversation.updated",
  "presence.changed", "presence.snapshot", "typing", "notification.missed",
]);

/** The frame as an event of the app, when it is one and carries an object. */
export function appEvent(frame: Frame): AppEvent | null {
  return APP_EVENTS.has(frame.type) && typeof frame.data === "object" && frame.data !== null ? (frame as AppEvent) : null;
}
