/**
 * A shared line's controls (docs/web.md, "Shared lines"): the "Mine / Unassigned / All"
 * views above the list, and in a thread the assignee with an "Assign to" control,
 * labels, a "Note" compose mode and the "X is replying" collision warning.
 */
import { useState } from "preact/hooks";
import { useApp } from "../context";
import { assign, isSharedLine, type LineView, sendNote, setLabels } from "../lib/store_shared";
import type { Conversation } from "../lib/types";
import { useKeyedState } from "./keyed";

const VIEWS: [LineView, string][] = [["mine", "Mine"], ["unassigned", "Unassigned"], ["all", "All"]];

export function LineViews({ view, onView }: { view: LineView; onView: (view: LineView) => void }) {
  return (
    <div class="line-views" role="group" aria-label="Shared line views">
      {VIEWS.map(([value, label]) => (
        <button key={value} type="button" class="secondary" aria-pressed={view === value} onClick={() => onView(value)}>
          {label}
        </button>
      ))}
    </div>
  );
}

export function AssigneeBar({ conversation }: { conversation: Conversation }) {
  const { store } = useApp();
  const [error, setError] = useState("");
  const saved = (conversation.labels || []).join(", ");
  // labels someone else saved replace the box's text, so saving never restores stale
  // ones; what is typed belongs to the labels it was typed over (keyed.ts)
  const [labels, setLabelText] = useKeyedState(`${conversation.id}\n${saved}`, saved);
  if (!isSharedLine(conversation)) return null;
  const assignee = conversation.assignee;
  async function onAssign(value: string) {
    setError("");
    try {
      await assign(store, conversation.id, value || null);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  async function onLabels(event: Event) {
    event.preventDefault();
    setError("");
    try {
      await setLabels(store, conversation.id, labels.split(",").map((l) => l.trim()).filter(Boolean));
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <div class="assignee-bar">
      <p class="assignee" role="status">
        {assignee ? `Assigned to ${assignee === store.state.me.user_id ? "you" : store.userName(assignee)}` : "Unassigned"}
      </p>
      <label>
        Assign to…
        <select aria-label="Assign to" value={assignee || ""} onChange={(e) => void onAssign((e.target as HTMLSelectElement).value)}>
          <option value="">Nobody</option>
          {conversation.members.map((m) => (
            <option key={m} value={m}>{m === store.state.me.user_id ? "Me" : store.userName(m)}</option>
          ))}
        </select>
      </label>
      <form class="labels" onSubmit={onLabels}>
        <input aria-label="Labels" placeholder="Labels, comma separated" value={labels}
          onInput={(e) => setLabelText((e.target as HTMLInputElement).value)} />
        <button type="submit" class="secondary">Save labels</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

/** Labels as small tags (the list row and the thread's head). */
export function Labels({ labels }: { labels?: string[] }) {
  if (!labels?.length) return null;
  return (
    <span class="labels-list" aria-label={`Labels: ${labels.join(", ")}`}>
      {labels.map((l) => <span key={l} class="tag label">{l}</span>)}
    </span>
  );
}

/** Someone else on the line is writing to the same customer. */
export function Replying({ names }: { names: string[] }) {
  return (
    <p class="replying" role="status">
      {names.length ? `⚠ ${names.join(", ")} ${names.length > 1 ? "are" : "is"} replying` : ""}
    </p>
  );
}

/** The "Note" compose mode: a note to the people on the line, never sent to the customer. */
export function NoteComposer({ conversation }: { conversation: Conversation }) {
  const { store } = useApp();
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  async function onSubmit(event: Event) {
    event.preventDefault();
    if (!text.trim()) return;
    setError("");
    try {
      await sendNote(store, conversation.id, text);
      setText("");
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <form class="composer note-composer" onSubmit={onSubmit}>
      <textarea aria-label="Note" placeholder="A note for the people on this line (the customer never sees it)"
        value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      <button type="submit">Add note</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
