/**
 * Supervisor page: each queue's figures live. `GET /queues/{id}/stats?days=7` once,
 * then every `queue.updated` event (sent after routing changed a queue) replaces the
 * queue's figures of now and of today. The longest wait keeps counting between events.
 * A view of the store (`store.cc`, lib/store_cc.ts), which keeps the figures.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import type { LiveStats as Live } from "../lib/store_cc";
import { duration, type DayFigures, type QueueStats } from "./cc";
import { Reports } from "./reports";
import { SupervisorLive } from "./supervisor_live";

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function percent(value: number | null): string {
  return value === null ? "—" : `${value} %`;
}

const NOW_COLUMNS = ["Waiting", "Longest wait", "Agents available", "Busy (full)", "Away", "Open interactions", "Offers timed out today", "Service level today"];

function longestWait(live: Live, now: number): number {
  return live.stats.waiting > 0 ? live.stats.longest_wait_s + (now - live.at) / 1000 : 0;
}

/** One row per queue: the figures of now, side by side (a wallboard). */
function NowTable({ rows, now }: { rows: Live[]; now: number }) {
  return (
    <table class="now" tabIndex={0}>
      <caption>Now</caption>
      <thead>
        <tr><th scope="col">Queue</th>{NOW_COLUMNS.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((live) => {
          const s = live.stats;
          const today: DayFigures | undefined = s.days[0];
          return (
            <tr key={s.queue_id}>
              <th scope="row">{s.name}</th>
              <td class={s.waiting > 0 ? "hot" : ""}>{s.waiting}</td>
              <td>{duration(longestWait(live, now))}</td>
              <td>{s.agents_available}</td>
              <td>{s.agents_busy}</td>
              <td>{s.agents_away}</td>
              <td>{s.active}</td>
              <td>{today?.timed_out ?? 0}</td>
              <td>{percent(today?.service_level ?? null)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function QueueCard({ stats: s }: { stats: QueueStats }) {
  return (
    <section class="card queue" aria-label={`Queue ${s.name}`}>
      <h2>{s.name}</h2>
      <table>
        <caption>Agents</caption>
        <thead><tr><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Load</th><th scope="col">Open</th></tr></thead>
        <tbody>
          {s.agents.map((a) => (
            <tr key={a.agent_id}>
              <th scope="row">{a.name || a.agent_id}</th>
              <td><span class={`dot ${a.status}`} aria-hidden="true" /> {a.status}</td>
              <td>
                <meter min={0} max={a.max_concurrent} value={a.load} aria-label={`${a.name} load`} /> {a.load} of {a.max_concurrent}
              </td>
              <td>{a.open}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table class="days" tabIndex={0}>
        <caption>Per day (service level: answered within {duration(s.service_level_s)})</caption>
        <thead>
          <tr>
            <th scope="col">Day</th><th scope="col">Offered</th><th scope="col">Answered</th><th scope="col">Abandoned</th>
            <th scope="col">Timed out</th><th scope="col">Avg wait</th><th scope="col">Avg handle</th><th scope="col">Service level</th>
          </tr>
        </thead>
        <tbody>
          {s.days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.day}</th><td>{d.offered}</td><td>{d.answered}</td><td>{d.abandoned}</td><td>{d.timed_out}</td>
              <td>{duration(d.average_wait_s)}</td><td>{duration(d.average_handle_s)}</td><td>{percent(d.service_level)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export default function SupervisorPage() {
  const { store } = useApp();
  const state = useStoreState(store);
  const { stats, statsOrder, statsError: error } = state.cc;
  const now = useNow();

  useEffect(() => {
    void store.cc.openSupervisor();
  }, []);

  const rows = statsOrder.flatMap((id) => (stats.has(id) ? [stats.get(id)!] : []));
  return (
    <div class="supervisor">
      <h1>Queues</h1>
      <p class="hint">Live: the figures change as customers arrive and agents answer.</p>
      {error && <p class="error" role="alert">{error}</p>}
      {statsOrder.length === 0 && !error && <p role="status">Loading…</p>}
      {rows.length > 0 && <NowTable rows={rows} now={now} />}
      <div class="queues">
        {rows.map((live) => <QueueCard key={live.stats.queue_id} stats={live.stats} />)}
      </div>
      <SupervisorLive queues={rows.map((live) => live.stats)} />
      <Reports />
    </div>
  );
}
