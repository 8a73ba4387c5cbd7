/**
 * Sign-in against the stage's Cognito user pool (USER_PASSWORD_AUTH on the public app
 * client, exactly what the AWS SDK sends), every challenge a person can meet on the
 * way (a new password after an invitation, setting up an authenticator app, its code
 * on later sign-ins), the emailed reset code, and the session afterwards.
 *
 * The session lives in localStorage: it survives new tabs and browser restarts until
 * the person signs out or the refresh token is refused (expired, revoked, user
 * disabled). The IdToken and AccessToken are refreshed before they expire; every tab
 * hears (the ``storage`` event) when another tab signs in or out.
 */
import { clearDrafts } from "./drafts";
import {
  AuthError,
  type AuthAnswer,
  call,
  challengeMessage,
  MESSAGES,
  resetMessage,
  signInMessage,
  type Tokens,
} from "./cognito";
import type { Config } from "./config";

export { AuthError, MESSAGES } from "./cognito";

const KEY = "texting.session";
const DEVICE_KEY = "texting.device"; // this browser's device id (lib/realtime.ts writes it)
const REFRESH_BEFORE_MS = 120_000;
const ISSUER = "Texting";

export interface Session {
  username: string;
  idToken: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
}

/** A challenge to answer before the pool hands out tokens. */
export interface Challenge {
  name: "NEW_PASSWORD_REQUIRED" | "MFA_SETUP" | "SOFTWARE_TOKEN_MFA";
  username: string; // as the pool names the user (the challenge's USER_ID_FOR_SRP)
  session: string; // Cognito's challenge session, not ours
}

export type Step = { session: Session } | { challenge: Challenge };

const ANSWERED = new Set(["NEW_PASSWORD_REQUIRED", "MFA_SETUP", "SOFTWARE_TOKEN_MFA"]);

// -- the stored session -------------------------------------------------------------------

export function storedSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    const session = raw ? (JSON.parse(raw) as Session) : null;
    return session?.idToken && session.refreshToken ? session : null;
  } catch {
    return null;
  }
}

function store(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
  clearDrafts(); // drafts belong to the session (docs/web.md, Conversation controls)
}

type EndListener = (message: string) => void;
const endListeners = new Set<EndListener>();

/** Called when this tab's session ends without the person asking here: the refresh
 * token refused, or a sign-out in another tab. Returns the unsubscribe. */
export function onSessionEnded(listener: EndListener): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

function ended(message: string): void {
  for (const listener of [...endListeners]) listener(message);
}

/** Another tab signed in (the new session) or out (``null``). */
export function onOtherTab(listener: (session: Session | null) => void): () => void {
  const handle = (event: StorageEvent) => {
    if (event.storageArea !== localStorage || (event.key !== KEY && event.key !== null)) return;
    listener(storedSession());
  };
  window.addEventListener("storage", handle);
  return () => window.removeEventListener("storage", handle);
}

// -- signing in ---------------------------------------------------------------------------

function toSession(username: string, tokens: Tokens, refreshToken?: string): Session {
  return {
    username,
    idToken: tokens.IdToken,
    accessToken: tokens.AccessToken,
    refreshToken: tokens.RefreshToken || refreshToken || "",
    expiresAt: Date.now() + tokens.ExpiresIn * 1000,
  };
}

function next(answer: AuthAnswer, username: string): Step {
  if (answer.AuthenticationResult) {
    const session = toSession(username, answer.AuthenticationResult);
    store(session);
    return { session };
  }
  const name = answer.ChallengeName || "";
  if (!ANSWERED.has(name) || !answer.Session) {
    throw new AuthError(MESSAGES.unknown, `challenge:${name}`);
  }
  const params = answer.ChallengeParameters || {};
  return {
    challenge: {
      name: name as Challenge["name"],
      username: params.USER_ID_FOR_SRP || params.USERNAME || username,
      session: answer.Session,
    },
  };
}

/** Refusals become the words a person reads (the code stays for the caller). */
async function plainly<T>(work: Promise<T>, words: (code: string) => string): Promise<T> {
  try {
    return await work;
  } catch (e) {
    const code = e instanceof AuthError ? e.code : "Error";
    throw new AuthError(words(code), code);
  }
}

export function signIn(config: Config, username: string, password: string): Promise<Step> {
  const answer = call<AuthAnswer>(config, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.cognito.client_id,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return plainly(answer, signInMessage).then((a) => next(a, username));
}

function respond(config: Config, challenge: Challenge, responses: Record<string, string>, totp = false) {
  const answer = call<AuthAnswer>(config, "RespondToAuthChallenge", {
    ClientId: config.cognito.client_id,
    ChallengeName: challenge.name,
    Session: challenge.session,
    ChallengeResponses: { USERNAME: challenge.username, ...responses },
  });
  return plainly(answer, (code) => challengeMessage(code, totp)).then((a) => next(a, challenge.username));
}

/** NEW_PASSWORD_REQUIRED: the invitation's temporary password is replaced. */
export function setNewPassword(config: Config, challenge: Challenge, password: string): Promise<Step> {
  return respond(config, challenge, { NEW_PASSWORD: password });
}

/** SOFTWARE_TOKEN_MFA: the authenticator app's current code. */
export function answerTotp(config: Config, challenge: Challenge, code: string): Promise<Step> {
  return respond(config, challenge, { SOFTWARE_TOKEN_MFA_CODE: code.trim() }, true);
}

/** The ``otpauth://`` URI an authenticator app reads from the QR code. */
export function otpauthUri(username: string, secret: string): string {
  const label = encodeURIComponent(`${ISSUER}:${username}`);
  return `otpauth://totp/${label}?secret=${encodeURIComponent(secret)}&issuer=${encodeURIComponent(ISSUER)}`;
}

/** MFA_SETUP, first half: the secret for the authenticator app (and the next session). */
export async function startMfaSetup(config: Config, challenge: Challenge): Promise<{ secret: string; challenge: Challenge }> {
  const answer = await plainly(
    call<{ SecretCode: string; Session?: string }>(config, "AssociateSoftwareToken", { Session: challenge.session }),
    (code) => challengeMessage(code),
  );
  return { secret: answer.SecretCode, challenge: { ...challenge, session: answer.Session || challenge.session } };
}

/** MFA_SETUP, second half: the app's first code proves it is set up; then the
 * challenge is answered and TOTP made the person's second factor. */
export async function finishMfaSetup(config: Config, challenge: Challenge, code: string): Promise<Step> {
  const verified = await plainly(
    call<{ Status: string; Session?: string }>(config, "VerifySoftwareToken", {
      Session: challenge.session,
      UserCode: code.trim(),
      FriendlyDeviceName: "Authenticator app",
    }),
    (c) => challengeMessage(c, true),
  );
  if (verified.Status !== "SUCCESS") throw new AuthError(MESSAGES.totpWrong, "CodeMismatchException");
  const step = await respond(config, { ...challenge, session: verified.Session || challenge.session }, {});
  if ("session" in step) await setTotpPreference(config, step.session, true).catch(() => undefined);
  return step;
}

// -- a forgotten password -----------------------------------------------------------------

/** Ask for a reset code. Whatever Cognito answers, the person reads the same words
 * (only an unreachable service is said as such: it says nothing about the account). */
export async function forgotPassword(config: Config, username: string): Promise<string> {
  try {
    await call(config, "ForgotPassword", { ClientId: config.cognito.client_id, Username: username });
  } catch (e) {
    if (e instanceof AuthError && e.code === "network") throw e;
  }
  return MESSAGES.codeSent;
}

export async function confirmForgotPassword(config: Config, username: string, code: string, password: string): Promise<void> {
  await plainly(
    call(config, "ConfirmForgotPassword", {
      ClientId: config.cognito.client_id,
      Username: username,
      ConfirmationCode: code.trim(),
      Password: password,
    }),
    resetMessage,
  );
}

// -- keeping the session fresh ------------------------------------------------------------

// One refresh in flight per refresh token (two sessions never share an answer).
const refreshing = new Map<string, Promise<Session>>();

function refreshOnce(config: Config, session: Session): Promise<Session> {
  const token = session.refreshToken;
  let pending = refreshing.get(token);
  if (!pending) {
    pending = refresh(config, session).finally(() => refreshing.delete(token));
    refreshing.set(token, pending);
  }
  return pending;
}

async function refresh(config: Config, session: Session): Promise<Session> {
  let answer: AuthAnswer;
  try {
    answer = await call<AuthAnswer>(config, "InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: config.cognito.client_id,
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    });
  } catch (e) {
    if (e instanceof AuthError && e.code === "NotAuthorizedException") {
      // Expired, revoked, or the user disabled: this session is over, in every tab;
      // unless the stored session is already another one (signed in again since).
      if (!storedSession() || storedSession()?.refreshToken === session.refreshToken) {
        clearSession();
        ended(MESSAGES.sessionEnded);
      }
      throw new AuthError(MESSAGES.sessionEnded, "session_ended");
    }
    throw e; // offline or throttled: the session stays, the next call tries again
  }
  if (!answer.AuthenticationResult) throw new AuthError(MESSAGES.unknown, "refresh");
  const fresh = toSession(session.username, answer.AuthenticationResult, session.refreshToken);
  if (storedSession()?.refreshToken === session.refreshToken) store(fresh);
  return fresh;
}

/** Refresh ``session`` in place when it has less than two minutes left (another tab
 * may have done it already: its tokens are taken from storage). */
async function fresh(config: Config, session: Session): Promise<Session> {
  const latest = storedSession();
  if (latest && latest.refreshToken === session.refreshToken && latest.expiresAt > session.expiresAt) {
    Object.assign(session, latest);
  }
  if (session.expiresAt - Date.now() > REFRESH_BEFORE_MS || !session.refreshToken) return session;
  Object.assign(session, await refreshOnce(config, session));
  return session;
}

/** The API refused the IdToken (401): ask the pool whether this session still stands.
 * A disabled or signed-out-everywhere account's refresh is refused, which ends the
 * session in every tab; otherwise the fresh tokens are kept for the retry. */
export async function recheck(config: Config, session: Session): Promise<void> {
  if (!session.refreshToken) return;
  Object.assign(session, await refreshOnce(config, session));
}

/** A valid IdToken (what the API takes). */
export async function freshToken(config: Config, session: Session): Promise<string> {
  return (await fresh(config, session)).idToken;
}

/** A valid AccessToken (what the pool's own API takes for the signed-in person). */
export async function freshAccessToken(config: Config, session: Session): Promise<string> {
  return (await fresh(config, session)).accessToken;
}

/** Refresh ahead of need while the app is open, so a lapsed refresh token is noticed
 * (and the person shown the sign-in page) without waiting for their next action. */
export function keepFresh(config: Config, session: Session, everyMs = 60_000): () => void {
  const timer = window.setInterval(() => void fresh(config, session).catch(() => undefined), everyMs);
  return () => window.clearInterval(timer);
}

// -- the authenticator app, from the profile -----------------------------------------------

export interface MfaState {
  enabled: boolean;
}

export async function mfaState(config: Config, session: Session): Promise<MfaState> {
  const user = await call<{ UserMFASettingList?: string[] }>(config, "GetUser", {
    AccessToken: await freshAccessToken(config, session),
  });
  return { enabled: (user.UserMFASettingList || []).includes("SOFTWARE_TOKEN_MFA") };
}

export async function associateTotp(config: Config, session: Session): Promise<string> {
  const answer = await plainly(
    call<{ SecretCode: string }>(config, "AssociateSoftwareToken", { AccessToken: await freshAccessToken(config, session) }),
    (code) => challengeMessage(code),
  );
  return answer.SecretCode;
}

export async function verifyTotp(config: Config, session: Session, code: string): Promise<void> {
  const answer = await plainly(
    call<{ Status: string }>(config, "VerifySoftwareToken", {
      AccessToken: await freshAccessToken(config, session),
      UserCode: code.trim(),
      FriendlyDeviceName: "Authenticator app",
    }),
    (c) => challengeMessage(c, true),
  );
  if (answer.Status !== "SUCCESS") throw new AuthError(MESSAGES.totpWrong, "CodeMismatchException");
  await setTotpPreference(config, session, true);
}

export async function setTotpPreference(config: Config, session: Session, enabled: boolean): Promise<void> {
  await plainly(
    call(config, "SetUserMFAPreference", {
      AccessToken: await freshAccessToken(config, session),
      SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
    }),
    (code) => challengeMessage(code),
  );
}

// -- signing out --------------------------------------------------------------------------

const SIGN_OUT_WAIT_MS = 5_000;

/** End this device's session: the API revokes the refresh token, removes this device's
 * push registration and closes its connections (``POST /me/sign-out``). Whether or not
 * that call succeeds (offline), the stored session is cleared, and every tab hears it. */
export async function signOut(post: (path: string, body: unknown) => Promise<unknown>, session: Session): Promise<void> {
  const body = { refresh_token: session.refreshToken, device_id: localStorage.getItem(DEVICE_KEY) || undefined };
  // Forgotten here first: a reload or a closed tab mid-way leaves this device signed out.
  clearSession();
  const request = post("/me/sign-out", body);
  const timeout = new Promise((resolve) => window.setTimeout(resolve, SIGN_OUT_WAIT_MS));
  try {
    await Promise.race([request, timeout]);
  } catch {
    /* offline, or the API refused: this device has forgotten the session all the same */
  }
}
