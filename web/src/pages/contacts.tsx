/**
 * Contacts (#/contacts): the caller's personal contacts, each with several labelled
 * numbers, an email and a company. Filter, create, edit, delete; `Text` a number to
 * open (or start) that SMS conversation. `#/contacts?new=<number>` opens the form for
 * that number (from a conversation's contact card), `?edit=<id>` a contact's.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { forgetContact, reloadContacts, rememberContact, textNumber } from "../lib/contact_book";
import {
  type ContactInput, contactInput, createContact, deleteContact, numbersOf, uniqueContacts, updateContact,
} from "../lib/conversation_api";
import type { Contact } from "../lib/types";
import { Dialog } from "../ui/Dialog";
import "../ui/conversation.css";

const LABELS = ["", "mobile", "work", "home", "other"];
const EMPTY: ContactInput = { name: "", phones: [{ number: "", label: "mobile" }], email: "", company: "" };

type Editing = { id: string | null; input: ContactInput } | null;

function hashParams(): URLSearchParams {
  return new URLSearchParams(location.hash.split("?")[1] || "");
}

function matches(card: Contact, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const digits = q.replace(/\D/g, "");
  return [card.name, card.company, card.email].some((v) => !!v && v.toLowerCase().includes(q)) ||
    (digits.length >= 3 && numbersOf(card).some((n) => n.number.replace(/\D/g, "").includes(digits)));
}

function ContactForm({ editing, onDone }: { editing: NonNullable<Editing>; onDone: () => void }) {
  const { api, store } = useApp();
  const [input, setInput] = useState<ContactInput>(editing.input);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const setNumber = (i: number, patch: Partial<ContactInput["phones"][number]>) =>
    setInput({ ...input, phones: input.phones.map((n, at) => (at === i ? { ...n, ...patch } : n)) });

  async function save(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const card = editing.id ? await updateContact(api, editing.id, input) : await createContact(api, input);
      rememberContact(store, card);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={editing.id ? `Edit ${editing.input.name}` : "New contact"} onClose={onDone}>
      <form class="contact-form" onSubmit={save}>
        <label for="contact-form-name">Name</label>
        <input id="contact-form-name" required data-autofocus value={input.name}
          onInput={(e) => setInput({ ...input, name: e.currentTarget.value })} />
        <fieldset>
          <legend>Phone numbers</legend>
          {input.phones.map((n, i) => (
            <div class="number-row" key={i}>
              <label class="sr-only" for={`contact-number-${i}`}>Number {i + 1}</label>
              <input id={`contact-number-${i}`} type="tel" required={i === 0} value={n.number} placeholder="+1 415 555 0100"
                onInput={(e) => setNumber(i, { number: e.currentTarget.value })} />
              <label class="sr-only" for={`contact-label-${i}`}>Label for number {i + 1}</label>
              <select id={`contact-label-${i}`} value={n.label} onChange={(e) => setNumber(i, { label: e.currentTarget.value })}>
                {LABELS.map((l) => <option key={l} value={l}>{l || "no label"}</option>)}
              </select>
              {input.phones.length > 1 && (
                <button type="button" class="link" aria-label={`Remove number ${i + 1}`}
                  onClick={() => setInput({ ...input, phones: input.phones.filter((_, at) => at !== i) })}>✕</button>
              )}
            </div>
          ))}
          <button type="button" class="secondary" onClick={() => setInput({ ...input, phones: [...input.phones, { number: "", label: "" }] })}>
            Add a number
          </button>
        </fieldset>
        <label for="contact-form-email">Email</label>
        <input id="contact-form-email" type="email" value={input.email} onInput={(e) => setInput({ ...input, email: e.currentTarget.value })} />
        <label for="contact-form-company">Company</label>
        <input id="contact-form-company" value={input.company} onInput={(e) => setInput({ ...input, company: e.currentTarget.value })} />
        {error && <p class="error" role="alert">{error}</p>}
        <div class="row">
          <button type="submit" disabled={busy}>Save contact</button>
          <button type="button" class="secondary" onClick={onDone}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}

export default function ContactsPage() {
  const { api, store } = useApp();
  const state = useStoreState(store);
  const [query, setQuery] = useState("");
  const [editing, setEditing] = useState<Editing>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);
  const [error, setError] = useState("");
  const [loaded, setLoaded] = useState(false);
  const contacts = uniqueContacts(state.contacts);
  const shown = contacts.filter((c) => matches(c, query));

  useEffect(() => {
    reloadContacts(api, store).then(() => setLoaded(true), (e) => setError(e.message));
  }, [api]);

  // A link from a conversation: a new contact for its number, or a contact to edit.
  useEffect(() => {
    if (!loaded) return;
    const params = hashParams();
    const number = params.get("new");
    const id = params.get("edit");
    const card = id ? contacts.find((c) => c.id === id) : undefined;
    if (number) setEditing({ id: null, input: { ...EMPTY, phones: [{ number, label: "mobile" }] } });
    else if (card) setEditing({ id: card.id, input: contactInput(card) });
    if (number || id) history.replaceState(null, "", "#/contacts");
  }, [loaded]);

  async function text(number: string) {
    try {
      await textNumber(api, store, number);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function remove(card: Contact) {
    try {
      await deleteContact(api, card.id);
      forgetContact(store, card.id);
      setDeleting(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section class="contacts-page" aria-labelledby="contacts-title">
      <header class="contacts-head">
        <h1 id="contacts-title">Contacts</h1>
        <button type="button" onClick={() => setEditing({ id: null, input: EMPTY })}>New contact</button>
      </header>
      <label for="contact-filter">Filter contacts</label>
      <input id="contact-filter" type="search" value={query} placeholder="Name, company, email or number"
        onInput={(e) => setQuery(e.currentTarget.value)} />
      {error && <p class="error" role="alert">{error}</p>}
      <ul class="contact-list" role="list" aria-label="Contacts">
        {shown.map((c) => (
          <li key={c.id} class="contact">
            <div class="contact-main">
              <h2>{c.name}</h2>
              {c.company && <p class="contact-company">{c.company}</p>}
              {c.email && <p><a href={`mailto:${c.email}`}>{c.email}</a></p>}
            </div>
            <ul class="numbers" aria-label={`Numbers of ${c.name}`}>
              {numbersOf(c).map((n) => (
                <li key={n.number}>
                  <span>{n.label ? <span class="label">{n.label} </span> : null}{n.number}</span>
                  <button type="button" class="secondary" onClick={() => void text(n.number)}>Text {n.number}</button>
                </li>
              ))}
            </ul>
            <div class="row">
              <button type="button" class="secondary" aria-label={`Edit ${c.name}`}
                onClick={() => setEditing({ id: c.id, input: contactInput(c) })}>
                Edit
              </button>
              <button type="button" class="secondary danger" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>Delete</button>
            </div>
          </li>
        ))}
      </ul>
      {loaded && !contacts.length && <p class="empty">No contacts yet. Add one with New contact, or from a number in a conversation.</p>}
      {loaded && contacts.length > 0 && !shown.length && <p class="empty">No contact matches “{query}”.</p>}
      {!loaded && !error && <p role="status">Loading contacts…</p>}
      {editing && <ContactForm editing={editing} onDone={() => setEditing(null)} />}
      {deleting && (
        <Dialog title={`Delete ${deleting.name}?`} alert onClose={() => setDeleting(null)}>
          <p>The contact goes from your contacts; your conversations with its numbers stay.</p>
          <div class="row">
            <button type="button" class="danger" onClick={() => void remove(deleting)}>Delete contact</button>
            <button type="button" class="secondary" data-autofocus onClick={() => setDeleting(null)}>Cancel</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
