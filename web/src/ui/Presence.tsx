import { useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import type { Presence, User } from "../lib/types";
import { initials, STATUS_LABELS } from "../lib/text";
import { MfaSettings } from "./MfaSettings";

const EXPIRIES: [string, number | null][] = [
  ["Never", null],
  ["1 hour", 3600],
  ["4 hours", 4 * 3600],
  ["Today", -1],
];

export function Avatar({ user, size = 32 }: { user: User | undefined; size?: number }) {
  const name = user?.name || "?";
  return user?.photo_url ? (
    <img class="avatar" src={user.photo_url} alt="" width={size} height={size} />
  ) : (
    <span class="avatar" aria-hidden="true" style={{ width: `${size}px`, height: `${size}px` }}>{initials(name)}</span>
  );
}

function presenceMessage(presence: Presence | undefined): string {
  return presence?.message && (!presence.message_expires_at || presence.message_expires_at > new Date().toISOString())
    ? presence.message : "";
}

/** The status in words beside the dot (the dot's own label already says it to screen readers). */
export function PresenceText({ presence }: { presence: Presence | undefined }) {
  const status = presence?.status || "offline";
  const message = presenceMessage(presence);
  return <span aria-hidden="true">{STATUS_LABELS[status] || status}{message ? ` · ${message}` : ""}</span>;
}

export function PresenceDot({ presence, name }: { presence: Presence | undefined; name: string }) {
  const status = presence?.status || "offline";
  const label = STATUS_LABELS[status] || status;
  const text = presenceMessage(presence);
  const message = text ? `: ${text}` : "";
  return (
    <span class={`dot ${status}`} role="img" aria-label={`${name} is ${label}${message}`} title={`${label}${message}`} />
  );
}

export function PresenceControls() {
  const { api, store, signOut } = useApp();
  const state = useStoreState(store);
  const me = state.me;
  const presence = me.presence;
  const [open, setOpen] = useState(false);
  const [message, setMessage] = useState(presence?.message || "");
  const [expiry, setExpiry] = useState("Never");
  const [note, setNote] = useState("");
  const file = useRef<HTMLInputElement>(null);

  async function save(status: string, text = message, expiresLabel = expiry) {
    const body: Record<string, unknown> = { status, message: text };
    const seconds = EXPIRIES.find(([label]) => label === expiresLabel)?.[1] ?? null;
    if (seconds === -1) {
      const end = new Date();
      end.setHours(23, 59, 59, 0);
      body.expires_at = end.toISOString();
    } else if (seconds) body.expires_in = seconds;
    try {
      const updated = await api.put<Presence>("/me/presence", body);
      store.state.me = { ...store.state.me, presence: { ...store.state.me.presence, ...updated } as Presence };
      store.set({ me: store.state.me });
      setNote("Saved.");
    } catch (e) {
      setNote((e as Error).message);
    }
  }

  async function uploadPhoto(event: Event) {
    const input = event.currentTarget as HTMLInputElement;
    const chosen = input.files?.[0];
    if (!chosen) return;
    setNote("Uploading…");
    try {
      const start = await api.post<{ key: string; upload: { url: string; fields: Record<string, string> } }>(
        "/me/photo", { content_type: chosen.type, size: chosen.size });
      const form = new FormData();
      for (const [k, v] of Object.entries(start.upload.fields)) form.append(k, v);
      form.append("file", chosen);
      const uploaded = await fetch(start.upload.url, { method: "POST", body: form });
      if (!uploaded.ok) throw new Error(`upload failed (${uploaded.status})`);
      const user = await api.put<User>("/me/photo", { key: start.key });
      store.state.me = { ...store.state.me, photo_url: user.photo_url };
      const users = new Map(store.state.users);
      users.set(me.user_id, { ...users.get(me.user_id)!, photo_url: user.photo_url });
      store.set({ me: store.state.me, users });
      setNote("Photo updated.");
    } catch (e) {
      setNote((e as Error).message);
    }
  }

  return (
    <div class="presence-controls">
      <select aria-label="Status" value={presence?.chosen_status || "available"}
        onChange={(e) => void save(e.currentTarget.value)}>
        {["available", "busy", "dnd", "away"].map((s) => <option key={s} value={s}>{STATUS_LABELS[s]}</option>)}
      </select>
      <button type="button" class="profile-button" aria-expanded={open} aria-controls="profile-panel"
        onClick={() => setOpen(!open)}>
        <Avatar user={me} />
        <span class="sr-only">Profile: {me.name}</span>
      </button>
      {open && (
        <section id="profile-panel" class="profile-panel" aria-label="Profile">
          <div class="profile-head">
            <Avatar user={me} size={56} />
            <div>
              <strong>{me.name}</strong>
              <div>Extension {me.extension || "—"}</div>
              <div>{me.numbers.length ? me.numbers.join(", ") : "No business number"}</div>
            </div>
          </div>
          <label for="photo">Profile photo</label>
          <input id="photo" ref={file} type="file" accept="image/jpeg,image/png" onChange={uploadPhoto} />
          <form onSubmit={(e) => { e.preventDefault(); void save(presence?.chosen_status || "available"); }}>
            <label for="status-message">Status message</label>
            <input id="status-message" maxLength={100} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
            <label for="status-expiry">Clear message after</label>
            <select id="status-expiry" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
              {EXPIRIES.map(([label]) => <option key={label}>{label}</option>)}
            </select>
            <div class="row">
              <button type="submit">Save status</button>
              <button type="button" class="secondary" onClick={signOut}>Sign out</button>
            </div>
          </form>
          {note && <p role="status">{note}</p>}
          <MfaSettings />
        </section>
      )}
    </div>
  );
}
