/**
 * The contact center's set-up on the admin page: queues (skills with levels, hours in a
 * time zone, overflow, capacity, service level, the automatic replies), channels,
 * agents' routing profiles and canned replies (admin_cc_more.tsx). What shows is the
 * store's `cc.setup` (store_cc_setup.ts); a form is checked by the API's rules
 * (lib/cc_setup_rules.ts) before it is sent, and the API's refusal is shown beside the
 * field it names.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import {
  DAYS, type Day, type FieldErrors, ID_PATTERN, RULES, type SkillRow, checkHours, checkNewId, checkSkills, checkText, checkWhole, span,
  timeZones,
} from "../lib/cc_setup_rules";
import type { QueueBody, QueueConfig } from "../lib/store_cc_setup";
import { Choice, DAY_NAMES, Field, FormError, HoursEditor, SkillsEditor, type Week, skillRows, useFormErrors } from "./admin_cc_fields";
import { DeleteButton } from "./admin_cc_delete";
import { AgentsSetup, CannedSetup, ChannelsSetup } from "./admin_cc_more";
import "./admin_cc.css";

const R = RULES.queue;
/** The queue's whole-number settings, in the order the form shows them. */
const NUMBERS = [
  "priority", "offer_timeout_s", "idle_after_s", "wrap_up_s", "service_level_s", "abandon_after_s",
  "last_agent_window_s", "overflow_after_s", "max_waiting",
] as const;
type NumberName = (typeof NUMBERS)[number];
const MESSAGES = ["entry_message", "closed_message", "full_message"] as const;

interface QueueForm {
  queue_id: string;
  isNew: boolean;
  name: string;
  skills: SkillRow[];
  timezone: string;
  alwaysOpen: boolean;
  week: Week;
  numbers: Record<NumberName, string>;
  messages: Record<(typeof MESSAGES)[number], string>;
  auto_accept: boolean;
  overflow_queue_id: string;
  overflow_level: string;
}

function weekOf(hours: Record<string, string>): Week {
  const week = {} as Week;
  for (const d of DAYS) {
    const [from, to] = (hours[d] || "09:00-17:00").split("-") as [string, string];
    week[d] = { open: d in hours, from, to: to === "24:00" ? "00:00" : to };
  }
  return week;
}

function formOf(queue: QueueConfig | null): QueueForm {
  const numbers = {} as Record<NumberName, string>;
  for (const n of NUMBERS) numbers[n] = queue ? String(queue[n]) : "";
  return {
    queue_id: queue?.queue_id || "",
    isNew: !queue,
    name: queue?.name || "",
    skills: skillRows(queue?.skills || {}),
    timezone: queue?.timezone || "UTC",
    alwaysOpen: !queue || Object.keys(queue.hours).length === 0,
    week: weekOf(queue?.hours || {}),
    numbers,
    messages: {
      entry_message: queue?.entry_message || "",
      closed_message: queue?.closed_message || "",
      full_message: queue?.full_message || "",
    },
    auto_accept: queue?.auto_accept || false,
    overflow_queue_id: queue?.overflow_queue_id || "",
    overflow_level: queue?.overflow_level ? String(queue.overflow_level) : "",
  };
}

/** What the API would refuse in the form, by the same rules (the API decides the rest). */
function checkQueue(f: QueueForm, queues: QueueConfig[]): FieldErrors {
  const errors: FieldErrors = {};
  const add = (name: string, message: string) => message && (errors[name] = message);
  if (f.isNew && !new RegExp(ID_PATTERN).test(f.queue_id)) add("queue_id", "queue_id must be 1-64 letters, digits, - or _");
  else if (f.isNew) add("queue_id", checkNewId(f.queue_id, queues.map((q) => q.queue_id), "queue"));
  add("name", checkText(R.name!, "name", f.name.trim()));
  checkSkills(f.skills, errors, R.skills!);
  add("timezone", checkText(R.timezone!, "timezone", f.timezone));
  if (!f.alwaysOpen) {
    checkHours(f.week, errors, R.hours!);
    if (!DAYS.some((d) => f.week[d].open)) add("hours", "open on at least one day, or choose Always open");
  }
  for (const n of NUMBERS) add(n, checkWhole(R[n]!, n, f.numbers[n]));
  for (const m of MESSAGES) add(m, checkText(R[m]!, m, f.messages[m]));
  return errors;
}

function bodyOf(f: QueueForm): QueueBody {
  const hours: Record<string, string> = {};
  if (!f.alwaysOpen) for (const d of DAYS) if (f.week[d].open) hours[d] = span(f.week[d]);
  const body: QueueBody = {
    name: f.name,
    skills: Object.fromEntries(f.skills.map((r) => [r.skill, r.level])),
    timezone: f.timezone,
    hours,
    entry_message: f.messages.entry_message,
    closed_message: f.messages.closed_message,
    auto_accept: f.auto_accept,
    overflow_queue_id: f.overflow_queue_id || null,
    overflow_level: f.overflow_level ? Number(f.overflow_level) : null,
  };
  // a new queue's left-out settings (and its full-queue reply) take the API's defaults
  if (f.messages.full_message || !f.isNew) body.full_message = f.messages.full_message;
  for (const n of NUMBERS) if (f.numbers[n].trim() !== "") body[n] = Number(f.numbers[n]);
  return body;
}

const range = (name: NumberName, unit = "seconds") => `${R[name]!.minimum} to ${R[name]!.maximum}${unit ? ` ${unit}` : ""}`;
let zones: string[] | null = null; // read when a queue form first opens, not at load
const ZONES = () => (zones ??= timeZones());

function QueueEditor({ queue, queues, onDone }: { queue: QueueConfig | null; queues: QueueConfig[]; onDone: (note: string) => void }) {
  const { store } = useApp();
  const [f, setF] = useState(() => formOf(queue));
  const [busy, setBusy] = useState(false);
  const form = useFormErrors("queue");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const e = form.errors;
  const set = (change: Partial<QueueForm>) => setF((old) => ({ ...old, ...change }));
  const num = (n: NumberName) => (v: string) => setF((old) => ({ ...old, numbers: { ...old.numbers, [n]: v } }));
  const msg = (m: (typeof MESSAGES)[number]) => (v: string) => setF((old) => ({ ...old, messages: { ...old.messages, [m]: v } }));
  async function save(event: Event) {
    event.preventDefault();
    if (!form.check(checkQueue(f, queues))) return;
    setBusy(true);
    try {
      const saved = await store.cc.setup.saveQueue(f.queue_id, bodyOf(f));
      onDone(`Queue ${saved.name} saved.`);
    } catch (error) {
      form.refused(error);
    } finally {
      setBusy(false);
    }
  }
  const title = queue ? `Edit queue ${queue.name}` : "New queue";
  return (
    <form ref={form.ref} class="setup-form" aria-labelledby="queue-form-title" noValidate onSubmit={save}>
      <h3 id="queue-form-title" ref={heading} tabIndex={-1}>{title}</h3>
      <FormError message={form.formError} />
      <div class="setup-grid">
        {f.isNew && (
          <Field id="q-id" label="Queue ID" value={f.queue_id} onValue={(v) => set({ queue_id: v })} error={e.queue_id} required
            hint="Letters, digits, - or _; it cannot change later" />
        )}
        <Field id="q-name" label="Name" value={f.name} onValue={(v) => set({ name: v })} error={e.name} required
          hint={`Shown to agents and supervisors; at most ${R.name!.max_len} characters`} />
        <Field id="q-priority" label="Priority" value={f.numbers.priority} onValue={num("priority")} error={e.priority} inputMode="numeric"
          hint={`${range("priority", "")}; agents of several queues take the highest first`} />
      </div>
      <SkillsEditor id="q-skills" legend="Required skills" rows={f.skills} onRows={(skills) => set({ skills })} errors={e} />
      <fieldset>
        <legend>Hours and time zone</legend>
        <Field id="q-timezone" label="Time zone" value={f.timezone} onValue={(v) => set({ timezone: v })} error={e.timezone} list="q-zones"
          hint="An IANA name such as America/New_York" />
        <datalist id="q-zones">{ZONES().map((z) => <option key={z} value={z} />)}</datalist>
        <HoursEditor id="q-hours" alwaysOpen={f.alwaysOpen} onAlwaysOpen={(alwaysOpen) => set({ alwaysOpen })} week={f.week}
          onWeek={(week) => set({ week })} errors={e} />
      </fieldset>
      <fieldset>
        <legend>Messages to customers</legend>
        <Field id="q-entry" label="Greeting" multiline value={f.messages.entry_message} onValue={msg("entry_message")} error={e.entry_message}
          hint="Sent to a new customer; {position} and {wait_minutes} are filled in" />
        <Field id="q-closed" label="Closed message" multiline value={f.messages.closed_message} onValue={msg("closed_message")}
          error={e.closed_message} hint="Sent outside the opening hours" />
        <Field id="q-full" label="Queue full message" multiline value={f.messages.full_message} onValue={msg("full_message")}
          error={e.full_message} hint="Sent when the queue is full and there is no overflow queue; empty for a new queue: the default" />
      </fieldset>
      <fieldset>
        <legend>Overflow and capacity</legend>
        <div class="setup-grid">
          <Field id="q-overflow-after" label="Overflow after (seconds)" value={f.numbers.overflow_after_s} onValue={num("overflow_after_s")}
            error={e.overflow_after_s} inputMode="numeric" hint={`${range("overflow_after_s")}; 0: never`} />
          <Choice id="q-overflow-queue" label="Overflow to queue" value={f.overflow_queue_id} onValue={(v) => set({ overflow_queue_id: v })}
            error={e.overflow_queue_id}>
            <option value="">None</option>
            {queues.filter((q) => q.queue_id !== f.queue_id).map((q) => <option key={q.queue_id} value={q.queue_id}>{q.name}</option>)}
          </Choice>
          <Choice id="q-overflow-level" label="Or relax required levels to" value={f.overflow_level} onValue={(v) => set({ overflow_level: v })}
            error={e.overflow_level}>
            <option value="">Do not relax</option>
            {[1, 2, 3, 4, 5].map((n) => <option key={n} value={n}>{n}</option>)}
          </Choice>
          <Field id="q-max-waiting" label="Most customers waiting" value={f.numbers.max_waiting} onValue={num("max_waiting")}
            error={e.max_waiting} inputMode="numeric" hint={`${range("max_waiting", "")}; 0: no limit`} />
        </div>
      </fieldset>
      <fieldset>
        <legend>Offers, service level and timing</legend>
        <div class="setup-grid">
          <Field id="q-service-level" label="Service-level threshold (seconds)" value={f.numbers.service_level_s} onValue={num("service_level_s")}
            error={e.service_level_s} inputMode="numeric" hint={`${range("service_level_s")}; answered within it counts toward the service level`} />
          <Field id="q-offer-timeout" label="Offer timeout (seconds)" value={f.numbers.offer_timeout_s} onValue={num("offer_timeout_s")}
            error={e.offer_timeout_s} inputMode="numeric" hint={range("offer_timeout_s")} />
          <Field id="q-idle" label="Idle after (seconds)" value={f.numbers.idle_after_s} onValue={num("idle_after_s")}
            error={e.idle_after_s} inputMode="numeric" hint={`${range("idle_after_s")}; a quiet customer's thread frees its slot`} />
          <Field id="q-wrap-up" label="Wrap-up (seconds)" value={f.numbers.wrap_up_s} onValue={num("wrap_up_s")}
            error={e.wrap_up_s} inputMode="numeric" hint={range("wrap_up_s")} />
          <Field id="q-abandon" label="Abandoned after (seconds)" value={f.numbers.abandon_after_s} onValue={num("abandon_after_s")}
            error={e.abandon_after_s} inputMode="numeric" hint={range("abandon_after_s")} />
          <Field id="q-last-agent" label="Prefer the last agent for (seconds)" value={f.numbers.last_agent_window_s}
            onValue={num("last_agent_window_s")} error={e.last_agent_window_s} inputMode="numeric" hint={range("last_agent_window_s")} />
        </div>
        <label class="check"><input type="checkbox" checked={f.auto_accept} onChange={(ev) => set({ auto_accept: ev.currentTarget.checked })} />
          {" "}Accept offers automatically</label>
      </fieldset>
      <p class="hint">A number left empty takes the API's default (docs: Contact center, Settings).</p>
      <div class="row">
        <button type="submit" disabled={busy}>Save queue</button>
        <button type="button" class="secondary" onClick={() => onDone("")}>Cancel</button>
      </div>
    </form>
  );
}

function hoursSummary(q: QueueConfig): string {
  const open = DAYS.filter((d) => q.hours[d]);
  if (open.length === 0) return "Always open";
  return `${open.map((d: Day) => `${DAY_NAMES[d].slice(0, 3)} ${q.hours[d]}`).join(", ")} (${q.timezone})`;
}

function QueuesSetup() {
  const { store } = useApp();
  const setup = useStoreState(store).cc.setup;
  const [editing, setEditing] = useState<QueueConfig | "new" | null>(null);
  const [note, setNote] = useState("");
  const name = (id: string | null) => setup.queues.find((q) => q.queue_id === id)?.name || id || "";
  return (
    <section aria-labelledby="cc-queues-title" class="setup-part">
      <h3 id="cc-queues-title">Queues</h3>
      <table>
        <caption class="sr-only">Queues</caption>
        <thead><tr><th scope="col">Queue</th><th scope="col">Required skills</th><th scope="col">Hours</th><th scope="col">Overflow</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {setup.queues.map((q) => (
            <tr key={q.queue_id}>
              <th scope="row">{q.name}<div class="muted">{q.queue_id}</div></th>
              <td>{Object.entries(q.skills).map(([s, l]) => `${s} ${l}`).join(", ") || "None"}</td>
              <td>{hoursSummary(q)}</td>
              <td>{q.overflow_after_s ? `after ${q.overflow_after_s} s → ${q.overflow_queue_id ? name(q.overflow_queue_id) : `levels ${q.overflow_level}`}` : "None"}</td>
              <td class="actions">
                <button type="button" class="secondary" aria-label={`Edit queue ${q.name}`} onClick={() => { setNote(""); setEditing(q); }}>Edit</button>
                <DeleteButton what="queue" name={q.name} onDelete={() => store.cc.setup.deleteQueue(q.queue_id)} onDeleted={setNote}
                  explain="Customers can no longer be routed to it. A queue that a channel, another queue's overflow, an agent's profile or a canned reply still names, or that still holds customers, is kept: move those first." />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!editing && <button type="button" onClick={() => { setNote(""); setEditing("new"); }}>New queue</button>}
      {editing && (
        <QueueEditor key={editing === "new" ? "new" : editing.queue_id} queue={editing === "new" ? null : editing} queues={setup.queues}
          onDone={(done) => { setEditing(null); setNote(done); }} />
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}

/** The admin page's "Contact center" section. */
export function ContactCenterSetup() {
  const { store } = useApp();
  const setup = useStoreState(store).cc.setup;
  useEffect(() => void store.cc.setup.load(), [store]);
  return (
    <section aria-labelledby="cc-setup-title" class="card contact-center-setup">
      <h2 id="cc-setup-title">Contact center</h2>
      {!setup.loaded && <p class="loading">Loading…</p>}
      {setup.error && <p class="error" role="alert">{setup.error}</p>}
      {setup.loaded && !setup.error && (
        <>
          <QueuesSetup />
          <ChannelsSetup />
          <AgentsSetup />
          <CannedSetup />
        </>
      )}
    </section>
  );
}
