/**
 * Reports on the supervisor page: per agent per day for a chosen range
 * (`GET /reports/agents`, days in the browser's time zone), a bar chart of what each
 * agent answered (inline SVG, `aria-hidden`: the table is its accessible form, with each
 * row's staffed time and occupancy) and the
 * CSV export (`Accept: text/csv`, every page by its `X-Next-Cursor`, the header row once).
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { ApiError, enc, type Api } from "../lib/api";
import type { Operations } from "../lib/api_types.gen";
import { duration } from "./cc";

export type AgentDay = Operations["report_agents"]["response"]["items"][number];

const RANGE_DAYS = 7;
const MAX_PAGES = 100; // 100 pages of 1000 rows: 92 days of about a thousand agents

function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function rangeQuery(from: string, to: string, cursor: string | null = null): string {
  const base = `from=${enc(from)}&to=${enc(to)}&tz=${enc(browserZone())}`;
  return cursor ? `${base}&cursor=${enc(cursor)}` : base;
}

/** Every CSV page of the range, joined (the header row once), saved as a file. */
async function downloadCsv(api: Api, from: string, to: string): Promise<void> {
  let text = "";
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await fetch(`${api.config.rest_url}/reports/agents?${rangeQuery(from, to, cursor)}`, {
      headers: { Authorization: `Bearer ${await api.token()}`, Accept: "text/csv" },
    });
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      throw new ApiError(response.status, data?.error?.code || "http_error", data?.error?.message || `HTTP ${response.status}`);
    }
    const body = await response.text();
    text += page === 0 ? body : body.slice(body.indexOf("\n") + 1);
    cursor = response.headers.get("X-Next-Cursor");
    if (!cursor) break;
  }
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `agents-${from}-${to}.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Answered per agent over the range, as bars (the table below says the same). */
function AnsweredChart({ rows }: { rows: AgentDay[] }) {
  const totals = new Map<string, { name: string; answered: number }>();
  for (const row of rows) {
    const total = totals.get(row.agent_id) || { name: row.name || row.agent_id, answered: 0 };
    total.answered += row.answered;
    totals.set(row.agent_id, total);
  }
  const bars = [...totals.values()];
  const most = Math.max(1, ...bars.map((b) => b.answered));
  const height = 24;
  return (
    <svg class="chart" aria-hidden="true" viewBox={`0 0 400 ${bars.length * height}`} width="100%" height={bars.length * height}>
      {bars.map((bar, n) => (
        <g key={bar.name} transform={`translate(0 ${n * height})`}>
          <text x="0" y="16" font-size="12">{bar.name}</text>
          <rect x="120" y="4" height="16" width={(240 * bar.answered) / most} fill="currentColor" opacity="0.6" />
          <text x={126 + (240 * bar.answered) / most} y="16" font-size="12">{bar.answered}</text>
        </g>
      ))}
    </svg>
  );
}

/** Occupancy (a ratio) in whole percent; "—" without staffed time. */
export function percent(ratio: number | null): string {
  return ratio === null ? "—" : `${Math.round(ratio * 100)}%`;
}

function AgentTable({ rows }: { rows: AgentDay[] }) {
  return (
    <table class="report" tabIndex={0}>
      <caption>Agents per day</caption>
      <thead>
        <tr>
          <th scope="col">Agent</th><th scope="col">Day</th><th scope="col">Offered</th><th scope="col">Answered</th>
          <th scope="col">Declined</th><th scope="col">Timed out</th><th scope="col">Transfers</th>
          <th scope="col">Handle time</th><th scope="col">Average wait</th>
          <th scope="col">Staffed</th><th scope="col">Occupancy</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.day} ${r.agent_id}`}>
            <th scope="row">{r.name || r.agent_id}</th><td>{r.day}</td><td>{r.offered}</td><td>{r.answered}</td>
            <td>{r.rejected}</td><td>{r.timed_out}</td><td>{r.transfers}</td><td>{duration(r.handle_time_s)}</td>
            <td>{r.answered ? duration(r.wait_s / r.answered) : "—"}</td>
            <td>{duration(r.available_s + r.busy_s)}</td><td>{percent(r.occupancy)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Reports() {
  const { api, store } = useApp();
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - (RANGE_DAYS - 1) * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [rows, setRows] = useState<AgentDay[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function show(): Promise<void> {
    setError(null);
    try {
      setRows(await store.api.all<AgentDay>(`/reports/agents?${rangeQuery(from, to)}&limit=1000`, MAX_PAGES));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function download(): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await downloadCsv(api, from, to);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    void show();
  }, []);

  return (
    <section class="card reports" aria-label="Reports">
      <h2>Reports</h2>
      <form class="range" onSubmit={(e) => { e.preventDefault(); void show(); }}>
        <label>From <input type="date" value={from} max={to} required onInput={(e) => setFrom(e.currentTarget.value)} /></label>
        <label>To <input type="date" value={to} min={from} required onInput={(e) => setTo(e.currentTarget.value)} /></label>
        <button type="submit">Show report</button>
        <button type="button" disabled={busy} onClick={() => void download()}>Download CSV</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      {rows !== null && rows.length === 0 && <p role="status">No figures in this range yet.</p>}
      {rows !== null && rows.length > 0 && (
        <>
          <AnsweredChart rows={rows} />
          <AgentTable rows={rows} />
        </>
      )}
    </section>
  );
}
