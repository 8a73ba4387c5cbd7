/**
 * New conversation: type a co-worker's name (an IM) or a phone number as typed (an SMS,
 * from the chosen business number when the user has several).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import type { Conversation, User } from "../lib/types";
import { looksLikePhone } from "../lib/text";

export function NewConversation({ onClose, onOpened }: { onClose: () => void; onOpened: (id: string) => void }) {
  const { api, store } = useApp();
  const state = useStoreState(store);
  const [to, setTo] = useState("");
  const [from, setFrom] = useState(state.me.numbers[0] || "");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const query = to.trim().toLowerCase();
  const phone = looksLikePhone(to);
  const matches: User[] = query && !phone
    ? [...state.users.values()].filter((u) => u.user_id !== state.me.user_id && u.name.toLowerCase().includes(query)).slice(0, 8)
    : [];

  async function start(person?: User) {
    setBusy(true);
    setError("");
    try {
      let body: Record<string, unknown>;
      const target = person || matches.find((u) => u.name.toLowerCase() === query) || (matches.length === 1 ? matches[0] : undefined);
      if (target) body = { type: "im", members: [target.user_id] };
      else if (phone) body = { type: "sms", to: to.trim(), ...(from ? { from } : {}) };
      else throw new Error(query ? `No co-worker matches “${to.trim()}”. Type a name or a phone number.` : "Type a name or a phone number.");
      const conversation = await api.post<Conversation>("/conversations", body);
      store.set({ conversations: store.mergeConversations([{ ...conversation, updated_at: conversation.updated_at }]) });
      store.patchConversation(conversation.id, { hidden: false, updated_at: conversation.updated_at });
      onOpened(conversation.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="dialog" role="dialog" aria-modal="false" aria-labelledby="new-title"
      onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <form onSubmit={(e) => { e.preventDefault(); void start(); }}>
        <h2 id="new-title">New conversation</h2>
        <label for="new-to">To</label>
        <input id="new-to" ref={input} autocomplete="off" value={to} aria-describedby="new-hint"
          onInput={(e) => setTo(e.currentTarget.value)} />
        <p id="new-hint" class="hint">A co-worker's name (instant message) or a phone number (SMS).</p>
        {matches.length > 0 && (
          <ul class="suggestions" aria-label="Co-workers">
            {matches.map((u) => (
              <li key={u.user_id}>
                <button type="button" class="link" onClick={() => void start(u)}>{u.name}{u.extension ? ` · ext. ${u.extension}` : ""}</button>
              </li>
            ))}
          </ul>
        )}
        {phone && state.me.numbers.length > 1 && (
          <>
            <label for="new-from">From</label>
            <select id="new-from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
              {state.me.numbers.map((n) => <option key={n}>{n}</option>)}
            </select>
          </>
        )}
        {phone && state.me.numbers.length === 1 && <p class="hint">From {state.me.numbers[0]}</p>}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="row">
          <button type="submit" disabled={busy}>Start</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </div>
  );
}
