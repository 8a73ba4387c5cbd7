// Generated from the REST API's OpenAPI document (GET /openapi.json) by
// `python -m local.api_types` (`make web-types`, `npm run gen:types`). Do not edit:
// regenerate. web/src/lib/types.ts names what the client uses.

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_id: string;
  sender: string;
  text: string;
  status: string;
  created_at: string;
  deleted: boolean;
  deleted_at: null | string;
  entities: unknown[];
  media: ({
    index: number;
    content_type: string;
    size: number;
    filename: null | string;
  })[];
  channel: string;
  direction?: string;
  segments?: number;
  encoding?: string;
  error_code?: null | string;
}

export interface Conversation {
  id: string;
  type: string;
  group: boolean;
  name: string;
  members: string[];
  created_by: string;
  created_at: string;
  updated_at: string;
  last_seq: number;
  last_message: null | {
    id: string;
    seq: number;
    sender: string;
    text: string;
    created_at: string;
    deleted: boolean;
    channel?: string;
  };
  assignee: null | string;
  labels: string[];
  business_number?: string;
  external_number?: string;
}

export interface Contact {
  id: string;
  name: string;
  phone: string;
  phones: ({
    number: string;
    label: null | string;
  })[];
  email: null | string;
  company: null | string;
  created_at: string;
  updated_at: string;
}

export interface Policy {
  id: string;
  name: string;
  sms_enabled: boolean;
}

export interface Number {
  e164: string;
  company_id: string;
  type: string;
  country: string;
  capabilities: string[];
  provider: string;
  state: string;
  users: string[];
  sms_capable: boolean;
  registration: {
    kind: string;
    status: string;
    id: string;
    reason: string;
  };
}

export interface User {
  user_id: string;
  company_id: string;
  name: string;
  email: string;
  extension: string;
  role: string;
  license_type: string;
  numbers: unknown[];
  sms_enabled: boolean;
  policy_id: null | string;
  username: null | string;
  enabled: boolean;
}

export interface Error {
  error: {
    code: string;
    message: string;
  };
}

export type Object = Record<string, unknown>;

export interface SearchResults {
  items: ({
    conversation_id: string;
    message: Message;
    /** the text, HTML-escaped, matches in <mark>…</mark> */
    highlight: string;
  })[];
  next_cursor: null | string;
}

/** Every REST operation by its operationId. */
export interface Operations {
  /** POST /interactions/{interaction_id}/accept: accept interaction */
  accept_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/accept";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** POST /interactions/{interaction_id}/notes: A private note to the interaction's agent (never sent to the customer) */
  add_interaction_note: {
    method: "POST";
    path: "/interactions/{interaction_id}/notes";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: {
      /** a private note to the agent: never sent to the customer */
      text: string;
      /** the author's idempotency key: a retry with it returns the first note and posts nothing more */
      client_id?: string;
    };
    response: Object;
  };
  /** POST /conversations/{conversation_id}/members: add members */
  add_members: {
    method: "POST";
    path: "/conversations/{conversation_id}/members";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: {
      /** co-workers' user ids (the caller is counted apart: at most max_group_members - 1) */
      members: string[];
    };
    response: Conversation;
  };
  /** PUT /admin/numbers/{e164}/users/{user_id}: admin assign */
  admin_assign: {
    method: "PUT";
    path: "/admin/numbers/{e164}/users/{user_id}";
    params: {
      /** an E.164 number (+ and digits) libphonenumber holds valid */
      e164: string;
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /admin/company: admin company */
  admin_company: {
    method: "GET";
    path: "/admin/company";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** POST /admin/policies: admin create policy */
  admin_create_policy: {
    method: "POST";
    path: "/admin/policies";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      sms_enabled?: boolean;
    };
    response: Policy;
  };
  /** POST /admin/users/{user_id}/disable: Offboard a co-worker: refused everywhere within 30 s, sessions ended, history kept. */
  admin_disable_user: {
    method: "POST";
    path: "/admin/users/{user_id}/disable";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: User;
  };
  /** POST /admin/users/{user_id}/enable: Let an offboarded co-worker sign in again. */
  admin_enable_user: {
    method: "POST";
    path: "/admin/users/{user_id}/enable";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: User;
  };
  /** POST /admin/users: Invite a co-worker: an account, a profile, and an email with a temporary password. */
  admin_invite_user: {
    method: "POST";
    path: "/admin/users";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** sign-in name: letters, digits and . _ + - (unique in the stage) */
      username: string;
      /** where the invitation (with the temporary password) goes */
      email: string;
      name: string;
      role?: "user" | "admin";
    };
    response: User;
  };
  /** GET /admin/numbers: admin numbers */
  admin_numbers: {
    method: "GET";
    path: "/admin/numbers";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Number[];
      next_cursor: string | null;
    };
  };
  /** GET /admin/policies: admin policies */
  admin_policies: {
    method: "GET";
    path: "/admin/policies";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Policy[];
      next_cursor: string | null;
    };
  };
  /** PUT /admin/numbers/{e164}: admin put number */
  admin_put_number: {
    method: "PUT";
    path: "/admin/numbers/{e164}";
    params: {
      /** an E.164 number (+ and digits) libphonenumber holds valid */
      e164: string;
    };
    query: Record<string, never>;
    body: {
      type?: "local" | "mobile" | "toll_free" | "virtual" | "temporary_port_in";
      provider?: "twilio" | "eum";
      state?: "active" | "inactive";
      capabilities?: ("sms" | "mms")[];
    };
    response: Object;
  };
  /** PUT /admin/texting-policy: admin put texting policy */
  admin_put_texting_policy: {
    method: "PUT";
    path: "/admin/texting-policy";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      sender_name?: string;
      stop_reply?: string;
      start_reply?: string;
      quiet_hours?: boolean;
      number_countries?: string[];
      toll_free?: "verified" | "never";
    };
    response: Object;
  };
  /** GET /admin/registrations: admin registrations */
  admin_registrations: {
    method: "GET";
    path: "/admin/registrations";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Object[];
      next_cursor: string | null;
    };
  };
  /** GET /admin/sms-account: admin sms account */
  admin_sms_account: {
    method: "GET";
    path: "/admin/sms-account";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /admin/texting-policy: admin texting policy */
  admin_texting_policy: {
    method: "GET";
    path: "/admin/texting-policy";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** DELETE /admin/numbers/{e164}/users/{user_id}: admin unassign */
  admin_unassign: {
    method: "DELETE";
    path: "/admin/numbers/{e164}/users/{user_id}";
    params: {
      /** an E.164 number (+ and digits) libphonenumber holds valid */
      e164: string;
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** PATCH /admin/company: admin update company */
  admin_update_company: {
    method: "PATCH";
    path: "/admin/company";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      sms_enabled?: boolean;
      im_enabled?: boolean;
      help_text?: string;
    };
    response: Object;
  };
  /** PATCH /admin/policies/{policy_id}: admin update policy */
  admin_update_policy: {
    method: "PATCH";
    path: "/admin/policies/{policy_id}";
    params: {
      policy_id: string;
    };
    query: Record<string, never>;
    body: {
      name?: string;
      sms_enabled?: boolean;
    };
    response: Policy;
  };
  /** PATCH /admin/users/{user_id}: admin update user */
  admin_update_user: {
    method: "PATCH";
    path: "/admin/users/{user_id}";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: {
      sms_enabled?: boolean;
      policy_id?: string | null;
      license_type?: string;
    };
    response: Object;
  };
  /** POST /interactions/{interaction_id}/barge: Take an interaction over: the supervisor becomes its agent */
  barge_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/barge";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** POST /conversations/{conversation_id}/clear: Delete the conversation for the caller only (docs/api.md, "Conversation controls"). */
  clear_conversation: {
    method: "POST";
    path: "/conversations/{conversation_id}/clear";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Conversation;
  };
  /** PUT /me/photo: confirm photo */
  confirm_photo: {
    method: "PUT";
    path: "/me/photo";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** the key POST /me/photo gave the caller */
      key: string;
    };
    response: Object;
  };
  /** POST /contacts: create contact */
  create_contact: {
    method: "POST";
    path: "/contacts";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      name: string;
      /** a phone number as a person types it; libphonenumber must hold it valid (the first number) */
      phone?: string | null;
      /** every number, the first being phone; each once */
      phones?: ({
        /** a phone number as a person types it; libphonenumber must hold it valid */
        number: string;
        label?: string | null;
      })[] | null;
      /** an address (null clears it) */
      email?: string | null;
      company?: string | null;
    };
    response: Contact;
  };
  /** POST /conversations: create conversation */
  create_conversation: {
    method: "POST";
    path: "/conversations";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      type?: "im";
      /** co-workers' user ids (the caller is counted apart: at most max_group_members - 1) */
      members: string[];
      /** one line */
      name?: string | null;
      group?: boolean | null;
    } | {
      type: "sms";
      /** a phone number as a person types it; libphonenumber must hold it valid */
      to: string;
      /** one of the caller's numbers */
      from?: string | null;
      /** how the customer opted in (shown to the next person who texts them) */
      consent?: string | null;
    };
    response: Conversation;
  };
  /** DELETE /admin/contact-center/canned-responses/{reply_id}: Delete a canned reply */
  delete_canned: {
    method: "DELETE";
    path: "/admin/contact-center/canned-responses/{reply_id}";
    params: {
      reply_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** DELETE /admin/contact-center/channels/{e164}: The number stops being a channel (409 while a customer's interaction on it is open) */
  delete_channel: {
    method: "DELETE";
    path: "/admin/contact-center/channels/{e164}";
    params: {
      /** an E.164 number (+ and digits) libphonenumber holds valid */
      e164: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** DELETE /contacts/{contact_id}: delete contact */
  delete_contact: {
    method: "DELETE";
    path: "/contacts/{contact_id}";
    params: {
      contact_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** DELETE /conversations/{conversation_id}/messages/{message_id}: delete message */
  delete_message: {
    method: "DELETE";
    path: "/conversations/{conversation_id}/messages/{message_id}";
    params: {
      conversation_id: string;
      message_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Message;
  };
  /** DELETE /admin/contact-center/queues/{queue_id}: Delete a queue nothing names any more (409 with what still does) */
  delete_queue: {
    method: "DELETE";
    path: "/admin/contact-center/queues/{queue_id}";
    params: {
      queue_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** POST /interactions/{interaction_id}/end: end interaction */
  end_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/end";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: {
      disposition?: string | null;
      notes?: string | null;
      case_id?: string | null;
    };
    response: Object;
  };
  /** GET /customers: find customers */
  find_customers: {
    method: "GET";
    path: "/customers";
    params: Record<string, never>;
    query: {
      /** a phone number as a person types it; libphonenumber must hold it valid */
      phone: string;
    };
    body: never;
    response: Object;
  };
  /** GET /agent: get agent */
  get_agent: {
    method: "GET";
    path: "/agent";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /directory/{user_id}: get co worker */
  get_co_worker: {
    method: "GET";
    path: "/directory/{user_id}";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /conversations/{conversation_id}/consent: The consent record; an admin also gets its history, a page at a time. */
  get_consent: {
    method: "GET";
    path: "/conversations/{conversation_id}/consent";
    params: {
      conversation_id: string;
    };
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: Object;
  };
  /** GET /contacts/{contact_id}: get contact */
  get_contact: {
    method: "GET";
    path: "/contacts/{contact_id}";
    params: {
      contact_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Contact;
  };
  /** GET /conversations/{conversation_id}: get conversation */
  get_conversation: {
    method: "GET";
    path: "/conversations/{conversation_id}";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Conversation;
  };
  /** GET /customers/{customer_id}: get customer */
  get_customer: {
    method: "GET";
    path: "/customers/{customer_id}";
    params: {
      customer_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /directory: get directory */
  get_directory: {
    method: "GET";
    path: "/directory";
    params: Record<string, never>;
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: {
      items: Object[];
      next_cursor: string | null;
    };
  };
  /** GET /interactions/{interaction_id}: get interaction */
  get_interaction: {
    method: "GET";
    path: "/interactions/{interaction_id}";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /me: get me */
  get_me: {
    method: "GET";
    path: "/me";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /conversations/{conversation_id}/messages/{message_id}: get message */
  get_message: {
    method: "GET";
    path: "/conversations/{conversation_id}/messages/{message_id}";
    params: {
      conversation_id: string;
      message_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Message;
  };
  /** POST /conversations/{conversation_id}/messages/{message_id}/hide: Delete a message for the caller only (any member; the others keep it). */
  hide_message: {
    method: "POST";
    path: "/conversations/{conversation_id}/messages/{message_id}/hide";
    params: {
      conversation_id: string;
      message_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Message;
  };
  /** GET /admin/contact-center/agents: list agents */
  list_agents: {
    method: "GET";
    path: "/admin/contact-center/agents";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /admin/contact-center/channels: list channels */
  list_channels: {
    method: "GET";
    path: "/admin/contact-center/channels";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /contacts: list contacts */
  list_contacts: {
    method: "GET";
    path: "/contacts";
    params: Record<string, never>;
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
      /** suggestions: a name prefix, or (two or more digits, no letters) a number prefix */
      q?: string;
    };
    body: never;
    response: {
      items: Contact[];
      next_cursor: string | null;
    };
  };
  /** GET /conversations: list conversations */
  list_conversations: {
    method: "GET";
    path: "/conversations";
    params: Record<string, never>;
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
      /** a shared line's view: mine (assigned to the caller), unassigned (on the caller's shared lines, no one's yet) or all (the default list) */
      view?: "mine" | "unassigned" | "all";
    };
    body: never;
    response: {
      items: Conversation[];
      next_cursor: string | null;
    };
  };
  /** GET /devices: list devices */
  list_devices: {
    method: "GET";
    path: "/devices";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      items: Object[];
      next_cursor: string | null;
    };
  };
  /** GET /interactions: list interactions */
  list_interactions: {
    method: "GET";
    path: "/interactions";
    params: Record<string, never>;
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page, passed back unchanged (any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: Object;
  };
  /** GET /conversations/{conversation_id}/messages: list messages */
  list_messages: {
    method: "GET";
    path: "/conversations/{conversation_id}/messages";
    params: {
      conversation_id: string;
    };
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
      after_seq?: number;
    };
    body: never;
    response: {
      items: Message[];
      next_cursor: string | null;
    };
  };
  /** GET /queues/{queue_id}/interactions: A queue's live interactions: waiting, offered, active and in wrap-up */
  list_queue_interactions: {
    method: "GET";
    path: "/queues/{queue_id}/interactions";
    params: {
      queue_id: string;
    };
    query: {
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: {
      items: Object[];
      next_cursor: string | null;
    };
  };
  /** GET /queues: list queues */
  list_queues: {
    method: "GET";
    path: "/queues";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** DELETE /devices/{device_id}: logout device */
  logout_device: {
    method: "DELETE";
    path: "/devices/{device_id}";
    params: {
      device_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** GET /media/limits: What a message may carry, per channel: types, sizes, MMS countries. */
  media_limits: {
    method: "GET";
    path: "/media/limits";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      im: {
        content_types: string[];
        /** bytes, each attachment */
        max_bytes: number;
        max_items: number;
      };
      sms: {
        content_types: string[];
        /** bytes, a message's attachments together */
        max_bytes: number;
        max_items: number;
        /** MMS switched on for this stage */
        enabled: boolean;
        /** destinations' regions MMS reaches */
        countries: string[];
        /** business number types that send MMS */
        number_types: string[];
      };
    };
  };
  /** GET /conversations/{conversation_id}/messages/{message_id}/media/{index}: media link */
  media_link: {
    method: "GET";
    path: "/conversations/{conversation_id}/messages/{message_id}/media/{index}";
    params: {
      conversation_id: string;
      message_id: string;
      index: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** POST /interactions/{interaction_id}/monitor: Monitor a live interaction (read-only; asked again to renew) */
  monitor_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/monitor";
    params: {
      interaction_id: string;
    };
    query: {
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: Object;
  };
  /** GET /openapi.json: This document. */
  openapi_document: {
    method: "GET";
    path: "/openapi.json";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /me/missed: pending missed */
  pending_missed: {
    method: "GET";
    path: "/me/missed";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** GET /push/key: The VAPID public key (base64url) for PushManager.subscribe's applicationServerKey */
  push_key: {
    method: "GET";
    path: "/push/key";
    params: Record<string, never>;
    query: Record<string, never>;
    body: never;
    response: {
      /** the VAPID public key: a P-256 point, base64url */
      public_key: string;
    };
  };
  /** PUT /admin/contact-center/agents/{user_id}: put agent */
  put_agent: {
    method: "PUT";
    path: "/admin/contact-center/agents/{user_id}";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: {
      skills?: Record<string, number> | null;
      /** queues of the company */
      queues?: string[] | null;
      role?: "agent" | "supervisor" | null;
      max_concurrent?: number | null;
    };
    response: Object;
  };
  /** PUT /agent/status: put agent status */
  put_agent_status: {
    method: "PUT";
    path: "/agent/status";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      status: "available" | "away" | "offline";
    };
    response: Object;
  };
  /** PUT /admin/contact-center/canned-responses/{reply_id}: put canned */
  put_canned: {
    method: "PUT";
    path: "/admin/contact-center/canned-responses/{reply_id}";
    params: {
      reply_id: string;
    };
    query: Record<string, never>;
    body: {
      shortcut?: string | null;
      title?: string | null;
      text: string;
      /** queues of the company whose agents may use it; empty: every queue */
      queues?: string[] | null;
    };
    response: Object;
  };
  /** PUT /admin/contact-center/channels/{e164}: put channel */
  put_channel: {
    method: "PUT";
    path: "/admin/contact-center/channels/{e164}";
    params: {
      /** an E.164 number (+ and digits) libphonenumber holds valid */
      e164: string;
    };
    query: Record<string, never>;
    body: {
      /** a queue of the caller's company */
      queue_id: string;
    };
    response: Object;
  };
  /** PUT /conversations/{conversation_id}/consent: put consent */
  put_consent: {
    method: "PUT";
    path: "/conversations/{conversation_id}/consent";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: {
      opted_in_how?: string;
      review_done?: boolean;
    };
    response: Object;
  };
  /** PUT /admin/contact-center/queues/{queue_id}: put queue */
  put_queue: {
    method: "PUT";
    path: "/admin/contact-center/queues/{queue_id}";
    params: {
      queue_id: string;
    };
    query: Record<string, never>;
    body: {
      name: string;
      /** required skill -> minimum level */
      skills?: Record<string, number> | null;
      priority?: number | null;
      /** a name of the IANA time zone database */
      timezone?: string | null;
      /** day -> opening hours HH:MM-HH:MM in timezone, opening before closing; a day left out is closed; {} (the default) is always open */
      hours?: Record<string, string> | null;
      closed_message?: string | null;
      entry_message?: string | null;
      full_message?: string | null;
      offer_timeout_s?: number | null;
      auto_accept?: boolean | null;
      idle_after_s?: number | null;
      wrap_up_s?: number | null;
      service_level_s?: number | null;
      abandon_after_s?: number | null;
      last_agent_window_s?: number | null;
      overflow_after_s?: number | null;
      overflow_level?: number | null;
      /** another queue of the company */
      overflow_queue_id?: string | null;
      max_waiting?: number | null;
    };
    response: Object;
  };
  /** GET /queues/{queue_id}/stats: queue stats */
  queue_stats: {
    method: "GET";
    path: "/queues/{queue_id}/stats";
    params: {
      queue_id: string;
    };
    query: {
      /** the last 1 to 31 days (1 unless given) */
      days?: string;
    };
    body: never;
    response: Object;
  };
  /** POST /conversations/{conversation_id}/read: read conversation */
  read_conversation: {
    method: "POST";
    path: "/conversations/{conversation_id}/read";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: {
      seq: number;
    };
    response: Object;
  };
  /** POST /devices: register device */
  register_device: {
    method: "POST";
    path: "/devices";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      device_id: string;
      platform: "apns" | "fcm" | "webpush";
      /** the APNs or FCM device token; for webpush, the browser's PushSubscription as JSON ({endpoint, keys: {p256dh, auth}}): its endpoint on a browser push service, p256dh a P-256 point and auth 16 bytes, base64url (else 400 invalid_push_subscription, invalid_push_key or push_endpoint_not_allowed) */
      token: string;
    };
    response: Object;
  };
  /** POST /interactions/{interaction_id}/reject: reject interaction */
  reject_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/reject";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Object;
  };
  /** DELETE /conversations/{conversation_id}/members/{user_id}: remove member */
  remove_member: {
    method: "DELETE";
    path: "/conversations/{conversation_id}/members/{user_id}";
    params: {
      conversation_id: string;
      user_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: Conversation;
  };
  /** GET /reports/agents: Per agent per day (supervisors: the agents of their queues; admins: all). */
  report_agents: {
    method: "GET";
    path: "/reports/agents";
    params: Record<string, never>;
    query: {
      /** first day (YYYY-MM-DD, in tz) */
      from: string;
      /** last day (YYYY-MM-DD, in tz): from it, at most 92 days */
      to: string;
      /** an IANA time zone the days are in (UTC unless given) */
      tz?: string;
      /** opaque: the next_cursor (or the CSV's X-Next-Cursor) of the last page */
      cursor?: string;
      /** rows per page: 1 to 1000 (100 for JSON, 1000 for CSV unless given) */
      limit?: number;
    };
    body: never;
    response: {
      items: ({
        agent_id: string;
        name: string;
        day: string;
        offered: number;
        answered: number;
        rejected: number;
        timed_out: number;
        transfers: number;
        handled: number;
        handle_time_s: number;
        wait_s: number;
        outbound: number;
        available_s: number;
        busy_s: number;
        away_s: number;
        occupancy: number | null;
      })[];
      next_cursor: string | null;
    };
  };
  /** GET /reports/queues: Per queue per 15-minute interval (supervisors: their queues; admins: all). */
  report_queues: {
    method: "GET";
    path: "/reports/queues";
    params: Record<string, never>;
    query: {
      /** first day (YYYY-MM-DD, in tz) */
      from: string;
      /** last day (YYYY-MM-DD, in tz): from it, at most 92 days */
      to: string;
      /** an IANA time zone the days are in (UTC unless given) */
      tz?: string;
      /** opaque: the next_cursor (or the CSV's X-Next-Cursor) of the last page */
      cursor?: string;
      /** rows per page: 1 to 1000 (100 for JSON, 1000 for CSV unless given) */
      limit?: number;
      /** one queue only */
      queue_id?: string;
    };
    body: never;
    response: {
      items: ({
        queue_id: string;
        name: string;
        interval_start: string;
        offered: number;
        answered: number;
        abandoned: number;
        turned_away: number;
        transfers: number;
        moved_out: number;
        handled: number;
        handle_time_s: number;
        wait_s: number;
        answered_within_sl: number;
        available_s: number;
        busy_s: number;
        service_level: number | null;
        service_level_s: number;
        occupancy: number | null;
      })[];
      next_cursor: string | null;
    };
  };
  /** GET /search: search */
  search: {
    method: "GET";
    path: "/search";
    params: Record<string, never>;
    query: {
      /** words (all must match, the last also as a prefix); "a phrase" in quotes */
      q: string;
      conversation_id?: string;
      channel?: "im" | "sms";
      /** a user id */
      sender?: string;
      /** first day (UTC) */
      after?: string;
      /** last day (UTC) */
      before?: string;
      /** next_cursor of the last page */
      cursor?: string;
      limit?: number;
    };
    body: never;
    response: SearchResults;
  };
  /** GET /canned-responses: search canned */
  search_canned: {
    method: "GET";
    path: "/canned-responses";
    params: Record<string, never>;
    query: {
      /** a shortcut prefix or words */
      q?: string;
      /** fills the placeholders; the replies are those of its queue and every queue */
      interaction_id?: string;
      /** page size: 1 to 50 (50 unless given) */
      limit?: number;
      /** opaque: the next_cursor of the previous page of the same list, passed back unchanged (the server made it; any other value is a 400 invalid_cursor); empty or absent: the first page */
      cursor?: string;
    };
    body: never;
    response: Object;
  };
  /** POST /conversations/{conversation_id}/messages: send message */
  send_message: {
    method: "POST";
    path: "/conversations/{conversation_id}/messages";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: {
      /** the sender's idempotency key */
      client_id: string;
      /** not blank, unless media is given (then it may be empty) */
      text?: string | null;
      media?: string[] | null;
      /** true: a private note to the people on the shared line (SMS conversations; text only), stored with channel note and never sent to the customer */
      note?: boolean | null;
    };
    response: Message;
  };
  /** PUT /agents/{user_id}/status: Set an agent's routing status (supervisors of their queues, admins) */
  set_agent_status: {
    method: "PUT";
    path: "/agents/{user_id}/status";
    params: {
      user_id: string;
    };
    query: Record<string, never>;
    body: {
      status: "available" | "away" | "offline";
    };
    response: Object;
  };
  /** PUT /me/presence: set presence */
  set_presence: {
    method: "PUT";
    path: "/me/presence";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      status: "available" | "busy" | "dnd" | "away";
      message?: string | null;
      /** when the message ends: an ISO 8601 time with its offset, in the coming year (read only with a message) */
      expires_at?: string | null;
      /** seconds until the message ends (read only with a message) */
      expires_in?: number | null;
    };
    response: Object;
  };
  /** POST /me/sign-out: Sign this device out: its refresh token revoked, push removed, connections closed. */
  sign_out: {
    method: "POST";
    path: "/me/sign-out";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** this device's Cognito refresh token, revoked */
      refresh_token?: string | null;
      /** this device: its push registration is removed, its connections close */
      device_id?: string | null;
    };
    response: void;
  };
  /** POST /sms/preview: sms preview */
  sms_preview: {
    method: "POST";
    path: "/sms/preview";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      text: string;
      /** a phone number as a person types it; libphonenumber must hold it valid */
      to?: string | null;
    };
    response: Object;
  };
  /** GET /admin/usage: sms usage */
  sms_usage: {
    method: "GET";
    path: "/admin/usage";
    params: Record<string, never>;
    query: {
      /** first day */
      from?: string;
      /** last day */
      to?: string;
    };
    body: never;
    response: Object;
  };
  /** POST /interactions: start interaction */
  start_interaction: {
    method: "POST";
    path: "/interactions";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      /** a channel number of the caller's company */
      channel: string;
      /** a phone number as a person types it; libphonenumber must hold it valid */
      to: string;
      /** the sender's idempotency key */
      client_id: string;
      /** at most the sms_max_segments setting's segments */
      text: string;
    };
    response: Object;
  };
  /** POST /media: start media upload */
  start_media_upload: {
    method: "POST";
    path: "/media";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      content_type: "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "application/pdf";
      /** bytes */
      size: number;
      /** the name people see, extension included (no / or \, no control characters) */
      filename?: string | null;
    };
    response: {
      /** the upload's key, for the send's media */
      key: string;
      upload: {
        method: "POST";
        url: string;
        fields: Record<string, string>;
      };
      max_bytes: number;
      filename: null | string;
    };
  };
  /** POST /me/photo: start photo upload */
  start_photo_upload: {
    method: "POST";
    path: "/me/photo";
    params: Record<string, never>;
    query: Record<string, never>;
    body: {
      content_type: "image/jpeg" | "image/png";
      /** bytes */
      size: number;
    };
    response: Object;
  };
  /** DELETE /interactions/{interaction_id}/monitor: Stop monitoring an interaction */
  stop_monitoring: {
    method: "DELETE";
    path: "/interactions/{interaction_id}/monitor";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: never;
    response: void;
  };
  /** POST /sync: sync */
  sync: {
    method: "POST";
    path: "/sync";
    params: Record<string, never>;
    query: {
      /** page size: 1 to the page_size_max setting */
      limit?: number;
    };
    body: {
      /** conversation id -> the last seq seen */
      conversations: Record<string, number>;
    };
    response: Object;
  };
  /** POST /interactions/{interaction_id}/transfer: Move an interaction to a queue, or offer it to a named agent */
  transfer_interaction: {
    method: "POST";
    path: "/interactions/{interaction_id}/transfer";
    params: {
      interaction_id: string;
    };
    query: Record<string, never>;
    body: {
      /** back to waiting in this queue */
      queue_id?: string;
      /** an agent of the caller's company: offered to them (409 agent_unavailable unless available with a free slot) */
      agent_id?: string;
    };
    response: Object;
  };
  /** POST /webhooks/twilio/sms: twilio_inbound */
  twilio_inbound: {
    method: "POST";
    path: "/webhooks/twilio/sms";
    params: Record<string, never>;
    query: Record<string, never>;
    body: Record<string, string>;
    response: void;
  };
  /** POST /webhooks/twilio/status: twilio_status */
  twilio_status: {
    method: "POST";
    path: "/webhooks/twilio/status";
    params: Record<string, never>;
    query: Record<string, never>;
    body: Record<string, string>;
    response: void;
  };
  /** PATCH /contacts/{contact_id}: update contact */
  update_contact: {
    method: "PATCH";
    path: "/contacts/{contact_id}";
    params: {
      contact_id: string;
    };
    query: Record<string, never>;
    body: {
      name?: string | null;
      /** a phone number as a person types it; libphonenumber must hold it valid (the first number) */
      phone?: string | null;
      /** every number, the first being phone; each once */
      phones?: ({
        /** a phone number as a person types it; libphonenumber must hold it valid */
        number: string;
        label?: string | null;
      })[] | null;
      /** an address (null clears it) */
      email?: string | null;
      company?: string | null;
    };
    response: Contact;
  };
  /** PATCH /conversations/{conversation_id}: update conversation */
  update_conversation: {
    method: "PATCH";
    path: "/conversations/{conversation_id}";
    params: {
      conversation_id: string;
    };
    query: Record<string, never>;
    body: {
      /** one line */
      name?: string | null;
      muted?: boolean;
      hidden?: boolean;
      /** a shared line's conversation: the user id of one of the people on the line; null unassigns */
      assignee?: string | null;
      /** an SMS conversation's labels (replaces them all; [] removes them) */
      labels?: string[];
    };
    response: Conversation;
  };
}
