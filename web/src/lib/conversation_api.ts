/**
 * The REST calls of the conversation screens (docs/api.md: "Attachments",
 * "Conversation controls", contacts), typed from the served OpenAPI document
 * (api_types.gen.ts, `make web-types`): what is sent and what comes back are the
 * generated operation's `body` and `response`, never a guess.
 */
import type { Api } from "./api";
import type * as Gen from "./api_types.gen";
import { ApiError, enc } from "./http";
import type { Contact, Conversation, Media, Message } from "./types";

type Op<Name extends keyof Gen.Operations> = Gen.Operations[Name];

/** A media object of a message (`filename`: the sender's name for it, null when unknown). */
export type MediaItem = Media;

/** One of a contact's numbers: E.164, with an optional label ("mobile", "work"…). */
export type ContactNumber = Contact["phones"][number];

/** What a message may carry, per channel (GET /media/limits). */
export type MediaLimits = Op<"media_limits">["response"];

/** The contact form's copy of a contact: every field as typed (blank when not given). */
export interface ContactInput {
  name: string;
  phones: { number: string; label: string }[];
  email: string;
  company: string;
}

// The server's defaults (docs/api.md, "Attachments"): what the client checks against
// until GET /media/limits answers. The server checks again whatever the client thinks.
export const DEFAULT_LIMITS: MediaLimits = {
  im: {
    content_types: ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"],
    max_bytes: 20 * 1024 * 1024,
    max_items: 10,
  },
  sms: {
    content_types: ["image/jpeg", "image/png", "image/gif", "application/pdf"],
    max_bytes: 5 * 1024 * 1024,
    max_items: 10,
    enabled: true,
    countries: ["US", "CA"],
    number_types: ["local", "mobile", "toll_free"],
  },
};

/** A contact's numbers, the first being `phone` (a saved copy from an older client may
 * lack `phones`). */
export function numbersOf(contact: Contact): ContactNumber[] {
  if (contact.phones?.length) return contact.phones;
  return contact.phone ? [{ number: contact.phone, label: null }] : [];
}

/** The store's contact map: every number of every contact leads to it. */
export function contactsByNumber(contacts: Iterable<Contact>): Map<string, Contact> {
  const map = new Map<string, Contact>();
  for (const contact of contacts) for (const n of numbersOf(contact)) map.set(n.number, contact);
  return map;
}

/** Each contact once, by name. */
export function uniqueContacts(map: Map<string, Contact>): Contact[] {
  const byId = new Map<string, Contact>();
  for (const contact of map.values()) byId.set(contact.id, contact);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The form's copy of a contact, to edit it. */
export function contactInput(contact: Contact): ContactInput {
  return {
    name: contact.name,
    phones: numbersOf(contact).map((n) => ({ number: n.number, label: n.label ?? "" })),
    email: contact.email ?? "",
    company: contact.company ?? "",
  };
}

/** The body of POST /contacts and PATCH /contacts/{id}: every number (`phones`, never
 * `phone` beside it), a blank email or company cleared. */
export function contactBody(input: ContactInput): Op<"create_contact">["body"] {
  const phones = input.phones
    .map((n) => ({ number: n.number.trim(), label: n.label.trim() }))
    .filter((n) => n.number)
    .map((n) => (n.label ? n : { number: n.number }));
  return {
    name: input.name.trim(),
    phones,
    email: input.email.trim() || null,
    company: input.company.trim() || null,
  };
}

export function listContacts(api: Api): Promise<Contact[]> {
  return api.all<Contact>("/contacts?limit=100", 10);
}

export function createContact(api: Api, input: ContactInput): Promise<Op<"create_contact">["response"]> {
  return api.post("/contacts", contactBody(input));
}

export function updateContact(api: Api, id: string, input: ContactInput): Promise<Op<"update_contact">["response"]> {
  const body: Op<"update_contact">["body"] = contactBody(input);
  return api.patch(`/contacts/${enc(id)}`, body);
}

export function deleteContact(api: Api, id: string): Promise<void> {
  return api.del<void>(`/contacts/${enc(id)}`);
}

/** GET /media/limits; a server that cannot say (an older one: 404) enforces the defaults. */
export async function mediaLimits(api: Api): Promise<MediaLimits> {
  try {
    return await api.get<MediaLimits>("/media/limits");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return DEFAULT_LIMITS;
    throw error;
  }
}

/** POST /media (with the file's name), then the presigned S3 POST: the upload key to send. */
export async function uploadMedia(api: Api, file: File): Promise<string> {
  const body: Op<"start_media_upload">["body"] = {
    content_type: file.type as Op<"start_media_upload">["body"]["content_type"],
    size: file.size,
    ...(file.name ? { filename: file.name } : {}),
  };
  const start = await api.post<Op<"start_media_upload">["response"]>("/media", body);
  const form = new FormData();
  for (const [k, v] of Object.entries(start.upload.fields)) form.append(k, v);
  form.append("file", file);
  let uploaded: Response;
  try {
    uploaded = await fetch(start.upload.url, { method: start.upload.method, body: form });
  } catch {
    throw new ApiError(0, "network_error", "The upload could not reach the server.");
  }
  if (!uploaded.ok) throw new ApiError(uploaded.status, "upload_failed", `The upload was refused (${uploaded.status}).`);
  return start.key;
}

export function setMuted(api: Api, id: string, muted: boolean): Promise<Conversation> {
  const body: Op<"update_conversation">["body"] = { muted };
  return api.patch<Conversation>(`/conversations/${enc(id)}`, body);
}

export function setHidden(api: Api, id: string, hidden: boolean): Promise<Conversation> {
  const body: Op<"update_conversation">["body"] = { hidden };
  return api.patch<Conversation>(`/conversations/${enc(id)}`, body);
}

/** Delete a conversation for the caller only: gone from their list, history and search. */
export function clearConversation(api: Api, id: string): Promise<Op<"clear_conversation">["response"]> {
  return api.post(`/conversations/${enc(id)}/clear`);
}

/** Delete a message for the caller only (DELETE is the author's, for everyone). */
export function hideMessage(api: Api, message: Message): Promise<Op<"hide_message">["response"]> {
  return api.post(`/conversations/${enc(message.conversation_id)}/messages/${enc(message.id)}/hide`);
}
