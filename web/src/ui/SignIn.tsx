/**
 * The sign-in page: the password, then whatever the pool asks on the way (a new password
 * after an invitation, setting up an authenticator app, its code), and "Forgot password?"
 * with the emailed code. Each step is one small form; a refusal is said in plain words
 * that never tell whether a username exists (lib/cognito.ts).
 */
import { useState } from "preact/hooks";
import {
  answerTotp,
  type Challenge,
  confirmForgotPassword,
  finishMfaSetup,
  forgotPassword,
  MESSAGES,
  type Session,
  setNewPassword,
  signIn,
  startMfaSetup,
  type Step,
} from "../lib/auth";
import type { Config } from "../lib/config";
import { TotpSetup } from "./TotpSetup";

type View =
  | { kind: "password" }
  | { kind: "new-password"; challenge: Challenge }
  | { kind: "mfa-setup"; challenge: Challenge; secret: string }
  | { kind: "mfa-code"; challenge: Challenge }
  | { kind: "forgot" }
  | { kind: "reset"; username: string };

const PASSWORD_HINT = "At least 12 characters, with upper- and lower-case letters and a number.";

export function SignIn({ config, notice = "", onSignedIn }: { config: Config; notice?: string; onSignedIn: (s: Session) => void }) {
  const [view, setView] = useState<View>({ kind: "password" });
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState("");
  const [info, setInfo] = useState(notice);
  const [busy, setBusy] = useState(false);

  function go(next: View, message = "") {
    setView(next);
    setError("");
    setInfo(message);
    setPassword("");
    setCode("");
  }

  /** Run one step; a refusal stays on this step with its message, a lapsed challenge
   * goes back to the start. */
  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError("");
    try {
      await work();
    } catch (e) {
      const message = (e as Error).message || MESSAGES.unknown;
      if (message === MESSAGES.sessionExpired) go({ kind: "password" });
      setError(message);
    } finally {
      setBusy(false);
    }
  }

  async function advance(step: Step) {
    if ("session" in step) {
      onSignedIn(step.session);
      return;
    }
    const { challenge } = step;
    if (challenge.name === "NEW_PASSWORD_REQUIRED") go({ kind: "new-password", challenge });
    else if (challenge.name === "SOFTWARE_TOKEN_MFA") go({ kind: "mfa-code", challenge });
    else {
      const setup = await startMfaSetup(config, challenge);
      go({ kind: "mfa-setup", challenge: setup.challenge, secret: setup.secret });
    }
  }

  const title = {
    password: "Sign in to Texting",
    "new-password": "Choose your password",
    "mfa-setup": "Set up two-step sign-in",
    "mfa-code": "Two-step sign-in",
    forgot: "Reset your password",
    reset: "Set a new password",
  }[view.kind];

  const messages = (
    <>
      {info && <p class="info" role="status">{info}</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </>
  );

  let body;
  if (view.kind === "password") {
    body = (
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => advance(await signIn(config, username.trim(), password))); }}>
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required
          value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        {messages}
        <button type="submit" disabled={busy}>Sign in</button>
        <button type="button" class="link" onClick={() => go({ kind: "forgot" })}>Forgot password?</button>
      </form>
    );
  } else if (view.kind === "new-password") {
    const { challenge } = view;
    body = (
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => advance(await setNewPassword(config, challenge, password))); }}>
        <p>Welcome! Replace the temporary password from your invitation with one of your own.</p>
        <NewPassword value={password} onInput={setPassword} />
        {messages}
        <button type="submit" disabled={busy}>Set password</button>
      </form>
    );
  } else if (view.kind === "mfa-setup") {
    const { challenge, secret } = view;
    body = (
      <>
        <p>Your organisation asks for a second step at sign-in: a code from an authenticator app.</p>
        {messages}
        <TotpSetup username={challenge.username} secret={secret} busy={busy}
          onVerify={(totp) => void run(async () => advance(await finishMfaSetup(config, challenge, totp)))}
          onCancel={() => go({ kind: "password" })} />
      </>
    );
  } else if (view.kind === "mfa-code") {
    const { challenge } = view;
    body = (
      <form onSubmit={(e) => { e.preventDefault(); void run(async () => advance(await answerTotp(config, challenge, code))); }}>
        <p>Enter the 6-digit code your authenticator app shows for Texting.</p>
        <label for="totp-code">Authentication code</label>
        <input id="totp-code" name="totp" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
          maxLength={6} required value={code} onInput={(e) => setCode(e.currentTarget.value.replace(/\D/g, ""))} />
        {messages}
        <button type="submit" disabled={busy}>Verify</button>
        <button type="button" class="link" onClick={() => go({ kind: "password" })}>Back to sign in</button>
      </form>
    );
  } else if (view.kind === "forgot") {
    body = (
      <form onSubmit={(e) => {
        e.preventDefault();
        const name = username.trim();
        void run(async () => go({ kind: "reset", username: name }, await forgotPassword(config, name)));
      }}>
        <p>Enter your username. We will email you a code to set a new password.</p>
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername(e.currentTarget.value)} />
        {messages}
        <button type="submit" disabled={busy}>Send code</button>
        <button type="button" class="link" onClick={() => go({ kind: "password" })}>Back to sign in</button>
      </form>
    );
  } else {
    const target = view.username;
    body = (
      <form onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await confirmForgotPassword(config, target, code, password);
          go({ kind: "password" }, MESSAGES.passwordSet);
        });
      }}>
        <label for="reset-code">Code</label>
        <input id="reset-code" name="code" inputMode="numeric" autocomplete="one-time-code" required value={code}
          onInput={(e) => setCode(e.currentTarget.value)} />
        <NewPassword value={password} onInput={setPassword} />
        {messages}
        <button type="submit" disabled={busy}>Set password</button>
        <button type="button" class="link" disabled={busy}
          onClick={() => void run(async () => setInfo(await forgotPassword(config, target)))}>Send a new code</button>
        <button type="button" class="link" onClick={() => go({ kind: "password" })}>Back to sign in</button>
      </form>
    );
  }

  return (
    <main class="signin">
      <section aria-labelledby="signin-title">
        <h1 id="signin-title">{title}</h1>
        {body}
      </section>
    </main>
  );
}

function NewPassword({ value, onInput }: { value: string; onInput: (v: string) => void }) {
  return (
    <>
      <label for="new-password">New password</label>
      <input id="new-password" name="new-password" type="password" autocomplete="new-password" required minLength={8}
        aria-describedby="new-password-hint" value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      <p id="new-password-hint" class="hint">{PASSWORD_HINT}</p>
    </>
  );
}
