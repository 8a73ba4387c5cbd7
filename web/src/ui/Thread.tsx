import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { filesOf } from "../lib/attachments";
import { rememberContact } from "../lib/contact_book";
import { createContact, hideMessage } from "../lib/conversation_api";
import { messageElementId } from "../lib/search";
import { splitEntities, time } from "../lib/text";
import type { Conversation, Message } from "../lib/types";
import { type Attacher, Composer } from "./Composer";
import { useKeyedState } from "./keyed";
import { Consent } from "./Consent";
import { ContactCardDialog, type Person } from "./ContactCard";
import { ConversationControls } from "./ConversationControls";
import { MediaView } from "./Media";
import { Avatar, PresenceDot, PresenceText } from "./Presence";
import { AssigneeBar, Labels, NoteComposer, Replying } from "./SharedLine";
import { isSharedLine } from "../lib/store_shared";

const STATUS: Record<string, [string, string]> = {
  sending: ["🕓", "Sending"],
  queued: ["🕓", "Queued"],
  sent: ["✓", "Sent"],
  delivered: ["✓✓", "Delivered"],
  undelivered: ["⚠", "Not delivered"],
  failed: ["⚠", "Failed"],
  unknown: ["?", "Delivery unknown"],
};

function Body({ message }: { message: Message }) {
  if (message.deleted) return <p class="tombstone">This message was deleted</p>;
  return (
    <>
      {message.text && (
        <p class="text">
          {splitEntities(message.text, message.entities).map((part, i) =>
            part.entity?.type === "url" ? (
              <a key={i} href={part.entity.url} target="_blank" rel="noopener noreferrer">{part.text}</a>
            ) : part.entity?.type === "phone" ? (
              <a key={i} href={`tel:${part.entity.e164}`} aria-label={`Call ${part.text}`}>{part.text}</a>
            ) : (
              part.text
            ),
          )}
        </p>
      )}
      {(message.media || []).map((m) => <MediaView key={m.index} message={message} media={m} />)}
    </>
  );
}

function Bubble({ message, conversation, found, onPerson }: {
  message: Message;
  conversation: Conversation;
  found: boolean;
  onPerson: (person: Person) => void;
}) {
  const { api, store } = useApp();
  const [error, setError] = useState("");
  const mine = message.sender === store.state.me.user_id;
  const external = conversation.type === "sms" && message.direction === "inbound";
  const sender = mine ? "You" : external ? store.numberName(message.sender) : store.userName(message.sender);
  const person: Person | null = mine ? null : external
    ? { kind: "number", e164: message.sender, from: conversation.business_number }
    : store.state.users.has(message.sender) ? { kind: "user", id: message.sender } : null;
  async function forMe() {
    try {
      await hideMessage(api, message);
      store.forgetMessage(message.conversation_id, message.id);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const [icon, label] = message.failed ? ["⚠", `Not sent: ${message.failed}`] : STATUS[message.status] || ["", message.status];
  // a private note is never sent anywhere: no delivery status, its own look
  const note = message.channel === "note";
  return (
    <article id={messageElementId(message.id)} tabIndex={found ? -1 : undefined}
      class={`msg${mine ? " mine" : ""}${found ? " found" : ""}${note ? " note" : ""}`}
      aria-label={`${note ? "Note from " : ""}${sender}, ${time(message.created_at)}`}
      aria-current={found ? "true" : undefined}>
      <header>
        {person ? (
          <button type="button" class="link sender" aria-haspopup="dialog" onClick={() => onPerson(person)}>{sender}</button>
        ) : <span class="sender">{sender}</span>}
        <span class={note ? "channel tag note-tag" : "channel"}>{note ? "Note" : message.channel === "sms" ? "SMS" : "IM"}</span>
        <time dateTime={message.created_at}>{time(message.created_at)}</time>
      </header>
      <Body message={message} />
      {mine && !message.deleted && (
        <footer>
          {note && !message.failed && !message.pending ? (
            <span class="note-hint">Not sent to the customer</span>
          ) : (
            <span class={`ticks ${message.status}`} title={label}>
              <span aria-hidden="true">{icon}</span> {label}
            </span>
          )}
          {message.failed && <button type="button" class="link" onClick={() => void store.retry(message)}>Retry</button>}
          {!message.pending && message.status !== "queued" && (
            <button type="button" class="link" onClick={() => store.deleteMessage(message).catch((e) => setError(e.message))}>
              Delete for everyone
            </button>
          )}
        </footer>
      )}
      {!mine && !message.pending && (
        <footer>
          <button type="button" class="link" onClick={() => void forMe()}>Delete for me</button>
        </footer>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </article>
  );
}

function AddContact({ conversation }: { conversation: Conversation }) {
  const { api, store } = useApp();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const number = conversation.external_number || "";
  if (!open) return <button type="button" class="secondary" onClick={() => setOpen(true)}>Add to contacts</button>;
  return (
    <form class="inline-form" onSubmit={async (e) => {
      e.preventDefault();
      try {
        rememberContact(store, await createContact(api, { name, phones: [{ number, label: "" }], email: "", company: "" }));
        setOpen(false);
      } catch (err) {
        setError((err as Error).message);
      }
    }}>
      <label for="contact-name">Contact name</label>
      <input id="contact-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      <button type="submit">Save contact</button>
      {error && <span class="error" role="alert">{error}</span>}
    </form>
  );
}

/** One conversation; `back`: the phone's way back to the list, first in the head row. */
export function Thread({ id, back }: { id: string; back?: ComponentChildren }) {
  const { store } = useApp();
  const state = useStoreState(store);
  const conversation = state.conversations.get(id);
  const thread = state.threads.get(id);
  const log = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  // what belongs to the conversation shown starts over with it, in the same render
  // (keyed.ts); the header's forms and dialogs and the consent box are keyed by it too
  const [error, setError] = useKeyedState(id, "");
  const [found, setFound] = useKeyedState<string | null>(id, null);
  const [person, setPerson] = useKeyedState<Person | null>(id, null);
  const [dragging, setDragging] = useState(false);
  const attacher = useRef<Attacher>(null);
  const shownId = useRef(id);
  if (shownId.current !== id) {
    shownId.current = id;
    stick.current = true;
  }

  useEffect(() => {
    store.loadThread(id).catch((e) => setError(e.message));
  }, [id]);

  // Read horizon: whatever is on screen in a visible tab is read, on every device.
  const seen = store.seen(id);
  useEffect(() => {
    const read = () => {
      if (document.visibilityState === "visible" && store.state.activeId === id) void store.markRead(id);
    };
    read();
    document.addEventListener("visibilitychange", read);
    window.addEventListener("focus", read);
    return () => {
      document.removeEventListener("visibilitychange", read);
      window.removeEventListener("focus", read);
    };
  }, [id, seen, conversation?.read_seq]);

  useLayoutEffect(() => {
    const el = log.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [thread?.items.length, id]);

  // A search result opened here: scroll to its message once it is loaded, and mark it.
  const jumpTo = state.jumpTo;
  useLayoutEffect(() => {
    if (!jumpTo || state.activeId !== id || !thread?.items.some((m) => m.id === jumpTo)) return;
    const el = document.getElementById(messageElementId(jumpTo));
    if (!el) return;
    stick.current = false;
    setFound(jumpTo);
    el.scrollIntoView({ block: "center" });
    store.set({ jumpTo: null });
  }, [jumpTo, thread?.items.length, id]);
  useEffect(() => {
    if (found) document.getElementById(messageElementId(found))?.focus({ preventScroll: true });
  }, [found]);

  const [noting, setNoting] = useKeyedState(id, false);
  if (!conversation) return <section class="thread"><header class="thread-head">{back}<p role="status">Loading…</p></header></section>;
  const title = store.title(conversation);
  const peer = store.peerId(conversation);
  const typing = [...(state.typing.get(id)?.keys() || [])].map((u) => store.userName(u));
  const shared = isSharedLine(conversation);
  const external = conversation.external_number;
  const peerPresence = peer ? state.users.get(peer)?.presence || conversation.peer_presence : undefined;
  const peerOffline = peer && (peerPresence?.status || "offline") === "offline"
    ? `${title} is offline: they will see your message when they are back.` : undefined;
  const hasFiles = (e: DragEvent) => !!e.dataTransfer?.types.includes("Files");

  return (
    <section class={`thread${dragging ? " dropping" : ""}`} aria-label={`Conversation with ${title}`}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => { if (e.currentTarget === e.target) setDragging(false); }}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setDragging(false);
        attacher.current?.attach(filesOf(e.dataTransfer));
      }}>
      <header class="thread-head">
        {back}
        {peer ? <Avatar user={state.users.get(peer)} /> : null}
        <div class="thread-title">
          <h2>
            {peer || external ? (
              <button type="button" class="link title-button" aria-haspopup="dialog"
                onClick={() => setPerson(peer ? { kind: "user", id: peer } : { kind: "number", e164: external!, from: conversation.business_number })}>
                {title}
              </button>
            ) : title}
          </h2>
          <div class="sub">
            {peer && <PresenceDot presence={peerPresence} name={title} />}
            {peer && <PresenceText presence={peerPresence} />}
            {conversation.type === "sms" && (
              <span>SMS {external} · from {conversation.business_number}</span>
            )}
            {conversation.group && <span>{conversation.members.length} members</span>}
            {conversation.muted && <span class="tag muted">Muted</span>}
            <Labels labels={conversation.labels} />
          </div>
        </div>
        {external && <a class="button secondary" href={`tel:${external}`}>Call</a>}
        {external && !state.contacts.has(external) && <AddContact key={id} conversation={conversation} />}
        <ConversationControls key={id} conversation={conversation} />
      </header>
      <AssigneeBar key={id} conversation={conversation} />
      {person && <ContactCardDialog person={person} onClose={() => setPerson(null)} />}
      {conversation.type === "sms" && <Consent key={id} conversationId={id} />}
      <div class="log" ref={log} role="log" aria-live="polite" aria-label="Messages" tabIndex={0}
        onScroll={() => {
          const el = log.current!;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}>
        {thread?.olderCursor && (
          <button type="button" class="secondary older" disabled={thread.loadingOlder} onClick={() => {
            stick.current = false;
            void store.loadOlder(id);
          }}>Load older messages</button>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        {thread?.loaded && !thread.items.length && <p class="empty">No messages yet.</p>}
        {(thread?.items || []).map((m) => (
          <Bubble key={m.id} message={m} conversation={conversation} found={m.id === found} onPerson={setPerson} />
        ))}
      </div>
      {shared ? <Replying names={typing} /> : (
        <p class="typing" aria-live="polite">{typing.length ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…` : ""}</p>
      )}
      {dragging && <p class="drop-hint" aria-hidden="true">Drop to attach</p>}
      {shared && (
        <button type="button" class="secondary note-toggle" aria-pressed={noting} onClick={() => setNoting(!noting)}>Note</button>
      )}
      {shared && noting ? <NoteComposer key={id} conversation={conversation} />
        : <Composer conversation={conversation} peerOffline={peerOffline} attachRef={attacher} />}
    </section>
  );
}
