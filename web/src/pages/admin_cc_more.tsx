/**
 * The contact center's set-up, continued: channels (a business number and the queue its
 * texts go to), agents' routing profiles (skills with levels, queues, how many
 * interactions at once, supervisor or not) and canned replies.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import type { Agent, Canned } from "../lib/cc_types";
import { type FieldErrors, ID_PATTERN, RULES, type SkillRow, checkNewId, checkSkills, checkText, checkWhole } from "../lib/cc_setup_rules";
import { DeleteButton } from "./admin_cc_delete";
import { Choice, Field, FieldError, FormError, SkillsEditor, invalid, skillRows, useFormErrors } from "./admin_cc_fields";

function useFocusOnOpen() {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return heading;
}

// -- channels ------------------------------------------------------------------------------

function ChannelRow({ e164, queueId, onDeleted }: { e164: string; queueId: string; onDeleted: (note: string) => void }) {
  const { store } = useApp();
  const queues = useStoreState(store).cc.setup.queues;
  const [choice, setChoice] = useState(queueId);
  const [note, setNote] = useState("");
  const form = useFormErrors("channel");
  const id = `ch-${e164.replace(/\D/g, "")}`;
  async function save(event: Event) {
    event.preventDefault();
    try {
      await store.cc.setup.saveChannel(e164, choice);
      form.clear();
      setNote("Saved.");
    } catch (error) {
      setNote("");
      form.refused(error);
    }
  }
  return (
    <tr>
      <th scope="row">{e164}</th>
      <td>
        <form ref={form.ref} class="inline-form" aria-label={`Channel ${e164}`} noValidate onSubmit={save}>
          <Choice id={id} label={`Queue for ${e164}`} value={choice} onValue={(v) => { setNote(""); setChoice(v); }} error={form.errors.queue_id || form.errors.e164}>
            {queues.map((q) => <option key={q.queue_id} value={q.queue_id}>{q.name}</option>)}
          </Choice>
          <button type="submit" disabled={choice === queueId && !form.formError}>Save</button>
          <FormError message={form.formError} />
          {note && <span role="status">{note}</span>}
        </form>
      </td>
      <td class="actions">
        <DeleteButton what="channel" name={e164} onDelete={() => store.cc.setup.deleteChannel(e164)} onDeleted={onDeleted}
          explain="Texts to this number reach its assigned users again, not a queue. While a customer who texted it is still waiting or being answered, it stays a channel." />
      </td>
    </tr>
  );
}

export function ChannelsSetup() {
  const { store } = useApp();
  const setup = useStoreState(store).cc.setup;
  const free = setup.numbers.filter((n) => n.sms_capable && !setup.channels.some((c) => c.e164 === n.e164));
  const [number, setNumber] = useState("");
  const [queue, setQueue] = useState("");
  const [note, setNote] = useState("");
  const form = useFormErrors("channel");
  async function add(event: Event) {
    event.preventDefault();
    const found: FieldErrors = {};
    if (!number) found.e164 = "choose a business number";
    if (!queue) found.queue_id = "queue_id is required";
    if (!form.check(found)) return;
    try {
      await store.cc.setup.saveChannel(number, queue);
      setNote(`${number} is now a channel.`);
      setNumber("");
    } catch (error) {
      form.refused(error);
    }
  }
  return (
    <section aria-labelledby="cc-channels-title" class="setup-part">
      <h3 id="cc-channels-title">Channels</h3>
      <p class="hint">A customer who texts a channel number reaches the queue, not the number's assigned users.</p>
      <table>
        <caption class="sr-only">Channels</caption>
        <thead><tr><th scope="col">Number</th><th scope="col">Queue</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>{setup.channels.map((c) => <ChannelRow key={c.e164} e164={c.e164} queueId={c.queue_id} onDeleted={setNote} />)}</tbody>
      </table>
      <form ref={form.ref} class="setup-form" aria-labelledby="channel-form-title" noValidate onSubmit={add}>
        <h4 id="channel-form-title">Add a channel</h4>
        <FormError message={form.formError} />
        <div class="setup-grid">
          <Choice id="ch-new-number" label="Business number" value={number} onValue={setNumber} error={form.errors.e164}
            hint={free.length ? undefined : "Every SMS number of the company is a channel already"}>
            <option value="">Choose…</option>
            {free.map((n) => <option key={n.e164} value={n.e164}>{n.e164}{n.users.length ? ` (${n.users.length} assigned)` : ""}</option>)}
          </Choice>
          <Choice id="ch-new-queue" label="Queue" value={queue} onValue={setQueue} error={form.errors.queue_id}>
            <option value="">Choose…</option>
            {setup.queues.map((q) => <option key={q.queue_id} value={q.queue_id}>{q.name}</option>)}
          </Choice>
        </div>
        <button type="submit">Add channel</button>
      </form>
      {note && <p role="status">{note}</p>}
    </section>
  );
}

// -- agents --------------------------------------------------------------------------------

interface AgentForm {
  skills: SkillRow[];
  queues: string[];
  max_concurrent: string;
  supervisor: boolean;
}

function AgentEditor({ userId, name, agent, onDone }: { userId: string; name: string; agent: Agent | null; onDone: (note: string) => void }) {
  const { store } = useApp();
  const queues = useStoreState(store).cc.setup.queues;
  const [f, setF] = useState<AgentForm>({
    skills: skillRows(agent?.skills || {}),
    queues: agent?.queues || [],
    max_concurrent: agent ? String(agent.max_concurrent) : "",
    supervisor: agent?.role === "supervisor",
  });
  const form = useFormErrors("agent");
  const heading = useFocusOnOpen();
  const set = (change: Partial<AgentForm>) => setF((old) => ({ ...old, ...change }));
  async function save(event: Event) {
    event.preventDefault();
    const found: FieldErrors = {};
    checkSkills(f.skills, found, RULES.agent.skills!);
    const cap = checkWhole(RULES.agent.max_concurrent!, "max_concurrent", f.max_concurrent);
    if (cap) found.max_concurrent = cap;
    if (!form.check(found)) return;
    try {
      await store.cc.setup.saveAgent(userId, {
        skills: Object.fromEntries(f.skills.map((r) => [r.skill, r.level])),
        queues: f.queues,
        role: f.supervisor ? "supervisor" : "agent",
        ...(f.max_concurrent.trim() ? { max_concurrent: Number(f.max_concurrent) } : {}),
      });
      onDone(`${name}'s routing profile saved.`);
    } catch (error) {
      form.refused(error, ["skills", "queues", "max_concurrent", "role"]);
    }
  }
  const cap = RULES.agent.max_concurrent!;
  return (
    <form ref={form.ref} class="setup-form" aria-labelledby="agent-form-title" noValidate onSubmit={save}>
      <h4 id="agent-form-title" ref={heading} tabIndex={-1}>Routing profile of {name}</h4>
      <FormError message={form.formError} />
      <SkillsEditor id="ag-skills" legend="Skills" rows={f.skills} onRows={(skills) => set({ skills })} errors={form.errors} />
      <fieldset aria-describedby="ag-queues-error">
        <legend>Queues</legend>
        {queues.map((q) => (
          <label class="check" key={q.queue_id}>
            <input type="checkbox" checked={f.queues.includes(q.queue_id)} {...invalid(form.errors.queues)} aria-describedby="ag-queues-error"
              onChange={(e) => set({ queues: e.currentTarget.checked ? [...f.queues, q.queue_id] : f.queues.filter((x) => x !== q.queue_id) })} />
            {" "}{q.name}
          </label>
        ))}
        <FieldError id="ag-queues" error={form.errors.queues} />
      </fieldset>
      <div class="setup-grid">
        <Field id="ag-max" label="Interactions at once" value={f.max_concurrent} onValue={(v) => set({ max_concurrent: v })} inputMode="numeric"
          error={form.errors.max_concurrent} hint={`${cap.minimum} to ${cap.maximum}; empty: the default`} />
      </div>
      <label class="check"><input type="checkbox" checked={f.supervisor} aria-describedby="ag-role-error" {...invalid(form.errors.role)}
        onChange={(e) => set({ supervisor: e.currentTarget.checked })} /> Supervisor (sees the figures of these queues)</label>
      <FieldError id="ag-role" error={form.errors.role} />
      <div class="row">
        <button type="submit">Save routing profile</button>
        <button type="button" class="secondary" onClick={() => onDone("")}>Cancel</button>
      </div>
    </form>
  );
}

export function AgentsSetup() {
  const { store } = useApp();
  const state = useStoreState(store);
  const setup = state.cc.setup;
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState("");
  const [note, setNote] = useState("");
  const people = [...state.users.values()].filter((u) => u.company_id === state.me.company_id);
  const nameOf = (id: string) => state.users.get(id)?.name || setup.agents.find((a) => a.agent_id === id)?.name || id;
  const queueName = (id: string) => setup.queues.find((q) => q.queue_id === id)?.name || id;
  const open = (id: string | null) => { setNote(""); setEditing(id); };
  return (
    <section aria-labelledby="cc-agents-title" class="setup-part">
      <h3 id="cc-agents-title">Agents</h3>
      <table>
        <caption class="sr-only">Agents' routing profiles</caption>
        <thead><tr><th scope="col">Agent</th><th scope="col">Role</th><th scope="col">Queues</th><th scope="col">Skills</th><th scope="col">At once</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {setup.agents.map((a) => (
            <tr key={a.agent_id}>
              <th scope="row">{nameOf(a.agent_id)}</th>
              <td>{a.role === "supervisor" ? "Supervisor" : "Agent"}</td>
              <td>{a.queues.map(queueName).join(", ") || "None"}</td>
              <td>{Object.entries(a.skills).map(([s, l]) => `${s} ${l}`).join(", ") || "None"}</td>
              <td>{a.max_concurrent}</td>
              <td><button type="button" class="secondary" aria-label={`Edit agent ${nameOf(a.agent_id)}`} onClick={() => open(a.agent_id)}>Edit</button></td>
            </tr>
          ))}
        </tbody>
      </table>
      {!editing && (
        <div class="inline-form">
          <label for="ag-new">Make a co-worker an agent</label>
          <select id="ag-new" value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            <option value="">Choose…</option>
            {people.filter((u) => !setup.agents.some((a) => a.agent_id === u.user_id)).map((u) => <option key={u.user_id} value={u.user_id}>{u.name}</option>)}
          </select>
          <button type="button" disabled={!adding} onClick={() => { open(adding); setAdding(""); }}>Set up routing profile</button>
        </div>
      )}
      {editing && (
        <AgentEditor key={editing} userId={editing} name={nameOf(editing)} agent={setup.agents.find((a) => a.agent_id === editing) || null}
          onDone={(done) => { setEditing(null); setNote(done); }} />
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}

// -- canned replies ------------------------------------------------------------------------

function CannedEditor({ reply, onDone }: { reply: Canned | null; onDone: (note: string) => void }) {
  const { store } = useApp();
  const queues = useStoreState(store).cc.setup.queues;
  const [f, setF] = useState({
    id: reply?.id || "", shortcut: reply?.shortcut || "", title: reply?.title || "", text: reply?.text || "", queues: reply?.queues || [],
  });
  const form = useFormErrors("canned");
  const heading = useFocusOnOpen();
  const R = RULES.canned;
  const set = (change: Partial<typeof f>) => setF((old) => ({ ...old, ...change }));
  async function save(event: Event) {
    event.preventDefault();
    const found: FieldErrors = {};
    const add = (name: string, message: string) => message && (found[name] = message);
    if (!reply && !new RegExp(ID_PATTERN).test(f.id)) add("reply_id", "reply_id must be 1-64 letters, digits, - or _");
    else if (!reply) add("reply_id", checkNewId(f.id, store.state.cc.setup.canned.map((c) => c.id), "canned reply"));
    add("shortcut", checkText(R.shortcut!, "shortcut", f.shortcut));
    add("title", checkText(R.title!, "title", f.title));
    add("text", checkText(R.text!, "text", f.text.trim() ? f.text : ""));
    if (f.queues.length > R.queues!.max_items!) add("queues", `at most ${R.queues!.max_items} queues`);
    if (!form.check(found)) return;
    try {
      const saved = await store.cc.setup.saveCanned(f.id, { shortcut: f.shortcut, title: f.title, text: f.text, queues: f.queues });
      onDone(`Canned reply ${saved.title || saved.id} saved.`);
    } catch (error) {
      form.refused(error);
    }
  }
  return (
    <form ref={form.ref} class="setup-form" aria-labelledby="canned-form-title" noValidate onSubmit={save}>
      <h4 id="canned-form-title" ref={heading} tabIndex={-1}>{reply ? `Edit canned reply ${reply.title || reply.id}` : "New canned reply"}</h4>
      <FormError message={form.formError} />
      <div class="setup-grid">
        {!reply && <Field id="cr-id" label="Reply ID" value={f.id} onValue={(v) => set({ id: v })} error={form.errors.reply_id} required
          hint="Letters, digits, - or _" />}
        <Field id="cr-title" label="Title" value={f.title} onValue={(v) => set({ title: v })} error={form.errors.title} />
        <Field id="cr-shortcut" label="Shortcut" value={f.shortcut} onValue={(v) => set({ shortcut: v })} error={form.errors.shortcut}
          hint="Agents type /shortcut in a reply" />
      </div>
      <Field id="cr-text" label="Reply text" multiline value={f.text} onValue={(v) => set({ text: v })} error={form.errors.text} required
        hint="{customer_name} and {agent_name} are filled in" />
      <fieldset aria-describedby="cr-queues-hint cr-queues-error">
        <legend>Queues</legend>
        <p id="cr-queues-hint" class="hint">Only the agents of these queues see it; none ticked: every queue.</p>
        {queues.map((q) => (
          <label class="check" key={q.queue_id}>
            <input type="checkbox" checked={f.queues.includes(q.queue_id)} {...invalid(form.errors.queues)} aria-describedby="cr-queues-error"
              onChange={(e) => set({ queues: e.currentTarget.checked ? [...f.queues, q.queue_id] : f.queues.filter((x) => x !== q.queue_id) })} />
            {" "}{q.name}
          </label>
        ))}
        <FieldError id="cr-queues" error={form.errors.queues} />
      </fieldset>
      <div class="row">
        <button type="submit">Save canned reply</button>
        <button type="button" class="secondary" onClick={() => onDone("")}>Cancel</button>
      </div>
    </form>
  );
}

export function CannedSetup() {
  const { store } = useApp();
  const setup = useStoreState(store).cc.setup;
  const canned = setup.canned;
  const queueName = (id: string) => setup.queues.find((q) => q.queue_id === id)?.name || id;
  const [editing, setEditing] = useState<Canned | "new" | null>(null);
  const [note, setNote] = useState("");
  return (
    <section aria-labelledby="cc-canned-title" class="setup-part">
      <h3 id="cc-canned-title">Canned replies</h3>
      <table>
        <caption class="sr-only">Canned replies</caption>
        <thead><tr><th scope="col">Title</th><th scope="col">Shortcut</th><th scope="col">Queues</th><th scope="col">Text</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {canned.map((c) => (
            <tr key={c.id}>
              <th scope="row">{c.title || c.id}</th>
              <td>{c.shortcut ? `/${c.shortcut}` : ""}</td>
              <td>{(c.queues || []).map(queueName).join(", ") || "Every queue"}</td>
              <td class="clip">{c.text}</td>
              <td class="actions">
                <button type="button" class="secondary" aria-label={`Edit canned reply ${c.title || c.id}`} onClick={() => { setNote(""); setEditing(c); }}>Edit</button>
                <DeleteButton what="canned reply" name={c.title || c.id} onDelete={() => store.cc.setup.deleteCanned(c.id)} onDeleted={setNote}
                  explain="Agents can no longer pick it. Texts already sent with it are kept." />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!editing && <button type="button" onClick={() => { setNote(""); setEditing("new"); }}>New canned reply</button>}
      {editing && (
        <CannedEditor key={editing === "new" ? "new" : editing.id} reply={editing === "new" ? null : editing}
          onDone={(done) => { setEditing(null); setNote(done); }} />
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}
