/** What every REST answer shares: the error with the API's stable `code`, the page shape.
 * No imports, so the store (and its unit tests under Node) can use it alone. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const enc = encodeURIComponent;

/** API Gateway ends every request by 29 s (and Cognito's API answers in far less): past
 * this, an answer is not coming (a socket left on a network the device has left), and
 * the caller's retry or catch-up goes on. */
export const REQUEST_TIMEOUT_MS = 35_000;
