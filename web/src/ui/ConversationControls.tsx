/**
 * A conversation's own settings, for the caller only: mute (no tone, notification or
 * push; left out of the unread total), hide (out of the list until the next message)
 * and delete for me (gone from one's list, history and search for good, after a
 * confirmation; others keep it).
 */
import { useState } from "preact/hooks";
import { useApp } from "../context";
import { clearConversation, setHidden, setMuted } from "../lib/conversation_api";
import type { Conversation } from "../lib/types";
import { Dialog } from "./Dialog";

export function ConversationControls({ conversation }: { conversation: Conversation }) {
  const { api, store } = useApp();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const id = conversation.id;

  async function act(run: () => Promise<void>) {
    setError("");
    try {
      await run();
      setOpen(false);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const mute = () => act(async () => {
    const muted = !conversation.muted;
    await setMuted(api, id, muted);
    store.patchConversation(id, { muted });
  });
  const hide = () => act(async () => {
    await setHidden(api, id, true);
    store.patchConversation(id, { hidden: true });
    store.set({ activeId: null });
  });
  const remove = async () => {
    setError("");
    try {
      await clearConversation(api, id);
      setConfirming(false);
      store.forgetConversation(id);
    } catch (e) {
      setError((e as Error).message); // shown in the confirmation, which stays open
    }
  };

  return (
    <div class="controls">
      <button type="button" class="secondary" aria-expanded={open} aria-controls={`controls-${id}`} onClick={() => setOpen(!open)}>
        Options
      </button>
      {open && (
        <div id={`controls-${id}`} class="controls-menu" role="group" aria-label="Conversation options"
          onKeyDown={(e) => { if (e.key === "Escape") setOpen(false); }}>
          <button type="button" class="secondary" onClick={() => void mute()}>{conversation.muted ? "Unmute" : "Mute"}</button>
          <button type="button" class="secondary" onClick={() => void hide()}>Hide</button>
          <button type="button" class="secondary danger" onClick={() => { setError(""); setConfirming(true); }}>Delete for me</button>
        </div>
      )}
      {error && !confirming && <p class="error" role="alert">{error}</p>}
      {confirming && (
        <Dialog title="Delete this conversation for you?" alert onClose={() => { setConfirming(false); setError(""); }}>
          <p>It leaves your list, its history and your search results for good. The others in it keep it.
            A new message brings it back, with only what follows.</p>
          {/* inside the modal: everything outside it is inert while it is open */}
          {error && <p class="error" role="alert">{error}</p>}
          <div class="row">
            <button type="button" class="danger" onClick={() => void remove()}>Delete for me</button>
            <button type="button" class="secondary" data-autofocus onClick={() => setConfirming(false)}>Cancel</button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
