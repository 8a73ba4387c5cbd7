/**
 * The conversation list, virtualized: only the rows in view (plus a few) are in the
 * DOM, so 1,000 conversations scroll like 20. The next page loads when the end
 * comes near. Arrow keys move between conversations (one tab stop for the list).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../context";
import type { State } from "../lib/store";
import { time } from "../lib/text";
import { PresenceDot } from "./Presence";

export const ROW_HEIGHT = 68;
const OVERSCAN = 6;

export function ConversationList({ state, onOpen }: { state: State; onOpen: (id: string) => void }) {
  const { store } = useApp();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [focusIndex, setFocusIndex] = useState(0);
  const focusPending = useRef(false);
  const frame = useRef(0);
  const order = state.order;

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

  const active = state.activeId ? order.indexOf(state.activeId) : -1;
  useEffect(() => {
    if (active >= 0) setFocusIndex(active);
  }, [active]);

  useEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    scroller.current?.querySelector<HTMLElement>(`[data-index="${focusIndex}"]`)?.focus();
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
    setFocusIndex(next);
    focusPending.current = true;
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
    if (event.key in keys && !event.altKey) {
      event.preventDefault();
      moveTo(keys[event.key]!);
    }
  }

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(order.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
  const tabStop = Math.min(focusIndex, Math.max(0, order.length - 1));
  const rows = [];
  for (let index = first; index < last; index++) {
    const id = order[index]!;
    const c = state.conversations.get(id)!;
    const title = store.title(c);
    const peer = store.peerId(c);
    const unread = c.unread_count > 0;
    const preview = c.last_message
      ? c.last_message.deleted
        ? "Message deleted"
        : `${c.last_message.sender === state.me.user_id ? "You: " : ""}${c.last_message.text || "Attachment"}`
      : "No messages yet";
    rows.push(
      <li key={id} class={`conv${unread ? " unread" : ""}${state.activeId === id ? " active" : ""}${state.flash.has(id) ? " flash" : ""}`}
        style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }} aria-setsize={state.listCursor ? -1 : order.length} aria-posinset={index + 1}>
        <button type="button" data-index={index} tabIndex={index === tabStop ? 0 : -1}
          aria-current={state.activeId === id ? "true" : undefined}
          onClick={() => { setFocusIndex(index); onOpen(id); }} onFocus={() => setFocusIndex(index)}>
          <span class="conv-top">
            {peer ? <PresenceDot presence={state.users.get(peer)?.presence || c.peer_presence} name={title} />
              : <span class={`tag ${c.type}`}>{c.type === "sms" ? "SMS" : "Group"}</span>}
            <span class="conv-title">{title}</span>
            <span class="conv-time">{time(c.last_message?.created_at || c.updated_at)}</span>
          </span>
          <span class="conv-bottom">
            <span class="conv-preview">{preview}</span>
            {unread && <span class="badge" aria-label={`${c.unread_count} unread`}>{c.unread_count}</span>}
          </span>
        </button>
      </li>,
    );
  }

  return (
    <div class="conv-scroll" ref={scroller} onScroll={onScroll} onKeyDown={onKeyDown}>
      <ul role="list" aria-label="Conversations" aria-busy={state.listLoading} style={{ height: `${order.length * ROW_HEIGHT}px` }}>
        {rows}
      </ul>
      {state.listLoaded && !order.length && <p class="empty">No conversations yet. Start one with New conversation.</p>}
      {state.listLoading && <p class="empty" role="status">Loading conversations…</p>}
    </div>
  );
}
