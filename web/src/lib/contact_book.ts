/**
 * The store's side of contacts and of starting conversations from them: a contact's
 * every number leads to it (names replace numbers everywhere), and "Text" or "Message"
 * opens the conversation on the messages page.
 */
import type { Api } from "./api";
import { contactsByNumber, listContacts, numbersOf } from "./conversation_api";
import type { Store } from "./store";
import type { Contact, Conversation } from "./types";

export function rememberContact(store: Store, card: Contact): void {
  const contacts = new Map<string, Contact>([...store.state.contacts].filter(([, c]) => c.id !== card.id));
  for (const n of numbersOf(card)) contacts.set(n.number, card);
  store.putContacts(contacts);
}

export function forgetContact(store: Store, id: string): void {
  store.putContacts(new Map([...store.state.contacts].filter(([, c]) => c.id !== id)));
}

export async function reloadContacts(api: Api, store: Store): Promise<void> {
  store.putContacts(contactsByNumber(await listContacts(api)));
}

/** Get-or-create a conversation (POST /conversations), show it in the list and open it. */
export async function openConversation(api: Api, store: Store, body: Record<string, unknown>): Promise<string> {
  const conversation = await api.post<Conversation>("/conversations", body);
  store.set({ conversations: store.mergeConversations([conversation]) });
  store.patchConversation(conversation.id, { hidden: false, updated_at: conversation.updated_at });
  store.set({ activeId: conversation.id });
  if (location.hash.replace(/^#\/?/, "")) location.hash = "#/";
  return conversation.id;
}

export function textNumber(api: Api, store: Store, to: string, from?: string): Promise<string> {
  return openConversation(api, store, { type: "sms", to, ...(from ? { from } : {}) });
}

export function messageCoWorker(api: Api, store: Store, userId: string): Promise<string> {
  return openConversation(api, store, { type: "im", members: [userId] });
}
