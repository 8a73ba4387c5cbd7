import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Api } from "./lib/api";
import { type Session, signOut, storedSession } from "./lib/auth";
import { type Config, loadConfig } from "./lib/config";
import { Realtime } from "./lib/realtime";
import { Store } from "./lib/store";
import type { User } from "./lib/types";
import { type AppContext, Ctx } from "./context";
import { Shell } from "./ui/Shell";
import { SignIn } from "./ui/SignIn";
import "./styles.css";

function Root({ config }: { config: Config }) {
  const [session, setSession] = useState<Session | null>(storedSession());
  const [app, setApp] = useState<AppContext | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (!session) return;
    let cancelled = false;
    let started: AppContext | null = null;
    const api = new Api(config, session);
    api
      .get<User>("/me")
      .then((me) => {
        if (cancelled) return;
        const store = new Store(api, me);
        const realtime = new Realtime(api, store);
        started = {
          config,
          api,
          store,
          realtime,
          signOut: () => {
            realtime.stop();
            signOut();
            setApp(null);
            setSession(null);
          },
        };
        setApp(started);
        realtime.start();
        void store.loadDirectory().catch(() => undefined);
      })
      .catch((e) => {
        if (cancelled) return;
        signOut();
        setSession(null);
        setError(e.message);
      });
    return () => {
      cancelled = true;
      started?.realtime.stop();
    };
  }, [session]);

  if (!session) {
    return (
      <>
        {error && <p class="error banner" role="alert">{error}</p>}
        <SignIn config={config} onSignedIn={setSession} />
      </>
    );
  }
  if (!app) return <p class="loading" role="status">Loading…</p>;
  return (
    <Ctx.Provider value={app}>
      <Shell />
    </Ctx.Provider>
  );
}

loadConfig()
  .then((config) => render(<Root config={config} />, document.getElementById("root")!))
  .catch((e) => {
    document.getElementById("root")!.textContent = `The web client cannot start: ${e.message}`;
  });
