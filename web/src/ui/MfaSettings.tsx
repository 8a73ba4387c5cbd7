/**
 * Two-step sign-in in the profile panel: whether it is on, and turning it on (an
 * authenticator app set up with a QR code and its first code) or off. Once on, every
 * later sign-in asks for the app's code.
 */
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { associateTotp, mfaState, setTotpPreference, verifyTotp } from "../lib/auth";
import { TotpSetup } from "./TotpSetup";

export function MfaSettings() {
  const { config, api } = useApp();
  const session = api.session;
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState("");
  const [error, setError] = useState("");

  useEffect(() => {
    let live = true;
    mfaState(config, session)
      .then((state) => live && setEnabled(state.enabled))
      .catch(() => live && setError("Two-step sign-in settings cannot be read right now."));
    return () => {
      live = false;
    };
  }, [session]);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError("");
    setNote("");
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="mfa" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-step sign-in</h2>
      <p role="status">
        {enabled === null ? "Checking…" : enabled ? "On: signing in asks for a code from your authenticator app." : "Off"}
      </p>
      {secret ? (
        <TotpSetup username={session.username} secret={secret} busy={busy}
          onCancel={() => setSecret("")}
          onVerify={(code) => void run(async () => {
            await verifyTotp(config, session, code);
            setSecret("");
            setEnabled(true);
            setNote("Two-step sign-in is on.");
          })} />
      ) : enabled === false ? (
        <button type="button" disabled={busy}
          onClick={() => void run(async () => setSecret(await associateTotp(config, session)))}>
          Turn on two-step sign-in
        </button>
      ) : enabled ? (
        <button type="button" class="secondary" disabled={busy}
          onClick={() => void run(async () => {
            await setTotpPreference(config, session, false);
            setEnabled(false);
            setNote("Two-step sign-in is off.");
          })}>
          Turn off two-step sign-in
        </button>
      ) : null}
      {note && <p class="info">{note}</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
