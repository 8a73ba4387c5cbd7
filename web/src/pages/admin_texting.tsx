/**
 * Lawful texting on the admin page: the company's texting policy (who the replies
 * name, the STOP and START confirmations, the HELP reply, quiet hours, which business
 * numbers may text), its registrations (brand, campaigns, toll-free verifications,
 * with the provider's reasons; a `registration.needs_updates` event reloads them), and
 * the End User Messaging sandbox (tier, spend limit, verified destinations).
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import type { Page } from "../lib/api";
import { useLoad, without } from "./use_load";

interface TextingPolicy {
  sender_name: string; stop_reply: string; start_reply: string; quiet_hours: boolean;
  number_countries: string[]; toll_free: string;
}
interface Registration {
  id: string; type: string; provider: string; status: string; provider_status: string; reason: string;
  numbers: string[]; details: Record<string, unknown>; updated_at: string;
  history?: { status: string; at: string; reason: string }[];
}
interface SmsAccount {
  provider: string; in_use: boolean; tier: string; sandbox: boolean;
  spend_limit: { name: string; enforced: number; max: number; overridden: boolean } | null;
  verified_destinations: { number: string; status: string }[];
}

const TYPES: Record<string, string> = { brand: "10DLC brand", campaign: "10DLC campaign", toll_free: "Toll-free verification" };
const STATUSES: Record<string, string> = {
  draft: "Draft", pending: "In review", needs_updates: "Needs updates", approved: "Approved", rejected: "Rejected",
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const countries = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** `helpText`: the company's HELP reply, from the page's copy of the company (the Company
 * section's save updates it). */
export function TextingPolicySection({ helpText }: { helpText: string }) {
  const { api } = useApp();
  const [policy, error, , setPolicy] = useLoad(() => api.get<TextingPolicy>("/admin/texting-policy"));
  // the changes typed over the policy as stored; a save's answer (the policy as stored)
  // takes out what it saved, and keeps what was typed while it was on its way
  const [draft, setDraft] = useState<Partial<TextingPolicy>>({});
  const change = (changes: Partial<TextingPolicy>) => setDraft((old) => ({ ...old, ...changes }));
  // the countries as typed ("US, " on the way to "US, CA"), until saved
  const [countriesText, setCountriesText] = useState<string | null>(null);
  const [note, setNote] = useState("");
  // one save at a time, so answers never cross (aria-disabled while one is on its way:
  // disabled would take the keyboard's focus off the button)
  const [saving, setSaving] = useState(false);
  async function save(body: Partial<TextingPolicy>) {
    if (saving) return;
    setSaving(true);
    try {
      const saved = await api.put<TextingPolicy>("/admin/texting-policy", body);
      setPolicy(saved);
      setDraft((old) => without(old, (key) => key in body && same(old[key], body[key])));
      if ("number_countries" in body) {
        setCountriesText((typed) => (typed !== null && same(countries(typed), body.number_countries) ? null : typed));
      }
      setNote("Texting policy saved.");
    } catch (e) {
      setNote((e as Error).message);
    } finally {
      setSaving(false);
    }
  }
  const value = <K extends keyof TextingPolicy>(key: K): TextingPolicy[K] | undefined =>
    (draft[key] ?? policy?.[key]) as TextingPolicy[K] | undefined;
  return (
    <section aria-labelledby="texting-policy-title" class="card">
      <h2 id="texting-policy-title">Texting policy</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {policy && (
        <form class="stack" onSubmit={(e) => { e.preventDefault(); void save(draft); }}>
          <label for="sender-name">Business name in replies</label>
          <input id="sender-name" value={value("sender_name") || ""} placeholder="The company's name"
            onInput={(e) => change({ sender_name: e.currentTarget.value })} />
          <label for="stop-reply">STOP confirmation</label>
          <textarea id="stop-reply" value={value("stop_reply") || ""} placeholder="The default confirmation, naming the business"
            onInput={(e) => change({ stop_reply: e.currentTarget.value })} />
          <label for="start-reply">START confirmation</label>
          <textarea id="start-reply" value={value("start_reply") || ""} placeholder="The default confirmation, naming the business"
            onInput={(e) => change({ start_reply: e.currentTarget.value })} />
          <p>HELP reply: {helpText || "the default, naming the business"} (set under Company)</p>
          <label class="check"><input type="checkbox" checked={!!value("quiet_hours")}
            onChange={(e) => change({ quiet_hours: e.currentTarget.checked })} />
            Quiet hours: automated texts to US numbers only from 8am to 8pm in the customer's time</label>
          <label for="number-countries">Countries whose business numbers may text</label>
          <input id="number-countries" value={countriesText ?? (value("number_countries") || []).join(", ")}
            onInput={(e) => {
              setCountriesText(e.currentTarget.value);
              change({ number_countries: countries(e.currentTarget.value) });
            }} />
          <label for="toll-free-rule">Toll-free numbers</label>
          <select id="toll-free-rule" value={value("toll_free") || "verified"}
            onChange={(e) => change({ toll_free: e.currentTarget.value })}>
            <option value="verified">Text once verified</option>
            <option value="never">Never text</option>
          </select>
          <button type="submit" disabled={Object.keys(draft).length === 0} aria-disabled={saving}>Save texting policy</button>
        </form>
      )}
      {note && <p role="status">{note}</p>}
    </section>
  );
}

export function RegistrationsSection() {
  const { api, store } = useApp();
  const [items, error, reload] = useLoad(() => api.get<Page<Registration>>("/admin/registrations"));
  useEffect(() => store.onFrame((frame) => {
    if (frame.type === "registration.needs_updates") reload();
  }), [store]);
  const rows = items?.items || [];
  return (
    <section aria-labelledby="registrations-title" class="card">
      <h2 id="registrations-title">Registrations</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {items && rows.length === 0 && <p>No registrations yet: US carriers block texts from unregistered numbers.</p>}
      {rows.length > 0 && (
        <table>
          <thead><tr><th scope="col">Registration</th><th scope="col">Kind</th><th scope="col">Provider</th><th scope="col">Status</th><th scope="col">Numbers</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.id}</th>
                <td>{TYPES[r.type] || r.type}</td>
                <td>{r.provider}</td>
                <td>
                  <span class={`status ${r.status}`}>{STATUSES[r.status] || r.status}</span>
                  {r.reason && <p class="reason">{r.reason}</p>}
                </td>
                <td>{r.numbers.join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function SandboxSection() {
  const { api } = useApp();
  const [account, error] = useLoad(() => api.get<SmsAccount>("/admin/sms-account"));
  return (
    <section aria-labelledby="sandbox-title" class="card">
      <h2 id="sandbox-title">End User Messaging account</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {account && !account.in_use && <p>This company does not text through End User Messaging.</p>}
      {account?.in_use && (
        <dl>
          <dt>Tier</dt>
          <dd>{account.sandbox ? "Sandbox: texts reach verified numbers only" : account.tier || "unknown"}</dd>
          <dt>Monthly text spend limit</dt>
          <dd>{account.spend_limit ? `$${account.spend_limit.enforced} (up to $${account.spend_limit.max})` : "unknown"}</dd>
          <dt>Verified destinations</dt>
          <dd>
            {account.verified_destinations.length === 0 ? "None" : (
              <ul class="plain" aria-label="Verified destination numbers">
                {account.verified_destinations.map((d) => <li key={d.number}>{d.number} ({d.status.toLowerCase()})</li>)}
              </ul>
            )}
          </dd>
        </dl>
      )}
    </section>
  );
}
