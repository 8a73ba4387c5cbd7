/** The header's search: a `searchbox` named Search, its results in a `list` named
 * Search results (contract). Keyboard-first: `/` focuses it from anywhere but a text
 * field, ↓ ↑ move through the results, Enter opens one, Esc goes back to the box.
 * Hidden when the stage runs without search (config.json's `search`, or the API
 * answering search_disabled). */
import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { ApiError, enc } from "../lib/api";
import { fragments, type SearchHit, type SearchPage } from "../lib/search";
import { time } from "../lib/text";

const DEBOUNCE_MS = 200; // a search per pause in typing, not per key
const RESULTS = 20;

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

function Highlight({ text }: { text: string }) {
  // text nodes and <mark> elements only: never the server's string as HTML
  return <p class="fragment">{fragments(text).map((f, i) => (f.mark ? <mark key={i}>{f.text}</mark> : f.text))}</p>;
}

export function SearchBox() {
  const { api, store, config } = useApp();
  const state = useStoreState(store);
  const [disabled, setDisabled] = useState(config.search !== true);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState("");
  const box = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      event.preventDefault();
      box.current?.focus();
      box.current?.select();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // a space after the last word means it is finished (a whole word, no longer a
  // prefix), as GET /search reads it: keep one (more spaces ask nothing new)
  const q = query.trimStart().replace(/\s+$/, " ");
  useEffect(() => {
    if (!q.trim()) {
      setHits(null);
      setError("");
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      api.get<SearchPage>(`/search?q=${enc(q)}&limit=${RESULTS}`).then(
        (page) => {
          if (!live) return;
          setHits(page.items);
          setError("");
          // name the conversations the list has not loaded yet
          for (const id of new Set(page.items.map((h) => h.conversation_id))) void store.ensureConversation(id).catch(() => null);
        },
        (e: Error) => {
          if (!live) return;
          if (e instanceof ApiError && e.code === "search_disabled") setDisabled(true);
          else setError(e.message);
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q]);

  if (disabled) return null;

  const buttons = () => [...(list.current?.querySelectorAll<HTMLButtonElement>("button") || [])];
  const move = (from: number, by: number) => {
    const all = buttons();
    const next = from + by;
    if (next < 0) box.current?.focus();
    else all[Math.min(next, all.length - 1)]?.focus();
  };
  const choose = (hit: SearchHit) => {
    setOpen(false);
    location.hash = "#/";
    void store.reveal(hit.conversation_id, hit.message.id);
  };
  const sender = (hit: SearchHit) => {
    const m = hit.message;
    if (m.sender === state.me.user_id) return "You";
    return m.channel === "sms" && m.direction === "inbound" ? store.numberName(m.sender) : store.userName(m.sender);
  };
  const title = (id: string) => {
    const c = state.conversations.get(id);
    return c ? store.title(c) : "Conversation";
  };

  return (
    <div class="search" role="search"
      onFocusOut={(e) => {
        const next = (e as FocusEvent).relatedTarget as Node | null;
        if (!next || !(e.currentTarget as HTMLElement).contains(next)) setOpen(false);
      }}>
      <input ref={box} type="search" aria-label="Search" placeholder="Search  /" aria-keyshortcuts="/"
        autoComplete="off" value={query}
        onInput={(e) => {
          setQuery(e.currentTarget.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            move(-1, 1);
          } else if (e.key === "Enter" && hits?.[0]) {
            e.preventDefault();
            choose(hits[0]);
          } else if (e.key === "Escape") {
            setOpen(false);
          }
        }} />
      {open && query.trim() && (
        // a tap must not take the focus from the box first: Safari does not focus a tapped
        // button, so the folded search (:focus-within) would close before the click lands
        <div class="search-results" onMouseDown={(e) => e.preventDefault()}>
          {error && <p class="error" role="alert">{error}</p>}
          {hits === null && !error && <p class="hint" role="status">Searching…</p>}
          {hits?.length === 0 && <p class="hint" role="status">No messages match.</p>}
          {!!hits?.length && (
            <ul ref={list} aria-label="Search results">
              {hits.map((hit, i) => (
                <li key={hit.message.id}>
                  <button type="button" class="hit" onClick={() => choose(hit)}
                    onKeyDown={(e) => {
                      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                        e.preventDefault();
                        move(i, e.key === "ArrowDown" ? 1 : -1);
                      } else if (e.key === "Escape") {
                        box.current?.focus();
                      }
                    }}>
                    <span class="hit-head">
                      <span class="hit-title">{title(hit.conversation_id)}</span>
                      <span class="sender">{sender(hit)}</span>
                      <time dateTime={hit.message.created_at}>{time(hit.message.created_at)}</time>
                    </span>
                    <Highlight text={hit.highlight} />
                  </button>
                </li>
              ))}
            </ul>
          )}
          <p class="hint keys">↑ ↓ move · Enter opens · Esc back</p>
        </div>
      )}
    </div>
  );
}
