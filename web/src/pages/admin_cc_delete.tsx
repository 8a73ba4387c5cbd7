/**
 * Deleting a piece of the contact center's set-up (a queue, a channel, a canned reply):
 * a Delete button in its row, then a confirmation. The API refuses (409) while anything
 * still depends on it — a channel or an agent's profile naming a queue, a customer
 * still waiting or being answered — and its message, which says what blocks it, shows
 * in the confirmation, which stays open; nothing was changed.
 */
import { useState } from "preact/hooks";
import { Dialog } from "../ui/Dialog";

export function DeleteButton({ what, name, explain, onDelete, onDeleted }: {
  /** "queue", "channel", "canned reply" */
  what: string;
  name: string;
  /** what deleting it means, in the confirmation */
  explain: string;
  onDelete: () => Promise<void>;
  onDeleted: (note: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function remove() {
    setError("");
    setBusy(true);
    try {
      await onDelete();
      setConfirming(false);
      onDeleted(`${what[0]!.toUpperCase()}${what.slice(1)} ${name} deleted.`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const close = () => { setConfirming(false); setError(""); };
  return (
    <>
      <button type="button" class="secondary danger" aria-label={`Delete ${what} ${name}`} onClick={() => { setError(""); setConfirming(true); }}>
        Delete
      </button>
      {confirming && (
        <Dialog title={`Delete ${what} ${name}?`} alert onClose={close}>
          <p>{explain}</p>
          {error && <p class="error" role="alert">{error}</p>}
          <div class="row">
            <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>Delete</button>
            <button type="button" class="secondary" data-autofocus onClick={close}>Cancel</button>
          </div>
        </Dialog>
      )}
    </>
  );
}
