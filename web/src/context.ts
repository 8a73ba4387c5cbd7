/** What every screen of the signed-in app can reach. */
import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { Api } from "./lib/api";
import type { Config } from "./lib/config";
import type { Realtime } from "./lib/realtime";
import type { State, Store } from "./lib/store";

export interface AppContext {
  config: Config;
  api: Api;
  store: Store;
  realtime: Realtime;
  /** opened from the messages saved in this browser: the server is out of reach */
  savedOnly?: boolean;
  signOut: () => void;
}

export const Ctx = createContext<AppContext>(null as unknown as AppContext);

export function useApp(): AppContext {
  return useContext(Ctx);
}

/** Re-render when the store changes. */
export function useStoreState(store: Store): State {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    setState(store.state);
    return store.subscribe(() => setState(store.state));
  }, [store]);
  return state;
}
