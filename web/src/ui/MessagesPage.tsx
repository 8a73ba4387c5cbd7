/** The employee app: the conversation list beside the open conversation. */
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { ConversationList } from "./ConversationList";
import { NewConversation } from "./NewConversation";
import { Thread } from "./Thread";

export function MessagesPage() {
  const { store } = useApp();
  const state = useStoreState(store);
  const [creating, setCreating] = useState(false);

  function open(id: string, focusComposer = false) {
    store.set({ activeId: id });
    setCreating(false);
    if (focusComposer) requestAnimationFrame(() => document.getElementById("composer")?.focus());
  }

  // Alt+↑ / Alt+↓ switch conversation from anywhere; Alt+N starts a new one.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey) return;
      const order = store.state.order;
      const at = store.state.activeId ? order.indexOf(store.state.activeId) : -1;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = order[Math.max(0, Math.min(order.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
        if (next) open(next, true);
      } else if (event.key.toLowerCase() === "n") {
        event.preventDefault();
        setCreating(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store]);

  return (
    <main class="messages">
      <aside class="sidebar" aria-label="Conversation list">
        <div class="sidebar-head">
          <h1>Messages</h1>
          <button type="button" onClick={() => setCreating(true)} aria-keyshortcuts="Alt+N">New conversation</button>
        </div>
        <ConversationList state={state} onOpen={(id) => open(id, true)} />
        <p class="hint keys">↑ ↓ move · Enter opens · Alt+↑ ↓ switch · Esc back to the list</p>
      </aside>
      {creating ? (
        <NewConversation onClose={() => setCreating(false)} onOpened={(id) => open(id, true)} />
      ) : state.activeId ? (
        <Thread id={state.activeId} />
      ) : (
        <section class="thread placeholder"><p>Choose a conversation, or start a new one.</p></section>
      )}
    </main>
  );
}
