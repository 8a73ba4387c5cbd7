/**
 * The supervisor page's live part: each queue's live interactions with Monitor, Move
 * (to a named agent or a queue) and Take over; the monitored interaction's read-only
 * transcript (live), its timeline and a box for a private note to its agent; the
 * queue's agents with a status select. A view of the store (`store.cc.live`,
 * lib/store_cc_live.ts); routes and rules: docs/contact-center.md, "Supervisors".
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { MONITOR_RENEW_MS } from "../lib/store_cc_live";
import { time } from "../lib/text";
import type { Interaction, QueueStats } from "./cc";

const STATUSES = ["available", "away", "offline"];

function who(i: Interaction): string {
  return i.customer?.name || i.customer?.phone || i.id;
}

function MoveForm({ interaction, agents, onError }: { interaction: Interaction; agents: QueueStats["agents"]; onError: (m: string) => void }) {
  const { store } = useApp();
  const state = useStoreState(store);
  const [to, setTo] = useState("");
  const id = `move-${interaction.id}`;
  const move = () => {
    const [kind, value] = to.split(":");
    if (!value) return;
    const target = kind === "agent" ? { agent_id: value } : { queue_id: value };
    store.cc.live.move(interaction, target).then(() => setTo(""), (e) => onError(e.message));
  };
  return (
    <form class="inline" onSubmit={(e) => { e.preventDefault(); move(); }}>
      <label for={id}>Move {who(interaction)} to</label>
      <select id={id} value={to} onChange={(e) => setTo(e.currentTarget.value)}>
        <option value="">Choose…</option>
        <optgroup label="Agents">
          {agents.filter((a) => a.agent_id !== interaction.agent_id).map((a) => <option key={a.agent_id} value={`agent:${a.agent_id}`}>{a.name || a.agent_id} ({a.status})</option>)}
        </optgroup>
        <optgroup label="Queues">
          {state.cc.queues.map((q) => <option key={q.queue_id} value={`queue:${q.queue_id}`}>{q.name}</option>)}
        </optgroup>
      </select>
      <button type="submit" class="secondary" disabled={!to}>Move</button>
    </form>
  );
}

function Monitor() {
  const { store } = useApp();
  const state = useStoreState(store);
  const monitored = state.cc.live.monitored;
  const [note, setNote] = useState("");
  const [error, setError] = useState("");
  // one client_id per note: kept while the same text is sent again after a failure
  const noteKey = useRef<{ text: string; id: string } | null>(null);
  useEffect(() => {
    const timer = setInterval(() => void store.cc.live.renewMonitor(), MONITOR_RENEW_MS);
    return () => clearInterval(timer);
  }, []);
  if (!monitored) return null;
  const i = monitored.interaction;
  const timeline = state.cc.live.timelines.get(i.id) || [];
  const name = (id: string) => state.users.get(id)?.name || id;
  const send = () => {
    const text = note.trim();
    if (!text) return;
    if (noteKey.current?.text !== text) noteKey.current = { text, id: crypto.randomUUID() };
    setError("");
    store.cc.live.note(i.id, text, noteKey.current.id).then(() => {
      noteKey.current = null;
      setNote("");
    }, (e) => setError(e.message));
  };
  return (
    <section class="card monitor" aria-label={`Monitoring ${who(i)}`}>
      <header>
        <h3>Monitoring {who(i)}</h3>
        <p class="hint">{i.state}{i.agent_id ? ` · ${name(i.agent_id)}` : ""} · read-only</p>
        <button type="button" class="secondary" onClick={() => void store.cc.live.stopMonitoring()}>Stop monitoring</button>
      </header>
      <div class="log transcript" role="log" aria-live="polite" aria-label={`Transcript with ${who(i)}`} tabIndex={0}>
        {monitored.earlier && (
          <button type="button" class="secondary" onClick={() => store.cc.live.loadEarlier().catch((e) => setError(e.message))}>Earlier messages</button>
        )}
        {monitored.messages.map((m) => (
          <p key={m.seq} class={`line ${m.direction === "inbound" ? "in" : "out"}`}>
            <strong>{m.direction === "inbound" ? who(i) : name(m.sender)}:</strong> {m.text}
          </p>
        ))}
      </div>
      <h4>Timeline</h4>
      <ul class="plain timeline" aria-label="Timeline">
        {timeline.map((e) => (
          <li key={e.id}>{time(e.at)} · {name(e.by)} · {e.kind === "note" ? `private note: ${e.text}` : e.kind.replace("_", " ")}{e.detail.agent_id ? ` → ${name(e.detail.agent_id)}` : ""}{e.detail.queue_id ? ` → ${store.cc.queueName(e.detail.queue_id)}` : ""}</li>
        ))}
      </ul>
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
        <textarea aria-label="Private note to the agent" rows={2} value={note} maxLength={2000} onInput={(e) => setNote(e.currentTarget.value)} />
        <button type="submit">Send note</button>
        <p class="hint wide">Only the agent and supervisors see it: it is never sent to the customer.</p>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

/** One queue's live interactions and agents (the figures' card is supervisor.tsx's). */
export function LiveQueue({ stats }: { stats: QueueStats }) {
  const { store } = useApp();
  const state = useStoreState(store);
  const [error, setError] = useState("");
  useEffect(() => {
    void store.cc.live.loadQueue(stats.queue_id);
  }, [stats.queue_id]);
  const items = state.cc.live.byQueue.get(stats.queue_id) || [];
  const fail = (e: Error) => setError(e.message);
  const name = (id: string | null) => (id ? state.users.get(id)?.name || stats.agents.find((a) => a.agent_id === id)?.name || id : "nobody");
  return (
    <section class="card live" aria-label={`Live interactions in ${stats.name}`}>
      <h3>Live in {stats.name}</h3>
      {items.length === 0 ? <p class="hint">No live interaction.</p> : (
        <ul class="plain" aria-label={`Interactions in ${stats.name}`}>
          {items.map((i) => (
            <li key={i.id}>
              <strong>{who(i)}</strong> <span class="hint">· {i.state} · {name(i.agent_id)} · since {time(i.created_at)}</span>
              <button type="button" class="secondary" onClick={() => store.cc.live.monitor(i).catch(fail)} aria-label={`Monitor ${who(i)}`}>Monitor</button>
              <button type="button" class="secondary" onClick={() => store.cc.live.barge(i).catch(fail)} aria-label={`Take over ${who(i)}`}>Take over</button>
              <MoveForm interaction={i} agents={stats.agents} onError={setError} />
            </li>
          ))}
        </ul>
      )}
      {state.cc.live.more.has(stats.queue_id) && (
        <p class="hint" role="status">More than {items.length} open interactions: the longest in the queue are listed.</p>
      )}
      <table>
        <caption>Agents' status</caption>
        <tbody>
          {stats.agents.map((a) => (
            <tr key={a.agent_id}>
              <th scope="row">{a.name || a.agent_id}</th>
              <td>
                <select aria-label={`Status of ${a.name || a.agent_id}`} value={a.status}
                  onChange={(e) => store.cc.live.setAgentStatus(a.agent_id, e.currentTarget.value).catch(fail)}>
                  {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

/** The live part of the supervisor page: the monitored interaction, then each queue's. */
export function SupervisorLive({ queues }: { queues: QueueStats[] }) {
  return (
    <div class="supervisor-live">
      <Monitor />
      <div class="queues">{queues.map((q) => <LiveQueue key={q.queue_id} stats={q} />)}</div>
    </div>
  );
}
