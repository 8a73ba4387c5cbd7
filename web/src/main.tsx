import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Api, ApiError } from "./lib/api";
import { clearSession, keepFresh, MESSAGES, onOtherTab, onSessionEnded, type Session, signOut, storedSession } from "./lib/auth";
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
  const [offline, setOffline] = useState(false);
  const [attempt, setAttempt] = useState(0);

  // The session ends here when its refresh token is refused, and follows the other
  // tabs: signed out there, signed out here; signed in there (as anyone), the same here.
  useEffect(() => {
    const ended = onSessionEnded((message) => {
      setError(message);
      setSession(null);
    });
    const other = onOtherTab((stored) => {
      setSession((current) => {
        if (!stored) {
          if (current) setError(MESSAGES.signedOutElsewhere);
          return null;
        }
        return current?.refreshToken === stored.refreshToken ? current : stored;
      });
    });
    return () => {
      ended();
      other();
    };
  }, []);

  useEffect(() => {
    if (!session) return;
    let cancelled = false;
    let started: AppContext | null = null;
    const api = new Api(config, session);
    const stopRefreshing = keepFresh(config, session);
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
            void signOut((path, body) => api.post(path, body), session).finally(() => {
              setApp(null);
              setError("");
              setSession(null);
            });
          },
        };
        setApp(started);
        realtime.start();
        void store.loadDirectory().catch(() => undefined);
      })
      .catch((e) => {
        if (cancelled || !storedSession()) return; // a refused refresh token already said why
        if (e instanceof ApiError && e.status === 0) {
          setOffline(true); // still signed in: the server is just out of reach
          return;
        }
        clearSession();
        setSession(null);
        setError(e.message);
      });
    return () => {
      cancelled = true;
      stopRefreshing();
      started?.realtime.stop();
      setApp(null);
    };
  }, [session, attempt]);

  if (!session) return <SignIn key={error} config={config} notice={error} onSignedIn={setSession} />;
  if (offline) {
    return (
      <p class="error banner" role="alert">
        The server cannot be reached.{" "}
        <button type="button" onClick={() => { setOffline(false); setAttempt(attempt + 1); }}>Try again</button>
      </p>
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
