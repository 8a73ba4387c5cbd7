/**
 * Agent console: routing status; offers with Accept/Reject, a countdown and the screen
 * pop; the active interactions side by side (up to the agent's cap), each with the
 * customer record, the live transcript, supervisors' private notes (shown apart from
 * the transcript: never sent to the customer), canned replies by shortcut, transfer and end
 * with disposition and notes; an outbound text with its channel and estimated cost;
 * a customer lookup. Routes and events: docs/contact-center.md.
 *
 * A view of the store (`store.cc`, lib/store_cc.ts): the agent, the interactions and
 * the transcripts (the store's threads) live there, kept current by the WebSocket and
 * re-read on every reconnect; this page keeps only what is being typed.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { splitEntities, time } from "../lib/text";
import type { SmsPreview } from "../lib/types";
import { useKeyedState } from "../ui/keyed";
import type { Canned, Customer, Interaction, Queue } from "./cc";

const OFFER_SECONDS = 30; // when an offer carries no offer_expires_at

function Countdown({ until, onExpired }: { until: number; onExpired: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  useEffect(() => {
    if (left === 0) onExpired();
  }, [left === 0]);
  return <span class="countdown" role="timer" aria-label="Time left to accept">{left} s</span>;
}

function CustomerRecord({ customer }: { customer: Customer | null }) {
  if (!customer) return <p class="hint">Loading the customer record…</p>;
  const cases = customer.cases || [];
  const open = cases.filter((c) => c.status !== "closed");
  const history = customer.interactions || [];
  return (
    <div class="record" role="group" aria-label="Customer record">
      <p><strong>{customer.name || "Unknown customer"}</strong> · {customer.phone}</p>
      <h4>Open cases ({open.length})</h4>
      {open.length ? (
        <ul class="plain">{open.map((c) => <li key={c.id}>{c.subject} <span class="hint">· {c.status} · {(c.transcripts || []).length} transcript(s)</span></li>)}</ul>
      ) : <p class="hint">No open case.</p>}
      <h4>History ({history.length})</h4>
      {history.length ? (
        <ul class="plain">
          {history.map((h) => (
            <li key={h.id}>{time(h.ended_at || h.created_at)} · {h.direction || "inbound"} · {h.disposition || "no disposition"}</li>
          ))}
        </ul>
      ) : <p class="hint">No earlier interaction.</p>}
    </div>
  );
}

/** The screen pop: the offer event carries it; an interaction listed by GET /interactions
 * does not, so the store reads it once. */
function useScreenPop(interaction: Interaction): Customer | null {
  const { store } = useApp();
  useStoreState(store);
  useEffect(() => {
    void store.cc.loadScreenPop(interaction);
  }, [interaction.id]);
  return store.cc.screenPop(interaction);
}

function Offer({ interaction, queueName }: { interaction: Interaction; queueName: string }) {
  const { store } = useApp();
  const customer = useScreenPop(interaction);
  const [until] = useState(() => (interaction.offer_expires_at ? Date.parse(interaction.offer_expires_at) : Date.now() + OFFER_SECONDS * 1000));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const act = (what: "accept" | "reject") => {
    setBusy(true);
    store.cc.answer(interaction, what).catch((e) => {
      setBusy(false);
      setError(e.message);
    });
  };
  const who = interaction.customer?.name || interaction.customer?.phone;
  return (
    <section class="card offer" aria-label={`Offer from ${who}`}>
      <h3>{who}</h3>
      <p>{queueName} · {interaction.channel} · <Countdown until={until} onExpired={() => void store.cc.reload()} /> left to accept</p>
      <CustomerRecord customer={customer} />
      <div class="row">
        <button type="button" disabled={busy} onClick={() => act("accept")}>Accept</button>
        <button type="button" disabled={busy} class="secondary" onClick={() => act("reject")}>Reject</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

function ActiveInteraction({ interaction, queues, onEnded }: {
  interaction: Interaction;
  queues: Queue[];
  onEnded: (ended: Interaction) => void;
}) {
  const { store } = useApp();
  const state = useStoreState(store);
  const customer = useScreenPop(interaction);
  const [text, setText] = useState("");
  const [canned, setCanned] = useState<Canned[]>([]);
  const [disposition, setDisposition] = useState("resolved");
  const [notes, setNotes] = useState("");
  const [queue, setQueue] = useState("");
  const [error, setError] = useState("");
  const cid = interaction.conversation_id;
  const items = state.threads.get(cid)?.items || [];

  useEffect(() => {
    store.loadThread(cid).catch((e) => setError(e.message));
    void store.cc.live.loadTimeline(interaction.id);
  }, [cid]);
  const whispers = store.cc.live.notes(interaction.id);

  // Canned replies by shortcut: "/word" in the box lists the matches; Enter takes the first.
  useEffect(() => {
    const match = /^\/(\S*)$/.exec(text);
    if (!match) {
      setCanned([]);
      return;
    }
    const timer = setTimeout(() => {
      store.cc.searchCanned(match[1] || "", interaction.id).then(setCanned, () => setCanned([]));
    }, 150);
    return () => clearTimeout(timer);
  }, [text]);

  const pickCanned = (reply: Canned) => {
    setText(reply.rendered || reply.text);
    setCanned([]);
  };

  // The store shows the reply at once (a placeholder until the server has it), marked
  // when it could not be sent.
  function send() {
    const body = text.trim();
    if (!body) return;
    setText("");
    setError("");
    void store.send(cid, body);
  }

  function onKey(event: KeyboardEvent) {
    if (event.key !== "Enter" || event.shiftKey) return;
    event.preventDefault();
    if (canned.length && /^\/\S*$/.test(text)) pickCanned(canned[0]!);
    else send();
  }

  const run = (what: "transfer" | "end", body: Record<string, string>) =>
    store.cc.act(interaction, what, body).then((after) => {
      if (after?.state === "ended") onEnded(after);
    }, (e) => setError(e.message));
  const who = customer?.name || interaction.customer?.name || interaction.customer?.phone;
  const inWrapUp = interaction.state === "wrap_up";
  const ids = `${interaction.id}`;
  return (
    <section class="card interaction" aria-label={`Interaction with ${who}`}>
      <header>
        <h3>{who}</h3>
        <p class="hint">
          {interaction.customer?.phone} · {interaction.direction === "outbound" ? "outbound" : "inbound"} on {interaction.channel} · since {time(interaction.created_at)}
          {inWrapUp ? " · wrap-up" : ""}{interaction.idle ? " · idle" : ""}
        </p>
      </header>
      <details open>
        <summary>Customer record</summary>
        <CustomerRecord customer={customer} />
      </details>
      <div class="log transcript" role="log" aria-live="polite" aria-label={`Messages with ${who}`} tabIndex={0}>
        {items.map((m) => (
          <p key={m.id} class={`line ${m.channel === "note" ? "note" : m.direction === "inbound" ? "in" : "out"}`}>
            <strong>{m.channel === "note" ? `Note from ${m.sender === state.me.user_id ? "you" : store.userName(m.sender)}` : m.direction === "inbound" ? who : "You"}:</strong>{" "}
            {splitEntities(m.text, m.entities).map((part, i) => part.entity?.type === "url"
              ? <a key={i} href={part.entity.url} target="_blank" rel="noopener noreferrer">{part.text}</a>
              : part.entity?.type === "phone" ? <a key={i} href={`tel:${part.entity.e164}`}>{part.text}</a> : part.text)}
            {m.failed && <span class="error"> (not sent: {m.failed})</span>}
          </p>
        ))}
      </div>
      {whispers.length > 0 && (
        <ul class="whispers plain" aria-label={`Private notes on ${who}`}>
          {whispers.map((n) => (
            <li key={n.id}><strong>Private note from {state.users.get(n.by)?.name || n.by}:</strong> {n.text} <span class="hint">· {time(n.at)} · not sent to the customer</span></li>
          ))}
        </ul>
      )}
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <textarea aria-label={`Reply to ${who}`} aria-describedby={`hint-${ids}`} rows={2} value={text}
          onInput={(e) => setText(e.currentTarget.value)} onKeyDown={onKey} disabled={inWrapUp} />
        <button type="submit" disabled={inWrapUp}>Send</button>
        <p id={`hint-${ids}`} class="hint wide">Type / and a shortcut for a canned reply; Enter takes the first.</p>
        {canned.length > 0 && (
          <ul class="suggestions wide" aria-label="Canned replies">
            {canned.map((c) => (
              <li key={c.id}>
                <button type="button" class="link" onClick={() => pickCanned(c)}>{c.shortcut ? `/${c.shortcut}` : ""} {c.title || c.text}</button>
              </li>
            ))}
          </ul>
        )}
      </form>
      {!inWrapUp && (
        <form class="fields" onSubmit={(e) => { e.preventDefault(); if (queue) void run("transfer", { queue_id: queue }); }}>
          <label for={`q-${ids}`}>Transfer to</label>
          <select id={`q-${ids}`} value={queue} onChange={(e) => setQueue(e.currentTarget.value)}>
            <option value="">Choose a queue…</option>
            {queues.map((q) => <option key={q.queue_id} value={q.queue_id}>{q.name}</option>)}
          </select>
          <span />
          <span><button type="submit" class="secondary" disabled={!queue}>Transfer</button></span>
        </form>
      )}
      <form class="fields" onSubmit={(e) => { e.preventDefault(); void run("end", { disposition, notes }); }}>
        <label for={`d-${ids}`}>Disposition</label>
        <select id={`d-${ids}`} value={disposition} onChange={(e) => setDisposition(e.currentTarget.value)}>
          {["resolved", "follow_up", "no_response", "escalated"].map((d) => <option key={d} value={d}>{d.replace("_", " ")}</option>)}
        </select>
        <label for={`n-${ids}`}>Notes</label>
        <input id={`n-${ids}`} value={notes} maxLength={4000} onInput={(e) => setNotes(e.currentTarget.value)} />
        <span />
        <span><button type="submit">End interaction</button></span>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

function Outbound({ channels }: { channels: string[] }) {
  const { store } = useApp();
  const [channel, setChannel] = useState("");
  const [to, setTo] = useState("");
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<SmsPreview | null>(null);
  const [note, setNote] = useState("");
  const clientId = useRef(crypto.randomUUID());
  const chosen = channel || channels[0] || "";
  useEffect(() => {
    if (!text.trim()) {
      setPreview(null);
      return;
    }
    const timer = setTimeout(() => {
      // A number still being typed is not valid yet: the preview without it (default country).
      store.cc.preview(text, to).then(setPreview, () => setPreview(null));
    }, 300);
    return () => clearTimeout(timer);
  }, [text, to]);
  const cost = preview?.estimated_cost;
  return (
    <form class="card outbound" aria-label="Outbound text" onSubmit={async (e) => {
      e.preventDefault();
      setNote("");
      try {
        await store.cc.startOutbound(chosen, to, clientId.current, text);
        clientId.current = crypto.randomUUID();
        setText("");
        setTo("");
        setNote(`Sent to ${to}.`);
      } catch (err) {
        setNote((err as Error).message);
      }
    }}>
      <h2>Outbound text</h2>
      <div class="fields">
        <label for="ob-channel">Channel</label>
        {channels.length ? (
          <select id="ob-channel" value={chosen} onChange={(e) => setChannel(e.currentTarget.value)}>
            {channels.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        ) : <input id="ob-channel" value={channel} onInput={(e) => setChannel(e.currentTarget.value)} required />}
        <label for="ob-to">Customer number</label>
        <input id="ob-to" type="tel" value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
        <label for="ob-text">Text</label>
        <textarea id="ob-text" rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-describedby="ob-cost" required />
      </div>
      <p id="ob-cost" class="hint" aria-live="polite">
        {preview ? `${preview.segments} segment${preview.segments === 1 ? "" : "s"} · ${preview.encoding}${cost ? ` · est. ${cost.amount} ${cost.currency}` : ""}` : "Segments and cost show while you type."}
      </p>
      <button type="submit">Send text</button>
      {note && <p role="status">{note}</p>}
    </form>
  );
}

function CustomerLookup({ phone }: { phone: string }) {
  const { store } = useApp();
  // The box and what it found start over with the customer's number in the render it
  // changes in (keyed.ts): an answer about the previous number is dropped, and of two
  // lookups only the last one asked shows.
  const [number, setNumber] = useKeyedState(phone, phone);
  const [found, setFound] = useKeyedState<Customer[] | null>(phone, null);
  const [error, setError] = useKeyedState(phone, "");
  const asked = useRef(0);
  const look = (value: string) => {
    if (!value.trim()) return;
    setError("");
    setFound(null);
    const mine = ++asked.current;
    store.cc.findCustomers(value).then(
      (customers) => mine === asked.current && setFound(customers),
      (e) => mine === asked.current && setError(e.message),
    );
  };
  useEffect(() => {
    if (phone) look(phone);
  }, [phone]);
  return (
    <section class="card lookup" aria-label="Customer lookup">
      <h2>Customer lookup</h2>
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); look(number); }}>
        <label for="lookup-phone">Phone number</label>
        <input id="lookup-phone" type="tel" value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
        <button type="submit" class="secondary">Look up</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {found && (found.length ? found.map((c) => <CustomerRecord key={c.id} customer={c} />) : <p class="hint">No customer with this number.</p>)}
    </section>
  );
}

export default function AgentConsole() {
  const { store } = useApp();
  const state = useStoreState(store);
  const { agent, agentError, queues } = state.cc;
  const [notice, setNotice] = useState("");
  const [lookup, setLookup] = useState("");

  // The store keeps the console current from here on (events, and a re-read on reconnect).
  useEffect(() => {
    void store.cc.openAgentConsole();
  }, []);

  const mine = store.cc.open();
  const offers = mine.filter((i) => i.state === "offered");
  const active = mine.filter((i) => i.state !== "offered");
  const queueName = (id: string) => store.cc.queueName(id);
  // Channels: those GET /agent lists (the ones the outbound route accepts from this agent).
  const channels = useMemo(() => (agent?.channels || []).map((c) => c.e164), [agent]);
  const onEnded = (ended: Interaction) => {
    setNotice(`Ended the interaction with ${ended.customer?.name || ended.customer?.phone}${ended.case_id ? "; its transcript is on the customer's case" : ""}.`);
    setLookup(ended.customer?.phone || "");
  };
  return (
    <div class="agent">
      <header class="inline-form">
        <h1>Agent console</h1>
        <label for="agent-status">Agent status</label>
        <select id="agent-status" value={agent?.status || "offline"} onChange={(e) => void store.cc.setStatus(e.currentTarget.value)}>
          {["available", "away", "offline"].map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        {agent && <span>{active.length} of {agent.max_concurrent} interactions · queues: {agent.queues.map(queueName).join(", ")}</span>}
      </header>
      {agentError && <p class="error" role="alert">{agentError}</p>}
      {notice && <p role="status" class="notice">{notice}</p>}
      <section aria-label="Offers" class="offers">
        {offers.map((i) => <Offer key={`${i.id}:${i.offer_expires_at || ""}`} interaction={i} queueName={queueName(i.queue_id)} />)}
      </section>
      <section aria-label="Active interactions" class="interactions">
        {active.length === 0 && offers.length === 0 && (
          <p class="hint">{agent?.status === "available" ? "Waiting for the next customer…" : "Set your status to available to receive customers."}</p>
        )}
        {active.map((i) => <ActiveInteraction key={i.id} interaction={i} queues={queues} onEnded={onEnded} />)}
      </section>
      <div class="agent-tools">
        <Outbound channels={channels} />
        <CustomerLookup phone={lookup} />
      </div>
    </div>
  );
}
