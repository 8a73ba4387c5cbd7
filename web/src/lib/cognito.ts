/**
 * The Cognito user pool's public API, as the AWS SDK calls it (JSON over HTTPS, no
 * signature: these operations take the app client's id, a challenge session or the
 * user's AccessToken), and the plain words a person reads when a call fails.
 *
 * Messages never say whether a username exists: a wrong username and a wrong password
 * read the same, and a reset code is "sent if an account exists" whatever Cognito says.
 */
import { type Config, cognitoEndpoint } from "./config";
import { REQUEST_TIMEOUT_MS } from "./http";

export class AuthError extends Error {
  constructor(
    message: string,
    /** Cognito's exception name (``NotAuthorizedException`` …) or ``network``. */
    readonly code: string,
  ) {
    super(message);
  }
}

export const MESSAGES = {
  credentials: "Wrong username or password.",
  network: "The sign-in service cannot be reached. Check your connection and try again.",
  tooMany: "Too many attempts. Wait a few minutes, then try again.",
  codeWrong: "That code is not right. Check it and try again.",
  codeExpired: "That code has expired or was already used. Ask for a new one.",
  totpWrong: "That code is not right. Enter the 6-digit code your authenticator app shows now.",
  sessionExpired: "This sign-in took too long and has expired. Please start again.",
  password:
    "That password is not allowed. Use at least 12 characters, with upper- and lower-case letters and a number.",
  notConfirmed: "This account is not ready yet. Ask your administrator to invite you again.",
  codeSent: "If an account exists for that username, we sent a code to its email address.",
  passwordSet: "Your new password is set. Sign in with it.",
  sessionEnded: "Your session has ended. Please sign in again.",
  signedOutElsewhere: "You signed out in another tab.",
  unknown: "Something went wrong. Please try again.",
} as const;

/** Errors every call shares; ``null`` leaves the choice to the caller. */
function commonMessage(code: string): string | null {
  switch (code) {
    case "network":
      return MESSAGES.network;
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return MESSAGES.tooMany;
    case "InvalidPasswordException":
      return MESSAGES.password;
    case "CodeMismatchException":
    case "EnableSoftwareTokenMFAException":
      return MESSAGES.codeWrong;
    case "ExpiredCodeException":
      return MESSAGES.codeExpired;
    default:
      return null;
  }
}

/** What a failed sign-in step says, by the step's kind. */
export function signInMessage(code: string): string {
  switch (code) {
    case "NotAuthorizedException":
    case "UserNotFoundException":
    case "PasswordResetRequiredException": // Cognito may say it before checking the password
      return MESSAGES.credentials; // never which of the two was wrong
    case "UserNotConfirmedException":
      return MESSAGES.notConfirmed;
    default:
      return commonMessage(code) || MESSAGES.unknown;
  }
}

/** A challenge answer refused: a wrong code is said plainly, a lapsed session too. */
export function challengeMessage(code: string, totp = false): string {
  if (code === "CodeMismatchException" || code === "EnableSoftwareTokenMFAException") {
    return totp ? MESSAGES.totpWrong : MESSAGES.codeWrong;
  }
  if (code === "NotAuthorizedException" || code === "ResourceNotFoundException") {
    return MESSAGES.sessionExpired;
  }
  return commonMessage(code) || MESSAGES.unknown;
}

/** ConfirmForgotPassword refused: anything that is not about the code's age or the
 * password reads as a wrong code (an unknown username included). */
export function resetMessage(code: string): string {
  return commonMessage(code) || MESSAGES.codeWrong;
}

/** One call to the pool's API; a refusal is an ``AuthError`` with Cognito's exception name. */
export async function call<T>(config: Config, operation: string, body: Record<string, unknown>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(cognitoEndpoint(config), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    throw new AuthError(MESSAGES.network, "network");
  }
  // a body that is not JSON reads as none; one cut off or past the time limit is the network's
  const data = await response.json().catch((error) => {
    if (error instanceof SyntaxError) return {};
    throw new AuthError(MESSAGES.network, "network");
  });
  if (!response.ok) {
    const code = String(data.__type || "Error").split("#").pop() || "Error";
    // Cognito's own message is kept for the console, never shown (it may name the user).
    throw new AuthError(String(data.message || data.Message || code), code);
  }
  return data as T;
}

export interface Tokens {
  IdToken: string;
  AccessToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

/** InitiateAuth's and RespondToAuthChallenge's answer: tokens, or the next challenge. */
export interface AuthAnswer {
  AuthenticationResult?: Tokens;
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
}
