/**
 * Admin pages (company admins): company switches and HELP text, business numbers and
 * who is assigned to them, inviting co-workers and offboarding them, the per-user SMS
 * switch and profile policy, profile policies, and SMS usage per day as a chart; the
 * texting policy, registrations and End User Messaging sandbox (``admin_texting``); the
 * contact center's set-up: queues, channels, agents, canned replies (``admin_cc``).
 * Loaded only when opened.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { enc } from "../lib/api";
import type { User } from "../lib/types";
import { ContactCenterSetup } from "./admin_cc";
import { RegistrationsSection, SandboxSection, TextingPolicySection } from "./admin_texting";
import { useLoad } from "./use_load";

interface Company { company_id: string; name: string; sms_enabled: boolean; im_enabled: boolean; help_text: string }
interface NumberRow {
  e164: string; type: string; provider: string; state: string; users: string[]; sms_capable: boolean; capabilities: string[];
  registration?: { kind: string; status: string; reason: string };
}
interface Policy { policy_id?: string; id?: string; name: string; sms_enabled: boolean }
interface UsageRow { day: string; scope: string; outbound: { messages: number; segments: number }; inbound: { messages: number; segments: number } }

const policyId = (p: Policy) => p.policy_id || p.id || "";

/** The company's switches and HELP reply; the page reads the company once, and the
 * texting policy's section shows the HELP reply from the same copy. */
function CompanySection({ company, error, setCompany }: {
  company: Company | null;
  error: string;
  setCompany: (company: Company) => void;
}) {
  const { api } = useApp();
  const [help, setHelp] = useState<string | null>(null); // the HELP reply as typed, until saved
  const [note, setNote] = useState("");
  // A change is saved one at a time (the switches and Save wait, a moment; marked
  // aria-disabled, not disabled, which would take the keyboard's focus off them): the
  // switch flipped shows its new value until the save's answer, the company as stored.
  const [pending, setPending] = useState<Partial<Company>>({});
  const [saving, setSaving] = useState(false);
  async function patch(body: Partial<Company>) {
    if (saving) return;
    setPending(body);
    setSaving(true);
    try {
      const saved = await api.patch<Company>("/admin/company", body);
      setCompany(saved);
      // the box follows what was stored (trimmed), unless typed in since
      if ("help_text" in body) setHelp((typed) => (typed === body.help_text ? null : typed));
      setNote("Saved.");
    } catch (e) {
      setNote((e as Error).message);
    } finally {
      setPending({});
      setSaving(false);
    }
  }
  return (
    <section aria-labelledby="company-title" class="card">
      <h2 id="company-title">Company</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {company && (
        <>
          <p>{company.name}</p>
          <label class="check"><input type="checkbox" checked={pending.sms_enabled ?? company.sms_enabled} aria-disabled={saving}
            onClick={(e) => saving && e.preventDefault()}
            onChange={(e) => void patch({ sms_enabled: e.currentTarget.checked })} /> SMS enabled for the company</label>
          <label class="check"><input type="checkbox" checked={pending.im_enabled ?? company.im_enabled} aria-disabled={saving}
            onClick={(e) => saving && e.preventDefault()}
            onChange={(e) => void patch({ im_enabled: e.currentTarget.checked })} /> Instant messaging enabled</label>
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); void patch({ help_text: help ?? company.help_text }); }}>
            <label for="help-text">HELP reply</label>
            <input id="help-text" value={help ?? company.help_text} onInput={(e) => setHelp(e.currentTarget.value)} />
            <button type="submit" aria-disabled={saving}>Save</button>
          </form>
        </>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}

function NumbersSection({ users }: { users: User[] }) {
  const { api } = useApp();
  const [numbers, error, reload] = useLoad(() => api.all<NumberRow>("/admin/numbers?limit=100"));
  const [note, setNote] = useState("");
  const [choice, setChoice] = useState<Record<string, string>>({});
  const name = (id: string) => users.find((u) => u.user_id === id)?.name || id;
  async function call(method: "put" | "del", e164: string, userId: string) {
    try {
      const path = `/admin/numbers/${enc(e164)}/users/${enc(userId)}`;
      await (method === "put" ? api.put(path) : api.del(path));
      setNote(method === "put" ? `${name(userId)} assigned to ${e164}.` : `${name(userId)} removed from ${e164}.`);
      setChoice({ ...choice, [e164]: "" });
      reload();
    } catch (e) {
      setNote((e as Error).message);
    }
  }
  return (
    <section aria-labelledby="numbers-title" class="card">
      <h2 id="numbers-title">Numbers and assignments</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <table>
        <thead><tr><th scope="col">Number</th><th scope="col">Type</th><th scope="col">Provider</th><th scope="col">Assigned to</th><th scope="col">Assign</th></tr></thead>
        <tbody>
          {(numbers || []).map((n) => (
            <tr key={n.e164}>
              <th scope="row">{n.e164}</th>
              <td>
                {n.type}{n.sms_capable ? " · SMS" : ""}{n.state !== "active" ? ` · ${n.state}` : ""}
                {n.registration && n.registration.kind !== "none" && (
                  <span class="registration"> · {n.registration.kind === "toll_free" ? "toll-free" : n.registration.kind} {n.registration.status.replace("_", " ")}</span>
                )}
              </td>
              <td>{n.provider}</td>
              <td>
                <ul class="plain">
                  {n.users.map((u) => (
                    <li key={u}>{name(u)} <button type="button" class="link" aria-label={`Unassign ${name(u)} from ${n.e164}`}
                      onClick={() => void call("del", n.e164, u)}>Unassign</button></li>
                  ))}
                </ul>
              </td>
              <td>
                <select aria-label={`User to assign to ${n.e164}`} value={choice[n.e164] || ""}
                  onChange={(e) => setChoice({ ...choice, [n.e164]: e.currentTarget.value })}>
                  <option value="">Choose…</option>
                  {users.filter((u) => !n.users.includes(u.user_id)).map((u) => <option key={u.user_id} value={u.user_id}>{u.name}</option>)}
                </select>
                <button type="button" disabled={!choice[n.e164]} onClick={() => void call("put", n.e164, choice[n.e164]!)}>Assign</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {note && <p role="status">{note}</p>}
    </section>
  );
}

function InviteSection({ users, reload }: { users: User[]; reload: () => void }) {
  const { api } = useApp();
  const [form, setForm] = useState({ username: "", email: "", name: "", role: "user" });
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const field = (key: keyof typeof form) => (e: Event) =>
    setForm((old) => ({ ...old, [key]: (e.currentTarget as HTMLInputElement).value }));
  async function invite(e: Event) {
    e.preventDefault();
    setBusy(true);
    try {
      const body = { username: form.username.trim(), email: form.email.trim(), name: form.name.trim(), role: form.role };
      const before = new Set(users.map((u) => u.user_id));
      const user = await api.post<User>("/admin/users", body);
      setNote(before.has(user.user_id)
        ? `${user.name} was already invited (nothing sent again).`
        : `Invitation sent to ${user.email || body.email}: ${user.name} signs in with the temporary password it holds.`);
      setForm({ username: "", email: "", name: "", role: "user" });
      reload();
    } catch (err) {
      setNote((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="invite-title" class="card">
      <h2 id="invite-title">Invite a co-worker</h2>
      <form class="inline-form" onSubmit={invite}>
        <label for="invite-username">Username</label>
        <input id="invite-username" required maxLength={128} pattern="[A-Za-z0-9._+\-]+" autocomplete="off"
          value={form.username} onInput={field("username")} />
        <label for="invite-email">Email</label>
        <input id="invite-email" type="email" required maxLength={254} value={form.email} onInput={field("email")} />
        <label for="invite-name">Name</label>
        <input id="invite-name" required maxLength={100} value={form.name} onInput={field("name")} />
        <label for="invite-role">Role</label>
        <select id="invite-role" value={form.role} onChange={field("role")}>
          <option value="user">User</option>
          <option value="admin">Admin</option>
        </select>
        <button type="submit" disabled={busy}>Send invitation</button>
      </form>
      {note && <p role="status">{note}</p>}
    </section>
  );
}

function UsersSection({ users, policies, reload }: { users: User[]; policies: Policy[]; reload: () => void }) {
  const { api, store } = useApp();
  const me = useStoreState(store).me;
  const [note, setNote] = useState("");
  // What was just chosen shows at once (controlled inputs snap back to the data
  // otherwise); a reloaded list replaces it, except for a user whose change is still
  // on its way (a list loaded before it would undo the newer choice on screen).
  const [pending, setPending] = useState<Record<string, Partial<User>>>({});
  const inFlight = useRef<Record<string, number>>({});
  useEffect(
    () => setPending((old) => Object.fromEntries(Object.entries(old).filter(([id]) => (inFlight.current[id] || 0) > 0))),
    [users],
  );
  async function patch(user: User, body: Partial<User>) {
    const id = user.user_id;
    setPending((old) => ({ ...old, [id]: { ...old[id], ...body } }));
    inFlight.current[id] = (inFlight.current[id] || 0) + 1;
    try {
      await api.patch(`/admin/users/${enc(id)}`, body);
      setNote(`${user.name} updated.`);
    } catch (e) {
      setPending((old) => ({ ...old, [id]: {} }));
      setNote((e as Error).message);
    } finally {
      inFlight.current[id] -= 1;
      reload();
    }
  }
  async function setEnabled(user: User, enabled: boolean) {
    const verb = enabled ? "enable" : "disable";
    if (!enabled && !confirm(`Disable ${user.name}? They are signed out everywhere at once; what they wrote stays.`)) return;
    try {
      await api.post(`/admin/users/${enc(user.user_id)}/${verb}`, {});
      setNote(enabled ? `${user.name} can sign in again.` : `${user.name} is disabled and signed out everywhere.`);
      reload();
    } catch (e) {
      setNote((e as Error).message);
    }
  }
  return (
    <section aria-labelledby="users-title" class="card">
      <h2 id="users-title">Users</h2>
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Licence</th><th scope="col">SMS</th><th scope="col">Profile policy</th><th scope="col">Account</th></tr></thead>
        <tbody>
          {users.map((user) => ({ ...user, ...pending[user.user_id] })).map((u) => (
            <tr key={u.user_id}>
              <th scope="row">{u.name}{u.username ? <div class="muted">{u.username}</div> : null}</th>
              <td>{u.license_type}</td>
              <td><input type="checkbox" aria-label={`SMS enabled for ${u.name}`} checked={u.sms_enabled !== false}
                onChange={(e) => void patch(u, { sms_enabled: e.currentTarget.checked })} /></td>
              <td>
                <select aria-label={`Profile policy of ${u.name}`} value={u.policy_id || ""}
                  onChange={(e) => void patch(u, { policy_id: e.currentTarget.value || null })}>
                  <option value="">None</option>
                  {policies.map((p) => <option key={policyId(p)} value={policyId(p)}>{p.name}</option>)}
                </select>
              </td>
              <td>
                {u.enabled === false ? "Disabled " : "Active "}
                {u.user_id !== me.user_id && (u.enabled === false
                  ? <button type="button" class="secondary" onClick={() => void setEnabled(u, true)}>Enable {u.name}</button>
                  : <button type="button" class="secondary" onClick={() => void setEnabled(u, false)}>Disable {u.name}</button>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {note && <p role="status">{note}</p>}
    </section>
  );
}

function PoliciesSection({ policies, reload }: { policies: Policy[]; reload: () => void }) {
  const { api } = useApp();
  const [name, setName] = useState("");
  const [note, setNote] = useState("");
  async function run(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      setNote(done);
      reload();
    } catch (e) {
      setNote((e as Error).message);
    }
  }
  return (
    <section aria-labelledby="policies-title" class="card">
      <h2 id="policies-title">Profile policies</h2>
      <ul class="plain">
        {policies.map((p) => (
          <li key={policyId(p)}>
            <label class="check"><input type="checkbox" checked={p.sms_enabled}
              onChange={(e) => void run(() => api.patch(`/admin/policies/${enc(policyId(p))}`, { sms_enabled: e.currentTarget.checked }), `${p.name} updated.`)} />
              SMS allowed by “{p.name}”</label>
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={(e) => { e.preventDefault(); void run(() => api.post("/admin/policies", { name: name.trim(), sms_enabled: true }), `Policy ${name.trim()} created.`).then(() => setName("")); }}>
        <label for="policy-name">New policy</label>
        <input id="policy-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create</button>
      </form>
      {note && <p role="status">{note}</p>}
    </section>
  );
}

function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function UsageSection() {
  const { api } = useApp();
  const today = new Date();
  const [from, setFrom] = useState(iso(new Date(today.getTime() - 29 * 86400e3)));
  const [to, setTo] = useState(iso(today));
  const [usage, error] = useLoad(() => api.get<{ items: UsageRow[] }>(`/admin/usage?from=${from}&to=${to}`), [from, to]);
  const rows = (usage?.items || []).filter((r) => r.scope === "company" || r.scope.startsWith("company"));
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); iso(d) <= to && days.length < 366; d = new Date(d.getTime() + 86400e3)) days.push(iso(d));
  const max = Math.max(1, ...rows.map((r) => Math.max(r.outbound.segments, r.inbound.segments)));
  const width = Math.max(300, days.length * 18);
  const H = 160;
  const bar = 7;
  const total = rows.reduce((s, r) => ({ out: s.out + r.outbound.segments, in: s.in + r.inbound.segments }), { out: 0, in: 0 });
  return (
    <section aria-labelledby="usage-title" class="card">
      <h2 id="usage-title">SMS usage per day</h2>
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <label for="usage-from">From</label>
        <input id="usage-from" type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        <label for="usage-to">To</label>
        <input id="usage-to" type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <p>Segments in the period: {total.out} sent, {total.in} received.</p>
      <div class="chart-scroll" tabIndex={0} role="group" aria-label="Usage chart (scrolls sideways)">
        <svg role="img" aria-label={`Segments per day from ${from} to ${to}: ${total.out} sent, ${total.in} received`}
          width={width} height={H + 30} viewBox={`0 0 ${width} ${H + 30}`}>
          {days.map((day, i) => {
            const r = byDay.get(day);
            const out = r ? (r.outbound.segments / max) * H : 0;
            const inn = r ? (r.inbound.segments / max) * H : 0;
            const x = i * 18 + 2;
            return (
              <g key={day}>
                <title>{`${day}: ${r?.outbound.segments || 0} sent, ${r?.inbound.segments || 0} received`}</title>
                <rect x={x} y={H - out} width={bar} height={out} class="bar-out" />
                <rect x={x + bar} y={H - inn} width={bar} height={inn} class="bar-in" />
                {i % 7 === 0 && <text x={x} y={H + 16} class="axis">{day.slice(5)}</text>}
              </g>
            );
          })}
          <line x1="0" y1={H} x2={width} y2={H} class="axis-line" />
        </svg>
      </div>
      <p class="legend"><span class="key out" aria-hidden="true" /> sent <span class="key in" aria-hidden="true" /> received</p>
      <table class="sr-only">
        <caption>Usage per day</caption>
        <thead><tr><th scope="col">Day</th><th scope="col">Sent segments</th><th scope="col">Received segments</th></tr></thead>
        <tbody>{rows.map((r) => <tr key={r.day}><th scope="row">{r.day}</th><td>{r.outbound.segments}</td><td>{r.inbound.segments}</td></tr>)}</tbody>
      </table>
    </section>
  );
}

export default function AdminPage() {
  const { api, store } = useApp();
  const state = useStoreState(store);
  const [users, usersError, reloadUsers] = useLoad(() => api.all<User>("/directory?limit=100", 10));
  const [policies, , reloadPolicies] = useLoad(() => api.all<Policy>("/admin/policies?limit=100", 10));
  const [company, companyError, , setCompany] = useLoad(() => api.get<Company>("/admin/company"));
  if (state.me.role !== "admin") return <p role="alert">Only company admins can open this page.</p>;
  return (
    <div class="admin">
      <h1>Admin</h1>
      {usersError && <p class="error" role="alert">{usersError}</p>}
      <CompanySection company={company} error={companyError} setCompany={setCompany} />
      <NumbersSection users={users || []} />
      <InviteSection users={users || []} reload={reloadUsers} />
      <UsersSection users={users || []} policies={policies || []} reload={reloadUsers} />
      <PoliciesSection policies={policies || []} reload={() => { reloadPolicies(); reloadUsers(); }} />
      <ContactCenterSetup />
      <TextingPolicySection helpText={company?.help_text || ""} />
      <RegistrationsSection />
      <SandboxSection />
      <UsageSection />
    </div>
  );
}
