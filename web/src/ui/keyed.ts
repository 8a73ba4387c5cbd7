/**
 * State that belongs to one key (a conversation, a loaded record, a query): it starts
 * over, in the same render, when the key changes. This replaces the pattern
 * `useEffect(() => setX(initial), [key])`, which resets *after* the browser paints
 * (Preact runs effects up to 100 ms later): a click or a keystroke in between (the
 * sender's card opened, a name typed into a form that has just loaded) was undone by
 * the late reset.
 *
 * A setter belongs to the key it was rendered with: a write for a key that is no longer
 * shown (an answer arriving after the person moved on) is dropped. Writes apply at once,
 * in order, so `set((old) => ...)` twice before a render keeps both.
 */
import { useRef, useState } from "preact/hooks";

type Next<T> = T | ((old: T) => T);

export function useKeyedState<T>(key: unknown, initial: T | (() => T)): [T, (next: Next<T>) => void] {
  const cell = useRef<{ key: unknown; value: T } | null>(null);
  const [, rendered] = useState(0);
  if (!cell.current || !Object.is(cell.current.key, key)) {
    cell.current = { key, value: typeof initial === "function" ? (initial as () => T)() : initial };
  }
  const set = (next: Next<T>) => {
    const current = cell.current;
    if (!current || !Object.is(current.key, key)) return;
    const value = typeof next === "function" ? (next as (old: T) => T)(current.value) : next;
    if (Object.is(value, current.value)) return;
    cell.current = { key, value };
    rendered((n) => n + 1);
  };
  return [cell.current.value, set];
}
