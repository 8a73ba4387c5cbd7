import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Api, ApiError } from "./lib/api";
import { clearSession, keepFresh, MESSAGES, onOtherTab, onSessionEnded, type Session, signOut, storedSession } from "./lib/auth";
import { type Config, loadConfig } from "./lib/config";
import { applyUpdate, forgetSaved, keepSaved, registerWorker, restore, savedFor } from "./lib/offline";
import { setBadge } from "./lib/notify";
import { conversationInUrl, markSignedIn, subscribe, unsubscribe } from "./lib/push";
import { Realtime } from "./lib/realtime";
import { Store } from "./lib/store";
import type { User } from "./lib/types";
import { type AppContext, Ctx } from "./context";
import { Shell } from "./ui/Shell";
import { SignIn } from "./ui/SignIn";
import "./styles.css";

const RETRY_MS = 15_000; // how often an app opened from saved messages asks the server again

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

  // A new build of the app is installed and waiting: offered, never forced mid-sentence.
  const [update, setUpdate] = useState(false);
  useEffect(() => registerWorker(() => setUpdate(true)), []);

  // Signed out (here, in another tab, or the session ended): nothing of that person's
  // stays in this browser — the saved messages, the push subscription, the notifications
  // shown, the unread count in the title and on the app's icon. Signed in: the service
  // worker shows pushes again.
  useEffect(() => {
    if (session) {
      void markSignedIn();
      return;
    }
    forgetSaved();
    void unsubscribe();
    document.title = "Texting";
    setBadge(0);
  }, [session]);

  useEffect(() => {
    if (!session) return;
    let cancelled = false;
    let started: AppContext | null = null;
    let stopSaving = () => {};
    let retry = 0;
    const api = new Api(config, session);
    const stopRefreshing = keepFresh(config, session);

    const context = (store: Store, realtime: Realtime, savedOnly: boolean): AppContext => ({
      config,
      api,
      store,
      realtime,
      savedOnly,
      signOut: () => {
        realtime.stop();
        stopSaving();
        forgetSaved();
        void unsubscribe();
        void signOut((path, body) => api.post(path, body), session).finally(() => {
          setApp(null);
          setError("");
          setSession(null);
        });
      },
    });

    const live = (me: User) => {
      const wasOpen = started?.store.state.activeId ?? null; // the saved app's open conversation stays open
      started?.realtime.stop();
      stopSaving();
      const store = new Store(api, me);
      const realtime = new Realtime(api, store);
      started = context(store, realtime, false);
      setApp(started);
      setOffline(false);
      realtime.start();
      stopSaving = keepSaved(store, session.username);
      if (wasOpen) store.set({ activeId: wasOpen });
      const opening = conversationInUrl();
      if (opening) {
        history.replaceState(null, "", "#/");
        void store.ensureConversation(opening).then((c) => c && store.set({ activeId: c.id })).catch(() => undefined);
      }
      void store.loadDirectory().catch(() => undefined);
      // (registered only while this session is still the tab's: a sign-out meanwhile wins)
      const current = () => !cancelled && storedSession()?.refreshToken === session.refreshToken;
      if (typeof Notification !== "undefined" && Notification.permission === "granted") void subscribe(api, current);
    };

    // Out of reach at start: what was saved, marked as offline, until the server answers.
    const fromSaved = (): boolean => {
      if (started) return true;
      const saved = savedFor(session.username);
      if (!saved) return false;
      const store = new Store(api, saved.me);
      restore(store, saved);
      started = context(store, new Realtime(api, store), true);
      setApp(started);
      return true;
    };

    const reach = () => {
      clearTimeout(retry);
      api
        .get<User>("/me")
        .then((me) => !cancelled && live(me))
        .catch((e) => {
          if (cancelled || !storedSession()) return; // a refused refresh token already said why
          if (e instanceof ApiError && e.status === 0) {
            // still signed in: the server is just out of reach
            if (fromSaved()) retry = window.setTimeout(reach, RETRY_MS);
            else setOffline(true);
            return;
          }
          clearSession();
          setSession(null);
          setError(e.message);
        });
    };
    const onOnline = () => started?.savedOnly && reach();
    window.addEventListener("online", onOnline);
    reach();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      window.removeEventListener("online", onOnline);
      stopRefreshing();
      stopSaving();
      started?.realtime.stop();
      setApp(null);
    };
  }, [session, attempt]);

  const banner = update && (
    <p class="update" role="status">
      A new version of Texting is ready.{" "}
      <button type="button" onClick={() => void applyUpdate()}>Reload to update</button>
    </p>
  );
  return (
    <>
      {banner}
      {screen()}
    </>
  );

  function screen() {
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
}

loadConfig()
  .then((config) => render(<Root config={config} />, document.getElementById("root")!))
  .catch((e) => {
    document.getElementById("root")!.textContent = `The web client cannot start: ${e.message}`;
  });
