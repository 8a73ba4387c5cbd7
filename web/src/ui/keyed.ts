/**
 * State that belongs to one key (a conversation, a query, a phone number): it starts
 * over, in the same render, when the key changes. This replaces the pattern
 * `useEffect(() => setX(initial), [key])`, which resets *after* the browser paints
 * (Preact runs effects up to 100 ms later): a click or a keystroke in between (the
 * sender's card opened, a name typed into a form that has just loaded) was undone by
 * the late reset.
 *
 * A setter belongs to the visit of the key it was rendered in: a write from an earlier
 * visit (an answer arriving after the person moved on, even if they came back since) is
 * dropped. Writes apply at once, in order, so `set((old) => ...)` twice before a render
 * keeps both.
 */
import { useRef, useState } from "preact/hooks";

export type Next<T> = T | ((old: T) => T);

/** The rule itself, without Preact (web/test/keyed.test.ts drives it). */
export class KeyedCell<T> {
  private key: unknown;
  private visit = 0;
  private value: T;

  constructor(key: unknown, initial: T | (() => T)) {
    this.key = key;
    this.value = KeyedCell.make(initial);
  }

  private static make<T>(initial: T | (() => T)): T {
    return typeof initial === "function" ? (initial as () => T)() : initial;
  }

  /** The value for `key`, started over from `initial` when the key changed; and the
   * visit a setter rendered now belongs to. */
  read(key: unknown, initial: T | (() => T)): [T, number] {
    if (!Object.is(this.key, key)) {
      this.key = key;
      this.visit++;
      this.value = KeyedCell.make(initial);
    }
    return [this.value, this.visit];
  }

  /** Applies `next` if `visit` is still the current one; true when the value changed. */
  write(visit: number, next: Next<T>): boolean {
    if (visit !== this.visit) return false;
    const value = typeof next === "function" ? (next as (old: T) => T)(this.value) : next;
    if (Object.is(value, this.value)) return false;
    this.value = value;
    return true;
  }
}

export function useKeyedState<T>(key: unknown, initial: T | (() => T)): [T, (next: Next<T>) => void] {
  const cell = useRef<KeyedCell<T> | null>(null);
  const [, rendered] = useState(0);
  if (!cell.current) cell.current = new KeyedCell(key, initial);
  const [value, visit] = cell.current.read(key, initial);
  const set = (next: Next<T>) => {
    if (cell.current?.write(visit, next)) rendered((n) => n + 1);
  };
  return [value, set];
}
