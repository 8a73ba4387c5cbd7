import type { Message } from "./types";

/**
 * The contact center's objects (docs/contact-center.md), as the store keeps them. The
 * OpenAPI document states these answers only as objects, so they are written here.
 */

export interface Agent {
  agent_id: string;
  name: string;
  role: string;
  status: string;
  skills: Record<string, number>;
  queues: string[];
  max_concurrent: number;
  active: number;
  open: number;
  /** The channels the agent may text from, their own queues' first (GET /agent only). */
  channels?: AgentChannel[];
}

export interface AgentChannel {
  e164: string;
  queue_id: string;
  serves_queue: boolean;
}

export interface Queue {
  queue_id: string;
  name: string;
  service_level_s?: number;
  offer_timeout_s?: number;
}

export interface Case {
  id: string;
  subject: string;
  status: string;
  created_at: string;
  transcripts?: { interaction_id: string }[];
}

export interface PastInteraction {
  id: string;
  channel?: string;
  direction?: string;
  disposition?: string;
  case_id?: string | null;
  created_at: string;
  ended_at?: string;
}

export interface Customer {
  id: string | null;
  name: string;
  phone: string;
  created_at?: string;
  cases?: Case[];
  interactions?: PastInteraction[];
}

export interface Interaction {
  id: string;
  state: string;
  queue_id: string;
  agent_id: string | null;
  conversation_id: string;
  channel: string;
  direction?: string;
  customer: Customer;
  created_at: string;
  offer_expires_at?: string;
  idle?: boolean;
  disposition?: string;
  notes?: string;
  case_id?: string | null;
  /** the stored record's version, when the server sends it: copies are ordered by it */
  version?: number;
  /** GET /interactions/{id}: the latest private notes and supervisors' actions */
  timeline?: TimelineEntry[];
}

/** A line of an interaction's timeline: a private note ("whisper") or a supervisor's action. */
export interface TimelineEntry {
  id: string;
  interaction_id: string;
  /** note, monitor, barge, transfer or agent_status */
  kind: string;
  by: string;
  at: string;
  text: string;
  detail: Record<string, string>;
}

/** A monitored interaction's text (frame `interaction.message`, to its monitors only). */
export interface MonitoredMessage {
  interaction_id: string;
  message: Message;
}

export interface Canned {
  id: string;
  shortcut: string;
  title: string;
  text: string;
  /** the queues whose agents may use it; empty: every queue */
  queues: string[];
  /** the text with the interaction's placeholders filled (when asked with interaction_id) */
  rendered?: string;
}

export interface DayFigures {
  day: string;
  offered: number;
  answered: number;
  abandoned: number;
  timed_out: number;
  average_wait_s: number;
  average_handle_s: number;
  service_level: number | null;
}

export interface QueueStats {
  queue_id: string;
  name: string;
  waiting: number;
  longest_wait_s: number;
  agents_available: number;
  agents_busy: number;
  agents_away: number;
  active: number;
  agents: { agent_id: string; name: string; status: string; load: number; open: number; max_concurrent: number }[];
  service_level_s: number;
  days: DayFigures[];
}
