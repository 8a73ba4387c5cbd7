/**
 * The employee app: the conversation list beside the open conversation. On a phone
 * (narrower than 40rem) they are two screens: the list, then the conversation (or a
 * new one) with a button back to the list; the browser's Back does the same.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp, useStoreState } from "../context";
import { ConversationList } from "./ConversationList";
import { NewConversation } from "./NewConversation";
import { Thread } from "./Thread";

const PHONE = "(max-width: 40rem)";
const phone = () => matchMedia(PHONE).matches;

/** On a phone, a second screen is a history entry, so Back returns to the list. */
function secondScreen(): void {
  if (phone() && history.state?.screen !== "conversation") history.pushState({ screen: "conversation" }, "");
}

export function MessagesPage() {
  const { store } = useApp();
  const state = useStoreState(store);
  const [creating, setCreatingState] = useState(false);

  function setCreating(value: boolean) {
    if (value) secondScreen();
    setCreatingState(value);
  }

  function open(id: string, focusComposer = false) {
    secondScreen();
    store.set({ activeId: id });
    setCreatingState(false);
    if (focusComposer) requestAnimationFrame(() => document.getElementById("composer")?.focus());
  }

  function toList() {
    store.set({ activeId: null });
    setCreatingState(false);
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>('[aria-label="Conversations"] button[tabindex="0"]')?.focus(),
    );
  }

  function back() {
    if (history.state?.screen === "conversation") history.back(); // popstate below goes to the list
    else toList();
  }

  useEffect(() => {
    const onPop = () => {
      if (phone() && history.state?.screen !== "conversation") toList();
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [store]);

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

  const second = creating || !!state.activeId;
  // phones only (hidden beside the list): an arrow in the conversation's own head row
  const backButton = (
    <button type="button" class="secondary back-button" onClick={back}>
      <span aria-hidden="true">←</span><span class="back-label"> Back to conversations</span>
    </button>
  );
  return (
    <main class={`messages${second ? " second-screen" : ""}`}>
      <aside class="sidebar" aria-label="Conversation list">
        <div class="sidebar-head">
          <h1>Messages</h1>
          <button type="button" onClick={() => setCreating(true)} aria-keyshortcuts="Alt+N">New conversation</button>
        </div>
        <ConversationList state={state} onOpen={(id) => open(id, true)} />
        <p class="hint keys">↑ ↓ move · Enter opens · Alt+↑ ↓ switch · Esc back to the list</p>
      </aside>
      {creating && <div class="back-bar">{backButton}</div>}
      {creating ? (
        <NewConversation onClose={() => setCreating(false)} onOpened={(id) => open(id, true)} />
      ) : state.activeId ? (
        <Thread id={state.activeId} back={backButton} />
      ) : (
        <section class="thread placeholder"><p>Choose a conversation, or start a new one.</p></section>
      )}
    </main>
  );
}
