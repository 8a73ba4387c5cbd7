/** What the admin sections share. */
import { useEffect, useState } from "preact/hooks";

/** What an admin section reads once (and again on `reload`): the value, the API's error,
 * and `set` for an answer that already carries the new value (a save's own answer). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): [T | null, string, () => void, (value: T) => void] {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState("");
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true; // a slower, older response must not overwrite a newer one
    load().then((v) => { if (current) { setValue(v); setError(""); } }, (e) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  return [value, error, () => setTick((t) => t + 1), setValue];
}

/** `changes` without the fields `drop` names. */
export function without<T extends object>(changes: Partial<T>, drop: (key: keyof T) => boolean): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([key]) => !drop(key as keyof T))) as Partial<T>;
}
