/**
 * The conversation list, virtualized: only the rows in view (plus a few) are in the
 * DOM, so 1,000 conversations scroll like 20. The next page loads when the end
 * comes near. Arrow keys move between conversations (one tab stop for the list).
 */
import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import type { State } from "../lib/store";
import { previewLine } from "../lib/store_rules";
import { time } from "../lib/text";
import type { Conversation, Presence } from "../lib/types";
import { useKeyedState } from "./keyed";
import { PresenceDot } from "./Presence";
import { LineViews } from "./SharedLine";
import { inView, isSharedLine, type LineView } from "../lib/store_shared";

export const ROW_HEIGHT = 68;
const OVERSCAN = 6;

interface RowProps {
  conversation: Conversation;
  index: number;
  title: string;
  meId: string;
  presence: Presence | undefined;
  isPeer: boolean;
  active: boolean;
  flash: boolean;
  tabStop: boolean;
  setSize: number;
  onOpen: () => void;
  onFocus: () => void;
  assigneeName: string;
}

/** One row; re-rendered only when what it shows changes (scrolling renders only new rows). */
class Row extends Component<RowProps> {
  shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return (
      next.conversation !== p.conversation || next.index !== p.index || next.title !== p.title ||
      next.presence !== p.presence || next.active !== p.active || next.flash !== p.flash ||
      next.tabStop !== p.tabStop || next.setSize !== p.setSize || next.assigneeName !== p.assigneeName
    );
  }

  render({ conversation: c, index, title, meId, presence, isPeer, active, flash, tabStop, setSize, assigneeName }: RowProps) {
    const unread = c.unread_count > 0;
    const preview = previewLine(c.last_message, meId);
    return (
      <li class={`conv${unread ? " unread" : ""}${active ? " active" : ""}${flash ? " flash" : ""}`}
        style={{ top: `${index * ROW_HEIGHT}px` }} aria-setsize={setSize} aria-posinset={index + 1}>
        <button type="button" data-index={index} data-conversation={c.id} tabIndex={tabStop ? 0 : -1} aria-current={active ? "true" : undefined}
          onClick={() => this.props.onOpen()} onFocus={() => this.props.onFocus()}>
          <span class="conv-top">
            {isPeer ? <PresenceDot presence={presence} name={title} />
              : <span class={`tag ${c.type}`}>{c.type === "sms" ? "SMS" : "Group"}</span>}
            <span class="conv-title">{title}</span>
            {c.muted && <span class="conv-muted" role="img" aria-label="Muted">🔕</span>}
            {c.assignee && <span class="conv-assignee">{c.assignee === meId ? "Mine" : assigneeName}</span>}
            <span class="conv-time">{time(c.last_message?.created_at || c.updated_at)}</span>
          </span>
          <span class="conv-bottom">
            <span class="conv-preview">{preview}</span>
            {unread && <span class="badge" aria-label={`${c.unread_count} unread`}>{c.unread_count}</span>}
          </span>
        </button>
      </li>
    );
  }
}

export function ConversationList({ state, onOpen }: { state: State; onOpen: (id: string) => void }) {
  const { store } = useApp();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const focusPending = useRef<string | null>(null); // the conversation the keys moved to
  const frame = useRef(0);
  const [view, setView] = useState<LineView>("all");
  const order = inView(state.order, state.conversations, view, state.me.user_id);
  const onLine = state.order.some((id) => { const c = state.conversations.get(id); return !!c && isSharedLine(c); });

  useLayoutEffect(() => {
    const el = scroller.current!;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    setHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Keep loading while the list does not fill the view, or the end is near.
  useEffect(() => {
    const end = (scrollTop + height) / ROW_HEIGHT;
    if (state.listCursor && !state.listLoading && end > order.length - 30) void store.loadMoreConversations();
  }, [scrollTop, height, order.length, state.listCursor, state.listLoading]);

  // The list's one tab stop is a conversation, not a place: a list reordered by a new
  // message elsewhere keeps it on the same conversation. It follows the open
  // conversation whenever that changes, in the same render (keyed.ts).
  const [focusId, setFocusId] = useKeyedState<string | null>(state.activeId, null);
  const active = state.activeId ? order.indexOf(state.activeId) : -1;
  const focused = focusId === null ? -1 : order.indexOf(focusId);
  const focusIndex = focused >= 0 ? focused : Math.max(active, 0);

  // Focus follows the keys: at once to a row on screen, else in the render that shows it
  // (the one the key's scroll causes; a layout effect, so never an after-paint effect of
  // an earlier render). A row the list moves while it has the focus (a message in that
  // very conversation sends it to the top) is taken out and put back, and the browser
  // drops the focus to the page: the render that did it gives it back (to the tab stop's
  // row if the conversation left the list).
  const rowOf = (id: string) => scroller.current?.querySelector<HTMLElement>(`[data-conversation="${CSS.escape(id)}"]`);
  const focusedNow = document.activeElement; // before this render changes the DOM
  const held = !!focusedNow && focusedNow !== scroller.current && !!scroller.current?.contains(focusedNow);
  useLayoutEffect(() => {
    const lost = held && document.activeElement === document.body;
    const wanted = focusPending.current ?? (lost ? focusId : null);
    focusPending.current = null;
    const row = wanted === null ? null : rowOf(wanted);
    // its conversation left the list (assigned away from this view): the tab stop's row
    if (row) row.focus();
    else if (lost) scroller.current?.querySelector<HTMLElement>('button[tabindex="0"]')?.focus();
  });

  function onScroll() {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setScrollTop(scroller.current!.scrollTop));
  }

  function moveTo(index: number) {
    const next = Math.max(0, Math.min(order.length - 1, index));
    const el = scroller.current!;
    const top = next * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
    setScrollTop(el.scrollTop);
    const id = order[next];
    if (id === undefined) return;
    setFocusId(id);
    const row = rowOf(id);
    if (row) row.focus();
    else focusPending.current = id; // scrolled to: rendered next
  }

  function onKeyDown(event: KeyboardEvent) {
    const keys: Record<string, number> = {
      ArrowDown: focusIndex + 1,
      ArrowUp: focusIndex - 1,
      Home: 0,
      End: order.length - 1,
      PageDown: focusIndex + Math.floor(height / ROW_HEIGHT),
      PageUp: focusIndex - Math.floor(height / ROW_HEIGHT),
    };
    // the rows' keys only (the view buttons above them keep theirs)
    if (event.key in keys && !event.altKey && (event.target as HTMLElement).dataset?.conversation) {
      event.preventDefault();
      moveTo(keys[event.key]!);
    }
  }

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(order.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const tabStop = Math.min(focusIndex, Math.max(0, order.length - 1));
  // the rows in view, and the tab stop's row wherever it is: Tab always finds the list, and
  // the focused row stays in the page when new messages push it out of view
  const shown = [];
  if (order.length && tabStop < first) shown.push(tabStop);
  for (let index = first; index < last; index++) shown.push(index);
  if (order.length && tabStop >= last) shown.push(tabStop);
  const rows = [];
  for (const index of shown) {
    const id = order[index]!;
    const c = state.conversations.get(id)!;
    const peer = store.peerId(c);
    rows.push(
      <Row key={id} conversation={c} index={index} title={store.title(c)} meId={state.me.user_id}
        presence={peer ? state.users.get(peer)?.presence || c.peer_presence : undefined} isPeer={!!peer}
        assigneeName={c.assignee ? store.userName(c.assignee) : ""}
        active={state.activeId === id} flash={state.flash.has(id)} tabStop={index === tabStop}
        setSize={state.listCursor ? -1 : order.length}
        onOpen={() => { setFocusId(id); onOpen(id); }} onFocus={() => setFocusId(id)} />,
    );
  }

  return (
    <div class="conv-scroll" ref={scroller} onScroll={onScroll} onKeyDown={onKeyDown}>
      {onLine && <LineViews view={view} onView={setView} />}
      <ul role="list" aria-label="Conversations" aria-busy={state.listLoading} style={{ height: `${order.length * ROW_HEIGHT}px` }}>
        {rows}
      </ul>
      {state.listLoaded && !order.length && <p class="empty">No conversations yet. Start one with New conversation.</p>}
      {state.listLoading && <p class="empty" role="status">Loading conversations…</p>}
    </div>
  );
}
