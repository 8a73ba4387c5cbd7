/**
 * Agent console, written against the contact-center routes and events of the public
 * contract (GET /agent, PUT /agent/status, /interactions…, /canned-responses,
 * /customers, interaction.offered / interaction.updated). NOT YET TESTED: the
 * contact-center API did not exist when this was written; see docs/web.md.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import { enc, type Page } from "../lib/api";
import { splitEntities, time } from "../lib/text";
import type { Frame, Message, SmsPreview } from "../lib/types";

interface Agent { status: string; skills: string[]; queues: { queue_id: string; name: string }[] | string[]; max_concurrent: number; active: number; channels?: { e164: string }[] }
interface Customer { id: string; name: string; phone: string; cases?: { id: string; title?: string; status?: string }[]; interactions?: { id: string; created_at: string; disposition?: string }[] }
interface Interaction {
  id: string; state: string; queue_id: string; agent_id: string | null; conversation_id: string;
  channel: string; customer: Customer; created_at: string; offer_expires_at?: string; case_id?: string;
}
interface Canned { id: string; shortcut?: string; title?: string; text: string }

const OFFER_SECONDS = 30;

function queueList(agent: Agent | null): { queue_id: string; name: string }[] {
  return (agent?.queues || []).map((q) => (typeof q === "string" ? { queue_id: q, name: q } : q));
}

function Countdown({ until }: { until: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return <span class="countdown" role="timer" aria-live="off">{left} s</span>;
}

function Offer({ interaction, onDone }: { interaction: Interaction; onDone: () => void }) {
  const { api } = useApp();
  const [until] = useState(() => (interaction.offer_expires_at ? Date.parse(interaction.offer_expires_at) : Date.now() + OFFER_SECONDS * 1000));
  const [error, setError] = useState("");
  const act = (what: "accept" | "reject") =>
    api.post(`/interactions/${enc(interaction.id)}/${what}`).then(onDone, (e) => setError(e.message));
  return (
    <section class="card offer" aria-label={`Offer from ${interaction.customer?.name || interaction.customer?.phone}`}>
      <h3>{interaction.customer?.name || interaction.customer?.phone}</h3>
      <p>{interaction.channel} · offered, <Countdown until={until} /> left</p>
      <div class="row">
        <button type="button" onClick={() => void act("accept")}>Accept</button>
        <button type="button" class="secondary" onClick={() => void act("reject")}>Reject</button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

function ActiveInteraction({ interaction, queues, onDone }: { interaction: Interaction; queues: { queue_id: string; name: string }[]; onDone: () => void }) {
  const { api, store } = useApp();
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [items, setItems] = useState<Message[]>([]);
  const [text, setText] = useState("");
  const [canned, setCanned] = useState<Canned[]>([]);
  const [disposition, setDisposition] = useState("resolved");
  const [notes, setNotes] = useState("");
  const [queue, setQueue] = useState("");
  const [error, setError] = useState("");
  const cid = interaction.conversation_id;

  useEffect(() => {
    api.get<Interaction>(`/interactions/${enc(interaction.id)}`).then((full) => {
      const id = full.customer?.id;
      return id ? api.get<Customer>(`/customers/${enc(id)}`).then(setCustomer) : setCustomer(full.customer);
    }).catch((e) => setError(e.message));
    api.get<Page<Message>>(`/conversations/${enc(cid)}/messages?limit=50`).then((p) => setItems(p.items.slice().reverse()), (e) => setError(e.message));
    return store.onFrame((frame: Frame) => {
      if ((frame.type === "message.created" || frame.type === "message.updated") && frame.data?.conversation_id === cid) {
        setItems((old) => [...old.filter((m) => m.id !== frame.data.id), frame.data].sort((a, b) => a.seq - b.seq));
      }
    });
  }, [interaction.id]);

  // Canned replies by shortcut: "/word" in the box looks them up.
  useEffect(() => {
    const match = /^\/(\S*)$/.exec(text);
    if (!match) {
      setCanned([]);
      return;
    }
    const timer = setTimeout(() => {
      api.get<Page<Canned>>(`/canned-responses?q=${enc(match[1] || "")}`).then((p) => setCanned(p.items), () => setCanned([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [text]);

  async function send(event: Event) {
    event.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText("");
    try {
      const message = await api.post<Message>(`/conversations/${enc(cid)}/messages`, { client_id: crypto.randomUUID(), text: body });
      setItems((old) => [...old.filter((m) => m.id !== message.id), message].sort((a, b) => a.seq - b.seq));
    } catch (e) {
      setError((e as Error).message);
      setText(body);
    }
  }

  const run = (path: string, body: unknown) => api.post(`/interactions/${enc(interaction.id)}/${path}`, body).then(onDone, (e) => setError(e.message));
  const who = customer?.name || interaction.customer?.name || interaction.customer?.phone;
  const openCases = (customer?.cases || []).filter((c) => c.status !== "closed");
  return (
    <section class="card interaction" aria-label={`Interaction with ${who}`}>
      <header>
        <h3>{who}</h3>
        <p>{customer?.phone || interaction.customer?.phone} · since {time(interaction.created_at)}</p>
      </header>
      <details open>
        <summary>Customer record</summary>
        <p>{openCases.length} open case{openCases.length === 1 ? "" : "s"}</p>
        <ul class="plain">{openCases.map((c) => <li key={c.id}>{c.title || c.id}</li>)}</ul>
        <p>History: {(customer?.interactions || []).length} earlier interaction(s)</p>
      </details>
      <div class="log" role="log" aria-live="polite" aria-label={`Messages with ${who}`}>
        {items.map((m) => (
          <p key={m.id} class={`line ${m.direction === "inbound" ? "in" : "out"}`}>
            <strong>{m.direction === "inbound" ? who : "You"}:</strong>{" "}
            {splitEntities(m.text, m.entities).map((part, i) => part.entity?.type === "url"
              ? <a key={i} href={part.entity.url} target="_blank" rel="noopener noreferrer">{part.text}</a>
              : part.entity?.type === "phone" ? <a key={i} href={`tel:${part.entity.e164}`}>{part.text}</a> : part.text)}
          </p>
        ))}
      </div>
      <form onSubmit={send} class="composer">
        <textarea aria-label={`Reply to ${who}`} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Send</button>
        {canned.length > 0 && (
          <ul class="suggestions" aria-label="Canned replies">
            {canned.map((c) => <li key={c.id}><button type="button" class="link" onClick={() => setText(c.text)}>{c.shortcut ? `/${c.shortcut} · ` : ""}{c.title || c.text}</button></li>)}
          </ul>
        )}
      </form>
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); if (queue) void run("transfer", { queue_id: queue }); }}>
        <label for={`q-${interaction.id}`}>Transfer to</label>
        <select id={`q-${interaction.id}`} value={queue} onChange={(e) => setQueue(e.currentTarget.value)}>
          <option value="">Choose a queue…</option>
          {queues.map((q) => <option key={q.queue_id} value={q.queue_id}>{q.name}</option>)}
        </select>
        <button type="submit" class="secondary" disabled={!queue}>Transfer</button>
      </form>
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); void run("end", { disposition, notes }); }}>
        <label for={`d-${interaction.id}`}>Disposition</label>
        <select id={`d-${interaction.id}`} value={disposition} onChange={(e) => setDisposition(e.currentTarget.value)}>
          {["resolved", "follow_up", "no_response", "escalated"].map((d) => <option key={d}>{d}</option>)}
        </select>
        <label for={`n-${interaction.id}`}>Notes</label>
        <input id={`n-${interaction.id}`} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
        <button type="submit">End</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

function Outbound({ agent, onDone }: { agent: Agent | null; onDone: () => void }) {
  const { api } = useApp();
  const channels = agent?.channels?.map((c) => c.e164) || [];
  const [channel, setChannel] = useState(channels[0] || "");
  const [to, setTo] = useState("");
  const [text, setText] = useState("");
  const [preview, setPreview] = useState<SmsPreview | null>(null);
  const [note, setNote] = useState("");
  const clientId = useRef(crypto.randomUUID());
  useEffect(() => {
    if (!text.trim()) return setPreview(null);
    const timer = setTimeout(() => api.post<SmsPreview>("/sms/preview", { text, to }).then(setPreview, () => setPreview(null)), 300);
    return () => clearTimeout(timer);
  }, [text, to]);
  return (
    <form class="card inline-form" aria-label="Outbound text" onSubmit={async (e) => {
      e.preventDefault();
      try {
        await api.post("/interactions", { channel, to, client_id: clientId.current, text });
        clientId.current = crypto.randomUUID();
        setText("");
        setNote("Sent.");
        onDone();
      } catch (err) {
        setNote((err as Error).message);
      }
    }}>
      <h2>Outbound text</h2>
      <label for="ob-channel">Channel</label>
      <input id="ob-channel" list="ob-channels" value={channel} onInput={(e) => setChannel(e.currentTarget.value)} required />
      <datalist id="ob-channels">{channels.map((c) => <option key={c} value={c} />)}</datalist>
      <label for="ob-to">Customer number</label>
      <input id="ob-to" value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
      <label for="ob-text">Text</label>
      <input id="ob-text" value={text} onInput={(e) => setText(e.currentTarget.value)} required />
      <button type="submit">Send text</button>
      {preview && <span aria-live="polite">{preview.segments} segment(s) · {preview.encoding}{preview.estimated_cost ? ` · est. ${preview.estimated_cost.amount} ${preview.estimated_cost.currency}` : ""}</span>}
      {note && <span role="status">{note}</span>}
    </form>
  );
}

export default function AgentConsole() {
  const { api, store } = useApp();
  const [agent, setAgent] = useState<Agent | null>(null);
  const [interactions, setInteractions] = useState<Interaction[]>([]);
  const [error, setError] = useState("");

  const reload = () => {
    api.get<Agent>("/agent").then(setAgent, (e) => setError(e.status === 404 || e.status === 403 ? "You are not a contact-center agent." : e.message));
    api.all<Interaction>("/interactions?limit=100", 5).then(setInteractions, () => undefined);
  };
  useEffect(() => {
    reload();
    return store.onFrame((frame) => {
      if (frame.type === "interaction.offered" || frame.type === "interaction.updated") {
        const next = frame.data as Interaction;
        setInteractions((old) => [...old.filter((i) => i.id !== next.id), next].filter((i) => i.state !== "ended"));
      }
    });
  }, []);

  async function setStatus(status: string) {
    try {
      await api.put("/agent/status", { status });
      setAgent((a) => (a ? { ...a, status } : a));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const offers = interactions.filter((i) => i.state === "offered");
  const active = interactions.filter((i) => i.state === "active" || i.state === "wrap_up");
  return (
    <div class="agent">
      <header class="row">
        <h1>Agent console</h1>
        <label for="agent-status">Agent status</label>
        <select id="agent-status" value={agent?.status || "offline"} onChange={(e) => void setStatus(e.currentTarget.value)}>
          {["available", "away", "offline"].map((s) => <option key={s}>{s}</option>)}
        </select>
        {agent && <span>{active.length} of {agent.max_concurrent} interactions</span>}
      </header>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="offers">{offers.map((i) => <Offer key={i.id} interaction={i} onDone={reload} />)}</div>
      <div class="interactions">{active.map((i) => <ActiveInteraction key={i.id} interaction={i} queues={queueList(agent)} onDone={reload} />)}</div>
      <Outbound agent={agent} onDone={reload} />
    </div>
  );
}
