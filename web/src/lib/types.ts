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

export interface Frame {
  type: string;
  data: any;
}
