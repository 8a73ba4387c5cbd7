/**
 * Sign-in against the stage's Cognito user pool (USER_PASSWORD_AUTH on the public app
 * client, exactly what the AWS SDK sends), with the refresh token used before the
 * IdToken expires. The session lives in sessionStorage: it survives a reload of the
 * tab, not the closing of the browser.
 */
import { type Config, cognitoEndpoint } from "./config";

const KEY = "texting.session";

export interface Session {
  username: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
}

export class AuthError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

async function initiateAuth(config: Config, flow: string, params: Record<string, string>) {
  const response = await fetch(cognitoEndpoint(config), {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: flow,
      ClientId: config.cognito.client_id,
      AuthParameters: params,
    }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(body.__type || "Error").split("#").pop() || "Error";
    const message =
      type === "NotAuthorizedException" || type === "UserNotFoundException"
        ? "Wrong username or password."
        : body.message || `Sign-in failed (${response.status}).`;
    throw new AuthError(message, type);
  }
  if (!body.AuthenticationResult) {
    throw new AuthError(`This account needs a step the web client does not offer (${body.ChallengeName}).`, "challenge");
  }
  return body.AuthenticationResult as { IdToken: string; RefreshToken?: string; ExpiresIn: number };
}

export async function signIn(config: Config, username: string, password: string): Promise<Session> {
  const result = await initiateAuth(config, "USER_PASSWORD_AUTH", { USERNAME: username, PASSWORD: password });
  const session: Session = {
    username,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || "",
    expiresAt: Date.now() + result.ExpiresIn * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function storedSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** A valid IdToken, refreshed when it has less than two minutes left. */
export async function freshToken(config: Config, session: Session): Promise<string> {
  if (session.expiresAt - Date.now() > 120_000 || !session.refreshToken) return session.idToken;
  const result = await initiateAuth(config, "REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: session.refreshToken });
  session.idToken = result.IdToken;
  session.expiresAt = Date.now() + result.ExpiresIn * 1000;
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session.idToken;
}
