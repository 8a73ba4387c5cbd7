/**
 * New conversation: `To` suggests co-workers (by name, extension or number: an IM) and
 * contacts (by name, company or any of their numbers: an SMS to that number) as you
 * type, in a listbox the arrow keys move through; a phone number as typed still starts
 * an SMS, from the chosen business number when the user has several.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { messageCoWorker, textNumber } from "../lib/contact_book";
import { numbersOf, uniqueContacts } from "../lib/conversation_api";
import { looksLikePhone } from "../lib/text";
import "./conversation.css";
import { useKeyedState } from "./keyed";

const MAX_SUGGESTIONS = 8;

interface Suggestion {
  id: string;
  label: string;
  detail: string;
  start: () => Promise<string>;
}

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
  // the highlighted suggestion belongs to the query it was chosen in (keyed.ts)
  const [active, setActive] = useKeyedState(query, -1);
  const digits = to.replace(/\D/g, "");
  const phone = looksLikePhone(to);
  const numberMatches = (n: string) => digits.length >= 3 && n.replace(/\D/g, "").includes(digits);
  const sender = state.me.numbers.length > 1 ? from : undefined;

  const suggestions: Suggestion[] = [];
  if (query) {
    for (const u of state.users.values()) {
      if (u.user_id === state.me.user_id) continue;
      const hit = u.name.toLowerCase().includes(query) || (!!u.extension && u.extension === query) || u.numbers.some(numberMatches);
      if (hit) {
        suggestions.push({
          id: `u-${u.user_id}`,
          label: u.name,
          detail: `co-worker${u.extension ? ` · ext. ${u.extension}` : ""}`,
          start: () => messageCoWorker(api, store, u.user_id),
        });
      }
    }
    for (const c of uniqueContacts(state.contacts)) {
      const named = c.name.toLowerCase().includes(query) || !!c.company?.toLowerCase().includes(query);
      for (const n of numbersOf(c)) {
        if (!named && !numberMatches(n.number)) continue;
        suggestions.push({
          id: `c-${c.id}-${n.number}`,
          label: c.name,
          detail: `${n.label ? `${n.label} ` : ""}${n.number}${c.company ? ` · ${c.company}` : ""}`,
          start: () => textNumber(api, store, n.number, sender),
        });
      }
    }
  }
  const shown = suggestions.slice(0, MAX_SUGGESTIONS);

  async function start(choice?: Suggestion) {
    setBusy(true);
    setError("");
    try {
      const exact = shown.filter((s) => s.label.toLowerCase() === query);
      const target = choice || (exact.length === 1 ? exact[0] : undefined) || (!phone && shown.length === 1 ? shown[0] : undefined);
      let id: string;
      if (target) id = await target.start();
      else if (phone) id = await textNumber(api, store, to.trim(), sender);
      else throw new Error(query ? `No co-worker or contact matches “${to.trim()}”. Type a name or a phone number.` : "Type a name or a phone number.");
      onOpened(id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!shown.length) return;
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((at) => {
        const next = at + step; // -1 is the textbox itself
        return next < -1 ? shown.length - 1 : next >= shown.length ? -1 : next;
      });
    } else if (e.key === "Enter" && active >= 0 && active < shown.length) {
      e.preventDefault();
      void start(shown[active]);
    }
  }

  const activeId = active >= 0 && active < shown.length ? `suggestion-${shown[active]!.id}` : undefined;
  return (
    <div class="dialog" role="dialog" aria-modal="false" aria-labelledby="new-title"
      onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <form onSubmit={(e) => { e.preventDefault(); void start(); }}>
        <h2 id="new-title">New conversation</h2>
        <label for="new-to">To</label>
        <input id="new-to" ref={input} autocomplete="off" value={to} aria-describedby="new-hint"
          aria-autocomplete="list" aria-controls="new-suggestions" aria-activedescendant={activeId}
          onInput={(e) => setTo(e.currentTarget.value)} onKeyDown={onKeyDown} />
        <p id="new-hint" class="hint">A co-worker's or contact's name, or a phone number. ↑ ↓ choose a suggestion, Enter starts.</p>
        <ul id="new-suggestions" class="suggestions" role="listbox" aria-label="Suggestions" hidden={!shown.length}>
          {shown.map((s, i) => (
            <li key={s.id} id={`suggestion-${s.id}`} role="option" aria-selected={i === active}
              class={i === active ? "active" : undefined} onClick={() => void start(s)}>
              <span class="suggestion-name">{s.label}</span> <span class="suggestion-detail">{s.detail}</span>
            </li>
          ))}
        </ul>
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
