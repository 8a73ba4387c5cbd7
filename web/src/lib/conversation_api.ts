/**
 * The REST calls of the conversation screens that the server gained with issue 20
 * (attachments with file names, contacts with several numbers, "delete for me"), in one
 * module so their names can be adjusted in one place. Everything here is documented in
 * docs/api.md; a route an older server lacks degrades to what it has (see each call).
 */
import type { Api } from "./api";
import { ApiError, enc } from "./http";
import type { Contact, Conversation, Media, Message } from "./types";

/** A media object of a message; `filename` (null when the sender's upload had none). */
export type MediaItem = Media;

export interface ContactNumber {
  number: string; // E.164
  label: string; // "mobile", "work", … or ""
}

/** A personal contact: several numbers (the first is `phone`), an email, a company. */
export interface ContactCard extends Contact {
  numbers: ContactNumber[];
  email: string;
  company: string;
}

export interface ContactInput {
  name: string;
  numbers: ContactNumber[];
  email: string;
  company: string;
}

/** What a client checks before uploading (GET /media/limits). */
export interface MediaLimits {
  types: string[];
  im_max_bytes: number;
  mms_max_bytes: number;
  max_files: number;
  mms_countries: string[]; // calling codes' regions MMS reaches, e.g. ["US", "CA"]
}

// What the server enforces when it cannot be asked (docs/api.md: MMS_MAX_BYTES, MAX_MEDIA).
export const DEFAULT_LIMITS: MediaLimits = {
  types: ["image/jpeg", "image/png", "image/gif", "application/pdf"],
  im_max_bytes: 5 * 1024 * 1024,
  mms_max_bytes: 5 * 1024 * 1024,
  max_files: 10,
  mms_countries: ["US", "CA"],
};

interface RawContact {
  id: string;
  name: string;
  phone?: string;
  numbers?: ({ number?: string; phone?: string; e164?: string; label?: string | null } | string)[];
  email?: string | null;
  company?: string | null;
}

/** A contact as the server sent it, whichever fields it has (older servers: `phone` only). */
export function cardOf(raw: Contact | RawContact): ContactCard {
  const r = raw as RawContact;
  const numbers: ContactNumber[] = (r.numbers || [])
    .map((n) => (typeof n === "string" ? { number: n, label: "" } : { number: n.number || n.e164 || n.phone || "", label: n.label || "" }))
    .filter((n) => n.number);
  if (!numbers.length && r.phone) numbers.push({ number: r.phone, label: "" });
  const stamps = raw as Partial<Contact>;
  return {
    id: r.id, name: r.name, phone: numbers[0]?.number || "", numbers, email: r.email || "", company: r.company || "",
    phones: numbers.map((n) => ({ number: n.number, label: n.label || null })),
    created_at: stamps.created_at || "", updated_at: stamps.updated_at || "",
  };
}

/** The store's contact map: every number of every contact leads to its card. */
export function contactsByNumber(contacts: (Contact | RawContact)[]): Map<string, ContactCard> {
  const map = new Map<string, ContactCard>();
  for (const contact of contacts) {
    const card = cardOf(contact);
    for (const n of card.numbers) map.set(n.number, card);
  }
  return map;
}

/** Each contact once, by name. */
export function uniqueContacts(map: Map<string, Contact>): ContactCard[] {
  const byId = new Map<string, ContactCard>();
  for (const contact of map.values()) byId.set(contact.id, cardOf(contact));
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function contactBody(input: ContactInput): Record<string, unknown> {
  const numbers = input.numbers.filter((n) => n.number.trim());
  return {
    name: input.name.trim(),
    phone: numbers[0]?.number.trim(),
    numbers: numbers.map((n) => ({ number: n.number.trim(), ...(n.label.trim() ? { label: n.label.trim() } : {}) })),
    email: input.email.trim() || null,
    company: input.company.trim() || null,
  };
}

export async function listContacts(api: Api): Promise<ContactCard[]> {
  return (await api.all<RawContact>("/contacts?limit=100", 10)).map(cardOf);
}

export async function createContact(api: Api, input: ContactInput): Promise<ContactCard> {
  return cardOf(await api.post<RawContact>("/contacts", contactBody(input)));
}

export async function updateContact(api: Api, id: string, input: ContactInput): Promise<ContactCard> {
  return cardOf(await api.patch<RawContact>(`/contacts/${enc(id)}`, contactBody(input)));
}

export function deleteContact(api: Api, id: string): Promise<void> {
  return api.del<void>(`/contacts/${enc(id)}`);
}

/** GET /media/limits; a server without it enforces DEFAULT_LIMITS. */
export async function mediaLimits(api: Api): Promise<MediaLimits> {
  try {
    return { ...DEFAULT_LIMITS, ...(await api.get<Partial<MediaLimits>>("/media/limits")) };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return DEFAULT_LIMITS;
    throw error;
  }
}

/** POST /media (with the file's name), then the presigned S3 POST: the upload key to send. */
export async function uploadMedia(api: Api, file: File): Promise<string> {
  const start = await api.post<{ key: string; upload: { url: string; fields: Record<string, string> } }>("/media", {
    content_type: file.type,
    size: file.size,
    ...(file.name ? { filename: file.name } : {}),
  });
  const form = new FormData();
  for (const [k, v] of Object.entries(start.upload.fields)) form.append(k, v);
  form.append("file", file);
  let uploaded: Response;
  try {
    uploaded = await fetch(start.upload.url, { method: "POST", body: form });
  } catch {
    throw new ApiError(0, "network_error", "The upload could not reach the server.");
  }
  if (!uploaded.ok) throw new ApiError(uploaded.status, "upload_failed", `The upload was refused (${uploaded.status}).`);
  return start.key;
}

export function setMuted(api: Api, id: string, muted: boolean): Promise<Conversation> {
  return api.patch<Conversation>(`/conversations/${enc(id)}`, { muted });
}

export function setHidden(api: Api, id: string, hidden: boolean): Promise<Conversation> {
  return api.patch<Conversation>(`/conversations/${enc(id)}`, { hidden });
}

/** Delete a conversation for the caller only: gone from their list, history and search. */
export function clearConversation(api: Api, id: string): Promise<unknown> {
  return api.post(`/conversations/${enc(id)}/clear`, {});
}

/** Delete a received message for the caller only (DELETE is the author's, for everyone). */
export function hideMessage(api: Api, message: Message): Promise<unknown> {
  return api.post(`/conversations/${enc(message.conversation_id)}/messages/${enc(message.id)}/hide`, {});
}
