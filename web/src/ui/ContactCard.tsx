/**
 * Who sent a message, opened by clicking their name: a co-worker (presence, extension,
 * number, and a button to message them) or a phone number (the contact's numbers with
 * their labels, email and company, a `Text` button per number; a number that is no
 * contact yet can be added).
 */
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { messageCoWorker, textNumber } from "../lib/contact_book";
import { numbersOf } from "../lib/conversation_api";
import { STATUS_LABELS } from "../lib/text";
import { Dialog } from "./Dialog";
import { Avatar, PresenceDot } from "./Presence";

export type Person = { kind: "user"; id: string } | { kind: "number"; e164: string; from?: string };

export function ContactCardDialog({ person, onClose }: { person: Person; onClose: () => void }) {
  const { api, store } = useApp();
  const state = useStoreState(store);
  const [error, setError] = useState("");

  async function go(open: () => Promise<string>) {
    try {
      await open();
      onClose();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  if (person.kind === "user") {
    const user = state.users.get(person.id);
    const name = user?.name || "Unknown";
    const status = user?.presence?.status || "offline";
    return (
      <Dialog title={name} onClose={onClose}>
        <div class="card-head">
          <Avatar user={user} size={48} />
          <p class="card-presence">
            <PresenceDot presence={user?.presence} name={name} /> {STATUS_LABELS[status] || status}
            {user?.presence?.message ? ` · ${user.presence.message}` : ""}
          </p>
        </div>
        <dl class="facts">
          <dt>Co-worker</dt><dd>{user?.email || "—"}</dd>
          {user?.extension && <><dt>Extension</dt><dd>{user.extension}</dd></>}
          {(user?.numbers || []).map((n) => <Fragment key={n}><dt>Number</dt><dd><a href={`tel:${n}`}>{n}</a></dd></Fragment>)}
        </dl>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="row">
          {person.id !== state.me.user_id && (
            <button type="button" onClick={() => void go(() => messageCoWorker(api, store, person.id))}>Send a message</button>
          )}
          <button type="button" class="secondary" data-autofocus onClick={onClose}>Close</button>
        </div>
      </Dialog>
    );
  }

  const card = state.contacts.get(person.e164) ?? null;
  return (
    <Dialog title={card?.name || person.e164} onClose={onClose}>
      {card?.company && <p class="card-company">{card.company}</p>}
      <ul class="numbers" aria-label="Numbers">
        {(card ? numbersOf(card) : [{ number: person.e164, label: null }]).map((n) => (
          <li key={n.number}>
            <span>{n.label ? <span class="label">{n.label} </span> : null}<a href={`tel:${n.number}`}>{n.number}</a></span>
            <button type="button" class="secondary" onClick={() => void go(() => textNumber(api, store, n.number, person.from))}>
              Text {n.number}
            </button>
          </li>
        ))}
      </ul>
      {card?.email && <p>Email <a href={`mailto:${card.email}`}>{card.email}</a></p>}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row">
        {card ? (
          <a class="button secondary" href={`#/contacts?edit=${encodeURIComponent(card.id)}`} onClick={onClose}>Edit contact</a>
        ) : (
          <a class="button secondary" href={`#/contacts?new=${encodeURIComponent(person.e164)}`} onClick={onClose}>Add to contacts</a>
        )}
        <button type="button" data-autofocus onClick={onClose}>Close</button>
      </div>
    </Dialog>
  );
}
